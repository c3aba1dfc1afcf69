"""GPU time of the selective-scan example (examples/selective_scan.py, its four coop styles) vs the
same kernel in CUDA C++/CUB (benchmarks/selective_scan_cub.cu, built with nvcc in the same run).

    python benchmarks/bench_selective_scan.py [--json out.json]     (on the device machine)

Both sides get the same inputs (written to files the C++ program reads) and their outputs are
checked against each other and against the NumPy reference on a small case. Each is timed with
CUDA events around batches of launches, rounds alternating between the sides.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import cuda

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(ROOT / "benchmarks")]

from _progress import note  # noqa: E402


def _shared_ptr32() -> bool:
    from cub_bindings._runtime.datalayout import in_effect  # CUB_COOP_SHARED_PTR32=0 measures without

    return in_effect()


from bench_pipeline import _one, time_launches  # noqa: E402

import selective_scan as ss  # noqa: E402

THREADS, ITEMS, DSTATE = 128, 8, 4


def build(work: Path) -> tuple[Path, str]:
    nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    from cub_bindings._runtime.nvrtc_service import include_dirs

    exe = work / "selective_scan_cub"
    cmd = [nvcc, "-O3", "-Xptxas=-v", "-std=c++17", "-arch=sm_90", f"-DBLOCK={THREADS}", f"-DITEMS={ITEMS}",
           f"-DDSTATE={DSTATE}", f"-I{include_dirs()[0]}", str(ROOT / "benchmarks" / "selective_scan_cub.cu"),
           "-o", str(exe)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    usage = [ln.strip() for ln in out.stderr.splitlines() if "registers" in ln]
    return exe, usage[-1] if usage else ""


def cpp(exe: Path, work: Path, args, reps: int, batches: int) -> tuple[dict, np.ndarray]:
    u, delta, A, B, C, D = args
    for name, a in zip(("u", "delta", "A", "B", "C", "D"), args):
        a.astype(np.float32).tofile(work / f"{name}.bin")
    batch, dim, length = B.shape[0], A.shape[0], u.shape[1]
    res = json.loads(subprocess.run([str(exe), str(work), str(batch), str(dim), str(length), str(reps), str(batches)],
                                    check=True, capture_output=True, text=True).stdout)
    assert res["error"] == "no error", res
    return res, np.fromfile(work / "y_cub.bin", np.float32).reshape(u.shape)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--length", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    work = Path(os.environ.get("OUT", "/tmp")) / "selective_scan"
    work.mkdir(parents=True, exist_ok=True)
    note("building the C++ reference (benchmarks/selective_scan_cub.cu) with nvcc")
    exe, usage = build(work)

    note("checking every style and C++ against the NumPy reference on a small case")
    small = ss.inputs(batch=2, dim=3, dstate=DSTATE, length=2500, seed=1)
    ref = ss.reference(*small)
    _, y_cpp = cpp(exe, work, small, 1, 1)
    errors = {"cuda_cpp_cub": float(np.max(np.abs(y_cpp - ref) / (1 + np.abs(ref))))}
    for style in ss.STYLES:
        y = ss.run(style, THREADS, ITEMS, small)
        errors[style] = float(np.max(np.abs(y - ref) / (1 + np.abs(ref))))
    assert all(e < 1e-3 for e in errors.values()), errors

    args = ss.inputs(batch=a.batch, dim=a.dim, dstate=DSTATE, length=a.length, seed=2)
    kernels = ss.make_kernels(THREADS, ITEMS, DSTATE)
    traits = ss.make_traits(THREADS, ITEMS)
    dev = [cuda.to_device(x) for x in args]
    grid = args[0].shape[0]
    outs = {s: cuda.device_array(args[0].shape, np.float32) for s in kernels}
    launches = {s: (lambda s=s: kernels[s][grid, THREADS](*dev, outs[s], *((traits,) if s == "traits" else ())))
                for s in kernels}
    times: dict = {s: [] for s in (*kernels, "cuda_cpp_cub")}
    y_cpp = None
    for r in range(a.rounds):
        note(f"round {r + 1}/{a.rounds}: {a.reps} x {a.batches} launches of each style and of C++/CUB "
             f"({a.batch}x{a.dim} channels x {a.length} steps, dstate {DSTATE})")
        for s, launch in launches.items():
            times[s] += time_launches(launch, a.reps, a.batches)
        res, y_cpp = cpp(exe, work, args, a.reps, a.batches)
        times["cuda_cpp_cub"].append(res["median_ms"])
    for s in kernels:
        np.testing.assert_allclose(outs[s].copy_to_host(), y_cpp, rtol=1e-3, atol=1e-3)
    med = {s: statistics.median(v) for s, v in times.items()}
    dev_ = cuda.get_current_device()
    result = {
        "device": dev_.name.decode() if isinstance(dev_.name, bytes) else dev_.name,
        "batch": a.batch, "dim": a.dim, "length": a.length, "dstate": DSTATE, "threads": THREADS, "items": ITEMS,
        **{f"{s}_ms": v for s, v in med.items()},
        **{f"ratio_{s}_over_cub_time": med[s] / med["cuda_cpp_cub"] for s in kernels},
        "registers": {s: _one(k.get_regs_per_thread()) for s, k in kernels.items()},
        "shared_bytes": {s: _one(k.get_shared_mem_per_block()) for s, k in kernels.items()},
        "traits_temp_storage_bytes_max": traits.temp_storage_bytes_max,
        "cpp_ptxas_usage": usage, "max_relative_error_vs_numpy": errors, "date": time.strftime("%Y-%m-%d"), "shared_ptr32": _shared_ptr32(),
    }
    print(json.dumps(result, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    note("done: " + ", ".join(f"{s} {med[s]:.3f} ms ({med[s] / med['cuda_cpp_cub']:.2f}x)" for s in kernels)
         + f"; C++/CUB {med['cuda_cpp_cub']:.3f} ms")


if __name__ == "__main__":
    main()
