"""DSTFTClassifier: a learned STFT window trained jointly with a classifier head
(paper Sec. VII-B, Eq. 35-36), and :func:`learn_task_window` for supervised
window learning in :class:`~skdstft.DSTFTTransformer`.

The model is ``x -> DSTFT(x; lam) -> log(band x segment pooled |S|**2) ->
standardize -> head -> softmax``. The default solver alternates: fit the
(convex) softmax-regression head exactly at the current window, then step
``log(lam)`` along the gradient of the held-out cross-entropy through the
DSTFT with the head fixed (Rprop-style steps, so that from 10 samples to a
few hundred takes about ten iterations whatever the gradient's scale); the
window with the lowest held-out loss is kept. ``solver="adam"`` trains the
window and the head's weights together by Adam on mini-batches.
"""

import time
import warnings

import autograd.numpy as anp
import numpy as np
from autograd import grad as grad_fn
from autograd import value_and_grad
from autograd.tracer import getval
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_signal_matrix
from ..autodiff import dstft
from ..features import extract_features, feature_names
from ..positions import frame_positions
from ._base import DSTFTBase, warn_at_bounds, window_modes
from ._heads import STD_EPS, cross_entropy, head_logits, head_shapes, init_head, l2_penalty, log_softmax

__all__ = ["DSTFTClassifier", "learn_task_window", "TaskWindowResult"]

POWER_EPS = 1e-10


def _log_pooled_power(S, n_bands, n_segments):
    """``log(pooled |S|**2 + eps)``: (B, F, T) complex -> (B, n_bands * n_segments).

    Pooling the power before the log (rather than the log before pooling)
    keeps zero-padded and silent stretches from dominating a band's mean."""
    P = extract_features(S, kind="power", layout="pooled", n_bands=n_bands,
                         n_segments=n_segments)
    return anp.log(P + POWER_EPS)


class _Model:
    """Everything needed to compute features and the loss; module-level and
    free of autograd primitives, so it pickles."""

    def __init__(self, n_fft, positions, window, normalization, n_bands, n_segments, shapes,
                 task):
        self.n_fft, self.positions = n_fft, positions
        self.window, self.normalization = window, normalization
        self.n_bands, self.n_segments, self.shapes, self.task = n_bands, n_segments, shapes, task

    def features(self, X, lam):
        S = dstft(X, lam, self.positions, n_fft=self.n_fft, window=self.window,
                  normalization=self.normalization)
        return _log_pooled_power(S, self.n_bands, self.n_segments)

    def outputs(self, Z, head):
        return head_logits(head, Z, self.shapes)

    def data_loss(self, out, target):
        if self.task == "classification":
            return cross_entropy(out, target)
        return anp.mean((out - target) ** 2)


def _lam_from_log(u, lo, hi):
    return anp.clip(anp.exp(u), lo, hi)


def _features_in_batches(model, X, lam, batch=256):
    return np.concatenate([np.asarray(model.features(X[i:i + batch], lam))
                           for i in range(0, len(X), batch)], axis=0)


def _validation_split(n, validation_fraction, stratify, rng):
    """(fit indices, validation indices), stratified when every class has 2 members;
    no validation part when there are too few signals."""
    n_val = int(np.ceil(validation_fraction * n))
    if n_val < 1 or n - n_val < 2:
        return np.arange(n), np.array([], dtype=int)
    strat = stratify
    if strat is not None and np.min(np.unique(strat, return_counts=True)[1]) < 2:
        strat = None
    try:
        idx_fit, idx_val = train_test_split(np.arange(n), test_size=n_val,
                                            random_state=rng.randint(2**31 - 1), stratify=strat)
    except ValueError:
        idx_fit, idx_val = train_test_split(np.arange(n), test_size=n_val,
                                            random_state=rng.randint(2**31 - 1))
    if stratify is not None and len(np.unique(stratify[idx_fit])) < len(np.unique(stratify)):
        # too few signals to hold out a part and keep every class in the rest
        return np.arange(n), np.array([], dtype=int)
    return idx_fit, idx_val


GROUP_FOLDS = 3
"""Folds of the group-held-out window loss (fewer when there are fewer groups)."""


def _check_groups(groups, n):
    """``groups`` as an ndarray ``(n,)`` with at least 2 distinct values, or None."""
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ValueError(f"groups must be a 1-D array of length n_signals={n}, got shape "
                         f"{groups.shape}")
    if len(np.unique(groups)) < 2:
        raise ValueError("groups must hold at least 2 distinct groups to hold some out, got "
                         f"{len(np.unique(groups))}")
    return groups


