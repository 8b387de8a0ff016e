"""DSTFTTransformer: one set of STFT parameters learned for a whole dataset.

The estimator is a thin, validated shell (scikit-learn's model): ``fit``
builds a :class:`~skdstft.objective.RepresentationObjective` (or, for
``criterion="supervised"``, hands over to the task-driven trainer of
:mod:`skdstft.estimators.classifier`), runs :func:`skdstft.optimize.run_restarts`
and stores ``attr_`` results; ``transform`` computes the DSTFT with the
learned parameters and turns it into tabular features with the helpers of
:class:`~skdstft.estimators._base.DSTFTBase`.
"""

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_feature_names,
    _num_features,
    check_array,
)

from .._validation import check_signal_matrix
from ..autodiff import dstft
from ..exceptions import BoundWarning
from ..losses import CRITERIA, SCOPES
from ..objective import RepresentationObjective, default_hop_bounds
from ..optimize import METHODS, restart_inits, run_restarts
from ..positions import frame_positions, n_frames_for_hop
from ._base import (
    DSTFTBase,
    hop_modes,
    warn_at_bounds,
    warn_not_converged,
    warn_uncovered,
    window_modes,
)

__all__ = ["DSTFTTransformer"]

TRANSFORM_CHUNK_BYTES = 64 * 2**20
"""Memory budget (bytes) of the temporaries of one chunk of signals in
``transform``: signals are transformed in chunks so that memory stays bounded
whatever the number of signals."""

_RESTART_COLUMNS = ["init", "win_length", "hop_length", "loss", "n_iter", "converged",
                    "seconds", "message"]


def _as_float(value):
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


