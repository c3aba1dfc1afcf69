"""radix_rank's counts_callback under the simulator: each thread's call sees its own
cuda.threadIdx, and a callback writing to the read-only bins is an error at the user's line."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR
from error_marks import MARK, line_of

pytestmark = [pytest.mark.simulator, pytest.mark.skipif(not SIMULATOR, reason="needs NUMBA_ENABLE_CUDASIM=1")]


def record_thread(row, bins):
    row[0] = cuda.threadIdx.x
    row[1] = bins[0]


@cuda.jit
def k_threads(out):
    t = cuda.threadIdx.x
    keys = coop.local.array(2, np.uint32)
    ranks = coop.local.array(2, np.int32)
    keys[0] = t % 16
    keys[1] = 3
    coop.block.radix_rank(keys, ranks, 2, 0, 4, algorithm="match_early_counts_any",
                          counts_callback=coop.StatefulOp(record_thread, out[t]))


def test_each_thread_calls_the_callback_as_itself():
    d = cuda.to_device(np.full((64, 2), -1, np.int32))
    k_threads[1, 64](d)
    out = d.copy_to_host()
    assert list(out[:, 0]) == list(range(64))
    want = np.zeros(64, np.int64)
    want[:16] = np.bincount(np.r_[np.arange(64) % 16, np.full(64, 3)], minlength=16)  # 16 digits, 1 per thread
    assert list(out[:, 1]) == list(want)


def write_bins(bins):
    bins[0] = 1


def writes(out):
    keys = coop.local.array(1, np.uint32)
    ranks = coop.local.array(1, np.int32)
    keys[0] = 0
    coop.block.radix_rank(keys, ranks, 1, 0, 4, algorithm="match", counts_callback=write_bins)  # <- error


def test_a_callback_writing_bins_is_an_error():
    with pytest.raises(coop.CoopError) as info:
        cuda.jit(writes)[1, 32](cuda.to_device(np.zeros(1, np.int32)))
    text = str(info.value)
    assert "argument `counts_callback`" in text and "read-only" in text, text
    assert f"line {line_of(writes, MARK)}" in text, text
