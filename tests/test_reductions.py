"""The compiled inner products behind the gradients' reductions."""

import numpy as np
import pytest

from skdstft._reductions import real_dot


def _pair(dtype, shape, rng):
    def one():
        a = rng.standard_normal(shape)
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dtype)
    return one(), one()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_real_dot_equals_the_plain_sum_for_every_layout(dtype):
    rng = np.random.default_rng(3)
    u, v = _pair(dtype, (3, 17, 29), rng)
    tol = 1e-5 if dtype in (np.float32, np.complex64) else 1e-12
    layouts = [
        (u, v),                                          # C order
        (u.swapaxes(1, 2), v.swapaxes(1, 2)),            # transposed alike
        (u.swapaxes(1, 2), np.ascontiguousarray(v.swapaxes(1, 2))),  # layouts differ
        (u[:, ::2], v[:, ::2]),                          # strided
        (u[0, 0, 0], v[0, 0, 0]),                        # 0-d
    ]
    for a, b in layouts:
        want = np.sum(a.astype(np.complex128) * b.astype(np.complex128)).real
        got = real_dot(a, b)
        assert isinstance(got, float)
        assert abs(got - want) <= tol * max(1.0, np.sum(np.abs(a) * np.abs(b)))


def test_real_dot_needs_equal_shapes():
    with pytest.raises(ValueError, match="equal shapes"):
        real_dot(np.ones(3), np.ones(4))


def test_real_dot_on_parts_of_a_complex_array():
    rng = np.random.default_rng(4)
    W = (rng.standard_normal((30, 17)) + 1j * rng.standard_normal((30, 17))).T
    for a, b in [(W.real, W.imag), (W.real, np.ascontiguousarray(W.imag.T).T),
                 (W.real[:, ::2], W.imag[:, ::2]), (W[::-1].real, W[::-1].imag)]:
        assert abs(real_dot(a, b) - np.sum(a * b)) <= 1e-12 * np.sum(np.abs(a * b))


def test_real_dot_same_bits_for_any_thread_count():
    import numba
    from threadpoolctl import threadpool_limits

    from skdstft._kernels import run_serially
    rng = np.random.default_rng(5)
    u, v = _pair(np.complex128, (4, 300, 257), rng)
    first = real_dot(u, v)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        with threadpool_limits(1, "blas"):
            assert real_dot(u, v) == first
    finally:
        numba.set_num_threads(before)
    with run_serially():
        assert real_dot(u, v) == first
