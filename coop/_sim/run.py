"""One coop call in a simulated kernel: the same declaration and typing as a compiled
kernel, then a rendezvous of the group and the CUB method's NumPy semantics.

Per thread: the call's values are given the types the compiler would give them
(``values.typeof``); ``_typing.prepare`` folds, infers and checks them exactly as when
compiling (so the errors are the same); the declaration's ``build`` names the CUB method and
where each CUB argument comes from. Each member deposits those arguments at the group's
rendezvous; the last to arrive runs ``semantics.lookup(class, method)`` for all of them.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from cub_bindings import advance as cb_advance
from cub_bindings import functional as F

from coop import _launch, _ops, _typing
from coop._decl import Arg, Captured, Const, CubCall, Functor, Helper, Scratch
from coop._errors import CoopError, simulated_call, where
from coop._sim import semantics, threads, values

_COOP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: libcu++ functors as Python functions (NumPy semantics: wrap-around integers)
FUNCTORS = {
    "plus": lambda a, b: a + b, "multiplies": lambda a, b: a * b, "minus": lambda a, b: a - b,
    "minimum": lambda a, b: b if b < a else a, "maximum": lambda a, b: b if a < b else a,
    "bit_and": lambda a, b: a & b, "bit_or": lambda a, b: a | b, "bit_xor": lambda a, b: a ^ b,
    "logical_and": lambda a, b: bool(a) and bool(b), "logical_or": lambda a, b: bool(a) or bool(b),
    "less": lambda a, b: bool(a < b), "greater": lambda a, b: bool(a > b),
    "less_equal": lambda a, b: bool(a <= b), "greater_equal": lambda a, b: bool(a >= b),
    "equal_to": lambda a, b: bool(a == b), "not_equal_to": lambda a, b: bool(a != b),
}


def user_site() -> tuple[str, str]:
    """(key, ``File "...", line N``) of the user's line making the coop call."""
    f = sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_COOP_DIR + os.sep):
        f = f.f_back
    if f is None:
        return "?", ""
    return f"{f.f_code.co_filename}:{f.f_lineno}", f'File "{f.f_code.co_filename}", line {f.f_lineno}'


# --------------------------------------------------------------------------- entry points


_NONE_FIXED: dict = {}  # a single-phase call's (one object: its id is part of the typing's key)


def call_primitive(prim, args, kws, fixed=None, bound_storage=None):
    """``coop.<scope>.<name>(...)`` (or a two-phase object's call) in a simulated thread."""
    site, text = user_site()
    with simulated_call(text):
        fixed = fixed or _NONE_FIXED
        if bound_storage is not None:
            kws = {**kws, "temp_storage": bound_storage}
        raw = list(args) + list(kws.values())
        tys = tuple(values.typeof(a) for a in args)
        ktys = {k: values.typeof(v) for k, v in kws.items()}

        def typed():
            given, order, _ = _typing.bind(prim.qualname, prim.params, prim.kernel_order, tys, ktys, prim.aliases,
                                           fixed=fixed)
            variables = {n: r for n, r in zip(order, raw) if isinstance(r, values.SimThreadData)}
            c = _prepare(prim, given, dict(fixed), variables)
            sp = _typing.specialization(c, prim)
            call = None
            if not prim.is_parent:
                call = prim.build(c)
                _typing._check_reaches(prim, sp, call.method)
            return order, c, sp, call

        # a ThreadData without a dtype is allocated by the typing itself: never shared between threads
        thread_data = any(isinstance(r, values.SimThreadData) and r.array is None for r in raw)
        key = (id(prim), id(fixed), tys, tuple(ktys.items()))
        order, c, sp, call = typed() if thread_data else _memo(key, (prim, fixed), typed)
        given_vals = dict(zip(order, [values.unwrap(r) for r in raw]))  # a ThreadData: its array now
        consts = {n: v for n, (t, v) in fixed.items()}
        if prim.is_parent:
            return _construct(prim, c, sp, given_vals, consts, site)
        return _run(prim.qualname, c, sp, call, given_vals, consts, {}, site, None)


def _memo(key, pin, make):
    """``make()``, once per simulated block for ``key`` (the call's primitive and argument types:
    the same types give the same typing, checks and CUB call, so the block's other threads
    reuse the first one's). ``pin`` (what the key holds by id) lives as long as the entry."""
    typed = threads.BlockState.of(threads.current()).typed
    hit = typed.get(key)
    if hit is None:
        hit = typed[key] = (pin, make())
    return hit[1]


