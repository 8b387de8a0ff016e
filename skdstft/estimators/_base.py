"""What every skdstft estimator shares: the settings, bounds, criteria, features.

The estimators themselves stay thin (scikit-learn's model): ``__init__``
stores parameters untouched; ``fit`` resolves them once into a frozen
:class:`Settings` (:func:`resolve_settings`: every check and every default
that depends on another parameter, in one place), calls the optimizer and
stores ``attr_`` results.
"""

import dataclasses
import inspect
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_feature_names_in,
    _num_features,
    check_is_fitted,
    validate_data,
)

from .._validation import (
    check_band,
    check_choice,
    check_int,
    check_n_fft,
    check_normalization,
    check_real,
    check_signal_matrix,
    check_win_length_bounds,
)
from ..exceptions import BoundWarning
from ..features import KINDS, LAYOUTS, STATS, _check_layout, extract_features, feature_names, n_features
from ..objective import FIXED, HOP_MODES, WINDOW_MODES, default_hop_bounds, default_scope
from ..windows import get_window

__all__ = ["DSTFTBase", "Settings", "resolve_settings", "window_modes", "hop_modes",
           "at_bound_share", "warn_at_bounds", "coverage_count", "warn_uncovered",
           "warn_not_converged", "user_stacklevel"]

# --------------------------------------------------------------------------- #
# the modes: one definition (the objective's), a subset per estimator
# --------------------------------------------------------------------------- #
def _subset(names, known, what):
    unknown = [n for n in names if n not in known]
    if unknown:  # a programming error, caught at import
        raise AssertionError(f"unknown {what}(s) {unknown}; the modes are {known}")
    return tuple(names)


def window_modes(*names):
    """An estimator's window modes, checked against the one definition:
    :data:`skdstft.objective.WINDOW_MODES` plus ``"fixed"``."""
    return _subset(names, (FIXED,) + WINDOW_MODES, "window mode")


def hop_modes(*names):
    """An estimator's hop modes, checked against :data:`skdstft.objective.HOP_MODES`."""
    return _subset(names, HOP_MODES, "hop mode")


# --------------------------------------------------------------------------- #
# the settings: every parameter validated and resolved, once per fit
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Settings:
    """An estimator's parameters, validated, with their defaults resolved.

    Built once per ``fit`` (or ``transform``) by :func:`resolve_settings`
    from ``get_params()``. Each field has the name of the parameter it
    comes from; a parameter the estimator does not have stays ``None``.
    Frozen and picklable: joblib workers receive it as is; a variant is
    :func:`dataclasses.replace` (:meth:`replace`).

    Resolved values: ``win_length_bounds`` ``(lo, hi)`` samples (default
    ``(min(8, (n_fft - 2) / 2), n_fft - 2)``); ``win_length`` the initial
    (or, with ``window_mode="fixed"``, the used) window length in samples
    (default ``n_fft / 2`` clipped into the bounds); ``hop_length`` the
    (initial) hop in samples (default ``n_fft // 4``); ``scope="auto"``
    resolved by :func:`skdstft.objective.default_scope`;
    ``hop_length_bounds`` default :func:`skdstft.objective.default_hop_bounds`;
    ``hidden_layer_sizes`` a tuple of ints.
    """

    n_fft: int
    window: object
    normalization: object
    win_length_bounds: tuple
    win_length: float
    hop_length: float
    window_mode: str
    max_iter: int
    tol: float
    verbose: int
    n_restarts: int = 1
    n_jobs: object = None
    hop_mode: str = "fixed"
    # learning from a criterion of the picture
    criterion: object = None
    power: float = None
    scope: str = None
    alpha: float = None
    reg: object = None
    coverage: float = None
    min_overlap: float = None
    hop_length_bounds: tuple = None
    optimizer: str = None
    learning_rate: float = None
    batch_size: int = None
    # features of transform
    feature_kind: str = None
    layout: str = None
    n_bands: int = None
    n_segments: int = None
    stats: tuple = None
    # frequency tracking
    fs: float = None
    band: tuple = None
    harmonic: int = None
    method: str = None
    ridge_penalty: float = None
    # the classifier's head and training
    hidden_layer_sizes: tuple = None
    win_learning_rate: float = None
    early_stopping: bool = None
    validation_fraction: float = None
    n_iter_no_change: int = None
    solver: str = None

    def replace(self, **changes):
        """A copy with some fields changed (the settings are frozen)."""
        return dataclasses.replace(self, **changes)


