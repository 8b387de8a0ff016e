"""A demanding newcomer's trial of the merged settings/validation refactors:
every defect found gets its test here (bad parameters named at fit, the CLI
reporting what it resolved, error messages pointing at the real culprit)."""

import json
import re
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdstft import AdaptiveSpectrogram, DSTFTClassifier, DSTFTTransformer, FrequencyTracker
from skdstft.cli import main
from skdstft.exceptions import BoundWarning

ESTIMATORS = [DSTFTTransformer, AdaptiveSpectrogram, FrequencyTracker, DSTFTClassifier]
RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 400))
Y = {FrequencyTracker: RNG.uniform(0.1, 0.3, 6), DSTFTClassifier: np.array([0, 1] * 3)}


def _ignore_budget_warnings():
    """Inside a catch_warnings: the short iteration budgets' warnings are not the point."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", BoundWarning)


def _fit(cls, **params):
    est = cls(n_fft=32, max_iter=2, **params)  # __init__ stores; only fit may raise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short iteration budget
        return est.fit(X, Y[cls]) if cls in Y else est.fit(X)


@pytest.mark.parametrize("value", [None, True, 1.5, np.nan, "3", [2, 0]])
def test_hidden_layer_sizes_bad_values_are_named(value):
    # was: TypeError "'NoneType' object is not iterable" (no parameter named)
    with pytest.raises((TypeError, ValueError), match="hidden_layer_sizes"):
        _fit(DSTFTClassifier, hidden_layer_sizes=value)


@pytest.mark.parametrize("cls", [DSTFTTransformer, AdaptiveSpectrogram, FrequencyTracker])
def test_n_jobs_zero_is_named_at_fit_whatever_n_restarts(cls):
    # was: accepted with one restart, joblib's "n_jobs == 0 in Parallel has no
    # meaning" with several
    with pytest.raises(ValueError, match="n_jobs"):
        _fit(cls, n_jobs=0)
    _fit(cls, n_jobs=np.int64(-1))  # a numpy integer is an integer


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", ["bogus", -1, 1.5, np.nan, [1, 2]])
def test_bad_random_state_is_named(cls, value):
    # was: scikit-learn's "'bogus' cannot be used to seed a numpy.random.RandomState
    # instance" / "Seed must be between 0 and 2**32 - 1", without the parameter's name
    with pytest.raises(ValueError, match="random_state"):
        _fit(cls, random_state=value)


@pytest.mark.parametrize("cls", [DSTFTTransformer, AdaptiveSpectrogram])
@pytest.mark.parametrize("value", ["mean", "bogus", ("mean", "mdian"), (), None, 3])
def test_stats_typo_caught_whatever_the_layout(cls, value):
    # was: silently ignored with the default layout="pooled", so a typo surfaced
    # only when a grid search switched to layout="stats"
    with pytest.raises((TypeError, ValueError), match="stats"):
        _fit(cls, stats=value)


@pytest.mark.parametrize("cls", [DSTFTTransformer, AdaptiveSpectrogram])
def test_stats_as_list_or_array_still_accepted(cls):
    for value in (["mean", "max"], np.array(["min"])):
        _fit(cls, stats=value, layout="stats")


def test_cli_reports_the_reg_that_auto_chose(tmp_path, capsys):
    # was: reg_used always null (the CLI read an estimator attribute reg_ that
    # does not exist; the adaptation result holds the value)
    out = tmp_path / "r.json"
    code = main(["optimize", "--example", "three-component", "--n-fft", "128", "--max-iter", "3",
                 "--mode", "time", "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["parameters"]["reg"] == "auto"
    reg_used = report["parameters"]["reg_used"]
    assert isinstance(reg_used, float) and reg_used > 0
    assert f"reg auto (the default) = {reg_used:.4g}" in capsys.readouterr().out


def test_cli_csv_error_names_the_bad_value_not_the_header(tmp_path, capsys):
    # was: "could not convert string 'a' ... at row 0" for a file whose header
    # row 'a' is fine and whose third line 'foo' is the problem
    path = tmp_path / "bad.csv"
    path.write_text("a\n1\nfoo\n3\n")
    assert main(["optimize", str(path), "--n-fft", "4"]) == 2
    err = capsys.readouterr().err
    assert "'foo'" in err and "header" in err


@pytest.mark.parametrize("Y, fs, harmonic", [
    (np.full(6, 0.9), 1.0, 1),          # above Nyquist
    (np.full(6, -0.2), 1.0, 1),         # negative
    (np.full(6, 3000.0), 8000.0, 2),    # the 2nd harmonic 6000 Hz above Nyquist 4000 Hz
])
def test_tracker_target_frequency_outside_the_spectrum_warns(Y, fs, harmonic):
    # was: fitted silently, the window driven towards a frequency no
    # spectrogram bin can show (a warning, not an error: scikit-learn's
    # estimator checks fit arbitrary real targets)
    with pytest.warns(UserWarning, match=r"Y should hold frequencies in \[0, "), \
            warnings.catch_warnings():
        _ignore_budget_warnings()
        FrequencyTracker(n_fft=32, max_iter=2, fs=fs, harmonic=harmonic).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # in range: no word
        _ignore_budget_warnings()
        FrequencyTracker(n_fft=32, max_iter=2, fs=fs, harmonic=harmonic).fit(X, np.abs(Y) % (fs / 2 / harmonic))


def test_tracker_target_outside_band_warns():
    # was: silent, and the window ended at a bound chasing a frequency the
    # band's centroid cannot reach
    with pytest.warns(UserWarning, match="band"), warnings.catch_warnings():
        _ignore_budget_warnings()
        FrequencyTracker(n_fft=32, max_iter=2, band=(0.01, 0.05)).fit(X, np.full(6, 0.2))


@pytest.mark.parametrize("cls, scale", [
    (cls, scale) for cls in ESTIMATORS for scale in (0.0, 1e-200, 1e200)
    if (cls, scale) != (DSTFTClassifier, 1e200)])  # an error there: the next test
def test_silent_or_out_of_scale_X_warns_at_fit(cls, scale):
    # was: fit "converged" at 0 iterations with the initial window and a
    # criterion of exactly 0, without a word (the spectrogram is 0, or its
    # power under/overflows)
    with pytest.warns(UserWarning, match="X") as record, warnings.catch_warnings():
        _ignore_budget_warnings()
        est = cls(n_fft=32, max_iter=2)
        (est.fit(X * scale, Y[cls]) if cls in Y else est.fit(X * scale))
    assert any(("silent" if scale == 0 else "rescale") in str(w.message) for w in record)


@pytest.mark.parametrize("fit", [
    lambda X: DSTFTClassifier(n_fft=32, max_iter=2).fit(X, Y[DSTFTClassifier]),
    lambda X: DSTFTClassifier(n_fft=32, max_iter=2, solver="adam").fit(X, Y[DSTFTClassifier]),
    lambda X: DSTFTTransformer(n_fft=32, max_iter=2, criterion="supervised").fit(
        X, Y[FrequencyTracker]),
], ids=["alternating", "adam", "supervised-regression"])
def test_supervised_task_on_huge_X_names_X_and_its_scale(fit):
    # was: "Input X contains NaN" from the internal LogisticRegression (adam:
    # "unsupported operand type(s) for -: 'float' and 'NoneType'"): the
    # log-power features overflow; the scale is the user's to fix
    with pytest.raises(ValueError, match=r"max \|X\| = [0-9.]+e\+200 .*rescale X"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(X * 1e200)
    with warnings.catch_warnings():  # within the range: it fits
        _ignore_budget_warnings()
        fit(X * 1e50)


@pytest.mark.parametrize("scale", [1e-20, 1e20])
def test_usual_scales_fit_without_a_scale_warning(scale):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        DSTFTTransformer(n_fft=32, max_iter=2).fit(X * scale)
    assert not [w for w in record if "rescale" in str(w.message) or "silent" in str(w.message)]


def test_transformer_warns_when_its_window_leaves_samples_out():
    # was: silent (the CLI and AdaptiveSpectrogram.adapt said it): a learned
    # window shorter than the fixed hop leaves samples between frames in no window
    with pytest.warns(UserWarning, match="lie in no window") as record, \
            warnings.catch_warnings():
        _ignore_budget_warnings()
        est = DSTFTTransformer(n_fft=64, hop_length=60, win_length_bounds=(8, 40),
                               max_iter=2).fit(X)
    assert est.win_length_ < 60
    assert "hop_length" in str(next(w for w in record if "no window" in str(w.message)).message)
    with warnings.catch_warnings():  # windows as long as the hop: no word
        warnings.simplefilter("error", UserWarning)
        _ignore_budget_warnings()
        DSTFTTransformer(n_fft=64, hop_length=8, max_iter=2).fit(X)


def _blas_threads():
    from threadpoolctl import threadpool_info
    return max(d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas")


@pytest.mark.parametrize("fit", [
    lambda: DSTFTClassifier(n_fft=32, max_iter=2, random_state=0).fit(X, Y[DSTFTClassifier]),
    lambda: DSTFTTransformer(n_fft=32, max_iter=2, criterion="supervised",
                             random_state=0).fit(X, Y[DSTFTClassifier]),
    lambda: DSTFTTransformer(n_fft=32, max_iter=2, criterion="supervised",
                             random_state=0).fit(X, Y[FrequencyTracker]),  # the ridge head
], ids=["classifier", "transformer", "transformer-regression"])
def test_supervised_heads_fit_with_one_blas_thread(fit, monkeypatch):
    # was: the heads' LogisticRegression/Ridge ran with OpenBLAS's default
    # threads (3.7 s against 0.13 s for one fit on a loaded 2-core machine),
    # where the unsupervised estimators pin BLAS to one thread during fit
    from threadpoolctl import threadpool_limits

    from skdstft.estimators import _heads, _task, _training
    seen, original = [], _heads.fit_linear_head

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return original(*args, **kwargs)

    for module in (_task, _training):
        monkeypatch.setattr(module, "fit_linear_head", spy)
    with threadpool_limits(limits=2, user_api="blas"), warnings.catch_warnings():
        _ignore_budget_warnings()
        fit()
    assert seen and set(seen) == {1}


@pytest.mark.parametrize("max_iter", [2, 6])
def test_classifier_huge_win_learning_rate_warns(max_iter):
    # was: silent; the first step of log(win_length) jumps to a bound, the
    # held-out loss there is worse, every later step is clipped to nothing
    # (Rprop calls that converged) and win_length_ stays at its start
    with pytest.warns(ConvergenceWarning, match=r"win_learning_rate=1e\+09") as record, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)
        est = DSTFTClassifier(n_fft=64, max_iter=max_iter, win_learning_rate=1e9,
                              random_state=0).fit(X, Y[DSTFTClassifier])
    assert est.win_length_ == 32.0 and est.win_length_curve_[-1] == 8.0
    assert "lower bound of win_length_bounds=(8, 62)" in str(
        next(w for w in record if "win_learning_rate" in str(w.message)).message)
    assert record[0].filename == __file__  # points at the caller's fit


def test_plain_numpy_criterion_is_told_to_use_autograd_numpy():
    # was: "TypeError: float() argument must be a string or a real number, not
    # 'ArrayBox'", which does not say what to change
    with pytest.raises(TypeError, match=r"autograd\.numpy \(import autograd\.numpy as np\).*"
                                        r"scalar.*not 'ArrayBox'") as info:
        DSTFTTransformer(n_fft=32, max_iter=2,
                         criterion=lambda S: float(np.sum(np.abs(S) ** 2))).fit(X)
    assert "float() argument" in str(info.value.__cause__)


@pytest.mark.parametrize("n_restarts", [1, 2])
def test_criterion_raising_chains_its_own_exception(n_restarts):
    # was: "RuntimeError: every restart failed: ZeroDivisionError: division by
    # zero" alone, the traceback into the user's criterion lost
    import traceback

    def criterion(S):
        return 1 / 0

    with pytest.raises(RuntimeError, match="every restart failed: ZeroDivisionError") as info:
        DSTFTTransformer(n_fft=32, max_iter=2, n_restarts=n_restarts, n_jobs=1,
                         criterion=criterion).fit(X)
    cause = info.value.__cause__
    assert isinstance(cause, ZeroDivisionError)
    assert any(frame.name == "criterion" for frame in traceback.extract_tb(cause.__traceback__))


def test_restarts_failing_differently_chain_the_first_error():
    from skdstft.optimize import run_restarts
    calls = []

    def fun(t):
        calls.append(1)
        raise (KeyError if len(calls) == 1 else ZeroDivisionError)("boom")

    with pytest.raises(RuntimeError, match="every restart failed") as info:
        run_restarts(fun, [1.0, 2.0], (0.0, 3.0), n_jobs=1)
    assert isinstance(info.value.__cause__, (KeyError, ZeroDivisionError))


def test_supervised_transformer_warns_once_at_a_bound():
    # was: two BoundWarnings for one event, the inner DSTFTClassifier's and the
    # transformer's
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = DSTFTTransformer(n_fft=64, max_iter=3, criterion="supervised",
                               win_length_bounds=(8, 9), random_state=0).fit(X, Y[DSTFTClassifier])
    bound = [str(w.message) for w in record if issubclass(w.category, BoundWarning)]
    assert est.at_bound_share_ == 1.0
    assert len(bound) == 1 and bound[0].startswith("DSTFTTransformer:"), bound


@pytest.mark.parametrize("cls", [DSTFTTransformer, AdaptiveSpectrogram, FrequencyTracker])
@pytest.mark.parametrize("power", [1e3, 1e9])
def test_power_above_its_bound_is_named(cls, power):
    # was: power=1e9 fitted silently to the starting window (criterion ~0),
    # FrequencyTracker(power=1e3) failed with "loss never finite" without
    # naming power
    with pytest.raises(ValueError, match=r"power must be <= 100 .*got " + re.escape(f"{power:g}")):
        _fit(cls, power=power)
    _fit(cls, power=100)  # the bound itself is accepted


# --------------------------------------------------------------------------- #
# rough edges that earlier trials noticed and left: warnings naming what the
# user called, one rule for "at a bound", R² on a constant target, one type
# for loss_curve_, set_params between fit and transform
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("solver", ["alternating", "adam"])
def test_classifier_warns_when_max_iter_stops_a_falling_loss(solver):
    # was: silent, where the other estimators warn (sklearn's MLPClassifier too)
    with pytest.warns(ConvergenceWarning, match=r"^DSTFTClassifier: the training stopped at "
                      r"max_iter=2 while the loss was still decreasing") as record, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)
        est = DSTFTClassifier(n_fft=32, max_iter=2, solver=solver,
                              random_state=0).fit(X, Y[DSTFTClassifier])
    assert est.n_iter_ == 2
    assert record[0].filename == __file__


def test_classifier_stopped_early_does_not_warn():
    rng = np.random.default_rng(1)
    Xc = rng.normal(size=(40, 400))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = DSTFTClassifier(n_fft=32, max_iter=50, n_iter_no_change=2,
                              random_state=0).fit(Xc, np.arange(40) % 2)
    assert est.n_iter_ < 50
    assert not [w for w in record if "still decreasing" in str(w.message)]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_estimator_words_max_iter_alike(cls):
    # one wording, the estimator named (the transformer said "before the loss
    # settled", the tracker named no estimator at all)
    with pytest.warns(ConvergenceWarning, match=rf"^{cls.__name__}: .* stopped at max_iter=1 "
                      r"while the loss was still decreasing \(by more than tol=.*raise max_iter"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)
        est = cls(n_fft=32, max_iter=1, tol=0.0)
        est.fit(X, Y[cls]) if cls in Y else est.fit(X)


def test_adam_huge_win_learning_rate_warns():
    # was: silent; Adam's first step of log(win_length) is the learning rate
    # whatever the gradient, so 1e6 throws the window to a bound, every later
    # step is clipped there, and only a BoundWarning ("lower
    # win_length_bounds[0]") spoke, with advice that cannot help
    Xa, ya = np.random.default_rng(0).normal(size=(40, 400)), np.arange(40) % 2
    kw = dict(n_fft=64, max_iter=4, solver="adam", batch_size=8, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"win_learning_rate=1e\+06") as record, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)
        est = DSTFTClassifier(win_learning_rate=1e6, **kw).fit(Xa, ya)
    message = next(w for w in record if "1e+06" in str(w.message))
    assert str(message.message).startswith("DSTFTClassifier: the window ended every epoch at the ")
    assert "lower win_learning_rate=1e+06" in str(message.message)
    assert message.filename == __file__
    assert est.win_length_ in (8.0, 62.0)
    with warnings.catch_warnings(record=True) as record:  # the default step: no such word
        warnings.simplefilter("always")
        DSTFTClassifier(**kw).fit(Xa, ya)
    assert not [w for w in record if "win_learning_rate" in str(w.message)]


def test_supervised_transformer_stall_warning_names_the_transformer(monkeypatch):
    # was: "DSTFTClassifier: the window search ended at ..., lower
    # win_learning_rate=0.25", an estimator and a parameter the user never met.
    # (A fit that stalls at a bound is hard to provoke since the window's
    # gradient goes through the refitted heads: the name the fit hands the
    # warning is checked, then the warning's words for that name.)
    from types import SimpleNamespace

    from skdstft.estimators import _training
    names = []
    real = _training._warn_stalled_at_bound
    monkeypatch.setattr(_training, "_warn_stalled_at_bound",
                        lambda *args: names.append(args[-1]) or real(*args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DSTFTTransformer(n_fft=64, max_iter=3, criterion="supervised", random_state=0).fit(
            X, Y[DSTFTClassifier])
    assert names == ["DSTFTTransformer"]
    with pytest.warns(ConvergenceWarning, match="window search ended") as record:
        real(SimpleNamespace(best_iter=1, n_iter=3), [20.0, 30.0, 62.0], (8.0, 62.0), 0.25,
             "DSTFTTransformer")
    message = str(record[0].message)
    assert message.startswith("DSTFTTransformer: ") and "widen win_length_bounds" in message
    assert "DSTFTClassifier" not in message and "win_learning_rate" not in message


@pytest.mark.parametrize("last", [8.0, 8.05, 8.5, 8.6, 30.0, 61.5, 61.95, 62.0])
def test_stall_warning_uses_the_one_at_a_bound_rule(last):
    # was: np.isclose (8.05 samples was "not at" the bound 8 of (8, 62)), where
    # every other bound warning calls within 1 % of hi - lo "at" a bound
    from types import SimpleNamespace

    from skdstft.estimators._base import at_bound_share
    from skdstft.estimators._training import _warn_stalled_at_bound
    result = SimpleNamespace(best_iter=1, n_iter=3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _warn_stalled_at_bound(result, [32.0, 20.0, last], (8.0, 62.0), 1e9, "DSTFTClassifier")
    assert bool(record) == (at_bound_share(last, (8.0, 62.0))[0] > 0)
    assert bool(record) == (last <= 8.54 or last >= 61.46)


@pytest.mark.parametrize("value", [0.1, 0.2, 440.1])
def test_tracker_score_on_a_constant_target_follows_r2_score(value):
    # was: about -5e29: r2_score divides by the squared deviations from the
    # rounded mean of six equal values (~1e-33) instead of meeting its own
    # convention for a constant y_true (1.0 when predicted exactly, else 0.0)
    from sklearn.metrics import r2_score
    y = np.full(6, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = FrequencyTracker(n_fft=32, max_iter=2, fs=1000.0).fit(X, y)
    assert est.score(X, y) == 0.0
    assert est.score(X, est.predict(X)) == 1.0
    y2 = np.linspace(0.1, 0.3, 6)  # any other target: r2_score's value itself
    assert est.score(X, y2) == pytest.approx(r2_score(y2, est.predict(X)), rel=1e-12)


def test_loss_curve_is_a_list_of_floats_everywhere():
    # was: an ndarray on DSTFTTransformer and AdaptiveSpectrogram, a list on
    # FrequencyTracker and DSTFTClassifier (scikit-learn's MLP: a list)
    fits = [_fit(cls) for cls in ESTIMATORS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits.append(DSTFTTransformer(n_fft=32, max_iter=2, criterion="supervised").fit(
            X, Y[DSTFTClassifier]))
    fits.append(_fit(DSTFTTransformer, window_mode="fixed"))
    for est in fits:
        assert type(est.loss_curve_) is list and est.loss_curve_, type(est).__name__
        assert all(type(v) is float for v in est.loss_curve_), type(est).__name__


@pytest.mark.parametrize("criterion, error", [
    (lambda S: anp.sum(np.abs(np.fft.fft(S))), "TypeError: ufunc 'fft' not supported"),
    (lambda S: anp.sum(np.asarray(np.abs(S), dtype=float) ** 2), "ValueError: setting an array"),
])
def test_plain_numpy_criterion_told_whatever_numpy_says(criterion, error):
    # was: the hint only when the exception's text contained "Box"; plain
    # numpy words the same failure "ufunc 'fft' not supported for the input
    # types" (shown raw) or raises a ValueError
    with pytest.raises(TypeError, match=r"autograd\.numpy \(import autograd\.numpy as np\)") as info:
        DSTFTTransformer(n_fft=32, max_iter=2, criterion=criterion).fit(X)
    assert error in str(info.value)


def test_criterion_own_type_error_is_not_explained_away():
    # an error of the criterion's own, though its text says "Box", is the user's: unchanged
    def criterion(S):
        raise TypeError("unsupported operand type(s) for *: 'BoxFilter' and 'float'")

    with pytest.raises(TypeError, match=r"^unsupported operand type\(s\) for \*: 'BoxFilter'"):
        DSTFTTransformer(n_fft=32, max_iter=2, criterion=criterion).fit(X)


@pytest.mark.parametrize("cls, call", [
    (DSTFTTransformer, "transform"), (DSTFTTransformer, "spectrogram"),
    (AdaptiveSpectrogram, "transform"), (FrequencyTracker, "predict"),
    (FrequencyTracker, "spectrogram"),
])
@pytest.mark.parametrize("n_fft", [16, 128])
def test_n_fft_set_after_fit_is_named(cls, call, n_fft):
    # was (n_fft=16): "cannot pool 9 values into 17 groups; use at most 9"
    # (transform), "win_length must lie in (0, n_fft - 2] = (0, 14]" (the
    # tracker); n_fft=128: other features, silently, from a window learned
    # for n_fft=32
    est = _fit(cls)
    expected = getattr(est, call)(X)
    est.set_params(n_fft=n_fft)
    with pytest.raises(ValueError, match=rf"n_fft={n_fft} was set after fit, which used "
                                         r"n_fft=32.*call fit again"):
        getattr(est, call)(X)
    est.set_params(n_fft=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(getattr(est, call)(X), expected)


def test_classifier_predicts_with_its_fitted_state_after_set_params():
    est = _fit(DSTFTClassifier)
    proba, names = est.predict_proba(X), est.get_feature_names_out()
    est.set_params(n_fft=16, n_bands=2, window="gaussian", hidden_layer_sizes=(3,))
    np.testing.assert_allclose(est.predict_proba(X), proba)
    np.testing.assert_array_equal(est.get_feature_names_out(), names)  # was: names for n_fft=16


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_signals_of_another_length_are_named_as_signals(cls):
    # was (all but the transformer): scikit-learn's bare "X has 300 features,
    # but AdaptiveSpectrogram is expecting 400 features as input", where a
    # feature is a sample and the fix (same length as at fit) is unsaid
    est = _fit(cls)
    call = est.transform if hasattr(est, "transform") else est.predict
    with pytest.raises(ValueError, match=r"^X has 300 features, but \w+ is expecting 400 features "
                                         r"as input: signals of 300 samples, fitted on 400"):
        call(X[:, :300])


def test_plot_of_a_batch_asks_for_one_signal():
    # was: the rows raveled end to end into one signal, drawn without a word
    import matplotlib
    matplotlib.use("Agg")
    from skdstft.plotting import SpectrogramDisplay
    est = _fit(DSTFTTransformer)
    with pytest.raises(ValueError, match=r"x must be one signal.*got shape \(6, 400\)"):
        SpectrogramDisplay.from_estimator(est, X)


def test_loss_curve_display_of_an_unfitted_estimator_says_not_fitted():
    # was: AttributeError "'DSTFTTransformer' object has no attribute 'loss_curve_'"
    from sklearn.exceptions import NotFittedError

    from skdstft.plotting import LossCurveDisplay
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LossCurveDisplay.from_estimator(DSTFTTransformer())


@pytest.mark.parametrize("fit", [
    lambda: DSTFTTransformer(n_fft=64, hop_length=60, win_length_bounds=(8, 40),
                             max_iter=2).fit_transform(X),
    lambda: DSTFTTransformer(n_fft=64, max_iter=2, criterion="supervised",
                             win_length_bounds=(8, 9)).fit(X, Y[DSTFTClassifier]),
    lambda: AdaptiveSpectrogram(n_fft=64, max_iter=2).set_output(transform="pandas").fit(X).transform(X),
    lambda: FrequencyTracker(n_fft=32, max_iter=1).fit(X[:, :4], Y[FrequencyTracker]),
], ids=["fit_transform", "supervised", "set_output", "tracker-short"])
def test_warnings_point_at_the_users_line(fit):
    # was: at scikit-learn's fit_transform / set_output wrapper or inside
    # skdstft (fixed stacklevels counted for one route into the code)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit()
    assert record
    assert {w.filename for w in record} == {__file__}, [(w.filename, str(w.message)[:60]) for w in record]


@pytest.mark.parametrize("display", ["SpectrogramDisplay", "WindowLengthDisplay"])
def test_plot_after_n_fft_set_after_fit_names_it(display):
    # was: the plot drew the learned window with the new n_fft (the plots read
    # the estimator's current n_fft, past transform's check)
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from skdstft import plotting

    est = _fit(DSTFTTransformer)
    est.set_params(n_fft=64)
    with pytest.raises(ValueError, match=r"n_fft=64 was set after fit, which used n_fft=32"):
        getattr(plotting, display).from_estimator(est, X[0])
