"""The inverse DSTFT (math.md §7): skdstft.idstft and the estimators' inverses.

Oracles: the signal itself (perfect reconstruction of a DSTFT), a dense
least-squares solve built from the slow reference transform of
tests/_reference.py (one impulse per column) for spectrograms that are not
DSTFTs, scipy's ShortTimeFFT.istft (integer parameters, plain window), and
central finite differences for the gradient with respect to S.
"""

import dataclasses
import importlib.util
import warnings
from pathlib import Path

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import scipy.signal
from _reference import reference_dstft, rel_err
from sklearn.exceptions import ConvergenceWarning

from skdstft import DSTFTTransformer, dstft, frame_positions, idstft
from skdstft.signals import three_component

WINDOWS = ("hann", "blackman", "gaussian")
NORMALIZATIONS = ("l1", "l2", None)
SHAPES = ("scalar", "time", "freq", "tf")
ROOT = Path(__file__).resolve().parents[1]


def fractional_positions(n_samples, low, high, rng, start=-3.7):
    """Non-uniform real frame centres covering [0, n_samples) and a bit beyond."""
    steps = rng.uniform(low, high, size=4 * n_samples // max(1, int(low)) + 4)
    positions = start + np.concatenate([[0.0], np.cumsum(steps)])
    return positions[: np.searchsorted(positions, n_samples + 3.0) + 1]


def win_length(shape, n_fft, n_frames, rng, low, high):
    n_freqs = n_fft // 2 + 1
    size = {"scalar": (), "time": (1, n_frames), "freq": (n_freqs, 1),
            "tf": (n_freqs, n_frames)}[shape]
    value = rng.uniform(low, high, size=size)
    return float(value) if shape == "scalar" else value


def noise(shape, rng, scale=1.0):
    return scale * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))


# --------------------------------------------------------------------------
# perfect reconstruction


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("shape", SHAPES)
def test_perfect_reconstruction(shape, window, normalization):
    rng = np.random.default_rng(sum(map(ord, f"{shape}{window}{normalization}")))
    n_samples, n_fft = 300, 64
    x = rng.standard_normal(n_samples)
    positions = fractional_positions(n_samples, 7.0, 13.0, rng)
    assert np.any(positions % 1)  # real, non-uniform centres
    lam = win_length(shape, n_fft, positions.shape[0], rng, 36.0, n_fft - 2.0)
    S = dstft(x, lam, positions, n_fft=n_fft, window=window, normalization=normalization)
    y = idstft(S, lam, positions, n_samples=n_samples, n_fft=n_fft, window=window,
               normalization=normalization)
    assert y.shape == x.shape and y.dtype == np.float64
    assert rel_err(y, x) <= 1e-10


