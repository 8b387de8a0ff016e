"""Forward values of the DSTFT (math.md §2).

Three oracles: scipy's ShortTimeFFT (integer window length and hop, plain
periodic Hann), the direct reference of tests/_reference.py (any window,
normalization, shape and real positions), and the transform itself across
its four backends, batch layouts and precisions.
"""

import zlib

import numpy as np
import pytest
import scipy.signal
from _reference import reference_dstft, reference_dstft_batch, rel_err

from skdstft import dstft, frame_positions
from skdstft.transform import DEFAULT_CHUNK_BYTES

WINDOWS = ("hann", "blackman", "gaussian")
NORMALIZATIONS = ("l1", "l2", None)
SHAPES = ("scalar", "time", "freq", "tf")


def make_positions(kind, n_samples, hop, rng):
    """Integer, shared-fraction or random real frame centres."""
    base = frame_positions(n_samples, hop)
    if kind == "integer":
        return base
    if kind == "common":
        return base + 0.375  # every frame has the same fractional offset
    jitter = rng.uniform(-0.45, 0.45, size=base.shape) * min(hop, 1.0)
    return base + jitter


def make_win_length(shape, n_fft, n_frames, rng, low=None, high=None):
    """A window length of the requested shape, inside (0, n_fft - 2]."""
    low = 0.3 * n_fft if low is None else low
    high = n_fft - 2.5 if high is None else high
    n_freqs = n_fft // 2 + 1
    size = {"scalar": (), "time": (1, n_frames), "freq": (n_freqs, 1),
            "tf": (n_freqs, n_frames)}[shape]
    value = rng.uniform(low, high, size=size)
    return float(value) if shape == "scalar" else value


# --------------------------------------------------------------------------
# (a) parity with scipy.signal.ShortTimeFFT


@pytest.mark.parametrize(
    "win, hop, n_fft, n_samples",
    [
        (8, 2, 10, 64),
        (16, 4, 18, 100),
        (16, 5, 32, 257),
        (30, 7, 64, 200),
        (64, 16, 66, 1000),
        (128, 32, 256, 777),
        (32, 8, 64, 20),  # signal shorter than the window
        (16, 3, 32, 5),   # a handful of samples
        (10, 4, 16, 1),   # a single sample
    ],
)
def test_scipy_parity_periodic_hann(win, hop, n_fft, n_samples):
    rng = np.random.default_rng(1000 + win + hop + n_fft + n_samples)
    x = rng.standard_normal(n_samples)
    positions = frame_positions(n_samples, hop)
    T = positions.shape[0]
    S = dstft(x, float(win), positions, n_fft=n_fft, normalization=None)
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(win, sym=False), hop,
                                     fs=1, mfft=n_fft, phase_shift=0)
    # scipy refuses signals shorter than half its window; our zero padding
    # makes trailing zeros invisible, so feed scipy the zero-extended signal
    x_scipy = x if n_samples >= win else np.concatenate([x, np.zeros(win)])
    expected = stft.stft(x_scipy, p0=0, p1=T)
    assert S.shape == expected.shape == (n_fft // 2 + 1, T)
    assert S.dtype == np.complex128
    assert rel_err(S, expected) <= 1e-10


@pytest.mark.parametrize("shape", SHAPES)
def test_scipy_parity_through_every_backend(shape):
    """Integer lengths spelled as (1,T), (F,1), (F,T) still give scipy's STFT."""
    rng = np.random.default_rng(7)
    n_fft, win, hop, n_samples = 32, 20, 6, 150
    x = rng.standard_normal(n_samples)
    positions = frame_positions(n_samples, hop)
    T, F = positions.shape[0], n_fft // 2 + 1
    lam = {"scalar": float(win), "time": np.full((1, T), win, float),
           "freq": np.full((F, 1), win, float), "tf": np.full((F, T), win, float)}[shape]
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(win, sym=False), hop,
                                     fs=1, mfft=n_fft, phase_shift=0)
    expected = stft.stft(x, p0=0, p1=T)
    assert rel_err(dstft(x, lam, positions, n_fft=n_fft, normalization=None),
                   expected) <= 1e-10


def test_scipy_parity_batch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 300))
    positions = frame_positions(300, 16)
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(48, sym=False), 16,
                                     fs=1, mfft=64, phase_shift=0)
    expected = stft.stft(x, p0=0, p1=positions.shape[0], axis=-1)
    assert rel_err(dstft(x, 48.0, positions, n_fft=64, normalization=None),
                   expected) <= 1e-10


def test_default_positions_hop_is_quarter_frame():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(100)
    assert np.array_equal(dstft(x, 12.0, n_fft=16),
                          dstft(x, 12.0, frame_positions(100, 4), n_fft=16))
    assert dstft(x, 12.0, n_fft=16).shape == (9, 26)


