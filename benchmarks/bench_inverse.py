"""Inverse DSTFT benchmarks: ``idstft`` against scipy, and the cost of the
least-squares solve for a window varying in time and frequency.

Run ``python benchmarks/bench_inverse.py``; ``python -m benchmarks`` calls
:func:`run`, which returns one dict per measurement, ``{name, value, unit,
target, ok}``.

1. ``idstft_vs_scipy_istft``: :func:`skdstft.idstft` with a constant window
   (the closed-form overlap-add; ``normalization=None``, window 510, the
   plain periodic Hann) against ``scipy.signal.ShortTimeFFT.istft`` on the
   same noisy spectrogram (N = 160000, n_fft = 512, hop = 128; every frame
   that touches the signal). Both are checked to agree first. Times in
   interleaved blocks, each side in its own steady state (the method of
   ``bench_core``). Target <= 1.5.
2. ``tf_inverse_*``: the inverse of an ``(F, T)`` window (conjugate
   gradients on the normal equations, Jacobi-preconditioned, default
   ``tol``) at N = 16000, n_fft = 512, hop = 128, window lengths drawn
   uniformly in [64, 510] per bin, from a DSTFT plus complex noise: the
   number of CG iterations, the time of the inverse, and that time
   relative to one forward ``dstft`` with the same lengths (informational:
   each iteration applies the transform and its transpose once; the row
   ``tf_normal_matvec_vs_forward`` is the cost of that pair). The
   inverse takes seconds, so it is timed over a few calls, not in blocks.
"""

import time

import numpy as np

try:
    from benchmarks._timing import interleaved_blocks
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from _timing import interleaved_blocks

N_SIGNAL = 160_000
N_FFT = 512
HOP = 128
WIN = 510
TF_N_SIGNAL = 16_000
TF_REPEATS = 2



def _row(name, value, unit, target=None):
    ok = None if target is None else bool(value <= target)
    return {"name": name, "value": float(value), "unit": unit, "target": target, "ok": ok}


def _scipy_rows():
    import scipy.signal

    from skdstft import dstft, idstft

    rng = np.random.default_rng(0)
    x = rng.standard_normal(N_SIGNAL)
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(WIN, sym=False), HOP, fs=1,
                                     mfft=N_FFT, phase_shift=0)
    S_ref = stft.stft(x)  # frames p_min .. p_max - 1
    positions = HOP * np.arange(stft.p_min, stft.p_min + S_ref.shape[1], dtype=float)
    S = dstft(x, float(WIN), positions, n_fft=N_FFT, normalization=None)
    assert np.max(np.abs(S - S_ref)) <= 1e-10 * np.max(np.abs(S_ref))
    S = S + 0.1 * (rng.standard_normal(S.shape) + 1j * rng.standard_normal(S.shape))

    def ours():
        return idstft(S, float(WIN), positions, n_samples=N_SIGNAL, n_fft=N_FFT,
                      normalization=None)

    def theirs():
        return stft.istft(S, k1=N_SIGNAL)

    expected = theirs()
    assert np.max(np.abs(ours() - expected)) <= 1e-10 * np.max(np.abs(expected))
    t_ours, t_scipy = interleaved_blocks([ours, theirs], rounds=5, block=4, warmup=1)
    return [
        _row("idstft_vs_scipy_istft", t_ours / t_scipy, "ratio", 1.5),
        _row("time_idstft_constant", 1e3 * t_ours, "ms"),
        _row("time_scipy_istft", 1e3 * t_scipy, "ms"),
    ]


def _tf_rows():
    from skdstft import dstft, frame_positions
    from skdstft.inverse import make_plan
    from skdstft.windows import get_window

    rng = np.random.default_rng(1)
    x = rng.standard_normal(TF_N_SIGNAL)
    positions = frame_positions(TF_N_SIGNAL, HOP)
    lam = rng.uniform(64.0, N_FFT - 2.0, (N_FFT // 2 + 1, positions.shape[0]))
    S = dstft(x, lam, positions, n_fft=N_FFT)
    S = S + 0.1 * np.abs(S).mean() * (rng.standard_normal(S.shape)
                                      + 1j * rng.standard_normal(S.shape))
    forward = []
    for _ in range(3):
        t0 = time.perf_counter()
        dstft(x, lam, positions, n_fft=N_FFT)
        forward.append(time.perf_counter() - t0)
    inverse, iterations = [], []
    for _ in range(TF_REPEATS):
        t0 = time.perf_counter()
        # what idstft does after its input checks, keeping the solver to read its count
        plan = make_plan(lam, positions, n_samples=TF_N_SIGNAL, n_fft=N_FFT,
                         window=get_window("hann"), normalization="l1")
        plan.solve(S[None])
        inverse.append(time.perf_counter() - t0)
        iterations.append(plan.n_iter[0])
    normal = []
    for _ in range(3):  # one application of the normal matrix: a forward and a transpose
        t0 = time.perf_counter()
        plan.normal.matvec(x)
        normal.append(time.perf_counter() - t0)
    t_fwd, t_inv = float(np.median(forward)), float(np.median(inverse))
    return [
        _row("tf_inverse_cg_iterations", float(np.median(iterations)), "iterations"),
        _row("tf_inverse_vs_forward", t_inv / t_fwd, "ratio"),
        _row("tf_normal_matvec_vs_forward", float(np.median(normal)) / t_fwd, "ratio"),
        _row("time_tf_inverse", t_inv, "s"),
        _row("time_tf_forward", 1e3 * t_fwd, "ms"),
    ]


def run():
    return _scipy_rows() + _tf_rows()


if __name__ == "__main__":
    for row in run():
        target = "" if row["target"] is None else f"  (target {row['target']}, met: {row['ok']})"
        print(f"{row['name']:<28} {row['value']:10.4g} {row['unit']}{target}")
