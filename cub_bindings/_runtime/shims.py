"""Shim sets: the C++ a kernel needs, compiled once per code library at link time.

Lowering a CUB call adds an ``extern "C" __device__`` shim (spelled only with public CUB
names) to the ``ShimSet`` of the code library being lowered. The set is attached to that
library as one lazy LTOIR linking file: numba-cuda links it automatically (no ``link=``),
and its bytes are produced on first use by one NVRTC call for every shim of the library
(through the on-disk cache). Shims are ``weak`` and named by content digest, so the same
shim compiled into a device function and its caller links once.

Each shim remembers the calls that made it (``Site``: the callee as the user wrote it and
the kernel line, from the lowering in progress), outside its source so the on-disk cache
key does not move with the kernel's lines. A shim set that fails to compile, or whose CUB
TempStorage alone is over a kernel's static shared memory, raises one error naming those
calls, with NVRTC's first errors shortened; when the calls are the facade's (``coop``),
the error is also its ``CoopError``.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import re
import sys
import threading
from typing import NamedTuple

from numba.cuda.cudadrv.linkable_code import LTOIR

from cub_bindings._runtime.nvrtc_service import (DEFAULT_ARCH, CompiledShims, NVRTCTimeout, ShimCompileError,
                                                 compile_shims, facade_error)

#: a kernel's static shared memory limit (every GPU; more only as dynamic shared memory)
STATIC_SHARED_BYTES = 48 * 1024

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


#: the arch an explicit-arch build (``inspect.build_kernel``) compiles for, in this thread
#: only: the environment variable would leak into builds running in other threads
ARCH: contextvars.ContextVar = contextvars.ContextVar("cub_coop_arch", default=None)


def current_arch() -> str:
    if ARCH.get() is not None:
        return ARCH.get()
    env = os.environ.get("CUB_COOP_ARCH")
    if env:
        return env if env.startswith("sm_") else f"sm_{env.replace('.', '')}"
    try:
        from numba import cuda

        from cub_bindings._runtime.registry import ENABLE_CUDASIM

        if not ENABLE_CUDASIM and cuda.is_available():  # the simulator's device is no real architecture
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
        self.sites: dict[str, list[Site]] = {}  # symbol -> the calls that made it
        self.compiled: CompiledShims | None = None
        self._compiled_source: str | None = None
        self._compile_lock = threading.Lock()  # threads linking the same set compile it once

    def next_site(self) -> int:
        self._counter += 1
        return self._counter

    def add(self, symbol: str, code: str, headers=(), preamble: dict | None = None, layouts=()) -> str:
        self.headers.update(dict.fromkeys(headers))
        for k, v in (preamble or {}).items():
            self.preamble.setdefault(k, v)
        self.layout_types.update(dict.fromkeys(layouts))
        self.shims.setdefault(symbol, code)
        site = lowering_site()
        if site is not None and site not in self.sites.setdefault(symbol, []):
            self.sites[symbol].append(site)
        return symbol

    def source(self) -> str:
        inc = "".join(f"#include <{h}>\n" for h in self.headers)
        return inc + "\n" + "\n".join(self.preamble.values()) + "\n\n" + "\n\n".join(self.shims.values()) + "\n"

    def compile(self) -> CompiledShims:
        with self._compile_lock:
            return self._compile()

    def _compile(self) -> CompiledShims:
        src = self.source()
        if self.compiled is None or self._compiled_source != src:
            try:
                compiled = compile_shims(src, tuple(self.layout_types), arch=current_arch())
            except ShimCompileError as exc:
                raise self._failed(src, exc) from None
            record_layouts(compiled.layouts)
            self._check_static_shared(compiled.layouts)
            self.compiled, self._compiled_source = compiled, src
        return self.compiled

    # ------------------------------------------------------------------ errors at the user's calls
    def _sites_at(self, src: str, lines) -> list:
        """The calls behind the shims spanning source ``lines`` (1-based)."""
        out = []
        for symbol, code in self.shims.items():
            start = src.find(code)
            if start < 0:
                continue
            first = src.count("\n", 0, start) + 1
            if any(first <= ln <= first + code.count("\n") for ln in lines):
                out += [s for s in self.sites.get(symbol, ()) if s not in out]
        return out

    def _failed(self, src: str, exc: ShimCompileError) -> Exception:
        sites = self._sites_at(src, exc.lines) or [s for v in self.sites.values() for s in v]
        sites = sorted(dict.fromkeys(sites), key=lambda s: s.line)
        what = " / ".join(dict.fromkeys(s.what for s in sites)) or "a CUB call"
        where = "".join("\n" + s.where for s in sites[:3] if s.where)
        if isinstance(exc, NVRTCTimeout):
            return user_error(sites, f"{what}: {exc}\n  valid: a smaller tile, or a larger "
                              f"CUB_COOP_NVRTC_TIMEOUT{where}", ShimCompileError)
        msg = (f"{what}: CUB does not compile for these arguments (NVRTC): {' | '.join(exc.errors) or exc}\n"
               "  valid: arguments CUB accepts; this is a case the facade should have refused before compiling, "
               f"please report it (CUB_COOP_DUMP_SHIMS=DIR writes the C++){where}")
        return user_error(sites, msg, ShimCompileError)

    def _check_static_shared(self, layouts: dict) -> None:
        """CUB TempStorage in this set's static shared memory (each class its call uses without
        a TempStorage of the user's, once; each TempStorage array of its own) over the limit."""
        uses, private = [], set()
        for symbol, code in self.shims.items():
            for cls, count in _shared_uses(code):
                size = layouts.get(f"typename {cls}::TempStorage", (0, 0))[0]
                if count == 0 and cls in private:  # CUB's private storage: one per class
                    continue
                if count == 0:
                    private.add(cls)
                uses.append((size * max(count, 1), cls, symbol))
        total = sum(n for n, _, _ in uses)
        if total <= STATIC_SHARED_BYTES:
            return
        uses = sorted((u for u in uses if u[0] >= 64), key=lambda u: -u[0])  # not CUB's empty placeholders
        sites = sorted({s for _, _, sym in uses[:3] for s in self.sites.get(sym, ())}, key=lambda s: s.line)
        what = " / ".join(dict.fromkeys(s.what for s in sites)) or "a CUB call"
        parts = ", ".join(f"{_short_class(cls)}: {n} bytes" for n, cls, _ in uses[:3])
        msg = (f"{what}: CUB's TempStorage for this kernel's calls needs {total} bytes ({total / 1024:.0f} KB) of "
               f"static shared memory ({parts}), over the {STATIC_SHARED_BYTES} bytes (48 KB) a kernel's static "
               "shared memory may hold (checked before linking)\n"
               "  valid: fewer items per thread or threads, algorithms that need no shared memory, or one "
               "coop.TempStorage() shared by the calls" + "".join("\n" + s.where for s in sites[:3] if s.where))
        raise user_error(sites, msg, ShimCompileError)


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


