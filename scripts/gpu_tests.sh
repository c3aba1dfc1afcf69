#!/usr/bin/env bash
# The GPU test tier, run the same way every session on the device machine:
#   device run: command "bash scripts/gpu_tests.sh", carry [".whl"]
# Extra arguments go to pytest (e.g. -k scan). The log also lands in $OUT when set.
# Progress (what runs, on how many workers) and a closing one-line summary go to stderr.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
log="${OUT:-/tmp}/gpu_tests.log"
# kernels compile on several workers (NVRTC runs on the CPU); the GPU is shared
workers=$(python3 -c "import xdist" 2>/dev/null && echo "-n ${GPU_TEST_WORKERS:-8}" || echo "")
echo "gpu_tests: pytest -m gpu ${workers:-(one process)} tests $*; log in $log" >&2
start=$SECONDS
rc=0
python3 -m pytest -q -rs -m gpu -p no:cacheprovider $workers tests "$@" 2>&1 | tee "$log" || rc=$?
summary=$(grep -E "^=* ?[0-9]+ [a-z]+.* in [0-9.]+s|no tests ran" "$log" | tail -1 | sed -E 's/^=+ //; s/ =+$//' || true)
echo "gpu_tests: ${summary:-no pytest summary (see the log)}; exit $rc after $((SECONDS - start)) s; log in $log" >&2
exit "$rc"
