"""Analysis windows of real length and their derivatives (math.md §1).

A *base window* ``b(u)`` lives on ``u in [-1/2, 1/2]``, vanishes at the ends
and outside, and is continuous there, so that the transform is continuous in
the window length. A window of real length ``lam`` (in samples) is the
contraction ``w_lam(t) = c(lam) * b(t / lam)`` with ``c = lam**-p``:
``p = 1`` for ``"l1"`` (the paper's: a pure tone keeps its peak magnitude
whatever ``lam``), ``p = 1/2`` for ``"l2"`` (unit energy up to a constant) and
``p = 0`` for ``None`` (a plain window, as scipy and librosa use).

Examples
--------
>>> import numpy as np
>>> from skdstft.windows import get_window, contracted_window
>>> hann = get_window("hann")
>>> float(hann.value(np.array(0.0)))
1.0
>>> t = np.arange(-4, 4)
>>> from scipy.signal.windows import hann as scipy_hann
>>> np.allclose(contracted_window(hann, 8.0, t, normalization=None),
...             scipy_hann(8, sym=False))  # scipy's periodic Hann, centred
True
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import (
    check_choice,
    check_normalization,
    check_real,
    check_window_definition,
    check_window_name,
)

__all__ = [
    "Window",
    "cosine_sum_window",
    "get_window",
    "register_window",
    "available_windows",
    "normalization_power",
    "contracted_window",
    "contracted_window_dlam",
    "contracted_window_dt",
    "frame_windows",
]


@dataclass(frozen=True)
class Window:
    """A base window: value ``b(u)`` and derivative ``b'(u)`` on ``[-1/2, 1/2]``.

    ``value`` and ``derivative`` are vectorized functions of a float array
    ``u`` (any shape, same dtype out); they are only called on points with
    ``|u| <= 1/2`` and the contraction sets everything else to zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft.windows import get_window
    >>> hann = get_window("hann")
    >>> hann.name, hann.value(np.array([-0.5, 0.0, 0.25]))
    ('hann', array([0. , 1. , 0.5]))
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    cosine_coefficients: tuple[float, ...] | None = None
    """``(a_0, a_1, ...)`` with ``b(u) = sum_j a_j cos(2 pi j u)`` for a
    window made by :func:`cosine_sum_window` (None otherwise): lets
    :func:`frame_windows` and the compiled kernels evaluate the window on a
    frame grid without one ``cos`` per sample."""


_TWO_PI = 2.0 * np.pi


def _sine_coefficients(coeffs):
    """``(d_1, d_2, ...)`` with ``b'(u) = sum_j d_j sin(2 pi j u)`` for the
    cosine sum ``coeffs``: ``d_j = -2 pi j a_j``."""
    return tuple(-_TWO_PI * j * a for j, a in enumerate(coeffs) if j)


@dataclass(frozen=True)
class _CosineSum:
    """``sum_j a_j cos(2 pi j u)``, or with ``sine`` ``sum_j a_j sin(2 pi j u)``
    (``a_0`` then unused): a picklable callable (windows travel to workers)."""

    coeffs: tuple[float, ...]
    sine: bool = False

    def __call__(self, u):
        fn = np.sin if self.sine else np.cos
        out = self.coeffs[1] * fn(_TWO_PI * u)
        if not self.sine:
            out = self.coeffs[0] + out
        for j, a in enumerate(self.coeffs[2:], start=2):
            out = out + a * fn((j * _TWO_PI) * u)
        return out


def cosine_sum_window(name, coeffs):
    """The window ``b(u) = sum_j a_j cos(2 pi j u)`` (``coeffs = (a_0, a_1, ...)``,
    at least two), its derivative ``b'(u) = sum_j d_j sin(2 pi j u)``
    (``d_j = -2 pi j a_j``) and, in ``Window.cosine_coefficients``, the
    coefficients themselves: the one definition that every evaluation route
    (direct, matrix product, compiled rotation) derives from.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft.windows import cosine_sum_window
    >>> hann = cosine_sum_window("my-hann", (0.5, 0.5))
    >>> hann.value(np.array([0.0, 0.25, 0.5])) + 0.0
    array([1. , 0.5, 0. ])
    """
    coeffs = tuple(float(a) for a in coeffs)
    return Window(name, _CosineSum(coeffs), _CosineSum((0.0,) + _sine_coefficients(coeffs), True),
                  coeffs)


