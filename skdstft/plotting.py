"""Pictures of DSTFT results, as Display objects in scikit-learn's style.

Each display holds the arrays it draws; build it from a result
(:meth:`from_result`, e.g. an
:class:`~skdstft.estimators.adaptive.AdaptationResult`), from a fitted
estimator and a signal (:meth:`from_estimator`: ``AdaptiveSpectrogram``
adapts to the signal, a ``DSTFTTransformer``-like object with
``win_length_`` and ``positions_`` transforms it), or from raw arrays (the
constructor), then call :meth:`plot`. After plotting, ``ax_`` and
``figure_`` hold the matplotlib axes and figure.

* :class:`SpectrogramDisplay`: the spectrogram on its true time grid -- each
  frame drawn at its (possibly non-uniform) position, as wide as the gap to
  its neighbours -- in dB;
* :class:`WindowLengthDisplay`: the window lengths over the time-frequency
  plane (a map), over time or over frequency (a curve);
* :class:`LossCurveDisplay`: the loss along the iterations;
* :class:`FrameLayoutDisplay`: the windows drawn along the signal, with the
  samples no window covers marked.

Time is in samples, or seconds when ``fs`` is given; frequency in
cycles/sample, or Hz with ``fs``. matplotlib is optional
(``pip install skdstft[plot]``) and imported only when drawing.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> from skdstft import dstft
>>> from skdstft.plotting import SpectrogramDisplay
>>> x = np.cos(2 * np.pi * 0.1 * np.arange(512))
>>> positions = np.array([0.0, 100.0, 150.0, 300.0, 500.0])
>>> S = dstft(x, 60.0, positions, n_fft=64)
>>> disp = SpectrogramDisplay(S, positions, n_fft=64).plot()
>>> disp.mesh_.get_array().shape
(33, 5)
"""

import numpy as np

from ._validation import check_win_length_bounds

__all__ = ["SpectrogramDisplay", "WindowLengthDisplay", "LossCurveDisplay",
           "FrameLayoutDisplay", "frame_edges"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skdstft.plotting needs matplotlib, which is not installed; install it "
            "with `pip install skdstft[plot]` (or `pip install matplotlib`)") from exc
    return plt


def _axes(ax):
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def frame_edges(positions, win_lengths=None):
    """Cell edges of frames centred at ``positions``: ``(T + 1,)`` samples.

    Inner edges are midpoints between consecutive positions; the outer ones
    lie half a neighbouring gap outside (half a window, or half a sample, for
    a single frame). Non-uniform frames thus get cells of their own width.

    Examples
    --------
    >>> frame_edges([0.0, 10.0, 30.0])
    array([-5.,  5., 20., 40.])
    """
    t = np.asarray(positions, dtype=float).ravel()
    if t.size == 0:
        raise ValueError("positions must hold at least one frame")
    if t.size == 1:
        half = 0.5 if win_lengths is None else 0.5 * float(np.min(win_lengths))
        return np.array([t[0] - half, t[0] + half])
    mid = 0.5 * (t[1:] + t[:-1])
    return np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])


def _freq_edges(n_freqs, fs):
    """Edges ``(F + 1,)`` of the one-sided bins, clipped to ``[0, fs / 2]``."""
    n_fft = 2 * (n_freqs - 1)
    df = (1.0 if fs is None else fs) / n_fft
    edges = (np.arange(n_freqs + 1) - 0.5) * df
    return np.clip(edges, 0.0, (n_freqs - 1) * df)


def _time_label(fs):
    return "time (samples)" if fs is None else "time (s)"


def _freq_label(fs):
    return "frequency (cycles/sample)" if fs is None else "frequency (Hz)"


def _scale_time(values, fs):
    values = np.asarray(values, dtype=float)
    return values if fs is None else values / float(fs)


