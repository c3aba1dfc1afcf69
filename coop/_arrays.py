"""``coop.local.array``, ``coop.shared.array``, ``coop.ThreadData`` and ``coop.TempStorage``.

Arrays are cub_bindings ``FixedArray`` types: the length is part of the Numba type, which
is how primitives infer items per thread. A length given by a kernel argument is turned
into a literal by re-typing the kernel for that value (``_launch.request_literal``); one
taken from a 1-D array argument's shape (``d_out.shape``, ``d_out.shape[0]``,
``len(d_out)``) by re-typing it for that shape (``_shapes``).

``ThreadData(n)`` without a dtype takes its dtype from the first primitive it is passed to,
which refines the variable's type to the local array it is (``refine_thread_data``); later
primitives see that array and must agree with its dtype.
"""

from __future__ import annotations

import inspect
import operator

from numba.cuda import types
from numba.cuda.core.errors import TypingError
from numba.cuda.datamodel.models import ArrayModel, OpaqueModel
from numba.cuda.typing.templates import AbstractTemplate, signature

from cub_bindings.extending import ADDRSPACE_LOCAL, ADDRSPACE_SHARED, ENABLE_CUDASIM, FixedArray, lowering_registry, register_model, typing_registry
from cub_bindings.extending import dtype_of as _dtype_of  # NumPy/Numba dtype objects -> a Numba scalar type
from cub_bindings import extending as cb

from coop import _launch, _limits, _shapes
from coop._errors import current_call, fail, retyping_launch


# --------------------------------------------------------------------------- public callables


