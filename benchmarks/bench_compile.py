"""Compile time of a kernel using BlockLoad + BlockScan + BlockStore, against the same body without CUB.

    .venv/bin/python benchmarks/bench_compile.py [--repeat 5]

Each measurement runs in a fresh interpreter (imports excluded from the timing) and
builds the kernel to an sm_90 cubin without a GPU (numba -> LTOIR, shims -> NVRTC LTOIR,
nvJitLink). Modes:
  cold   empty cub-coop cache: the shims need one NVRTC call
  warm   cache filled by an earlier process: no NVRTC call
  plain  the same load/scan/store written in plain numba (no CUB, no NVRTC)
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _progress import note  # noqa: E402

CHILD = r'''
import os, sys, time, json
sys.path.insert(0, {root!r})
import numba, numpy as np
from numba import cuda, types
import cub_bindings as cb
from cub_bindings.inspect import build_kernel
B, I = 128, 4

def with_cub(d_in, d_out):
    off = cuda.blockIdx.x * B * I
    items = cb.local_array(I, numba.int32)
    cb.BlockLoad(np.int32, B, I, cb.BLOCK_LOAD_WARP_TRANSPOSE).Load(d_in[off:], items)
    cb.BlockScan(np.int32, B).ExclusiveSum(items, items)
    cb.BlockStore(np.int32, B, I, cb.BLOCK_STORE_WARP_TRANSPOSE).Store(d_out[off:], items)

def plain(d_in, d_out):
    off = cuda.blockIdx.x * B * I
    items = cuda.local.array(I, numba.int32)
    sm = cuda.shared.array(B, numba.int32)
    t = cuda.threadIdx.x
    s = 0
    for j in range(I):
        items[j] = d_in[off + t * I + j]
        s += items[j]
    sm[t] = s
    cuda.syncthreads()
    k = 1
    while k < B:
        v = sm[t - k] if t >= k else 0
        cuda.syncthreads()
        sm[t] += v
        cuda.syncthreads()
        k *= 2
    run = sm[t] - s
    for j in range(I):
        d_out[off + t * I + j] = run
        run += items[j]

fn = with_cub if sys.argv[1] != "plain" else plain
arr = types.Array(types.int32, 1, "C")
t0 = time.perf_counter()
b = build_kernel(fn, (arr, arr))
cubin = b.cubin
print(json.dumps({{"seconds": time.perf_counter() - t0, "nvrtc": cb.nvrtc_compile_count()}}))
'''


_NVRTC_LOG = re.compile(r"cub-coop: NVRTC compile \w+ ([0-9.]+) s")


def run(mode: str, cache: str) -> dict:
    """One build in a fresh interpreter: its seconds, NVRTC calls and each call's own seconds
    (from the compile service's ``CUB_COOP_NVRTC_LOG`` lines)."""
    code = CHILD.format(root=str(ROOT))
    env = dict(__import__("os").environ, CUB_COOP_CACHE_DIR=cache, CUB_COOP_NVRTC_LOG="1")
    out = subprocess.run([sys.executable, "-c", code, mode], env=env, check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["nvrtc_seconds"] = [float(m) for m in _NVRTC_LOG.findall(out.stderr)]
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="also write the summary here")
    args = ap.parse_args()
    res = {"cold": [], "warm": [], "plain": []}
    for i in range(args.repeat):
        note(f"round {i + 1}/{args.repeat}: cold, warm and plain builds, each in a fresh interpreter")
        with tempfile.TemporaryDirectory() as cache:
            res["cold"].append(run("cub", cache))
            res["warm"].append(run("cub", cache))
        res["plain"].append(run("plain", tempfile.gettempdir()))
    summary = {k: {"median_s": statistics.median(r["seconds"] for r in v), "nvrtc_calls": sorted({r["nvrtc"] for r in v})}
               for k, v in res.items()}
    summary["warm_over_plain"] = summary["warm"]["median_s"] / summary["plain"]["median_s"]
    calls = [t for r in res["cold"] for t in r["nvrtc_seconds"]]
    summary["cold"]["nvrtc_call_seconds"] = calls
    summary["cold"]["nvrtc_call_median_s"] = statistics.median(calls) if calls else None
    summary["machine"] = f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}".strip()
    summary["date"] = time.strftime("%Y-%m-%d")
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    note(f"done: cold {summary['cold']['median_s']:.2f} s (its NVRTC call {summary['cold']['nvrtc_call_median_s']} s), warm {summary['warm']['median_s']:.2f} s, "
         f"plain {summary['plain']['median_s']:.2f} s (medians of {args.repeat})")


if __name__ == "__main__":
    main()
