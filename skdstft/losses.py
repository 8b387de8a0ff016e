"""Criteria on a DSTFT, written in ``autograd.numpy`` (math.md §5).

Every spectral criterion works on ``A = |S|**power`` of a complex spectrogram
``S`` of shape ``(F, T)`` or a batch ``(B, F, T)``.

Numerical guards (documented once, used everywhere):

* Entropies, the kurtosis and the frequency estimate are invariant to the
  scale of ``S``, so ``|S|`` is first divided by a constant (its largest
  value per signal, taken outside the gradient tape). This changes neither
  the value nor the gradient, and keeps ``|S|**4`` finite for amplitudes from
  1e-30 to 1e+30, in float32 too.
* ``d|S|/dS`` at ``S = 0`` is taken as 0 (autograd's ``abs`` does so).
* A denominator that vanishes only on an all-zero signal or frame is replaced
  by 1 there (``where``): an all-zero input gives entropy 0, kurtosis 0 and
  frequency 0, with finite gradients; elsewhere the formulas are exact.
* The Shannon entropy uses ``p log(p + eps)`` (``eps = 1e-12``) so that empty
  bins have a finite derivative.
* With ``power < 1``, ``d(|S|**power)/d|S|`` is infinite at ``|S| = 0``; it is
  taken as 0 there (``where``), so that silent frames or bins (an all-zero
  signal, frames beyond the ends of a signal) keep every gradient finite.
* ``S`` itself must be finite: a NaN or inf raises ``ValueError``
  (the zero guards above would otherwise turn a NaN into a finite value).
"""

import threading

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import getval, isbox

from . import _kernels, _scratch
from ._validation import (
    check_band,
    check_band_bins,
    check_choice,
    check_int,
    check_lengths,
    check_lengths_per_frame,
    check_positions,
    check_real,
    check_spectrogram,
)

__all__ = [
    "shannon_entropy",
    "renyi_entropy",
    "frame_kurtosis",
    "coverage_penalty",
    "smoothness",
    "frequency_estimate",
]

EPS = 1e-12


def _scaled_magnitude(S, power, axes=(-2, -1)):
    """``(|S| / c)**power`` with ``c`` the max of ``|S|`` over ``axes`` (a constant).

    Every criterion here is invariant to a constant scale of each of its
    distributions, so ``axes`` are the distribution's own: the whole plane,
    or each frame for per-frame criteria. A frame far below the signal's
    peak (1e-250 of it) would otherwise underflow: its ``A**power``, or the
    square of its sum in the quotient rule's gradient, would reach 0.
    """
    power = check_real(power, "power", low=0.0, low_open=True)
    S = check_spectrogram(S)
    val = getval(S)
    c = np.max(np.abs(val), axis=axes, keepdims=True)
    c = np.where(c > 0, c, 1.0).astype(np.abs(val).dtype)
    mag = anp.abs(S) / c
    if power == 1:
        return mag
    if power < 1:  # infinite slope at 0: take it as 0 there (module docstring)
        nonzero = getval(mag) > 0
        return anp.where(nonzero, anp.where(nonzero, mag, 1.0) ** power, 0.0)
    return mag**power


def _safe(den):
    """``den`` with its zeros replaced by 1 (only all-zero inputs have them)."""
    return anp.where(den > 0, den, 1.0)


SCOPES = ("global", "frame")
"""What a criterion's distribution covers: the whole plane, or each frame."""


def _axes(scope):
    scope = check_choice(scope, "scope", SCOPES)
    return (-2, -1) if scope == "global" else (-2,)


def _finish(values, scope):
    """Average per-frame values over frames; a float for a single spectrogram."""
    shape = anp.shape(values)
    if scope == "frame":
        return anp.mean(anp.reshape(values, shape[:-2] + shape[-1:]), axis=-1)
    return anp.reshape(values, shape[:-2])