def _hidden_layer_sizes(value, name):
    hidden = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) \
        else value
    if isinstance(hidden, str) or not isinstance(hidden, (list, tuple, np.ndarray)) or not all(
            isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1
            for h in hidden):
        raise ValueError(f"{name} must be a tuple of positive ints, got {value!r}")
    return tuple(int(h) for h in hidden)


def _pair(form):
    """A pair of reals ``0 < lo < hi``; ``form`` describes it in the message."""
    def check(value, name):
        if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2:
            raise ValueError(f"{name} must be a pair {form}, got {value!r}")
        lo = check_real(value[0], f"{name}[0]", low=0.0, low_open=True)
        return lo, check_real(value[1], f"{name}[1]", low=lo, low_open=True)
    return check


def _integer(low):
    return lambda value, name: check_int(value, name, min_value=low)


def _real(low, high=None, low_open=False, high_open=False):
    return lambda value, name: check_real(value, name, low=low, high=high, low_open=low_open,
                                          high_open=high_open)


POWER_MAX = 100.0
"""Largest ``power`` (the exponent ``q`` of ``|S|**q`` in the criteria and the
tracker's centroid). Above it ``(|S| / max |S|)**q`` underflows float64 for
every bin more than ~1000 times (60 dB) below the peak, so the criteria see
only the peak bins: ``power=1e9`` gave an entropy of 0 at any window (the fit
kept its start silently), ``power=1e3`` a tracker loss never finite."""


def _power(value, name):
    value = check_real(value, name, low=0.0, low_open=True)
    if value > POWER_MAX:
        raise ValueError(
            f"{name} must be <= {POWER_MAX:g} (usually 1 or 2), got {value:g}: |S|**{name} then "
            f"underflows float64 for every bin but the peaks, and the criterion is flat or not "
            f"finite")
    return value


def _bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _n_jobs(value, name):
    n_jobs = check_int(value, name)
    if n_jobs == 0:  # joblib's error, but only once a fit has several restarts
        raise ValueError(f"{name} must be a nonzero integer (-1: every core), got 0")
    return n_jobs


def _random_state(value, name):
    try:  # the fits draw through scikit-learn's check_random_state: the same rule
        check_random_state(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be None, an int in [0, 2**32 - 1] or a "
                         f"numpy.random.RandomState, got {value!r}") from None
    return value


def _stats(value, name):
    # checked whatever the layout (like n_bands and n_segments), so that a
    # typo does not wait for a grid search to switch to layout="stats"
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)) \
            or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of {STATS}, got {value!r}")
    return tuple(check_choice(v, name, STATS) for v in value)


def _window(value, name):
    get_window(value)
    return value


_RULES = {
    # one rule per parameter name, whichever estimator has it
    "window": _window,
    "normalization": lambda value, name: check_normalization(value),
    "hop_length": _real(0.0, low_open=True),
    "max_iter": _integer(1), "n_restarts": _integer(1), "n_iter_no_change": _integer(1),
    "n_bands": _integer(1), "n_segments": _integer(1), "batch_size": _integer(1),
    "verbose": _integer(0), "n_jobs": _n_jobs, "random_state": _random_state,
    "tol": _real(0.0), "coverage": _real(0.0), "ridge_penalty": _real(0.0),
    "win_learning_rate": _real(0.0),
    "power": _power, "learning_rate": _real(0.0, low_open=True),
    "fs": _real(0.0, low_open=True),
    "min_overlap": _real(0.0, 1.0, high_open=True),
    "validation_fraction": _real(0.0, 1.0, low_open=True, high_open=True),
    "feature_kind": lambda value, name: check_choice(value, name, KINDS),
    "layout": lambda value, name: check_choice(value, name, LAYOUTS),
    "stats": _stats,
    "band": lambda value, name: check_band(value),
    "hop_length_bounds": _pair("(lo, hi)"),
    "harmonic": _integer(1), "early_stopping": _bool, "hidden_layer_sizes": _hidden_layer_sizes,
}
"""The checks of the parameters whose meaning does not depend on another
(``n_fft``, the window length and its bounds, ``criterion``, ``alpha``,
``scope`` and ``reg`` are resolved in :func:`resolve_settings`)."""


