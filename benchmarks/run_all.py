"""Run the whole benchmark suite on the device machine: every figure in one JSON and one table.

    python benchmarks/run_all.py [--out DIR] [--only families,host] [--quick]
    bash scripts/gpu_bench.sh all

Each benchmark (``BENCHMARKS``) runs in its own process, so one failing loses none of the
others; its progress goes to stderr as it runs and its JSON to ``DIR/bench_<name>.json``.
Then ``DIR/benchmarks.json`` (every benchmark's JSON, its exit status and time, the device,
driver, versions and date) and ``DIR/benchmarks.md`` (a table: one row per kernel, C++ ms, coop
ms, ratio, target met) are written. ``--tables-only`` rebuilds those two from the
``bench_<name>.json`` already in DIR (e.g. after runs of a few benchmarks each).
DIR defaults to ``$OUT``, else /tmp.
"""

from __future__ import annotations

import argparse
import collections
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.02  # device time, coop / C++ (issue 13)

#: name -> (script, what it measures, its arguments for --quick)
BENCHMARKS = {
    "pipeline": ("bench_pipeline.py", "load -> scan -> store, raw cub_bindings vs C++/CUB",
                 ["--log2n", "24", "--reps", "5", "--rounds", "1"]),
    "coop_pipeline": ("bench_coop_pipeline.py", "the grid-stride coop example vs C++/CUB",
                      ["--log2n", "24", "--reps", "3", "--rounds", "1"]),
    "selective_scan": ("bench_selective_scan.py", "the selective-scan example (five coop styles) vs C++/CUB",
                       ["--batch", "2", "--dim", "16", "--length", "1024", "--reps", "3", "--rounds", "1"]),
    "families": ("bench_families.py", "one kernel per primitive family vs C++/CUB",
                 ["--shrink", "4", "--reps", "3", "--rounds", "1"]),
    "host": ("bench_host.py", "host cost of launches, new grids, cached kernels",
             ["--rounds", "3", "--batch", "20", "--repeats", "1"]),
    "compile": ("bench_compile.py", "building a load+scan+store kernel: cold (one NVRTC call), warm, plain numba",
                ["--repeat", "1"]),
}


