"""Analytical gradients of the DSTFT (math.md §3-4).

Every vector-Jacobian product (window length in its four shapes, positions,
signal) is checked two ways: against central finite differences of the
transform itself, and against autograd differentiating the direct reference
of tests/_reference.py. The loss mixes |S|^2 with Re S and Im S so that a sign
or conjugation slip in the phase term cannot cancel.
"""

import zlib

import autograd.numpy as anp
import numpy as np
import pytest
from _reference import central_fd, reference_dstft, reference_dstft_batch, rel_err
from autograd import grad

from skdstft import dstft, frame_positions

WINDOWS = ("hann", "blackman", "gaussian")
NORMALIZATIONS = ("l1", "l2", None)
SHAPES = ("scalar", "time", "freq", "tf")

N_FFT = 16
F = N_FFT // 2 + 1
N_SAMPLES = 37


def _seed(*key):
    return zlib.crc32(repr(key).encode())


class Problem:
    """Signal, real positions, window lengths and a phase-sensitive loss."""

    def __init__(self, shape, seed, batch=None, n_samples=N_SAMPLES, hop=5.0):
        rng = np.random.default_rng(seed)
        size = (n_samples,) if batch is None else (batch, n_samples)
        self.x = rng.standard_normal(size)
        base = frame_positions(n_samples, hop)
        # real positions: jitter keeps them increasing, fractions all differ;
        # the first frame hangs over the left edge, the last over the right
        self.positions = base + rng.uniform(-0.4, 0.4, base.shape) - 1.3
        T = self.positions.shape[0]
        size = {"scalar": (), "time": (1, T), "freq": (F, 1), "tf": (F, T)}[shape]
        lam = rng.uniform(4.0, N_FFT - 2.5, size)
        self.lam = float(lam) if shape == "scalar" else lam
        out_shape = (F, T) if batch is None else (batch, F, T)
        self.weights = rng.uniform(0.5, 1.5, out_shape)
        self.c_re = rng.standard_normal(out_shape)
        self.c_im = rng.standard_normal(out_shape)

    def loss_of(self, S):
        power = anp.real(S) ** 2 + anp.imag(S) ** 2
        return (anp.sum(self.weights * power) + anp.sum(anp.real(S) * self.c_re)
                + anp.sum(anp.imag(S) * self.c_im))

    def loss(self, x, lam, positions, window, normalization, **kw):
        return self.loss_of(dstft(x, lam, positions, n_fft=N_FFT, window=window,
                                  normalization=normalization, **kw))

    def ref_loss(self, x, lam, positions, window, normalization):
        return self.loss_of(reference_dstft_batch(x, lam, positions, N_FFT, window,
                                                  normalization))


def _as_lam(value, like):
    return float(value) if np.ndim(like) == 0 else value


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_win_length_gradient(window, normalization, shape):
    p = Problem(shape, _seed("lam", window, normalization, shape))
    args = (p.positions, window, normalization)
    g = grad(lambda lam: p.loss(p.x, lam, *args))(p.lam)
    assert np.shape(g) == np.shape(p.lam)
    assert np.isrealobj(g)
    fd = central_fd(lambda lam: p.loss(p.x, _as_lam(lam, p.lam), *args), p.lam, 1e-5)
    ref = grad(lambda lam: p.ref_loss(p.x, lam, *args))(p.lam)
    assert rel_err(g, fd) <= 1e-6
    assert rel_err(g, ref) <= 1e-10


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_positions_gradient(window, normalization, shape):
    p = Problem(shape, _seed("pos", window, normalization, shape))
    g = grad(lambda t: p.loss(p.x, p.lam, t, window, normalization))(p.positions)
    assert g.shape == p.positions.shape and np.isrealobj(g)
    fd = central_fd(lambda t: p.loss(p.x, p.lam, t, window, normalization),
                    p.positions, 1e-5)
    ref = grad(lambda t: p.ref_loss(p.x, p.lam, t, window, normalization))(p.positions)
    assert rel_err(g, fd) <= 1e-6
    assert rel_err(g, ref) <= 1e-10


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_signal_gradient(window, normalization, shape):
    p = Problem(shape, _seed("x", window, normalization, shape))
    args = (p.lam, p.positions, window, normalization)
    g = grad(lambda x: p.loss(x, *args))(p.x)
    assert g.shape == p.x.shape and np.isrealobj(g)
    fd = central_fd(lambda x: p.loss(x, *args), p.x, 1e-5)
    ref = grad(lambda x: p.ref_loss(x, *args))(p.x)
    assert rel_err(g, fd) <= 1e-6
    assert rel_err(g, ref) <= 1e-10


