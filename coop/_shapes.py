"""Array lengths taken from an array argument's shape, and the launch that supplies it.

::

    @cuda.jit
    def kernel(d_in, d_out):
        hist = coop.shared.array(d_out.shape, d_out.dtype)     # or d_out.shape[0], len(d_out)

A length must be known at compile time (it is part of the array's Numba type), but
``d_out.shape`` is a run-time value of a plain ``array(int32, 1d, C)``. So the kernel is
compiled per shape of ``d_out``, the way an integer argument used as a length is compiled
per value (``_launch.request_literal``):

1. ``ShapedArray``: a Numba ``Array`` subclass with the shape in its key (so each shape is
   its own signature and its own compiled kernel), the array's data model, and ``.shape``
   typed as a tuple of integer literals (lowered as constants). Every other array
   operation is the array's own; slices and views are plain arrays.
2. Typing ``coop.local.array``/``coop.shared.array``/``coop.ThreadData``/``coop.TempStorage``
   (``_arrays._int_arg``): a length that is not an integer literal is traced back through
   the function IR (``func_ir.get_definition`` from the call's argument variable, found on
   the ``CallConstraint`` being evaluated). ``a.shape``, ``a.shape[0]`` or ``len(a)`` of a
   1-D kernel argument ``a`` typed as a plain array raises ``ShapeRequest`` (a
   ``CoopError``: Numba lets it out of type inference unchanged) naming ``a``'s position.
   numba-cuda's own ``ForceLiteralArg`` cannot do this: it refuses anything but an argument
   itself ("Cannot request literal type.").
3. The dispatcher wrapper (``_launch._literal_dispatch``, around
   ``CUDADispatcher._compile_for_args``) catches it, types that argument as
   ``ShapedArray(its type, value.shape)`` and compiles again; it remembers the position, so
   a relaunch types the argument shaped straight away and finds the kernel compiled for
   that shape (no failed typing pass), and a new shape compiles a new kernel.
4. The launch extension (``_launch._LiteralArgs``) passes a ``ShapedArray`` argument as
   the plain array, after checking the value has the shape the kernel was compiled for.

Without a launch (``cuda.compile``, ``build_kernel``, ``kernel.compile(sig)``) nothing
catches the request: it is the error the user sees, telling them to state the shape in the
signature with ``coop.shaped(types.int32[::1], (256,))``, as ``types.literal(8)`` states an
integer argument's value. Kernels that never take a length from a shape are untouched.
"""

from __future__ import annotations

import numpy as np

from numba.cuda import types
from numba.cuda.core import ir
from numba.cuda.datamodel.models import ArrayModel
from numba.cuda.typing.templates import AttributeTemplate

from cub_bindings.extending import lowering_registry, register_model, typeof_impl, typing_registry

from coop._errors import CoopError, current_call, where


# --------------------------------------------------------------------------- the type


class ShapedArray(types.Array):
    """An array argument whose shape is known at compile time (part of the type's key)."""

    def __init__(self, base: types.Array, shape: tuple[int, ...]):
        self.static_shape = tuple(int(n) for n in shape)
        super().__init__(base.dtype, base.ndim, base.layout, readonly=not base.mutable, aligned=base.aligned,
                         name=f"shaped({base}, {self.static_shape})")

    @property
    def key(self):
        return super().key + (self.static_shape,)

    @property
    def mangling_args(self):
        name, args = super().mangling_args
        return name, [*args, *self.static_shape]

    def __repr__(self):
        return f"coop.shaped({self.plain!r}, {self.static_shape})"

    @property
    def plain(self) -> types.Array:
        """The array type without the shape (what is marshalled at launch)."""
        return types.Array(self.dtype, self.ndim, self.layout, readonly=not self.mutable, aligned=self.aligned)


register_model(ShapedArray)(ArrayModel)


@typeof_impl.register(ShapedArray)
def _typeof_shaped(val, c):
    # the dispatcher wrapper passes the type itself in place of the argument value, as
    # Numba's literal re-dispatch passes ``types.literal(value)``
    return val


@typing_registry.register_attr
class _ShapedArrayAttributes(AttributeTemplate):
    key = ShapedArray

    def resolve_shape(self, ary):
        return types.Tuple(tuple(types.literal(n) for n in ary.static_shape))