def run_one(name: str, out: Path, quick: bool, timeout: float) -> dict:
    script, _, quick_args = BENCHMARKS[name]
    path = out / f"bench_{name}.json"
    path.unlink(missing_ok=True)
    cmd = [sys.executable, str(ROOT / "benchmarks" / script), "--json", str(path), *(quick_args if quick else [])]
    print(f"run_all: {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    tail: collections.deque = collections.deque(maxlen=40)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def echo():  # progress goes on to our stderr as it comes; the end is kept for the report
        for line in proc.stderr:
            sys.stderr.write(line)
            tail.append(line.rstrip())

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # the child this function started
        proc.wait()
        rc = "timeout"
    reader.join(timeout=10)
    rec = {"script": f"benchmarks/{script}", "args": cmd[4:], "rc": rc, "seconds": round(time.perf_counter() - t0, 1)}
    if path.exists():
        rec["result"] = json.loads(path.read_text())
    if rc != 0:
        rec["stderr_tail"] = list(tail)
    return rec


# --------------------------------------------------------------------------- the table


def _regs_of_usage(usage: str):
    m = re.search(r"Used (\d+) registers", usage or "")
    return int(m.group(1)) if m else None


def rows(name: str, r: dict) -> list[dict]:
    """Device-time rows of one benchmark's JSON: kernel, C++ ms, coop ms, registers."""
    def row(kernel, coop_ms, cpp_ms, regs_coop=None, regs_cpp=None, note=""):
        return {"benchmark": name, "kernel": kernel, "cuda_cpp_cub_ms": cpp_ms, "coop_ms": coop_ms,
                "ratio": coop_ms / cpp_ms if coop_ms and cpp_ms else None, "regs_coop": regs_coop,
                "regs_cpp": regs_cpp, "note": note}

    if name == "pipeline":
        cpp, regs = r["cuda_cpp_cub_ms"], r.get("registers", {})
        usage = _regs_of_usage(r.get("cpp_ptxas_usage"))
        return [row("load -> scan -> store, raw cub_bindings", r["numba_cub_bindings_ms"], cpp, regs.get("numba"), usage),
                row("the same, launch_bounds", r["numba_launch_bounds_ms"], cpp, regs.get("numba_launch_bounds"), usage),
                row("the same, one shared buffer", r["numba_shared_buffer_ms"], cpp, None, usage)] + (
                    [row("the same, cb.advance(d, offset) for the slices", r["numba_advance_ms"], cpp,
                         regs.get("numba_advance"), usage)] if "numba_advance_ms" in r else [])
    if name == "coop_pipeline":
        cpp, usage = r["cuda_cpp_cub_ms"], _regs_of_usage(r.get("cpp_ptxas_usage"))
        return [row("grid-stride coop example", r["coop_ms"], cpp, r.get("coop_registers"), usage),
                row("the same, launch_bounds", r["coop_launch_bounds_ms"], cpp, r.get("coop_launch_bounds_registers"), usage)]
    if name == "selective_scan":
        cpp, usage, regs = r["cuda_cpp_cub_ms"], _regs_of_usage(r.get("cpp_ptxas_usage")), r.get("registers", {})
        pairs = "cuda_cpp_cub_warp_pairs"
        styles = [k[:-len("_ms")] for k in r if k.endswith("_ms") and not k.startswith("cuda_cpp_cub")]  # run order
        out = [row(f"selective scan, {s}", r[f"{s}_ms"], cpp, regs.get(s), usage) for s in styles]
        if f"{pairs}_ms" in r:  # the planned styles against C++ with the same __syncwarp() pairs
            usage_pairs = _regs_of_usage(r.get("cpp_warp_pairs_ptxas_usage"))
            out += [row(f"selective scan, {s}, vs C++ with __syncwarp() pairs", r[f"{s}_ms"], r[f"{pairs}_ms"],
                        regs.get(s), usage_pairs) for s in styles if f"ratio_{s}_over_{pairs}_time" in r]
        return out
    if name == "families":
        out = []
        for f in r["families"]:
            if "error" in f:
                out.append(row(f["family"], None, None, note=f"FAILED: {f['error'][:200]}"))
                continue
            regs = f.get("regs", {})
            out.append(row(f["family"], f["coop_ms"], f["cuda_cpp_cub_ms"], regs.get("coop"), regs.get("cuda_cpp_cub"),
                           f.get("warning", "")))
            out.append(row(f"{f['family']}, launch_bounds", f["coop_launch_bounds_ms"], f["cuda_cpp_cub_ms"],
                           regs.get("coop_launch_bounds"), regs.get("cuda_cpp_cub")))
        return out
    return []


def host_rows(r: dict) -> list[tuple]:
    """(measure, coop, plain numba, ratio, target, met) rows of bench_host's JSON."""
    out = []
    base = r["per_launch"]["plain"]["median_us"]
    for k, v in r["per_launch"].items():
        if k != "plain":
            ratio = v["median_us"] / base
            out.append((f"host time per launch, {k}", f"{v['median_us']:.1f} us", f"{base:.1f} us", ratio, "1.1",
                        ratio <= 1.1))
    s = r["second_process_cached"]
    ok = s["ratio"] <= 1.2 and s["coop_cache_misses"] == 0 and s["coop_nvrtc_calls"] == 0
    fastest = f"; fastest processes {s['ratio_of_minima']:.3f}x" if "ratio_of_minima" in s else ""
    fastest += f"; median of paired ratios {s['paired_ratio_median']:.3f}x" if "paired_ratio_median" in s else ""
    out.append((f"cached first launch in a new process, items per thread an argument (NVRTC calls "
                f"{s['coop_nvrtc_calls']}, cache misses {s['coop_cache_misses']}{fastest})",
                f"{s['coop_median_ms']:.2f} ms", f"{s['plain_median_ms']:.2f} ms", s["ratio"], "1.2, no NVRTC, no miss",
                ok))
    if "coop_literal_ratio" in s:
        ok = (s["coop_literal_ratio"] <= 1.2 and s["coop_literal_cache_misses"] == 0
              and s["coop_literal_nvrtc_calls"] == 0)
        fastest = (f"; fastest processes {s['coop_literal_ratio_of_minima']:.3f}x"
                   if "coop_literal_ratio_of_minima" in s else "")
        fastest += (f"; median of paired ratios {s['coop_literal_paired_ratio_median']:.3f}x"
                    if "coop_literal_paired_ratio_median" in s else "")
        out.append((f"cached first launch in a new process, items per thread a constant (NVRTC calls "
                    f"{s['coop_literal_nvrtc_calls']}, cache misses {s['coop_literal_cache_misses']}{fastest})",
                    f"{s['coop_literal_median_ms']:.2f} ms", f"{s['plain_median_ms']:.2f} ms", s["coop_literal_ratio"],
                    "1.2, no NVRTC, no miss", ok))
    compiled = sum(g["kernels_compiled"] for g in r["new_grid_sizes"].values())
    out.append(("kernels compiled by 10 new grid sizes (all kernels)", str(compiled), "0", None, "0", compiled == 0))
    return out


def compile_rows(r: dict) -> list[tuple]:
    """(measure, coop, plain numba, ratio, target, met) rows of bench_compile's JSON."""
    cold, warm, plain = r["cold"], r["warm"], r["plain"]
    call = cold.get("nvrtc_call_median_s")
    calls = cold["nvrtc_calls"]
    ok = calls == [1] and call is not None and call <= 1.0
    return [(f"cold build, empty cache (NVRTC calls {calls}; the call itself {_f(call, '.2f')} s)",
             f"{cold['median_s']:.2f} s", f"{plain['median_s']:.2f} s", None, "1 NVRTC call <= 1 s", ok),
            (f"warm build, new process (NVRTC calls {warm['nvrtc_calls']})", f"{warm['median_s']:.2f} s",
             f"{plain['median_s']:.2f} s", warm["median_s"] / plain["median_s"], "0 NVRTC calls",
             warm["nvrtc_calls"] == [0])]


def _f(v, fmt):
    return "-" if v is None else format(v, fmt)


def markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [f"# Benchmarks, {meta.get('date', '')}", "",
             f"Device: {meta.get('device', '?')}, driver {meta.get('driver', '?')}; "
             + ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()), "",
             f"Device time, coop (Python) against the same kernel in CUDA C++/CUB, both timed the same way "
             f"in the same run; target: ratio <= {TARGET}.", "",
             "| benchmark | kernel | C++/CUB ms | coop ms | ratio | registers coop / C++ | target met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, rec in report["benchmarks"].items():
        if "result" not in rec:
            lines.append(f"| {name} | FAILED (exit {rec['rc']}) | - | - | - | - | - |")
            continue
        try:
            rs = rows(name, rec["result"])
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            lines.append(f"| {name} | unreadable JSON ({type(exc).__name__}: {exc}) | - | - | - | - | - |")
            continue
        for x in rs:
            met = "-" if x["ratio"] is None else ("yes" if x["ratio"] <= TARGET else "no")
            regs = f"{_f(x['regs_coop'], 'd')} / {_f(x['regs_cpp'], 'd')}"
            kernel = x["kernel"] + (f" ({x['note']})" if x["note"] else "")
            lines.append(f"| {name} | {kernel} | {_f(x['cuda_cpp_cub_ms'], '.4f')} | {_f(x['coop_ms'], '.4f')} | "
                         f"{_f(x['ratio'], '.3f')} | {regs} | {met} |")
    for name, title, rows_of in (
            ("host", "Host cost (bench_host.py), coop against a plain numba-cuda kernel:", host_rows),
            ("compile", "Compile (bench_compile.py), a load+scan+store kernel built to a cubin in a fresh process, "
                        "against the same work in plain numba:", compile_rows)):
        result = report["benchmarks"].get(name, {}).get("result")
        if not result:
            continue
        lines += ["", title, "", "| measure | coop | plain numba | ratio | target | met |",
                  "| --- | --- | --- | --- | --- | --- |"]
        try:
            for m, c, p, ratio, target, ok in rows_of(result):
                lines.append(f"| {m} | {c} | {p} | {_f(ratio, '.3f')} | {target} | {'yes' if ok else 'no'} |")
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            lines.append(f"| unreadable JSON ({type(exc).__name__}: {exc}) | - | - | - | - | - |")
    failed = [f"{n} (exit {r['rc']})" for n, r in report["benchmarks"].items() if r.get("rc", 0) != 0]
    if failed:
        lines += ["", "Failed: " + ", ".join(failed) + " (see benchmarks.json, stderr_tail)."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- where it ran


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def meta() -> dict:
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "host": platform.node()}
    smi = _cmd(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]).splitlines()
    if smi:
        info["device"], _, info["driver"] = smi[0].partition(", ")
    versions = {"python": platform.python_version()}
    for dist in ("numpy", "numba", "numba-cuda", "cuda-core", "cuda-bindings", "nvidia-cuda-cccl"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    nvcc = [ln for ln in _cmd(["nvcc", "--version"]).splitlines() if "release" in ln]
    if nvcc:
        versions["nvcc"] = nvcc[0].split("release", 1)[1].strip(" ,")
    try:
        sys.path.insert(0, str(ROOT))
        from cub_bindings._runtime.nvrtc_service import include_dirs

        cccl = include_dirs()[0]
        m = re.search(r"#define CUB_VERSION (\d+)", (Path(cccl) / "cub" / "version.cuh").read_text())
        info["cccl_include"] = cccl
        if m:
            v = int(m.group(1))
            versions["CUB"] = f"{v // 100000}.{v // 100 % 1000}.{v % 100}"
    except Exception as exc:  # the table still gets written
        info["cccl_include"] = f"unknown ({type(exc).__name__})"
    info["versions"] = versions
    info["shared_ptr32_env"] = os.environ.get("CUB_COOP_SHARED_PTR32", "(default)")
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp"))
    ap.add_argument("--only", help="comma-separated: " + ",".join(BENCHMARKS))
    ap.add_argument("--quick", action="store_true", help="small sizes and few repetitions (a smoke run)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    ap.add_argument("--tables-only", action="store_true", help="rebuild the outputs from bench_<name>.json in --out")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    old = out / "benchmarks.json"  # --tables-only: keep the device run's meta when it is there
    info = json.loads(old.read_text()).get("meta") if a.tables_only and old.exists() else None
    report = {"meta": info or meta(), "target_ratio": TARGET, "benchmarks": {}}
    for name in names:
        if a.tables_only:
            path = out / f"bench_{name}.json"
            if path.exists():
                report["benchmarks"][name] = {"script": f"benchmarks/{BENCHMARKS[name][0]}", "rc": 0,
                                              "result": json.loads(path.read_text())}
        else:
            report["benchmarks"][name] = run_one(name, out, a.quick, a.timeout)
    if "device" not in report["meta"]:  # no nvidia-smi here (--tables-only elsewhere): the benchmarks name it
        devices = {r["result"].get("device") for r in report["benchmarks"].values() if isinstance(r.get("result"), dict)}
        report["meta"]["device"] = ", ".join(sorted(d for d in devices if d)) or "?"
    report["meta"].setdefault("tables_only", a.tables_only)  # True: the versions are those of where it was rebuilt
    (out / "benchmarks.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    (out / "benchmarks.md").write_text(table)
    print(table)
    print(f"run_all: wrote {out / 'benchmarks.json'} and {out / 'benchmarks.md'}", file=sys.stderr)
    return 1 if any(r.get("rc", 0) != 0 for r in report["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
