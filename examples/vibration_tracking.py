"""Tracking the speed of a multi-harmonic "engine" signal (paper Sec. VI-C, Fig. 6)
=================================================================================

A harmonic series (4 harmonics) follows a speed profile with long stable
parts and short ramps (``multi_harmonic(profile="fast-run-up-down")``:
rest at 20 Hz, a 0.8 s run-up to 34 Hz, a plateau, a 0.8 s run-down, rest).
The fundamental is tracked by the centroid of the power spectrogram in a band
that holds only the fundamental (12-38 Hz), with three windows:

1. the best constant window for the task (``FrequencyTracker``, constant);
2. the paper's route: a time-varying window minimizing the Shannon entropy
   of each test spectrogram (``AdaptiveSpectrogram(window_mode="time")``,
   started from the entropy-optimal constant window of the training signals,
   smoothness penalty); it knows nothing of the task;
3. a task-driven time-varying window (``FrequencyTracker(window_mode="time")``,
   smoothness penalty ``reg``), one length per frame shared by all signals.

Why a time-varying window can win: the centroid of a windowed spectrum is the
window-weighted mean of the instantaneous frequency, exact for a linear chirp,
biased by the curvature of the speed (at the start and end of the ramps) by
about ``f'' L**2``; its noise variance falls like ``1 / L``. A constant window
must compromise between the two, a time-varying one is short where the speed
bends and long elsewhere. (The noise also biases the centroid towards the band
centre by an amount that does not depend on ``L``: a floor no window removes.)

Windows are learned on training realizations (same profile; other harmonic
amplitudes, phases, speed fluctuation and noise) and every MSE is measured on
held-out realizations. The table reports the centroid MSE (the estimate the
training optimizes) over all frames and over the frames 2 s away from the
zero-padded ends (where a long window helps every frame: part of the gain
is there), and, for information, the MSE of ridge tracking
(``method="ridge"``) with the same windows.

Usage: ``python examples/vibration_tracking.py [--quick] [--out fig.png]``
(``--quick``: half the sampling rate, 4 + 4 realizations, 30 iterations).
"""

import argparse
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from skdstft import AdaptiveSpectrogram, FrequencyTracker  # noqa: E402
from skdstft.signals import multi_harmonic  # noqa: E402

F0_RANGE = (20.0, 34.0)
BAND = (12.0, 38.0)  # the fundamental only: the 2nd harmonic starts at 40 Hz


def realizations(seeds, n_samples, fs, hop, noise, fluctuation):
    sig = [multi_harmonic(n_samples=n_samples, fs=fs, n_harmonics=4,
                          profile="fast-run-up-down", f0_range=F0_RANGE,
                          fluctuation=fluctuation, noise_std=noise, hop_length=hop,
                          random_state=s) for s in seeds]
    return np.array([x for x, _ in sig]), np.array([f for _, f in sig])


