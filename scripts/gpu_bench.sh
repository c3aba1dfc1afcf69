#!/usr/bin/env bash
# GPU benchmarks, run on the device machine:
#   device run: command "bash scripts/gpu_bench.sh", carry [".whl"]
# Builds the CUDA C++/CUB references with the toolkit's nvcc against the carried CCCL and
# times them and the numba kernels in the same run. Results go to $OUT.
#   bash scripts/gpu_bench.sh            both benchmarks
#   bash scripts/gpu_bench.sh coop       only the coop example vs C++ (bench_coop_pipeline.py)
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
which="${1:-all}"
if [ "$which" = all ] || [ "$which" = bindings ]; then
  python3 benchmarks/bench_pipeline.py --json "${OUT:-/tmp}/bench_pipeline.json"
fi
if [ "$which" = all ] || [ "$which" = coop ]; then
  python3 examples/grid_stride_scan.py
  python3 benchmarks/bench_coop_pipeline.py --json "${OUT:-/tmp}/bench_coop_pipeline.json"
fi