def _simulating() -> bool:
    """Called on a thread of a kernel run by the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    if not ENABLE_CUDASIM:
        return False
    from coop._sim import in_simulated_kernel

    return in_simulated_kernel()


_ARRAY_DOC = """An array of ``shape`` items of ``dtype`` in {space} memory; inside kernels only.

    ``shape``: an int constant, a closure/global int, an integer kernel argument (the
    kernel is compiled per value), or a 1-D array kernel argument's ``a.shape``,
    ``a.shape[0]`` or ``len(a)`` (compiled per shape). ``dtype``: a NumPy/Numba scalar or record type, or an
    array's ``.dtype``. ``alignment``: optional power of two, in bytes.
    """


def local_array(shape, dtype, alignment=None):
    if _simulating():
        from coop._sim.arrays import local_array as sim

        return sim(shape, dtype, alignment)
    raise RuntimeError("coop.local.array can only be called inside a CUDA kernel or device function")


def shared_array(shape, dtype, alignment=None):
    if _simulating():
        from coop._sim.arrays import shared_array as sim

        return sim(shape, dtype, alignment)
    raise RuntimeError("coop.shared.array can only be called inside a CUDA kernel or device function")


local_array.__doc__ = _ARRAY_DOC.format(space="thread-local")
shared_array.__doc__ = _ARRAY_DOC.format(space="block-shared")


def ThreadData(items_per_thread, dtype=None, alignment=None):  # noqa: N802 (the seeds' name)
    """A thread's items: ``items_per_thread`` items in registers/local memory.

    Without ``dtype`` the dtype is inferred from the primitives the array is passed to.
    """
    if _simulating():
        from coop._sim.arrays import thread_data

        return thread_data(items_per_thread, dtype, alignment)
    raise RuntimeError("coop.ThreadData can only be called inside a CUDA kernel or device function")


def TempStorage(size_in_bytes=None, alignment=None, auto_sync=None, sharing="shared"):  # noqa: N802
    """Shared memory for primitives' temporary storage, ``size_in_bytes`` bytes aligned to
    ``alignment`` (default 16). Without ``size_in_bytes`` it is sized from the primitives
    given it in the function that made it: the largest TempStorage any of them needs (they
    share it, one after the other), aligned for all of them. With a size, that size is
    checked against each use (a two-phase primitive's ``temp_storage_bytes`` tells it).

    ``sharing="shared"`` (the default): the primitives take turns in the whole buffer; with
    ``auto_sync`` (default True) each first waits for the block (``__syncthreads``;
    ``__syncwarp`` for warp primitives), so reuse is safe, as CUB's documentation requires of
    C++ callers; a ``warp_transpose`` block load right after one of the same specialization
    waits only at ``__syncwarp`` (each warp uses its own slice: ``coop/_barriers.py``).
    ``sharing="exclusive"``: each call site gets its own slice (the size is their
    aligned sum), so no barrier is needed; ``auto_sync=True`` is refused with it.
    """
    if _simulating():
        from coop._sim.arrays import temp_storage

        return temp_storage(size_in_bytes, alignment, auto_sync, sharing)
    raise RuntimeError("coop.TempStorage can only be called inside a CUDA kernel or device function")


# --------------------------------------------------------------------------- types


def _align_up(n: int, a: int) -> int:
    return -(-n // a) * a


class TempStorageType(FixedArray):
    """A ``coop.TempStorage``: a shared byte array that primitives place their TempStorage in.

    ``planned``: its size was omitted and comes from its uses (each primitive refines the
    variable; Numba unifies the refinements). ``sharing="shared"``: every use starts at
    offset 0 (the size is the largest need); ``"exclusive"``: each use (call site) has its
    own slice, ``slots`` ((site, bytes, alignment), in site order), laid out one after the
    other, each aligned (the size is their sum)."""

    def __init__(self, nbytes: int, alignment: int, auto_sync: bool, planned: bool = False,
                 sharing: str = "shared", slots: tuple = ()):
        self.auto_sync, self.planned, self.sharing, self.slots = auto_sync, planned, sharing, tuple(slots)
        super().__init__(types.uint8, nbytes, "shared", alignment)
        size = f"planned: {nbytes}" if planned else str(nbytes)
        extra = "" if sharing == "shared" else f", sharing={sharing!r}, slots={len(self.slots)}"
        self.name = f"coop.TempStorage({size}, alignment={alignment}{'' if auto_sync else ', auto_sync=False'}{extra})"

    @property
    def key(self):
        return super().key + (self.auto_sync, self.planned, self.sharing, self.slots)

    def offsets(self) -> dict:
        """Exclusive sharing: site -> byte offset of its slice."""
        out, pos = {}, 0
        for site, nbytes, align in self.slots:
            pos = _align_up(pos, align)
            out[site] = pos
            pos += nbytes
        return out

    @staticmethod
    def slots_size(slots) -> int:
        pos = 0
        for _, nbytes, align in slots:
            pos = _align_up(pos, align) + nbytes
        return pos

    def unify(self, typingctx, other):
        if not (isinstance(other, TempStorageType) and self.auto_sync == other.auto_sync
                and self.sharing == other.sharing and self.planned == other.planned):
            return None
        if self.sharing == "shared":
            if not self.planned:
                return None
            return TempStorageType(max(self.length, other.length), max(self.alignment, other.alignment),
                                   self.auto_sync, planned=True)
        slots = _merge_slots(self.slots, other.slots)
        length = self.slots_size(slots) if self.planned else max(self.length, other.length)
        return TempStorageType(length, max(self.alignment, other.alignment), self.auto_sync, self.planned,
                               "exclusive", slots)


def _merge_slots(a, b) -> tuple:
    merged = {}
    for site, nbytes, align in (*a, *b):
        n0, a0 = merged.get(site, (0, 1))
        merged[site] = (max(n0, nbytes), max(a0, align))
    return tuple((site, n, al) for site, (n, al) in sorted(merged.items()))


class PlannedStorageType(types.Type):
    """``coop.TempStorage()`` before any primitive has sized it: the first use refines the
    variable to a planned ``TempStorageType`` (``refine_temp_storage``); the shared memory is
    allocated where ``TempStorage()`` is assigned (the cast to the refined type)."""

    dtype = None  # numba's type inference reads .dtype of a call's result

    def __init__(self, alignment: int | None, auto_sync: bool, sharing: str = "shared", site: str = "?"):
        self.alignment, self.auto_sync, self.sharing, self.site = alignment, auto_sync, sharing, site
        super().__init__(f"coop.TempStorage(size: planned, alignment={alignment}, auto_sync={auto_sync}, "
                         f"sharing={sharing!r})@{site}")

    def unify(self, typingctx, other):
        if (isinstance(other, TempStorageType) and other.planned and other.auto_sync == self.auto_sync
                and other.sharing == self.sharing):
            return other
        return None


register_model(TempStorageType)(ArrayModel)
register_model(PlannedStorageType)(OpaqueModel)


def refine_temp_storage(ty, nbytes: int, alignment: int, var, what: str, site: str) -> TempStorageType:
    """Refine the variable ``var`` of a TempStorage to hold this use (``site``: the call) of
    ``nbytes`` aligned to ``alignment``: a planned size grows to fit it (shared: the largest
    use; exclusive: one more slice); an explicit exclusive one gains the slice and must hold
    all of them. Numba unifies every use's refinement."""
    sharing = ty.sharing
    base_align = (ty.alignment or 16) if isinstance(ty, PlannedStorageType) else ty.alignment
    align = max(alignment, base_align)
    if sharing == "shared":
        length = nbytes if isinstance(ty, PlannedStorageType) else max(nbytes, ty.length)
        refined = TempStorageType(length, align, ty.auto_sync, planned=True)
    else:
        slots = _merge_slots(() if isinstance(ty, PlannedStorageType) else ty.slots, ((site, nbytes, alignment),))
        planned = isinstance(ty, PlannedStorageType) or ty.planned
        total = TempStorageType.slots_size(slots)
        if not planned and total > ty.length:
            fail(what, "temp_storage", f"{ty.length} bytes is too small for its exclusive slices: with this use they "
                 f"take {total} bytes", f"coop.TempStorage({total}, sharing=\"exclusive\") or larger, or omit the size")
        refined = TempStorageType(total if planned else ty.length, align, ty.auto_sync, planned, "exclusive", slots)
    con, typeinfer = current_call()
    if con is None or typeinfer is None or var is None:
        fail(what, "temp_storage", "a coop.TempStorage() without a size (or shared exclusively) can only be passed to "
             "primitives directly in the function that made it (its layout comes from those uses)",
             "give it a size: coop.TempStorage(nbytes, alignment), from two-phase objects' temp_storage_bytes")
    typeinfer.add_type(var.name, refined, loc=con.loc)
    return refined


class ThreadDataType(types.Type):
    """A ``coop.ThreadData(n)`` whose dtype is not known yet.

    The first primitive it is passed to refines the variable's type to the local array it
    is (``refine_thread_data``: Numba's own type refinement, as for ``l = []`` then
    ``l.append(1)``); the value is allocated where ``ThreadData(n)`` is assigned (the cast
    from this type to the refined array). A ThreadData never given a dtype stays this type
    (``len()`` works; indexing it is an error)."""

    dtype = None  # not known yet (numba's type inference reads .dtype of a call's result)

    def __init__(self, length: int, alignment, site: str = "?"):
        self.length, self.alignment, self.site = length, alignment, site
        super().__init__(f"coop.ThreadData({length}{f', alignment={alignment}' if alignment else ''}, dtype=?)@{site}")

    def array(self, dtype) -> FixedArray:
        return FixedArray(dtype, self.length, "local", self.alignment)

    def unify(self, typingctx, other):
        if isinstance(other, FixedArray) and other == self.array(other.dtype):
            return other
        return None


register_model(ThreadDataType)(OpaqueModel)


def refine_thread_data(ty: ThreadDataType, dtype, var, what: str, arg: str) -> FixedArray:
    """Refine the variable ``var`` (typed ``ty``) of the call being typed to an array of ``dtype``."""
    array = ty.array(dtype)
    if hasattr(var, "refine"):  # the simulator's ThreadData: allocated now, as this array
        return var.refine(array)
    con, typeinfer = current_call()
    if con is None or typeinfer is None or var is None:
        fail(what, arg, "a coop.ThreadData without dtype can only be passed to a primitive directly in the "
             "function that made it", "give dtype= to coop.ThreadData")
    typeinfer.add_type(var.name, array, loc=con.loc)
    return array


# --------------------------------------------------------------------------- typing


def _int_arg(name, what, ty, pos, *, required=True, positive=True):
    """A compile-time int from parameter ``name`` (position ``pos``) of type ``ty``.

    A non-literal value is traced in the function IR (``_shapes.traced_length``): an
    integer kernel argument is made literal, an array argument's shape is made part of that
    argument's type; anything else is a CoopError saying why it is not known."""
    if ty is None or isinstance(ty, (types.NoneType, types.Omitted)):
        if required:
            fail(what, name, "is required")
        return None
    one = ty[0] if isinstance(ty, types.BaseTuple) and len(ty) == 1 else ty
    if isinstance(one, types.IntegerLiteral):
        v = one.literal_value
    else:
        try:
            v = _shapes.traced_length(what, name, pos, one)
            if v is None and isinstance(one, types.Integer):
                _launch.request_literal(pos)  # no IR to trace: Numba's own check applies
        except _launch._ForceLiteral:
            if retyping_launch():
                raise
            _no_launch(what, name, pos, one)
        if v is None:
            fail(what, name, f"must be an integer constant or an integer kernel argument, got {ty}", _shapes._VALID)
    if positive and v <= 0:
        fail(what, name, f"must be positive, got {v}")
    return v


def _no_launch(what, name, pos, ty):
    """An integer kernel argument used as a length, in a compile without a launch to re-type it."""
    con, ti = current_call()
    var = _shapes._call_arg(con, name, pos)[0] if con is not None else None
    arg = getattr(_shapes._definition(ti.func_ir, var), "name", "n") if var is not None and ti is not None else "n"
    fail(what, name, f"is kernel argument `{arg}` ({ty}): its value is known only when the kernel is launched, and "
         "this compile has no launch", f"launch the kernel (it is compiled once per value of `{arg}`), or type "
         f"`{arg}` as numba.types.literal(value) in the signature")


def _fold(names, args, kws, what):
    given = dict(zip(names, args))
    for k, v in kws.items():
        if k not in names:
            fail(what, k, "unknown keyword", ", ".join(names))
        if k in given:
            fail(what, k, "given twice")
        given[k] = v
    if len(args) > len(names):
        fail(what, None, f"takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}")
    order = [n for n in names if n in given]
    index = {n: i for i, n in enumerate(names)}  # parameter positions, as the call's arguments are matched
    return given, order, index


def _sig(ret, given, order):
    P = inspect.Parameter
    sig = signature(ret, *[given[n] for n in order])
    return sig.replace(pysig=inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n in order]))


