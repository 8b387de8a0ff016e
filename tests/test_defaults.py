"""Defaults that adapt, honest bounds, cheaper paths, input mistakes.

Reduced sizes run by default (the three-component signal at 1024 samples,
``n_fft=256``); the full table is ``benchmarks/bench_defaults.py``.
"""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdstft import AdaptiveSpectrogram, DSTFTClassifier, DSTFTTransformer, FrequencyTracker, losses
from skdstft.estimators import transformer as transformer_module
from skdstft.estimators._base import at_bound_share, warn_at_bounds
from skdstft.exceptions import BoundWarning
from skdstft.objective import RepresentationObjective
from skdstft.optimize import minimize
from skdstft.positions import frame_positions
from skdstft.signals import three_component


@pytest.fixture(scope="module")
def x3():
    return three_component(1024)


def _fm_chirp(n=2048):
    t = np.arange(n)
    f = 0.05 + 0.2 * t / n + 0.03 * np.sin(2 * np.pi * t / n)
    return np.cos(2 * np.pi * np.cumsum(f)) + 0.01 * np.random.default_rng(0).standard_normal(n)


# --------------------------------------------------------------------------- #
# 1. defaults that adapt
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("window_mode", ["time", "frequency", "time-frequency"])
@pytest.mark.parametrize("signal", ["three-component", "chirp"])
def test_auto_reg_reaches_half_the_unregularized_gain(x3, signal, window_mode):
    x = x3 if signal == "three-component" else _fm_chirp()
    est = AdaptiveSpectrogram(n_fft=256, window_mode=window_mode, max_iter=60)
    assert est.get_params()["reg"] == "auto"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)
        est.fit(x[None])
        auto = est.adapt(x)
        free = est.set_params(reg=0.0).adapt(x)
    gain_auto = auto.initial_criterion - auto.criterion
    gain_free = free.initial_criterion - free.criterion
    assert gain_free > 0
    assert gain_auto >= 0.5 * gain_free
    # ... with smoother windows than reg=0 (time mode: at least no rougher)
    assert auto.smoothness <= free.smoothness + 1e-12
    if window_mode != "time":
        assert auto.smoothness <= 0.5 * free.smoothness
    # the weight used, and the threshold it derives from, are reported
    assert 0 < auto.reg < auto.reg_max and free.reg == 0.0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_reg_threshold_is_the_lasso_threshold(x3):
    """Above reg_max the constant window stays put (exact along one axis);
    well below it, it moves."""
    est = AdaptiveSpectrogram(n_fft=256, window_mode="frequency", max_iter=30).fit(x3[None])
    reg_max = est.adapt(x3).reg_max
    assert reg_max > 0
    above = est.set_params(reg=1.01 * reg_max).adapt(x3)
    assert above.converged and above.n_iter == 0 and np.ptp(above.win_lengths) == 0
    assert "reg_max" in above.message
    below = est.set_params(reg=0.05 * reg_max).adapt(x3)
    assert np.ptp(below.win_lengths) > 0
    assert below.criterion < below.initial_criterion


def test_reg_threshold_matches_a_kink_check():
    """The threshold of a time-varying window against its definition: at the
    constant window, the loss with reg above reg_max rises along
    every direction that changes one prefix of frames (the cuts the formula
    uses), and with reg below it falls along the steepest one."""
    x = _fm_chirp(1024)
    n_fft, hop = 128, 32
    n_frames = 1 + 1024 // hop
    kw = dict(n_fft=n_fft, n_frames=n_frames, window_mode="time",
              positions=frame_positions(1024, hop), win_bounds=(8.0, 126.0),
              scope="frame", normalization="l2", reg_scale=60.0)
    obj = RepresentationObjective(x[None], **kw)
    theta0, _ = obj.pack(60.0)
    reg_max = obj.reg_threshold(theta0)
    assert reg_max > 0
    # one-sided directional derivatives: the criterion's by a small finite
    # difference (it is smooth), the penalty's by a step much larger than
    # sqrt(eps_R) = 0.1 sample, where R is nearly |d| (positively homogeneous)
    h, big = 1e-3, 50.0
    crit0, R0 = float(obj(theta0)), float(losses.smoothness(theta0[None], scale=60.0))
    slopes = {}
    for n in range(1, n_frames):
        for sign in (1.0, -1.0):
            d = np.zeros(n_frames)
            d[:n] = sign
            d -= d.mean()  # no uniform shift: the penalty does not see it
            dc = (float(obj(theta0 + h * d)) - crit0) / h
            dR = (float(losses.smoothness((theta0 + big * d)[None], scale=60.0)) - R0) / big
            slopes[n, sign] = (dc, dR)
    for reg, sign in ((1.02 * reg_max, 1), (0.98 * reg_max, -1)):
        steepest = min(dc + reg * dR for dc, dR in slopes.values())
        assert np.sign(steepest) == sign, (reg / reg_max, steepest)


