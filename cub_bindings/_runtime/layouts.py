"""Host-side TempStorage size/alignment queries, batched into one (cached) NVRTC call.

Layouts measured while compiling a kernel's shims are remembered, so asking for the
layout of a specialization a kernel already used costs nothing.
"""

from __future__ import annotations

from cub_bindings._runtime.nvrtc_service import compile_shims
from cub_bindings._runtime.shims import BASE_HEADERS, known_layouts, record_layouts, current_arch


def temp_storage_layouts(specializations) -> dict[str, tuple[int, int]]:
    """{C++ class spelling: (bytes, alignment)} of each specialization's TempStorage."""
    sps = [getattr(s, "specialization", s) for s in specializations]
    known = known_layouts()
    missing = [s for s in sps if s.temp_storage_cxx not in known]
    if missing:
        headers = dict.fromkeys(list(BASE_HEADERS) + [s.spec.header for s in missing])
        preamble = {}
        for s in missing:
            preamble.update(s.preamble)
        src = "".join(f"#include <{h}>\n" for h in headers) + "\n".join(preamble.values()) + "\n"
        out = compile_shims(src, [s.temp_storage_cxx for s in missing], arch=current_arch())
        record_layouts(out.layouts)
        known = known_layouts()
    return {s.cxx: known[s.temp_storage_cxx] for s in sps}
