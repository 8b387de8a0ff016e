"""What every skdstft estimator shares: input checks, bounds, criteria, features.

The estimators themselves stay thin (scikit-learn's model): ``__init__``
stores parameters untouched, ``fit`` validates them here, calls the
optimizer and stores ``attr_`` results.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .._validation import (
    check_choice,
    check_int,
    check_n_fft,
    check_normalization,
    check_signal_matrix,
    check_win_length_bounds,
)
from ..exceptions import BoundWarning
from ..features import KINDS, LAYOUTS, _check_layout, extract_features, feature_names, n_features
from ..losses import CRITERIA
from ..windows import get_window

__all__ = ["DSTFTBase", "at_bound_share", "warn_at_bounds"]

# --------------------------------------------------------------------------- #
# learned windows at a bound of their range
# --------------------------------------------------------------------------- #
BOUND_RTOL = 0.01
"""A window length within this fraction of ``hi - lo`` of a bound is "at" it."""

BOUND_MAX_SHARE = 0.05
"""A varying window warns when more than this share of its lengths is at a bound."""


def at_bound_share(win_lengths, bounds, rtol=BOUND_RTOL):
    """Share of window lengths within ``rtol * (hi - lo)`` of a bound.

    Parameters
    ----------
    win_lengths : float or ndarray
        Window lengths in samples, of any shape (a scalar for a constant window).
    bounds : (float, float)
        ``(lo, hi)`` in samples.

    Returns
    -------
    (share, share_lo, share_hi) : three floats in [0, 1]
        At either bound, at the lower one, at the upper one.

    Examples
    --------
    >>> at_bound_share([8.0, 100.0, 509.0, 510.0], (8.0, 510.0))
    (0.75, 0.25, 0.5)
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    lam = np.asarray(win_lengths, dtype=float)
    tol = rtol * (hi - lo)
    at_lo, at_hi = lam - lo <= tol, hi - lam <= tol
    return (float(np.mean(at_lo | at_hi)), float(np.mean(at_lo)), float(np.mean(at_hi)))


def warn_at_bounds(win_lengths, bounds, owner, *, n_fft=None, warn=True, what=None,
                   shares=None):
    """Warn (:class:`~skdstft.exceptions.BoundWarning`) when learned window
    lengths end at a bound, and return the share at a bound.

    The one place where every estimator decides that a learned window is
    "at a bound": a constant window (a scalar) within 1 % of ``hi - lo`` of
    ``lo`` or ``hi``, or a varying one with more than 5 % of its lengths
    there (``BOUND_RTOL``, ``BOUND_MAX_SHARE``). An optimum at a bound
    usually means that the range is too tight for the signal, so the message
    names the bound and the parameter to widen.

    Parameters
    ----------
    win_lengths : float or ndarray
        The learned length(s), samples.
    bounds : (float, float)
        The range they were learned in, samples.
    owner : object or str
        The estimator (or its name), named in the message.
    n_fft : int, optional
        When given and the upper bound is ``n_fft - 2`` (the default), the
        message suggests raising ``n_fft``.
    warn : bool, default=True
        False: only compute the share (e.g. nothing was learned).
    what : str, optional
        What was learned, for the message (default "the learned window length(s)").
    shares : (float, float, float), optional
        :func:`at_bound_share` of varying lengths computed elsewhere (e.g. in
        the workers of a transform); ``win_lengths`` is then ignored.

    Returns
    -------
    share : float
        Share of the lengths at a bound (0 or 1 for a constant window).
    """
    if shares is None:
        share, share_lo, share_hi = at_bound_share(win_lengths, bounds)
        constant = np.ndim(win_lengths) == 0 or np.size(win_lengths) == 1
    else:
        (share, share_lo, share_hi), constant = map(float, shares), False
    if not warn or (share == 0 if constant else share <= BOUND_MAX_SHARE):
        return share
    name = owner if isinstance(owner, str) else type(owner).__name__
    lo, hi = float(bounds[0]), float(bounds[1])
    what = what or ("the learned window length" if constant else "the learned window lengths")
    if constant:
        value = float(np.ravel(win_lengths)[0])
        head = f"{name}: {what} {value:.4g} ended within 1 % of its "
    else:
        head = f"{name}: {100 * share:.0f} % of {what} ended within 1 % of a bound, the "
    parts = []
    pct = (lambda v: "") if constant else (lambda v: f" ({100 * v:.0f} %)")
    if (share_hi >= share_lo) if constant else share_hi > 0:
        if n_fft is not None and hi >= n_fft - 2:
            widen = (f"raise n_fft (now {n_fft}; the upper bound is n_fft - 2) to allow "
                     "longer windows")
        else:
            widen = "raise win_length_bounds[1] (or n_fft, which caps it at n_fft - 2)"
        parts.append(f"upper bound {hi:g} samples{pct(share_hi)}: {widen}")
    if (share_lo > share_hi) if constant else share_lo > 0:
        parts.append(f"lower bound {lo:g} samples{pct(share_lo)}: lower win_length_bounds[0] "
                     "to allow shorter windows")
    warnings.warn(BoundWarning(
        head + "; ".join(parts) + ". An optimum at a bound usually means that the range "
        "is too tight for the signal."), stacklevel=3)
    return share


