"""Numerical edge cases and optimizer robustness.

Signals: all zeros, a constant, a single impulse, amplitudes 1e-30 and 1e+30,
float32 (random, tiny, huge, zeros). For each: finite DSTFT in every window
mode, finite values of every loss and finite gradients with respect to the
signal, the window lengths and the positions; finite fitted parameters,
losses and features for every estimator. Then the optimizer through the
estimators: a NaN region, max_iter and restarts that raise.
"""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.tracer import getval
from sklearn.exceptions import ConvergenceWarning

from skdstft import AdaptiveSpectrogram, DSTFTClassifier, DSTFTTransformer, FrequencyTracker, dstft, losses

N, N_FFT, HOP = 128, 32, 8
T = 1 + N // HOP
F = N_FFT // 2 + 1
POS = np.arange(T) * float(HOP)
_noise = np.random.default_rng(7).standard_normal(N)

SIGNALS = {
    "zeros": np.zeros(N),
    "constant": np.full(N, 3.0),
    "impulse": np.eye(1, N, 60)[0],
    "tiny-1e-30": 1e-30 * _noise,
    "huge-1e+30": 1e30 * _noise,
    "float32": _noise.astype(np.float32),
    "float32-tiny": (1e-30 * _noise).astype(np.float32),
    "float32-huge": (1e30 * _noise).astype(np.float32),
    "float32-zeros": np.zeros(N, np.float32),
}

MODES = {
    "constant": 20.0,
    "time": np.linspace(12.0, 28.0, T)[None, :],
    "frequency": np.linspace(12.0, 28.0, F)[:, None],
    "time-frequency": np.full((F, T), 20.0) + np.arange(T)[None, :] * 0.5,
}

LOSSES = {
    "shannon": lambda S: losses.shannon_entropy(S),
    "shannon-power2": lambda S: losses.shannon_entropy(S, power=2),
    "shannon-power0.5": lambda S: losses.shannon_entropy(S, power=0.5),
    "shannon-frame": lambda S: losses.shannon_entropy(S, scope="frame"),
    "renyi": lambda S: losses.renyi_entropy(S),
    "renyi-alpha0.5-frame": lambda S: losses.renyi_entropy(S, alpha=0.5, scope="frame"),
    "kurtosis": lambda S: anp.mean(losses.frame_kurtosis(S)),
    "kurtosis-power0.5": lambda S: anp.mean(losses.frame_kurtosis(S, power=0.5)),
    "frequency": lambda S: anp.mean(losses.frequency_estimate(S, fs=16000.0)),
    "frequency-band": lambda S: anp.mean(losses.frequency_estimate(S, band=(0.1, 0.3))),
}


def _all_finite(value):
    return bool(np.all(np.isfinite(np.asarray(getval(value)))))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("signal", list(SIGNALS))
def test_transform_losses_and_gradients_are_finite(signal, mode):
    x, lam = SIGNALS[signal], MODES[mode]
    S = dstft(x, lam, POS, n_fft=N_FFT)
    assert S.dtype == (np.complex64 if x.dtype == np.float32 else np.complex128)
    assert _all_finite(S)
    args = [x, lam, POS]
    for name, loss in LOSSES.items():
        assert _all_finite(loss(S)), name
        for i, arg in enumerate(args):
            def f(a, i=i):
                call = list(args)
                call[i] = a
                return loss(dstft(call[0], call[1], call[2], n_fft=N_FFT))
            g = grad(f)(arg)
            assert np.shape(g) == np.shape(arg)
            assert _all_finite(g), f"{name}: gradient {['x', 'win_length', 'positions'][i]}"


@pytest.mark.parametrize("signal", ["zeros", "impulse", "float32-zeros"])
def test_penalties_have_finite_gradients(signal):
    lam = MODES["time-frequency"]
    g = grad(lambda v: losses.smoothness(v, scale=20.0))(lam)
    assert _all_finite(g)
    g = grad(lambda v: losses.smoothness(v))(np.full((1, T), 20.0))  # equal lengths: sqrt(eps)
    assert _all_finite(g) and np.all(g == 0)
    gp = grad(lambda p: losses.coverage_penalty(p, lam, N))(POS)
    gl = grad(lambda v: losses.coverage_penalty(POS, v, N))(lam)
    assert _all_finite(gp) and _all_finite(gl)