def _alignment(given, what):
    a = given.get("alignment")
    if a is None or isinstance(a, types.NoneType):
        return None
    if not isinstance(a, types.IntegerLiteral) or a.literal_value <= 0 or a.literal_value & (a.literal_value - 1):
        fail(what, "alignment", f"must be a power-of-two integer constant, got {a}")
    return a.literal_value


def _array_template(space: str):
    what = f"coop.{space}.array"

    class _T(AbstractTemplate):
        key = local_array if space == "local" else shared_array
        prefer_literal = True

        def generic(self, args, kws):
            given, order, index = _fold(["shape", "dtype", "alignment"], args, kws, what)
            n = _int_arg("shape", what, given.get("shape"), index.get("shape", 0))
            dtype = _dtype_of(given.get("dtype")) if given.get("dtype") is not None else None
            if dtype is None:
                fail(what, "dtype", f"must be a NumPy/Numba scalar or record type or an array's .dtype, got {given.get('dtype')}")
            if space == "shared" and _limits.item_size(dtype):
                _limits.check_shared_array(what, "shape", n * _limits.item_size(dtype), f"{n} {dtype} items")
            return _sig(FixedArray(dtype, n, space, _alignment(given, what)), given, order)

    return _T


class _ThreadDataTemplate(AbstractTemplate):
    key = ThreadData
    prefer_literal = True

    def generic(self, args, kws):
        what = "coop.ThreadData"
        given, order, index = _fold(["items_per_thread", "dtype", "alignment"], args, kws, what)
        n = _int_arg("items_per_thread", what, given.get("items_per_thread"), index.get("items_per_thread", 0))
        align = _alignment(given, what)
        dty = given.get("dtype")
        if dty is not None and not isinstance(dty, types.NoneType):
            dtype = _dtype_of(dty)
            if dtype is None:
                fail(what, "dtype", f"must be a NumPy/Numba scalar or record type or an array's .dtype, got {dty}")
            return _sig(FixedArray(dtype, n, "local", align), given, order)
        con, _ = current_call()
        site = f"{con.loc.filename}:{con.loc.line}" if con is not None else "?"
        return _sig(ThreadDataType(n, align, site), given, order)


