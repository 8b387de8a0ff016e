"""Run every benchmark and print one table: ``python -m benchmarks``.

Each ``bench_*.py`` module exposes ``run()`` returning rows
``{name, value, unit, target, ok}``, and runs here in a fresh interpreter of
its own (as it would alone); targets are ratios against a baseline
measured in the same run (this machine is shared and noisy, so absolute
times are only informational). This entry point also measures scaling
curves of the forward transform and of a value-and-gradient (time against
the signal length, the FFT size and the number of signals), printed as a
table and optionally plotted (``--plot scaling.png``).

Options: ``--only core,fit`` to run some suites (``--only groups``: the
FSDD experiment with groups, ``bench_groups.py``, never run by default), ``--skip
scale`` to leave some out, ``--markdown`` to print the table for the
README, ``--json F`` to save every row.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

SUITES = ("core", "fit", "adaptive", "scale", "inverse")
# run only when named in --only: they need the FSDD data and take about an hour
OPTIONAL_SUITES = ("groups",)


def _median_time(func, repeats=7, warmup=1):
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def scaling_rows():
    """Time of the forward DSTFT and of the entropy's value-and-gradient
    (constant window) against N, n_fft and the number of signals."""
    import autograd

    from skdstft import dstft, frame_positions
    from skdstft.losses import shannon_entropy

    rng = np.random.default_rng(0)
    rows = []

    def measure(label, n_signals, n_samples, n_fft):
        hop = n_fft // 4
        x = rng.standard_normal((n_signals, n_samples))
        pos = frame_positions(n_samples, hop)
        lam = 0.6 * (n_fft - 2)
        fwd = _median_time(lambda: dstft(x, lam, pos, n_fft=n_fft))
        vg = autograd.value_and_grad(
            lambda w: shannon_entropy(dstft(x, w, pos, n_fft=n_fft)).sum())
        grad = _median_time(lambda: vg(lam))
        rows.append({"curve": label, "n_signals": n_signals, "n_samples": n_samples,
                     "n_fft": n_fft, "forward_ms": 1e3 * fwd, "value_and_grad_ms": 1e3 * grad,
                     "grad_over_forward": grad / fwd})

    for n in (4_000, 16_000, 64_000, 256_000):
        measure("N", 1, n, 512)
    for k in (128, 256, 512, 1024, 2048):
        measure("n_fft", 1, 64_000, k)
    for b in (1, 8, 32, 128):
        measure("signals", b, 8_000, 256)
    return rows


def _format_value(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "NO"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _print_grid(header, lines, markdown=False, rule=False):
    """Print rows of strings as a Markdown table or as aligned columns."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    if rule:
        print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


def print_table(rows, markdown=False):
    header = ["suite", "measure", "value", "unit", "target", "met"]
    lines = [[r["suite"], r["name"], _format_value(r["value"]), r.get("unit", ""),
              _format_value(r.get("target")), _format_value(r.get("ok"))] for r in rows]
    _print_grid(header, lines, markdown, rule=True)


def print_scaling(rows, markdown=False):
    cols = ["curve", "n_signals", "n_samples", "n_fft", "forward_ms", "value_and_grad_ms",
            "grad_over_forward"]
    lines = [[_format_value(r[c]) if c != "curve" else r[c] for c in cols] for r in rows]
    _print_grid(cols, lines, markdown)


def plot_scaling(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for ax, (curve, key, label) in zip(axes, [("N", "n_samples", "signal length N"),
                                              ("n_fft", "n_fft", "n_fft"),
                                              ("signals", "n_signals", "number of signals")]):
        sub = [r for r in rows if r["curve"] == curve]
        xs = [r[key] for r in sub]
        ax.loglog(xs, [r["forward_ms"] for r in sub], "o-", label="forward")
        ax.loglog(xs, [r["value_and_grad_ms"] for r in sub], "s-", label="value and gradient")
        ax.set_xlabel(label)
        ax.set_ylabel("time (ms)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle("skdstft scaling (constant window, entropy loss)")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _in_fresh_interpreter(expression):
    """The JSON value of a Python ``expression`` (over the benchmarks
    package) computed in a fresh interpreter.

    Each suite, and the scaling curves, get a process of their own, so that
    none inherits another's state: the allocator's (this machine's page
    faults make a timing depend on what was freed before), BLAS and joblib
    worker pools, warm caches. Run alone or here, a suite then measures the
    same thing."""
    code = ("import json, sys; import benchmarks.__main__; "
            f"value = {expression}; "
            "sys.stdout.write('\\n' + json.dumps(value, default=float))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else
                           f"exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_suite(suite):
    """Rows of ``benchmarks/bench_<suite>.py``, run in a fresh interpreter."""
    return _in_fresh_interpreter(f"__import__('benchmarks.bench_{suite}').bench_{suite}.run()")


def machine_description():
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(sorted({f"{i.get('internal_api')} ({i.get('num_threads')} threads)"
                                 for i in threadpool_info()}))
    except Exception:  # noqa: BLE001 - informational only
        blas = "unknown"
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}, BLAS: {blas}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated suites among {SUITES + OPTIONAL_SUITES}")
    parser.add_argument("--skip", default="", help="comma-separated suites to leave out")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling curves")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", help="write every row to this file")
    parser.add_argument("--plot", help="plot the scaling curves to this PNG")
    args = parser.parse_args(argv)
    suites = args.only.split(",") if args.only else list(SUITES)
    skip = set(filter(None, args.skip.split(",")))
    unknown = (set(suites) | skip) - set(SUITES + OPTIONAL_SUITES)
    if unknown:
        parser.error(f"unknown suites {sorted(unknown)}; choose among {SUITES + OPTIONAL_SUITES}")
    print(f"machine: {machine_description()}")
    rows = []
    start = time.perf_counter()
    for suite in suites:
        if suite in skip:
            continue
        t0 = time.perf_counter()
        print(f"[{suite}] running ...", file=sys.stderr, flush=True)
        try:
            suite_rows = run_suite(suite)
        except RuntimeError as exc:
            print(f"[{suite}] failed: {exc}", file=sys.stderr)
            continue
        rows.extend({"suite": suite, **row} for row in suite_rows)
        print(f"[{suite}] {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    print()
    print_table(rows, markdown=args.markdown)
    scaling = []
    if not args.no_scaling:
        print("\nscaling (median times):")
        scaling = _in_fresh_interpreter("benchmarks.__main__.scaling_rows()")
        print_scaling(scaling, markdown=args.markdown)
        if args.plot:
            plot_scaling(scaling, args.plot)
            print(f"wrote {args.plot}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine_description(), "rows": rows, "scaling": scaling}, fh,
                      indent=1, default=float)
    missed = [r["name"] for r in rows if r.get("ok") is False]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
