"""Loading the command line's inputs (a signal file, a built-in example, a
folder of wav files) and checking its output paths before any work."""

import sys
import warnings
from pathlib import Path

import numpy as np

from ._messages import UsageError, cli_words

SAMPLE_RULE = ("wav PCM is scaled to [-1, 1) (int16 / 32768, as skdstft.datasets.load_wav);\n"
               ".npy and .csv values are taken as they are, like the Python API")


def _select_channel(data, channel, path):
    """(n_samples, n_channels) -> (n_samples,); a multi-channel file needs --channel."""
    n_channels = data.shape[1]
    if channel == "mean":
        return data.mean(axis=1)
    if channel is None:
        if n_channels > 1:
            raise UsageError(f"{path} has {n_channels} channels: choose one with --channel "
                             f"0..{n_channels - 1}, or --channel mean")
        channel = 0
    if channel >= n_channels:
        held = "1 channel (mono)" if n_channels == 1 else f"{n_channels} channels"
        raise UsageError(f"--channel {channel} is out of range: {path} has {held}")
    return data[:, channel]


def _read_text(path, delimiter):
    """A .csv/.txt table of numbers, with or without one header row."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy's "input contained no data"
        try:
            return np.loadtxt(path, delimiter=delimiter, ndmin=2)
        except ValueError as first:
            try:  # a header row of column names
                return np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=1)
            except ValueError as second:
                if "at row 0" not in str(first):
                    raise first from None  # not a header: the first row's number is right
                # the first row was a header: the culprit is further down
                raise ValueError(f"{second} (rows counted after the header row)") from None


def load_signal(path, channel=None):
    """Read one signal from a .wav, .npy or .csv/.txt file.

    Returns ``(x, fs)``: ``x`` float64 ``(n_samples,)``, ``fs`` the file's
    rate (wav) or None. wav PCM is decoded to ``[-1, 1)`` by
    :func:`skdstft.datasets.load_wav`; .npy and .csv values are kept as they
    are. A 2-D array holds channels along its shorter axis (a wav's or a
    CSV's columns, or the rows of a ``(n_channels, n_samples)`` .npy); one is
    chosen with ``channel`` (an int, or ``"mean"``), required when there are
    several. A CSV may have one header row.
    """
    from ..datasets import load_wav

    path = Path(path)
    if not path.exists():
        raise UsageError(f"signal file not found: {path}")
    if path.is_dir():
        raise UsageError(f"expected a signal file, got a folder: {path} (the features "
                         "command takes folders)")
    suffix = path.suffix.lower()
    fs = None
    try:
        if suffix == ".wav":
            data, fs = load_wav(path, channel="all")
        elif suffix == ".npy":
            data = np.load(path, allow_pickle=False)
        elif suffix in (".csv", ".txt"):
            data = _read_text(path, "," if suffix == ".csv" else None)
        else:
            raise UsageError(f"unsupported signal format {suffix!r}: use .wav, .npy or .csv")
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault
        raise UsageError(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc
    data = np.asarray(data)
    if data.size == 0:
        raise UsageError(f"{path} is empty: no samples")
    if data.dtype.kind not in "iuf":
        raise UsageError(f"{path} holds no real samples (dtype {data.dtype}, shape {data.shape})")
    if data.ndim == 1:
        data = data[:, None]
    elif data.ndim == 2:
        if data.shape[0] == data.shape[1] and data.shape[0] > 1:
            raise UsageError(f"{path} has shape {data.shape}: cannot tell samples from "
                             "channels; save one signal as a 1-D array")
        if data.shape[0] < data.shape[1]:
            data = data.T  # (n_channels, n_samples): the library's row-per-signal layout
    else:
        raise UsageError(f"{path} must hold a 1-D signal (or a few channels of one), "
                         f"got shape {data.shape}")
    x = np.asarray(_select_channel(data, channel, path), dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise UsageError(f"{path} contains NaN or infinite samples")
    if not x.any():  # every criterion is flat there: the fit would report 0 -> 0 and stop
        which = f" of --channel {channel}" if data.shape[1] > 1 else ""
        raise UsageError(f"{path} is silent (every sample{which} is 0): there is no window to learn")
    return x, (float(fs) if fs is not None else None)


def _check_output(path, flag):
    """Fail before any work when an output cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: the folder {parent} does not exist")
    return path


def _plot_path(text):
    """The figure's file name (``.png`` added when there is no extension, as
    matplotlib does) after checking that matplotlib can write its format."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'skdstft[plot]'") from None
    path = Path(text)
    if not path.suffix:
        path = path.with_name(path.name + ".png")
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise UsageError(f"--plot {text}: unknown figure format {path.suffix!r}; use one of "
                         f"{', '.join('.' + f for f in sorted(formats))}")
    return _check_output(path, "--plot")


def _optimize_input(args):
    """The signal of ``optimize``: ``(x, fs or None, description)``."""
    from .. import signals

    if args.signal is not None:
        x, fs = load_signal(args.signal, args.channel)
        source = str(args.signal)
    else:
        if args.channel is not None:
            raise UsageError("--channel selects a channel of a SIGNAL file; the built-in "
                             "examples have one")
        name = args.example or "three-component"
        try:
            x, fs, _ = signals.get_example(name)
        except (KeyError, ValueError) as exc:
            raise UsageError(f"unknown example {name!r}; see --example list") from exc
        fs = None if fs == 1.0 else fs  # fs = 1: defined in samples, axes stay in samples
        source = f"example {name}"
    if args.fs is not None:
        if fs is not None and fs != args.fs:
            source += f" (its rate, {fs:g} Hz, replaced by --fs)"
        fs = args.fs
    _check_length(x.size, args.n_fft, "the signal has", "check the file's layout")
    return x, fs, source


def _check_length(n_samples, n_fft, subject, remedy):
    """Signals shorter than a quarter frame hold too little for any window
    to be learned (and usually mean a file read the wrong way)."""
    if n_samples < max(2, n_fft // 4):
        raise UsageError(f"{subject} {n_samples} samples, fewer than n_fft / 4 = {n_fft // 4} "
                         f"(--n-fft {n_fft}): use a smaller --n-fft, or {remedy}")


def _load_folder(folder, length, channel, skip_errors):
    """A wav folder as a Bunch (skdstft.datasets.load_wav_folder), in the CLI's
    words: unreadable files abort, or are listed with --skip-errors; a
    multi-channel file needs --channel."""
    from ..datasets import load_wav_folder

    mean = channel == "mean"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the skipped files are listed below
            data = load_wav_folder(folder, length=length, channel=None if mean else channel or 0,
                                   on_error="skip" if skip_errors else "raise")
    except (FileNotFoundError, ValueError) as exc:
        message = cli_words(str(exc).splitlines()[0])
        hint = "" if skip_errors or "cannot read" not in message else \
            " (--skip-errors leaves such files out)"
        raise UsageError(message + hint) from exc
    if data.skipped:
        print(f"skdstft features: skipped {len(data.skipped)} unreadable file(s) in {folder}:",
              file=sys.stderr)
        for _, reason in data.skipped:
            print(f"  {reason}", file=sys.stderr)
    if not mean:
        needed = 1 if channel is None else channel + 1
        wrong = np.flatnonzero(data.n_channels > 1 if channel is None
                               else data.n_channels < needed)
        if wrong.size:
            first = data.filenames[wrong[0]]
            if channel is None:
                raise UsageError(f"{wrong.size} file(s) have several channels (e.g. {first} has "
                                 f"{data.n_channels[wrong[0]]}): choose one with --channel N, "
                                 "or --channel mean")
            raise UsageError(f"--channel {channel} is out of range: {wrong.size} file(s) have "
                             f"fewer channels (e.g. {first} has {data.n_channels[wrong[0]]})")
    return data
