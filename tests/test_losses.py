"""Criteria (math.md §5): values on cases with known answers, and gradients
against central finite differences and against plain autograd.numpy formulas."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from skdstft import dstft, frame_positions, losses

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 600))
X[1, 350:] = 0.0  # silent frames in the second signal
POS = frame_positions(600, 16)


def _plain_entropy(S, power, scope, eps=1e-12):
    """math.md's formula written directly: p = A / sum A, H = -sum p log(p + eps)."""
    A = anp.abs(S) ** power
    axes = (-2, -1) if scope == "global" else (-2,)
    total = anp.sum(A, axis=axes, keepdims=True)
    p = A / anp.where(total > 0, total, 1.0)
    h = -anp.sum(p * anp.log(p + eps), axis=axes)
    return anp.mean(h, axis=-1) if scope == "frame" else h


def _central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_entropy_known_values():
    S = np.zeros((4, 3), complex)
    S[1, :] = 2.0
    assert losses.shannon_entropy(S) == pytest.approx(np.log(3), abs=1e-9)
    assert losses.shannon_entropy(S, scope="frame") == pytest.approx(0.0, abs=1e-9)
    S[2, 0] = 2.0  # frame 0: two equal bins
    assert losses.shannon_entropy(S, scope="frame") == pytest.approx(np.log(2) / 3, abs=1e-9)
    assert losses.renyi_entropy(S, alpha=2) == pytest.approx(np.log(4), abs=1e-9)


@pytest.mark.parametrize("power", [0.5, 1, 2])
@pytest.mark.parametrize("scope", ["global", "frame"])
@pytest.mark.parametrize("batch", [False, True])
def test_entropy_matches_the_plain_formula_in_value_and_gradient(power, scope, batch):
    x = X if batch else X[0]
    weights = np.array([1.0, 2.0])[: x.ndim]

    def fused(lam):
        return anp.sum(losses.shannon_entropy(dstft(x, lam, POS, n_fft=64), power=power,
                                              scope=scope) * weights)

    def plain(lam):
        return anp.sum(_plain_entropy(dstft(x, lam, POS, n_fft=64), power, scope) * weights)

    # 30.37: no sample sits exactly on the window's edge, where the second
    # derivative jumps and central differences lose their accuracy
    lam = 30.37
    assert fused(lam) == pytest.approx(float(plain(lam)), rel=1e-12)
    g = grad(fused)(lam)
    if power >= 1 or not batch:  # the plain |S|**0.5 has an infinite slope at silent bins
        assert g == pytest.approx(grad(plain)(lam), rel=1e-9)
    # h = 1e-4: the entropy is ~6 and its slope ~1e-4, so smaller steps drown in rounding
    assert g == pytest.approx(_central(fused, lam, h=1e-4), rel=1e-6)


def test_entropy_gradient_with_respect_to_the_spectrogram():
    S = dstft(X[0], 25.0, POS, n_fft=64)
    g = grad(lambda s: losses.shannon_entropy(s))(S)
    g_plain = grad(lambda s: _plain_entropy(s, 1, "global"))(S)
    np.testing.assert_allclose(g, g_plain, rtol=1e-9, atol=1e-15)
    # autograd's convention: g = dL/dRe - i dL/dIm; check one entry by differences
    k, n, h = 5, 7, 1e-5
    e = np.zeros_like(S)
    e[k, n] = h
    d_re = (losses.shannon_entropy(S + e) - losses.shannon_entropy(S - e)) / (2 * h)
    d_im = (losses.shannon_entropy(S + 1j * e) - losses.shannon_entropy(S - 1j * e)) / (2 * h)
    assert g[k, n] == pytest.approx(d_re - 1j * d_im, rel=1e-6)


@pytest.mark.parametrize("name, loss", [
    ("renyi", lambda S: losses.renyi_entropy(S, alpha=3)),
    ("renyi-frame", lambda S: losses.renyi_entropy(S, alpha=2, scope="frame")),
    ("kurtosis", lambda S: -anp.mean(losses.frame_kurtosis(S))),
    ("kurtosis-power", lambda S: -anp.mean(losses.frame_kurtosis(S, power=2))),
    ("frequency", lambda S: anp.mean(losses.frequency_estimate(S, fs=8.0, band=(0.5, 3.0)))),
])
@pytest.mark.parametrize("shape", ["scalar", "time", "tf"])
def test_criteria_gradients_match_finite_differences(name, loss, shape):
    F, T = 33, len(POS)
    lam0 = {"scalar": 27.3, "time": np.linspace(20, 40, T)[None, :],
            "tf": 20 + 15 * RNG.random((F, T))}[shape]
    f = lambda lam: anp.sum(loss(dstft(X, lam, POS, n_fft=64)))  # noqa: E731
    g = np.asarray(grad(f)(lam0), dtype=float)
    assert np.all(np.isfinite(g))
    flat = np.ravel(lam0).astype(float)
    for i in RNG.choice(flat.size, size=min(4, flat.size), replace=False):
        def along(t, i=i):
            v = flat.copy()
            v[i] = t
            return f(v.reshape(np.shape(lam0)) if np.ndim(lam0) else v[0])
        assert g.ravel()[i] == pytest.approx(_central(along, flat[i]), rel=1e-5, abs=1e-10)


def test_kurtosis_values():
    S = np.zeros((5, 2), complex)
    S[2, 0] = 3.0  # one peak: kappa = F
    S[:, 1] = 1.0  # flat: kappa = 1
    np.testing.assert_allclose(losses.frame_kurtosis(S), [5.0, 1.0])


