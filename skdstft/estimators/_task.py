"""The task loss of a window length: a head on pooled DSTFT features, scored
on held-out signals (paper Sec. VII-B, Eq. 35-36).

* :class:`TaskModel`: ``x -> DSTFT(x; lam) -> log(band x segment pooled |S|**2)
  -> head -> loss`` (cross-entropy, or the mean squared error of a regression).
* :func:`held_out_folds`: which signals score the window -- one stratified
  random part, or group folds when the signals come in groups.
* :class:`TaskObjective`: the held-out loss as a function of the window's
  log-length ``u``, the convex head refitted on each fold's training part at
  every evaluation; its gradient in ``u`` through the refitted heads
  (implicit differentiation of their optimality). It is to the
  supervised criterion what :class:`~skdstft.objective.RepresentationObjective`
  is to the unsupervised ones, for an optimizer of :mod:`skdstft.optimize`.

The trainers that use them are in :mod:`skdstft.estimators._training`.
"""

import time

import autograd.numpy as anp
import numpy as np
from autograd import grad as grad_fn
from scipy.optimize import minimize_scalar
from sklearn.model_selection import GroupKFold, train_test_split

from ..autodiff import dstft
from ..features import extract_features
from ._heads import STD_EPS, cross_entropy, fit_linear_head, head_logits, head_shapes

__all__ = ["TaskModel", "TaskObjective", "held_out_folds", "validation_split", "check_groups",
           "GROUP_FOLDS"]

POWER_EPS = 1e-10

GROUP_FOLDS = 3
"""Folds of the group-held-out window loss (fewer when there are fewer groups)."""

EXACT_WITHOUT_GROUPS = True
"""Whether the window learned without groups (its held-out part a random
share of the training signals, early stopping's) also takes the gradient
through the refitted heads and the held-out temperature, as with groups.
On when the FSDD random split (5 seeds) was rerun with them: SVC 97.13 %,
softmax 96.40 %, logmag+LR 95.87 % (fixed-head gradient: 97.07 / 96.40 /
95.87; benchmarks/results/README.md). False restores the fixed-head
gradient there (its training statistics differentiated exactly)."""


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


# -- the heads' free parameters and the implicit derivative ---------------------------------

HESSIAN_DAMPING = 1e-10
"""Added to the head's Hessian in the hypergradient's solve. Without a penalty
(``alpha=0``) and with separable training parts the Hessian may be singular;
this keeps conjugate gradients finite there and is far below any curvature
of a head with ``alpha > 0`` (``alpha / n_fit``)."""


