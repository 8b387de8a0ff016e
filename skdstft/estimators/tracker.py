"""FrequencyTracker: a window length learned for frequency tracking (paper Sec. VII-A).

The task loss is the mean squared error between the true frequency per frame
and a differentiable estimate: the centroid of ``|S|**power`` within a band,
divided by the harmonic index (paper Eq. 33-34, ``losses.frequency_estimate``).
Its gradient with respect to the window length flows through the DSTFT's
analytical vector-Jacobian products.
"""

import time
import warnings

import autograd.numpy as anp
import numpy as np
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from .. import losses
from .._validation import check_band_bins, check_signal_matrix, check_target_frequencies
from ..autodiff import dstft
from ..optimize import minimize, restart_inits, run_restarts
from ..positions import frame_positions, n_frames_for_hop
from ._base import DSTFTBase, warn_at_bounds, warn_not_converged, window_modes
from ._heads import ridge_path

__all__ = ["FrequencyTracker"]


class _TrackingLoss:
    """Picklable task loss ``theta -> objective`` (module level: joblib workers
    import it; the DSTFT primitive is never stored on an estimator)."""

    def __init__(self, X, Y, positions, settings, reg=0.0, ref=1.0, scale=1.0):
        self.X, self.Y, self.positions, self.settings = X, Y, positions, settings
        self.reg, self.ref, self.scale = reg, ref, scale

    def estimate(self, lam):
        s = self.settings
        S = dstft(self.X, lam, self.positions, n_fft=s.n_fft, window=s.window,
                  normalization=s.normalization)
        return losses.frequency_estimate(S, fs=s.fs, band=s.band, harmonic=s.harmonic,
                                         power=s.power)

    def mse(self, lam):
        return anp.mean((self.estimate(lam) - self.Y) ** 2)

    def __call__(self, theta):
        # the MSE relative to a reference (the MSE at the start): O(1) values
        # suit L-BFGS-B's tolerance, which is relative to max(|loss|, 1)
        if anp.ndim(theta) == 0:
            return self.mse(theta) / self.ref
        lam = anp.reshape(theta, (1, -1))
        value = self.mse(lam) / self.ref
        if self.reg > 0:
            value = value + self.reg * losses.smoothness(lam, scale=self.scale)
        return value


