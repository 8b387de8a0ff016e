"""Compiled (numba) kernels: the frequency-varying DSTFT (math.md §2-4), the
FFT backend's windowed frames (:func:`gather`, :func:`frame_windows`: the
input of its FFTs) and the Shannon entropy's value and gradient (the
section at the end).

For window lengths that vary along frequency (``(F, 1)`` or ``(F, T)``) every
bin has its own window, so no FFT applies; the transform, its derivative
windows and its adjoint are sums over each window's own support:

    U[k, n] = e^{2 pi i k f_n / K} sum_{m in supp} x[floor(t_n) + m] v_{k,n}(m - f_n) e^{-2 pi i k m / K}

with ``supp = {m : |(m - f_n) / lam[k, n]| <= 1/2}`` (the test of
:func:`skdstft.windows.contracted_window`, in float64) within the frame's
offsets ``-K/2 .. K/2 - 1``. Two ways of evaluating the windows:

* **rotation** -- cosine sums of at most two harmonics (``hann``,
  ``blackman``: :attr:`Window.cosine_coefficients`): the window's
  ``exp(2 pi i u)`` is stepped along ``m`` by one complex multiplication,
  so no transcendental function is evaluated per sample (one per bin and
  frame starts the phasor); the DFT twiddle ``exp(-2 pi i k m / K)`` is
  read from a table at ``k m mod K`` (cheaper than a second rotation, and
  exact). A rotation's rounding grows with the number of steps (at most
  ``K``): about ``K`` ulps in the worst case, far below the tests' 1e-12.
* **direct** -- every other window (the lowered ``gaussian`` and windows
  registered with :func:`skdstft.windows.register_window`, whose ``b`` and
  ``b'`` are Python callables): the points ``(lam, m - f)`` of each support
  are laid out flat, ``b`` and ``b'`` are evaluated on them once in numpy
  (:func:`skdstft.windows` formulas), and the compiled loop sums them
  against a twiddle table.

Frames run in parallel (``prange``); each frame is computed by one thread
in a fixed order and nothing is reduced across frames, so results are the
same bits for any number of threads. The transforms are compiled twice
from the same code, parallel and serial (the other kernels, short passes
over memory, only serial): :func:`run_serially` (used where BLAS
is pinned to one thread, e.g. inside joblib workers) selects the serial
build, so no thread pool is started there and no two threading layers
compete; threads other than the main one always run the serial build. The
jit options live in :func:`_jit` only: ``cache=True`` (the
compiled code is kept in ``__pycache__`` next to this file, or wherever
``NUMBA_CACHE_DIR`` points), ``nogil``, no ``fastmath`` (bit-reproducible).
``NUMBA_DISABLE_JIT=1`` runs the same code as Python, for debugging.
"""

import contextlib
import os
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

__all__ = ["forward", "adjoint", "gather", "frame_windows", "entropy_stats", "entropy_cotangent",
           "run_serially", "uses_rotation", "cosine_coefficients", "Compiled", "KINDS"]

KINDS = ("value", "dlam", "dt")
"""The window kinds a kernel computes, by code: 0, 1, 2."""

_TWO_PI = 2.0 * np.pi


def _jit(parallel):
    """The one place of the jit options (see the module docstring)."""
    return numba.njit(cache=True, nogil=True, parallel=parallel, fastmath=False,
                      error_model="numpy")


class Compiled:
    """A kernel compiled twice from one Python function: ``parallel`` and ``serial``."""

    def __init__(self, fn, parallel=True):
        self.parallel = _jit(parallel)(fn)
        self.serial = _jit(False)(fn) if parallel else self.parallel

    def __call__(self, *args):
        return (self.serial if _serial() else self.parallel)(*args)


_LOCAL = threading.local()

# The thread pool behind ``prange``: numba's own "workqueue" unless the user
# chose one (NUMBA_THREADING_LAYER). OpenMP's idle threads spin for a while
# after every parallel loop, and on a busy machine they took the CPU from
# the numpy work that follows (a 0.05 ms reduction took 14 ms after an
# OpenMP loop on this project's loaded 2-core machine); workqueue's threads
# sleep. workqueue must not be entered from two threads at once, so only
# the main thread runs the parallel builds (see :func:`_serial`).
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


def _serial():
    """True when this call must run the serial build: inside
    :func:`run_serially`, in any thread but the main one (joblib's or
    dask's threads: no oversubscription, no concurrent use of the pool), or
    with one thread configured."""
    return (getattr(_LOCAL, "serial", False)
            or threading.current_thread() is not threading.main_thread()
            or numba.config.NUMBA_NUM_THREADS == 1)


@contextlib.contextmanager
def run_serially():
    """Within this context the calling thread runs the kernels on one thread."""
    before = getattr(_LOCAL, "serial", False)
    _LOCAL.serial = True
    try:
        yield
    finally:
        _LOCAL.serial = before


# --------------------------------------------------------------------------
# shared pieces, called from the kernels