@dataclass(frozen=True)
class _LoweredGaussian:
    """``b(u)`` (or ``b'(u)`` with ``derivative``) of :func:`make_gaussian`,
    picklable."""

    s: float
    derivative: bool = False

    def __call__(self, u):
        s2 = self.s * self.s
        g_edge = np.exp(-0.25 / (2 * s2))
        scale = 1.0 / (1.0 - g_edge)
        if self.derivative:
            return -(u / s2) * np.exp(-(u * u) / (2 * s2)) * scale
        return (np.exp(-(u * u) / (2 * s2)) - g_edge) * scale


def make_gaussian(s=1.0 / 8.0, name=None):
    """A Gaussian of width ``s`` (in units of the window length), lowered so
    that it reaches exactly zero at ``u = +-1/2`` (continuity at the edges)."""
    s = check_real(s, "s", low=0.0, low_open=True)
    return Window(name or f"gaussian(s={s:g})", _LoweredGaussian(s), _LoweredGaussian(s, True))


_REGISTRY = {
    "hann": cosine_sum_window("hann", (0.5, 0.5)),
    "blackman": cosine_sum_window("blackman", (0.42, 0.5, 0.08)),
    "gaussian": make_gaussian(1.0 / 8.0, name="gaussian"),
}


def available_windows():
    """Names of the registered windows.

    Examples
    --------
    >>> from skdstft.windows import available_windows
    >>> {"blackman", "gaussian", "hann"} <= set(available_windows())
    True
    """
    return sorted(_REGISTRY)


def register_window(name, value, derivative, *, overwrite=False):
    """Register a base window of your own under ``name``.

    Parameters
    ----------
    name : str
    value, derivative : callable
        ``b(u)`` and ``b'(u)`` for a float array ``u`` with ``|u| <= 1/2``.
        For a transform continuous in the window length, ``b(+-1/2)`` should
        be 0 (this is checked).
    overwrite : bool
        Allow replacing an existing name.

    Returns
    -------
    Window

    Examples
    --------
    A Welch (parabolic) window, ``b(u) = 1 - 4 u**2``, then usable by name
    everywhere a window is taken:

    >>> import numpy as np
    >>> from skdstft import dstft
    >>> from skdstft.windows import register_window
    >>> welch = register_window("welch", lambda u: 1 - 4 * u**2, lambda u: -8 * u,
    ...                         overwrite=True)
    >>> dstft(np.ones(256), 40.0, n_fft=64, window="welch").shape
    (33, 17)
    """
    check_window_definition(name, value, derivative, taken=name in _REGISTRY and not overwrite)
    window = Window(name, value, derivative)
    _REGISTRY[name] = window
    return window


def get_window(window):
    """The :class:`Window` named ``window`` (or ``window`` itself if it is one).

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft.windows import get_window
    >>> blackman = get_window("blackman")
    >>> np.round(blackman.value(np.array([0.0, 0.25, 0.5])), 12) + 0.0
    array([1.  , 0.34, 0.  ])
    >>> get_window(blackman) is blackman
    True
    """
    if isinstance(window, Window):
        return window
    return _REGISTRY[check_window_name(window, _REGISTRY)]


_POWERS = {"l1": 1.0, "l2": 0.5, None: 0.0}


def normalization_power(normalization):
    """The exponent ``p`` of ``c(lam) = lam**-p`` for a normalization name.

    Examples
    --------
    >>> from skdstft.windows import normalization_power
    >>> normalization_power("l1"), normalization_power("l2"), normalization_power(None)
    (1.0, 0.5, 0.0)
    """
    return _POWERS[check_normalization(normalization)]


def _contract(window, lam, t):
    """``u = t / lam`` and the support mask (broadcast of ``lam`` and ``t``)."""
    u = t / lam
    inside = np.abs(u) <= 0.5
    return np.where(inside, u, 0.0).astype(u.dtype, copy=False), inside


