"""The DSTFT as an autograd primitive with analytical gradients (math.md §3-4).

For a real loss ``L(S)`` autograd hands the vector-Jacobian product of a
complex output the cotangent ``g = dL/dRe S - i dL/dIm S``; for a real
parameter ``theta`` the gradient is then ``Re sum g * dS/dtheta`` where each
``dS/dtheta`` is itself a DSTFT with a derivative window (paper Remark IV.1),
computed by the same backend as the forward pass (paper Remark IV.2):

* window length: ``D_lam`` (window ``d w / d lam``), reduced over the axes
  along which the given length was broadcast;
* positions: ``dS/dt_n = -D_t + (2 pi i k / K) S`` (window ``d w / d t``; the
  second term comes from referencing the phase to the real centre);
* signal: the transpose of the (linear) transform, an overlap-add.

When the window length is being differentiated, the forward pass computes
``D_lam`` too, from the same gathered frames and the same trigonometry of
the windows, and hands it to the VJP. For lengths constant in frequency (a
scalar or ``(1, T)``) on spectrograms of 1 MB and more, the VJP instead computes
``D_lam`` block by block of frames and reduces each block against the
cotangent at once (:func:`skdstft.transform.windowed_inner`): it never
holds a spectrogram-sized array (docs/architecture.md, "Fresh memory is
not free").

The primitive is module level so that it pickles by reference (joblib and
dask workers import it).
"""

import threading
from functools import partial

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import getval, isbox

from . import _validation as val
from ._reductions import real_dot
from .positions import frame_positions
from .transform import (
    DEFAULT_CHUNK_BYTES,
    gather_frames,
    uses_fft_backend,
    windowed_adjoint,
    windowed_inner,
    windowed_transform,
)
from .windows import frame_windows, get_window

__all__ = ["dstft", "dstft_unchecked"]


def _window_fns(window, normalization, n_fft):
    """Frame windows: value, d/d lam and d/d t (see ``frame_windows``)."""
    return tuple(partial(frame_windows, window, n_fft=n_fft, normalization=normalization,
                         kind=kind) for kind in ("value", "dlam", "dt"))


# The derivative-window transform of the last forward pass whose window
# length is being differentiated (``win_length_traced``), picked up by the window-length VJP set-up that
# autograd runs right after that forward pass. Thread-local: joblib's
# threading backend may run several optimizations at once.
_DLAM = threading.local()


@primitive
def _dstft_batch(x, win_length, positions, n_fft, window, normalization, chunk_bytes,
                 win_length_traced=False, frames=None):
    """Raw transform of a (B, N) float array; returns (B, F, T).

    With ``win_length_traced`` (the window length is being differentiated)
    the derivative-window transform ``D_lam`` is computed from the same
    gathered frames and the same window trigonometry, and left for the VJP,
    except for lengths constant in frequency on large spectrograms
    (:func:`_blockwise_d_lam`): their VJP reduces ``D_lam`` block by block
    (:func:`windowed_inner`), since holding it whole would take a fresh
    spectrogram-sized array per gradient.
    ``frames``: the frames of ``x`` at ``positions``, gathered beforehand
    and only read (a caller that evaluates the same signals and positions
    many times)."""
    frames = _frames_for(x, positions, n_fft, frames)
    if not win_length_traced or _blockwise_d_lam(win_length, frames):
        value, _, _ = _window_fns(window, normalization, n_fft)
        return windowed_transform(frames, win_length, value, n_fft, chunk_bytes=chunk_bytes)
    both = partial(frame_windows, window, n_fft=n_fft, normalization=normalization,
                   kind=("dlam", "value"))
    d_lam, out = windowed_transform(frames, win_length, both, n_fft, chunk_bytes=chunk_bytes,
                                    n_windows=2)
    _DLAM.key, _DLAM.value = (x, win_length, positions, out), d_lam
    return out


# Spectrograms from this size on (bytes) leave D_lam of lengths constant in
# frequency to the VJP, which reduces it by blocks: below it, fresh memory
# is cheap and computing D_lam with the forward pass, from the same
# frames, saves the VJP's Python overhead (a third of a small fit's step).
_BLOCKWISE_FROM_BYTES = 2**20


