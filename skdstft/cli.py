"""The ``skdstft`` command line.

``skdstft optimize``: learn the window length (and hop) of one signal's STFT
and report, write JSON and a figure. ``skdstft features``: a folder of wav
files -> one row of named spectrogram features per file.

Sample scale (the same rule as the Python API): wav files are decoded by
:func:`skdstft.datasets.load_wav` -- integer PCM to floats in ``[-1, 1)``
(``int16 / 2**15``) -- and ``.npy`` / ``.csv`` values are taken as they are,
as the estimators take arrays.

Errors are one line on stderr and a non-zero exit (2: bad usage or input,
1: a failure while computing); ``--verbose`` adds the traceback. The
estimators' warnings (a learned window at a bound of its range, a run stopped
at ``--max-iter``) are printed as one line each on stderr, in the command
line's own flags (``--n-fft``, ``--win-length-bounds``) instead of the Python
parameters (``n_fft``, ``win_length_bounds``).
"""

import argparse
import json
import os
import re
import sys
import time
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._validation import check_win_length_bounds
from .losses import CRITERIA

__all__ = ["main"]

WINDOW_MODES = ("constant", "time", "frequency", "time-frequency")
HOP_MODES = ("fixed", "constant", "time")
SCOPES = ("frame", "global")
SAMPLE_RULE = ("wav PCM is scaled to [-1, 1) (int16 / 32768, as skdstft.datasets.load_wav);\n"
               ".npy and .csv values are taken as they are, like the Python API")


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


# -- the estimators' words in the command line's flags ---------------------------

# Python parameter -> flag. Names with an underscore cannot be prose and are
# translated wherever they appear; plain words only in the ``name=`` form.
_FLAGS = {"win_length_bounds": "--win-length-bounds", "n_fft": "--n-fft", "max_iter": "--max-iter",
          "window_mode": "--mode", "hop_mode": "--hop-mode", "hop_length": "--hop",
          "win_length": "--win-length", "n_restarts": "--n-restarts", "n_bands": "--n-bands",
          "n_segments": "--n-segments", "random_state": "--seed", "n_jobs": "--n-jobs"}
_WORD_FLAGS = {"reg": "--reg", "criterion": "--criterion", "scope": "--scope", "length": "--length",
               "channel": "--channel", "fs": "--fs"}
_NAMES = re.compile(r"(?<![\w-])(?:(" + "|".join(sorted(_FLAGS, key=len, reverse=True))
                    + r")(?![\w(])|(" + "|".join(_WORD_FLAGS) + r")(?==))(=?)")
_CLASS = r"(?:DSTFTTransformer|AdaptiveSpectrogram|FrequencyTracker|DSTFTClassifier)"


def cli_words(message):
    """Reword an estimator's message with the command line's flags.

    >>> cli_words("win_length=4.0 must be >= 8.0; widen win_length_bounds or n_fft")
    '--win-length 4.0 must be >= 8.0; widen --win-length-bounds or --n-fft'
    >>> cli_words("pass length= to crop; the window length is 12")
    'pass --length to crop; the window length is 12'
    >>> cli_words("AdaptiveSpectrogram.adapt stopped at max_iter=100")
    'the adaptation stopped at --max-iter 100'
    """
    text = re.sub(rf"^{_CLASS}(?:\.\w+)?: ", "", str(message))
    text = re.sub(rf"\b{_CLASS}\.adapt\b", "the adaptation", text)
    text = re.sub(rf"\b{_CLASS}(?:\.fit)?\b", "the fit", text)
    text = _NAMES.sub(lambda m: (_FLAGS.get(m[1]) or _WORD_FLAGS[m[2]]) + (" " if m[3] else ""),
                      text)
    text = re.sub(r"(--[a-z-]+) '([^']*)'", r"\1 \2", text)  # --mode 'time' -> --mode time
    return re.sub(r" {2,}", " ", text)


