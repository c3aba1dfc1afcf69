"""Parameter kinds: what an argument may be, what it tells inference, how it is checked, what
C++ type it crosses into CUB as, and how the two-phase constructor takes it.

Each kind is a small class; declarations instantiate them (``Items("T", "ipt")``). Typing
calls, per given argument and in declaration order:

``infer(c, p, ty)``      contribute facts: a dtype to a dtype group, a length to a length group
``check(c, p, ty)``      after inference: validate against the inferred groups (fail with c.fail)
``cub_type(c, p, ty)``   the Numba type handed to cub_bindings' overload resolution
``value(c, p, ty)``      compile-time kinds: the Python value the type carries
``host(c, p, v)``        two-phase constructor: (Numba type, host value), validated
``infer_host(c, p, v)``  two-phase constructor: facts from the host value

``doc`` describes the accepted values (docs/coop-api.md and ``help()`` are generated from it).
"""

from __future__ import annotations

import numpy as np
from numba.cuda import types

from cub_bindings import functional as F
from cub_bindings.extending import (ENABLE_CUDASIM, CubEnumMember, CxxFunctor, CxxFunctorType, FixedArray,
                                    StatefulOpType, is_supported_scalar, numba_type_of_dtype, static_length)

from coop import _ops, enums
from coop._arrays import PlannedStorageType, ThreadDataType, TempStorageType



def _is_scalar(ty) -> bool:
    """A single item: a number, bool, record or extension type (not an array)."""
    return isinstance(ty, (types.Number, types.Boolean, types.Record)) or (
        isinstance(ty, types.Type) and not isinstance(ty, types.Array) and is_supported_scalar(ty))


def is_user_type(ty) -> bool:
    """A record or an extension type: CUB gets it as a struct, so no built-in operator applies."""
    return ty is not None and not isinstance(ty, (types.Number, types.Boolean)) and _is_scalar(ty)


def _show(ty):
    if isinstance(ty, types.StringLiteral):
        return repr(ty.literal_value)
    if isinstance(ty, CubEnumMember):
        return repr(ty.member)
    return str(ty)


def is_array(ty) -> bool:
    return isinstance(ty, (types.Array, ThreadDataType))


def _absent(ty) -> bool:
    return ty is None or isinstance(ty, (types.NoneType, types.Omitted))


class Kind:
    doc = ""
    array = False  # an array parameter (the positional rule may skip optional output arrays)
    host = False  # may be fixed by the two-phase constructor
    kernel = True  # may be given in a kernel call
    compile_time = False  # the value must be known while compiling

    def infer(self, c, p, ty):
        pass

    def check(self, c, p, ty):
        pass

    def cub_type(self, c, p, ty):
        return ty

    def value(self, c, p, ty):
        raise AssertionError(f"{type(self).__name__} has no compile-time value")

    def host_value(self, c, p, v):
        c.fail(p.name, "cannot be fixed on the host; pass it in the kernel call")

    def infer_host(self, c, p, v):
        pass


# --------------------------------------------------------------------------- arrays


class _ArrayKind(Kind):
    array = True

    def __init__(self, group: str = "T", length: str | None = "ipt"):
        self.group, self.length = group, length

    def _vote_array(self, c, p, ty):
        if isinstance(ty, ThreadDataType):
            c.vote_length(self.length, ty.length, p.name)
            return
        if ty.dtype is not None and not isinstance(ty.dtype, types.Undefined):
            c.vote_dtype(self.group, ty.dtype, p.name)
        n = static_length(ty)
        if n is not None and self.length is not None:
            c.vote_length(self.length, n, p.name)

    def _check_array(self, c, p, ty, *, contiguous=False, thread_local=False):
        if not is_array(ty):
            c.fail(p.name, f"must be an array, got {ty}")
        ty = c.resolve_thread_data(p.name, ty, self.group)
        want = c.dtype(self.group)
        if ty.dtype != want:
            c.fail(p.name, f"mismatched dtypes: an array of {ty.dtype}, but {c.group_label(self.group)} are {want}",
                   f"an array of {want} (convert explicitly)")
        if ty.ndim != 1:
            c.fail(p.name, f"must be 1-D, got {ty.ndim}-D", "a 1-D array (index or slice it, e.g. a[i, :])")
        if contiguous and ty.layout != "C":
            c.fail(p.name, f"must be contiguous, got layout {ty.layout}", "a C-contiguous array or a slice a[start:]")
        if thread_local and isinstance(ty, FixedArray) and ty.space == "shared" and not isinstance(ty, TempStorageType):
            c.fail(p.name, "is a coop.shared.array: block-shared memory, but this argument is each thread's own items",
                   "a thread-local array: coop.local.array(n, dtype) or coop.ThreadData(n)")
        return ty


