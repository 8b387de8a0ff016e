"""Reusable work buffers (skdstft._scratch) and the code that borrows them."""

import threading

import numpy as np

from skdstft import _scratch, dstft, frame_positions
from skdstft._scratch import scratch
from skdstft.objective import RepresentationObjective


def test_a_slot_is_reused_and_slots_are_distinct():
    a = scratch("test-a", (10, 20), np.float64)
    b = scratch("test-b", (10, 20), np.float64)
    assert not np.shares_memory(a, b)
    again = scratch("test-a", (5, 8), np.complex128)  # smaller: same memory
    assert np.shares_memory(a, again)
    assert again.shape == (5, 8) and again.dtype == np.complex128


def test_huge_requests_are_not_kept():
    """Above MAX_BYTES a request gets fresh memory and leaves no slot behind:
    the next request of that name shares nothing with it. The real threshold,
    not a patched one: np.empty leaves the pages untouched, so this is cheap."""
    n = _scratch.MAX_BYTES // 8 + 1
    big = scratch("test-big", (n,), np.float64)
    assert big.shape == (n,) and big.dtype == np.float64
    assert not np.shares_memory(big, scratch("test-big", (n,), np.float64))
    small = scratch("test-big", (10,), np.float64)
    assert not np.shares_memory(big, small)
    assert np.shares_memory(small, scratch("test-big", (10,), np.float64))  # small ones are kept


def test_threads_get_their_own_buffers():
    mine = scratch("test-thread", (100,), np.float64)
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(scratch("test-thread", (100,),
                                                                   np.float64)))
    thread.start()
    thread.join()
    assert not np.shares_memory(mine, theirs[0])


def test_transforms_do_not_leak_into_one_another():
    """The frames of one call live in the buffers the next call reuses: the
    results must not depend on what ran in between."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(3000), rng.standard_normal((2, 5000))
    first = dstft(x1, 100.0, n_fft=128)
    dstft(x2, np.full((1, 40), 90.0), frame_positions(5000, 128)[:40], n_fft=128)
    dstft(x2, 60.0, n_fft=256)
    np.testing.assert_array_equal(dstft(x1, 100.0, n_fft=128), first)


def test_cached_objective_frames_survive_other_transforms():
    """An objective keeps its signals' frames between evaluations; they are
    ordinary arrays, not borrowed buffers that another transform overwrites."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 2000))
    positions = frame_positions(2000, 64)
    objective = RepresentationObjective(X, n_fft=256, n_frames=len(positions),
                                        positions=positions)
    before = objective(np.array([150.0]))
    dstft(rng.standard_normal((3, 2000)), 120.0, positions, n_fft=256)  # same shapes
    assert objective(np.array([150.0])) == before


def test_an_entropy_gradient_kept_by_the_caller_is_not_overwritten():
    import autograd

    from skdstft import losses
    rng = np.random.default_rng(2)
    S1 = rng.standard_normal((33, 20)) + 1j * rng.standard_normal((33, 20))
    S2 = rng.standard_normal((33, 20)) + 1j * rng.standard_normal((33, 20))
    gradient = autograd.grad(losses.shannon_entropy)
    g1 = gradient(S1)
    kept = g1.copy()
    g2 = gradient(S2)
    assert not np.shares_memory(g1, g2)
    np.testing.assert_array_equal(g1, kept)
