"""C++ text of the shims: one ``extern "C" __device__`` function per bound call.

Every shim takes ``void*`` arguments only (the LLVM side passes addresses of values in
their Numba data layout), spells types with public CUB names, and is named
``cub_coop__<Class>_<template args>__<Method>_<overload>_<mode>__<digest>`` so a dump
reads like the C++ a user would write.
"""

from __future__ import annotations

from numba.cuda import types

from cub_bindings._runtime import cxx
from cub_bindings._runtime.resolve import ArgPlan, CallPlan, OpPlan
from cub_bindings._runtime.shims import digest

MAX_PERSISTENT_BYTES = 64
MAX_PERSISTENT_ALIGN = 16


def _records(*tys) -> dict:
    return cxx.definitions(*tys)


def op_symbol_struct(op: OpPlan, symbol: str) -> str:
    """The C++ functor calling the wrapper ``symbol``: operands by address; an array operand
    (``int (&)[N]``, N deduced) by its address and the address of N; a void one returns nothing."""
    arrays = [isinstance(t, types.Array) for t in op.operand_types]
    params, addrs, ptypes, lens = [], [], [], []
    for i, t in enumerate(op.operand_types):
        if arrays[i]:
            params.append(f"{cxx.cxx_name(t.dtype)} (&x{i})[N{i}]")
            addrs += [f"x{i}", f"&__n{i}"]
            ptypes += ["void*", "const void*"]
            lens.append(f"int __n{i} = N{i}; ")
        else:
            params.append(f"const {cxx.cxx_name(t)}& x{i}")
            addrs.append(f"&x{i}")
            ptypes.append("const void*")
    tmpl = "template <" + ", ".join(f"int N{i}" for i, a in enumerate(arrays) if a) + "> " if any(arrays) else ""
    state = op.kind == "stateful"
    decl = f'extern "C" __device__ void {symbol}({", ".join(["void*"] + ["void*"] * state + ptypes)});'
    call_args = ", ".join((["&r"] if op.return_type is not types.none else ["nullptr"]) + ["s"] * state + addrs)
    if op.return_type is types.none:
        R, body = "void", f"{''.join(lens)}{symbol}({call_args});"
    else:
        R = cxx.cxx_name(op.return_type)
        body = f"{''.join(lens)}{R} r; {symbol}({call_args}); return r;"
    member = "\n  void* s;" if state else ""
    return (decl + "\n" + f"struct {symbol}_t {{{member}\n  {tmpl}__device__ {R} operator()({', '.join(params)}) const "
            f"{{ {body} }}\n}};")


def value_struct(vt) -> tuple[str, str]:
    name = f"cub_coop_args_{digest(str(vt.arg_types), 6)}"
    fields = "".join(f" {cxx.cxx_name(t)} a{i};" for i, t in enumerate(vt.arg_types))
    return name, f"struct {name} {{{fields} }};"


def decomposer_struct(key: types.Record, fields: tuple) -> tuple[str, str]:
    """(name, C++ definition) of the functor CUB's radix sort calls on a record key: a
    ``::cuda::std::tuple`` of references to ``fields``, most significant first."""
    rec = cxx.record_struct_name(key)
    refs = ", ".join(f"{cxx.cxx_name(key.fields[f][0])}&" for f in fields)
    name = f"cub_coop_dec_{digest(rec + ':' + ','.join(fields), 8)}"
    members = ", ".join(f"key.{f}" for f in fields)
    return name, (f"struct {name} {{\n  __device__ ::cuda::std::tuple<{refs}> operator()({rec}& key) const "
                  f"{{ return ::cuda::std::tuple<{refs}>{{{members}}}; }}\n}};")


def _arg_expr(i: int, ap: ArgPlan, op_symbols: dict, locals_: list, preamble: dict) -> str | None:
    p = ap.param
    a = f"a{i}"
    if p.role == "functor":
        op = ap.op
        if op.kind == "cxx":
            init = f"{op.functor.cxx}{{}}"
        else:
            sym = op_symbols[p.name]
            preamble[f"op:{sym}"] = op_symbol_struct(op, sym)
            init = f"{sym}_t{{{a}}}" if op.kind == "stateful" else f"{sym}_t{{}}"
        locals_.append(f"  auto __op_{p.name} = {init};")
        return f"__op_{p.name}"
    if p.role == "decomposer":
        name, definition = decomposer_struct(ap.elem, ap.numba_type.fields)
        preamble[f"dec:{name}"] = definition
        return f"{name}{{}}"
    if p.role == "extractor":
        vt = ap.numba_type
        sname, sdef = value_struct(vt)
        preamble[f"vs:{sname}"] = sdef
        locals_.append(f"  const {sname}& __v_{p.name} = *static_cast<const {sname}*>({a});")
        args = ", ".join(f"__v_{p.name}.a{k}" for k in range(len(vt.arg_types)))
        return f"{vt.specialization.cxx}({args})"
    E = cxx.cxx_name(ap.elem)
    if p.role == "value":
        return f"*static_cast<const {E}*>({a})"
    if p.role == "ref":
        return f"*static_cast<{E}*>({a})"
    if p.role in ("carray", "iterator"):
        return f"static_cast<{E}*>({a})"
    const = "const " if p.role == "range" and p.intent == "in" else ""
    if ap.length is not None and (p.extent_owner == "internal"):
        locals_.append(f'  static_assert({ap.length} == {ap.extent}, "{p.name}: the array must hold {ap.extent} items");')
    return f"*reinterpret_cast<{const}{E}(*)[{ap.extent}]>({a})"