class Items(_ArrayKind):
    """The thread's items: an array (its length is items per thread) or one scalar."""

    doc = "the thread's items: an array (its length is items per thread) or a scalar"

    def __init__(self, group="T", length="ipt", scalar=True):
        super().__init__(group, length)
        self.scalar = scalar
        if not scalar:
            self.doc = "the thread's items: an array (its length is items per thread)"

    def infer(self, c, p, ty):
        if is_array(ty):
            self._vote_array(c, p, ty)
        elif _is_scalar(ty) and self.scalar:
            c.vote_dtype(self.group, types.unliteral(ty), p.name)
            c.scalar = True
        else:
            c.fail(p.name, f"must be an array{' or a scalar' if self.scalar else ''}, got {ty}")

    def check(self, c, p, ty):
        if is_array(ty):
            self._check_array(c, p, ty, thread_local=True)
        elif types.unliteral(ty) != c.dtype(self.group):
            c.fail(p.name, f"mismatched dtypes: {ty}, but {c.group_label(self.group)} are {c.dtype(self.group)}")

    def cub_type(self, c, p, ty):
        if c.scalar and not is_array(ty):
            return c.dtype(self.group)
        return FixedArray(c.dtype(self.group), c.length(self.length), "local")


class Output(Items):
    """An output array like the items (same dtype and length); may be the items array itself."""

    doc = "an output array of the items' dtype and length (may be the input itself)"

    def __init__(self, group="T", length="ipt"):
        super().__init__(group, length, scalar=False)

    def infer(self, c, p, ty):
        if not is_array(ty):
            c.fail(p.name, f"must be an array, got {ty}")
        self._vote_array(c, p, ty)

    def check(self, c, p, ty):
        self._check_array(c, p, ty, thread_local=True)

    def cub_type(self, c, p, ty):
        return FixedArray(c.dtype(self.group), c.length(self.length), "local")


class GlobalArray(_ArrayKind):
    """A device (global-memory) array: a load's source or a store's destination."""

    doc = "a 1-D C-contiguous device array (or a slice of one, d[start:])"

    def __init__(self, group="T"):
        super().__init__(group, None)

    def infer(self, c, p, ty):
        if not isinstance(ty, types.Array):
            c.fail(p.name, f"must be an array, got {ty}", "a 1-D device array or a slice of one, d[start:]")
        c.vote_dtype(self.group, ty.dtype, p.name, weak=True)

    def check(self, c, p, ty):
        self._check_array(c, p, ty, contiguous=True)

    def cub_type(self, c, p, ty):
        return types.unliteral(ty)


class Counters(_ArrayKind):
    """An array whose length is a template value of the class (histogram bins)."""

    doc = "a 1-D array whose length is a compile-time count (e.g. coop.shared.array(bins, dtype))"

    def infer(self, c, p, ty):
        if not isinstance(ty, types.Array):
            c.fail(p.name, f"must be an array, got {ty}")
        self._vote_array(c, p, ty)

    def check(self, c, p, ty):
        self._check_array(c, p, ty, contiguous=True)
        if not isinstance(ty.dtype, (types.Integer, types.Float)):
            c.fail(p.name, f"counters must be numbers, got {ty.dtype}")

    def cub_type(self, c, p, ty):
        n = static_length(ty)
        return ty if n is not None else FixedArray(ty.dtype, c.length(self.length), ty.space if isinstance(ty, FixedArray) else "local")


