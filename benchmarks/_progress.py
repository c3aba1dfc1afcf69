"""Progress lines on stderr for the benchmarks (stdout keeps their results): the script's name,
the seconds since it started, and what runs now."""

import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def note(message: str) -> None:
    print(f"{Path(sys.argv[0]).stem} [{time.perf_counter() - _T0:5.0f} s] {message}", file=sys.stderr, flush=True)
