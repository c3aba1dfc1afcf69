"""Lowering: emit the LLVM call of a shim and the C-ABI wrappers of Python operators."""

from __future__ import annotations

import itertools
import threading

from llvmlite import ir
from numba.cuda import cgutils, types
from numba.cuda.np.arrayobj import populate_array


from cub_bindings._runtime import render, udt
from cub_bindings._runtime.registry import ENABLE_CUDASIM
from cub_bindings._runtime.resolve import CallPlan, OpPlan
from cub_bindings._runtime.shims import shimset_for

if not ENABLE_CUDASIM:  # 32-bit shared pointers; cache=True for shim-linked kernels; launches adding a plan's
    # dynamic shared memory (the simulator compiles nothing)
    from cub_bindings._runtime import datalayout, exported, kernel_cache, launch  # noqa: F401

    datalayout.apply()
    # the cache fingerprint (cub-coop's source stamps, the CUB version, the data layout) is
    # taken now, once: it describes the code this process imported, and a first launch of a
    # cached kernel does not pay for it
    kernel_cache.fingerprint()

_i8p = ir.IntType(8).as_pointer()
_i32 = ir.IntType(32)
_op_names: dict = {}
_op_counter: dict[str, itertools.count] = {}
_op_keep: list = []
_op_lock = threading.Lock()


def _op_symbol(op: OpPlan) -> str:
    """A stable, readable name per (device function object, signature, operand types)."""
    fn = op.numba_type.fn_type if op.kind == "stateful" else op.numba_type
    disp = fn.dispatcher
    key = (id(disp), op.kind, str(op.fn_sig), tuple(map(str, op.operand_types)), str(op.return_type))
    with _op_lock:
        name = _op_names.get(key)
        if name is None:
            base = getattr(disp.py_func, "__name__", "fn")
            n = next(_op_counter.setdefault(base, itertools.count()))
            name = _op_names[key] = f"cub_coop_op_{base}_{n}"
            _op_keep.append(disp)  # keep id() unique for the life of the process
    return name


def _data_ptr(context, builder, ty, val):
    return builder.bitcast(cgutils.create_struct_proxy(ty)(context, builder, value=val).data, _i8p)


def _spill(context, builder, ty, val):
    """Address of a copy of ``val`` in its data representation."""
    slot = cgutils.alloca_once(builder, context.get_data_type(ty))
    builder.store(context.data_model_manager[ty].as_data(builder, val), slot)
    return builder.bitcast(slot, _i8p)


def _load(context, builder, ty, ptr):
    # load_from_data_pointer, not from_data: a record's value is a pointer to its data
    return context.data_model_manager[ty].load_from_data_pointer(
        builder, builder.bitcast(ptr, context.get_data_type(ty).as_pointer()))


def _trap(builder):
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.trap")
    builder.call(fn, [])


def array_at(context, builder, ty, data, length=None):
    """A 1-D C array value of Numba type ``ty`` over memory at ``data`` (any pointer): ``length``
    items (an intp value; default: ``ty.length``, for a type that knows it)."""
    n = length if length is not None else context.get_constant(types.intp, ty.length)
    itemsize = context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(ty.dtype)))
    arr = context.make_array(ty)(context, builder)
    populate_array(arr, data=builder.bitcast(data, arr.data.type), shape=[n], strides=[itemsize],
                   itemsize=itemsize, meminfo=None)
    return arr._getvalue()


def _array_view(context, builder, ty, data, length_ptr):
    """A 1-D C array of ``ty`` over a C++ array: its data and the address of its int length."""
    n = builder.sext(builder.load(builder.bitcast(length_ptr, _i32.as_pointer())), context.get_value_type(types.intp))
    return array_at(context, builder, ty, data, n)


