"""What the command line reports: the text summary of ``optimize``, its JSON
report and its figure, and the summaries of learned lengths."""

import json
from dataclasses import dataclass

import numpy as np


def _summary(values):
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return f"{float(values.ravel()[0]):.2f}"
    return (f"min {values.min():.1f}, median {np.median(values):.1f}, "
            f"max {values.max():.1f} ({values.size} values)")


def _full_lengths(lam, mode, n_freqs, n_frames):
    """A varying mode's window lengths as an (F, T) map, from whatever shape
    the result holds them in (a 1-D array is read by the mode: its length
    alone cannot tell frames from bins when T == F)."""
    lam = np.asarray(lam, dtype=float)
    if lam.ndim == 1:
        lam = lam[None, :] if mode == "time" else lam[:, None]
    return np.broadcast_to(lam, (n_freqs, n_frames))


def _mode_shaped(full, mode):
    """(F, T) lengths in the shape the mode has: (T,) time, (F,) frequency,
    (F, T) time-frequency."""
    return {"time": full[0], "frequency": full[:, 0]}.get(mode, full)


_SHAPE_WORDS = {"time": "one per frame", "frequency": "one per frequency bin",
                "time-frequency": "one per time-frequency bin"}


@dataclass
class OptimizeOutcome:
    """Everything ``skdstft optimize`` reports about one run (lengths in
    samples; ``const`` the best constant window a varying mode started from,
    None for a constant mode)."""

    source: str
    x: np.ndarray
    fs: object
    mode: str
    hop_mode: str
    n_fft: int
    hop: int
    criterion: str
    scope: str
    bounds: tuple
    normalization: object
    power: float
    init: float
    init_pos: np.ndarray
    S0: np.ndarray
    crit0: float
    S: np.ndarray
    positions: np.ndarray
    lam: object
    lam_map: object
    const: object
    crit1: float
    curve: list
    n_fit: int
    n_iter: int
    seconds: float
    reg: object
    reg_given: bool
    reg_used: object
    penalties: list
    fraction_at_bounds: object
    warnings: list

    @property
    def varying(self):
        return self.mode != "constant"

    @property
    def scope_words(self):
        if self.criterion == "kurtosis":
            return "minus the mean frame kurtosis"
        return "mean of per-frame entropies" if self.scope == "frame" else "whole plane"


def print_summary(o, out):
    """The text report of ``optimize`` (on ``out``)."""
    varying = o.varying
    steps = np.diff(o.positions)
    print(f"  mode: window {o.mode}, hop {o.hop_mode}; n_fft {o.n_fft}"
          + (f"; reg {o.reg}" + (" (the default)" if not o.reg_given else "")
             # the value a word ("auto") stands for on this signal; a number is used as is
             + (f" = {o.reg_used:.4g}" if isinstance(o.reg, str) and o.reg_used is not None
                else "") if varying else ""),
          file=out)
    print(f"  criterion {o.criterion} ({o.scope_words}; lower is better):", file=out)
    stages = [f"initial {o.crit0:.6g} (window {o.init:.1f})"]
    if varying:
        stages.append(f"best constant {o.const['criterion']:.6g} "
                      f"(window {o.const['win_length']:.1f})")
    stages.append(f"{'adapted' if varying else 'optimized'} {o.crit1:.6g}")
    print("    " + " -> ".join(stages), file=out)
    what = f", {_SHAPE_WORDS[o.mode]}" if varying else ""
    print(f"  window length (samples{what}): {_summary(o.lam)}", file=out)
    print(f"  hop (samples): {_summary(steps) if steps.size else 'single frame'}; "
          f"{o.positions.size} frame{'s' if o.positions.size > 1 else ''}", file=out)
    print(f"  time: {o.seconds:.2f} s, {o.n_iter} iterations", file=out)


def json_report(o, max_iter, n_restarts):
    """The JSON report of ``optimize`` (a str)."""
    lo, hi = o.bounds
    report = {
        "source": o.source, "n_samples": int(o.x.size), "fs": o.fs,
        "parameters": {"mode": o.mode, "hop_mode": o.hop_mode, "n_fft": o.n_fft,
                       "hop": o.hop, "criterion": o.criterion, "scope": o.scope,
                       "reg": o.reg, "reg_used": o.reg_used, "win_length_bounds": [lo, hi],
                       "max_iter": max_iter, "n_restarts": n_restarts,
                       "normalization": o.normalization, "power": o.power},
        "initial": {"win_length": o.init, "criterion": o.crit0},
        **({"constant": o.const} if o.varying else {}),
        "optimized": {"criterion": o.crit1,
                      "win_length": np.asarray(o.lam, dtype=float).tolist(),
                      "positions": o.positions.tolist(),
                      **({"fraction_at_bounds": o.fraction_at_bounds} if o.varying
                         else {})},
        "loss_curve": o.curve, "loss_curve_stages": [o.n_fit, len(o.curve) - o.n_fit],
        "loss_penalties": o.penalties, "warnings": o.warnings, "seconds": o.seconds,
    }
    return json.dumps(report, indent=1)