def shannon_entropy(S, power=1, scope="global", eps=EPS):
    """Shannon entropy of the normalized spectrogram (paper Eq. 26).

    ``p = A / sum A`` with ``A = |S|**power``; ``H = -sum p log(p + eps)``.
    Lower means a sharper, more concentrated representation.

    Parameters
    ----------
    S : complex array (F, T) or (B, F, T)
    power : float > 0
        1 (default, the magnitude) or 2 (the power spectrogram).
    scope : {"global", "frame"}
        One distribution over the whole plane (the paper's), or the mean of
        per-frame entropies (each frame normalized to unit mass; an all-zero
        frame contributes 0) -- unbiased when window lengths vary by frame.
    eps : float

    Returns
    -------
    float, or array (B,) for a batch. Nats.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((4, 3), complex); S[1, :] = 1.0
    >>> round(float(shannon_entropy(S)), 6)  # 3 equal bins: log 3
    1.098612
    """
    axes = _axes(scope)
    power = check_real(power, "power", low=0.0, low_open=True)
    eps = check_real(eps, "eps", low=0.0)
    # With power >= 1 a NaN or inf in S always reaches h (the max, then every
    # p, is NaN): checking h spares a pass over S. With power < 1 the guard
    # that takes 0**power as 0 also turns a NaN magnitude into 0, so S itself
    # is checked. Either way the ValueError comes out alone, without a
    # RuntimeWarning from the arithmetic on the NaN.
    S = check_spectrogram(S, finite=power < 1)
    h = _shannon_core(S, power, axes, eps, isbox(S))  # (...,)
    if not np.isfinite(getval(h)).all():
        raise ValueError("S must be finite, but S contains NaN or infinite values")
    return h


# The statistics of the last entropy evaluated while being differentiated
# (a few numbers per group, and |S| / c and log u per bin in the bytes of
# the cotangent-to-be), so that autograd's gradient set-up, which runs
# right after the value with the same array, does not recompute them.
# Thread-local: joblib's threading backend may run several optimizations at
# once. A value computed without differentiation leaves nothing here.
_LAST = threading.local()


def _groups(S):
    """``S`` as (G, F, T) (a view when its layout allows)."""
    return S.reshape((-1,) + S.shape[-2:])


@primitive
def _shannon_core(S, power, axes, eps, traced=False):
    """The entropy per signal, (...,): over the plane (``axes = (-2, -1)``)
    or the mean of the per-frame entropies (``axes = (-2,)``), from the
    compiled statistics (:func:`skdstft._kernels.entropy_stats`: the guards
    of the module docstring, in float64)."""
    frame = axes == (-2,)
    G = _groups(S)
    # the per-bin work (|S| / c, log u) serves the gradient when it follows,
    # in the cotangent's own bytes; a value alone keeps it in this thread's
    # reusable buffer
    work = None if traced else _scratch.scratch("entropy", (G.shape[0], G.shape[2], G.shape[1]),
                                                np.complex128)
    stats = _kernels.entropy_stats(G, power, eps, frame, work)
    if traced:
        _LAST.key, _LAST.stats = (S, power, axes, eps), stats
    _, tot, slog, _, _ = stats
    h = np.log(tot) - slog / tot
    h = h.mean(axis=-1) if frame else h[:, 0]
    real = np.abs(np.zeros(1, dtype=S.dtype)).dtype
    return h.astype(real if real.kind == "f" else np.float64).reshape(S.shape[:-2])


def _shannon_core_vjp(ans, S, power, axes, eps, traced=False):
    key = getattr(_LAST, "key", None)
    frame = axes == (-2,)
    if key is not None and key[0] is S and key[1:] == (power, axes, eps):
        handed = [_LAST.stats]
    else:
        handed = [None]
    _LAST.key = _LAST.stats = None

    def vjp(g):
        weight = np.broadcast_to(np.asarray(g, dtype=np.float64), S.shape[:-2]).reshape(-1)
        if frame:  # the mean over frames
            weight = weight / S.shape[-1]
        # the first backward pass writes the cotangent over the statistics'
        # work; another one (autograd's jacobian runs one per output) recomputes them
        stats = handed[0]
        handed[0] = None
        if stats is None:
            stats = _kernels.entropy_stats(_groups(S), power, eps, frame)
        return _kernels.entropy_cotangent(_groups(S), power, eps, frame, stats, weight,
                                          in_place=True).reshape(S.shape)
    return vjp


defvjp(_shannon_core, _shannon_core_vjp)