class IndexArray(_ArrayKind):
    """Per-item integers (ranks, offsets) or flags, of their own dtype, items-per-thread long."""

    def __init__(self, length="ipt", flags=False, group=None):
        super().__init__(group, length)
        self.flags = flags
        self.doc = ("a 1-D bool or integer array of items-per-thread length" if flags
                    else "a 1-D integer array of items-per-thread length")

    def infer(self, c, p, ty):
        if not isinstance(ty, types.Array):
            c.fail(p.name, f"must be an array, got {ty}")
        if self.group is not None:
            c.vote_dtype(self.group, ty.dtype, p.name)

    def check(self, c, p, ty):
        ok = (types.Integer, types.Boolean) if self.flags else (types.Integer,)
        if not isinstance(ty, types.Array) or ty.ndim != 1 or not isinstance(ty.dtype, ok):
            c.fail(p.name, f"must be {self.doc}, got {ty}")
        n, want = static_length(ty), c.length(self.length)
        if n is not None and n != want:
            c.fail(p.name, f"holds {n} items, but {c.length_label(self.length)} is {want}", f"an array of {want} items")

    def cub_type(self, c, p, ty):
        return FixedArray(ty.dtype, c.length(self.length), "local")


class Ref(Kind):
    """A 1-element output array (its first element receives the result)."""

    def __init__(self, group="T"):
        self.group = group
        self.doc = "a 1-element array receiving the result"

    def infer(self, c, p, ty):
        if isinstance(ty, types.Array) and self.group not in ("T",):
            c.vote_dtype(self.group, ty.dtype, p.name)

    def check(self, c, p, ty):
        want = c.dtype(self.group)
        if not isinstance(ty, types.Array) or ty.ndim != 1 or ty.dtype != want:
            c.fail(p.name, f"must be a 1-D array of {want} (its first element receives the result), got {ty}")
        n = static_length(ty)
        if n is not None and n < 1:
            c.fail(p.name, "must hold at least one element")

    def cub_type(self, c, p, ty):
        return ty if static_length(ty) is not None else FixedArray(ty.dtype, 1, "local")


# --------------------------------------------------------------------------- scalars


def _literal(ty):
    if isinstance(ty, (types.IntegerLiteral, types.BooleanLiteral)):
        return ty.literal_value
    return None


def check_constant_fits(c, p, value, target):
    """A compile-time constant converted to ``target`` must keep its value."""
    if isinstance(target, types.Boolean):
        if value not in (0, 1, True, False):
            c.fail(p.name, f"{value!r} does not fit {target}", "True or False")
        return
    if isinstance(target, types.Integer):
        info = np.iinfo(np.dtype(str(target)))
        if not info.min <= int(value) <= info.max:
            c.fail(p.name, f"{value} does not fit {target} (range {info.min}..{info.max})",
                   f"a value in {info.min}..{info.max}")
        return
    if isinstance(target, types.Float):
        if abs(int(value)) > 2 ** np.finfo(np.dtype(str(target))).nmant + 1:
            c.fail(p.name, f"{value} is not exactly representable as {target}")