@_jit(False)
def _support(f, lam, half):
    """``(lo, hi)``: the offsets ``m`` in ``[-half, half - 1]`` with
    ``|(m - f) / lam| <= 1/2`` (empty when ``lo > hi``)."""
    lo = int(np.ceil(f - 0.5 * lam))
    hi = int(np.floor(f + 0.5 * lam))
    # settle the edges with the exact test: the ceil and floor are at most
    # one off (rounding), and a window shorter than the gap to the nearest
    # sample has an empty support (lo > hi)
    for _ in range(2):
        if abs((lo - 1 - f) / lam) <= 0.5:
            lo -= 1
        if abs((hi + 1 - f) / lam) <= 0.5:
            hi += 1
    for _ in range(2):
        if lo <= hi and abs((lo - f) / lam) > 0.5:
            lo += 1
        if lo <= hi and abs((hi - f) / lam) > 0.5:
            hi -= 1
    return max(lo, -half), min(hi, half - 1)


@_jit(False)
def _window_parts(lam, p):
    """``lam**-p`` and ``lam**(-p - 1)``: the scales of the value and of the derivatives."""
    # the usual normalizations without pow (two calls of pow per bin and
    # frame were a tenth of the (F, T) forward)
    if p == 1.0:
        inv = 1.0 / lam
        return inv, inv * inv
    if p == 0.0:
        return 1.0, 1.0 / lam
    return lam ** -p, lam ** (-p - 1.0)


def twiddle_table(n_fft):
    """``cos`` and ``sin`` of ``2 pi j / K``, ``j < K`` (float64)."""
    angle = (_TWO_PI / n_fft) * np.arange(n_fft)
    return np.cos(angle), np.sin(angle)


# --------------------------------------------------------------------------
# rotation route: cosine sums  b(u) = a0 + a1 cos(2 pi u) + a2 cos(4 pi u)

def _forward_cosine_fn(xp, start, frac, lam, n_fft, coef, p, want, tab_c, tab_s, out):
    """``out[i, b, n, k]``: the transform with window kind ``i`` (0 value,
    1 d/d lam, 2 d/d t) of signal ``b`` where ``want[i]`` (others untouched),
    frames first in memory (as the FFT backend lays out its spectra).

    ``xp`` (B, L): the padded signals; ``start`` (T,): where offset 0 of
    frame ``n`` sits in ``xp``; ``frac`` (T,); ``lam`` (F, T) (a broadcast
    view is fine); ``coef`` = (a0, a1, a2); ``tab_c``, ``tab_s``: the
    twiddle table (:func:`twiddle_table`)."""
    n_b = xp.shape[0]
    n_f, n_t = lam.shape
    half = n_fft // 2
    a0, a1, a2 = coef[0], coef[1], coef[2]
    d1, d2 = -_TWO_PI * a1, -2.0 * _TWO_PI * a2  # b'(u) = d1 sin(2 pi u) + d2 sin(4 pi u)
    w_val, w_lam, w_t = want[0], want[1], want[2]
    for n in prange(n_t):
        f = frac[n]
        s0 = start[n]
        for k in range(n_f):
            L = lam[k, n]
            lo, hi = _support(f, L, half)
            rc, rs = np.cos(_TWO_PI / L), np.sin(_TWO_PI / L)   # the window phasor's step
            ang = _TWO_PI * (lo - f) / L
            c_lo, s_lo = np.cos(ang), np.sin(ang)
            idx_lo = (k * lo) % n_fft   # the twiddle e^{-2 pi i k m / K}: tab[k m mod K]
            cv, cd = _window_parts(L, p)
            il = 1.0 / L
            ph = _TWO_PI * k * f / n_fft
            pc, ps = np.cos(ph), np.sin(ph)
            # An integer position (f = 0, the usual case) centres the
            # support on m = 0: the window and its length derivative are
            # even in m, the time derivative odd, so each step of the
            # phasors serves the offsets m and -m (half the operations).
            mirrored = f == 0.0 and lo == -hi and hi > 0
            if mirrored:
                c_lo, s_lo = rc, rs                  # the phasor at m = 1
                idx_lo = k
            for b in range(n_b):
                c1, s1, idx = c_lo, s_lo, idx_lo
                vr = vi = lr = li = dr = di = 0.0
                if mirrored:
                    x0 = xp[b, s0]                   # m = 0: u = 0, b'(0) = 0
                    vr = (a0 + a1 + a2) * x0
                    lr = p * vr
                    for m in range(1, hi + 1):
                        xa = xp[b, s0 + m]
                        xb = xp[b, s0 - m]
                        tc, ts = tab_c[idx], -tab_s[idx]
                        even_re = (xa + xb) * tc     # x[m] tw + x[-m] conj(tw)
                        even_im = (xa - xb) * ts
                        odd_re = (xa - xb) * tc      # x[m] tw - x[-m] conj(tw)
                        odd_im = (xa + xb) * ts
                        bval = a0 + a1 * c1 + a2 * (c1 * c1 - s1 * s1)
                        if w_val:
                            vr += bval * even_re
                            vi += bval * even_im
                        if w_lam or w_t:
                            bder = d1 * s1 + d2 * (2.0 * c1 * s1)
                            if w_lam:
                                v = p * bval + (m * il) * bder
                                lr += v * even_re
                                li += v * even_im
                            if w_t:
                                dr += bder * odd_re
                                di += bder * odd_im
                        c1, s1 = c1 * rc - s1 * rs, s1 * rc + c1 * rs
                        idx += k
                        if idx >= n_fft:
                            idx -= n_fft
                for m in range(lo, hi + 1 if not mirrored else lo):
                    xv = xp[b, s0 + m]
                    tc, ts = tab_c[idx], -tab_s[idx]
                    re = xv * tc
                    im = xv * ts
                    bval = a0 + a1 * c1 + a2 * (c1 * c1 - s1 * s1)
                    if w_val:
                        vr += bval * re
                        vi += bval * im
                    if w_lam or w_t:
                        bder = d1 * s1 + d2 * (2.0 * c1 * s1)
                        if w_lam:  # -(p b(u) + u b'(u)), u = (m - f) / lam
                            v = p * bval + ((m - f) * il) * bder
                            lr += v * re
                            li += v * im
                        if w_t:
                            dr += bder * re
                            di += bder * im
                    c1, s1 = c1 * rc - s1 * rs, s1 * rc + c1 * rs
                    idx += k
                    if idx >= n_fft:
                        idx -= n_fft
                # the scale of each kind, and the phase e^{2 pi i k f / K}
                if w_val:
                    out[0, b, n, k] = complex(vr * pc - vi * ps, vr * ps + vi * pc) * cv
                if w_lam:
                    out[1, b, n, k] = complex(lr * pc - li * ps, lr * ps + li * pc) * -cd
                if w_t:
                    out[2, b, n, k] = complex(dr * pc - di * ps, dr * ps + di * pc) * cd