class _TempStorageTemplate(AbstractTemplate):
    key = TempStorage
    prefer_literal = True

    def generic(self, args, kws):
        what = "coop.TempStorage"
        given, order, index = _fold(["size_in_bytes", "alignment", "auto_sync", "sharing"], args, kws, what)
        n = _int_arg("size_in_bytes", what, given.get("size_in_bytes"), index.get("size_in_bytes", 0),
                     required=False)
        align = _alignment(given, what)
        if n is not None:
            _limits.check_temp_storage(what, "size_in_bytes", n, f"coop.TempStorage({n})")
        sharing = given.get("sharing")
        if sharing is None or isinstance(sharing, types.NoneType):
            sharing = "shared"
        elif isinstance(sharing, types.StringLiteral) and sharing.literal_value in ("shared", "exclusive"):
            sharing = sharing.literal_value
        else:
            fail(what, "sharing", f"must be \"shared\" or \"exclusive\", got {sharing}")
        sync = given.get("auto_sync")
        auto = sharing == "shared"
        if sync is not None and not isinstance(sync, types.NoneType):
            if not isinstance(sync, types.BooleanLiteral):
                fail(what, "auto_sync", f"must be the constant True or False, got {sync}")
            auto = sync.literal_value
            if auto and sharing == "exclusive":
                fail(what, "auto_sync", "cannot be True with sharing=\"exclusive\": each primitive has its own slice, "
                     "so there is nothing to wait for", "omit auto_sync, or sharing=\"shared\"")
        if n is None or sharing == "exclusive":
            con, _ = current_call()
            site = f"line {con.loc.line}" if con is not None and getattr(con, "loc", None) else "?"
            if n is None:
                return _sig(PlannedStorageType(align, auto, sharing, site), given, order)
            return _sig(TempStorageType(n, align or 16, auto, False, "exclusive"), given, order)
        return _sig(TempStorageType(n, align or 16, auto), given, order)


