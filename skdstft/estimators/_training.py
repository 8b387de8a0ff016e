"""Training a window length and a head for a task: the two solvers of
:class:`~skdstft.DSTFTClassifier` and of ``criterion="supervised"``.

* ``"alternating"`` (the default): :func:`skdstft.optimize.rprop` on the
  :class:`~skdstft.estimators._task.TaskObjective` (the convex head fitted
  exactly at each window, then a sign-based step of ``log(lam)``), then the
  final head at the kept window;
* ``"adam"``: window and head trained jointly on mini-batches, with
  :class:`skdstft.optimize.AdamStep` updates of each (their own learning
  rates) and early stopping on a validation part.

:func:`fit_task` runs either and returns a :class:`TaskFit`.
"""

import time
import warnings
from dataclasses import dataclass, field

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupShuffleSplit

from ..optimize import AdamStep, rprop
from ._base import at_bound_share, user_stacklevel
from ._heads import STD_EPS, fit_linear_head, init_head, l2_penalty
from ._task import EXACT_WITHOUT_GROUPS, TaskObjective, held_out_folds, lam_from_log, validation_split

__all__ = ["TaskFit", "fit_task", "SOLVERS"]

SOLVERS = ("alternating", "adam")


@dataclass
class TaskFit:
    """A trained window and head.

    Attributes
    ----------
    head : ndarray
        The head's parameters, packed (:func:`~skdstft.estimators._heads.init_head`).
    win_length : ndarray, shape () or (1, T)
        The window length(s) kept (samples).
    mean, scale : ndarray (D,)
        Standardization of the features at ``win_length`` (training signals).
    loss_curve : list of float
        Mean training loss per iteration (epoch for ``"adam"``).
    validation_scores : list of float
        Held-out loss per iteration (empty when nothing is held out).
    win_length_curve : list of float
        Window length (mean over frames) per iteration.
    n_iter, best_epoch : int
        Iterations run; the one whose window was kept.
    """

    head: np.ndarray
    win_length: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    win_length_curve: list = field(default_factory=list)
    n_iter: int = 0
    best_epoch: int = 0


def fit_task(model, X, T, settings, *, bounds, rng, stratify=None, groups=None,
             name="DSTFTClassifier"):
    """Train a window length (unless ``window_mode="fixed"``) and a head.

    Parameters
    ----------
    model : TaskModel
        Features, head shapes (``settings.hidden_layer_sizes``) and loss.
    X : ndarray (n, N)
    T : ndarray (n, C)
        One-hot rows (classification) or standardized targets (regression).
    settings : Settings
        A :class:`~skdstft.DSTFTClassifier`'s resolved parameters
        (:func:`~skdstft.estimators._base.resolve_settings`): ``win_length``
        the initial (``window_mode="fixed"``: the) window length,
        ``window_mode``, ``hidden_layer_sizes``, ``solver`` and the solvers'
        parameters of the same names as the classifier's.
        ``win_learning_rate=None`` takes the solver's default: 0.25, the
        initial Rprop step of ``log(lam)``, for ``"alternating"``; 0.05,
        Adam's step of ``log(lam)``, for ``"adam"``.
    bounds : (lo, hi)
        Window-length bounds, samples.
    rng : numpy.random.RandomState
        Validation split, head initialization,
        mini-batch order.
    stratify : ndarray (n,), optional
        Class codes for a stratified validation split.
    groups : ndarray (n,), optional
        Checked groups (:func:`~skdstft.estimators._task.check_groups`): the
        window is then scored on held-out groups.
    name : str
        Prefix of the verbose lines.

    Returns
    -------
    TaskFit
    """
    lam0 = settings.win_length
    learn = settings.window_mode != "fixed"
    time_mode = settings.window_mode == "time"
    if settings.solver == "adam":
        win_lr = 0.05 if settings.win_learning_rate is None else settings.win_learning_rate
        fit = _train_jointly(model, X, T, lam0=lam0, bounds=bounds, learn_window=learn,
                             time_mode=time_mode, win_learning_rate=win_lr, settings=settings,
                             rng=rng, stratify=stratify, groups=groups, name=name)
        if learn:
            _warn_adam_clipped(fit, lam0, bounds, win_lr, name)
        return fit
    return _alternate(model, X, T, lam0=lam0, bounds=bounds, learn_window=learn,
                      time_mode=time_mode, settings=settings, rng=rng, stratify=stratify,
                      groups=groups, name=name)