def _adjoint_cosine_fn(g, start, frac, lam, n_fft, coef, p, tab_c, tab_s, r):
    """``r[b, n, m + K/2] = sum_k w_{k,n}(m - f_n) Re(g[b, k, n] e^{2 pi i k f_n / K}
    e^{-2 pi i k m / K})``: the transpose of the value transform applied to
    the cotangent ``g`` (complex (B, F, T)), frame by frame, before the
    overlap-add (bins added in ascending order); rotation route. ``r``
    (B, T, K) is overwritten."""
    n_b = g.shape[0]
    n_f, n_t = lam.shape
    half = n_fft // 2
    a0, a1, a2 = coef[0], coef[1], coef[2]
    for n in prange(n_t):
        f = frac[n]
        for b in range(n_b):
            r[b, n, :] = 0.0
        for k in range(n_f):
            L = lam[k, n]
            lo, hi = _support(f, L, half)
            rc, rs = np.cos(_TWO_PI / L), np.sin(_TWO_PI / L)
            ang = _TWO_PI * (lo - f) / L
            c_lo, s_lo = np.cos(ang), np.sin(ang)
            idx_lo = (k * lo) % n_fft
            cv, _ = _window_parts(L, p)
            ph = _TWO_PI * k * f / n_fft
            phase = complex(np.cos(ph), np.sin(ph))
            for b in range(n_b):
                gv = g[b, k, n] * phase * cv
                gr, gi = gv.real, gv.imag
                c1, s1, idx = c_lo, s_lo, idx_lo
                for m in range(lo, hi + 1):
                    bval = a0 + a1 * c1 + a2 * (c1 * c1 - s1 * s1)
                    # Re(gv (tc - i ts)) with the twiddle tc - i ts = tab[k m mod K]
                    r[b, n, m + half] += bval * (gr * tab_c[idx] + gi * tab_s[idx])
                    c1, s1 = c1 * rc - s1 * rs, s1 * rc + c1 * rs
                    idx += k
                    if idx >= n_fft:
                        idx -= n_fft


# --------------------------------------------------------------------------
# direct route: b and b' evaluated in numpy on the flat support points

def _layout_fn(frac, lam, t0, t1, half, lo, count):
    """``lo[n - t0, k]`` and ``count[n - t0, k]``: each support's first offset and size."""
    n_f = lam.shape[0]
    for n in prange(t0, t1):
        for k in range(n_f):
            a, z = _support(frac[n], lam[k, n], half)
            lo[n - t0, k] = a
            count[n - t0, k] = max(0, z - a + 1)


def _points_fn(frac, lam, t0, t1, lo, count, offs, tau, lam_flat):
    """The support points ``(m - f_n, lam[k, n])``, laid out by ``offs``."""
    n_f = lam.shape[0]
    for n in prange(t0, t1):
        for k in range(n_f):
            o = offs[(n - t0) * n_f + k]
            for i in range(count[n - t0, k]):
                tau[o + i] = (lo[n - t0, k] + i) - frac[n]
                lam_flat[o + i] = lam[k, n]


def _forward_table_fn(xp, start, frac, t0, t1, lo, count, offs, wins, want, n_fft,
                      tab_c, tab_s, out):
    """As :func:`_forward_cosine_fn` for frames ``t0 .. t1 - 1``, the window
    values of each kind ``i`` (with ``want[i]``) given at the support points
    (``wins[i]``, laid out by ``offs``)."""
    n_b = xp.shape[0]
    n_f = lo.shape[1]
    for n in prange(t0, t1):
        f = frac[n]
        s0 = start[n]
        acc = np.empty(6)
        for b in range(n_b):
            for k in range(n_f):
                acc[:] = 0.0
                a = lo[n - t0, k]
                o = offs[(n - t0) * n_f + k]
                idx = (k * a) % n_fft
                for i in range(count[n - t0, k]):
                    xv = xp[b, s0 + a + i]
                    re = xv * tab_c[idx]
                    im = -xv * tab_s[idx]
                    for q in range(3):
                        if want[q]:
                            v = wins[q, o + i]
                            acc[2 * q] += v * re
                            acc[2 * q + 1] += v * im
                    idx += k
                    if idx >= n_fft:
                        idx -= n_fft
                ph = _TWO_PI * k * f / n_fft
                pc, ps = np.cos(ph), np.sin(ph)
                for q in range(3):
                    if want[q]:
                        re, im = acc[2 * q], acc[2 * q + 1]
                        out[q, b, n, k] = complex(re * pc - im * ps, re * ps + im * pc)


