"""Lowering of every coop call from the plan its signature carries (see ``_numba_types``):
argument values in CUB's order, the TempStorage pointer, optional barrier and runtime length
guards, then one shim call through ``cub_bindings.extending``. Parent objects are built here
too: their storage, captured values and (persistent classes) the C++ constructor call.

This is the NVRTC-shim backend; the plan (``_typing.Plan``) says what a call means and
nothing about how it is emitted.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba.cuda import cgutils, types
from numba.cuda.nvvmutils import call_sreg

from cub_bindings import extending as cb

from coop._arrays import local_scratch
from coop._decl import Arg, Captured, Const, Functor, Helper, Scratch

_i8p = ir.IntType(8).as_pointer()
_i32 = ir.IntType(32)


def _barrier(builder, kind):
    if kind == "block":
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), ()), "llvm.nvvm.barrier0")
        builder.call(fn, ())
    elif kind == "warp":
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), (_i32,)),
                                            "llvm.nvvm.bar.warp.sync")
        builder.call(fn, (_i32(0xFFFFFFFF),))


def _linear_tid(builder):
    tx, ty, tz = (call_sreg(builder, f"tid.{d}") for d in "xyz")
    nx, ny = call_sreg(builder, "ntid.x"), call_sreg(builder, "ntid.y")
    return builder.add(tx, builder.mul(nx, builder.add(ty, builder.mul(ny, tz))))


def _warp_index(builder, warp_threads: int):
    return builder.udiv(_linear_tid(builder), _i32(warp_threads))


def _constant(context, builder, value, ty):
    if ty == types.float16:  # numba's half constants fail NVVM's verifier: build them from their bits
        bits = ir.Constant(ir.IntType(16), int(np.array(value, np.float16).view(np.uint16)))
        vt = context.get_value_type(ty)
        return bits if vt == bits.type else builder.bitcast(bits, vt)
    if isinstance(ty, (types.Number, types.Boolean)):
        return context.get_constant(ty, value)
    if isinstance(ty, (types.Dispatcher, types.Dummy)) or ty is None:
        return context.get_dummy_value()
    return context.get_constant_generic(builder, ty, value)


def _user_storage(context, builder, plan, vals, tys):
    """The call's place in the user's TempStorage: its data, plus the call's slice offset
    (``sharing="exclusive"``)."""
    ts = cgutils.create_struct_proxy(tys["temp_storage"])(context, builder, value=vals["temp_storage"])
    ptr = builder.bitcast(ts.data, _i8p)
    return builder.gep(ptr, [_i32(plan.storage_offset)]) if plan.storage_offset else ptr


def _storage(context, builder, plan, vals, tys, obj):
    """(pointer, index, plan getter symbol or None) of the call's CUB TempStorage."""
    if plan.storage == "user":
        index = _warp_index(builder, plan.warp_threads) if plan.scope == "warp" else _i32(0)
        return _user_storage(context, builder, plan, vals, tys), index, None
    if plan.storage == "object":
        return obj.ptr, obj.index, None
    # from the kernel's shared-memory plan: a block-wide call's TempStorage (implicit, or a block class
    # without a default constructor, e.g. BlockRadixRankMatch), its getter called by the shim itself (C++
    # sees a constant shared address), may share memory with other such calls; a warp primitive's, one
    # TempStorage per logical warp, is kept apart (its warps need not run together)
    if plan.scope == "warp":  # its address from the kernel's code: the shim stays one for every such call
        ptr = cb.emit_planned_storage(context, builder, "own", plan.specialization, plan.warps)
        return ptr, _warp_index(builder, plan.warp_threads), None
    return _i8p(None), _i32(0), cb.planned_storage(context, "overlap", plan.specialization)


