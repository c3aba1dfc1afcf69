"""Host cost of launching coop kernels vs a plain numba-cuda kernel (issue 13, items 2, 3, 5).

    python benchmarks/bench_host.py [--json out.json]        # on the GPU machine

Every kernel takes the same arguments ``(d_in, d_out, n)``: two device arrays and an int.

1. Per-launch host time, ``k[grid, block](d_in, d_out, 4)`` in a loop (batches of
   launches, synchronised between batches, kernels interleaved per round; median):
   a plain kernel, a coop kernel with a literal items per thread, one whose items per
   thread is the int argument, and the grid-stride example (``examples/grid_stride_scan.py``).
   Target: each coop row <= 1.1x the plain kernel.
2. Relaunch at 10 new grid sizes after a first launch: the time of each launch and the
   kernels compiled (a coop kernel used to compile one per grid size, ~150 ms each).
   Target: no compile; the time of the plain kernel's relaunches.
3. A second process (``cache=True``, ``NUMBA_CACHE_DIR`` in a temporary folder): one
   process compiles and caches; fresh processes, each warmed up with an unrelated kernel,
   time the first launch (and synchronise) of the cached plain kernel, of the cached coop
   kernel whose items per thread is an argument (typed as a literal: a kernel and a
   per-value table per value), and of the cached coop kernel with a constant items per
   thread, at another grid size than the one cached. Target: coop <= 1.2x plain, nothing
   compiled, 0 NVRTC calls (``ratio``: the argument kernel; ``coop_literal_ratio``: the
   constant one).

Prints a table (stderr) and a JSON of every figure (stdout, and ``--json``).
``--fake-gpu``: a CPU smoke run of this script (numba-cuda's launch path without a GPU,
``tests/test_coop_launch.py``'s ``fake_gpu``): checks the script, not the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import cuda

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(ROOT / "benchmarks")]

import coop  # noqa: E402
from grid_stride_scan import scan_tiles  # noqa: E402

BLOCK, ITEMS, GRID = 128, 4, 16
N = 1 << 16  # room for GRID + 10 + 1 tiles of BLOCK * ITEMS
NEW_GRIDS = list(range(GRID + 1, GRID + 11))


def plain(d_in, d_out, n):
    i = cuda.grid(1)
    if i < d_in.size:
        d_out[i] = d_in[i] + n


def coop_literal(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    base = cuda.blockIdx.x * cuda.blockDim.x * 4
    coop.block.load(d_in[base:], items)
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out[base:], items)


def coop_ipt_arg(d_in, d_out, items_per_thread):
    items = coop.local.array(items_per_thread, d_in.dtype)
    base = cuda.blockIdx.x * cuda.blockDim.x * items_per_thread
    coop.block.load(d_in[base:], items)
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out[base:], items)


def warm_up(d_in, d_out, n):  # compiled (not cached) in each timing process before the clock starts
    i = cuda.grid(1)
    if i < d_in.size:
        d_out[i] = d_in[i] * n


cached_plain = cuda.jit(cache=True)(plain)
cached_coop = cuda.jit(cache=True)(coop_ipt_arg)
cached_coop_literal = cuda.jit(cache=True)(coop_literal)
CACHED = {"plain": cached_plain, "coop": cached_coop, "coop_literal": cached_coop_literal}

KERNELS = {"plain": plain, "coop_literal_ipt": coop_literal, "coop_ipt_argument": coop_ipt_arg,
           "example_scan_tiles": scan_tiles.py_func}


def note(msg: str) -> None:
    print(f"bench_host: {msg}", file=sys.stderr, flush=True)


def compiled_kernels(disp) -> int:
    """Kernels a dispatcher holds, its launch-configuration specializations' included."""
    return len(disp.overloads) + sum(len(s.overloads) for s in disp._launch_config_specializations.values())


