"""The two commands: ``optimize`` (one signal) and ``features`` (a folder)."""

import sys
import time
from pathlib import Path

import numpy as np

from ._inputs import _check_length, _check_output, _load_folder, _optimize_input, _plot_path
from ._messages import UsageError, _reported_warnings, _warn, _warn_hop_gap
from ._report import (
    OptimizeOutcome,
    _full_lengths,
    _mode_shaped,
    _summary,
    json_report,
    plot_outcome,
    print_summary,
)


def _hop(args):
    return args.hop if args.hop is not None else args.n_fft // 4


def _shared_params(args):
    """The estimator parameters of the flags both commands take (``_add_shared``
    and the iteration and seed flags), the bounds checked in the CLI's words."""
    bounds = args.win_length_bounds
    if bounds is not None and not 0 < bounds[0] < bounds[1] <= args.n_fft - 2:
        raise UsageError(f"--win-length-bounds must satisfy 0 < LO < HI <= n_fft - 2 = "
                         f"{args.n_fft - 2}, got {bounds[0]:g} {bounds[1]:g}")
    return dict(n_fft=args.n_fft, hop_length=_hop(args), criterion=args.criterion,
                win_length_bounds=None if bounds is None else tuple(bounds),
                max_iter=args.max_iter, random_state=args.seed)