def _prepare(prim, given_tys, fixed, variables):
    thread = threads.current()
    with _launch._stated(threads.block_dims(thread)):
        return _typing.prepare(prim, values.CONTEXT, given_tys, fixed, variables)


# --------------------------------------------------------------------------- the collective


def _group(c, thread):
    tid = threads.linear_tid(thread)
    x, y, z = threads.block_dims(thread)
    nthreads = x * y * z
    if c.scope == "warp":
        w = c.warp_threads or 32
        index = tid // w
        members = [t for t in range(index * w, (index + 1) * w) if t < nthreads]
        if len(members) < w:  # CUB: the number of entrant threads must be a multiple of the logical warp size
            c.fail("threads_in_warp", f"logical warp {index} (threads {members[0]}..{members[-1]}) has only "
                   f"{len(members)} of its {w} lanes: the block's {nthreads} threads are not a multiple of {w} (on "
                   "the GPU the missing lanes' values are garbage)",
                   f"a block of a multiple of {w} threads, or a logical warp size that divides {nthreads}")
        return ("warp", index, w), members, tid - index * w
    return ("block", 0, nthreads), list(range(nthreads)), tid


def _arguments(c, call, vals, consts, captured, scratch):
    """{CUB parameter: this thread's value} and {CUB parameter: Python operator}."""
    out, ops = {}, {}
    for param, src in call.args.items():
        if isinstance(src, Arg):
            v = vals[src.name] if src.name in vals else consts.get(src.name)
            if src.name not in vals and src.name not in consts:
                v = c.value(src.name)
            if src.offset is not None:
                v = _advanced(c, src, v, vals[src.offset])
        elif isinstance(src, Captured):
            v = captured[src.name]
        elif isinstance(src, Scratch):
            if src.key not in scratch:
                dt = semantics.numba_to_numpy(c.dtype(src.group))
                scratch[src.key] = np.zeros(src.n, dt)
                if src.init is not None:
                    scratch[src.key][0] = vals[src.init]
            v = scratch[src.key]
        elif isinstance(src, Functor):
            v = src.functor
        elif isinstance(src, Const):
            v = semantics.numba_to_numpy(c.dtype(src.group)).type(src.value)
        elif isinstance(src, Helper):
            v = src
        else:
            raise AssertionError(src)
        out[param] = v
        op = _operator(v)
        if op is not None:
            ops[param] = op
    return out, ops


def _advanced(c, src, array, offset):
    """``array`` from element ``offset`` on (``cub_bindings.advance``: a view); an offset
    outside the array, which the GPU would turn into an out-of-bounds access, is an error."""
    try:
        return cb_advance(array, offset)
    except ValueError:
        c.fail(src.offset, f"{int(offset)} is outside the {len(array)} items of {src.name} (on the GPU an "
               "out-of-bounds access; nothing wraps as a slice would)", f"0..{len(array)}")


def _operator(v):
    if isinstance(v, F.CxxFunctor):
        return FUNCTORS[v.name]
    if isinstance(v, str):
        for role in _ops.ROLES.values():
            f = role.names.get(v.strip().lower())
            if f is not None:
                return FUNCTORS[f.name]
        return None
    if isinstance(v, F.StatefulOp):
        fn, state = values.python_callable(v.fn), v.state
        return lambda *a: fn(state, *[values.as_record(x) for x in a])
    if values._is_device_function(v):
        fn = values.python_callable(v)
        return lambda *a: fn(*[values.as_record(x) for x in a])
    if callable(v) and not isinstance(v, type):
        for role in _ops.ROLES.values():
            try:
                f = role.functions.get(v)
            except TypeError:
                f = None
            if f is not None:
                return FUNCTORS[f.name]
    return None


def _check_lengths(c, params, call, vals):
    for name, n in _typing.length_checks(c, params, call):
        if name in vals and len(vals[name]) < n:
            c.fail(name, f"holds {len(vals[name])} items, but this call reads or writes {n} (on the GPU the kernel "
                   "traps)", f"an array of at least {n} items")