def _values(context, builder, plan, vals, tys, obj, scratch):
    out = []
    for src, cubty in plan.sources:
        if isinstance(src, Arg) and src.name in vals:
            v, t = vals[src.name], tys[src.name]
            if isinstance(cubty, (types.Number, types.Boolean)) and not isinstance(t, types.Array) and t != cubty:
                v = context.cast(builder, v, t, cubty)
            if src.offset is not None:
                v = cb.advance_array(context, builder, t, v, vals[src.offset], tys[src.offset])  # d + offset
            out.append(v)
        elif isinstance(src, Arg):  # fixed on the host by a two-phase constructor
            out.append(_constant(context, builder, plan.consts[src.name], cubty))
        elif isinstance(src, Captured):
            out.append(getattr(obj, f"cap_{src.name}"))
        elif isinstance(src, Scratch):
            if src.key not in scratch:
                scratch[src.key] = local_scratch(context, builder, cubty.dtype, src.n)
                if src.init is not None:
                    arr = cgutils.create_struct_proxy(cubty)(context, builder, value=scratch[src.key])
                    v = context.cast(builder, vals[src.init], tys[src.init], cubty.dtype)
                    builder.store(v, builder.bitcast(arr.data, context.get_value_type(cubty.dtype).as_pointer()))
            out.append(scratch[src.key])
        elif isinstance(src, Functor):
            out.append(context.get_dummy_value())
        elif isinstance(src, Const):
            out.append(_constant(context, builder, src.value, cubty))
        elif isinstance(src, Helper):
            out.append(cb.emit_value_object(context, builder, cubty, src.args))
        else:
            raise AssertionError(src)
    return out


def lower_planned(context, builder, sig, args):
    planned = sig.args[0]
    plan = planned.plan
    vals = dict(zip(plan.names, args[1:]))
    tys = dict(zip(plan.names, sig.args[1:]))
    if plan.bound_storage:  # prim[temp](...): the TempStorage is the callee's value
        vals["temp_storage"], tys["temp_storage"] = args[0], planned.callee.storage
    obj = None
    if plan.storage == "object" and plan.returns != "object":
        obj = cgutils.create_struct_proxy(planned.callee.obj)(context, builder, value=args[0])
    for name, n in plan.length_checks:
        nitems = cgutils.create_struct_proxy(tys[name])(context, builder, value=vals[name]).nitems
        with builder.if_then(builder.icmp_signed("<", nitems, nitems.type(n)), likely=False):
            cb.trap(builder)
    _barrier(builder, plan.sync)
    if plan.returns == "object":
        return _construct(context, builder, plan, vals, tys)
    ptr, index, symbol = _storage(context, builder, plan, vals, tys, obj)
    scratch = {}
    values = _values(context, builder, plan, vals, tys, obj, scratch)
    res = cb.emit_call(context, builder, plan.cub, ptr, index, values, storage_symbol=symbol)
    if plan.returns == "cub":
        return res if res is not None else context.get_dummy_value()
    if plan.returns is None:
        return context.get_dummy_value()
    keys = plan.returns if isinstance(plan.returns, tuple) else (plan.returns,)
    out = []
    for key in keys:
        arr_ty = next(t for s, t in plan.sources if isinstance(s, Scratch) and s.key == key)
        arr = cgutils.create_struct_proxy(arr_ty)(context, builder, value=scratch[key])
        out.append(cb.load_value(context, builder, arr_ty.dtype, arr.data))
    if not isinstance(plan.returns, tuple):
        return out[0]
    return context.make_tuple(builder, sig.return_type, out)


def _construct(context, builder, plan, vals, tys):
    """A parent object: its TempStorage (given, or its own), captured values, C++ object."""
    objty = plan.obj
    obj = cgutils.create_struct_proxy(objty)(context, builder)
    if "temp_storage" in vals and plan.storage == "user":
        ptr, index = _user_storage(context, builder, plan, vals, tys), _i32(0)
    else:  # its own TempStorage, kept apart in the kernel's plan: it lives as long as the object
        ptr, index = cb.emit_planned_storage(context, builder, "own", plan.specialization, 1), _i32(0)
    if plan.cub is not None:  # a persistent CUB object: construct it once, keep it
        values = _values(context, builder, plan, vals, tys, None, {})
        ptr, index = cb.emit_construct(context, builder, plan.cub, ptr, index, values), _i32(0)
    obj.ptr, obj.index = ptr, index
    for name, ty in objty.captured:
        setattr(obj, f"cap_{name}", vals[name])
    return obj._getvalue()
