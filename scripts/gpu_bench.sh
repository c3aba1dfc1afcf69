#!/usr/bin/env bash
# GPU benchmarks, run on the device machine:
#   device run: command "bash scripts/gpu_bench.sh", carry [".whl"]
# Builds the CUDA C++/CUB reference with the toolkit's nvcc against the carried CCCL and
# times it and the numba + cub_bindings kernel in the same run. Results go to $OUT.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
python3 benchmarks/bench_pipeline.py --json "${OUT:-/tmp}/bench_pipeline.json" "$@"