def test_default_positions_and_lengths_constant_in_frequency():
    """Default positions (hop n_fft // 4); an (F, T) array constant along
    frequency is a time-varying window and gives the same signal."""
    rng = np.random.default_rng(2)
    n_samples, n_fft = 500, 64
    x = rng.standard_normal(n_samples)
    T = frame_positions(n_samples, n_fft // 4).shape[0]
    lam_time = rng.uniform(40, 62, (1, T))
    lam_full = np.repeat(lam_time, n_fft // 2 + 1, axis=0)
    S = dstft(x, lam_time, n_fft=n_fft)
    assert rel_err(idstft(S, lam_time, n_samples=n_samples, n_fft=n_fft), x) <= 1e-12
    assert rel_err(idstft(S, lam_full, n_samples=n_samples, n_fft=n_fft), x) <= 1e-12


# --------------------------------------------------------------------------
# least squares against a dense solve


def reference_matrix(lam, positions, n_samples, n_fft, window, normalization):
    """A (F, T, N): column p is the reference DSTFT of an impulse at p."""
    eye = np.eye(n_samples)
    return np.stack([reference_dstft(eye[p], lam, positions, n_fft, window, normalization)
                     for p in range(n_samples)], axis=-1)


def dense_least_squares_operator(A, n_fft):
    """The real matrix M with x_ls = M [Re S; Im S] (flattened): the minimizer
    of sum c_k |S - A x|^2, c_k = 1 at DC and Nyquist, 2 elsewhere."""
    n_freqs = n_fft // 2 + 1
    c = np.full(n_freqs, 2.0)
    c[0] = c[-1] = 1.0
    w = np.sqrt(c)[:, None, None]
    rows = np.concatenate([(w * A.real).reshape(-1, A.shape[-1]),
                           (w * A.imag).reshape(-1, A.shape[-1])])
    weights = np.concatenate([np.broadcast_to(w[..., 0], A.shape[:2]).ravel()] * 2)
    return np.linalg.pinv(rows) * weights[None, :]


@pytest.mark.parametrize("shape", SHAPES)
def test_least_squares_equals_dense_solve(shape):
    rng = np.random.default_rng(11 + SHAPES.index(shape))
    n_samples, n_fft, window, normalization = 64, 32, "hann", "l2"
    positions = fractional_positions(n_samples, 5.0, 9.0, rng)
    lam = win_length(shape, n_fft, positions.shape[0], rng, 14.0, n_fft - 2.0)
    A = reference_matrix(lam, positions, n_samples, n_fft, window, normalization)
    M = dense_least_squares_operator(A, n_fft)
    x = rng.standard_normal(n_samples)
    S = dstft(x, lam, positions, n_fft=n_fft, window=window, normalization=normalization)
    S_noisy = S + noise(S.shape, rng, 0.3 * np.abs(S).mean())  # not the DSTFT of any signal
    expected = M @ np.concatenate([S_noisy.real.ravel(), S_noisy.imag.ravel()])
    assert rel_err(expected, x) > 1e-3  # the noise does change the answer
    y = idstft(S_noisy, lam, positions, n_samples=n_samples, n_fft=n_fft, window=window,
               normalization=normalization)
    assert rel_err(y, expected) <= (1e-8 if shape in ("scalar", "time") else 1e-6)


@pytest.mark.parametrize("win, hop, n_fft, n_samples", [(62, 16, 64, 700), (40, 10, 64, 333),
                                                        (32, 12, 48, 250)])
def test_scipy_istft_parity_on_noisy_spectrograms(win, hop, n_fft, n_samples):
    rng = np.random.default_rng(win + hop)
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(win, sym=False), hop, fs=1,
                                     mfft=n_fft, phase_shift=0)
    x = rng.standard_normal(n_samples)
    S_scipy = stft.stft(x)  # frames p_min .. p_max - 1, every frame touching the signal
    positions = hop * np.arange(stft.p_min, stft.p_min + S_scipy.shape[1], dtype=float)
    S = dstft(x, float(win), positions, n_fft=n_fft, normalization=None)
    assert rel_err(S, S_scipy) <= 1e-10
    S_noisy = S + noise(S.shape, rng, np.abs(S).mean())
    expected = stft.istft(S_noisy, k1=n_samples)
    y = idstft(S_noisy, float(win), positions, n_samples=n_samples, n_fft=n_fft,
               normalization=None)
    assert rel_err(y, expected) <= 1e-10


# --------------------------------------------------------------------------
# batches, precision


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_equals_stacked_singles_and_float32(shape):
    rng = np.random.default_rng(21 + SHAPES.index(shape))
    n_samples, n_fft = 200, 32
    positions = fractional_positions(n_samples, 4.0, 8.0, rng)
    lam = win_length(shape, n_fft, positions.shape[0], rng, 16.0, n_fft - 2.0)
    X = rng.standard_normal((3, n_samples))
    S = dstft(X, lam, positions, n_fft=n_fft)
    S = S + noise(S.shape, rng, 0.1 * np.abs(S).mean())
    kw = dict(n_samples=n_samples, n_fft=n_fft)
    batch = idstft(S, lam, positions, **kw)
    singles = np.stack([idstft(s, lam, positions, **kw) for s in S])
    assert batch.shape == (3, n_samples)
    assert np.max(np.abs(batch - singles)) <= 1e-12 * np.max(np.abs(singles))
    single32 = idstft(S.astype(np.complex64), lam, positions, **kw)
    assert single32.dtype == np.float32
    assert rel_err(single32, batch) <= 1e-5


# --------------------------------------------------------------------------
# uncovered samples


@pytest.mark.parametrize("shape", ["scalar", "tf"])
def test_uncovered_samples_raise_or_zero(shape):
    rng = np.random.default_rng(5)
    n_samples, n_fft = 400, 64
    positions = np.array([100.0, 120.5, 141.0, 300.25])  # nothing near 0..68 nor 161..269
    lam = 60.0 if shape == "scalar" else rng.uniform(58.0, 60.0, (n_fft // 2 + 1, 4))
    x = rng.standard_normal(n_samples)
    S = dstft(x, lam, positions, n_fft=n_fft)
    with pytest.raises(ValueError, match=r"samples 0\.\.70 .*uncovered='zero'"):
        idstft(S, lam, positions, n_samples=n_samples, n_fft=n_fft)
    y = idstft(S, lam, positions, n_samples=n_samples, n_fft=n_fft, uncovered="zero")
    reach = np.max(lam) / 2
    covered = np.zeros(n_samples, bool)  # inside every bin's window of some frame
    for t in positions:
        covered |= np.abs(np.arange(n_samples) - t) < np.min(lam) / 2 - 0.5
    outside = np.ones(n_samples, bool)
    for t in positions:
        outside &= np.abs(np.arange(n_samples) - t) >= reach
    assert np.all(y[outside] == 0.0)
    assert np.max(np.abs(y[covered] - x[covered])) <= 1e-9


# --------------------------------------------------------------------------
# input checks


@pytest.mark.parametrize("change, error, match", [
    (dict(S="abc"), TypeError, "S must be"),
    (dict(S=np.zeros((10, 5), complex)), ValueError, "S must have n_fft // 2 \\+ 1 = 17"),
    (dict(S=np.zeros((2, 2, 17, 5), complex)), ValueError, "S must be a spectrogram"),
    (dict(S=np.full((17, 5), np.nan, complex)), ValueError, "S contains NaN"),
    (dict(positions=np.arange(4.0)), ValueError, "positions must hold one centre per frame"),
    (dict(positions=None), ValueError, "positions was not given"),
    (dict(n_samples=0), ValueError, "n_samples must be >= 1"),
    (dict(n_samples=2.5), TypeError, "n_samples must be an integer"),
    (dict(win_length=40.0), ValueError, "win_length must lie in"),
    (dict(win_length=np.ones((3, 5))), ValueError, "win_length of shape"),
    (dict(uncovered="nan"), ValueError, "uncovered must be one of"),
    (dict(tol=-1.0), ValueError, "tol must be > 0"),
    (dict(max_iter=0), ValueError, "max_iter must be >= 1"),
    (dict(n_fft=31), ValueError, "n_fft must be even"),
    (dict(normalization="l3"), ValueError, "normalization must be one of"),
])
def test_bad_inputs_name_the_parameter(change, error, match):
    kw = dict(S=np.ones((17, 5), complex), win_length=20.0, positions=np.arange(5.0) * 8,
              n_samples=40, n_fft=32)
    kw.update(change)
    S = kw.pop("S")
    lam = kw.pop("win_length")
    positions = kw.pop("positions")
    with pytest.raises(error, match=match):
        idstft(S, lam, positions, **kw)


def test_max_iter_warns_with_the_residual():
    rng = np.random.default_rng(8)
    n_samples, n_fft = 200, 32
    positions = fractional_positions(n_samples, 4.0, 8.0, rng)
    lam = win_length("tf", n_fft, positions.shape[0], rng, 10.0, n_fft - 2.0)
    S = dstft(rng.standard_normal(n_samples), lam, positions, n_fft=n_fft)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=1 with a relative residual of [0-9.e-]+"):
        idstft(S, lam, positions, n_samples=n_samples, n_fft=n_fft, max_iter=1)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_spectrogram_scale_does_not_reach_the_solver(shape, scale):
    # the inverse is linear: S * scale gives x * scale. Conjugate gradients used to
    # underflow (1e-200: x = 0, silently) or overflow (1e200: NaN after max_iter)
    rng = np.random.default_rng(7)
    n_samples, n_fft = 200, 32
    x = rng.standard_normal(n_samples)
    positions = fractional_positions(n_samples, 5.0, 9.0, rng)
    lam = win_length(shape, n_fft, positions.size, rng, 16.0, 30.0)
    S = dstft(x, lam, positions, n_fft=n_fft)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = idstft(S * scale, lam, positions, n_samples=n_samples, n_fft=n_fft)
        g = autograd.grad(lambda s: anp.sum(idstft(s, lam, positions, n_samples=n_samples,
                                                   n_fft=n_fft)))(S * scale)
    assert rel_err(y / scale, x) < 1e-8
    g1 = autograd.grad(lambda s: anp.sum(idstft(s, lam, positions, n_samples=n_samples,
                                                n_fft=n_fft)))(S)
    assert rel_err(g, g1) < 1e-8  # linear: the gradient does not depend on the point


# --------------------------------------------------------------------------
# gradient with respect to S


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_wrt_S(shape):
    """autograd's gradient of a loss on the resynthesized signal against
    central finite differences (every real and imaginary part) and against
    autograd through the dense least-squares solve of the reference."""
    rng = np.random.default_rng(31 + SHAPES.index(shape))
    n_samples, n_fft, normalization = 48, 16, "l1"
    positions = fractional_positions(n_samples, 3.0, 5.0, rng, start=-1.3)
    lam = win_length(shape, n_fft, positions.shape[0], rng, 8.0, n_fft - 2.0)
    S = dstft(rng.standard_normal(n_samples), lam, positions, n_fft=n_fft,
              normalization=normalization)
    S = S + noise(S.shape, rng, 0.2 * np.abs(S).mean())
    weights = rng.standard_normal(n_samples)

    def loss(S_):
        y = idstft(S_, lam, positions, n_samples=n_samples, n_fft=n_fft,
                   normalization=normalization, tol=1e-13)
        return anp.sum(weights * y ** 2) + anp.sum(anp.sin(y))

    g = autograd.grad(loss)(S)  # dL/dRe S - i dL/dIm S
    # every entry for the closed form; for conjugate gradients (a solve per
    # evaluation) the DC and Nyquist bins, where the real part alone counts
    # or the phase mixes both, and a random sample of the others
    F, T = S.shape
    if shape in ("scalar", "time"):
        entries = list(np.ndindex(S.shape))
    else:
        entries = [(0, 0), (0, T // 2), (F - 1, 1), (F - 1, T - 1)]
        entries += [(int(k), int(n)) for k, n in zip(rng.integers(1, F - 1, 8),
                                                      rng.integers(0, T, 8))]
    step = 1e-6
    fd = np.zeros(len(entries), complex)
    for i, idx in enumerate(entries):
        for unit in (1.0, 1j):
            E = np.zeros(S.shape, complex)
            E[idx] = unit * step
            d = (loss(S + E) - loss(S - E)) / (2 * step)
            fd[i] += d if unit == 1.0 else -1j * d
    assert rel_err(np.array([g[idx] for idx in entries]), fd) <= 1e-6

    A = reference_matrix(lam, positions, n_samples, n_fft, "hann", normalization)
    M = dense_least_squares_operator(A, n_fft)

    def loss_reference(S_):
        y = anp.dot(M, anp.concatenate([anp.ravel(anp.real(S_)), anp.ravel(anp.imag(S_))]))
        return anp.sum(weights * y ** 2) + anp.sum(anp.sin(y))

    assert rel_err(g, autograd.grad(loss_reference)(S)) <= 1e-7


def test_gradient_of_a_real_S_and_constant_geometry():
    """A real S gets a real gradient (no complex-to-real cast); the window
    lengths and positions cannot be differentiated through the inverse."""
    rng = np.random.default_rng(41)
    positions = frame_positions(64, 4)
    S = rng.standard_normal((9, positions.shape[0]))
    weights = rng.standard_normal(64)

    def loss(S_):
        return anp.sum(weights * idstft(S_, 12.0, positions, n_samples=64, n_fft=16))

    g = autograd.grad(loss)(S)
    assert g.dtype == np.float64
    E = np.zeros_like(S)
    E[3, 5] = 1e-6
    assert abs((loss(S + E) - loss(S - E)) / 2e-6 - g[3, 5]) <= 1e-8 * np.abs(g).max()
    with pytest.raises(TypeError, match="win_length must be a constant"):
        autograd.grad(lambda lam: anp.sum(idstft(S, lam, positions, n_samples=64,
                                                 n_fft=16)))(12.0)


# --------------------------------------------------------------------------
# estimators


@pytest.mark.parametrize("window_mode", ["fixed", "time"])
def test_transformer_inverse_spectrogram_round_trip(window_mode):
    x = three_component(1024)
    X = np.stack([x, np.roll(x, 300), 0.5 * x])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = DSTFTTransformer(n_fft=128, window_mode=window_mode, max_iter=15).fit(X)
    S = est.spectrogram(X)
    Y = est.inverse_spectrogram(S)
    assert Y.shape == X.shape
    assert rel_err(Y, X) <= 1e-10
    # a masked spectrogram gives the least-squares inverse with the fitted geometry
    S_masked = np.where(np.abs(S) > np.median(np.abs(S)), S, 0)
    lam = est.win_length_ if np.ndim(est.win_length_) == 0 else est.win_length_[None]
    expected = idstft(S_masked, lam, est.positions_, n_samples=1024, n_fft=128,
                      normalization=est.normalization)
    assert rel_err(est.inverse_spectrogram(S_masked), expected) <= 1e-12


@pytest.mark.parametrize("window_mode", ["time", "time-frequency"])
def test_adaptation_result_inverse_and_repr(window_mode):
    from skdstft import AdaptiveSpectrogram

    x = three_component(512)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = AdaptiveSpectrogram(n_fft=64, window_mode=window_mode, max_iter=10).fit(x[None])
        result = est.adapt(x)
    assert rel_err(result.inverse(), x) <= 1e-10
    S_half = 0.5 * result.spectrogram
    assert rel_err(result.inverse(S_half), 0.5 * x) <= 1e-10
    text = repr(result)
    assert text.startswith("AdaptationResult(") and "\n" not in text and len(text) < 400
    assert "win_lengths=" in text and "loss=" in text
    # the lengths in the mode's own shape ((1, T) for "time") invert alike
    if window_mode == "time":
        compact = dataclasses.replace(result, win_lengths=result.win_lengths[:1])
        assert rel_err(compact.inverse(), result.inverse()) <= 1e-13
        assert "(1, " in repr(compact)


# --------------------------------------------------------------------------
# the denoising example


def test_denoising_example_quick(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    saved = []
    savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (saved.append(self),
                                                                   savefig(self, *a, **k)))
    spec = importlib.util.spec_from_file_location("denoising", ROOT / "examples" / "denoising.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.run(quick=True, out=str(tmp_path / "denoising.png"))
    assert (tmp_path / "denoising.png").stat().st_size > 0
    # the window grid's axis reads as lengths (it showed "3 x 10^1", "4 x 10^1")
    ax = next(a for a in saved[0].axes if a.get_xlabel().startswith("fixed window length"))
    labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_xticklabels(minor=True)]
    assert labels and all(text.isdigit() for text in labels if text), labels
    out = capsys.readouterr().out
    assert "wins" in out or "no method" in out
    for row in table.values():
        assert np.all(np.isfinite(row))
    # every mask improves on the noisy input (a soft threshold never makes it worse here)
    assert all(np.mean(v) > np.mean(table["noisy input"]) for k, v in table.items()
               if k != "noisy input")


def test_magnitude_spectrogram_warns():
    # abs(S) used to be inverted silently, as if every phase were 0
    rng = np.random.default_rng(3)
    x = rng.standard_normal(256)
    S = dstft(x, 40.0, n_fft=64)
    with pytest.warns(UserWarning, match="real and non-negative, a magnitude spectrogram"):
        idstft(np.abs(S), 40.0, n_samples=256, n_fft=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        idstft(S, 40.0, n_samples=256, n_fft=64)
        idstft(S.real, 40.0, n_samples=256, n_fft=64)  # real with signs: a valid input
        idstft(np.zeros(S.shape), 40.0, n_samples=256, n_fft=64)


def test_transformer_inverse_spectrogram_passes_uncovered():
    """A learned window shorter than the hop leaves gaps: the error's advice
    (uncovered='zero') can be followed through the estimator."""
    X = np.random.default_rng(0).standard_normal((3, 1000))
    est = DSTFTTransformer(n_fft=128, window_mode="fixed", win_length=8.0).fit(X)
    S = est.spectrogram(X)
    with pytest.raises(ValueError, match="uncovered='zero'"):
        est.inverse_spectrogram(S)
    Y = est.inverse_spectrogram(S, uncovered="zero")
    assert Y.shape == X.shape and np.all(np.isfinite(Y))
    covered = Y != 0
    assert 0 < covered.mean() < 1
    assert rel_err(Y[covered], X[covered]) <= 1e-10


def test_adapt_warns_when_windows_leave_samples_unanalysed():
    from skdstft import AdaptiveSpectrogram

    x = np.random.default_rng(0).standard_normal(1000)
    est = AdaptiveSpectrogram(n_fft=128, window_mode="time", win_length=8.0, reg=1e6,
                              win_length_bounds=(8.0, 10.0), max_iter=2).fit(x[None])
    with pytest.warns(UserWarning, match="samples lie in no adapted window"):
        result = est.adapt(x)
    assert not result.covers()