class _FreeHead:
    """The parameters the convex solver actually optimizes, and how they pack
    into the head :func:`~skdstft.estimators._heads.head_logits` reads.

    * multinomial (3+ classes present): the weights and biases of the present
      classes; absent classes keep zero weights and a bias of -1e3 (never
      predicted);
    * binary (2 classes present): one weight vector ``w`` and bias ``b``,
      packed as the logits ``(-z/2, z/2)`` of the two classes;
    * regression: the packed head itself.

    ``penalty(f)`` is the L2 term that, added to the mean training loss, gives
    the objective scikit-learn's solver minimizes (``LogisticRegression(C=1/alpha)``:
    ``alpha / (2 n) sum W**2``; ``Ridge(alpha=alpha/2)`` over ``C`` outputs:
    ``alpha / (2 n C) sum W**2``), biases unpenalized. ``gauge`` is the
    direction in which the multinomial logits shift together (the penalty is
    blind to it and so is the training loss: the Hessian is singular along it),
    or None.
    """

    def __init__(self, head, T_fit, task, alpha, n_features):
        D, C = n_features, T_fit.shape[1]
        n = len(T_fit)
        W, b = head[:D * C].reshape(D, C), head[D * C:]
        self.gauge, self.task = None, task
        if task == "regression":
            self.curvature = alpha / (n * C)
            self.free = head.copy()
            self._pack = lambda f: f
            self._penalty = lambda f: alpha / (2.0 * n * C) * anp.sum(f[:D * C] ** 2)
            return
        self.curvature = alpha / n
        present = np.flatnonzero(T_fit.sum(axis=0) > 0)
        absent = np.full(C, -1e3)
        absent[present] = 0.0
        k = len(present)
        if k == 2:
            e = np.zeros(C)
            e[present[0]], e[present[1]] = -0.5, 0.5
            self.free = np.concatenate([W[:, present[1]] - W[:, present[0]],
                                        [b[present[1]] - b[present[0]]]])
            self._pack = lambda f: anp.concatenate([anp.ravel(anp.outer(f[:D], e)),
                                                    f[D] * e + absent])
            self._penalty = lambda f: alpha / (2.0 * n) * anp.sum(f[:D] ** 2)
            return
        E = np.eye(C)[present]  # (k, C): a present class's row -> its column
        self.free = np.concatenate([W[:, present].ravel(), b[present]])
        self._pack = lambda f: anp.concatenate([anp.ravel(anp.dot(anp.reshape(f[:D * k], (D, k)),
                                                                  E)),
                                                anp.dot(f[D * k:], E) + absent])
        self._penalty = lambda f: alpha / (2.0 * n) * anp.sum(f[:D * k] ** 2)
        self.gauge = np.concatenate([np.zeros(D * k), np.ones(k)]) / np.sqrt(k)

    def pack(self, f):
        return self._pack(f)

    def penalty(self, f):
        return self._penalty(f)

    def hessian_product(self, f, Zs):
        """``v -> (d2 J / df2) v`` at ``f`` (``Zs (n, D)`` the standardized
        training features), in closed form: the free parameters are a
        ``(D + 1, k)`` matrix ``[W; b]`` whose outputs ``Zs W + b`` enter a
        softmax over the present classes (``k`` of them), a sigmoid (binary,
        ``k = 1``) or the squared error (``k = C``). autograd's product
        (forward over reverse) is ~10x slower on FSDD's 513 x 10 heads, where
        a solve takes hundreds of products; tests/test_task.py checks the two
        agree."""
        n, D = Zs.shape
        k = len(f) // (D + 1)
        if self.task == "regression":
            def out_curvature(dO):
                return 2.0 / (n * k) * dO
        else:
            z = Zs @ np.reshape(f[:D * k], (D, k)) + f[D * k:]
            if k == 1:
                p = 1.0 / (1.0 + np.exp(-z))
                w = p * (1.0 - p) / n

                def out_curvature(dO):
                    return w * dO
            else:
                p = np.exp(z - z.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)

                def out_curvature(dO):
                    pd = p * dO
                    return (pd - p * pd.sum(axis=1, keepdims=True)) / n
        curvature = self.curvature

        def product(v):
            V = np.reshape(v[:D * k], (D, k))
            R = out_curvature(Zs @ V + v[D * k:])
            return np.concatenate([(Zs.T @ R + curvature * V).ravel(), R.sum(axis=0)])
        return product

    def project(self, v):
        """``v`` without its gauge component."""
        if self.gauge is None:
            return v
        return v - np.dot(self.gauge, v) * self.gauge


def conjugate_gradient(hvp, b, project=lambda v: v, rtol=1e-10, max_iter=5000):
    """Solve ``H x = b`` for a symmetric positive (semi)definite ``H`` given by
    products ``hvp(v)``, from ``x = 0``, within the subspace ``project`` maps
    onto (the solve's own null directions removed). Stops at
    ``||b - H x|| <= rtol ||b||`` or after ``max_iter`` products.

    Returns ``(x, relative residual, products used)``."""
    b = project(b)
    x = np.zeros_like(b)
    norm_b = np.linalg.norm(b)
    if norm_b == 0.0:
        return x, 0.0, 0
    r = b.copy()
    p = r.copy()
    rr = float(np.dot(r, r))
    products = 0
    while products < max_iter:
        Hp = project(hvp(p))
        products += 1
        pHp = float(np.dot(p, Hp))
        if pHp <= 0.0:
            break
        step = rr / pHp
        x = x + step * p
        r = r - step * Hp
        rr_new = float(np.dot(r, r))
        if np.sqrt(rr_new) <= rtol * norm_b:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x, float(np.linalg.norm(r)) / norm_b, products


# -- the objective -------------------------------------------------------------------------

def _standardized(Z, Z_ref):
    """``Z`` standardized by the statistics of ``Z_ref`` (both in the graph)."""
    return (Z - anp.mean(Z_ref, axis=0)) / anp.sqrt(anp.var(Z_ref, axis=0) + STD_EPS)


