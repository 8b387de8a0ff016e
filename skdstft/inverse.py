"""The inverse DSTFT: least-squares resynthesis from any spectrogram (math.md §7).

Given a complex ``S`` -- a DSTFT, or one that was masked or denoised and is
no longer the DSTFT of any signal -- :func:`idstft` returns the real signal
``x`` of ``n_samples`` samples that minimizes

    E(x) = sum_n sum_{k=0}^{K/2} c_k |S[k, n] - DSTFT(x)[k, n]|^2,
    c_0 = c_{K/2} = 1, c_k = 2 otherwise

(the error of the two-sided spectrum). Two solvers, chosen from the shape of
the window lengths:

* lengths constant in frequency (a scalar or ``(1, T)``): the error splits
  by frame, and the minimizer is the weighted overlap-add of the frames'
  inverse FFTs, weighted by the analysis windows and divided by the sum of
  the squared windows (:class:`_OverlapAdd`: one batched ``irfft``, no loop
  over frames);
* lengths varying in frequency (``(F, 1)``, ``(F, T)``): conjugate gradients
  on the normal equations ``Re(A^H C A) x = Re(A^H C S)`` with the Jacobi
  preconditioner ``diag(A^H C A)`` (:class:`_Iterative`), started from the
  overlap-add of the frame-averaged window.

Both see the forward transform ``A`` and its transpose only through
:class:`_Transform`, one adapter over the public differentiable transform
(:func:`skdstft.autodiff.dstft_unchecked` and autograd's VJP of it), so that
a change of the transform's internals does not reach this module.

The inverse is linear in ``S``; it is an autograd primitive whose VJP is the
adjoint of the inverse: ``c_k conj(A u)`` with ``u = N^{-1} g`` (``N`` the
normal matrix; for the overlap-add ``N`` is its diagonal).
"""

import warnings

import autograd.numpy as anp
import numpy as np
import scipy.fft
from autograd import make_vjp
from autograd.extend import defvjp, primitive
from autograd.tracer import getval

from . import _validation as val
from .autodiff import dstft_unchecked
from .positions import frame_positions
from .windows import frame_windows, get_window

__all__ = ["idstft"]

UNCOVERED = ("raise", "zero")

# Frames per block when the (F, T_chunk, K) windows of the Jacobi diagonal
# are evaluated: about 8 MB of float64 per block.
_DIAG_BLOCK_ELEMENTS = 2**20

# Conjugate gradients stop at a relative residual of tol / _TOL_MARGIN, so
# that ``tol`` bounds the relative error of x (as documented): that error is
# the residual amplified by the conditioning of the normal equations.
# Measured on random (F, T) lengths between 20 and 126 samples (n_fft 128):
# up to 3 times the residual; the margin leaves room for worse layouts.
_TOL_MARGIN = 100.0

# max_iter=None: the conjugate-gradient budget. With the Jacobi preconditioner
# the normal equations of a well-covered signal converge in tens of
# iterations; a budget this size only stops a stalled solve.
DEFAULT_MAX_ITER = 1000


