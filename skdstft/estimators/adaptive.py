"""AdaptiveSpectrogram: windows (and hops) that adapt to each signal.

The paper's two-step recipe (Sec. VI-A/VI-B, math.md §5-6): ``fit`` solves
the convex first step -- one constant window length for the training
signals, with restarts -- and ``adapt`` / ``transform`` refine, signal by
signal, a window length that varies in time, frequency or both (and, with
``hop_mode="time"``, the frame positions), starting from that constant
optimum. The estimator is a thin shell: the loss is
:class:`skdstft.objective.RepresentationObjective`, the optimizer
:func:`skdstft.optimize.minimize` / :func:`~skdstft.optimize.run_restarts`.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .. import losses
from ..autodiff import dstft
from ..features import extract_features
from ..losses import CRITERIA, SCOPES
from ..objective import RepresentationObjective
from ..optimize import METHODS, OptimizeResult, minimize, restart_inits, run_restarts, single_blas_thread
from ..positions import fixed_overlap_n_frames, frame_positions, n_frames_for_hop
from ._base import (
    BOUND_MAX_SHARE,
    DSTFTBase,
    at_bound_share,
    coverage_count,
    hop_modes,
    warn_at_bounds,
    warn_not_converged,
    warn_uncovered,
    window_modes,
)

__all__ = ["AdaptiveSpectrogram", "AdaptationResult"]

_RESTART_COLUMNS = ["init", "win_length", "loss", "n_iter", "converged", "seconds",
                    "message", "best"]


# --------------------------------------------------------------------------- #
# the result of one adaptation
# --------------------------------------------------------------------------- #
@dataclass
class AdaptationResult:
    """The window (and frames) adapted to one signal, and its spectrogram.

    Attributes
    ----------
    spectrogram : complex ndarray of shape (F, T)
        The DSTFT with the adapted parameters, ``F = n_fft // 2 + 1``.
    win_lengths : ndarray of shape (1, T), (F, 1) or (F, T)
        Window lengths in samples, in the shape of the mode: one per frame
        (``"time"``), one per frequency bin (``"frequency"``) or one per bin
        (``"time-frequency"``); it broadcasts against ``spectrogram``
        (:attr:`win_length_grid` gives the broadcast ``(F, T)`` array).
    positions : ndarray of shape (T,)
        Frame centres in samples (real, increasing).
    loss_curve : ndarray of shape (n_iter + 1,) or so
        Training loss (criterion plus penalties) along the iterations; the
        first entry is the loss of the starting point (the constant optimum).
    loss : float
        Best loss reached (criterion plus penalties).
    criterion : float
        The criterion alone at the result (no smoothness, no coverage term):
        entropy in nats, or minus the mean frame kurtosis.
    n_iter : int
        Iterations of the optimizer.
    converged : bool
        Whether the tolerance was met before ``max_iter``.
    initial_criterion : float
        The criterion at the starting point (the fitted constant window).
    smoothness : float
        The smoothness term ``R`` (math.md §5, unit-free: relative to
        ``win_length_init``) of the result; 0 for a constant window.
    coverage : float
        The coverage penalty of the result (0: every sample is analysed with
        the required overlap).
    frame_mask : ndarray of bool, shape (T,)
        Frames whose window overlaps ``[0, n_samples)`` (all True except
        with ``hop_mode="overlap"``, whose trailing frames may fall past the
        end of the signal).
    n_fft : int
    n_samples : int
    win_length_init : float
        The constant window length the adaptation started from (samples).
    win_length_bounds : (float, float)
        Bounds of the window lengths (samples).
    seconds : float
        Wall-clock time of the adaptation.
    reg : float
        The smoothness weight used (``reg="auto"`` resolved for this signal).
    reg_max : float
        The weight above which the starting constant window would not have
        moved (``RepresentationObjective.reg_threshold``).
    at_bound_share : float
        Share of ``win_lengths`` within 1 % of ``hi - lo`` of a bound
        (:meth:`fraction_at_bounds`); above 5 % the estimator warns with a
        :class:`~skdstft.exceptions.BoundWarning`.
    message : str
        Why the optimizer stopped.
    """

    spectrogram: np.ndarray
    win_lengths: np.ndarray
    positions: np.ndarray
    loss_curve: np.ndarray
    loss: float
    criterion: float
    n_iter: int
    converged: bool = False
    initial_criterion: float = np.nan
    smoothness: float = 0.0
    coverage: float = 0.0
    frame_mask: np.ndarray = None
    n_fft: int = 0
    n_samples: int = 0
    win_length_init: float = np.nan
    win_length_bounds: tuple = (np.nan, np.nan)
    seconds: float = 0.0
    reg: float = 0.0
    reg_max: float = np.nan
    at_bound_share: float = 0.0
    message: str = ""
    window: object = field(default="hann", repr=False)
    normalization: object = field(default="l2", repr=False)

    @property
    def hop_lengths(self):
        """Gaps between consecutive frame centres, ``(T - 1,)`` samples."""
        return np.diff(self.positions)

    @property
    def win_length_grid(self):
        """Window length of every bin, ``(F, T)`` samples (a read-only
        broadcast view of ``win_lengths``, no copy)."""
        return np.broadcast_to(self.win_lengths, np.shape(self.spectrogram))

    @property
    def frame_win_lengths(self):
        """Shortest window of each frame, ``(T,)`` samples (the length the
        coverage condition uses)."""
        return np.min(self.win_length_grid, axis=0)

    def fraction_at_bounds(self, rtol=0.01):
        """Fraction of the window lengths (``win_lengths``, in the mode's
        shape) within ``rtol * (hi - lo)`` of a bound.

        A large value flags a degenerate optimum (math.md §1 caveat) or a
        range too tight for the signal.
        """
        return at_bound_share(self.win_lengths, self.win_length_bounds, rtol)[0]

    def inverse(self, S=None, **kwargs):
        """The signal resynthesized from this result's spectrogram, or from a
        modified one: the least-squares inverse (:func:`skdstft.idstft`,
        math.md §7) with the adapted window lengths and frame positions.

        Parameters
        ----------
        S : complex array of shape (F, T) or (B, F, T), optional
            Default: ``self.spectrogram`` (whose inverse is the analysed
            signal, up to rounding, where the windows cover it).
        **kwargs
            Passed to :func:`skdstft.idstft` (``uncovered``, ``tol``,
            ``max_iter``).

        Returns
        -------
        x : ndarray of shape (n_samples,) or (B, n_samples)
        """
        from ..inverse import idstft  # the inverse is not needed to adapt

        return idstft(self.spectrogram if S is None else S, self.win_lengths, self.positions,
                      n_samples=self.n_samples, n_fft=self.n_fft, window=self.window,
                      normalization=self.normalization, **kwargs)

    def __repr__(self):
        # the arrays are thousands of lines; their shapes and ranges say enough
        lam = np.asarray(self.win_lengths)
        return (f"AdaptationResult(n_fft={self.n_fft}, n_samples={self.n_samples}, "
                f"spectrogram={np.shape(self.spectrogram)}, "
                f"win_lengths={lam.shape} in [{lam.min():.1f}, {lam.max():.1f}], "
                f"positions={np.shape(self.positions)}, loss={self.loss:.6g}, "
                f"criterion={self.criterion:.6g}, n_iter={self.n_iter}, "
                f"converged={self.converged})")

    def covers(self, min_overlap=0.0):
        """True when every sample of the signal lies inside at least one window
        (with ``min_overlap > 0``: inside windows overlapping by that fraction).
        Checked explicitly, sample by sample."""
        return bool(np.all(coverage_count(self.positions, self.frame_win_lengths,
                                          self.n_samples, min_overlap) >= 1))


# --------------------------------------------------------------------------- #
# the per-signal problem (module level: joblib workers import it)
# --------------------------------------------------------------------------- #
def _grid(settings, n_samples):
    """``(n_frames, positions)`` of a signal length (positions None when the
    objective derives them from the lengths)."""
    if settings.hop_mode == "overlap":
        lo = settings.win_length_bounds[0]
        return fixed_overlap_n_frames(n_samples, lo, settings.min_overlap), None
    return (n_frames_for_hop(n_samples, settings.hop_length),
            frame_positions(n_samples, settings.hop_length))


AUTO_REG_FRACTION = 0.02
"""``reg="auto"`` uses this fraction of the signal's threshold ``reg_max``."""