def _adjoint_table_fn(g, frac, t0, t1, lo, count, offs, win, n_fft, tab_c, tab_s, r):
    """As :func:`_adjoint_cosine_fn` for frames ``t0 .. t1 - 1``, the window
    values given at the support points (``win``, laid out by ``offs``)."""
    n_b = g.shape[0]
    n_f = lo.shape[1]
    half = n_fft // 2
    for n in prange(t0, t1):
        f = frac[n]
        for b in range(n_b):
            r[b, n, :] = 0.0
            for k in range(n_f):
                ph = _TWO_PI * k * f / n_fft
                gv = g[b, k, n] * complex(np.cos(ph), np.sin(ph))
                a = lo[n - t0, k]
                o = offs[(n - t0) * n_f + k]
                idx = (k * a) % n_fft
                for i in range(count[n - t0, k]):
                    # Re(gv (tc - i ts)) = gv.re tc + gv.im ts
                    r[b, n, a + i + half] += win[o + i] * (gv.real * tab_c[idx] + gv.imag * tab_s[idx])
                    idx += k
                    if idx >= n_fft:
                        idx -= n_fft


def _overlap_add_fn(r, start, pad, out):
    """``out[b, start[n] + m - pad] += r[b, n, m + K/2]`` inside ``[0, N)``, in
    frame order (serial: frames overlap)."""
    n_b, n_t, n_fft = r.shape
    half = n_fft // 2
    n_samples = out.shape[1]
    out[:] = 0.0
    for b in range(n_b):
        for n in range(n_t):
            base = start[n] - pad - half
            for j in range(n_fft):
                i = base + j
                if 0 <= i < n_samples:
                    out[b, i] += r[b, n, j]


def _gather_fn(xp, start, t0, win, out):
    """``out[w, b, i, j] = xp[b, start[t0 + i] + m_j] win[w, j]``: the frames
    ``t0 ..`` of the padded signals ``xp`` (B, L), offsets ``m_j`` in FFT
    order (``0 .. K/2 - 1, -K/2 .. -1``), times each window ``win`` (W, K),
    in one pass (the FFT backend's input: no frames array in between)."""
    n_w, n_b, n_t, n_fft = out.shape
    half = n_fft // 2
    for b in range(n_b):
        for i in range(n_t):
            s0 = start[t0 + i]
            # a slice per frame, indexed from 0 up: no negative-index
            # wraparound test per sample, so the copy vectorizes (4x faster)
            frame = xp[b, s0 - half:s0 + half]
            for w in range(n_w):
                o = out[w, b, i]
                ww = win[w]
                for j in range(half):
                    o[j] = frame[half + j] * ww[j]
                for j in range(half):
                    o[half + j] = frame[j] * ww[half + j]


def _frame_windows_fn(lam, frac, t0, coef, p, kinds, out):
    """``out[w, b, i, j] *= v_w(lam[t0 + i], m_j - frac[t0 + i])``: each
    frame's window of kind ``kinds[w]`` (0 value, 1 d/d lam, 2 d/d t; math.md
    §1) multiplied in, offsets ``m_j`` in FFT order; zero outside the
    support. ``lam``, ``frac`` (T,) float64.

    The phasor ``exp(2 pi i u)`` along the support by rotation, in
    ``_LANES`` interleaved sequences stepped ``_LANES`` samples at a time:
    four ``cos``/``sin`` per frame, and each step is a vector operation (a
    single rotation is a chain of dependent multiplications, several times
    slower); fewer steps than one rotation, so less rounding."""
    n_w, n_b, n_t, n_fft = out.shape
    half = n_fft // 2
    a0, a1, a2 = coef[0], coef[1], coef[2]
    d1, d2 = -_TWO_PI * a1, -2.0 * _TWO_PI * a2  # b'(u) = d1 sin(2 pi u) + d2 sin(4 pi u)
    nat = np.empty((n_w, n_fft))   # the windows at m = -K/2 .. K/2 - 1
    cs = np.empty(n_fft)
    sn = np.empty(n_fft)
    for i in range(n_t):
        L = lam[t0 + i]
        f = frac[t0 + i]
        lo, hi = _support(f, L, half)
        n_sup = hi - lo + 1
        nat[:, :] = 0.0
        if n_sup > 0:
            ang = _TWO_PI / L
            rc, rs = np.cos(ang), np.sin(ang)
            c1, s1 = np.cos(ang * (lo - f)), np.sin(ang * (lo - f))
            for q in range(min(_LANES, n_sup)):
                cs[q] = c1
                sn[q] = s1
                c1, s1 = c1 * rc - s1 * rs, s1 * rc + c1 * rs
            rc, rs = np.cos(ang * _LANES), np.sin(ang * _LANES)
            for q in range(_LANES, n_sup):
                cs[q] = cs[q - _LANES] * rc - sn[q - _LANES] * rs
                sn[q] = sn[q - _LANES] * rc + cs[q - _LANES] * rs
            cv, cd = _window_parts(L, p)
            il = 1.0 / L
            for w in range(n_w):
                kind = kinds[w]
                row = nat[w, lo + half:hi + half + 1]
                if kind == 0:
                    for q in range(n_sup):
                        c = cs[q]
                        row[q] = cv * (a0 + a1 * c + a2 * (c * c - sn[q] * sn[q]))
                elif kind == 1:  # -(p b(u) + u b'(u)) lam**(-p - 1), u = (m - f) / lam
                    for q in range(n_sup):
                        c, s = cs[q], sn[q]
                        bval = a0 + a1 * c + a2 * (c * c - s * s)
                        bder = d1 * s + d2 * (2.0 * c * s)
                        row[q] = -cd * (p * bval + ((lo + q - f) * il) * bder)
                else:
                    for q in range(n_sup):
                        c, s = cs[q], sn[q]
                        row[q] = cd * (d1 * s + d2 * (2.0 * c * s))
        for w in range(n_w):
            for b in range(n_b):
                for j in range(half):            # m = 0 .. K/2 - 1
                    out[w, b, i, j] *= nat[w, j + half]
                for j in range(half, n_fft):     # m = -K/2 .. -1
                    out[w, b, i, j] *= nat[w, j - half]


