"""Time `bindgen` parsing all CUB block + warp headers (not a test; prints medians).

    .venv/bin/python benchmarks/bench_scan.py [--repeat 5]

Reports, each as the median of --repeat runs:
  - ast_canopy alone (one clang invocation over every header),
  - libclang alone (docs, defaults, aliases),
  - the whole in-process scan (both readers + normalization),
  - `python -m bindgen scan --no-write` end to end in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bindgen import canopy_reader, doc_reader, locate  # noqa: E402
from bindgen.scan import header_list, scan_headers  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from _progress import note  # noqa: E402


def timed(fn, repeat: int, what: str) -> list[float]:
    note(f"timing {what} ({repeat}x)")
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    include = locate.cccl_include_dir()
    headers = header_list(include)
    cuda_dirs = locate.cuda_include_dirs()
    clang = locate.find_clang()
    tmp = Path(tempfile.mkdtemp())
    umbrella = tmp / "u.cu"
    umbrella.write_text("".join(f"#include <{h.relative_to(include)}>\n" for h in headers))

    results = {
        "ast_canopy parse": timed(lambda: canopy_reader.parse(umbrella, headers, include, cuda_dirs, clang), args.repeat,
                                  "ast_canopy parse"),
        "libclang parse": timed(
            lambda: doc_reader.read_header_facts(umbrella, [include, *cuda_dirs], set(headers), clang.resource_dir),
            args.repeat, "libclang parse",
        ),
        "scan (in process)": timed(scan_headers, args.repeat, "scan (in process)"),
        "python -m bindgen scan --no-write": timed(
            lambda: subprocess.run([sys.executable, "-m", "bindgen", "scan", "--no-write"], cwd=ROOT,
                                   check=True, capture_output=True),  # fmt: skip
            args.repeat, "python -m bindgen scan --no-write",
        ),
    }
    print(f"{len(headers)} headers, CUB {locate.cub_version(include)}, {clang.path} (clang {clang.major}), "
          f"{platform.node()}, {platform.processor() or platform.machine()}, repeat={args.repeat}")  # fmt: skip
    for name, times in results.items():
        print(f"{name:36s} median {statistics.median(times):6.2f} s   min {min(times):6.2f} s   max {max(times):6.2f} s")
    note(f"done: scan median {statistics.median(results['scan (in process)']):.2f} s over {len(headers)} headers")


if __name__ == "__main__":
    main()