def _objective(settings, X, window_mode):
    n_frames, positions = _grid(settings, X.shape[-1])
    s, hop_mode = settings, settings.hop_mode
    if window_mode == "constant" and hop_mode == "time":
        hop_mode = "fixed"  # the first step keeps the initial grid
    return RepresentationObjective(
        X, n_fft=s.n_fft, n_frames=n_frames, window_mode=window_mode, hop_mode=hop_mode,
        positions=positions, win_bounds=s.win_length_bounds, hop_bounds=s.hop_length_bounds,
        criterion=s.criterion, power=s.power, scope=s.scope, alpha=s.alpha,
        reg=0.0 if s.reg == "auto" else s.reg, reg_scale=s.win_length, coverage=s.coverage,
        min_overlap=s.min_overlap, window=s.window, normalization=s.normalization)


def _adapt(x, settings):
    """Adapt the window (and hop) to one signal ``x`` (N,): an AdaptationResult."""
    start = time.perf_counter()
    X = np.asarray(x, dtype=np.float64)[None, :]
    objective = _objective(settings, X, settings.window_mode)
    theta0, bounds = objective.pack(settings.win_length, settings.hop_length)
    reg_max = objective.reg_threshold(theta0)  # one gradient: ~1 % of an adaptation
    if settings.reg == "auto":
        objective.reg = AUTO_REG_FRACTION * reg_max
    if settings.window_mode != "time-frequency" and settings.hop_mode != "time" \
            and objective.reg > reg_max:
        # the lasso case: the threshold is exact for a window varying along one
        # axis, so the constant start is the optimum; descending would only
        # oscillate around the penalty's kink
        loss0 = float(objective(theta0))
        res = OptimizeResult(x=theta0, loss=loss0, loss_curve=[loss0], n_iter=0,
                             converged=True,
                             message=f"reg={objective.reg:.4g} > reg_max={reg_max:.4g}: the "
                                     "constant window is optimal")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = minimize(objective, theta0, bounds, method=settings.optimizer,
                           max_iter=settings.max_iter, tol=settings.tol,
                           learning_rate=settings.learning_rate)
    theta = res.x if np.isfinite(res.loss) else theta0
    lam, _, positions = objective.unpack(theta)
    positions = np.asarray(positions, dtype=float)
    S = dstft(X[0], lam, positions, n_fft=settings.n_fft, window=settings.window,
              normalization=settings.normalization)
    lam = np.reshape(np.asarray(lam, dtype=float), objective.win_shape)  # the mode's shape
    lam_full = np.broadcast_to(lam, S.shape)
    mask = objective.frame_mask(lam, positions)
    return AdaptationResult(
        spectrogram=S, win_lengths=lam, positions=positions,
        loss_curve=np.asarray(res.loss_curve, dtype=float), loss=float(res.loss),
        criterion=objective.criterion_value(theta), n_iter=int(res.n_iter),
        converged=bool(res.converged), initial_criterion=objective.criterion_value(theta0),
        smoothness=float(losses.smoothness(lam, scale=settings.win_length)),
        coverage=float(losses.coverage_penalty(positions[mask], lam_full[:, mask],
                                               int(X.shape[1]), settings.min_overlap)),
        frame_mask=np.asarray(mask, dtype=bool), n_fft=settings.n_fft, n_samples=int(X.shape[1]),
        win_length_init=settings.win_length, win_length_bounds=tuple(settings.win_length_bounds),
        seconds=time.perf_counter() - start, reg=float(objective.reg), reg_max=float(reg_max),
        at_bound_share=at_bound_share(lam, settings.win_length_bounds)[0], message=str(res.message),
        window=settings.window, normalization=settings.normalization)


