"""Grouped data: ``groups`` in fit, and metadata routing through
Pipeline and GridSearchCV."""

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

import skdstft.estimators._task as task_module
import skdstft.estimators.classifier as classifier_module
from skdstft import DSTFTClassifier, DSTFTTransformer


def grouped_signals(n_groups=6, n_per_class=16, n_samples=512, seed=0):
    """Two classes told apart two ways.

    * Within each group (a "speaker"), class 0 is a tone 0.02 cycles/sample
      below the group's own pitch and class 1 one 0.02 above, or the reverse,
      drawn per group (with seed 0 the draws leave no order that neighbouring
      groups' pitches would carry over to a held-out group). A long window resolves the two tones, so
      inside a group the classes are perfectly separable, but the rule does
      not carry over to another group.
    * In every group, class 1 carries a short noise burst 64 samples later
      than class 0 (jittered by +-8 samples). Resolving its time needs a
      short window (a 126-sample window spreads it over neighbouring time
      segments), and it holds for any group.

    Returns X (n, n_samples), y (n,), groups (n,).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    X, y, groups = [], [], []
    for g in range(n_groups):
        pitch, sign = 0.1 + 0.055 * g, rng.choice([-1, 1])
        for c in (0, 1):
            for _ in range(n_per_class):
                f = pitch + 0.02 * sign * (1 if c else -1)
                x = np.cos(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
                x += 0.3 * rng.standard_normal(n_samples)
                t0 = n_samples // 2 - 32 + 64 * c + rng.integers(-8, 9)
                x[t0:t0 + 8] += 1.5 * rng.standard_normal(8)
                X.append(x)
                y.append(c)
                groups.append(f"speaker{g}")
    return np.array(X), np.array(y), np.array(groups)


GROUPED = dict(n_fft=128, hop_length=16, n_bands=16, n_segments=8, random_state=0)


@pytest.fixture(scope="module")
def grouped():
    return grouped_signals()


@pytest.fixture(scope="module")
def small_grouped():
    """Few short signals: enough for the routing tests, which check who gets the groups."""
    return grouped_signals(n_per_class=4, n_samples=256)


def test_groups_change_the_learned_window(grouped):
    """Without groups, the validation part holds signals of the training
    groups, where the group's own pitch separates the classes best at the
    longest window: the window runs to the bound (n_fft - 2 = 126). With
    groups, the window is judged on held-out groups, where only the burst's
    timing generalizes; that needs a short window, and the window settles in
    between (about 32 samples, from starts of 24, 40 and 64). Both start at
    40: without groups the held-out loss also has a shallow local minimum
    near 25 samples (a bump at 31), which the gradient through the refitted
    heads finds from a start of 24 (the fixed-head gradient stepped over it)."""
    X, y, groups = grouped
    plain = DSTFTClassifier(win_length=40.0, **GROUPED).fit(X, y)
    held = DSTFTClassifier(win_length=40.0, **GROUPED).fit(X, y, groups=groups)
    assert plain.win_length_ > 100
    assert 20 < held.win_length_ < 50
    # the transformer's supervised criterion runs the same trainer
    tr = DSTFTTransformer(criterion="supervised", win_length=40.0, max_iter=20,
                          **GROUPED).fit(X, y, groups=groups)
    assert tr.win_length_ == pytest.approx(held.win_length_)


def test_group_folds_are_scikit_learns():
    """Pinned to _task.held_out_folds because no fitted attribute exposes the
    held-out folds of the supervised criterion."""
    groups = np.repeat(["a", "b", "c", "d"], 5)
    folds = task_module.held_out_folds(20, groups, True, 0.1, None, np.random.RandomState(0))
    assert len(folds) == 3
    held = np.concatenate([v for _, v in folds])
    assert sorted(held.tolist()) == list(range(20))  # each signal held out once
    for fit, val in folds:  # whole groups on one side only
        assert not set(groups[fit]) & set(groups[val])
    two = task_module.held_out_folds(20, np.repeat([0, 1], 10), True, 0.1, None,
                                     np.random.RandomState(0))
    assert len(two) == 2


def test_bad_groups_are_clear_errors(small_grouped):
    X, y, groups = small_grouped
    with pytest.raises(ValueError, match="groups must be a 1-D array of length"):
        DSTFTClassifier(n_fft=32, max_iter=2).fit(X, y, groups=groups[:-1])
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        DSTFTClassifier(n_fft=32, max_iter=2).fit(X, y, groups=np.zeros(len(y)))


def test_unsupervised_criteria_ignore_groups(small_grouped):
    X, _, groups = small_grouped
    kw = dict(n_fft=32, n_bands=4, n_segments=2, max_iter=10, random_state=0)
    a = DSTFTTransformer(**kw).fit(X[:12])
    b = DSTFTTransformer(**kw).fit(X[:12], groups=groups[:12])
    assert a.win_length_ == b.win_length_


@pytest.fixture
def record_groups(monkeypatch):
    """Record the groups that reach the supervised trainer. Pinned to
    classifier.learn_task_window because no public attribute records the
    groups a fit received through metadata routing."""
    seen = []
    original = classifier_module.learn_task_window

    def spy(X, y, groups=None, **params):
        seen.append(None if groups is None else np.asarray(groups).copy())
        return original(X, y, groups=groups, **params)

    monkeypatch.setattr(classifier_module, "learn_task_window", spy)
    return seen


SMALL_SUPERVISED = dict(criterion="supervised", n_fft=32, hop_length=16, n_bands=4,
                        n_segments=2, max_iter=2, random_state=0)


def test_pipeline_without_routing_takes_step_parameters(small_grouped, record_groups):
    X, y, groups = small_grouped
    pipe = make_pipeline(DSTFTTransformer(**SMALL_SUPERVISED), LogisticRegression())
    pipe.fit(X, y, dstfttransformer__groups=groups)
    assert np.array_equal(record_groups[-1], groups)


def test_pipeline_routes_groups(small_grouped, record_groups):
    X, y, groups = small_grouped
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(DSTFTTransformer(**SMALL_SUPERVISED).set_fit_request(groups=True),
                             LogisticRegression())
        pipe.fit(X, y, groups=groups)
        assert np.array_equal(record_groups[-1], groups)
        # a request left unset is an error, not a silent drop
        unset = make_pipeline(DSTFTTransformer(**SMALL_SUPERVISED), LogisticRegression())
        with pytest.raises((UnsetMetadataPassedError, TypeError), match="groups"):
            unset.fit(X, y, groups=groups)


def test_grid_search_with_group_kfold_routes_groups(small_grouped, record_groups):
    """The outer GroupKFold splits by group, and each inner fit receives the
    groups of its training part (so its window is chosen on groups held out
    inside that part)."""
    X, y, groups = small_grouped
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(DSTFTTransformer(**SMALL_SUPERVISED).set_fit_request(groups=True),
                             LogisticRegression())
        search = GridSearchCV(pipe, {"dstfttransformer__n_segments": [1, 2]},
                              cv=GroupKFold(n_splits=3))
        search.fit(X, y, groups=groups)
    assert len(record_groups) == 2 * 3 + 1  # 2 candidates x 3 folds, then the refit
    for seen in record_groups[:-1]:
        assert len(np.unique(seen)) == 4  # 6 speakers, 2 held out by the outer fold
    assert np.array_equal(record_groups[-1], groups)
    # a transformer that declines groups fits without them; the splitter still uses them
    record_groups.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(DSTFTTransformer(**SMALL_SUPERVISED).set_fit_request(groups=False),
                             LogisticRegression())
        GridSearchCV(pipe, {"dstfttransformer__n_segments": [2]}, cv=GroupKFold(n_splits=3),
                     refit=False).fit(X, y, groups=groups)
    assert record_groups == [None] * 3


def test_classifier_routes_groups_in_grid_search(small_grouped):
    X, y, groups = small_grouped
    with sklearn.config_context(enable_metadata_routing=True):
        clf = DSTFTClassifier(n_fft=32, hop_length=16, n_bands=4, n_segments=2, max_iter=2,
                              random_state=0).set_fit_request(groups=True)
        search = GridSearchCV(clf, {"alpha": [1.0]}, cv=GroupKFold(n_splits=2))
        search.fit(X, y, groups=groups)
        assert hasattr(search.best_estimator_, "win_length_")
        # the request is part of the estimator's routing
        assert clf.get_metadata_routing().fit.requests["groups"] is True


def test_regression_targets_with_groups(small_grouped):
    """A continuous y takes the ridge head; groups split it the same way."""
    X, y, groups = small_grouped
    target = y + 0.1 * np.arange(len(y)) / len(y)
    est = DSTFTTransformer(**SMALL_SUPERVISED).fit(X, target, groups=groups)
    assert 8 <= est.win_length_ <= 30
    assert np.all(np.isfinite(est.transform(X)))