class _Fold:
    """One fold's head, its training objective ``J`` and held-out loss ``L``,
    both functions of the head's free parameters and of the raw feature rows
    (the standardization by the training rows' statistics inside, so that it
    is differentiated exactly)."""

    def __init__(self, model, free_head, T_fit, T_held):
        self.model, self.fh, self.T_fit, self.T_held = model, free_head, T_fit, T_held
        self.grad_J = grad_fn(self.J, 0)
        self.scale = 1.0  # the held-out outputs' inverse temperature (:meth:`calibrate`)

    def J(self, f, Z_fit):
        """The objective the convex solver minimizes: mean training loss + penalty."""
        out = self.model.outputs(_standardized(Z_fit, Z_fit), self.fh.pack(f))
        return self.model.data_loss(out, self.T_fit) + self.fh.penalty(f)

    def L(self, f, Z_fit, Z_held):
        """The mean loss of the held-out rows ``Z_held`` (standardized by
        ``Z_fit``), their outputs times :attr:`scale`."""
        out = self.model.outputs(_standardized(Z_held, Z_fit), self.fh.pack(f))
        return self.model.data_loss(self.scale * out, self.T_held)

    def calibrate(self, f, Z_fit, Z_held, bounds=(1e-3, 1.0)):
        """Set :attr:`scale` to the inverse temperature ``s`` in ``bounds``
        that minimizes the held-out cross-entropy of ``s * logits``
        (convex in ``s``): Brent's method in ``log s``, then Newton steps to
        a stationary point, so that (envelope theorem) the loss's derivative
        at fixed ``s`` is its total one. At a bound ``s`` does not move
        with the window either. ``s <= 1``: the logits are softened (the
        heads' over-confidence on held-out groups), never sharpened. On a
        held-out part the head separates, a sharper head drives the loss to
        0, and the window's criterion goes flat there; a window test
        without groups stayed at its start. Returns ``s``."""
        z = np.asarray(self.model.outputs(_standardized(Z_held, Z_fit), self.fh.pack(f)))
        T = self.T_held

        def softmax(s):
            q = np.exp(s * z - np.max(s * z, axis=1, keepdims=True))
            return q / q.sum(axis=1, keepdims=True)

        res = minimize_scalar(lambda t: float(cross_entropy(np.exp(t) * z, T)),
                              bounds=np.log(bounds), method="bounded", options={"xatol": 1e-6})
        s = float(np.exp(res.x))
        for _ in range(3):
            p = softmax(s)
            d1 = np.mean(np.sum((p - T) * z, axis=1))
            d2 = np.mean(np.sum(p * z * z, axis=1) - np.sum(p * z, axis=1) ** 2)
            if d2 <= 0.0 or abs(d1) <= 1e-13:
                break
            s = float(np.clip(s - d1 / d2, *bounds))
        self.scale = s
        return s

    def hvp(self, f, Z_fit):
        """``v -> (d2 J / df2) v + HESSIAN_DAMPING v`` at ``(f, Z_fit)``
        (:meth:`_FreeHead.hessian_product`)."""
        Z_fit = np.asarray(Z_fit)
        product = self.fh.hessian_product(f, (Z_fit - Z_fit.mean(axis=0))
                                          / np.sqrt(Z_fit.var(axis=0) + STD_EPS))
        return lambda v: product(v) + HESSIAN_DAMPING * v

    def mixed_vjp(self, f, Z_fit, v):
        """``d/dZ_fit [v . grad_f J(f, Z_fit)]`` ``(n_fit, D)``."""
        return grad_fn(lambda Zq: anp.sum(self.grad_J(f, Zq) * v))(Z_fit)

    def polish(self, f, Z_fit, tol, max_steps=3):
        """Newton steps on ``J`` until ``max |grad J| <= tol``: scikit-learn's
        ``tol`` leaves a residual gradient that would bias the implicit
        derivative and make the loss depend on the warm start.

        Returns ``(f, max |grad J| before, after)``."""
        g = self.fh.project(self.grad_J(f, Z_fit))
        before = after = float(np.max(np.abs(g)))
        for _ in range(max_steps):
            if after <= tol:
                break
            step, _, _ = conjugate_gradient(self.hvp(f, Z_fit), g, self.fh.project, rtol=1e-12)
            f = f - step
            g = self.fh.project(self.grad_J(f, Z_fit))
            after = float(np.max(np.abs(g)))
        return f, before, after


