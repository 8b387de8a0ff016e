"""skdstft.plotting: the displays draw headless (Agg) and show something."""

import io
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skdstft import AdaptiveSpectrogram, DSTFTTransformer, dstft  # noqa: E402
from skdstft.plotting import (  # noqa: E402
    FrameLayoutDisplay,
    LossCurveDisplay,
    SpectrogramDisplay,
    WindowLengthDisplay,
    frame_edges,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _pixels_vary(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    buf.seek(0)
    img = plt.imread(buf)
    plt.close(fig)
    return img.size > 0 and float(np.var(img[..., :3])) > 1e-4


@pytest.fixture(scope="module")
def signal():
    t = np.arange(1024)
    x = np.sin(2 * np.pi * (0.05 + 0.1 * t / 1024) * t)
    x[700:720] += 3 * np.hanning(20) * np.cos(2 * np.pi * 0.35 * np.arange(20))
    return x


@pytest.fixture(scope="module")
def result(signal):
    est = AdaptiveSpectrogram(n_fft=64, hop_mode="time", max_iter=10).fit(signal[None])
    return est, est.adapt(signal)


def test_frame_edges_follow_nonuniform_positions():
    np.testing.assert_allclose(frame_edges([0, 10, 30]), [-5, 5, 20, 40])
    np.testing.assert_allclose(frame_edges([7.0], win_lengths=[4.0]), [5, 9])


def test_spectrogram_display_raw_nonuniform(signal):
    positions = np.array([0, 50, 60, 300, 700, 710, 1000], dtype=float)
    S = dstft(signal, 60.0, positions, n_fft=64)
    disp = SpectrogramDisplay(S, positions).plot()
    coords = disp.mesh_.get_coordinates()  # (F + 1, T + 1, 2) cell corners
    np.testing.assert_allclose(coords[0, :, 0], frame_edges(positions))
    assert disp.colorbar_ is not None and "dB" in disp.colorbar_.ax.get_ylabel()
    assert disp.ax_.get_xlabel() == "time (samples)"
    assert _pixels_vary(disp.figure_)


def test_spectrogram_display_seconds_and_hz(result):
    _, r = result
    fig, ax = plt.subplots()
    disp = SpectrogramDisplay.from_result(r, fs=8000.0, ax=ax, colorbar=False)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.ax_.get_xlabel() == "time (s)" and disp.ax_.get_ylabel() == "frequency (Hz)"
    x0, x1 = disp.ax_.get_xlim()
    assert x1 <= (r.positions[-1] + 64) / 8000.0
    assert _pixels_vary(fig)


def test_window_length_display_kinds(result, signal):
    est, r = result
    disp = WindowLengthDisplay.from_result(r)
    assert disp.kind_ == "map" and disp.colorbar_ is not None
    assert _pixels_vary(disp.figure_)
    lam = np.linspace(10, 60, 17)
    disp = WindowLengthDisplay(lam, np.arange(17) * 16.0, bounds=(8, 62)).plot()
    assert disp.kind_ == "time"
    assert _pixels_vary(disp.figure_)
    disp = WindowLengthDisplay(np.linspace(10, 60, 33)[:, None], np.arange(5) * 16.0).plot()
    assert disp.kind_ == "frequency"
    assert _pixels_vary(disp.figure_)


def test_loss_curve_display(result):
    est, r = result
    disp = LossCurveDisplay.from_result(r, label="adapt")
    assert disp.line_.get_ydata().size == r.loss_curve.size
    assert _pixels_vary(disp.figure_)
    disp = LossCurveDisplay.from_estimator(est)
    assert _pixels_vary(disp.figure_)


def test_frame_layout_display_marks_gaps(signal):
    disp = FrameLayoutDisplay([100.0, 400.0], [100.0, 100.0], 1024, signal=signal).plot()
    assert disp.uncovered_ == 1024 - 2 * 99
    assert _pixels_vary(disp.figure_)


def test_displays_from_adaptive_estimator(result, signal):
    est, _ = result
    for cls in (SpectrogramDisplay, WindowLengthDisplay, FrameLayoutDisplay):
        disp = cls.from_estimator(est, signal)
        assert _pixels_vary(disp.figure_)
    disp = FrameLayoutDisplay.from_estimator(est, signal)
    assert disp.uncovered_ == 0


@pytest.mark.parametrize("window_mode", ["constant", "time"])
def test_displays_from_transformer(signal, window_mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = DSTFTTransformer(n_fft=64, window_mode=window_mode, max_iter=5).fit(signal[None])
    for cls in (SpectrogramDisplay, WindowLengthDisplay, FrameLayoutDisplay):
        disp = cls.from_estimator(est, signal)
        assert _pixels_vary(disp.figure_)
    assert LossCurveDisplay.from_estimator(est).line_ is not None


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skdstft\[plot\]"):
        LossCurveDisplay([1.0, 0.5]).plot()


def test_window_length_axis_is_plain_for_a_constant_curve(result):
    """A nearly constant window is drawn in a span a person can read, with no
    offset in the tick labels."""
    fig, ax = plt.subplots()
    lam = np.full((1, 20), 31.75) + 1e-9 * np.arange(20)
    WindowLengthDisplay(lam, np.arange(20) * 64.0).plot(ax=ax)
    lo, hi = ax.get_ylim()
    assert lo < 31.75 < hi and hi - lo >= 0.099 * 31.75  # not a zoom into 2e-8 of noise
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""
    plt.close(fig)