def summary(lam):
    lam = np.ravel(lam)
    if lam.size == 1:
        return f"{lam[0]:.0f}"
    return f"{lam.min():.0f} / {np.median(lam):.0f} / {lam.max():.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="vibration_tracking.png")
    parser.add_argument("--quick", action="store_true",
                        help="half the sampling rate, fewer realizations and iterations")
    parser.add_argument("--n-train", type=int, default=None, help="default 8 (quick: 4)")
    parser.add_argument("--n-test", type=int, default=None, help="default 12 (quick: 4)")
    parser.add_argument("--reg", type=float, default=0.05,
                        help="smoothness weight of the task-driven time-varying window")
    parser.add_argument("--entropy-reg", type=float, default=0.1,
                        help="smoothness weight of the entropy-driven time-varying window")
    parser.add_argument("--noise", type=float, default=0.1, help="noise standard deviation")
    parser.add_argument("--fluctuation", type=float, default=0.002,
                        help="relative random speed fluctuation")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", category=Warning)
    # 16 s of signal; the frame (n_fft) holds 4 s, so the window-length bounds
    # never bind at the constant optimum (about 1.1 s)
    fs = 512.0 if args.quick else 1024.0
    n_samples, hop, n_fft = int(16 * fs), int(fs / 8), int(4 * fs)
    n_train = args.n_train or (4 if args.quick else 8)
    n_test = args.n_test or (4 if args.quick else 12)
    max_iter = 30 if args.quick else 100
    Xtr, Ytr = realizations(range(n_train), n_samples, fs, hop, args.noise, args.fluctuation)
    Xte, Yte = realizations(range(1000, 1000 + n_test), n_samples, fs, hop, args.noise,
                            args.fluctuation)
    kw = dict(n_fft=n_fft, hop_length=hop, fs=fs, band=BAND, harmonic=1, max_iter=max_iter)

    t0 = time.perf_counter()
    const = FrequencyTracker(**kw).fit(Xtr, Ytr)
    t_const = time.perf_counter() - t0
    t0 = time.perf_counter()
    task = FrequencyTracker(window_mode="time", reg=args.reg, **kw).fit(Xtr, Ytr)
    t_task = time.perf_counter() - t0

    # the paper's route: entropy-optimal constant window on the training
    # signals, then a time-varying window adapted to each test signal
    t0 = time.perf_counter()
    ent = AdaptiveSpectrogram(n_fft=n_fft, hop_length=hop, window_mode="time",
                              reg=args.entropy_reg, max_iter=max_iter,
                              win_length_bounds=(8, n_fft - 2)).fit(Xtr)
    t_ent_c = time.perf_counter() - t0
    t0 = time.perf_counter()
    adapted = [ent.adapt(x) for x in Xte]
    t_ent = (time.perf_counter() - t0) / n_test
    lam_ent = np.array([np.asarray(r.win_lengths)[0] for r in adapted])  # (n_test, T)
    positions = const.positions_
    assert all(np.allclose(r.positions, positions) for r in adapted)

    def track(lam, method="centroid"):
        """Tracks (n_test, T) with constant, shared (T,) or per-signal (n_test, T) lengths."""
        est = FrequencyTracker(method=method, **kw).fit(Xtr[:1], Ytr[:1])  # grid only
        if np.ndim(lam) < 2:
            est.win_length_ = lam
            return est.predict(Xte)
        out = []
        for x, row in zip(Xte, lam):
            est.win_length_ = row
            out.append(est.predict(x[None, :])[0])
        return np.array(out)

    windows = [
        ("task-driven constant", const.win_length_, t_const),
        ("entropy-driven constant", ent.win_length_, t_ent_c),
        ("entropy-driven time-varying", lam_ent, t_ent),
        ("task-driven time-varying", task.win_length_, t_task),
    ]
    tracks = {name: track(lam) for name, lam, _ in windows}
    mse = {name: float(np.mean((f - Yte) ** 2)) for name, f in tracks.items()}
    ridge = {name: float(np.mean((track(lam, "ridge") - Yte) ** 2))
             for name, lam, _ in windows}
    ref, ref_ridge = mse["task-driven constant"], ridge["task-driven constant"]
    # frames away from the ends (zero-padded frames are hard for every window)
    t = positions / fs
    inner = (t >= 2.0) & (t <= t[-1] - 2.0)
    mse_in = {name: float(np.mean((f - Yte)[:, inner] ** 2)) for name, f in tracks.items()}
    ref_in = mse_in["task-driven constant"]

    print(f"fundamental {F0_RANGE[0]:g}-{F0_RANGE[1]:g} Hz, band {BAND} Hz, "
          f"{n_samples} samples at {fs:g} Hz, hop {hop}, n_fft {n_fft}, noise {args.noise:g}; "
          f"{n_train} training / {n_test} held-out realizations")
    print(f"{'window':<29}{'length min/median/max':>22}{'MSE (Hz^2)':>11}"
          f"{'/ const':>8}{'MSE 2-14 s':>11}{'/ const':>8}{'ridge MSE':>10}{'/ const':>8}"
          f"{'fit (s)':>8}")
    for name, lam, sec in windows:
        print(f"{name:<29}{summary(lam):>22}{mse[name]:>11.4f}{mse[name] / ref:>8.3f}"
              f"{mse_in[name]:>11.4f}{mse_in[name] / ref_in:>8.3f}"
              f"{ridge[name]:>10.4f}{ridge[name] / ref_ridge:>8.3f}{sec:>8.1f}")
    print("held-out MSE of the centroid estimate (which the task-driven windows minimize), "
          "over all frames and over the frames 2 s away from the ends; ridge: "
          "method='ridge' with the same windows (all frames); lengths in samples; the "
          "entropy-driven time-varying window is adapted to each test signal (fit time "
          "per signal)")
    ratio = mse["task-driven time-varying"] / ref
    ratio_ent = mse["entropy-driven time-varying"] / ref
    print(f"task-driven time-varying / constant = {ratio:.3f} "
          f"({'meets' if ratio <= 0.7 else 'misses'} the <= 0.7 target); "
          f"entropy-driven time-varying / constant = {ratio_ent:.3f}")

    plot(args.out, Xte, Yte, t, fs, n_fft, task, const.win_length_,
         lam_ent, tracks, mse)
    print(f"figure written to {args.out}")
    return ratio


