"""Differentiable pieces shared by the task-driven estimators (paper Sec. VII).

Everything here is module-level and written with ``autograd.numpy`` so that
losses pickle by reference (joblib workers import them) and differentiate
end to end through the DSTFT's analytical vector-Jacobian products.

* :func:`init_head` / :func:`head_logits`: a softmax-regression or small MLP
  head on a feature matrix, with its parameters packed in one flat vector.
* :func:`log_softmax`, :func:`cross_entropy`: the classification loss of
  paper Eq. 35.
* :func:`fit_linear_head`: the convex head fitted exactly at fixed features
  (multinomial logistic or ridge regression), packed like :func:`init_head`'s.
* :func:`standardize`: batch-norm-like standardization of features with the
  statistics of the batch itself (differentiable) or fixed ones.
* :func:`ridge_path`: the dynamic-programming ridge extraction used by
  :class:`~skdstft.FrequencyTracker` with ``method="ridge"`` (not
  differentiable; prediction only).
"""

import warnings

import autograd.numpy as anp
import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = ["init_head", "head_logits", "log_softmax", "cross_entropy", "fit_linear_head",
           "standardize", "ridge_path", "head_shapes"]

STD_EPS = 1e-5


def head_shapes(n_features, hidden_layer_sizes, n_outputs):
    """Shapes ``[(W0, b0), (W1, b1), ...]`` of a dense head."""
    sizes = [int(n_features), *[int(h) for h in hidden_layer_sizes], int(n_outputs)]
    return [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:])]


def init_head(shapes, rng):
    """Glorot-uniform weights, zero biases, packed in one flat float64 vector."""
    parts = []
    for (fan_in, fan_out), _ in shapes:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        parts.append(rng.uniform(-limit, limit, size=fan_in * fan_out))
        parts.append(np.zeros(fan_out))
    return np.concatenate(parts)


def _unpack(theta, shapes):
    layers, start = [], 0
    for (fan_in, fan_out), _ in shapes:
        W = anp.reshape(theta[start:start + fan_in * fan_out], (fan_in, fan_out))
        start += fan_in * fan_out
        b = theta[start:start + fan_out]
        start += fan_out
        layers.append((W, b))
    return layers


def head_logits(theta, Z, shapes):
    """Logits ``(B, C)`` of standardized features ``Z (B, D)``: ReLU hidden
    layers, a linear output layer (softmax regression without hidden layers)."""
    layers = _unpack(theta, shapes)
    h = Z
    for W, b in layers[:-1]:
        h = anp.maximum(anp.dot(h, W) + b, 0.0)
    W, b = layers[-1]
    return anp.dot(h, W) + b


def l2_penalty(theta, shapes):
    """``sum W**2`` over the weight matrices (biases are not penalized)."""
    return sum(anp.sum(W * W) for W, _ in _unpack(theta, shapes))


def log_softmax(logits):
    m = anp.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))


def cross_entropy(logits, onehot):
    """Mean cross-entropy (paper Eq. 35) of logits ``(B, C)`` against one-hot rows."""
    return -anp.mean(anp.sum(onehot * log_softmax(logits), axis=1))


def fit_linear_head(Zs, T, task, alpha, previous=None):
    """The convex head at fixed features: multinomial logistic regression
    (``C = 1 / alpha``: the same penalty as ``alpha / (2 n) sum W**2`` added
    to the mean cross-entropy) or ridge regression.

    Parameters
    ----------
    Zs : ndarray (n, D)
        Standardized features.
    T : ndarray (n, C)
        One-hot rows (``task="classification"``) or targets (``"regression"``).
    task : {"classification", "regression"}
    alpha : float >= 0
    previous : estimator, optional
        The scikit-learn estimator of an earlier call, warm-started.

    Returns
    -------
    theta : ndarray (D * C + C,)
        ``(W (D, C), b (C,))`` packed as :func:`head_logits` reads them.
    estimator
        The fitted scikit-learn estimator (pass it back as ``previous``).
    """
    # imported here: FrequencyTracker imports this module and needs no linear model
    from sklearn.linear_model import LogisticRegression, Ridge

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
        # classes absent from this part: never predicted (a zero logit would predict them)
        b[np.setdiff1d(np.arange(T.shape[1]), present)] = -1e3
        return np.concatenate([W.ravel(), b]), est
    est = Ridge(alpha=alpha / 2).fit(Zs, T)
    return np.concatenate([np.asarray(est.coef_).T.ravel(), np.ravel(est.intercept_)]), est


def standardize(F, mean=None, scale=None):
    """``(F - mean) / scale``; with ``mean=None`` the batch's own statistics
    (computed inside the graph, so the gradient sees them, as batch norm in
    training mode does)."""
    if mean is None:
        mean = anp.mean(F, axis=0)
        scale = anp.sqrt(anp.var(F, axis=0) + STD_EPS)
    return (F - mean) / scale


def ridge_path(P, penalty):
    """Best path through a nonnegative spectrogram by dynamic programming.

    Maximizes ``sum_n log(P[k_n, n] + eps) - penalty * sum_n (k_n - k_{n-1})**2``
    (Viterbi), with ``eps`` a tiny fraction of the largest value.

    Parameters
    ----------
    P : ndarray (F, T)
        Nonnegative energies (e.g. ``|S|**2`` restricted to a band).
    penalty : float >= 0
        Cost of a jump of one bin between consecutive frames (squared jumps).

    Returns
    -------
    path : ndarray of int (T,)
        Bin index per frame.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.full((4, 3), 1e-3); P[2, 0] = P[1, 1] = P[2, 2] = 1.0; P[0, 1] = 2.0
    >>> ridge_path(P, penalty=1.0).tolist()
    [2, 1, 2]
    """
    P = np.asarray(P, dtype=float)
    n_bins, n_frames = P.shape
    eps = 1e-12 * max(float(P.max()), 1e-300)
    score = np.log(P + eps)
    k = np.arange(n_bins)
    jump = penalty * (k[:, None] - k[None, :]) ** 2  # (to, from)
    acc = score[:, 0].copy()
    back = np.zeros((n_bins, n_frames), dtype=int)
    for n in range(1, n_frames):
        cand = acc[None, :] - jump
        back[:, n] = np.argmax(cand, axis=1)
        acc = cand[k, back[:, n]] + score[:, n]
    path = np.empty(n_frames, dtype=int)
    path[-1] = int(np.argmax(acc))
    for n in range(n_frames - 1, 0, -1):
        path[n - 1] = back[path[n], n]
    return path