def test_power_below_one_on_silent_bins_regression():
    """|S|**0.5 has an infinite slope at 0: silent frames used to make every
    gradient NaN (autograd: 0 * inf). They now contribute 0."""
    x = np.zeros(N)
    x[52:68] = np.cos(2 * np.pi * 0.2 * np.arange(16))  # frames far from the burst are all zero
    S = dstft(x, 20.0, POS, n_fft=N_FFT)
    assert np.any(np.abs(S).max(axis=0) == 0)
    for fn in (losses.shannon_entropy, losses.renyi_entropy,
               lambda s, power: anp.mean(losses.frame_kurtosis(s, power=power))):
        g = grad(lambda lam: fn(dstft(x, lam, POS, n_fft=N_FFT), power=0.5))(20.0)
        assert np.isfinite(g) and g != 0


@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_criteria_are_scale_invariant_to_the_last_bits(scale):
    """Normalizing by the max (outside the tape) keeps values and gradients
    of the scale-free criteria independent of the amplitude."""
    x = _noise
    for name in ("shannon", "renyi", "kurtosis", "frequency"):
        loss = LOSSES[name]
        v1 = loss(dstft(x, 20.0, POS, n_fft=N_FFT))
        v2 = loss(dstft(x * scale, 20.0, POS, n_fft=N_FFT))
        assert float(v2) == pytest.approx(float(v1), rel=1e-9), name
        g1 = grad(lambda lam: loss(dstft(x, lam, POS, n_fft=N_FFT)))(20.0)
        g2 = grad(lambda lam: loss(dstft(x * scale, lam, POS, n_fft=N_FFT)))(20.0)
        assert g2 == pytest.approx(g1, rel=1e-6, abs=1e-12), name


def test_all_zero_signal_values_are_documented():
    S = dstft(np.zeros(N), 20.0, POS, n_fft=N_FFT)
    assert np.all(S == 0)
    assert losses.shannon_entropy(S) == 0.0
    np.testing.assert_array_equal(losses.frame_kurtosis(S), 0.0)
    np.testing.assert_array_equal(losses.frequency_estimate(S), 0.0)


# -- estimators on edge signals ----------------------------------------------------
EST_SIGNALS = {k: np.tile(v, (3, 1)) for k, v in SIGNALS.items()
               if k in ("zeros", "constant", "impulse", "tiny-1e-30", "huge-1e+30", "float32")}


def _fit_and_output(est, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X) if y is None else est.fit(X, y)
        out = est.transform(X) if hasattr(est, "transform") else est.predict(X)
    return est, np.asarray(out)


ESTIMATOR_CONFIGS = {
    "transformer-constant": lambda: DSTFTTransformer(n_fft=N_FFT, max_iter=8, n_bands=4,
                                                     n_segments=2),
    "transformer-time-window-and-hop": lambda: DSTFTTransformer(
        n_fft=N_FFT, window_mode="time", hop_mode="time", max_iter=5, n_bands=4, n_segments=2),
    "transformer-constant-hop-kurtosis": lambda: DSTFTTransformer(
        n_fft=N_FFT, hop_mode="constant", criterion="kurtosis", max_iter=5, n_bands=4,
        n_segments=2),
    "transformer-renyi-power0.5": lambda: DSTFTTransformer(
        n_fft=N_FFT, criterion="renyi", power=0.5, max_iter=5, n_bands=4, n_segments=2),
    "tracker-constant": lambda: FrequencyTracker(n_fft=N_FFT, hop_length=HOP, max_iter=5),
    "tracker-time-ridge": lambda: FrequencyTracker(n_fft=N_FFT, hop_length=HOP, max_iter=5,
                                                   window_mode="time", method="ridge"),
    "adaptive-time": lambda: AdaptiveSpectrogram(n_fft=N_FFT, window_mode="time", max_iter=5),
    "classifier": lambda: DSTFTClassifier(n_fft=N_FFT, max_iter=5),
}


