# Sourced by the device-machine scripts: install the carried wheels and point at them.
# .whl/ (git-ignored) holds the wheels the device image lacks; fill it with
#   bash scripts/fetch_gpu_wheels.sh
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d .whl ] || { echo "gpu: no .whl/ folder: run scripts/fetch_gpu_wheels.sh and carry .whl" >&2; exit 2; }
echo "gpu: installing the carried wheels ($(ls .whl | wc -l) in .whl/) into /tmp/site" >&2
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD"
export PYTHONUNBUFFERED=1
# cuda-pathfinder prefers the toolkit's CCCL there; compile against the carried (pinned) one.
export CUB_COOP_CCCL_INCLUDE=/tmp/site/nvidia/cu13/include/cccl
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 - <<'PY'
import numpy, numba, numba.cuda, cuda.core
from cuda.bindings import nvrtc
from cub_bindings._runtime.nvrtc_service import include_dirs
cccl = include_dirs()[0]
print(f"python ok: numpy {numpy.__version__}, numba {numba.__version__}, cuda.core {cuda.core.__version__}, "
      f"NVRTC {nvrtc.nvrtcVersion()[1:]}, CCCL headers {cccl}")
if not cccl or not cccl.startswith("/tmp/site/"):
    raise SystemExit("gpu: the carried nvidia-cuda-cccl wheel is not the CUB in use")
PY
