"""The command line as a newcomer meets it: each defect
found by trying it has a test here, plus the sample-scale rule it shares with
the Python API and the warnings it rewords in its own flags."""

import json
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.io import wavfile

from skdstft import AdaptiveSpectrogram, DSTFTTransformer, signals
from skdstft.cli import cli_words, main
from skdstft.datasets import load_wav_folder
from skdstft.exceptions import BoundWarning

matplotlib.use("Agg")

FAST = ["--n-fft", "128", "--max-iter", "15"]


def _json(capsys, *args):
    """Run ``optimize ... --json -``: (exit code, report, stderr)."""
    code = main(["optimize", *map(str, args), "--json", "-"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


@pytest.fixture
def figures(monkeypatch):
    """The figures the CLI saves (they are still written)."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return saved


@pytest.fixture
def no_fit(monkeypatch):
    """Make any fit an error: checks that must happen before the work."""
    def fail(self, *args, **kwargs):
        raise AssertionError("the estimator was fitted before the input was checked")

    monkeypatch.setattr(DSTFTTransformer, "fit", fail)
    monkeypatch.setattr(AdaptiveSpectrogram, "fit", fail)


def _wav_folder(folder, n_files=4, n=1500, names=None, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    names = names or [f"clip_{i}.wav" for i in range(n_files)]
    for i, name in enumerate(names):
        t = np.arange(n)
        tone = np.sin(2 * np.pi * (0.05 + 0.03 * i) * t) + 0.2 * rng.standard_normal(n)
        wavfile.write(folder / name, 8000, (tone * 8000).astype(np.int16))
    return folder


# -- --n-fft 4 | 8 | 16 | 32 on the defaults ---------------------------------------

@pytest.mark.parametrize("n_fft", [4, 8, 16, 32])
def test_small_n_fft_runs_on_its_defaults(capsys, n_fft):
    code, report, err = _json(capsys, "--n-fft", n_fft, "--max-iter", "10")
    assert code == 0, err
    lo, hi = report["parameters"]["win_length_bounds"]
    assert lo <= report["initial"]["win_length"] <= hi
    assert lo <= report["optimized"]["win_length"] <= hi


def test_win_length_outside_the_bounds_names_the_flags(capsys):
    assert main(["optimize", *FAST, "--win-length", "500"]) == 2
    err = capsys.readouterr().err
    assert "--win-length 500" in err and "--win-length-bounds" in err and "win_length " not in err


def test_win_length_bounds_flag(capsys):
    code, report, _ = _json(capsys, *FAST, "--win-length-bounds", "20", "60")
    assert code == 0
    assert report["parameters"]["win_length_bounds"] == [20.0, 60.0]
    assert report["initial"]["win_length"] == 20.0  # n_fft // 8 = 16, moved inside
    assert 20.0 <= report["optimized"]["win_length"] <= 60.0
    for bad in (["60", "20"], ["10", "127"]):
        assert main(["optimize", *FAST, "--win-length-bounds", *bad]) == 2
        assert "--win-length-bounds must satisfy" in capsys.readouterr().err


# -- --mode time: one algorithm, comparable criteria ----------------------------------

def test_every_mode_reports_the_same_criterion(capsys):
    """The initial criterion is the same number in every mode (same window,
    same definition), and a varying mode's constant stage is the constant
    mode's result; with or without --reg the varying mode runs the same
    two-step algorithm."""
    _, const, _ = _json(capsys, "--example", "three-component", *FAST)
    _, time_default, _ = _json(capsys, "--example", "three-component", *FAST, "--mode", "time")
    _, time_reg0, _ = _json(capsys, "--example", "three-component", *FAST, "--mode", "time",
                            "--reg", "0")
    for report in (time_default, time_reg0):
        assert report["initial"] == const["initial"]
        assert report["parameters"]["scope"] == const["parameters"]["scope"] == "frame"
        assert report["constant"]["win_length"] == pytest.approx(
            const["optimized"]["win_length"], rel=1e-3)
        assert report["constant"]["criterion"] == pytest.approx(
            const["optimized"]["criterion"], rel=1e-6)
        assert report["optimized"]["criterion"] <= report["constant"]["criterion"] + 1e-9
    assert time_reg0["parameters"]["reg"] == 0.0
    # no --reg: the estimator's own default, whatever it is
    assert time_default["parameters"]["reg"] == AdaptiveSpectrogram().get_params()["reg"]
    assert time_reg0["optimized"]["criterion"] < time_reg0["constant"]["criterion"]
    lam = np.asarray(time_reg0["optimized"]["win_length"])
    lo, hi = time_reg0["parameters"]["win_length_bounds"]
    tol = 0.01 * (hi - lo)
    assert time_reg0["optimized"]["fraction_at_bounds"] == pytest.approx(
        np.mean((lam - lo <= tol) | (hi - lam <= tol)))


def test_global_scope_is_one_flag_for_every_mode(capsys):
    _, const, _ = _json(capsys, *FAST, "--scope", "global")
    _, varying, _ = _json(capsys, *FAST, "--scope", "global", "--mode", "time", "--reg", "0")
    assert varying["initial"] == const["initial"]
    _, frame, _ = _json(capsys, *FAST)
    assert frame["initial"]["criterion"] != const["initial"]["criterion"]


def test_hop_mode_constant_with_varying_window_names_the_flags(capsys):
    assert main(["optimize", *FAST, "--mode", "time", "--hop-mode", "constant"]) == 2
    err = capsys.readouterr().err
    assert "--hop-mode constant needs --mode constant" in err


# -- the figure ------------------------------------------------------------------

def _titles_and_loss(fig):
    axes = fig.axes
    spec_titles = [ax.get_title() for ax in axes if ax.get_title().startswith(
        ("initial", "optimized", "best constant", "adapted"))]
    loss_ax = next(ax for ax in axes if ax.get_title().startswith("training loss"))
    return spec_titles, loss_ax


@pytest.mark.parametrize("extra", [[], ["--mode", "time", "--reg", "0"]])
def test_figure_titles_and_loss_curve_agree(capsys, tmp_path, figures, extra):
    code, report, _ = _json(capsys, "--example", "three-component", *FAST, *extra,
                            "--plot", tmp_path / "f.png")
    assert code == 0 and len(figures) == 1
    titles, loss_ax = _titles_and_loss(figures[0])
    curve = loss_ax.lines[0].get_ydata()
    np.testing.assert_allclose(curve, report["loss_curve"])
    # no penalty in these runs: the loss is the criterion the titles quote
    assert report["loss_penalties"] == []
    assert curve[0] == pytest.approx(report["initial"]["criterion"], rel=1e-9)
    # the result is the best point of the run, drawn
    assert curve.min() == pytest.approx(report["optimized"]["criterion"], rel=1e-9)
    assert f"criterion {report['optimized']['criterion']:.4g}" in titles[1]
    if extra:
        n_fit = report["loss_curve_stages"][0]
        assert curve[n_fit] == pytest.approx(report["constant"]["criterion"], rel=1e-9)
        assert f"criterion {report['constant']['criterion']:.4g}" in titles[0]
    else:
        assert f"criterion {report['initial']['criterion']:.4g}" in titles[0]


def test_learned_hop_loss_plot_is_readable(capsys, tmp_path, figures):
    """A coverage penalty at the start is ~30x the criterion: the plot uses a
    log scale and draws the criterion values next to the loss."""
    code, report, _ = _json(capsys, "--example", "three-component", "--max-iter", "15",
                            "--hop-mode", "time", "--plot", tmp_path / "f.png")
    assert code == 0
    curve = np.asarray(report["loss_curve"])
    assert curve.max() > 10 * report["optimized"]["criterion"]  # the spike is there
    _, loss_ax = _titles_and_loss(figures[0])
    assert loss_ax.get_yscale() == "log"
    assert "coverage" in loss_ax.get_title()
    levels = {round(float(line.get_ydata()[0]), 9) for line in loss_ax.lines[1:]
              if len(set(line.get_ydata())) == 1}
    assert round(report["optimized"]["criterion"], 9) in levels
    assert round(report["initial"]["criterion"], 9) in levels


def test_plot_without_extension_reports_the_real_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["optimize", *FAST, "--plot", "fig"]) == 0
    assert "wrote fig.png" in capsys.readouterr().out
    assert (tmp_path / "fig.png").is_file() and not (tmp_path / "fig").exists()


def test_plot_unknown_format_fails_before_the_fit(capsys, tmp_path, no_fit):
    assert main(["optimize", *FAST, "--plot", str(tmp_path / "fig.xyz")]) == 2
    assert "unknown figure format '.xyz'" in capsys.readouterr().err


# -- the report ------------------------------------------------------------------

def test_time_window_is_summarised_per_frame(capsys):
    code = main(["optimize", *FAST, "--mode", "time", "--reg", "0", "--json", "-"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    n_frames = len(report["optimized"]["positions"])
    assert code == 0 and np.shape(report["optimized"]["win_length"]) == (n_frames,)
    assert "(samples, one per frame)" in captured.err
    assert f"({n_frames} values)" in captured.err and "one per frame" in captured.err


def test_frequency_window_is_summarised_per_bin(capsys):
    code, report, _ = _json(capsys, *FAST, "--mode", "frequency", "--reg", "0")
    assert code == 0 and np.shape(report["optimized"]["win_length"]) == (128 // 2 + 1,)


def test_reg_with_constant_mode_names_the_mode_flag(capsys):
    assert main(["optimize", *FAST, "--reg", "1"]) == 2
    err = capsys.readouterr().err
    assert "--mode" in err and "window_mode" not in err


def test_example_keeps_its_sampling_rate(capsys):
    code, report, err = _json(capsys, "--example", "multi-harmonic", "--n-fft", "256",
                              "--max-iter", "5")
    assert code == 0 and report["fs"] == 2048.0
    assert "fs = 2048 Hz" in err
    _, report, _ = _json(capsys, "--example", "three-component", *FAST)
    assert report["fs"] is None  # defined in samples


def test_json_dash_is_stdout(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["optimize", *FAST, "--json", "-"])
    captured = capsys.readouterr()
    assert code == 0 and not (tmp_path / "-").exists()
    assert json.loads(captured.out)["n_samples"] == 4096  # stdout is the JSON alone
    assert "skdstft optimize:" in captured.err


def test_signal_and_example_together_is_an_error(capsys, tmp_path, no_fit):
    np.save(tmp_path / "x.npy", np.ones(512))
    assert main(["optimize", str(tmp_path / "x.npy"), "--example", "three-component"]) == 2
    assert "not both" in capsys.readouterr().err


def test_missing_output_folder_fails_before_the_fit(capsys, tmp_path, no_fit):
    missing = tmp_path / "no" / "such"
    assert main(["optimize", *FAST, "--json", str(missing / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["optimize", *FAST, "--plot", str(missing / "f.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    folder = _wav_folder(tmp_path / "wavs", n_files=2)
    assert main(["features", str(folder), "--out", str(missing / "f.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


# -- signal files ---------------------------------------------------------------

def test_npy_with_channels_in_rows(capsys, tmp_path):
    X = np.stack([signals.three_component(n_samples=2048, random_state=s) for s in (0, 1)])
    np.save(tmp_path / "two.npy", X)
    np.save(tmp_path / "one.npy", X[1])
    assert main(["optimize", str(tmp_path / "two.npy"), *FAST]) == 2
    assert "2 channels" in capsys.readouterr().err and True
    code, rows, _ = _json(capsys, tmp_path / "two.npy", *FAST, "--channel", "1")
    _, single, _ = _json(capsys, tmp_path / "one.npy", *FAST)
    assert code == 0 and rows["n_samples"] == 2048
    assert rows["optimized"] == single["optimized"]


def test_too_short_signal_is_an_error(capsys, tmp_path):
    np.save(tmp_path / "short.npy", np.ones(10))
    assert main(["optimize", str(tmp_path / "short.npy"), *FAST]) == 2
    assert "10 samples" in capsys.readouterr().err


def test_csv_with_header_and_empty_csv(capsys, tmp_path):
    x = signals.three_component(n_samples=1024, random_state=2)
    np.savetxt(tmp_path / "h.csv", x, delimiter=",", header="pressure", comments="")
    code, report, _ = _json(capsys, tmp_path / "h.csv", *FAST)
    assert code == 0 and report["n_samples"] == 1024
    (tmp_path / "e.csv").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's raw "input contained no data" must not show
        assert main(["optimize", str(tmp_path / "e.csv"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "is empty" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "t.csv").write_text("a\nb\nc\n")
    assert main(["optimize", str(tmp_path / "t.csv"), *FAST]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_multichannel_csv_columns(capsys, tmp_path):
    x = signals.three_component(n_samples=1024, random_state=2)
    # not (x, -x): their mean is silence, which is refused
    np.savetxt(tmp_path / "s.csv", np.c_[x, 0.5 * x], delimiter=",", header="l,r", comments="")
    code, report, _ = _json(capsys, tmp_path / "s.csv", *FAST, "--channel", "mean")
    assert code == 0 and report["n_samples"] == 1024


def test_channels_of_wav_files(capsys, tmp_path):
    x = signals.three_component(n_samples=2048, random_state=1)
    y = signals.three_component(n_samples=2048, random_state=5)
    wavfile.write(tmp_path / "mono.wav", 1000, x.astype(np.float32))
    wavfile.write(tmp_path / "right.wav", 1000, y.astype(np.float32))
    wavfile.write(tmp_path / "stereo.wav", 1000, np.stack([x, y], axis=1).astype(np.float32))
    assert main(["optimize", str(tmp_path / "mono.wav"), *FAST, "--channel", "1"]) == 2
    assert "mono" in capsys.readouterr().err
    assert main(["optimize", str(tmp_path / "stereo.wav"), *FAST]) == 2
    assert "--channel" in capsys.readouterr().err
    _, right, _ = _json(capsys, tmp_path / "stereo.wav", *FAST, "--channel", "1")
    _, alone, _ = _json(capsys, tmp_path / "right.wav", *FAST)
    assert right["optimized"] == alone["optimized"]
    code, _, _ = _json(capsys, tmp_path / "mono.wav", *FAST, "--channel", "0")
    assert code == 0
    assert main(["optimize", str(tmp_path / "stereo.wav"), *FAST, "--channel", "x"]) == 2


# -- features ----------------------------------------------------------------------

FEAT_FAST = ["--n-fft", "64", "--n-bands", "8", "--n-segments", "4", "--max-iter", "10"]


def test_features_length_error_names_the_flag(capsys, tmp_path):
    folder = _wav_folder(tmp_path / "w", names=["a.wav"])
    _wav_folder(folder, n=1700, names=["b.wav"])
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), *FEAT_FAST]) == 2
    err = capsys.readouterr().err
    assert "--length" in err and "length=" not in err


def test_features_upper_case_extension(capsys, tmp_path):
    folder = _wav_folder(tmp_path / "w", names=["a.wav", "B.WAV", "c.Wav"])
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), *FEAT_FAST]) == 0
    assert sorted(pd.read_csv(tmp_path / "f.csv")["file"]) == ["B.WAV", "a.wav", "c.Wav"]


def test_features_skip_errors(capsys, tmp_path):
    folder = _wav_folder(tmp_path / "w", n_files=3)
    (folder / "broken.wav").write_bytes(b"not audio")
    out = tmp_path / "f.csv"
    assert main(["features", str(folder), "--out", str(out), *FEAT_FAST]) == 2
    err = capsys.readouterr().err
    assert "broken.wav" in err and "--skip-errors" in err and not out.exists()
    assert main(["features", str(folder), "--out", str(out), *FEAT_FAST, "--skip-errors"]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 unreadable file" in err and "broken.wav" in err
    assert list(pd.read_csv(out)["file"]) == [f"clip_{i}.wav" for i in range(3)]


def test_features_channels(capsys, tmp_path):
    folder = _wav_folder(tmp_path / "w", n_files=2)
    rng = np.random.default_rng(3)
    wavfile.write(folder / "stereo.wav", 8000, rng.standard_normal((1500, 2)).astype(np.float32))
    out = str(tmp_path / "f.csv")
    assert main(["features", str(folder), "--out", out, *FEAT_FAST]) == 2
    assert "several channels" in capsys.readouterr().err
    assert main(["features", str(folder), "--out", out, *FEAT_FAST, "--channel", "1"]) == 2
    assert "--channel 1 is out of range" in capsys.readouterr().err
    assert main(["features", str(folder), "--out", out, *FEAT_FAST, "--channel", "mean"]) == 0


def test_features_n_bands_beyond_the_bins_is_an_error(capsys, tmp_path, no_fit):
    folder = _wav_folder(tmp_path / "w", n_files=2)
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"),
                 "--n-bands", "1000"]) == 2
    assert "--n-bands 1000 exceeds the 257 frequency bins" in capsys.readouterr().err
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"),
                 "--n-segments", "999"]) == 2
    assert "--n-segments 999 exceeds" in capsys.readouterr().err


def test_features_defaults_fit_a_small_grid(capsys, tmp_path):
    """The default 32 bands x 16 segments shrink to what n_fft 16 offers (9 bins)."""
    folder = _wav_folder(tmp_path / "w", n_files=2, n=64)
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), "--n-fft", "16",
                 "--max-iter", "5"]) == 0
    assert pd.read_csv(tmp_path / "f.csv").shape[1] == 1 + 9 * 16


# -- one sample scale ----------------------------------------------------------------

def test_cli_features_equal_the_api_on_the_loader(capsys, tmp_path):
    """The CLI decodes int16 wav files as load_wav_folder does: its table is
    DSTFTTransformer on that loader's X, bit for bit."""
    folder = _wav_folder(tmp_path / "w", n_files=3)
    out = tmp_path / "f.csv"
    assert main(["features", str(folder), "--out", str(out), *FEAT_FAST]) == 0
    table = pd.read_csv(out)
    X = load_wav_folder(folder).X
    est = DSTFTTransformer(n_fft=64, hop_length=16, n_bands=8, n_segments=4, max_iter=10,
                           random_state=0)
    np.testing.assert_allclose(table.drop(columns="file").to_numpy(), est.fit_transform(X),
                               rtol=1e-12, atol=1e-12)


def test_the_api_takes_int16_at_face_value(tmp_path):
    """The documented rule: arrays are not rescaled, so raw int16 samples give
    log features shifted by log(32768) against the decoded file."""
    folder = _wav_folder(tmp_path / "w", n_files=2)
    X = load_wav_folder(folder).X
    raw = np.stack([wavfile.read(folder / f"clip_{i}.wav")[1] for i in range(2)])
    assert raw.dtype == np.int16
    est = DSTFTTransformer(n_fft=64, window_mode="fixed", n_bands=8, n_segments=4)
    shift = est.fit(raw).transform(raw) - est.fit(X).transform(X)
    np.testing.assert_allclose(shift, np.log(32768.0), rtol=1e-6)


# -- warnings in the CLI's words -------------------------------------------------------

def test_cli_words():
    assert cli_words("win_length_bounds=(8.0, 126.0) or n_fft=128") == \
        "--win-length-bounds (8.0, 126.0) or --n-fft 128"
    assert cli_words("needs window_mode='time'") == "needs --mode time"
    assert cli_words("the window length and the length are prose; reg=2") == \
        "the window length and the length are prose; --reg 2"
    assert cli_words("DSTFTTransformer: the best run stopped at max_iter=5") == \
        "the best run stopped at --max-iter 5"


def _emit_bound_warning(cls, monkeypatch):
    original = cls.fit

    def fit(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        warnings.warn(f"{cls.__name__}: the learned window length 8.0 is at the lower bound "
                      "8.0; widen win_length_bounds or raise n_fft", BoundWarning,
                      stacklevel=2)
        return out

    monkeypatch.setattr(cls, "fit", fit)


@pytest.mark.parametrize("cls, mode", [(DSTFTTransformer, "constant"),
                                       (AdaptiveSpectrogram, "time")])
def test_bound_warnings_are_reworded_with_the_flags(capsys, monkeypatch, cls, mode):
    _emit_bound_warning(cls, monkeypatch)
    code, report, err = _json(capsys, *FAST, "--mode", mode)
    assert code == 0
    line = next(line for line in err.splitlines() if "lower bound" in line)
    assert line.startswith("skdstft optimize: warning: the learned window length")
    assert "--win-length-bounds" in line and "--n-fft" in line
    assert "win_length_bounds" not in line and "n_fft" not in line
    assert cls.__name__ not in line
    assert any("--win-length-bounds" in w for w in report["warnings"])


def test_features_bound_warning_is_reworded(capsys, monkeypatch, tmp_path):
    _emit_bound_warning(DSTFTTransformer, monkeypatch)
    folder = _wav_folder(tmp_path / "w", n_files=2)
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), *FEAT_FAST]) == 0
    assert "skdstft features: warning:" in capsys.readouterr().err


