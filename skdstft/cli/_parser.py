"""The command line's argument parser (also read by the docs' CLI page)."""

import argparse

import numpy as np

from ..losses import CRITERIA, SCOPES
from ..objective import FIXED, HOP_MODES, WINDOW_MODES
from ._commands import run_features, run_optimize
from ._inputs import SAMPLE_RULE

# optimize: every objective mode (a varying one through AdaptiveSpectrogram);
# the hop modes of DSTFTTransformer; features: a plain or a learned constant window
OPTIMIZE_WINDOW_MODES = WINDOW_MODES
OPTIMIZE_HOP_MODES = tuple(m for m in HOP_MODES if m != "overlap")
FEATURES_WINDOW_MODES = (FIXED, "constant")


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
    opt.add_argument("--mode", choices=OPTIMIZE_WINDOW_MODES, default="constant",
                     help="how the window length may vary (default constant); the varying "
                     "modes start from the best constant window and adapt it")
    opt.add_argument("--hop-mode", choices=OPTIMIZE_HOP_MODES, default="fixed",
                     help="how the hop may vary (default fixed; constant needs --mode "
                     "constant)")
    opt.add_argument("--scope", choices=SCOPES, default="frame",
                     help="entropy of each frame, averaged ('frame', default, unbiased for "
                     "varying windows), or of the whole time-frequency plane ('global', the "
                     "paper's for a constant window); the same in every mode; entropies only "
                     "(kurtosis is per frame)")
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
    feat.add_argument("--mode", choices=FEATURES_WINDOW_MODES, default="constant",
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
