"""Shim sets: the C++ a kernel needs, compiled once per code library at link time.

Lowering a CUB call adds an ``extern "C" __device__`` shim (spelled only with public CUB
names) to the ``ShimSet`` of the code library being lowered. The set is attached to that
library as one lazy LTOIR linking file: numba-cuda links it automatically (no ``link=``),
and its bytes are produced on first use by one NVRTC call for every shim of the library
(through the on-disk cache). Shims are ``weak`` and named by content digest, so the same
shim compiled into a device function and its caller links once.
"""

from __future__ import annotations

import hashlib
import os
import threading

from numba.cuda.cudadrv.linkable_code import LTOIR

from cub_bindings._runtime.nvrtc_service import DEFAULT_ARCH, CompiledShims, compile_shims

BASE_HEADERS = ("cuda/std/cstdint", "cuda/std/functional", "cuda/functional")
_layouts: dict[str, tuple[int, int]] = {}
_layout_lock = threading.Lock()


def digest(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:n]


def known_layouts() -> dict[str, tuple[int, int]]:
    return dict(_layouts)


def record_layouts(layouts: dict[str, tuple[int, int]]) -> None:
    with _layout_lock:
        _layouts.update(layouts)


def current_arch() -> str:
    env = os.environ.get("CUB_COOP_ARCH")
    if env:
        return env if env.startswith("sm_") else f"sm_{env.replace('.', '')}"
    try:
        from numba import cuda

        if cuda.is_available():
            major, minor = cuda.get_current_device().compute_capability
            return f"sm_{major}{minor}"
    except Exception:  # no driver, no device: compile for the default arch
        pass
    return DEFAULT_ARCH


class ShimSet:
    def __init__(self, tag: str):
        self.tag = tag
        self.headers: dict[str, None] = dict.fromkeys(BASE_HEADERS)
        self.preamble: dict[str, str] = {}  # key -> C++ (records, functor declarations, value structs)
        self.shims: dict[str, str] = {}  # symbol -> C++
        self.layout_types: dict[str, None] = {}
        self._counter = 0
        self.compiled: CompiledShims | None = None
        self._compiled_source: str | None = None

    def next_site(self) -> int:
        self._counter += 1
        return self._counter

    def add(self, symbol: str, code: str, headers=(), preamble: dict | None = None, layouts=()) -> str:
        self.headers.update(dict.fromkeys(headers))
        for k, v in (preamble or {}).items():
            self.preamble.setdefault(k, v)
        self.layout_types.update(dict.fromkeys(layouts))
        self.shims.setdefault(symbol, code)
        return symbol

    def source(self) -> str:
        inc = "".join(f"#include <{h}>\n" for h in self.headers)
        return inc + "\n" + "\n".join(self.preamble.values()) + "\n\n" + "\n\n".join(self.shims.values()) + "\n"

    def compile(self) -> CompiledShims:
        src = self.source()
        if self.compiled is None or self._compiled_source != src:
            self.compiled = compile_shims(src, tuple(self.layout_types), arch=current_arch())
            self._compiled_source = src
            record_layouts(self.compiled.layouts)
        return self.compiled


class ShimLTOIR(LTOIR):
    """An LTOIR linking file whose bytes are compiled from a ShimSet when first needed."""

    default_name = "<cub-coop-shims>"

    def __init__(self, shimset: ShimSet):
        super().__init__(data=None, name=f"cub-coop-shims-{shimset.tag}")
        self.shimset = shimset

    @property
    def data(self):
        return self.shimset.compile().ltoir


def shimset_for(context) -> ShimSet:
    """The ShimSet of the code library being lowered (created and linked on first use)."""
    lib = context.active_code_library
    shimset = getattr(lib, "_cub_coop_shimset", None)
    if shimset is None:
        shimset = ShimSet(digest(lib.name, 6))
        lib._cub_coop_shimset = shimset
        lib.add_linking_file(ShimLTOIR(shimset))
    return shimset


def shimsets_of(library) -> list[ShimSet]:
    """Every ShimSet linked into a code library (its own and those of its device functions)."""
    return [f.shimset for f in getattr(library, "_linking_files", ()) if isinstance(f, ShimLTOIR)]
