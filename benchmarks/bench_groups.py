"""A task-driven window learned with ``groups``, on FSDD held out by speaker.

The protocol: the Free Spoken Digit
Dataset (3000 recordings, 6 speakers, cropped or zero-padded to 8000
samples = 1 s at 8 kHz), :class:`~sklearn.model_selection.GroupKFold` with 3
folds over the speakers, so each fold tests on 2 speakers and trains on the
other 4. In every fold the pipeline

    ``Pipeline(DSTFTTransformer(n_fft=1024, hop_length=160, ...),
    StandardScaler(), PCA(64), LogisticRegression())``

is fitted on the training speakers and scored on the test speakers, with
the transformer as

* ``fixed L`` for L in 64, 128, 256, 512: ``window_mode="fixed",
  win_length=L`` (and the mean of these four rows);
* ``learned``: ``criterion="supervised", win_length=200`` (the initial
  length), fitted without groups: the supervised criterion's validation part
  is drawn from the training speakers;
* ``learned with groups``: the same, fitted with
  ``dstfttransformer__groups=`` the training part's speakers, so the window
  is chosen on speakers held out inside the training part.

The target: the mean over the folds of ``learned with groups``
is at least the mean of the fixed windows, and no learned window sits
within 1 % of ``hi - lo`` of a bound of ``win_length_bounds`` (default
``(8, n_fft - 2) = (8, 1022)``, i.e. outside ``[18.1, 1011.9]``).
Printed: the fold table (accuracy %, learned length, ``at_bound_share_``,
the :class:`~skdstft.exceptions.BoundWarning` messages, iterations, seconds)
and the summary rows.

Run ``python benchmarks/bench_groups.py [--quick] [--path FOLDER]
[--n-recordings N] [--max-iter K] [--n-jobs J] [--folds 0,2] [--models
"fixed 64,learned"] [--features logpower] [--csv out.csv]``; ``--summarize
a.csv b.csv`` prints the table of saved runs, ``--curves`` the supervised
criterion's held-out losses at fixed windows (:func:`criterion_curves`).
``--features logpower`` evaluates with the log of the pooled power (the
features the supervised criterion learns the window with) instead of the
issue's pooled log-magnitude. Measured numbers: ``benchmarks/results/``. The data
folder defaults to ``SKDSTFT_FSDD``, else ``/work/shared/data/fsdd/recordings``
(without it the script says so and exits). ``--quick``: 300 recordings and
``max_iter=5``, a smoke run of a few minutes whose accuracies mean nothing.
``python -m benchmarks --only groups`` runs the full protocol (not part of
the default suites: it needs the data and takes about an hour on one core
of the shared machine). Deterministic: ``random_state=0`` everywhere.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from skdstft import DSTFTTransformer
from skdstft.exceptions import BoundWarning

FSDD_DEFAULT = "/work/shared/data/fsdd/recordings"
N_FFT, HOP, WIN0 = 1024, 160, 200.0
FIXED = (64, 128, 256, 512)
N_FOLDS = 3
BOUND_RTOL = 0.01  # "within 1 % of a bound": of hi - lo, as BoundWarning


def fsdd_folder(path=None):
    return Path(path or os.environ.get("SKDSTFT_FSDD") or FSDD_DEFAULT)


def load(path=None, n_recordings=None):
    """``(X, y, speakers)``, optionally a random subset (seed 0) of the recordings."""
    from skdstft.datasets import load_fsdd

    data = load_fsdd(fsdd_folder(path), length=8000)
    X, y, groups = data.X, np.asarray(data.y), np.asarray(data.groups)
    if n_recordings:
        keep = np.sort(np.random.default_rng(0).permutation(len(y))[:n_recordings])
        X, y, groups = X[keep], y[keep], groups[keep]
    return X, y, groups


def _log_power(Z):
    return np.log(Z + 1e-10)


def pipeline(max_iter, features="log", **transformer):
    """The issue's pipeline; ``features="logpower"``: ``feature_kind="power"``
    and a log after the pooling -- the features the supervised criterion
    learns the window with -- instead of the default pooled log-magnitude."""
    steps = [DSTFTTransformer(n_fft=N_FFT, hop_length=HOP, random_state=0, max_iter=max_iter,
                              feature_kind="power" if features == "logpower" else "log",
                              **transformer)]
    if features == "logpower":
        steps.append(FunctionTransformer(_log_power))
    return make_pipeline(*steps, StandardScaler(), PCA(64, random_state=0),
                         LogisticRegression(max_iter=1000))


def run_one(fold, test_speakers, model, X, y, groups, train, test, max_iter, features="log"):
    """One row: fit ``model`` on ``train``, score on ``test``."""
    if model.startswith("fixed"):
        pipe = pipeline(max_iter, features, window_mode="fixed",
                        win_length=float(model.split()[1]))
        params = {}
    else:
        pipe = pipeline(max_iter, features, criterion="supervised", win_length=WIN0)
        params = ({"dstfttransformer__groups": groups[train]} if model == "learned with groups"
                  else {})
    start = time.perf_counter()
    # one BLAS thread: on a loaded machine a 2-thread OpenBLAS spins, and a
    # LogisticRegression fit on 2000 x 64 took 3.7 s instead of 0.13 s (the
    # heads fitted inside the supervised fit too)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1):
        warnings.simplefilter("always")
        pipe.fit(X[train], y[train], **params)
        acc = pipe.score(X[test], y[test])
    seconds = time.perf_counter() - start
    tr = pipe[0]
    lo, hi = tr.win_length_bounds or (min(8.0, (N_FFT - 2) / 2), N_FFT - 2.0)
    lam = float(np.mean(tr.win_length_))
    bound_msgs = [str(w.message) for w in caught if issubclass(w.category, BoundWarning)]
    n_conv = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return dict(fold=fold, test_speakers=test_speakers, model=model, accuracy=100 * acc,
                win_length=lam, distance_to_bound=min(lam - lo, hi - lam) / (hi - lo),
                at_bound_share=float(tr.at_bound_share_), bound_warnings=" | ".join(bound_msgs),
                convergence_warnings=n_conv, n_iter=int(tr.n_iter_), seconds=seconds,
                n_train=len(train), n_test=len(test))


def experiment(path=None, n_recordings=None, max_iter=100, n_jobs=1, folds=None, models=None,
               verbose=True, features="log"):
    """The per-fold rows (dicts); see the module docstring."""
    X, y, groups = load(path, n_recordings)
    models = models or [f"fixed {L}" for L in FIXED] + ["learned", "learned with groups"]
    splits = list(GroupKFold(n_splits=N_FOLDS).split(X, y, groups))
    jobs = [(k, ",".join(sorted(np.unique(groups[te]))), m, tr, te)
            for k, (tr, te) in enumerate(splits) if folds is None or k in folds for m in models]
    if verbose:
        print(f"{len(y)} recordings, {len(np.unique(groups))} speakers, {len(jobs)} fits, "
              f"n_fft={N_FFT}, hop={HOP}, max_iter={max_iter}", flush=True)
    return Parallel(n_jobs=n_jobs, verbose=10 if verbose and n_jobs != 1 else 0)(
        delayed(_logged)(run_one, k, spk, m, X, y, groups, tr, te, max_iter, features,
                         verbose=verbose)
        for k, spk, m, tr, te in jobs)


def _logged(func, *args, verbose=True, **kwargs):
    row = func(*args, **kwargs)
    if verbose:
        print(_line(row), flush=True)
    return row


HEADER = (f"{'fold':>4} {'test speakers':<18} {'window':<20} {'acc %':>6} {'length':>7} "
          f"{'at_bound':>8} {'iter':>4} {'s':>7}  bound warning")


def _line(r):
    return (f"{r['fold']:>4} {r['test_speakers']:<18} {r['model']:<20} {r['accuracy']:6.2f} "
            f"{r['win_length']:7.1f} {r['at_bound_share']:8.2f} {r['n_iter']:4d} "
            f"{r['seconds']:7.1f}  {r['bound_warnings'] or '-'}")


CURVE_WINDOWS = (16, 32, 64, 128, 256, 512, 1022)


def criterion_curves(path=None, n_recordings=None, windows=CURVE_WINDOWS, folds=None,
                     features="logpower"):
    """Why a window runs to a bound: per fold, the supervised criterion's two
    held-out losses at fixed windows, next to the test speakers' loss.

    The features are the supervised criterion's (log of the pooled power,
    32 bands x 16 segments, standardized on the fitting part) and the head
    its own (``LogisticRegression(C=1)``, as ``alpha=1``). Columns: the
    cross-entropy on a stratified 10 % of the training speakers' recordings
    (the validation part without groups), the mean cross-entropy over the
    3 ``GroupKFold`` folds of the training speakers, weighted by their
    held-out recordings (with groups), and the
    cross-entropy and accuracy on the test speakers (head fitted on all the
    training part). The criterion follows whichever held-out loss; the
    window it picks is good when that loss falls where the test loss does.
    ``features="log"``: the same with the pooled log-magnitude (the issue's
    pipeline's features) in place of the criterion's."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    X, y, groups = load(path, n_recordings)
    splits = list(GroupKFold(n_splits=N_FOLDS).split(X, y, groups))
    out = []

    def head_loss(Z, fit, held):
        mean, std = Z[fit].mean(axis=0), np.sqrt(Z[fit].var(axis=0) + 1e-12)
        head = LogisticRegression(C=1.0, max_iter=500).fit((Z[fit] - mean) / std, y[fit])
        Zh = (Z[held] - mean) / std
        return log_loss(y[held], head.predict_proba(Zh), labels=head.classes_), head.score(Zh, y[held])

    parts = []
    for k, (train, test) in enumerate(splits):
        if folds is None or k in folds:
            fit, val = train_test_split(train, test_size=0.1, random_state=0, stratify=y[train])
            inner = [(train[a], train[b]) for a, b in
                     GroupKFold(n_splits=N_FOLDS).split(train, y[train], groups[train])]
            parts.append((k, train, test, fit, val, inner))
    for L in windows:
        with threadpool_limits(1):
            # a fixed window's features do not depend on the fold: computed once
            tr = DSTFTTransformer(n_fft=N_FFT, hop_length=HOP, window_mode="fixed",
                                  win_length=float(L),
                                  feature_kind="power" if features == "logpower" else "log")
            Z = tr.fit_transform(X)
            Z = _log_power(Z) if features == "logpower" else Z
            for k, train, test, fit, val, inner in parts:
                known, _ = head_loss(Z, fit, val)
                # weighted by the held-out signals, as the criterion's average
                held = sum(head_loss(Z, a, b)[0] * len(b) for a, b in inner) / len(train)
                test_ce, test_acc = head_loss(Z, train, test)
                out.append(dict(fold=k, win_length=L, ce_known_speakers=known,
                                ce_held_out_speakers=held, ce_test=test_ce,
                                acc_test=100 * test_acc))
                print(f"{k:>4} {L:>6} {known:14.3f} {held:14.3f} {test_ce:8.3f} "
                      f"{100 * test_acc:8.2f}", flush=True)
    return out


def summary(rows):
    """Rows ``{name, value, unit, target, ok}`` (the aggregator's format)."""
    out = []
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    for model, rs in by_model.items():
        out.append(dict(name=f"{model}: mean accuracy", value=float(np.mean([r["accuracy"] for r in rs])),
                        unit="%", target=None, ok=None))
    fixed = [np.mean([r["accuracy"] for r in by_model[m]]) for m in by_model if m.startswith("fixed")]
    fixed_mean = float(np.mean(fixed)) if fixed else np.nan
    out.append(dict(name="mean of the fixed windows", value=fixed_mean, unit="%", target=None,
                    ok=None))
    for model in ("learned", "learned with groups"):
        if model not in by_model:
            continue
        rs = by_model[model]
        gap = float(np.mean([r["accuracy"] for r in rs])) - fixed_mean
        out.append(dict(name=f"{model} - mean of fixed", value=gap, unit="points",
                        target=">= 0" if model == "learned with groups" else None,
                        ok=bool(gap >= 0) if model == "learned with groups" else None))
        for r in rs:
            out.append(dict(name=f"{model}: length, fold {r['fold']}", value=r["win_length"],
                            unit="samples", target=None, ok=None))
        near = min(r["distance_to_bound"] for r in rs)
        out.append(dict(name=f"{model}: closest distance to a bound", value=100 * near,
                        unit="% of hi-lo", target="> 1" if model == "learned with groups" else None,
                        ok=bool(near > BOUND_RTOL) if model == "learned with groups" else None))
    out.append(dict(name="wall time of the fits", value=float(sum(r["seconds"] for r in rows)),
                    unit="s", target=None, ok=None))
    return out


def run(path=None, quick=False):
    """Summary rows for ``python -m benchmarks --only groups`` (the full protocol unless quick)."""
    if not fsdd_folder(path).is_dir():
        return [dict(name="FSDD not found: skipped", value=np.nan, unit="", target=None, ok=None)]
    rows = experiment(path, n_recordings=300 if quick else None, max_iter=5 if quick else 100,
                      verbose=False)
    return summary(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=None, help="FSDD recordings folder")
    parser.add_argument("--quick", action="store_true",
                        help="300 recordings, max_iter=5: a smoke run")
    parser.add_argument("--n-recordings", type=int, default=None,
                        help="a random subset (seed 0) of the recordings (default all)")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="iterations of the learned windows (default 100: the transformer's)")
    parser.add_argument("--folds", default=None, help="comma-separated fold indices (default all)")
    parser.add_argument("--models", default=None,
                        help="comma-separated among 'fixed 64', ..., 'learned', "
                             "'learned with groups' (default all)")
    parser.add_argument("--n-jobs", type=int, default=1, help="fits run in parallel (joblib)")
    parser.add_argument("--features", choices=("log", "logpower"), default="log",
                        help="the pipeline's features: the issue's pooled log-magnitude "
                             "(default) or the log of the pooled power (the supervised "
                             "criterion's own)")
    parser.add_argument("--csv", default=None, help="write the per-fold rows here")
    parser.add_argument("--curves", action="store_true",
                        help="instead of the table: the supervised criterion's held-out losses "
                             "at fixed windows (known vs held-out speakers) per fold")
    parser.add_argument("--curve-features", choices=("log", "logpower"), default="logpower",
                        help="features of --curves (default: the criterion's, logpower)")
    parser.add_argument("--summarize", nargs="+", default=None, metavar="CSV",
                        help="print the table and summary of CSVs written by --csv (e.g. two "
                             "runs of different --models) instead of running")
    args = parser.parse_args(argv)
    if args.summarize:
        import pandas as pd

        rows = pd.concat([pd.read_csv(f) for f in args.summarize]).fillna("")
        order = {m: i for i, m in enumerate([f"fixed {L}" for L in FIXED]
                                            + ["learned", "learned with groups"])}
        rows = rows.sort_values(["fold", "model"], key=lambda c: c.map(order) if c.name == "model"
                                else c, kind="stable").to_dict("records")
        print(HEADER)
        for r in rows:
            print(_line(r))
        _print_summary(rows)
        return rows
    if not fsdd_folder(args.path).is_dir():
        print(f"FSDD not found at {fsdd_folder(args.path)}: pass --path or set SKDSTFT_FSDD. "
              "Nothing to run.")
        return None
    n_recordings = args.n_recordings or (300 if args.quick else None)
    max_iter = args.max_iter or (5 if args.quick else 100)
    folds = [int(k) for k in args.folds.split(",")] if args.folds else None
    if args.curves:
        print(f"{'fold':>4} {'window':>6} {'CE known spk':>14} {'CE held-out':>14} "
              f"{'CE test':>8} {'acc test':>8}")
        rows = criterion_curves(args.path, n_recordings, folds=folds,
                                features=args.curve_features)
        if args.csv:
            import pandas as pd

            pd.DataFrame(rows).to_csv(args.csv, index=False)
        return rows
    models = args.models.split(",") if args.models else None
    start = time.perf_counter()
    print(HEADER)
    rows = experiment(args.path, n_recordings, max_iter, args.n_jobs, folds, models,
                      features=args.features)
    wall = time.perf_counter() - start
    if args.csv:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.csv, index=False)
    _print_summary(rows)
    print(f"wall time {wall:.0f} s")
    return rows


def _print_summary(rows):
    print()
    for r in summary(rows):
        flag = "" if r["target"] is None else ("met" if r["ok"] else "MISSED")
        print(f"{r['name']:46s} {r['value']:8.2f} {r['unit']:10s} {r['target'] or '':6s} {flag}")


if __name__ == "__main__":
    main()
