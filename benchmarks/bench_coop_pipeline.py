"""GPU throughput of the coop example (examples/grid_stride_scan.py) vs the same kernel in CUDA C++/CUB.

    bash scripts/gpu_bench.sh            # on the device machine (see the script)

Grid-stride load (WARP_TRANSPOSE) -> exclusive sum (WARP_SCANS) -> store over 2^28 int32,
256 threads x 8 items, the same grid for both. The C++ kernel (benchmarks/coop_pipeline_cub.cu)
is built with nvcc against the same CCCL headers in the same run, loaded as a cubin and
launched from Python. Both (and a device-to-device copy of the same size, for context) are
timed by ``harness.time_launches``: CUDA events around batches of launches after untimed
ones (so host launch overhead does not count), alternating rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numba import cuda

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(ROOT / "benchmarks")]

from _progress import note  # noqa: E402



from harness import (build_reference, cpp_launch, device_name, load_kernels, one, shared_ptr32,  # noqa: E402
                     time_launches)
from grid_stride_scan import scan_tiles  # noqa: E402

BLOCK, ITEMS = 256, 8


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log2n", type=int, default=28)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    n = 1 << args.log2n
    work = Path(os.environ.get("OUT", "/tmp"))
    note("building the C++ reference (benchmarks/coop_pipeline_cub.cu) with nvcc")
    cubin, cpp_usage = build_reference(work, "coop_pipeline_cub.cu", {"BLOCK": BLOCK, "ITEMS": ITEMS})
    cpp_kernel = load_kernels(cubin, ["scan_tiles"])["scan_tiles"]
    dev = cuda.get_current_device()
    blocks = dev.MULTIPROCESSOR_COUNT * (2048 // BLOCK)

    note(f"first launch over 2^{args.log2n} int32, {blocks} blocks (compiles the coop kernel), checked against numpy")
    h = np.random.default_rng(0).integers(-100, 100, n, dtype=np.int32)
    d_in, d_out = cuda.to_device(h), cuda.device_array(n, np.int32)
    t0 = time.perf_counter()
    scan_tiles[blocks, BLOCK](d_in, d_out, ITEMS)
    cuda.synchronize()
    first_launch_s = time.perf_counter() - t0
    check = 1 << 22
    tiles = h[:check].reshape(-1, BLOCK * ITEMS)
    np.testing.assert_array_equal(d_out[:check].copy_to_host().reshape(tiles.shape), np.cumsum(tiles, 1) - tiles)
    t0 = time.perf_counter()
    for _ in range(100):
        scan_tiles[blocks, BLOCK](d_in, d_out, ITEMS)
    launch_us = (time.perf_counter() - t0) / 100 * 1e6  # host time per launch (queue not full yet)
    cuda.synchronize()

    d_copy = cuda.device_array(n, np.int32)
    # the C++ kernel declares __launch_bounds__(BLOCK); the same kernel with numba-cuda's launch_bounds
    scan_tiles_lb = cuda.jit(launch_bounds=BLOCK)(scan_tiles.py_func)
    d_lb = cuda.device_array(n, np.int32)
    d_cpp = cuda.device_array(n, np.int32)
    cpp = cpp_launch(cpp_kernel, blocks, BLOCK, [d_in, d_cpp, n])
    cpp()
    np.testing.assert_array_equal(d_cpp.copy_to_host(), d_out.copy_to_host())
    coop_ms, coop_lb_ms, cub_ms, copy_ms = [], [], [], []
    for i in range(args.rounds):
        note(f"round {i + 1}/{args.rounds}: {args.reps} batches of {args.batch} launches each of coop, "
             "coop + launch_bounds and C++/CUB, and a device copy")
        coop_ms += time_launches(lambda: scan_tiles[blocks, BLOCK](d_in, d_out, ITEMS), args.reps, args.batch)
        coop_lb_ms += time_launches(lambda: scan_tiles_lb[blocks, BLOCK](d_in, d_lb, ITEMS), args.reps, args.batch)
        cub_ms += time_launches(cpp, args.reps, args.batch)
        copy_ms += time_launches(lambda: d_copy.copy_to_device(d_in), args.reps, args.batch)
    nbytes = 2 * n * 4
    np.testing.assert_array_equal(d_lb[:check].copy_to_host(), d_out[:check].copy_to_host())
    med = {k: statistics.median(v) for k, v in (("coop", coop_ms), ("coop_lb", coop_lb_ms), ("cub", cub_ms), ("copy", copy_ms))}
    result = {
        "device": device_name(), "n": n, "block": BLOCK, "items_per_thread": ITEMS, "grid": blocks,
        "coop_ms": med["coop"], "cuda_cpp_cub_ms": med["cub"], "d2d_copy_ms": med["copy"],
        "coop_TBps": nbytes / med["coop"] / 1e9, "cub_TBps": nbytes / med["cub"] / 1e9,
        "copy_TBps": nbytes / med["copy"] / 1e9,
        "ratio_coop_over_cub_time": med["coop"] / med["cub"],
        "coop_launch_bounds_ms": med["coop_lb"], "ratio_coop_launch_bounds_over_cub_time": med["coop_lb"] / med["cub"],
        "coop_launch_bounds_registers": one(scan_tiles_lb.get_regs_per_thread()),
        "cub_over_copy": med["copy"] / med["cub"],
        "coop_rounds_ms": coop_ms[:: args.reps], "cub_rounds_ms": cub_ms[:: args.reps],
        "cpp_ptxas_usage": cpp_usage,
        "coop_registers": one(scan_tiles.get_regs_per_thread()),
        "coop_shared_bytes": one(scan_tiles.get_shared_mem_per_block()),
        "first_launch_s (compile incl.)": first_launch_s, "host_us_per_launch": launch_us,
        "date": time.strftime("%Y-%m-%d"), "shared_ptr32": shared_ptr32(),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    note(f"done: coop {med['coop']:.3f} ms vs C++/CUB {med['cub']:.3f} ms ({med['coop'] / med['cub']:.2f}x time), "
         f"device copy {med['copy']:.3f} ms")


if __name__ == "__main__":
    main()