# --------------------------------------------------------------------------- what failed, and where


_USING = re.compile(r"using C = (.+);\n  C __obj;")
_OWN = re.compile(r"__shared__ typename (.+)::TempStorage __s\[(\d+)\];")


def _shared_uses(code: str):
    """(class, count) of CUB TempStorage a shim places in static shared memory: count 0 for
    CUB's own private storage of an object built without one (one per class), else ours."""
    out = [(m.group(1), 0) for m in _USING.finditer(code)]
    return out + [(m.group(1), int(m.group(2))) for m in _OWN.finditer(code)]


def _short_class(cxx: str) -> str:
    return re.sub(r"::cuda::std::|::cub::", "", cxx)


# --------------------------------------------------------------------------- the call being lowered


class Site(NamedTuple):
    what: str  # the callee as the user wrote it: "coop.block.load"
    where: str  # 'File "k.py", line 12:' and the line, as Numba shows locations
    line: int = 0


def _callee_name(ty) -> str:
    name = str(ty)
    while True:  # drop template arguments, subscripts and two-phase object numbers
        shorter = re.sub(r"<[^<>]*>|\[[^\[\]]*\]|#\d+", "", name)
        if shorter == name:
            return name
        name = shorter


def lowering_site() -> Site | None:
    """The call Numba is lowering now (from the lowering frame on the stack), or None."""
    from numba.cuda.core import ir
    from numba.cuda.lowering import Lower

    f = sys._getframe(1)
    while f is not None:
        slf = f.f_locals.get("self")
        if f.f_code.co_name == "lower_inst" and isinstance(slf, Lower):
            inst = f.f_locals.get("inst")
            loc = getattr(inst, "loc", None)
            what = slf.fndesc.qualname
            value = getattr(inst, "value", None)
            if isinstance(value, ir.Expr) and value.op == "call":
                ty = slf.fndesc.typemap.get(value.func.name)
                what = _callee_name(ty) if ty is not None else what
            try:
                where = loc.strformat().rstrip() if loc is not None else ""
            except Exception:
                where = f'File "{loc.filename}", line {loc.line}'
            return Site(what, where, getattr(loc, "line", 0) or 0)
        f = f.f_back
    return None


def user_error(sites, message: str, base: type) -> Exception:
    """``base(message)``, also the facade's error type when the calls are its own (``coop.*``)."""
    return facade_error(message, base, any(s.what.startswith("coop.") for s in sites))