def resolve_settings(estimator):
    """Validate an estimator's parameters and resolve their defaults: a :class:`Settings`.

    The one place of every parameter check: each parameter name is checked
    the same way in every estimator that has it (``_RULES``); the values an
    estimator's choice parameters accept (its window and hop modes,
    criteria, ...) are its class attribute ``_choices``; ``None`` is
    accepted where it is the parameter's default. Then the estimator's own
    rules between parameters (``_check_settings``). Bad values raise
    ``TypeError`` or ``ValueError`` naming the parameter and what was
    expected.

    Parameters
    ----------
    estimator : DSTFTBase
        Any of the four estimators (fitted or not; only its parameters are read).

    Returns
    -------
    settings : Settings
    """
    params = estimator.get_params(deep=False)
    defaults = {name: p.default for name, p in inspect.signature(type(estimator)).parameters.items()}
    choices = type(estimator)._choices
    out = {}
    for name, value in params.items():
        if value is None and defaults.get(name) is None:
            out[name] = None  # the default; resolved below where it depends on others
        elif name in choices and name != "reg" and not (name == "criterion" and callable(value)):
            out[name] = check_choice(value, name, choices[name])
        elif name in _RULES:
            out[name] = _RULES[name](value, name)
        elif name not in ("n_fft", "win_length", "win_length_bounds", "criterion", "alpha",
                          "reg"):
            raise AssertionError(f"no rule for the parameter {name!r}")  # a programming error
        else:
            out[name] = value
    out.pop("random_state")  # the fit draws from it

    n_fft = out["n_fft"] = check_n_fft(params["n_fft"])
    lo, hi = out["win_length_bounds"] = check_win_length_bounds(out["win_length_bounds"], n_fft)
    mode = out["window_mode"]
    if out["win_length"] is None:  # the start of a learning mode, or the fixed length
        out["win_length"] = float(np.clip(n_fft / 2, lo, hi))
    elif mode == FIXED:  # used as is: it must fit the frame
        out["win_length"] = check_real(out["win_length"], "win_length", low=0.0, low_open=True,
                                       high=n_fft - 2)
    else:
        out["win_length"] = check_real(out["win_length"], "win_length", low=lo, high=hi)
    if out["hop_length"] is None:
        out["hop_length"] = float(n_fft // 4)
    if "hop_length_bounds" in out and out["hop_length_bounds"] is None:
        out["hop_length_bounds"] = default_hop_bounds(n_fft)
    if out.get("scope") == "auto":
        out["scope"] = default_scope(mode)
    words = choices.get("reg", ())  # e.g. "auto", a weight resolved per signal
    if "reg" in out and not (isinstance(out["reg"], str) and out["reg"] in words):
        out["reg"] = check_real(out["reg"], "reg (a float >= 0" + "".join(
            f" or {w!r}" for w in words) + ")" if words else "reg", low=0.0)
    if "alpha" in out:
        # the Rényi order next to a criterion; the classifier's L2 penalty (>= 0) otherwise
        criterion = out.get("criterion")
        out["alpha"] = check_real(out["alpha"], "alpha", low=0.0, low_open="criterion" in out)
        if isinstance(criterion, str) and criterion == "renyi" and out["alpha"] == 1.0:
            raise ValueError("alpha must differ from 1 for criterion='renyi' "
                             "(use criterion='entropy')")
    return estimator._check_settings(Settings(**out))


# --------------------------------------------------------------------------- #
# learned windows at a bound of their range
# --------------------------------------------------------------------------- #
SCALE_RANGE = (1e-100, 1e100)
"""``max |X|`` outside this range: the spectrogram's power under- or overflows
float64 (the estimators warn at fit; the supervised task's log-power features
overflow above it, so there it is an error)."""

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
        "is too tight for the signal."), stacklevel=user_stacklevel())
    return share


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_WRAPPERS = (os.path.join("sklearn", "utils", "_set_output.py"), os.path.join("sklearn", "base.py"))
"""Frames skipped too: scikit-learn's wrappers of every ``transform`` (``set_output``)
and ``fit_transform`` (``TransformerMixin``)."""


