"""skdstft.objective.RepresentationObjective: gradients, parameterization, pickling."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from autograd import grad

from skdstft.objective import HOP_MODES, WINDOW_MODES, RepresentationObjective
from skdstft.positions import frame_positions

N_FFT, N, HOP = 32, 96, 8
T = 1 + N // HOP
F = N_FFT // 2 + 1


def make_signals(seed=0, n_signals=3):
    rng = np.random.default_rng(seed)
    t = np.arange(N)
    chirp = np.cos(2 * np.pi * (0.05 * t + 0.0015 * t**2))
    return chirp + 0.3 * rng.standard_normal((n_signals, N))


def make_objective(window_mode, hop_mode, **kw):
    X = make_signals()
    n_frames = T
    if hop_mode == "overlap":
        from skdstft.positions import fixed_overlap_n_frames
        n_frames = fixed_overlap_n_frames(N, 6.0, 0.5)
    opts = dict(n_fft=N_FFT, n_frames=n_frames, window_mode=window_mode, hop_mode=hop_mode,
                positions=frame_positions(N, HOP), win_bounds=(6.0, None),
                hop_bounds=(2.0, 16.0), reg=0.05, reg_scale=12.0, coverage=0.5,
                min_overlap=0.5)
    opts.update(kw)
    return RepresentationObjective(X, **opts)


def initial_theta(obj, rng):
    """A generic interior point: lengths and hops jittered around 12 / HOP."""
    theta, (lo, hi) = obj.pack(12.0, float(HOP))
    jitter = rng.uniform(-1.5, 1.5, theta.shape)
    return np.clip(theta + jitter, lo + 0.5, hi - 0.5)


COMBOS = [(w, h) for w in WINDOW_MODES for h in HOP_MODES
          if not (h == "overlap" and w not in ("constant", "time"))]


@pytest.mark.parametrize("window_mode,hop_mode", COMBOS)
@pytest.mark.parametrize("criterion", ["entropy", "kurtosis"])
def test_gradient_matches_finite_differences(window_mode, hop_mode, criterion):
    rng = np.random.default_rng(1)
    obj = make_objective(window_mode, hop_mode, criterion=criterion)
    theta = initial_theta(obj, rng)
    g = grad(obj)(theta)
    assert g.shape == theta.shape and np.all(np.isfinite(g))
    h = 1e-5
    for _ in range(3):  # directional derivatives along random directions
        v = rng.standard_normal(theta.shape)
        v /= np.linalg.norm(v)
        fd = (obj(theta + h * v) - obj(theta - h * v)) / (2 * h)
        assert np.dot(g, v) == pytest.approx(fd, rel=2e-4, abs=1e-8)


@pytest.mark.parametrize("scope", ["global", "frame"])
def test_gradient_each_coordinate_constant_hop(scope):
    """Coordinate-wise check where it is cheap: constant length and hop."""
    obj = make_objective("constant", "constant", scope=scope, criterion="renyi")
    theta = np.array([13.3, 7.7])
    g = grad(obj)(theta)
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1e-5
        fd = (obj(theta + e) - obj(theta - e)) / 2e-5
        assert g[i] == pytest.approx(fd, rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("window_mode,hop_mode", COMBOS)
def test_pack_unpack_round_trip(window_mode, hop_mode):
    obj = make_objective(window_mode, hop_mode)
    rng = np.random.default_rng(2)
    win_shape = obj.win_shape
    lam = rng.uniform(8, 20, win_shape) if win_shape else 11.5
    n_hop = obj.n_hop_params
    hop = rng.uniform(3, 9, n_hop) if hop_mode == "time" else 7.25
    theta, (lo, hi) = obj.pack(lam, hop)
    assert theta.shape == lo.shape == hi.shape == (obj.n_win_params + n_hop,)
    lam2, hop2, positions = obj.unpack(theta)
    np.testing.assert_array_equal(np.asarray(lam2), np.asarray(lam))
    if hop_mode in ("fixed", "overlap"):
        assert hop2 is None
    else:
        np.testing.assert_array_equal(np.asarray(hop2), np.asarray(hop))
    assert np.shape(positions) == (obj.n_frames,)
    assert np.all(np.diff(positions) > 0)
    # bounds: lengths then hops
    np.testing.assert_array_equal(lo[:obj.n_win_params], 6.0)
    np.testing.assert_array_equal(hi[:obj.n_win_params], N_FFT - 2)
    if n_hop:
        np.testing.assert_array_equal(lo[obj.n_win_params:], 2.0)
        np.testing.assert_array_equal(hi[obj.n_win_params:], 16.0)


def test_pack_clips_into_bounds_and_needs_a_hop():
    obj = make_objective("constant", "constant")
    theta, _ = obj.pack(1000.0, 0.1)
    np.testing.assert_array_equal(theta, [N_FFT - 2, 2.0])
    with pytest.raises(ValueError, match="hop_length"):
        obj.pack(10.0)


def test_constant_hop_positions():
    obj = make_objective("constant", "constant")
    _, _, positions = obj.unpack(np.array([10.0, 5.5]))
    np.testing.assert_allclose(positions, 5.5 * np.arange(T))


def test_frame_mask_drops_frames_wholly_beyond_the_signal():
    obj = make_objective("time", "fixed")
    positions = np.array([-20.0, -5.0, 0.0, 50.0, N - 1.0, N + 5.0, N + 20.0, 40.0, 60.0, 70.0,
                          80.0, 90.0, 95.0])
    lam = np.full(T, 20.0)  # half-length 10: frames centred beyond 10 samples off the ends are empty
    mask = obj.frame_mask(lam, positions)
    assert mask.shape == (T,) and mask.dtype == bool
    np.testing.assert_array_equal(mask, np.abs(positions - (N / 2)) < N / 2 + 10)
    assert not mask[0] and mask[1] and not mask[6]


def test_importing_the_objective_loads_neither_sklearn_nor_pandas():
    # the core chain points one way: the objective must not pull in the estimators' layer
    code = ("import sys, skdstft.objective; "
            "assert 'sklearn' not in sys.modules and 'pandas' not in sys.modules, "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'pandas'))[:5]")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_invalid_configurations():
    with pytest.raises(ValueError, match="window_mode"):
        make_objective("sometimes", "fixed")
    with pytest.raises(ValueError, match="hop_mode"):
        make_objective("constant", "jumpy")
    with pytest.raises(ValueError, match="overlap"):
        make_objective("frequency", "overlap")
    with pytest.raises(ValueError, match="positions"):
        make_objective("constant", "fixed", positions=None)


def test_mini_batches_are_deterministic_subsets():
    obj = make_objective("constant", "fixed", batch_size=2, seed=3)
    theta = np.array([12.0])
    assert obj(theta, 5) == obj(theta, 5)
    values = {float(obj(theta, i)) for i in range(8)}
    assert len(values) > 1  # different draws
    full = make_objective("constant", "fixed")
    assert obj(theta) == full(theta)  # no iteration: every signal
    big = make_objective("constant", "fixed", batch_size=10)
    assert big(theta, 4) == full(theta)


def test_pickle_round_trip_keeps_the_loss():
    obj = make_objective("time", "time")
    theta = initial_theta(obj, np.random.default_rng(4))
    clone = pickle.loads(pickle.dumps(obj))
    assert clone(theta) == obj(theta)
    np.testing.assert_array_equal(grad(clone)(theta), grad(obj)(theta))


def test_penalties_enter_only_where_they_apply():
    theta = np.array([12.0])
    plain = make_objective("constant", "fixed", reg=0.0, coverage=0.0)
    penalized = make_objective("constant", "fixed", reg=5.0, coverage=5.0)
    assert plain(theta) == penalized(theta)  # nothing learned that they constrain
    # a hop too large for the windows to overlap is penalized
    hop = make_objective("constant", "constant", coverage=1.0)
    free = make_objective("constant", "constant", coverage=0.0)
    assert hop(np.array([8.0, 15.0])) > free(np.array([8.0, 15.0]))
    assert hop(np.array([20.0, 8.0])) == pytest.approx(free(np.array([20.0, 8.0])))


@pytest.mark.parametrize("window_mode,hop_mode", COMBOS)
@pytest.mark.parametrize("criterion", ["entropy", "renyi"])
def test_value_and_grad_equals_autograd(window_mode, hop_mode, criterion):
    """The optimizer asks the objective for value and gradient; in the default
    problem (constant length, fixed positions, entropy) the objective chains
    the VJPs itself. Every combination must agree with autograd's tape."""
    from autograd import value_and_grad
    rng = np.random.default_rng(2)
    obj = make_objective(window_mode, hop_mode, criterion=criterion)
    theta = initial_theta(obj, rng)
    v_ref, g_ref = value_and_grad(obj)(theta)
    v, g = obj.value_and_grad(theta)
    assert np.isclose(v, v_ref, rtol=1e-13, atol=0)
    np.testing.assert_allclose(g, g_ref, rtol=1e-11, atol=1e-14 * np.abs(g_ref).max())


@pytest.mark.parametrize("scope", ["global", "frame"])
@pytest.mark.parametrize("power", [1, 2, 0.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hand_chained_gradient_of_the_default_problem(scope, power, dtype):
    """The hand-chained path itself, for every power, scope and precision, on
    one signal and on a batch (its mean weights), against autograd and
    against central differences. Pinned to obj._chains_by_hand because no
    public behaviour shows which path computed the gradient: without it this
    could compare autograd with itself."""
    from autograd import value_and_grad
    for n_signals in (1, 3):
        X = make_signals(n_signals=n_signals).astype(dtype)
        obj = RepresentationObjective(X, n_fft=N_FFT, n_frames=T, positions=frame_positions(N, HOP),
                                      criterion="entropy", power=power, scope=scope)
        assert obj._chains_by_hand
        theta = np.array([13.7])
        v, g = obj.value_and_grad(theta)
        v_ref, g_ref = value_and_grad(obj)(theta)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        assert np.isclose(v, v_ref, rtol=tol) and np.allclose(g, g_ref, rtol=tol)
        if dtype == np.float64:
            h = 1e-5
            fd = (obj(theta + h) - obj(theta - h)) / (2 * h)
            assert np.isclose(g[0], fd, rtol=1e-6)
