#!/usr/bin/env bash
# GPU benchmarks, run on the device machine:
#   device run: command "bash scripts/gpu_bench.sh", carry [".whl"]
# Builds the CUDA C++/CUB references with the toolkit's nvcc against the carried CCCL and
# times them and the numba kernels in the same run. Results go to $OUT.
#   bash scripts/gpu_bench.sh [all] [ARGS]  every benchmark (benchmarks/run_all.py ARGS, each in its own process):
#                                        $OUT/benchmarks.json (every figure) and $OUT/benchmarks.md (the table)
#   bash scripts/gpu_bench.sh bindings   only the raw-bindings pipeline vs C++ (bench_pipeline.py)
#   bash scripts/gpu_bench.sh coop       only the coop example vs C++ (bench_coop_pipeline.py)
#   bash scripts/gpu_bench.sh selective  only the selective-scan example vs C++ (bench_selective_scan.py)
#   bash scripts/gpu_bench.sh host       only host costs: launches, new grids, cached kernels (bench_host.py)
#   bash scripts/gpu_bench.sh families [ARGS]  only one kernel per primitive family vs C++
#                                        (bench_families.py ARGS, e.g. --only block_reduce,warp_scan)
# Progress and a closing one-line summary go to stderr; each benchmark's JSON to stdout and $OUT.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
which="${1:-all}"
out="${OUT:-/tmp}"
start=$SECONDS
results=()
note() { echo "gpu_bench: $*" >&2; }
if [ "$which" = all ]; then
  note "run_all.py: every benchmark, each in its own process"
  rc=0
  python3 benchmarks/run_all.py --out "$out" "${@:2}" || rc=$?
  note "done in $((SECONDS - start)) s (exit $rc): table in $out/benchmarks.md, every figure in $out/benchmarks.json"
  exit "$rc"
fi
if [ "$which" = bindings ]; then
  note "bench_pipeline.py: BlockLoad -> BlockScan -> BlockStore, numba + cub_bindings vs CUDA C++/CUB"
  python3 benchmarks/bench_pipeline.py --json "$out/bench_pipeline.json"
  results+=("$out/bench_pipeline.json")
fi
if [ "$which" = coop ]; then
  note "examples/grid_stride_scan.py: the coop example, checked against numpy"
  python3 examples/grid_stride_scan.py
  note "bench_coop_pipeline.py: the coop example vs the same kernel in CUDA C++/CUB"
  python3 benchmarks/bench_coop_pipeline.py --json "$out/bench_coop_pipeline.json"
  results+=("$out/bench_coop_pipeline.json")
fi
if [ "$which" = selective ]; then
  note "bench_selective_scan.py: the selective-scan example (three coop styles) vs CUDA C++/CUB"
  python3 benchmarks/bench_selective_scan.py --json "$out/bench_selective_scan.json"
  results+=("$out/bench_selective_scan.json")
fi
if [ "$which" = host ]; then
  note "bench_host.py: host cost per launch, new grid sizes, cached first launch in a new process"
  python3 benchmarks/bench_host.py --json "$out/bench_host.json"
fi
if [ "$which" = families ]; then
  note "bench_families.py: one kernel per primitive family vs the same kernel in CUDA C++/CUB"
  python3 benchmarks/bench_families.py --json "$out/bench_families.json" "${@:2}"
fi
summary=$(python3 - "${results[@]}" <<'PY'
import json, sys
parts = []
for path in sys.argv[1:]:
    r = json.load(open(path))
    ours = next(k for k in ("numba_cub_bindings_ms", "coop_ms", "temp_storage_ms") if k in r)
    parts.append(f"{ours.removesuffix('_ms')} {r[ours]:.3f} ms vs C++/CUB {r['cuda_cpp_cub_ms']:.3f} ms "
                 f"({r[ours] / r['cuda_cpp_cub_ms']:.2f}x time)")
print(f"{'; '.join(parts) or 'nothing run'} on {r['device'] if parts else '-'}")
PY
)
note "done in $((SECONDS - start)) s: $summary; JSON in $out"
