"""GPU throughput: BlockLoad -> BlockScan::ExclusiveSum -> BlockStore, numba + cub_bindings vs CUDA C++/CUB.

    bash scripts/gpu_bench.sh            # on the device machine (see the script)

One tile of BLOCK*ITEMS int32 per thread block over 2^28 int32 (1 GiB in, 1 GiB out).
The C++ reference (benchmarks/pipeline_cub.cu) is built with nvcc against the same CCCL
headers in the same run, loaded as a cubin and launched from Python. Both sides (and a
device-to-device copy of the same size, for context) are timed by ``harness.time_launches``:
CUDA events around batches of launches after untimed ones, rounds alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import cuda

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import cub_bindings as cb  # noqa: E402
from _progress import note  # noqa: E402
from harness import (build_reference, cpp_launch, device_name, load_kernels, one, shared_ptr32,  # noqa: E402
                     time_launches)




BLOCK, ITEMS = 256, 8


def pipeline_body(d_in, d_out):
    offset = cuda.blockIdx.x * (BLOCK * ITEMS)
    items = cb.local_array(ITEMS, numba.int32)
    cb.BlockLoad(np.int32, BLOCK, ITEMS, cb.BLOCK_LOAD_WARP_TRANSPOSE).Load(d_in[offset:], items)
    cuda.syncthreads()
    cb.BlockScan(np.int32, BLOCK, cb.BLOCK_SCAN_WARP_SCANS).ExclusiveSum(items, items)
    cuda.syncthreads()
    cb.BlockStore(np.int32, BLOCK, ITEMS, cb.BLOCK_STORE_WARP_TRANSPOSE).Store(d_out[offset:], items)


def pipeline_advance_body(d_in, d_out):
    """``pipeline_body`` with ``cb.advance(d, offset)`` (C++'s ``d + offset``) for the slices."""
    offset = cuda.blockIdx.x * (BLOCK * ITEMS)
    items = cb.local_array(ITEMS, numba.int32)
    cb.BlockLoad(np.int32, BLOCK, ITEMS, cb.BLOCK_LOAD_WARP_TRANSPOSE).Load(cb.advance(d_in, offset), items)
    cuda.syncthreads()
    cb.BlockScan(np.int32, BLOCK, cb.BLOCK_SCAN_WARP_SCANS).ExclusiveSum(items, items)
    cuda.syncthreads()
    cb.BlockStore(np.int32, BLOCK, ITEMS, cb.BLOCK_STORE_WARP_TRANSPOSE).Store(cb.advance(d_out, offset), items)


BL = cb.BlockLoad(np.int32, BLOCK, ITEMS, cb.BLOCK_LOAD_WARP_TRANSPOSE)
BS = cb.BlockScan(np.int32, BLOCK, cb.BLOCK_SCAN_WARP_SCANS)
BT = cb.BlockStore(np.int32, BLOCK, ITEMS, cb.BLOCK_STORE_WARP_TRANSPOSE)
NBYTES = max(s.temp_storage_bytes for s in (BL, BS, BT))  # one NVRTC query, cached


def pipeline_shared_body(d_in, d_out):
    """As the C++ kernel: the three TempStorages share one shared-memory buffer."""
    buf = cb.shared_array(NBYTES, np.uint8, alignment=16)
    offset = cuda.blockIdx.x * (BLOCK * ITEMS)
    items = cb.local_array(ITEMS, numba.int32)
    BL(BL.TempStorage(buf)).Load(d_in[offset:], items)
    cuda.syncthreads()
    BS(BS.TempStorage(buf)).ExclusiveSum(items, items)
    cuda.syncthreads()
    BT(BT.TempStorage(buf)).Store(d_out[offset:], items)


pipeline = cuda.jit(pipeline_body)
pipeline_shared = cuda.jit(pipeline_shared_body)
pipeline_advance = cuda.jit(pipeline_advance_body)
# the C++ kernel declares __launch_bounds__(BLOCK); numba-cuda 0.30 can say the same
pipeline_lb = cuda.jit(launch_bounds=BLOCK)(pipeline_body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log2n", type=int, default=28)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3, help="alternate numba / C++ this many times")
    ap.add_argument("--json")
    args = ap.parse_args()
    n = 1 << args.log2n
    work = Path(os.environ.get("OUT", "/tmp"))
    note("building the C++ reference (benchmarks/pipeline_cub.cu) with nvcc")
    cubin, cpp_usage = build_reference(work, "pipeline_cub.cu", {"BLOCK": BLOCK, "ITEMS": ITEMS})
    cpp_kernel = load_kernels(cubin, ["pipeline"])["pipeline"]

    note(f"first launch over 2^{args.log2n} int32 (compiles the numba kernel), checked against numpy")
    h = np.random.default_rng(0).integers(-100, 100, n, dtype=np.int32)
    d_in, d_out = cuda.to_device(h), cuda.device_array(n, np.int32)
    blocks = n // (BLOCK * ITEMS)
    t0 = time.perf_counter()
    pipeline[blocks, BLOCK](d_in, d_out)
    cuda.synchronize()
    first_launch_s = time.perf_counter() - t0
    check = 1 << 20
    tiles = h[:check].reshape(-1, BLOCK * ITEMS)
    np.testing.assert_array_equal(d_out[:check].copy_to_host().reshape(tiles.shape), np.cumsum(tiles, 1) - tiles)

    d_copy = cuda.device_array(n, np.int32)
    pipeline_shared[blocks, BLOCK](d_in, d_copy)
    np.testing.assert_array_equal(d_copy[:check].copy_to_host(), d_out[:check].copy_to_host())
    pipeline_advance[blocks, BLOCK](d_in, d_copy)
    np.testing.assert_array_equal(d_copy[:check].copy_to_host(), d_out[:check].copy_to_host())
    d_cpp = cuda.device_array(n, np.int32)
    cpp = cpp_launch(cpp_kernel, blocks, BLOCK, [d_in, d_cpp])
    cpp()
    np.testing.assert_array_equal(d_cpp.copy_to_host(), d_out.copy_to_host())
    numba_ms, numba_lb_ms, numba_sh_ms, numba_adv_ms, cub_ms, copy_ms = [], [], [], [], [], []
    for i in range(args.rounds):
        note(f"round {i + 1}/{args.rounds}: {args.reps} batches of launches each of numba, numba + launch_bounds, "
             "numba with one shared buffer, numba with cb.advance, C++/CUB, and a device copy")
        numba_ms += time_launches(lambda: pipeline[blocks, BLOCK](d_in, d_out), args.reps)
        numba_lb_ms += time_launches(lambda: pipeline_lb[blocks, BLOCK](d_in, d_out), args.reps)
        numba_sh_ms += time_launches(lambda: pipeline_shared[blocks, BLOCK](d_in, d_out), args.reps)
        numba_adv_ms += time_launches(lambda: pipeline_advance[blocks, BLOCK](d_in, d_out), args.reps)
        cub_ms += time_launches(cpp, args.reps)
        copy_ms += time_launches(lambda: d_copy.copy_to_device(d_in), args.reps)
    nbytes = 2 * n * 4
    med = {k: statistics.median(v) for k, v in (("numba", numba_ms), ("numba_lb", numba_lb_ms), ("numba_shared", numba_sh_ms), ("numba_advance", numba_adv_ms), ("cub", cub_ms), ("copy", copy_ms))}
    result = {
        "device": device_name(), "timing": "harness.time_launches: CUDA events around batches after untimed launches, both sides launched from Python",
        "n": n, "block": BLOCK, "items_per_thread": ITEMS,
        "numba_cub_bindings_ms": med["numba"], "numba_launch_bounds_ms": med["numba_lb"],
        "cuda_cpp_cub_ms": med["cub"], "d2d_copy_ms": med["copy"],
        "numba_TBps": nbytes / med["numba"] / 1e9, "numba_launch_bounds_TBps": nbytes / med["numba_lb"] / 1e9, "cub_TBps": nbytes / med["cub"] / 1e9, "copy_TBps": nbytes / med["copy"] / 1e9,
        "ratio_numba_over_cub_time": med["numba"] / med["cub"],
        "ratio_numba_launch_bounds_over_cub_time": med["numba_lb"] / med["cub"],
        "numba_shared_buffer_ms": med["numba_shared"], "numba_shared_buffer_TBps": nbytes / med["numba_shared"] / 1e9,
        "ratio_numba_shared_buffer_over_cub_time": med["numba_shared"] / med["cub"],
        "numba_advance_ms": med["numba_advance"], "ratio_numba_advance_over_cub_time": med["numba_advance"] / med["cub"],
        "cpp_ptxas_usage": cpp_usage,
        "registers": {"numba": one(pipeline.get_regs_per_thread()), "numba_launch_bounds": one(pipeline_lb.get_regs_per_thread()),
                      "numba_advance": one(pipeline_advance.get_regs_per_thread())},
        "shared_bytes": {"numba": one(pipeline.get_shared_mem_per_block()), "numba_launch_bounds": one(pipeline_lb.get_shared_mem_per_block()),
                         "numba_shared_buffer": one(pipeline_shared.get_shared_mem_per_block())},
        "first_launch_s (compile incl.)": first_launch_s,
        "date": time.strftime("%Y-%m-%d"), "shared_ptr32": shared_ptr32(), "python": platform.python_version(), "numba_cuda": numba.cuda.__version__ if hasattr(numba.cuda, "__version__") else "",
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    note(f"done: numba + cub_bindings {med['numba']:.3f} ms vs C++/CUB {med['cub']:.3f} ms "
         f"({med['numba'] / med['cub']:.2f}x time), device copy {med['copy']:.3f} ms")


if __name__ == "__main__":
    main()