_LANES = 8


# Only the transforms run in parallel: the other kernels are short passes
# over memory, where a parallel loop saves less than its compilation (about
# 10 s each, once per cache) and its thread wake-ups cost.
_forward_cosine = Compiled(_forward_cosine_fn)
_adjoint_cosine = Compiled(_adjoint_cosine_fn)
_layout = Compiled(_layout_fn, parallel=False)
_points = Compiled(_points_fn, parallel=False)
_forward_table = Compiled(_forward_table_fn)
_adjoint_table = Compiled(_adjoint_table_fn)
_overlap_add = Compiled(_overlap_add_fn, parallel=False)
gather = Compiled(_gather_fn, parallel=False)
frame_windows = Compiled(_frame_windows_fn, parallel=False)


# --------------------------------------------------------------------------
# entry points

def uses_rotation(window):
    """True when ``window`` takes the rotation route (a cosine sum of at most
    two harmonics), False for the direct route."""
    coeffs = window.cosine_coefficients
    return coeffs is not None and len(coeffs) <= 3


def cosine_coefficients(window):
    """``(a0, a1, a2)`` of a window that takes the rotation route."""
    coef = np.zeros(3)
    coef[:len(window.cosine_coefficients)] = window.cosine_coefficients
    return coef


def _chunks(n_frames, n_freqs, n_fft, chunk_bytes):
    """Frame ranges whose support points (at most ``F K`` per frame, a few
    float64 arrays of them) stay within ``chunk_bytes``."""
    step = int(max(1, min(n_frames, chunk_bytes // max(1, n_freqs * n_fft * 8))))
    return [(t0, min(t0 + step, n_frames)) for t0 in range(0, n_frames, step)]


def _support_windows(window, p, kinds, frac, lam, t0, t1, n_fft):
    """Direct route: the support layout of frames ``t0 .. t1 - 1`` and the
    window values of every kind on it (``b`` and ``b'`` evaluated once)."""
    from .windows import _direct_windows
    n_f = lam.shape[0]
    lo = np.empty((t1 - t0, n_f), np.int64)
    count = np.empty((t1 - t0, n_f), np.int64)
    _layout(frac, lam, t0, t1, n_fft // 2, lo, count)
    offs = np.zeros(count.size + 1, np.int64)
    np.cumsum(count.reshape(-1), out=offs[1:])
    tau = np.empty(offs[-1])
    lam_flat = np.empty(offs[-1])
    _points(frac, lam, t0, t1, lo, count, offs, tau, lam_flat)
    wins = np.zeros((3, offs[-1]))
    for code, w in zip(kinds, _direct_windows(window, lam_flat, tau, p, [KINDS[c] for c in kinds])):
        wins[code] = w
    return lo, count, offs, wins


def forward(xp, start, frac, lam, n_fft, window, p, kinds, complex_dtype, chunk_bytes):
    """Transforms of the padded signals ``xp`` (B, L) with the window kinds
    ``kinds`` (codes into :data:`KINDS`): a tuple of complex (B, F, T).

    ``start`` (T,) int64: the index in ``xp`` of each frame's offset 0;
    ``frac`` (T,) float64; ``lam`` (F, T) float64 (a broadcast view is
    fine); ``p`` the normalization power; ``chunk_bytes`` bounds the direct
    route's work arrays."""
    n_f, n_t = lam.shape
    want = np.zeros(3, np.bool_)
    want[list(kinds)] = True
    out = np.empty((3, xp.shape[0], n_t, n_f), dtype=complex_dtype)
    tab_c, tab_s = twiddle_table(n_fft)
    if uses_rotation(window):
        _forward_cosine(xp, start, frac, lam, n_fft, cosine_coefficients(window), float(p), want,
                        tab_c, tab_s, out)
    else:
        for t0, t1 in _chunks(n_t, n_f, n_fft, chunk_bytes):
            lo, count, offs, wins = _support_windows(window, p, kinds, frac, lam, t0, t1, n_fft)
            _forward_table(xp, start, frac, t0, t1, lo, count, offs, wins, want, n_fft,
                           tab_c, tab_s, out)
    return tuple(np.swapaxes(out[c], -1, -2) for c in kinds)


def adjoint(g, start, frac, lam, n_fft, window, p, pad, n_samples, dtype, chunk_bytes):
    """The gradient of ``Re sum(g * U)`` (``U`` the value transform) with
    respect to the signals: real (B, N) of ``dtype``."""
    n_f, n_t = lam.shape
    g = np.ascontiguousarray(g, dtype=np.complex128)
    r = np.empty((g.shape[0], n_t, n_fft))
    tab_c, tab_s = twiddle_table(n_fft)
    if uses_rotation(window):
        _adjoint_cosine(g, start, frac, lam, n_fft, cosine_coefficients(window), float(p),
                        tab_c, tab_s, r)
    else:
        for t0, t1 in _chunks(n_t, n_f, n_fft, chunk_bytes):
            lo, count, offs, wins = _support_windows(window, p, (0,), frac, lam, t0, t1, n_fft)
            _adjoint_table(g, frac, t0, t1, lo, count, offs, wins[0], n_fft, tab_c, tab_s, r)
    out = np.empty((g.shape[0], n_samples))
    _overlap_add(r, start, pad, out)
    return out.astype(dtype, copy=False)


# --------------------------------------------------------------------------
# the Shannon entropy (skdstft.losses.shannon_entropy): statistics and cotangent
#
# Groups: a signal's whole plane (scope "global") or one of its frames
# ("frame"). With a = |S| / c (c the signal's largest |S| for the plane, the
# frame's own for a frame: the entropy does not depend on the scale),
# A = a**power, T = sum A over the group and u = A + eps T, the entropy is
# log T - sum(A log u) / T, and its gradient needs M = sum A (eps T / u - log u).
# Every sum runs over one frame at a time in a fixed order (eight interleaved
# lanes, :func:`_lane_sum`), and a plane's sum adds its frames' sums in frame
# order: the same bits on any thread count.
#
# Value and gradient together take one square root and one logarithm per
# bin: the value's pass keeps a and log u per bin (in the bytes of the
# complex128 cotangent-to-be), and the gradient's pass reads them back
# instead of recomputing them, then writes the cotangent over them. The
# logarithm is the main arithmetic. numba's np.log is a scalar call into
# libm (no vector math library here), so it is written out in plain
# arithmetic (:func:`_log`) that LLVM vectorizes: 2-2.5x faster per bin on
# this project's AVX2 machine.
# Bins whose u is not a positive normal number (0, subnormal, inf, NaN) take
# np.log itself, so the special cases (and the ValueError on a non-finite S)
# are np.log's.

_LOG_LN2_HI = 6.93147180369123816490e-01
_LOG_LN2_LO = 1.90821492927058770002e-10
_LOG_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
           2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
           1.479819860511658591e-01)


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64 (a register reinterpretation)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 with the bits of an int64."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@_jit(False)
def _log(x):
    """``log(x)`` for a positive normal float64, within 1 ulp (fdlibm's
    ``__ieee754_log``: ``x = 2**e m`` with ``m`` in ``[sqrt(2)/2, sqrt(2))``,
    ``log(m) = 2 atanh(s)``, ``s = (m - 1) / (m + 1)``, a degree-14 minimax
    polynomial), branch-free so that a loop of it vectorizes. Other inputs
    give garbage: see :func:`_normal`."""
    i = _bits(x)
    # 0x3FE6A09E667F3BCD: sqrt(2)/2, so that m - 1 stays small
    e = ((i + (0x3FF0000000000000 - 0x3FE6A09E667F3BCD)) >> 52) - 1023
    f = _from_bits(i - (e << 52)) - 1.0
    k = _from_bits(e + 0x43300000000003FF) - 4503599627371519.0  # float(e), 2**52 + 1023
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    lg = _LOG_LG
    r = z * (lg[0] + w * (lg[2] + w * (lg[4] + w * lg[6]))) + w * (lg[1] + w * (lg[3] + w * lg[5]))
    hfsq = 0.5 * f * f
    return k * _LOG_LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LOG_LN2_LO)) - f)


