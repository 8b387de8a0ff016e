"""DSTFTTransformer: scikit-learn citizenship, the paper's optimum, parallel parity."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import skdstft.estimators.transformer as transformer_module
from skdstft import DSTFTTransformer, dstft
from skdstft.losses import shannon_entropy
from skdstft.signals import three_component

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- scikit-learn's estimator checks ---------------------------------------
def _expected_failures(estimator):
    if estimator.window_mode == "fixed":
        return {"check_transformer_n_iter": "window_mode='fixed' runs no iteration"}
    return {}


@parametrize_with_checks([
    DSTFTTransformer(n_fft=16, max_iter=5),
    DSTFTTransformer(n_fft=32, window_mode="time", hop_mode="time", n_restarts=2,
                     max_iter=3, random_state=0),
    DSTFTTransformer(n_fft=16, window_mode="fixed", layout="flat"),
], expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- data -----------------------------------------------------------------
def tones(n_per_class=20, n_samples=256, seed=0):
    """Two classes: a tone near 0.10 or near 0.16 cycles/sample, in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    X, y, f = [], [], []
    for label, f0 in enumerate((0.10, 0.16)):
        for _ in range(n_per_class):
            freq = f0 + rng.uniform(-0.01, 0.01)
            phase = rng.uniform(0, 2 * np.pi)
            X.append(np.cos(2 * np.pi * freq * t + phase) + 0.8 * rng.standard_normal(n_samples))
            y.append(label)
            f.append(freq)
    return np.array(X), np.array(y), np.array(f)


SMALL = dict(n_fft=64, n_bands=8, n_segments=2, max_iter=15)


# -- the paper's Sec. VI-A optimum -----------------------------------------
def test_entropy_optimum_matches_exhaustive_grid():
    x = three_component()
    est = DSTFTTransformer(n_fft=1024, hop_length=256).fit(x[None])
    # exhaustive integer grid over the bounds, forward transforms only
    lo, hi = 8, 1022
    grid = np.arange(lo, hi + 1)
    positions = est.positions_
    H = np.array([shannon_entropy(dstft(x, float(L), positions, n_fft=1024)) for L in grid])
    L_star = grid[np.argmin(H)]
    assert 500 < L_star < 600  # an interior optimum (about 540, math.md §5)
    fitted_H = shannon_entropy(dstft(x, est.win_length_, positions, n_fft=1024))
    assert abs(est.win_length_ - L_star) <= 1.0 or fitted_H <= H.min() * (1 + 1e-6)
    assert est.loss_ == pytest.approx(fitted_H)
    assert est.loss_ <= H.min() + 1e-9  # continuous optimum no worse than the grid's
    curve = est.criterion_curve(x[None], grid[::100])
    np.testing.assert_allclose(curve, H[::100], rtol=1e-12)


def test_restarts_find_the_same_optimum_from_far_away():
    x = three_component(2048)
    est = DSTFTTransformer(n_fft=512, hop_length=128, win_length=20, n_restarts=3,
                           random_state=0).fit(x[None])
    r = est.restarts_
    assert list(r.columns) == ["init", "win_length", "hop_length", "loss", "n_iter",
                               "converged", "seconds", "message", "best"]
    assert len(r) == 3 and r["init"].iloc[0] == 20.0 and r["best"].sum() == 1
    best = r.loc[r["best"]].iloc[0]
    assert best["loss"] == r["loss"].min() == est.loss_
    assert est.win_length_ == best["win_length"]
    assert est.loss_curve_[0] >= est.loss_curve_[-1]
    assert est.n_iter_ == best["n_iter"]


def test_restarts_table_is_built_on_first_access_and_survives_pickling():
    """restarts_ is assembled from the stored rows when first read (a pandas
    DataFrame costs as much as a small fit); before fit it does not exist."""
    est = DSTFTTransformer(n_fft=64, n_restarts=2, random_state=0)
    assert not hasattr(est, "restarts_")
    est.fit(three_component(512)[None])
    assert "_restarts_table" not in vars(est)  # nothing built yet
    table = est.restarts_
    assert isinstance(table, pd.DataFrame) and len(table) == 2
    assert est.restarts_ is table  # built once
    copy = pickle.loads(pickle.dumps(est))
    pd.testing.assert_frame_equal(copy.restarts_, table)
    est.fit(three_component(512, random_state=1)[None])  # a refit replaces it
    assert est.restarts_ is not table and len(est.restarts_) == 2


# -- parallel parity ------------------------------------------------------
def _fit_parity(**kw):
    X, _, _ = tones(n_per_class=3, n_samples=512)
    est = DSTFTTransformer(n_fft=128, n_restarts=4, random_state=0, max_iter=30, **kw)
    return est.fit(X)


def _same(a, b):
    assert a.win_length_ == b.win_length_ and a.loss_ == b.loss_
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    pd.testing.assert_frame_equal(a.restarts_.drop(columns="seconds"),
                                  b.restarts_.drop(columns="seconds"))


