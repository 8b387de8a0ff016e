"""The supervised path's layers: TaskObjective (estimators/_task.py), the
solvers (estimators/_training.py) and optimize.rprop / optimize.AdamStep."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from skdstft.estimators._heads import STD_EPS, fit_linear_head, head_shapes
from skdstft.estimators._task import (
    HESSIAN_DAMPING,
    TaskModel,
    TaskObjective,
    _Fold,
    _FreeHead,
    conjugate_gradient,
    held_out_folds,
)
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
    objective = TaskObjective(model, X, T, folds, bounds=(4.0, 30.0), alpha=1.0,
                              hypergradient=False, temperature=False)
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
def test_fixed_head_gradient_matches_finite_differences_at_fixed_heads(time_mode, grouped):
    """``hypergradient=False`` is the exact derivative of the held-out loss at
    fixed heads (the training parts' statistics moving with the window).
    Pinned to TaskObjective._gradient because the heads fitted inside a call
    are not returned, and the fixed-head loss needs them."""
    groups = np.repeat(np.arange(4), 6) if grouped else None
    objective, u, _, _ = _objective(time_mode, groups)
    fitted = []
    original = objective._gradient
    objective._gradient = lambda uu, Z, f: (fitted.extend(
        (fold.fh.pack(ff), None, None) for fold, ff in f), original(uu, Z, f))[1]
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


def _problem(n_classes, task, grouped, n=36, n_samples=256, seed=0):
    """Tones whose frequency carries the class (or the regression target), in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    y = np.arange(n) % n_classes
    f = 0.1 + 0.02 * y + (0.01 * rng.standard_normal(n) if task == "regression" else 0.0)
    X = np.cos(2 * np.pi * f[:, None] * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    X = X + 0.5 * rng.standard_normal((n, n_samples))
    T = np.eye(n_classes)[y] if task == "classification" else ((f - f.mean()) / f.std())[:, None]
    positions = np.asarray(frame_positions(n_samples, 16.0), dtype=float)
    model = TaskModel(32, positions, "hann", "l1", 8, 4, head_shapes(32, (), T.shape[1]), task)
    groups = np.repeat(np.arange(4), n // 4) if grouped else None
    folds = held_out_folds(n, groups, True, 0.25, y if task == "classification" else None,
                           np.random.RandomState(seed))
    return model, X, T, folds


CASES = [(3, "classification"), (2, "classification"), (1, "regression")]


@pytest.mark.parametrize("n_classes,task,temperature", [
    *[(c, t, False) for c, t in CASES], (3, "classification", True)])
@pytest.mark.parametrize("grouped", [False, True])
def test_gradient_is_the_derivative_of_the_refitted_held_out_loss(n_classes, task, temperature,
                                                                   grouped):
    """The gradient matches central differences of the objective itself: the
    held-out loss with every head refitted at u +- h (polished to
    stationarity, so the differences do not see the solver's tolerance), and
    with ``temperature`` every held-out temperature refitted too (no term for
    it: envelope theorem). The fixed-head gradient does not match there
    (which makes the first check one that can fail): it misses how the
    refitted heads move with the window."""
    model, X, T, folds = _problem(n_classes, task, grouped)
    u, h = np.array(np.log(12.3)), 1e-4
    grads = {}
    for exact in (True, False):
        # a weak penalty with the temperature: over-confident heads, whose held-out
        # logits the temperature softens (it never sharpens them)
        objective = TaskObjective(model, X, T, folds, bounds=(4.0, 30.0),
                                  alpha=0.01 if temperature else 1.0, hypergradient=exact,
                                  polish_tol=1e-12, cg_rtol=1e-12, temperature=temperature)
        _, grads[exact] = objective.value_and_grad(u)
        fd = (objective(u + h)[0] - objective(u - h)[0]) / (2 * h)
    assert abs(fd) > 1e-3  # not a trivially flat loss
    assert float(grads[True]) == pytest.approx(fd, rel=1e-5, abs=1e-8)
    assert abs(float(grads[False]) - fd) > 0.05 * abs(fd)
    if temperature:  # within its bounds, and inside them (envelope theorem) in some fold
        scales = np.array(objective.held_out_scales[-1])
        assert np.all((scales > 1e-3) & (scales <= 1.0)) and np.any(scales < 1 - 1e-3)


@pytest.mark.parametrize("n_classes,task", CASES)
def test_fitted_head_is_stationary_for_the_objective_the_hypergradient_uses(n_classes, task):
    """J (its penalty's scale, the binary packing, absent classes) is what
    scikit-learn's solver minimizes: its fitted head is stationary up to the
    solver's tol, and Newton polishing takes it to round-off. A J with the
    penalty twice too large is not stationary there (so the check can fail).
    The closed-form Hessian product agrees with autograd's."""
    model, X, T, folds = _problem(n_classes, task, grouped=False)
    model = model.linear()
    Z = model.features_in_batches(X, 12.3)
    i_fit, i_val = folds[0]
    Tf = T[i_fit].copy()
    if n_classes == 3:  # a class absent from the training part: never predicted, still stationary
        Tf[:, 0] = 0.0
        Tf[np.argmax(T[i_fit], axis=1) == 0, 1] = 1.0
    Zf = Z[i_fit]
    Zs = (Zf - Zf.mean(axis=0)) / np.sqrt(Zf.var(axis=0) + STD_EPS)
    for alpha in (1.0, 0.1):
        head, _ = fit_linear_head(Zs, Tf, task, alpha)
        fold = _Fold(model, _FreeHead(head, Tf, task, alpha, Z.shape[1]), Tf, T[i_val])
        assert np.allclose(fold.fh.pack(fold.fh.free), head)
        g = fold.fh.project(fold.grad_J(fold.fh.free, Zf))
        assert np.max(np.abs(g)) < 1e-4
        wrong = _FreeHead(head, Tf, task, 2 * alpha, Z.shape[1])
        g_wrong = _Fold(model, wrong, Tf, T[i_val]).grad_J(wrong.free, Zf)
        assert np.max(np.abs(g_wrong)) > 100 * np.max(np.abs(g))
        f, before, after = fold.polish(fold.fh.free, Zf, 1e-12)
        assert after < 1e-12 and before == pytest.approx(np.max(np.abs(g)))
        v = np.random.default_rng(0).standard_normal(f.size)
        # the closed-form Hessian product against autograd's (forward over reverse)
        hv = grad(lambda ff, w: anp.sum(fold.grad_J(ff, Zf) * w))
        np.testing.assert_allclose(fold.hvp(f, Zf)(v), hv(f, v) + HESSIAN_DAMPING * v,
                                   rtol=1e-10, atol=1e-12)


def test_conjugate_gradient_solves_within_the_projected_subspace():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 6))
    H = A @ A.T
    null = np.ones(6) / np.sqrt(6)
    P = np.eye(6) - np.outer(null, null)
    H = P @ H @ P  # singular along `null`
    b = rng.standard_normal(6)
    x, res, used = conjugate_gradient(lambda v: H @ v, b, lambda v: v - (v @ null) * null)
    assert res < 1e-10 and used <= 6 + 1
    np.testing.assert_allclose(H @ x, P @ b, atol=1e-9)
    assert abs(x @ null) < 1e-12


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