def _run(what, c, sp, call, vals, consts, captured, site, state, params=None):
    thread = threads.current()
    where_text = where().lstrip("\n")
    params = params or c.params
    _check_lengths(c, params, call, vals)
    scratch: dict = {}
    args, ops = _arguments(c, call, vals, consts, captured, scratch)
    fn = semantics.lookup(sp.spec.name, call.method)
    if fn is None:
        raise CoopError(f"{what}: {sp.spec.name}::{call.method} has no simulator implementation yet "
                        "(run this kernel on a GPU)")
    group_key, members, rank = _group(c, thread)
    dims = threads.block_dims(thread)

    def compute(payloads):
        g = semantics.Group(what, sp.spec.name, call.method, sp, [p[0] for p in payloads], members, dims,
                            dict(c.dtypes), c.warp_threads if c.scope == "warp" else None, [p[1] for p in payloads],
                            state, lengths=dict(c.lengths))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fn(g)
        return g.result if g.result is not None else [None] * len(payloads)

    result = threads.rendezvous(what, site, group_key, members, rank, (args, ops), compute, "\n" + where_text)
    return _returned(c, call, result, scratch)


def _returned(c, call, result, scratch):
    if call.returns == "cub" or call.returns == "object":
        return result
    if call.returns is None:
        return None
    keys = call.returns if isinstance(call.returns, tuple) else (call.returns,)
    out = tuple(scratch[k][0] for k in keys)
    return out if isinstance(call.returns, tuple) else out[0]


# --------------------------------------------------------------------------- parent objects


class SimObject:
    """A parent object (``histo = coop.block.histogram(...)``) in a simulated kernel."""

    def __init__(self, prim, sp, c, captured_vals, state):
        self._prim, self._sp, self._state = prim, sp, state
        self._captured_vals = captured_vals
        self._captured_tys = {n: c.type(n) for n in captured_vals}
        self._dtypes = tuple(sorted(c.dtypes.items()))
        self._lengths = tuple(sorted(c.lengths.items()))
        self._dims, self._scope, self._warp = c.dims, c.scope, c.warp_threads

    def __getattr__(self, name):
        if name.startswith("_") or self._prim.method(name) is None:
            valid = ", ".join(m.name for m in self._prim.methods)
            raise CoopError(f"{self._prim.qualname}(...) has no method {name!r}; valid: {valid}")

        def method(*args, **kws):
            return self._call(name, args, kws)

        return method

    def _call(self, name, args, kws):
        site, text = user_site()
        with simulated_call(text):
            raw = list(args) + list(kws.values())
            tys = tuple(values.typeof(a) for a in args)
            ktys = {k: values.typeof(v) for k, v in kws.items()}

            def typed():
                m = self._prim.method(name)
                _, order, _ = _typing.bind(f"{self._prim.qualname}(...).{name}", m.params, m.order, tys, ktys, {})
                variables = {n: r for n, r in zip(order, raw) if isinstance(r, values.SimThreadData)}
                c, call, order, _, params = _typing.prepare_method(values.CONTEXT, self._prim, name,
                                                                  self._captured_tys, self._dtypes, self._lengths,
                                                                  self._dims, tys, ktys, variables)
                _typing._check_reaches(self._prim, self._sp, call.method)
                return c, call, order, params

            thread_data = any(isinstance(r, values.SimThreadData) and r.array is None for r in raw)
            key = (id(self._prim), self._sp, name, tuple(self._captured_tys.items()), self._dtypes, self._lengths,
                   self._dims, tys, tuple(ktys.items()))
            c, call, order, params = typed() if thread_data else _memo(key, self._prim, typed)
            given_vals = dict(zip(order, [values.unwrap(r) for r in raw]))
            return _run(c.what, c, self._sp, call, given_vals, {}, self._captured_vals, site, self._state, params)


def _construct(prim, c, sp, vals, consts, site):
    con = prim.construct(c)
    captured = {}
    for n in con.captured:
        if n in vals:
            captured[n] = vals[n]
        elif n in consts:
            captured[n] = consts[n]
    state = None
    if con.ctor is not None:  # a persistent CUB object: its constructor is a collective too
        _typing._check_reaches(prim, sp, con.ctor.method)
        # the constructor's semantics return the state every member shares (CUB keeps it in TempStorage)
        ctor = CubCall(con.ctor.method, con.ctor.args, returns="cub")  # the semantics' g.returns, not None
        state = _run(prim.qualname, c, sp, ctor, vals, consts, {}, site, None)
    obj = SimObject(prim, sp, c, captured, state)
    return obj