@contextmanager
def _reported_warnings(command, sink=None):
    """Print the warnings raised inside as one line each on stderr, in the
    CLI's flags (each distinct message once); ``sink`` (a list) collects them.
    Other libraries' deprecation notices go to Python's usual display."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = []
            for w in caught:
                if not issubclass(w.category, (UserWarning, RuntimeWarning)):
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
                    continue
                text = cli_words(str(w.message).splitlines()[0])
                if text not in seen:
                    seen.append(text)
                    print(f"skdstft {command}: warning: {text}", file=sys.stderr)
            if sink is not None:
                sink.extend(seen)


# -- signal loading ------------------------------------------------------------

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
            except ValueError:
                raise first from None


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
    from .datasets import load_wav

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


# -- outputs ---------------------------------------------------------------------

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


# -- optimize --------------------------------------------------------------------

def _summary(values):
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return f"{float(values.ravel()[0]):.2f}"
    return (f"min {values.min():.1f}, median {np.median(values):.1f}, "
            f"max {values.max():.1f} ({values.size} values)")


def _full_lengths(lam, mode, n_freqs, n_frames):
    """A varying mode's window lengths as an (F, T) map, from whatever shape
    the result holds them in (a 1-D array is read by the mode: its length
    alone cannot tell frames from bins when T == F)."""
    lam = np.asarray(lam, dtype=float)
    if lam.ndim == 1:
        lam = lam[None, :] if mode == "time" else lam[:, None]
    return np.broadcast_to(lam, (n_freqs, n_frames))


def _mode_shaped(full, mode):
    """(F, T) lengths in the shape the mode has: (T,) time, (F,) frequency,
    (F, T) time-frequency."""
    return {"time": full[0], "frequency": full[:, 0]}.get(mode, full)


_SHAPE_WORDS = {"time": "one per frame", "frequency": "one per frequency bin",
                "time-frequency": "one per time-frequency bin"}


def _hop(args):
    return args.hop if args.hop is not None else args.n_fft // 4


def _shared_params(args):
    """The estimator parameters of the flags both commands take (``_add_shared``
    and the iteration and seed flags), the bounds checked in the CLI's words."""
    bounds = args.win_length_bounds
    if bounds is not None and not 0 < bounds[0] < bounds[1] <= args.n_fft - 2:
        raise UsageError(f"--win-length-bounds must satisfy 0 < LO < HI <= n_fft - 2 = "
                         f"{args.n_fft - 2}, got {bounds[0]:g} {bounds[1]:g}")
    return dict(n_fft=args.n_fft, hop_length=_hop(args), criterion=args.criterion,
                win_length_bounds=None if bounds is None else tuple(bounds),
                max_iter=args.max_iter, random_state=args.seed)


def _optimize_input(args):
    """The signal of ``optimize``: ``(x, fs or None, description)``."""
    from . import signals

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