class Value(Kind):
    """A runtime scalar converted to a dtype group's type (``group="int"``: a C++ ``int``)."""

    def __init__(self, group="T", minimum=None, lanes=False):
        self.integer = group == "int"  # a C++ int, whatever the items are
        self.group = None if self.integer else group
        self.minimum = minimum
        self.lanes = lanes  # a count of the logical warp's lanes: at most threads_in_warp
        self.doc = ("an integer (a constant is range-checked; a variable is converted to int32)" if self.integer
                    else "a scalar of the items' type (a constant is range-checked; a variable of another numeric "
                         "type is converted as C++ static_cast would; floats never convert to integers)")

    def check(self, c, p, ty):
        if self.integer:
            if not isinstance(ty, (types.Integer, types.BooleanLiteral)) or isinstance(ty, types.Boolean):
                c.fail(p.name, f"must be an integer, got {ty}")
            v = _literal(ty)
            if v is not None:
                check_constant_fits(c, p, v, types.int32)
                if self.minimum is not None and v < self.minimum:
                    c.fail(p.name, f"must be at least {self.minimum}, got {v}")
                if self.lanes and c.warp_threads and v > c.warp_threads:
                    c.fail(p.name, f"{v} is more than the {c.warp_threads} threads of the logical warp",
                           f"0..{c.warp_threads}")
            return
        target = c.dtype(self.group)
        if is_user_type(target) or is_user_type(ty):
            if types.unliteral(ty) != target:
                c.fail(p.name, f"must be a {target} value, got {ty}")
            return
        if not isinstance(ty, (types.Number, types.Boolean)):
            c.fail(p.name, f"must be a {target} value, got {ty}")
        if isinstance(ty, types.Float) and isinstance(target, (types.Integer, types.Boolean)):
            c.fail(p.name, f"a {ty} value for {target} {c.group_label(self.group)} would be truncated",
                   f"an integer, or convert explicitly (numba.{target}(x))")
        if isinstance(ty, types.Complex):
            c.fail(p.name, f"a complex value cannot be converted to {target}")
        v = _literal(ty)
        if v is not None:
            check_constant_fits(c, p, v, target)

    def cub_type(self, c, p, ty):
        return types.int32 if self.integer else c.dtype(self.group)

    def host_value(self, c, p, v):
        target = types.int32 if self.integer else c.dtype(self.group)
        if isinstance(v, (bool, np.bool_)) and not isinstance(target, types.Boolean):
            c.fail(p.name, f"{v!r} is a bool, not a {target} value")
        if isinstance(target, (types.Integer, types.Boolean)):
            if isinstance(v, (float, np.floating)) and not float(v).is_integer():
                c.fail(p.name, f"{v!r} for {target} items would be truncated", "an integer")
            if isinstance(v, (int, np.integer, float, np.floating)):
                check_constant_fits(c, p, int(v), target)
        return target, v


class Offset(Kind):
    """An element offset into a global array (``offset=`` of loads and stores): any integer
    type, kept 64-bit; a constant must not be negative."""

    doc = ("an integer count of items added to the array's start, as C++ adds to a pointer (d + offset): "
           "no Python slice rules (a negative value does not wrap, a large one does not clamp)")

    def check(self, c, p, ty):
        if not isinstance(ty, types.Integer) or isinstance(ty, types.Boolean):
            c.fail(p.name, f"must be an integer, got {types.unliteral(ty)}",
                   "an integer count of items, e.g. cuda.blockIdx.x * tile")
        v = _literal(ty)
        if v is not None and v < 0:
            c.fail(p.name, f"must not be negative, got {v}", "0 or more items from the array's start")

    def cub_type(self, c, p, ty):
        return types.int64


# --------------------------------------------------------------------------- compile-time values


class _Constant(Kind):
    host = True
    compile_time = True