def idstft(S, win_length, positions=None, *, n_samples, n_fft, window="hann",
           normalization="l1", uncovered="raise", tol=1e-10, max_iter=None):
    """The least-squares inverse of the DSTFT (math.md §7).

    Returns the real signal ``x`` whose DSTFT is closest to ``S`` in the
    squared error of the two-sided spectrum; when ``S`` is the DSTFT of a
    signal whose every sample lies inside some window, that signal itself
    (perfect reconstruction).

    Parameters
    ----------
    S : complex array of shape (F, T) or (B, F, T)
        Spectrogram(s), ``F = n_fft // 2 + 1`` bins, ``T`` frames, as
        :func:`skdstft.dstft` returns them (possibly modified). Must be finite.
        A real ``S`` is taken as complex with zero imaginary part; a real,
        non-negative one (a magnitude, ``abs(S)``, lost its phases) warns.
    win_length : float or array broadcastable to (F, T)
        The analysis window lengths in samples, as given to ``dstft``: a
        scalar or ``(1, T)`` (closed-form overlap-add), ``(F, 1)`` or
        ``(F, T)`` (conjugate gradients). An array constant along frequency
        takes the closed form too.
    positions : array of shape (T,), optional
        Frame centres in samples (real, strictly increasing). Default: a hop
        of ``n_fft // 4`` from 0 (as ``dstft``), which must give ``T`` frames.
    n_samples : int
        Length ``N`` of the signal to return (>= 1).
    n_fft : int
        DFT size (even, >= 4).
    window : str or Window
        Base window (as for ``dstft``).
    normalization : {"l1", "l2", None}
        Window scaling (math.md §1), as for ``dstft``.
    uncovered : {"raise", "zero"}
        A sample that no window reaches (window weight below rounding level)
        cannot be recovered: ``"raise"`` (default) raises ``ValueError``
        naming the first such range; ``"zero"`` returns 0 there.
    tol : float
        Frequency-varying lengths only: the relative accuracy sought for
        ``x``. Conjugate gradients stop when the residual of the normal
        equations is at most ``tol / 100`` times its right-hand side
        (2-norms), a margin for their conditioning.
    max_iter : int, optional
        Frequency-varying lengths only: iteration budget of conjugate
        gradients (default 1000). When it runs out first, a
        ``ConvergenceWarning`` names the relative residual reached.

    Returns
    -------
    x : real ndarray of shape (n_samples,) or (B, n_samples)
        float32 for complex64 (or float32) ``S``, else float64. The
        frequency-varying solver iterates in float64 in either case.

    Notes
    -----
    Linear in ``S`` and differentiable with autograd with respect to ``S``
    (an autograd primitive whose VJP is the adjoint of the inverse; for
    frequency-varying lengths it costs one more solve). The window lengths
    and positions are constants here.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import dstft, idstft
    >>> x = np.random.default_rng(0).standard_normal(1000)
    >>> positions = np.arange(-0.5, 1000, 31.5)
    >>> S = dstft(x, 120.0, positions, n_fft=128)
    >>> y = idstft(S, 120.0, positions, n_samples=1000, n_fft=128)
    >>> bool(np.max(np.abs(y - x)) < 1e-10)
    True
    """
    for name, value in (("win_length", win_length), ("positions", positions)):
        val.check_constant(value, name, "idstft is differentiable with respect to S only")
    n_fft = val.check_n_fft(n_fft)
    window = get_window(window)
    val.check_normalization(normalization)
    n_samples = val.check_int(n_samples, "n_samples", min_value=1)
    val.check_choice(uncovered, "uncovered", UNCOVERED)
    tol = val.check_real(tol, "tol", low=0.0, low_open=True)
    max_iter = DEFAULT_MAX_ITER if max_iter is None else val.check_int(max_iter, "max_iter",
                                                                       min_value=1)
    S = val.check_inverse_spectrogram(S, n_fft)
    _warn_if_magnitudes(getval(S))
    n_frames = np.shape(getval(S))[-1]
    default_hop = None
    if positions is None:
        default_hop = n_fft // 4
        positions = frame_positions(n_samples, default_hop)
    positions = val.check_positions(positions)
    val.check_frame_count(positions.shape[0], n_frames, default_hop=default_hop)
    lam = val.check_win_length(win_length, n_fft, n_frames)
    dtype = np.float32 if getval(S).dtype in (np.complex64, np.float32) else np.float64
    plan = make_plan(lam, positions, n_samples=n_samples, n_fft=n_fft, window=window,
                     normalization=normalization, uncovered=uncovered, tol=tol,
                     max_iter=max_iter, dtype=dtype)
    if getval(S) is S:  # a box stays as it is: the VJP returns the gradient in its dtype
        S = np.asarray(S, dtype=plan.complex_dtype)
    single = np.ndim(getval(S)) == 2
    Sb = anp.reshape(S, (1,) + np.shape(getval(S))) if single else S
    x = _inverse(Sb, plan)
    return anp.reshape(x, (n_samples,)) if single else x


def _warn_if_magnitudes(S):
    """A real S is a valid input (phases 0 or pi), but a real S with no
    negative value is almost always ``abs(S)``: its inverse is not the
    signal, and nothing else would say so."""
    S = np.asarray(S)
    if not np.iscomplexobj(S) and S.min() >= 0 and S.max() > 0:
        warnings.warn("idstft: S is real and non-negative, a magnitude spectrogram? The inverse "
                      "needs the complex spectrogram (its phases); a magnitude is inverted as if "
                      "every phase were 0", UserWarning, stacklevel=3)