def _held_out_folds(n, groups, early_stopping, validation_fraction, stratify, rng):
    """(fit indices, held-out indices) pairs of the window's loss.

    Without groups: one stratified random split (``validation_fraction``
    held out), or none without early stopping -- the behaviour before groups.
    With groups: :class:`~sklearn.model_selection.GroupKFold` with
    ``min(GROUP_FOLDS, n_groups)`` folds, so every signal is held out exactly
    once, always together with the rest of its group."""
    if groups is None:
        if not early_stopping:
            return [(np.arange(n), np.array([], dtype=int))]
        return [_validation_split(n, validation_fraction, stratify, rng)]
    n_splits = min(GROUP_FOLDS, len(np.unique(groups)))
    return list(GroupKFold(n_splits=n_splits).split(np.zeros((n, 1)), groups=groups))


def _train(model, X, T, *, lam0, bounds, learn_window, time_mode, alpha, batch_size,
           learning_rate, win_learning_rate, max_iter, early_stopping, validation_fraction,
           n_iter_no_change, tol, rng, verbose, stratify, name, groups=None):
    """Joint Adam training. Returns a dict of the fitted state.

    With ``groups`` (and early stopping) the validation part is whole groups:
    one :class:`~sklearn.model_selection.GroupShuffleSplit` of about
    ``validation_fraction`` of the groups."""
    lo, hi = bounds
    n = len(X)
    idx_val = np.array([], dtype=int)
    idx_tr = np.arange(n)
    if early_stopping and groups is not None and learn_window:
        split = GroupShuffleSplit(n_splits=1, test_size=validation_fraction,
                                  random_state=rng.randint(2**31 - 1))
        idx_tr, idx_val = next(split.split(np.zeros((n, 1)), groups=groups))
    elif early_stopping:
        idx_tr, idx_val = _validation_split(n, validation_fraction, stratify, rng)
    n_frames = len(model.positions)
    u = np.full((1, n_frames) if time_mode else (), np.log(lam0), dtype=float)
    log_lo, log_hi = np.log(lo), np.log(hi)
    head = init_head(model.shapes, rng)
    n_tr = len(idx_tr)
    reg = 0.5 * alpha / max(n_tr, 1)

    def loss_fn(head, u, Xb, Tb):
        Z = model.features(Xb, _lam_from_log(u, lo, hi))
        mean = anp.mean(Z, axis=0)
        var = anp.var(Z, axis=0)
        out = model.outputs((Z - mean) / anp.sqrt(var + STD_EPS), head)
        return model.data_loss(out, Tb) + reg * l2_penalty(head, model.shapes), (mean, var)

    vg = value_and_grad(lambda h, uu, Xb, Tb: loss_fn(h, uu, Xb, Tb)[0], argnum=(0, 1))

    # fixed window: the features never change, compute them once
    fixed_Z = None
    if not learn_window:
        fixed_Z = _features_in_batches(model, X, _lam_from_log(u, lo, hi))

    def head_loss(h, Zb, Tb):
        mean, var = anp.mean(Zb, axis=0), anp.var(Zb, axis=0)
        out = model.outputs((Zb - mean) / anp.sqrt(var + STD_EPS), h)
        return model.data_loss(out, Tb) + reg * l2_penalty(h, model.shapes)

    vg_head = value_and_grad(head_loss)

    adam = {"m_h": np.zeros_like(head), "v_h": np.zeros_like(head),
            "m_u": np.zeros_like(u), "v_u": np.zeros_like(u), "t": 0}
    b1, b2, eps = 0.9, 0.999, 1e-8
    running_mean = running_var = None
    best = {"score": np.inf, "head": head.copy(), "u": np.array(u), "epoch": 0}
    loss_curve, val_curve, lam_curve = [], [], []
    calm = 0
    bs = int(min(batch_size, n_tr))
    for epoch in range(1, max_iter + 1):
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
            adam["t"] += 1
            k = adam["t"]
            for key, _p, g, lr in (("h", None, g_h, learning_rate), ("u", None, g_u,
                                                                    win_learning_rate)):
                m = adam["m_" + key] = b1 * adam["m_" + key] + (1 - b1) * g
                v = adam["v_" + key] = b2 * adam["v_" + key] + (1 - b2) * g * g
                step = lr * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + eps)
                if key == "h":
                    head = head - step
                else:
                    u = np.clip(u - step, log_lo, log_hi)
            # running statistics for validation (batch norm's inference mode)
            if Zb is None:
                Zb = np.asarray(model.features(X[batch], _lam_from_log(u, lo, hi)))
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
        lam_now = _lam_from_log(u, lo, hi)
        lam_curve.append(float(np.mean(lam_now)))
        if len(idx_val):
            Zv = fixed_Z[idx_val] if fixed_Z is not None else _features_in_batches(
                model, X[idx_val], lam_now)
            out = model.outputs((Zv - running_mean) / np.sqrt(running_var + STD_EPS), head)
            score = float(model.data_loss(out, T[idx_val]))
            val_curve.append(score)
        else:
            score = epoch_loss
        if verbose:
            extra = f", validation loss {score:.4f}" if len(idx_val) else ""
            print(f"[{name}] epoch {epoch:3d}: loss {epoch_loss:.4f}{extra}, "
                  f"window {lam_curve[-1]:.1f} samples ({time.perf_counter() - t0:.1f} s)")
        if score < best["score"] - tol * max(abs(best["score"]), 1e-12) or epoch == 1:
            best = {"score": score, "head": head.copy(), "u": np.array(u), "epoch": epoch}
            calm = 0
        else:
            calm += 1
            if early_stopping and calm >= n_iter_no_change:
                break
    lam = np.asarray(_lam_from_log(best["u"], lo, hi), dtype=float)
    # final standardization: the training signals' statistics at the kept window
    Z = fixed_Z[idx_tr] if fixed_Z is not None else _features_in_batches(model, X[idx_tr], lam)
    mean, scale = Z.mean(axis=0), np.sqrt(Z.var(axis=0) + STD_EPS)
    return {"head": best["head"], "lam": lam, "mean": mean, "scale": scale,
            "loss_curve": loss_curve, "validation_scores": val_curve, "win_curve": lam_curve,
            "n_iter": len(loss_curve), "best_epoch": best["epoch"]}


