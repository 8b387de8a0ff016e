"""Tests of the paper's synthetic signals (skdstft.signals)."""

import numpy as np
import pytest

import skdstft
from skdstft.signals import (
    get_example,
    list_examples,
    multi_harmonic,
    three_component,
    transient_shocks,
    variable_period_sines,
)


def magnitude_entropy(S):
    """Shannon entropy of p = |S| / sum |S| (math.md §5, power 1, global)."""
    A = np.abs(S)
    p = A / A.sum()
    return float(-(p * np.log(p + 1e-12)).sum())


# --------------------------------------------------------------------------- #
# shared behaviour
# --------------------------------------------------------------------------- #
GENERATORS = {
    "three_component": lambda rs: three_component(n_samples=1024, random_state=rs),
    "transient_shocks": lambda rs: transient_shocks(n_samples=1024, n_shocks=4, random_state=rs),
    "variable_period_sines": lambda rs: variable_period_sines(
        n_signals=3, n_samples=1024, n_fft=128, hop_length=64, random_state=rs
    ),
    "multi_harmonic": lambda rs: multi_harmonic(n_samples=4096, random_state=rs),
}


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_deterministic_given_seed(name):
    make = GENERATORS[name]
    a, b, c = _first(make(0)), _first(make(0)), _first(make(1))
    assert a.dtype == np.float64
    assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_random_state(name):
    make = GENERATORS[name]
    a = _first(make(np.random.default_rng(5)))
    b = _first(make(np.random.default_rng(5)))
    np.testing.assert_array_equal(a, b)
    _first(make(None))  # fresh entropy works
    _first(make(np.random.RandomState(0)))


@pytest.mark.parametrize(
    "bad, exc", [("seed", TypeError), (1.5, TypeError), (True, TypeError), (-1, ValueError)]
)
def test_bad_random_state(bad, exc):
    with pytest.raises(exc, match="random_state"):
        three_component(random_state=bad)


# --------------------------------------------------------------------------- #
# three_component
# --------------------------------------------------------------------------- #
def test_three_component_shapes_and_components():
    x = three_component()
    assert x.shape == (4096,)
    x, parts = three_component(n_samples=2048, return_components=True)
    assert x.shape == (2048,)
    total = parts["nonstationary"] + parts["stationary"] + parts["transient"] + parts["noise"]
    np.testing.assert_allclose(x, total)
    f = parts["nonstationary_frequency"]
    assert 0 < f.min() and f.max() < 0.5
    # the stationary tone is gated: off at the start and the end
    assert np.abs(parts["stationary"][:50]).max() < 1e-2
    assert np.abs(parts["stationary"][-200:]).max() < 1e-2
    # the transient is short
    energy = parts["transient"] ** 2
    assert np.count_nonzero(energy > 1e-6 * energy.max()) < 60


def test_three_component_noise_std():
    _x0, p0 = three_component(noise_std=0.0, return_components=True)
    assert np.all(p0["noise"] == 0)
    _, p = three_component(noise_std=0.1, return_components=True)
    assert abs(p["noise"].std() - 0.1) < 0.01


def test_three_component_entropy_has_interior_minimum():
    x = three_component()
    n_samples = x.size
    positions = skdstft.frame_positions(n_samples, 256)
    lams = np.arange(16, 1022, 16)
    curve = np.array(
        [magnitude_entropy(skdstft.dstft(x, float(lam), positions, n_fft=1024)) for lam in lams]
    )
    i = int(np.argmin(curve))
    assert 0 < i < lams.size - 1
    assert 150 <= lams[i] <= 900, lams[i]
    # clearly interior: both ends are noticeably worse than the minimum
    assert curve[0] - curve[i] > 0.5
    assert curve[-1] - curve[i] > 0.1
    # and the curve is unimodal on this grid (decreases, then increases)
    d = np.diff(curve)
    assert np.all(d[:i] < 0) and np.all(d[i:] > 0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_samples": 10}, ValueError, "n_samples"),
        ({"n_samples": 100.0}, TypeError, "n_samples"),
        ({"noise_std": -1}, ValueError, "noise_std"),
        ({"noise_std": "a"}, TypeError, "noise_std"),
        ({"return_components": "yes"}, TypeError, "return_components"),
    ],
)
def test_three_component_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        three_component(**kwargs)