def _alternate(model, X, T, *, lam0, bounds, learn_window, time_mode, settings, rng, stratify,
               groups, name):
    """The alternating solver: :func:`~skdstft.optimize.rprop` on the
    :class:`TaskObjective` in ``u = log(lam)`` (initial step
    ``win_learning_rate``, default 0.25; stop after ``n_iter_no_change``
    iterations without a held-out loss lower by ``tol`` (relative), or when
    every step is below 0.01), keeping the window with the lowest held-out
    loss; then the final head on all the training signals at that window
    (an MLP head trained by Adam, the window fixed)."""
    lo, hi = bounds
    n_frames = len(model.positions)
    u0 = np.full((1, n_frames) if time_mode else (), np.log(lam0), dtype=float)
    u, curves = u0, ([], [], [], 0)
    if learn_window:
        folds = held_out_folds(len(X), groups, settings.early_stopping,
                               settings.validation_fraction, stratify, rng)
        exact = groups is not None or EXACT_WITHOUT_GROUPS
        objective = TaskObjective(model, X, T, folds, bounds=bounds, alpha=settings.alpha,
                                  hypergradient=exact, temperature=exact,
                                  verbose=settings.verbose, name=name)
        step = 0.25 if settings.win_learning_rate is None else settings.win_learning_rate
        result = rprop(objective, u0, (np.log(lo), np.log(hi)), step=step,
                       max_iter=settings.max_iter, tol=settings.tol,
                       n_iter_no_change=settings.n_iter_no_change,
                       early_stopping=settings.early_stopping, min_step=0.01)
        u = result.x
        curves = (objective.train_losses, objective.held_out_losses, objective.win_lengths,
                  result.best_iter)
        _warn_stalled_at_bound(result, objective.win_lengths, bounds, step, name)
    lam = np.asarray(np.clip(np.exp(u), lo, hi), dtype=float)
    # the final head: all the training signals at the kept window
    if settings.hidden_layer_sizes:
        final = _train_jointly(model, X, T, lam0=lam,
                               bounds=(min(lo, np.min(lam)), max(hi, np.max(lam))),
                               learn_window=False, time_mode=np.ndim(lam) > 0,
                               win_learning_rate=0.0, settings=settings, rng=rng,
                               stratify=stratify, groups=None, name=name)
        head, mean, scale = final.head, final.mean, final.scale
    else:
        Z = model.features_in_batches(X, lam)
        mean, var = Z.mean(axis=0), Z.var(axis=0)
        scale = np.sqrt(var + STD_EPS)
        head, _ = fit_linear_head((Z - mean) / scale, T, model.task, settings.alpha)
    train_losses, held_out, win_lengths, best_iter = curves
    return TaskFit(head=head, win_length=lam, mean=mean, scale=scale, loss_curve=train_losses,
                   validation_scores=held_out, win_length_curve=win_lengths,
                   n_iter=len(train_losses), best_epoch=best_iter)


def _warn_stalled_at_bound(result, win_lengths, bounds, step, name):
    """ConvergenceWarning when the window search ended at a bound whose loss
    is worse than the best window visited (which is kept, often the initial
    one): there Rprop's steps are clipped to nothing, which
    :func:`~skdstft.optimize.rprop` reports as converged, so the fit would
    keep the earlier window without a word. A step as large as the bounds'
    span in ``log(lam)`` (``win_learning_rate=1e9``) does this at once.
    "At a bound" is the estimators' one rule (:func:`~skdstft.estimators._base.at_bound_share`)."""
    if not win_lengths or result.best_iter == result.n_iter:
        return
    last = win_lengths[-1]
    lo, hi = float(np.min(bounds[0])), float(np.max(bounds[1]))
    share, share_lo, _ = at_bound_share(last, (lo, hi))
    if not share:
        return
    warnings.warn(
        f"{name}: the window search ended at win_length={last:.4g}, the "
        f"{'lower' if share_lo else 'upper'} bound of win_length_bounds=({lo:g}, {hi:g}), where "
        f"the loss was worse than at the best window visited "
        f"({win_lengths[result.best_iter - 1]:.4g} samples, kept); "
        f"{_step_advice(step, lo, hi, 'the initial step', name)}", ConvergenceWarning,
        stacklevel=user_stacklevel())