def plot(out, Xte, Yte, t, fs, n_fft, task, lam_const, lam_ent, tracks, mse):
    colors = {"task-driven constant": "C0", "entropy-driven time-varying": "C1",
              "task-driven time-varying": "C3"}
    labels = {"task-driven constant": "constant (task)",
              "entropy-driven time-varying": "time-varying (entropy)",
              "task-driven time-varying": "time-varying (task)"}
    duration = t[-1]
    ramps = [(0.3 * duration, 0.35 * duration), (0.65 * duration, 0.7 * duration)]
    fig, axes = plt.subplots(4, 1, figsize=(9, 12), sharex=True,
                             gridspec_kw=dict(height_ratios=[1.2, 1, 1, 1]))

    ax = axes[0]
    S = np.abs(task.spectrogram(Xte[:1])[0]) ** 2
    freqs = np.arange(S.shape[0]) * fs / n_fft
    keep = freqs <= 45.0
    db = 10 * np.log10(S[keep] / S[keep].max() + 1e-10)
    ax.pcolormesh(t, freqs[keep], db, shading="nearest", vmin=-50, vmax=0, cmap="magma")
    ax.plot(t, Yte[0], "w--", lw=1.2, label="true $f_0$")
    ax.plot(t, tracks["task-driven time-varying"][0], color="cyan", lw=1,
            label="tracked (task, time-varying)")
    ax.axhspan(*task.band, color="w", alpha=0.08)
    ax.set(ylabel="frequency (Hz)",
           title="held-out signal 1: spectrogram with the task-driven time-varying window")
    ax.legend(fontsize=8, loc="upper right")

    ax = axes[1]
    ax.plot(t, Yte[0], "k", lw=2.5, label="true $f_0$")
    for name, c in colors.items():
        ax.plot(t, tracks[name][0], color=c, lw=1, label=labels[name])
    ax.set(ylabel="frequency (Hz)", title="tracked fundamental, held-out signal 1")
    ax.legend(fontsize=8, loc="upper right")

    ax = axes[2]
    for name, c in colors.items():
        err = np.mean((tracks[name] - Yte) ** 2, axis=0)
        ax.semilogy(t, err, color=c, lw=1.2, label=f"{labels[name]}: MSE {mse[name]:.3f}")
    ax.set(ylabel="squared error (Hz$^2$)",
           title=f"squared error per frame, mean over {len(Yte)} held-out signals")
    ax.legend(fontsize=8, loc="upper center", framealpha=0.9)

    ax = axes[3]
    ax.axhline(lam_const / fs, color="C0", lw=1.5, label=labels["task-driven constant"])
    ax.plot(t, np.median(lam_ent, axis=0) / fs, color="C1", lw=1.2,
            label="time-varying (entropy), median over test signals")
    ax.plot(t, task.win_length_ / fs, color="C3", lw=1.5, label=labels["task-driven time-varying"])
    ax.set(xlabel="time (s)", ylabel="window length (s)", ylim=(0, n_fft / fs),
           title="window length (the frame holds n_fft = %.0f s)" % (n_fft / fs))
    ax.legend(fontsize=8, loc="upper right")
    for ax in axes[1:]:
        for a, b in ramps:  # the ramps of the speed profile
            ax.axvspan(a, b, color="0.9", lw=0, zorder=0)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