@_jit(False)
def _normal(x):
    """True for a positive normal float64 (what :func:`_log` takes)."""
    i = _bits(x)
    return (i >= 0x0010000000000000) & (i < 0x7FF0000000000000)


_SUM_LANES = 8


@_jit(False)
def _lane_sum(v):
    """``sum(v)`` in a fixed order that vectorizes: eight interleaved partial
    sums (without ``fastmath`` LLVM keeps a single running sum serial, one
    addition's latency per element), added in a fixed tree, then the tail."""
    n = v.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    k = 0
    while k + _SUM_LANES <= n:
        s0 += v[k]
        s1 += v[k + 1]
        s2 += v[k + 2]
        s3 += v[k + 3]
        s4 += v[k + 4]
        s5 += v[k + 5]
        s6 += v[k + 6]
        s7 += v[k + 7]
        k += _SUM_LANES
    tail = 0.0
    while k < n:
        tail += v[k]
        k += 1
    return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail


@_jit(False)
def _lane_max_abs2(row):
    """The largest ``|row[k]|**2`` (float64), eight lanes as :func:`_lane_sum`
    (a NaN is skipped: it reaches the entropy through its own bin)."""
    n = row.shape[0]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = 0.0
    k = 0
    while k + _SUM_LANES <= n:
        v0, v1, v2, v3 = _abs2(row[k]), _abs2(row[k + 1]), _abs2(row[k + 2]), _abs2(row[k + 3])
        v4, v5, v6, v7 = _abs2(row[k + 4]), _abs2(row[k + 5]), _abs2(row[k + 6]), _abs2(row[k + 7])
        m0 = v0 if v0 > m0 else m0
        m1 = v1 if v1 > m1 else m1
        m2 = v2 if v2 > m2 else m2
        m3 = v3 if v3 > m3 else m3
        m4 = v4 if v4 > m4 else m4
        m5 = v5 if v5 > m5 else m5
        m6 = v6 if v6 > m6 else m6
        m7 = v7 if v7 > m7 else m7
        k += _SUM_LANES
    while k < n:
        v = _abs2(row[k])
        m0 = v if v > m0 else m0
        k += 1
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))