def make_plan(win_length, positions, *, n_samples, n_fft, window, normalization,
              uncovered="raise", tol=1e-10, max_iter=DEFAULT_MAX_ITER, dtype=np.float64):
    """The solver for a geometry (checked inputs): an object with
    ``solve(S) -> x`` ((B, F, T) -> (B, N)) and ``adjoint(g) -> (B, F, T)``
    (the VJP of ``solve``). Lengths constant along frequency get the
    overlap-add, the others conjugate gradients."""
    lam = _collapse(np.asarray(win_length, dtype=np.float64))
    if lam.ndim < 2 or lam.shape[0] == 1:
        return _OverlapAdd(lam, positions, n_samples, n_fft, window, normalization, uncovered,
                           dtype)
    return _Iterative(lam, positions, n_samples, n_fft, window, normalization, uncovered,
                      tol, max_iter, dtype)


def _collapse(lam):
    """Drop the axes along which the lengths do not vary: an (F, T) array
    of identical rows is a time-varying window, and the closed form applies."""
    if lam.ndim == 2 and lam.shape[0] > 1 and (lam == lam[:1]).all():
        lam = lam[:1]
    if lam.ndim == 2 and lam.shape[1] == 1 and lam.shape[0] == 1:
        lam = lam.reshape(())
    return lam