def _estimators_warn_at_bounds():
    """True once the estimators emit BoundWarning (the `defaults` work)."""
    x = np.random.default_rng(0).standard_normal((1, 2048))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DSTFTTransformer(n_fft=64, max_iter=30).fit(x)
    return any(issubclass(w.category, BoundWarning) for w in caught)


def test_white_noise_at_the_lower_bound_is_reported(capsys, tmp_path):
    """A real case: the whole-plane entropy of white noise keeps the window at its
    lower bound (the per-frame entropy finds an interior optimum, ~56 samples)."""
    if not _estimators_warn_at_bounds():
        pytest.skip("the estimators do not emit BoundWarning yet")
    np.save(tmp_path / "noise.npy", np.random.default_rng(0).standard_normal(4096))
    code, report, err = _json(capsys, tmp_path / "noise.npy", "--n-fft", "64", "--scope", "global")
    assert code == 0
    assert report["optimized"]["win_length"] <= report["parameters"]["win_length_bounds"][0] * 1.01
    line = next(line for line in err.splitlines() if "warning" in line and "bound" in line)
    assert "--win-length-bounds" in line or "--n-fft" in line
    assert "win_length_bounds" not in line


# -- first contact ---------------------------------------------------------------------

def test_no_arguments_shows_the_help(capsys):
    assert main([]) == 2
    assert "optimize" in capsys.readouterr().out


