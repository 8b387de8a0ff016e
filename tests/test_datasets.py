"""Tests of the wav-folder loaders (skdstft.datasets)."""

import os
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile
from sklearn.utils import Bunch

from skdstft.datasets import load_fsdd, load_wav, load_wav_folder, pcm_to_float

REPO_ROOT = Path(__file__).resolve().parents[1]


def _write(folder, name, data, rate=8000):
    wavfile.write(folder / name, rate, data)


@pytest.fixture
def folder(tmp_path):
    """Four files of equal length (64 samples) in four sample formats."""
    _write(tmp_path, "1_alice_0.wav", np.full(64, 16384, dtype=np.int16))  # 0.5
    _write(tmp_path, "2_bob_0.wav", np.full(64, -(2**30), dtype=np.int32))  # -0.5
    _write(tmp_path, "3_alice_1.wav", np.full(64, 192, dtype=np.uint8))  # 0.5
    _write(tmp_path, "4_bob_1.wav", np.full(64, 0.25, dtype=np.float32))  # 0.25
    return tmp_path


def test_formats_are_normalized(folder):
    data = load_wav_folder(folder)
    assert isinstance(data, Bunch)
    assert data.X.shape == (4, 64) and data.X.dtype == np.float64
    np.testing.assert_allclose(data.X[:, 0], [0.5, -0.5, 0.5, 0.25])
    np.testing.assert_allclose(data.X, data.X[:, :1] * np.ones(64))
    assert data.fs == 8000
    assert data.y is None and data.groups is None
    assert [Path(f).name for f in data.filenames] == [
        "1_alice_0.wav",
        "2_bob_0.wav",
        "3_alice_1.wav",
        "4_bob_1.wav",
    ]
    np.testing.assert_array_equal(data.lengths, [64] * 4)


def test_full_scale_int_formats(tmp_path):
    _write(tmp_path, "a.wav", np.array([-32768, 0, 32767], dtype=np.int16))
    _write(tmp_path, "b.wav", np.array([-(2**31), 0, 2**31 - 1], dtype=np.int32))
    _write(tmp_path, "c.wav", np.array([0, 128, 255], dtype=np.uint8))
    _write(tmp_path, "d.wav", np.array([-1.0, 0.0, 1.0], dtype=np.float64))
    X = load_wav_folder(tmp_path).X
    assert X.min() == -1.0 and X.max() <= 1.0
    np.testing.assert_allclose(X, [[-1, 0, 1]] * 4, atol=1e-2)


def test_pcm_to_float_is_the_one_scale():
    """One constant per format: 2**(bits - 1), so that -full scale is exactly -1."""
    np.testing.assert_array_equal(
        pcm_to_float(np.array([-32768, -16384, 0, 32767], dtype=np.int16)),
        [-1.0, -0.5, 0.0, 32767 / 32768])
    np.testing.assert_array_equal(pcm_to_float(np.array([-(2**31)], dtype=np.int32)), [-1.0])
    np.testing.assert_array_equal(pcm_to_float(np.array([-(2**63)], dtype=np.int64)), [-1.0])
    np.testing.assert_array_equal(pcm_to_float(np.array([0, 128, 255], dtype=np.uint8)),
                                  [-1.0, 0.0, 127 / 128])
    np.testing.assert_array_equal(pcm_to_float(np.array([2.5], dtype=np.float32)), [2.5])
    assert pcm_to_float(np.zeros(3, dtype=np.int16), np.float32).dtype == np.float32
    for bad in (np.zeros(3, dtype=np.uint16), np.zeros(3, dtype=bool)):
        with pytest.raises(ValueError, match="sample format"):
            pcm_to_float(bad)


def test_load_wav_one_file(tmp_path):
    stereo = np.array([[16384, -8192]] * 5, dtype=np.int16)
    _write(tmp_path, "s.wav", stereo, rate=16000)
    x, fs = load_wav(tmp_path / "s.wav")
    assert fs == 16000 and x.shape == (5,) and x.dtype == np.float64
    np.testing.assert_array_equal(x, 0.5)
    np.testing.assert_array_equal(load_wav(tmp_path / "s.wav", channel=1)[0], -0.25)
    np.testing.assert_array_equal(load_wav(tmp_path / "s.wav", channel=None)[0], 0.125)
    assert load_wav(tmp_path / "s.wav", channel="all")[0].shape == (5, 2)
    with pytest.raises(ValueError, match="channel=2 but file .* has 2 channels"):
        load_wav(tmp_path / "s.wav", channel=2)
    _write(tmp_path, "m.wav", np.zeros(4, dtype=np.int16))
    assert load_wav(tmp_path / "m.wav", channel="all")[0].shape == (4, 1)
    with pytest.raises(ValueError, match="has 1 channel$"):  # a mono file has channel 0 only
        load_wav(tmp_path / "m.wav", channel=1)
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load_wav(tmp_path / "nope.wav")


