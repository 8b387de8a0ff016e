"""The representation-driven objective: parameters -> positions, lengths -> loss.

One picklable object serves every estimator that learns STFT parameters
from a criterion on the picture (entropy, Rényi, kurtosis): it owns the
parameterization (which lengths and hops are free), their bounds, and the
loss ``criterion + reg * smoothness + coverage * coverage_penalty``
(math.md §5). It is a plain class of this module (never a closure stored on
an estimator), so joblib and dask workers can unpickle it.

Parameterizations (``theta`` is one flat vector; see :meth:`pack`):

=================  ===============================  =====================
window_mode        window-length array              free values
=================  ===============================  =====================
``constant``       scalar                           1
``time``           ``(1, T)``                       T
``frequency``      ``(F, 1)``                       F
``time-frequency`` ``(F, T)``                       F T
=================  ===============================  =====================

=============  ============================================  =============
hop_mode       positions                                     free values
=============  ============================================  =============
``fixed``      given                                         0
``constant``   ``t_n = n h`` (``T`` fixed)                   1
``time``       ``t_n = sum_{j<n} h_j``                       T - 1
``overlap``    follow the lengths at overlap ``min_overlap``  0
=============  ============================================  =============
"""

import copy

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.tracer import getval

from . import losses
from ._validation import check_choice, check_positions, check_signal
from .autodiff import dstft, dstft_and_win_length_vjp, dstft_unchecked
from .positions import fixed_overlap_positions
from .transform import gather_frames
from .windows import get_window

__all__ = ["RepresentationObjective", "WINDOW_MODES", "HOP_MODES", "FIXED", "default_scope",
           "default_hop_bounds"]

WINDOW_MODES = ("constant", "time", "frequency", "time-frequency")
"""How the window length may vary: the one definition of the modes (the
estimators add :data:`FIXED` and each takes a subset)."""
FIXED = "fixed"
"""The estimators' window mode that learns nothing (a plain STFT with ``win_length``)."""
HOP_MODES = ("fixed", "constant", "time", "overlap")
"""How the frame positions may vary (each estimator takes a subset)."""


def default_scope(window_mode):
    """The criterion scope that ``scope="auto"`` stands for.

    ``"global"`` (one distribution over the whole plane, the paper's) for a
    constant window, ``"frame"`` (the mean of per-frame entropies) for a
    varying one: with ``"l1"`` normalization a global entropy of varying
    windows has a degenerate optimum (shrink a few windows until they hold
    most of the energy, math.md §1 caveat), which per-frame normalization
    removes.
    """
    return "global" if window_mode in (FIXED, "constant") else "frame"


def default_hop_bounds(n_fft, hop_mode="fixed", n_samples=None, n_frames=None):
    """Bounds ``(lo, hi)`` of a learned hop, in samples.

    ``(1, n_fft)`` (math.md §6). A constant hop on a fixed number of frames
    ``T`` is also kept at most ``n_samples / (T - 1)``: a longer one only
    pushes frames past the end of the signal.
    """
    hi = float(n_fft)
    if hop_mode == "constant" and n_samples is not None and n_frames is not None \
            and n_frames > 1:
        hi = max(1.0 + 1e-6, min(hi, n_samples / (n_frames - 1)))
    return (1.0, hi)