def test_help_and_usage_errors_return_a_status(capsys):
    assert main(["optimize", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--win-length-bounds" in out and "[-1, 1)" in out and "examples:" in out
    assert main(["optimize", "--n-fft", "7"]) == 2
    assert main(["optimize", "--channel", "-1"]) == 2


def test_hop_longer_than_any_window_is_reported(capsys):
    assert main(["optimize", *FAST, "--hop", "200"]) == 0
    assert "--hop 200 is longer than the longest window" in capsys.readouterr().err
    code, report, _ = _json(capsys, *FAST, "--hop", "200")  # in the report's warnings too
    assert code == 0 and any("--hop 200 is longer" in w for w in report["warnings"])


def test_fs_flag_says_it_replaces_the_files_rate(capsys, tmp_path):
    x = signals.three_component(n_samples=1024, random_state=1)
    wavfile.write(tmp_path / "s.wav", 8000, x.astype(np.float32))
    code, report, err = _json(capsys, tmp_path / "s.wav", *FAST, "--fs", "16000")
    assert code == 0 and report["fs"] == 16000
    assert "8000 Hz, replaced by --fs" in err


def test_fit_on_folder_with_another_rate_is_an_error(capsys, tmp_path, no_fit):
    folder = _wav_folder(tmp_path / "a", n_files=2)
    other = tmp_path / "b"
    other.mkdir()
    wavfile.write(other / "x.wav", 16000, np.zeros(1500, dtype=np.int16))
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), "--fit-on",
                 str(other)]) == 2
    assert "16000 Hz" in capsys.readouterr().err