def _signal_arrays(estimator, x, result=None):
    """Spectrogram, lengths and frames of ``x`` from a fitted estimator.

    ``result`` (an ``AdaptationResult`` already computed, e.g. by
    ``estimator.adapt(x)``) is returned as is: adapting again would double
    the cost. ``AdaptiveSpectrogram`` (anything with ``adapt``): adapts to
    ``x`` and returns its result. Otherwise an object with ``win_length_``,
    ``positions_`` and ``n_fft`` (``DSTFTTransformer``): the DSTFT of ``x``
    with those parameters.
    """
    if result is not None:
        return result
    if x is None:
        raise ValueError("pass the signal x (or result=, an AdaptationResult)")
    if hasattr(estimator, "adapt"):
        return estimator.adapt(x)
    from .autodiff import dstft
    from .positions import frame_positions

    if hasattr(estimator, "_check_fitted"):  # an n_fft set after fit is named, as transform does
        estimator._check_fitted()
    for name in ("win_length_", "positions_", "n_fft"):
        if not hasattr(estimator, name):
            raise TypeError(
                f"{type(estimator).__name__} has no {name!r}: pass a fitted "
                "AdaptiveSpectrogram or DSTFTTransformer (or build the display from "
                "arrays)")
    x = np.asarray(x, dtype=float)
    if x.ndim > 1 and x.size != max(x.shape):
        # a batch: ravel would draw the signals end to end as one
        raise ValueError(f"x must be one signal, of shape (n_samples,), got shape {x.shape}; "
                         "pick one row, e.g. X[0]")
    x = x.ravel()
    lam = np.asarray(estimator.win_length_, dtype=float)
    positions = np.asarray(estimator.positions_, dtype=float)
    if x.size != getattr(estimator, "n_features_in_", x.size) and np.ndim(lam) == 0:
        positions = frame_positions(x.size, estimator.hop_length_)
    if lam.ndim == 1:
        lam = lam.reshape(1, -1)
    S = dstft(x, lam, positions, n_fft=estimator.n_fft,
              window=getattr(estimator, "window", "hann"),
              normalization=getattr(estimator, "normalization", "l1"))
    return _Arrays(spectrogram=S, win_lengths=np.broadcast_to(lam, S.shape).copy(),
                   positions=positions, n_fft=int(estimator.n_fft), n_samples=x.size,
                   loss_curve=np.asarray(getattr(estimator, "loss_curve_", []), float),
                   window=getattr(estimator, "window", "hann"),
                   win_length_bounds=_estimator_bounds(estimator))


def _estimator_bounds(estimator):
    bounds = getattr(estimator, "win_length_bounds", None)
    if bounds is not None:
        return tuple(map(float, bounds))
    return check_win_length_bounds(None, estimator.n_fft)


class _Arrays:
    """A result-like bundle for estimators that have no ``adapt``."""

    def __init__(self, **kw):
        self.frame_mask = None
        self.__dict__.update(kw)

    @property
    def frame_win_lengths(self):
        return np.min(self.win_lengths, axis=0)


def _mask(result):
    mask = getattr(result, "frame_mask", None)
    return None if mask is None else np.asarray(mask, dtype=bool)


