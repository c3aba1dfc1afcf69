"""User-defined types given as Numba extension types (the earlier cuda.coop form): a Numba
type with a data model and ``methods = {"construct": f(this), "assign": f(this, that)}``,
where ``this`` and ``that`` are pointers (``this[0] = ...``).

In the shims such a type is a C++ struct of the same size and alignment holding raw bytes,
whose copy constructor calls ``construct`` then ``assign`` and whose ``operator=`` calls
``assign``, so every copy CUB makes goes through the user's methods. Its default
constructor is trivial (as for a record or a plain C struct): CUB keeps items in unions
(BlockMergeSort's TempStorage), which a non-trivial default constructor would forbid, and
only ever assigns over default-constructed items. The
methods are compiled by numba-cuda as device functions and reached through C-ABI wrappers
(``void <struct>__construct(void*)``, ``void <struct>__assign(void*, const void*)``) defined
in the module of the function (kernel or device function) whose shim uses the type.
"""

from __future__ import annotations

import hashlib
import threading

from llvmlite import ir
from numba import cuda
from numba.cuda import types

_i8p = ir.IntType(8).as_pointer()
_lock = threading.Lock()
_dispatchers: dict = {}  # id(python function) -> (function, its device dispatcher)


def methods_of(ty) -> dict | None:
    """The construct/assign methods of an extension type, or None for any other type."""
    if isinstance(ty, (types.Number, types.Boolean, types.Record)):
        return None
    m = getattr(ty, "methods", None)
    if isinstance(m, dict) and callable(m.get("construct")) and callable(m.get("assign")):
        return m
    return None


def struct_name(ty) -> str:
    digest = hashlib.sha1(f"{type(ty).__module__}.{type(ty).__qualname__}:{ty.key!r}".encode()).hexdigest()[:8]
    return f"cub_coop_udt_{digest}"


def layout(ty) -> tuple[int, int]:
    """(size, alignment) of the type's data representation on the CUDA target."""
    from numba.cuda.descriptor import cuda_target

    ctx = cuda_target.target_context
    dt = ctx.get_data_type(ty)
    return ctx.get_abi_sizeof(dt), ctx.get_abi_alignment(dt)


def definition(ty) -> str:
    name = struct_name(ty)
    size, align = layout(ty)
    return "\n".join([
        f'extern "C" __device__ void {name}__construct(void*);',
        f'extern "C" __device__ void {name}__assign(void*, const void*);',
        f"struct alignas({align}) {name} {{",
        f"  unsigned char __cub_coop_bytes[{size}];",
        f"  {name}() = default;  // trivial: CUB keeps items in unions (e.g. BlockMergeSort's TempStorage)",
        f"  __device__ {name}(const {name}& that) {{ {name}__construct(this); {name}__assign(this, &that); }}",
        f"  __device__ {name}& operator=(const {name}& that) {{ {name}__assign(this, &that); return *this; }}",
        "};",
    ])


def _dispatcher(fn):
    if hasattr(fn, "py_func") and hasattr(fn, "overloads"):
        return fn
    with _lock:
        hit = _dispatchers.get(id(fn))
        if hit is None or hit[0] is not fn:
            hit = _dispatchers[id(fn)] = (fn, cuda.jit(device=True)(fn))
        return hit[1]


def _signature(name, ty):
    ptr = types.CPointer(ty)
    return (ptr,) if name == "construct" else (ptr, ptr)


def define_wrappers(context, ty, module) -> None:
    """Define ``<struct>__construct`` and ``<struct>__assign`` in ``module`` (once)."""
    from cub_bindings._runtime.exported import export

    name = struct_name(ty)
    for method, fn in sorted(methods_of(ty).items()):
        if method not in ("construct", "assign"):
            continue
        symbol = f"{name}__{method}"
        if symbol in module.globals:
            continue
        argtys = _signature(method, ty)
        disp = _dispatcher(fn)
        disp.compile_device(argtys)
        cres = disp.overloads[argtys]
        fnty = ir.FunctionType(ir.VoidType(), [_i8p] * len(argtys))
        wrapper = ir.Function(module, fnty, symbol)
        export(wrapper)  # kept when defined in a device function's module
        b = ir.IRBuilder(wrapper.append_basic_block("entry"))
        ptr_type = context.get_data_type(ty).as_pointer()
        vals = [b.bitcast(a, ptr_type) for a in wrapper.args]
        context.active_code_library.add_linking_library(cres.library)
        callee = cres.fndesc.declare_function(module)
        cres.fndesc.call_conv.call_function(b, callee, cres.signature.return_type, argtys, vals)
        b.ret_void()


def used_in(tys) -> list:
    """The extension types among ``tys`` (without repeats)."""
    out = []
    for t in tys:
        if t is not None and methods_of(t) is not None and t not in out:
            out.append(t)
    return out