def _step_advice(step, lo, hi, what, name):
    """The advice of the warnings on a window step too large for its bounds,
    in the parameters of ``name``, the estimator the user called:
    :class:`~skdstft.DSTFTTransformer` (``criterion="supervised"``) has no
    ``win_learning_rate`` and takes the default step."""
    span = f"{what} of log(win_length); the bounds span {np.log(hi / lo):.3g} in it"
    if name == "DSTFTTransformer":
        return f"widen win_length_bounds ({span}, {what} being {step:g})"
    return f"lower win_learning_rate={step:g} ({span}) or widen win_length_bounds"


def _warn_adam_clipped(fit, lam0, bounds, step, name):
    """ConvergenceWarning when Adam's step of ``log(lam)`` spans the whole
    range of the bounds and the window ended every epoch at a bound: Adam's
    first update is ``step`` whatever the gradient's scale, so
    ``win_learning_rate=1e6`` throws the window to a bound at once and every
    later update is clipped there (or throws it to the other bound). The
    window kept is then chosen by the step size rather than by the loss, and
    the BoundWarning alone would suggest widening the bounds."""
    lo, hi = float(np.min(bounds[0])), float(np.max(bounds[1]))
    if not fit.win_length_curve or step < np.log(hi / lo):
        return
    shares = [at_bound_share(v, (lo, hi)) for v in fit.win_length_curve]
    if not all(share for share, _, _ in shares):
        return
    seen = [w for w, k in (("lower", 1), ("upper", 2)) if any(s[k] for s in shares)]
    warnings.warn(
        f"{name}: the window ended every epoch at the {' or the '.join(seen)} bound of "
        f"win_length_bounds=({lo:g}, {hi:g}), where Adam's steps of win_learning_rate={step:g} "
        f"threw it from win_length={float(np.mean(lam0)):.4g} and clipped it: the bound was "
        f"chosen by the step size, not by the loss; "
        + _step_advice(step, lo, hi, "Adam's step", name), ConvergenceWarning,
        stacklevel=user_stacklevel())