# --------------------------------------------------------------------------- #
class SpectrogramDisplay:
    """Spectrogram on its true (possibly non-uniform) time grid, in dB.

    Frame ``n`` is drawn centred at ``positions[n]``, its cell reaching the
    midpoints to its neighbours (:func:`frame_edges`), so that learned,
    non-uniform frame positions show as such.

    Parameters
    ----------
    spectrogram : complex or real ndarray of shape (F, T)
        The DSTFT (its magnitude is drawn).
    positions : ndarray of shape (T,)
        Frame centres in samples.
    fs : float, optional
        Sampling rate in Hz: axes in seconds and Hz (else samples and
        cycles/sample).
    frame_mask : ndarray of bool, shape (T,), optional
        Frames to draw (e.g. those overlapping the signal).
    win_lengths : ndarray broadcastable to (F, T), optional
        Only used for the cell of a single frame.
    title : str, optional

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    mesh_ : matplotlib QuadMesh
    colorbar_ : matplotlib Colorbar or None

    Examples
    --------
    The spectrogram a fitted estimator computes for one signal:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skdstft import DSTFTTransformer
    >>> from skdstft.plotting import SpectrogramDisplay
    >>> from skdstft.signals import three_component
    >>> x = three_component(1024)
    >>> est = DSTFTTransformer(n_fft=256, max_iter=20).fit(x[None])
    >>> disp = SpectrogramDisplay.from_estimator(est, x, db_range=60)
    >>> disp.mesh_.get_array().shape  # (F, T)
    (129, 17)
    >>> plt.close(disp.figure_)
    """

    def __init__(self, spectrogram, positions, *, fs=None, frame_mask=None, win_lengths=None,
                 title=None, n_fft=None):
        S = np.asarray(spectrogram)
        if S.ndim != 2:
            raise ValueError(f"spectrogram must be 2-D (F, T), got shape {S.shape}")
        positions = np.asarray(positions, dtype=float).ravel()
        if positions.size != S.shape[1]:
            raise ValueError(f"positions has {positions.size} frames, the spectrogram "
                             f"{S.shape[1]}")
        self.spectrogram = S
        self.positions = positions
        self.fs = fs
        self.frame_mask = None if frame_mask is None else np.asarray(frame_mask, bool)
        self.win_lengths = win_lengths
        self.title = title
        self.n_fft = 2 * (S.shape[0] - 1) if n_fft is None else int(n_fft)

    def plot(self, ax=None, *, db_range=80.0, cmap="magma", colorbar=True, title=None,
             **kwargs):
        """Draw the spectrogram.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            New figure when None.
        db_range : float, default=80
            Dynamic range: magnitudes below ``max - db_range`` dB are clipped.
        cmap : str, default="magma"
        colorbar : bool, default=True
            A colour bar in dB relative to the largest magnitude.
        title : str, optional
        **kwargs
            Passed to ``pcolormesh``.

        Returns
        -------
        self
        """
        ax, fig = _axes(ax)
        S = np.abs(self.spectrogram)
        positions = self.positions
        lam = None if self.win_lengths is None else np.min(
            np.atleast_2d(self.win_lengths), axis=0)
        if self.frame_mask is not None:
            S, positions = S[:, self.frame_mask], positions[self.frame_mask]
            if lam is not None and lam.size == self.frame_mask.size:
                lam = lam[self.frame_mask]
        peak = S.max() if S.size and S.max() > 0 else 1.0
        db = 20.0 * np.log10(np.maximum(S / peak, 10.0 ** (-db_range / 20.0)))
        t_edges = _scale_time(frame_edges(positions, lam), self.fs)
        f_edges = _freq_edges(S.shape[0], self.fs)
        self.mesh_ = ax.pcolormesh(t_edges, f_edges, db, shading="flat", cmap=cmap,
                                   vmin=-db_range, vmax=0.0, rasterized=True, **kwargs)
        ax.set_xlabel(_time_label(self.fs))
        ax.set_ylabel(_freq_label(self.fs))
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = fig.colorbar(self.mesh_, ax=ax)
            self.colorbar_.set_label("magnitude (dB re max)")
        title = title if title is not None else self.title
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_result(cls, result, *, fs=None, ax=None, title=None, **plot_kw):
        """Display of an ``AdaptationResult`` (or any object with
        ``spectrogram`` and ``positions``), drawn."""
        disp = cls(result.spectrogram, result.positions, fs=fs, frame_mask=_mask(result),
                   win_lengths=getattr(result, "win_lengths", None), title=title)
        return disp.plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator, x=None, *, result=None, fs=None, ax=None, title=None,
                       **plot_kw):
        """Display of the spectrogram of signal ``x`` (``(n_samples,)``) by a
        fitted estimator: adapted for ``AdaptiveSpectrogram``, with the
        learned parameters for a ``DSTFTTransformer``-like object.

        ``result``: an ``AdaptationResult`` of ``estimator.adapt(x)`` already
        computed, drawn without adapting again (several displays of one
        adaptation then cost one adaptation)."""
        return cls.from_result(_signal_arrays(estimator, x, result), fs=fs, ax=ax, title=title,
                               **plot_kw)


