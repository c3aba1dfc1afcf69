"""GPU time of one coop kernel per primitive family against the same kernel body in CUDA C++/CUB.

    python benchmarks/bench_families.py [--only block_reduce,warp_scan] [--json out.json]   (on the device machine)
    bash scripts/gpu_bench.sh families [--only ...]

Families: block reduce, block exchange, block radix sort, block merge sort, block histogram,
block run-length decode, warp reduce, warp scan (``FAMILIES`` below says what each kernel does).
The C++ kernels (``benchmarks/families_cub.cu``, ``extern "C"``) are built by nvcc to a cubin
(``harness.build_reference``) against the same CCCL headers and launched from this
process with cuda.core on the same stream, with the same arrays, so both sides are timed the
same way: CUDA events around batches of launches (``harness.time_launches``), rounds
alternating between the sides, median. Each side's output is checked against NumPy once
before timing. Registers and static shared memory of both kernels are reported. The coop
kernels are also timed compiled with ``launch_bounds`` (the C++ kernels declare
``__launch_bounds__``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numba
import numpy as np
from numba import cuda

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import coop  # noqa: E402
from _progress import note  # noqa: E402

from harness import (build_reference, cpp_launch, cpp_usage, device_name, load_kernels, one,  # noqa: E402
                     shared_ptr32, time_launches)

# --------------------------------------------------------------------------- sizes (also given to nvcc as -D)

REDUCE_THREADS, REDUCE_ITEMS = 256, 16
EXCHANGE_THREADS, EXCHANGE_ITEMS = 256, 8
RADIX_THREADS, RADIX_ITEMS = 256, 8
MERGE_THREADS, MERGE_ITEMS = 128, 8
HISTO_THREADS, HISTO_ITEMS, HISTO_BINS = 256, 16, 256
RLD_THREADS, RLD_RUNS, RLD_DECODED = 256, 4, 8
WARP_THREADS_PER_BLOCK, WARP_REDUCE_ITEMS, WARP_SCAN_ITEMS = 256, 16, 8
SIZES = {k: v for k, v in globals().items() if k.split("_")[0] in ("REDUCE", "EXCHANGE", "RADIX", "MERGE", "HISTO",
                                                                     "RLD", "WARP") and isinstance(v, int)}
RLD_MAX_RUN = 8  # run lengths are uniform in 1..RLD_MAX_RUN




# --------------------------------------------------------------------------- the coop kernels
# Each mirrors the kernel of the same name in families_cub.cu line for line.


def block_reduce(d_in, d_out):
    """One tile per block: vectorized load, BlockReduce::Sum, one partial per block."""
    items = coop.local.array(REDUCE_ITEMS, np.int32)
    coop.block.load(d_in, items, offset=cuda.blockIdx.x * (REDUCE_THREADS * REDUCE_ITEMS),
                    algorithm=coop.BlockLoadAlgorithm.VECTORIZE)
    total = coop.block.sum(items)
    if cuda.threadIdx.x == 0:
        d_out[cuda.blockIdx.x] = total


def block_exchange(d_in, d_out):
    """One tile per block: striped load, BlockExchange::StripedToBlocked, blocked (direct) store."""
    offset = cuda.blockIdx.x * (EXCHANGE_THREADS * EXCHANGE_ITEMS)
    items = coop.local.array(EXCHANGE_ITEMS, np.int32)
    coop.block.load(d_in, items, offset=offset, algorithm=coop.BlockLoadAlgorithm.STRIPED)
    coop.block.exchange(items, block_exchange_type=coop.BlockExchangeType.StripedToBlocked)
    coop.block.store(d_out, items, offset=offset, algorithm=coop.BlockStoreAlgorithm.DIRECT)


def block_radix_sort(d_in, d_out):
    """One tile of u32 keys per block: warp-transpose load, BlockRadixSort::SortBlockedToStriped
    (4-bit digits), striped store."""
    offset = cuda.blockIdx.x * (RADIX_THREADS * RADIX_ITEMS)
    keys = coop.local.array(RADIX_ITEMS, np.uint32)
    coop.block.load(d_in, keys, offset=offset, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
    coop.block.radix_sort_keys(keys, blocked_to_striped=True)
    coop.block.store(d_out, keys, offset=offset, algorithm=coop.BlockStoreAlgorithm.STRIPED)


def block_merge_sort(d_in, d_out):
    """One tile of i32 keys per block: warp-transpose load, BlockMergeSort::Sort with less,
    warp-transpose store."""
    offset = cuda.blockIdx.x * (MERGE_THREADS * MERGE_ITEMS)
    keys = coop.local.array(MERGE_ITEMS, np.int32)
    coop.block.load(d_in, keys, offset=offset, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
    coop.block.merge_sort_keys(keys, compare_op="<")
    coop.block.store(d_out, keys, offset=offset, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE)


def block_histogram(d_in, d_hist, n):
    """Grid-stride over tiles of u8 samples: vectorized load, BlockHistogram (atomic) Composite
    into a shared 256-bin histogram, then one atomicAdd per bin to the global histogram."""
    smem = coop.shared.array(HISTO_BINS, np.uint32)
    samples = coop.local.array(HISTO_ITEMS, np.uint8)
    histo = coop.block.histogram(samples, smem, algorithm=coop.BlockHistogramAlgorithm.ATOMIC)
    histo.init()
    cuda.syncthreads()
    tile = HISTO_THREADS * HISTO_ITEMS
    tiles = n // tile
    t = cuda.blockIdx.x
    while t < tiles:
        coop.block.load(d_in, samples, offset=t * tile, algorithm=coop.BlockLoadAlgorithm.VECTORIZE)
        histo.composite(samples)
        t += cuda.gridDim.x
    cuda.syncthreads()
    for b in range(cuda.threadIdx.x, HISTO_BINS, HISTO_THREADS):
        cuda.atomic.add(d_hist, b, smem[b])


def block_run_length_decode(d_values, d_lengths, d_block_offsets, d_out):
    """One block of runs per block: vectorized loads of RLD_RUNS values and lengths per thread,
    BlockRunLengthDecode, then windows of RLD_DECODED items per thread decoded and stored
    (warp-transpose, guarded) at the block's output offset."""
    base = cuda.blockIdx.x * (RLD_THREADS * RLD_RUNS)
    values = coop.local.array(RLD_RUNS, np.int32)
    lengths = coop.local.array(RLD_RUNS, np.uint32)
    coop.block.load(d_values, values, offset=base, algorithm=coop.BlockLoadAlgorithm.VECTORIZE)
    coop.block.load(d_lengths, lengths, offset=base, algorithm=coop.BlockLoadAlgorithm.VECTORIZE)
    total = coop.local.array(1, np.uint32)
    rld = coop.block.run_length(values, lengths, RLD_RUNS, RLD_DECODED, total)
    decoded = coop.local.array(RLD_DECODED, np.int32)
    out = d_block_offsets[cuda.blockIdx.x]
    window = np.uint32(0)
    while window < total[0]:
        rld.decode(decoded, window)
        coop.block.store(d_out, decoded, offset=out + window, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE,
                         valid_items=total[0] - window)
        cuda.syncthreads()  # the store's shared memory is reused by the next window
        window = np.uint32(window + RLD_THREADS * RLD_DECODED)


