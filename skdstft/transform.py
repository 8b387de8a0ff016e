"""Forward kernels of the DSTFT (math.md §2): scipy FFTs and compiled sums.

Every quantity the library computes -- the transform and each of its partial
derivatives (math.md §3, paper Remark IV.1) -- has the form

    U[k, n] = e^{2 pi i k f_n / K} sum_m x[floor(t_n) + m] v_{k,n}(m - f_n) e^{-2 pi i k m / K}

for some window function ``v`` (the window, its derivative in the length or
in time). :func:`windowed_transform` computes it with one of two backends,
chosen from the shape of the window lengths:

* lengths constant over frequency (scalar or ``(1, T)``): window every frame
  once and take one real FFT per frame, ``O(T K log K)``;
* lengths varying in frequency (``(F, 1)`` or ``(F, T)``): compiled sums
  over each window's own support (:mod:`skdstft._kernels`), read straight
  from the padded signal; every requested window kind in one loop.

:func:`windowed_adjoint` is the transpose (an overlap-add), used for the
gradient with respect to the signal. Frames are gathered in FFT order
(``m = 0..K/2-1, -K/2..-1``) so that no spectrum shift is needed.
"""

import dataclasses
import functools

import numpy as np
import scipy.fft

from . import _kernels, _scratch
from ._reductions import real_dot
from .windows import frame_offsets, frame_windows, get_window, normalization_power