def test_empty_wav_file_is_zero_samples(tmp_path):
    # scipy reads an empty mono file as shape (0,); it used to fail in a reshape
    # with numpy's words ("cannot reshape array of size 0"), naming no file
    _write(tmp_path, "empty.wav", np.zeros(0, dtype=np.int16))
    x, fs = load_wav(tmp_path / "empty.wav")
    assert x.shape == (0,) and fs == 8000
    assert load_wav(tmp_path / "empty.wav", channel="all")[0].shape == (0, 1)
    assert load_wav(tmp_path / "empty.wav", channel=None)[0].shape == (0,)
    with pytest.raises(ValueError, match="hold no samples; pass length="):
        load_wav_folder(tmp_path)
    _write(tmp_path, "one.wav", np.full(8, 16384, dtype=np.int16))
    data = load_wav_folder(tmp_path, length=8)
    np.testing.assert_array_equal(data.X, [np.zeros(8), np.full(8, 0.5)])
    np.testing.assert_array_equal(data.lengths, [0, 8])


def test_folder_and_file_loaders_agree(folder):
    """The folder loader decodes with the same function as load_wav."""
    data = load_wav_folder(folder)
    for row, name in zip(data.X, data.filenames):
        np.testing.assert_array_equal(row, load_wav(name)[0])


def test_upper_case_extension_is_found(tmp_path):
    _write(tmp_path, "LOUD.WAV", np.full(8, 16384, dtype=np.int16))
    _write(tmp_path, "quiet.wav", np.zeros(8, dtype=np.int16))
    _write(tmp_path, "notes.txt.bak", np.zeros(8, dtype=np.int16))
    data = load_wav_folder(tmp_path)
    assert [Path(f).name for f in data.filenames] == ["LOUD.WAV", "quiet.wav"]
    assert data.X[0, 0] == 0.5


def test_skip_unreadable_files(folder):
    (folder / "0_bad_0.wav").write_bytes(b"RIFF\x00\x00not a wav file at all")
    with pytest.warns(UserWarning, match="skipped 1 of 5"):
        data = load_wav_folder(folder, on_error="skip")
    assert data.X.shape == (4, 64)
    assert [Path(f) .name for f, _ in data.skipped] == ["0_bad_0.wav"]
    assert "cannot read wav file" in data.skipped[0][1]
    assert load_wav_folder(folder, pattern="[1-4]_*.wav").skipped == []
    with pytest.raises(ValueError, match="on_error"):
        load_wav_folder(folder, on_error="ignore")


def test_skip_everything_is_an_error(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"junk")
    with pytest.raises(ValueError, match="none of the 1 files"):
        load_wav_folder(tmp_path, on_error="skip")


def test_float32_dtype(folder):
    X = load_wav_folder(folder, dtype=np.float32).X
    assert X.dtype == np.float32
    np.testing.assert_allclose(X[:, 0], [0.5, -0.5, 0.5, 0.25])
    with pytest.raises(ValueError, match="dtype"):
        load_wav_folder(folder, dtype=np.int16)


def test_padding_and_cropping(tmp_path):
    _write(tmp_path, "a.wav", np.ones(10, dtype=np.float32))
    _write(tmp_path, "b.wav", np.ones(30, dtype=np.float32))
    with pytest.raises(ValueError, match=r"10 samples.*30 samples.*length="):
        load_wav_folder(tmp_path)
    data = load_wav_folder(tmp_path, length=20)
    assert data.X.shape == (2, 20)
    np.testing.assert_array_equal(data.X[0], np.r_[np.ones(10), np.zeros(10)])
    np.testing.assert_array_equal(data.X[1], np.ones(20))
    np.testing.assert_array_equal(data.lengths, [10, 30])
    assert load_wav_folder(tmp_path, length=40).X[1, 30:].sum() == 0
    with pytest.raises(ValueError, match="length"):
        load_wav_folder(tmp_path, length=0)


def test_labels_and_groups(folder):
    data = load_wav_folder(
        folder,
        label_from_name=lambda stem: int(stem.split("_")[0]),
        group_from_name=r"^\d_([a-z]+)_",
    )
    assert data.y.dtype.kind == "i"
    np.testing.assert_array_equal(data.y, [1, 2, 3, 4])
    np.testing.assert_array_equal(data.groups, ["alice", "bob", "alice", "bob"])
    # regex labels are strings
    y = load_wav_folder(folder, label_from_name=r"^(\d)").y
    assert y.tolist() == ["1", "2", "3", "4"]


def test_return_X_y(folder):
    X, y = load_wav_folder(folder, label_from_name=r"^(\d)", return_X_y=True)
    assert X.shape == (4, 64) and y.shape == (4,)
    X, y, groups = load_wav_folder(
        folder,
        label_from_name=r"^(\d)",
        group_from_name=r"_(\w+?)_",
        return_X_y=True,
        return_groups=True,
    )
    assert groups.tolist() == ["alice", "bob", "alice", "bob"]


def test_pattern_and_max_files(folder):
    data = load_wav_folder(folder, pattern="*_alice_*.wav")
    assert data.X.shape == (2, 64)
    assert load_wav_folder(folder, max_files=3).X.shape == (3, 64)


