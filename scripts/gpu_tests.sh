#!/usr/bin/env bash
# The GPU test tier, run the same way every session on the device machine:
#   device run: command "bash scripts/gpu_tests.sh", carry [".whl"]
# Extra arguments go to pytest (e.g. -k scan). The log also lands in $OUT when set.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
log="${OUT:-/tmp}/gpu_tests.log"
# kernels compile on several workers (NVRTC runs on the CPU); the GPU is shared
workers=$(python3 -c "import xdist" 2>/dev/null && echo "-n ${GPU_TEST_WORKERS:-8}" || echo "")
python3 -m pytest -q -rs -m gpu -p no:cacheprovider $workers tests "$@" 2>&1 | tee "$log"
