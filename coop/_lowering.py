"""Lowering of every primitive call from its ``Plan``: argument values in CUB's order,
the TempStorage pointer, optional barrier and runtime length guards, then one shim call
(``cub_bindings._runtime.lower.emit_call``)."""

from __future__ import annotations

from llvmlite import ir
from numba.cuda import cgutils, types
from numba.cuda.nvvmutils import call_sreg

from cub_bindings._runtime import lower as cub_lower

from coop._arrays import local_scratch
from coop._decl import Arg, Const, Functor, Scratch
from coop._typing import Plan

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


def lower_plan(context, builder, sig, args, plan: Plan):
    vals = dict(zip(plan.names, args))
    tys = dict(zip(plan.names, sig.args))
    for name, n in plan.length_checks:
        nitems = cgutils.create_struct_proxy(tys[name])(context, builder, value=vals[name]).nitems
        with builder.if_then(builder.icmp_signed("<", nitems, nitems.type(n)), likely=False):
            cub_lower._trap(builder)
    _barrier(builder, plan.sync)

    sp = plan.cub.specialization
    if plan.storage == "implicit":
        ptr, index = _i8p(None), _i32(0)
    elif plan.storage == "user":
        ts = vals["temp_storage"]
        ptr = builder.bitcast(cgutils.create_struct_proxy(tys["temp_storage"])(context, builder, value=ts).data, _i8p)
        index = _warp_index(builder, plan.warp_threads) if plan.prim.scope == "warp" else _i32(0)
    else:
        ptr = cub_lower.emit_temp_storage(context, builder, sp, plan.warps)
        index = _warp_index(builder, plan.warp_threads)

    scratch = {}
    values = []
    for src, cubty in plan.sources:
        if isinstance(src, Arg):
            if src.name in vals:
                v, t = vals[src.name], tys[src.name]
            else:  # fixed on the host by a two-phase constructor
                v, t = _constant(context, builder, plan.consts[src.name], cubty), cubty
            if isinstance(cubty, types.Array) or isinstance(t, types.Array):
                values.append(v)  # same array data model (FixedArray / Array / ThreadData)
            elif isinstance(cubty, (types.Number, types.Boolean)) and t != cubty:
                values.append(context.cast(builder, v, t, cubty))
            else:
                values.append(v)
        elif isinstance(src, Scratch):
            if src.key not in scratch:
                scratch[src.key] = local_scratch(context, builder, cubty.dtype, src.n)
            values.append(scratch[src.key])
        elif isinstance(src, Functor):
            values.append(context.get_dummy_value())
        elif isinstance(src, Const):
            values.append(_constant(context, builder, src.value, cubty))
        else:
            raise AssertionError(src)
    res = cub_lower.emit_call(context, builder, plan.cub, ptr, index, values)
    if plan.returns == "cub":
        return res if res is not None else context.get_dummy_value()
    if plan.returns is None:
        return context.get_dummy_value()
    arr_ty = next(t for s, t in plan.sources if isinstance(s, Scratch) and s.key == plan.returns)
    arr = cgutils.create_struct_proxy(arr_ty)(context, builder, value=scratch[plan.returns])
    return cub_lower._load(context, builder, arr_ty.dtype, builder.bitcast(arr.data, _i8p))


def _constant(context, builder, value, ty):
    if isinstance(ty, (types.Number, types.Boolean)):
        return context.get_constant(ty, value)
    if isinstance(ty, (types.Dispatcher, types.Dummy)) or ty is None:
        return context.get_dummy_value()
    return context.get_constant_generic(builder, ty, value)
