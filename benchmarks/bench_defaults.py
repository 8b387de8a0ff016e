"""Do the defaults adapt? ``AdaptiveSpectrogram``'s ``reg="auto"`` against ``reg=0``.

For each window mode (time, frequency, time-frequency) on three signals --
the paper's three-component example (4096 samples, ``n_fft=1024``), an FSDD
recording (``0_george_0.wav``, 8 kHz, ``n_fft=512``; skipped when the
dataset is absent: set ``SKDSTFT_FSDD`` or pass ``--fsdd``) and an FM chirp
(1 s at 8 kHz, 300 -> 1800 Hz with a 1 Hz vibrato of 400 Hz, ``n_fft=512``)
-- one constant fit, then two adaptations of the same signal from the same
start: with the defaults and with ``reg=0``. Printed per row:

* ``gain``: criterion reduction ``initial_criterion - criterion`` (mean
  per-frame entropy, nats), and its ratio default / reg=0 (the target is
  at least about one half);
* ``R``: the smoothness term of the result (unit-free total variation; the
  defaults should keep it well below reg=0's);
* ``at bound``: share of the window lengths within 1 % of ``hi - lo`` of a
  bound (``AdaptationResult.at_bound_share``; above 5 % the estimator
  warns with a ``BoundWarning``);
* the resolved ``reg``, iterations, whether the optimizer converged, seconds.

Run ``python benchmarks/bench_defaults.py [--quick] [--fsdd PATH]``
(``--quick``: shorter signals and ``max_iter=30``, a smoke run). The
default ``max_iter=100`` is the estimator's. Deterministic: no random draw.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from skdstft import AdaptiveSpectrogram
from skdstft.signals import get_example

MODES = ("time", "frequency", "time-frequency")
FSDD_DEFAULT = "/work/shared/data/fsdd/recordings"


def chirp(fs=8000, seconds=1.0):
    """An FM chirp with vibrato plus a little noise (deterministic)."""
    t = np.arange(int(fs * seconds)) / fs
    f = 300 + 1500 * t / seconds + 400 * np.sin(2 * np.pi * t)
    x = np.cos(2 * np.pi * np.cumsum(f) / fs)
    return x + 0.01 * np.random.default_rng(0).standard_normal(x.size)


def signals(fsdd=None, quick=False):
    """``(name, x, n_fft)`` of the benchmark's signals."""
    x = get_example("three-component", **({"n_samples": 1024} if quick else {}))[0]
    yield "three-component", x, 256 if quick else 1024
    folder = fsdd or os.environ.get("SKDSTFT_FSDD") or FSDD_DEFAULT
    if Path(folder, "0_george_0.wav").exists():
        from skdstft.datasets import load_wav_folder

        X = load_wav_folder(folder, pattern="0_george_0.wav").X
        yield "fsdd 0_george_0", X[0], 512
    yield "chirp", chirp(seconds=0.25 if quick else 1.0), 512


def run(fsdd=None, quick=False):
    """Rows (dicts) of the table; see the module docstring."""
    rows = []
    max_iter = 30 if quick else 100
    for name, x, n_fft in signals(fsdd, quick):
        for mode in MODES:
            est = AdaptiveSpectrogram(n_fft=n_fft, window_mode=mode, max_iter=max_iter)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the table reports bounds and convergence
                est.fit(x[None])
                out = {}
                for key, reg in (("default", "auto"), ("reg=0", 0.0)):
                    est.set_params(reg=reg)  # reg is used by adapt only: same start
                    start = time.perf_counter()
                    r = est.adapt(x)
                    out[key] = (r, time.perf_counter() - start)
            (d, sd), (z, sz) = out["default"], out["reg=0"]
            gain_d, gain_z = d.initial_criterion - d.criterion, z.initial_criterion - z.criterion
            rows.append(dict(
                signal=name, mode=mode, n_fft=n_fft, win_length_init=est.win_length_,
                initial=d.initial_criterion, gain_default=gain_d, gain_reg0=gain_z,
                ratio=gain_d / gain_z if gain_z > 0 else np.nan,
                R_default=d.smoothness, R_reg0=z.smoothness,
                at_bound_default=d.at_bound_share, at_bound_reg0=z.at_bound_share,
                reg=d.reg, reg_max=d.reg_max, n_iter=d.n_iter, converged=d.converged,
                seconds_default=sd, seconds_reg0=sz))
            print(_line(rows[-1]), flush=True)
    return rows


HEADER = (f"{'signal':<16} {'mode':<15} {'lam0':>6} {'H0':>7} {'gain dflt':>9} "
          f"{'gain reg0':>9} {'ratio':>6} {'R dflt':>7} {'R reg0':>7} {'bound dflt':>10} "
          f"{'bound reg0':>10} {'reg':>8} {'iter':>5} {'conv':>5} {'s dflt':>7} {'s reg0':>7}")


def _line(r):
    return (f"{r['signal']:<16} {r['mode']:<15} {r['win_length_init']:6.1f} {r['initial']:7.4f} "
            f"{r['gain_default']:9.4f} {r['gain_reg0']:9.4f} {r['ratio']:6.2f} "
            f"{r['R_default']:7.3f} {r['R_reg0']:7.3f} {100 * r['at_bound_default']:9.1f}% "
            f"{100 * r['at_bound_reg0']:9.1f}% {r['reg']:8.3g} {r['n_iter']:5d} "
            f"{str(r['converged']):>5} {r['seconds_default']:7.1f} {r['seconds_reg0']:7.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short signals, max_iter=30")
    parser.add_argument("--fsdd", default=None, help="FSDD recordings folder")
    args = parser.parse_args(argv)
    print(HEADER)
    run(args.fsdd, args.quick)


if __name__ == "__main__":
    main()
