"""The task loss of a window length: a head on pooled DSTFT features, scored
on held-out signals (paper Sec. VII-B, Eq. 35-36).

* :class:`TaskModel`: ``x -> DSTFT(x; lam) -> log(band x segment pooled |S|**2)
  -> head -> loss`` (cross-entropy, or the mean squared error of a regression).
* :func:`held_out_folds`: which signals score the window -- one stratified
  random part, or group folds when the signals come in groups.
* :class:`TaskObjective`: the held-out loss as a function of the window's
  log-length ``u``, the convex head refitted on each fold's training part at
  every evaluation; its gradient in ``u`` with the heads fixed. It is to the
  supervised criterion what :class:`~skdstft.objective.RepresentationObjective`
  is to the unsupervised ones, for an optimizer of :mod:`skdstft.optimize`.

The trainers that use them are in :mod:`skdstft.estimators._training`.
"""

import time

import autograd.numpy as anp
import numpy as np
from autograd import grad as grad_fn
from autograd import value_and_grad
from autograd.tracer import getval
from sklearn.model_selection import GroupKFold, train_test_split

from ..autodiff import dstft
from ..features import extract_features
from ._heads import STD_EPS, cross_entropy, fit_linear_head, head_logits, head_shapes

__all__ = ["TaskModel", "TaskObjective", "held_out_folds", "validation_split", "check_groups",
           "GROUP_FOLDS"]

POWER_EPS = 1e-10

GROUP_FOLDS = 3
"""Folds of the group-held-out window loss (fewer when there are fewer groups)."""


def log_pooled_power(S, n_bands, n_segments):
    """``log(pooled |S|**2 + eps)``: (B, F, T) complex -> (B, n_bands * n_segments).

    Pooling the power before the log (rather than the log before pooling)
    keeps zero-padded and silent stretches from dominating a band's mean."""
    P = extract_features(S, kind="power", layout="pooled", n_bands=n_bands,
                         n_segments=n_segments)
    return anp.log(P + POWER_EPS)


def lam_from_log(u, lo, hi):
    """Window length(s) ``exp(u)`` clipped into ``[lo, hi]`` (autograd-safe)."""
    return anp.clip(anp.exp(u), lo, hi)


class TaskModel:
    """Features, head and loss of a task (module-level and free of autograd
    primitives, so it pickles).

    Parameters
    ----------
    n_fft : int
    positions : ndarray (T,)
        Frame centres (samples).
    window, normalization : see :func:`skdstft.dstft`.
    n_bands, n_segments : int
        Pooling grid of the features (``D = n_bands * n_segments``).
    shapes : list
        The head's layer shapes (:func:`~skdstft.estimators._heads.head_shapes`).
    task : {"classification", "regression"}
        Cross-entropy of one-hot targets, or mean squared error.
    """

    def __init__(self, n_fft, positions, window, normalization, n_bands, n_segments, shapes,
                 task):
        self.n_fft, self.positions = n_fft, positions
        self.window, self.normalization = window, normalization
        self.n_bands, self.n_segments, self.shapes, self.task = n_bands, n_segments, shapes, task

    def features(self, X, lam):
        """Log pooled power ``(B, D)`` of signals ``X (B, N)`` at window length(s) ``lam``."""
        S = dstft(X, lam, self.positions, n_fft=self.n_fft, window=self.window,
                  normalization=self.normalization)
        return log_pooled_power(S, self.n_bands, self.n_segments)

    def features_in_batches(self, X, lam, batch=256):
        """:meth:`features` as an ndarray, ``batch`` signals at a time (bounded memory)."""
        return np.concatenate([np.asarray(self.features(X[i:i + batch], lam))
                               for i in range(0, len(X), batch)], axis=0)

    def outputs(self, Z, head):
        """The head's outputs ``(B, C)`` of standardized features ``Z (B, D)``."""
        return head_logits(head, Z, self.shapes)

    def data_loss(self, out, target):
        """Mean loss of outputs ``(B, C)`` against targets ``(B, C)``."""
        if self.task == "classification":
            return cross_entropy(out, target)
        return anp.mean((out - target) ** 2)

    def linear(self):
        """The same features with a linear head (no hidden layers)."""
        return TaskModel(self.n_fft, self.positions, self.window, self.normalization,
                         self.n_bands, self.n_segments,
                         head_shapes(self.shapes[0][0][0], (), self.shapes[-1][0][1]), self.task)