def test_adam_stops_at_a_kink_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = minimize(lambda t: anp.sum(anp.sqrt((t - 3.0) ** 2 + 1e-12)), 1.0, (0.0, 10.0),
                       method="adam", learning_rate=0.05, max_iter=500, tol=1e-6)
    assert res.converged and res.n_iter < 500
    assert abs(float(res.x) - 3.0) < 0.2


def test_adam_stops_at_a_bound_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = minimize(lambda t: -anp.sum(t), np.ones(4), (0.0, 10.0), method="adam",
                       learning_rate=0.05, max_iter=500, tol=0.0)
    assert res.converged and "bound" in res.message
    np.testing.assert_allclose(res.x, 10.0)
    assert res.n_iter < 100


def test_convergence_warning_only_when_still_decreasing():
    with pytest.warns(ConvergenceWarning, match="still decreasing"):
        res = minimize(lambda t: anp.sum((t - 9.0) ** 2), 0.0, (0.0, 10.0), method="adam",
                       learning_rate=0.01, max_iter=5, tol=1e-9)
    assert not res.converged


def test_default_adaptation_converges_without_warning():
    """The defaults move the window (before the defaults were tuned it stayed at
    529.1, criterion 3.59289 -> 3.59289, with "raise max_iter") and say nothing wrong."""
    x = three_component()
    est = AdaptiveSpectrogram(n_fft=1024, window_mode="time", random_state=0).fit(x[None])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", BoundWarning)
        r = est.adapt(x)
    assert r.converged
    assert r.criterion < r.initial_criterion - 1e-3
    assert np.ptp(r.win_lengths) > 1


# --------------------------------------------------------------------------- #
# 2. honest bounds
# --------------------------------------------------------------------------- #
def test_at_bound_share_and_message():
    """Pinned to at_bound_share/warn_at_bounds because no fit lands its
    per-frame lengths exactly on the 1 % band and the 5 % threshold; the
    estimators' use of them is tested through at_bound_share_ below."""
    assert at_bound_share(100.0, (8.0, 510.0)) == (0.0, 0.0, 0.0)
    assert at_bound_share(506.0, (8.0, 510.0))[2] == 1.0  # within 1 % of 502
    with pytest.warns(BoundWarning, match=r"upper bound 510.*raise n_fft \(now 512"):
        assert warn_at_bounds(510.0, (8.0, 510.0), "Est", n_fft=512) == 1.0
    with pytest.warns(BoundWarning, match=r"lower bound 8.*win_length_bounds\[0\]"):
        warn_at_bounds(8.0, (8.0, 510.0), "Est", n_fft=512)
    with pytest.warns(BoundWarning, match=r"upper bound 300.*win_length_bounds\[1\]"):
        warn_at_bounds(300.0, (8.0, 300.0), "Est", n_fft=512)
    lam = np.full(100, 200.0)
    lam[:5] = 510.0  # 5 %: not more than 5 %
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundWarning)
        assert warn_at_bounds(lam, (8.0, 510.0), "Est") == pytest.approx(0.05)
    lam[5] = 8.0
    with pytest.warns(BoundWarning, match=r"6 %.*upper bound 510 samples \(5 %\).*lower "
                                          r"bound 8 samples \(1 %\)"):
        warn_at_bounds(lam, (8.0, 510.0), "Est", n_fft=512)


