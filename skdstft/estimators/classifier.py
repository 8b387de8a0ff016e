"""DSTFTClassifier: a learned STFT window trained jointly with a classifier head
(paper Sec. VII-B, Eq. 35-36), and :func:`learn_task_window` for supervised
window learning in :class:`~skdstft.DSTFTTransformer`.

The model is ``x -> DSTFT(x; lam) -> log(band x segment pooled |S|**2) ->
standardize -> head -> softmax``. The default solver alternates: fit the
(convex) softmax-regression head exactly at the current window, then step
``log(lam)`` along the gradient of the held-out cross-entropy through the
DSTFT and the head's refit (Rprop-style steps, so that from 10 samples to a
few hundred takes about ten iterations whatever the gradient's scale); the
window with the lowest held-out loss is kept. ``solver="adam"`` trains the
window and the head's weights together by Adam on mini-batches.

This module holds the estimator and the function; the task layer they share
is in :mod:`skdstft.estimators._task` (features, head loss, held-out folds,
:class:`~skdstft.estimators._task.TaskObjective`) and
:mod:`skdstft.estimators._training` (the two solvers, on
:mod:`skdstft.optimize`).
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_signal_matrix
from ..features import feature_names
from ..optimize import single_blas_thread
from ..positions import frame_positions
from ._base import SCALE_RANGE, DSTFTBase, warn_at_bounds, warn_not_converged, window_modes
from ._heads import head_shapes, log_softmax
from ._task import TaskModel, check_groups
from ._training import SOLVERS, fit_task

__all__ = ["DSTFTClassifier", "learn_task_window", "TaskWindowResult"]


def _check_feature_scale(X):
    """ValueError when ``max |X|`` is above ``SCALE_RANGE``: the task's
    features, ``log`` of the pooled ``|S|**2``, then overflow to inf (and their
    standardization to NaN) at some window. Below the range they are merely
    constant (``log`` of the eps), which the fit survives and the scale
    warning already reports."""
    peak = float(np.max(np.abs(X))) if np.size(X) else 0.0
    if peak > SCALE_RANGE[1]:
        raise ValueError(
            f"max |X| = {peak:.3g} is above {SCALE_RANGE[1]:g}: the power spectrogram of the "
            f"supervised task's log-power features overflows float64; rescale X (e.g. to "
            f"max |X| = 1)")


def _fit_problem(est, X, T, task, stratify, groups, owner):
    """Train the window and the head that a :class:`DSTFTClassifier`'s
    parameters describe, on signals ``X (n, N)`` and targets ``T (n, C)``
    (one-hot rows, or standardized regression targets): returns ``(TaskFit,
    model, bounds, hop)``. Shared by the classifier and
    :func:`learn_task_window`, which uses the parameters without fitting a
    classifier. ``owner``: the name of the estimator (or function) the user
    called, which the warnings and verbose lines give."""
    settings = est._settings()  # the estimators' one validation (DSTFTBase), nothing fitted
    positions = np.asarray(frame_positions(X.shape[1], settings.hop_length), dtype=float)
    n_bands = min(settings.n_bands, settings.n_fft // 2 + 1)
    n_segments = min(settings.n_segments, len(positions))
    model = TaskModel(settings.n_fft, positions, settings.window, settings.normalization,
                      n_bands, n_segments,
                      head_shapes(n_bands * n_segments, settings.hidden_layer_sizes, T.shape[1]),
                      task)
    bounds, lam0 = settings.win_length_bounds, settings.win_length
    if settings.window_mode == "fixed":
        bounds = (min(bounds[0], lam0), max(bounds[1], lam0))
    # BLAS pinned to one thread, as in the unsupervised estimators' restarts:
    # the heads' many small LogisticRegression/Ridge fits ran ~30x slower with
    # OpenBLAS's default threads on a loaded 2-core machine
    with single_blas_thread():
        fit = fit_task(model, X, T, settings, bounds=bounds,
                       rng=check_random_state(est.random_state), stratify=stratify,
                       groups=groups, name=owner)
    if fit.n_iter >= settings.max_iter and fit.n_iter - fit.best_epoch < settings.n_iter_no_change:
        # the kept iteration is one of the last n_iter_no_change: the loss (held
        # out, or the training loss without early stopping) was still falling
        warn_not_converged(owner, settings.max_iter, settings.tol, what="the training",
                           window=f"the last n_iter_no_change={settings.n_iter_no_change} "
                                  "iterations")
    if settings.window_mode == "fixed":
        fit.win_length = np.asarray(lam0)
    return fit, model, bounds, settings.hop_length


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
        validation cross-entropy through the DSTFT and the refitted head
        (implicit differentiation; see Notes); the
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
    gradient are averaged over the held-out signals of all folds. Each
    fold's held-out part is scored with its logits scaled by the
    temperature that fits that part best (softening them only): heads fitted on a few speakers
    are over-confident on new ones (a raw cross-entropy of 2-5 nats on
    FSDD, ln 10 = 2.3 at chance), and their raw loss is a few confident
    errors whose count jumps with the window. The gradient is the total
    derivative of that loss: through the DSTFT, the training parts'
    statistics, and the heads' refit (implicit differentiation of their
    optimality; the temperature's refit adds no term at its optimum). K-fold
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
    the held-out part is the random validation part, scored and
    differentiated the same way (one fold).

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import DSTFTClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(512)
    >>> f = np.repeat([0.1, 0.3], 20)
    >>> X = np.cos(2 * np.pi * f[:, None] * t) + 0.5 * rng.standard_normal((40, 512))
    >>> y = (f > 0.2).astype(int)
    >>> clf = DSTFTClassifier(n_fft=64, random_state=0).fit(X, y)  # stops early, at 12 iterations
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
                    solver=SOLVERS)

    def _fit_task(self, X, onehot, codes, groups, owner):
        fit, model, bounds, hop = _fit_problem(self, X, onehot, "classification", codes, groups,
                                               owner)
        self.hop_length_ = hop
        self.positions_ = model.positions
        self.n_frames_ = len(model.positions)
        self.n_bands_, self.n_segments_ = model.n_bands, model.n_segments
        lam = fit.win_length
        self.win_length_ = float(lam) if lam.ndim == 0 else lam.reshape(-1)
        self.at_bound_share_ = warn_at_bounds(self.win_length_, bounds, self, n_fft=model.n_fft,
                                              warn=self.window_mode != "fixed")
        self.coefs_ = fit.head
        self.mean_, self.scale_ = fit.mean, fit.scale
        self.loss_curve_ = [float(v) for v in fit.loss_curve]  # plain floats, as everywhere
        self.validation_scores_ = fit.validation_scores
        self.win_length_curve_ = fit.win_length_curve
        self.n_iter_ = fit.n_iter
        self.best_epoch_ = fit.best_epoch
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

        Raises
        ------
        ValueError
            When ``max |X|`` is above 1e100: the log-power features overflow
            float64 (rescale X, e.g. to ``max |X| = 1``). Below 1e-100 the fit
            runs, with a warning: every feature is then the same constant.
        """
        return self._fit(X, y, groups, type(self).__name__)

    def _fit(self, X, y, groups, owner):
        """:meth:`fit`, with ``owner`` named in the warnings (the estimator the
        user called: :class:`~skdstft.DSTFTTransformer` for its supervised
        criterion, through :func:`learn_task_window`)."""
        check_signal_matrix(X, "X")
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=True)
        _check_feature_scale(X)  # before the scale warning, which would say "kept"
        self._warn_short_signals(X)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must hold at least 2 classes to train a classifier; got 1 class: "
                f"{self.classes_[0]!r}")
        onehot = np.eye(len(self.classes_))[codes]
        return self._fit_task(X, onehot, codes, check_groups(groups, len(X)), owner)

    # -- inference ----------------------------------------------------------
    def _lam(self):
        lam = self.win_length_
        return lam if np.ndim(lam) == 0 else np.asarray(lam)[None, :]

    def standardized_features(self, X):
        """Standardized features ``(n_signals, n_bands_ * n_segments_)`` at the
        learned window (the head's input)."""
        check_is_fitted(self, "coefs_")
        check_signal_matrix(X, "X")
        self._check_signal_length(X, " (its pooling grid holds the fit's frames)")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=True)
        Z = self._model.features_in_batches(X, self._lam())
        return (Z - self.mean_) / self.scale_

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "coefs_")
        n_freqs = self._model.n_fft // 2 + 1  # the fitted grid, whatever set_params did since
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