# --------------------------------------------------------------------------- #
class WindowLengthDisplay:
    """Window lengths over the time-frequency plane.

    A map (``pcolormesh`` on the frames' true time grid) when the lengths
    vary in time and frequency; a curve over time (one length per frame) or
    over frequency otherwise.

    Parameters
    ----------
    win_lengths : float or ndarray broadcastable to (F, T)
        Window lengths in samples (``(T,)`` is read as one per frame).
    positions : ndarray of shape (T,)
        Frame centres in samples.
    n_fft : int, optional
        DFT size (for the frequency axis of a map); default from ``F``.
    fs : float, optional
        Sampling rate: time in seconds, frequency in Hz, lengths in ms.
    bounds : (float, float), optional
        Window-length bounds, drawn as dashed lines on curves and used as the
        colour range of a map.
    frame_mask : ndarray of bool, shape (T,), optional
    title : str, optional

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    kind_ : {"map", "time", "frequency"}
    mesh_ : QuadMesh (map) or None
    lines_ : list of Line2D (curves)
    colorbar_ : Colorbar or None

    Examples
    --------
    One window length per frame is drawn as a curve over time:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skdstft.plotting import WindowLengthDisplay
    >>> positions = np.arange(9) * 64.0
    >>> lengths = np.array([200, 180, 60, 40, 60, 180, 200, 200, 200.0])
    >>> disp = WindowLengthDisplay(lengths, positions, n_fft=256, bounds=(8, 254)).plot()
    >>> disp.kind_
    'time'
    >>> plt.close(disp.figure_)
    """

    def __init__(self, win_lengths, positions, *, n_fft=None, fs=None, bounds=None,
                 frame_mask=None, title=None):
        positions = np.asarray(positions, dtype=float).ravel()
        lam = np.asarray(win_lengths, dtype=float)
        if lam.ndim == 1 and lam.size == positions.size:
            lam = lam.reshape(1, -1)
        elif lam.ndim < 2:
            lam = lam.reshape(1, 1)
        if lam.ndim != 2:
            raise ValueError(f"win_lengths must be at most 2-D, got shape {lam.shape}")
        self.win_lengths = lam
        self.positions = positions
        self.n_fft = n_fft
        self.fs = fs
        self.bounds = bounds
        self.frame_mask = None if frame_mask is None else np.asarray(frame_mask, bool)
        self.title = title

    def _kind(self, lam):
        F, T = lam.shape
        varies_f = F > 1 and np.ptp(lam, axis=0).max() > 0
        varies_t = T > 1 and np.ptp(lam, axis=1).max() > 0
        if varies_f and varies_t:
            return "map"
        if varies_f:
            return "frequency"
        return "time"

    def plot(self, ax=None, *, kind="auto", cmap="viridis", colorbar=True, title=None,
             **kwargs):
        """Draw the window lengths.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        kind : {"auto", "map", "time", "frequency"}, default="auto"
        cmap : str, default="viridis"
        colorbar : bool, default=True
        title : str, optional
        **kwargs
            Passed to ``pcolormesh`` (map) or ``plot`` (curves).

        Returns
        -------
        self
        """
        ax, fig = _axes(ax)
        T = self.positions.size
        lam = self.win_lengths
        n_freqs = lam.shape[0] if lam.shape[0] > 1 else (
            None if self.n_fft is None else self.n_fft // 2 + 1)
        positions = self.positions
        if lam.shape[1] == 1 and T > 1:
            lam = np.broadcast_to(lam, (lam.shape[0], T))
        if self.frame_mask is not None and self.frame_mask.size == lam.shape[1]:
            lam, positions = lam[:, self.frame_mask], positions[self.frame_mask]
        kind = self._kind(lam) if kind == "auto" else kind
        if kind not in ("map", "time", "frequency"):
            raise ValueError(f"kind must be 'auto', 'map', 'time' or 'frequency', got {kind!r}")
        scale = 1.0 if self.fs is None else 1e3 / float(self.fs)
        unit = "samples" if self.fs is None else "ms"
        self.mesh_, self.colorbar_, self.lines_ = None, None, []
        bounds = None if self.bounds is None else (self.bounds[0] * scale,
                                                    self.bounds[1] * scale)
        if kind == "map":
            if n_freqs is None or lam.shape[0] != n_freqs:
                n_freqs = lam.shape[0]
                lam = np.broadcast_to(lam, (n_freqs, lam.shape[1]))
            vmin, vmax = (None, None) if bounds is None else bounds
            self.mesh_ = ax.pcolormesh(
                _scale_time(frame_edges(positions, lam.min(axis=0)), self.fs),
                _freq_edges(n_freqs, self.fs), lam * scale, shading="flat", cmap=cmap,
                vmin=kwargs.pop("vmin", vmin), vmax=kwargs.pop("vmax", vmax),
                rasterized=True, **kwargs)
            ax.set_xlabel(_time_label(self.fs))
            ax.set_ylabel(_freq_label(self.fs))
            if colorbar:
                self.colorbar_ = fig.colorbar(self.mesh_, ax=ax)
                self.colorbar_.set_label(f"window length ({unit})")
        elif kind == "time":
            per_frame = np.min(lam, axis=0) * scale
            self.lines_ = ax.plot(_scale_time(positions, self.fs), per_frame,
                                  marker="o", ms=3, **kwargs)
            ax.set_xlabel(_time_label(self.fs))
            ax.set_ylabel(f"window length ({unit})")
        else:
            col = lam[:, 0] * scale
            freqs = _freq_edges(lam.shape[0], self.fs)
            centres = np.arange(lam.shape[0]) * (freqs[-1] / max(1, lam.shape[0] - 1))
            self.lines_ = ax.plot(centres, col, **kwargs)
            ax.set_xlabel(_freq_label(self.fs))
            ax.set_ylabel(f"window length ({unit})")
        if kind != "map":
            _readable_length_axis(ax, per_frame if kind == "time" else col)
            if bounds is not None:
                for b in bounds:
                    ax.axhline(b, color="0.5", ls="--", lw=0.8)
        title = title if title is not None else self.title
        if title:
            ax.set_title(title)
        self.kind_ = kind
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_result(cls, result, *, fs=None, ax=None, title=None, **plot_kw):
        """Display of the window lengths of an ``AdaptationResult`` (or any
        object with ``win_lengths`` and ``positions``), drawn."""
        disp = cls(result.win_lengths, result.positions, fs=fs,
                   bounds=getattr(result, "win_length_bounds", None),
                   n_fft=getattr(result, "n_fft", None), frame_mask=_mask(result),
                   title=title)
        return disp.plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator, x=None, *, result=None, fs=None, ax=None, title=None,
                       **plot_kw):
        """Window lengths used by a fitted estimator: adapted to ``x`` for
        ``AdaptiveSpectrogram`` (or those of ``result``, an
        ``AdaptationResult`` already computed: no second adaptation);
        ``win_length_`` on ``positions_`` for a ``DSTFTTransformer``-like
        object (``x`` unused)."""
        if result is not None or hasattr(estimator, "adapt"):
            if x is None and result is None:
                raise ValueError("AdaptiveSpectrogram adapts to a signal: pass x "
                                 "(or result=, an AdaptationResult)")
            return cls.from_result(_signal_arrays(estimator, x, result), fs=fs, ax=ax,
                                   title=title, **plot_kw)
        if hasattr(estimator, "_check_fitted"):
            estimator._check_fitted()
        disp = cls(estimator.win_length_, estimator.positions_, n_fft=estimator.n_fft,
                   fs=fs, bounds=_estimator_bounds(estimator), title=title)
        return disp.plot(ax=ax, **plot_kw)