def mean_shannon_entropy_and_vjp(S, power=1, scope="global", eps=EPS):
    """The mean over signals of :func:`shannon_entropy` of a plain array ``S``
    (B, F, T), and a function returning its gradient with respect to ``S``
    (in autograd's convention) -- the same primitive and gradient, without
    autograd's tape, for an optimizer's inner loop that chains the VJPs itself.
    """
    axes = _axes(scope)
    power = check_real(power, "power", low=0.0, low_open=True)
    h = _shannon_core.fun(S, power, axes, eps, True)  # hands its statistics to the VJP below
    vjp = _shannon_core_vjp(h, S, power, axes, eps, True)
    if not np.isfinite(h).all():
        raise ValueError("S must be finite, but S contains NaN or infinite values")
    weight = np.full(h.shape, 1.0 / max(h.size, 1))  # a mean over signals
    return float(np.mean(h)), lambda: vjp(weight)


def renyi_entropy(S, alpha=3, power=1, scope="global"):
    """Rényi entropy of order ``alpha``: ``log(sum p**alpha) / (1 - alpha)``.

    Same ``p``, ``power`` and ``scope`` as :func:`shannon_entropy`;
    ``alpha > 0`` and ``alpha != 1`` (use the Shannon entropy for 1).

    Returns
    -------
    float, or array (B,) for a batch. Nats.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((4, 3), complex); S[1, :] = 1.0
    >>> round(float(renyi_entropy(S)), 6)  # uniform over 3 bins: log 3
    1.098612
    """
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True,
                       exclude=(1.0, "the limit is shannon_entropy"))
    axes = _axes(scope)
    A = _scaled_magnitude(S, power, axes)
    p = A / _safe(anp.sum(A, axis=axes, keepdims=True))
    # p**alpha has an infinite slope at 0 when alpha < 1
    moment = anp.sum((p if alpha > 1 else p + EPS) ** alpha, axis=axes, keepdims=True)
    h = anp.log(_safe(moment)) / (1.0 - alpha)
    return _finish(h, scope)


def frame_kurtosis(S, power=1):
    """Per-frame spectral kurtosis (paper Eq. 29-30, Zhao et al. 2021).

    ``kappa_n = F * sum_k A[k,n]**4 / (sum_k A[k,n]**2)**2``, ``A = |S|**power``:
    F for a single peak, about 1 for a flat spectrum; 0 for an all-zero frame.
    The representation loss is ``-mean(kappa)``.

    Returns
    -------
    array (T,) or (B, T)

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((5, 2), complex); S[2, :] = 3.0
    >>> frame_kurtosis(S)
    array([5., 5.])
    """
    A = _scaled_magnitude(S, power, axes=(-2,))  # per frame: kappa_n ignores a frame's scale
    n_freqs = anp.shape(A)[-2]
    A2 = A * A
    den = anp.sum(A2, axis=-2) ** 2
    return n_freqs * anp.sum(A2 * A2, axis=-2) / _safe(den)


def frequency_estimate(S, fs=1.0, band=None, harmonic=1, power=2):
    """Spectral-centroid frequency per frame (paper Eq. 34).

    ``f_hat_n = df * sum_k k A[k,n] / sum_k A[k,n]`` with ``df = fs / K``,
    ``K = 2 (F - 1)``, over the bins whose frequency lies in ``band``
    (inclusive), divided by ``harmonic``. 0 for a silent frame (or band).

    Parameters
    ----------
    S : complex array (F, T) or (B, F, T)
    fs : float
        Sampling rate (Hz); the estimate is in Hz (cycles/sample for 1).
    band : (f_min, f_max), optional
    harmonic : int >= 1
        Index of the harmonic inside ``band``; the estimate is divided by it.
    power : float > 0
        Exponent of ``|S|`` (2: a power-weighted centroid).

    Returns
    -------
    array (T,) or (B, T), Hz.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((5, 1), complex); S[3, 0] = 1.0   # K = 8, fs = 8: bin 3 = 3 Hz
    >>> frequency_estimate(S, fs=8.0)
    array([3.])
    """
    fs = check_real(fs, "fs", low=0.0, low_open=True)
    harmonic = check_int(harmonic, "harmonic", min_value=1)
    band = check_band(band)
    A = _scaled_magnitude(S, power, axes=(-2,))  # per frame: a centroid ignores the frame's scale
    n_freqs = anp.shape(A)[-2]
    df = fs / (2.0 * (n_freqs - 1))
    freqs = df * np.arange(n_freqs)
    if band is not None:
        mask = check_band_bins(band, freqs)
        weights = np.where(mask, freqs, 0.0)[:, None]
        A = A * mask[:, None]
    else:
        weights = freqs[:, None]
    num = anp.sum(weights * A, axis=-2)
    return num / _safe(anp.sum(A, axis=-2)) / harmonic