def _bound_warnings(record):
    return [w for w in record if issubclass(w.category, BoundWarning)]


def test_transformer_warns_on_white_noise():
    """White noise: the flattest picture is the shortest window (8 samples)."""
    X = np.random.default_rng(0).standard_normal((4, 2048))
    with pytest.warns(BoundWarning, match="lower bound 8 samples") as record:
        est = DSTFTTransformer(n_fft=256, random_state=0).fit(X)
    assert est.at_bound_share_ == 1.0
    assert len(_bound_warnings(record)) == 1


def test_transformer_warns_at_the_upper_bound_and_names_n_fft():
    t = np.arange(4096)
    X = np.sin(2 * np.pi * 0.1 * t)[None] * np.ones((2, 1))
    with pytest.warns(BoundWarning, match=r"upper bound 62 samples: raise n_fft \(now 64"):
        est = DSTFTTransformer(n_fft=64).fit(X)
    assert est.at_bound_share_ == 1.0


def test_no_bound_warning_inside_the_range(x3):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundWarning)
        est = DSTFTTransformer(n_fft=1024, hop_length=256).fit(three_component()[None])
    assert est.at_bound_share_ == 0.0
    assert 100 < est.win_length_ < 1000
    # a fixed window learns nothing, so it is never "at" a bound
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundWarning)
        fixed = DSTFTTransformer(n_fft=64, window_mode="fixed", win_length=62.0).fit(x3[None])
    assert fixed.at_bound_share_ == 0.0


def test_adaptive_warns_for_varying_windows_and_exposes_the_share():
    t = np.arange(2048)
    x = np.sin(2 * np.pi * 0.1 * t)  # a pure tone: longer is always sharper
    with pytest.warns(BoundWarning, match="fitted constant window length"):
        est = AdaptiveSpectrogram(n_fft=64, window_mode="time", max_iter=20).fit(x[None])
    assert est.at_bound_share_ == 1.0
    with pytest.warns(BoundWarning, match=r"% of the adapted window lengths.*n_fft"):
        r = est.adapt(x)
    assert r.at_bound_share > 0.05
    with pytest.warns(BoundWarning, match=r"transform \(2 of 2 signals\)"):
        est.transform(np.stack([x, x]))


def test_frequency_tracker_and_classifier_expose_the_share():
    rng = np.random.default_rng(0)
    t = np.arange(1024)
    f = rng.uniform(0.1, 0.2, 6)
    X = np.sin(2 * np.pi * f[:, None] * t) + 0.01 * rng.standard_normal((6, 1024))
    with pytest.warns(BoundWarning, match="FrequencyTracker.*upper bound"):
        tracker = FrequencyTracker(n_fft=64, hop_length=16, max_iter=30).fit(X, f)
    assert tracker.at_bound_share_ == 1.0
    y = (f > 0.15).astype(int)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf = DSTFTClassifier(n_fft=64, hop_length=16, max_iter=5, random_state=0).fit(X, y)
    # the warning and the attribute say the same thing
    assert (len(_bound_warnings(record)) > 0) == (clf.at_bound_share_ > 0)
    assert clf.at_bound_share_ == at_bound_share(clf.win_length_, (8.0, 62.0))[0]


# --------------------------------------------------------------------------- #
# 3. cheaper paths
# --------------------------------------------------------------------------- #
def test_fixed_fit_computes_no_spectrogram(monkeypatch):
    """Pinned to the transformer module's dstft and the objective's methods
    because no public behaviour shows a spectrogram was computed (only time)."""
    def forbidden(*args, **kwargs):
        raise AssertionError("window_mode='fixed' must not compute a spectrogram at fit")

    monkeypatch.setattr(transformer_module, "dstft", forbidden)
    monkeypatch.setattr(RepresentationObjective, "__call__", forbidden)
    monkeypatch.setattr(RepresentationObjective, "value_and_grad", forbidden)
    X = np.random.default_rng(0).standard_normal((3, 1000))
    est = DSTFTTransformer(n_fft=64, window_mode="fixed", n_bands=4, n_segments=4).fit(X)
    assert est.n_iter_ == 0 and np.isnan(est.loss_)
    monkeypatch.undo()
    assert est.transform(X).shape == (3, 16)
    # the criterion is still available on request
    assert np.isfinite(est.criterion_curve(X, [est.win_length_])[0])