def user_stacklevel():
    """The ``stacklevel`` that makes a ``warnings.warn`` in the calling
    function point at the first frame outside skdstft: the user's ``fit``
    line (or scikit-learn's, inside a ``Pipeline``), however deep in the
    package the warning is decided and whichever public entry led there (the
    supervised transformer reaches the classifier's training through four
    more frames than the classifier itself)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE_DIR)
                                 or frame.f_code.co_filename.endswith(_WRAPPERS)):
        frame, level = frame.f_back, level + 1
    return level


def warn_not_converged(owner, max_iter, tol, *, what="the fit", window=None):
    """:class:`~sklearn.exceptions.ConvergenceWarning`: ``max_iter`` stopped
    ``what`` while the loss was still decreasing.

    The one wording of every estimator's "raise max_iter" (the words of
    :func:`skdstft.optimize.minimize`'s own warning, with the estimator named).

    Parameters
    ----------
    owner : object or str
        The estimator (or its name), named in the message.
    max_iter : int
    tol : float
        The relative improvement that counts as decreasing.
    what : str
        What stopped ("the fit", "the training", "3 of 10 adaptations").
    window : str, optional
        Over which iterations the loss still decreased (default "the last
        iterations").
    """
    name = owner if isinstance(owner, str) else type(owner).__name__
    warnings.warn(
        f"{name}: {what} stopped at max_iter={max_iter} while the loss was still decreasing "
        f"(by more than tol={tol:g}, relative, over {window or 'the last iterations'}); "
        f"raise max_iter", ConvergenceWarning, stacklevel=user_stacklevel())


def coverage_count(positions, win_lengths, n_samples, min_overlap=0.0):
    """How many windows cover each sample: ``(n_samples,)`` int.

    Sample ``i`` counts for frame ``n`` when ``|i - t_n| < (1 - rho) lam_n / 2``
    (with ``rho = 0`` the open support of the window, where it is nonzero).

    Examples
    --------
    >>> coverage_count(np.array([0.0, 4.0]), np.array([8.0, 8.0]), 8)
    array([1, 2, 2, 2, 1, 1, 1, 1])
    """
    positions = np.asarray(positions, dtype=float)
    half = 0.5 * (1.0 - min_overlap) * np.broadcast_to(
        np.asarray(win_lengths, dtype=float), positions.shape)
    # a difference array: +1 where a frame's support starts, -1 after it ends
    start = np.clip(np.floor(positions - half) + 1, 0, n_samples).astype(int)
    stop = np.clip(np.ceil(positions + half), 0, n_samples).astype(int)
    diff = np.zeros(n_samples + 1, dtype=int)
    np.add.at(diff, start, 1)
    np.add.at(diff, stop, -1)
    return np.cumsum(diff)[:-1]


def warn_uncovered(positions, win_lengths, n_samples, owner, *, what="window"):
    """Warn when samples lie in no window (windows shorter than the hop):
    no criterion of the picture sees them, so nothing stops a fit from
    leaving them out. ``win_lengths`` one per frame (or a scalar)."""
    n_gap = int(np.sum(coverage_count(positions, win_lengths, n_samples) == 0))
    if n_gap:
        warnings.warn(
            f"{owner}: {n_gap} of {n_samples} samples lie in no {what} (windows shorter than "
            "the hop); lower hop_length or raise win_length_bounds[0] so that every sample "
            "is analysed", UserWarning, stacklevel=user_stacklevel())
    return n_gap


class DSTFTBase(BaseEstimator):
    """Base class of the four estimators (a ``BaseEstimator``): the input
    checks, settings and feature plumbing they share; each subclass defines
    its parameters in ``__init__`` (scikit-learn style), the values of its
    choice parameters in ``_choices``, and its own rules between parameters
    in ``_check_settings``.

    Expected parameters on the subclass: ``n_fft``, ``window``,
    ``normalization``, ``win_length``, ``hop_length``, ``window_mode``,
    ``max_iter``, ``tol``, ``verbose`` (:func:`resolve_settings` reads any
    other it knows), and ``feature_kind``, ``layout``, ``n_bands``,
    ``n_segments``, ``stats`` if the estimator makes features.
    """

    # -- inputs -----------------------------------------------------------
    _other_lengths = ""
    """What takes signals of another length than at fit, for the message of
    :meth:`_check_signal_length` (e.g. ``AdaptiveSpectrogram.adapt``)."""

    def _check_X(self, X, *, reset):
        """2-D float array (n_signals, n_samples); DataFrames work too.

        Values are taken at face value: integer samples are not rescaled
        (``skdstft.datasets.pcm_to_float`` decodes wav PCM as the CLI does)."""
        check_signal_matrix(X, "X")  # clear messages for ragged, 1-D/3-D, str, bool, complex
        if not reset:
            self._check_signal_length(X, self._other_lengths)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                          ensure_all_finite=True, ensure_min_features=1)
        if reset:
            self._warn_short_signals(X)
        return X

    def _check_fitted(self):
        """``check_is_fitted``, and a ValueError when ``n_fft`` was changed by
        ``set_params`` since ``fit``: the learned window lengths (at most the
        fitted ``n_fft - 2``) and the feature grid belong to the fitted DFT
        size, so another one would fail deep inside (e.g. "cannot pool 9
        values into 17 groups") or give other features silently. Parameters
        that ``transform`` reads afresh (``window``, ``feature_kind``, an
        adaptation's ``reg``, ...) apply as set, as in scikit-learn."""
        check_is_fitted(self, "win_length_")
        fitted = self.__dict__.get("_fit_n_fft")
        if fitted is not None and self.n_fft != fitted:
            raise ValueError(
                f"{type(self).__name__}: n_fft={self.n_fft!r} was set after fit, which used "
                f"n_fft={fitted}: the learned window and the feature grid belong to that DFT "
                f"size; call fit again (or set n_fft={fitted} back)")

    def _check_signal_length(self, X, hint=""):
        """After fit: ValueError when the signals' length differs from the
        fit's, in the words of a signal (scikit-learn's own message, which
        this one starts with, speaks of "features": here the samples).
        ``hint``: what accepts another length, if anything."""
        try:
            n = _num_features(X)
        except TypeError:  # not 2-D: validate_data explains
            return
        expected = getattr(self, "n_features_in_", None)
        if expected is not None and n != expected:
            raise ValueError(
                f"X has {n} features, but {type(self).__name__} is expecting {expected} "
                f"features as input: signals of {n} samples, fitted on {expected}; every "
                f"signal must have the length seen at fit{hint}")

    def _warn_short_signals(self, X):
        """Warn at fit when the signals are much shorter than a frame.

        Valid input (zero padding makes any length >= 1 analysable), but
        signals shorter than a quarter of ``n_fft`` are rarely meant: the
        usual cause is one signal passed as a column, ``x[:, None]`` (or a
        one-column DataFrame), read as ``N`` signals of one sample each."""
        n_signals, n_samples = np.shape(X)
        self._warn_silent_signals(X)
        n_fft = getattr(self, "n_fft", None)
        if not isinstance(n_fft, (int, np.integer)) or n_samples >= n_fft / 4:
            return
        hint = (f" It looks like one signal passed as a column: pass it as a row, "
                f"x[None, :] (shape (1, {n_signals}))." if n_samples == 1 and n_signals > 1
                else " If X holds signals as columns, pass X.T.")
        warnings.warn(
            f"{type(self).__name__}: X has {n_signals} signal(s) of {n_samples} sample(s), "
            f"less than a quarter of n_fft={n_fft}; X must be (n_signals, n_samples), one "
            f"signal per row.{hint}", UserWarning, stacklevel=user_stacklevel())

    def _warn_silent_signals(self, X):
        """Warn at fit when X leaves nothing to learn: every sample 0, or a
        scale whose squares under- or overflow float64 (``max |X|`` outside
        ``SCALE_RANGE``). The spectrogram is then 0, every criterion is
        0 and flat, and the fit would stop at once on the initial window."""
        peak = float(np.max(np.abs(X)))
        if peak == 0:
            why = "every sample of X is 0 (silent signals): there is no window to learn"
        elif not SCALE_RANGE[0] <= peak <= SCALE_RANGE[1]:
            why = (f"max |X| = {peak:.3g}: its squares under- or overflow float64, so the "
                   "spectrogram's criterion is flat; rescale X (e.g. to max |X| = 1)")
        else:
            return
        warnings.warn(f"{type(self).__name__}: {why}; the initial window is kept.",
                      UserWarning, stacklevel=user_stacklevel())

    # -- parameters ---------------------------------------------------------
    _choices = {}
    """The values each choice parameter accepts: ``window_mode``, ``hop_mode``
    (subsets of the one definition, :func:`window_modes`, :func:`hop_modes`),
    ``criterion``, ``scope``, ... and the words ``reg`` accepts besides a float."""

    def _settings(self):
        """The parameters validated and resolved (:func:`resolve_settings`)."""
        return resolve_settings(self)

    def _check_settings(self, settings):
        """The estimator's own rules between parameters; returns the settings
        (possibly with a choice such as ``"auto"`` resolved)."""
        return settings

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

    def _set_feature_grid(self, settings, n_frames):
        """Fix the pooling grid at fit: never more bands/segments than bins/frames
        (signals shorter than a hop have a single frame)."""
        n_freqs = settings.n_fft // 2 + 1
        self._fit_n_fft = settings.n_fft  # _check_fitted: a later set_params(n_fft=...)
        self.n_bands_ = min(settings.n_bands, n_freqs)
        self.n_segments_ = min(settings.n_segments, n_frames)
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