@_jit(False)
def _log_sums(A, et, lu, p, r):
    """``(sum A log u, sum A (et / u - log u))`` with ``u = A + et``; ``lu``
    is left holding ``log u`` (the cotangent's), ``p`` and ``r`` are work
    rows. The logarithms in a loop of their own (it vectorizes; with the
    products in it, it did not), then the products, then the sums."""
    ok = True
    for k in range(A.shape[0]):
        u = A[k] + et
        lu[k] = _log(u)
        ok &= _normal(u)
    if not ok:  # rare: np.log's special cases
        for k in range(A.shape[0]):
            lu[k] = np.log(A[k] + et)
    for k in range(A.shape[0]):
        p[k] = A[k] * lu[k]
        r[k] = A[k] * (et / (A[k] + et) - lu[k])
    return _lane_sum(p), _lane_sum(r)


def _entropy_stats_fn(St, power, eps, frame, work, c, tot, slog, sm):
    """Per frame the scale ``c[b, n]``; per group (``(B, T)`` for frames,
    ``(B, 1)`` for planes) ``tot`` = T, ``slog`` = sum A log u and
    ``sm`` = sum A (eps T / u - log u). ``St`` (B, T, F): the spectrogram
    with frames first (C-contiguous: each frame one run of memory).
    ``work`` (B, T, 2, F) float64 is overwritten with ``a = |S| / c``
    (``work[b, n, 0]``) and ``log u`` (``work[b, n, 1]``) per bin, for
    :func:`_entropy_cotangent_fn`: the gradient takes no square root and no
    logarithm of its own.

    One square root and one logarithm per bin: each frame's magnitudes are
    taken relative to the frame's own largest (scaled before squaring, so
    no overflow), which is the group for frames; for a plane they are
    rescaled by the frame's largest over the plane's on the second pass,
    which reads ``a`` instead of ``S``."""
    n_b, n_t, n_f = St.shape
    A = np.empty(n_f)
    p = np.empty(n_f)
    r = np.empty(n_f)
    colmax = np.empty(n_t)
    colsum = np.empty(n_t)
    for b in range(n_b):
        for n in range(n_t):
            top = np.sqrt(_lane_max_abs2(St[b, n]))
            scale = top if top > 0 else 1.0
            row = work[b, n, 0]
            _magnitudes(St[b, n], 1.0 / scale, row)
            powered = _powers(row, power, A)
            total = _lane_sum(powered)
            if frame:  # the whole group at once, while the frame is in cache
                c[b, n] = scale
                grp = total if total > 0 else 1.0
                tot[b, n] = grp
                slog[b, n], sm[b, n] = _log_sums(powered, eps * grp, work[b, n, 1], p, r)
            colmax[n] = top
            colsum[n] = total
        if frame:
            continue
        top = 0.0
        for n in range(n_t):
            top = max(top, colmax[n])
        top = top if top > 0 else 1.0
        total = 0.0
        for n in range(n_t):
            total += colsum[n] * _power(colmax[n] / top, power)
        grp = total if total > 0 else 1.0
        tot[b, 0] = grp
        s_log = 0.0
        s_m = 0.0
        for n in range(n_t):
            c[b, n] = top
            row = work[b, n, 0]
            rel = colmax[n] / top
            if rel == rel:
                for k in range(n_f):
                    row[k] *= rel  # relative to the plane's largest |S|
            else:  # |S|**2 overflowed (inf / inf): scaled from S, as 0 (the estimators warn)
                _magnitudes(St[b, n], 1.0 / top, row)
            part_log, part_m = _log_sums(_powers(row, power, A), eps * grp, work[b, n, 1], p, r)
            s_log += part_log
            s_m += part_m
        slog[b, 0] = s_log
        sm[b, 0] = s_m