def _optimize_estimator(args):
    """One algorithm per mode: ``DSTFTTransformer`` learns a constant window,
    ``AdaptiveSpectrogram`` a varying one (its constant fit, then ``adapt``),
    whether or not ``--reg`` is given. Returns the estimator, with the
    initial window length set, and its resolved settings."""
    from ..estimators._base import resolve_settings

    n_fft = args.n_fft
    varying = args.mode != "constant"
    if args.reg is not None and not varying:
        raise UsageError("--reg (the smoothness of a varying window) needs --mode time, "
                         "frequency or time-frequency")
    if varying and args.hop_mode == "constant":
        raise UsageError(f"--hop-mode constant needs --mode constant; with --mode {args.mode} "
                         "use --hop-mode fixed or time")
    common = dict(_shared_params(args), scope=args.scope, n_restarts=args.n_restarts)
    if varying:
        from ..estimators.adaptive import AdaptiveSpectrogram

        # no reg here unless given: the estimator's default applies
        est = AdaptiveSpectrogram(window_mode=args.mode, hop_mode=args.hop_mode, **common,
                                  **({} if args.reg is None else {"reg": args.reg}))
    else:
        from ..estimators.transformer import DSTFTTransformer

        est = DSTFTTransformer(window_mode="constant", hop_mode=args.hop_mode, **common)
    lo, hi = resolve_settings(est).win_length_bounds
    # a short start (n_fft / 8) shows what learning buys; kept inside the bounds
    init = float(np.clip(n_fft // 8, lo, hi)) if args.win_length is None else args.win_length
    if not lo <= init <= hi:
        raise UsageError(f"--win-length {init:g} must lie in the window-length bounds "
                         f"[{lo:g}, {hi:g}] (--win-length-bounds; by default "
                         f"[min(8, (n_fft - 2) / 2), n_fft - 2])")
    est.set_params(win_length=init)
    return est, resolve_settings(est)


def run_optimize(args):
    from .. import signals

    if args.signal is not None and args.example is not None:
        raise UsageError(f"give a SIGNAL file or --example, not both (got {args.signal} and "
                         f"--example {args.example})")
    if args.signal is None and args.example == "list":
        for name, description in signals.list_examples().items():
            print(f"{name:22s} {description}")
        return 0
    # outputs first: a typo in a folder name must not cost a fit
    json_to_stdout = args.json == "-"
    if args.json and not json_to_stdout:
        _check_output(args.json, "--json")
    plot = _plot_path(args.plot) if args.plot else None
    out = sys.stderr if json_to_stdout else sys.stdout  # stdout carries only the JSON

    x, fs, source = _optimize_input(args)
    est, settings = _optimize_estimator(args)
    rate = f" at fs = {fs:g} Hz" if fs else " (no sampling rate: units are samples)"
    # before the fit: its warnings (stderr) then follow the line that says what runs
    print(f"skdstft optimize: {source}, {x.size} samples{rate}", file=out, flush=True)
    outcome, res = _optimize(args, est, settings, x, fs, source)
    print_summary(outcome, out)
    if args.json:
        text = json_report(outcome, args.max_iter, args.n_restarts)
        if json_to_stdout:
            print(text)
        else:
            Path(args.json).write_text(text)
            print(f"  wrote {args.json}", file=out)
    if plot is not None:
        landscape = None
        if not outcome.varying and args.hop_mode == "fixed":
            grid = np.linspace(*settings.win_length_bounds, 80)
            landscape = (grid, est.criterion_curve(x[None, :], grid))
        plot_outcome(plot, outcome, landscape, settings.window,
                     Path(source).name if args.signal else source)
        print(f"  wrote {plot}", file=out)
    return 0


def _optimize(args, est, s, x, fs, source):
    """Fit (and adapt) ``est`` to ``x``; the outcome and the adaptation result."""
    from ..autodiff import dstft
    from ..losses import criterion_loss
    from ..positions import frame_positions

    n_fft, hop, init = s.n_fft, _hop(args), s.win_length
    lo, hi = s.win_length_bounds
    varying = args.mode != "constant"
    caught = []  # every warning, also in the JSON report
    if args.hop_mode == "fixed" and hop > hi:
        _warn("optimize", f"--hop {hop} is longer than the longest window ({hi:g} samples): "
              "samples between frames fall outside every window", caught)
    res = None
    start = time.perf_counter()
    with _reported_warnings("optimize", caught):
        est.fit(x[None, :])
        if varying:
            res = est.adapt(x)
    seconds = time.perf_counter() - start
    n_freqs = n_fft // 2 + 1
    init_pos = frame_positions(x.size, hop)
    S0 = dstft(x, init, init_pos, n_fft=n_fft, window=s.window, normalization=s.normalization)
    # every number below is the same criterion (same scope, whatever the mode)
    crit0 = float(criterion_loss(S0, s.criterion, power=s.power, scope=s.scope))
    fit_curve = list(map(float, est.loss_curve_))
    lam_map = None
    if varying:
        S, positions = res.spectrogram, np.asarray(res.positions, dtype=float)
        lam_map = _full_lengths(res.win_lengths, args.mode, n_freqs, positions.size)
        lam = _mode_shaped(lam_map, args.mode)
        const = {"win_length": float(est.win_length_), "criterion": float(res.initial_criterion)}
        crit1 = float(res.criterion)
        adapt_curve = list(map(float, res.loss_curve))
        if np.isfinite(res.loss) and res.loss < min(adapt_curve, default=np.inf):
            # Adam evaluates its last step's point but leaves it out of the
            # curve: the figure must end at the point it reports
            adapt_curve.append(float(res.loss))
        curve = fit_curve + adapt_curve
    else:
        positions = np.asarray(est.positions_, dtype=float)
        lam = float(est.win_length_)
        S = dstft(x, lam, positions, n_fft=n_fft, window=s.window, normalization=s.normalization)
        const = None
        crit1 = float(criterion_loss(S, s.criterion, power=s.power, scope=s.scope))
        curve = fit_curve
    n_iter = int(est.n_iter_) + (int(res.n_iter) if varying else 0)
    if args.hop_mode == "fixed" and args.mode in ("constant", "time") and hop <= hi:
        _warn_hop_gap("optimize", lam, hop, caught)  # (hop > hi was said before the fit)
    reg = est.get_params().get("reg") if varying else None
    reg_used = float(res.reg) if varying else None  # the value "auto" chose for this signal
    penalties = ([] if args.hop_mode == "fixed" else ["coverage"]) + \
        (["smoothness"] if varying and (reg if reg_used is None else reg_used) != 0 else [])
    outcome = OptimizeOutcome(
        source=source, x=x, fs=fs, mode=args.mode, hop_mode=args.hop_mode, n_fft=n_fft, hop=hop,
        criterion=args.criterion, scope=args.scope, bounds=(lo, hi),
        normalization=s.normalization, power=s.power, init=init, init_pos=init_pos, S0=S0,
        crit0=crit0, S=S, positions=positions, lam=lam, lam_map=lam_map, const=const,
        crit1=crit1, curve=curve, n_fit=len(fit_curve), n_iter=n_iter, seconds=seconds,
        reg=reg, reg_given=args.reg is not None, reg_used=reg_used, penalties=penalties,
        fraction_at_bounds=res.fraction_at_bounds() if varying else None, warnings=caught)
    return outcome, res


def run_features(args):
    import importlib.util

    import pandas as pd

    from ..estimators.transformer import DSTFTTransformer
    from ..positions import n_frames_for_hop

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder}")
    if args.fit_on is not None and not Path(args.fit_on).is_dir():
        raise UsageError(f"--fit-on {args.fit_on}: not a folder")
    out = _check_output(args.out, "--out")
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, got {out.name!r}")
    if out.suffix.lower() == ".parquet" and not any(
            importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
        raise UsageError("writing parquet needs pyarrow: pip install pyarrow, or use a .csv "
                         "output")
    n_freqs = args.n_fft // 2 + 1
    if args.n_bands is not None and args.n_bands > n_freqs:
        raise UsageError(f"--n-bands {args.n_bands} exceeds the {n_freqs} frequency bins of "
                         f"--n-fft {args.n_fft} (n_fft // 2 + 1)")
    data = _load_folder(folder, args.length, args.channel, args.skip_errors)
    fit_data = data if args.fit_on is None else _load_folder(
        Path(args.fit_on), data.X.shape[1], args.channel, args.skip_errors)
    if fit_data.fs != data.fs:
        raise UsageError(f"--fit-on {args.fit_on} is sampled at {fit_data.fs} Hz but {folder} "
                         f"at {data.fs} Hz: a window length in samples would not mean the same")
    _check_length(data.X.shape[1], args.n_fft, "the signals have",
                  "a longer --length" if args.length else "pass a longer --length")
    hop = _hop(args)
    n_frames = n_frames_for_hop(data.X.shape[1], hop)
    if args.layout != "stats" and args.n_segments is not None and args.n_segments > n_frames:
        raise UsageError(f"--n-segments {args.n_segments} exceeds the {n_frames} frame(s) of "
                         f"{data.X.shape[1]} samples at --hop {hop}")
    # the defaults fit the grid; a value the user chose must fit it (checked above)
    n_bands = min(32, n_freqs) if args.n_bands is None else args.n_bands
    n_segments = min(16, n_frames) if args.n_segments is None else args.n_segments
    est = DSTFTTransformer(**_shared_params(args), window_mode=args.mode, layout=args.layout,
                           n_bands=n_bands, n_segments=n_segments, n_jobs=args.n_jobs)
    print(f"skdstft features: fitting the window on {fit_data.X.shape[0]} signals "
          f"of {fit_data.X.shape[1]} samples", file=sys.stderr)
    n = data.X.shape[0]
    chunks = []
    step = max(1, args.chunk_size)
    said = []
    with _reported_warnings("features", said):
        est.fit(fit_data.X)
        for i in range(0, n, step):
            chunks.append(est.transform(data.X[i:i + step]))
            if n > step:
                print(f"\r  transform {min(i + step, n)}/{n} files", end="", file=sys.stderr)
        if n > step:
            print(file=sys.stderr)
    table = pd.DataFrame(np.vstack(chunks), columns=est.get_feature_names_out())
    table.insert(0, "file", [Path(f).name for f in data.filenames])
    if out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    win = np.asarray(est.win_length_, dtype=float)
    if args.mode == "constant":
        _warn_hop_gap("features", win, hop, said)
    print(f"wrote {out}: {n} rows x {table.shape[1] - 1} features "
          f"(window length {_summary(win)} samples)", file=sys.stderr)
    return 0
