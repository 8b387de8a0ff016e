"""skdstft: the differentiable short-time Fourier transform for scikit-learn.

The window length and hop of an STFT become real-valued parameters learned by
gradient descent with analytical gradients (Leiber et al., "Learnable
adaptive time-frequency representation via differentiable short-time Fourier
transform"). Conventions: docs/math.md.
"""

from . import losses, windows
from .autodiff import dstft
from .positions import frame_positions

__version__ = "0.1.0"

__all__ = ["dstft", "frame_positions", "losses", "windows", "__version__"]