# --------------------------------------------------------------------------- #
# transient_shocks
# --------------------------------------------------------------------------- #
def test_transient_shocks_snr_and_info():
    x, info = transient_shocks(return_info=True)
    assert x.shape == (4096,)
    np.testing.assert_allclose(x, info["clean"] + info["noise"])
    snr = 10 * np.log10(np.mean(info["clean"] ** 2) / np.mean(info["noise"] ** 2))
    assert abs(snr - 20.0) < 0.5
    for key in ("onsets", "frequencies", "durations", "decay_times", "amplitudes"):
        assert info[key].shape == (6,)
    assert np.all(np.diff(info["onsets"]) > 0)
    assert np.all((info["frequencies"] > 0) & (info["frequencies"] < 0.5))
    assert np.ptp(info["frequencies"]) > 0.05 and np.ptp(info["durations"]) > 10
    # nothing before the first onset except noise
    first = int(info["onsets"][0])
    assert np.all(info["clean"][:first] == 0)


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 30.0])
def test_transient_shocks_other_snr(snr_db):
    _, info = transient_shocks(n_samples=8192, snr_db=snr_db, random_state=3, return_info=True)
    snr = 10 * np.log10(np.mean(info["clean"] ** 2) / np.mean(info["noise"] ** 2))
    assert abs(snr - snr_db) < 0.5


def test_transient_shocks_noiseless_and_validation():
    x, info = transient_shocks(snr_db=np.inf, return_info=True)
    np.testing.assert_array_equal(x, info["clean"])
    assert transient_shocks(n_samples=2048).shape == (2048,)
    with pytest.raises(ValueError, match="n_samples"):
        transient_shocks(n_samples=100, n_shocks=6)
    with pytest.raises(ValueError, match="n_shocks"):
        transient_shocks(n_shocks=0)
    with pytest.raises(TypeError, match="snr_db"):
        transient_shocks(snr_db="20")
    with pytest.raises(ValueError, match="snr_db"):
        transient_shocks(snr_db=np.nan)


# --------------------------------------------------------------------------- #
# variable_period_sines
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("n_samples, hop", [(4096, 128), (1000, 100), (1001, 64), (2048, 256.0)])
def test_variable_period_sines_shapes_align_with_frames(n_samples, hop):
    X, Y = variable_period_sines(n_signals=5, n_samples=n_samples, n_fft=256, hop_length=hop)
    T = skdstft.frame_positions(n_samples, hop).shape[0]
    assert X.shape == (5, n_samples) and Y.shape == (5, T)
    assert T == 1 + n_samples // int(hop)


def test_variable_period_sines_targets_in_range_and_smooth():
    fs = 8000.0
    X, Y = variable_period_sines(n_signals=20, n_samples=4096, n_fft=512, hop_length=128, fs=fs)
    assert np.all(Y > 0) and np.all(Y < fs / 2)
    assert Y.min() >= 0.15 * fs - 1e-9 and Y.max() <= 0.35 * fs + 1e-9
    # the frequency really varies
    assert np.all(np.ptp(Y, axis=1) > 0.02 * fs)
    # smooth: on a fine hop the frame-to-frame change is small compared with
    # the range, and the second difference much smaller still
    _, Yf = variable_period_sines(n_signals=20, n_samples=4096, n_fft=512, hop_length=16, fs=fs)
    steps = np.abs(np.diff(Yf, axis=1))
    assert steps.max() < 0.1 * (0.2 * fs)
    assert np.abs(np.diff(Yf, 2, axis=1)).max() < 0.2 * steps.max()
    # Y scales with fs, X does not
    X1, Y1 = variable_period_sines(n_signals=20, n_samples=4096, n_fft=512, hop_length=128, fs=1.0)
    np.testing.assert_allclose(X, X1)
    np.testing.assert_allclose(Y, Y1 * fs)


