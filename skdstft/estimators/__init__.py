"""The scikit-learn estimators (loaded on first use)."""

import importlib

_LAZY = {
    "DSTFTTransformer": "transformer",
    "AdaptiveSpectrogram": "adaptive",
    "FrequencyTracker": "tracker",
    "DSTFTClassifier": "classifier",
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