@lowering_registry.lower_getattr(ShapedArray, "shape")
def _lower_shape(context, builder, typ, value):
    retty = types.Tuple(tuple(types.literal(n) for n in typ.static_shape))
    return context.make_tuple(builder, retty, [context.get_constant(types.intp, n) for n in typ.static_shape])


def shaped(array_type, shape):
    """``array_type`` with its shape known at compile time, for signatures compiled without a
    launch: ``build_kernel(k, (coop.shaped(types.int32[::1], (256,)), ...))``. A launch does
    this by itself for the arguments whose shape the kernel uses as a length."""
    if isinstance(array_type, ShapedArray):
        array_type = array_type.plain
    if not isinstance(array_type, types.Array):
        raise CoopError(f"coop.shaped: argument `array_type`: must be a Numba array type "
                        f"(e.g. numba.types.int32[::1]), got {array_type!r}")
    dims = (shape,) if _is_int(shape) else shape
    if not isinstance(dims, (tuple, list)) or not all(_is_int(n) for n in dims):
        raise CoopError(f"coop.shaped: argument `shape`: must be an int or a tuple of ints, got {shape!r}")
    if len(dims) != array_type.ndim or any(n < 0 for n in dims):
        raise CoopError(f"coop.shaped: argument `shape`: {tuple(dims)} is not the shape of a "
                             f"{array_type.ndim}-D array ({array_type.ndim} non-negative ints)")
    return ShapedArray(array_type, tuple(int(n) for n in dims))


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def shape_of_value(val):
    """The shape of a launch argument (NumPy/device array or any CUDA Array Interface object)."""
    shape = getattr(val, "shape", None)
    if shape is None:
        cai = getattr(val, "__cuda_array_interface__", None)
        shape = cai.get("shape") if isinstance(cai, dict) else None
    return None if shape is None else tuple(int(n) for n in shape)


# --------------------------------------------------------------------------- the request


class ShapeRequest(CoopError):
    """Raised while typing: compile ``func`` again with the kernel arguments at ``positions``
    typed as ``ShapedArray``. Uncaught (no launch), its message is the user's error."""

    def __init__(self, message: str, func, positions):
        super().__init__(message)
        self.func = func
        self.positions = frozenset(positions)


# --------------------------------------------------------------------------- tracing a length in the IR


def _kw_pairs(con):
    return list(con.kws.items()) if isinstance(con.kws, dict) else list(con.kws)


def _call_arg(con, name: str, pos: int):
    """(IR variable, flat index as ForceLiteralArg folds it) of parameter ``name``."""
    if pos < len(con.args):
        return con.args[pos], pos
    for i, (k, v) in enumerate(_kw_pairs(con)):
        if k == name:
            return v, len(con.args) + i
    return None, None


def _definition(func_ir, value):
    try:
        return func_ir.get_definition(value)
    except (KeyError, AttributeError):
        return None


def _kernel_arg(func_ir, var):
    """(ir.Arg, var) if ``var`` is a function argument itself, else None."""
    d = _definition(func_ir, var)
    return (d, var) if isinstance(d, ir.arg_types) else None


def _const_index(func_ir, expr):
    if expr.op == "static_getitem":
        return expr.index if isinstance(expr.index, int) else None
    d = _definition(func_ir, expr.index)
    if isinstance(d, ir.const_types) and isinstance(d.value, int):
        return d.value
    return None


def _shape_source(func_ir, d):
    """If IR value ``d`` is ``a.shape``, ``a.shape[i]`` or ``len(a)`` of an argument ``a``:
    (ir.Arg, its variable, the form as written, i or None for the whole shape)."""
    if not isinstance(d, ir.expr_types):
        return None
    if d.op == "getattr" and d.attr == "shape":
        a = _kernel_arg(func_ir, d.value)
        return (*a, f"{a[0].name}.shape", None) if a else None
    if d.op in ("static_getitem", "getitem"):
        inner = _definition(func_ir, d.value)
        if isinstance(inner, ir.expr_types) and inner.op == "getattr" and inner.attr == "shape":
            a = _kernel_arg(func_ir, inner.value)
            i = _const_index(func_ir, d)
            if a and i is not None:
                return (*a, f"{a[0].name}.shape[{i}]", i)
        return None
    if d.op == "call" and len(d.args) == 1 and not d.kws:
        fn = _definition(func_ir, d.func)
        if isinstance(fn, (*ir.global_types, *ir.freevar_types)) and fn.value is len:
            a = _kernel_arg(func_ir, d.args[0])
            return (*a, f"len({a[0].name})", 0) if a else None
    return None