def kernel_argument_value(c, p, ty):
    """A compile-time parameter given an integer kernel argument itself: compile the kernel
    per value of that argument (a launch re-types it as a literal, as for
    ``coop.local.array(n, ...)``), or, with no launch to do that, say how to state the value.
    Returns if the argument is not a kernel argument."""
    from numba.cuda.core import ir

    from coop._errors import current_call, retyping_launch
    from coop._launch import request_literal

    var = c.variables.get(p.name)
    con, ti = current_call()
    if var is None or con is None or getattr(ti, "func_ir", None) is None or not isinstance(ty, types.Integer):
        return
    try:
        d = ti.func_ir.get_definition(var)
    except (KeyError, AttributeError):
        return
    if not isinstance(d, ir.arg_types):
        return
    if not retyping_launch():
        c.fail(p.name, f"is kernel argument `{d.name}` ({ty}): its value is known only when the kernel is launched, "
               "and this compile has no launch", f"launch the kernel (it is compiled once per value of `{d.name}`), "
               f"or type `{d.name}` as numba.types.literal(value) in the signature")
    kws = list(con.kws.items()) if isinstance(con.kws, dict) else list(con.kws)
    flat = [v.name for v in con.args] + [v.name for _, v in kws]
    if var.name in flat:
        request_literal(flat.index(var.name))


class Count(_Constant):
    """A positive compile-time int fixing a length group (items per thread, bins, ...)."""

    def __init__(self, length="ipt"):
        self.length = length
        self.doc = "a positive int known at compile time (a literal, a global, or a kernel argument used directly)"

    def value(self, c, p, ty):
        if isinstance(ty, types.IntegerLiteral) and ty.literal_value > 0:
            return ty.literal_value
        if isinstance(ty, types.IntegerLiteral):
            c.fail(p.name, f"must be a positive integer, got {ty.literal_value}",
                   f"a positive int: the number of {c.length_label(self.length)}")
        kernel_argument_value(c, p, ty)
        c.fail(p.name, f"must be a positive integer constant, got a value computed in the kernel ({ty})",
               "a literal, a global/closure int, or an integer kernel argument used directly (not in an expression)")

    def infer(self, c, p, ty):
        c.vote_length(self.length, self.value(c, p, ty), p.name, explicit=True)

    def host_value(self, c, p, v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            c.fail(p.name, f"must be a positive int, got {v!r}")
        return types.IntegerLiteral(int(v)), int(v)

    def infer_host(self, c, p, v):
        c.vote_length(self.length, v, p.name, explicit=True)


class DType(_Constant):
    """A dtype fixing a dtype group (two-phase constructors)."""

    kernel = False

    def __init__(self, group="T", kernel=False):
        self.group, self.kernel = group, kernel
        self.doc = "a NumPy/Numba scalar or record dtype"

    def infer(self, c, p, ty):
        from cub_bindings.extending import dtype_of

        dt = dtype_of(ty)
        if dt is None or not is_supported_scalar(dt):
            c.fail(p.name, f"must be a NumPy/Numba scalar dtype, got {ty}")
        c.vote_dtype(self.group, dt, p.name, explicit=True)

    def host_value(self, c, p, v):
        try:
            ty = numba_type_of_dtype(v)
        except Exception:
            c.fail(p.name, f"dtype must be a NumPy/Numba scalar or record dtype, got {v!r}")
        if not is_supported_scalar(ty):
            c.fail(p.name, f"{ty} is not supported", "integers, floats, bool, or a Numba record type")
        return ty, ty

    def infer_host(self, c, p, v):
        c.vote_dtype(self.group, v, p.name, explicit=True)


class Enum(_Constant):
    def __init__(self, enum):
        self.enum = enum
        self.doc = f"a coop.{enum.__name__} member or its name as a string: {enums.names(enum)}"

    def value(self, c, p, ty):
        v = None
        if isinstance(ty, CubEnumMember):
            v = enums.member_named(self.enum, ty.member)
        elif isinstance(ty, types.StringLiteral):
            v = enums.member_named(self.enum, ty.literal_value)
        if v is None:
            c.fail(p.name, f"{_show(ty)} is not a {self.enum.__name__}", enums.names(self.enum))
        return v

    def host_value(self, c, p, v):
        m = enums.member_named(self.enum, v)
        if m is None:
            c.fail(p.name, f"{p.name}={v!r} is not a {self.enum.__name__}", enums.names(self.enum))
        from numba.cuda.typing.typeof import typeof

        return typeof(m), m


class Choice(_Constant):
    def __init__(self, *choices):
        self.choices = choices
        self.doc = "one of " + ", ".join(f'"{x}"' for x in choices)

    def value(self, c, p, ty):
        if isinstance(ty, types.StringLiteral) and ty.literal_value in self.choices:
            return ty.literal_value
        c.fail(p.name, f"{_show(ty)} is not a valid choice", ", ".join(f'"{x}"' for x in self.choices))

    def host_value(self, c, p, v):
        if v not in self.choices:
            c.fail(p.name, f"{p.name}={v!r}", ", ".join(map(repr, self.choices)))
        return types.StringLiteral(v), v


class Flag(_Constant):
    doc = "the constant True or False"

    def value(self, c, p, ty):
        if isinstance(ty, types.BooleanLiteral):
            return ty.literal_value
        c.fail(p.name, f"must be the constant True or False, got {ty}")

    def host_value(self, c, p, v):
        if not isinstance(v, (bool, np.bool_)):
            c.fail(p.name, f"must be True or False, got {v!r}")
        return types.BooleanLiteral(bool(v)), bool(v)


class BlockDims(_Constant):
    doc = "the block shape: an int or a tuple of 1-3 ints (default: the launch's block shape)"

    def value(self, c, p, ty):
        vals = None
        if isinstance(ty, types.IntegerLiteral):
            vals = (ty.literal_value,)
        elif isinstance(ty, types.BaseTuple) and all(isinstance(t, types.IntegerLiteral) for t in ty):
            vals = tuple(t.literal_value for t in ty)
        if vals is None:
            c.fail(p.name, f"must be a positive int or a tuple of 1-3 positive ints known at compile time, got {ty}")
        return c.normalize_dims(p.name, vals)

    def host_value(self, c, p, v):
        return types.UniTuple(types.intp, 3), c.normalize_dims(p.name, v)


class WarpThreads(_Constant):
    doc = "the logical warp size: a power of two from 1 to 32 (default 32)"

    def value(self, c, p, ty):
        if not isinstance(ty, types.IntegerLiteral):
            kernel_argument_value(c, p, ty)
            c.fail(p.name, f"must be an integer constant, got a value computed in the kernel ({ty})",
                   "a power of two from 1 to 32: a literal, a global/closure int, or an integer kernel argument "
                   "used directly")
        return self._check(c, p, ty.literal_value)

    def _check(self, c, p, w):
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)) or w < 1:
            c.fail(p.name, f"must be a positive int, got {w!r}")
        if w > 32 or w & (w - 1):
            c.fail(p.name, f"{w} threads is not a logical warp size",
                   "a power of two from 1 to 32 (use a coop.block primitive for larger groups)")
        return int(w)

    def host_value(self, c, p, v):
        return types.IntegerLiteral(self._check(c, p, v)), int(v)


