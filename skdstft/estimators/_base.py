"""What every skdstft estimator shares: input checks, bounds, criteria, features.

The estimators themselves stay thin (scikit-learn's model): ``__init__``
stores parameters untouched, ``fit`` validates them here, calls the
optimizer and stores ``attr_`` results.
"""

import autograd.numpy as anp
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .. import losses
from .._validation import (
    check_choice,
    check_int,
    check_n_fft,
    check_normalization,
    check_real,
    check_signal_matrix,
)
from ..features import KINDS, LAYOUTS, _check_layout, extract_features, feature_names, n_features
from ..windows import get_window

__all__ = ["DSTFTBase", "criterion_loss", "CRITERIA"]

CRITERIA = ("entropy", "renyi", "kurtosis")


def criterion_loss(S, criterion, *, power=1, scope="global", alpha=3):
    """Scalar representation loss of a spectrogram (lower is better).

    ``"entropy"``: Shannon entropy; ``"renyi"``: Rényi entropy of order
    ``alpha``; ``"kurtosis"``: minus the mean frame kurtosis; a callable is
    called as ``criterion(S)``. For a batch ``(B, F, T)`` the mean over
    signals.
    """
    if callable(criterion):
        value = criterion(S)
    elif criterion == "entropy":
        value = losses.shannon_entropy(S, power=power, scope=scope)
    elif criterion == "renyi":
        value = losses.renyi_entropy(S, alpha=alpha, power=power, scope=scope)
    elif criterion == "kurtosis":
        value = -anp.mean(losses.frame_kurtosis(S, power=power))
    else:
        raise ValueError(f"criterion must be one of {CRITERIA} or a callable, got {criterion!r}")
    # one signal: a reshape, autograd's cheapest primitive, instead of a mean
    return anp.reshape(value, ()) if anp.size(value) == 1 else anp.mean(value)


class DSTFTBase(BaseEstimator):
    """Mixin of helpers; subclasses define the parameters (scikit-learn style).

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
        return X

    def _check_common(self):
        """Validate the shared parameters; return (n_fft, (lo, hi))."""
        n_fft = check_n_fft(self.n_fft)
        get_window(self.window)
        check_normalization(self.normalization)
        return n_fft, self._bounds(n_fft)

    def _bounds(self, n_fft):
        """Window-length bounds: default ``(min(8, (n_fft-2)/2), n_fft - 2)``."""
        bounds = getattr(self, "win_length_bounds", None)
        if bounds is None:
            return (min(8.0, 0.5 * (n_fft - 2)), float(n_fft - 2))
        if np.ndim(bounds) != 1 or len(bounds) != 2:
            raise ValueError(f"win_length_bounds must be a pair (lo, hi), got {bounds!r}")
        lo = check_real(bounds[0], "win_length_bounds[0]", low=0.0, low_open=True)
        hi = check_real(bounds[1], "win_length_bounds[1]", low=lo, low_open=True,
                        high=n_fft - 2)
        return lo, hi

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