# --------------------------------------------------------------------------
# forward values against the direct reference (math.md §2 literally)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["integer", "common", "random"])
def test_forward_matches_reference(window, normalization, shape, kind):
    rng = np.random.default_rng(zlib.crc32(repr((window, normalization, shape, kind)).encode()))
    n_fft, hop, n_samples = 16, 5.0, 41
    x = rng.standard_normal(n_samples)
    positions = make_positions(kind, n_samples, hop, rng)
    lam = make_win_length(shape, n_fft, positions.shape[0], rng, low=3.0)
    S = dstft(x, lam, positions, n_fft=n_fft, window=window, normalization=normalization)
    expected = reference_dstft(x, lam, positions, n_fft, window, normalization)
    assert S.shape == expected.shape
    assert rel_err(S, expected) <= 1e-12


def test_forward_reference_full_length_window():
    """The largest allowed window, n_fft - 2, with real positions."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(60)
    positions = np.sort(rng.uniform(-3.0, 63.0, 9))
    for lam in (14.0, np.full((9, 1), 14.0)):
        S = dstft(x, lam, positions, n_fft=16, window="gaussian")
        assert rel_err(S, reference_dstft(x, lam, positions, 16, "gaussian")) <= 1e-12


def test_frames_far_outside_the_signal():
    """Frames beyond the edges are valid (fixed-overlap rules produce them):
    partly outside they see the zero padding, wholly outside they are zero."""
    rng = np.random.default_rng(6)
    n_fft, n_samples = 16, 30
    x = rng.standard_normal(n_samples)
    positions = np.array([-500.0, -20.0, -9.5, -7.25, -3.5, 0.0, 12.3, 29.0,
                          33.5, 37.75, 38.0, 45.0, 1000.0])
    T, F = positions.shape[0], n_fft // 2 + 1
    for lam in (14.0, rng.uniform(3, 14, (1, T)), rng.uniform(3, 14, (F, 1)),
                rng.uniform(3, 14, (F, T))):
        S = dstft(x, lam, positions, n_fft=n_fft)
        expected = reference_dstft(x, lam, positions, n_fft)
        assert rel_err(S, expected) <= 1e-12
        assert np.all(S[:, [0, 1, 2, 11, 12]] == 0)
        assert np.all(np.abs(S[:, [5, 6, 7]]).max(axis=0) > 0)


# --------------------------------------------------------------------------
# (c) the four backends agree


@pytest.mark.parametrize("kind", ["integer", "common", "random"])
@pytest.mark.parametrize("window", WINDOWS)
def test_constant_length_same_on_every_backend(kind, window):
    rng = np.random.default_rng(8)
    n_fft, n_samples = 32, 200
    x = rng.standard_normal(n_samples)
    positions = make_positions(kind, n_samples, 7.0, rng)
    T, F = positions.shape[0], n_fft // 2 + 1
    lam = 17.3
    S = dstft(x, lam, positions, n_fft=n_fft, window=window)
    for shaped in (np.full((1, T), lam), np.full((F, 1), lam), np.full((F, T), lam),
                   np.full((T,), lam)):
        other = dstft(x, shaped, positions, n_fft=n_fft, window=window)
        assert rel_err(other, S) <= 1e-12, shaped.shape


@pytest.mark.parametrize("kind", ["integer", "random"])
def test_time_and_frequency_varying_equal_their_tf_expansion(kind):
    rng = np.random.default_rng(9)
    n_fft, n_samples = 32, 180
    x = rng.standard_normal(n_samples)
    positions = make_positions(kind, n_samples, 9.0, rng)
    T, F = positions.shape[0], n_fft // 2 + 1
    lam_t = rng.uniform(5, 30, (1, T))
    lam_f = rng.uniform(5, 30, (F, 1))
    for lam in (lam_t, lam_f):
        full = np.broadcast_to(lam, (F, T)).copy()
        assert rel_err(dstft(x, lam, positions, n_fft=n_fft),
                       dstft(x, full, positions, n_fft=n_fft)) <= 1e-12


# --------------------------------------------------------------------------
# (d) batches


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["integer", "random"])
def test_batch_equals_stacked_signals(shape, kind):
    rng = np.random.default_rng(10)
    n_fft, n_samples = 16, 70
    x = rng.standard_normal((4, n_samples))
    positions = make_positions(kind, n_samples, 4.0, rng)
    lam = make_win_length(shape, n_fft, positions.shape[0], rng, low=4.0)
    S = dstft(x, lam, positions, n_fft=n_fft)
    assert S.shape == (4, n_fft // 2 + 1, positions.shape[0])
    for b in range(4):
        single = dstft(x[b], lam, positions, n_fft=n_fft)
        assert rel_err(S[b], single) <= 1e-13
    assert rel_err(S, reference_dstft_batch(x, lam, positions, n_fft)) <= 1e-12


# --------------------------------------------------------------------------
# (e) float32


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["integer", "random"])
def test_float32_path(shape, kind):
    rng = np.random.default_rng(11)
    n_fft, n_samples = 64, 500
    x = rng.standard_normal((2, n_samples)).astype(np.float32)
    positions = make_positions(kind, n_samples, 16.0, rng)
    lam = make_win_length(shape, n_fft, positions.shape[0], rng)
    S32 = dstft(x, lam, positions, n_fft=n_fft)
    S64 = dstft(x.astype(np.float64), lam, positions, n_fft=n_fft)
    assert S32.dtype == np.complex64
    assert S64.dtype == np.complex128
    assert rel_err(S32, S64) <= 1e-4


def test_other_real_dtypes_compute_in_float64():
    rng = np.random.default_rng(12)
    x = rng.integers(-100, 100, 90)
    S_int = dstft(x, 10.0, n_fft=16)
    assert S_int.dtype == np.complex128
    assert np.array_equal(S_int, dstft(x.astype(np.float64), 10.0, n_fft=16))
    assert np.array_equal(dstft(x.astype(np.float16), 10.0, n_fft=16), S_int)
    assert np.array_equal(dstft(x.tolist(), 10.0, n_fft=16), S_int)


# --------------------------------------------------------------------------
# short signals and the chunked (F, T) path


@pytest.mark.parametrize("n_samples", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", SHAPES)
def test_tiny_signals_give_finite_output(n_samples, shape):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(n_samples)
    n_fft = 16
    T = 1 + n_samples // 4
    lam = make_win_length(shape, n_fft, T, rng)
    S = dstft(x, lam, n_fft=n_fft)
    assert S.shape == (9, T)
    assert np.all(np.isfinite(S))
    assert np.abs(S).max() > 0
    positions = frame_positions(n_samples, 4)
    assert rel_err(S, reference_dstft(x, lam, positions, n_fft)) <= 1e-12


@pytest.mark.parametrize("shape", ["freq", "tf"])
@pytest.mark.parametrize("kind", ["integer", "random"])
def test_small_chunks_match_one_chunk(shape, kind):
    rng = np.random.default_rng(14)
    n_fft, n_samples = 32, 400
    x = rng.standard_normal((2, n_samples))
    positions = make_positions(kind, n_samples, 8.0, rng)
    lam = make_win_length(shape, n_fft, positions.shape[0], rng)
    big = dstft(x, lam, positions, n_fft=n_fft, chunk_bytes=2**30)
    for chunk in (1, 3000, 50_000, DEFAULT_CHUNK_BYTES):
        small = dstft(x, lam, positions, n_fft=n_fft, chunk_bytes=chunk)
        np.testing.assert_allclose(small, big, rtol=1e-13, atol=1e-13 * np.abs(big).max())


def test_window_object_and_name_agree():
    from skdstft.windows import get_window
    rng = np.random.default_rng(15)
    x = rng.standard_normal(64)
    assert np.array_equal(dstft(x, 9.5, n_fft=16, window=get_window("blackman")),
                          dstft(x, 9.5, n_fft=16, window="blackman"))


def test_pure_tone_peak_is_length_independent_with_l1():
    """The point of the l1 normalization (math.md §1): same peak for any lam."""
    n_fft = 256
    x = np.cos(2 * np.pi * 32 / n_fft * np.arange(4000))
    positions = np.array([2000.0])
    peaks = [np.abs(dstft(x, lam, positions, n_fft=n_fft))[32, 0] for lam in (60, 130, 254)]
    np.testing.assert_allclose(peaks, 0.25, rtol=2e-2)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["integer", "random"])
def test_several_windows_from_one_gathering(shape, kind):
    """windowed_transform(n_windows=2) -- how the gradient's forward pass gets
    the transform and its d/d lam transform together -- equals two separate
    transforms, bit for bit, on every backend."""
    from functools import partial

    from skdstft.transform import gather_frames, windowed_transform
    from skdstft.windows import frame_windows, get_window
    rng = np.random.default_rng(16)
    n_fft, n_samples = 32, 300
    x = rng.standard_normal((2, n_samples))
    positions = make_positions(kind, n_samples, 6.0, rng)
    lam = make_win_length(shape, n_fft, positions.shape[0], rng)
    hann = get_window("hann")

    def fn(kinds):
        return partial(frame_windows, hann, n_fft=n_fft, normalization="l1", kind=kinds)

    pair = windowed_transform(gather_frames(x, positions, n_fft), lam, fn(("dlam", "value")),
                              n_fft, n_windows=2)
    assert isinstance(pair, tuple) and len(pair) == 2
    for kind_, got in zip(("dlam", "value"), pair):
        want = windowed_transform(gather_frames(x, positions, n_fft), lam, fn(kind_), n_fft)
        np.testing.assert_array_equal(got, want)