class DSTFTBase(BaseEstimator):
    """Base class of the four estimators (a ``BaseEstimator``): the input
    checks, bounds and feature plumbing they share; each subclass defines its
    parameters in ``__init__`` (scikit-learn style).

    Expected parameters on the subclass: ``n_fft``, ``window``,
    ``normalization``, ``win_length_bounds``, ``feature_kind``, ``layout``,
    ``n_bands``, ``n_segments``, ``stats`` (the last five only if the
    estimator makes features).
    """

    # -- inputs -----------------------------------------------------------
    def _check_X(self, X, *, reset):
        """2-D float array (n_signals, n_samples); DataFrames work too.

        Values are taken at face value: integer samples are not rescaled
        (``skdstft.datasets.pcm_to_float`` decodes wav PCM as the CLI does)."""
        check_signal_matrix(X, "X")  # clear messages for ragged, 1-D/3-D, str, bool, complex
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                          ensure_all_finite=True, ensure_min_features=1)
        if reset:
            self._warn_short_signals(X)
        return X

    def _warn_short_signals(self, X):
        """Warn at fit when the signals are much shorter than a frame.

        Valid input (zero padding makes any length >= 1 analysable), but
        signals shorter than a quarter of ``n_fft`` are rarely meant: the
        usual cause is one signal passed as a column, ``x[:, None]`` (or a
        one-column DataFrame), read as ``N`` signals of one sample each."""
        n_signals, n_samples = np.shape(X)
        n_fft = getattr(self, "n_fft", None)
        if not isinstance(n_fft, (int, np.integer)) or n_samples >= n_fft / 4:
            return
        hint = (f" It looks like one signal passed as a column: pass it as a row, "
                f"x[None, :] (shape (1, {n_signals}))." if n_samples == 1 and n_signals > 1
                else " If X holds signals as columns, pass X.T.")
        warnings.warn(
            f"{type(self).__name__}: X has {n_signals} signal(s) of {n_samples} sample(s), "
            f"less than a quarter of n_fft={n_fft}; X must be (n_signals, n_samples), one "
            f"signal per row.{hint}", UserWarning, stacklevel=4)

    def _check_common(self):
        """Validate the shared parameters; return (n_fft, (lo, hi))."""
        n_fft = check_n_fft(self.n_fft)
        get_window(self.window)
        check_normalization(self.normalization)
        return n_fft, self._bounds(n_fft)

    def _bounds(self, n_fft):
        return check_win_length_bounds(getattr(self, "win_length_bounds", None), n_fft)

    def _check_criterion(self, choices=CRITERIA):
        crit = self.criterion
        if callable(crit):
            return crit
        return check_choice(crit, "criterion", choices)

    # -- features ---------------------------------------------------------
    def _check_features(self):
        check_choice(self.feature_kind, "feature_kind", KINDS)
        check_choice(self.layout, "layout", LAYOUTS)
        check_int(self.n_bands, "n_bands", min_value=1)
        check_int(self.n_segments, "n_segments", min_value=1)

    # -- restarts table -----------------------------------------------------
    @property
    def restarts_(self):
        """One row per restart (a pandas DataFrame), built on first access:
        on small problems building it costs as much as the optimization."""
        state = self.__dict__
        if "_restarts_table" not in state:
            if "_restarts_data" not in state:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute "
                                     "'restarts_' (not fitted yet)")
            data, columns = state["_restarts_data"]
            state["_restarts_table"] = pd.DataFrame(data, columns=columns)
        return state["_restarts_table"]

    @restarts_.setter
    def restarts_(self, table):
        self.__dict__.pop("_restarts_data", None)
        self.__dict__["_restarts_table"] = table

    def _set_restarts(self, data, columns=None):
        """Store the restarts table's data (rows or columns, as
        ``pandas.DataFrame`` takes them); :attr:`restarts_` builds it."""
        self.__dict__.pop("_restarts_table", None)
        self._restarts_data = (data, columns)

    def _set_feature_grid(self, n_freqs, n_frames):
        """Fix the pooling grid at fit: never more bands/segments than bins/frames
        (signals shorter than a hop have a single frame)."""
        self._check_features()
        self.n_bands_ = min(int(self.n_bands), n_freqs)
        self.n_segments_ = min(int(self.n_segments), n_frames)
        self.n_frames_ = n_frames
        _check_layout(self.layout, self.n_bands_, self.n_segments_, self.stats)
        # names are built on request: a flat layout has F * T of them
        self._feature_grid = n_freqs

    def _features(self, S):
        """(B, F, T) spectrograms -> (B, n_features) with the fitted grid."""
        n_frames = np.shape(S)[-1]
        if self.layout != "stats" and n_frames != self.n_frames_:
            raise ValueError(
                f"X gives {n_frames} frames per signal but the estimator was fitted on "
                f"signals giving {self.n_frames_}; layout={self.layout!r} needs the same "
                "signal length at fit and transform (layout='stats' does not)"
            )
        return extract_features(S, kind=self.feature_kind, layout=self.layout,
                                n_bands=self.n_bands_, n_segments=self.n_segments_,
                                stats=self.stats)

    def _n_features_out(self):
        return n_features(self._feature_grid, self.n_frames_, layout=self.layout,
                          n_bands=self.n_bands_, n_segments=self.n_segments_, stats=self.stats)

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of ``transform``'s output.

        ``input_features``, when given, must match the fitted input
        (``feature_names_in_`` or ``n_features_in_``), as in scikit-learn.
        """
        check_is_fitted(self, "n_bands_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return feature_names(self._feature_grid, self.n_frames_, layout=self.layout,
                             n_bands=self.n_bands_, n_segments=self.n_segments_,
                             stats=self.stats)