def contracted_window(window, lam, t, normalization="l1"):
    """``w_lam(t) = lam**-p * b(t / lam)``, zero outside ``|t| <= lam / 2``.

    ``lam`` (samples, > 0) and ``t`` (samples) broadcast together; the result
    has their broadcast shape and dtype.

    Examples
    --------
    With ``"l1"`` the window sums to about ``∫ b = 1/2`` for a Hann window,
    whatever its length (a tone keeps its peak magnitude):

    >>> import numpy as np
    >>> from skdstft.windows import contracted_window
    >>> t = np.arange(-300, 301)
    >>> [round(float(contracted_window("hann", lam, t).sum()), 6) for lam in (50.0, 400.5)]
    [0.5, 0.5]
    """
    return _direct_windows(get_window(window), lam, t, normalization_power(normalization),
                           ("value",))[0]


def contracted_window_dlam(window, lam, t, normalization="l1"):
    """``d w_lam(t) / d lam = -p lam^(-p-1) b(u) - t lam^(-p-2) b'(u)``, ``u = t/lam``.

    Examples
    --------
    The analytical derivative agrees with a central difference:

    >>> import numpy as np
    >>> from skdstft.windows import contracted_window, contracted_window_dlam
    >>> t, lam, h = np.arange(-40.0, 41.0), 63.3, 1e-5
    >>> fd = (contracted_window("hann", lam + h, t) - contracted_window("hann", lam - h, t)) / (2 * h)
    >>> bool(np.allclose(contracted_window_dlam("hann", lam, t), fd, atol=1e-9))
    True
    """
    return _direct_windows(get_window(window), lam, t, normalization_power(normalization),
                           ("dlam",))[0]


def contracted_window_dt(window, lam, t, normalization="l1"):
    """``d w_lam(t) / d t = lam^(-p-1) b'(u)``, ``u = t / lam``."""
    return _direct_windows(get_window(window), lam, t, normalization_power(normalization),
                           ("dt",))[0]


def _direct_windows(window, lam, t, p, kinds):
    """The contracted window and its derivatives (``kinds``, a sequence of
    ``"value"``, ``"dlam"``, ``"dt"``) at ``t``: the formulas of math.md §1,
    written here once, from one contraction and one evaluation of ``b`` and
    ``b'`` shared by all the kinds. ``p`` is the normalization power."""
    u, inside = _contract(window, lam, t)
    need_b = "value" in kinds or ("dlam" in kinds and p)
    need_d = "dlam" in kinds or "dt" in kinds
    b = window.value(u) if need_b else None
    d = window.derivative(u) if need_d else None
    out = []
    for kind in kinds:
        if kind == "value":
            w = np.where(inside, b, 0.0)
            w = w * lam**-p if p else w.astype(u.dtype, copy=False)
        elif kind == "dt":
            w = np.where(inside, d, 0.0) * lam ** (-p - 1.0)
        else:  # -t lam^(-p-2) b'(u) - p lam^(-p-1) b(u), with t / lam = u
            core = -u * d
            if p:
                core = core - p * b
            w = np.where(inside, core, 0.0) * lam ** (-p - 1.0)
        out.append(w)
    return out


_KINDS = {"value": contracted_window, "dlam": contracted_window_dlam,
          "dt": contracted_window_dt}


def frame_offsets(n_fft, dtype=np.float64):
    """The offsets ``m`` of a frame in FFT order: ``0..K/2-1, -K/2..-1``
    (a shared read-only array: every evaluation of a window needs it)."""
    return _frame_offsets(int(n_fft), np.dtype(dtype))


@functools.lru_cache(maxsize=64)
def _frame_offsets(n_fft, dtype):
    half = n_fft // 2
    offsets = np.fft.ifftshift(np.arange(-half, half)).astype(dtype)
    offsets.flags.writeable = False
    return offsets


