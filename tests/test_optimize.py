"""skdstft.optimize: bounded L-BFGS-B / Adam, best-iterate keeping, restarts."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd.tracer import getval
from sklearn.exceptions import ConvergenceWarning

from skdstft.optimize import minimize, restart_inits, run_restarts

METHODS = [("lbfgs", {"tol": 1e-12}), ("adam", {"learning_rate": 0.05, "max_iter": 400, "tol": 1e-10})]


def quadratic(theta):
    """Anisotropic quadratic with minimum at (3, -2, 40)."""
    target = np.array([3.0, -2.0, 40.0])
    scale = np.array([1.0, 10.0, 0.01])
    return anp.sum(scale * (theta - target) ** 2)


class NaNBeyond:
    """(t - 7)^2, but NaN where t > 5: the best finite point is t = 5."""

    def __call__(self, theta):
        if getval(theta)[0] > 5.0:
            return anp.sum(theta) * np.nan
        return anp.sum((theta - 7.0) ** 2)


class FailsAbove:
    """A quadratic that raises for starting points above ``limit``."""

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, theta):
        if getval(theta)[0] > self.limit:
            raise FloatingPointError("diverged on purpose")
        return anp.sum((theta - 2.0) ** 2)


def linear(theta):
    return anp.sum(theta)


@pytest.mark.parametrize("method,opts", METHODS)
def test_quadratic_reaches_the_minimum(method, opts):
    bounds = (np.array([-10.0, -10.0, 0.0]), np.array([10.0, 10.0, 100.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = minimize(quadratic, np.zeros(3) + 1.0, bounds, method=method, **opts)
    np.testing.assert_allclose(res.x, [3.0, -2.0, 40.0], atol=0.05 if method == "adam" else 1e-3)
    assert res.loss == pytest.approx(quadratic(res.x))
    assert res.loss_curve[0] == pytest.approx(quadratic(np.ones(3)))
    assert res.loss <= min(res.loss_curve) + 1e-12
    assert res.seconds > 0 and res.n_iter >= 1


@pytest.mark.parametrize("method,opts", METHODS)
def test_bounds_are_respected(method, opts):
    # the unconstrained minimum (3, -2, 40) lies outside the box
    lo, hi = np.array([4.0, -1.0, 0.0]), np.array([6.0, 1.0, 20.0])
    seen = []

    def fun(theta):
        seen.append(np.array(getval(theta)))
        return quadratic(theta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = minimize(fun, np.array([5.0, 0.0, 10.0]), (lo, hi), method=method, **opts)
    seen = np.array(seen)
    assert np.all(seen >= lo - 1e-12) and np.all(seen <= hi + 1e-12)
    np.testing.assert_allclose(res.x, [4.0, -1.0, 20.0], atol=0.05)


@pytest.mark.parametrize("method,opts", METHODS)
def test_best_finite_iterate_is_kept_when_the_loss_is_nan(method, opts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = minimize(NaNBeyond(), np.array([1.0]), (0.0, 10.0), method=method, **opts)
    assert np.isfinite(res.loss) and np.all(np.isfinite(res.x))
    assert res.x[0] <= 5.0
    assert res.loss == pytest.approx((res.x[0] - 7.0) ** 2)
    assert res.loss < 36.0  # improved on the start


def test_non_finite_start_adam_reports_it():
    def always_nan(theta):
        return anp.sum(theta) * np.nan

    with pytest.warns(ConvergenceWarning):
        res = minimize(always_nan, np.array([1.0]), (0.0, 2.0), method="adam")
    assert res.loss == np.inf and "not finite" in res.message


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_convergence_warning_at_max_iter(method):
    def rosen(t):
        return (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2

    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = minimize(rosen, np.array([-1.5, 2.0]), (-3.0, 3.0), method=method, max_iter=2)
    assert not res.converged


def test_failing_restart_is_reported_and_others_kept():
    inits = [np.array([9.0]), np.array([1.0]), np.array([8.0])]
    best, results = run_restarts(FailsAbove(5.0), inits, (0.0, 10.0))
    assert best == 1
    assert results[0].loss == np.inf and "FloatingPointError" in results[0].message
    assert results[2].loss == np.inf and "diverged on purpose" in results[2].message
    assert results[1].x[0] == pytest.approx(2.0, abs=1e-4)


def test_every_restart_failing_raises():
    with pytest.raises(RuntimeError, match="every restart failed"):
        run_restarts(FailsAbove(0.5), [np.array([1.0]), np.array([2.0])], (0.0, 10.0))


def test_ties_go_to_the_lowest_index():
    # both runs end exactly at the lower bound with loss 0
    best, results = run_restarts(linear, [np.array([3.0]), np.array([1.0])], (0.0, 10.0))
    assert results[0].loss == results[1].loss == 0.0
    assert best == 0


def test_restart_inits_are_deterministic_and_in_bounds():
    a = restart_inits(300.0, (10.0, 1000.0), 6, 0)
    b = restart_inits(300.0, (10.0, 1000.0), 6, np.random.RandomState(0))
    assert len(a) == 6 and float(a[0]) == 300.0
    np.testing.assert_array_equal(np.array(a), np.array(b))
    assert all(10.0 <= float(v) <= 1000.0 for v in a)
    arr = restart_inits(np.full(4, 50.0), (10.0, 100.0), 3, 1)
    assert all(v.shape == (4,) for v in arr) and np.all(arr[1] == arr[1][0])
    with pytest.raises(ValueError, match="n_restarts"):
        restart_inits(1.0, (0.5, 2.0), 0, 0)


def test_restarts_identical_in_processes():
    inits = restart_inits(np.ones(3), (0.5, 100.0), 3, 0)
    bounds = (np.array([-10.0, -10.0, 0.0]), np.array([10.0, 10.0, 100.0]))
    best1, r1 = run_restarts(quadratic, inits, bounds, n_jobs=1)
    best2, r2 = run_restarts(quadratic, inits, bounds, n_jobs=2)
    assert best1 == best2
    for a, b in zip(r1, r2):
        np.testing.assert_array_equal(a.x, b.x)
        assert a.loss == b.loss and a.loss_curve == b.loss_curve


def test_invalid_arguments():
    with pytest.raises(ValueError, match="method"):
        minimize(quadratic, np.zeros(3), (-1.0, 1.0), method="newton")
    with pytest.raises(ValueError, match="bounds"):
        minimize(quadratic, np.zeros(3), (1.0, 1.0))
    with pytest.raises(ValueError, match="x0"):
        minimize(quadratic, np.array([np.nan, 0.0, 0.0]), (-1.0, 1.0))
    with pytest.raises(ValueError, match="stochastic"):
        minimize(quadratic, np.zeros(3), (-1.0, 1.0), stochastic=True)
    with pytest.raises(ValueError, match="max_iter"):
        minimize(quadratic, np.zeros(3), (-1.0, 1.0), max_iter=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stochastic_adam_gets_the_iteration():
    calls = []

    def fun(theta, iteration):
        calls.append(iteration)
        return anp.sum((theta - 1.0) ** 2)

    res = minimize(fun, np.array([0.0]), (-2.0, 2.0), method="adam", stochastic=True,
                   max_iter=300, learning_rate=0.05)
    assert calls[:3] == [0, 1, 2]
    assert abs(res.x[0] - 1.0) < 0.05