def test_frequency_estimate_tracks_a_tone_and_divides_by_the_harmonic():
    fs, f0 = 1000.0, 62.5
    t = np.arange(4000) / fs
    x = np.sin(2 * np.pi * 3 * f0 * t)  # the 3rd harmonic of f0
    S = dstft(x, 254.0, frame_positions(4000, 64), n_fft=256)
    est = losses.frequency_estimate(S, fs=fs, band=(150, 230), harmonic=3)
    np.testing.assert_allclose(est[3:-3], f0, rtol=1e-3)


def test_coverage_and_smoothness_gradients():
    pos = np.array([0.0, 9.0, 20.0, 26.0])
    lam = np.array([8.0, 10.0, 12.0, 9.0])

    def cov(p, w):
        return losses.coverage_penalty(p, w, 30, min_overlap=0.5)

    assert cov(pos, lam) > 0
    for argnum, base in ((0, pos), (1, lam)):
        g = grad(cov, argnum)(pos, lam)
        for i in range(4):
            e = np.zeros(4)
            e[i] = 1e-6
            args_p = [pos, lam]
            args_m = [pos, lam]
            args_p[argnum] = base + e
            args_m[argnum] = base - e
            assert g[i] == pytest.approx((cov(*args_p) - cov(*args_m)) / 2e-6, abs=1e-7)
    W = 10 + RNG.random((4, 5))
    g = grad(lambda w: losses.smoothness(w, scale=10.0))(W)
    e = np.zeros_like(W)
    e[2, 3] = 1e-6
    fd = (losses.smoothness(W + e, scale=10.0) - losses.smoothness(W - e, scale=10.0)) / 2e-6
    assert g[2, 3] == pytest.approx(fd, rel=1e-5)


def test_entropy_value_alone_keeps_no_arrays_alive():
    """Only a differentiated entropy hands its intermediate arrays to the
    gradient; a plain value must not leave them referenced after the call."""
    import autograd

    from skdstft import losses
    rng = np.random.default_rng(5)
    S = rng.standard_normal((40, 30)) + 1j * rng.standard_normal((40, 30))
    losses.shannon_entropy(S)
    assert getattr(losses._LAST, "stats", None) is None
    autograd.grad(losses.shannon_entropy)(S)
    assert getattr(losses._LAST, "stats", None) is None  # consumed by the VJP


def test_entropy_gradient_on_repeated_backward_passes():
    """autograd's jacobian runs one backward pass per output over the same
    tape: each pass must see its own, correct cotangent."""
    import autograd
    import autograd.numpy as anp

    from skdstft import dstft
    from skdstft.losses import shannon_entropy
    rng = np.random.default_rng(6)
    X = rng.standard_normal((3, 400))

    def per_signal(lam):
        return shannon_entropy(dstft(X, lam, n_fft=64))  # (3,)

    jac = autograd.jacobian(per_signal)(37.0)
    for b in range(3):
        alone = autograd.grad(lambda lam, b=b: shannon_entropy(dstft(X[b], lam, n_fft=64)))(37.0)
        assert np.isclose(jac[b], alone, rtol=1e-12)
    S = dstft(X[0], 30.0, n_fft=64)
    g = autograd.grad(lambda S_: anp.sum(shannon_entropy(S_)))(S)
    assert not np.shares_memory(g, S)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, complex(np.inf, np.nan), complex(np.nan, 1.0)])
@pytest.mark.parametrize("power", [2, 1, 0.5])
@pytest.mark.parametrize("scope", ["global", "frame"])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_entropy_of_a_non_finite_spectrogram_is_the_error_alone(bad, power, scope, dtype):
    """A NaN or inf in S raises ValueError, with no RuntimeWarning before it, for
    every power: with power < 1 the guard that takes 0**power as 0 must not turn
    a NaN magnitude into a silent 0."""
    for shape in [(9, 5), (2, 9, 5)]:
        S = np.ones(shape, dtype)
        S[..., 3, 1] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="S contains NaN or infinite values"):
                losses.shannon_entropy(S, power=power, scope=scope)
            with pytest.raises(ValueError, match="S contains NaN or infinite values"):
                grad(lambda Z: anp.sum(losses.shannon_entropy(Z, power=power, scope=scope)))(S)


@pytest.mark.parametrize("scope", ["global", "frame"])
def test_a_frame_far_below_the_peak_keeps_its_value_and_a_finite_gradient(scope):
    """Per-frame criteria depend on each frame's shape, not its scale: a frame
    1e-250 below the signal's peak must give the values it gives at scale 1
    (its powers and the quotient rule's squared sums would underflow if the
    magnitudes were scaled by the signal's peak alone)."""
    rng = np.random.default_rng(3)
    S = rng.standard_normal((9, 4)) + 1j * rng.standard_normal((9, 4))
    tiny = S.copy()
    tiny[:, 1] *= 1e-250
    np.testing.assert_allclose(losses.frame_kurtosis(tiny), losses.frame_kurtosis(S), rtol=1e-12)
    np.testing.assert_allclose(losses.frequency_estimate(tiny, fs=8.0),
                               losses.frequency_estimate(S, fs=8.0), rtol=1e-12)
    g = grad(lambda s: losses.renyi_entropy(s, scope=scope))(tiny)
    assert np.all(np.isfinite(g))
    if scope == "frame":
        np.testing.assert_allclose(losses.renyi_entropy(tiny, scope="frame"),
                                   losses.renyi_entropy(S, scope="frame"), rtol=1e-12)