def coverage_penalty(positions, win_lengths, n_samples, min_overlap=0.5):
    """Penalty for frames that do not cover the signal (paper Eq. 31-32).

    With ``rho = min_overlap`` and ``lam_n`` the length of frame ``n`` (for
    lengths varying in frequency too, the frame's shortest window), the gap
    ``g_n = (t_{n+1} - t_n) - (1 - rho) (lam_n + lam_{n+1}) / 2`` and

    ``C = (sum relu(g_n)**2 + relu(t_0 - (1 - rho) lam_0 / 2)**2
    + relu(N - 1 - t_{T-1} - (1 - rho) lam_{T-1} / 2)**2) / N``.

    Zero when consecutive windows overlap by at least ``rho`` and the ends
    are covered; smooth in positions and lengths.

    Parameters
    ----------
    positions : array (T,)
    win_lengths : float, array (T,), (1, T), (F, 1) or (F, T)
    n_samples : int
    min_overlap : float in [0, 1)

    Returns
    -------
    float (samples**2 / sample: unit-free up to the 1/N scaling)

    Examples
    --------
    >>> import numpy as np
    >>> float(coverage_penalty(np.array([0., 4., 8.]), 8.0, 9))
    0.0
    >>> float(coverage_penalty(np.array([0., 10.]), 8.0, 11))
    3.272727272727273
    """
    rho = check_real(min_overlap, "min_overlap", low=0.0, high=1.0, high_open=True)
    n_samples = check_real(n_samples, "n_samples", low=0.0, low_open=True)
    pos_val = check_positions(positions)
    if not isinstance(getval(positions), np.ndarray):
        positions = pos_val  # a list
    n_frames = pos_val.shape[0]
    lam_val = check_lengths(win_lengths, "win_lengths")
    if not isinstance(getval(win_lengths), (np.ndarray, float, int, np.number)):
        win_lengths = lam_val.astype(float)
    check_lengths_per_frame(lam_val.shape, n_frames)
    if lam_val.ndim == 2:
        lam = anp.min(win_lengths, axis=0) if lam_val.shape[0] > 1 else win_lengths[0]
    else:
        lam = win_lengths
    lam = lam * anp.ones(n_frames)
    half = (1.0 - rho) * 0.5
    gaps = (positions[1:] - positions[:-1]) - half * (lam[1:] + lam[:-1])
    head = positions[0] - half * lam[0]
    tail = (n_samples - 1.0) - positions[-1] - half * lam[-1]
    total = (anp.sum(anp.maximum(gaps, 0.0) ** 2) + anp.maximum(head, 0.0) ** 2
             + anp.maximum(tail, 0.0) ** 2)
    return total / n_samples


def smoothness(win_lengths, scale=1.0, eps=1e-2):
    """Smoothed total variation of window lengths (paper Eq. 27-28).

    ``R = mean over 4-neighbour pairs (a, b) of sqrt((lam_a - lam_b)**2 + eps) / scale``
    on the ``(F, T)`` grid (2 neighbours along a 1-D axis). ``scale`` is a
    fixed reference length (the estimators use the initial constant length)
    so that the weight of ``R`` in a loss is unit-free. 0 for a single value.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(smoothness(np.array([[1.0, 1.0, 4.0]]))), 4)
    1.5508
    """
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    eps = check_real(eps, "eps", low=0.0)
    lam_val = check_lengths(win_lengths, "win_lengths")
    if not isinstance(getval(win_lengths), (np.ndarray, float, int, np.number)):
        win_lengths = lam_val.astype(float)  # a list
    shape = lam_val.shape
    lam = anp.reshape(win_lengths, (1,) * (2 - len(shape)) + tuple(shape))
    parts = []
    if lam.shape[1] > 1:
        parts.append(anp.ravel(lam[:, 1:] - lam[:, :-1]))
    if lam.shape[0] > 1:
        parts.append(anp.ravel(lam[1:, :] - lam[:-1, :]))
    if not parts:
        return 0.0 * anp.sum(lam)
    diffs = anp.concatenate(parts)
    return anp.mean(anp.sqrt(diffs**2 + eps)) / scale