def test_identical_results_for_n_jobs_1_and_2():
    _same(_fit_parity(n_jobs=1), _fit_parity(n_jobs=2))


def test_identical_results_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    reference = _fit_parity(n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own deprecation/resource chatter
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster):
            with parallel_config(backend="dask"):
                on_dask = _fit_parity()
    _same(reference, on_dask)


# -- modes ----------------------------------------------------------------
def test_time_mode_starts_from_the_constant_optimum():
    x = three_component(2048)
    est = DSTFTTransformer(n_fft=512, hop_length=128, window_mode="time").fit(x[None])
    T = len(est.positions_)
    assert est.win_length_.shape == (T,)
    # the second stage starts at the first stage's optimum: it can only improve
    assert est.loss_ <= est.restarts_["loss"].min() + 1e-12
    assert est.n_iter_ > est.restarts_["n_iter"].iloc[0]
    lo, hi = 8.0, 510.0
    # default scope="frame": no collapse onto the lower bound (math.md §1 caveat)
    assert np.mean(est.win_length_ < lo + 0.01 * (hi - lo)) < 0.2
    assert est.transform(x[None]).shape == (1, 32 * 16)


@pytest.mark.parametrize("hop_mode", ["constant", "time"])
def test_learned_hop_keeps_the_signal_covered(hop_mode):
    x = three_component(2048)
    est = DSTFTTransformer(n_fft=256, hop_length=64, hop_mode=hop_mode,
                           max_iter=40).fit(x[None])
    pos = est.positions_
    assert pos[0] == 0.0 and np.all(np.diff(pos) > 0)
    assert pos[-1] <= 2048 + 16  # frames do not run off the end
    hops = np.diff(pos)
    # consecutive windows still overlap (up to a small penalty violation)
    assert np.all(hops <= 0.5 * est.win_length_ * 1.1 + 1)
    assert np.shape(est.hop_length_) == (() if hop_mode == "constant" else (len(pos) - 1,))


def test_fixed_mode_is_a_plain_stft():
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(window_mode="fixed", win_length=40, hop_length=16, n_fft=64,
                           layout="flat", feature_kind="magnitude").fit(X)
    assert est.win_length_ == 40 and est.n_iter_ == 0
    S = dstft(X, 40.0, np.arange(0, 257, 16.0), n_fft=64)
    np.testing.assert_allclose(est.transform(X), np.abs(S).reshape(len(X), -1))


def test_mini_batch_adam_is_reproducible():
    X, _, _ = tones(n_per_class=4)
    kw = dict(SMALL, batch_size=3, random_state=0, max_iter=20, n_restarts=2)
    a = DSTFTTransformer(**kw).fit(X)
    b = DSTFTTransformer(**kw).fit(X)
    assert a.win_length_ == b.win_length_ and np.isfinite(a.loss_)
    full = a.criterion_curve(X, [a.win_length_])[0]
    assert a.loss_ == pytest.approx(full)  # restarts ranked on the full data


@pytest.mark.parametrize("criterion", ["renyi", "kurtosis"])
def test_other_criteria(criterion):
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(criterion=criterion, **SMALL).fit(X)
    assert 8 <= est.win_length_ <= 62 and np.isfinite(est.loss_)


def negative_peak(S):
    import autograd.numpy as anp
    A = anp.abs(S)
    return -anp.mean(anp.max(A, axis=-2) / anp.sum(A, axis=-2))


def test_callable_criterion_in_parallel():
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(criterion=negative_peak, n_restarts=2, n_jobs=2, random_state=0,
                           **SMALL).fit(X)
    assert np.isfinite(est.loss_)


def test_supervised_without_y_is_a_clear_error():
    X, y, _ = tones(n_per_class=2)
    with pytest.raises(ValueError, match=r"criterion='supervised' requires y in fit\(X, y\)"):
        DSTFTTransformer(criterion="supervised", **SMALL).fit(X)
    # with y it hands over to the task-driven trainer and gives features for every signal
    est = DSTFTTransformer(criterion="supervised", **SMALL).fit(X, y)
    assert est.transform(X).shape[0] == len(X)


def test_verbose_reports_in_sklearn_style(capsys):
    X, _, _ = tones(n_per_class=2)
    DSTFTTransformer(verbose=1, n_restarts=2, random_state=0, **SMALL).fit(X)
    out = capsys.readouterr().out
    assert "[DSTFTTransformer] restart 1/2" in out and "done in" in out


# -- transform, features, pandas -------------------------------------------
def test_feature_names_match_dataframe_columns():
    X, _, _ = tones(n_per_class=3)
    df = pd.DataFrame(X, columns=[f"t{i}" for i in range(X.shape[1])])
    est = DSTFTTransformer(**SMALL).set_output(transform="pandas").fit(df)
    out = est.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert out.shape == (len(X), 8 * 2)
    np.testing.assert_array_equal(est.feature_names_in_, df.columns)
    np.testing.assert_allclose(out.to_numpy(), clone(est).set_output(transform="default")
                               .fit(X).transform(X))