# -- found by a second newcomer's try (after the CLI fixes and the inverse landed) -------------------

def test_silent_signal_is_an_error(capsys, tmp_path):
    # all zeros (or a stereo mean that cancels) used to report "initial 0 -> optimized 0,
    # 0 iterations" as a success: every criterion is flat on silence
    np.save(tmp_path / "z.npy", np.zeros(2048))
    assert main(["optimize", str(tmp_path / "z.npy"), *FAST]) == 2
    assert "z.npy is silent" in capsys.readouterr().err
    x = (signals.three_component(n_samples=2048, random_state=0) * 8000).astype(np.int16)
    wavfile.write(tmp_path / "s.wav", 8000, np.stack([x, -x], axis=1))
    assert main(["optimize", str(tmp_path / "s.wav"), "--channel", "mean", *FAST]) == 2
    assert "every sample of --channel mean is 0" in capsys.readouterr().err
    assert main(["optimize", str(tmp_path / "s.wav"), "--channel", "1", *FAST]) == 0


def test_empty_wav_is_reported_as_empty(capsys, tmp_path, no_fit):
    wavfile.write(tmp_path / "e.wav", 8000, np.zeros(0, dtype=np.int16))
    assert main(["optimize", str(tmp_path / "e.wav"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "e.wav is empty" in err and "reshape" not in err


def test_seed_and_n_fft_errors_are_usage_errors(capsys):
    # --seed -1 used to reach numpy and fail with exit 1 and its raw ValueError
    for flags, words in ((["--seed", "-1"], "argument --seed: expected an integer >= 0"),
                         (["--n-fft", "-4"], "expected an even integer >= 4, got -4")):
        assert main(["optimize", *FAST, *flags]) == 2
        assert words in capsys.readouterr().err
    assert main(["features", "x", "--out", "f.csv", "--seed", "-2"]) == 2
    assert "argument --seed" in capsys.readouterr().err


def test_features_refuse_signals_shorter_than_a_quarter_frame(capsys, tmp_path, no_fit):
    # as optimize does: --length 10 at n_fft 512 used to fit a window on 10 samples
    folder = _wav_folder(tmp_path / "w", n_files=2)
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"),
                 "--length", "10"]) == 2
    err = capsys.readouterr().err
    assert "10 samples, fewer than n_fft / 4 = 128 (--n-fft 512)" in err and "--length" in err


def test_every_option_has_help():
    # --layout, --max-iter, --n-jobs and --seed of features had none. Pinned to
    # argparse's _actions because argparse has no public list of a parser's options.
    from skdstft.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.choices and "features" in a.choices)
    for name, command in sub.choices.items():
        silent = [a.option_strings[0] for a in command._actions
                  if a.option_strings and not a.help]
        assert not silent, f"{name}: {silent} have no help text"


