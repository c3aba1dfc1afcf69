#!/usr/bin/env bash
# Wheels the device machine's image (Python 3.12) lacks or has in a version that breaks:
# numpy 2.5 breaks `import numba.cuda` (np.row_stack), so numpy 2.3; the pinned CUB; and
# pytest-xdist (with execnet) so the GPU tier compiles its kernels on several cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cccl=$(grep -o '"nvidia-cuda-cccl==[^"]*"' pyproject.toml | tr -d '"')
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d .whl numpy==2.3.5 "$cccl" pytest-xdist==3.8.0 execnet==2.1.1 2>&1 | grep -v "^WARNING: Location" || true
ls .whl
