"""DSTFTClassifier and learn_task_window."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdstft import DSTFTClassifier
from skdstft.estimators.classifier import learn_task_window


@parametrize_with_checks([DSTFTClassifier(n_fft=16, max_iter=3, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _two_tones(n=60, n_samples=512, seed=0):
    """Class 0: tones at 0.10 and 0.12 cycles/sample; class 1: one tone at 0.11
    of the same power. A short window sees the same energy in the same band;
    telling them apart needs a window resolving 0.01 cycles/sample."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    y = np.arange(n) % 2
    phase = rng.uniform(0, 2 * np.pi, (n, 2))
    two = np.cos(2 * np.pi * 0.10 * t + phase[:, :1]) + np.cos(2 * np.pi * 0.12 * t + phase[:, 1:])
    one = np.sqrt(2) * np.cos(2 * np.pi * 0.11 * t + phase[:, :1])
    X = np.where(y[:, None] == 0, two, one)
    return X + 0.3 * rng.standard_normal((n, n_samples)), y


def test_window_grows_from_a_short_start():
    # at 16 samples the classes are barely separable; the window must grow
    X, y = _two_tones()
    clf = DSTFTClassifier(n_fft=256, hop_length=64, win_length=16.0, n_bands=64, n_segments=2,
                          max_iter=15, batch_size=16, learning_rate=0.02,
                          win_learning_rate=0.1, early_stopping=False,
                          random_state=0).fit(X, y)
    assert clf.win_length_ > 1.2 * 16
    assert min(abs(np.array(clf.win_length_curve_) - clf.win_length_)) < 1e-6
    assert clf.score(*_two_tones(seed=1)) >= 0.75
    assert len(clf.loss_curve_) == clf.n_iter_ == 15


def test_fixed_mode_and_mlp_head():
    X, y = _two_tones()
    clf = DSTFTClassifier(n_fft=256, win_length=200.0, window_mode="fixed",
                          hidden_layer_sizes=(8,), max_iter=20, learning_rate=0.02,
                          random_state=0).fit(X, y)
    assert clf.win_length_ == 200.0
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) >= 0.9
    assert clf.standardized_features(X).shape == (len(X), len(clf.get_feature_names_out()))


def test_time_mode_and_pickle():
    X, y = _two_tones(n=20)
    clf = DSTFTClassifier(n_fft=64, window_mode="time", max_iter=2, random_state=0).fit(X, y)
    assert clf.win_length_.shape == (clf.n_frames_,)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X))


def test_learn_task_window_both_tasks():
    X, y = _two_tones(n=30)
    lam, info = learn_task_window(X, y, n_fft=64, max_iter=2, random_state=0)
    assert info["task"] == "classification" and np.ndim(lam) == 0
    lam, info = learn_task_window(X, y + 0.5 * np.arange(30) / 30, n_fft=64, max_iter=2,
                                  random_state=0)
    assert info["task"] == "regression" and 8 <= lam <= 62
    with pytest.raises(TypeError, match="criterion"):
        learn_task_window(X, y, criterion="entropy")


@pytest.mark.parametrize("params, match", [
    ({"window_mode": "frequency"}, "window_mode"),
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"alpha": -1.0}, "alpha"),
    ({"batch_size": 0}, "batch_size"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"early_stopping": "yes"}, "early_stopping"),
    ({"n_fft": 15}, "n_fft"),
    ({"learning_rate": 0.0}, "learning_rate"),
])
def test_bad_params(params, match):
    X, y = _two_tones(n=10, n_samples=128)
    with pytest.raises((ValueError, TypeError), match=match):
        DSTFTClassifier(n_fft=32, max_iter=1, **params).fit(X, y)


def test_single_class_rejected():
    X, _ = _two_tones(n=6, n_samples=64)
    with pytest.raises(ValueError, match="class"):
        DSTFTClassifier(n_fft=16).fit(X, np.zeros(6))


def _fsdd_path():
    env = os.environ.get("SKDSTFT_FSDD")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fsdd" / "recordings"


def _fsdd_subset(pattern, length):
    path = _fsdd_path()
    if not path.is_dir():
        pytest.skip("FSDD not available (set SKDSTFT_FSDD)")
    from skdstft.datasets import load_fsdd

    return load_fsdd(path, length=length, pattern=pattern)


def _learned_vs_fixed(data, n_fft, hop, fixed):
    """Test accuracy of the window learned from 10 samples and of fixed windows."""
    X, y = data.X, data.y
    idx = np.arange(len(y))
    train, test = idx % 5 != 0, idx % 5 == 0
    common = dict(n_fft=n_fft, hop_length=hop, random_state=0)
    clf = DSTFTClassifier(win_length=10.0, **common).fit(X[train], y[train])
    accs = {L: DSTFTClassifier(window_mode="fixed", win_length=float(L), **common)
            .fit(X[train], y[train]).score(X[test], y[test]) for L in fixed}
    return clf, clf.score(X[test], y[test]), accs


@pytest.mark.slow
def test_fsdd_subset_learned_window():
    """Ten digits of one speaker, from a 10-sample window: the learned window
    grows and matches the best of a few fixed windows (skipped without data).
    Slow: four fits on 500 recordings took 2.6x test_fsdd_subset_groups (the
    default FSDD check of the learned window) in the same run."""
    data = _fsdd_subset("*_jackson_*.wav", 4000)
    clf, acc, fixed = _learned_vs_fixed(data, 256, 64, (10, 64, 160))
    assert clf.win_length_ > 30
    assert acc >= fixed[10] and acc >= max(fixed.values()) - 0.03


def test_fsdd_subset_groups():
    """Speakers held out on a small subset: 3 takes of each digit by
    each of the 6 speakers, 0.5 s. The window is chosen with groups on the 4
    training speakers (GroupKFold inside fit, one head per fold) and tested
    on the 2 others: it ends inside its bounds (not within 1 % of either) and
    predicts new speakers far above chance (10 %)."""
    data = _fsdd_subset("*_[0-2].wav", 4000)
    X, y, groups = data.X, data.y, np.asarray(data.groups)
    test = np.isin(groups, np.unique(groups)[:2])
    clf = DSTFTClassifier(n_fft=256, hop_length=64, random_state=0).fit(
        X[~test], y[~test], groups=groups[~test])
    lo, hi = 8.0, 254.0
    assert lo + 0.01 * (hi - lo) < clf.win_length_ < hi - 0.01 * (hi - lo)
    assert len(clf.validation_scores_) == clf.n_iter_  # held-out groups scored every iteration
    assert clf.score(X[test], y[test]) > 0.3


@pytest.mark.slow
def test_fsdd_learned_window_all_speakers():
    """The paper's setting on a 1000-recording subset (all speakers, 8000
    samples, n_fft=512): learned from 10 within 2 points of the best fixed window."""
    data = _fsdd_subset("*.wav", 8000)
    keep = np.random.default_rng(0).permutation(len(data.y))[:1000]
    data.X, data.y = data.X[keep], data.y[keep]
    clf, acc, fixed = _learned_vs_fixed(data, 512, 128, (10, 160, 320))
    assert clf.win_length_ > 40
    assert acc >= max(fixed.values()) - 0.02