__all__ = ["Frames", "gather_frames", "windowed_transform", "windowed_inner",
           "windowed_adjoint", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_BYTES = 8 * 2**20
"""Memory budget (bytes) of one work array of the frequency-varying backend's
direct route (window values on the support points of a chunk of frames)."""


@dataclasses.dataclass(eq=False, slots=True)
class Frames:
    """Signal frames around the positions, in FFT order, with their geometry.

    Attributes
    ----------
    padded : ndarray (B, N + 2 pad) or None
        The signals with ``pad`` zeros on either side (None when only the
        geometry was asked for); the transforms read the frames from it.
    frac : ndarray (T,)
        Fractional parts ``f_n = t_n - floor(t_n)`` in ``[0, 1)``.
    offsets : ndarray (K,)
        The integer offsets ``m_j``: ``j`` for ``j < K/2`` and ``j - K`` otherwise.
    start : ndarray (T,)
        ``floor(t_n)`` (clamped) plus ``pad``: where offset 0 of each frame
        sits in the padded signal.
    pad, n_samples : int
    dtype : numpy dtype
    data : ndarray (B, T, K)
        ``data[b, n, j] = x[b, floor(t_n) + m_j]`` (zero outside the
        signal), gathered from ``padded`` on first use: the transforms do
        not need it.
    index : ndarray (T, K)
        Indices into the padded signal, built on first use.
    """

    padded: object
    frac: np.ndarray
    offsets: np.ndarray
    start: np.ndarray
    pad: int
    n_samples: int
    dtype: np.dtype
    _data: object = dataclasses.field(default=None, repr=False)
    _index: object = dataclasses.field(default=None, repr=False)

    @property
    def data(self):
        if self._data is None and self.padded is not None:
            n_fft = self.offsets.shape[0]
            data = np.empty((1,) + self.padded.shape[:-1] + (self.frac.shape[0], n_fft),
                            dtype=self.dtype)
            _kernels.gather(self.padded, self.start, 0, np.ones((1, n_fft), self.dtype), data)
            self._data = data[0]
        return self._data

    @property
    def common_frac(self):
        """The fractional offset shared by every frame, or None."""
        f = self.frac
        # array methods, not np.all: this runs at every evaluation, and on a
        # few frames numpy's Python-level wrappers cost more than the test
        return float(f[0]) if (f == f[0]).all() else None

    @property
    def index(self):
        if self._index is None:
            self._index = self.start[:, None] + self.offsets.astype(np.intp)[None, :]
        return self._index


def gather_frames(x, positions, n_fft, *, data=True, scratch=False):
    """The frames of ``x`` (B, N) around ``positions`` (T,): a :class:`Frames`.

    The signal is copied once, padded with zeros (the frames themselves are
    read from it by the transforms). With ``data=False`` only the geometry
    is set up (``padded`` is None): the adjoint needs the positions, not the
    samples. With ``scratch=True`` the padded signal lives in this thread's
    reusable buffer (:mod:`skdstft._scratch`): for a caller that is done
    with the frames before it gathers again.
    """
    x = np.asarray(x)
    dtype = x.dtype
    n_samples = x.shape[-1]
    half = n_fft // 2
    positions = np.asarray(positions, dtype=np.float64)
    floor = np.floor(positions)
    frac = (positions - floor).astype(dtype)
    # A frame further than half a frame outside [0, N) only reads zeros; clamp
    # it there so that absurd positions cannot blow up the padding.
    floor = np.minimum(np.maximum(floor, -half - 1), n_samples + half).astype(np.intp)
    pad = n_fft + 1  # room for a clamped frame on either side
    padded = None
    if data:
        padded_shape = x.shape[:-1] + (n_samples + 2 * pad,)
        if scratch:
            padded = _scratch.scratch("padded", padded_shape, dtype)
            padded[..., :pad] = 0.0
            padded[..., pad + n_samples:] = 0.0
        else:
            padded = np.zeros(padded_shape, dtype=dtype)
        padded[..., pad:pad + n_samples] = x
    return Frames(padded, frac, frame_offsets(n_fft, dtype), floor + pad, pad, n_samples, dtype)


def _windowed_frames(frames, name, windows, t0=0, t1=None):
    """Frames ``t0 .. t1 - 1`` times each window of ``windows`` (W, K) (one
    window for every frame), (W, B, T1 - T0, K), in this thread's reusable
    buffer ``name``."""
    padded = frames.padded
    t1 = frames.frac.shape[0] if t1 is None else t1
    shape = (windows.shape[0],) + padded.shape[:-1] + (t1 - t0, windows.shape[1])
    out = _scratch.scratch(name, shape, frames.dtype)
    _kernels.gather(padded, frames.start, t0, windows, out)
    return out


def _as_2d(lam, dtype):
    lam = np.asarray(lam, dtype=dtype)
    if lam.ndim == 0:
        return lam.reshape(1, 1)
    if lam.ndim == 1:
        return lam.reshape(1, -1)
    return lam


def uses_fft_backend(win_length):
    """True when the window length does not vary along frequency."""
    shape = np.shape(win_length)
    return len(shape) < 2 or shape[0] == 1


def _complex_dtype(dtype):
    return np.complex64 if dtype == np.float32 else np.complex128


def _phase(n_fft, frac, dtype):
    """``e^{2 pi i k f_n / K}`` laid out (T, F), or None when every f_n = 0.

    A product of two short progressions in ``k = Q a + b`` (``Q ~ sqrt F``):
    about ``2 sqrt F`` complex exponentials per frame instead of ``F``. The
    result may be a strided view (rows padded to ``A Q >= F``).
    """
    if not frac.any():
        return None
    n_freqs = n_fft // 2 + 1
    q = int(np.ceil(np.sqrt(n_freqs)))
    n_a = -(-n_freqs // q)
    step = (2j * np.pi / n_fft) * frac.astype(np.float64)[:, None]   # (T, 1)
    coarse = np.exp(step * (q * np.arange(n_a)))                     # (T, A)
    fine = np.exp(step * np.arange(q))                               # (T, Q)
    phase = (coarse[:, :, None] * fine[:, None, :]).reshape(frac.shape[0], n_a * q)
    return phase[:, :n_freqs].astype(_complex_dtype(dtype), copy=False)


def windowed_transform(frames, win_length, window_fn, n_fft, *, chunk_bytes=DEFAULT_CHUNK_BYTES,
                       n_windows=None):
    """``U`` of the module docstring for a window function ``v``.

    Parameters
    ----------
    frames : Frames
        With their padded signals (``gather_frames(..., data=True)``).
    win_length : array broadcastable to (F, T)
    window_fn : callable ``(lam, frac, multiply=None) -> values``
        The windows (or one of their derivatives) of frames of lengths
        ``lam`` and fractional offsets ``frac`` (broadcasting, trailing axis
        1), sampled at the frame offsets in FFT order: shape ``(..., K)``, or
        multiplied into ``multiply`` in place
        (:func:`skdstft.windows.frame_windows` with its window, ``n_fft``,
        normalization and kind bound). For lengths varying in frequency it
        must be ``functools.partial(frame_windows, window, n_fft=...,
        normalization=..., kind=...)``: the compiled kernels read the window,
        normalization and kinds from it and evaluate the windows themselves.
    n_fft : int
    chunk_bytes : int
        Memory budget of the work arrays of the frequency-varying backend's
        direct route (windows without cosine coefficients).
    n_windows : int, optional
        When given, ``window_fn`` evaluates that many windows at once (a
        tuple of values, or ``multiply`` a tuple of arrays: ``frame_windows``
        with a tuple of kinds, which shares their trigonometry) and a tuple
        of transforms comes back, all from one reading of the frames.

    Returns
    -------
    U : complex ndarray (B, F, T), or a tuple of ``n_windows`` of them
    """
    many = n_windows is not None
    count = n_windows if many else 1
    dtype = frames.dtype
    lam = _as_2d(win_length, dtype)
    if lam.shape[0] != 1:
        outs = _kernels.forward(frames.padded, frames.start, frames.frac.astype(np.float64),
                                _full_lengths(lam, n_fft, frames), n_fft,
                                *_window_spec(window_fn, count), _complex_dtype(dtype), chunk_bytes)
        return outs if many else outs[0]
    windowed = _windows_into_frames(frames, lam, window_fn, n_fft, many, count, "windowed")
    phase = _phase(n_fft, frames.frac, dtype)
    outs = []
    for i in range(count):
        spec = scipy.fft.rfft(windowed[i], axis=-1, overwrite_x=True)  # (B, T, F)
        if phase is not None:
            spec *= phase  # in the FFT's own (T, F) layout
        outs.append(np.swapaxes(spec, -1, -2))
    return tuple(outs) if many else outs[0]


def _windows_into_frames(frames, lam, window_fn, n_fft, many, count, name, t0=0, t1=None):
    """Frames ``t0 .. t1 - 1`` times each of the ``count`` windows of
    ``window_fn`` for the lengths ``lam`` (1, T or 1): (count, B, T1 - T0, K)
    in the reusable buffer ``name``. One window for every frame (one length,
    one fractional offset) is multiplied in as the frames are read; windows
    that differ by frame are multiplied into the gathered frames."""
    dtype = frames.dtype
    t1 = frames.frac.shape[0] if t1 is None else t1
    common = frames.common_frac
    if lam.shape[1] == 1 and common is not None:
        ws = window_fn(lam[0], np.full(1, common, dtype))  # windows (K,)
        return _windowed_frames(frames, name, np.stack(ws if many else (ws,)), t0, t1)
    windowed = _windowed_frames(frames, name, np.ones((count, n_fft), dtype), t0, t1)
    _multiply_frame_windows(frames, lam, window_fn, n_fft, many, count, windowed, t0, t1)
    return windowed


def _multiply_frame_windows(frames, lam, window_fn, n_fft, many, count, target, t0, t1):
    """``target`` (count, B, T1 - T0, K) times the windows of frames ``t0 ..
    t1 - 1``, one per frame: cosine sums by the compiled rotation
    (:func:`skdstft._kernels.frame_windows`: no trigonometry per sample),
    other windows by ``window_fn``."""
    n_frames = frames.frac.shape[0]
    if _is_frame_windows(window_fn) and _kernels.uses_rotation(get_window(_window_arg(window_fn))):
        window, p, kinds = _window_spec(window_fn, count)
        lam_row = np.broadcast_to(lam.reshape(-1).astype(np.float64, copy=False), (n_frames,))
        _kernels.frame_windows(np.ascontiguousarray(lam_row), frames.frac.astype(np.float64), t0,
                               _kernels.cosine_coefficients(window), float(p),
                               np.array(kinds, np.int64), target)
        return
    lam_col = np.broadcast_to(lam.reshape(-1, 1), (n_frames, 1))[t0:t1]
    window_fn(lam_col, frames.frac[t0:t1, None], multiply=tuple(target) if many else target[0])


def _full_lengths(lam, n_fft, frames):
    """``lam`` (F or 1, T or 1) as a float64 (F, T) view for the kernels."""
    return np.broadcast_to(lam.astype(np.float64, copy=False),
                           (n_fft // 2 + 1, frames.frac.shape[0]))


def _is_frame_windows(window_fn):
    return isinstance(window_fn, functools.partial) and window_fn.func is frame_windows


def _window_arg(window_fn):
    return window_fn.args[0] if window_fn.args else window_fn.keywords["window"]


def _window_spec(window_fn, count):
    """``(window, p, kind codes)`` of a window function made by
    ``functools.partial(frame_windows, window, n_fft=..., normalization=..., kind=...)``
    (as :mod:`skdstft.autodiff` makes them): the compiled kernels evaluate
    the windows themselves."""
    if not _is_frame_windows(window_fn):
        raise TypeError("window_fn must be functools.partial(frame_windows, window, ...) for "
                        "lengths that vary in frequency")
    window = get_window(_window_arg(window_fn))
    kw = window_fn.keywords
    kinds = kw.get("kind", "value")
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if len(kinds) != count:
        raise ValueError(f"window_fn evaluates {len(kinds)} windows, n_windows asks for {count}")
    p = normalization_power(kw.get("normalization", "l1"))
    return window, p, tuple(_kernels.KINDS.index(k) for k in kinds)


# Frames per block of :func:`windowed_inner`: about 1 MB of float64 samples,
# so that each block's spectrum stays in cache until it is reduced.
_INNER_BLOCK_SAMPLES = 2**17


def windowed_inner(frames, win_length, window_fn, n_fft, cotangent):
    """``Re sum_{b,k} g * U`` for a window function ``v`` and lengths constant
    over frequency (a scalar or ``(1, T)``), without forming ``U``: the
    reduction a window-length gradient needs.

    ``window_fn`` and ``win_length`` as in :func:`windowed_transform`;
    ``cotangent`` ``g`` is complex (B, F, T). Blocks of frames are windowed,
    transformed and reduced against ``g`` one at a time in reusable buffers:
    the ``(B, F, T)`` transform is never held, so no fresh
    spectrogram-sized memory is touched (see docs/architecture.md on the
    cost of fresh memory).

    Returns a float when every frame has the same window (one length, one
    fractional offset), else the per-frame sums, shape (T,).
    """
    dtype = frames.dtype
    n_batch, n_frames = frames.padded.shape[0], frames.frac.shape[0]
    lam = _as_2d(win_length, dtype)
    shared = lam.size == 1 and frames.common_frac is not None
    if not shared:
        per_frame = np.empty(n_frames, dtype=np.float64)
    phase = _phase(n_fft, frames.frac, dtype)  # (T, F) or None
    g = np.swapaxes(cotangent, -1, -2)  # (B, T, F): the FFT's layout
    step = max(1, _INNER_BLOCK_SAMPLES // (n_batch * n_fft))
    # one window for every frame: evaluated once, not once per block
    window = window_fn(lam[0], np.full(1, frames.common_frac, dtype))[None] if shared else None
    total = 0.0
    for start in range(0, n_frames, step):
        sl = slice(start, min(start + step, n_frames))
        if shared:
            block = _windowed_frames(frames, "inner", window, sl.start, sl.stop)[0]
        else:
            block = _windows_into_frames(frames, lam, window_fn, n_fft, False, 1, "inner",
                                         sl.start, sl.stop)[0]
        # numpy's rfft writes into a reusable buffer (scipy's has no ``out``)
        spec = np.fft.rfft(block, axis=-1, out=_scratch.scratch(
            "inner_spec", block.shape[:-1] + (n_fft // 2 + 1,), _complex_dtype(dtype)))
        if phase is not None:
            spec *= phase[sl]
        if shared:
            total += real_dot(g[:, sl], spec)
        else:
            per_frame[sl] = np.einsum("btk,btk->t", g[:, sl], spec).real
    return total if shared else per_frame


def windowed_adjoint(frames, win_length, window_fn, n_fft, cotangent, *,
                     chunk_bytes=DEFAULT_CHUNK_BYTES):
    """Gradient of ``Re sum(g * U)`` with respect to the signal.

    ``U`` is linear in ``x``; this is its transpose applied to ``g``
    (``cotangent``, complex (B, F, T)), an overlap-add of windowed inverse
    transforms. Returns a real array (B, N).
    """
    dtype = frames.dtype
    lam = _as_2d(win_length, dtype)
    if lam.shape[0] != 1:
        window, p, _ = _window_spec(window_fn, 1)
        return _kernels.adjoint(cotangent, frames.start, frames.frac.astype(np.float64),
                                _full_lengths(lam, n_fft, frames), n_fft, window, p, frames.pad,
                                frames.n_samples, dtype, chunk_bytes)
    n_batch, n_frames = cotangent.shape[0], frames.frac.shape[0]
    n_freqs = n_fft // 2 + 1
    phase = _phase(n_fft, frames.frac, dtype)  # (T, F)
    common = frames.common_frac
    # r[n, m] = Re sum_{k=0}^{K/2} h[k, n] e^{-2 pi i k m / K}, h = g phase:
    # an inverse real FFT of conj(h) with the interior bins halved (irfft
    # doubles them), built in one (B, T, F) buffer
    c = np.empty((n_batch, n_frames, n_freqs), dtype=_complex_dtype(dtype))
    np.conjugate(np.swapaxes(cotangent, -1, -2), out=c)
    if phase is not None:
        c *= np.conj(phase)
    c[..., 1:n_freqs - 1] *= 0.5
    r = scipy.fft.irfft(c, n=n_fft, axis=-1, overwrite_x=True)  # (B, T, K)
    r *= n_fft
    if lam.shape[1] == 1 and common is not None:
        r *= window_fn(lam[0], np.full(1, common, dtype))
    else:
        _multiply_frame_windows(frames, lam, window_fn, n_fft, False, 1, r[None], 0, n_frames)
    return _overlap_add(frames, r.astype(dtype, copy=False))


def _overlap_add(frames, r):
    """Scatter-add frame contributions ``r`` (B, T, K) back onto the signal."""
    n_batch = r.shape[0]
    length = frames.n_samples + 2 * frames.pad
    idx = frames.index.ravel()
    out = np.empty((n_batch, frames.n_samples), dtype=r.dtype)
    for b in range(n_batch):
        acc = np.bincount(idx, weights=r[b].ravel(), minlength=length)
        out[b] = acc[frames.pad:frames.pad + frames.n_samples]
    return out