def _two_sided_weights(n_fft, dtype=np.float64):
    """``c_k`` (F,): 1 for the DC and Nyquist bins, 2 for the others."""
    c = np.full(n_fft // 2 + 1, 2.0, dtype=dtype)
    c[0] = c[-1] = 1.0
    return c


def _complex(dtype):
    return np.complex64 if dtype == np.float32 else np.complex128


# --------------------------------------------------------------------------- #
# the autograd primitive
# --------------------------------------------------------------------------- #
@primitive
def _inverse(S, plan):
    """(B, F, T) -> (B, N) real: the least-squares inverse of ``plan``."""
    return plan.solve(S)


def _inverse_vjp(ans, S, plan):
    def vjp(g):
        grad = plan.adjoint(np.asarray(g))
        # a real S gets dL/dS, the real part of autograd's dL/dRe S - i dL/dIm S
        return (grad if np.iscomplexobj(S) else grad.real).astype(S.dtype, copy=False)
    return vjp


defvjp(_inverse, _inverse_vjp)


# --------------------------------------------------------------------------- #
# the forward transform and its transpose, as the inverse sees them
# --------------------------------------------------------------------------- #
class _Transform:
    """The DSTFT ``A`` of one geometry as a linear map of real (B, N) signals,
    and its transpose. The one place where this module calls the transform:
    ``forward`` is :func:`~skdstft.autodiff.dstft_unchecked`, ``transpose``
    autograd's VJP of it with respect to the signal (``Re(A^T g)``, an
    overlap-add, math.md §4), recorded once at zero and replayed (the map is
    linear, so the VJP does not depend on the point)."""

    def __init__(self, win_length, positions, n_samples, n_fft, window, normalization,
                 n_batch=1, dtype=np.float64):
        def forward(x):
            return dstft_unchecked(x, win_length, positions, n_fft=n_fft, window=window,
                                   normalization=normalization)

        self.forward = forward
        self._vjp = None
        self._zero = np.zeros((n_batch, n_samples), dtype=dtype)

    def transpose(self, g):
        """``Re(A^T g)``: ``g`` complex (B, F, T) -> real (B, N)."""
        if self._vjp is None:
            self._vjp, _ = make_vjp(self.forward)(self._zero)
        return self._vjp(g)


# --------------------------------------------------------------------------- #
# overlap-add: lengths constant in frequency
# --------------------------------------------------------------------------- #
def _overlap_add(r, floor, n_samples, out=None):
    """``x[b, floor_n + m_j] += r[b, n, j]`` with ``m_j`` the frame offsets
    in FFT order (``0..K/2-1, -K/2..-1``), for samples in ``[0, N)``.

    ``r`` is (B, T, K) (it may be a broadcast view). With evenly spaced
    integer frame starts (a constant integer hop) each half frame is added
    as a few strided blocks of ``hop`` columns, all frames at once;
    otherwise one ``bincount`` per batch row. Returns float64 (B, N) (or
    adds into ``out``)."""
    n_batch, n_frames, n_fft = r.shape
    half = n_fft // 2
    if out is None:
        out = np.zeros((n_batch, n_samples))
    step = int(floor[1] - floor[0]) if n_frames > 1 else 1
    uniform = step > 0 and (n_frames < 3 or (np.diff(floor) == step).all())
    if not uniform:
        offsets = np.concatenate([np.arange(half), np.arange(-half, 0)])
        idx = (np.clip(floor[:, None] + offsets[None, :], -1, n_samples) + 1).ravel()
        for b in range(n_batch):
            out[b] += np.bincount(idx, weights=r[b].ravel(), minlength=n_samples + 2)[1:-1]
        return out
    # a buffer holding every frame whole: sample p at index p - lo
    lo = int(floor[0]) - half
    span = (n_frames - 1) * step + n_fft
    buf = np.zeros((n_batch, span + step))  # + step: room for the last block's stride view
    for first, cols in ((half, slice(0, half)), (0, slice(half, n_fft))):  # offsets 0.., -K/2..
        part = r[:, :, cols]
        for c in range(0, half, step):
            width = min(step, half - c)
            view = np.lib.stride_tricks.as_strided(
                buf[:, first + c:], (n_batch, n_frames, width),
                (buf.strides[0], step * buf.strides[1], buf.strides[1]))
            view += part[:, :, c:c + width]
    a, b = max(0, lo), min(n_samples, lo + span)
    if a < b:
        out[:, a:b] += buf[:, a - lo:b - lo]
    return out


def _phase_conj(n_fft, frac, dtype):
    """``e^{-2 pi i k f_n / K}`` laid out (T, F), or None when every f_n = 0;
    a product of two short progressions in ``k`` (about ``2 sqrt F``
    exponentials per frame instead of ``F``)."""
    if not frac.any():
        return None
    n_freqs = n_fft // 2 + 1
    q = int(np.ceil(np.sqrt(n_freqs)))
    n_a = -(-n_freqs // q)
    step = (-2j * np.pi / n_fft) * frac[:, None]
    phase = (np.exp(step * (q * np.arange(n_a)))[:, :, None]
             * np.exp(step * np.arange(q))[:, None, :]).reshape(frac.shape[0], n_a * q)
    return phase[:, :n_freqs].astype(_complex(dtype))


def _coverage(den, dtype):
    """Samples some window reaches: a squared-window weight above rounding
    noise (a window evaluated at its own edge may round to ~eps instead of
    0, whose square must not pass for coverage)."""
    scale = den.max() if den.size else 0.0
    return den > (16 * np.finfo(dtype).eps) ** 2 * scale


def _raise_uncovered(covered, n_samples):
    bad = np.flatnonzero(~covered)
    first = int(bad[0])
    gaps = np.flatnonzero(np.diff(bad) > 1)
    last = int(bad[gaps[0]]) if gaps.size else int(bad[-1])
    raise ValueError(
        f"samples {first}..{last} (of n_samples={n_samples}; {bad.size} in all) lie in no "
        "window, so S does not determine them: check win_length, positions and n_samples, "
        "or pass uncovered='zero' to return 0 there")


class _OverlapAdd:
    """Closed-form inverse for lengths constant in frequency (math.md §7):
    ``x[p] = sum_n w_n(p - t_n) y_n[p - floor(t_n)] / sum_n w_n(p - t_n)^2`` with
    ``y_n = irfft(S[:, n] e^{-2 pi i k f_n / K})``."""

    def __init__(self, lam, positions, n_samples, n_fft, window, normalization, uncovered,
                 dtype):
        self.dtype = np.dtype(dtype)
        self.complex_dtype = np.dtype(_complex(self.dtype))
        self.n_samples, self.n_fft = n_samples, n_fft
        self.geometry = (lam, positions, n_samples, n_fft, window, normalization)
        positions = np.asarray(positions, dtype=np.float64)
        floor = np.floor(positions)
        self.frac = positions - floor
        # a frame further than a frame outside [0, N) only touches zeros: clamping it
        # keeps the index arithmetic bounded and leaves the result unchanged
        self.floor = np.clip(floor, -n_fft - 1, n_samples + n_fft).astype(np.intp)
        n_frames = positions.shape[0]
        frac = self.frac.astype(self.dtype)
        if lam.ndim == 0 and (self.frac == self.frac[0]).all():
            w = frame_windows(window, lam.astype(self.dtype).reshape(1), frac[:1], n_fft,
                              normalization)  # (K,) shared by every frame
            self.windows = w[None, None, :]
            w2 = np.broadcast_to((w.astype(np.float64) ** 2)[None, None, :],
                                 (1, n_frames, n_fft))
        else:
            lam_col = np.broadcast_to(lam.astype(self.dtype).reshape(-1, 1), (n_frames, 1))
            w = frame_windows(window, lam_col, frac[:, None], n_fft, normalization)  # (T, K)
            self.windows = w[None]
            w2 = (w.astype(np.float64) ** 2)[None]
        self.den = _overlap_add(w2, self.floor, n_samples)[0]
        self.covered = _coverage(self.den, self.dtype)
        if uncovered == "raise" and not self.covered.all():
            _raise_uncovered(self.covered, n_samples)
        self.inv_den = np.zeros(n_samples)
        np.divide(1.0, self.den, out=self.inv_den, where=self.covered)
        self.phase = _phase_conj(n_fft, self.frac, self.dtype)
        self._transform = None

    def solve(self, S):
        spec = np.swapaxes(S, -1, -2)  # (B, T, F), the FFT's layout
        if self.phase is not None:
            spec = spec * self.phase
        frames = scipy.fft.irfft(spec, n=self.n_fft, axis=-1,
                                 overwrite_x=self.phase is not None)  # (B, T, K)
        frames *= self.windows
        x = _overlap_add(frames, self.floor, self.n_samples)
        x *= self.inv_den
        return x.astype(self.dtype, copy=False)

    def adjoint(self, g):
        """VJP of :meth:`solve`: ``c_k conj(A u)``, ``u = g / (K sum w^2)``."""
        if self._transform is None:
            self._transform = _Transform(*self.geometry)
        u = (np.asarray(g, dtype=np.float64) * (self.inv_den / self.n_fft)).astype(self.dtype)
        return _two_sided_weights(self.n_fft)[:, None] * np.conj(self._transform.forward(u))


# --------------------------------------------------------------------------- #
# conjugate gradients: lengths varying in frequency
# --------------------------------------------------------------------------- #
class _Iterative:
    """Least squares for lengths varying in frequency (math.md §7): conjugate
    gradients on ``Re(A^H C A) x = Re(A^H C S)`` over the covered samples,
    Jacobi-preconditioned, from the overlap-add of the frame-averaged
    window. Iterates in float64."""

    def __init__(self, lam, positions, n_samples, n_fft, window, normalization, uncovered,
                 tol, max_iter, dtype):
        import scipy.sparse.linalg  # here, not at `import skdstft`: it takes a while to load

        self.dtype = np.dtype(dtype)
        self.complex_dtype = np.dtype(_complex(self.dtype))
        self.n_samples, self.n_fft = n_samples, n_fft
        self.tol, self.max_iter = tol, max_iter
        positions = np.asarray(positions, dtype=np.float64)
        n_freqs, n_frames = n_fft // 2 + 1, positions.shape[0]
        self.c = _two_sided_weights(n_fft)[:, None]  # (F, 1)
        self.transform = _Transform(lam, positions, n_samples, n_fft, window, normalization)
        self.diag = self._diagonal(np.broadcast_to(lam, (n_freqs, n_frames)), positions,
                                   window, normalization)
        self.covered = _coverage(self.diag, np.float64)
        if uncovered == "raise" and not self.covered.all():
            _raise_uncovered(self.covered, n_samples)
        self.inv_diag = np.zeros(n_samples)
        np.divide(1.0, self.diag, out=self.inv_diag, where=self.covered)
        # start: the overlap-add of the frame-averaged window (zero where it reaches nothing)
        self.start = _OverlapAdd(lam.mean(axis=0), positions, n_samples, n_fft, window,
                                 normalization, "zero", np.float64)
        n = n_samples
        self.normal = scipy.sparse.linalg.LinearOperator((n, n), matvec=self._normal,
                                                         dtype=np.float64)
        self.precond = scipy.sparse.linalg.LinearOperator(
            (n, n), matvec=lambda v: self.inv_diag * np.ravel(v), dtype=np.float64)
        self._cg = scipy.sparse.linalg.cg
        self.n_iter = []

    def _diagonal(self, lam, positions, window, normalization):
        """``sum_n sum_k c_k w_{lam[k,n]}(p - t_n)^2`` (N,), frames in blocks."""
        n_freqs, n_frames = lam.shape
        floor = np.floor(positions)
        frac = positions - floor
        K = self.n_fft
        per_frame = np.empty((1, n_frames, K))
        step = max(1, _DIAG_BLOCK_ELEMENTS // (n_freqs * K))
        c = self.c[:, 0]
        for start in range(0, n_frames, step):
            sl = slice(start, min(start + step, n_frames))
            w = frame_windows(window, lam[:, sl, None], frac[None, sl, None], K,
                              normalization)  # (F, Tc, K)
            per_frame[0, sl] = np.einsum("f,ftk->tk", c, w * w)
        floor = np.clip(floor, -K - 1, self.n_samples + K).astype(np.intp)
        return _overlap_add(per_frame, floor, self.n_samples)[0]

    def _normal(self, x):
        """``Re(A^H C A) x`` on the covered samples (0 elsewhere)."""
        x = np.where(self.covered, np.ravel(x), 0.0)[None]
        y = self.transform.transpose(self.c * np.conj(self.transform.forward(x)))[0]
        y[~self.covered] = 0.0
        return y

    def _rhs(self, S):
        """``Re(A^H C S)`` (B, N) for S (B, F, T)."""
        g = self.c * np.conj(np.asarray(S, dtype=np.complex128))
        b = np.stack([self.transform.transpose(gb[None])[0] for gb in g])
        b[:, ~self.covered] = 0.0
        return b

    def _solve_normal(self, b, x0):
        """Solve ``N x = b`` row by row; warn when ``max_iter`` stops first."""
        x = np.empty_like(b)
        for i, (bi, x0i) in enumerate(zip(b, x0)):
            # the system is linear: solve it at unit scale, where conjugate gradients'
            # inner products neither overflow (|S| ~ 1e200: NaN after max_iter) nor
            # underflow (|S| ~ 1e-200: a zero norm, x = 0)
            scale = np.max(np.abs(bi))
            if scale == 0:
                x[i] = 0.0
                continue
            bi, x0i = bi / scale, x0i / scale
            norm_b = np.linalg.norm(bi)
            count = [0]

            def callback(xk, count=count):
                count[0] += 1

            xi, info = self._cg(
                self.normal, bi, x0=np.where(self.covered, x0i, 0.0), rtol=self.tol / _TOL_MARGIN,
                atol=0.0, maxiter=self.max_iter, M=self.precond, callback=callback)
            self.n_iter.append(count[0])
            if info != 0:
                residual = np.linalg.norm(bi - self._normal(xi)) / norm_b
                from sklearn.exceptions import ConvergenceWarning

                warnings.warn(
                    f"idstft: conjugate gradients stopped at max_iter={self.max_iter} with a "
                    f"relative residual of {residual:.3g} (sought: tol / {_TOL_MARGIN:g} = "
                    f"{self.tol / _TOL_MARGIN:.3g}); the result is "
                    "an approximation. Raise max_iter or tol.", ConvergenceWarning, stacklevel=4)
            x[i] = xi * scale
        return x

    def solve(self, S):
        b = self._rhs(S)
        x0 = self.start.solve(np.asarray(S, dtype=np.complex128))
        return self._solve_normal(b, x0).astype(self.dtype, copy=False)

    def adjoint(self, g):
        """VJP of :meth:`solve`: ``c_k conj(A u)`` with ``N u = g``."""
        g = np.where(self.covered, np.asarray(g, dtype=np.float64), 0.0)
        u = self._solve_normal(g, g * self.inv_diag)
        return self.c * np.conj(self.transform.forward(u))
