"""The command line: reports, outputs, and one-line errors with non-zero exits."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.io import wavfile

from skdstft import signals
from skdstft.cli import main

FAST = ["--n-fft", "128", "--max-iter", "15"]


def run_cli(*args):
    """Run the installed entry point in a subprocess (what a user runs)."""
    proc = subprocess.run([sys.executable, "-m", "skdstft.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_optimize_builtin_example_writes_json_and_png(tmp_path):
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    code = main(["optimize", "--example", "three-component", "--json", str(out_json),
                 "--plot", str(out_png)])
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["n_samples"] == 4096
    assert report["optimized"]["criterion"] < report["initial"]["criterion"]
    assert len(report["loss_curve"]) >= 2
    lam = report["optimized"]["win_length"]
    assert 8 <= lam <= 1022
    assert out_png.stat().st_size > 10_000  # a real figure, not an empty canvas


def test_optimize_wav_file_recorded_elsewhere(tmp_path, capsys):
    x = signals.three_component(n_samples=2048, random_state=3)
    path = tmp_path / "sig.wav"
    wavfile.write(path, 8000, (x / np.abs(x).max() * 32000).astype(np.int16))
    code = main(["optimize", str(path), *FAST, "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "fs = 8000 Hz" in out and "optimized" in out
    assert json.loads((tmp_path / "r.json").read_text())["fs"] == 8000


def test_optimize_multichannel_wav_channel_option(tmp_path):
    x = signals.three_component(n_samples=1024, random_state=1)
    stereo = np.stack([x, np.zeros_like(x)], axis=1).astype(np.float32)
    path = tmp_path / "stereo.wav"
    wavfile.write(path, 1000, stereo)
    assert main(["optimize", str(path), *FAST, "--channel", "0"]) == 0
    assert main(["optimize", str(path), *FAST, "--channel", "5"]) == 2


def test_optimize_npy_and_csv(tmp_path):
    x = signals.three_component(n_samples=1024, random_state=2)
    np.save(tmp_path / "sig.npy", x)
    np.savetxt(tmp_path / "sig.csv", x, delimiter=",")
    assert main(["optimize", str(tmp_path / "sig.npy"), *FAST]) == 0
    assert main(["optimize", str(tmp_path / "sig.csv"), *FAST]) == 0


def test_optimize_time_varying_mode(tmp_path):
    out_json = tmp_path / "t.json"
    code = main(["optimize", "--example", "three-component", *FAST, "--mode", "time",
                 "--json", str(out_json)])
    assert code == 0
    lam = np.asarray(json.loads(out_json.read_text())["optimized"]["win_length"])
    assert lam.size > 1


def test_example_list(capsys):
    assert main(["optimize", "--example", "list"]) == 0
    out = capsys.readouterr().out
    for name in signals.list_examples():
        assert name in out


@pytest.mark.parametrize("args", [
    ["optimize", "no/such/file.wav"],
    ["optimize", "--example", "no-such-example"],
    ["optimize", "--n-fft", "511"],
    ["optimize", "--n-fft", "abc"],
    ["optimize", "--mode", "sideways"],
    ["optimize", "--max-iter", "0"],
    ["features", "no/such/folder", "--out", "x.csv"],
    ["nonsense"],
])
def test_bad_paths_and_options_exit_nonzero_with_one_line(args):
    code, out, err = run_cli(*args)
    assert code != 0
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err


def test_unreadable_audio_is_one_line(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not a wav file")
    code, _, err = run_cli("optimize", bad)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(bad) in err


def test_features_folder_to_csv(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "wavs"
    folder.mkdir()
    for i in range(5):
        n = 900 + 50 * i  # unequal lengths: --length pads or crops them
        tone = np.sin(2 * np.pi * (0.05 + 0.02 * i) * np.arange(n)) + 0.1 * rng.standard_normal(n)
        wavfile.write(folder / f"clip_{i}.wav", 8000, (tone * 10000).astype(np.int16))
    out = tmp_path / "features.csv"
    code = main(["features", str(folder), "--out", str(out), "--n-fft", "64", "--length", "1100",
                 "--n-bands", "8", "--n-segments", "4", "--max-iter", "10"])
    assert code == 0
    table = pd.read_csv(out)
    assert len(table) == 5
    assert list(table["file"]) == [f"clip_{i}.wav" for i in range(5)]
    assert table.shape[1] == 1 + 8 * 4
    assert "band00_seg00" in table.columns
    assert np.all(np.isfinite(table.drop(columns="file").to_numpy()))