def _blockwise_d_lam(win_length, frames):
    """True when the window-length VJP computes ``D_lam`` block by block."""
    n_batch, n_frames, n_fft = frames.padded.shape[0], frames.frac.shape[0], frames.offsets.shape[0]
    n_bytes = n_batch * n_frames * (n_fft // 2 + 1) * 2 * frames.dtype.itemsize
    return uses_fft_backend(win_length) and n_bytes >= _BLOCKWISE_FROM_BYTES


def _grad_dtype(like):
    """The float dtype of a gradient with respect to ``like``."""
    dtype = np.result_type(getattr(like, "dtype", np.float64), np.float32)
    return dtype if np.issubdtype(dtype, np.floating) else np.float64


def _frames_for(x, positions, n_fft, frames):
    """The given frames (only read) or this call's own."""
    if frames is None:
        return gather_frames(x, positions, n_fft, scratch=True)
    return frames


def _real_inner(g, d, like):
    """``Re sum_b g * d`` (both (B, F, T)) summed down to the shape of ``like``
    (the window length as given), without an (F, T) temporary when the
    length is shared along an axis."""
    shape = np.shape(like)
    shape2 = (1,) * (2 - len(shape)) + shape  # () -> (1, 1), (T,) -> (1, T)
    keep = ("k" if shape2[0] != 1 else "") + ("n" if shape2[1] != 1 else "")
    if keep == "kn":
        return _unbroadcast(np.real(g * d).sum(axis=0), like)
    if keep:
        out = np.einsum("bkn,bkn->" + keep, g, d).real
    else:
        out = np.array(sum(real_dot(gb, db) for gb, db in zip(g, d)))
    return np.asarray(out, dtype=_grad_dtype(like)).reshape(shape)


def _unbroadcast(grad, like):
    """Sum ``grad`` (F, T) down to the shape of ``like`` (scalar, (T,), (1,T), (F,1), (F,T))."""
    shape = np.shape(like)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return np.asarray(grad, dtype=_grad_dtype(like)).reshape(shape)


def _vjp_x(ans, x, win_length, positions, n_fft, window, normalization, chunk_bytes,
           win_length_traced=False, frames=None):
    def vjp(g):
        frames = gather_frames(x, positions, n_fft, data=False)  # geometry only
        value, _, _ = _window_fns(window, normalization, n_fft)
        return windowed_adjoint(frames, win_length, value, n_fft, g, chunk_bytes=chunk_bytes)
    return vjp


def _vjp_win_length(ans, x, win_length, positions, n_fft, window, normalization, chunk_bytes,
                    win_length_traced=False, frames=None):
    key = getattr(_DLAM, "key", None)
    d_lam = None
    if win_length_traced and key is not None and all(a is b for a, b in zip(key, (x, win_length,
                                                                         positions, ans))):
        d_lam = _DLAM.value
    _DLAM.key = _DLAM.value = None

    def vjp(g):
        d = d_lam
        if d is None:
            fr = _frames_for(x, positions, n_fft, frames)
            _, dlam, _ = _window_fns(window, normalization, n_fft)
            if _blockwise_d_lam(win_length, fr):
                inner = windowed_inner(fr, win_length, dlam, n_fft, g)
                if np.size(win_length) == 1:
                    inner = np.sum(inner)
                return np.asarray(inner, dtype=_grad_dtype(win_length)).reshape(
                    np.shape(win_length))
            d = windowed_transform(fr, win_length, dlam, n_fft, chunk_bytes=chunk_bytes)
        return _real_inner(g, d, win_length)  # the batch shares the lengths
    return vjp


def _vjp_positions(ans, x, win_length, positions, n_fft, window, normalization, chunk_bytes,
                   win_length_traced=False, frames=None):
    def vjp(g):
        fr = _frames_for(x, positions, n_fft, frames)
        _, _, dt = _window_fns(window, normalization, n_fft)
        d_t = windowed_transform(fr, win_length, dt, n_fft, chunk_bytes=chunk_bytes)
        # Re sum_k g (2 pi i k / K) S  -  Re sum_k g D_t, per frame
        k = np.arange(n_fft // 2 + 1, dtype=np.float64)
        phase_term = -(2 * np.pi / n_fft) * np.einsum("bkn,bkn,k->n", g, ans, k).imag
        grad = phase_term - np.einsum("bkn,bkn->n", g, d_t).real
        return grad.astype(np.float64).reshape(np.shape(positions))
    return vjp


defvjp(_dstft_batch, _vjp_x, _vjp_win_length, _vjp_positions, argnums=(0, 1, 2))


def dstft_and_win_length_vjp(x, win_length, positions, *, n_fft, window, normalization,
                             frames=None, chunk_bytes=DEFAULT_CHUNK_BYTES):
    """``S`` of a (B, N) batch and a function ``g -> d Re<g, S> / d win_length``:
    the transform and its window-length VJP as :func:`dstft_unchecked` and
    autograd compute them (same primitive, same hand-over of ``D_lam``),
    without the tape, for an optimizer's inner loop that chains VJPs itself.
    The caller guarantees what :func:`dstft_unchecked` requires."""
    S = _dstft_batch.fun(x, win_length, positions, n_fft, window, normalization, chunk_bytes,
                         True, frames)
    vjp = _vjp_win_length(S, x, win_length, positions, n_fft, window, normalization,
                          chunk_bytes, True, frames)
    return S, vjp


def dstft(x, win_length, positions=None, *, n_fft, window="hann", normalization="l1",
          chunk_bytes=DEFAULT_CHUNK_BYTES):
    """Differentiable short-time Fourier transform (paper Eq. 25, math.md §2).

    ``S[k, n] = sum_m x[floor(t_n) + m] w_{lam[k,n]}(m - f_n) e^{-2 pi i k (m - f_n) / K}``
    for ``m = -K/2 .. K/2 - 1``, with ``x`` zero outside ``[0, N)``, ``K = n_fft``,
    ``f_n = t_n - floor(t_n)`` and the phase referenced to the real frame
    centre ``t_n``.

    Parameters
    ----------
    x : array of shape (N,) or (B, N)
        Real signal(s). float32 input computes in float32 and returns
        complex64; every other real dtype computes in float64.
    win_length : float or array broadcastable to (F, T)
        Window length(s) in samples, real, in ``(0, n_fft - 2]``: a scalar
        (classical STFT), ``(1, T)`` (time-varying), ``(F, 1)``
        (frequency-varying) or ``(F, T)`` (time-frequency-varying).
    positions : array of shape (T,), optional
        Frame centres in samples (real, finite, strictly increasing). Default:
        ``frame_positions(N, n_fft // 4)``, a hop of ``n_fft // 4`` from 0.
    n_fft : int
        DFT size ``K`` (even, >= 4); ``F = K // 2 + 1`` frequency bins, bin
        ``k`` at ``k * fs / K`` Hz.
    window : str or Window
        Base window: ``"hann"`` (default), ``"blackman"``, ``"gaussian"`` or a
        registered one (:func:`skdstft.windows.register_window`).
    normalization : {"l1", "l2", None}
        Window scaling ``lam**-1``, ``lam**-1/2`` or 1 (math.md §1).
    chunk_bytes : int
        Memory budget of one temporary for frequency-varying lengths.

    Returns
    -------
    S : complex ndarray of shape (F, T) or (B, F, T)

    Notes
    -----
    Differentiable with autograd with respect to ``x``, ``win_length`` and
    ``positions`` through the analytical vector-Jacobian products. The FFT
    runs in ``scipy.fft``; wrap a call in ``scipy.fft.set_workers(n)`` to use
    several threads.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import dstft
    >>> x = np.cos(2 * np.pi * 0.125 * np.arange(256))
    >>> S = dstft(x, 62.0, n_fft=64)
    >>> S.shape
    (33, 17)
    >>> int(np.argmax(abs(S[:, 8])))
    8
    """
    n_fft = val.check_n_fft(n_fft)
    window = get_window(window)
    val.check_normalization(normalization)
    chunk_bytes = val.check_int(chunk_bytes, "chunk_bytes", min_value=1)
    x = val.check_signal(x, "x")
    x_val = getval(x)
    n_samples = x_val.shape[-1]
    if positions is None:
        positions = frame_positions(n_samples, n_fft // 4)
    pos_val = val.check_positions(positions)
    val.check_win_length(win_length, n_fft, pos_val.shape[0])
    if not hasattr(getval(positions), "shape"):
        positions = pos_val
    if not hasattr(getval(win_length), "shape") and not np.isscalar(getval(win_length)):
        win_length = np.asarray(win_length, dtype=float)
    return dstft_unchecked(x, win_length, positions, n_fft=n_fft, window=window,
                           normalization=normalization, chunk_bytes=chunk_bytes)


def dstft_unchecked(x, win_length, positions, *, n_fft, window, normalization,
                    chunk_bytes=DEFAULT_CHUNK_BYTES, frames=None):
    """:func:`dstft` without its input checks, for an optimizer's inner loop.

    The caller guarantees what :func:`dstft` checks: ``x`` a finite float32 or
    float64 array (N,) or (B, N); ``positions`` a finite, strictly increasing
    float array (T,); ``win_length`` within ``(0, n_fft - 2]`` (up to
    rounding) and broadcastable to (F, T); ``window`` a :class:`Window`.
    Estimators validate once in ``fit`` and call this at every evaluation.

    ``frames``, optional: ``gather_frames(x2d, positions, n_fft)`` for the
    same (constant, not differentiated) ``x`` and ``positions``, with ``x2d``
    the signal as (B, N); it is only read, so one gathering serves every
    evaluation of an optimizer that keeps the signals and the frame
    positions fixed.
    """
    single = np.ndim(getval(x)) == 1
    # reshape, not indexing: autograd's VJP of x[None] / out[0] is a slow
    # np.add.at into a zero array, reshape's is a reshape
    xb = anp.reshape(x, (1, np.shape(getval(x))[-1])) if single else x
    out = _dstft_batch(xb, win_length, positions, n_fft, window, normalization, chunk_bytes,
                       isbox(win_length), frames)
    return anp.reshape(out, out.shape[1:]) if single else out