def test_report_header_comes_before_the_fit(capsys, monkeypatch):
    # the fit's warnings (stderr) must follow the line that says what runs
    seen = []
    original = DSTFTTransformer.fit

    def fit(self, *args, **kwargs):
        seen.append(capsys.readouterr().out)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DSTFTTransformer, "fit", fit)
    assert main(["optimize", *FAST]) == 0
    assert seen and seen[0].startswith("skdstft optimize: example three-component")


@pytest.mark.parametrize("mode, axis", [("time", "time"), ("frequency", "frequency")])
def test_window_length_panel_when_frames_equal_bins(capsys, tmp_path, figures, mode, axis):
    # 2048 samples at n_fft 128: 65 frames and 65 bins. The figure used to tell a
    # per-frame window from a per-bin one by its length, and drew a time-varying
    # window against frequency
    np.save(tmp_path / "x.npy", signals.three_component(n_samples=2048, random_state=0))
    code, report, _ = _json(capsys, tmp_path / "x.npy", *FAST, "--mode", mode, "--reg", "0",
                            "--plot", tmp_path / "f.png")
    assert code == 0 and len(report["optimized"]["positions"]) == 128 // 2 + 1
    lengths = np.asarray(report["optimized"]["win_length"])
    assert np.ptp(lengths) > 1  # the window did vary
    panel = next(ax for ax in figures[0].axes if ax.get_ylabel().startswith("window length"))
    assert panel.get_xlabel().startswith(axis)
    np.testing.assert_allclose(panel.lines[0].get_ydata(), lengths)