def _shape_inside(func_ir, d, depth=0):
    """A shape source used somewhere inside expression ``d`` (for the error message)."""
    src = _shape_source(func_ir, d)
    if src is not None or depth > 8 or not isinstance(d, ir.expr_types):
        return src
    for v in d.list_vars():
        found = _shape_inside(func_ir, _definition(func_ir, v), depth + 1)
        if found:
            return found
    return None


def _spelling(aty) -> str:
    """How a user writes the array type ``aty`` in a signature (as best we can)."""
    if isinstance(aty.dtype, (types.Integer, types.Float, types.Boolean, types.Complex)) and aty.layout in "CA":
        return f"numba.types.{aty.dtype}[{'::1' if aty.layout == 'C' else ':'}]"
    return str(aty)


def _in_device_function(ti, func) -> bool:
    """Whether ``func`` is typed as a device function called from the kernel being compiled."""
    from numba.cuda.launchconfig import current_launch_config

    cfg = current_launch_config()
    launched = getattr(getattr(cfg, "dispatcher", None), "py_func", None) if cfg is not None else None
    if launched is not None:
        return launched is not func
    stack = getattr(ti.context, "callstack", None)
    try:
        return stack is not None and len(stack) >= 2
    except TypeError:
        return False


def _fail(what, name, message, valid=None):
    tail = f"\n  valid: {valid}" if valid else ""
    raise CoopError(f"{what}: argument `{name}`: {message}{tail}{where()}") from None


_VALID = ("a constant, a global/closure int, an integer kernel argument, or a 1-D array kernel argument's "
          "a.shape / a.shape[0] / len(a), used directly (not in an expression)")


def traced_length(what: str, name: str, pos: int, ty):
    """The compile-time length behind parameter ``name`` (position ``pos``) of the call
    being typed, whose type ``ty`` is not an integer literal.

    Returns the length, or ``None`` when the IR is not reachable; requests a literal
    (integer kernel argument) or a shaped argument (``ShapeRequest``), or fails with a
    ``CoopError`` saying why the value is not known at compile time.
    """
    con, ti = current_call()
    func_ir = getattr(ti, "func_ir", None)
    if con is None or func_ir is None:
        return None
    var, flat = _call_arg(con, name, pos)
    if var is None:
        return None
    d = _definition(func_ir, var)
    if isinstance(d, ir.arg_types):
        if isinstance(ty, types.Integer):
            from coop import _launch

            _launch.request_literal(flat)
        return None
    src = _shape_source(func_ir, d)
    if src is None:
        inner = _shape_inside(func_ir, d)
        got = f"a value computed in the kernel ({ty})"
        if inner is not None:
            got = f"a value computed from {inner[2]} ({ty}); only {inner[2]} itself is known at compile time"
        _fail(what, name, f"must be known at compile time, got {got}", _VALID)
    arg, arg_var, form, index = src
    aty = ti.typevars[arg_var.name].type if arg_var.name in ti.typevars else None
    if not isinstance(aty, types.Array):
        _fail(what, name, f"{form}: kernel argument `{arg.name}` is a {aty}, not an array", _VALID)
    if aty.ndim != 1:
        _fail(what, name, f"{form}: kernel argument `{arg.name}` is a {aty.ndim}-D array; a length can come "
              "only from a 1-D array's shape", _VALID)
    if isinstance(aty, ShapedArray):
        return aty.static_shape[0]
    func = func_ir.func_id.func
    shaped_ty = f"coop.shaped({_spelling(aty)}, (n,))"
    if _in_device_function(ti, func):
        _fail(what, name, f"{form}: `{arg.name}` is an argument of device function {func.__name__}, typed without "
              f"its shape ({aty}); only a kernel's own array arguments are compiled per shape",
              f"a length known at compile time, or a shaped array from the kernel (the kernel's argument typed as "
              f"{shaped_ty}, or one whose shape the kernel itself uses as a length)")
    raise ShapeRequest(
        f"{what}: argument `{name}`: {form} is the shape of kernel argument `{arg.name}`, known only when "
        f"the kernel is launched\n  valid: launch the kernel (it is compiled once per shape of `{arg.name}`), "
        f"or compile it with `{arg.name}` typed as {shaped_ty}{where()}",
        func, {arg.index})