# -- which signals score the window ------------------------------------------------------

def validation_split(n, validation_fraction, stratify, rng):
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


def check_groups(groups, n):
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


def held_out_folds(n, groups, early_stopping, validation_fraction, stratify, rng):
    """(fit indices, held-out indices) pairs of the window's loss.

    Without groups: one stratified random split (``validation_fraction``
    held out), or none without early stopping -- the behaviour before groups.
    With groups: :class:`~sklearn.model_selection.GroupKFold` with
    ``min(GROUP_FOLDS, n_groups)`` folds, so every signal is held out exactly
    once, always together with the rest of its group."""
    if groups is None:
        if not early_stopping:
            return [(np.arange(n), np.array([], dtype=int))]
        return [validation_split(n, validation_fraction, stratify, rng)]
    n_splits = min(GROUP_FOLDS, len(np.unique(groups)))
    return list(GroupKFold(n_splits=n_splits).split(np.zeros((n, 1)), groups=groups))


# -- the objective -------------------------------------------------------------------------

class TaskObjective:
    """Held-out task loss of the window's log-length ``u``.

    At each evaluation the convex head (:func:`~skdstft.estimators._heads.fit_linear_head`:
    logistic or ridge regression, penalty ``alpha``) is fitted exactly on each
    fold's training part, its features standardized by that part's statistics,
    and scored on the fold's held-out part; the value is the mean loss over
    every held-out signal (each fold weighted by its share of them). Without
    held-out signals it is the training loss, averaged over the folds.

    The gradient in ``u`` keeps the heads fixed (alternating optimization:
    the head is optimal for its training part, not for the held-out one, so
    this is the loss's partial derivative, not a total one). It includes how
    the training part's statistics move with the window, estimated on a
    random subset of ``stat_size`` of its signals.

    Parameters
    ----------
    model : TaskModel
        Its features are used; the head is linear whatever its shapes.
    X : ndarray (n, N)
        Signals.
    T : ndarray (n, C)
        One-hot rows or (standardized) regression targets.
    folds : list of (ndarray, ndarray)
        (fit indices, held-out indices) pairs (:func:`held_out_folds`).
    bounds : (lo, hi)
        Window-length bounds (samples); ``exp(u)`` is clipped into them.
    alpha : float
        The heads' L2 penalty.
    rng : numpy.random.RandomState
        Draws the statistics' subsets (one per fold and gradient).
    verbose : int
        Print one line per evaluation, prefixed by ``name``.

    Calling ``objective(u)`` returns ``(loss, gradient)``, ``gradient`` a
    function of no argument computing ``d loss / d u`` on request (the
    interface of :func:`skdstft.optimize.rprop`); :meth:`value_and_grad`
    returns both at once, the interface
    :func:`skdstft.optimize.minimize` looks for (as with
    :class:`~skdstft.objective.RepresentationObjective`). Each evaluation appends to
    ``train_losses`` (mean training loss over the folds), ``held_out_losses``
    (when signals are held out) and ``win_lengths`` (mean window length).
    """

    def __init__(self, model, X, T, folds, *, bounds, alpha, rng, stat_size=256, verbose=0,
                 name="DSTFTClassifier"):
        self.model = model.linear()
        self.X, self.T, self.folds = X, T, folds
        self.lo, self.hi = bounds
        self.alpha, self.rng, self.stat_size = alpha, rng, stat_size
        self.verbose, self.name = verbose, name
        self.n_held = sum(len(iv) for _, iv in folds)
        self._previous = [None] * len(folds)  # warm starts, one per fold
        self.train_losses, self.held_out_losses, self.win_lengths = [], [], []

    def __call__(self, u):
        t0 = time.perf_counter()
        model, T, n_held = self.model, self.T, self.n_held
        lam = np.clip(np.exp(u), self.lo, self.hi)
        Z = model.features_in_batches(self.X, lam)
        fitted, train_loss, score = [], 0.0, 0.0
        for k, (i_fit, i_val) in enumerate(self.folds):
            Zf = Z[i_fit]
            mean, var = Zf.mean(axis=0), Zf.var(axis=0)
            scale = np.sqrt(var + STD_EPS)
            head, self._previous[k] = fit_linear_head((Zf - mean) / scale, T[i_fit], model.task,
                                                      self.alpha, self._previous[k])
            fitted.append((head, mean, var))
            train_loss += float(model.data_loss(model.outputs((Zf - mean) / scale, head),
                                                T[i_fit])) / len(self.folds)
            if len(i_val):
                out = model.outputs((Z[i_val] - mean) / scale, head)
                score += float(model.data_loss(out, T[i_val])) * len(i_val) / n_held
        self.train_losses.append(train_loss)
        self.win_lengths.append(float(np.mean(lam)))
        if n_held:
            self.held_out_losses.append(score)
        else:
            score = train_loss
        if self.verbose:
            extra = f", validation loss {score:.4f}" if n_held else ""
            print(f"[{self.name}] iteration {len(self.train_losses):3d}: loss {train_loss:.4f}"
                  f"{extra}, window {self.win_lengths[-1]:.1f} samples "
                  f"({time.perf_counter() - t0:.1f} s)")
        return score, lambda: self._gradient(u, Z, fitted)

    def value_and_grad(self, u):
        """``(loss, d loss / d u)`` at ``u`` (the heads refitted at ``u``, then fixed)."""
        loss, gradient = self(u)
        return loss, gradient()

    def _gradient(self, u, Z, fitted):
        """d(held-out, else training, loss)/du at the heads ``fitted`` at ``u``."""
        X, T, n_held = self.X, self.T, self.n_held
        g = np.zeros_like(u)
        for (i_fit, i_val), (head, mean, var) in zip(self.folds, fitted):
            gi = i_val if n_held else i_fit
            if len(gi) == 0:
                continue
            si = self.rng.choice(i_fit, size=min(self.stat_size, len(i_fit)), replace=False)
            g_k = self._fold_gradient(head, u, Z[gi], T[gi], Z[si], X[gi], X[si], mean, var)
            g = g + g_k * (len(gi) / n_held if n_held else 1.0)
        return g

    def _fold_gradient(self, head, u, Z_val, T_val, Z_stat, X_val, X_stat, mean, var,
                       batch=128):
        """d(loss on ``X_val``)/du with the head fixed.

        The loss is the head's on the features ``Z_val`` standardized by the
        training part's statistics (``mean``, ``var``), whose derivative is
        estimated on its subset ``X_stat``. First the cotangents of the
        (small) feature matrices, then one vector-Jacobian product through the
        DSTFT per batch of signals, so memory stays bounded."""
        model, lo, hi = self.model, self.lo, self.hi

        def small(Zv, Zs):
            ms, vs = anp.mean(Zs, axis=0), anp.var(Zs, axis=0)
            m = mean + ms - getval(ms)
            v = var + vs - getval(vs)
            out = model.outputs((Zv - m) / anp.sqrt(v + STD_EPS), head)
            return model.data_loss(out, T_val)

        _, (G_val, G_stat) = value_and_grad(small, argnum=(0, 1))(Z_val, Z_stat)
        grad = np.zeros_like(u)
        for Xp, Gp in ((X_val, G_val), (X_stat, G_stat)):
            if len(Z_stat) == 0 and Xp is X_stat:
                continue
            for i in range(0, len(Xp), batch):
                Xb, Gb = Xp[i:i + batch], Gp[i:i + batch]
                grad = grad + grad_fn(lambda uu, Xb=Xb, Gb=Gb: anp.sum(
                    model.features(Xb, lam_from_log(uu, lo, hi)) * Gb))(u)
        return grad
