"""Reusable work buffers for temporaries that never leave the library.

Fresh memory is not free: the first touch of every page costs a fault, and
on some machines -- this project's virtual machines among them, about
2.5 us per 4 KB page -- a 5 MB temporary costs as much as the FFT that
fills it, and more when the allocator has just returned it to the system.
The frame buffers of a transform are allocated, filled, transformed and
dropped within one call, so a few per-thread buffers reused from call to
call avoid that cost without changing any result.

Only arrays whose lifetime ends inside the calling function may live in a
:func:`scratch` slot. An array handed to callers whose lifetime the library
does not control (a cotangent) may come from :func:`recycled_like`, whose
buffer is reused only once nothing refers to it any more. Each named slot holds one buffer per
thread, grown on demand; temporaries above ``MAX_BYTES`` are allocated
normally and not kept, so a one-off huge transform does not pin its memory.
"""

import sys
import threading

import numpy as np

__all__ = ["scratch", "scratch_like", "recycled_like", "MAX_BYTES"]

MAX_BYTES = 64 * 2**20

_LOCAL = threading.local()


def scratch(name, shape, dtype):
    """An uninitialized array of ``shape`` and ``dtype`` in the calling
    thread's buffer ``name`` (overwritten by the next request for ``name``)."""
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
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


def recycled_like(name, like):
    """An uninitialized array of ``like``'s shape and dtype, laid out in its
    axis order (as ``np.empty_like`` lays it out), that may be handed out.

    The calling thread's buffer ``name`` is reused when no array refers to
    its memory any more -- every numpy view keeps a reference to the buffer
    it views, so the buffer's reference count says so -- and is otherwise
    left to its holders and replaced by a fresh one. Memory is thus never
    shared with an array still in use, and a caller that drops each result
    before asking for the next (an optimizer's loop) reuses one buffer.
    """
    dtype = like.dtype
    dense, back = _layout(like)
    n_bytes = int(like.size) * dtype.itemsize
    if n_bytes > MAX_BYTES:
        return np.empty_like(like)
    pool = getattr(_LOCAL, "recycled", None)
    if pool is None:
        pool = _LOCAL.recycled = {}
    buf = pool.get(name)
    # referents of a buffer nobody else holds: the pool, ``buf`` and
    # getrefcount's own argument
    if buf is None or buf.nbytes < n_bytes or sys.getrefcount(buf) > 3:
        buf = pool[name] = np.empty(max(n_bytes, 1), dtype=np.uint8)
    return buf[:n_bytes].view(dtype).reshape(dense).transpose(back)


def scratch_like(name, like, dtype):
    """:func:`scratch` with ``like``'s shape, laid out in its axis order (so
    that element-wise passes between the two run contiguously)."""
    dense, back = _layout(like)
    return scratch(name, dense, dtype).transpose(back)


def _layout(like):
    """``(dense_shape, axes)``: ``like``'s shape in its memory order (largest
    stride first), and the transpose that brings a C-contiguous array of that
    shape back to ``like``'s axes."""
    order = np.argsort([-st for st in like.strides], kind="stable")
    return tuple(like.shape[i] for i in order), tuple(np.argsort(order))