class TaskObjective:
    """Held-out task loss of the window's log-length ``u``.

    At each evaluation the convex head (:func:`~skdstft.estimators._heads.fit_linear_head`:
    logistic or ridge regression, penalty ``alpha``) is fitted on each fold's
    training part, its features standardized by that part's statistics, then
    polished by Newton steps if it is not yet stationary for the solver's
    objective ``J`` (``max |grad J| > polish_tol``), and scored on the fold's held-out
    part; the value is the mean loss over every held-out signal (each fold
    weighted by its share of them). Without held-out signals it is the
    training loss, averaged over the folds.

    The gradient in ``u`` is the total derivative of that value, the heads
    refitted: each head ``h*(Z)`` minimizes ``J(h, Z)`` of its training rows'
    features ``Z``, so (implicit function theorem) the held-out loss
    ``L(h*(Z), Z)`` has

        dL/dZ = dL/dZ|_h - d/dZ [v . grad_h J(h*, Z)],   H v = grad_h L,

    ``H`` the Hessian of ``J`` in ``h`` at ``h*``, solved by conjugate
    gradients with closed-form Hessian-vector products (on the free
    parameters of :class:`_FreeHead`, the multinomial gauge projected out;
    the mixed term ``d/dZ [v . grad_h J]`` by autograd).
    Both ``L`` and ``J`` are functions of the raw features, the training rows'
    statistics inside, so the statistics are differentiated exactly. The
    feature cotangents of all folds are summed, then pulled back through the
    DSTFT in one vector-Jacobian product over the signals (in batches, so
    memory stays bounded). ``hypergradient=False`` drops the implicit term:
    the derivative with the heads held fixed (what this objective returned
    before; kept to compare with).

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
    hypergradient : bool
        The total derivative through the refitted heads (True) or the
        partial one at fixed heads (False).
    polish_tol : float
        Newton steps after scikit-learn's fit until the largest entry of
        ``grad J`` is at most this. The default only catches a fit stopped
        short: on FSDD (2000 signals, 513 x 10 heads) scikit-learn's
        ``tol=1e-5`` left ``max |grad J|`` ~1e-5, and polishing it to 1e-10
        changed the held-out loss by 0.03 % and its gradient by 0.8 %, for
        three times the evaluation's time.
    cg_rtol : float
        Relative residual at which the hypergradient's conjugate gradients stop.
    temperature : bool
        Classification with held-out signals: score each fold's held-out
        part with its logits times the inverse temperature ``s <= 1`` that
        minimizes that part's cross-entropy (:meth:`_Fold.calibrate`; recorded
        in ``held_out_scales``). The heads fitted on a few groups are
        over-confident on new ones, and their raw held-out cross-entropy
        is dominated by a few confident errors.
    verbose : int
        Print one line per evaluation, prefixed by ``name``.

    Calling ``objective(u)`` returns ``(loss, gradient)``, ``gradient`` a
    function of no argument computing ``d loss / d u`` on request (the
    interface of :func:`skdstft.optimize.rprop`); :meth:`value_and_grad`
    returns both at once, the interface
    :func:`skdstft.optimize.minimize` looks for (as with
    :class:`~skdstft.objective.RepresentationObjective`). Each evaluation appends to
    ``train_losses`` (mean training loss over the folds), ``held_out_losses``
    (when signals are held out), ``win_lengths`` (mean window length) and
    ``head_residuals`` (per fold: ``max |grad J|`` after scikit-learn's fit
    and after polishing).
    """

    def __init__(self, model, X, T, folds, *, bounds, alpha, hypergradient=True,
                 polish_tol=1e-4, cg_rtol=1e-8, temperature=True, verbose=0,
                 name="DSTFTClassifier"):
        self.model = model.linear()
        self.X, self.T, self.folds = X, T, folds
        self.lo, self.hi = bounds
        self.alpha, self.hypergradient, self.polish_tol = alpha, hypergradient, polish_tol
        self.cg_rtol = cg_rtol
        self.verbose, self.name = verbose, name
        self.n_held = sum(len(iv) for _, iv in folds)
        self.temperature = temperature and self.n_held > 0 and model.task == "classification"
        self.held_out_scales = []
        self._previous = [None] * len(folds)  # warm starts, one per fold
        self.train_losses, self.held_out_losses, self.win_lengths = [], [], []
        self.head_residuals = []

    def _scored_rows(self, i_fit, i_val):
        """(rows the fold's loss scores, their weight in the objective)."""
        if self.n_held:
            return i_val, len(i_val) / self.n_held
        return i_fit, 1.0 / len(self.folds)

    def __call__(self, u):
        t0 = time.perf_counter()
        model, T = self.model, self.T
        lam = np.clip(np.exp(u), self.lo, self.hi)
        Z = model.features_in_batches(self.X, lam)
        fitted, residuals, train_loss, score = [], [], 0.0, 0.0
        for k, (i_fit, i_val) in enumerate(self.folds):
            Zf = Z[i_fit]
            Zs = (Zf - Zf.mean(axis=0)) / np.sqrt(Zf.var(axis=0) + STD_EPS)
            head, self._previous[k] = fit_linear_head(Zs, T[i_fit], model.task, self.alpha,
                                                      self._previous[k])
            rows, weight = self._scored_rows(i_fit, i_val)
            fold = _Fold(model, _FreeHead(head, T[i_fit], model.task, self.alpha, Z.shape[1]),
                         T[i_fit], T[rows])
            f, before, after = fold.polish(fold.fh.free, Zf, self.polish_tol)
            residuals.append((before, after))
            fitted.append((fold, f))
            train_loss += float(model.data_loss(model.outputs(Zs, fold.fh.pack(f)), T[i_fit])
                                ) / len(self.folds)
            if self.n_held and len(i_val):
                if self.temperature:
                    fold.calibrate(f, Zf, Z[i_val])
                score += float(fold.L(f, Zf, Z[i_val])) * weight
        self.train_losses.append(train_loss)
        self.win_lengths.append(float(np.mean(lam)))
        self.head_residuals.append(residuals)
        self.held_out_scales.append([fold.scale for fold, _ in fitted])
        if self.n_held:
            self.held_out_losses.append(score)
        else:
            score = train_loss
        if self.verbose:
            extra = f", validation loss {score:.4f}" if self.n_held else ""
            print(f"[{self.name}] iteration {len(self.train_losses):3d}: loss {train_loss:.4f}"
                  f"{extra}, window {self.win_lengths[-1]:.1f} samples "
                  f"({time.perf_counter() - t0:.1f} s)")
        return score, lambda: self._gradient(u, Z, fitted)

    def value_and_grad(self, u):
        """``(loss, d loss / d u)`` at ``u`` (the heads refitted at ``u``)."""
        loss, gradient = self(u)
        return loss, gradient()

    def feature_cotangent(self, Z, fitted):
        """d(objective)/dZ ``(n, D)``: every fold's held-out loss through its
        refitted head (``hypergradient``) and its training rows' statistics."""
        G = np.zeros_like(Z)
        for (i_fit, i_val), (fold, f) in zip(self.folds, fitted):
            rows, weight = self._scored_rows(i_fit, i_val)
            if len(rows) == 0:
                continue
            Zf = Z[i_fit]
            g_f, g_fit, g_rows = grad_fn(fold.L, argnum=(0, 1, 2))(f, Zf, Z[rows])
            if self.hypergradient:
                v, _, _ = conjugate_gradient(fold.hvp(f, Zf), g_f, fold.fh.project,
                                             rtol=self.cg_rtol)
                g_fit = g_fit - fold.mixed_vjp(f, Zf, v)
            G[i_fit] += weight * g_fit
            G[rows] += weight * g_rows
        return G

    def _gradient(self, u, Z, fitted, batch=128):
        """d(held-out, else training, loss)/du: the feature cotangent, then one
        vector-Jacobian product through the DSTFT per batch of signals."""
        model, lo, hi = self.model, self.lo, self.hi
        G = self.feature_cotangent(Z, fitted)
        used = np.flatnonzero(np.any(G != 0.0, axis=1))
        grad = np.zeros_like(u)
        for i in range(0, len(used), batch):
            Xb, Gb = self.X[used[i:i + batch]], G[used[i:i + batch]]
            grad = grad + grad_fn(lambda uu, Xb=Xb, Gb=Gb: anp.sum(
                model.features(Xb, lam_from_log(uu, lo, hi)) * Gb))(u)
        return grad