def _adapt_features(X, settings, feature_kw):
    """Worker of ``transform``: adapt to each row of ``X`` (a chunk of
    signals), keep only the feature vectors. BLAS is pinned to one thread so
    that results do not depend on how the signals are split over jobs."""
    feats, late, shares = [], 0, []
    with single_blas_thread():
        for x in X:
            result = _adapt(x, settings)
            feats.append(extract_features(result.spectrogram, **feature_kw))
            late += not result.converged
            shares.append(at_bound_share(result.win_lengths, settings.win_length_bounds))
    return feats, late, shares


# --------------------------------------------------------------------------- #
# the estimator
# --------------------------------------------------------------------------- #
class AdaptiveSpectrogram(TransformerMixin, DSTFTBase):
    """A spectrogram whose window (and hop) adapts to each signal.

    The paper's recipe in two steps (Sec. VI-A/VI-B): ``fit`` finds one
    constant window length for the training signals (the convex first step,
    with ``n_restarts`` restarts in parallel); :meth:`adapt` then optimizes,
    for one signal, a window length varying in time, in frequency or in both
    (and, with ``hop_mode="time"``, the frame positions), starting from that
    constant optimum, by gradient descent with the DSTFT's analytical
    gradients. ``transform`` adapts every signal separately, in parallel with
    joblib, and returns spectrogram features like ``DSTFTTransformer``.

    The loss of one signal is ``criterion + reg * R + coverage * C``: ``R``
    the smoothed total variation of the window lengths over the
    time-frequency grid divided by the fitted constant length (unit-free,
    math.md §5), ``C`` the coverage penalty of learned frame positions.

    Parameters
    ----------
    n_fft : int, default=512
        DFT size ``K`` (even, >= 4), in samples; ``F = n_fft // 2 + 1``
        frequency bins, bin ``k`` at ``k fs / n_fft`` Hz.
    win_length : float, optional
        First initial window length (samples) of the constant fit, within
        ``win_length_bounds``. Default ``n_fft / 2`` (clipped into the bounds).
    hop_length : float, optional
        Hop in samples: the fixed hop, or the initial one with
        ``hop_mode="time"``; fixes ``T = 1 + floor(N / hop_length)`` frames.
        Default ``n_fft // 4``. Unused with ``hop_mode="overlap"``.
    window : str, default="hann"
        Base window (``"hann"``, ``"blackman"``, ``"gaussian"`` or registered).
    window_mode : {"time-frequency", "time", "frequency"}, default="time-frequency"
        Shape of the adapted window length: ``(F, T)``, ``(1, T)`` or
        ``(F, 1)`` (math.md §2). Time-varying lengths use the FFT backend
        (``O(T K log K)``), the others a chunked DFT (``O(F K T)``, bounded
        memory).
    hop_mode : {"fixed", "time", "overlap"}, default="fixed"
        ``"fixed"``: frames every ``hop_length`` samples; ``"time"``: one
        learned hop per gap (the positions adapt too; the coverage penalty
        keeps every sample analysed); ``"overlap"``: the hop follows the
        window at the fixed overlap ``min_overlap`` (math.md §2, needs
        ``window_mode="time"``; ``T`` is set by the shortest allowed window
        and frames past the end are masked out of the loss).
    criterion : {"entropy", "renyi", "kurtosis"} or callable, default="entropy"
        Shannon entropy (paper Eq. 26), Rényi entropy of order ``alpha``,
        minus the mean frame kurtosis (Eq. 29-30), or ``loss(S) -> float``
        in ``autograd.numpy`` (``S`` complex ``(1, F, T)``). Lower is better.
    power : float, default=1
        Exponent ``q`` of ``A = |S|**q`` in the criteria, in ``(0, 100]``.
    scope : {"frame", "global"}, default="frame"
        Entropy of each frame (normalized to unit mass) averaged over frames,
        or one distribution over the whole plane (the paper's). See Notes.
        Read by the entropies only: ``"kurtosis"`` is a per-frame mean by
        definition.
    alpha : float, default=3
        Order of the Rényi entropy.
    normalization : {"l2", "l1", None}, default="l2"
        Window scaling ``lam**-1/2``, ``lam**-1`` or 1 (math.md §1). See Notes.
    reg : float or "auto", default="auto"
        Weight of the smoothness term (unit-free: the total variation is
        divided by the fitted constant length ``win_length_``). ``reg=0``
        gives a noisy window map; ``reg -> inf`` the constant optimum.
        ``"auto"``: 2 % of the signal's own threshold ``reg_max`` (see
        Notes), resolved per signal and reported as ``AdaptationResult.reg``.
    coverage : float, default=1.0
        Weight of the coverage penalty (paper Eq. 31-32), used with
        ``hop_mode="time"``.
    min_overlap : float in [0, 1), default=0.5
        Required overlap of consecutive windows (coverage penalty), or the
        fixed overlap of ``hop_mode="overlap"``.
    win_length_bounds : (float, float), optional
        Bounds of every window length in samples; default
        ``(min(8, (n_fft - 2) / 2), n_fft - 2)``.
    hop_length_bounds : (float, float), optional
        Bounds of every learned hop (``hop_mode="time"``) in samples; default
        ``(1, n_fft)`` (math.md §6). A lower bound above 1 keeps the
        criterion from stacking several frames on one event (see Notes).
    optimizer : {"auto", "lbfgs", "adam"}, default="auto"
        Optimizer of the per-signal adaptation (``"auto"``: Adam with
        projection, which makes faster progress than L-BFGS-B on the
        thousands of lengths of the time-frequency mode, math.md §6). The
        constant fit always uses L-BFGS-B.
    learning_rate : float, default=0.02
        Adam step, as a fraction of each parameter's allowed range.
    max_iter : int, default=100
        Iterations per optimization (the constant fit, and each adaptation).
    tol : float, default=1e-6
        Relative loss change under which an optimization stops.
    n_restarts : int, default=1
        Initial window lengths of the constant fit: ``win_length`` first,
        the others drawn log-uniformly over the bounds from ``random_state``.
    n_jobs : int, optional
        Parallel jobs (joblib) over restarts in ``fit`` and over signals in
        ``transform``. Results do not depend on it (BLAS is pinned to one
        thread per signal).
    random_state : int, RandomState instance or None, default=None
        Seeds the restart draws.
    verbose : int, default=0
        Progress messages (1: per step; joblib's verbosity above).
    feature_kind : {"log", "magnitude", "power", "db"}, default="log"
    layout : {"pooled", "flat", "stats"}, default="pooled"
    n_bands, n_segments : int, default=32, 16
    stats : tuple of {"mean", "std", "min", "max"}, default=("mean", "std", "max")
        Features of ``transform``, as in ``DSTFTTransformer`` (same column
        names, :meth:`get_feature_names_out`).

    Attributes
    ----------
    win_length_ : float
        The constant window length fitted on the training signals (samples):
        the starting point of every adaptation and the smoothness scale.
    hop_length_ : float
        The (initial) hop in samples.
    positions_ : ndarray of shape (T,)
        Frame centres of the training length's grid (for ``hop_mode="overlap"``
        those of the constant window ``win_length_``).
    loss_ : float
        Criterion of the constant fit (mean over the training signals).
    loss_curve_ : list of float
        Losses of the winning constant-fit run (a list, as in every skdstft
        estimator and scikit-learn's ``MLPClassifier``).
    n_iter_ : int
        Iterations of the winning constant-fit run.
    restarts_ : pandas.DataFrame
        One row per restart of the constant fit.
    at_bound_share_ : float
        1.0 when the fitted constant window is within 1 % of ``hi - lo`` of a
        bound (a :class:`~skdstft.exceptions.BoundWarning` is raised then),
        else 0.0. Each adaptation reports its own share,
        ``AdaptationResult.at_bound_share``, and warns above 5 %.
    n_features_in_ : int
        Samples per training signal.
    n_bands_, n_segments_, n_frames_ : int
        Feature grid fixed at fit.

    See Also
    --------
    skdstft.DSTFTTransformer : one set of parameters for a whole dataset.
    skdstft.plotting : displays of an :class:`AdaptationResult`.

    Notes
    -----
    **Why the defaults are ``normalization="l2"`` and ``scope="frame"``.**
    When the window varies, the criterion must compare spectrogram bins made
    with windows of different lengths, and the window's scaling ``c(lam)``
    biases that comparison (math.md §1 caveat). With the paper's ``"l1"``
    (``c = 1/lam``) broadband energy in a bin falls like ``lam**-1/2``, so a
    *global* entropy is lowered simply by moving energy around through the
    scaling: a time-varying window drives a few frames to the lower bound
    (their energy then dominates), and a time-frequency one pushes every
    noise bin to the upper bound (its energy shrinks). These optima are
    artefacts of the scaling, not better pictures. ``"l2"`` keeps the
    energy of noise independent of ``lam``, and the per-frame entropy
    normalizes every frame to unit mass, so no frame can win by its energy.
    On the paper's 3-component signal (``examples/tf_varying_window.py``,
    ``tests/test_adaptive.py``) ``l1``/global leaves a large share of the
    time-frequency lengths at a bound, ``l2``/frame with the default ``reg``
    less than 5 %. For a constant window neither choice matters to the
    entropy (it is scale invariant), but ``scope`` does, and the fit uses the
    same settings as the adaptation so that both criteria are comparable.

    **Why ``reg="auto"``.** The smoothed total variation ``R`` is nearly
    ``|d|``, so ``reg * R`` acts like a lasso penalty: the constant starting
    window is a stationary point -- nothing moves -- whenever ``reg``
    exceeds a threshold ``reg_max`` set by the criterion's gradient at the
    start (``RepresentationObjective.reg_threshold``,
    the analogue of the lasso's ``alpha_max``). That threshold varies by
    orders of magnitude between signals and modes (measured: 0.24 on an
    FSDD recording and 2.1 on the three-component signal in time mode,
    8-57 in frequency mode), which is why a fixed weight such as the
    former default 1.0 locked the time mode at the constant window on every
    signal tried, while reaching only part of the gain in the other modes.
    A fraction of ``reg_max`` means the same on every signal. At 2 % the
    adapted windows reach 54-100 % of the criterion gain of ``reg=0`` on the
    three-component signal, an FSDD recording and an FM chirp in the three
    modes, while their roughness ``R`` in frequency and time-frequency mode
    is 4-21 times smaller than with ``reg=0`` (``benchmarks/bench_defaults.py``
    prints the table). In time mode the penalty mostly removes the
    frame-to-frame jitter. Larger fractions trade gain for smoothness
    quickly: at 10 % the time-frequency gain falls to 22-32 % of that of
    ``reg=0``, at 30 % to nothing.
    A float ``reg`` is used as is, and ``reg > reg_max`` along one axis
    returns the constant window at once (it is the optimum).

    The adaptation of one signal of ``N`` samples costs ``max_iter`` loss and
    gradient evaluations of ``O(F K T)`` (time-frequency, frequency) or
    ``O(T K log K)`` (time) operations; memory stays ``O(F T)`` plus a
    bounded chunk of the DFT kernel, whatever ``N``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import AdaptiveSpectrogram
    >>> t = np.arange(512)
    >>> X = np.sin(2 * np.pi * (0.05 + 0.1 * t / 512) * t)[None]
    >>> est = AdaptiveSpectrogram(n_fft=64, max_iter=50, tol=1e-3, n_bands=4, n_segments=4)
    >>> est.fit(X).win_length_ > 8
    True
    >>> result = est.adapt(X[0])
    >>> result.spectrogram.shape, result.win_lengths.shape
    ((33, 33), (33, 33))
    >>> result.reg > 0  # reg="auto", resolved for this signal
    True
    >>> bool(result.criterion <= result.initial_criterion)
    True
    >>> est.transform(X).shape
    (1, 16)
    """

    def __init__(self, n_fft=512, win_length=None, hop_length=None, window="hann",
                 window_mode="time-frequency", hop_mode="fixed", criterion="entropy",
                 power=1, scope="frame", alpha=3, normalization="l2", reg="auto", coverage=1.0,
                 min_overlap=0.5, win_length_bounds=None, hop_length_bounds=None,
                 optimizer="auto",
                 learning_rate=0.02, max_iter=100, tol=1e-6, n_restarts=1, n_jobs=None,
                 random_state=None, verbose=0, feature_kind="log", layout="pooled",
                 n_bands=32, n_segments=16, stats=("mean", "std", "max")):
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
        self.reg = reg
        self.coverage = coverage
        self.min_overlap = min_overlap
        self.win_length_bounds = win_length_bounds
        self.hop_length_bounds = hop_length_bounds
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.feature_kind = feature_kind
        self.layout = layout
        self.n_bands = n_bands
        self.n_segments = n_segments
        self.stats = stats

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # -- parameters ---------------------------------------------------------
    _other_lengths = " (adapt(x) takes one signal of any length)"
    _choices = dict(window_mode=window_modes("time", "frequency", "time-frequency"),
                    hop_mode=hop_modes("fixed", "time", "overlap"), criterion=CRITERIA,
                    scope=SCOPES, optimizer=("auto",) + METHODS,
                    reg=("auto",))

    def _check_settings(self, settings):
        if settings.hop_mode == "overlap" and settings.window_mode != "time":
            raise ValueError(
                "hop_mode='overlap' makes the hop follow one window length per frame "
                f"and needs window_mode='time', got window_mode={settings.window_mode!r}")
        # "auto": Adam with projection, which makes faster progress than L-BFGS-B on
        # the thousands of lengths of the time-frequency mode (the constant fit
        # always uses L-BFGS-B)
        optimizer = "adam" if settings.optimizer == "auto" else settings.optimizer
        return settings.replace(optimizer=optimizer)

    def _log(self, verbose, message):
        if verbose:
            print(f"[{type(self).__name__}] {message}", flush=True)

    # -- fit ------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit the shared starting point: the optimal constant window of ``X``.

        Minimizes the criterion (mean over the signals, same normalization,
        power and scope as the adaptation) with respect to one window length
        on the frame grid of ``hop_length`` (paper Sec. VI-A, first step).

        Parameters
        ----------
        X : array-like of shape (n_signals, n_samples)
            Equal-length real signals (a DataFrame works too).
        y : None
            Ignored.

        Returns
        -------
        self : AdaptiveSpectrogram
        """
        X = np.asarray(self._check_X(X, reset=True), dtype=np.float64)
        settings = self._settings()
        start = time.perf_counter()
        objective = _objective(settings, X, "constant")
        rng = check_random_state(self.random_state)
        inits = restart_inits(settings.win_length, settings.win_length_bounds,
                              settings.n_restarts, rng)
        thetas = [objective.pack(w)[0] for w in inits]
        bounds = objective.pack(settings.win_length)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            best, results = run_restarts(objective, thetas, bounds, n_jobs=settings.n_jobs,
                                         method="lbfgs", max_iter=settings.max_iter,
                                         tol=settings.tol)
        rows = [dict(init=float(w0), win_length=float(r.x[0]), loss=float(r.loss),
                     n_iter=int(r.n_iter), converged=bool(r.converged),
                     seconds=float(r.seconds), message=r.message, best=i == best)
                for i, (w0, r) in enumerate(zip(inits, results))]
        winner = results[best]
        if not winner.converged:
            warn_not_converged(self, settings.max_iter, settings.tol, what="the constant fit")
        self.win_length_ = float(winner.x[0])
        self.at_bound_share_ = warn_at_bounds(self.win_length_, settings.win_length_bounds, self,
                                              n_fft=settings.n_fft,
                                              what="the fitted constant window length")
        self.hop_length_ = settings.hop_length
        lam, _, positions = objective.unpack(np.asarray(winner.x, dtype=float))
        self.positions_ = np.asarray(positions, dtype=float)
        self.loss_ = float(winner.loss)
        self.loss_curve_ = [float(v) for v in winner.loss_curve]
        self.n_iter_ = max(1, int(winner.n_iter))
        self._set_restarts(rows, _RESTART_COLUMNS)
        self._set_feature_grid(settings, objective.n_frames)
        self._log(settings.verbose, f"constant fit on {X.shape[0]} signal(s): win_length_ = "
                           f"{self.win_length_:.2f} samples, loss {self.loss_:.6g}, "
                           f"{time.perf_counter() - start:.2f} s")
        return self

    def _adaptation_settings(self):
        """The settings of an adaptation: it starts from the fitted constant window."""
        return self._settings().replace(win_length=self.win_length_, hop_length=self.hop_length_)

    # -- adapt / transform ------------------------------------------------------
    def adapt(self, x):
        """Adapt the window (and frames) to one signal.

        Starts from the fitted constant window ``win_length_`` on the frame
        grid of ``hop_length_`` and minimizes ``criterion + reg * R
        (+ coverage * C)`` over the window lengths of the mode (and the hops
        with ``hop_mode="time"``).

        Parameters
        ----------
        x : array-like of shape (n_samples,)
            One real signal, of any length ``>= 1``.

        Returns
        -------
        result : AdaptationResult
            ``spectrogram`` (complex ``(F, T)``), ``win_lengths`` (``(F, T)``,
            samples), ``positions`` (``(T,)``, samples), ``loss_curve``,
            ``loss``, ``criterion`` (without penalties), ``n_iter``, ...
        """
        self._check_fitted()
        x = np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"adapt takes one signal of shape (n_samples,), got shape "
                             f"{x.shape}; use transform for a batch")
        x = np.asarray(_check_row(x), dtype=np.float64)
        settings = self._adaptation_settings()
        result = _adapt(x, settings)
        if not result.converged:
            warn_not_converged(f"{type(self).__name__}.adapt", settings.max_iter, settings.tol,
                               what="the adaptation")
        warn_at_bounds(result.win_lengths, settings.win_length_bounds, f"{type(self).__name__}.adapt",
                       n_fft=settings.n_fft, what="the adapted window lengths")
        # (samples in no window: result.inverse() cannot recover them either)
        warn_uncovered(result.positions, result.frame_win_lengths, result.n_samples,
                       f"{type(self).__name__}.adapt", what="adapted window")
        self._log(self.verbose, f"adapted in {result.n_iter} iterations, "
                                f"{result.seconds:.2f} s: criterion "
                                f"{result.initial_criterion:.6g} -> {result.criterion:.6g}")
        return result

    def transform(self, X):
        """Adapt to every signal separately and return spectrogram features.

        Signals run in parallel with joblib (``n_jobs``); each worker keeps
        only its feature vector, so memory does not grow with the number of
        signals beyond the output.

        Parameters
        ----------
        X : array-like of shape (n_signals, n_samples)
            Same length as at fit.

        Returns
        -------
        features : ndarray of shape (n_signals, n_features)
            Columns named by :meth:`get_feature_names_out`.
        """
        self._check_fitted()
        X = np.asarray(self._check_X(X, reset=False), dtype=np.float64)
        settings = self._adaptation_settings()
        feature_kw = dict(kind=self.feature_kind, layout=self.layout, n_bands=self.n_bands_,
                          n_segments=self.n_segments_, stats=self.stats)
        n_chunks = min(len(X), 4 * effective_n_jobs(self.n_jobs))
        chunks = [X[idx] for idx in np.array_split(np.arange(len(X)), n_chunks)]
        out = Parallel(n_jobs=self.n_jobs, verbose=max(0, self.verbose - 1))(
            delayed(_adapt_features)(chunk, settings, feature_kw) for chunk in chunks)
        n_late = sum(late for _, late, _ in out)
        if n_late:
            warn_not_converged(f"{type(self).__name__}.transform", settings.max_iter,
                               settings.tol, what=f"{n_late} of {len(X)} adaptations")
        shares = np.array([v for _, _, chunk in out for v in chunk]).reshape(-1, 3)
        n_bound = int(np.sum(shares[:, 0] > BOUND_MAX_SHARE))
        if n_bound:  # one warning, for the signal with the most lengths at a bound
            warn_at_bounds(None, settings.win_length_bounds,
                           f"{type(self).__name__}.transform ({n_bound} of {len(X)} signals)",
                           n_fft=settings.n_fft, shares=tuple(shares[np.argmax(shares[:, 0])]),
                           what="the adapted window lengths of the worst signal")
        feats = [f for chunk_feats, _, _ in out for f in chunk_feats]
        return np.stack(feats).reshape(len(X), -1)


def _check_row(x):
    from .._validation import check_signal

    return check_signal(x, "x", ndims=(1,))
