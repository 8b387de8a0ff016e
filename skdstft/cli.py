"""The ``skdstft`` command line.

``skdstft optimize``: learn the window length (and hop) of one signal's STFT
and report, write JSON and a figure. ``skdstft features``: a folder of wav
files -> one row of named spectrogram features per file.

Errors are one line on stderr and a non-zero exit (2: bad usage or input,
1: a failure while computing); ``--verbose`` adds the traceback.
"""

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

__all__ = ["main"]

WINDOW_MODES = ("constant", "time", "frequency", "time-frequency")
HOP_MODES = ("fixed", "constant", "time")
CRITERIA = ("entropy", "renyi", "kurtosis")


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


# -- signal loading ------------------------------------------------------------

def load_signal(path, channel=0):
    """Read a 1-D signal from a .wav, .npy or one-column .csv file.

    Returns ``(x, fs)``; ``fs`` is None unless the file carries it (wav).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"signal file not found: {path}")
    if path.is_dir():
        raise UsageError(f"expected a signal file, got a folder: {path}")
    suffix = path.suffix.lower()
    fs = None
    try:
        if suffix == ".wav":
            from scipy.io import wavfile

            fs, data = wavfile.read(path)
            data = _pcm_to_float(data)
        elif suffix == ".npy":
            data = np.load(path, allow_pickle=False)
        elif suffix in (".csv", ".txt"):
            data = np.loadtxt(path, delimiter="," if suffix == ".csv" else None, ndmin=1)
        else:
            raise UsageError(f"unsupported signal format {suffix!r}: use .wav, .npy or .csv")
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault
        raise UsageError(f"cannot read {path}: {exc}") from exc
    data = np.asarray(data)
    if data.ndim == 2:
        if not 0 <= channel < data.shape[1]:
            raise UsageError(
                f"--channel {channel} is out of range: {path} has {data.shape[1]} channels")
        data = data[:, channel]
    elif data.ndim != 1:
        raise UsageError(f"{path} must hold a 1-D signal (or channels in columns), "
                         f"got shape {data.shape}")
    if data.dtype.kind not in "iuf" or data.size == 0:
        raise UsageError(f"{path} holds no real samples (dtype {data.dtype}, size {data.size})")
    data = data.astype(np.float64)
    if not np.all(np.isfinite(data)):
        raise UsageError(f"{path} contains NaN or infinite samples")
    return data, (float(fs) if fs is not None else None)


def _pcm_to_float(data):
    if data.dtype == np.uint8:
        return (data.astype(np.float64) - 128.0) / 128.0
    if data.dtype.kind == "i":
        return data.astype(np.float64) / float(np.iinfo(data.dtype).max)
    return data.astype(np.float64)


# -- optimize --------------------------------------------------------------------

def _summary(values):
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return f"{float(values.ravel()[0]):.2f}"
    return (f"min {values.min():.1f}, median {np.median(values):.1f}, "
            f"max {values.max():.1f} ({values.size} values)")


def run_optimize(args):
    from . import signals
    from .autodiff import dstft
    from .estimators._base import criterion_loss

    if args.signal is None and args.example == "list":
        for name, description in signals.list_examples().items():
            print(f"{name:22s} {description}")
        return 0
    if args.signal is not None:
        x, fs = load_signal(args.signal, args.channel)
        source = str(args.signal)
    else:
        try:
            x, fs, _ = signals.get_example(args.example)
        except (KeyError, ValueError) as exc:
            raise UsageError(f"unknown example {args.example!r}; see --example list") from exc
        source = f"example {args.example}"
    # A rate only from the user or the file: otherwise axes stay in samples.
    fs = args.fs if args.fs is not None else (fs if args.signal is not None else None)
    if fs is not None and not fs > 0:
        raise UsageError(f"--fs must be > 0, got {fs}")
    n_fft = args.n_fft
    hop = args.hop if args.hop is not None else n_fft // 4
    init = args.win_length if args.win_length is not None else n_fft // 8
    if not 0 < init <= n_fft - 2:
        raise UsageError(f"--win-length must lie in (0, n_fft - 2] = (0, {n_fft - 2}], got {init}")
    common = dict(n_fft=n_fft, hop_length=hop, criterion=args.criterion,
                  max_iter=args.max_iter, random_state=args.seed)
    start = time.perf_counter()
    if args.mode in ("constant", "time") and args.reg is None:
        from .estimators.transformer import DSTFTTransformer

        est = DSTFTTransformer(window_mode=args.mode, hop_mode=args.hop_mode,
                               win_length=float(init), n_restarts=args.n_restarts, **common)
        est.fit(x[None, :])
        win = est.win_length_
        positions = np.asarray(est.positions_, dtype=float)
        lam = win if np.ndim(win) == 0 else np.asarray(win).reshape(1, -1)
        curve = list(map(float, est.loss_curve_))
        S = dstft(x, lam, positions, n_fft=n_fft, window=est.window,
                  normalization=est.normalization)
        normalization, power, scope = est.normalization, est.power, est.scope
        init_lam = float(init)
    else:
        from .estimators.adaptive import AdaptiveSpectrogram

        if args.hop_mode == "constant":
            raise UsageError("--hop-mode constant is available with --mode constant or time; "
                             "use fixed or time")
        extra = {} if args.reg is None else {"reg": args.reg}
        est = AdaptiveSpectrogram(window_mode=args.mode, hop_mode=args.hop_mode,
                                  win_length=float(init), **extra, **common)
        est.fit(x[None, :])
        res = est.adapt(x)
        S, positions = res.spectrogram, np.asarray(res.positions, dtype=float)
        lam = res.win_lengths
        curve = list(map(float, res.loss_curve))
        normalization, power, scope = est.normalization, est.power, est.scope
        init_lam = est.win_length_
    seconds = time.perf_counter() - start
    if scope == "auto":  # the estimators' default: resolve it as they do
        scope = "global" if args.mode == "constant" else "frame"
    from .positions import frame_positions

    init_pos = frame_positions(x.size, hop)
    S0 = dstft(x, float(init_lam), init_pos, n_fft=n_fft, window=est.window,
               normalization=normalization)
    crit0 = float(criterion_loss(S0, args.criterion, power=power, scope=scope))
    crit1 = float(criterion_loss(S, args.criterion, power=power, scope=scope))
    steps = np.diff(positions)
    rate = f" at fs = {fs:g} Hz" if fs else " (no sampling rate: units are samples)"
    print(f"skdstft optimize: {source}, {x.size} samples{rate}")
    print(f"  mode: window {args.mode}, hop {args.hop_mode}; n_fft {n_fft}; "
          f"criterion {args.criterion} (lower is better)")
    start_label = "initial" if args.mode in ("constant", "time") and args.reg is None \
        else "best constant"
    print(f"  criterion: {start_label} {crit0:.6g} (window {float(init_lam):.1f}, hop {hop})"
          f" -> optimized {crit1:.6g}")
    print(f"  window length (samples): {_summary(lam)}")
    print(f"  hop (samples): {_summary(steps) if steps.size else 'single frame'}; "
          f"{positions.size} frames")
    print(f"  time: {seconds:.2f} s, {len(curve)} iterations")
    if args.json:
        report = {
            "source": source, "n_samples": int(x.size), "fs": fs,
            "parameters": {"mode": args.mode, "hop_mode": args.hop_mode, "n_fft": n_fft,
                           "hop": hop, "criterion": args.criterion, "reg": args.reg,
                           "max_iter": args.max_iter, "normalization": normalization,
                           "power": power, "scope": scope},
            "initial": {"win_length": float(init_lam), "criterion": crit0},
            "optimized": {"criterion": crit1,
                          "win_length": np.asarray(lam, dtype=float).tolist(),
                          "positions": positions.tolist()},
            "loss_curve": curve, "seconds": seconds,
        }
        Path(args.json).write_text(json.dumps(report, indent=1))
        print(f"  wrote {args.json}")
    if args.plot:
        landscape = None
        if args.mode == "constant" and args.hop_mode == "fixed" and hasattr(est, "criterion_curve"):
            lo, hi = est._bounds(n_fft)
            grid = np.linspace(lo, hi, 80)
            landscape = (grid, est.criterion_curve(x[None, :], grid), float(lam))
        _plot_optimize(args.plot, x, fs, n_fft, S0, init_pos, float(init_lam), S, positions,
                       lam, curve, crit0, crit1, start_label, landscape)
        print(f"  wrote {args.plot}")
    return 0


def _plot_optimize(path, x, fs, n_fft, S0, pos0, lam0, S, positions, lam, curve, crit0, crit1,
                   start_label="initial", landscape=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import LossCurveDisplay, SpectrogramDisplay, WindowLengthDisplay

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    SpectrogramDisplay(S0, pos0, n_fft=n_fft, fs=fs).plot(ax=axes[0, 0])
    axes[0, 0].set_title(f"{start_label}: window {lam0:.0f} samples (criterion {crit0:.4g})")
    SpectrogramDisplay(S, positions, n_fft=n_fft, fs=fs).plot(ax=axes[0, 1])
    axes[0, 1].set_title(f"optimized (criterion {crit1:.4g})")
    if landscape is not None:  # one length: show the criterion it minimizes (paper Fig. 2)
        grid, values, best = landscape
        ax = axes[1, 0]
        ax.plot(grid, values, color="0.3")
        ax.axvline(lam0, color="tab:blue", ls="--", label=f"initial {lam0:.0f}")
        ax.axvline(best, color="tab:red", label=f"learned {best:.1f}")
        ax.set_xlabel("window length (samples)")
        ax.set_ylabel("criterion")
        ax.set_title("criterion vs constant window length")
        ax.legend()
    else:
        lam_map = np.broadcast_to(np.asarray(lam, dtype=float), S.shape)
        WindowLengthDisplay(lam_map, positions, n_fft=n_fft, fs=fs).plot(ax=axes[1, 0])
    LossCurveDisplay(curve).plot(ax=axes[1, 1])
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- features --------------------------------------------------------------------

def run_features(args):
    import pandas as pd

    from .datasets import load_wav_folder
    from .estimators.transformer import DSTFTTransformer

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder}")
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, got {out.name!r}")
    data = _load_folder(load_wav_folder, folder, args.length)
    fit_data = data if args.fit_on is None else _load_folder(
        load_wav_folder, Path(args.fit_on), data.X.shape[1])
    est = DSTFTTransformer(n_fft=args.n_fft, hop_length=args.hop, window_mode=args.mode,
                           criterion=args.criterion, layout=args.layout,
                           n_bands=args.n_bands, n_segments=args.n_segments,
                           max_iter=args.max_iter, n_jobs=args.n_jobs,
                           random_state=args.seed)
    print(f"skdstft features: fitting the window on {fit_data.X.shape[0]} signals "
          f"of {fit_data.X.shape[1]} samples", file=sys.stderr)
    est.fit(fit_data.X)
    n = data.X.shape[0]
    chunks = []
    step = max(1, args.chunk_size)
    for i in range(0, n, step):
        chunks.append(est.transform(data.X[i:i + step]))
        if n > step:
            print(f"\r  transform {min(i + step, n)}/{n} files", end="", file=sys.stderr)
    if n > step:
        print(file=sys.stderr)
    table = pd.DataFrame(np.vstack(chunks), columns=est.get_feature_names_out())
    table.insert(0, "file", [Path(f).name for f in data.filenames])
    if out.suffix.lower() == ".parquet":
        try:
            table.to_parquet(out, index=False)
        except ImportError as exc:
            raise UsageError(f"writing parquet needs pyarrow ({exc}); "
                             "use a .csv output or pip install pyarrow") from exc
    else:
        table.to_csv(out, index=False)
    win = np.asarray(est.win_length_, dtype=float)
    print(f"wrote {out}: {n} rows x {table.shape[1] - 1} features "
          f"(window length {_summary(win)} samples)", file=sys.stderr)
    return 0


def _load_folder(loader, folder, length):
    try:
        return loader(folder, length=length)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc


# -- parser ----------------------------------------------------------------------

def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def _even_int(text):
    value = _positive_int(text)
    if value < 4 or value % 2:
        raise argparse.ArgumentTypeError(f"expected an even integer >= 4, got {value}")
    return value


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


def build_parser():
    parser = _Parser(prog="skdstft", description=(
        "Learn STFT window lengths and hops by gradient descent (differentiable STFT)."))
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__import__('skdstft').__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    opt = sub.add_parser("optimize", help="learn the window (and hop) for one signal")
    opt.add_argument("signal", nargs="?", help=".wav, .npy or one-column .csv file "
                     "(default: a built-in example)")
    opt.add_argument("--example", default="three-component",
                     help="built-in example when no SIGNAL is given ('list' lists them)")
    opt.add_argument("--channel", type=int, default=0, help="channel of a multi-channel file")
    opt.add_argument("--fs", type=_positive_float, help="sampling rate in Hz (default: the "
                     "file's, else 1)")
    opt.add_argument("--n-fft", type=_even_int, default=1024, help="FFT size (default 1024)")
    opt.add_argument("--hop", type=_positive_int, help="hop in samples (default n_fft // 4)")
    opt.add_argument("--win-length", type=_positive_float,
                     help="initial window length in samples (default n_fft // 8)")
    opt.add_argument("--mode", choices=WINDOW_MODES, default="constant",
                     help="how the window length may vary (default constant)")
    opt.add_argument("--hop-mode", choices=HOP_MODES, default="fixed",
                     help="how the hop may vary (default fixed)")
    opt.add_argument("--criterion", choices=CRITERIA, default="entropy")
    opt.add_argument("--reg", type=_nonnegative_float,
                     help="smoothness weight for varying windows")
    opt.add_argument("--max-iter", type=_positive_int, default=100)
    opt.add_argument("--n-restarts", type=_positive_int, default=1)
    opt.add_argument("--seed", type=int, default=0)
    opt.add_argument("--json", metavar="OUT.json", help="write parameters and results")
    opt.add_argument("--plot", metavar="OUT.png", help="write a figure")
    opt.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    opt.set_defaults(func=run_optimize)

    feat = sub.add_parser("features", help="a folder of wav files -> a table of features")
    feat.add_argument("folder", help="folder of .wav files (one row per file)")
    feat.add_argument("--out", required=True, help="output table (.csv or .parquet)")
    feat.add_argument("--fit-on", help="folder whose files the window is learned on "
                      "(default: the input folder)")
    feat.add_argument("--length", type=_positive_int,
                      help="pad/crop every file to this many samples (needed when the "
                      "files differ in length)")
    feat.add_argument("--n-fft", type=_even_int, default=512)
    feat.add_argument("--hop", type=_positive_int, help="hop in samples (default n_fft // 4)")
    feat.add_argument("--mode", choices=("fixed", "constant"), default="constant",
                      help="'fixed': a plain STFT; 'constant': a learned window length")
    feat.add_argument("--criterion", choices=CRITERIA, default="entropy")
    feat.add_argument("--layout", choices=("pooled", "stats", "flat"), default="pooled")
    feat.add_argument("--n-bands", type=_positive_int, default=32)
    feat.add_argument("--n-segments", type=_positive_int, default=16)
    feat.add_argument("--max-iter", type=_positive_int, default=50)
    feat.add_argument("--n-jobs", type=int, default=None)
    feat.add_argument("--chunk-size", type=_positive_int, default=256,
                      help="files transformed at a time (bounds memory)")
    feat.add_argument("--seed", type=int, default=0)
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
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"skdstft {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skdstft {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, details with --verbose
        if args.verbose:
            traceback.print_exc()
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"skdstft {args.command}: error: {type(exc).__name__}: {message}"
              f"{'' if args.verbose else ' (--verbose for details)'}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
