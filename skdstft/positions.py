"""Frame positions (centres, in samples) from hops (math.md §2).

Written with ``autograd.numpy`` so that a hop can be differentiated through
the map hop -> positions (a cumulative sum); autograd supplies its chain rule.
"""

import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from ._validation import check_hop_frames, check_int, check_lengths, check_real

__all__ = ["frame_positions", "n_frames_for_hop", "fixed_overlap_positions"]


def n_frames_for_hop(n_samples, hop_length):
    """``1 + floor(n_samples / hop)``: the centred convention (librosa's
    ``center=True``), frames centred at ``0, h, 2h, ...`` up to the last sample.

    Examples
    --------
    >>> n_frames_for_hop(4096, 256), n_frames_for_hop(4095, 256)
    (17, 16)
    """
    return 1 + int(np.floor(n_samples / float(hop_length)))


def frame_positions(n_samples, hop_length, *, n_frames=None, start=0.0):
    """Frame centres ``t_n`` (samples, real) for a constant or time-varying hop.

    Parameters
    ----------
    n_samples : int
        Signal length ``N`` (>= 1).
    hop_length : float or array of shape (T-1,)
        Constant hop ``h > 0`` (``t_n = start + n h``) or one hop per gap
        (``t_n = start + sum_{j<n} h_j``). May be an autograd box.
    n_frames : int, optional
        Number of frames ``T``. Default: ``1 + floor(N / h)`` for a constant
        hop, ``len(hop_length) + 1`` for a time-varying one.
    start : float
        ``t_0`` (may be an autograd box).

    Returns
    -------
    positions : ndarray of shape (T,)

    Examples
    --------
    >>> frame_positions(10, 4)
    array([0., 4., 8.])
    >>> frame_positions(10, [1.0, 2.5])
    array([0. , 1. , 3.5])
    """
    n_samples = check_int(n_samples, "n_samples", min_value=1)
    hops = check_lengths(hop_length, "hop_length", ndims=(0, 1))
    check_real(start, "start")
    n_frames = check_hop_frames(hops, n_frames)
    if getval(hop_length) is hop_length:  # not being differentiated: the checked floats
        hop_length = hops.astype(np.float64)
    if hops.ndim == 0:
        if n_frames is None:
            n_frames = n_frames_for_hop(n_samples, float(hops))
        return start + hop_length * anp.arange(n_frames, dtype=float)
    offsets = anp.concatenate([anp.zeros(1), anp.cumsum(hop_length)])
    return start + offsets


def fixed_overlap_positions(win_lengths, overlap, *, start=0.0):
    """Positions that follow the windows at a fixed overlap (paper Sec. III-B).

    ``t_{n+1} = t_n + (1 - overlap) (lam_n + lam_{n+1}) / 2``: shorter windows
    give more frames per second.

    Parameters
    ----------
    win_lengths : array of shape (T,)
        One window length per frame (may be an autograd box).
    overlap : float in [0, 1)
    start : float

    Returns
    -------
    positions : ndarray of shape (T,)

    Examples
    --------
    >>> fixed_overlap_positions([4.0, 4.0, 8.0], 0.5)
    array([0., 2., 5.])
    """
    overlap = check_real(overlap, "overlap", low=0.0, high=1.0, high_open=True)
    lam = check_lengths(win_lengths, "win_lengths", ndims=(1,))
    check_real(start, "start")
    if getval(win_lengths) is win_lengths:  # not being differentiated: the checked floats
        win_lengths = lam.astype(np.float64)
    steps = (1.0 - overlap) * 0.5 * (win_lengths[1:] + win_lengths[:-1])
    return start + anp.concatenate([anp.zeros(1), anp.cumsum(steps)])


def fixed_overlap_n_frames(n_samples, min_win_length, overlap):
    """Column count for the fixed-overlap rule: enough frames to cover
    ``n_samples`` with the smallest allowed window (math.md §2)."""
    step = (1.0 - overlap) * float(min_win_length)
    return 1 + int(np.ceil(n_samples / step))
