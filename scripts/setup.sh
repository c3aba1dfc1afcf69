#!/usr/bin/env bash
# All set-up for a fresh Debian machine, idempotent (a second run takes seconds):
#   - a clang whose resource directory ast_canopy can use (Debian clang-22, else clang-19),
#     unless CUB_COOP_CLANG names one;
#   - .venv with this package installed editable, with the bindgen, test, docs and numbast-gaps extras (the last for scripts/numbast_gaps.py and its test).
set -euo pipefail
cd "$(dirname "$0")/.."

have_clang() {
  [ -n "${CUB_COOP_CLANG:-}" ] && return 0
  command -v clang-22 >/dev/null 2>&1 || command -v clang-19 >/dev/null 2>&1
}
if ! have_clang; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing clang-22 with apt-get" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-22 >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-19 >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
fi
# pip prints a warning for an unreachable extra index on some machines; hide only that line.
.venv/bin/python -m pip install -q -e ".[bindgen,test,docs,numbast-gaps]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import bindgen, ast_canopy, clang.cindex, numba.cuda" \
  || { echo "setup: the virtual environment is incomplete; see the pip output above" >&2; exit 1; }