def _optimize_estimator(args):
    """One algorithm per mode: ``DSTFTTransformer`` learns a constant window,
    ``AdaptiveSpectrogram`` a varying one (its constant fit, then ``adapt``),
    whether or not ``--reg`` is given. Returns ``(estimator, (lo, hi), init)``
    with the initial window length set."""
    n_fft = args.n_fft
    varying = args.mode != "constant"
    if args.reg is not None and not varying:
        raise UsageError("--reg (the smoothness of a varying window) needs --mode time, "
                         "frequency or time-frequency")
    if varying and args.hop_mode == "constant":
        raise UsageError(f"--hop-mode constant needs --mode constant; with --mode {args.mode} "
                         "use --hop-mode fixed or time")
    common = dict(_shared_params(args), scope=args.scope, n_restarts=args.n_restarts)
    if varying:
        from .estimators.adaptive import AdaptiveSpectrogram

        # no reg here unless given: the estimator's default applies
        est = AdaptiveSpectrogram(window_mode=args.mode, hop_mode=args.hop_mode, **common,
                                  **({} if args.reg is None else {"reg": args.reg}))
    else:
        from .estimators.transformer import DSTFTTransformer

        est = DSTFTTransformer(window_mode="constant", hop_mode=args.hop_mode, **common)
    lo, hi = check_win_length_bounds(est.win_length_bounds, n_fft)
    # a short start (n_fft / 8) shows what learning buys; kept inside the bounds
    init = float(np.clip(n_fft // 8, lo, hi)) if args.win_length is None else args.win_length
    if not lo <= init <= hi:
        raise UsageError(f"--win-length {init:g} must lie in the window-length bounds "
                         f"[{lo:g}, {hi:g}] (--win-length-bounds; by default "
                         f"[min(8, (n_fft - 2) / 2), n_fft - 2])")
    est.set_params(win_length=init)
    return est, (lo, hi), init


def run_optimize(args):
    from . import signals
    from .autodiff import dstft
    from .losses import criterion_loss
    from .positions import frame_positions

    if args.signal is not None and args.example is not None:
        raise UsageError(f"give a SIGNAL file or --example, not both (got {args.signal} and "
                         f"--example {args.example})")
    if args.signal is None and args.example == "list":
        for name, description in signals.list_examples().items():
            print(f"{name:22s} {description}")
        return 0
    # outputs first: a typo in a folder name must not cost a fit
    json_to_stdout = args.json == "-"
    if args.json and not json_to_stdout:
        _check_output(args.json, "--json")
    plot = _plot_path(args.plot) if args.plot else None
    out = sys.stderr if json_to_stdout else sys.stdout  # stdout carries only the JSON

    x, fs, source = _optimize_input(args)
    n_fft = args.n_fft
    hop = _hop(args)
    varying = args.mode != "constant"
    est, (lo, hi), init = _optimize_estimator(args)
    rate = f" at fs = {fs:g} Hz" if fs else " (no sampling rate: units are samples)"
    # before the fit: its warnings (stderr) then follow the line that says what runs
    print(f"skdstft optimize: {source}, {x.size} samples{rate}", file=out, flush=True)

    caught = []  # every warning, also in the JSON report
    if args.hop_mode == "fixed" and hop > hi:
        _warn("optimize", f"--hop {hop} is longer than the longest window ({hi:g} samples): "
              "samples between frames fall outside every window", caught)
    start = time.perf_counter()
    with _reported_warnings("optimize", caught):
        est.fit(x[None, :])
        if varying:
            res = est.adapt(x)
    seconds = time.perf_counter() - start
    n_freqs = n_fft // 2 + 1
    init_pos = frame_positions(x.size, hop)
    S0 = dstft(x, init, init_pos, n_fft=n_fft, window=est.window,
               normalization=est.normalization)
    # every number below is the same criterion (same scope, whatever the mode)
    crit0 = float(criterion_loss(S0, args.criterion, power=est.power, scope=args.scope))
    fit_curve = list(map(float, est.loss_curve_))
    if varying:
        S, positions = res.spectrogram, np.asarray(res.positions, dtype=float)
        lam_map = _full_lengths(res.win_lengths, args.mode, n_freqs, positions.size)
        lam = _mode_shaped(lam_map, args.mode)
        const = {"win_length": float(est.win_length_), "criterion": float(res.initial_criterion)}
        crit1 = float(res.criterion)
        adapt_curve = list(map(float, res.loss_curve))
        if np.isfinite(res.loss) and res.loss < min(adapt_curve, default=np.inf):
            # Adam evaluates its last step's point but leaves it out of the
            # curve: the figure must end at the point it reports
            adapt_curve.append(float(res.loss))
        curve = fit_curve + adapt_curve
    else:
        positions = np.asarray(est.positions_, dtype=float)
        lam = float(est.win_length_)
        S = dstft(x, lam, positions, n_fft=n_fft, window=est.window,
                  normalization=est.normalization)
        const = None
        crit1 = float(criterion_loss(S, args.criterion, power=est.power, scope=args.scope))
        curve = fit_curve
    n_iter = int(est.n_iter_) + (int(res.n_iter) if varying else 0)
    if args.hop_mode == "fixed" and args.mode in ("constant", "time") and hop <= hi:
        _warn_hop_gap("optimize", lam, hop, caught)  # (hop > hi was said before the fit)
    reg = est.get_params().get("reg") if varying else None
    reg_used = getattr(est, "reg_", None)  # the value a data-driven reg ("auto") chose
    reg_used = float(reg_used) if reg_used is not None and np.ndim(reg_used) == 0 else None
    penalties = ([] if args.hop_mode == "fixed" else ["coverage"]) + \
        (["smoothness"] if varying and (reg if reg_used is None else reg_used) != 0 else [])

    steps = np.diff(positions)
    scope_words = "mean of per-frame entropies" if args.scope == "frame" else "whole plane"
    if args.criterion == "kurtosis":
        scope_words = "minus the mean frame kurtosis"
    print(f"  mode: window {args.mode}, hop {args.hop_mode}; n_fft {n_fft}"
          + (f"; reg {reg}" + (f" = {reg_used:.4g}" if reg_used is not None else "")
             + (" (the default)" if args.reg is None else "") if varying else ""),
          file=out)
    print(f"  criterion {args.criterion} ({scope_words}; lower is better):", file=out)
    stages = [f"initial {crit0:.6g} (window {init:.1f})"]
    if varying:
        stages.append(f"best constant {const['criterion']:.6g} (window {const['win_length']:.1f})")
    stages.append(f"{'adapted' if varying else 'optimized'} {crit1:.6g}")
    print("    " + " -> ".join(stages), file=out)
    what = f", {_SHAPE_WORDS[args.mode]}" if varying else ""
    print(f"  window length (samples{what}): {_summary(lam)}", file=out)
    print(f"  hop (samples): {_summary(steps) if steps.size else 'single frame'}; "
          f"{positions.size} frame{'s' if positions.size > 1 else ''}", file=out)
    print(f"  time: {seconds:.2f} s, {n_iter} iterations", file=out)
    if args.json:
        report = {
            "source": source, "n_samples": int(x.size), "fs": fs,
            "parameters": {"mode": args.mode, "hop_mode": args.hop_mode, "n_fft": n_fft,
                           "hop": hop, "criterion": args.criterion, "scope": args.scope,
                           "reg": reg, "reg_used": reg_used, "win_length_bounds": [lo, hi],
                           "max_iter": args.max_iter, "n_restarts": args.n_restarts,
                           "normalization": est.normalization, "power": est.power},
            "initial": {"win_length": init, "criterion": crit0},
            **({"constant": const} if varying else {}),
            "optimized": {"criterion": crit1,
                          "win_length": np.asarray(lam, dtype=float).tolist(),
                          "positions": positions.tolist(),
                          **({"fraction_at_bounds": res.fraction_at_bounds()} if varying
                             else {})},
            "loss_curve": curve, "loss_curve_stages": [len(fit_curve), len(curve) - len(fit_curve)],
            "loss_penalties": penalties, "warnings": caught, "seconds": seconds,
        }
        text = json.dumps(report, indent=1)
        if json_to_stdout:
            print(text)
        else:
            Path(args.json).write_text(text)
            print(f"  wrote {args.json}", file=out)
    if plot is not None:
        landscape = None
        if not varying and args.hop_mode == "fixed":
            grid = np.linspace(lo, hi, 80)
            landscape = (grid, est.criterion_curve(x[None, :], grid))
        S_c = None if const is None else dstft(
            x, const["win_length"], init_pos, n_fft=n_fft, window=est.window,
            normalization=est.normalization)
        _plot_optimize(plot, x, fs, n_fft, S0 if const is None else S_c, init_pos, init, S,
                       positions, lam_map if varying else lam, curve, crit0, crit1, const,
                       len(fit_curve), penalties,
                       landscape,
                       f"{Path(source).name if args.signal else source}: {args.criterion} "
                       f"({scope_words})")
        print(f"  wrote {plot}", file=out)
    return 0


def _plot_optimize(path, x, fs, n_fft, S0, pos0, lam0, S, positions, lam, curve, crit0, crit1,
                   const, n_fit, penalties, landscape, suptitle):
    """The 2 x 2 figure: the starting spectrogram (initial, or the best constant
    window for a varying mode) and the learned one; the criterion landscape or
    the learned lengths; the training loss. ``S0`` is the starting spectrogram
    on the frames ``pos0``; ``lam`` the learned length (a constant window) or
    the (F, T) map of a varying one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import LossCurveDisplay, SpectrogramDisplay, WindowLengthDisplay

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    fig.suptitle(suptitle)
    SpectrogramDisplay(S0, pos0, n_fft=n_fft, fs=fs).plot(ax=axes[0, 0])
    if const is None:
        axes[0, 0].set_title(f"initial: window {lam0:.0f} samples (criterion {crit0:.4g})")
        title = f"optimized: window {lam:.1f} samples (criterion {crit1:.4g})"
    else:  # the varying window against the best constant one it started from
        axes[0, 0].set_title(f"best constant: window {const['win_length']:.0f} samples "
                             f"(criterion {const['criterion']:.4g})")
        title = f"adapted (criterion {crit1:.4g})"
    SpectrogramDisplay(S, positions, n_fft=n_fft, fs=fs).plot(ax=axes[0, 1])
    axes[0, 1].set_title(title)  # the display's plot() resets it
    if landscape is not None:  # one length: show the criterion it minimizes (paper Fig. 2)
        grid, values = landscape
        ax = axes[1, 0]
        ax.plot(grid, values, color="0.3")
        ax.axvline(lam0, color="tab:blue", ls="--", label=f"initial {lam0:.0f}")
        ax.axvline(lam, color="tab:red", label=f"learned {lam:.1f}")
        ax.set_xlabel("window length (samples)")
        ax.set_ylabel("criterion")
        ax.set_title("criterion vs constant window length")
        ax.legend()
    else:
        WindowLengthDisplay(np.broadcast_to(lam, S.shape), positions, n_fft=n_fft, fs=fs).plot(ax=axes[1, 0])
    _plot_loss(axes[1, 1], LossCurveDisplay, curve, crit0, crit1, const, n_fit, penalties)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_loss(ax, display, curve, crit0, crit1, const, n_fit, penalties):
    """The training loss with the criterion values the titles quote, on a
    scale a person can read when a penalty dwarfs the criterion at the start
    (a learned hop's coverage term can be 30 times the entropy)."""
    curve = np.asarray(curve, dtype=float)
    display(curve).plot(ax=ax)
    ax.axhline(crit0, color="tab:blue", ls="--", lw=1, label=f"criterion, initial {crit0:.4g}")
    if const is not None:
        ax.axhline(const["criterion"], color="0.4", ls=":", lw=1,
                   label=f"criterion, best constant {const['criterion']:.4g}")
        ax.axvline(n_fit - 0.5, color="0.6", lw=1, label="adaptation starts")
    ax.axhline(crit1, color="tab:red", lw=1,
               label=f"criterion, {'adapted' if const else 'optimized'} {crit1:.4g}")
    finite = curve[np.isfinite(curve)]
    lo, hi = min(finite.min(), crit1), max(finite.max(), crit0)
    if hi - lo > 2 * max(abs(crit1), abs(crit0)):
        if lo > 0:
            from matplotlib.ticker import LogFormatter

            ax.set_yscale("log")
            for axis_set in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
                axis_set(LogFormatter(labelOnlyBase=False))  # 3, 20: not 3 x 10^0
        else:
            ax.set_yscale("symlog", linthresh=max(abs(crit1), 1e-3))
    ax.set_ylabel("loss" + (" (log scale)" if ax.get_yscale() != "linear" else ""))
    ax.set_title("training loss = criterion" + (f" + {' + '.join(penalties)} penalty"
                                                 if penalties else ""))
    ax.legend(fontsize="small")


def _warn(command, text, sink=None):
    """A warning of the command line's own: one line on stderr, as the
    estimators' (``_reported_warnings``), and into ``sink`` (a list)."""
    print(f"skdstft {command}: warning: {text}", file=sys.stderr)
    if sink is not None:
        sink.append(text)


def _warn_hop_gap(command, lam, hop, sink=None):
    """Say when a learned window, constant or one per frame, is shorter than
    the fixed hop: the entropy of each frame does not see the samples between
    frames, so nothing stops a fit from leaving them out."""
    shortest = float(np.min(lam))
    if shortest < hop:
        _warn(command, f"the learned window ({shortest:.1f} samples"
              f"{'' if np.ndim(lam) == 0 else ' at the shortest'}) is shorter than --hop {hop}: "
              "samples between frames lie in no window; pass a smaller --hop", sink)


# -- features --------------------------------------------------------------------

def run_features(args):
    import importlib.util

    import pandas as pd

    from .estimators.transformer import DSTFTTransformer
    from .positions import n_frames_for_hop

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder}")
    if args.fit_on is not None and not Path(args.fit_on).is_dir():
        raise UsageError(f"--fit-on {args.fit_on}: not a folder")
    out = _check_output(args.out, "--out")
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, got {out.name!r}")
    if out.suffix.lower() == ".parquet" and not any(
            importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
        raise UsageError("writing parquet needs pyarrow: pip install pyarrow, or use a .csv "
                         "output")
    n_freqs = args.n_fft // 2 + 1
    if args.n_bands is not None and args.n_bands > n_freqs:
        raise UsageError(f"--n-bands {args.n_bands} exceeds the {n_freqs} frequency bins of "
                         f"--n-fft {args.n_fft} (n_fft // 2 + 1)")
    data = _load_folder(folder, args.length, args.channel, args.skip_errors)
    fit_data = data if args.fit_on is None else _load_folder(
        Path(args.fit_on), data.X.shape[1], args.channel, args.skip_errors)
    if fit_data.fs != data.fs:
        raise UsageError(f"--fit-on {args.fit_on} is sampled at {fit_data.fs} Hz but {folder} "
                         f"at {data.fs} Hz: a window length in samples would not mean the same")
    _check_length(data.X.shape[1], args.n_fft, "the signals have",
                  "a longer --length" if args.length else "pass a longer --length")
    hop = _hop(args)
    n_frames = n_frames_for_hop(data.X.shape[1], hop)
    if args.layout != "stats" and args.n_segments is not None and args.n_segments > n_frames:
        raise UsageError(f"--n-segments {args.n_segments} exceeds the {n_frames} frame(s) of "
                         f"{data.X.shape[1]} samples at --hop {hop}")
    # the defaults fit the grid; a value the user chose must fit it (checked above)
    n_bands = min(32, n_freqs) if args.n_bands is None else args.n_bands
    n_segments = min(16, n_frames) if args.n_segments is None else args.n_segments
    est = DSTFTTransformer(**_shared_params(args), window_mode=args.mode, layout=args.layout,
                           n_bands=n_bands, n_segments=n_segments, n_jobs=args.n_jobs)
    print(f"skdstft features: fitting the window on {fit_data.X.shape[0]} signals "
          f"of {fit_data.X.shape[1]} samples", file=sys.stderr)
    n = data.X.shape[0]
    chunks = []
    step = max(1, args.chunk_size)
    with _reported_warnings("features"):
        est.fit(fit_data.X)
        for i in range(0, n, step):
            chunks.append(est.transform(data.X[i:i + step]))
            if n > step:
                print(f"\r  transform {min(i + step, n)}/{n} files", end="", file=sys.stderr)
        if n > step:
            print(file=sys.stderr)
    table = pd.DataFrame(np.vstack(chunks), columns=est.get_feature_names_out())
    table.insert(0, "file", [Path(f).name for f in data.filenames])
    if out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    win = np.asarray(est.win_length_, dtype=float)
    if args.mode == "constant":
        _warn_hop_gap("features", win, hop)
    print(f"wrote {out}: {n} rows x {table.shape[1] - 1} features "
          f"(window length {_summary(win)} samples)", file=sys.stderr)
    return 0


def _load_folder(folder, length, channel, skip_errors):
    """A wav folder as a Bunch (skdstft.datasets.load_wav_folder), in the CLI's
    words: unreadable files abort, or are listed with --skip-errors; a
    multi-channel file needs --channel."""
    from .datasets import load_wav_folder

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


# -- parser ----------------------------------------------------------------------

def _int_parser(minimum, even=False):
    """An argparse type: an integer >= ``minimum`` (and even if asked)."""
    description = f"an {'even ' if even else ''}integer >= {minimum}"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (even and value % 2):
            raise argparse.ArgumentTypeError(f"expected {description}, got {value}")
        return value
    return parse


_positive_int = _int_parser(1)
_even_int = _int_parser(4, even=True)
_seed = _int_parser(0)  # numpy's seeds are 0 .. 2**32 - 1


def _float_parser(minimum, inclusive, description):
    """An argparse type: a finite number above ``minimum`` (or equal if inclusive)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not np.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}")
        return value
    return parse


_positive_float = _float_parser(0.0, False, "a positive number")
_nonnegative_float = _float_parser(0.0, True, "a number >= 0")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr (exit 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _reg(text):
    """--reg: a number >= 0, or the word 'auto' (a data-driven weight; the
    estimator validates it)."""
    return text if text == "auto" else _nonnegative_float(text)


def _channel(text):
    if text == "mean":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a channel number (0, 1, ...) or 'mean', "
                                         f"got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a channel number >= 0, got {value}")
    return value


def _add_shared(p, n_fft):
    p.add_argument("--n-fft", type=_even_int, default=n_fft,
                   help=f"FFT size in samples, even (default {n_fft})")
    p.add_argument("--hop", type=_positive_int, help="hop in samples (default n_fft // 4)")
    p.add_argument("--win-length-bounds", type=_positive_float, nargs=2, metavar=("LO", "HI"),
                   help="range of the learned window length in samples (default: "
                   "min(8, (n_fft - 2) / 2) to n_fft - 2); a length that ends at a bound "
                   "is reported")
    p.add_argument("--criterion", choices=CRITERIA, default="entropy",
                   help="what the window minimizes (default entropy)")


_OPTIMIZE_EPILOG = f"""\
examples:
  skdstft optimize --example three-component --plot out.png
  skdstft optimize recording.wav --channel 0 --mode time --json -
  skdstft optimize --example list

Samples: {SAMPLE_RULE}.

Every mode reports the same criterion (--scope), so the numbers of two runs
compare: a varying mode reports the initial window, the best constant one it
starts from, and the adapted one. Warnings (a window at a bound, a run that
stopped at --max-iter) go to stderr.
"""

_FEATURES_EPILOG = """\
example:
  skdstft features recordings/ --out features.csv --length 8000 --skip-errors

Files ending in .wav (any case) are read; PCM is scaled to [-1, 1) (int16 / 32768)
as skdstft.datasets.load_wav_folder does, so that the table equals
DSTFTTransformer(...).fit_transform(load_wav_folder(folder).X).
"""


def build_parser():
    parser = _Parser(prog="skdstft", description=(
        "Learn STFT window lengths and hops by gradient descent (differentiable STFT)."))
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__import__('skdstft').__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    opt = sub.add_parser("optimize", help="learn the window (and hop) for one signal",
                         description="Learn the STFT window (and hop) of one signal.",
                         epilog=_OPTIMIZE_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    opt.add_argument("signal", nargs="?", help=".wav, .npy or .csv file (a 2-D array holds "
                     "channels along its shorter axis; a CSV may have a header row); default: "
                     "the built-in example three-component")
    opt.add_argument("--example", help="a built-in example instead of SIGNAL ('list' lists "
                     "them)")
    opt.add_argument("--channel", type=_channel, help="channel of a multi-channel file "
                     "(0, 1, ... or 'mean'); required when the file has several")
    opt.add_argument("--fs", type=_positive_float, help="sampling rate in Hz (default: the "
                     "file's or the example's; without one, units are samples)")
    _add_shared(opt, 1024)
    opt.add_argument("--win-length", type=_positive_float,
                     help="initial window length in samples (default n_fft // 8, within the "
                     "bounds)")
    opt.add_argument("--mode", choices=WINDOW_MODES, default="constant",
                     help="how the window length may vary (default constant); the varying "
                     "modes start from the best constant window and adapt it")
    opt.add_argument("--hop-mode", choices=HOP_MODES, default="fixed",
                     help="how the hop may vary (default fixed; constant needs --mode "
                     "constant)")
    opt.add_argument("--scope", choices=SCOPES, default="frame",
                     help="entropy of each frame, averaged ('frame', default, unbiased for "
                     "varying windows), or of the whole time-frequency plane ('global', the "
                     "paper's for a constant window); the same in every mode")
    opt.add_argument("--reg", type=_reg,
                     help="smoothness weight of a varying window: a number >= 0, or 'auto' "
                     "(default: skdstft.AdaptiveSpectrogram's default)")
    opt.add_argument("--max-iter", type=_positive_int, default=100,
                     help="iterations per stage (default 100)")
    opt.add_argument("--n-restarts", type=_positive_int, default=1,
                     help="initial window lengths tried by the constant fit (default 1)")
    opt.add_argument("--seed", type=_seed, default=0, help="seeds the restarts (default 0)")
    opt.add_argument("--json", metavar="OUT.json", help="write parameters and results "
                     "('-': to stdout, the report then goes to stderr)")
    opt.add_argument("--plot", metavar="OUT.png", help="write a figure (.png unless another "
                     "extension is given)")
    opt.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    opt.set_defaults(func=run_optimize)

    feat = sub.add_parser("features", help="a folder of wav files -> a table of features",
                          description="One row of spectrogram features per wav file of a "
                          "folder, with a window learned on the folder.",
                          epilog=_FEATURES_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    feat.add_argument("folder", help="folder of .wav files (one row per file)")
    feat.add_argument("--out", required=True, help="output table (.csv or .parquet)")
    feat.add_argument("--fit-on", help="folder whose files the window is learned on "
                      "(default: the input folder)")
    feat.add_argument("--length", type=_positive_int,
                      help="pad/crop every file to this many samples (needed when the "
                      "files differ in length)")
    feat.add_argument("--channel", type=_channel, help="channel of multi-channel files "
                      "(0, 1, ... or 'mean'); required when a file has several")
    feat.add_argument("--skip-errors", action="store_true",
                      help="leave unreadable files out (they are listed) instead of stopping")
    _add_shared(feat, 512)
    feat.add_argument("--mode", choices=("fixed", "constant"), default="constant",
                      help="'fixed': a plain STFT; 'constant': a learned window length")
    feat.add_argument("--layout", choices=("pooled", "stats", "flat"), default="pooled",
                      help="'pooled' (default): averages over a band x time-segment grid; "
                      "'stats': per band, mean, std and max over time; 'flat': every bin of "
                      "every frame")
    feat.add_argument("--n-bands", type=_positive_int,
                      help="frequency bands, at most n_fft // 2 + 1 (default 32, or fewer "
                      "when there are fewer bins)")
    feat.add_argument("--n-segments", type=_positive_int,
                      help="time segments of the pooled layout, at most the number of frames "
                      "(default 16, or fewer when there are fewer frames)")
    feat.add_argument("--max-iter", type=_positive_int, default=50,
                      help="iterations of the window fit (default 50)")
    feat.add_argument("--n-jobs", type=int, default=None,
                      help="joblib workers of the fit's restarts (-1: every core)")
    feat.add_argument("--chunk-size", type=_positive_int, default=256,
                      help="files transformed at a time (bounds memory)")
    feat.add_argument("--seed", type=_seed, default=0, help="seeds the fit (default 0)")
    feat.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    feat.set_defaults(func=run_features)
    return parser


def main(argv=None):
    """Entry point of the ``skdstft`` console script; returns the exit status.

    ``argv`` is the list of arguments (default: ``sys.argv[1:]``); the
    commands and options are those of ``skdstft --help``.

    Examples
    --------
    >>> import contextlib, io, json, os, tempfile
    >>> from skdstft.cli import main
    >>> out = os.path.join(tempfile.mkdtemp(), "three.json")
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     status = main(["optimize", "--example", "three-component", "--json", out])
    >>> status, "window length" in printed.getvalue()
    (0, True)
    >>> "optimized" in json.load(open(out))
    True
    """
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a first try: show what there is
        parser.print_help()
        return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0): a status, as below
        return exc.code
    try:
        return args.func(args)
    except UsageError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"skdstft {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"skdstft {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, details with --verbose
        if args.verbose:
            traceback.print_exc()
        message = cli_words(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
        print(f"skdstft {args.command}: error: {type(exc).__name__}: {message}"
              f"{'' if args.verbose else ' (--verbose for details)'}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
