"""Bad inputs to the transform raise the right error type naming the parameter;
valid edge cases go through (api.md, math.md §2). Hops: tests/test_positions.py."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from skdstft import dstft, frame_positions, losses
from skdstft.positions import fixed_overlap_positions

X = np.random.default_rng(51).standard_normal(64)
N_FFT = 16


def call(x=X, win_length=8.0, positions=None, **kw):
    kw.setdefault("n_fft", N_FFT)
    return dstft(x, win_length, positions, **kw)


# --------------------------------------------------------------------------
# the signal x


@pytest.mark.parametrize("x", [
    X + 1j,
    X.astype(np.complex64),
    X > 0,
    np.array(["a", "b", "c"]),
    "abcdef",
    np.array([object(), object()]),
    np.array([1.0, "a", None], dtype=object),
], ids=["complex128", "complex64", "bool", "str-array", "str", "objects", "mixed-objects"])
def test_x_wrong_type(x):
    with pytest.raises(TypeError, match=r"\bx\b"):
        call(x)


@pytest.mark.parametrize("x", [
    np.r_[X[:10], np.nan],
    np.r_[X[:10], np.inf],
    np.r_[X[:10], -np.inf],
    np.array(3.0),
    np.ones((2, 3, 20)),
    np.array([]),
    np.ones((3, 0)),
    np.ones((0, 10)),
], ids=["nan", "inf", "-inf", "0-d", "3-d", "empty", "empty-rows", "no-signals"])
def test_x_wrong_value(x):
    with pytest.raises(ValueError, match=r"\bx\b"):
        call(x)


def test_x_ragged_lists():
    with pytest.raises(ValueError, match=r"x must be a rectangular array"):
        call([[1.0, 2.0, 3.0], [1.0, 2.0]])


def test_nan_in_float32_and_batches():
    bad = np.ones((3, 40), np.float32)
    bad[2, 7] = np.nan
    with pytest.raises(ValueError, match=r"\bx\b"):
        call(bad)


def test_valid_signals():
    ints = np.arange(40) % 7 - 3
    S = call(ints)
    assert S.dtype == np.complex128 and np.all(np.isfinite(S))
    np.testing.assert_array_equal(S, call(ints.astype(float)))
    np.testing.assert_array_equal(call(np.array([1.0, 2.0], dtype=object)),
                                  call(np.array([1.0, 2.0])))
    assert call(np.uint8([1, 2, 3])).shape == (9, 1)
    assert call(np.ones((3, 40))).shape == (3, 9, 11)
    assert call(np.ones((1, 40))).shape == (1, 9, 11)


@pytest.mark.parametrize("n_samples", [1, 2, 3, 4, 5])
def test_signals_of_a_few_samples(n_samples):
    x = np.arange(1.0, n_samples + 1)
    for n_fft, lam in ((4, 2.0), (16, 14.0), (512, 510.0), (512, 8.0)):
        S = dstft(x, lam, n_fft=n_fft)
        assert S.shape == (n_fft // 2 + 1, 1 + n_samples // (n_fft // 4))
        assert np.all(np.isfinite(S)) and np.abs(S).max() > 0
    g = grad(lambda v: anp.sum(anp.abs(dstft(x, v, n_fft=16)) ** 2))
    assert np.isfinite(g(9.0))


# --------------------------------------------------------------------------
# n_fft


@pytest.mark.parametrize("n_fft", [15, 17, 3, 2, 0, -4, 1])
def test_n_fft_bad_value(n_fft):
    with pytest.raises(ValueError, match="n_fft"):
        call(n_fft=n_fft, win_length=1.0)


@pytest.mark.parametrize("n_fft", [16.0, "16", None, True])
def test_n_fft_bad_type(n_fft):
    with pytest.raises(TypeError, match="n_fft"):
        call(n_fft=n_fft)


def test_n_fft_accepts_numpy_integers():
    np.testing.assert_array_equal(call(n_fft=np.int64(16)), call(n_fft=16))


# --------------------------------------------------------------------------
# win_length


@pytest.mark.parametrize("win_length", [
    0.0, -1.0, 14.0001, 15.0, 100.0, np.nan, np.inf, -np.inf,
    np.r_[np.full(16, 8.0), 0.0][None, :],
    np.r_[np.full(16, 8.0), np.nan][None, :],
    np.full((9, 1), 14.5),
], ids=["zero", "negative", "above-n_fft-2", "n_fft-1", "huge", "nan", "inf", "-inf",
        "time-zero", "time-nan", "freq-too-long"])
def test_win_length_bad_value(win_length):
    with pytest.raises(ValueError, match="win_length"):
        call(win_length=win_length)


@pytest.mark.parametrize("win_length", [np.ones((2, 17)), np.ones((9, 3)), np.ones(5),
                                        np.ones((1, 1, 17)), np.ones((0, 17))])
def test_win_length_bad_shape(win_length):
    with pytest.raises(ValueError, match="win_length"):
        call(win_length=win_length)


@pytest.mark.parametrize("win_length", ["8", True, 8 + 0j, np.array([[True]])])
def test_win_length_bad_type(win_length):
    with pytest.raises(TypeError, match="win_length"):
        call(win_length=win_length)


def test_win_length_valid_edges():
    """Upper bound n_fft - 2 included; any positive length; int and lists."""
    for lam in (14.0, 14, 1e-3, 0.5, [[8.0] * 17], np.float32(9.0)):
        assert np.all(np.isfinite(call(win_length=lam)))


# --------------------------------------------------------------------------
# positions and hops


@pytest.mark.parametrize("positions", [
    [0.0, 4.0, 4.0],
    [0.0, 8.0, 4.0],
    [5.0, 1.0],
    [0.0, np.nan, 8.0],
    [0.0, 4.0, np.inf],
    [-np.inf, 0.0],
    np.ones((2, 2)),
    [],
], ids=["repeated", "decreasing", "reversed", "nan", "inf", "-inf", "2-d", "empty"])
def test_positions_bad_value(positions):
    with pytest.raises(ValueError, match="positions"):
        call(positions=np.asarray(positions, dtype=float))


@pytest.mark.parametrize("positions", [["a", "b"], np.array([1 + 1j, 2.0]),
                                       np.array([True, False])])
def test_positions_bad_type(positions):
    with pytest.raises(TypeError, match="positions"):
        call(positions=positions)


def test_positions_valid_edges():
    assert call(positions=[3.5]).shape == (9, 1)
    assert call(positions=np.array([-100.0, 0.0, 1e6])).shape == (9, 3)
    assert call(positions=[0, 4, 8]).shape == (9, 3)


# --------------------------------------------------------------------------
# other keywords


def test_chunk_bytes_checked():
    with pytest.raises(ValueError, match="chunk_bytes"):
        call(chunk_bytes=0)
    with pytest.raises(TypeError, match="chunk_bytes"):
        call(chunk_bytes=1.5)


def test_n_fft_is_keyword_only():
    with pytest.raises(TypeError):
        dstft(X, 8.0, None, 16)


# --------------------------------------------------------------------------
# one rule for every array argument (skdstft._validation.as_real_array):
# wrong kind of object -> TypeError, wrong shape/size/value -> ValueError,
# the message naming the parameter


def _ragged():
    rows = np.empty(2, dtype=object)
    rows[0], rows[1] = np.ones(3), np.ones(2)
    return rows


@pytest.mark.parametrize("name, call", [
    ("x", lambda v: dstft(v, 8.0, n_fft=N_FFT)),
    ("positions", lambda v: dstft(X, 8.0, v, n_fft=N_FFT)),
    ("hop_length", lambda v: frame_positions(64, v)),
    ("win_lengths", lambda v: fixed_overlap_positions(v, 0.5)),
    ("S", lambda v: losses.shannon_entropy(v)),
])
def test_ragged_object_arrays_are_a_shape_error(name, call):
    """Behaviour change: an object array of rows of different lengths was a
    TypeError ("object array") for these arguments, while a ragged list was a
    ValueError; both are now the ValueError of a ragged array."""
    for ragged in (_ragged(), [[1.0, 2.0, 3.0], [1.0, 2.0]]):
        with pytest.raises(ValueError, match=rf"^{name} must be a rectangular array"):
            call(ragged)


@pytest.mark.parametrize("name, call", [
    ("x", lambda v: dstft(v, 8.0, n_fft=N_FFT)),
    ("win_length", lambda v: dstft(X, v, n_fft=N_FFT)),
    ("positions", lambda v: dstft(X, 8.0, v, n_fft=N_FFT)),
    ("hop_length", lambda v: frame_positions(64, v)),
    ("win_lengths", lambda v: fixed_overlap_positions(v, 0.5)),
    ("win_lengths", lambda v: losses.smoothness(v)),
])
@pytest.mark.parametrize("bad", [
    np.array([4.0 + 1j, 8.0]), np.array([True, True]), ["4", "8"], np.array([object(), 4.0]),
], ids=["complex", "bool", "strings", "objects"])
def test_every_real_array_rejects_the_same_types_alike(name, call, bad):
    with pytest.raises(TypeError, match=rf"^{name} must be "):
        call(bad)


def test_fixed_overlap_positions_type_errors_and_start():
    """Behaviour changes in fixed_overlap_positions: strings were numpy's
    unnamed ValueError, complex lengths gave complex positions and booleans
    were taken as 1.0 (both silently), a NaN start gave NaN positions."""
    with pytest.raises(TypeError, match="win_lengths must be real numbers"):
        fixed_overlap_positions(["a", "b"], 0.5)
    with pytest.raises(TypeError, match="win_lengths must be real numbers.*complex"):
        fixed_overlap_positions(np.array([4.0 + 1j, 4.0]), 0.5)
    with pytest.raises(TypeError, match="win_lengths must be real numbers.*bool"):
        fixed_overlap_positions([True, True], 0.5)
    with pytest.raises(ValueError, match="start must be finite"):
        fixed_overlap_positions([4.0, 4.0], 0.5, start=np.nan)
    with pytest.raises(TypeError, match="start must be a real number"):
        fixed_overlap_positions([4.0, 4.0], 0.5, start="0")
    with pytest.raises(ValueError, match="win_lengths must be a 1-D array"):
        fixed_overlap_positions(4.0, 0.5)


# --------------------------------------------------------------------------
# harmonic and band: one check, shared by frequency_estimate and the tracker

def _tracker_fit(**params):
    from skdstft.estimators import FrequencyTracker

    rng = np.random.default_rng(52)
    Xs, Y = rng.standard_normal((3, 64)), np.full((3, 17), 0.1)
    return FrequencyTracker(n_fft=16, hop_length=4, max_iter=1, **params).fit(Xs, Y)


S16 = dstft(X, 8.0, n_fft=N_FFT)


@pytest.mark.parametrize("harmonic, exc, match", [
    (1.5, TypeError, r"harmonic must be an integer, got 1.5"),
    (2.0, TypeError, r"harmonic must be an integer, got 2.0"),
    ("2", TypeError, r"harmonic must be an integer, got '2'"),
    (None, TypeError, r"harmonic must be an integer, got None"),
    (True, TypeError, r"harmonic must be an integer, got True"),
    (0, ValueError, r"harmonic must be >= 1, got 0"),
    (-2, ValueError, r"harmonic must be >= 1, got -2"),
])
def test_harmonic_is_checked_alike_by_the_loss_and_the_tracker(harmonic, exc, match):
    """Behaviour change: frequency_estimate raised ValueError for 1.5, '2' and
    True, accepted 2.0, and let None reach int() (an unnamed TypeError); the
    tracker raised ValueError for every wrong type. Both now use check_int:
    a non-integer is a TypeError, an integer < 1 a ValueError."""
    with pytest.raises(exc, match=match):
        losses.frequency_estimate(S16, harmonic=harmonic)
    with pytest.raises(exc, match=match):
        _tracker_fit(harmonic=harmonic)


def test_valid_harmonics():
    base = losses.frequency_estimate(S16, fs=16.0)
    np.testing.assert_allclose(losses.frequency_estimate(S16, fs=16.0, harmonic=np.int64(2)),
                               base / 2)


@pytest.mark.parametrize("band, exc, match", [
    ("ab", ValueError, r"band must be a pair \(f_min, f_max\) in Hz"),
    ((0.1, 0.2, 0.3), ValueError, r"band must be a pair"),
    ((0.3, 0.1), ValueError, r"band\[1\] must be > 0.3"),
    ((-1.0, 0.1), ValueError, r"band\[0\] must be >= 0"),
    ((0.1, "x"), TypeError, r"band\[1\] must be a real number"),
])
def test_band_is_checked_alike_by_the_loss_and_the_tracker(band, exc, match):
    with pytest.raises(exc, match=match):
        losses.frequency_estimate(S16, band=band)
    with pytest.raises(exc, match=match):
        _tracker_fit(band=band)


def test_a_band_between_bins_is_the_same_error_in_both_tracker_methods():
    with pytest.raises(ValueError, match=r"holds no frequency bin \(bin spacing 0.0625 Hz\)"):
        losses.frequency_estimate(S16, band=(0.01, 0.02))
    for method in ("centroid", "ridge"):
        with pytest.raises(ValueError, match=r"holds no frequency bin \(bin spacing 0.0625 Hz\)"):
            _tracker_fit(band=(0.01, 0.02), method=method)


def test_choice_checks_name_the_parameter_for_any_value():
    """An array passed as a string option is a named ValueError (it was
    numpy's 'truth value of an array is ambiguous' from normalization_power)."""
    from skdstft.windows import normalization_power

    for bad in (np.array(["l1", "l2"]), ["l1"], 1):
        with pytest.raises(ValueError, match="normalization must be one of 'l1', 'l2', None"):
            normalization_power(bad)
        with pytest.raises(ValueError, match="normalization must be one of"):
            dstft(X, 8.0, n_fft=N_FFT, normalization=bad)