# --------------------------------------------------------------------------- #
# the criterion registry: a name (or a callable) -> one scalar loss
# --------------------------------------------------------------------------- #
CRITERIA = ("entropy", "renyi", "kurtosis")


def criterion_loss(S, criterion, *, power=1, scope="global", alpha=3):
    """Scalar representation loss of a spectrogram (lower is better).

    ``"entropy"``: Shannon entropy; ``"renyi"``: Rényi entropy of order
    ``alpha``; ``"kurtosis"``: minus the mean frame kurtosis; a callable is
    called as ``criterion(S)``. For a batch ``(B, F, T)`` the mean over
    signals.
    """
    if callable(criterion):
        value = _check_callable_value(_call_criterion(criterion, S), criterion, S)
    elif criterion == "entropy":
        value = shannon_entropy(S, power=power, scope=scope)
    elif criterion == "renyi":
        value = renyi_entropy(S, alpha=alpha, power=power, scope=scope)
    elif criterion == "kurtosis":
        value = -anp.mean(frame_kurtosis(S, power=power))
    else:
        raise ValueError(f"criterion must be one of {CRITERIA} or a callable, got {criterion!r}")
    # one signal: a reshape, autograd's cheapest primitive, instead of a mean
    return anp.reshape(value, ()) if anp.size(value) == 1 else anp.mean(value)


_AUTOGRAD_HINT = ("a callable criterion must be written with autograd.numpy (import "
                  "autograd.numpy as np), which the gradient goes through (no float(), "
                  "math or plain-numpy conversion of S), and return a scalar")


def _call_criterion(criterion, S):
    """``criterion(S)``; an error from plain numpy or ``float()`` meeting
    autograd's box (``S`` is one while the gradient is computed) is
    explained, not shown as "not 'ArrayBox'" or "ufunc 'fft' not supported".

    Whether the box caused it is decided by calling the criterion again on
    the plain array inside the box: if that call succeeds the criterion
    works on arrays but not through autograd. An error of the criterion's
    own (which the plain call raises too) is re-raised unchanged, whatever
    its text (an exception's wording is no contract: numpy words the same
    failure differently across functions and versions)."""
    try:
        return criterion(S)
    except (TypeError, ValueError) as exc:
        if not isbox(S):
            raise
        try:
            criterion(getval(S))
            plain_works = True
        except Exception:
            plain_works = False
        if not plain_works:
            raise  # the criterion's own error, as the user's code raised it
        name = getattr(criterion, "__name__", repr(criterion))
        raise TypeError(f"criterion {name}: {_AUTOGRAD_HINT} ({type(exc).__name__}: {exc})") \
            from exc


def _check_callable_value(value, criterion, S):
    """A user criterion must give one real number (or one per signal of a
    batch): any other array would otherwise be averaged silently."""
    raw = np.asarray(getval(value))  # unboxed inside a gradient computation
    name = getattr(criterion, "__name__", repr(criterion))
    if raw.dtype == object and isbox(S):
        raise TypeError(f"criterion {name}: {_AUTOGRAD_HINT} (it returned an object array)")
    if raw.dtype == object or not np.issubdtype(raw.dtype, np.number) \
            or np.iscomplexobj(raw):
        raise TypeError(f"criterion {name} must return a real number (a float), got "
                        f"{type(raw.item() if raw.size == 1 else raw).__name__} "
                        f"of dtype {raw.dtype}")
    per_signal = np.ndim(S) == 3 and raw.shape == (np.shape(S)[0],)
    if raw.size != 1 and not per_signal:
        raise ValueError(f"criterion {name} must return a scalar (one float, or one per "
                         f"signal of a batch), got an array of shape {raw.shape} for a "
                         f"spectrogram of shape {np.shape(S)}; reduce it, e.g. with anp.mean")
    # a NaN is left to the optimizer: at the starting point it fails with a
    # message (optimize.minimize), later it marks a region to step back from
    return value