# --------------------------------------------------------------------------- operators, callbacks, storage


class Operator(Kind):
    """An operator argument. ``role`` ("binary", "compare", "flag", "difference"; see
    ``coop._ops.ROLES``) decides which named operators it accepts."""

    host = True

    def __init__(self, role: str = "binary"):
        self.role = role
        self.doc = _ops.ROLES[role].valid

    def check(self, c, p, ty):
        kind, _ = _ops.kernel_op(ty, self.role)
        if kind is None:
            c.fail(p.name, f"is not an operator here: {ty}", _ops.ROLES[self.role].valid)
        if kind == "stateful":
            c.fail(p.name, "a StatefulOp is a prefix callback, not an operator", "a plain operator")
        self.check_items(c, p, ty)
        if kind == "device" and self.role == "binary":
            self._check_device(c, p, ty)

    def _check_device(self, c, p, ty):
        """A function operator of a scan or reduction: called as CUB calls it, op(a, b) -> item."""
        item = c.dtype("T")
        if c.context is None or item is None:
            return
        ret, why = _ops.device_result(c.context, ty, (item, item))
        valid = "a function of two items returning one, e.g. lambda a, b: a + b"
        if ret is None:
            c.fail(p.name, f"cannot be called with two {item} items: {why}", valid)
        numeric = isinstance(item, (types.Number, types.Boolean))
        if (numeric and not isinstance(ret, (types.Number, types.Boolean))) or (not numeric and ret != item):
            c.fail(p.name, f"returns {ret}, not {item} (the items' type)", valid)

    def check_items(self, c, p, ty):
        """A named operator the items' type does not have (bitwise ops on floats)."""
        _, f = _ops.kernel_op(ty, self.role)
        item = c.dtype("T") or c.dtype("KeyT")
        if f in _ops.BITWISE and isinstance(item, (types.Float, types.Complex)):
            name = _show(ty) if isinstance(ty, types.StringLiteral) else repr(f)
            c.fail(p.name, f"{name} is a bitwise operator: C++ defines it for integers and bool, not for {item} items",
                   "an arithmetic operator (\"+\", \"min\", \"max\", ...), or a @cuda.jit(device=True) function")

    def cub_type(self, c, p, ty):
        return _ops.device_type(ty)  # a lambda compiles under an identifier name

    def host_value(self, c, p, v):
        try:
            op = _ops.host_op(v, self.role)
        except ValueError as exc:
            c.fail(p.name, str(exc))
        return (CxxFunctorType(op), op) if isinstance(op, CxxFunctor) else (types.Dispatcher(op), op)