def _object(mode: str, storage_symbol: str | None = None) -> str:
    if mode == "implicit":
        return "  C __obj;"
    if mode == "explicit" and storage_symbol:  # the kernel's plan, its getter in the same NVRTC program
        return f"  C __obj(static_cast<typename C::TempStorage*>({storage_symbol}())[__index]);"
    if mode == "explicit":
        return "  C __obj(static_cast<typename C::TempStorage*>(__self)[__index]);"
    return "  C& __obj = *static_cast<C*>(__self);"


def runtime_args(plan: CallPlan) -> list[ArgPlan]:
    """Supplied arguments that are passed at run time (stateless operators are not)."""
    return [ap for ap in plan.supplied
            if not (ap.op is not None and ap.op.kind != "stateful") and ap.param.role != "decomposer"]


def call_headers(plan: CallPlan) -> list[str]:
    """Headers a rendered call needs besides its class's: those of the C++ functors it passes
    (``<cuda/std/functional>``, ``<cuda/functional>``) and ``<cuda/std/tuple>`` for a
    decomposer. Included only when used: ``<cuda/std/functional>`` alone is about a sixth
    of NVRTC's time for a load+scan+store kernel."""
    out = []
    for ap in plan.supplied:
        if ap.op is not None and ap.op.kind == "cxx":
            out.append(ap.op.functor.header)
        if ap.param.role == "decomposer":
            out.append("cuda/std/tuple")
    return list(dict.fromkeys(out))


def render_call(plan: CallPlan, op_symbols: dict, ctor: bool = False,
                storage_symbol: str | None = None) -> tuple[str, str, dict]:
    """(symbol, C++ code, preamble) for a method call, or a persistent object's constructor.
    ``storage_symbol``: the call's TempStorage comes from that plan getter (``void* f()``),
    called in the shim, so NVRTC sees the shared-memory address it returns."""
    sp, ov = plan.specialization, plan.overload
    preamble = {**sp.preamble, **_records(*[ap.elem for ap in plan.args if ap.elem is not None])}
    if storage_symbol:
        preamble[f"plan:{storage_symbol}"] = f'extern "C" __device__ void* {storage_symbol}();'

    for ap in plan.args:
        if ap.op is not None:
            preamble.update(_records(*ap.op.operand_types, ap.op.return_type))
    rt = runtime_args(plan)
    idx = {id(ap): i for i, ap in enumerate(rt)}
    locals_: list[str] = []
    exprs = []
    for ap in plan.supplied:
        exprs.append(_arg_expr(idx.get(id(ap), -1), ap, op_symbols, locals_, preamble))
    params = ["void* __ret", "void* __self", "int __index"]
    if ctor:
        params += ["void* __ts", "int __ts_index"]
    params += [f"void* a{i}" for i in range(len(rt))]
    head = f'extern "C" __device__ __attribute__((weak)) void {{SYM}}({", ".join(params)})'
    sig = ", ".join(f"{ap.param.cxx} {ap.param.name}" for ap in plan.supplied)
    lines = [f"// {sp!r}::{ov.name}({sig})", head + " {", f"  using C = {sp.cxx};"]
    if ctor:
        lines.append(f'  static_assert(sizeof(C) <= {MAX_PERSISTENT_BYTES} && alignof(C) <= {MAX_PERSISTENT_ALIGN}, '
                     f'"cub-coop keeps this object in a {MAX_PERSISTENT_BYTES}-byte buffer: raise MAX_PERSISTENT_BYTES");')
        lines += locals_
        where = f"{storage_symbol}()" if storage_symbol else "__ts"
        ts = f"static_cast<typename C::TempStorage*>({where})[__ts_index]" if ov.name == "__init__ts" else None
        args = ", ".join(([ts] if ts else []) + exprs)
        lines.append(f"  ::new (__self) C({args});")
    else:
        lines.append(_object(plan.mode, storage_symbol))
        lines += locals_
        call = f"__obj.{ov.name}({', '.join(exprs)})"
        if plan.return_type is not None:
            lines.append(f"  *static_cast<{cxx.cxx_name(plan.return_type)}*>(__ret) = {call};")
        else:
            lines.append(f"  {call};")
    lines.append("}")
    code = "\n".join(lines)
    what = "ctor" if ctor else f"{ov.name}_{ov.index}_{plan.mode[0]}"
    symbol = f"cub_coop__{sp.short}__{what}__{digest(code + str(sorted(preamble)))}"
    return symbol, code.replace("{SYM}", symbol), preamble


def render_temp_storage(sp, count: int, symbol: str) -> str:
    return (f'// {count} x {sp!r}::TempStorage in shared memory\n'
            f'extern "C" __device__ void* {symbol}() {{\n'
            f"  __shared__ typename {sp.cxx}::TempStorage __s[{count}];\n  return __s;\n}}")
