"""Spoken digits (FSDD) with a learned STFT window (paper Sec. VII-B).

Compares fixed window lengths with a window learned jointly with the
classifier, started from a poor 10-sample window:

* ``DSTFTClassifier`` (softmax head on log pooled power, 32 bands x 16
  segments), fixed windows vs learned window;
* ``DSTFTClassifier`` with a small MLP head at the learned window;
* ``Pipeline(DSTFTTransformer(criterion="supervised"), StandardScaler,
  LogisticRegression)`` when the transformer supports it.

Two protocols: the paper's random 80/10/10 split (5 seeds; the 10 %
validation part is used for early stopping inside the model) and a
speaker-held-out split (train on 5 speakers, test on the 6th; mean of 6).

Data: ``--path``, else the environment variable ``SKDSTFT_FSDD``, else
``../shared/data/fsdd/recordings`` next to the repository. Recordings are
padded/cropped to 8000 samples (1 s at 8 kHz).

Usage: ``python examples/fsdd_classification.py [--quick] [--out fig.png]``.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import LeaveOneGroupOut, train_test_split  # noqa: E402

from skdstft import DSTFTClassifier  # noqa: E402
from skdstft.datasets import load_fsdd  # noqa: E402


def default_path():
    env = os.environ.get("SKDSTFT_FSDD")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fsdd" / "recordings"


def splits(y, groups, n_seeds, quick):
    out = []
    idx = np.arange(len(y))
    for seed in range(n_seeds):
        train, rest = train_test_split(idx, test_size=0.2, random_state=seed, stratify=y)
        _, test = train_test_split(rest, test_size=0.5, random_state=seed, stratify=y[rest])
        out.append(("random", seed, train, test))  # train = 80 % (+ internal validation)
    for k, (train, test) in enumerate(LeaveOneGroupOut().split(idx, y, groups)):
        if quick and k >= 2:
            break
        out.append(("speaker", str(groups[test][0]), train, test))
    return out


def run_split(protocol, tag, train, test, X, y, args):
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = []
    common = dict(n_fft=args.n_fft, hop_length=args.hop, n_bands=32, n_segments=16,
                  random_state=0, validation_fraction=1 / 9)
    # the 80 % part: 1/9 of it (10 % of all) is the validation set for early stopping
    for L in args.windows:
        t0 = time.perf_counter()
        clf = DSTFTClassifier(window_mode="fixed", win_length=float(L), max_iter=60,
                              learning_rate=0.002, n_iter_no_change=8, **common)
        clf.fit(X[train], y[train])
        rows.append(dict(protocol=protocol, split=tag, model="softmax", window=f"fixed {L}",
                         win_length=float(L), accuracy=clf.score(X[test], y[test]),
                         seconds=time.perf_counter() - t0))
    t0 = time.perf_counter()
    learned = DSTFTClassifier(window_mode="constant", win_length=10.0, max_iter=args.epochs,
                              learning_rate=0.002, win_learning_rate=0.1, n_iter_no_change=8,
                              **common).fit(X[train], y[train])
    lam = learned.win_length_
    rows.append(dict(protocol=protocol, split=tag, model="softmax", window="learned from 10",
                     win_length=lam, accuracy=learned.score(X[test], y[test]),
                     seconds=time.perf_counter() - t0))
    # second stage: the head refitted at the learned (now fixed) window
    t0 = time.perf_counter()
    refit = DSTFTClassifier(window_mode="fixed", win_length=lam, max_iter=60,
                            learning_rate=0.002, n_iter_no_change=8, **common)
    refit.fit(X[train], y[train])
    rows.append(dict(protocol=protocol, split=tag, model="softmax", window="learned, head refit",
                     win_length=lam, accuracy=refit.score(X[test], y[test]),
                     seconds=time.perf_counter() - t0))
    t0 = time.perf_counter()
    mlp = DSTFTClassifier(window_mode="fixed", win_length=lam, hidden_layer_sizes=(256,),
                          max_iter=60, learning_rate=0.002, n_iter_no_change=8, **common)
    mlp.fit(X[train], y[train])
    rows.append(dict(protocol=protocol, split=tag, model="mlp256", window="learned, head refit",
                     win_length=lam, accuracy=mlp.score(X[test], y[test]),
                     seconds=time.perf_counter() - t0))
    if args.pipeline:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from skdstft import DSTFTTransformer

        t0 = time.perf_counter()
        pipe = make_pipeline(
            DSTFTTransformer(n_fft=args.n_fft, hop_length=args.hop, win_length=10.0,
                             criterion="supervised", max_iter=args.epochs, random_state=0),
            StandardScaler(), LogisticRegression(C=0.1, max_iter=300))
        pipe.fit(X[train], y[train])
        rows.append(dict(protocol=protocol, split=tag, model="pipeline LR", window="supervised",
                         win_length=float(np.mean(pipe[0].win_length_)),
                         accuracy=pipe.score(X[test], y[test]),
                         seconds=time.perf_counter() - t0))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=None, help="FSDD recordings folder")
    parser.add_argument("--out", default="fsdd_classification.png", help="figure path")
    parser.add_argument("--csv", default=None, help="also write the per-split results here")
    parser.add_argument("--quick", action="store_true", help="small subset, few epochs")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--n-fft", type=int, default=256)
    parser.add_argument("--hop", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15, help="epochs of joint training")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pipeline", action="store_true",
                        help="add Pipeline(DSTFTTransformer(criterion='supervised'), ...)")
    args = parser.parse_args(argv)
    path = Path(args.path) if args.path else default_path()
    if not path.is_dir():
        raise SystemExit(f"FSDD not found at {path}; pass --path or set SKDSTFT_FSDD")
    data = load_fsdd(path, length=8000)
    X, y, groups = data.X, data.y, np.asarray(data.groups)
    args.windows = [10, 20, 40, 80, 160, args.n_fft - 2]
    if args.quick:
        keep = np.random.default_rng(0).permutation(len(y))[:600]
        X, y, groups = X[keep], y[keep], groups[keep]
        args.seeds, args.epochs, args.windows = 1, 4, [10, 40, 160]
    print(f"{len(y)} recordings, {len(np.unique(groups))} speakers, n_fft={args.n_fft}, "
          f"hop={args.hop}")
    jobs = splits(y, groups, args.seeds, args.quick)
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(run_split)(p, tag, tr, te, X, y, args) for p, tag, tr, te in jobs)
    df = pd.DataFrame([r for rows in results for r in rows])
    if args.csv:
        df.to_csv(args.csv, index=False)
    table = (df.groupby(["protocol", "model", "window"], sort=False)
             .agg(accuracy=("accuracy", "mean"), std=("accuracy", "std"),
                  win_length=("win_length", "mean"), seconds=("seconds", "mean"))
             .reset_index())
    table["accuracy"] *= 100
    table["std"] *= 100
    with pd.option_context("display.width", 120, "display.precision", 2):
        print(table.to_string(index=False))
    print(f"total {time.perf_counter() - start:.0f} s")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, protocol in zip(axes, ["random", "speaker"]):
        sub = table[table.protocol == protocol]
        labels = [f"{m}\n{w}" for m, w in zip(sub.model, sub.window)]
        colors = ["C0" if w.startswith("fixed") else "C3" for w in sub.window]
        ax.bar(range(len(sub)), sub.accuracy, yerr=sub["std"].fillna(0), color=colors)
        ax.set_xticks(range(len(sub)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{protocol} split")
        ax.set_ylim(max(0, sub.accuracy.min() - 10), 100)
    axes[0].set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"figure written to {args.out}")
    return table


if __name__ == "__main__":
    main()
