"""A slow, direct reference of the DSTFT forward pass in pure autograd.numpy.

It implements math.md §2 literally, independently of ``skdstft.transform``
(no FFT, no frame reordering, no chunking, its own window formulas):

    S[k, n] = sum_{m=-K/2}^{K/2-1} x[floor(t_n) + m] w_{lam[k,n]}(m - f_n)
                                   exp(-2 pi i k (m - f_n) / K)

with ``w_lam(t) = c(lam) b(t / lam)`` on ``|t| <= lam / 2`` (zero outside),
``c = lam**-p`` (``p = 1, 1/2, 0`` for "l1", "l2", None) and ``x`` zero outside
``[0, N)``. Everything is an ``(F, T, K)`` tensor, so autograd can
differentiate it with respect to ``x``, the window lengths and the
positions: this is the second, independent oracle for the analytical
vector-Jacobian products of ``skdstft.autodiff``. Only for small sizes.
"""

import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

GAUSSIAN_S = 1.0 / 8.0


def _hann(u):
    return anp.cos(np.pi * u) ** 2  # math.md's first form, not the code's


def _blackman(u):
    return 0.42 + 0.5 * anp.cos(2 * np.pi * u) + 0.08 * anp.cos(4 * np.pi * u)


def _gaussian(u):
    g_edge = np.exp(-0.25 / (2 * GAUSSIAN_S**2))
    return (anp.exp(-(u**2) / (2 * GAUSSIAN_S**2)) - g_edge) / (1.0 - g_edge)


BASE_WINDOWS = {"hann": _hann, "blackman": _blackman, "gaussian": _gaussian}
POWERS = {"l1": 1.0, "l2": 0.5, None: 0.0}


def reference_window(window, lam, t, normalization="l1"):
    """``w_lam(t) = lam**-p b(t / lam)`` on ``|t| <= lam/2``, 0 outside."""
    u = t / lam
    inside = np.abs(getval(u)) <= 0.5
    return lam ** (-POWERS[normalization]) * anp.where(inside, BASE_WINDOWS[window](u), 0.0)


def reference_dstft(x, win_length, positions, n_fft, window="hann", normalization="l1"):
    """Reference DSTFT of one signal ``x`` (N,); returns complex (F, T).

    ``x``, ``win_length`` (scalar or broadcastable to (F, T)) and ``positions``
    (T,) may be autograd boxes.
    """
    K = int(n_fft)
    F = K // 2 + 1
    half = K // 2
    N = np.shape(getval(x))[-1]
    pos_val = np.asarray(getval(positions), dtype=float)
    T = pos_val.shape[0]
    floor = np.floor(pos_val)
    frac = positions - floor  # keeps the dependence on the positions
    m = np.arange(-half, half)
    idx = floor.astype(int)[:, None] + m[None, :]  # (T, K) sample read by (n, m)
    valid = (idx >= 0) & (idx < N)
    x_frames = anp.where(valid, x[np.clip(idx, 0, N - 1)], 0.0)  # zero padding
    tau = m[None, :] - frac[:, None]  # (T, K): m - f_n
    lam = win_length + np.zeros((F, T))  # broadcast, differentiable
    w = reference_window(window, lam[:, :, None], tau[None, :, :], normalization)
    k = np.arange(F, dtype=float)[:, None, None]
    kernel = anp.exp((-2j * np.pi / K) * k * tau[None, :, :])  # (F, T, K)
    return anp.sum(x_frames[None, :, :] * w * kernel, axis=-1)


def reference_dstft_batch(x, win_length, positions, n_fft, window="hann",
                          normalization="l1"):
    """Reference for (N,) or (B, N) input: stacks single-signal references."""
    if np.ndim(getval(x)) == 1:
        return reference_dstft(x, win_length, positions, n_fft, window, normalization)
    return anp.stack([reference_dstft(x[b], win_length, positions, n_fft, window,
                                      normalization)
                      for b in range(np.shape(getval(x))[0])])


def rel_err(a, b):
    """``max |a - b| / max |b|``: one scale for a whole array (no division by
    the near-zero entries that any spectrum or gradient has)."""
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.max(np.abs(b))
    assert scale > 0
    return float(np.max(np.abs(a - b)) / scale)


def central_fd(fun, theta, step):
    """Central finite differences of a real scalar ``fun`` at array ``theta``."""
    theta = np.array(theta, dtype=float)
    grad = np.empty_like(theta)
    flat = theta.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + step
        up = fun(theta.copy())
        flat[i] = orig - step
        down = fun(theta.copy())
        flat[i] = orig
        gflat[i] = (up - down) / (2 * step)
    return grad