class FrequencyTracker(RegressorMixin, DSTFTBase):
    """Frequency tracker whose STFT window length is learned for the task.

    ``fit(X, Y)`` learns the window length (one constant length, or one length
    per frame) that minimizes the mean squared error between the true
    frequency ``Y`` and the band-limited spectral centroid of the DSTFT
    (paper Eq. 33-34), with analytical gradients (L-BFGS-B in the unit box,
    ``n_restarts`` initial values run in parallel with joblib).
    ``predict(X)`` tracks the frequency with the learned window, either with
    the same centroid or, with ``method="ridge"``, by dynamic-programming
    ridge extraction.

    Parameters
    ----------
    n_fft : int, default=512
        DFT size ``K`` (even); bins ``k fs / K`` Hz.
    hop_length : float, optional
        Hop between frame centres (samples); frames at ``t_n = n * hop``,
        ``T = 1 + floor(N / hop)`` (:func:`skdstft.frame_positions`), which
        is the grid of :func:`skdstft.signals.variable_period_sines` and
        :func:`skdstft.signals.multi_harmonic`. ``None``: inferred from the
        number of columns ``T`` of ``Y`` at fit, ``t_n = n N / (T - 1)`` (the
        same grid whenever the hop divides ``N``), or ``n_fft // 4`` for a
        1-D ``y``.
    win_length : float, optional
        Initial window length (samples), within ``win_length_bounds``.
        Default ``n_fft / 2`` (clipped into the bounds).
    window_mode : {"constant", "time"}, default="constant"
        ``"time"``: one length per frame, shared by all signals (the frame
        index is a time in the signal), initialized from the optimal constant
        length (the paper's recipe); ``Y`` must then come with signals of the
        length seen at fit.
    fs : float, default=1.0
        Sampling rate (Hz). ``Y`` and the predictions are in Hz.
    band : (f_min, f_max), optional
        Frequency band (Hz) of the tracked component; default: all bins.
    harmonic : int, default=1
        Index ``h`` of the harmonic inside ``band``; the estimate is divided
        by ``h`` so that ``Y`` is the fundamental frequency.
    method : {"centroid", "ridge"}, default="centroid"
        Estimator used by ``predict``. Fitting always minimizes the centroid
        loss (the differentiable one); ``"ridge"`` then tracks the maximum
        energy path in ``band`` (Viterbi, penalty ``ridge_penalty`` on squared
        jumps), refined to a fraction of a bin by parabolic interpolation.
    power : float, default=2
        Exponent of ``|S|`` in the centroid (2: power spectrogram), in
        ``(0, 100]`` (above, ``|S|**power`` underflows but at the peaks).
    reg : float, default=0.0
        Weight of the smoothness penalty (paper Eq. 28) on the per-frame
        lengths in ``"time"`` mode; the MSE is divided by the constant
        window's MSE there, so ``reg`` is unit-free.
    ridge_penalty : float, default=1e-3
        Cost of a squared jump of one bin between consecutive frames, in units
        of log-power (natural log). Keep it small for fast frequency changes:
        a jump of ``j`` bins costs ``ridge_penalty * j**2``.
    n_restarts : int, default=1
        Initial values: ``win_length``, then log-uniform draws in the bounds.
    n_jobs : int, optional
        Parallel restarts (joblib); ``None`` means 1.
    random_state : int, RandomState instance or None
        Draws of the restarts.
    max_iter : int, default=100
        L-BFGS-B iterations per run (and per stage in ``"time"`` mode).
    tol : float, default=1e-6
        Relative tolerance on the loss.
    verbose : int, default=0
    win_length_bounds : (lo, hi), optional
        Default ``(min(8, (n_fft - 2) / 2), n_fft - 2)``.
    normalization : {"l1", "l2", None}, default="l1"
    window : str, default="hann"

    Attributes
    ----------
    win_length_ : float or ndarray (T,)
        Learned window length(s), samples.
    hop_length_ : float
        Hop used (samples).
    positions_ : ndarray (T,)
        Frame centres (samples).
    n_frames_ : int
    loss_ : float
        Training MSE (Hz**2) at ``win_length_`` (centroid estimate).
    loss_curve_ : list of float
        Objective per iteration of the best run (last stage): the MSE
        divided by the MSE at the initial window (plus the smoothness term).
    n_iter_ : int
    restarts_ : pandas.DataFrame
        One row per restart of the constant stage: ``init``, ``win_length``,
        ``loss``, ``n_iter``, ``converged``, ``seconds``.
    n_features_in_ : int
        Samples per signal seen at fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skdstft import FrequencyTracker
    >>> from skdstft.signals import variable_period_sines
    >>> X, Y = variable_period_sines(n_signals=8, n_samples=2048, n_fft=256,
    ...                              hop_length=64, random_state=0)
    >>> tracker = FrequencyTracker(n_fft=256, hop_length=64).fit(X, Y)
    >>> tracker.predict(X).shape
    (8, 33)
    >>> bool(8 <= tracker.win_length_ <= 254), bool(tracker.score(X, Y) > 0.5)
    (True, True)
    """

    def __init__(self, n_fft=512, hop_length=None, win_length=None, window_mode="constant",
                 fs=1.0, band=None, harmonic=1, method="centroid", power=2, reg=0.0,
                 ridge_penalty=1e-3, n_restarts=1, n_jobs=None, random_state=None,
                 max_iter=100, tol=1e-6, verbose=0, win_length_bounds=None,
                 normalization="l1", window="hann"):
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window_mode = window_mode
        self.fs = fs
        self.band = band
        self.harmonic = harmonic
        self.method = method
        self.power = power
        self.reg = reg
        self.ridge_penalty = ridge_penalty
        self.n_restarts = n_restarts
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.win_length_bounds = win_length_bounds
        self.normalization = normalization
        self.window = window

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = True  # a tracker, not a general regressor
        return tags

    # -- parameters ---------------------------------------------------------
    _choices = dict(window_mode=window_modes("constant", "time"), method=("centroid", "ridge"))

    def _grid(self, n_samples, Y, settings):
        """(positions, hop) from hop_length and the shape of Y."""
        if Y.ndim == 1:
            return frame_positions(n_samples, settings.hop_length), settings.hop_length
        n_frames = Y.shape[1]
        if self.hop_length is None:
            hop = n_samples / (n_frames - 1) if n_frames > 1 else float(n_samples)
            return frame_positions(n_samples, hop, n_frames=n_frames), hop
        hop = settings.hop_length
        expected = n_frames_for_hop(n_samples, hop)
        if expected != n_frames:
            raise ValueError(
                f"Y has {n_frames} columns but hop_length={self.hop_length} gives "
                f"1 + floor({n_samples} / {hop:g}) = {expected} frames per signal; "
                "pass Y with one true frequency per frame, or hop_length=None to "
                "infer the frame grid from Y")
        return frame_positions(n_samples, hop), hop

    # -- fit ----------------------------------------------------------------
    def fit(self, X, Y):
        """Learn the window length(s) that minimize the tracking MSE.

        Parameters
        ----------
        X : array-like (n_signals, n_samples)
            Real signals.
        Y : array-like (n_signals, T) or (n_signals,)
            True frequency (Hz) at each frame centre; a 1-D ``y`` is one
            (stationary) frequency per signal, compared with every frame.

        Returns
        -------
        self
        """
        settings = self._settings()
        check_signal_matrix(X, "X")
        X, Y = validate_data(self, X, Y, multi_output=True, y_numeric=True,
                             dtype=np.float64, ensure_all_finite=True)
        Y = np.asarray(Y, dtype=np.float64)
        check_target_frequencies(Y, settings.fs, settings.harmonic, settings.band)
        self._warn_short_signals(X)
        n_samples = X.shape[1]
        positions, hop = self._grid(n_samples, Y, settings)
        self._y_1d = Y.ndim == 1
        target = Y[:, None] if self._y_1d else Y
        bounds = settings.win_length_bounds
        opts = dict(method="lbfgs", max_iter=settings.max_iter, tol=settings.tol)
        loss = _TrackingLoss(X, target, positions, settings)
        # an empty band fails here, with its message, rather than inside every restart
        loss.ref = max(float(loss.mse(settings.win_length)), 1e-300)

        inits = restart_inits(settings.win_length, bounds, settings.n_restarts, self.random_state)
        with warnings.catch_warnings():
            # the optimizer's own warning does not name the estimator: the kept
            # run's is given below (warn_not_converged)
            warnings.simplefilter("ignore", ConvergenceWarning)
            best, results = run_restarts(loss, inits, bounds, n_jobs=settings.n_jobs,
                                         verbose=max(settings.verbose - 1, 0), **opts)
        self._set_restarts({
            "init": [float(v) for v in inits],
            "win_length": [float(r.x) for r in results],
            "loss": [r.loss * loss.ref for r in results],
            "n_iter": [r.n_iter for r in results],
            "converged": [r.converged for r in results],
            "seconds": [r.seconds for r in results],
        })
        res = results[best]
        lam = float(res.x)
        if settings.verbose:
            print(f"[FrequencyTracker] constant window {lam:.2f} samples, "
                  f"MSE {res.loss * loss.ref:.6g}")
        if settings.window_mode == "time":
            n_frames = len(positions)
            ref = max(float(res.loss) * loss.ref, 1e-300)
            tloss = _TrackingLoss(X, target, positions, settings, reg=settings.reg, ref=ref,
                                  scale=lam)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                res = minimize(tloss, np.full((n_frames,), lam), bounds, verbose=settings.verbose,
                               **opts)
            if settings.verbose:
                print(f"[FrequencyTracker] time-varying window in "
                      f"{time.perf_counter() - t0:.1f} s, objective {res.loss:.6g}")
            self.win_length_ = np.asarray(res.x, dtype=float).reshape(-1)
            self.loss_ = float(loss.mse(self.win_length_[None, :]))
        else:
            self.win_length_ = lam
            self.loss_ = float(res.loss) * loss.ref
        if not res.converged:
            warn_not_converged(self, settings.max_iter, settings.tol,
                               what="the time-varying fit" if settings.window_mode == "time"
                               else "the best run")
        self.loss_curve_ = [float(v) for v in res.loss_curve]
        self.n_iter_ = int(res.n_iter)
        self._fit_n_fft = settings.n_fft  # _check_fitted: a later set_params(n_fft=...)
        self.at_bound_share_ = warn_at_bounds(self.win_length_, bounds, self, n_fft=settings.n_fft)
        self.hop_length_ = float(hop)
        self.positions_ = np.asarray(positions, dtype=float)
        self.n_frames_ = len(self.positions_)
        return self

    # -- predict ------------------------------------------------------------
    def _lam(self):
        lam = self.win_length_
        return lam if np.ndim(lam) == 0 else np.asarray(lam)[None, :]

    def spectrogram(self, X):
        """Complex DSTFT ``(n_signals, F, T)`` of ``X`` with the learned window."""
        self._check_fitted()
        check_signal_matrix(X, "X")
        self._check_signal_length(X, " (its frame grid positions_ is fixed at fit)")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=True)
        return dstft(X, self._lam(), self.positions_, n_fft=self.n_fft, window=self.window,
                     normalization=self.normalization)

    def predict(self, X):
        """Tracked frequency (Hz).

        Parameters
        ----------
        X : array-like (n_signals, n_samples)
            ``n_samples`` as at fit.

        Returns
        -------
        Y_pred : ndarray (n_signals, T), Hz
            Or ``(n_signals,)`` (the mean over frames) when fitted on a 1-D ``y``.
        """
        S = self.spectrogram(X)
        settings = self._settings()
        if settings.method == "ridge":
            F = self._ridge(S, settings)
        else:
            F = losses.frequency_estimate(S, fs=settings.fs, band=settings.band,
                                          harmonic=settings.harmonic, power=settings.power)
        F = np.asarray(F, dtype=np.float64)
        return F.mean(axis=1) if self._y_1d else F

    def score(self, X, y, sample_weight=None):
        """R² of ``predict(X)`` against ``y`` (:func:`sklearn.metrics.r2_score`,
        uniform average over the frames of a 2-D ``y``).

        A constant target (a column of ``y`` with every value equal) follows
        ``r2_score``'s convention: 1.0 for a perfect prediction, else 0.0.
        ``r2_score`` alone meets it only when the values' mean is exact: for
        six signals at 0.1 Hz the squared deviations from the rounded mean sum
        to about 1e-33 and R² comes out near -5e29.

        Parameters
        ----------
        X : array-like (n_signals, n_samples)
        y : array-like (n_signals, T) or (n_signals,)
            True frequencies (Hz), as in :meth:`fit`.
        sample_weight : array-like (n_signals,), optional

        Returns
        -------
        score : float
        """
        from sklearn.metrics import r2_score

        y_pred = self.predict(X)
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        # R² is unchanged when y and y_pred move together, and a constant
        # column minus its own first value is exactly 0, with an exact mean
        ref = y[:1] if y.shape == y_pred.shape else 0.0
        return float(r2_score(y - ref, y_pred - ref, sample_weight=sample_weight))

    def _ridge(self, S, settings):
        n_freqs = S.shape[1]
        df = settings.fs / settings.n_fft
        freqs = df * np.arange(n_freqs)
        band = settings.band
        if band is None:
            idx = np.arange(n_freqs)
        else:
            idx = np.flatnonzero(check_band_bins(band, freqs))
        P = np.abs(S[:, idx, :]) ** 2
        out = np.empty((S.shape[0], S.shape[2]))
        for i in range(S.shape[0]):
            scale = P[i].max()
            Pi = P[i] / scale if scale > 0 else P[i]
            path = ridge_path(Pi, settings.ridge_penalty)
            logp = np.log(Pi + 1e-12)
            k = path.astype(float)
            inner = (path > 0) & (path < idx.size - 1)
            cols = np.flatnonzero(inner)
            if cols.size:
                a = logp[path[cols] - 1, cols]
                b = logp[path[cols], cols]
                c = logp[path[cols] + 1, cols]
                den = a - 2 * b + c
                delta = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
                k[cols] += np.clip(delta, -0.5, 0.5)
            out[i] = (idx[0] + k) * df / settings.harmonic
        return out

    def criterion_curve(self, X, Y, win_lengths):
        """Tracking MSE (Hz**2, centroid estimate) of constant window lengths.

        The criterion the fit minimizes, evaluated for each constant window
        length without optimization: for plots of the task loss against the
        window length (paper Fig. 7). The name follows
        :meth:`DSTFTTransformer.criterion_curve`; ``loss_curve_`` is the
        fitted attribute (the loss along the iterations).

        Parameters
        ----------
        X : array-like (n_signals, n_samples)
        Y : array-like (n_signals, T) or (n_signals,)
        win_lengths : array-like (n_lengths,)

        Returns
        -------
        mse : ndarray (n_lengths,)
        """
        self._check_fitted()
        settings = self._settings()
        self._check_signal_length(X, " (its frame grid positions_ is fixed at fit)")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=True)
        Y = np.asarray(Y, dtype=float)
        target = Y[:, None] if Y.ndim == 1 else Y
        loss = _TrackingLoss(X, target, self.positions_, settings)
        return np.array([float(loss.mse(float(w))) for w in np.ravel(win_lengths)])

    def loss_curve(self, X, Y, win_lengths):
        """Deprecated alias of :meth:`criterion_curve` (removed in a later release)."""
        warnings.warn("FrequencyTracker.loss_curve(X, Y, win_lengths) is renamed "
                      "criterion_curve(X, Y, win_lengths) (loss_curve_ is the fitted loss along "
                      "the iterations); the old name will be removed", FutureWarning, stacklevel=2)
        return self.criterion_curve(X, Y, win_lengths)
