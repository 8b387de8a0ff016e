"""skdstft: the differentiable short-time Fourier transform for scikit-learn.

The window length and hop of an STFT become real-valued parameters learned by
gradient descent with analytical gradients (Leiber et al., "Learnable
adaptive time-frequency representation via differentiable short-time Fourier
transform"). Conventions: ``docs/math.md``.

The functional core (:func:`dstft`, :func:`frame_positions`, ``losses``,
``windows``) is imported eagerly; the estimators and the optional modules
load on first use, so that ``import skdstft`` stays light and matplotlib is
needed only for ``skdstft.plotting``.
"""

import importlib

from . import losses, windows
from .autodiff import dstft
from .inverse import idstft
from .positions import frame_positions

__version__ = "0.1.0"

_LAZY = {
    "DSTFTTransformer": "skdstft.estimators.transformer",
    "AdaptiveSpectrogram": "skdstft.estimators.adaptive",
    "FrequencyTracker": "skdstft.estimators.tracker",
    "DSTFTClassifier": "skdstft.estimators.classifier",
}
_SUBMODULES = ("signals", "datasets", "features", "optimize", "plotting", "estimators",
               "exceptions")

__all__ = ["dstft", "idstft", "frame_positions", "losses", "windows", *_LAZY, *_SUBMODULES,
           "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"skdstft.{name}")
    raise AttributeError(f"module 'skdstft' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
