"""GPU time of the selective-scan example (examples/selective_scan.py, its five coop styles) vs the
same kernel in CUDA C++/CUB (benchmarks/selective_scan_cub.cu, built with nvcc in the same run):
as CUB's documentation asks, with ``__syncthreads()`` between every two uses of the shared
TempStorage, and with ``__syncwarp()`` between its paired warp-transposing loads, the barriers
coop's ``auto_sync`` plans for the styles sharing one planned ``coop.TempStorage()``.

    python benchmarks/bench_selective_scan.py [--json out.json]     (on the device machine)

The C++ kernels are loaded from their cubin and launched from Python on the same device arrays as
the coop kernels; every side is checked against the NumPy reference on a small case and
against the others on the timed one, and all are timed by ``harness.time_launches`` (CUDA
events around batches of launches after untimed ones), rounds alternating between the sides.
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
from harness import (build_reference_kernels, cpp_launch, device_name, int32, load_kernels, one, shared_ptr32,  # noqa: E402
                     time_launches)



import selective_scan as ss  # noqa: E402

THREADS, ITEMS, DSTATE = 128, 8, 4
#: the C++ kernel whose paired loads wait at __syncwarp(), as coop's auto_sync plans them in
#: the styles sharing one planned coop.TempStorage (PLANNED); the other C++ kernel waits at
#: __syncthreads() there, as CUB's documentation asks
CPP_PAIRS = "cuda_cpp_cub_warp_pairs"
PLANNED = ("temp_storage", "temp_storage_vector")


def cpp_launcher(kernel, dev: list, y) -> callable:
    """A launcher of the C++ kernel on device inputs ``dev`` (u, delta, A, B, C, D) writing ``y``."""
    u, A = dev[0], dev[2]
    return cpp_launch(kernel, u.shape[0], THREADS, [*dev, y, int32(A.shape[0]), int32(u.shape[1])])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--length", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--launches", type=int, default=10, help="launches per timed window")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    work = Path(os.environ.get("OUT", "/tmp"))
    note("building the C++ reference (benchmarks/selective_scan_cub.cu) with nvcc")
    defines = {"BLOCK": THREADS, "ITEMS": ITEMS, "DSTATE": DSTATE}
    cubin, usages = build_reference_kernels(work, "selective_scan_cub.cu", defines)
    usage, usage_pairs = usages.get("selective_scan", ""), usages.get("selective_scan_warp_pairs", "")
    cpp = load_kernels(cubin, ["selective_scan", "selective_scan_warp_pairs"])
    cpp_kernel = cpp["selective_scan"]

    note("checking every style and C++ against the NumPy reference on a small case")
    small = ss.inputs(batch=2, dim=3, dstate=DSTATE, length=2500, seed=1)
    ref = ss.reference(*small)
    small_dev = [cuda.to_device(x) for x in small]
    y_small = cuda.device_array(small[0].shape, np.float32)
    errors = {}
    for name, side in (("cuda_cpp_cub", "selective_scan"), (CPP_PAIRS, "selective_scan_warp_pairs")):
        cpp_launcher(cpp[side], small_dev, y_small)()
        errors[name] = float(np.max(np.abs(y_small.copy_to_host() - ref) / (1 + np.abs(ref))))
    for style in ss.STYLES:
        y = ss.run(style, THREADS, ITEMS, small)
        errors[style] = float(np.max(np.abs(y - ref) / (1 + np.abs(ref))))
    assert all(e < 1e-3 for e in errors.values()), errors

    args = ss.inputs(batch=a.batch, dim=a.dim, dstate=DSTATE, length=a.length, seed=2)
    kernels = ss.make_kernels(THREADS, ITEMS, DSTATE)
    traits = ss.make_traits(THREADS, ITEMS)
    dev = [cuda.to_device(x) for x in args]
    grid = args[0].shape[0]
    outs = {s: cuda.device_array(args[0].shape, np.float32) for s in (*kernels, "cuda_cpp_cub", CPP_PAIRS)}
    launches = {s: (lambda s=s: kernels[s][grid, THREADS](*dev, outs[s], *((traits,) if s == "traits" else ())))
                for s in kernels}
    launches["cuda_cpp_cub"] = cpp_launcher(cpp_kernel, dev, outs["cuda_cpp_cub"])
    launches[CPP_PAIRS] = cpp_launcher(cpp["selective_scan_warp_pairs"], dev, outs[CPP_PAIRS])
    times: dict = {s: [] for s in launches}
    for r in range(a.rounds):
        note(f"round {r + 1}/{a.rounds}: {a.reps} x {a.launches} launches of each style and of C++/CUB "
             f"({a.batch}x{a.dim} channels x {a.length} steps, dstate {DSTATE})")
        for s, launch in launches.items():
            times[s] += time_launches(launch, a.reps, a.launches)
    y_cpp = outs["cuda_cpp_cub"].copy_to_host()
    for s in (*kernels, CPP_PAIRS):
        np.testing.assert_allclose(outs[s].copy_to_host(), y_cpp, rtol=1e-3, atol=1e-3)
    med = {s: statistics.median(v) for s, v in times.items()}
    result = {
        "device": device_name(),
        "batch": a.batch, "dim": a.dim, "length": a.length, "dstate": DSTATE, "threads": THREADS, "items": ITEMS,
        **{f"{s}_ms": v for s, v in med.items()},
        **{f"ratio_{s}_over_cub_time": med[s] / med["cuda_cpp_cub"] for s in kernels},
        **{f"ratio_{s}_over_{CPP_PAIRS}_time": med[s] / med[CPP_PAIRS] for s in PLANNED},
        "registers": {s: one(k.get_regs_per_thread()) for s, k in kernels.items()},
        "shared_bytes": {s: one(k.get_shared_mem_per_block()) for s, k in kernels.items()},
        "traits_temp_storage_bytes_max": traits.temp_storage_bytes_max,
        "cpp_ptxas_usage": usage, "cpp_warp_pairs_ptxas_usage": usage_pairs, "max_relative_error_vs_numpy": errors, "date": time.strftime("%Y-%m-%d"), "shared_ptr32": shared_ptr32(),
    }
    print(json.dumps(result, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    note("done: " + ", ".join(f"{s} {med[s]:.3f} ms ({med[s] / med['cuda_cpp_cub']:.2f}x)" for s in kernels)
         + f"; C++/CUB {med['cuda_cpp_cub']:.3f} ms, with __syncwarp() pairs {med[CPP_PAIRS]:.3f} ms")


if __name__ == "__main__":
    main()