def define_op_wrapper(context, op: OpPlan, symbol: str, module) -> None:
    """``void symbol(void* ret, [void* state,] const void* x0, ...)`` calling the device function
    (an array operand is two: its data and the address of its int length; a void op stores nothing)."""
    if symbol in module.globals:
        return
    n = sum(2 if isinstance(t, types.Array) else 1 for t in op.operand_types)  # an array: data, &length
    extra = 1 if op.kind == "stateful" else 0
    fnty = ir.FunctionType(ir.VoidType(), [_i8p] * (1 + extra + n))
    fn = ir.Function(module, fnty, symbol)
    exported.export(fn)  # kept when defined in a device function's module
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    sig = op.fn_sig
    vals = []
    if op.kind == "stateful":
        st = op.numba_type
        obj = _load(context, b, st, fn.args[1])
        vals.append(cgutils.create_struct_proxy(st)(context, b, value=obj).state)
    k = 1 + extra
    for t in op.operand_types:
        if isinstance(t, types.Array):
            vals.append(_array_view(context, b, t, fn.args[k], fn.args[k + 1]))
            k += 2
        else:
            vals.append(_load(context, b, t, fn.args[k]))
            k += 1
    sources = ([op.numba_type.state_type] if extra else []) + list(op.operand_types)
    vals = [context.cast(b, v, f, t) for v, f, t in zip(vals, sources, sig.args)]
    fn_type = op.numba_type.fn_type if op.kind == "stateful" else op.numba_type
    cres = fn_type.dispatcher.overloads[tuple(sig.args)]
    context.active_code_library.add_linking_library(cres.library)
    callee = cres.fndesc.declare_function(module)
    # status ignored: device functions report no exceptions outside debug mode
    _status, res = cres.fndesc.call_conv.call_function(b, callee, sig.return_type, sig.args, vals)
    if op.return_type is types.none:  # a callback: its result is dropped
        b.ret_void()
        return
    res = context.cast(b, res, sig.return_type, op.return_type)
    b.store(context.data_model_manager[op.return_type].as_data(b, res),
            b.bitcast(fn.args[0], context.get_data_type(op.return_type).as_pointer()))
    b.ret_void()


def _types_of(plan: CallPlan) -> list:
    """Every Numba type a shim spells: template arguments, argument elements, operator operands."""
    tys = [v for _, v in plan.specialization.args if isinstance(v, types.Type)]
    for ap in plan.args:
        tys.append(ap.elem)
        if ap.op is not None:
            tys += [*ap.op.operand_types, ap.op.return_type]
    return tys


def emit_call(context, builder, plan: CallPlan, self_ptr, self_index, arg_vals, *, ctor_ts=None,
              storage_symbol=None):
    """Add the shim for ``plan`` to this library's ShimSet and call it; returns the result value.
    ``storage_symbol``: the TempStorage is the plan getter's (``planned_storage``), not ``self_ptr``
    (or, for a constructor, the first of ``ctor_ts``)."""
    shimset = shimset_for(context)
    op_symbols = {}
    for ap in plan.supplied:
        if ap.op is not None and ap.op.kind != "cxx":
            op_symbols[ap.param.name] = sym = _op_symbol(ap.op)
            define_op_wrapper(context, ap.op, sym, builder.module)
    ctor = ctor_ts is not None
    symbol, code, preamble = render.render_call(plan, op_symbols, ctor=ctor, storage_symbol=storage_symbol)
    for ty in udt.used_in(_types_of(plan)):
        udt.define_wrappers(context, ty, builder.module)
    sp = plan.specialization
    headers = [sp.spec.header] + [ap.numba_type.specialization.spec.header for ap in plan.supplied
                                  if ap.param.role == "extractor"] + render.call_headers(plan)
    shimset.add(symbol, code, headers=headers, preamble=preamble, layouts=[sp.temp_storage_cxx])

    by_id = {id(ap): v for ap, v in zip(plan.supplied, arg_vals)}
    ptrs = []
    for ap in render.runtime_args(plan):
        val, ty, role = by_id[id(ap)], ap.numba_type, ap.param.role
        if role in ("array", "range", "carray", "ref", "iterator"):
            if ap.check_length is not None:
                nitems = cgutils.create_struct_proxy(ty)(context, builder, value=val).nitems
                with builder.if_then(builder.icmp_signed("<", nitems, nitems.type(ap.check_length)), likely=False):
                    _trap(builder)
            ptrs.append(_data_ptr(context, builder, ty, val))
        elif role == "value":
            ptrs.append(_spill(context, builder, ap.elem, context.cast(builder, val, ty, ap.elem)))
        else:  # extractor objects and stateful operators: their struct, by address
            ptrs.append(_spill(context, builder, ty, val))
    ret_slot = None
    if plan.return_type is not None:
        ret_slot = cgutils.alloca_once(builder, context.get_data_type(plan.return_type))
    lead = [builder.bitcast(ret_slot, _i8p) if ret_slot is not None else _i8p(None), self_ptr, self_index]
    if ctor:
        lead += list(ctor_ts)
    fnty = ir.FunctionType(ir.VoidType(), [x.type for x in lead] + [_i8p] * len(ptrs))
    fn = cgutils.get_or_insert_function(builder.module, fnty, symbol)
    builder.call(fn, lead + ptrs)
    if ret_slot is not None:
        return _load(context, builder, plan.return_type, ret_slot)
    return None


