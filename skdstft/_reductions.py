"""Full-array inner products, compiled.

The gradients reduce (F, T) arrays to scalars at every optimizer step. They
do it here, in a compiled loop, rather than through BLAS dots: a BLAS dot's
summation order, and its speed, depend on how many threads BLAS runs (on a
loaded 2-core machine OpenBLAS's default threads made a 0.8 ms reduction
take 16 ms), while this one sums each row in order on one thread and the
rows' sums in row order: the same bits for any thread count, of BLAS or of
numba.
"""

import numpy as np
from numba import prange

from ._kernels import Compiled

__all__ = ["real_dot"]


def _real_dot_fn(u, v):
    """``Re sum(u * v)`` of two (R, C) arrays (any layout)."""
    n_r, n_c = u.shape
    rows = np.empty(n_r)
    for r in prange(n_r):
        total = 0.0
        for j in range(n_c):
            a = u[r, j]
            b = v[r, j]
            total += np.float64(a.real) * np.float64(b.real) - np.float64(a.imag) * np.float64(b.imag)
        rows[r] = total
    total = 0.0
    for r in range(n_r):
        total += rows[r]
    return total


_real_dot = Compiled(_real_dot_fn, parallel=False)  # a short pass over memory


def _rows(a):
    """``a`` as a 2-D array of rows along its last axis (a view when its layout allows)."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a.reshape(-1, a.shape[-1])


def real_dot(u, v):
    """``Re sum(u * v)`` over all elements of two arrays of equal shape.

    ``u`` and ``v`` are real or complex float arrays of any layout; sums are
    taken in float64 (complex128), in an order that does not depend on any
    thread count. Returns a Python float.
    """
    if u.shape != v.shape:
        raise ValueError(f"real_dot needs equal shapes, got {u.shape} and {v.shape}")
    return float(_real_dot(_rows(u), _rows(v)))
