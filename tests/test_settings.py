"""The estimators' settings: resolved once per fit, one rule per parameter,
the modes defined once.

Pinned to resolve_settings where no fitted attribute exposes the resolved
value (the Settings object, scope, optimizer, hop bounds); the parameter
rules themselves are checked through fit."""

import pickle
import warnings

import numpy as np
import pytest

from skdstft import AdaptiveSpectrogram, DSTFTClassifier, DSTFTTransformer, FrequencyTracker
from skdstft.estimators._base import DSTFTBase, Settings, resolve_settings
from skdstft.objective import FIXED, HOP_MODES, WINDOW_MODES, default_hop_bounds, default_scope

ESTIMATORS = [DSTFTTransformer, AdaptiveSpectrogram, FrequencyTracker, DSTFTClassifier]
RNG = np.random.default_rng(3)
X = RNG.standard_normal((6, 128))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_defaults_are_resolved_from_n_fft(cls):
    s = resolve_settings(cls(n_fft=64))
    assert isinstance(s, Settings)
    assert s.win_length_bounds == (8.0, 62.0)
    assert s.win_length == 32.0 and s.hop_length == 16.0
    with pytest.raises(AttributeError):  # frozen
        s.n_fft = 128
    assert pickle.loads(pickle.dumps(s)) == s  # joblib workers receive it


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_modes_are_subsets_of_the_one_definition(cls):
    """Pinned to cls._choices because no public attribute lists the modes an
    estimator accepts."""
    choices = cls._choices
    assert set(choices["window_mode"]) <= {FIXED, *WINDOW_MODES}
    assert set(choices.get("hop_mode", ())) <= set(HOP_MODES)
    assert cls().window_mode in choices["window_mode"]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_same_parameter_gets_the_same_message(cls):
    """One rule per parameter name, whichever estimator has it, raised by fit."""
    y = np.arange(len(X)) % 2
    for params, match in [(dict(max_iter=0), r"max_iter must be >= 1, got 0"),
                          (dict(tol=-1.0), r"tol must be >= 0.0, got -1.0"),
                          (dict(verbose=-1), r"verbose must be >= 0, got -1"),
                          (dict(hop_length=0), r"hop_length must be > 0.0, got 0.0"),
                          (dict(window_mode="sometimes"), r"window_mode must be one of")]:
        with pytest.raises(ValueError, match=match):
            cls(n_fft=64, **params).fit(X, y)


def test_scope_auto_asks_the_objective():
    for mode in ("constant", "time", "fixed"):
        s = resolve_settings(DSTFTTransformer(window_mode=mode))
        assert s.scope == default_scope(mode)
    assert default_scope("constant") == "global" and default_scope("time") == "frame"
    assert resolve_settings(DSTFTTransformer(scope="frame")).scope == "frame"


def test_hop_bounds_come_from_the_objective():
    assert default_hop_bounds(64) == (1.0, 64.0)
    # a constant hop on T fixed frames stops where the last frame reaches the end
    assert default_hop_bounds(64, "constant", n_samples=100, n_frames=5) == (1.0, 25.0)
    assert default_hop_bounds(64, "time", n_samples=100, n_frames=5) == (1.0, 64.0)
    assert resolve_settings(AdaptiveSpectrogram(n_fft=64)).hop_length_bounds == (1.0, 64.0)


def test_optimizer_auto_is_resolved_once():
    assert resolve_settings(DSTFTTransformer()).optimizer == "lbfgs"
    assert resolve_settings(DSTFTTransformer(batch_size=4)).optimizer == "adam"
    assert resolve_settings(AdaptiveSpectrogram()).optimizer == "adam"
    with pytest.raises(ValueError, match="batch_size .* needs optimizer='adam'"):
        resolve_settings(DSTFTTransformer(batch_size=4, optimizer="lbfgs"))


def test_none_only_where_it_is_the_default():
    assert resolve_settings(DSTFTTransformer(batch_size=None)).batch_size is None
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        resolve_settings(DSTFTClassifier(batch_size=None))


@pytest.mark.parametrize("cls,y", [(FrequencyTracker, np.full((6, 9), 0.1)),
                                   (DSTFTClassifier, np.arange(6) % 2)])
def test_initial_win_length_outside_the_bounds_is_an_error(cls, y):
    """Behaviour change: FrequencyTracker and DSTFTClassifier used to clip an
    initial win_length outside win_length_bounds silently; like DSTFTTransformer
    and AdaptiveSpectrogram they now say so."""
    est = cls(n_fft=64, hop_length=16, win_length=4.0, max_iter=2)
    with pytest.raises(ValueError, match=r"win_length must be >= 8.0, got 4.0"):
        est.fit(X, y)
    with pytest.raises(ValueError, match=r"win_length must be <= 40.0, got 50.0"):
        est.set_params(win_length=50.0, win_length_bounds=(8.0, 40.0)).fit(X, y)


def test_fixed_window_may_lie_outside_the_learning_bounds():
    """Behaviour change: a fixed window only has to fit the frame (as the
    classifier's always did); DSTFTTransformer required it inside the bounds."""
    est = DSTFTTransformer(n_fft=64, window_mode="fixed", win_length=4.0, n_bands=4,
                           n_segments=2).fit(X)
    assert est.win_length_ == 4.0 and np.all(np.isfinite(est.transform(X)))
    clf = DSTFTClassifier(n_fft=64, window_mode="fixed", win_length=4.0, max_iter=2)
    assert clf.fit(X, np.arange(6) % 2).win_length_ == 4.0
    with pytest.raises(ValueError, match=r"win_length must be <= 62"):
        est.set_params(win_length=63.0).fit(X)


def test_classifier_resolves_its_settings_once_per_fit(monkeypatch):
    """It validated twice. Pinned to DSTFTBase._settings because no public
    behaviour shows a second validation (it warns nothing, returns the same)."""
    calls = []
    original = DSTFTBase._settings
    monkeypatch.setattr(DSTFTBase, "_settings", lambda self: calls.append(1) or original(self))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DSTFTClassifier(n_fft=32, max_iter=2).fit(X, np.arange(6) % 2)
    assert len(calls) == 1