def planned_storage(context, kind: str, sp=None, count: int = 1, nbytes: int = 0, align: int = 16,
                    what: str | None = None) -> str:
    """Shared memory from the kernel's plan (``smem_plan``): ``sp``'s TempStorage (``kind``
    "overlap": a block-wide call's; "own": ``count`` of them, kept apart) or a byte buffer
    ("bytes": ``nbytes`` aligned to ``align``). Returns the symbol of its getter, which a shim
    calls itself (``emit_call(storage_symbol=...)``): C++ then sees a constant shared address."""
    shimset = shimset_for(context)
    if sp is not None:
        return shimset.plan_use(kind, cxx=sp.temp_storage_cxx, count=count, headers=[sp.spec.header],
                                preamble=sp.preamble, what=what)
    return shimset.plan_use("bytes", nbytes=nbytes, align=align, what=what)


def emit_planned_storage(context, builder, kind: str, sp=None, count: int = 1, nbytes: int = 0, align: int = 16,
                         what: str | None = None):
    """``planned_storage``, its address computed in the kernel's own code: the getter's 32-bit
    shared-memory offset (``<symbol>_shared``) as a shared pointer, cast to a generic ``i8*``
    (as Numba's own shared arrays are), so NVVM keeps addressing it as shared memory."""
    symbol = planned_storage(context, kind, sp, count, nbytes, align, what)
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_i32, []), f"{symbol}_shared")
    shared = builder.inttoptr(builder.call(fn, []), ir.IntType(8).as_pointer(3))
    return builder.addrspacecast(shared, _i8p, "generic")


def emit_temp_storage(context, builder, sp, count: int):

    shimset = shimset_for(context)
    symbol = f"cub_coop_ts__{sp.short}__{shimset.tag}_{shimset.next_site()}"
    shimset.add(symbol, render.render_temp_storage(sp, count, symbol), headers=[sp.spec.header],
                preamble=sp.preamble, layouts=[sp.temp_storage_cxx])
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_i8p, []), symbol)
    return builder.call(fn, [])


def persistent_buffer(builder):
    buf = cgutils.alloca_once(builder, ir.ArrayType(ir.IntType(8), render.MAX_PERSISTENT_BYTES))
    buf.align = render.MAX_PERSISTENT_ALIGN
    return builder.bitcast(buf, _i8p)


def emit_buffer_check(context, builder, ts_type, buf_type, buf_val):
    """TempStorage placed in a caller's byte buffer: its data pointer, plus a shim whose
    ``static_assert`` fails the NVRTC compile if the buffer is too small or under-aligned."""
    sp = ts_type.specialization
    length, align = ts_type.buffer
    shimset = shimset_for(context)
    symbol = f"cub_coop_tscheck__{sp.short}__{length}_{align}"
    code = (f"// {sp!r}::TempStorage placed in a {length}-byte buffer aligned to {align}\n"
            f'extern "C" __device__ __attribute__((weak)) void {symbol}() {{\n'
            f"  using TS = typename {sp.cxx}::TempStorage;\n"
            f'  static_assert(sizeof(TS) <= {length}, "buffer too small for {sp!r}::TempStorage: size it with .temp_storage_bytes");\n'
            f'  static_assert(alignof(TS) <= {align}, "buffer under-aligned for {sp!r}::TempStorage: pass alignment=16");\n}}')
    shimset.add(symbol, code, headers=[sp.spec.header], preamble=sp.preamble, layouts=[sp.temp_storage_cxx])
    return _data_ptr(context, builder, buf_type, buf_val)
