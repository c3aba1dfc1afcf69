#!/usr/bin/env bash
# The GPU test tier, run the same way every session on the device machine:
#   device run: command "bash scripts/gpu_tests.sh", carry [".whl"]
# .whl/ (git-ignored) holds the wheels the device image lacks; fill it here first with
#   bash scripts/fetch_gpu_wheels.sh
# Extra arguments go to pytest (e.g. -k scan). The log also lands in $OUT when set.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .whl ] || { echo "gpu_tests: no .whl/ folder: run scripts/fetch_gpu_wheels.sh and carry .whl" >&2; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD"
export PYTHONUNBUFFERED=1
# cuda-pathfinder prefers the toolkit's CCCL there; compile against the carried (pinned) one.
export CUB_COOP_CCCL_INCLUDE=/tmp/site/nvidia/cu13/include/cccl
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 - <<'PY'
import numpy, numba, numba.cuda, cuda.core
from cuda.bindings import nvrtc
import os
from cub_bindings._runtime.nvrtc_service import include_dirs
cccl = include_dirs()[0]
print(f"python ok: numpy {numpy.__version__}, numba {numba.__version__}, cuda.core {cuda.core.__version__}, "
      f"NVRTC {nvrtc.nvrtcVersion()[1:]}, CCCL headers {cccl}")
if not cccl or not cccl.startswith("/tmp/site/"):
    raise SystemExit("gpu_tests: the carried nvidia-cuda-cccl wheel is not the CUB in use")
PY
log="${OUT:-/tmp}/gpu_tests.log"
python3 -m pytest -q -rs -m gpu -p no:cacheprovider tests "$@" 2>&1 | tee "$log"