# --------------------------------------------------------------------------- #
class LossCurveDisplay:
    """The loss along the iterations of an optimization.

    Parameters
    ----------
    loss_curve : array-like of shape (n_points,)
        Loss values (the first one: at the starting point).
    label : str, optional
        Legend label.

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    line_ : Line2D

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skdstft import DSTFTTransformer
    >>> from skdstft.plotting import LossCurveDisplay
    >>> from skdstft.signals import three_component
    >>> est = DSTFTTransformer(n_fft=256, win_length=20, max_iter=20).fit(three_component(1024)[None])
    >>> disp = LossCurveDisplay.from_estimator(est, label="entropy")
    >>> disp.line_.get_ydata().size == len(est.loss_curve_)
    True
    >>> plt.close(disp.figure_)
    """

    def __init__(self, loss_curve, *, label=None):
        curve = np.asarray(loss_curve, dtype=float).ravel()
        if curve.size == 0:
            raise ValueError("loss_curve is empty")
        self.loss_curve = curve
        self.label = label

    def plot(self, ax=None, *, title=None, **kwargs):
        """Draw the curve (non-finite values are left out). Returns self."""
        ax, fig = _axes(ax)
        curve = np.where(np.isfinite(self.loss_curve), self.loss_curve, np.nan)
        (self.line_,) = ax.plot(np.arange(curve.size), curve, label=self.label, **kwargs)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss")
        if self.label:
            ax.legend()
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_result(cls, result, *, label=None, ax=None, **plot_kw):
        """From anything with a ``loss_curve`` (an ``AdaptationResult``, an
        ``OptimizeResult``), drawn."""
        return cls(result.loss_curve, label=label).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator, x=None, *, result=None, label=None, ax=None, **plot_kw):
        """The training curve ``loss_curve_`` of a fitted estimator, or, for
        ``AdaptiveSpectrogram`` with a signal ``x``, that of its adaptation
        (of ``result``, an ``AdaptationResult`` already computed, if given)."""
        if result is not None or (x is not None and hasattr(estimator, "adapt")):
            return cls.from_result(_signal_arrays(estimator, x, result), label=label, ax=ax,
                                   **plot_kw)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator, "loss_curve_")  # NotFittedError, not a bare AttributeError
        return cls(estimator.loss_curve_, label=label).plot(ax=ax, **plot_kw)


