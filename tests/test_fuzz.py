"""Property-based fuzzing of dstft and DSTFTTransformer.

Shapes, dtypes, values and parameters are drawn by hypothesis; valid draws
must give finite outputs of the right shape and dtype, invalid draws (a
non-finite sample, a window that does not fit the frame) must raise the
documented error naming the parameter. Example counts are bounded and
examples derandomized so that the file runs in CI time and fails
reproducibly.
"""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skdstft import DSTFTTransformer, dstft, frame_positions, losses

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DTYPES = [np.float64, np.float32, np.int16, np.int64, np.uint8]


@st.composite
def signals(draw, max_batch=3, max_samples=300):
    """A real signal (N,) or batch (B, N) of any accepted dtype, finite values
    from silence to 1e30 (1e4 for integer types)."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = draw(st.integers(1, max_samples))
    shape = (n,) if draw(st.booleans()) else (draw(st.integers(1, max_batch)), n)
    if dtype.kind == "f":
        scale = draw(st.sampled_from([0.0, 1e-30, 1e-3, 1.0, 1e6, 1e30]))
        unit = hnp.arrays(np.float64, shape, elements=st.floats(-1, 1, allow_subnormal=False))
        return (draw(unit) * scale).astype(dtype)
    info = np.iinfo(dtype)
    elements = st.integers(max(info.min, -10_000), min(info.max, 10_000))
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def transform_params(draw, n_samples):
    n_fft = 2 * draw(st.integers(2, 40))
    n_freqs = n_fft // 2 + 1
    hop = draw(st.floats(0.5, float(n_fft)))
    positions = frame_positions(n_samples, hop)
    n_frames = len(positions)
    mode = draw(st.sampled_from(["constant", "time", "frequency", "time-frequency"]))
    shape = {"constant": (), "time": (1, n_frames), "frequency": (n_freqs, 1),
             "time-frequency": (n_freqs, n_frames)}[mode]
    lam = draw(hnp.arrays(np.float64, shape,
                          elements=st.floats(0.05, float(n_fft - 2), allow_subnormal=False)))
    positions = positions + draw(st.floats(-n_fft, n_fft))  # any real offset
    return n_fft, (float(lam) if mode == "constant" else lam), positions


@FUZZ
@given(data=st.data())
def test_dstft_valid_inputs_give_finite_output(data):
    x = data.draw(signals())
    n_fft, lam, positions = data.draw(transform_params(x.shape[-1]))
    window = data.draw(st.sampled_from(["hann", "blackman", "gaussian"]))
    normalization = data.draw(st.sampled_from(["l1", "l2", None]))
    S = dstft(x, lam, positions, n_fft=n_fft, window=window, normalization=normalization)
    assert S.shape == x.shape[:-1] + (n_fft // 2 + 1, len(positions))
    assert S.dtype == (np.complex64 if x.dtype == np.float32 else np.complex128)
    assert np.all(np.isfinite(S))


@FUZZ
@given(data=st.data())
def test_dstft_gradients_of_the_entropy_are_finite(data):
    x = data.draw(signals(max_batch=2, max_samples=160))
    n_fft, lam, positions = data.draw(transform_params(x.shape[-1]))
    power = data.draw(st.sampled_from([0.5, 1, 2]))

    def loss(lam, positions):
        return anp.mean(losses.shannon_entropy(dstft(x, lam, positions, n_fft=n_fft),
                                               power=power))

    g_lam = grad(loss, 0)(lam, positions)
    g_pos = grad(loss, 1)(lam, positions)
    assert np.shape(g_lam) == np.shape(lam) and np.all(np.isfinite(g_lam))
    assert np.shape(g_pos) == np.shape(positions) and np.all(np.isfinite(g_pos))


@FUZZ
@given(data=st.data())
def test_dstft_non_finite_samples_are_rejected(data):
    x = data.draw(signals()).astype(data.draw(st.sampled_from([np.float64, np.float32])))
    index = tuple(data.draw(st.integers(0, s - 1)) for s in x.shape)
    x[index] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values"):
        dstft(x, 6.0, n_fft=8)


@FUZZ
@given(n_fft=st.integers(2, 40).map(lambda k: 2 * k),
       lam=st.one_of(st.floats(max_value=0.0), st.floats(min_value=0.0).filter(lambda v: v > 0),
                     st.just(np.nan)))
def test_dstft_windows_that_do_not_fit_are_rejected(n_fft, lam):
    if 0 < lam <= n_fft - 2:
        lam = lam + n_fft  # make it too long
    with pytest.raises(ValueError, match=r"win_length must"):
        dstft(np.ones(32), lam, n_fft=n_fft)


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_transformer_fit_transform_any_valid_data(data):
    X = data.draw(signals(max_batch=4, max_samples=200).filter(lambda a: a.ndim == 2))
    n_fft = data.draw(st.sampled_from([8, 16, 32]))
    window_mode = data.draw(st.sampled_from(["fixed", "constant", "time"]))
    hop_mode = "fixed" if window_mode == "fixed" else data.draw(
        st.sampled_from(["fixed", "constant", "time"]))
    layout = data.draw(st.sampled_from(["pooled", "flat", "stats"]))
    est = DSTFTTransformer(n_fft=n_fft, window_mode=window_mode, hop_mode=hop_mode,
                           criterion=data.draw(st.sampled_from(["entropy", "renyi", "kurtosis"])),
                           layout=layout, n_bands=4, n_segments=3, max_iter=2,
                           n_restarts=data.draw(st.integers(1, 2)), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Z = est.fit_transform(X)
    assert Z.shape == (X.shape[0], len(est.get_feature_names_out()))
    assert np.all(np.isfinite(Z))
    assert np.all(np.isfinite(est.win_length_))
    # a fixed window computes no criterion at fit: loss_ is NaN, as documented
    assert np.isnan(est.loss_) if window_mode == "fixed" else np.isfinite(est.loss_)
    lo, hi = min(8.0, (n_fft - 2) / 2), n_fft - 2
    assert np.all((lo <= np.asarray(est.win_length_)) & (np.asarray(est.win_length_) <= hi))
    # the other signal lengths: accepted by the length-free layout, explained otherwise
    other = np.ones((2, X.shape[1] + data.draw(st.integers(1, 50))))
    if est._length_free():
        assert np.all(np.isfinite(est.transform(other)))
    else:
        with pytest.raises(ValueError, match=rf"expecting {X.shape[1]} features"):
            est.transform(other)
