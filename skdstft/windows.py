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

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "Window",
    "get_window",
    "register_window",
    "available_windows",
    "normalization_power",
    "contracted_window",
    "contracted_window_dlam",
    "contracted_window_dt",
]


@dataclass(frozen=True)
class Window:
    """A base window: value ``b(u)`` and derivative ``b'(u)`` on ``[-1/2, 1/2]``.

    ``value`` and ``derivative`` are vectorized functions of a float array
    ``u`` (any shape, same dtype out); they are only called on points with
    ``|u| <= 1/2`` and the contraction sets everything else to zero.
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


_TWO_PI = 2.0 * np.pi


def _hann(u):
    return 0.5 + 0.5 * np.cos(_TWO_PI * u)


def _hann_d(u):
    return -np.pi * np.sin(_TWO_PI * u)


def _blackman(u):
    return 0.42 + 0.5 * np.cos(_TWO_PI * u) + 0.08 * np.cos(2 * _TWO_PI * u)


def _blackman_d(u):
    return -np.pi * np.sin(_TWO_PI * u) - 0.32 * np.pi * np.sin(2 * _TWO_PI * u)


def make_gaussian(s=1.0 / 8.0, name=None):
    """A Gaussian of width ``s`` (in units of the window length), lowered so
    that it reaches exactly zero at ``u = +-1/2`` (continuity at the edges)."""
    s = float(s)
    if not s > 0:
        raise ValueError(f"s must be > 0, got {s}")
    g_edge = np.exp(-0.25 / (2 * s * s))
    scale = 1.0 / (1.0 - g_edge)

    def value(u):
        return (np.exp(-(u * u) / (2 * s * s)) - g_edge) * scale

    def derivative(u):
        return -(u / (s * s)) * np.exp(-(u * u) / (2 * s * s)) * scale

    return Window(name or f"gaussian(s={s:g})", value, derivative)


_REGISTRY = {
    "hann": Window("hann", _hann, _hann_d),
    "blackman": Window("blackman", _blackman, _blackman_d),
    "gaussian": make_gaussian(1.0 / 8.0, name="gaussian"),
}


def available_windows():
    """Names of the registered windows."""
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
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if not callable(value) or not callable(derivative):
        raise TypeError("value and derivative must be callables of a float array u")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"a window named {name!r} exists; pass overwrite=True to replace it")
    edges = np.asarray(value(np.array([-0.5, 0.5])), dtype=float)
    if edges.shape != (2,) or not np.all(np.isfinite(edges)):
        raise ValueError("value(u) must return a finite array of the same shape as u")
    if np.max(np.abs(edges)) > 1e-8:
        raise ValueError(
            f"window {name!r} must vanish at u = +-1/2 (got {edges.tolist()}); "
            "otherwise the transform jumps when the window length changes"
        )
    window = Window(name, value, derivative)
    _REGISTRY[name] = window
    return window


def get_window(window):
    """The :class:`Window` named ``window`` (or ``window`` itself if it is one)."""
    if isinstance(window, Window):
        return window
    if not isinstance(window, str):
        raise TypeError(f"window must be a window name or a Window, got {window!r}")
    try:
        return _REGISTRY[window]
    except KeyError:
        raise ValueError(
            f"window must be one of {available_windows()} (or registered with "
            f"skdstft.windows.register_window); got {window!r}"
        ) from None


_POWERS = {"l1": 1.0, "l2": 0.5, None: 0.0}


def normalization_power(normalization):
    """The exponent ``p`` of ``c(lam) = lam**-p`` for a normalization name."""
    try:
        return _POWERS[normalization]
    except (KeyError, TypeError):
        raise ValueError(
            f"normalization must be 'l1', 'l2' or None; got {normalization!r}"
        ) from None


def _contract(window, lam, t):
    """``u = t / lam`` and the support mask (broadcast of ``lam`` and ``t``)."""
    u = t / lam
    inside = np.abs(u) <= 0.5
    return np.where(inside, u, 0.0).astype(u.dtype, copy=False), inside


def contracted_window(window, lam, t, normalization="l1"):
    """``w_lam(t) = lam**-p * b(t / lam)``, zero outside ``|t| <= lam / 2``.

    ``lam`` (samples, > 0) and ``t`` (samples) broadcast together; the result
    has their broadcast shape and dtype.
    """
    window = get_window(window)
    p = normalization_power(normalization)
    u, inside = _contract(window, lam, t)
    out = np.where(inside, window.value(u), 0.0)
    return out * lam**-p if p else out.astype(u.dtype, copy=False)


def contracted_window_dlam(window, lam, t, normalization="l1"):
    """``d w_lam(t) / d lam = -p lam^(-p-1) b(u) - t lam^(-p-2) b'(u)``, ``u = t/lam``."""
    window = get_window(window)
    p = normalization_power(normalization)
    u, inside = _contract(window, lam, t)
    # -t lam^(-p-2) b'(u) == -u lam^(-p-1) b'(u)
    core = -u * window.derivative(u)
    if p:
        core = core - p * window.value(u)
    return np.where(inside, core, 0.0) * lam ** (-p - 1.0)


def contracted_window_dt(window, lam, t, normalization="l1"):
    """``d w_lam(t) / d t = lam^(-p-1) b'(u)``, ``u = t / lam``."""
    window = get_window(window)
    p = normalization_power(normalization)
    u, inside = _contract(window, lam, t)
    return np.where(inside, window.derivative(u), 0.0) * lam ** (-p - 1.0)