def _fit_linear_head(Zs, T, task, alpha, previous=None):
    """The convex head at fixed features: multinomial logistic regression
    (``C = 1 / alpha``: the same penalty as ``alpha / (2 n) sum W**2`` added
    to the mean cross-entropy) or ridge regression. Returns the packed
    parameters ``(W (D, C), b (C,))`` and the fitted scikit-learn estimator
    (passed back as ``previous`` for a warm start)."""
    if task == "classification":
        codes = np.argmax(T, axis=1)
        est = previous
        if est is None:
            C = 1.0 / alpha if alpha > 0 else np.inf
            est = LogisticRegression(C=C, max_iter=500, tol=1e-5, warm_start=True)
        present = np.unique(codes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(Zs, codes)
        W = np.zeros((Zs.shape[1], T.shape[1]))
        b = np.zeros(T.shape[1])
        if len(present) == 2:  # one logit z: softmax of (-z/2, z/2) is sigmoid(z)
            W[:, present[0]], W[:, present[1]] = -est.coef_[0] / 2, est.coef_[0] / 2
            b[present[0]], b[present[1]] = -est.intercept_[0] / 2, est.intercept_[0] / 2
        else:
            W[:, present], b[present] = est.coef_.T, est.intercept_
            if len(present) < T.shape[1]:  # classes absent from this part: never predicted
                b[np.setdiff1d(np.arange(T.shape[1]), present)] = -1e3
        return np.concatenate([W.ravel(), b]), est
    est = Ridge(alpha=alpha / 2).fit(Zs, T)
    return np.concatenate([np.asarray(est.coef_).T.ravel(), np.ravel(est.intercept_)]), est


def _window_gradient(model, head, u, lo, hi, Z_val, T_val, Z_stat, X_val, X_stat, mean, var,
                     batch=128):
    """d(validation loss)/d(log win_length) with the head fixed.

    The loss is the head's loss on the validation features standardized by
    the fitting part's statistics; the statistics move with the window too,
    their derivative estimated on the subset ``X_stat`` of the fitting part
    (values: the full part's ``mean``, ``var``). First the cotangents of the
    (small) feature matrices, then one vector-Jacobian product through the
    DSTFT per batch of signals, so memory stays bounded."""
    n_stat = len(Z_stat)

    def small(Zv, Zs):
        ms, vs = anp.mean(Zs, axis=0), anp.var(Zs, axis=0)
        m = mean + ms - getval(ms)
        v = var + vs - getval(vs)
        out = model.outputs((Zv - m) / anp.sqrt(v + STD_EPS), head)
        return model.data_loss(out, T_val)

    value, (G_val, G_stat) = value_and_grad(small, argnum=(0, 1))(Z_val, Z_stat)
    grad = np.zeros_like(u)
    for Xp, Gp in ((X_val, G_val), (X_stat, G_stat)):
        if n_stat == 0 and Xp is X_stat:
            continue
        for i in range(0, len(Xp), batch):
            Xb, Gb = Xp[i:i + batch], Gp[i:i + batch]
            grad = grad + grad_fn(lambda uu, Xb=Xb, Gb=Gb: anp.sum(
                model.features(Xb, _lam_from_log(uu, lo, hi)) * Gb))(u)
    return float(value), grad


def _alternate(model, linear, X, T, *, lam0, bounds, learn_window, time_mode, alpha, hidden,
               win_step, max_iter,
               early_stopping, validation_fraction, n_iter_no_change, tol, rng, verbose,
               stratify, name, task, mlp_options, groups=None, stat_size=256, min_step=0.01):
    """Alternating optimization (the default solver).

    Each iteration fits the convex head (logistic or ridge regression on the
    standardized features) exactly at the current window, then moves
    ``u = log(win_length)`` against the sign of the validation loss's
    gradient (the head fixed), with a per-parameter step that grows by 1.2
    while the sign holds and halves when it flips (Rprop): robust to the
    gradient's scale, which varies by orders of magnitude with the window.
    The window with the lowest validation loss is kept; the final head is
    then fitted on all the training signals at that window.

    With ``groups`` the validation loss is the held-out loss of
    :func:`_held_out_folds`' group folds: one head per fold, fitted on the
    fold's other groups, and loss and gradient averaged over every held-out
    signal (each is held out once).
    """
    lo, hi = bounds
    n = len(X)
    folds = [(np.arange(n), np.array([], dtype=int))]
    if learn_window:
        folds = _held_out_folds(n, groups, early_stopping, validation_fraction, stratify, rng)
    n_held = sum(len(iv) for _, iv in folds)
    use_val = n_held > 0
    n_frames = len(model.positions)
    u = np.full((1, n_frames) if time_mode else (), np.log(lam0), dtype=float)
    log_lo, log_hi = np.log(lo), np.log(hi)
    step = np.full_like(u, win_step)
    prev_sign = np.zeros_like(u)
    best = {"score": np.inf, "u": np.array(u), "epoch": 0}
    loss_curve, val_curve, lam_curve = [], [], []
    calm, previous = 0, [None] * len(folds)
    for it in range(1, max_iter + 1 if learn_window else 1):
        t0 = time.perf_counter()
        lam = np.clip(np.exp(u), lo, hi)
        Z = _features_in_batches(model, X, lam)
        fitted, train_loss, score = [], 0.0, 0.0
        for k, (i_fit, i_val) in enumerate(folds):
            Zf = Z[i_fit]
            mean, var = Zf.mean(axis=0), Zf.var(axis=0)
            scale = np.sqrt(var + STD_EPS)
            head, previous[k] = _fit_linear_head((Zf - mean) / scale, T[i_fit], task, alpha,
                                                 previous[k])
            fitted.append((head, mean, var))
            train_loss += float(linear.data_loss(linear.outputs((Zf - mean) / scale, head),
                                                 T[i_fit])) / len(folds)
            if len(i_val):
                out = linear.outputs((Z[i_val] - mean) / scale, head)
                score += float(linear.data_loss(out, T[i_val])) * len(i_val) / n_held
        loss_curve.append(train_loss)
        lam_curve.append(float(np.mean(lam)))
        if use_val:
            val_curve.append(score)
        else:
            score = train_loss
        if verbose:
            extra = f", validation loss {score:.4f}" if use_val else ""
            print(f"[{name}] iteration {it:3d}: loss {train_loss:.4f}{extra}, "
                  f"window {lam_curve[-1]:.1f} samples", end="", flush=True)
        if score < best["score"] - tol * max(abs(best["score"]), 1e-12) or it == 1:
            best = {"score": score, "u": np.array(u), "epoch": it}
            calm = 0
        else:
            calm += 1
        if (early_stopping and calm >= n_iter_no_change) or it == max_iter:
            if verbose:
                print(f" ({time.perf_counter() - t0:.1f} s)")
            break
        # gradient of the held-out (else training) loss, the heads fixed
        g = np.zeros_like(u)
        for (i_fit, i_val), (head, mean, var) in zip(folds, fitted):
            gi = i_val if use_val else i_fit
            if len(gi) == 0:
                continue
            si = rng.choice(i_fit, size=min(stat_size, len(i_fit)), replace=False)
            _, g_k = _window_gradient(linear, head, u, lo, hi, Z[gi], T[gi], Z[si], X[gi],
                                      X[si], mean, var)
            g = g + g_k * (len(gi) / n_held if use_val else 1.0)
        if not np.all(np.isfinite(g)):
            break
        sign = np.sign(g)
        step = np.where(sign * prev_sign > 0, step * 1.2,
                        np.where(sign * prev_sign < 0, step * 0.5, step))
        prev_sign = sign
        u_new = np.clip(u - sign * step, log_lo, log_hi)
        if verbose:
            print(f", step {float(np.max(step)):.3f} ({time.perf_counter() - t0:.1f} s)")
        if np.all(np.abs(u_new - u) < min_step):
            break
        u = u_new
    lam = np.asarray(np.clip(np.exp(best["u"]), lo, hi), dtype=float)
    # final head: all the training signals at the kept window
    Z = _features_in_batches(model, X, lam)
    mean, var = Z.mean(axis=0), Z.var(axis=0)
    scale = np.sqrt(var + STD_EPS)
    if hidden:
        state = _train(model, X, T, lam0=lam, bounds=(min(lo, np.min(lam)), max(hi, np.max(lam))),
                       learn_window=False, time_mode=np.ndim(lam) > 0, alpha=alpha,
                       early_stopping=early_stopping, validation_fraction=validation_fraction,
                       n_iter_no_change=n_iter_no_change, tol=tol, rng=rng, verbose=verbose,
                       stratify=stratify, name=name, **mlp_options)
        head, mean, scale = state["head"], state["mean"], state["scale"]
    else:
        head, _ = _fit_linear_head((Z - mean) / scale, T, task, alpha)
    return {"head": head, "lam": lam, "mean": mean, "scale": scale, "loss_curve": loss_curve,
            "validation_scores": val_curve, "win_curve": lam_curve, "n_iter": len(loss_curve),
            "best_epoch": best["epoch"]}


class DSTFTClassifier(ClassifierMixin, DSTFTBase):
    """Classifier on DSTFT features with a window length learned end to end.

    The signals go through a DSTFT with a learnable window length, then
    ``log`` of the power spectrogram pooled into ``n_bands`` frequency bands
    x ``n_segments`` time segments, a standardization, and a differentiable
    head: softmax regression (``hidden_layer_sizes=()``) or a small ReLU MLP.
    The window and the head minimize the cross-entropy (paper Eq. 35-36)
    with L2 regularization ``alpha`` and early stopping on a validation
    fraction: by default alternately (the convex head fitted exactly, then a
    gradient step of the window), or jointly by Adam (``solver="adam"``).

    Parameters
    ----------
    n_fft : int, default=256
        DFT size (even); at most ``n_fft - 2`` samples of window.
    hop_length : float, optional
        Hop between frames (samples); default ``n_fft // 4``.
    win_length : float, optional
        Window length (samples): the initial value when learned (within
        ``win_length_bounds``), the value used with ``window_mode="fixed"``
        (at most ``n_fft - 2``). Default ``n_fft / 2`` (clipped into the bounds).
    window_mode : {"constant", "time", "fixed"}, default="constant"
        ``"constant"``: one learned length; ``"time"``: one learned length
        per frame (signals of the fit length only); ``"fixed"``: no window
        learning (a classical STFT front end, the baseline).
    window : str, default="hann"
    normalization : {"l1", "l2", None}, default="l1"
    n_bands, n_segments : int, default=32, 16
        Pooling grid of the features (clipped to the bins and frames).
    hidden_layer_sizes : tuple of int, default=()
        Hidden ReLU layers of the head; ``()`` is softmax regression.
    alpha : float, default=1.0
        L2 penalty ``alpha / (2 n) * sum W**2`` on the head's weights (the
        scaling of :class:`~sklearn.neural_network.MLPClassifier`; ``alpha=1``
        matches ``LogisticRegression(C=1)``).
    batch_size : int, default=64
    learning_rate : float, default=0.01
        Adam step of the head's parameters.
    win_learning_rate : float, optional
        ``solver="alternating"``: the initial step of ``log(win_length)``
        (default 0.25, i.e. about 28 %; it then grows by 1.2 while the
        gradient keeps its sign and halves when the sign flips).
        ``solver="adam"``: Adam's step of ``log(win_length)`` (default 0.05).
    max_iter : int, default=20
        Epochs.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training signals
        (stratified), keep the epoch with the lowest validation loss and stop
        after ``n_iter_no_change`` epochs without improvement. With ``groups``
        in ``fit``, the held-out signals are whole groups instead (Notes).
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
        Relative improvement of the validation loss that counts.
    random_state : int, RandomState instance or None
        Head initialization, validation split and mini-batch order.
    verbose : int, default=0
    win_length_bounds : (lo, hi), optional
        Default ``(8, n_fft - 2)`` (``min(8, (n_fft - 2) / 2)`` for tiny FFTs).
    solver : {"alternating", "adam"}, default="alternating"
        ``"alternating"``: each iteration fits a softmax-regression head
        exactly (:class:`~sklearn.linear_model.LogisticRegression`,
        ``C = 1 / alpha``) at the current window, then takes one sign-based
        step (Rprop) of ``log(win_length)`` along the gradient of the
        validation cross-entropy through the DSTFT, the head fixed; the
        window with the lowest validation loss is kept and the head refitted
        on all the training signals (an MLP head, with
        ``hidden_layer_sizes``, is trained by Adam at that window).
        ``max_iter`` counts these iterations. Deterministic and reliable from
        a poor initial window. ``"adam"``: window and head trained jointly
        by Adam on mini-batches (``max_iter`` epochs).

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    win_length_ : float or ndarray (T,)
        Learned (or fixed) window length, samples.
    hop_length_ : float
    positions_ : ndarray (T,)
    coefs_ : ndarray
        The head's parameters, packed.
    mean_, scale_ : ndarray (n_features,)
        Standardization of the features, computed on the training signals at
        the final window (batch statistics during training, as batch norm).
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_scores_ : list of float
        Validation cross-entropy per epoch (empty without early stopping); with
        ``groups``, the mean over the held-out groups' signals.
    win_length_curve_ : list of float
        Window length (mean over frames in ``"time"`` mode) after each epoch.
    n_iter_ : int
        Epochs run; ``best_epoch_`` the one kept.
    n_features_in_ : int

    Notes
    -----
    Standardization with ``solver="alternating"``: the head is fitted on
    features standardized by the fitting part's statistics; the window's
    gradient includes how those statistics move with the window (estimated
    on a subset of 256 signals). With ``solver="adam"``: each mini-batch is
    standardized with its own mean and variance, inside the differentiated
    graph (batch norm without affine parameters: the head's weights absorb
    them), and validation uses running averages of the batch statistics.
    Predictions use fixed statistics: those of the training signals at the
    final window.

    Grouped data (``fit(X, y, groups)``). Signals of one speaker (patient,
    machine, session) share traits that a validation part drawn from the
    training groups rewards: long windows resolve a known speaker's
    harmonics, so on FSDD the held-out loss of known speakers keeps falling
    up to the longest window while that of new speakers is lowest near 64
    samples. With ``groups`` the window's loss is therefore measured on
    held-out groups. ``solver="alternating"``: scikit-learn's
    :class:`~sklearn.model_selection.GroupKFold` with ``min(3, n_groups)``
    folds; at each iteration one head is fitted on each fold's training
    groups (its own standardization too), and the loss and the window's
    gradient are averaged over the held-out signals of all folds. K-fold
    rather than one :class:`~sklearn.model_selection.GroupShuffleSplit`:
    data in this field has few groups (FSDD: 6 speakers), and one random
    held-out group would make the window depend on which speaker was
    drawn; with K folds every group is held out once, the split is
    deterministic, and the cost is K head fits per iteration (the DSTFT's
    features and their gradient still cost one pass over the signals).
    Three folds keep the head fits affordable while every training part
    holds two thirds of the groups. ``solver="adam"``: the validation
    part (early stopping) is about ``validation_fraction`` of the groups,
    drawn by one ``GroupShuffleSplit``. ``validation_fraction`` and the
    stratification do not apply to the group folds; a
    ``window_mode="fixed"`` classifier ignores ``groups``. Without groups
    nothing changes.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import DSTFTClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(512)
    >>> f = np.repeat([0.1, 0.3], 20)
    >>> X = np.cos(2 * np.pi * f[:, None] * t) + 0.5 * rng.standard_normal((40, 512))
    >>> y = (f > 0.2).astype(int)
    >>> clf = DSTFTClassifier(n_fft=64, max_iter=10, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.score(X, y)
    ((40, 2), 1.0)
    """

    def __init__(self, n_fft=256, hop_length=None, win_length=None, window_mode="constant",
                 window="hann", normalization="l1", n_bands=32, n_segments=16,
                 hidden_layer_sizes=(), alpha=1.0, batch_size=64, learning_rate=0.01,
                 win_learning_rate=None, max_iter=20, early_stopping=True,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, random_state=None,
                 verbose=0, win_length_bounds=None, solver="alternating"):
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window_mode = window_mode
        self.window = window
        self.normalization = normalization
        self.n_bands = n_bands
        self.n_segments = n_segments
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.win_learning_rate = win_learning_rate
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.win_length_bounds = win_length_bounds
        self.solver = solver

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # spectral features of any signal, not blobs
        return tags

    # -- parameters ---------------------------------------------------------
    _choices = dict(window_mode=window_modes("fixed", "constant", "time"),
                    solver=("alternating", "adam"))

    def _setup(self, settings, n_samples, n_outputs, task):
        n_fft, bounds, lam0 = settings.n_fft, settings.win_length_bounds, settings.win_length
        positions = frame_positions(n_samples, settings.hop_length)
        n_freqs = n_fft // 2 + 1
        self.n_bands_ = min(settings.n_bands, n_freqs)
        self.n_segments_ = min(settings.n_segments, len(positions))
        self.hop_length_ = settings.hop_length
        self.positions_ = np.asarray(positions, dtype=float)
        self.n_frames_ = len(positions)
        n_feat = self.n_bands_ * self.n_segments_
        shapes = head_shapes(n_feat, settings.hidden_layer_sizes, n_outputs)
        model = _Model(n_fft, self.positions_, settings.window, settings.normalization,
                       self.n_bands_, self.n_segments_, shapes, task)
        if settings.window_mode == "fixed":
            bounds = (min(bounds[0], lam0), max(bounds[1], lam0))
        return model, bounds, lam0

    def _fit_model(self, X, T, task, stratify, groups=None):
        settings = self._settings()
        model, bounds, lam0 = self._setup(settings, X.shape[1], T.shape[1], task)
        learn = settings.window_mode != "fixed"
        time_mode = settings.window_mode == "time"
        rng = check_random_state(self.random_state)
        hidden = settings.hidden_layer_sizes
        opts = dict(batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                    max_iter=settings.max_iter)
        common = dict(alpha=settings.alpha, early_stopping=settings.early_stopping,
                      validation_fraction=settings.validation_fraction,
                      n_iter_no_change=settings.n_iter_no_change, tol=settings.tol,
                      rng=rng, verbose=settings.verbose, stratify=stratify,
                      name=type(self).__name__)
        if settings.solver == "adam":
            win_lr = 0.05 if settings.win_learning_rate is None else settings.win_learning_rate
            state = _train(model, X, T, lam0=lam0, bounds=bounds, learn_window=learn,
                           time_mode=time_mode, win_learning_rate=win_lr, groups=groups,
                           **opts, **common)
        else:
            step = 0.25 if settings.win_learning_rate is None else settings.win_learning_rate
            linear = _Model(model.n_fft, model.positions, model.window, model.normalization,
                            model.n_bands, model.n_segments,
                            head_shapes(model.shapes[0][0][0], (), T.shape[1]), task)
            state = _alternate(model, linear, X, T, lam0=lam0, bounds=bounds,
                               learn_window=learn, time_mode=time_mode, hidden=hidden,
                               win_step=step, max_iter=settings.max_iter, task=task,
                               groups=groups,
                               mlp_options=dict(opts, win_learning_rate=0.0), **common)
        lam = state["lam"] if learn else np.asarray(lam0)
        self.win_length_ = float(lam) if lam.ndim == 0 else lam.reshape(-1)
        self.at_bound_share_ = warn_at_bounds(self.win_length_, bounds, self, n_fft=model.n_fft,
                                              warn=learn)
        self.coefs_ = state["head"]
        self.mean_, self.scale_ = state["mean"], state["scale"]
        self.loss_curve_ = state["loss_curve"]
        self.validation_scores_ = state["validation_scores"]
        self.win_length_curve_ = state["win_curve"]
        self.n_iter_ = state["n_iter"]
        self.best_epoch_ = state["best_epoch"]
        self._model = model
        return self

    def fit(self, X, y, groups=None):
        """Train the window and the head jointly.

        Parameters
        ----------
        X : array-like (n_signals, n_samples)
        y : array-like (n_signals,)
            Class labels.
        groups : array-like (n_signals,), optional
            Group of each signal (speaker, patient, machine, session). With
            groups the window is chosen on held-out *groups* rather than on
            held-out signals of the training groups: see the class's Notes.
            Routed by metadata routing with ``set_fit_request(groups=True)``.

        Returns
        -------
        self
        """
        check_signal_matrix(X, "X")
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=True)
        self._warn_short_signals(X)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must hold at least 2 classes to train a classifier; got 1 class: "
                f"{self.classes_[0]!r}")
        onehot = np.eye(len(self.classes_))[codes]
        return self._fit_model(X, onehot, "classification", codes, _check_groups(groups, len(X)))

    # -- inference ----------------------------------------------------------
    def _lam(self):
        lam = self.win_length_
        return lam if np.ndim(lam) == 0 else np.asarray(lam)[None, :]

    def standardized_features(self, X):
        """Standardized features ``(n_signals, n_bands_ * n_segments_)`` at the
        learned window (the head's input)."""
        check_is_fitted(self, "coefs_")
        check_signal_matrix(X, "X")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=True)
        Z = _features_in_batches(self._model, X, self._lam())
        return (Z - self.mean_) / self.scale_

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "coefs_")
        n_freqs = self.n_fft // 2 + 1
        return feature_names(n_freqs, self.n_frames_, layout="pooled", n_bands=self.n_bands_,
                             n_segments=self.n_segments_)

    def _logits(self, X):
        Z = self.standardized_features(X)
        return np.asarray(self._model.outputs(Z, self.coefs_))

    def decision_function(self, X):
        """Logits ``(n_signals, n_classes)``; for two classes the log-odds of
        the second class ``(n_signals,)`` (scikit-learn's convention)."""
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Class probabilities ``(n_signals, n_classes)``, columns in ``classes_`` order."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Log-probabilities ``(n_signals, n_classes)``."""
        return np.asarray(log_softmax(self._logits(X)))

    def predict(self, X):
        """Predicted labels ``(n_signals,)``."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


def learn_task_window(X, y, groups=None, **dstft_params):
    """Learn a window length for a supervised task (``criterion="supervised"``).

    A :class:`DSTFTClassifier` is trained on ``(X, y)`` for a discrete ``y``;
    for a continuous ``y`` (one or several targets) the same model with a
    ridge-regression head (a linear layer on the standardized features, mean
    squared error on standardized targets, L2 penalty ``alpha``). The window
    is kept, the head is discarded.

    Parameters
    ----------
    X : array-like (n_signals, n_samples)
    y : array-like (n_signals,) or (n_signals, n_targets)
    groups : array-like (n_signals,), optional
        Group of each signal: the window is then chosen on held-out groups
        (see :class:`DSTFTClassifier`'s Notes).
    **dstft_params
        Any :class:`DSTFTClassifier` parameter (``n_fft``, ``hop_length``,
        ``win_length`` as the initial value, ``window_mode`` in
        ``"constant"``/``"time"``, ``solver``, ``max_iter`` (alternating
        iterations, or Adam epochs), ``alpha``,
        ``hidden_layer_sizes``, ...). Unknown names raise ``TypeError``.

    Also accepted (and ignored, for :class:`~skdstft.DSTFTTransformer`'s
    signature): ``n_restarts``, ``n_jobs``.

    Returns
    -------
    win_length : float or ndarray (T,)
        The learned window length (samples). The pair is a
        :class:`TaskWindowResult`: ``result.win_length``, ``result.loss``, ...
        work too.
    info : dict
        ``"estimator"`` (the fitted model), ``"task"`` (``"classification"``
        or ``"regression"``), ``"loss_curve"``, ``"loss"`` (the last
        epoch's mean training loss), ``"n_iter"``, ``"win_length_curve"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20, 256)); y = np.repeat([0, 1], 10)
    >>> lam, info = learn_task_window(X, y, n_fft=32, max_iter=2, random_state=0)
    >>> info["task"], bool(8 <= lam <= 30)
    ('classification', True)
    """
    valid = DSTFTClassifier().get_params()
    # accepted for DSTFTTransformer's signature; one run, single process
    for name in ("n_restarts", "n_jobs"):
        dstft_params.pop(name, None)
    # None means "the default" for the optimizer settings a caller forwards
    for name in ("batch_size", "learning_rate", "tol", "max_iter", "verbose"):
        if dstft_params.get(name, 0) is None:
            del dstft_params[name]
    unknown = sorted(set(dstft_params) - set(valid))
    if unknown:
        raise TypeError(f"learn_task_window got unknown parameters {unknown}; "
                        f"valid ones: {sorted(valid)}")
    est = DSTFTClassifier(**dstft_params)
    y_arr = np.asarray(y)
    kind = type_of_target(y_arr) if y_arr.size else "unknown"
    if kind in ("continuous", "continuous-multioutput"):
        X = validate_data(est, X, dtype=np.float64, ensure_all_finite=True)
        Y = y_arr.astype(float).reshape(len(y_arr), -1)
        if len(Y) != len(X):
            raise ValueError(f"y has {len(Y)} rows but X has {len(X)} signals")
        if not np.all(np.isfinite(Y)):
            raise ValueError("y contains NaN or infinite values")
        Y = (Y - Y.mean(axis=0)) / np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
        est._fit_model(X, Y, "regression", None, _check_groups(groups, len(X)))
        task = "regression"
    else:
        est.fit(X, y, groups=groups)
        task = "classification"
    info = {"estimator": est, "task": task, "loss_curve": list(est.loss_curve_),
            "loss": float(est.loss_curve_[-1]), "n_iter": est.n_iter_,
            "win_length_curve": list(est.win_length_curve_),
            "hop_length": est.hop_length_, "positions": est.positions_}
    return TaskWindowResult(est.win_length_, info)


class TaskWindowResult(tuple):
    """``(win_length, info)``, also readable by attribute: ``.win_length``
    and every key of ``info`` (``.loss``, ``.loss_curve``, ``.n_iter``,
    ``.hop_length``, ``.positions``, ...)."""

    def __new__(cls, win_length, info):
        return super().__new__(cls, (win_length, info))

    def __getattr__(self, name):
        if name == "win_length":
            return self[0]
        try:
            return self[1][name]
        except KeyError:
            raise AttributeError(name) from None

    def __reduce__(self):
        return (TaskWindowResult, (self[0], self[1]))