def test_transform_streams_in_chunks():
    """A batch larger than the chunk budget gives the same bits as its signals
    one at a time. The real TRANSFORM_CHUNK_BYTES is read (not patched): the
    complex spectrogram alone (16 bytes a bin, a lower bound on what a chunk
    holds) of the 16 signals is 4/3 of it, so the batch spans several chunks.
    A fixed window keeps fit free of spectrograms, so this takes ~2 s."""
    n_fft, hop, n_signals = 64, 16, 16
    per_signal = transformer_module.TRANSFORM_CHUNK_BYTES / 12
    n = int(per_signal / ((n_fft // 2 + 1) * 16) * hop)
    X = np.random.default_rng(0).standard_normal((n_signals, n))
    est = DSTFTTransformer(n_fft=n_fft, hop_length=hop, window_mode="fixed", n_bands=8,
                           n_segments=2).fit(X)
    rows = np.vstack([est.transform(x[None]) for x in X])
    np.testing.assert_array_equal(est.transform(X), rows)
    S = est.spectrogram(X)
    assert S.shape == (n_signals, n_fft // 2 + 1, len(est.positions_))
    for i in (0, n_signals - 1):
        np.testing.assert_array_equal(S[i], est.spectrogram(X[i:i + 1])[0])


def test_stats_layout_accepts_other_lengths():
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(layout="stats", **SMALL).fit(X)
    Z = est.transform(X[:, :200])
    assert Z.shape == (len(X), 8 * 3) and np.all(np.isfinite(Z))
    with pytest.raises(ValueError, match="expecting 256 features"):
        DSTFTTransformer(**SMALL).fit(X).transform(X[:, :200])
    timed = DSTFTTransformer(layout="stats", window_mode="time", **SMALL).fit(X)
    with pytest.raises(ValueError, match="same signal length"):
        timed.transform(X[:, :200])


def test_clone_and_pickle_round_trip():
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(**SMALL).fit(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X), est.transform(X))
    fresh = clone(est)
    assert fresh.get_params() == est.get_params() and not hasattr(fresh, "win_length_")


# -- pipelines and model selection ------------------------------------------
@pytest.mark.parametrize("head", [LogisticRegression(max_iter=500), SVC(),
                                  RandomForestClassifier(n_estimators=20, random_state=0)])
def test_first_step_of_a_classification_pipeline(head):
    X, y, _ = tones()
    pipe = make_pipeline(DSTFTTransformer(**SMALL), head).fit(X[::2], y[::2])
    assert pipe.score(X[1::2], y[1::2]) >= 0.9


def test_first_step_of_a_regression_pipeline():
    X, _, f = tones()
    pipe = make_pipeline(DSTFTTransformer(n_fft=64, n_bands=16, n_segments=1, max_iter=15,
                                          feature_kind="magnitude"), Ridge(alpha=1e-3))
    pipe.fit(X[::2], f[::2])
    assert pipe.score(X[1::2], f[1::2]) > 0.5


def test_grid_search_over_transformer_parameters():
    X, y, _ = tones()
    pipe = make_pipeline(DSTFTTransformer(**SMALL), LogisticRegression(max_iter=500))
    search = GridSearchCV(pipe, {"dstfttransformer__layout": ["pooled", "stats"],
                                 "dstfttransformer__n_bands": [4, 8]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ >= 0.9
    assert search.best_estimator_[0].win_length_ > 0


# -- bad inputs ----------------------------------------------------------------
@pytest.mark.parametrize("params,match", [
    ({"window_mode": "sometimes"}, "window_mode"),
    ({"hop_mode": "jumpy"}, "hop_mode"),
    ({"n_restarts": 0}, "n_restarts"),
    ({"criterion": "beauty"}, "criterion"),
    ({"scope": "local"}, "scope"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"window_mode": "fixed", "hop_mode": "constant"}, "hop_mode"),
    ({"batch_size": 2, "optimizer": "lbfgs"}, "batch_size"),
    ({"win_length": 1000}, "win_length"),
    ({"hop_length": -1}, "hop_length"),
    ({"win_length_bounds": (30, 10)}, "win_length_bounds"),
    ({"max_iter": 0}, "max_iter"),
    ({"n_fft": 15}, "n_fft"),
    ({"layout": "grid"}, "layout"),
])
def test_bad_parameters_name_themselves(params, match):
    X, _, _ = tones(n_per_class=2)
    with pytest.raises((ValueError, TypeError), match=match):
        DSTFTTransformer(**dict(SMALL, **params)).fit(X)


def test_bad_inputs_are_explained():
    X, _, _ = tones(n_per_class=2)
    est = DSTFTTransformer(**SMALL)
    bad = X.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad)
    with pytest.raises(ValueError, match="2D array"):
        est.fit(X[0])
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0])
    est.fit(X)
    with pytest.raises(ValueError, match="256 samples|expecting 256 features"):
        est.transform(X[:, :100])
    with pytest.raises(ValueError, match="NaN"):
        est.transform(bad)
