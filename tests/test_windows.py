"""Window families, their derivatives and the registry (math.md §1)."""

import numpy as np
import pytest
import scipy.signal
from _reference import central_fd, reference_window, rel_err

from skdstft import dstft, windows
from skdstft.windows import (
    available_windows,
    contracted_window,
    contracted_window_dlam,
    contracted_window_dt,
    get_window,
    normalization_power,
    register_window,
)

BUILTIN = ("hann", "blackman", "gaussian")
NORMALIZATIONS = ("l1", "l2", None)


def _private_registry(monkeypatch):
    monkeypatch.setattr(windows, "_REGISTRY", dict(windows._REGISTRY))
    return windows._REGISTRY


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry: registrations vanish after the test."""
    return _private_registry(monkeypatch)


def test_builtin_names():
    assert set(BUILTIN) <= set(available_windows())
    for name in BUILTIN:
        assert get_window(name).name == name
        assert get_window(get_window(name)) is get_window(name)


@pytest.mark.parametrize("name", BUILTIN)
def test_base_window_vanishes_at_edges_and_peaks_at_centre(name):
    b = get_window(name)
    edges = b.value(np.array([-0.5, 0.5]))
    np.testing.assert_allclose(edges, 0.0, atol=1e-15)
    np.testing.assert_allclose(b.value(np.array([0.0])), 1.0, rtol=1e-14)
    u = np.linspace(-0.5, 0.5, 201)
    assert np.all(b.value(u) >= -1e-15)
    np.testing.assert_allclose(b.value(u), b.value(-u), atol=1e-15)  # even


@pytest.mark.parametrize("name", BUILTIN)
def test_base_derivative_matches_finite_differences(name):
    b = get_window(name)
    u = np.linspace(-0.499, 0.499, 301)
    h = 1e-6
    fd = (b.value(u + h) - b.value(u - h)) / (2 * h)
    assert rel_err(b.derivative(u), fd) <= 1e-8


@pytest.mark.parametrize("name", ["hann", "blackman"])
def test_smooth_windows_have_flat_edges(name):
    np.testing.assert_allclose(get_window(name).derivative(np.array([-0.5, 0.5])), 0.0,
                               atol=1e-14)


def test_values_follow_math_md_table():
    u = np.linspace(-0.5, 0.5, 101)
    np.testing.assert_allclose(get_window("hann").value(u), np.cos(np.pi * u) ** 2,
                               atol=1e-15)
    np.testing.assert_allclose(
        get_window("blackman").value(u),
        0.42 + 0.5 * np.cos(2 * np.pi * u) + 0.08 * np.cos(4 * np.pi * u), atol=1e-15)
    g = np.exp(-(u**2) / (2 / 64))
    g_edge = np.exp(-0.25 / (2 / 64))
    np.testing.assert_allclose(get_window("gaussian").value(u), (g - g_edge) / (1 - g_edge),
                               atol=1e-15)


def test_periodic_hann_parity_with_scipy():
    """math.md §2: b(t/L) at integer t, centred, is scipy's periodic Hann."""
    for L in (4, 8, 16, 30, 64):
        t = np.arange(-L // 2, L // 2)
        np.testing.assert_allclose(contracted_window("hann", float(L), t, normalization=None),
                                   scipy.signal.windows.hann(L, sym=False), atol=1e-15)


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_contracted_window_and_support(name, normalization):
    lam = 9.3
    t = np.linspace(-8.0, 8.0, 321)
    w = contracted_window(name, lam, t, normalization)
    p = normalization_power(normalization)
    inside = np.abs(t) <= lam / 2
    assert np.all(w[~inside] == 0)
    np.testing.assert_allclose(w[inside], lam**-p * get_window(name).value(t[inside] / lam),
                               rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(w, reference_window(name, lam, t, normalization),
                               rtol=1e-13, atol=1e-16)
    for fn in (contracted_window_dlam, contracted_window_dt):
        assert np.all(fn(name, lam, t, normalization)[~inside] == 0)


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_contracted_derivatives_match_finite_differences(name, normalization):
    """d w / d lam and d w / d t of math.md §1, at points inside the support
    (away from its edge, where the gaussian's derivative jumps)."""
    rng = np.random.default_rng(31)
    lam = rng.uniform(5.0, 40.0, 200)
    t = rng.uniform(-0.49, 0.49, 200) * lam
    h = 1e-6

    def w(lam_, t_):
        return contracted_window(name, lam_, t_, normalization)

    fd_lam = (w(lam + h, t) - w(lam - h, t)) / (2 * h)
    fd_t = (w(lam, t + h) - w(lam, t - h)) / (2 * h)
    assert rel_err(contracted_window_dlam(name, lam, t, normalization), fd_lam) <= 1e-7
    assert rel_err(contracted_window_dt(name, lam, t, normalization), fd_t) <= 1e-7


@pytest.mark.parametrize("name", BUILTIN)
def test_derivative_windows_broadcast_like_the_transform_calls_them(name):
    """(T, 1) lengths against (T, K) offsets, and (F, Tc, 1) against (1, Tc, K)."""
    rng = np.random.default_rng(32)
    lam = rng.uniform(4, 14, (5, 1))
    t = np.arange(-8, 8)[None, :] - rng.uniform(0, 1, (5, 1))
    for fn in (contracted_window, contracted_window_dlam, contracted_window_dt):
        full = fn(name, lam, t, "l2")
        assert full.shape == (5, 16)
        for i in range(5):
            np.testing.assert_array_equal(full[i], fn(name, float(lam[i, 0]), t[i], "l2"))
    lam3 = rng.uniform(4, 14, (3, 5, 1))
    assert contracted_window_dlam(name, lam3, t[None], "l1").shape == (3, 5, 16)


def test_float32_windows_stay_float32():
    t = np.arange(-8, 8, dtype=np.float32)
    for fn in (contracted_window, contracted_window_dlam, contracted_window_dt):
        for normalization in NORMALIZATIONS:
            assert fn("hann", np.float32(10.0), t, normalization).dtype == np.float32


def test_normalization_power_and_errors():
    assert normalization_power("l1") == 1.0
    assert normalization_power("l2") == 0.5
    assert normalization_power(None) == 0.0
    with pytest.raises(ValueError, match="normalization"):
        normalization_power("l3")
    with pytest.raises(ValueError, match="normalization"):
        dstft(np.ones(32), 8.0, n_fft=16, normalization="max")


def test_get_window_unknown_name():
    with pytest.raises(ValueError, match="window"):
        get_window("kaiser")
    with pytest.raises(ValueError, match="window"):
        dstft(np.ones(32), 8.0, n_fft=16, window="no-such-window")
    with pytest.raises(TypeError, match="window"):
        get_window(3)


def test_register_window_is_usable_everywhere(registry):
    """A user's window: here Hann spelled differently, so the transform and
    its gradient must equal the built-in Hann's."""
    from autograd import grad

    win = register_window("my-hann", lambda u: np.cos(np.pi * u) ** 2,
                          lambda u: -np.pi * np.sin(2 * np.pi * u))
    assert win.name == "my-hann"
    assert "my-hann" in available_windows()
    assert get_window("my-hann") is win
    rng = np.random.default_rng(33)
    x = rng.standard_normal(80)
    positions = np.sort(rng.uniform(0, 80, 12))
    for lam in (11.3, rng.uniform(4, 14, (9, 12))):
        np.testing.assert_allclose(dstft(x, lam, positions, n_fft=16, window="my-hann"),
                                   dstft(x, lam, positions, n_fft=16, window="hann"),
                                   rtol=1e-13, atol=1e-15)

    def loss(lam, window):
        return np.sum(np.abs(dstft(x, lam, positions, n_fft=16, window=window)) ** 2)

    import autograd.numpy as anp

    def aloss(lam, window):
        S = dstft(x, lam, positions, n_fft=16, window=window)
        return anp.sum(anp.real(S) ** 2 + anp.imag(S) ** 2)

    np.testing.assert_allclose(grad(aloss)(11.3, "my-hann"), grad(aloss)(11.3, "hann"),
                               rtol=1e-12)
    fd = central_fd(lambda v: loss(float(v), "my-hann"), 11.3, 1e-5)
    np.testing.assert_allclose(grad(aloss)(11.3, "my-hann"), fd, rtol=1e-6)


def test_register_window_rejections(registry):
    with pytest.raises(ValueError, match="vanish"):
        register_window("flat", lambda u: np.ones_like(u), lambda u: np.zeros_like(u))
    assert "flat" not in available_windows()
    with pytest.raises(ValueError, match="exists"):
        register_window("hann", lambda u: np.cos(np.pi * u) ** 2, lambda u: 0 * u)
    with pytest.raises(TypeError):
        register_window("bad", "not callable", lambda u: u)
    with pytest.raises(TypeError):
        register_window("", lambda u: u, lambda u: u)
    # what value(u) returns: behaviour change, a non-number or a complex value
    # is now a TypeError (numpy's unnamed ValueError, or the imaginary part
    # dropped with a ComplexWarning, before)
    with pytest.raises(TypeError, match=r"value\(u\) must be real numbers"):
        register_window("text", lambda u: np.array(["0", "0"]), lambda u: u)
    with pytest.raises(TypeError, match=r"value\(u\) must be real numbers.*complex"):
        register_window("cplx", lambda u: 0j * u, lambda u: u)
    with pytest.raises(ValueError, match=r"value\(u\) must be finite"):
        register_window("nan", lambda u: u * np.nan, lambda u: u)
    with pytest.raises(ValueError, match=r"value\(u\) must be an array of the shape of u"):
        register_window("short", lambda u: np.zeros(1), lambda u: u)
    assert not {"text", "cplx", "nan", "short"} & set(available_windows())
    replaced = register_window("hann", lambda u: np.cos(np.pi * u) ** 2,
                               lambda u: -np.pi * np.sin(2 * np.pi * u), overwrite=True)
    assert get_window("hann") is replaced


def test_registry_fixture_restores_the_registry():
    """What the ``registry`` fixture promises, checked within this one test
    (whatever ran before): a registration and an overwrite vanish with it."""
    builtin = get_window("hann")
    with pytest.MonkeyPatch.context() as mp:
        _private_registry(mp)
        register_window("my-hann", lambda u: np.cos(np.pi * u) ** 2,
                        lambda u: -np.pi * np.sin(2 * np.pi * u))
        register_window("hann", lambda u: np.cos(np.pi * u) ** 2,
                        lambda u: -np.pi * np.sin(2 * np.pi * u), overwrite=True)
        assert "my-hann" in available_windows() and get_window("hann") is not builtin
        assert get_window("hann").cosine_coefficients is None  # the overwrite took effect
    assert "my-hann" not in available_windows()
    assert get_window("hann") is builtin and builtin.cosine_coefficients == (0.5, 0.5)


# --------------------------------------------------------------------------
# frame_windows: the per-frame windows the transform uses (FFT order), with
# the fast matrix-product route for cosine-sum windows


def _direct(name, lam, frac, n_fft, normalization, kind):
    """The window (or its derivative) on the frame offsets from the slow
    reference (its own window formulas, derivatives by autograd): an oracle
    independent of skdstft.windows."""
    from autograd import elementwise_grad

    from skdstft.windows import frame_offsets
    t = frame_offsets(n_fft) - frac
    lam, t = np.broadcast_arrays(np.asarray(lam, float), t)
    lam, t = lam.copy(), t.copy()
    if kind == "value":
        return reference_window(name, lam, t, normalization)
    argnum = 1 if kind == "dlam" else 2
    return elementwise_grad(reference_window, argnum)(name, lam, t, normalization)


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("kind", ["value", "dlam", "dt"])
@pytest.mark.parametrize("n_fft", [16, 18, 32, 64, 100, 512])
def test_frame_windows_equal_the_reference(name, kind, n_fft):
    from skdstft.windows import frame_windows
    rng = np.random.default_rng(34)
    for normalization in NORMALIZATIONS:
        # (T, 1) per frame, (F, Tc, 1) x (1, Tc, 1) per frequency and frame,
        # with lengths from tiny to the largest allowed, and integer offsets
        lam = rng.uniform(0.5, n_fft - 2, (300, 1))
        lam[:3, 0] = [n_fft - 2, 2.0, float(n_fft // 2)]
        frac = rng.uniform(0, 1, (300, 1))
        frac[::7] = 0.0
        lam3 = rng.uniform(2.0, n_fft - 2, (5, 40, 1))
        frac3 = rng.uniform(0, 1, (1, 40, 1))
        for lam_, frac_ in ((lam, frac), (lam3, frac3), (lam[:3], frac[:3])):
            got = frame_windows(name, lam_, frac_, n_fft, normalization, kind)
            want = _direct(name, lam_, frac_, n_fft, normalization, kind)
            assert got.shape == want.shape
            assert rel_err(got, want) <= 1e-13
            from skdstft.windows import frame_offsets
            outside = np.abs(frame_offsets(n_fft) - frac_) > lam_ / 2
            assert np.all(got[np.broadcast_to(outside, got.shape)] == 0)  # exact zeros
        data = rng.standard_normal((2, 300, n_fft))
        out = data.copy()
        assert frame_windows(name, lam, frac, n_fft, normalization, kind, multiply=out) is out
        assert rel_err(out, data * _direct(name, lam, frac, n_fft, normalization, kind)) <= 1e-13
        strided = np.swapaxes(data.copy(order="F"), 0, 0)  # not C-contiguous
        assert not strided.flags.c_contiguous
        frame_windows(name, lam, frac, n_fft, normalization, kind, multiply=strided)
        assert rel_err(strided, out) <= 1e-15


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("n_fft", [16, 64, 100, 512])
def test_frame_windows_at_integer_positions(name, n_fft):
    """Every frame at an integer position (f = 0): the cosine route computes
    half of each window and mirrors it (even windows, odd t-derivative);
    it must equal the direct formula on all offsets, -K/2 included."""
    from skdstft.windows import frame_offsets, frame_windows
    rng = np.random.default_rng(35)
    lam = rng.uniform(0.5, n_fft - 2, (300, 1))
    lam[:3, 0] = [n_fft - 2, 2.0, float(n_fft // 2)]
    frac = np.zeros((300, 1))
    kinds = ("value", "dlam", "dt")
    for normalization in NORMALIZATIONS:
        together = frame_windows(name, lam, frac, n_fft, normalization, kinds)
        data = rng.standard_normal((2, 300, n_fft))
        targets = tuple(data.copy() for _ in kinds)
        frame_windows(name, lam, frac, n_fft, normalization, kinds, multiply=targets)
        for kind, got, multiplied in zip(kinds, together, targets):
            want = _direct(name, lam, frac, n_fft, normalization, kind)
            assert rel_err(got, want) <= 1e-13
            outside = np.abs(frame_offsets(n_fft) - frac) > lam / 2
            assert np.all(got[outside] == 0)  # exact zeros, -K/2 among them
            assert rel_err(multiplied, data * want) <= 1e-13


def test_frame_windows_float32_and_single_window():
    from skdstft.windows import frame_offsets, frame_windows
    lam = np.full((50, 1), 100.0, np.float32)
    frac = np.linspace(0, 0.9, 50, dtype=np.float32)[:, None]
    for kind in ("value", "dlam", "dt"):
        w32 = frame_windows("hann", lam, frac, 128, "l1", kind)
        assert w32.dtype == np.float32
        w64 = frame_windows("hann", lam.astype(float), frac.astype(float), 128, "l1", kind)
        assert rel_err(w32, w64) <= 1e-5
    single = frame_windows("blackman", np.array([30.0]), np.array([0.25]), 64)
    np.testing.assert_allclose(single, contracted_window("blackman", 30.0,
                                                         frame_offsets(64) - 0.25))


def test_cosine_coefficients_agree_with_value_and_derivative():
    u = np.linspace(-0.5, 0.5, 101)
    for name in ("hann", "blackman"):
        win = get_window(name)
        j = np.arange(len(win.cosine_coefficients))
        a = np.asarray(win.cosine_coefficients)
        np.testing.assert_allclose(np.cos(2 * np.pi * np.outer(u, j)) @ a, win.value(u),
                                   atol=1e-15)
        np.testing.assert_allclose(-2 * np.pi * np.sin(2 * np.pi * np.outer(u, j)) @ (j * a),
                                   win.derivative(u), atol=1e-14)
    assert get_window("gaussian").cosine_coefficients is None


@pytest.mark.parametrize("name", BUILTIN)
def test_frame_windows_several_kinds_at_once_equal_one_by_one(name):
    """A tuple of kinds (the gradient's forward pass asks for the value and
    d/d lam together) gives exactly what separate calls give, returned or
    multiplied into a tuple of arrays."""
    from skdstft.windows import frame_windows
    rng = np.random.default_rng(7)
    lam = rng.uniform(3.0, 126.0, (50, 1))
    frac = rng.uniform(0, 1, (50, 1))
    kinds = ("dlam", "value", "dt")
    together = frame_windows(name, lam, frac, 128, "l2", kinds)
    assert isinstance(together, tuple) and len(together) == 3
    for kind, got in zip(kinds, together):
        np.testing.assert_array_equal(got, frame_windows(name, lam, frac, 128, "l2", kind))
    data = rng.standard_normal((2, 50, 128))
    targets = tuple(data.copy() for _ in kinds)
    out = frame_windows(name, lam, frac, 128, "l2", kinds, multiply=targets)
    assert all(o is t for o, t in zip(out, targets))
    for kind, got in zip(kinds, targets):
        want = frame_windows(name, lam, frac, 128, "l2", kind, multiply=data.copy())
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="one array per kind"):
        frame_windows(name, lam, frac, 128, "l2", kinds, multiply=targets[:2])
    with pytest.raises(ValueError, match="kind must be one of"):
        frame_windows(name, lam, frac, 128, "l2", ("value", "d2"))


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_windows_pickle(name):
    """Windows travel to joblib workers inside objectives and estimators."""
    import pickle

    win = get_window(name)
    clone = pickle.loads(pickle.dumps(win))
    u = np.linspace(-0.5, 0.5, 41)
    np.testing.assert_array_equal(clone.value(u), win.value(u))
    np.testing.assert_array_equal(clone.derivative(u), win.derivative(u))
    assert clone.cosine_coefficients == win.cosine_coefficients


def test_cosine_sum_window_is_the_one_definition():
    """A cosine sum made from coefficients alone gives the built-in window's
    value, derivative and frame windows (every route), and the transform."""
    from skdstft.windows import cosine_sum_window, frame_windows

    for name in ("hann", "blackman"):
        builtin = get_window(name)
        mine = cosine_sum_window("mine", builtin.cosine_coefficients)
        u = np.linspace(-0.5, 0.5, 101)
        np.testing.assert_array_equal(mine.value(u), builtin.value(u))
        np.testing.assert_array_equal(mine.derivative(u), builtin.derivative(u))
        lam = np.linspace(5.0, 60.0, 20)[:, None]
        frac = np.linspace(0.0, 0.9, 20)[:, None]
        for kind in ("value", "dlam", "dt"):
            np.testing.assert_array_equal(frame_windows(mine, lam, frac, 64, "l2", kind),
                                          frame_windows(builtin, lam, frac, 64, "l2", kind))
    three_term = cosine_sum_window("three", (0.35875, 0.48829, 0.14128, 0.01168))  # Blackman-Harris
    np.testing.assert_allclose(three_term.value(np.array([0.0])), 1.0, atol=1e-15)
    assert abs(three_term.value(np.array(0.5))) < 1e-4
    u = np.linspace(-0.499, 0.499, 301)
    fd = (three_term.value(u + 1e-6) - three_term.value(u - 1e-6)) / 2e-6
    assert rel_err(three_term.derivative(u), fd) <= 1e-8


def test_make_gaussian_checks_its_width():
    from skdstft.windows import make_gaussian

    with pytest.raises(ValueError, match="s must be > 0"):
        make_gaussian(0.0)
    with pytest.raises(ValueError, match="s must be finite"):
        make_gaussian(np.inf)  # was accepted, and gave a NaN window
    with pytest.raises(TypeError, match="s must be a real number"):
        make_gaussian("wide")
