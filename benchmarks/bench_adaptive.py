"""Benchmark: time and peak memory of one time-frequency adaptation.

Run ``python benchmarks/bench_adaptive.py``; ``run()`` returns rows
``{name, value, unit, target, ok}`` for an aggregator.

One :meth:`AdaptiveSpectrogram.adapt` of a time-frequency-varying window
(``F x T`` = 257 x 126 free lengths) on a 16000-sample signal (the
three-component test signal of the paper, stretched), ``n_fft=512``, hop
128, exactly 100 Adam iterations (``tol=0`` so that it never stops early).
Targets: at most 6 s (25-31 s before the compiled kernels)
and at most 300 MB of peak resident memory above the
baseline after the imports. Each measurement runs in a fresh Python
subprocess so that neither the import cost nor memory held by an earlier
run counts: the child resets the peak after importing and reads it after the
constant fit and the adaptation (the fit, a cheap FFT-backend problem, is
included in the peak but not in the time); see ``benchmarks/_memory.py``.
"""

import json
import subprocess
import sys
import textwrap

N_SAMPLES, N_FFT, HOP, N_ITER = 16000, 512, 128, 100
TARGET_SECONDS, TARGET_MB = 6.0, 300.0

_CHILD = textwrap.dedent(f"""
    import json, sys, time, warnings
    import numpy as np
    sys.path.insert(0, {repr(str(__import__("pathlib").Path(__file__).resolve().parents[1]))})
    from benchmarks._memory import peak_rss, rss_before_work
    from skdstft import AdaptiveSpectrogram
    from skdstft.signals import three_component

    base = rss_before_work() / 2**20  # after the imports, peak reset
    x = three_component({N_SAMPLES})
    est = AdaptiveSpectrogram(n_fft={N_FFT}, hop_length={HOP}, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(x[None, :])
    # the measured adaptation: exactly {N_ITER} Adam iterations
    est.set_params(max_iter={N_ITER}, tol=0.0, optimizer="adam")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = est.adapt(x)
    seconds = time.perf_counter() - start
    peak = peak_rss() / 2**20
    print(json.dumps(dict(seconds=seconds, base_mb=base, peak_mb=peak,
                          n_iter=result.n_iter, shape=list(result.win_lengths.shape),
                          reduction=1 - result.criterion / result.initial_criterion)))
""")


def measure():
    """Run the adaptation in a fresh interpreter; return its JSON report."""
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run():
    """Rows ``{name, value, unit, target, ok}``."""
    m = measure()
    extra = m["peak_mb"] - m["base_mb"]
    return [
        dict(name=f"adapt time-frequency {m['shape'][0]}x{m['shape'][1]}, N={N_SAMPLES}, "
                  f"{m['n_iter']} iterations: time", value=round(m["seconds"], 2),
             unit="s", target=f"<= {TARGET_SECONDS:g}", ok=m["seconds"] <= TARGET_SECONDS),
        dict(name="adapt time-frequency: peak RSS above import baseline",
             value=round(extra, 1), unit="MB", target=f"<= {TARGET_MB:g}",
             ok=extra <= TARGET_MB),
        dict(name="adapt time-frequency: entropy reduction vs constant window",
             value=round(100 * m["reduction"], 2), unit="%", target="> 0",
             ok=m["reduction"] > 0),
    ]


def main():
    rows = run()
    for r in rows:
        flag = "ok" if r["ok"] else "MISSED"
        print(f"{r['name']}: {r['value']} {r['unit']} (target {r['target']}) {flag}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
