"""Window length learned for frequency tracking on a dataset (paper Sec. VII-A, Fig. 7)
=====================================================================================

Noisy sines with smoothly varying frequency (``signals.variable_period_sines``).
A :class:`skdstft.FrequencyTracker` learns the window length minimizing the
mean squared error of the centroid frequency estimate (paper Eq. 33-34) by
gradient descent; the script compares it with an exhaustive grid, prints a
table and draws the task loss against the window length (learned optimum
marked), the tracked vs true frequency of one test signal, and its
spectrogram.

Usage: ``python examples/frequency_tracking_dataset.py [--quick] [--out fig.png]``.
"""

import argparse
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from skdstft import FrequencyTracker  # noqa: E402
from skdstft.signals import variable_period_sines  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="frequency_tracking_dataset.png")
    parser.add_argument("--quick", action="store_true", help="fewer signals, coarser grid")
    parser.add_argument("--n-fft", type=int, default=512)
    parser.add_argument("--hop", type=int, default=128)
    parser.add_argument("--init", type=float, default=64.0, help="initial window length")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", category=Warning)  # ConvergenceWarning of the 1-step refit
    n_train, n_test, step = (16, 8, 8) if args.quick else (64, 32, 2)
    X, Y = variable_period_sines(n_signals=n_train + n_test, n_samples=4096, n_fft=args.n_fft,
                                 hop_length=args.hop, random_state=0)
    Xtr, Ytr, Xte, Yte = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]

    t0 = time.perf_counter()
    tracker = FrequencyTracker(n_fft=args.n_fft, hop_length=args.hop, win_length=args.init)
    tracker.fit(Xtr, Ytr)
    fit_s = time.perf_counter() - t0
    grid = np.arange(16, args.n_fft - 1, step, dtype=float)
    t0 = time.perf_counter()
    train_curve = tracker.criterion_curve(Xtr, Ytr, grid)
    test_curve = tracker.criterion_curve(Xte, Yte, grid)
    grid_s = time.perf_counter() - t0
    mse_test = float(np.mean((tracker.predict(Xte) - Yte) ** 2))
    ridge = FrequencyTracker(n_fft=args.n_fft, hop_length=args.hop, method="ridge")
    ridge.set_params(win_length=tracker.win_length_, max_iter=1)
    ridge.fit(Xtr, Ytr)
    mse_ridge = float(np.mean((ridge.predict(Xte) - Yte) ** 2))
    best = int(np.argmin(train_curve))

    rows = [
        ("learned window (samples)", f"{tracker.win_length_:.1f}"),
        ("grid argmin of training loss", f"{grid[best]:.0f}"),
        ("relative gap", f"{abs(tracker.win_length_ - grid[best]) / grid[best]:.2%}"),
        ("L-BFGS-B iterations / seconds", f"{tracker.n_iter_} / {fit_s:.2f}"),
        (f"grid evaluations / seconds ({len(grid)} x 2 sets)", f"{2 * len(grid)} / {grid_s:.2f}"),
        ("test MSE, learned window (centroid)", f"{mse_test:.3e}"),
        ("test MSE, best grid window (centroid)", f"{test_curve.min():.3e}"),
        ("ratio learned / best grid", f"{mse_test / test_curve.min():.3f}"),
        ("test MSE, learned window (ridge)", f"{mse_ridge:.3e}"),
        ("test R^2 (centroid)", f"{tracker.score(Xte, Yte):.4f}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")

    S = np.abs(tracker.spectrogram(Xte[:1])[0]) ** 2
    fig, axes = plt.subplots(3, 1, figsize=(8, 10))
    axes[0].plot(grid, train_curve, label="train")
    axes[0].plot(grid, test_curve, label="test")
    axes[0].axvline(tracker.win_length_, color="k", ls="--",
                    label=f"learned {tracker.win_length_:.0f}")
    axes[0].set(xlabel="window length (samples)", ylabel="MSE (cycles/sample)$^2$",
                title="task loss vs window length")
    axes[0].legend()
    t = tracker.positions_
    axes[1].plot(t, Yte[0], "k", label="true")
    axes[1].plot(t, tracker.predict(Xte[:1])[0], "C1--", label="centroid")
    axes[1].plot(t, ridge.predict(Xte[:1])[0], "C2:", label="ridge")
    axes[1].set(xlabel="time (samples)", ylabel="frequency (cycles/sample)",
                title="tracked frequency, one test signal")
    axes[1].legend()
    freqs = np.arange(S.shape[0]) / args.n_fft
    axes[2].pcolormesh(t, freqs, 10 * np.log10(S + 1e-12 * S.max()), shading="nearest")
    axes[2].plot(t, Yte[0], "w--", lw=1)
    axes[2].set(xlabel="time (samples)", ylabel="frequency (cycles/sample)",
                title=f"spectrogram, learned window {tracker.win_length_:.0f} samples")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