@pytest.mark.parametrize("signal", list(EST_SIGNALS))
@pytest.mark.parametrize("config", list(ESTIMATOR_CONFIGS))
def test_estimators_fit_edge_signals_to_finite_results(config, signal):
    X = EST_SIGNALS[signal]
    y = None
    if config.startswith("tracker"):
        y = np.full((len(X), T), 0.1)
    elif config.startswith("classifier"):
        y = np.arange(len(X)) % 2
    est, out = _fit_and_output(ESTIMATOR_CONFIGS[config](), X, y)
    assert np.all(np.isfinite(out))
    assert np.all(np.isfinite(est.win_length_))
    if hasattr(est, "loss_"):
        assert np.isfinite(est.loss_)


# -- the optimizer, seen through DSTFTTransformer --------------------------------------
TONE = np.cos(2 * np.pi * 0.125 * np.arange(256))[None, :] * np.ones((2, 1))


class EnergyNaNBelow:
    """sum |S|^2 (normalization=None: grows with the window length, so the
    optimizer walks down) -- NaN once the peak, about lam / 4 for a unit tone,
    drops below ``limit / 4``: a region the descent runs into."""

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, S):
        peak = float(np.max(np.abs(getval(S))))
        energy = anp.sum(anp.abs(S) ** 2) / 1e4
        return energy * np.nan if peak < self.limit / 4 else energy


class RaisesAbove:
    """sum |S|^2, but raises when the window is longer than ``limit``: the
    restarts drawn above it fail at their first evaluation."""

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, S):
        if float(np.max(np.abs(getval(S)))) > self.limit / 4:
            raise FloatingPointError(f"window above {self.limit}")
        return anp.sum(anp.abs(S) ** 2) / 1e4


def test_a_nan_region_keeps_the_best_finite_iterate():
    est = DSTFTTransformer(n_fft=64, hop_length=16, win_length=50.0, normalization=None,
                           criterion=EnergyNaNBelow(limit=30.0), max_iter=50,
                           n_bands=4, n_segments=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(TONE)
    assert np.isfinite(est.loss_) and np.isfinite(est.win_length_)
    assert 28.0 <= est.win_length_ < 50.0  # moved down, stopped at the NaN border
    assert est.loss_ == pytest.approx(float(est.criterion_curve(TONE, [est.win_length_])[0]))
    assert est.loss_ == np.nanmin(np.where(np.isfinite(est.loss_curve_), est.loss_curve_, np.nan))
    assert np.all(np.isfinite(est.transform(TONE)))


def test_max_iter_warns_convergence():
    est = DSTFTTransformer(n_fft=64, win_length=20.0, max_iter=1, n_bands=4, n_segments=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        est.fit(TONE + np.random.default_rng(0).standard_normal(TONE.shape))
    assert est.n_iter_ == 1 and np.isfinite(est.loss_)


def test_failing_restarts_are_reported_and_the_others_kept():
    est = DSTFTTransformer(n_fft=64, hop_length=16, win_length=20.0, normalization=None,
                           criterion=RaisesAbove(limit=30.0), n_restarts=6, random_state=3,
                           max_iter=30, n_bands=4, n_segments=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(TONE)
    table = est.restarts_
    failed = table[~np.isfinite(table["loss"])]
    kept = table[np.isfinite(table["loss"])]
    assert len(failed) >= 1 and len(kept) >= 1, table
    assert (failed["init"] > 30.0).all()
    assert failed["message"].str.contains("FloatingPointError: window above 30").all()
    assert not failed["best"].any() and kept["best"].sum() == 1
    assert est.loss_ == kept["loss"].min()
    assert np.isfinite(est.win_length_) and est.win_length_ <= 30.0


def test_every_restart_failing_is_one_clear_error():
    est = DSTFTTransformer(n_fft=64, win_length=40.0, normalization=None,
                           criterion=RaisesAbove(limit=10.0), n_restarts=2, random_state=0,
                           win_length_bounds=(20.0, 62.0))
    with pytest.raises(RuntimeError, match="every restart failed: FloatingPointError"):
        est.fit(TONE)