# --------------------------------------------------------------------------- #
class FrameLayoutDisplay:
    """The analysis windows drawn along the signal.

    Each frame's window ``b((t - t_n) / lam_n)`` is drawn at its position and
    with its length (scaled to a peak of 1, alternating colours), optionally
    over the signal (grey, scaled to ``[-1, 1]``); samples that no window
    covers are shaded red.

    Parameters
    ----------
    positions : ndarray of shape (T,)
        Frame centres in samples.
    win_lengths : float or ndarray of shape (T,) or (F, T)
        Window length per frame in samples (for ``(F, T)`` the shortest of
        each frame, the one the coverage condition uses).
    n_samples : int
        Signal length.
    signal : ndarray of shape (n_samples,), optional
    window : str, default="hann"
        Base window drawn.
    fs : float, optional
    frame_mask : ndarray of bool, shape (T,), optional
    title : str, optional

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    uncovered_ : int
        Number of samples inside no window.

    Examples
    --------
    Windows of 40 samples every 64 samples leave gaps between the frames:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skdstft.plotting import FrameLayoutDisplay
    >>> positions = np.arange(5) * 64.0
    >>> disp = FrameLayoutDisplay(positions, 40.0, 257).plot()
    >>> disp.uncovered_ > 0
    True
    >>> FrameLayoutDisplay(positions, 128.0, 257).plot(ax=disp.ax_).uncovered_
    0
    >>> plt.close(disp.figure_)
    """

    def __init__(self, positions, win_lengths, n_samples, *, signal=None, window="hann",
                 fs=None, frame_mask=None, title=None):
        positions = np.asarray(positions, dtype=float).ravel()
        lam = np.asarray(win_lengths, dtype=float)
        if lam.ndim == 2:
            lam = lam.min(axis=0)
        self.win_lengths = np.broadcast_to(lam, positions.shape).astype(float)
        self.positions = positions
        self.n_samples = int(n_samples)
        self.signal = None if signal is None else np.asarray(signal, dtype=float).ravel()
        self.window = window
        self.fs = fs
        self.frame_mask = None if frame_mask is None else np.asarray(frame_mask, bool)
        self.title = title

    def plot(self, ax=None, *, show_signal=True, colors=("tab:blue", "tab:orange"),
             title=None):
        """Draw the windows (and the signal). Returns self."""
        from .estimators.adaptive import coverage_count
        from .windows import get_window

        ax, fig = _axes(ax)
        base = get_window(self.window)
        positions, lam = self.positions, self.win_lengths
        if self.frame_mask is not None:
            positions, lam = positions[self.frame_mask], lam[self.frame_mask]
        if show_signal and self.signal is not None:
            peak = np.max(np.abs(self.signal)) or 1.0
            ax.plot(_scale_time(np.arange(self.signal.size), self.fs), self.signal / peak,
                    color="0.6", lw=0.6, zorder=1)
        u = np.linspace(-0.5, 0.5, 65)
        for n, (t, w) in enumerate(zip(positions, lam)):
            tt = _scale_time(t + u * w, self.fs)
            ax.fill_between(tt, 0.0, base.value(u), color=colors[n % len(colors)],
                            alpha=0.25, lw=0, zorder=2)
            ax.plot(tt, base.value(u), color=colors[n % len(colors)], lw=0.9, zorder=3)
        ax.plot(_scale_time(positions, self.fs), np.zeros_like(positions), "|", color="k",
                ms=6, zorder=4)
        count = coverage_count(positions, lam, self.n_samples)
        self.uncovered_ = int(np.sum(count == 0))
        if self.uncovered_:
            holes = np.flatnonzero(count == 0)
            starts = holes[np.r_[True, np.diff(holes) > 1]]
            stops = holes[np.r_[np.diff(holes) > 1, True]]
            for a, b in zip(starts, stops):
                ax.axvspan(*_scale_time([a - 0.5, b + 0.5], self.fs), color="tab:red",
                           alpha=0.3, lw=0, zorder=0)
        ax.axvline(_scale_time(0, self.fs), color="k", lw=0.6, ls=":")
        ax.axvline(_scale_time(self.n_samples - 1, self.fs), color="k", lw=0.6, ls=":")
        ax.set_xlabel(_time_label(self.fs))
        ax.set_ylabel("window (peak 1)")
        title = title if title is not None else self.title
        if title is None:
            title = (f"{positions.size} frames, {self.uncovered_} uncovered samples")
        ax.set_title(title)
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_result(cls, result, signal=None, *, fs=None, ax=None, title=None, **plot_kw):
        """Frames of an ``AdaptationResult`` (or any object with
        ``positions``, ``win_lengths`` and ``n_samples``), drawn."""
        n_samples = getattr(result, "n_samples", None)
        if n_samples is None:
            if signal is None:
                raise ValueError("pass the signal (its length is unknown)")
            n_samples = len(signal)
        lam = getattr(result, "frame_win_lengths", None)  # (F, 1) lengths: per frame
        disp = cls(result.positions, result.win_lengths if lam is None else lam, n_samples,
                   signal=signal,
                   window=getattr(result, "window", "hann"), fs=fs,
                   frame_mask=_mask(result), title=title)
        return disp.plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator, x, *, result=None, fs=None, ax=None, title=None,
                       **plot_kw):
        """Frames a fitted estimator uses on signal ``x`` (adapted for
        ``AdaptiveSpectrogram``, unless ``result``, an ``AdaptationResult``
        of ``x`` already computed, is given), drawn over ``x``."""
        return cls.from_result(_signal_arrays(estimator, x, result),
                               signal=np.asarray(x).ravel(), fs=fs, ax=ax, title=title,
                               **plot_kw)


def _readable_length_axis(ax, values):
    """Plain tick labels, and a span of at least 10 % around a nearly constant
    curve: matplotlib would otherwise zoom into rounding noise and label the
    axis with an offset ("+3.174e1" over ticks of 0.0075..0.0100)."""
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    lo, hi = float(np.min(values)), float(np.max(values))
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    min_half = 0.05 * max(abs(mid), 1e-12)
    if half < min_half:
        ax.set_ylim(mid - min_half, mid + min_half)
