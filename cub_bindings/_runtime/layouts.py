"""Host-side TempStorage size/alignment queries, batched into one (cached) NVRTC call.

Layouts measured while compiling a kernel's shims are remembered, so asking for the
layout of a specialization a kernel already used costs nothing. Specializations made on
the host (``BlockScan(np.int32, 128)``, coop's two-phase objects) are expected: the first
layout question measures every expected one in the same NVRTC call, so a program that
makes many and then reads their sizes compiles once.
"""

from __future__ import annotations

import threading

from cub_bindings._runtime.nvrtc_service import compile_shims
from cub_bindings._runtime.shims import BASE_HEADERS, known_layouts, record_layouts, current_arch

_expected: list = []
_expected_lock = threading.Lock()


def expect_layout(specialization) -> None:
    """Measure ``specialization``'s layout with the next layout question."""
    with _expected_lock:
        _expected.append(specialization)


def temp_storage_layouts(specializations) -> dict[str, tuple[int, int]]:
    """{C++ class spelling: (bytes, alignment)} of each specialization's TempStorage."""
    global _expected
    sps = [getattr(s, "specialization", s) for s in specializations]
    with _expected_lock:
        extra, _expected = _expected, []
    known = known_layouts()
    wanted = [s for s in sps if s.temp_storage_cxx not in known]
    batch = list({s.temp_storage_cxx: s for s in [*wanted, *extra] if s.temp_storage_cxx not in known}.values())
    if batch:
        try:
            _measure(batch)
        except Exception:
            if len(batch) == len(wanted):
                raise
            _measure(wanted)  # an expected one does not compile: its own question will say so
        known = known_layouts()
    return {s.cxx: known[s.temp_storage_cxx] for s in sps}


def _measure(missing) -> None:
    if not missing:
        return
    headers = dict.fromkeys(list(BASE_HEADERS) + [s.spec.header for s in missing])
    preamble = {}
    for s in missing:
        preamble.update(s.preamble)
    src = "".join(f"#include <{h}>\n" for h in headers) + "\n".join(preamble.values()) + "\n"
    out = compile_shims(src, [s.temp_storage_cxx for s in missing], arch=current_arch())
    record_layouts(out.layouts)