def per_launch(jitted: dict, d_in, d_out, rounds: int, batch: int) -> dict:
    """Median (and min) microseconds of host time per launch; kernels interleaved per round."""
    times = {name: [] for name in jitted}
    for k in jitted.values():
        k[GRID, BLOCK](d_in, d_out, ITEMS)
    cuda.synchronize()
    for _ in range(rounds):
        for name, k in jitted.items():
            t0 = time.perf_counter()
            for _ in range(batch):
                k[GRID, BLOCK](d_in, d_out, ITEMS)
            t1 = time.perf_counter()
            cuda.synchronize()
            times[name].append((t1 - t0) / batch * 1e6)
    return {name: {"median_us": statistics.median(t), "min_us": min(t)} for name, t in times.items()}


def new_grids(pyfuncs: dict, d_in, d_out) -> dict:
    """Fresh dispatchers: a first launch at GRID, then one launch at each of 10 new grid sizes."""
    out = {}
    for name, fn in pyfuncs.items():
        k = cuda.jit(fn)
        k[GRID, BLOCK](d_in, d_out, ITEMS)
        cuda.synchronize()
        before = compiled_kernels(k)
        ms = []
        for g in NEW_GRIDS:
            t0 = time.perf_counter()
            k[g, BLOCK](d_in, d_out, ITEMS)
            ms.append((time.perf_counter() - t0) * 1e3)
            cuda.synchronize()
        out[name] = {"ms_each": ms, "total_ms": sum(ms), "kernels_compiled": compiled_kernels(k) - before}
    return out


def check(d_in, d_out, grids) -> None:
    """coop_ipt_arg's result, per tile of BLOCK * ITEMS: an exclusive prefix sum."""
    k = cuda.jit(coop_ipt_arg)
    h = np.random.default_rng(0).integers(-100, 100, N, dtype=np.int32)
    d = cuda.to_device(h)
    for g in grids:
        k[g, BLOCK](d, d_out, ITEMS)
        tiles = h[: g * BLOCK * ITEMS].reshape(g, -1)
        got = d_out.copy_to_host()[: g * BLOCK * ITEMS].reshape(g, -1)
        np.testing.assert_array_equal(got, np.cumsum(tiles, 1) - tiles, err_msg=f"grid {g}")


# --------------------------------------------------------------------------- the second process


def child(mode: str, fake: bool) -> None:
    """One fresh process: ``prepare`` compiles and caches both kernels at GRID; ``plain`` /
    ``coop`` time the first launch of one cached kernel at another grid size."""
    from cub_bindings._runtime.nvrtc_service import nvrtc_compile_count

    with _gpu(fake):
        d_in, d_out = cuda.to_device(np.ones(N, np.int32)), cuda.device_array(N, np.int32)
        if mode == "prepare":
            for k in CACHED.values():
                k[GRID, BLOCK](d_in, d_out, ITEMS)
            cuda.synchronize()
            from cub_bindings._runtime.kernel_cache import fingerprint

            print("RESULT" + json.dumps({"nvrtc": nvrtc_compile_count(), "fingerprint": fingerprint()}))
            return
        w = cuda.jit(warm_up)  # CUDA context, numba's typing and codegen warmed up, not cached
        w[GRID, BLOCK](d_in, d_out, ITEMS)
        cuda.synchronize()
        k = CACHED[mode]
        t0 = time.perf_counter()
        k[GRID + 5, BLOCK](d_in, d_out, ITEMS)
        cuda.synchronize()
        seconds = time.perf_counter() - t0
        disps = [k, *k._launch_config_specializations.values()]
        from cub_bindings._runtime.kernel_cache import fingerprint

        print("RESULT" + json.dumps({
            "first_launch_ms": seconds * 1e3, "nvrtc": nvrtc_compile_count(), "fingerprint": fingerprint(),
            "cache_hits": sum(sum(d._cache_hits.values()) for d in disps),
            "cache_misses": sum(sum(d._cache_misses.values()) for d in disps)}))


