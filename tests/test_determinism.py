"""Determinism: the same random_state gives bit-identical fitted
parameters whatever n_jobs, on a dask cluster, and in another Python process.

test_transformer.py already checks DSTFTTransformer's constant mode for
n_jobs=1/2 and dask in one process. This file extends that to

* other settings and estimators (time-varying window and hop, Adam
  mini-batches, FrequencyTracker, AdaptiveSpectrogram, DSTFTClassifier)
  on n_jobs=1, n_jobs=2 and a 2-worker dask cluster;
* two fresh interpreters (different PYTHONHASHSEED) running the same script:
  every fitted float is printed with ``float.hex`` and the outputs must be
  equal character for character, and equal to this process's results.
"""

import importlib
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The script fits every configuration and prints one line per fitted float
# array, in hex: bit-identity is string equality.
SCRIPT = textwrap.dedent('''
    import sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")

    def signals(n=6, n_samples=384, seed=0):
        rng = np.random.default_rng(seed)
        t = np.arange(n_samples)
        f = 0.05 + 0.02 * np.arange(n)[:, None] + 0.0001 * t
        return np.cos(2 * np.pi * f * t) + 0.3 * rng.standard_normal((n, n_samples))

    def configs():
        from skdstft import (AdaptiveSpectrogram, DSTFTClassifier, DSTFTTransformer,
                             FrequencyTracker)
        X = signals()
        yield "transformer-time", DSTFTTransformer(
            n_fft=64, window_mode="time", hop_mode="constant", n_restarts=3,
            random_state=0, max_iter=12, n_bands=4, n_segments=2), X, None
        yield "transformer-adam", DSTFTTransformer(
            n_fft=64, n_restarts=2, batch_size=3, random_state=1, max_iter=15,
            n_bands=4, n_segments=2), X, None
        Y = np.tile(0.05 + 0.02 * np.arange(6)[:, None], (1, 1 + 384 // 16))
        yield "tracker", FrequencyTracker(
            n_fft=64, hop_length=16, n_restarts=3, random_state=2, max_iter=12), X, Y
        yield "adaptive", AdaptiveSpectrogram(
            n_fft=64, window_mode="time", random_state=0, max_iter=5,
            n_bands=4, n_segments=2), X[:3], None
        yield "classifier", DSTFTClassifier(
            n_fft=64, random_state=0, max_iter=5), X, np.arange(6) % 2

    def fingerprint(name, est, X, y, n_jobs=None):
        if n_jobs is not None and "n_jobs" in est.get_params():
            est.set_params(n_jobs=n_jobs)
        est.fit(X) if y is None else est.fit(X, y)
        out = est.transform(X) if hasattr(est, "transform") else est.predict(X)
        lines = []
        for attr in ("win_length_", "hop_length_", "positions_", "loss_", "loss_curve_"):
            if hasattr(est, attr):
                values = np.ravel(np.asarray(getattr(est, attr), dtype=float))
                lines.append(f"{name}.{attr} " + " ".join(float(v).hex() for v in values))
        if hasattr(est, "restarts_") and "loss" in getattr(est.restarts_, "columns", []):
            values = est.restarts_["loss"].to_numpy(dtype=float)
            lines.append(f"{name}.restarts_loss " + " ".join(float(v).hex() for v in values))
        lines.append(f"{name}.output " + " ".join(
            float(v).hex() for v in np.ravel(np.asarray(out, dtype=float))[:64]))
        return lines

    def run(n_jobs=None):
        lines = []
        for name, est, X, y in configs():
            lines += fingerprint(name, est, X, y, n_jobs)
        return lines

    if __name__ == "__main__":
        print("\\n".join(run(int(sys.argv[1]) if len(sys.argv) > 1 else None)))
''')


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("determinism") / "fit_fingerprint.py"
    path.write_text(SCRIPT)
    return path


def _module(script):
    sys.path.insert(0, str(script.parent))
    try:
        return importlib.import_module(script.stem)
    finally:
        sys.path.pop(0)


def _run_in_fresh_process(script, hashseed, n_jobs=1):
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, str(script), str(n_jobs)], capture_output=True,
                         text=True, env=env, timeout=120, check=True)
    return out.stdout.strip().splitlines()


@pytest.fixture(scope="module")
def reference(script):
    """This process, n_jobs=1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _module(script).run(n_jobs=1)


def test_fingerprint_covers_every_estimator(reference):
    names = {line.split(".")[0] for line in reference}
    assert {"transformer-time", "transformer-adam", "tracker"} <= names
    for module, name in (("adaptive", "adaptive"), ("classifier", "classifier")):
        try:
            importlib.import_module(f"skdstft.estimators.{module}")
        except ImportError:
            continue
        assert name in names


def test_bit_identical_across_processes(script, reference):
    first = _run_in_fresh_process(script, hashseed=0)
    second = _run_in_fresh_process(script, hashseed=12345, n_jobs=2)
    assert first == second
    assert first == reference


def test_bit_identical_with_two_jobs(script, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _module(script).run(n_jobs=2) == reference


def test_bit_identical_on_a_dask_cluster(script, reference):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's resource chatter
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster):
            with parallel_config(backend="dask"):
                on_dask = _module(script).run(n_jobs=None)
    assert on_dask == reference


def test_fingerprint_tells_another_seed_apart(script, reference):
    """The comparison can fail: another random_state (other mini-batches) gives
    another fingerprint of the same configuration."""
    module = _module(script)
    name, est, X, y = next(c for c in module.configs() if c[0] == "transformer-adam")
    est.set_params(random_state=est.random_state + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = module.fingerprint(name, est, X, y, n_jobs=1)
    same_config = [line for line in reference if line.startswith(f"{name}.")]
    assert len(lines) == len(same_config) and lines != same_config