typing_registry.register_global(local_array, types.Function(_array_template("local")))
typing_registry.register_global(shared_array, types.Function(_array_template("shared")))
typing_registry.register_global(ThreadData, types.Function(_ThreadDataTemplate))
typing_registry.register_global(TempStorage, types.Function(_TempStorageTemplate))


# --------------------------------------------------------------------------- lowering


def _alloc(context, builder, aryty):
    from numba.cuda.cudaimpl import _generic_array, _get_unique_smem_id  # not importable under the simulator

    if isinstance(aryty, TempStorageType):  # a slice of the kernel's shared-memory plan
        ptr = cb.emit_planned_storage(context, builder, "bytes", nbytes=aryty.length, align=aryty.alignment or 16,
                                      what="coop.TempStorage")
        return cb.array_at(context, builder, aryty, ptr)
    shared_ = aryty.space == "shared"
    return _generic_array(context, builder, shape=(aryty.length,), dtype=aryty.dtype,
                          symbol_name=_get_unique_smem_id("_coop_smem") if shared_ else "_coop_lmem",
                          addrspace=ADDRSPACE_SHARED if shared_ else ADDRSPACE_LOCAL,
                          alignment=aryty.alignment)


def _lower_alloc(context, builder, sig, args):
    ty = sig.return_type
    if isinstance(ty, (ThreadDataType, PlannedStorageType)):
        return context.get_dummy_value()  # allocated by the cast to the type it is refined to
    return _alloc(context, builder, ty)


for _f in (local_array, shared_array, ThreadData, TempStorage):
    lowering_registry.lower(_f, types.VarArg(types.Any))(_lower_alloc)


@lowering_registry.lower_cast(ThreadDataType, FixedArray)
@lowering_registry.lower_cast(PlannedStorageType, TempStorageType)
def _allocate_refined(context, builder, fromty, toty, val):
    return _alloc(context, builder, toty)


def local_scratch(context, builder, dtype, n=1):
    """A fresh thread-local array value of type ``FixedArray(dtype, n, "local")``."""
    return _alloc(context, builder, FixedArray(dtype, n, "local"))


# A ThreadData whose dtype is still unknown: len() works, indexing explains what is missing.
@typing_registry.register_global(operator.getitem)
class _TDGetitem(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 2 and isinstance(args[0], ThreadDataType):
            _td_unknown(args[0])


def _td_unknown(td):
    # a Numba error, not a CoopError: a later typing pass may know the dtype (a primitive
    # further down refines the variable), and Numba reports this only if none does
    raise TypingError(f"coop.ThreadData made at {td.site}: its dtype is not known here; give dtype= (coop.ThreadData(n, dtype=...)) "
                      "or pass it first to a primitive that fixes it (e.g. coop.block.load from an array)")


@typing_registry.register_global(operator.setitem)
class _TDSetitem(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 3 and isinstance(args[0], ThreadDataType):
            _td_unknown(args[0])


@typing_registry.register_global(len)
class _TDLen(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 1 and isinstance(args[0], ThreadDataType):
            return signature(types.intp, *args)


@lowering_registry.lower(len, ThreadDataType)
def _td_len(context, builder, sig, args):
    return context.get_constant(types.intp, sig.args[0].length)
