"""The compiled kernels of frequency-varying lengths (skdstft._kernels),
judged by the slow reference: every window (rotation and direct routes),
normalization and length shape, fractional positions and frames at the
signal's edges; and the same bits for any thread count."""

import autograd.numpy as anp
import numba
import numpy as np
import pytest
from _reference import reference_dstft, reference_dstft_batch, rel_err
from autograd import grad

from skdstft import dstft
from skdstft._kernels import run_serially, uses_rotation
from skdstft.windows import get_window, register_window

N_FFT = 32
F = N_FFT // 2 + 1


def _problem(seed, shape, n_samples=120, batch=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n_samples if batch is None else (batch, n_samples))
    # fractional positions, the first frames before the signal's start and
    # the last ones past its end (windows cut by either edge)
    positions = np.arange(-9.0, n_samples + 9.0, 7.0) + rng.uniform(0.0, 1.0)
    positions[1::3] += rng.uniform(0.05, 0.9, positions[1::3].shape)
    T = positions.shape[0]
    lam = rng.uniform(3.0, N_FFT - 2.0, (F, 1) if shape == "freq" else (F, T))
    return x, lam, positions


def _registered():
    """A window of the user's own (a polynomial bump), registered once."""
    name = "test-kernels-bump"
    try:
        return get_window(name)
    except ValueError:
        return register_window(name, lambda u: (1 - 4 * u * u) ** 2,
                               lambda u: -16 * u * (1 - 4 * u * u))


def test_which_route_each_window_takes():
    """Pinned to uses_rotation because no public behaviour shows the route, and
    the reference tests below cover both routes only if the windows take them."""
    assert uses_rotation(get_window("hann")) and uses_rotation(get_window("blackman"))
    assert not uses_rotation(get_window("gaussian"))
    assert not uses_rotation(_registered())


@pytest.mark.parametrize("window", ["hann", "blackman", "gaussian"])
@pytest.mark.parametrize("normalization", ["l1", "l2", None])
@pytest.mark.parametrize("shape", ["freq", "tf"])
def test_forward_and_every_gradient_match_the_reference(window, normalization, shape):
    x, lam, positions = _problem(hash((window, normalization, shape)) % 2**32, shape)
    S = dstft(x, lam, positions, n_fft=N_FFT, window=window, normalization=normalization)
    assert rel_err(S, reference_dstft(x, lam, positions, N_FFT, window, normalization)) <= 1e-12
    c = np.random.default_rng(3).standard_normal((2, F, positions.shape[0]))

    def loss(S):
        return anp.sum(anp.abs(S) ** 2) + anp.sum(anp.real(S) * c[0] + anp.imag(S) * c[1])

    ours = grad(lambda *a: loss(dstft(*a, n_fft=N_FFT, window=window,
                                      normalization=normalization)), argnum=(0, 1, 2))
    ref = grad(lambda *a: loss(reference_dstft(*a, N_FFT, window, normalization)),
               argnum=(0, 1, 2))
    for a, b in zip(ours(x, lam, positions), ref(x, lam, positions)):
        assert rel_err(a, b) <= 1e-10


@pytest.mark.parametrize("shape", ["freq", "tf"])
def test_a_registered_window_takes_the_direct_route_exactly(shape):
    window = _registered()
    x, lam, positions = _problem(5, shape, batch=2)

    def reference(x_, lam_, t_):  # the reference with this window's formula
        from _reference import BASE_WINDOWS
        BASE_WINDOWS["bump"] = lambda u: (1 - 4 * u * u) ** 2
        try:
            return reference_dstft_batch(x_, lam_, t_, N_FFT, "bump", "l2")
        finally:
            del BASE_WINDOWS["bump"]

    S = dstft(x, lam, positions, n_fft=N_FFT, window=window, normalization="l2")
    assert rel_err(S, reference(x, lam, positions)) <= 1e-12
    ours = grad(lambda *a: anp.sum(anp.abs(dstft(*a, n_fft=N_FFT, window=window,
                                                 normalization="l2")) ** 2), argnum=(0, 1, 2))
    ref = grad(lambda *a: anp.sum(anp.abs(reference(*a)) ** 2), argnum=(0, 1, 2))
    for a, b in zip(ours(x, lam, positions), ref(x, lam, positions)):
        assert rel_err(a, b) <= 1e-10


