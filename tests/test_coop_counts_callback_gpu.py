"""GPU tier for radix_rank's counts_callback against NumPy.

CUB (cub/block/block_radix_rank.cuh, BlockRadixRankMatch::CallBack and
BlockRadixRankMatchEarlyCounts' RankKeys): every thread calls the callback once with
``int (&bins)[BINS_TRACKED_PER_THREAD]``; thread ``t`` entry ``j`` counts the block's keys whose
digit (bits [begin_bit, end_bit)) is ``t * BINS + j``, BINS = max(1, ceil(2**bits / threads)).
Entries past the last digit are 0 for the early-counts rankers and unset for MATCH (not
compared). Ranks must be unchanged by the callback.

A sample of the grid runs by default; COOP_FULL_GRID=1 runs all of it.
"""

import itertools
import os

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, blocks, cases

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))

ALGORITHMS = ["MATCH", "MATCH_EARLY_COUNTS_ANY", "MATCH_EARLY_COUNTS_ATOMIC_OR"]
BLOCKS = [32, 128, 256, (16, 8)]
IPTS = [1, 4]
BITS = [(0, 1), (0, 4), (3, 11)]
KEYS = [np.uint32, np.uint8]


def store_counts(row, bins):
    for j in range(len(bins)):
        row[j] = bins[j]


def make_kernel(dtype, dims, ipt, begin, end, algorithm, with_prefix):
    threads = int(np.prod(dims))
    nbins = max(1, -(-(1 << (end - begin)) // threads))
    alg = getattr(coop.RadixRankAlgorithm, algorithm)

    @cuda.jit
    def k(d_keys, o_ranks, o_counts):
        t = cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)
        g = cuda.blockIdx.x * threads + t
        keys = coop.local.array(ipt, dtype)
        ranks = coop.local.array(ipt, np.int32)
        prefix = coop.local.array(nbins, np.int32)
        for i in range(ipt):
            keys[i] = d_keys[g * ipt + i]
        cb = coop.StatefulOp(store_counts, o_counts[g])
        if with_prefix:
            coop.block.radix_rank(keys, ranks, ipt, begin, end, exclusive_digit_prefix=prefix, algorithm=alg,
                                  counts_callback=cb)
        else:
            coop.block.radix_rank(keys, ranks, ipt, begin, end, algorithm=alg, counts_callback=cb)
        for i in range(ipt):
            o_ranks[g * ipt + i] = ranks[i]

    return k, threads, nbins


GRID = [(dt, b, ipt, bits, alg, (n % 2) == 0)
        for n, (dt, b, ipt, bits, alg) in enumerate(itertools.product(KEYS, BLOCKS, IPTS, BITS, ALGORITHMS))
        if not (isinstance(b, tuple) and alg != "MATCH") and not (dt == np.uint8 and bits[1] > 8)]
SAMPLE = GRID[::2]
SIM = [c for c in GRID if c[1] in (32, 128)][:6:2] + [c for c in GRID if c[1] == (16, 8)][:1]
CASES = cases(GRID if FULL else SAMPLE, sim=SIM)


@pytest.mark.parametrize("dtype,dims,ipt,bits,algorithm,with_prefix", CASES,
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_counts_callback(dtype, dims, ipt, bits, algorithm, with_prefix):
    begin, end = bits
    k, threads, nbins = make_kernel(dtype, dims, ipt, begin, end, algorithm, with_prefix)
    nblocks = blocks(2)
    rng = np.random.default_rng(threads * 131 + ipt * 7 + begin)
    keys = rng.integers(0, np.iinfo(dtype).max, threads * ipt * nblocks, dtype=dtype, endpoint=True)
    ranks = np.full(keys.size, -1, np.int32)
    counts = np.full((threads * nblocks, nbins), -7, np.int32)
    d_ranks, d_counts = cuda.to_device(ranks), cuda.to_device(counts)
    k[nblocks, dims](cuda.to_device(keys), d_ranks, d_counts)
    ranks, counts = d_ranks.copy_to_host(), d_counts.copy_to_host()
    ndig = 1 << (end - begin)
    tile = threads * ipt
    for b in range(nblocks):
        kb = keys[b * tile:(b + 1) * tile].astype(np.uint64)
        d = ((kb >> np.uint64(begin)) & np.uint64(ndig - 1)).astype(np.int64)
        want = np.zeros(threads * nbins, np.int64)
        want[:ndig] = np.bincount(d, minlength=ndig)
        got = counts[b * threads:(b + 1) * threads].reshape(-1)
        check = slice(None) if algorithm != "MATCH" else slice(0, ndig)  # MATCH leaves entries past the digits unset
        np.testing.assert_array_equal(got[check], want[check], err_msg=f"block {b}: counts")
        # the ranks still order the keys by digit, ties by warp, then item, then lane
        pos = np.arange(tile)
        t, i = pos // ipt, pos % ipt
        order = np.lexsort(((t // 32) * (32 * ipt) + i * 32 + t % 32, d))
        want_ranks = np.empty(tile, np.int64)
        want_ranks[order] = np.arange(tile)
        np.testing.assert_array_equal(ranks[b * tile:(b + 1) * tile], want_ranks, err_msg=f"block {b}: ranks")