def test_variable_period_sines_y_is_the_true_frequency():
    # noiseless: the phase derivative at the frame centres equals Y
    n_samples, hop = 2048, 128
    X, Y = variable_period_sines(n_signals=2, n_samples=n_samples, hop_length=hop, noise_std=0.0)
    analytic = np.fft.ifft(
        np.fft.fft(X, axis=1)
        * np.r_[1, 2 * np.ones(n_samples // 2 - 1), 1, np.zeros(n_samples // 2 - 1)],
        axis=1,
    )
    inst = np.diff(np.unwrap(np.angle(analytic), axis=1), axis=1) / (2 * np.pi)
    centres = (np.arange(Y.shape[1]) * hop).astype(int)
    inner = (centres > 200) & (centres < n_samples - 200)
    np.testing.assert_allclose(inst[:, centres[inner]], Y[:, inner], atol=5e-3)


def test_variable_period_sines_validation():
    with pytest.raises(ValueError, match="freq_range"):
        variable_period_sines(freq_range=(0.1, 0.6))
    with pytest.raises(TypeError, match="freq_range"):
        variable_period_sines(freq_range=0.2)
    with pytest.raises(ValueError, match="n_fft"):
        variable_period_sines(n_fft=511)
    with pytest.raises(ValueError, match="hop_length"):
        variable_period_sines(hop_length=0)
    with pytest.raises(TypeError, match="hop_length"):
        variable_period_sines(hop_length="10")
    with pytest.raises(ValueError, match="fs"):
        variable_period_sines(fs=-1.0)
    with pytest.raises(ValueError, match="n_signals"):
        variable_period_sines(n_signals=0)


# --------------------------------------------------------------------------- #
# multi_harmonic
# --------------------------------------------------------------------------- #
def test_multi_harmonic_shapes_profile_and_tracking():
    fs, hop = 2048.0, 128
    x, f0 = multi_harmonic(n_samples=16384, fs=fs, hop_length=hop, noise_std=0.0)
    assert x.shape == (16384,)
    assert f0.shape == skdstft.frame_positions(16384, hop).shape
    assert np.all(f0 > 0) and np.all(16 * f0 < fs / 2)
    # run-up, plateau, run-down: low at both ends, high in the middle
    T = f0.size
    assert f0[: T // 20].mean() < 25 and f0[-T // 20 :].mean() < 25
    assert f0[T // 2] > 45
    # the spectrogram ridge of the 10th harmonic follows 10 * f0
    positions = skdstft.frame_positions(x.size, hop)
    S = np.abs(skdstft.dstft(x, 256.0, positions, n_fft=1024))
    freqs = np.arange(S.shape[0]) * fs / 1024
    errors = []
    for n in range(2, T - 2):
        band = np.flatnonzero((freqs > 9.5 * f0[n]) & (freqs < 10.5 * f0[n]))
        errors.append(freqs[band[S[band, n].argmax()]] / 10 - f0[n])
    assert np.max(np.abs(errors)) < 1.5


@pytest.mark.parametrize("profile", ["run-up", "run-down"])
def test_multi_harmonic_builtin_profiles(profile):
    _, f0 = multi_harmonic(n_samples=8192, profile=profile, fluctuation=0.0)
    d = np.diff(f0)
    assert np.all(d >= -1e-9) if profile == "run-up" else np.all(d <= 1e-9)
    assert abs(f0.min() - 20) < 0.5 and abs(f0.max() - 50) < 0.5


def test_multi_harmonic_fast_run_up_down():
    """Short ramps (5 % of the time each) between long stable parts."""
    _, f0 = multi_harmonic(n_samples=16384, fs=1024.0, n_harmonics=4, profile="fast-run-up-down",
                           f0_range=(20.0, 34.0), fluctuation=0.0, hop_length=128)
    u = np.arange(f0.size) * 128 / 16383
    rest = (u < 0.3) | (u > 0.7)
    plateau = (u > 0.35) & (u < 0.65)
    np.testing.assert_allclose(f0[rest], 20.0, atol=1e-9)
    np.testing.assert_allclose(f0[plateau], 34.0, atol=1e-9)
    assert np.all(np.diff(f0[u < 0.5]) >= -1e-9) and np.all(np.diff(f0[u > 0.5]) <= 1e-9)


def test_multi_harmonic_callable_profile_and_validation():
    _, f0 = multi_harmonic(
        n_samples=4096, fs=1000.0, profile=lambda t: 10 + 2 * t, fluctuation=0.0, hop_length=100
    )
    np.testing.assert_allclose(f0, 10 + 2 * np.arange(f0.size) * 100 / 1000.0)
    with pytest.raises(ValueError, match="n_harmonics"):
        multi_harmonic(n_harmonics=40)
    with pytest.raises(ValueError, match="profile"):
        multi_harmonic(profile="flight")
    with pytest.raises(ValueError, match="profile"):
        multi_harmonic(profile=lambda t: -np.ones_like(t))
    with pytest.raises(ValueError, match="f0_range"):
        multi_harmonic(f0_range=(30.0, 10.0))
    with pytest.raises(ValueError, match="fs"):
        multi_harmonic(fs=0.0)


# --------------------------------------------------------------------------- #
# registry
# --------------------------------------------------------------------------- #
def test_registry():
    names = list(list_examples())
    assert names == [
        "three-component",
        "transient-shocks",
        "multi-harmonic",
        "variable-period-sine",
    ]
    for name in names:
        x, fs, description = get_example(name)
        assert x.ndim == 1 and x.dtype == np.float64 and np.all(np.isfinite(x))
        assert isinstance(fs, float) and fs > 0
        assert description == list_examples()[name]
    x, _, _ = get_example("three-component", n_samples=512, random_state=1)
    np.testing.assert_array_equal(x, three_component(n_samples=512, random_state=1))
    with pytest.raises(ValueError, match="three-component"):
        get_example("nope")
    with pytest.raises(TypeError, match="name"):
        get_example(3)