@pytest.mark.parametrize("window", ["hann", "gaussian"])
@pytest.mark.parametrize("shape", ["freq", "tf"])
def test_same_bits_for_any_thread_count(window, shape):
    """Each frame is computed by one thread, nothing is reduced across
    frames: 1 thread, 2 threads and the serial build give the same bits.
    Pinned to run_serially because no public switch selects the serial build."""
    x, lam, positions = _problem(7, shape, n_samples=400, batch=2)

    def everything():
        S = dstft(x, lam, positions, n_fft=N_FFT, window=window)
        g = grad(lambda *a: anp.sum(anp.abs(dstft(*a, n_fft=N_FFT, window=window)) ** 2),
                 argnum=(0, 1, 2))(x, lam, positions)
        return (S,) + tuple(g)

    before = numba.get_num_threads()
    try:
        results = []
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            results.append(everything())
    finally:
        numba.set_num_threads(before)
    with run_serially():
        results.append(everything())
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_float32_through_the_kernels():
    x, lam, positions = _problem(9, "tf")
    S64 = dstft(x, lam, positions, n_fft=N_FFT)
    S32 = dstft(x.astype(np.float32), lam, positions, n_fft=N_FFT)
    assert S32.dtype == np.complex64
    assert rel_err(S32, S64) <= 1e-4
    g32 = grad(lambda x_: anp.sum(anp.abs(dstft(x_, lam, positions, n_fft=N_FFT)) ** 2))(
        x.astype(np.float32))
    assert g32.dtype == np.float32


@pytest.mark.parametrize("window", ["hann", "gaussian"])
def test_windows_shorter_than_a_sample_gap(window):
    """A window shorter than the distance from its centre to the nearest
    sample has an empty support: its bins are 0, as in the reference (this
    once looped forever)."""
    x, lam, positions = _problem(11, "tf")
    lam[::3] = 0.01
    lam[1::3] = 1.0 + 1e-9
    S = dstft(x, lam, positions, n_fft=N_FFT, window=window)
    assert rel_err(S, reference_dstft(x, lam, positions, N_FFT, window)) <= 1e-12
    g = grad(lambda v: anp.sum(anp.abs(dstft(x, v, positions, n_fft=N_FFT, window=window)) ** 2))(lam)
    assert np.all(np.isfinite(g))


def test_the_entropy_logarithm_is_within_one_ulp_of_numpys():
    """The entropy kernels' own logarithm (written to vectorize) against
    np.log over the whole normal range, near 1 (where log is smallest) and at
    the ends; and the inputs it does not take (0, subnormal, inf, NaN,
    negative) flagged, so that the kernels hand them to np.log. Pinned to
    _log/_normal because an entropy sums many logs: no public value shows one
    ulp per log or the inputs handed to np.log."""
    from skdstft._kernels import _log, _normal
    rng = np.random.default_rng(3)
    finfo = np.finfo(np.float64)
    x = np.concatenate([
        np.exp(rng.uniform(np.log(finfo.tiny), np.log(finfo.max), 200_000)),
        rng.uniform(0.0, 1.0, 50_000) + finfo.tiny,
        1.0 + rng.uniform(-1e-6, 1e-6, 20_000),
        [finfo.tiny, finfo.max, 1.0, 2.0, 0.5, np.sqrt(0.5), np.sqrt(2.0), 1e-12],
    ])

    @numba.njit
    def logs(v):
        out = np.empty_like(v)
        ok = True
        for k in range(v.shape[0]):
            out[k] = _log(v[k])
            ok &= _normal(v[k])
        return out, ok

    got, ok = logs(x)
    want = np.log(x)
    assert ok
    ulps = np.abs(got - want) / np.spacing(np.abs(want))
    assert np.all(ulps[want != 0] <= 1.0) and np.all(got[want == 0] == 0)
    for bad in (0.0, 5e-324, 1e-310, np.inf, -np.inf, np.nan, -1.0, -0.0):
        assert not logs(np.array([bad]))[1], bad