def plot_outcome(path, o, landscape, window, title_source):
    """The figure of ``optimize`` (:func:`_plot_optimize`) from an outcome."""
    from ..autodiff import dstft

    S_c = None if o.const is None else dstft(
        o.x, o.const["win_length"], o.init_pos, n_fft=o.n_fft, window=window,
        normalization=o.normalization)
    _plot_optimize(path, o.x, o.fs, o.n_fft, o.S0 if o.const is None else S_c, o.init_pos,
                   o.init, o.S, o.positions, o.lam_map if o.varying else o.lam, o.curve,
                   o.crit0, o.crit1, o.const, o.n_fit, o.penalties, landscape,
                   f"{title_source}: {o.criterion} ({o.scope_words})")


def _plot_optimize(path, x, fs, n_fft, S0, pos0, lam0, S, positions, lam, curve, crit0, crit1,
                   const, n_fit, penalties, landscape, suptitle):
    """The 2 x 2 figure: the starting spectrogram (initial, or the best constant
    window for a varying mode) and the learned one; the criterion landscape or
    the learned lengths; the training loss. ``S0`` is the starting spectrogram
    on the frames ``pos0``; ``lam`` the learned length (a constant window) or
    the (F, T) map of a varying one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import LossCurveDisplay, SpectrogramDisplay, WindowLengthDisplay

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    fig.suptitle(suptitle)
    SpectrogramDisplay(S0, pos0, n_fft=n_fft, fs=fs).plot(ax=axes[0, 0])
    if const is None:
        axes[0, 0].set_title(f"initial: window {lam0:.0f} samples (criterion {crit0:.4g})")
        title = f"optimized: window {lam:.1f} samples (criterion {crit1:.4g})"
    else:  # the varying window against the best constant one it started from
        axes[0, 0].set_title(f"best constant: window {const['win_length']:.0f} samples "
                             f"(criterion {const['criterion']:.4g})")
        title = f"adapted (criterion {crit1:.4g})"
    SpectrogramDisplay(S, positions, n_fft=n_fft, fs=fs).plot(ax=axes[0, 1])
    axes[0, 1].set_title(title)  # the display's plot() resets it
    if landscape is not None:  # one length: show the criterion it minimizes (paper Fig. 2)
        grid, values = landscape
        ax = axes[1, 0]
        ax.plot(grid, values, color="0.3")
        ax.axvline(lam0, color="tab:blue", ls="--", label=f"initial {lam0:.0f}")
        ax.axvline(lam, color="tab:red", label=f"learned {lam:.1f}")
        ax.set_xlabel("window length (samples)")
        ax.set_ylabel("criterion")
        ax.set_title("criterion vs constant window length")
        ax.legend()
    else:
        WindowLengthDisplay(np.broadcast_to(lam, S.shape), positions, n_fft=n_fft, fs=fs).plot(ax=axes[1, 0])
    _plot_loss(axes[1, 1], LossCurveDisplay, curve, crit0, crit1, const, n_fit, penalties)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_loss(ax, display, curve, crit0, crit1, const, n_fit, penalties):
    """The training loss with the criterion values the titles quote, on a
    scale a person can read when a penalty dwarfs the criterion at the start
    (a learned hop's coverage term can be 30 times the entropy)."""
    curve = np.asarray(curve, dtype=float)
    display(curve).plot(ax=ax)
    ax.axhline(crit0, color="tab:blue", ls="--", lw=1, label=f"criterion, initial {crit0:.4g}")
    if const is not None:
        ax.axhline(const["criterion"], color="0.4", ls=":", lw=1,
                   label=f"criterion, best constant {const['criterion']:.4g}")
        ax.axvline(n_fit - 0.5, color="0.6", lw=1, label="adaptation starts")
    ax.axhline(crit1, color="tab:red", lw=1,
               label=f"criterion, {'adapted' if const else 'optimized'} {crit1:.4g}")
    finite = curve[np.isfinite(curve)]
    lo, hi = min(finite.min(), crit1), max(finite.max(), crit0)
    if hi - lo > 2 * max(abs(crit1), abs(crit0)):
        if lo > 0:
            from matplotlib.ticker import LogFormatter

            ax.set_yscale("log")
            for axis_set in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
                axis_set(LogFormatter(labelOnlyBase=False))  # 3, 20: not 3 x 10^0
        else:
            ax.set_yscale("symlog", linthresh=max(abs(crit1), 1e-3))
    ax.set_ylabel("loss" + (" (log scale)" if ax.get_yscale() != "linear" else ""))
    ax.set_title("training loss = criterion" + (f" + {' + '.join(penalties)} penalty"
                                                 if penalties else ""))
    ax.legend(fontsize="small")
