"""Benchmark: DSTFTTransformer.fit vs a vectorized grid search; joblib restarts.

Run ``python benchmarks/bench_fit.py``; ``run()`` returns rows
``{name, value, unit, target, ok}`` for an aggregator.

1. Fit vs grid search, on the paper's Sec. VI-A signal
   (``skdstft.signals.three_component()``, 4096 samples, ``n_fft=1024``,
   hop 256, Hann, l1, magnitude Shannon entropy, bounds 100..1000):

   * the grid search evaluates the entropy at the 901 integer lengths
     100..1000. It is vectorized, not a Python loop of ``dstft`` calls: the
     frames are gathered once, the windows of a chunk of lengths form a
     ``(chunk, K)`` matrix, and one batched real FFT over ``(chunk, T, K)``
     gives every spectrogram of the chunk (16 lengths per chunk); entropies
     are reduced in numpy. Every work buffer is allocated once and reused
     (``out=``): allocated per chunk, the same grid took 130 ms instead of
     70 ms on this machine, whose page faults cost ~2.5 us per 4 KB, and
     the ratio would have flattered the fit. Forward transforms only, no
     gradients;
   * the fit is ``DSTFTTransformer(n_fft=1024, hop_length=256,
     win_length_bounds=(100, 1000)).fit`` from the default initial length
     ``n_fft / 2``. A second row starts from 100, as the paper does; it
     takes 7 iterations instead of 3 and is informational (no target).

   Target: fit time / grid time <= 0.05, same optimum within 1 sample.
   Each timing is the best of 15 back-to-back runs (warm caches, no import
   cost); timed right after a grid run instead, a fit takes about 30 %
   longer (cold caches).
   A fit costs a few (5-10) loss-and-gradient evaluations of about 0.5 ms
   each (the forward and derivative-window transforms and the entropy)
   and about 1 ms of input checks and set-up, where the batched grid pays
   about 0.08 ms per length.

2. Restart speed-up: ``n_restarts=8`` with ``n_jobs=2`` vs ``n_jobs=1``, on a
   batch of 64 noisy three-component signals (so each restart does real
   work, about 0.2 s; with 8 signals a restart takes ~30 ms and joblib's
   dispatch costs as much as the work). The loky worker pool is started once before timing
   (as in any session that fits more than once); each side is the best of 3
   fits. Target >= 1.6x on 2 cores. The ceiling is below 2: the 8 restarts
   differ in length (0.1-0.3 s), so the last one leaves a worker idle, and
   two processes share the memory bandwidth (each restart takes 5-10 %
   longer than alone).
"""

import time
import warnings

import numpy as np

from skdstft import DSTFTTransformer
from skdstft.positions import frame_positions
from skdstft.signals import three_component
from skdstft.transform import gather_frames
from skdstft.windows import contracted_window, get_window

N_FFT, HOP, LO, HI = 1024, 256, 100, 1000
N_RESTART_SIGNALS = 64  # enough work per restart (~0.2 s) for parallelism to matter


def grid_entropy(x, win_lengths, n_fft=N_FFT, hop=HOP, chunk=16, eps=1e-12):
    """Magnitude Shannon entropy for every window length, batched (see module doc)."""
    positions = frame_positions(len(x), hop)
    frames = gather_frames(np.asarray(x, float)[None], positions, n_fft)
    data, offsets = frames.data[0], frames.offsets.astype(float)  # (T, K), FFT order
    hann = get_window("hann")
    lengths = np.asarray(win_lengths, dtype=float)
    out = np.empty(len(lengths))
    n_frames, n_freqs = data.shape[0], n_fft // 2 + 1
    # work buffers allocated once: fresh memory for every chunk would make
    # the baseline measure page faults rather than arithmetic
    windowed = np.empty((chunk, n_frames, n_fft))
    spec = np.empty((chunk, n_frames, n_freqs), dtype=complex)
    p = np.empty((chunk, n_frames, n_freqs))
    log_q = np.empty((chunk, n_frames, n_freqs))
    for s in range(0, len(lengths), chunk):
        L = lengths[s:s + chunk]
        c = len(L)
        W = contracted_window(hann, L[:, None], offsets[None, :])  # (c, K), l1
        np.multiply(W[:, None, :], data[None], out=windowed[:c])
        np.fft.rfft(windowed[:c], axis=-1, out=spec[:c])
        np.abs(spec[:c], out=p[:c])
        p[:c] /= p[:c].sum(axis=(1, 2), keepdims=True)
        np.add(p[:c], eps, out=log_q[:c])
        np.log(log_q[:c], out=log_q[:c])
        out[s:s + c] = -np.einsum("ctf,ctf->c", p[:c], log_q[:c])
    return out