def test_displays_reuse_a_result(x3, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skdstft.plotting import (
        FrameLayoutDisplay,
        LossCurveDisplay,
        SpectrogramDisplay,
        WindowLengthDisplay,
    )

    for mode in ("frequency", "time"):
        est = AdaptiveSpectrogram(n_fft=64, window_mode=mode, max_iter=5).fit(x3[None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundWarning)
            r = est.adapt(x3)

        def no_second_adaptation(x):
            raise AssertionError("the display adapted again")

        monkeypatch.setattr(est, "adapt", no_second_adaptation)
        disp = SpectrogramDisplay.from_estimator(est, x3, result=r)
        assert disp.ax_ is not None
        WindowLengthDisplay.from_estimator(est, result=r)
        LossCurveDisplay.from_estimator(est, result=r)
        frames = FrameLayoutDisplay.from_estimator(est, x3, result=r)
        assert frames.ax_ is not None
        monkeypatch.undo()
        plt.close("all")


# --------------------------------------------------------------------------- #
# 4. input mistakes
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("make", [
    lambda: DSTFTTransformer(n_fft=64, window_mode="fixed"),
    lambda: AdaptiveSpectrogram(n_fft=64, max_iter=2),
])
def test_a_column_signal_warns(x3, make):
    with pytest.warns(UserWarning, match=r"x\[None, :\]"):
        make().fit(x3[:200, None])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", BoundWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        make().fit(x3[None, :200])


def test_a_column_dataframe_warns(x3):
    pd = pytest.importorskip("pandas")
    with pytest.warns(UserWarning, match="one signal per row"):
        DSTFTTransformer(n_fft=64, window_mode="fixed").fit(pd.DataFrame({"x": x3[:100]}))


@pytest.mark.parametrize("criterion, error, match", [
    (lambda S: anp.abs(S).sum(axis=-1), ValueError, "scalar"),
    (lambda S: anp.sum(anp.abs(S)) * np.nan, ValueError, "finite number"),
    (lambda S: "low", TypeError, "real number"),
])
def test_bad_callable_criterion(x3, criterion, error, match):
    for est in (DSTFTTransformer(n_fft=64, criterion=criterion, max_iter=3),
                AdaptiveSpectrogram(n_fft=64, criterion=criterion, max_iter=3)):
        with pytest.raises(error, match=match):
            est.fit(x3[None])


@pytest.mark.slow
def test_acceptance_table_full_size():
    """The defaults' table at full size (benchmarks/bench_defaults.py): in every
    mode, on the three-component signal, an FSDD recording (when present)
    and an FM chirp, the default reaches at least half of reg=0's gain."""
    from benchmarks.bench_defaults import run

    rows = run()
    assert len(rows) >= 6
    for row in rows:
        assert row["gain_reg0"] > 0, row
        assert row["ratio"] >= 0.5, row
        if row["mode"] != "time":
            assert row["R_default"] <= 0.5 * row["R_reg0"], row


def test_a_per_signal_callable_criterion_is_averaged(x3):
    """One value per signal of the batch is a valid criterion (the mean is
    taken), unlike other arrays."""
    X = np.stack([x3, x3[::-1]])

    def per_signal(S):
        A = anp.abs(S)
        return anp.sum(A, axis=(1, 2)) / anp.sum(A**2, axis=(1, 2)) ** 0.5

    est = DSTFTTransformer(n_fft=64, criterion=per_signal, max_iter=5).fit(X)
    assert np.isfinite(est.loss_)
