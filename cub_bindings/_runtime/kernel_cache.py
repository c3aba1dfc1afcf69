"""Numba's on-disk cache (``@cuda.jit(cache=True)``) for kernels that call CUB.

numba-cuda 0.30 pickles a kernel's code library with its linked cubin, but refuses one that
has linking files ("Cannot pickle CUDACodeLibrary with linking files"): it could not link it
again. A library whose only linking files are cub-coop shim sets (``ShimLTOIR``, plus
numba-cuda's NRT) is pickled here as a ``ShimCodeLibrary``:

* its cubin (linked with the shims: the CUB code is in it), as numba-cuda pickles it;
* each shim set's C++, so the loaded library can be linked again if it ever must be (the
  shims' LTOIR then comes from cub_bindings' shim cache, or NVRTC);
* a fingerprint of cub-coop (its source files' stamps) and of the CUB headers. An
  entry made with another fingerprint is a cache miss: the kernel is compiled again and
  the entry replaced.

Loading a cached kernel runs no NVRTC and reads no shim cache: its cubin is complete.
Links with shim sets also drop unused variables (``_link_all``), which keeps the cubins a
first launch loads (and the cache stores) small.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from numba.cuda import serialize
from numba.cuda.codegen import CUDACodeLibrary
from numba.cuda.cudadrv.linkable_code import LTOIR
from numba.cuda.dispatcher import CUDACacheImpl

from cub_bindings._runtime.shims import ShimLTOIR, ShimSet, adopt_plans, prepare_kernel
from cub_bindings._runtime.smem_plan import PlanInfo, PlanUse

_PACKAGES = ("cub_bindings", "coop")  # the cub-coop distribution's packages


def _source_stamp(root: str, rel: str = "") -> list[str]:
    """(relative path, size, mtime) of every Python file under ``root``: cheap to take
    (one stat per file) and changed by any edit or reinstall."""
    out = []
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.name.endswith(".py") and e.is_file():
            st = e.stat()
            out.append(f"{rel}{e.name}:{st.st_size}:{st.st_mtime_ns}")
        elif e.is_dir() and e.name != "__pycache__":
            out += _source_stamp(e.path, f"{rel}{e.name}/")
    return out


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """What besides the kernel's own source decides a cached kernel: cub-coop's sources
    (any edit, upgrade or reinstall changes their stamp), the CUB headers' version and the
    NVVM data layout (``CUB_COOP_SHARED_PTR32``)."""
    from numba.cuda.cudadrv import nvvm

    h = hashlib.sha256(getattr(nvvm, "_datalayout", "").encode())
    base = Path(__file__).resolve().parent.parent.parent
    for pkg in _PACKAGES:
        if (base / pkg).is_dir():
            h.update("\n".join([pkg, *_source_stamp(str(base / pkg))]).encode())
    try:
        from cub_bindings._runtime.nvrtc_service import include_dirs

        h.update((Path(include_dirs()[0]) / "cub" / "version.cuh").read_bytes())
    except Exception:  # no headers found: shims could not be compiled either
        h.update(b"no CUB headers")
    return h.hexdigest()


def _shimset_state(s: ShimSet, library) -> dict:
    return {"tag": s.tag, "headers": list(s.headers), "preamble": dict(s.preamble), "shims": dict(s.shims),
            "layouts": list(s.layout_types), "uses": [u.state() for u in s.uses],
            "own": getattr(library, "_cub_coop_shimset", None) is s}


def _shimset(state: dict, library) -> ShimSet:
    s = ShimSet(state["tag"])
    s.headers = dict.fromkeys(state["headers"])
    s.preamble = dict(state["preamble"])
    s.shims = dict(state["shims"])
    s.layout_types = dict.fromkeys(state["layouts"])
    s.uses = [PlanUse.from_state(u) for u in state.get("uses", ())]
    if state.get("own"):
        s.library = library
        library._cub_coop_shimset = s
    return s


class _CachedShimLTOIR(ShimLTOIR):
    """A cached kernel's shim set, rebuilt from the cache entry's state when first needed
    (linking again, inspecting): a launch of a cached kernel only needs its cubin."""

    def __init__(self, state: dict, library):
        LTOIR.__init__(self, data=None, name=f"cub-coop-shims-{state['tag']}")
        self.own = bool(state.get("own"))
        self._state, self._library = state, library

    @property
    def shimset(self) -> ShimSet:
        s = self.__dict__.get("_shimset")
        if s is None:
            s = self.__dict__["_shimset"] = _shimset(self._state, self._library)
        return s


class ShimCodeLibrary(CUDACodeLibrary):
    """A code library loaded from numba's cache whose kernel was linked with CUB shims."""

    _cub_coop_stale = False

    @property
    def _cub_coop_shimset(self):
        """The library's own shim set (rebuilt from the cache entry when first asked for)."""
        if "_cub_coop_own_set" not in self.__dict__:
            own = next((f for f in self._linking_files if isinstance(f, _CachedShimLTOIR) and f.own), None)
            self.__dict__["_cub_coop_own_set"] = own.shimset if own is not None else None
        return self.__dict__["_cub_coop_own_set"]

    @_cub_coop_shimset.setter
    def _cub_coop_shimset(self, shimset):
        self.__dict__["_cub_coop_own_set"] = shimset

    @classmethod
    def _rebuild(cls, cub_coop=None, **states):
        lib = super()._rebuild(**states)
        cub_coop = cub_coop or {}
        for state in cub_coop.get("shimsets", ()):
            lib._linking_files.add(_CachedShimLTOIR(state, lib))
        plan = cub_coop.get("plan")
        lib._cub_coop_plan = PlanInfo(**plan) if plan else None
        lib._cub_coop_stale = cub_coop.get("fingerprint") != fingerprint()
        return lib