class DSTFTTransformer(TransformerMixin, DSTFTBase):
    """Learn the STFT window length (and hop) for a dataset; output features.

    ``fit`` minimizes a criterion of the spectrograms of the training
    signals -- averaged over the signals -- with respect to a real-valued
    window length (and optionally the hop), by bounded gradient descent with
    the DSTFT's analytical gradients (paper Sec. VI, math.md §5-6), from
    ``n_restarts`` initial window lengths run in parallel with joblib; the
    lowest final loss wins. ``transform`` computes the DSTFT of new signals
    with the learned parameters and returns spectrogram features
    (log-magnitude pooled into frequency bands x time segments by default).

    Parameters
    ----------
    n_fft : int, default=512
        DFT size ``K`` (even, >= 4), in samples: ``F = n_fft // 2 + 1``
        frequency bins, bin ``k`` at ``k fs / n_fft`` Hz.
    win_length : float, optional
        Window length in samples: the value used by ``window_mode="fixed"``
        (at most ``n_fft - 2``) and the first initial value of the learning
        modes (within ``win_length_bounds``). Default ``n_fft / 2`` (clipped
        into the bounds).
    hop_length : float, optional
        Hop in samples (the fixed hop, or the initial hop when it is learned;
        it also fixes the number of frames ``T = 1 + floor(N / hop_length)``).
        Default ``n_fft // 4``.
    window : str, default="hann"
        Base window: ``"hann"``, ``"blackman"``, ``"gaussian"`` or registered.
    window_mode : {"constant", "fixed", "time"}, default="constant"
        ``"fixed"``: no learning, a plain STFT with ``win_length``;
        ``"constant"``: one learned length for every frame (the classical
        STFT); ``"time"``: one learned length per frame, initialized from the
        optimal constant length (the paper's recipe: the constant problem is
        solved first, with restarts, then refined frame by frame).
    hop_mode : {"fixed", "constant", "time"}, default="fixed"
        ``"fixed"``: frames every ``hop_length`` samples; ``"constant"``: one
        learned hop; ``"time"``: one learned hop per gap between frames.
        The number of frames stays ``1 + floor(N / hop_length)``.
    criterion : {"entropy", "renyi", "kurtosis", "supervised"} or callable, default="entropy"
        Shannon entropy, Rényi entropy of order ``alpha``, minus the mean
        frame kurtosis (all lower-is-better; math.md §5), a callable
        ``loss(S) -> float`` written with ``autograd.numpy`` (``S`` complex
        ``(B, F, T)``; return the mean over signals), or ``"supervised"``:
        a differentiable head trained jointly with the window on ``y``
        (paper Sec. VII), after which only the window is kept. The
        supervised criterion learns the window on its own features, the
        ``log`` of the pooled *power*
        (:func:`~skdstft.estimators.classifier.learn_task_window`),
        whatever ``feature_kind`` this transformer then outputs: the window
        best for log-power features need not be best for others (on FSDD the
        mismatch with the pooled log-magnitude mattered; see
        benchmarks/results/README.md). The features the window was chosen
        for are ``log`` of ``feature_kind="power"`` with ``layout="pooled"``.
    power : float, default=1
        Exponent ``q`` of ``A = |S|**q`` in the criteria (1: magnitude, as in
        the paper; with 2 the entropy keeps falling with the window length),
        in ``(0, 100]`` (above, ``|S|**q`` underflows but at the peaks).
    scope : {"auto", "global", "frame"}, default="auto"
        Entropy over the whole time-frequency plane (``"global"``, the
        paper's) or the mean of per-frame entropies (``"frame"``).
        ``"auto"`` is ``"global"`` for a constant window and ``"frame"`` for
        ``window_mode="time"``: with the default ``"l1"`` normalization a
        global entropy of varying windows has a degenerate optimum (shrink a
        few windows until they hold most of the energy, math.md §1 caveat);
        per-frame normalization removes that bias. Read by the entropies
        only: ``"kurtosis"`` is a per-frame mean by definition.
    alpha : float, default=3
        Order of the Rényi entropy.
    normalization : {"l1", "l2", None}, default="l1"
        Window scaling (math.md §1).
    win_length_bounds : (float, float), optional
        Bounds of the window length in samples; default
        ``(min(8, (n_fft - 2) / 2), n_fft - 2)``.
    coverage : float, default=1.0
        Weight of the coverage penalty (paper Eq. 31-32). It is added to the
        criterion whenever the hop is learned (``hop_mode`` ``"constant"`` or
        ``"time"``): an entropy alone drives the hop to collapse. Set it to 0
        only with a criterion that cannot collapse the hop.
    min_overlap : float in [0, 1), default=0.5
        Overlap fraction required between consecutive windows by the
        coverage penalty.
    reg : float, default=0.0
        Weight of the smoothness penalty of a time-varying window length
        (paper Eq. 27-28, relative to the optimal constant length).
    optimizer : {"auto", "lbfgs", "adam"}, default="auto"
        ``"auto"``: L-BFGS-B on full batches, Adam when ``batch_size`` is set.
    learning_rate : float, default=0.02
        Adam step, as a fraction of each parameter's allowed range.
    batch_size : int, optional
        Signals per Adam mini-batch (drawn from ``random_state``); all
        signals when None. Restarts are ranked by the full-data loss.
    n_restarts : int, default=1
        Number of initial window lengths: ``win_length`` first, the others
        drawn log-uniformly over the bounds from ``random_state``.
    n_jobs : int, optional
        Restarts run in parallel with joblib (``None``: 1 unless a
        :func:`joblib.parallel_config` context says otherwise, e.g. the dask
        backend of a cluster). Results do not depend on ``n_jobs`` or on the
        backend.
    random_state : int, RandomState instance or None, default=None
        Seeds the restart draws and the mini-batches.
    max_iter : int, default=100
        Iterations per optimization run (per stage for ``window_mode="time"``).
    tol : float, default=1e-6
        Relative loss change under which a run stops.
    feature_kind : {"log", "magnitude", "power", "db"}, default="log"
        Values of the spectrogram features.
    layout : {"pooled", "flat", "stats"}, default="pooled"
        Band x segment averages, every bin of every frame, or per-band
        statistics over time (the only layout accepting signals of another
        length than at fit, with constant window and hop).
    n_bands, n_segments : int, default=32, 16
        Pooling grid (capped at the number of bins / frames).
    stats : tuple of {"mean", "std", "min", "max"}, default=("mean", "std", "max")
        Statistics of the ``"stats"`` layout.
    verbose : int, default=0
        0: silent; 1: one line per restart and the choice; >= 2: also the
        loss every ``10 // (verbose - 1)`` iterations.

    Attributes
    ----------
    win_length_ : float or ndarray of shape (T,)
        Learned window length in samples (per frame for ``window_mode="time"``).
    hop_length_ : float or ndarray of shape (T - 1,)
        Hop in samples (per gap for ``hop_mode="time"``).
    positions_ : ndarray of shape (T,)
        Frame centres in samples.
    loss_ : float
        Final training loss (criterion plus penalties, mean over signals);
        NaN for ``window_mode="fixed"``, whose fit computes no spectrogram
        (:meth:`criterion_curve` evaluates the criterion on request).
    at_bound_share_ : float
        Share of the learned window length(s) within 1 % of ``hi - lo`` of a
        bound of ``win_length_bounds`` (0 or 1 for a constant window). A
        :class:`~skdstft.exceptions.BoundWarning` is raised at fit when a
        constant window is at a bound or more than 5 % of a varying one is;
        0 and no check for ``window_mode="fixed"``.
    loss_curve_ : list of float
        Loss at the start and after each iteration of the winning run (both
        stages for ``window_mode="time"``); a list, as in every skdstft
        estimator and scikit-learn's ``MLPClassifier``.
    n_iter_ : int
        Iterations of the winning run (both stages for ``window_mode="time"``).
    restarts_ : pandas.DataFrame
        One row per restart: ``init`` (initial window length), ``win_length``
        and ``hop_length`` (final values; for ``window_mode="time"`` the
        constant first stage), ``loss``, ``n_iter``, ``converged``,
        ``seconds``, ``message``; plus ``best`` marking the winner.
    n_features_in_ : int
        Number of samples per training signal.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``X``.
    n_bands_, n_segments_, n_frames_ : int
        Feature grid fixed at fit.

    See Also
    --------
    skdstft.AdaptiveSpectrogram : parameters adapted to each signal.
    skdstft.dstft : the functional transform.

    Notes
    -----
    Window lengths and hops are real numbers (paper Eq. 25); the optimizer
    works in the unit box of their bounds. Each restart pins BLAS to one
    thread, so results are bit-identical whatever ``n_jobs`` and backend.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import DSTFTTransformer
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(1024)
    >>> X = np.sin(2 * np.pi * 0.1 * t) + 0.1 * rng.standard_normal((4, 1024))
    >>> est = DSTFTTransformer(n_fft=128, n_bands=8, n_segments=4, random_state=0)
    >>> Z = est.fit_transform(X)
    >>> Z.shape
    (4, 32)
    >>> bool(8 <= est.win_length_ <= 126)
    True
    >>> est.get_feature_names_out()[:2]
    array(['band00_seg00', 'band00_seg01'], dtype=object)
    """

    def __init__(self, n_fft=512, win_length=None, hop_length=None, window="hann",
                 window_mode="constant", hop_mode="fixed", criterion="entropy", power=1,
                 scope="auto", alpha=3, normalization="l1", win_length_bounds=None,
                 coverage=1.0, min_overlap=0.5, reg=0.0, optimizer="auto",
                 learning_rate=0.02, batch_size=None, n_restarts=1, n_jobs=None,
                 random_state=None, max_iter=100, tol=1e-6, feature_kind="log",
                 layout="pooled", n_bands=32, n_segments=16, stats=("mean", "std", "max"),
                 verbose=0):
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.window = window
        self.window_mode = window_mode
        self.hop_mode = hop_mode
        self.criterion = criterion
        self.power = power
        self.scope = scope
        self.alpha = alpha
        self.normalization = normalization
        self.win_length_bounds = win_length_bounds
        self.coverage = coverage
        self.min_overlap = min_overlap
        self.reg = reg
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_restarts = n_restarts
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_iter = max_iter
        self.tol = tol
        self.feature_kind = feature_kind
        self.layout = layout
        self.n_bands = n_bands
        self.n_segments = n_segments
        self.stats = stats
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = self.criterion == "supervised"
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # -- parameters ---------------------------------------------------------
    _choices = dict(window_mode=window_modes("fixed", "constant", "time"),
                    hop_mode=hop_modes("fixed", "constant", "time"),
                    criterion=CRITERIA + ("supervised",), scope=("auto",) + SCOPES,
                    optimizer=("auto",) + METHODS)

    def _check_settings(self, settings):
        if settings.window_mode == "fixed" and settings.hop_mode != "fixed":
            raise ValueError(
                f"window_mode='fixed' learns nothing and needs hop_mode='fixed', got "
                f"hop_mode={settings.hop_mode!r}; use window_mode='constant' to learn the hop")
        optimizer = settings.optimizer
        if optimizer == "auto":
            optimizer = "lbfgs" if settings.batch_size is None else "adam"
        if settings.batch_size is not None and optimizer != "adam":
            raise ValueError("batch_size (mini-batches) needs optimizer='adam' or 'auto', "
                             f"got optimizer={optimizer!r}")
        return settings.replace(optimizer=optimizer)

    # -- fit ----------------------------------------------------------------
    def _log(self, settings, message):
        if settings.verbose:
            print(f"[{type(self).__name__}] {message}", flush=True)

    def _objective(self, X, settings, window_mode, n_frames, positions, seed, reg_scale=1.0):
        s = settings
        return RepresentationObjective(
            X, n_fft=s.n_fft, n_frames=n_frames, window_mode=window_mode, hop_mode=s.hop_mode,
            positions=positions, win_bounds=s.win_length_bounds,
            hop_bounds=default_hop_bounds(s.n_fft, s.hop_mode, X.shape[1], n_frames),
            criterion=s.criterion, power=s.power, scope=s.scope, alpha=s.alpha, reg=s.reg,
            reg_scale=reg_scale, coverage=s.coverage, min_overlap=s.min_overlap,
            window=s.window, normalization=s.normalization, batch_size=s.batch_size, seed=seed)

    def _run(self, objective, thetas, bounds, settings, n_jobs):
        """Restarts of one stage; ranks them by the full-data loss."""
        stochastic = settings.batch_size is not None and settings.batch_size < objective.X.shape[0]
        options = dict(method=settings.optimizer, max_iter=settings.max_iter, tol=settings.tol,
                       learning_rate=settings.learning_rate, stochastic=stochastic,
                       verbose=max(0, 10 // (settings.verbose - 1)) if settings.verbose >= 2 else 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            best, results = run_restarts(objective, thetas, bounds, n_jobs=n_jobs, **options)
        if stochastic:
            # best mini-batch losses are not comparable: rank by the full loss
            for r in results:
                if np.isfinite(r.loss):
                    r.loss = float(objective(r.x))
            losses = np.array([r.loss for r in results])
            best = int(np.argmin(np.where(np.isfinite(losses), losses, np.inf)))
        return best, results

    def fit(self, X, y=None, groups=None):
        """Learn the window length (and hop) from the signals ``X``.

        Parameters
        ----------
        X : array-like of shape (n_signals, n_samples)
            Equal-length real signals (a DataFrame works too).
        y : array-like of shape (n_signals,), optional
            Targets; used only by ``criterion="supervised"``.
        groups : array-like of shape (n_signals,), optional
            Group of each signal (speaker, patient, machine, session); used
            only by ``criterion="supervised"``, which then chooses the window
            on held-out groups: group folds
            (:class:`~sklearn.model_selection.GroupKFold`) inside ``fit``,
            the head refitted on each fold's training groups and the window's
            loss averaged over the folds (the scheme and why:
            :class:`~skdstft.DSTFTClassifier`'s Notes). The unsupervised
            criteria describe each signal on its own and ignore ``groups``.
            Routed through ``Pipeline`` and ``GridSearchCV`` by metadata
            routing after ``set_fit_request(groups=True)``.

        Returns
        -------
        self : DSTFTTransformer
        """
        X = self._check_X(X, reset=True)
        settings = self._settings()
        X = np.asarray(X, dtype=np.float64)
        n_signals, n_samples = X.shape
        if settings.criterion == "supervised":
            return self._fit_supervised(X, y, groups, settings)
        rng = check_random_state(self.random_state)
        inits = restart_inits(settings.win_length, settings.win_length_bounds, settings.n_restarts, rng)
        seed = int(rng.randint(0, 2**31 - 1))
        n_frames = n_frames_for_hop(n_samples, settings.hop_length)
        fixed_positions = frame_positions(n_samples, settings.hop_length)
        start = time.perf_counter()

        if settings.window_mode == "fixed":
            # nothing to learn: no spectrogram either (on a dataset the size of FSDD
            # evaluating the criterion cost as much as a transform and 1.8 GB);
            # criterion_curve(X, [win_length_]) gives it on request
            loss = np.nan
            self.win_length_ = settings.win_length
            self.hop_length_ = settings.hop_length
            self.positions_ = fixed_positions
            self.loss_, self.loss_curve_, self.n_iter_ = loss, [loss], 0
            self.at_bound_share_ = 0.0
            self._set_restarts([dict(
                init=settings.win_length, win_length=settings.win_length,
                hop_length=settings.hop_length, loss=loss, n_iter=0, converged=True,
                seconds=time.perf_counter() - start,
                message="window_mode='fixed': nothing to learn", best=True)])
            self._set_feature_grid(settings, n_frames)
            return self

        # stage 1 (every learning mode): a constant window, with restarts
        const = self._objective(X, settings, "constant", n_frames, fixed_positions, seed)
        thetas = [const.pack(w, settings.hop_length)[0] for w in inits]
        theta_bounds = const.pack(settings.win_length, settings.hop_length)[1]
        self._log(settings, f"fitting {settings.n_restarts} restart(s) on {n_signals} signal(s) of "
                     f"{n_samples} samples: window_mode={settings.window_mode!r}, "
                     f"hop_mode={settings.hop_mode!r}, criterion={_name(settings.criterion)}, "
                     f"optimizer={settings.optimizer!r}")
        best, results = self._run(const, thetas, theta_bounds, settings, self.n_jobs)
        rows = []
        for i, (w0, r) in enumerate(zip(inits, results)):
            lam, hop, _ = const.unpack(r.x)
            rows.append(dict(init=float(w0), win_length=float(lam),
                             hop_length=settings.hop_length if hop is None else _as_float(hop),
                             loss=r.loss, n_iter=r.n_iter, converged=r.converged,
                             seconds=r.seconds, message=r.message, best=i == best))
            self._log(settings, f"restart {i + 1}/{len(inits)}: init {float(w0):.2f} -> "
                         f"win_length {float(lam):.2f}, loss {r.loss:.6g}, "
                         f"{r.n_iter} iterations, {r.seconds:.2f} s")
        self._set_restarts(rows, _RESTART_COLUMNS + ["best"])
        winner = results[best]
        objective, final = const, winner
        curve, n_iter = list(winner.loss_curve), winner.n_iter

        # stage 2 (window_mode="time"): one length per frame, from the constant optimum
        if settings.window_mode == "time":
            lam_c, hop_c, _ = const.unpack(winner.x)
            objective = self._objective(X, settings, "time", n_frames, fixed_positions, seed,
                                        reg_scale=float(lam_c))
            theta0, theta_bounds = objective.pack(lam_c, settings.hop_length if hop_c is None else hop_c)
            self._log(settings, f"refining a time-varying window from the constant optimum "
                         f"{float(lam_c):.2f}")
            _, (final,) = self._run(objective, [theta0], theta_bounds, settings, 1)
            if not np.isfinite(final.loss):
                raise RuntimeError(f"the time-varying refinement failed: {final.message}")
            curve += list(final.loss_curve)
            n_iter += final.n_iter
        if not final.converged:
            warn_not_converged(self, settings.max_iter, settings.tol, what="the best run")

        lam, hop, positions = objective.unpack(final.x)
        self.win_length_ = _as_float(np.ravel(lam)) if settings.window_mode == "time" \
            else float(lam)
        self.hop_length_ = settings.hop_length if hop is None else _as_float(hop)
        self.positions_ = np.asarray(positions, dtype=float)
        self.loss_ = float(final.loss)
        self.loss_curve_ = [float(v) for v in curve]
        self.n_iter_ = int(n_iter)
        self.at_bound_share_ = warn_at_bounds(self.win_length_, settings.win_length_bounds, self,
                                              n_fft=settings.n_fft)
        warn_uncovered(self.positions_, self.win_length_, X.shape[1], type(self).__name__)
        self._set_feature_grid(settings, n_frames)
        self._log(settings, f"done in {time.perf_counter() - start:.2f} s: "
                     f"win_length_={_summary(self.win_length_)}, "
                     f"hop_length_={_summary(self.hop_length_)}, loss_={self.loss_:.6g}")
        return self

    def _fit_supervised(self, X, y, groups, settings):
        """criterion="supervised": delegate to the task-driven trainer."""
        if y is None:
            raise ValueError("criterion='supervised' requires y in fit(X, y)")
        with warnings.catch_warnings():
            # the inner DSTFTClassifier's BoundWarning: _store_result gives
            # the same one, naming this transformer's parameters
            warnings.simplefilter("ignore", BoundWarning)
            result = self._learn_task_window(X, y, groups, settings)
        self._store_result(result, settings)
        return self

    def _learn_task_window(self, X, y, groups, settings):
        from .classifier import learn_task_window

        return learn_task_window(
            X, y, groups=groups, n_fft=settings.n_fft, win_length=settings.win_length,
            hop_length=settings.hop_length, window=settings.window,
            window_mode=settings.window_mode, normalization=settings.normalization,
            win_length_bounds=settings.win_length_bounds, n_restarts=settings.n_restarts,
            n_jobs=settings.n_jobs, random_state=self.random_state, max_iter=settings.max_iter,
            _owner=type(self).__name__,  # the warnings name the estimator the user called
            tol=settings.tol, learning_rate=settings.learning_rate,
            batch_size=settings.batch_size, verbose=settings.verbose,
            # the window is chosen for this transformer's pooling grid
            **({"n_bands": settings.n_bands, "n_segments": settings.n_segments}
               if settings.layout == "pooled" else {}))

    def _store_result(self, result, settings):
        """Fitted attributes from a task-driven result (a ``TaskWindowResult``)."""
        lam = result.win_length
        self.win_length_ = _as_float(np.ravel(lam)) if np.ndim(lam) else float(lam)
        self.hop_length_ = _as_float(result.hop_length)
        self.positions_ = np.asarray(result.positions, dtype=float)
        self.loss_ = float(result.loss)
        self.loss_curve_ = [float(v) for v in result.loss_curve]
        self.n_iter_ = int(result.n_iter)
        self.at_bound_share_ = warn_at_bounds(self.win_length_, settings.win_length_bounds, self,
                                              n_fft=settings.n_fft)
        self.restarts_ = pd.DataFrame([], columns=_RESTART_COLUMNS)  # one run, no restarts
        self._set_feature_grid(settings, len(self.positions_))

    def criterion_curve(self, X, win_lengths):
        """Training loss of constant window lengths (paper Fig. 2).

        The fitted objective (criterion, scope, power, normalization and
        frame positions ``positions_``) evaluated on ``X`` for each constant
        window length, without optimization: the curve the optimizer descends.

        Parameters
        ----------
        X : array-like of shape (n_signals, n_samples)
        win_lengths : array-like of shape (n_lengths,)
            Window lengths in samples, in ``(0, n_fft - 2]``.

        Returns
        -------
        losses : ndarray of shape (n_lengths,)
        """
        self._check_fitted()
        X = np.asarray(self._check_X(X, reset=False), dtype=np.float64)
        settings = self._settings()
        if settings.criterion == "supervised":
            raise ValueError("criterion_curve needs an unsupervised criterion")
        settings = settings.replace(window_mode="constant", hop_mode="fixed", coverage=0.0,
                                    reg=0.0, batch_size=None,
                                    win_length_bounds=(1e-6, float(settings.n_fft - 2)))
        objective = self._objective(X, settings, "constant", len(self.positions_),
                                    self.positions_, 0)
        lengths = np.asarray(win_lengths, dtype=float).ravel()
        return np.array([float(objective(np.array([w]))) for w in lengths])

    # -- transform ----------------------------------------------------------
    def _length_free(self):
        """True when transform accepts signals of another length than at fit."""
        return (self.layout == "stats" and np.ndim(self.win_length_) == 0
                and np.ndim(self.hop_length_) == 0)

    def _check_transform_X(self, X):
        check_signal_matrix(X, "X")  # before counting columns of a 1-D/3-D/ragged X
        try:
            n = _num_features(X)
        except TypeError:  # not 2-D: validate_data explains
            n = None
        if n is None or n == self.n_features_in_ or not self._length_free():
            if n is not None and n != self.n_features_in_:
                raise ValueError(
                    f"X has {n} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input: signals of {n} samples, "
                    f"fitted on {self.n_features_in_}. layout={self.layout!r} with "
                    "these window/hop modes needs the same signal length at fit and "
                    "transform (layout='stats' with constant window and hop does not)")
            return self._check_X(X, reset=False)
        _check_feature_names(self, X, reset=False)
        return check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=True,
                           input_name="X")

    def _lam_and_positions(self, n_samples):
        lam = self.win_length_
        if np.ndim(lam):
            lam = np.reshape(lam, (1, -1))
        if n_samples == self.n_features_in_:
            return lam, self.positions_
        return lam, frame_positions(n_samples, self.hop_length_)

    def _transform_chunks(self, X):
        """Yield (chunk of X, its spectrograms) with bounded memory."""
        n_signals, n_samples = X.shape
        lam, positions = self._lam_and_positions(n_samples)
        n_frames, n_freqs = len(positions), self.n_fft // 2 + 1
        per_signal = n_frames * (3 * n_freqs * 16 + 2 * self.n_fft * 8) + n_samples * 8
        step = max(1, TRANSFORM_CHUNK_BYTES // per_signal)
        for lo in range(0, n_signals, step):
            chunk = X[lo:lo + step]
            yield chunk, dstft(chunk, lam, positions, n_fft=self.n_fft, window=self.window,
                               normalization=self.normalization)

    def transform(self, X):
        """Spectrogram features of ``X`` with the learned parameters.

        Signals are processed in chunks (``TRANSFORM_CHUNK_BYTES`` of
        temporaries), so memory does not grow with the number of signals
        beyond the output itself.

        Parameters
        ----------
        X : array-like of shape (n_signals, n_samples)
            Same length as at fit (any length with ``layout="stats"`` and a
            constant window and hop).

        Returns
        -------
        features : ndarray of shape (n_signals, n_features)
            Columns named by :meth:`get_feature_names_out`.
        """
        self._check_fitted()
        X = np.asarray(self._check_transform_X(X), dtype=np.float64)
        out = np.empty((X.shape[0], self._n_features_out()))
        row = 0
        for chunk, S in self._transform_chunks(X):
            out[row:row + len(chunk)] = self._features(S)
            row += len(chunk)
        return out

    def spectrogram(self, X):
        """Complex DSTFT ``(n_signals, F, T)`` of ``X`` with the learned parameters."""
        self._check_fitted()
        X = np.asarray(self._check_transform_X(X), dtype=np.float64)
        return np.concatenate([S for _, S in self._transform_chunks(X)], axis=0)

    def inverse_spectrogram(self, S, *, uncovered="raise", tol=1e-10, max_iter=None):
        """Signals whose spectrograms with the learned parameters are closest
        to ``S``: the least-squares inverse (:func:`skdstft.idstft`, math.md
        §7) of :meth:`spectrogram`, with the fitted window lengths and frame
        positions, at the signal length seen in ``fit``.

        Parameters
        ----------
        S : complex array of shape (n_signals, F, T) or (F, T)
            Spectrograms as :meth:`spectrogram` returns them, possibly
            modified (masked, denoised); ``F = n_fft // 2 + 1``, ``T`` frames.
        uncovered, tol, max_iter
            As in :func:`skdstft.idstft`: ``uncovered="zero"`` returns 0 at
            samples that no learned window reaches (a window shorter than the
            hop leaves such gaps) instead of raising ``ValueError``.

        Returns
        -------
        X : ndarray of shape (n_signals, n_samples)
            ``n_samples`` is the signal length seen in ``fit``;
            float32 for complex64 ``S``, else float64.
        """
        from ..inverse import idstft  # the inverse is not needed to fit or transform

        self._check_fitted()
        lam, positions = self._lam_and_positions(self.n_features_in_)
        X = idstft(S, lam, positions, n_samples=self.n_features_in_, n_fft=self.n_fft,
                   window=self.window, normalization=self.normalization,
                   uncovered=uncovered, tol=tol, max_iter=max_iter)
        return X.reshape(-1, self.n_features_in_)


def _name(criterion):
    return getattr(criterion, "__name__", repr(criterion)) if callable(criterion) \
        else repr(criterion)


def _summary(value):
    if np.ndim(value) == 0:
        return f"{float(value):.2f}"
    value = np.asarray(value)
    if value.size == 0:
        return "[]"
    return f"[{value.min():.1f} .. {value.max():.1f}] ({value.size} values)"