class Callback(Kind):
    """A stateful prefix callback: ``coop.StatefulOp(fn, state)``, or the earlier API's form, a
    1-element array holding an instance of a class with ``__call__(self_ptr, block_aggregate)``
    (the class given on the host as ``coop.StatefulFunction(cls, state_type)``, or found from
    the array's type). On the host it takes that ``StatefulFunction``, which moves to the
    host-only parameter ``function`` so the kernel call can still pass the state array."""

    host = True
    doc = ("coop.StatefulOp(device_fn, state_array), fn(state, block_aggregate) -> prefix; or a 1-element array "
           "holding an instance of a class with __call__(self_ptr, block_aggregate) (the earlier API's form; on the "
           "host: coop.StatefulFunction(cls, state_type))")
    _VALID = ("coop.StatefulOp(device_fn, state_array), or a 1-element array p of a class's extension type "
              "(p[0] = PrefixOp(...)) whose __call__(self_ptr, block_aggregate) returns the prefix")

    def __init__(self, function: str = "prefix_function"):
        self.function = function

    def check(self, c, p, ty):
        if isinstance(ty, types.Array):
            self._check_state(c, p, ty)
            return
        if isinstance(ty, F.HostStatefulFunctionType):
            c.fail(p.name, f"a coop.StatefulFunction({ty.cls.__name__}, ...) is given to the two-phase constructor; "
                   "a kernel call passes the state array", f"prefix_op=p with p = coop.local.array(1, {ty.state_type}); "
                   f"p[0] = {ty.cls.__name__}(...)")
        if not isinstance(ty, StatefulOpType):
            c.fail(p.name, f"must be stateful, got {ty}", self._VALID)
        if c.has(self.function):
            c.fail(p.name, f"this two-phase object was made with a coop.StatefulFunction ({c.type(self.function)}): "
                   f"its kernel call takes the state array, got {ty}", "the 1-element state array")
        self._check_fn(c, p, ty.fn_type, ty.state_type, "fn", "state")

    def _check_fn(self, c, p, fnty, state, callee, first):
        """``callee(first, block_aggregate)`` compiles and returns an item."""
        item = c.dtype("T")
        if c.context is None or item is None or ENABLE_CUDASIM:  # the simulator calls it with the state itself
            return
        ret, why = _ops.device_result(c.context, fnty, (state, item))
        valid = f"{callee}({first}, block_aggregate) returning the tile's prefix (an item), e.g. the running total"
        if ret is None:
            c.fail(p.name, f"{callee} cannot be called with ({first}, {item} block_aggregate): {why}", valid)
        if isinstance(item, (types.Number, types.Boolean)) and not isinstance(ret, (types.Number, types.Boolean)):
            c.fail(p.name, f"{callee} returns {ret}, not a prefix of the items' type ({item})", valid)

    def callback_class(self, c, p, ty):
        """The class whose ``__call__`` a state array ``ty`` is passed to."""
        if c.has(self.function):
            return c.value(self.function).cls
        cls = F.callback_class(ty.dtype)
        if cls is None:
            c.fail(p.name, f"an array of {ty.dtype}: no class with __call__(self_ptr, block_aggregate) is registered "
                   f"for {ty.dtype} (typeof_impl), so there is no callback to call", self._VALID)
        return cls

    def _check_state(self, c, p, ty):
        if ty.ndim != 1:
            c.fail(p.name, f"a state array must be 1-D, got {ty.ndim}-D", "coop.local.array(1, state_type)")
        n = static_length(ty)
        if n is not None and n < 1:
            c.fail(p.name, "the state array is empty", "coop.local.array(1, state_type)")
        if c.has(self.function):
            want = c.value(self.function).state_type
            if ty.dtype != want:
                c.fail(p.name, f"an array of {ty.dtype}, but the two-phase object's StatefulFunction keeps its state "
                       f"as {want}", f"a 1-element array of {want}: coop.local.array(1, {want})")
        elif isinstance(ty.dtype, (types.Number, types.Boolean, types.Record)):
            c.fail(p.name, f"an array of {ty.dtype} is not a callback: wrap it with its function", self._VALID)
        cls = self.callback_class(c, p, ty)
        if not ENABLE_CUDASIM:
            self._check_fn(c, p, types.Dispatcher(F.call_dispatcher(cls)), types.CPointer(ty.dtype),
                           f"{cls.__name__}.__call__", "self_ptr")

    def cub_type(self, c, p, ty):
        if isinstance(ty, types.Array):
            cls = self.callback_class(c, p, ty)
            return F.StatefulFunctionType(types.Dispatcher(F.call_dispatcher(cls)), ty)
        return _ops.device_type(ty)

    def host_value(self, c, p, v):
        return _host_function(c, p, v)

    def infer_host(self, c, p, v):
        # the kernel call passes the state under this parameter's name: the function moves aside
        if self.function in c.fixed:
            c.fail(self.function, "given twice (as prefix_op and as prefix_function)", "one of them")
        c.fixed[self.function] = c.fixed.pop(p.name)


def _host_function(c, p, v):
    if not isinstance(v, F.StatefulFunction):
        c.fail(p.name, f"on the host this takes coop.StatefulFunction(cls, state_type), got {v!r}",
               "coop.StatefulFunction(PrefixOp, prefix_op_type); or pass coop.StatefulOp(fn, state) in the kernel call")
    return F.HostStatefulFunctionType(v), v


class CallbackFunction(Kind):
    """The callback class a two-phase constructor fixes (``prefix_op=coop.StatefulFunction(...)``)."""

    host = True
    kernel = False
    doc = ("coop.StatefulFunction(cls, state_type): fixed by the two-phase constructor (given as prefix_op=); the "
           "kernel call passes the 1-element state array")

    def host_value(self, c, p, v):
        return _host_function(c, p, v)


class TempStorageArg(Kind):
    doc = ("a coop.TempStorage() to place CUB's TempStorage in (sized from its uses), or "
           "coop.TempStorage(size_in_bytes, alignment)")

    def check(self, c, p, ty):
        if not isinstance(ty, (TempStorageType, PlannedStorageType)):
            c.fail(p.name, f"must be a coop.TempStorage(), got {ty}")