def _run_child(mode: str, cache_dir: str, fake: bool) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    cmd = [sys.executable, __file__, "--child", mode] + (["--fake-gpu"] if fake else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"bench_host: child {mode} failed:\n{proc.stderr[-4000:]}")
    return json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))[6:])


def second_process(repeats: int, fake: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_host_cache_") as cache_dir:
        prepared = _run_child("prepare", cache_dir, fake)
        runs = {mode: [] for mode in CACHED}
        for _ in range(repeats):  # alternating, each in a fresh process
            for mode in runs:
                runs[mode].append(_run_child(mode, cache_dir, fake))
    med = {m: statistics.median(r["first_launch_ms"] for r in rs) for m, rs in runs.items()}
    fastest = {m: min(r["first_launch_ms"] for r in rs) for m, rs in runs.items()}
    # each repeat's processes ran one after the other: the median of their ratios cancels the
    # host's slower and faster spells (the same plain kernel's first launch spans 1.2-2.0 ms)
    paired = {m: statistics.median(r["first_launch_ms"] / p["first_launch_ms"] for r, p in zip(rs, runs["plain"]))
              for m, rs in runs.items()}
    return {
        "plain_first_launch_ms": [r["first_launch_ms"] for r in runs["plain"]],
        "coop_first_launch_ms": [r["first_launch_ms"] for r in runs["coop"]],
        "plain_median_ms": med["plain"], "coop_median_ms": med["coop"], "ratio": med["coop"] / med["plain"],
        # one launch per process on a shared host: the spread between processes is wide, so
        # the fastest of each side is reported beside the medians the targets use
        "plain_min_ms": fastest["plain"], "coop_min_ms": fastest["coop"],
        "ratio_of_minima": fastest["coop"] / fastest["plain"], "paired_ratio_median": paired["coop"],
        "coop_nvrtc_calls": max(r["nvrtc"] for r in runs["coop"]),
        "coop_cache_misses": max(r["cache_misses"] for r in runs["coop"]),
        "plain_cache_misses": max(r["cache_misses"] for r in runs["plain"]),
        "prepare_nvrtc_calls": prepared["nvrtc"],
        # the same for a coop kernel whose items per thread is a constant (no per-value table)
        "coop_literal_first_launch_ms": [r["first_launch_ms"] for r in runs["coop_literal"]],
        "coop_literal_median_ms": med["coop_literal"], "coop_literal_ratio": med["coop_literal"] / med["plain"],
        "coop_literal_ratio_of_minima": fastest["coop_literal"] / fastest["plain"],
        "coop_literal_paired_ratio_median": paired["coop_literal"],
        "coop_literal_nvrtc_calls": max(r["nvrtc"] for r in runs["coop_literal"]),
        "coop_literal_cache_misses": max(r["cache_misses"] for r in runs["coop_literal"]),
        # cub-coop's sources changed between processes (an edit during the run): misses expected
        "sources_changed": any(r["fingerprint"] != prepared["fingerprint"] for rs in runs.values() for r in rs),
    }


# --------------------------------------------------------------------------- main


class _gpu:
    """The real GPU, or (``--fake-gpu``) numba-cuda's launch path without one."""

    def __init__(self, fake: bool):
        self.fake, self._cm = fake, None

    def __enter__(self):
        if self.fake:
            sys.path.insert(0, str(ROOT / "tests"))
            from test_coop_launch import fake_gpu

            cuda.to_device = lambda a: np.ascontiguousarray(a)
            cuda.device_array = lambda n, dtype=np.float64: np.zeros(n, dtype)
            cuda.synchronize = lambda: None
            self._cm = fake_gpu(link=True)
            self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        if self._cm is not None:
            self._cm.__exit__(*exc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=15, help="fresh processes per kernel for the cached first launch")
    ap.add_argument("--json")
    ap.add_argument("--fake-gpu", action="store_true")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.fake_gpu)
        return
    with _gpu(args.fake_gpu):
        d_in, d_out = cuda.to_device(np.ones(N, np.int32)), cuda.device_array(N, np.int32)
        if not args.fake_gpu:
            check(d_in, d_out, [GRID, *NEW_GRIDS[:2]])
        note(f"per-launch host time: {args.rounds} rounds x {args.batch} launches, grid {GRID}, block {BLOCK}")
        launch = per_launch({name: cuda.jit(fn) for name, fn in KERNELS.items()}, d_in, d_out, args.rounds, args.batch)
        note(f"relaunch at {len(NEW_GRIDS)} new grid sizes")
        grids = new_grids(KERNELS, d_in, d_out)
    note(f"second process (cache=True): {args.repeats} fresh processes per kernel")
    second = second_process(args.repeats, args.fake_gpu)

    base = launch["plain"]["median_us"]
    ratios = {name: r["median_us"] / base for name, r in launch.items()}
    import numba_cuda

    if args.fake_gpu:
        device = "no GPU (--fake-gpu smoke run: figures meaningless)"
    else:
        from harness import device_name

        device = device_name()
    result = {
        "device": device, "date": time.strftime("%Y-%m-%d"), "numba_cuda": numba_cuda.__version__,
        "python": sys.version.split()[0], "grid": GRID, "block": BLOCK, "items_per_thread": ITEMS,
        "per_launch": launch, "per_launch_ratio_to_plain": ratios,
        "new_grid_sizes": grids, "second_process_cached": second,
        "targets": {
            "host_cost_le_1.1x_plain": all(r <= 1.1 for r in ratios.values()),
            "new_grids_compile_nothing": all(g["kernels_compiled"] == 0 for g in grids.values()),
            "cached_second_process_le_1.2x_plain": second["ratio"] <= 1.2 and second["coop_cache_misses"] == 0
            and second["coop_nvrtc_calls"] == 0,
            "cached_second_process_constant_ipt_le_1.2x_plain": second["coop_literal_ratio"] <= 1.2
            and second["coop_literal_cache_misses"] == 0 and second["coop_literal_nvrtc_calls"] == 0,
        },
    }
    _table(result)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