def _entropy_cotangent_fn(St, power, eps, frame, work, tot, sm, c, weight, out):
    """``out``: the gradient of ``sum_b weight[b] h_b`` with respect to ``S``
    in autograd's convention (``dRe - i dIm``), from :func:`_entropy_stats_fn`'s
    statistics and its ``work``, laid out as ``St`` (B, T, F). ``weight``
    already holds the per-frame mean's ``1 / T``. ``out`` may share its
    memory with ``work``, frame for frame (a frame's work is read before
    its cotangent is written)."""
    n_b, n_t, n_f = St.shape
    tiny = np.sqrt(np.finfo(np.float64).tiny)
    f = np.empty(n_f)
    for b in range(n_b):
        for n in range(n_t):
            ic = 1.0 / c[b, n]
            g = n if frame else 0
            grp = tot[b, g]
            et = eps * grp
            mean = sm[b, g] / grp
            # d h / d A = (eps T / u - log u - M / T) / T; the group's weight and
            # the magnitude's 1 / c (twice: once through a = |S| / c, once for
            # d|S| / dS = conj(S) / |S| = conj(S) / (c a)), applied in float64
            scale = weight[b] / grp * ic * ic
            ar = work[b, n, 0]
            lr = work[b, n, 1]
            if power == 1.0:
                for k in range(n_f):
                    af = max(ar[k], tiny)  # |S| far below the largest: a finite slope
                    f[k] = ((et / (ar[k] + et) - lr[k] - mean) / af) * scale
            else:  # dh / dA times dA / da = power a**(power - 1)
                for k in range(n_f):
                    af = max(ar[k], tiny)
                    dA = 2.0 * af if power == 2.0 else power * af ** (power - 1.0)
                    f[k] = (((et / (_power(ar[k], power) + et) - lr[k] - mean) * dA) / af) * scale
            row = St[b, n]
            dst = out[b, n]
            for k in range(n_f):
                s = row[k]
                dst[k] = complex(np.float64(s.real) * f[k], -np.float64(s.imag) * f[k])


@_jit(False)
def _magnitudes(row, scale, A):
    """``A[k] = |row[k]| scale`` (scaled before squaring: no overflow for ``|row[k]| scale <= 1``)."""
    for k in range(row.shape[0]):
        A[k] = _scaled_abs(row[k], scale)


@_jit(False)
def _powers(a, power, A):
    """``a**power`` for ``a >= 0`` (0 at 0): ``a`` itself for power 1, else
    written into ``A``, each power's loop on its own (the common ones
    without ``pow``)."""
    if power == 1.0:
        return a
    if power == 2.0:
        for k in range(a.shape[0]):
            A[k] = a[k] * a[k]
    else:
        for k in range(a.shape[0]):
            A[k] = a[k] ** power if a[k] > 0 else 0.0
    return A


@_jit(False)
def _abs2(s):
    """``|s|**2`` in float64 (a square root cheaper than ``abs``'s ``hypot``)."""
    re = np.float64(s.real)
    im = np.float64(s.imag)
    return re * re + im * im


@_jit(False)
def _scaled_abs(s, scale):
    """``|s| * scale`` in float64, scaled before squaring (no overflow for ``|s| * scale <= 1``)."""
    re = np.float64(s.real) * scale
    im = np.float64(s.imag) * scale
    return np.sqrt(re * re + im * im)


@_jit(False)
def _power(a, power):
    """``a**power`` for ``a >= 0`` (0 at 0 for every power)."""
    if power == 1.0:
        return a
    if power == 2.0:
        return a * a
    return a ** power if a > 0 else 0.0


_entropy_stats = Compiled(_entropy_stats_fn, parallel=False)
_entropy_cotangent = Compiled(_entropy_cotangent_fn, parallel=False)


def _frames_first(S):
    """``S`` (G, F, T) as a C-contiguous (G, T, F) array (a view for the
    transform's own outputs, which are laid out that way)."""
    return np.ascontiguousarray(np.swapaxes(S, -1, -2))


def entropy_stats(S, power, eps, frame, work=None):
    """``(c, tot, slog, sm, work)`` of :func:`_entropy_stats_fn` for ``S``
    (B, F, T). ``work``: complex128 (B, T, F) (new when None), whose bytes
    hold each frame's ``a`` then its ``log u`` -- the bytes of a
    complex128 cotangent, which :func:`entropy_cotangent` may write over
    them frame by frame, so that a gradient touches no more fresh memory
    than its cotangent."""
    n_b, _, n_t = S.shape
    St = _frames_first(S)
    groups = (n_b, n_t if frame else 1)
    c = np.empty((n_b, n_t))
    tot, slog, sm = np.empty(groups), np.empty(groups), np.empty(groups)
    if work is None:
        work = np.empty(St.shape, np.complex128)
    _entropy_stats(St, float(power), float(eps), bool(frame), _rows_of(work), c, tot, slog, sm)
    return c, tot, slog, sm, work


def _rows_of(work):
    """A complex128 (B, T, F) array's bytes as float64 (B, T, 2, F): per frame, two contiguous rows."""
    return work.view(np.float64).reshape(work.shape[:-1] + (2, work.shape[-1]))


def entropy_cotangent(S, power, eps, frame, stats, weight, in_place=False):
    """The cotangent of ``sum_b weight[b] h_b`` (``h`` the entropy per signal
    from :func:`entropy_stats`' ``stats``), shape and dtype of ``S``, frames
    first in memory. With ``in_place`` a complex128 cotangent is written
    over the statistics' ``work`` (which then serves no other)."""
    c, tot, _, sm, work = stats
    St = _frames_first(S)
    out = work if in_place and St.dtype == work.dtype else np.empty_like(St)
    _entropy_cotangent(St, float(power), float(eps), bool(frame), _rows_of(work), tot, sm, c,
                       np.ascontiguousarray(weight, dtype=np.float64), out)
    return np.swapaxes(out, -1, -2)
