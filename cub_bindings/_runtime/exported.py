"""Functions that a shim calls by name (C-ABI wrappers of Python operators and of extension
types' methods) stay in the link, wherever they are defined.

A wrapper is defined in the module of the function whose call needs it: a kernel's, or a
device function's. numba-cuda's ``CUDACodeLibrary.finalize`` gives every function defined in
a *linked* library (a device function's) ``linkonce_odr`` linkage, so that unused device
functions leave no PTX; NVVM then drops a wrapper nothing in the Numba code calls, and the
kernel's link fails on the shim's reference (``ptxas fatal: Unresolved extern function
'cub_coop_op_...'``). ``export`` marks a wrapper, and a kernel's finalize gives the marked
functions of its linked libraries their ``weak_odr`` linkage back (one definition kept,
duplicates from several device functions merged).
"""

from __future__ import annotations

from numba.cuda.codegen import CUDACodeLibrary

_MARK = "_cub_coop_exported"


def export(fn) -> None:
    """Keep LLVM function ``fn`` (a wrapper a shim calls) in every kernel that links its module."""
    fn.linkage = "weak_odr"
    setattr(fn, _MARK, True)


def _finalize(self):
    _original_finalize(self)
    for library in self._linking_libraries:
        for mod in library.modules:
            if mod is None:  # a library loaded from numba's cache keeps no modules
                continue
            for fn in mod.functions:
                if getattr(fn, _MARK, False):
                    fn.linkage = "weak_odr"


if not getattr(CUDACodeLibrary, "_cub_coop_exported", False):
    _original_finalize = CUDACodeLibrary.finalize
    CUDACodeLibrary.finalize = _finalize
    CUDACodeLibrary._cub_coop_exported = True

__all__ = ["export"]
