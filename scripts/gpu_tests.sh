#!/usr/bin/env bash
# The GPU test tier, run the same way every session on the device machine:
#   device run: command "bash scripts/gpu_tests.sh", carry [".whl"]
# Extra arguments go to pytest (e.g. -k scan). The log also lands in $OUT when set.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
log="${OUT:-/tmp}/gpu_tests.log"
python3 -m pytest -q -rs -m gpu -p no:cacheprovider tests "$@" 2>&1 | tee "$log"