class RepresentationObjective:
    """Loss of STFT parameters on a batch of signals.

    Parameters
    ----------
    X : ndarray (B, N)
        Signals (float32 or float64).
    n_fft : int
    n_frames : int
        Number of frames ``T`` (fixed during the optimization).
    window_mode, hop_mode : str
        See the module docstring.
    positions : ndarray (T,)
        Fixed positions (``hop_mode="fixed"``); otherwise ignored.
    win_bounds : (lo, hi)
        Window-length bounds (samples).
    hop_bounds : (lo, hi)
        Hop bounds (samples), default ``(1, n_fft)``.
    criterion, power, scope, alpha :
        See :func:`skdstft.losses.criterion_loss`.
    reg : float
        Weight of the smoothness term (varying window modes only).
    reg_scale : float
        ``lam_ref`` of the smoothness term (samples).
    coverage : float
        Weight of the coverage penalty (applied when positions are learned).
    min_overlap : float
        Required overlap ``rho`` (coverage penalty and the overlap hop mode).
    window, normalization : see :func:`skdstft.dstft`.
    batch_size : int, optional
        Signals per mini-batch for stochastic optimization
        (``__call__(theta, iteration)``); all signals when None.
    seed : int
        Seed of the mini-batch draws.
    """

    def __init__(self, X, *, n_fft, n_frames, window_mode="constant", hop_mode="fixed",
                 positions=None, win_bounds=(8.0, None), hop_bounds=None,
                 criterion="entropy", power=1, scope="global", alpha=3, reg=0.0,
                 reg_scale=1.0, coverage=0.0, min_overlap=0.5, window="hann",
                 normalization="l1", batch_size=None, seed=0):
        # checked here, once: every evaluation then skips dstft's input checks
        self.X = X = check_signal(X, "X")
        self.n_fft = n_fft
        self.n_freqs = n_fft // 2 + 1
        self.n_frames = int(n_frames)
        self.n_samples = X.shape[-1]
        self.window_mode = check_choice(window_mode, "window_mode", WINDOW_MODES)
        self.hop_mode = check_choice(hop_mode, "hop_mode", HOP_MODES)
        if self.hop_mode == "overlap" and self.window_mode not in ("constant", "time"):
            raise ValueError("hop_mode='overlap' needs window_mode 'constant' or 'time'")
        if self.hop_mode == "fixed":
            if positions is None or len(positions) != self.n_frames:
                raise ValueError("hop_mode='fixed' needs positions of length n_frames")
        self.positions = None if positions is None else check_positions(positions)
        hi = n_fft - 2 if win_bounds[1] is None else win_bounds[1]
        self.win_bounds = (float(win_bounds[0]), float(hi))
        self.hop_bounds = default_hop_bounds(n_fft) if hop_bounds is None else \
            tuple(map(float, hop_bounds))
        self.criterion, self.power, self.scope, self.alpha = criterion, power, scope, alpha
        self.reg, self.reg_scale = float(reg), float(reg_scale)
        self.coverage, self.min_overlap = float(coverage), float(min_overlap)
        self.window, self.normalization = window, normalization
        self._window = get_window(window)
        self.batch_size, self.seed = batch_size, seed
        self._frames = None

    # The frames of all signals at fixed positions, gathered at the first
    # evaluation and reused by every later one, when they fit in this many
    # bytes (they hold about n_fft / hop times the signals' samples).
    FRAMES_CACHE_BYTES = 256 * 2**20

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_frames"] = None  # rebuilt where the objective runs, not shipped
        return state

    def _fixed_frames(self, X):
        """Cached frames of ``X`` when it is all the signals and the positions
        are fixed; None otherwise (dstft then gathers them itself)."""
        if self.hop_mode != "fixed" or X is not self.X:
            return None
        if self._frames is None:
            n_bytes = X.dtype.itemsize * X.shape[0] * self.n_frames * self.n_fft
            if n_bytes > self.FRAMES_CACHE_BYTES:
                return None
            self._frames = gather_frames(X, self.positions, self.n_fft)
            self._frames.padded.flags.writeable = False  # what the transforms read
        return self._frames

    # -- parameterization -------------------------------------------------
    @property
    def win_shape(self):
        F, T = self.n_freqs, self.n_frames
        return {"constant": (), "time": (1, T), "frequency": (F, 1),
                "time-frequency": (F, T)}[self.window_mode]

    @property
    def n_hop_params(self):
        return {"fixed": 0, "constant": 1, "time": self.n_frames - 1,
                "overlap": 0}[self.hop_mode]

    @property
    def n_win_params(self):
        return int(np.prod(self.win_shape, dtype=int)) if self.window_mode != "constant" else 1

    def pack(self, win_length, hop_length=None):
        """Flat ``theta`` from window length(s) and hop(s), broadcast to the
        parameterization's shapes; returns ``(theta, (lo, hi))``."""
        lam = np.broadcast_to(np.asarray(win_length, dtype=float), self.win_shape).ravel()
        parts, lo, hi = [lam], [np.full(lam.size, self.win_bounds[0])], [
            np.full(lam.size, self.win_bounds[1])]
        if self.n_hop_params:
            if hop_length is None:
                raise ValueError(f"hop_mode={self.hop_mode!r} needs an initial hop_length")
            hop = np.broadcast_to(np.asarray(hop_length, dtype=float), (self.n_hop_params,))
            parts.append(hop)
            lo.append(np.full(hop.size, self.hop_bounds[0]))
            hi.append(np.full(hop.size, self.hop_bounds[1]))
        theta = np.concatenate(parts)
        lo, hi = np.concatenate(lo), np.concatenate(hi)
        return np.clip(theta, lo, hi), (lo, hi)

    def unpack(self, theta):
        """``(win_length, hop_length, positions)`` from ``theta`` (autograd-safe).

        ``win_length`` has the mode's shape (a scalar for ``constant``);
        ``hop_length`` is None when the hop is not learned.
        """
        n_win = self.n_win_params
        lam = theta[0] if self.window_mode == "constant" else anp.reshape(
            theta[:n_win], self.win_shape)
        hop = None
        if self.hop_mode == "fixed":
            positions = self.positions
        elif self.hop_mode == "constant":
            hop = theta[n_win]
            positions = hop * anp.arange(self.n_frames, dtype=float)
        elif self.hop_mode == "time":
            hop = theta[n_win:]
            positions = anp.concatenate([anp.zeros(1), anp.cumsum(hop)])
        else:
            per_frame = lam * anp.ones(self.n_frames) if self.window_mode == "constant" \
                else anp.reshape(lam, (self.n_frames,))
            positions = fixed_overlap_positions(per_frame, self.min_overlap)
        return lam, hop, positions

    # -- loss --------------------------------------------------------------
    def _batch(self, iteration):
        if iteration is None or self.batch_size is None or self.batch_size >= len(self.X):
            return self.X
        rng = np.random.default_rng([self.seed, iteration])
        idx = np.sort(rng.choice(len(self.X), size=self.batch_size, replace=False))
        return self.X[idx]

    def frame_mask(self, lam, positions):
        """Frames whose window overlaps the signal (the others are empty columns).

        ``lam``: window lengths of one of the mode's shapes, ``(T,)``, ``(F, 1)``
        or ``(F, T)`` (samples); ``positions``: ``(T,)`` frame centres (samples).
        Returns a boolean ``(T,)`` array, False for frames whose shortest window
        lies wholly beyond an end of the signal."""
        pos = np.asarray(getval(positions))
        half = 0.5 * np.min(np.atleast_2d(getval(lam)), axis=0) * np.ones(self.n_frames)
        return (pos - half < self.n_samples) & (pos + half > 0)

    def spectrogram(self, theta, X=None):
        """The DSTFT of ``X`` (default: all signals) at ``theta``: (B, F, T)."""
        lam, _, positions = self.unpack(theta)
        return dstft(self.X if X is None else X, lam, positions, n_fft=self.n_fft,
                     window=self.window, normalization=self.normalization)

    @property
    def _chains_by_hand(self):
        """The default learning problem -- one constant length, fixed
        positions, the built-in Shannon entropy, no penalty -- whose gradient
        :meth:`value_and_grad` chains without autograd's tape."""
        return (self.window_mode == "constant" and self.hop_mode == "fixed"
                and isinstance(self.criterion, str) and self.criterion == "entropy")

    def value_and_grad(self, theta, iteration=None):
        """``(loss, gradient)`` at ``theta``.

        In the default problem (:attr:`_chains_by_hand`) the transform's and
        the entropy's VJPs are chained directly: the same primitives and
        gradients as ``autograd.value_and_grad(self)``, without building its
        tape, which on a small problem costs a third of an evaluation.
        Everything else goes through autograd."""
        if not self._chains_by_hand:
            return value_and_grad(self)(theta, iteration)
        X = self._batch(iteration)
        theta = np.asarray(theta, dtype=float)
        S, lam_vjp = dstft_and_win_length_vjp(
            X, float(theta[0]), self.positions, n_fft=self.n_fft, window=self._window,
            normalization=self.normalization, frames=self._fixed_frames(X))
        loss, S_vjp = losses.mean_shannon_entropy_and_vjp(S, power=self.power, scope=self.scope)
        grad = np.zeros_like(theta)
        grad[0] = lam_vjp(S_vjp())
        return loss, grad

    def __call__(self, theta, iteration=None):
        lam, _, positions = self.unpack(theta)
        X = self._batch(iteration)
        # inputs checked at construction; the optimizer stays within the bounds
        S = dstft_unchecked(X, lam, positions, n_fft=self.n_fft, window=self._window,
                            normalization=self.normalization, frames=self._fixed_frames(X))
        if self.hop_mode == "overlap":
            keep = np.flatnonzero(self.frame_mask(lam, positions))
            S = S[..., keep]
        loss = losses.criterion_loss(S, self.criterion, power=self.power, scope=self.scope,
                              alpha=self.alpha)
        if self.reg and self.window_mode != "constant":
            loss = loss + self.reg * losses.smoothness(lam, scale=self.reg_scale)
        if self.coverage and self.hop_mode in ("constant", "time"):
            loss = loss + self.coverage * losses.coverage_penalty(
                positions, lam, self.n_samples, min_overlap=self.min_overlap)
            if self.hop_mode == "time" and self.n_frames > 1:
                loss = loss + self.coverage * self._overshoot(positions)
        return loss

    def _overshoot(self, positions):
        """``relu(t_{T-1} - N)**2 / N``: with ``T`` fixed, frames pushed past the
        end of the signal lower any entropy (fewer frames hold signal) and the
        coverage penalty only punishes frames that stop short; this keeps the
        last centre inside the signal, as the fixed grid ``0, h, ..., <= N`` has it."""
        over = anp.maximum(positions[-1] - float(self.n_samples), 0.0)
        return over**2 / self.n_samples

    def reg_threshold(self, theta):
        """The smoothness weight above which a constant window stays constant.

        The smoothed total variation ``R`` is nearly ``|d|``, so it acts like
        a lasso (fused-lasso) penalty: at a constant window ``theta`` (every
        length equal) the loss ``criterion + reg * R`` is stationary -- the
        optimizer cannot leave it -- when ``reg`` exceeds this threshold, the
        analogue of the lasso's ``alpha_max`` (the smallest penalty with an
        all-zero solution). It is computed from the gradient ``g`` of the rest
        of the loss at ``theta``, with the uniform part (free: it has no
        variation) removed: a set ``S`` of lengths can move together against
        the penalty when ``|sum_S g| > reg |boundary(S)| / (P * lam_ref)``
        (``P`` neighbour pairs, ``lam_ref`` = :attr:`reg_scale`). Over the
        sets "the first lengths along time" and "the first lengths along
        frequency" this gives, with ``G_t``, ``G_f`` the sums of ``g`` over
        frequency and over time,

            reg_max = P * lam_ref * max(max_n |cumsum(G_t)_n| / F,
                                        max_k |cumsum(G_f)_k| / T),

        exact for a window varying in time or in frequency alone, and a lower
        estimate of the threshold in time-frequency mode (other sets than rows
        and columns could move first).

        Parameters
        ----------
        theta : ndarray
            Packed parameters (:meth:`pack`) whose window lengths are constant.

        Returns
        -------
        reg_max : float
            Unit-free, like ``reg``; 0 for a constant window mode.
        """
        if self.window_mode == "constant":
            return 0.0
        rest = copy.copy(self)
        rest.reg = 0.0
        _, grad = rest.value_and_grad(np.asarray(theta, dtype=float))
        g = np.reshape(np.asarray(grad, dtype=float)[:self.n_win_params], self.win_shape)
        g = g - g.mean()
        F, T = g.shape
        n_pairs = F * (T - 1) + (F - 1) * T
        flow_t = np.abs(np.cumsum(g.sum(axis=0))[:-1]).max(initial=0.0) / F
        flow_f = np.abs(np.cumsum(g.sum(axis=1))[:-1]).max(initial=0.0) / T
        return float(n_pairs * self.reg_scale * max(flow_t, flow_f))

    def criterion_value(self, theta):
        """The criterion alone (no penalties; empty overlap-mode frames masked)."""
        lam, _, positions = self.unpack(theta)
        S = self.spectrogram(theta)
        if self.hop_mode == "overlap":
            S = S[..., np.flatnonzero(self.frame_mask(lam, positions))]
        return float(losses.criterion_loss(S, self.criterion, power=self.power, scope=self.scope,
                                    alpha=self.alpha))