def frame_windows(window, lam, frac, n_fft, normalization="l1", kind="value", *,
                  multiply=None):
    """Windows of many frames, sampled at each frame's offsets, in FFT order.

    Equals ``fn(window, lam, frame_offsets(n_fft) - frac, normalization)``
    with ``fn`` the contracted window (``kind="value"``) or its derivative in
    the length (``"dlam"``) or in time (``"dt"``), for ``lam`` and ``frac``
    that broadcast to a shape ``S`` ending in 1 (one window per leading
    index; ``S = (1,)`` for a single window). Returns ``S[:-1] + (K,)`` in the
    dtype of ``lam`` and ``frac``; with ``multiply`` (a C-contiguous array
    whose trailing axes are ``S[:-1] + (K,)``), multiplies the windows into it
    in place instead and returns it.

    ``kind`` may also be a tuple of kinds, with ``multiply`` None or a tuple
    of arrays (one per kind): the result is then a tuple, and the cosine
    route below evaluates its trigonometry once for all the kinds.

    Windows with ``cosine_coefficients`` (hann, blackman) on more than a few
    frames take a faster route, see :func:`_cosine_frame_windows`.
    """
    window = get_window(window)
    if not isinstance(kind, str):
        kinds = tuple(kind)
        targets = (None,) * len(kinds) if multiply is None else tuple(multiply)
        if len(targets) != len(kinds):
            raise ValueError(f"multiply must hold one array per kind ({len(kinds)}), "
                             f"got {len(targets)}")
    else:
        kinds, targets = (kind,), (multiply,)
    for k in kinds:
        check_choice(k, "kind", tuple(_KINDS))
    dtype = np.result_type(lam, frac)
    lam = np.asarray(lam, dtype=dtype)
    frac = np.asarray(frac, dtype=dtype)
    coeffs = window.cosine_coefficients
    rows = np.broadcast_shapes(lam.shape, frac.shape)[:-1]
    q = _column_count(n_fft // 2)
    if coeffs is not None and q >= 4 and int(np.prod(rows)) >= 8:
        # a target that is not C-contiguous gets the windows multiplied in after
        direct = [t if t is None or t.flags.c_contiguous else None for t in targets]
        out = _cosine_frame_windows(coeffs, lam, frac, n_fft,
                                    normalization_power(normalization), kinds, q, dtype, direct)
        for i, (target, given) in enumerate(zip(targets, direct)):
            if target is not None and given is None:
                target *= out[i]
                out[i] = target
    else:
        out = _direct_windows(window, lam, frame_offsets(n_fft, dtype) - frac,
                              normalization_power(normalization), kinds)
        for i, target in enumerate(targets):
            out[i] = out[i].astype(dtype, copy=False)
            if target is not None:
                target *= out[i]
                out[i] = target
    return out[0] if isinstance(kind, str) else tuple(out)


@functools.lru_cache(maxsize=64)
def _column_count(half):
    """The divisor ``Q`` of ``half`` closest to ``sqrt(half)`` from below."""
    return max(d for d in range(1, int(np.sqrt(half)) + 1) if half % d == 0)


def _unit_powers(x, n):
    """``exp(i x k)`` for ``k = 0 .. n-1``, shape ``x.shape + (n,)``.

    Writing ``k = m k1 + k0`` (``m ~ sqrt n``) it takes about ``2 sqrt n``
    complex exponentials and one product each (a rounding or two more than
    ``exp`` of every angle), instead of ``n`` exponentials."""
    m = max(1, int(np.ceil(np.sqrt(n))))
    n1 = -(-n // m)
    x = x[..., None]
    fine = np.exp(1j * (x * np.arange(m)))           # (..., m)
    coarse = np.exp(1j * (x * (m * np.arange(n1))))  # (..., n1)
    prod = coarse[..., :, None] * fine[..., None, :]
    return prod.reshape(prod.shape[:-2] + (n1 * m,))[..., :n]


_CHUNK_ELEMENTS = 2**17  # samples per block of frames: 1 MB of float64, cache sized


def _cosine_frame_windows(coeffs, lam, frac, n_fft, p, kinds, q, dtype, targets):
    """Cosine-sum windows (or derivatives) of many frames as a batched matrix
    product of rank ``1 + 4 J`` (``J`` harmonics), instead of one ``cos`` and
    one ``sin`` per sample.

    Index the FFT-order offsets as ``m = Q a + b - s K/2`` (``s`` in {0, 1},
    ``a < K/(2Q)``, ``b < Q``) and write ``tau = m - f = tau0[s, a] + b``.
    With ``theta = 2 pi / lam`` the angles split, ``j theta tau = alpha + beta``,
    so ``cos`` and ``sin`` of ``j theta tau`` are rank-2 products of the
    ``cos``/``sin`` of ``alpha`` (``2 K / Q`` values per frame) and of ``beta``
    (``Q`` values); ``u = tau / lam = tau0 / lam + b / lam`` splits likewise.
    Each of ``c b(u)``, ``d w / d t`` and ``d w / d lam`` (math.md §1) is
    then ``X @ Y`` with ``X`` of shape ``(2K/Q, 1 + 4J)`` and ``Y`` of shape
    ``(1 + 4J, Q)`` per frame. The ``exp(i alpha)`` and ``exp(i beta)`` are
    themselves products of shorter progressions (:func:`_unit_powers`):
    ``O(K**(1/4))`` exponentials per frame, shared by all ``kinds``.
    Frames go in blocks that fit in cache, the support mask
    ``|tau| <= lam / 2`` is applied per block, and each result is written
    (or multiplied into its target) once. Agrees with the direct formula to
    a few ulps of the window's scale.
    """
    half = n_fft // 2
    n_a = half // q
    rows = np.broadcast_shapes(lam.shape, frac.shape)[:-1]
    lam_r = np.broadcast_to(lam, rows + (1,)).astype(np.float64).reshape(-1, 1)
    frac_r = np.broadcast_to(frac, rows + (1,)).astype(np.float64).reshape(-1, 1)
    n_frames = lam_r.shape[0]
    # Integer frame positions (every f = 0, the usual case) make each window
    # even in m (its t-derivative odd): the offsets -K/2..-1 are then the
    # mirror of 1..K/2 (and m = K/2 lies outside every allowed support), so
    # only the runs s = 0 are computed.
    mirrored = not frac_r.any()
    n_s = 1 if mirrored else 2
    coarse = (q * np.arange(n_a)[None, :] - half * np.arange(n_s)[:, None]).reshape(-1)
    b = np.arange(q, dtype=np.float64)
    harmonics = np.arange(1, len(coeffs))
    a_j = np.asarray(coeffs[1:], dtype=np.float64)
    d_j = np.asarray(_sine_coefficients(coeffs))
    outs, views = [], []
    for target in targets:
        if target is None:
            out = np.empty((n_frames, n_fft), dtype=dtype)
            outs.append(out)
            views.append(out)
        else:
            # a view (the target is C-contiguous): the blocks land in it
            outs.append(target)
            views.append(target.reshape(target.shape[:-1 - len(rows)] + (n_frames, n_fft)))
    step = max(1, _CHUNK_ELEMENTS // n_fft)
    for start in range(0, n_frames, step):
        sl = slice(start, start + step)
        lam_c = lam_r[sl]                                           # (R, 1)
        n_r = lam_c.shape[0]
        tau0 = coarse - frac_r[sl]                                  # (R, n_s A)
        jt = (2 * np.pi) / lam_c * harmonics                        # (R, J): j theta
        # tau0[s, a] = Q c - f with c = a - s A in [-A, A): exp(i j theta tau0)
        # = exp(-i j theta f) P[c], P[c] = exp(i j theta Q c), P[-c] = conj P[c].
        # No large angle is split in two: every factor's angle is at most the
        # angle it stands for (plus theta f), so the rounding stays that of
        # the direct formula within a few ulps.
        if mirrored:
            e_alpha = _unit_powers(jt * q, n_a)                     # (R, J, A)
        else:
            powers = _unit_powers(jt * q, n_a + 1)                  # (R, J, A + 1)
            signed = np.concatenate([powers[..., :n_a], np.conj(powers[..., :0:-1])], axis=-1)
            e_alpha = np.exp(-1j * jt * frac_r[sl])[:, :, None] * signed
        e_alpha = e_alpha.transpose(0, 2, 1)                        # (R, n_s A, J)
        e_beta = _unit_powers(jt, q)                                # (R, J, Q)
        ca, sa = e_alpha.real, e_alpha.imag
        cb, sb = e_beta.real, e_beta.imag
        # support |tau0 + b| <= lam / 2, i.e. lo <= b <= hi, per run of Q
        # samples: runs wholly outside get a zero row of X (masked factors),
        # and only the few runs cut by an edge of the support need a
        # per-sample mask
        half_lam = 0.5 * lam_c
        lo, hi = -half_lam - tau0, half_lam - tau0
        inside = ((hi >= 0) & (lo <= q - 1))[:, :, None]
        cut = np.nonzero(((lo > 0) | (hi < q - 1)) & inside[..., 0])
        cut_mask = (lo[cut][:, None] <= b) & (b <= hi[cut][:, None])
        # every kind's X in one stack, against one Y: a single matrix product
        X, Y = _cosine_factors(kinds, coeffs, a_j, d_j, p, lam_c, tau0, b,
                               inside, ca * inside, sa * inside, cb, sb)
        blocks = np.matmul(X, Y)                                   # (kinds, R, n_s A, Q)
        blocks[:, cut[0], cut[1]] *= cut_mask
        blocks = blocks.reshape(len(kinds), n_r, -1)                # offsets in FFT order
        for kind, block, view, target in zip(kinds, blocks, views, targets):
            if mirrored:
                _put_mirrored(view[..., sl, :], block, -1.0 if kind == "dt" else 1.0,
                              target is not None)
            elif target is None:
                view[sl] = block
            else:
                view[..., sl, :] *= block
    return [out if target is not None else out.reshape(rows + (n_fft,))
            for out, target in zip(outs, targets)]


def _put_mirrored(dest, first_half, sign, multiply):
    """Write (or multiply into ``dest``, ``(..., R, K)``) windows known on the
    offsets 0..K/2-1 (``first_half``, ``(R, K/2)``), extended by
    ``w(-m) = sign w(m)`` and 0 at ``m = -K/2``, in FFT order."""
    n_r, half = first_half.shape
    full = np.empty((n_r, 2 * half), dtype=first_half.dtype)
    full[:, :half] = first_half
    full[:, half] = 0.0
    mirror = first_half[:, :0:-1]  # offsets -K/2+1 .. -1
    if sign < 0:
        np.negative(mirror, out=full[:, half + 1:])
    else:
        full[:, half + 1:] = mirror
    if multiply:
        dest *= full  # one contiguous pass over the frames
    else:
        dest[...] = full


def _cosine_factors(kinds, coeffs, a_j, d_j, p, lam_c, tau0, b, inside, ca, sa, cb, sb):
    """The factors of every kind on a block of frames (see
    :func:`_cosine_frame_windows`): ``X`` (kinds, R, 2A, k) and the shared
    ``Y`` (R, k, Q) with rows ``1, cos beta_j,
    sin beta_j`` and, when a length derivative is asked for,
    ``v cos beta_j, v sin beta_j`` (``v = b / lam``). ``inside`` (float) and
    the masked ``ca``, ``sa`` zero the rows of runs outside the support."""
    n_r, n_rows2, n_j = ca.shape
    k = 1 + (4 if "dlam" in kinds else 2) * n_j
    cos_cols, sin_cols = slice(1, 1 + n_j), slice(1 + n_j, 1 + 2 * n_j)
    X = np.zeros((len(kinds), n_r, n_rows2, k))
    for x, kind in zip(X, kinds):
        if kind == "value":  # c(lam) (a0 + sum_j a_j (ca cb - sa sb))
            scale = lam_c[:, :, None] ** -p
            x[..., :1] = scale * coeffs[0] * inside
            x[..., cos_cols] = scale * a_j * ca
            x[..., sin_cols] = -scale * a_j * sa
        elif kind == "dt":  # lam^(-p-1) sum_j d_j (sa cb + ca sb)
            scale = lam_c[:, :, None] ** (-p - 1.0)
            x[..., cos_cols] = scale * d_j * sa
            x[..., sin_cols] = scale * d_j * ca
        else:  # -lam^(-p-1) (p b(u) + u b'(u)),  u = tau0 / lam + b / lam
            g = -lam_c[:, :, None] ** (-p - 1.0)
            u0 = (tau0 / lam_c)[:, :, None]
            x[..., :1] = g * p * coeffs[0] * inside
            x[..., cos_cols] = g * (p * a_j * ca + d_j * u0 * sa)
            x[..., sin_cols] = g * (-p * a_j * sa + d_j * u0 * ca)
            x[..., 1 + 2 * n_j:1 + 3 * n_j] = g * d_j * sa
            x[..., 1 + 3 * n_j:] = g * d_j * ca
    Y = [np.ones_like(cb[:, :1]), cb, sb]
    if "dlam" in kinds:
        v = (b / lam_c)[:, None, :]
        Y += [v * cb, v * sb]
    return X, np.concatenate(Y, axis=1)
