"""Core DSTFT benchmarks: speed against scipy, cost of the gradient, memory.

Run ``python benchmarks/bench_core.py``; an aggregator calls :func:`run`, which
returns one dict per measurement, ``{name, value, unit, target, ok}``
(informational rows have ``target = ok = None``).

Method
------
Times are measured with ``time.perf_counter`` in interleaved blocks: each
function runs ``BLOCK`` times in a row, the first ``BLOCK_WARMUP`` calls of
a block untimed, and the functions take turns block by block for ``ROUNDS``
rounds; a time is the median of the timed calls. A block measures a
function in its own steady state -- its buffers, caches and allocator state
as its own previous call left them, as in an optimizer's loop or a batch
transform -- while the turns spread a slow spell of the machine (2 shared
cores) over every side alike. (Timing single calls alternately,
A, B, A, B, ..., measures each function just after the others have evicted
its working set from the caches; that flattered the gradient ratio below,
whose forward is the more cache-sensitive side, by a factor of about 1.5:
the informational row ``grad_constant_vs_forward_single_calls`` keeps that
reading.) Ratios:

1. ``forward_vs_scipy``: ``skdstft.dstft`` with a constant window
   (``normalization=None``, the plain STFT) against
   ``scipy.signal.ShortTimeFFT.stft`` with the same periodic Hann window,
   hop and number of frames (N = 160000, n_fft = 512, hop = 128, window 510).
   Target <= 1.2.
2. ``grad_constant_vs_forward``: ``autograd.value_and_grad`` of
   ``skdstft.losses.shannon_entropy(dstft(...))`` with respect to a constant
   window length, against the forward ``dstft`` alone. Target <= 2.5. The
   row ``loss_only_vs_forward`` reports the value-and-gradient of the entropy
   alone (given S), which is part of this ratio but not of the transform,
   and ``grad_constant_minus_loss_vs_forward`` what is left for the
   transform (its forward, its VJP and autograd's bookkeeping).

   The floor (informational rows). The plain call cannot do without: the
   forward (1); a second real-FFT pass over the frames, for the
   derivative window's transform ``D_lam`` (``fft_only_vs_forward``:
   numpy's real FFT of the windowed frames alone, into a preallocated
   output, as the gradient runs it: 0.6-0.85); the entropy's value
   (``entropy_value_pass_vs_forward``: its compiled statistics, one
   square root and one logarithm per bin: 0.5-0.7); and its cotangent
   (``entropy_gradient_pass_vs_forward``: 0.2-0.3), a spectrogram-sized
   array that autograd hands from the entropy's primitive to the
   transform's. ``grad_constant_floor_vs_forward`` is 1 plus those three:
   2.4-2.8 on this machine (load average 3-4), before the derivative
   frames' windowing, the reduction against the cotangent, the input
   checks and autograd's bookkeeping (together 0.3-1 more). So the 2.5
   target is at or below the floor of this composition of two
   primitives. Going below it needs the entropy's gradient fused into the
   transform's VJP (each block of the cotangent computed and reduced
   against the same block of ``D_lam`` while both are in cache, never
   stored), which crosses autograd's boundary between the two primitives:
   only a thread-local hand-over from one primitive to the other's VJP
   (the kind of hand-over issue #13 set out to remove) or one fused
   entropy-of-a-DSTFT primitive (not the call this row measures) could
   do it.
3. ``grad_time_varying_vs_constant``: the same value-and-gradient for a
   time-varying ``(1, T)`` window against the constant one. Target <= 1.5.
Every ratio is measured twice: in this process, with the allocator as it
comes (targets apply here), and in a child process with glibc told never to
hand memory back to the system (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``; rows ``*_allocator_pinned``, informational).
On this project's virtual machines a page of fresh memory costs ~2.5 us to
fault in, so a 5 MB temporary costs ~3 ms -- as much as the FFT that fills
it -- and whether a given allocation faults depends on what the allocator
did before. The pinned rows show the arithmetic alone; the gap between the
two is allocator behaviour, which moves each timing by up to 2x from run
to run.

4. ``peak_memory_tf_grad``: peak memory of the forward and gradient of a
   time-frequency-varying ``(F, T)`` window (N = 16000, n_fft = 512,
   hop = 128), in a fresh subprocess: the peak resident set size during the
   work minus the resident set size just before it (after the imports and
   the inputs). Target <= 200 MB. RSS rather than ``tracemalloc``, because
   RSS also sees memory numpy does not report (FFT and BLAS work buffers,
   the allocator's slack). The import itself has a transient peak higher
   than what stays resident, so ``ru_maxrss`` alone would hide the work's
   peak under it; on Linux the peak is therefore reset just before the work
   (writing 5 to ``/proc/self/clear_refs``) and read back from ``VmHWM`` in
   ``/proc/self/status``. Elsewhere the script falls back to the growth of
   ``ru_maxrss``, a lower bound. The ``tracemalloc`` peak of the same work
   (numpy arrays only) is an informational row.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

try:
    from benchmarks._memory import peak_rss, rss_before_work
    from benchmarks._timing import interleaved_blocks
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from _memory import peak_rss, rss_before_work
    from _timing import interleaved_blocks

ROUNDS = 7
BLOCK = 6
BLOCK_WARMUP = 2

N_SIGNAL = 160_000
N_FFT = 512
HOP = 128
WIN = 510.0            # the largest window, n_fft - 2 (ratio 1)
LAM = 300.0            # a typical interior window length (ratios 2 and 3)
MEM_N_SIGNAL = 16_000
MEM_TARGET_MB = 200.0


def _interleaved_blocks(funcs, rounds=ROUNDS, block=BLOCK, warmup=BLOCK_WARMUP):
    """Median wall time (s) of each function's timed calls, in interleaved
    blocks (see the module docstring)."""
    return interleaved_blocks(funcs, rounds=rounds, block=block, warmup=warmup)


def _single_calls(funcs, repeats=21, warmup=3):
    """Median wall time (s) of each function timed one call at a time,
    alternately (A, B, A, B, ...): each call follows the other functions."""
    for _ in range(warmup):
        for f in funcs:
            f()
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for f, ts in zip(funcs, times):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]


def _row(name, value, unit, target=None, lower_is_better=True):
    ok = None if target is None else bool(value <= target if lower_is_better else value >= target)
    return {"name": name, "value": float(value), "unit": unit, "target": target, "ok": ok}


def _speed_rows():
    import autograd
    import scipy.signal

    from skdstft import dstft, frame_positions
    from skdstft.losses import shannon_entropy

    rng = np.random.default_rng(0)
    x = rng.standard_normal(N_SIGNAL)
    positions = frame_positions(N_SIGNAL, HOP)
    T = positions.shape[0]

    # 1. forward against scipy
    stft = scipy.signal.ShortTimeFFT(scipy.signal.windows.hann(int(WIN), sym=False), HOP,
                                     fs=1, mfft=N_FFT, phase_shift=0)
    S_ref = stft.stft(x, p0=0, p1=T)
    S = dstft(x, WIN, positions, n_fft=N_FFT, normalization=None)
    assert S.shape == S_ref.shape
    assert np.max(np.abs(S - S_ref)) <= 1e-10 * np.max(np.abs(S_ref))
    t_ours, t_scipy = _interleaved_blocks([
        lambda: dstft(x, WIN, positions, n_fft=N_FFT, normalization=None),
        lambda: stft.stft(x, p0=0, p1=T),
    ])

    # 2. and 3. value and gradient of the entropy
    def loss(lam):
        return shannon_entropy(dstft(x, lam, positions, n_fft=N_FFT))

    value_and_grad = autograd.value_and_grad(loss)
    loss_only = autograd.value_and_grad(shannon_entropy)
    lam_time = np.full((1, T), LAM)
    S_l1 = dstft(x, LAM, positions, n_fft=N_FFT)
    fft_only, value_pass, gradient_pass = _floor_parts(x, positions, S_l1)
    t_fwd, t_const, t_time, t_loss, t_value, t_fft, t_vpass, t_gpass = _interleaved_blocks([
        lambda: dstft(x, LAM, positions, n_fft=N_FFT),
        lambda: value_and_grad(LAM),
        lambda: value_and_grad(lam_time),
        lambda: loss_only(S_l1),
        lambda: loss(LAM),
        fft_only,
        value_pass,
        gradient_pass,
    ])
    t_fwd_single, t_const_single = _single_calls([
        lambda: dstft(x, LAM, positions, n_fft=N_FFT),
        lambda: value_and_grad(LAM),
    ])
    ms = 1e3
    return [
        *_tf_rows(),
        *_thread_rows(value_and_grad),
        _row("grad_constant_vs_forward_single_calls", t_const_single / t_fwd_single, "ratio"),
        _row("forward_vs_scipy", t_ours / t_scipy, "ratio", 1.2),
        _row("grad_constant_vs_forward", t_const / t_fwd, "ratio", 2.5),
        _row("grad_time_varying_vs_constant", t_time / t_const, "ratio", 1.5),
        # the usual reverse-mode reading: value-and-gradient against the value
        # of the same function (transform + entropy), not the transform alone
        _row("grad_constant_vs_loss_value", t_const / t_value, "ratio"),
        _row("loss_only_vs_forward", t_loss / t_fwd, "ratio"),
        _row("grad_constant_minus_loss_vs_forward", (t_const - t_loss) / t_fwd, "ratio"),
        # what the 2.5 target has to fit in (module docstring, "the floor")
        _row("fft_only_vs_forward", t_fft / t_fwd, "ratio"),
        _row("entropy_value_pass_vs_forward", t_vpass / t_fwd, "ratio"),
        _row("entropy_gradient_pass_vs_forward", t_gpass / t_fwd, "ratio"),
        _row("grad_constant_floor_vs_forward", 1.0 + (t_fft + t_vpass + t_gpass) / t_fwd, "ratio"),
        _row("time_forward_scipy", t_scipy * ms, "ms"),
        _row("time_forward_dstft", t_ours * ms, "ms"),
        _row("time_forward_dstft_l1", t_fwd * ms, "ms"),
        _row("time_value_and_grad_constant", t_const * ms, "ms"),
        _row("time_value_and_grad_time_varying", t_time * ms, "ms"),
        _row("time_value_and_grad_entropy_only", t_loss * ms, "ms"),
    ]


def _floor_parts(x, positions, S):
    """The parts a constant-window value-and-gradient cannot do without,
    each a callable: the real FFT of the windowed frames alone (numpy's, into
    a preallocated output, as the gradient's derivative-window pass runs it),
    and the entropy's two compiled passes over ``S`` (its value: one square
    root and one logarithm per bin; its gradient: the cotangent, written
    into a fresh array as a caller of the kernel gets it)."""
    from skdstft import _kernels
    from skdstft.losses import EPS
    from skdstft.transform import gather_frames
    from skdstft.windows import frame_windows

    frames = gather_frames(x[None], positions, N_FFT)
    window = frame_windows("hann", np.full(1, LAM), np.zeros(1), N_FFT, "l1")
    windowed = np.empty((1, 1, positions.shape[0], N_FFT))
    _kernels.gather(frames.padded, frames.start, 0, window[None], windowed)
    spectrum = np.empty((positions.shape[0], N_FFT // 2 + 1), complex)
    S3 = S[None]
    stats = _kernels.entropy_stats(S3, 1.0, EPS, False)
    weight = np.ones(1)
    return (lambda: np.fft.rfft(windowed[0, 0], axis=-1, out=spectrum),
            lambda: _kernels.entropy_stats(S3, 1.0, EPS, False),
            lambda: _kernels.entropy_cotangent(S3, 1.0, EPS, False, stats, weight))


def _tf_rows():
    """5. and 6.: time-frequency-varying ``(F, T)`` lengths (40..300) against a
    constant length (170) at N = 16000: the forward, and the value-and-gradient
    of the frame-scope entropy (the compiled kernels' cost)."""
    import autograd

    from skdstft import dstft, frame_positions
    from skdstft.losses import shannon_entropy

    rng = np.random.default_rng(2)
    x = rng.standard_normal(MEM_N_SIGNAL)
    positions = frame_positions(MEM_N_SIGNAL, HOP)
    lam_tf = rng.uniform(40.0, 300.0, (N_FFT // 2 + 1, positions.shape[0]))
    vg = autograd.value_and_grad(
        lambda lam: shannon_entropy(dstft(x, lam, positions, n_fft=N_FFT), scope="frame"))
    t_const, t_tf, g_const, g_tf = _interleaved_blocks([
        lambda: dstft(x, 170.0, positions, n_fft=N_FFT),
        lambda: dstft(x, lam_tf, positions, n_fft=N_FFT),
        lambda: vg(170.0),
        lambda: vg(lam_tf),
    ], rounds=4, block=4, warmup=1)
    return [
        _row("tf_forward_vs_constant_forward", t_tf / t_const, "ratio", 40.0),
        _row("tf_grad_vs_constant_grad", g_tf / g_const, "ratio", 30.0),
        _row("time_tf_forward", t_tf * 1e3, "ms"),
        _row("time_tf_value_and_grad", g_tf * 1e3, "ms"),
    ]


def _thread_rows(value_and_grad):
    """7.: the value-and-gradient with the BLAS threads as the process comes
    (OpenBLAS's default: one per core) against one BLAS thread. The
    gradient's reductions are compiled (``skdstft._reductions``), so the
    ratio is about 1 and the results are the same bits."""
    from threadpoolctl import threadpool_limits

    t_default, t_one = _interleaved_blocks([
        lambda: value_and_grad(LAM),
        lambda: _with_one_blas_thread(threadpool_limits, value_and_grad),
    ], rounds=4)
    with threadpool_limits(1, "blas"):
        pinned = value_and_grad(LAM)
    value, gradient = value_and_grad(LAM)
    differ = int(value != pinned[0]) + int(np.any(gradient != pinned[1]))
    return [_row("grad_default_blas_threads_vs_one", t_default / t_one, "ratio"),
            _row("grad_results_differing_default_vs_one_blas_thread", differ, "count", 0)]


def _with_one_blas_thread(threadpool_limits, value_and_grad):
    with threadpool_limits(1, "blas"):
        return value_and_grad(LAM)


_COMPILE_CHILD = """
import time
t0 = time.perf_counter()
import autograd, numpy as np
from skdstft import dstft, frame_positions
from skdstft.losses import shannon_entropy
t1 = time.perf_counter()
x = np.random.default_rng(0).standard_normal(4000)
pos = frame_positions(4000, 128)
lam = np.full((257, pos.shape[0]), 200.0)
for window in ("hann", "gaussian"):
    for lengths in (300.0, lam):
        autograd.value_and_grad(lambda l, x_: shannon_entropy(dstft(x_, l, pos, n_fft=512,
                                window=window)), argnum=(0, 1))(lengths, x)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def _compile_rows():
    """8.: the first calls in a fresh interpreter -- every compiled kernel's
    first use (transform, gradients, entropy; both window routes) -- with an
    empty numba cache (compilation) and again with the cache it left."""
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for name in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", _COMPILE_CHILD], capture_output=True,
                                 text=True, check=True, env=env)
            imports, first = map(float, out.stdout.split())
            rows.append(_row(f"first_calls_{name}_cache", first, "s"))
            rows.append(_row(f"import_{name}_cache", imports, "s"))
    return rows


def _memory_child():
    """Runs in a fresh interpreter; prints the peak growth as JSON."""
    import tracemalloc

    import autograd

    from skdstft import dstft, frame_positions
    from skdstft.losses import shannon_entropy

    rng = np.random.default_rng(1)
    x = rng.standard_normal(MEM_N_SIGNAL)
    positions = frame_positions(MEM_N_SIGNAL, HOP)
    lam = rng.uniform(64.0, N_FFT - 2.0, (N_FFT // 2 + 1, positions.shape[0]))

    def loss(lam_):
        return shannon_entropy(dstft(x, lam_, positions, n_fft=N_FFT))

    vg = autograd.value_and_grad(loss)
    before = rss_before_work()
    value, grad = vg(lam)
    after = peak_rss()
    assert np.isfinite(value) and grad.shape == lam.shape and np.all(np.isfinite(grad))
    tracemalloc.start()
    vg(lam)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rss_growth": after - before, "traced_peak": traced_peak,
                      "baseline_rss": before}))


def _memory_rows():
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    mb = 2.0**20
    return [
        _row("peak_memory_tf_grad", result["rss_growth"] / mb, "MB", MEM_TARGET_MB),
        _row("tracemalloc_peak_tf_grad", result["traced_peak"] / mb, "MB"),
        _row("baseline_rss_after_import", result["baseline_rss"] / mb, "MB"),
    ]


# glibc reads these at start-up: no memory handed back to the system, so no
# page is faulted in twice (see the module docstring)
PINNED_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**31)}


def _pinned_rows():
    """The speed ratios again, in a child process whose allocator keeps its
    memory: what the library's arithmetic costs, without this machine's
    page faults (informational rows, no targets)."""
    env = dict(os.environ, **PINNED_ALLOCATOR)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--speed-child"],
                         capture_output=True, text=True, check=True, env=env)
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    return [_row(r["name"] + "_allocator_pinned", r["value"], r["unit"])
            for r in rows if r["unit"] == "ratio"]


def run():
    """All core benchmarks; a list of ``{name, value, unit, target, ok}`` rows."""
    return _speed_rows() + _pinned_rows() + _memory_rows() + _compile_rows()


def main():
    rows = run()
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        target = "" if r["target"] is None else f"target <= {r['target']:g}"
        status = "" if r["ok"] is None else ("ok" if r["ok"] else "MISSED")
        print(f"{r['name']:<{width}}  {r['value']:10.3f} {r['unit']:<6} {target:<16} {status}")
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    if "--memory-child" in sys.argv:
        _memory_child()
    elif "--speed-child" in sys.argv:
        print(json.dumps(_speed_rows()))
    else:
        sys.exit(main())
