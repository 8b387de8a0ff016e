"""The command line's words: its one-line errors and warnings, and the
estimators' messages reworded with its flags instead of Python parameters."""

import re
import sys
import warnings
from contextlib import contextmanager

import numpy as np


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


def _warn(command, text, sink=None):
    """A warning of the command line's own: one line on stderr, as the
    estimators' (``_reported_warnings``), and into ``sink`` (a list)."""
    print(f"skdstft {command}: warning: {text}", file=sys.stderr)
    if sink is not None:
        sink.append(text)


def _warn_hop_gap(command, lam, hop, sink=None):
    """Say when a learned window, constant or one per frame, is shorter than
    the fixed hop: the entropy of each frame does not see the samples between
    frames, so nothing stops a fit from leaving them out. Not again when the
    estimator's own warning (in ``sink``, the command's warnings so far) said it."""
    if sink is not None and any("lie in no window" in text for text in sink):
        return
    shortest = float(np.min(lam))
    if shortest < hop:
        _warn(command, f"the learned window ({shortest:.1f} samples"
              f"{'' if np.ndim(lam) == 0 else ' at the shortest'}) is shorter than --hop {hop}: "
              "samples between frames lie in no window; pass a smaller --hop", sink)
