"""Shim sets: the C++ a kernel needs, compiled in one NVRTC call per kernel at link time.

Lowering a CUB call adds an ``extern "C" __device__`` shim (spelled only with public CUB
names) to the ``ShimSet`` of the code library being lowered. The set is attached to that
library as one lazy LTOIR linking file: numba-cuda links it automatically (no ``link=``).
Before a kernel links (``prepare_kernel``), the kernel's own set absorbs the sets of the
device functions linked into it, together with every call's request for shared memory,
and is compiled with the kernel's shared-memory plan (``smem_plan``) by one NVRTC call
(through the on-disk cache). Shims are ``weak`` and named by content digest, so the same
shim made by a device function and its caller is one function.

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
from cub_bindings._runtime.smem_plan import (OPT_IN_BYTES, STATIC_SHARED_BYTES, PlanInfo, PlanUse, Rendered,
                                             keep_dynamic_arrays, numba_static_shared, uses_dynamic_arrays)

# every shim set: the fixed-width types its signatures spell. A call adds its class's header
# and what else it uses (render.call_headers); a shared-memory plan adds <cuda/std/type_traits>.
BASE_HEADERS = ("cuda/std/cstdint",)
PLAN_HEADERS = ("cuda/std/type_traits",)
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
        self.library = None  # the code library it belongs to (a kernel's set also holds the kernel's plan)
        self.uses: list[PlanUse] = []  # shared memory its calls asked for (``smem_plan``)
        self.plan: PlanInfo | None = None  # a kernel's set: what its compiled plan decided

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

    def plan_use(self, kind: str, *, cxx=None, count=1, nbytes=0, align=16, headers=(), preamble=None,
                 what=None) -> str:
        """Shared memory for the call being lowered, from the kernel's plan: the getter's symbol."""
        site = lowering_site()
        # a block-wide call's slot is its TempStorage type's, in whichever set of the kernel: calls of one
        # type share the getter, so their shims stay one (identical shims are one function)
        symbol = (f"cub_coop_plan__t{digest(cxx, 12)}" if kind == "overlap"
                  else f"cub_coop_plan__{self.tag}_{len(self.uses)}")
        what = what or (site.what if site else "a CUB call")
        self.uses.append(PlanUse(symbol, kind, cxx, count, nbytes, align, tuple(headers), dict(preamble or {}),
                                 what, site.where if site else ""))
        return symbol

    def absorb(self, others) -> None:
        """Take in the shims, sites and plan uses of ``others`` (the sets of a kernel's device
        functions): the kernel then compiles all its C++ in one NVRTC call. Idempotent."""
        for o in others:
            if o is self:
                continue
            self.headers.update(o.headers)
            for k, v in o.preamble.items():
                self.preamble.setdefault(k, v)
            self.layout_types.update(o.layout_types)
            for sym, code in o.shims.items():
                self.shims.setdefault(sym, code)
            for sym, sites in o.sites.items():
                mine = self.sites.setdefault(sym, [])
                mine += [x for x in sites if x not in mine]
            known = {(u.symbol, u.where) for u in self.uses}
            self.uses += [u for u in o.uses if (u.symbol, u.where) not in known]

    def _kernel_plan(self) -> Rendered | None:
        """The shared-memory plan of the kernel this set belongs to (its calls and, once it has
        absorbed them, its device functions'), when this is a kernel's set with uses."""
        lib = self.library
        if lib is None or getattr(lib, "_entry_name", None) is None or not self.uses:
            return None
        private = []  # CUB's private storage of raw cub_bindings calls (static shared memory too)
        for code in self.shims.values():
            private += [f"typename {cls}::TempStorage[{max(count, 1)}]" for cls, count in _shared_uses(code)]
        return Rendered(self.tag, self.uses, numba_static_shared(lib), list(dict.fromkeys(private)))

    def source(self, plan: Rendered | None = None) -> str:
        plan = plan if plan is not None else self._kernel_plan()
        if not self.shims and plan is None:
            return ""
        headers, preamble = dict(self.headers), dict(self.preamble)
        if plan is not None:
            headers.update(dict.fromkeys(PLAN_HEADERS))
        for u in plan.uses if plan else ():
            headers.update(dict.fromkeys(u.headers))
            for k, v in u.preamble.items():
                preamble.setdefault(k, v)
        inc = "".join(f"#include <{h}>\n" for h in headers)
        body = "\n\n".join([*self.shims.values(), *([plan.code] if plan else [])])
        return inc + "\n" + "\n".join(preamble.values()) + "\n\n" + body + "\n"

    def compile(self) -> CompiledShims:
        with self._compile_lock:
            return self._compile()

    def compile_inputs(self, plan: Rendered | None = None) -> tuple[str, tuple]:
        """(C++ source, types whose layouts the compile measures) of this set, its kernel's plan included."""
        plan = plan if plan is not None else self._kernel_plan()
        layout_types = tuple(self.layout_types) + (tuple(plan.layout_types + plan.use_types) if plan else ())
        return self.source(plan) or _EMPTY, layout_types

    def _compile(self) -> CompiledShims:
        plan = self._kernel_plan()
        src, layout_types = self.compile_inputs(plan)
        if self.compiled is None or self._compiled_source != src:
            try:
                compiled = compile_shims(src, layout_types, arch=current_arch())
            except ShimCompileError as exc:
                raise self._failed(src, exc) from None
            record_layouts(compiled.layouts)
            self._check_static_shared(compiled.layouts)
            info = plan.info(compiled.layouts) if plan else None
            if info is not None:
                self._check_plan(info)
            self.compiled, self._compiled_source, self.plan = compiled, src, info
        return self.compiled

    def _check_plan(self, info: PlanInfo) -> None:
        limit = OPT_IN_BYTES.get(current_arch())
        need = info.size + info.other_static
        if not info.dynamic or limit is None or need <= limit:
            return
        sites = [Site(what, where) for what, where, _ in info.uses]
        msg = (f"{' / '.join(dict.fromkeys(s.what for s in sites))}: this kernel's shared memory needs {need} bytes "
               f"({need / 1024:.0f} KB: {info.size} bytes of TempStorage planned by cub-coop, {info.other_static} "
               f"bytes of other static shared memory), over the {limit} bytes ({limit // 1024} KB) a block may use "
               f"on {current_arch()}: {info.describe()}\n"
               "  valid: fewer items per thread or threads, algorithms that need less shared memory, or one "
               "coop.TempStorage() shared by the calls (their TempStorage then overlaps)")
        raise user_error(sites, msg, ShimCompileError)

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


#: a translation unit with nothing in it (a set with no shims and no plan; an intermediate device
#: function's, which its kernel absorbs before linking)
_EMPTY = '// nothing\nextern "C" __device__ __attribute__((weak)) void cub_coop_empty_set() {}\n'


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
        fndesc = _lowering_fndesc()
        shimset = own_shimset(lib, f"{fndesc.modname}.{fndesc.qualname}{fndesc.argtypes}" if fndesc else None)
    return shimset


def own_shimset(lib, key: str | None = None) -> ShimSet:
    """The ShimSet of code library ``lib``, created and linked on first use. Its tag names the
    plan getters of its calls, so it must differ between libraries linked into one kernel (a
    device function compiled for two signatures has one library name) and stay the same in
    every process (the shims' on-disk cache): ``key`` is the function and its argument types."""
    shimset = getattr(lib, "_cub_coop_shimset", None)
    if shimset is None:
        shimset = ShimSet(digest(key or lib.name, 6))
        shimset.library = lib
        lib._cub_coop_shimset = shimset
        lib.add_linking_file(ShimLTOIR(shimset))
    return shimset


_prepare_lock = threading.Lock()


def prepare_kernel(library) -> PlanInfo | None:
    """Before a kernel library links: its own shim set absorbs every other set linked into it
    (its device functions'), which leave the link, so the kernel's C++ is one NVRTC call;
    that set compiles with the kernel's shared-memory plan; what the plan decided is recorded
    on the library (``_cub_coop_plan``, read by the launch), and when it went to dynamic
    shared memory beside the kernel's own dynamic arrays, those keep their length
    (``smem_plan.keep_dynamic_arrays``)."""
    own = getattr(library, "_cub_coop_shimset", None)
    if own is None or getattr(library, "_entry_name", None) is None:
        return getattr(library, "_cub_coop_plan", None)
    with _prepare_lock:
        others = [f for f in library._linking_files if isinstance(f, ShimLTOIR) and f.shimset is not own]
        own.absorb(f.shimset for f in others)
        library._linking_files.difference_update(others)
    own.compile()
    info = own.plan
    library._cub_coop_plan = info
    if info is not None and info.dynamic and uses_dynamic_arrays(library):
        keep_dynamic_arrays(library, info)
    return info


def adopt_plans(library, linked) -> None:
    """``library`` links ``linked``: if ``linked`` (or code below it) calls CUB, ``library``
    gets a shim set of its own, which, in a kernel, absorbs the others (``prepare_kernel``)."""
    if any(isinstance(f, ShimLTOIR) for f in getattr(linked, "_linking_files", ())):
        own_shimset(library)


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


def _lowering_frames():
    """(frame, its ``Lower``) for each frame of Numba's lowering on the stack, innermost first."""
    from numba.cuda.lowering import Lower

    f = sys._getframe(1)
    while f is not None:
        slf = f.f_locals.get("self")
        if isinstance(slf, Lower):
            yield f, slf
        f = f.f_back


def _lowering_fndesc():
    """The function descriptor of the function Numba is lowering now, or None."""
    return next((slf.fndesc for _, slf in _lowering_frames()), None)


def lowering_site() -> Site | None:
    """The call Numba is lowering now (from the lowering frame on the stack), or None."""
    from numba.cuda.core import ir

    for f, slf in _lowering_frames():
        if f.f_code.co_name == "lower_inst":
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
    return None


def user_error(sites, message: str, base: type) -> Exception:
    """``base(message)``, also the facade's error type when the calls are its own (``coop.*``)."""
    return facade_error(message, base, any(s.what.startswith("coop.") for s in sites))
