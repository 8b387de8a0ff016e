"""The house timing method, shared by the suites: interleaved blocks.

Each function runs ``block`` times in a row (the first ``warmup`` calls
untimed), and the functions take turns block by block for ``rounds`` rounds.
Each side of a ratio is thus timed in its own steady state (its memory
warm, as an optimizer loop or a batch transform runs it), while the turns
spread the machine's load over both sides. bench_core's docstring says why
single alternating calls mislead.
"""

import time

import numpy as np


def interleaved_blocks(funcs, rounds=7, block=6, warmup=2):
    """Median wall time (s) of each function's timed calls."""
    times = [[] for _ in funcs]
    for _ in range(rounds):
        for f, ts in zip(funcs, times):
            for i in range(block):
                t0 = time.perf_counter()
                f()
                if i >= warmup:
                    ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]