def warp_reduce(d_in, d_out):
    """One tile of 32 x WARP_REDUCE_ITEMS per warp: striped warp load, WarpReduce::Sum of the
    lane's items, lane 0 writes the warp's sum."""
    warp = cuda.blockIdx.x * (WARP_THREADS_PER_BLOCK // 32) + cuda.threadIdx.x // 32
    items = coop.local.array(WARP_REDUCE_ITEMS, np.int32)
    coop.warp.load(d_in, items, offset=warp * (32 * WARP_REDUCE_ITEMS), algorithm=coop.WarpLoadAlgorithm.STRIPED)
    total = coop.warp.sum(items)
    if cuda.threadIdx.x % 32 == 0:
        d_out[warp] = total


def warp_scan(d_in, d_out):
    """One tile of 32 x WARP_SCAN_ITEMS per warp, inclusive prefix sum: transpose warp load,
    the lane's own running sum, WarpScan::ExclusiveSum of the lanes' totals, transpose store."""
    offset = (cuda.blockIdx.x * (WARP_THREADS_PER_BLOCK // 32) + cuda.threadIdx.x // 32) * (32 * WARP_SCAN_ITEMS)
    items = coop.local.array(WARP_SCAN_ITEMS, np.int32)
    coop.warp.load(d_in, items, offset=offset, algorithm=coop.WarpLoadAlgorithm.TRANSPOSE)
    for i in range(1, WARP_SCAN_ITEMS):
        items[i] += items[i - 1]
    prefix = coop.warp.exclusive_sum(items[WARP_SCAN_ITEMS - 1])
    for i in range(WARP_SCAN_ITEMS):
        items[i] += prefix
    coop.warp.store(d_out, items, offset=offset, algorithm=coop.WarpStoreAlgorithm.TRANSPOSE)


# --------------------------------------------------------------------------- the families: inputs, launch, check


@dataclass
class Case:
    """One family's data: ``args`` (device arrays and int64 scalars, the same for both sides up
    to the output arrays, which each side has its own of: ``outputs``), the grid, and the NumPy
    check of one side's outputs (host copies)."""

    args: list
    outputs: list[int]  # positions in args of the output arrays
    grid: int
    check: Callable[[list[np.ndarray]], None]
    sizes: dict
    nbytes: int  # global-memory bytes read and written by one launch


@dataclass
class Family:
    name: str  # the kernel's name on both sides
    description: str
    kernel: Callable  # the coop kernel (a plain function; bench and tests jit it)
    threads: int
    argtypes: tuple  # numba types of the kernel's arguments (the CPU test builds with them)
    setup: Callable[[int, np.random.Generator, int], Case]  # (log2 size, rng, SM count) -> Case
    log2n: int


def _arr(t):
    return numba.types.Array(t, 1, "C")


I32, U32, U8, I64 = _arr(numba.types.int32), _arr(numba.types.uint32), _arr(numba.types.uint8), _arr(numba.types.int64)


def _check_rows(got, h, tile, reference, limit=1 << 22):
    """``got`` against ``reference`` of the tiles of ``h`` (as rows): the first ``limit`` items and the last tile."""
    first = h[:min(h.size, limit)].reshape(-1, tile)
    np.testing.assert_array_equal(got[:first.size].reshape(first.shape), reference(first))
    np.testing.assert_array_equal(got[-tile:].reshape(1, tile), reference(h[-tile:].reshape(1, tile)))


def _ints(rng, n):
    return rng.integers(-100, 100, n, dtype=np.int32)


def _setup_reduce(log2n, rng, sms):
    n, tile = 1 << log2n, REDUCE_THREADS * REDUCE_ITEMS
    h = _ints(rng, n)

    def check(outs):
        np.testing.assert_array_equal(outs[0], h.reshape(-1, tile).sum(1, dtype=np.int32))

    return Case([cuda.to_device(h), cuda.device_array(n // tile, np.int32)], [1], n // tile, check,
                {"n": n, "threads": REDUCE_THREADS, "items_per_thread": REDUCE_ITEMS}, 4 * (n + n // tile))


def _setup_exchange(log2n, rng, sms):
    n, tile = 1 << log2n, EXCHANGE_THREADS * EXCHANGE_ITEMS
    h = _ints(rng, n)

    def check(outs):
        np.testing.assert_array_equal(outs[0], h)  # striped load + StripedToBlocked + blocked store = a copy

    return Case([cuda.to_device(h), cuda.device_array(n, np.int32)], [1], n // tile, check,
                {"n": n, "threads": EXCHANGE_THREADS, "items_per_thread": EXCHANGE_ITEMS}, 8 * n)


def _setup_sort(threads, items, dtype):
    def setup(log2n, rng, sms):
        n, tile = 1 << log2n, threads * items
        info = np.iinfo(dtype)
        h = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)

        def check(outs):
            _check_rows(outs[0], h, tile, lambda rows: np.sort(rows, axis=1))

        return Case([cuda.to_device(h), cuda.device_array(n, dtype)], [1], n // tile, check,
                    {"n": n, "threads": threads, "items_per_thread": items}, 2 * n * h.itemsize)
    return setup


def _setup_histogram(log2n, rng, sms):
    n = 1 << log2n
    h = rng.integers(0, HISTO_BINS, n, dtype=np.uint8)
    grid = sms * (2048 // HISTO_THREADS)

    def check(outs):
        np.testing.assert_array_equal(outs[0], np.bincount(h, minlength=HISTO_BINS).astype(np.uint32))

    return Case([cuda.to_device(h), cuda.to_device(np.zeros(HISTO_BINS, np.uint32)), np.int64(n)], [1], grid, check,
                {"n": n, "threads": HISTO_THREADS, "items_per_thread": HISTO_ITEMS, "bins": HISTO_BINS, "grid": grid}, n)


def _setup_run_length(log2n, rng, sms):
    runs, per_block = 1 << log2n, RLD_THREADS * RLD_RUNS
    values = rng.integers(-1000, 1000, runs, dtype=np.int32)
    lengths = rng.integers(1, RLD_MAX_RUN, runs, dtype=np.uint32, endpoint=True)
    block_sizes = lengths.reshape(-1, per_block).sum(1, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(block_sizes)[:-1]]).astype(np.int64)
    total = int(block_sizes.sum())

    def check(outs):
        np.testing.assert_array_equal(outs[0], np.repeat(values, lengths))

    args = [cuda.to_device(values), cuda.to_device(lengths), cuda.to_device(offsets), cuda.device_array(total, np.int32)]
    return Case(args, [3], runs // per_block, check,
                {"runs": runs, "decoded_items": total, "threads": RLD_THREADS, "runs_per_thread": RLD_RUNS,
                 "decoded_items_per_thread": RLD_DECODED, "run_lengths": f"uniform 1..{RLD_MAX_RUN}"},
                8 * runs + 8 * offsets.size + 4 * total)


def _setup_warp_reduce(log2n, rng, sms):
    n, tile = 1 << log2n, 32 * WARP_REDUCE_ITEMS
    h = _ints(rng, n)

    def check(outs):
        np.testing.assert_array_equal(outs[0], h.reshape(-1, tile).sum(1, dtype=np.int32))

    return Case([cuda.to_device(h), cuda.device_array(n // tile, np.int32)], [1], n // (WARP_THREADS_PER_BLOCK * WARP_REDUCE_ITEMS),
                check, {"n": n, "threads": WARP_THREADS_PER_BLOCK, "items_per_thread": WARP_REDUCE_ITEMS,
                        "warp_tile": tile}, 4 * (n + n // tile))


def _setup_warp_scan(log2n, rng, sms):
    n, tile = 1 << log2n, 32 * WARP_SCAN_ITEMS
    h = _ints(rng, n)

    def check(outs):
        _check_rows(outs[0], h, tile, lambda rows: np.cumsum(rows, axis=1, dtype=np.int32))

    return Case([cuda.to_device(h), cuda.device_array(n, np.int32)], [1], n // (WARP_THREADS_PER_BLOCK * WARP_SCAN_ITEMS),
                check, {"n": n, "threads": WARP_THREADS_PER_BLOCK, "items_per_thread": WARP_SCAN_ITEMS,
                        "warp_tile": tile}, 8 * n)


FAMILIES = {f.name: f for f in (
    Family("block_reduce", "BlockLoad (vectorize) -> BlockReduce::Sum (warp reductions), one partial per block; "
           "int32", block_reduce, REDUCE_THREADS, (I32, I32), _setup_reduce, 28),
    Family("block_exchange", "BlockLoad (striped) -> BlockExchange::StripedToBlocked -> BlockStore (direct); int32",
           block_exchange, EXCHANGE_THREADS, (I32, I32), _setup_exchange, 28),
    Family("block_radix_sort", "BlockLoad (warp transpose) -> BlockRadixSort::SortBlockedToStriped (4-bit digits) -> "
           "BlockStore (striped), one tile per block; uint32 keys", block_radix_sort, RADIX_THREADS, (U32, U32),
           _setup_sort(RADIX_THREADS, RADIX_ITEMS, np.uint32), 26),
    Family("block_merge_sort", "BlockLoad (warp transpose) -> BlockMergeSort::Sort (less) -> BlockStore (warp "
           "transpose), one tile per block; int32 keys", block_merge_sort, MERGE_THREADS, (I32, I32),
           _setup_sort(MERGE_THREADS, MERGE_ITEMS, np.int32), 26),
    Family("block_histogram", "grid-stride BlockLoad (vectorize) -> BlockHistogram (atomic) Composite into 256 "
           "shared bins -> atomicAdd to global; uint8 samples", block_histogram, HISTO_THREADS, (U8, U32, numba.types.int64),
           _setup_histogram, 28),
    Family("block_run_length_decode", "BlockLoad (vectorize) of runs -> BlockRunLengthDecode windows -> BlockStore "
           "(warp transpose, guarded); int32 values, uint32 lengths", block_run_length_decode, RLD_THREADS,
           (I32, U32, I64, I32), _setup_run_length, 24),
    Family("warp_reduce", "WarpLoad (striped) -> WarpReduce::Sum of the lane's items, one sum per warp; int32",
           warp_reduce, WARP_THREADS_PER_BLOCK, (I32, I32), _setup_warp_reduce, 28),
    Family("warp_scan", "WarpLoad (transpose) -> thread prefix -> WarpScan::ExclusiveSum -> WarpStore (transpose), "
           "an inclusive scan per warp tile; int32", warp_scan, WARP_THREADS_PER_BLOCK, (I32, I32),
           _setup_warp_scan, 28),
)}


# --------------------------------------------------------------------------- running one family


def _host_us(launch, count=50) -> float:
    cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(count):
        launch()
    us = (time.perf_counter() - t0) / count * 1e6
    cuda.synchronize()
    return us


def run_family(fam: Family, cpp_kernel, a, dev) -> dict:
    log2n = max(fam.log2n - a.shrink, 12)
    note(f"{fam.name}: inputs (2^{log2n}), first launches (compile), NumPy checks of both sides")
    case = fam.setup(log2n, np.random.default_rng(0), dev.MULTIPROCESSOR_COUNT)
    sides = {"coop": cuda.jit(fam.kernel), "coop_launch_bounds": cuda.jit(launch_bounds=fam.threads)(fam.kernel)}
    args = {s: list(case.args) for s in (*sides, "cuda_cpp_cub")}
    for s in args:  # each side writes its own outputs (copies of the initial ones)
        for i in case.outputs:
            args[s][i] = cuda.device_array_like(case.args[i])
            args[s][i].copy_to_device(case.args[i])
    launches = {s: (lambda k=k, s=s: k[case.grid, fam.threads](*args[s])) for s, k in sides.items()}
    launches["cuda_cpp_cub"] = cpp_launch(cpp_kernel, case.grid, fam.threads, args["cuda_cpp_cub"])
    first_s = {}
    for s, launch in launches.items():
        t0 = time.perf_counter()
        launch()
        cuda.synchronize()
        first_s[s] = time.perf_counter() - t0
        case.check([args[s][i].copy_to_host() for i in case.outputs])
    host_us = {s: _host_us(launch) for s, launch in launches.items()}
    times = {s: [] for s in launches}
    order = list(launches)
    for r in range(a.rounds):
        for s in order[r % len(order):] + order[:r % len(order)]:  # each side goes first in turn
            times[s] += time_launches(launches[s], a.reps, a.batch)
    med = {s: statistics.median(v) for s, v in times.items()}
    cpp = med["cuda_cpp_cub"]
    regs = {s: one(k.get_regs_per_thread()) for s, k in sides.items()}
    smem = {s: one(k.get_shared_mem_per_block()) for s, k in sides.items()}
    regs["cuda_cpp_cub"], smem["cuda_cpp_cub"] = cpp_usage(cpp_kernel, dev.id)
    entry = {
        "family": fam.name, "description": fam.description,
        "cuda_cpp_cub_ms": cpp, "coop_ms": med["coop"], "ratio": med["coop"] / cpp,
        "coop_launch_bounds_ms": med["coop_launch_bounds"], "ratio_launch_bounds": med["coop_launch_bounds"] / cpp,
        "regs": regs, "smem": smem, "sizes": {**case.sizes, "grid": case.grid}, "bytes_per_launch": case.nbytes,
        "TBps": {s: case.nbytes / m / 1e9 for s, m in med.items()},
        "rounds_ms": {s: [statistics.median(v[i:i + a.reps]) for i in range(0, len(v), a.reps)] for s, v in times.items()},
        "host_us_per_launch": host_us, "first_launch_s": first_s, "checked_against_numpy": True,
    }
    slow = [s for s in med if host_us[s] / 1e3 > 0.5 * med[s]]
    if slow:  # queuing a launch takes the host about as long as the GPU takes to run it
        entry["warning"] = f"host time per launch over half the device time ({', '.join(slow)}): batches may not hide it"
    note(f"{fam.name}: coop {med['coop']:.4f} ms, C++/CUB {cpp:.4f} ms ({med['coop'] / cpp:.3f}x), "
         f"coop + launch_bounds {med['coop_launch_bounds']:.4f} ms; registers {regs}, shared {smem}")
    return entry



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated families: " + ",".join(FAMILIES))
    ap.add_argument("--reps", type=int, default=15, help="batches per round")
    ap.add_argument("--batch", type=int, default=10, help="launches per batch (between two events)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each side going first in turn")
    ap.add_argument("--shrink", type=int, default=0, help="divide every size by 2**SHRINK (quick runs)")
    ap.add_argument("--json")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        ap.error(f"unknown famil{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    work = Path(os.environ.get("OUT", "/tmp"))
    note("building the C++ references (benchmarks/families_cub.cu) with nvcc to a cubin")
    cubin, _ = build_reference(work, "families_cub.cu", SIZES)
    dev = cuda.get_current_device()
    cpp = load_kernels(cubin, FAMILIES)
    results, failed = [], []
    for name in names:
        try:
            results.append(run_family(FAMILIES[name], cpp[name], a, dev))
        except Exception as exc:  # one family failing (a wrong result included) does not lose the others
            note(f"{name}: FAILED: {type(exc).__name__}: {exc}")
            results.append({"family": name, "description": FAMILIES[name].description,
                            "error": f"{type(exc).__name__}: {exc}"[:2000]})
            failed.append(name)
    out = {
        "device": device_name(), "date": time.strftime("%Y-%m-%d"),
        "timing": f"CUDA events around batches of {a.batch} launches (2 untimed launches first), {a.reps} batches "
                  f"per round, {a.rounds} rounds, median; C++ launched from Python on the same stream",
        "shared_ptr32": shared_ptr32(), "shrink": a.shrink, "families": results,
    }
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    note("done: " + "; ".join(f"{r['family']} {r['ratio']:.3f}x" if "ratio" in r else f"{r['family']} FAILED"
                              for r in results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
