"""Frame positions from hops (math.md §2) and their autograd chain rule (§4)."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from skdstft import frame_positions
from skdstft.positions import fixed_overlap_n_frames, fixed_overlap_positions, n_frames_for_hop


@pytest.mark.parametrize("n_samples, hop", [(10, 4), (100, 25), (1, 4), (5, 7), (1000, 2.5),
                                            (160000, 128)])
def test_constant_hop(n_samples, hop):
    positions = frame_positions(n_samples, hop)
    T = 1 + int(np.floor(n_samples / hop))
    assert T == n_frames_for_hop(n_samples, hop)
    np.testing.assert_array_equal(positions, hop * np.arange(T))
    assert positions.dtype == np.float64
    assert positions[-1] <= n_samples < positions[-1] + hop


def test_constant_hop_options():
    np.testing.assert_allclose(frame_positions(10, 2.5, n_frames=3, start=1.5),
                               [1.5, 4.0, 6.5])
    assert frame_positions(10, 4).tolist() == [0.0, 4.0, 8.0]
    assert frame_positions(np.int64(10), np.float32(4)).shape == (3,)


def test_time_varying_hop():
    hops = np.array([1.0, 2.5, 0.5, 4.0])
    np.testing.assert_allclose(frame_positions(20, hops), [0.0, 1.0, 3.5, 4.0, 8.0])
    np.testing.assert_allclose(frame_positions(20, hops.tolist(), start=2.0),
                               [2.0, 3.0, 5.5, 6.0, 10.0])
    assert frame_positions(20, hops, n_frames=5).shape == (5,)
    with pytest.raises(ValueError, match="n_frames"):
        frame_positions(20, hops, n_frames=4)


def test_constant_hop_is_differentiable():
    rng = np.random.default_rng(41)
    c = rng.standard_normal(9)

    def f(hop, start):
        return anp.sum(frame_positions(100, hop, n_frames=9, start=start) * c)

    np.testing.assert_allclose(grad(f)(11.5, 0.0), np.sum(np.arange(9) * c), rtol=1e-14)
    np.testing.assert_allclose(grad(f, 1)(11.5, 3.0), np.sum(c), rtol=1e-14)


def test_default_frame_count_with_a_boxed_hop():
    """n_frames=None inspects the value of a hop being differentiated."""
    c = np.arange(1.0, 12.0)

    def f(hop):
        p = frame_positions(100, hop)
        assert p.shape == (11,)  # 1 + floor(100 / 9.5)
        return anp.sum(p * c)

    np.testing.assert_allclose(grad(f)(9.5), np.sum(np.arange(11) * c))


def test_time_varying_hop_gradient_is_reversed_cumsum():
    rng = np.random.default_rng(42)
    hops = rng.uniform(1, 5, 6)
    c = rng.standard_normal(7)
    g = grad(lambda h: anp.sum(frame_positions(50, h) * c))(hops)
    expected = np.cumsum(c[::-1])[::-1][1:]  # sum_{n > j} c_n
    np.testing.assert_allclose(g, expected, rtol=1e-14)


def test_fixed_overlap_positions():
    np.testing.assert_allclose(fixed_overlap_positions([4.0, 4.0, 8.0], 0.5), [0.0, 2.0, 5.0])
    lam = np.array([10.0, 20.0, 30.0, 10.0])
    np.testing.assert_allclose(fixed_overlap_positions(lam, 0.0, start=1.0),
                               [1.0, 16.0, 41.0, 61.0])
    # the hop follows the window: equal windows, overlap rho -> hop (1 - rho) lam
    np.testing.assert_allclose(np.diff(fixed_overlap_positions(np.full(5, 12.0), 0.75)), 3.0)


def test_fixed_overlap_positions_gradient():
    rng = np.random.default_rng(43)
    lam = rng.uniform(8, 30, 6)
    c = rng.standard_normal(6)

    def f(lam_):
        return anp.sum(fixed_overlap_positions(lam_, 0.3, start=2.0) * c)

    g = grad(f)(lam)
    h = 1e-6
    fd = np.array([(f(lam + h * e) - f(lam - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def test_fixed_overlap_positions_errors():
    with pytest.raises(ValueError, match="overlap"):
        fixed_overlap_positions([4.0, 4.0], 1.0)
    with pytest.raises(ValueError, match="overlap"):
        fixed_overlap_positions([4.0, 4.0], -0.1)
    with pytest.raises(ValueError, match="win_lengths"):
        fixed_overlap_positions([4.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="win_lengths"):
        fixed_overlap_positions([], 0.5)
    with pytest.raises(ValueError, match="win_lengths"):
        fixed_overlap_positions(np.ones((2, 2)), 0.5)


def test_fixed_overlap_frame_count_covers_the_signal():
    T = fixed_overlap_n_frames(1000, 8, 0.5)
    positions = fixed_overlap_positions(np.full(T, 8.0), 0.5)
    assert positions[-1] >= 1000 - 1
    assert positions[-2] < 1000


@pytest.mark.parametrize("hop", [0, -1.0, np.nan, np.inf, [1.0, 0.0], [1.0, -2.0],
                                 [2.0, np.nan]])
def test_bad_hops(hop):
    with pytest.raises(ValueError, match="hop_length"):
        frame_positions(100, hop)


def test_bad_hop_types_and_sizes():
    with pytest.raises(TypeError, match="hop_length"):
        frame_positions(100, "4")
    with pytest.raises(TypeError, match="hop_length"):
        frame_positions(100, True)
    with pytest.raises(ValueError, match="hop_length"):
        frame_positions(100, np.ones((2, 2)))
    with pytest.raises(ValueError, match="hop_length"):
        frame_positions(100, [])
    with pytest.raises(ValueError, match="n_samples"):
        frame_positions(0, 4)
    with pytest.raises(TypeError, match="n_samples"):
        frame_positions(10.0, 4)
    with pytest.raises(ValueError, match="n_frames"):
        frame_positions(10, 4, n_frames=0)
    with pytest.raises(ValueError, match="start"):
        frame_positions(10, 4, start=np.nan)


def test_a_vanishing_hop_is_a_clear_error_not_a_memory_error():
    with pytest.raises(ValueError, match="hop_length must be >= 0.01"):
        frame_positions(10, 1e-300)