@pytest.mark.parametrize("window", ["hann", "blackman"])
@pytest.mark.parametrize("normalization", ["l1", "l2", None])
def test_per_frame_windows_match_the_window_formulas(window, normalization):
    """The FFT backend's windows that differ by frame (compiled rotation,
    several kinds at once) against skdstft.windows' formulas, frame by frame:
    lengths from shorter than the gap between samples (empty support) to
    n_fft - 2, fractional offsets, multiplied into what the target held.
    Pinned to frame_windows because dstft's reference tests judge a whole
    spectrogram by relative error, which one wrong sample at a support's end
    barely moves."""
    from skdstft._kernels import cosine_coefficients, frame_windows
    from skdstft.windows import (
        contracted_window,
        contracted_window_dlam,
        contracted_window_dt,
        frame_offsets,
        normalization_power,
    )
    rng = np.random.default_rng(7)
    n_fft, n_frames = 64, 40
    lam = np.concatenate([[0.3, 0.99, 1.0, 2.0, n_fft - 2.0], rng.uniform(0.5, n_fft - 2.0, n_frames - 5)])
    frac = rng.uniform(0.0, 1.0, n_frames)
    frac[:3] = 0.0
    w = get_window(window)
    target = rng.standard_normal((3, 2, n_frames, n_fft))
    got = target.copy()
    frame_windows(lam, frac, 0, cosine_coefficients(w), float(normalization_power(normalization)),
                  np.array([0, 1, 2]), got)
    tau = frame_offsets(n_fft)[None, :] - frac[:, None]
    for i, fn in enumerate((contracted_window, contracted_window_dlam, contracted_window_dt)):
        want = target[i] * fn(w, lam[:, None], tau, normalization)
        scale = np.max(np.abs(want), axis=-1, keepdims=True) + 1e-300
        assert np.all(np.abs(got[i] - want) <= 1e-12 * scale), fn.__name__
    # frames t0.. of a longer table
    part = target[:1, :, 5:].copy()
    frame_windows(lam, frac, 5, cosine_coefficients(w), float(normalization_power(normalization)),
                  np.array([0]), part)
    np.testing.assert_array_equal(part, got[:1, :, 5:])


@pytest.mark.parametrize("scope", ["global", "frame"])
@pytest.mark.parametrize("power", [1, 2, 0.5])
def test_entropy_gradient_written_over_its_work_matches_a_fresh_one(scope, power):
    """The entropy's value pass keeps |S| / c and log u per bin in the bytes
    of the complex128 cotangent, and the first backward pass writes the
    cotangent over them. That gradient must equal one computed from fresh
    statistics (a second backward pass, as autograd's jacobian runs them),
    the value alone (its work in a reusable buffer) must equal the traced
    value, and complex64 (whose cotangent cannot hold the float64 work) must
    agree to its precision."""
    import autograd

    from skdstft import losses
    rng = np.random.default_rng(8)
    S = rng.standard_normal((3, 33, 20)) + 1j * rng.standard_normal((3, 33, 20))
    S[1, :, 4] = 0.0  # a silent frame
    weights = np.array([1.0, -2.0, 0.5])

    def f(S_):
        return losses.shannon_entropy(S_, power=power, scope=scope)

    vjp, value = autograd.make_vjp(f)(S)
    first = vjp(weights)
    second = vjp(weights)  # the work is spent: recomputed statistics
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(value, f(S))
    g32 = autograd.make_vjp(f)(S.astype(np.complex64))[0](weights)
    assert g32.dtype == np.complex64
    np.testing.assert_allclose(g32, first, rtol=2e-4, atol=2e-4 * np.abs(first).max())
