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

The package: ``_parser`` (the arguments), ``_inputs`` (signal files,
examples, wav folders, output paths), ``_commands`` (``optimize`` and
``features``: estimators, fits), ``_report`` (text summary, JSON, figure),
``_messages`` (one-line errors and warnings in the flags' words).
"""

import os
import sys
import traceback

from ._messages import UsageError, cli_words
from ._parser import build_parser

__all__ = ["main"]


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