def learn_task_window(X, y, groups=None, *, _owner="learn_task_window", **dstft_params):
    """Learn a window length for a supervised task (``criterion="supervised"``).

    A :class:`DSTFTClassifier` is trained on ``(X, y)`` for a discrete ``y``;
    for a continuous ``y`` (one or several targets) the same model with a
    ridge-regression head (a linear layer on the standardized features, mean
    squared error on standardized targets, L2 penalty ``alpha``). The window
    is kept, the head is discarded.

    The window is learned on the head's features, the ``log`` of the pooled
    power ``|S|**2`` (``n_bands`` x ``n_segments``), whatever ``feature_kind``
    a :class:`~skdstft.DSTFTTransformer` with ``criterion="supervised"``
    outputs afterwards: a window best for log-power features need not be best
    for others (on FSDD the mismatch with the pooled log-magnitude mattered;
    see benchmarks/results/README.md).

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
    signature): ``n_restarts``, ``n_jobs``. ``_owner`` (internal): the name
    that warnings and verbose lines give, that of the estimator the user
    called (:class:`~skdstft.DSTFTTransformer` passes its own).

    Returns
    -------
    win_length : float or ndarray (T,)
        The learned window length (samples). The pair is a
        :class:`TaskWindowResult`: ``result.win_length``, ``result.loss``, ...
        work too.
    info : dict
        ``"estimator"`` (the fitted model: the :class:`DSTFTClassifier`, or for
        a regression the window and ridge head, a
        ``skdstft.estimators._training.TaskFit``), ``"task"``
        (``"classification"`` or ``"regression"``), ``"loss_curve"``,
        ``"loss"`` (the last epoch's mean training loss), ``"n_iter"``,
        ``"win_length_curve"``, ``"hop_length"``, ``"positions"``.

    Raises
    ------
    ValueError
        When ``max |X|`` is above 1e100 (see :meth:`skdstft.DSTFTClassifier.fit`).

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
        # a regression: the classifier's parameters describe the problem, the
        # task layer fits it with a ridge head; no classifier is fitted
        check_signal_matrix(X, "X")
        X = check_array(X, dtype=np.float64, ensure_all_finite=True, input_name="X")
        _check_feature_scale(X)
        Y = y_arr.astype(float).reshape(len(y_arr), -1)
        if len(Y) != len(X):
            raise ValueError(f"y has {len(Y)} rows but X has {len(X)} signals")
        if not np.all(np.isfinite(Y)):
            raise ValueError("y contains NaN or infinite values")
        Y = (Y - Y.mean(axis=0)) / np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
        fit, model, _, hop = _fit_problem(est, X, Y, "regression", None,
                                          check_groups(groups, len(X)), _owner)
        win_length = float(fit.win_length) if fit.win_length.ndim == 0 \
            else fit.win_length.reshape(-1)
        info = {"estimator": fit, "task": "regression", "loss_curve": list(fit.loss_curve),
                "n_iter": fit.n_iter, "win_length_curve": list(fit.win_length_curve),
                "hop_length": hop, "positions": model.positions}
    else:
        est._fit(X, y, groups, _owner)
        win_length = est.win_length_
        info = {"estimator": est, "task": "classification", "loss_curve": list(est.loss_curve_),
                "n_iter": est.n_iter_, "win_length_curve": list(est.win_length_curve_),
                "hop_length": est.hop_length_, "positions": est.positions_}
    info["loss"] = float(info["loss_curve"][-1])
    return TaskWindowResult(win_length, info)


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