def _best_time(fn, repeats):
    best, value = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def bench_grid_vs_fit(repeats=15):
    x = three_component()
    lengths = np.arange(LO, HI + 1)

    def fit(init):
        return DSTFTTransformer(n_fft=N_FFT, hop_length=HOP, win_length=init,
                                win_length_bounds=(LO, HI)).fit(x[None])

    # each side warm, repeated back to back: a fit timed right after a grid
    # run finds its caches (and this machine's allocator) cold and takes
    # 30 % longer, while the grid warms itself up within one run
    t_grid, H = _best_time(lambda: grid_entropy(x, lengths), repeats)
    t_default, est_default = _best_time(lambda: fit(None), repeats)
    t_100, est_100 = _best_time(lambda: fit(100.0), repeats)
    L_grid = int(lengths[np.argmin(H)])
    rows = [dict(name="grid_search_901_lengths", value=t_grid * 1e3, unit="ms", target=None,
                 ok=True)]
    for label, t_fit, est in (("default_init", t_default, est_default),
                              ("init_100", t_100, est_100)):
        ratio = t_fit / t_grid
        # the acceptance target is the default fit; the paper's 100-sample
        # start takes twice the iterations and is reported without one
        target = "<= 0.05" if label == "default_init" else None
        rows += [
            dict(name=f"fit_{label}", value=t_fit * 1e3, unit="ms", target=None, ok=True),
            dict(name=f"fit_over_grid_time_{label}", value=ratio, unit="ratio", target=target,
                 ok=bool(ratio <= 0.05) if target else True),
            dict(name=f"optimum_gap_{label}", value=abs(est.win_length_ - L_grid),
                 unit="samples", target="<= 1", ok=bool(abs(est.win_length_ - L_grid) <= 1)),
        ]
        rows[-1]["detail"] = (f"fit {est.win_length_:.2f} ({est.n_iter_} iterations), "
                              f"grid argmin {L_grid}")
    return rows


def bench_restart_speedup(repeats=3):
    from joblib import Parallel, delayed

    X = np.stack([three_component(random_state=s, noise_std=0.1) for s in range(N_RESTART_SIGNALS)])
    Parallel(n_jobs=2)(delayed(abs)(i) for i in range(4))  # start the worker pool

    def fit(n_jobs):
        return DSTFTTransformer(n_fft=N_FFT, hop_length=HOP, n_restarts=8, random_state=0,
                                n_jobs=n_jobs).fit(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(2)  # warm the workers' imports
        t1, a = _best_time(lambda: fit(1), repeats)
        t2, b = _best_time(lambda: fit(2), repeats)
    speedup = t1 / t2
    return [
        dict(name="restarts8_1_worker", value=t1, unit="s", target=None, ok=True),
        dict(name="restarts8_2_workers", value=t2, unit="s", target=None, ok=True),
        dict(name="restarts8_speedup_2_workers", value=speedup, unit="x", target=">= 1.6",
             ok=bool(speedup >= 1.6)),
        dict(name="restarts8_same_result", value=float(a.win_length_ == b.win_length_),
             unit="bool", target="== 1", ok=bool(a.win_length_ == b.win_length_)),
    ]


def run():
    """All rows ``{name, value, unit, target, ok}`` (plus ``detail`` on some)."""
    return bench_grid_vs_fit() + bench_restart_speedup()


def main():
    rows = run()
    for r in rows:
        target = r["target"] or ""
        flag = "" if r["target"] is None else ("ok" if r["ok"] else "MISSED")
        print(f"{r['name']:36s} {r['value']:12.4g} {r['unit']:8s} {target:10s} {flag:6s} "
              f"{r.get('detail', '')}")


if __name__ == "__main__":
    main()