def test_multichannel(tmp_path):
    stereo = np.stack([np.full(16, 0.5), np.full(16, -0.25)], axis=1).astype(np.float32)
    _write(tmp_path, "s.wav", stereo)
    np.testing.assert_allclose(load_wav_folder(tmp_path).X, 0.5)
    np.testing.assert_allclose(load_wav_folder(tmp_path, channel=1).X, -0.25)
    np.testing.assert_allclose(load_wav_folder(tmp_path, channel=None).X, 0.125)
    assert load_wav_folder(tmp_path).n_channels.tolist() == [2]
    with pytest.raises(ValueError, match="channel"):
        load_wav_folder(tmp_path, channel=2)


def test_missing_folder(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="nope"):
        load_wav_folder(missing)
    file = tmp_path / "f.txt"
    file.write_text("x")
    with pytest.raises(NotADirectoryError, match="f.txt"):
        load_wav_folder(file)


def test_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no wav here")
    with pytest.raises(ValueError, match=r"no file matches pattern '\*\.wav'"):
        load_wav_folder(tmp_path)


def test_corrupt_file(folder):
    (folder / "5_carol_0.wav").write_bytes(b"RIFF\x00\x00not a wav file at all")
    with pytest.raises(ValueError, match="5_carol_0.wav"):
        load_wav_folder(folder)


def test_mismatched_sample_rates(folder):
    _write(folder, "9_dave_0.wav", np.zeros(64, dtype=np.int16), rate=16000)
    with pytest.raises(ValueError, match=r"sample rates.*8000 Hz.*16000 Hz"):
        load_wav_folder(folder)


def test_labeller_errors(folder):
    with pytest.raises(ValueError, match="does not match"):
        load_wav_folder(folder, label_from_name=r"^(x)")
    with pytest.raises(ValueError, match="capturing group"):
        load_wav_folder(folder, label_from_name=r"^\d")
    with pytest.raises(TypeError, match="label_from_name"):
        load_wav_folder(folder, label_from_name=3)
    with pytest.raises(ValueError, match="1_alice_0.wav"):
        load_wav_folder(folder, label_from_name=lambda stem: 1 / 0)


def test_bad_arguments(folder):
    with pytest.raises(TypeError, match="path"):
        load_wav_folder(3)
    with pytest.raises(TypeError, match="return_X_y"):
        load_wav_folder(folder, return_X_y="yes")
    with pytest.raises(TypeError, match="max_files"):
        load_wav_folder(folder, max_files=1.5)


# --------------------------------------------------------------------------- #
# FSDD
# --------------------------------------------------------------------------- #
def _fsdd_path():
    env = os.environ.get("SKDSTFT_FSDD")
    if env and Path(env).is_dir():
        return Path(env)
    fallback = REPO_ROOT.parent / "shared" / "data" / "fsdd" / "recordings"
    return fallback if fallback.is_dir() else None


def test_load_fsdd_layout(tmp_path):
    rng = np.random.default_rng(0)
    for digit, speaker, index, n in [(0, "ann", 0, 5000), (7, "bo", 3, 9000), (7, "ann", 1, 8000)]:
        data = (rng.uniform(-0.5, 0.5, n) * 32767).astype(np.int16)
        _write(tmp_path, f"{digit}_{speaker}_{index}.wav", data)
    data = load_fsdd(tmp_path)
    assert data.X.shape == (3, 8000) and data.fs == 8000
    assert data.y.tolist() == [0, 7, 7] and data.y.dtype.kind == "i"
    assert data.groups.tolist() == ["ann", "ann", "bo"]
    assert data.X[0, 5000:].sum() == 0
    X, y, groups = load_fsdd(tmp_path, length=100, return_X_y=True, return_groups=True)
    assert X.shape == (3, 100) and y.tolist() == [0, 7, 7] and groups.tolist()[2] == "bo"
    _write(tmp_path, "README.wav", np.zeros(10, dtype=np.int16))
    with pytest.raises(ValueError, match="README"):
        load_fsdd(tmp_path)


def test_load_fsdd_env_var(tmp_path, monkeypatch):
    _write(tmp_path, "3_zed_0.wav", np.zeros(10, dtype=np.int16))
    monkeypatch.setenv("SKDSTFT_FSDD", str(tmp_path))
    assert load_fsdd().y.tolist() == [3]
    monkeypatch.delenv("SKDSTFT_FSDD")
    with pytest.raises(ValueError, match="SKDSTFT_FSDD"):
        load_fsdd()


def test_load_fsdd_real_subset():
    path = _fsdd_path()
    if path is None:
        pytest.skip("FSDD not found: set SKDSTFT_FSDD to its recordings folder")
    data = load_fsdd(path, pattern="[05]_*_1?.wav")  # digits 0 and 5, indices 10..19
    n = len(data.filenames)
    assert n > 0 and n % 10 == 0
    assert data.X.shape == (n, 8000) and data.fs == 8000
    assert set(data.y.tolist()) == {0, 5}
    assert len(set(data.groups.tolist())) >= 2
    assert np.abs(data.X).max() <= 1.0 and np.abs(data.X).max() > 0.01