@pytest.mark.parametrize("shape", SHAPES)
def test_all_gradients_at_once_on_a_batch(shape):
    """Joint gradient over (x, lam, positions) of a (B, N) batch, against the
    reference; the lengths and positions are shared by the batch."""
    p = Problem(shape, _seed("batch", shape), batch=3)

    def both(fun):
        return grad(lambda x, lam, t: fun(x, lam, t, "hann", "l1"), argnum=(0, 1, 2))(
            p.x, p.lam, p.positions)

    got, ref = both(p.loss), both(p.ref_loss)
    for a, b in zip(got, ref):
        assert np.shape(a) == np.shape(b)
        assert rel_err(a, b) <= 1e-10
    fd = central_fd(lambda lam: p.loss(p.x, _as_lam(lam, p.lam), p.positions, "hann", "l1"),
                    p.lam, 1e-5)
    assert rel_err(got[1], fd) <= 1e-6


@pytest.mark.parametrize("kind", ["integer", "common"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_with_shared_fractional_offset(kind, shape):
    """Integer or equally-offset positions take the single-window fast paths."""
    rng = np.random.default_rng(_seed("shared", kind, shape))
    x = rng.standard_normal(50)
    positions = frame_positions(50, 6) + (0.0 if kind == "integer" else 0.625)
    T = positions.shape[0]
    size = {"scalar": (), "time": (1, T), "freq": (F, 1), "tf": (F, T)}[shape]
    lam = rng.uniform(4.0, 13.5, size)
    lam = float(lam) if shape == "scalar" else lam
    c = rng.standard_normal((F, T))

    def loss(fun, x, lam, t):
        S = fun(x, lam, t)
        return anp.sum(anp.abs(S) ** 2 * c) + anp.sum(anp.real(S) * c)

    def ours(x, lam, t):
        return dstft(x, lam, t, n_fft=N_FFT, window="gaussian", normalization="l2")

    def ref(x, lam, t):
        return reference_dstft(x, lam, t, N_FFT, "gaussian", "l2")

    g = grad(lambda *a: loss(ours, *a), argnum=(0, 1, 2))(x, lam, positions)
    r = grad(lambda *a: loss(ref, *a), argnum=(0, 1, 2))(x, lam, positions)
    for a, b in zip(g, r):
        assert rel_err(a, b) <= 1e-10


def test_gradient_equals_sum_of_broadcast_gradients():
    """(c) for gradients: d/d(scalar lam) = sum of the (F, T) gradient, etc."""
    p = Problem("tf", _seed("sum"))
    T = p.positions.shape[0]
    lam = 9.7

    def g(value):
        return grad(lambda v: p.loss(p.x, v, p.positions, "blackman", "l1"))(value)

    full = g(np.full((F, T), lam))
    np.testing.assert_allclose(g(lam), full.sum(), rtol=1e-12)
    np.testing.assert_allclose(g(np.full((1, 1), lam)), [[full.sum()]], rtol=1e-12)
    np.testing.assert_allclose(g(np.full((1,), lam)), [full.sum()], rtol=1e-12)
    np.testing.assert_allclose(g(np.array(lam)), full.sum(), rtol=1e-12)
    np.testing.assert_allclose(g(np.full((1, T), lam)), full.sum(0, keepdims=True),
                               rtol=1e-12, atol=1e-12 * np.abs(full).max())
    np.testing.assert_allclose(g(np.full((F, 1), lam)), full.sum(1, keepdims=True),
                               rtol=1e-12, atol=1e-12 * np.abs(full).max())
    np.testing.assert_allclose(g(np.full((T,), lam)), full.sum(0),
                               rtol=1e-12, atol=1e-12 * np.abs(full).max())


def test_hop_gradient_through_positions():
    """A constant and a time-varying hop, differentiated through
    frame_positions and the transform, against finite differences."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal(60)
    c = rng.standard_normal((F, 8))

    def loss_hop(hop):
        S = dstft(x, 11.3, frame_positions(60, hop, n_frames=8, start=0.7), n_fft=N_FFT)
        return anp.sum(anp.abs(S) ** 2) + anp.sum(anp.imag(S) * c)

    for hop in (7.3, rng.uniform(5.0, 9.0, 7)):
        g = grad(loss_hop)(hop)
        fd = central_fd(lambda h: loss_hop(h if np.ndim(hop) else float(h)), hop, 1e-5)
        assert rel_err(g, fd) <= 1e-6


@pytest.mark.parametrize("shape", ["freq", "tf"])
def test_chunked_gradients_match_one_chunk(shape):
    p = Problem(shape, _seed("chunk", shape), batch=2, n_samples=90)

    def grads(chunk):
        return grad(lambda x, lam, t: p.loss(x, lam, t, "hann", "l1", chunk_bytes=chunk),
                    argnum=(0, 1, 2))(p.x, p.lam, p.positions)

    big = grads(2**30)
    for chunk in (1, 2000, 20_000):
        for a, b in zip(grads(chunk), big):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())


def test_frames_outside_the_signal_gradients():
    """Frames hanging over or beyond the edges: all three gradients."""
    rng = np.random.default_rng(22)
    x = rng.standard_normal(30)
    positions = np.array([-40.0, -9.2, -4.6, 3.3, 15.5, 27.9, 33.1, 36.8, 60.0])
    lam = rng.uniform(5, 13.5, (F, 9))
    c = rng.standard_normal((F, 9))

    def loss(fun, x, lam, t):
        S = fun(x, lam, t)
        return anp.sum(anp.abs(S) ** 2) + anp.sum(anp.real(S) * c)

    g = grad(lambda *a: loss(lambda *b: dstft(*b, n_fft=N_FFT), *a), argnum=(0, 1, 2))(
        x, lam, positions)
    r = grad(lambda *a: loss(lambda *b: reference_dstft(*b, N_FFT), *a), argnum=(0, 1, 2))(
        x, lam, positions)
    for a, b in zip(g, r):
        assert rel_err(a, b) <= 1e-10
    assert np.all(g[1][:, [0, -1]] == 0) and np.all(g[2][[0, -1]] == 0)


def test_float32_gradients_are_close_to_float64():
    p = Problem("time", _seed("f32"))
    x32 = p.x.astype(np.float32)
    g64 = grad(lambda lam: p.loss(p.x, lam, p.positions, "hann", "l1"))(p.lam)
    g32 = grad(lambda lam: p.loss(x32, lam, p.positions, "hann", "l1"))(p.lam)
    assert rel_err(g32, g64) <= 1e-4


@pytest.mark.parametrize("window", ["hann", "blackman"])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_on_the_cosine_window_fast_path(window, normalization, shape):
    """n_fft = 32, fractional positions (a window per frame): hann and
    blackman windows go through the compiled kernels' rotation route, per
    frame for lengths constant in frequency (skdstft._kernels.frame_windows),
    per bin and frame for lengths varying in frequency."""
    n_fft, n_samples = 32, 90
    F32 = n_fft // 2 + 1
    rng = np.random.default_rng(_seed("fast", window, normalization, shape))
    x = rng.standard_normal(n_samples)
    positions = frame_positions(n_samples, 6.0) + rng.uniform(-0.4, 0.4, 16) - 2.1
    T = positions.shape[0]
    size = {"scalar": (), "time": (1, T), "freq": (F32, 1), "tf": (F32, T)}[shape]
    lam = rng.uniform(3.0, n_fft - 2.5, size)
    lam = float(lam) if shape == "scalar" else lam
    c = rng.standard_normal((2, F32, T))

    def loss(S):
        return (anp.sum(anp.real(S) ** 2 + anp.imag(S) ** 2) + anp.sum(anp.real(S) * c[0])
                + anp.sum(anp.imag(S) * c[1]))

    def ours(x, lam, t):
        return loss(dstft(x, lam, t, n_fft=n_fft, window=window, normalization=normalization))

    def ref(x, lam, t):
        return loss(reference_dstft(x, lam, t, n_fft, window, normalization))

    g = grad(ours, argnum=(0, 1, 2))(x, lam, positions)
    r = grad(ref, argnum=(0, 1, 2))(x, lam, positions)
    for a, b in zip(g, r):
        assert np.shape(a) == np.shape(b)
        assert rel_err(a, b) <= 1e-10
    if shape in ("scalar", "time"):
        fd = central_fd(lambda v: ours(x, _as_lam(v, lam), positions), lam, 1e-5)
        assert rel_err(g[1], fd) <= 1e-6


@pytest.mark.parametrize("shape", SHAPES)
def test_float32_gradients_fast_path(shape):
    rng = np.random.default_rng(_seed("f32fast", shape))
    n_fft, n_samples = 64, 400
    x = rng.standard_normal(n_samples)
    positions = frame_positions(n_samples, 16.0) + rng.uniform(0, 0.9, 26)
    T, F64 = positions.shape[0], n_fft // 2 + 1
    size = {"scalar": (), "time": (1, T), "freq": (F64, 1), "tf": (F64, T)}[shape]
    lam = rng.uniform(10.0, n_fft - 2.5, size)
    lam = float(lam) if shape == "scalar" else lam

    def loss(x_, lam_, t_):
        S = dstft(x_, lam_, t_, n_fft=n_fft)
        return anp.sum(anp.abs(S) ** 2)

    g64 = grad(loss, argnum=(0, 1, 2))(x, lam, positions)
    g32 = grad(loss, argnum=(0, 1, 2))(x.astype(np.float32), lam, positions)
    assert g32[0].dtype == np.float32
    for a, b in zip(g32, g64):
        assert rel_err(a, b) <= 1e-4


@pytest.mark.parametrize("blockwise", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_window_length_gradient_same_with_or_without_the_forward_pass_d_lam(shape, blockwise,
                                                                           monkeypatch):
    """When a length is differentiated, the forward pass leaves its d/d lam
    transform for the VJP; lengths constant in frequency may leave it to the
    VJP instead, which reduces it block by block (no spectrogram-sized array
    held) when the spectrogram is large (here: at every size, or never: the
    threshold is patched, since the tests' spectrograms are all small). The
    VJP recomputes the transform when the hand-over does not match (another
    call came in between, which autograd never does: the VJP set-up is
    re-registered to lose it): every route gives the same gradient."""
    from skdstft import autodiff
    monkeypatch.setattr(autodiff, "_BLOCKWISE_FROM_BYTES", 0 if blockwise else 2**62)
    p = Problem(shape, _seed("handover", shape), batch=2)

    def f(lam):
        return p.loss(p.x, lam, p.positions, "hann", "l1")

    handed = grad(f)(p.lam)
    real_maker = autodiff._vjp_win_length

    def lose_the_handover(*args, **kwargs):
        autodiff._DLAM.key = None  # as if another transform ran in between
        return real_maker(*args, **kwargs)

    from autograd.extend import defvjp
    monkeypatch.setattr(autodiff, "_vjp_win_length", lose_the_handover)
    defvjp(autodiff._dstft_batch, autodiff._vjp_x, lose_the_handover, autodiff._vjp_positions,
           argnums=(0, 1, 2))
    try:
        recomputed = grad(f)(p.lam)
    finally:
        defvjp(autodiff._dstft_batch, autodiff._vjp_x, real_maker, autodiff._vjp_positions,
               argnums=(0, 1, 2))
    assert autodiff._DLAM.key is None  # nothing left behind either way
    np.testing.assert_allclose(recomputed, handed, rtol=1e-13, atol=0)
    assert rel_err(handed, central_fd(lambda lam: f(_as_lam(lam, p.lam)), p.lam, 1e-5)) <= 1e-6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("window", ["hann", "blackman", "gaussian"])
@pytest.mark.parametrize("normalization", ["l1", "l2", None])
@pytest.mark.parametrize("lengths", ["scalar", "time"])
@pytest.mark.parametrize("integer_positions", [True, False])
def test_blockwise_window_length_gradient_equals_the_held_transform(
        dtype, window, normalization, lengths, integer_positions, monkeypatch):
    """The VJP's block-by-block reduction of D_lam (large spectrograms) and
    the transform held whole (small ones) give the same gradient: blocks
    smaller than the signal, a batch, a shared window (integer positions)
    or one window per frame (fractional positions or a (1, T) length)."""
    from skdstft import autodiff, transform
    from skdstft.losses import shannon_entropy
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 900)).astype(dtype)
    positions = frame_positions(900, 16.0)
    if not integer_positions:
        positions = positions + rng.uniform(0.05, 0.45, positions.shape)
    T = positions.shape[0]
    lam = 21.5 if lengths == "scalar" else rng.uniform(12.0, 30.0, (1, T))

    def f(lam_):
        S = dstft(x, lam_, positions, n_fft=32, window=window, normalization=normalization)
        return anp.sum(shannon_entropy(S))

    monkeypatch.setattr(autodiff, "_BLOCKWISE_FROM_BYTES", 2**62)
    held = grad(f)(lam)
    monkeypatch.setattr(autodiff, "_BLOCKWISE_FROM_BYTES", 0)
    monkeypatch.setattr(transform, "_INNER_BLOCK_SAMPLES", 7 * 2 * 32)  # 7 frames a block
    blocks = grad(f)(lam)
    assert np.shape(blocks) == np.shape(held)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    assert rel_err(blocks, held) <= tol
