"""Reusable work buffers for temporaries that never leave the library.

Fresh memory is not free: the first touch of every page costs a fault
(how much, and when glibc hands freed memory back, is in
docs/architecture.md, "Fresh memory is not free"). The work arrays of a
transform are allocated, filled, transformed and dropped within one call,
so a few per-thread buffers reused from call to call avoid that cost
without changing any result.

Only arrays whose lifetime ends inside the calling function may live in a
:func:`scratch` slot. Each named slot holds one buffer per thread, grown on
demand; temporaries above ``MAX_BYTES`` are allocated
normally and not kept, so a one-off huge transform does not pin its memory.
"""

import math
import threading

import numpy as np

__all__ = ["scratch", "MAX_BYTES"]

MAX_BYTES = 64 * 2**20

_LOCAL = threading.local()


def scratch(name, shape, dtype):
    """An uninitialized array of ``shape`` and ``dtype`` in the calling
    thread's buffer ``name`` (overwritten by the next request for ``name``)."""
    dtype = np.dtype(dtype)
    n_bytes = math.prod(int(n) for n in shape) * dtype.itemsize  # np.prod: 10 us per call
    if n_bytes > MAX_BYTES:
        return np.empty(shape, dtype=dtype)
    pool = getattr(_LOCAL, "pool", None)
    if pool is None:
        pool = _LOCAL.pool = {}
    buf = pool.get(name)
    if buf is None or buf.nbytes < n_bytes:
        buf = pool[name] = np.empty(max(n_bytes, 1), dtype=np.uint8)
    # 64-byte alignment is what numpy gives; the pool's buffers start aligned
    return buf[:n_bytes].view(dtype).reshape(shape)