def _reduce(self):
    """``CUDACodeLibrary.__reduce__``: numba-cuda's, or for a library linked with shim sets,
    numba-cuda's state without them plus what ``ShimCodeLibrary`` needs."""
    shims = [f for f in self._linking_files if isinstance(f, ShimLTOIR)]
    if not shims:
        return _original_reduce(self)
    files = self._linking_files
    self._linking_files = files.difference(shims)
    try:
        states = self._reduce_states()  # numba-cuda still refuses any other linking file
    finally:
        self._linking_files = files
    plan = getattr(self, "_cub_coop_plan", None)
    states["cub_coop"] = {"fingerprint": fingerprint(), "plan": plan.state() if plan else None,
                          "shimsets": [_shimset_state(f.shimset, self) for f in sorted(shims, key=lambda f: f.name)]}
    return serialize.custom_reduce(ShimCodeLibrary, states)


def _rebuild_kernel(self, target_context, payload):
    """``CUDACacheImpl.rebuild``: an entry made by another cub-coop or CUB is a miss."""
    if getattr(payload.get("codelibrary"), "_cub_coop_stale", False):
        return None
    return _original_rebuild(self, target_context, payload)


def _link_all(self, linker, cc, ignore_nonlto=False):
    """``CUDACodeLibrary._link_all``: a link with shim sets drops unused variables.

    The shims' LTOIR carries every namespace-scope variable of the CUB/libcu++ headers;
    numba-cuda's linker keeps them all (a load+scan+store kernel: 140 KB of cubin, 1024
    symbols, against 7.5 KB with ``-optimize-unused-variables``), which every first launch
    loads and every cached entry stores. Only when the shims are all that is linked and
    nothing looks a variable up by name (debug builds read their exception globals, setup
    callbacks of other linked code may)."""
    prepare_kernel(self)  # the kernel's shared-memory plan first: it may change the kernel's own code
    _original_link_all(self, linker, cc, ignore_nonlto)
    files = self._linking_files
    if (files and all(isinstance(f, ShimLTOIR) for f in files) and "g" not in self._nvvm_options
            and not self._setup_functions and not self.needs_cudadevrt):
        linker._cub_coop_prune = True


def _add_linking_library(self, library):
    """``CUDACodeLibrary.add_linking_library``: a caller of code that asked for planned shared
    memory gets a shim set of its own (a kernel's holds the plan)."""
    _original_add_linking_library(self, library)
    adopt_plans(self, library)


def _get_linker_options(self, ptx):
    options = _original_linker_options(self, ptx)
    if getattr(self, "_cub_coop_prune", False) and self._has_ltoir:
        options.optimize_unused_variables = True
    return options


if not getattr(CUDACodeLibrary, "_cub_coop_cache", False):
    from numba.cuda.cudadrv.driver import _Linker

    _original_reduce = CUDACodeLibrary.__reduce__
    _original_rebuild = CUDACacheImpl.rebuild
    _original_link_all = CUDACodeLibrary._link_all
    _original_linker_options = _Linker._get_linker_options
    _original_add_linking_library = CUDACodeLibrary.add_linking_library
    CUDACodeLibrary.add_linking_library = _add_linking_library
    CUDACodeLibrary.__reduce__ = _reduce
    CUDACacheImpl.rebuild = _rebuild_kernel
    CUDACodeLibrary._link_all = _link_all
    _Linker._get_linker_options = _get_linker_options
    CUDACodeLibrary._cub_coop_cache = True