def test_learned_window_shorter_than_the_hop_is_reported(capsys):
    # variable-period-sine at the defaults learns 170.5 samples under a hop of 256: a third
    # of the signal lay in no window, and nothing said so
    code, report, err = _json(capsys, "--example", "variable-period-sine")
    assert code == 0 and report["optimized"]["win_length"] < report["parameters"]["hop"]
    # said once, in the CLI's flags (was: twice, the estimator's and the CLI's own words)
    assert err.count("lie in no window") == 1 and "lower --hop" in err
    assert sum("lie in no window" in w for w in report["warnings"]) == 1
    code, report, err = _json(capsys, "--example", "variable-period-sine", "--hop", "64")
    assert code == 0 and report["optimized"]["win_length"] > 64 and "shorter than" not in err


def test_features_learned_window_shorter_than_the_hop_is_reported(capsys, tmp_path):
    folder = tmp_path / "noise"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):  # white noise: the entropy drives the window to its lower bound
        wavfile.write(folder / f"n{i}.wav", 8000, (rng.standard_normal(2048) * 3000).astype(np.int16))
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), "--n-fft", "128",
                 "--n-bands", "8", "--n-segments", "4", "--max-iter", "20"]) == 0
    err = capsys.readouterr().err
    assert err.count("lie in no window") == 1 and "lower --hop" in err
    assert main(["features", str(folder), "--out", str(tmp_path / "f.csv"), "--n-fft", "128",
                 "--n-bands", "8", "--n-segments", "4", "--mode", "fixed"]) == 0
    assert "lie in no window" not in capsys.readouterr().err