def _table(r: dict) -> None:
    lines = [f"host cost per launch on {r['device']} (numba-cuda {r['numba_cuda']}, {r['date']})",
             f"{'kernel':<22}{'median us':>11}{'min us':>9}{'x plain':>9}"
             f"{'10 new grids ms':>17}{'compiled':>10}"]
    for name, v in r["per_launch"].items():
        g = r["new_grid_sizes"][name]
        lines.append(f"{name:<22}{v['median_us']:>11.2f}{v['min_us']:>9.2f}{r['per_launch_ratio_to_plain'][name]:>9.3f}"
                     f"{g['total_ms']:>17.2f}{g['kernels_compiled']:>10d}")
    s = r["second_process_cached"]
    lines.append(f"second process, cached first launch: plain {s['plain_median_ms']:.2f} ms, coop "
                 f"{s['coop_median_ms']:.2f} ms ({s['ratio']:.3f}x; fastest processes {s['ratio_of_minima']:.3f}x; "
                 f"median of paired ratios {s['paired_ratio_median']:.3f}x), "
                 f"coop cache misses {s['coop_cache_misses']}, "
                 f"NVRTC calls {s['coop_nvrtc_calls']}; constant items per thread {s['coop_literal_median_ms']:.2f} ms "
                 f"({s['coop_literal_ratio']:.3f}x; fastest {s['coop_literal_ratio_of_minima']:.3f}x; paired "
                 f"{s['coop_literal_paired_ratio_median']:.3f}x), cache misses "
                 f"{s['coop_literal_cache_misses']}"
                 + (" (cub-coop's sources changed during the run: misses expected)" if s["sources_changed"] else ""))
    lines.append("targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in r["targets"].items()))
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
