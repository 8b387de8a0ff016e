"""The supervised path's layers: TaskObjective (estimators/_task.py), the
solvers (estimators/_training.py) and optimize.rprop / optimize.AdamStep."""

import autograd.numpy as anp
import numpy as np
import pytest

from skdstft.estimators._heads import STD_EPS, head_shapes
from skdstft.estimators._task import TaskModel, TaskObjective, held_out_folds
from skdstft.estimators._training import TaskFit
from skdstft.estimators.classifier import learn_task_window
from skdstft.optimize import AdamStep, minimize, rprop
from skdstft.positions import frame_positions


def _tones(n=24, n_samples=256, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    y = np.arange(n) % 2
    f = np.where(y == 0, 0.1, 0.12)[:, None]
    X = np.cos(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    return X + 0.5 * rng.standard_normal((n, n_samples)), y


def _objective(time_mode, groups=None, seed=0):
    X, y = _tones()
    positions = np.asarray(frame_positions(X.shape[1], 16.0), dtype=float)
    model = TaskModel(32, positions, "hann", "l1", 8, 4, head_shapes(32, (), 2),
                      "classification")
    rng = np.random.RandomState(seed)
    folds = held_out_folds(len(X), groups, True, 0.25, y, rng)
    T = np.eye(2)[y]
    objective = TaskObjective(model, X, T, folds, bounds=(4.0, 30.0), alpha=1.0, rng=rng)
    # 12.3: no sample of a frame on the edge of a window support (the hann window is not
    # twice differentiable there, which would leave central differences an O(h) error)
    u = np.log(np.full((1, len(positions)), 12.3) if time_mode else np.array(12.3))
    if time_mode:
        u = u + 0.1 * np.sin(np.arange(len(positions)))[None, :]
    return objective, u, X, T


def _fixed_head_loss(objective, u, fitted):
    """The held-out loss at ``u`` with the heads of an earlier evaluation held
    fixed and the training parts' statistics recomputed at ``u`` (what the
    objective's gradient differentiates; every training signal in the statistics)."""
    model = objective.model
    lam = np.clip(np.exp(u), objective.lo, objective.hi)
    Z = model.features_in_batches(objective.X, lam)
    total = 0.0
    for (i_fit, i_val), (head, _, _) in zip(objective.folds, fitted):
        mean, var = Z[i_fit].mean(axis=0), Z[i_fit].var(axis=0)
        out = model.outputs((Z[i_val] - mean) / np.sqrt(var + STD_EPS), head)
        total += float(model.data_loss(out, objective.T[i_val])) * len(i_val) / objective.n_held
    return total


@pytest.mark.parametrize("time_mode", [False, True])
@pytest.mark.parametrize("grouped", [False, True])
def test_task_objective_gradient_matches_finite_differences(time_mode, grouped):
    """With every training signal in the statistics' subset, the gradient is
    the exact derivative of the held-out loss at fixed heads. Pinned to
    TaskObjective._gradient because the heads fitted inside a call are not
    returned, and the fixed-head loss needs them."""
    groups = np.repeat(np.arange(4), 6) if grouped else None
    objective, u, _, _ = _objective(time_mode, groups)
    fitted = []
    original = objective._gradient
    objective._gradient = lambda uu, Z, f: (fitted.extend(f), original(uu, Z, f))[1]
    loss, gradient = objective(u)
    g = gradient()
    assert loss == pytest.approx(_fixed_head_loss(objective, u, fitted), rel=1e-12)
    h = 1e-5
    directions = [np.ones_like(u)] + ([np.eye(u.size)[i].reshape(u.shape) for i in (0, 7)]
                                      if time_mode else [])
    for d in directions:
        fd = (_fixed_head_loss(objective, u + h * d, fitted)
              - _fixed_head_loss(objective, u - h * d, fitted)) / (2 * h)
        assert np.sum(g * d) == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert np.abs(g).max() > 1e-6  # not a trivially passing zero gradient


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_task_objective_records_every_evaluation_and_serves_minimize():
    objective, u, _, _ = _objective(False)
    res = minimize(objective, u, (np.log(4.0), np.log(30.0)), method="adam", max_iter=3,
                   learning_rate=0.1)
    assert np.isfinite(res.loss)
    n = len(objective.train_losses)
    assert n >= 3 and len(objective.held_out_losses) == n == len(objective.win_lengths)
    assert res.loss == pytest.approx(min(objective.held_out_losses))


def test_rprop_is_scale_free_and_keeps_the_best_point():
    # two coordinates whose gradients differ by 10**8: sign steps move both alike
    scale = np.array([1e4, 1e-4])

    def fun(x):
        return float(np.sum(scale * (x - 1.0) ** 2)), lambda: 2 * scale * (x - 1.0)

    res = rprop(fun, np.array([3.0, -2.0]), (-5.0, 5.0), step=0.5, max_iter=200,
                early_stopping=False, min_step=1e-4)
    assert res.converged and np.allclose(res.x, 1.0, atol=1e-3)
    assert res.loss == min(res.loss_curve) and res.loss_curve[res.best_iter - 1] == res.loss


def test_rprop_asks_for_the_gradient_only_before_a_step():
    asked = []

    def fun(x):
        return float((x - 4.0) ** 2), lambda: asked.append(float(x)) or 2 * (x - 4.0)

    res = rprop(fun, 0.0, (0.0, 10.0), step=1.0, max_iter=4, early_stopping=False)
    assert res.loss_curve == pytest.approx([16.0, 9.0, 1.8**2, 0.36**2])  # steps 1, 1.2, 1.44
    assert res.n_iter == 4 and len(asked) == 3 and not res.converged  # none after the last
    asked.clear()
    res = rprop(fun, 0.0, (0.0, 3.0), step=1.0, max_iter=10, early_stopping=False)
    assert float(res.x) == 3.0 and res.converged  # at the bound every step is clipped to 0
    assert res.n_iter == 4 and len(asked) == 4
    # early stopping: no better loss in n_iter_no_change evaluations
    flat = rprop(lambda x: (1.0, lambda: np.ones_like(x)), 0.0, (-9.0, 9.0),
                 n_iter_no_change=2, max_iter=50)
    assert flat.converged and flat.n_iter == 3 and flat.best_iter == 1


def test_adam_step_is_adams_rule():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((5, 3))
    adam, m, v = AdamStep(np.zeros(3)), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(adam.step(g, 0.01, t), expected, rtol=1e-12)


def test_regression_window_fits_no_classifier():
    """learn_task_window's regression goes through the task layer: the fitted
    model is the window and ridge head (a TaskFit), whose head predicts the
    standardized target from the standardized features."""
    X, y = _tones(n=30)
    target = y + 0.3 * np.arange(30) / 30
    lam, info = learn_task_window(X, target, n_fft=32, max_iter=3, random_state=0)
    fit = info["estimator"]
    assert isinstance(fit, TaskFit) and info["task"] == "regression"
    assert float(fit.win_length) == lam and fit.n_iter == info["n_iter"] == len(fit.loss_curve)
    assert fit.head.shape == (fit.mean.size + 1,)  # one output, no hidden layer
    model = TaskModel(32, info["positions"], "hann", "l1", 17, 16,
                      head_shapes(fit.mean.size, (), 1), "regression")
    pred = anp.ravel(model.outputs((model.features_in_batches(X, lam) - fit.mean) / fit.scale,
                                   fit.head))
    assert np.corrcoef(pred, target)[0, 1] > 0.8