def _train_jointly(model, X, T, *, lam0, bounds, learn_window, time_mode, win_learning_rate,
                   settings, rng, stratify, groups, name):
    """Window and head trained jointly by Adam on mini-batches (``max_iter``
    epochs), each batch standardized by its own statistics inside the
    differentiated graph (batch norm without affine parameters), early
    stopping on a validation part scored with running averages of those
    statistics. With ``groups`` (and early stopping) the validation part is
    whole groups: one :class:`~sklearn.model_selection.GroupShuffleSplit` of
    about ``validation_fraction`` of them."""
    lo, hi = bounds
    n = len(X)
    idx_val = np.array([], dtype=int)
    idx_tr = np.arange(n)
    if settings.early_stopping and groups is not None and learn_window:
        split = GroupShuffleSplit(n_splits=1, test_size=settings.validation_fraction,
                                  random_state=rng.randint(2**31 - 1))
        idx_tr, idx_val = next(split.split(np.zeros((n, 1)), groups=groups))
    elif settings.early_stopping:
        idx_tr, idx_val = validation_split(n, settings.validation_fraction, stratify, rng)
    n_frames = len(model.positions)
    u = np.full((1, n_frames) if time_mode else (), np.log(lam0), dtype=float)
    log_lo, log_hi = np.log(lo), np.log(hi)
    head = init_head(model.shapes, rng)
    n_tr = len(idx_tr)
    reg = 0.5 * settings.alpha / max(n_tr, 1)

    def head_loss(h, Z, Tb):
        mean, var = anp.mean(Z, axis=0), anp.var(Z, axis=0)
        out = model.outputs((Z - mean) / anp.sqrt(var + STD_EPS), h)
        return model.data_loss(out, Tb) + reg * l2_penalty(h, model.shapes)

    # with the window learned: through the DSTFT; else the features never change
    vg = value_and_grad(lambda h, uu, Xb, Tb: head_loss(
        h, model.features(Xb, lam_from_log(uu, lo, hi)), Tb), argnum=(0, 1))
    vg_head = value_and_grad(head_loss)
    fixed_Z = None
    if not learn_window:
        fixed_Z = model.features_in_batches(X, lam_from_log(u, lo, hi))

    adam_head, adam_win, n_updates = AdamStep(head), AdamStep(u), 0
    running_mean = running_var = None
    best_score, best_head, best_u, best_epoch = np.inf, head.copy(), np.array(u), 0
    loss_curve, val_curve, lam_curve = [], [], []
    calm = 0
    bs = int(min(settings.batch_size, n_tr))
    for epoch in range(1, settings.max_iter + 1):
        t0 = time.perf_counter()
        perm = rng.permutation(idx_tr)
        total, count = 0.0, 0
        for start in range(0, n_tr, bs):
            batch = perm[start:start + bs]
            if len(batch) < 2 and n_tr >= 2:  # batch statistics need 2 samples
                batch = perm[-2:]
            if learn_window:
                value, (g_h, g_u) = vg(head, u, X[batch], T[batch])
                Zb = None
            else:
                Zb = fixed_Z[batch]
                value, g_h = vg_head(head, Zb, T[batch])
                g_u = np.zeros_like(u)
            value = float(value)
            if not np.isfinite(value) or not np.all(np.isfinite(g_h)) or not np.all(
                    np.isfinite(g_u)):
                continue
            n_updates += 1
            head = head - adam_head.step(g_h, settings.learning_rate, n_updates)
            u = np.clip(u - adam_win.step(g_u, win_learning_rate, n_updates), log_lo, log_hi)
            # running statistics for validation (batch norm's inference mode)
            if Zb is None:
                Zb = np.asarray(model.features(X[batch], lam_from_log(u, lo, hi)))
            mb, vb = Zb.mean(axis=0), Zb.var(axis=0)
            if running_mean is None:
                running_mean, running_var = mb, vb
            else:
                running_mean = 0.9 * running_mean + 0.1 * mb
                running_var = 0.9 * running_var + 0.1 * vb
            total += value * len(batch)
            count += len(batch)
        epoch_loss = total / max(count, 1)
        loss_curve.append(epoch_loss)
        lam_now = lam_from_log(u, lo, hi)
        lam_curve.append(float(np.mean(lam_now)))
        if len(idx_val):
            Zv = fixed_Z[idx_val] if fixed_Z is not None else model.features_in_batches(
                X[idx_val], lam_now)
            out = model.outputs((Zv - running_mean) / np.sqrt(running_var + STD_EPS), head)
            score = float(model.data_loss(out, T[idx_val]))
            val_curve.append(score)
        else:
            score = epoch_loss
        if settings.verbose:
            extra = f", validation loss {score:.4f}" if len(idx_val) else ""
            print(f"[{name}] epoch {epoch:3d}: loss {epoch_loss:.4f}{extra}, "
                  f"window {lam_curve[-1]:.1f} samples ({time.perf_counter() - t0:.1f} s)")
        if score < best_score - settings.tol * max(abs(best_score), 1e-12) or epoch == 1:
            best_score, best_head, best_u, best_epoch = score, head.copy(), np.array(u), epoch
            calm = 0
        else:
            calm += 1
            if settings.early_stopping and calm >= settings.n_iter_no_change:
                break
    lam = np.asarray(lam_from_log(best_u, lo, hi), dtype=float)
    # final standardization: the training signals' statistics at the kept window
    Z = fixed_Z[idx_tr] if fixed_Z is not None else model.features_in_batches(X[idx_tr], lam)
    mean, scale = Z.mean(axis=0), np.sqrt(Z.var(axis=0) + STD_EPS)
    return TaskFit(head=best_head, win_length=lam, mean=mean, scale=scale,
                   loss_curve=loss_curve, validation_scores=val_curve,
                   win_length_curve=lam_curve, n_iter=len(loss_curve), best_epoch=best_epoch)
