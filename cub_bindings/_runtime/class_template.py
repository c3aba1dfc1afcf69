"""``ClassTemplate``: the Python object behind each generated binding, and its Numba typing.

Host side::

    BS = BlockScan(np.int32, 128)            # a specialization: BS.cxx, BS.temp_storage_bytes
In a kernel::

    scan = BlockScan(np.int32, 128)          # implicit TempStorage (CUB's private static smem)
    ts = BlockScan.TempStorage(np.int32, 128)  # or BS.TempStorage(), BS.TempStorage(count=4)
    scan = BlockScan(np.int32, 128, temp_storage=ts)   # or BS(ts), BS(temp_storage=ts[i])
    scan.ExclusiveSum(x, out)                # any CUB overload, C++ argument order
"""

from __future__ import annotations

import inspect
import operator

from numba.cuda.core.errors import TypingError
from numba.cuda import cgutils, types
from numba.cuda.typing.templates import AbstractTemplate, AttributeTemplate, signature

from cub_bindings._runtime import lower, ntypes
from cub_bindings._runtime.registry import lowering_registry, typeof_impl, typing_registry
from cub_bindings._runtime.resolve import resolve
from cub_bindings._runtime.spec import ClassSpec
from cub_bindings._runtime.specialize import Specialization, TemplateArgumentError, bind

_TEMPLATES: dict[str, "ClassTemplate"] = {}


def template_named(name: str) -> "ClassTemplate":
    return _TEMPLATES[name]


class ClassTemplate:
    def __init__(self, spec: ClassSpec):
        self.spec = spec
        self.TempStorage = TempStorageFactory(spec.name)
        _TEMPLATES[spec.name] = self
        self.__doc__ = f"{spec.qualname}: {spec.doc}"

    @property
    def name(self) -> str:
        return self.spec.name

    def __call__(self, *args, **kws) -> "HostSpecialization":
        return HostSpecialization(bind(self.spec, args, kws, from_numba=False))

    @property
    def method_names(self) -> list[str]:
        return sorted({m.name for m in self.spec.methods})

    def __repr__(self) -> str:
        tps = ", ".join(t.name + ("" if t.default is None else "=…") for t in self.spec.template_params)
        return f"<cub_bindings {self.spec.qualname}<{tps}>>"


class HostSpecialization:
    """A class template with its arguments bound on the host, e.g. ``BlockScan(np.int32, 128)``."""

    def __init__(self, specialization: Specialization):
        self.specialization = specialization
        self.TempStorage = TempStorageFactory(specialization)
        from cub_bindings._runtime.layouts import expect_layout

        expect_layout(specialization)  # measured with the next layout question, with the others

    @property
    def cxx(self) -> str:
        return self.specialization.cxx

    @property
    def temp_storage_layout(self) -> tuple[int, int]:
        from cub_bindings._runtime.layouts import temp_storage_layouts

        return temp_storage_layouts([self])[self.cxx]

    @property
    def temp_storage_bytes(self) -> int:
        return self.temp_storage_layout[0]

    @property
    def temp_storage_alignment(self) -> int:
        return self.temp_storage_layout[1]

    def __call__(self, *args, **kws):
        raise RuntimeError(f"{self!r}: construct CUB objects inside a kernel (this specialization can be used there)")

    def __eq__(self, other):
        return isinstance(other, HostSpecialization) and other.specialization == self.specialization

    def __hash__(self):
        return hash(self.specialization)

    def __repr__(self):
        return f"<cub_bindings {self.specialization!r}: {self.cxx}>"


class TempStorageFactory:
    def __init__(self, owner):
        self.owner = owner  # a class template name or a Specialization

    def __call__(self, *args, **kws):
        raise RuntimeError("TempStorage(...) allocates shared memory: call it inside a kernel")

    def __repr__(self):
        return f"<cub_bindings TempStorage factory of {self.owner!r}>"


@typeof_impl.register(ClassTemplate)
def _typeof_template(val, c):
    return ntypes.ClassTemplateType(val.spec.name)


@typeof_impl.register(HostSpecialization)
def _typeof_hostspec(val, c):
    return ntypes.SpecializationType(val.specialization)


@typeof_impl.register(TempStorageFactory)
def _typeof_factory(val, c):
    return ntypes.TempStorageFactoryType(val.owner)


def _spec_of(owner) -> ClassSpec:
    return template_named(owner if isinstance(owner, str) else owner.spec_name).spec


# --------------------------------------------------------------------------- construction


def _pysig(names):
    return inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])


def _call_sig(ret, args, kws):
    """A signature whose pysig folds keyword arguments after the positional ones."""
    sig = signature(ret, *args, *kws.values())
    if kws:
        sig = sig.replace(pysig=_pysig([f"_{i}" for i in range(len(args))] + list(kws)))
    return sig


def _type_construct(context, spec: ClassSpec, sp: Specialization, args, kws):
    """Typing of constructing ``sp`` from constructor arguments: (InstanceType, ctor plan or None)."""
    kws = dict(kws)
    ts = kws.pop("temp_storage", None)
    if args and isinstance(args[0], ntypes.TempStorageType) and ts is None and not spec.value_class:
        ts, args = args[0], args[1:]
    where = repr(sp)
    if ts is not None:
        if not isinstance(ts, ntypes.TempStorageType):
            raise TypingError(f"{where}: temp_storage must be a {spec.name} TempStorage (from {spec.name}.TempStorage(...)), got {ts}")
        if ts.specialization != sp:
            raise TypingError(f"{where}: temp_storage was made for {ts.specialization!r}, not {sp!r}")
        if ts.count != 1 and not ts.element:
            raise TypingError(f"{where}: temp_storage holds {ts.count} TempStorage objects; index it (ts[i]) to pick one")
    if spec.value_class:
        plan = resolve(context, sp, "value", spec.constructors, args, kws, f"{spec.name} constructor")
        arg_types = tuple(ap.elem for ap in plan.args if ap.numba_type is not None)
        return ntypes.ValueObjectType(sp, spec.constructors.index(plan.overload), arg_types), plan
    if spec.persistent:
        ctors = [c for c in spec.constructors if (c.name == "__init__ts") == (ts is not None)]
        plan = resolve(context, sp, "persistent", ctors, args, kws, f"{spec.name} constructor")
        return ntypes.InstanceType(sp, "persistent"), plan
    if args or kws:
        extra = ", ".join([str(a) for a in args] + list(kws))
        raise TypingError(f"{where}: the constructor takes only temp_storage, got {extra}")
    if ts is None and not spec.default_constructible:
        raise TypingError(f"{where}: CUB's {spec.name} has no constructor without temp_storage; "
                        f"allocate one with {spec.name}.TempStorage(...) and pass temp_storage=")
    return ntypes.InstanceType(sp, "explicit" if ts is not None else "implicit"), None


def _split_template_call(spec: ClassSpec, args, kws):
    """(template args, template kws, constructor args, constructor kws) of ``X(...)`` in a kernel."""
    ctor_names = {p.name for c in spec.constructors for p in c.params} | {"temp_storage"}
    tk = {k: v for k, v in kws.items() if k not in ctor_names}
    ck = {k: v for k, v in kws.items() if k in ctor_names}
    if spec.value_class:  # BFEDigitExtractor(np.uint32, bit_start, num_bits)
        n = sum(t.default is None for t in spec.template_params)
        return args[:n], tk, args[n:], ck
    n = len(args)
    while n and isinstance(args[n - 1], ntypes.TempStorageType):
        n -= 1
    return args[:n], tk, args[n:], ck


def _type_template_call(fnty, context, args, kws):
    spec = template_named(fnty.template_name).spec
    targs, tk, cargs, ck = _split_template_call(spec, args, kws)
    try:
        sp = bind(spec, tuple(targs), tk, from_numba=True)
    except TemplateArgumentError as exc:
        raise TypingError(str(exc)) from None
    inst, plan = _type_construct(context, spec, sp, tuple(cargs), ck)
    sig = _call_sig(inst, args, kws)
    return ntypes.planned(sig, (plan, len(args) - len(cargs), [k for k in kws if k in ck]), fnty)


def _type_spec_call(fnty, context, args, kws):
    sp = fnty.specialization
    inst, plan = _type_construct(context, sp.spec, sp, tuple(args), dict(kws))
    sig = _call_sig(inst, args, kws)
    return ntypes.planned(sig, (plan, 0, [k for k in kws if k != "temp_storage"]), fnty)


def _ts_count(kws, where):
    count = kws.pop("count", None)
    if count is None:
        return 1
    if not isinstance(count, types.IntegerLiteral) or count.literal_value < 1:
        raise TypingError(f"{where}: count must be a positive integer constant, got {count}")
    return count.literal_value


def _buffer_of(rest, args, owner_is_spec, where):
    """The ``buffer=`` byte array a TempStorage is placed in (shared with other primitives)."""
    from cub_bindings._runtime.arrays import FixedArray

    buf = rest.pop("buffer", None)
    if buf is None and owner_is_spec and args and isinstance(args[0], types.Array):
        buf, args = args[0], args[1:]
    if buf is None:
        return None, args
    if not isinstance(buf, FixedArray) or buf.dtype != types.uint8 or buf.space != "shared":
        raise TypingError(f"{where}: buffer must be cub_bindings.shared_array(nbytes, numpy.uint8, alignment=16), got {buf}")
    return buf, args


def _type_factory_call(fnty, context, args, kws):
    owner = fnty.owner
    rest = dict(kws)
    buf, args = _buffer_of(rest, tuple(args), not isinstance(owner, str), f"{owner!r}.TempStorage")
    if isinstance(owner, str):
        count = _ts_count(rest, f"{owner}.TempStorage")
        try:
            sp = bind(template_named(owner).spec, tuple(args), rest, from_numba=True)
        except TemplateArgumentError as exc:
            raise TypingError(str(exc)) from None
    else:
        sp = owner
        count = _ts_count(rest, f"{owner!r}.TempStorage")
        if args or rest:
            raise TypingError(f"{owner!r}.TempStorage takes only count=")
    if not sp.spec.has_temp_storage:
        raise TypingError(f"{sp.spec.name} has no TempStorage")
    if buf is not None:
        if count != 1:
            raise TypingError(f"{sp!r}.TempStorage: count and buffer cannot be combined")
        ts = ntypes.TempStorageType(sp, 1, buffer=(buf.length, buf.alignment or 1))
        # the buffer was either the one positional argument of BS.TempStorage(buf) or buffer=
        return _call_sig(ts, args if "buffer" in kws else (*args, buf), kws)
    return _call_sig(ntypes.TempStorageType(sp, count), args, kws)


ntypes.CALL_TYPERS[ntypes.ClassTemplateType] = _type_template_call
ntypes.CALL_TYPERS[ntypes.SpecializationType] = _type_spec_call
ntypes.CALL_TYPERS[ntypes.TempStorageFactoryType] = _type_factory_call


def _make_instance(context, builder, inst, plan, ctor_vals, ts_val):
    null = lower._i8p(None)
    if isinstance(inst, ntypes.ValueObjectType):
        obj = cgutils.create_struct_proxy(inst)(context, builder)
        supplied = [ap for ap in plan.args if ap.numba_type is not None]
        for i, (ap, v) in enumerate(zip(supplied, ctor_vals)):
            setattr(obj, f"a{i}", context.cast(builder, v, ap.numba_type, ap.elem))
        return obj._getvalue()
    obj = cgutils.create_struct_proxy(inst)(context, builder)
    if ts_val is not None:
        ts = cgutils.create_struct_proxy(ts_val[0])(context, builder, value=ts_val[1])
        ts_ptr, ts_idx = ts.ptr, ts.index
    else:
        ts_ptr, ts_idx = null, context.get_constant(types.int32, 0)
    if inst.mode == "persistent":
        buf = lower.persistent_buffer(builder)
        lower.emit_call(context, builder, plan, buf, context.get_constant(types.int32, 0), ctor_vals,
                        ctor_ts=(ts_ptr, ts_idx))
        obj.ptr, obj.index = buf, context.get_constant(types.int32, 0)
    else:
        obj.ptr, obj.index = ts_ptr, ts_idx
    return obj._getvalue()


def _lower_call_on(kind):
    def impl(context, builder, sig, args):
        plan, n_template, ctor_kws = sig.args[0].plan  # the PlannedCall receiver
        sig = sig.replace(args=sig.args[1:], recvr=None)
        argtys, vals = sig.args, args[1:]
        names = list(sig.pysig.parameters) if sig.pysig is not None else [f"_{i}" for i in range(len(argtys))]
        ts_val, ctor_vals = None, []
        for i, (name, ty, v) in enumerate(zip(names, argtys, vals)):
            if isinstance(ty, ntypes.TempStorageType):
                ts_val = (ty, v)
            elif name.startswith("_") and i < n_template:
                continue  # a template argument
            elif name.startswith("_") or name in ctor_kws:
                ctor_vals.append(v)
        return _make_instance(context, builder, sig.return_type, plan, ctor_vals, ts_val)

    return impl


for _kind in (ntypes.ClassTemplateType, ntypes.SpecializationType):
    lowering_registry.lower(_kind, types.VarArg(types.Any))(_lower_call_on(_kind))


@lowering_registry.lower(ntypes.TempStorageFactoryType, types.VarArg(types.Any))
def _lower_factory(context, builder, sig, args):
    ts_type = sig.return_type
    out = cgutils.create_struct_proxy(ts_type)(context, builder)
    if ts_type.buffer is not None:
        (i, bty), = [(i, t) for i, t in enumerate(sig.args) if isinstance(t, types.Array)]
        out.ptr = lower.emit_buffer_check(context, builder, ts_type, bty, args[i])
        out.index = context.get_constant(types.int32, 0)
        return out._getvalue()
    out.ptr = lower.emit_temp_storage(context, builder, ts_type.specialization, ts_type.count)
    out.index = context.get_constant(types.int32, 0)
    return out._getvalue()


@typing_registry.register_global(operator.getitem)
class _TempStorageGetitem(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 2 and isinstance(args[0], ntypes.TempStorageType) and isinstance(args[1], types.Integer):
            ts = args[0]
            if ts.element or ts.count == 1:
                raise TypingError(f"{ts} is a single TempStorage; it cannot be indexed")
            return signature(ntypes.TempStorageType(ts.specialization, ts.count, element=True), *args)


@lowering_registry.lower(operator.getitem, ntypes.TempStorageType, types.Integer)
def _lower_ts_getitem(context, builder, sig, args):
    src = cgutils.create_struct_proxy(sig.args[0])(context, builder, value=args[0])
    out = cgutils.create_struct_proxy(sig.return_type)(context, builder)
    out.ptr = src.ptr
    out.index = context.cast(builder, args[1], sig.args[1], types.int32)
    return out._getvalue()


# --------------------------------------------------------------------------- attributes and methods


@typing_registry.register_attr
class _TemplateAttrs(AttributeTemplate):
    key = ntypes.ClassTemplateType

    def resolve_TempStorage(self, ty):
        return ntypes.TempStorageFactoryType(ty.template_name)


@typing_registry.register_attr
class _SpecAttrs(AttributeTemplate):
    key = ntypes.SpecializationType

    def resolve_TempStorage(self, ty):
        return ntypes.TempStorageFactoryType(ty.specialization)


@lowering_registry.lower_getattr(ntypes.ClassTemplateType, "TempStorage")
@lowering_registry.lower_getattr(ntypes.SpecializationType, "TempStorage")
def _lower_factory_attr(context, builder, ty, val):
    return context.get_dummy_value()


def _type_method_call(fnty, context, args, kws):
    inst, attr = fnty.instance, fnty.method
    sp = inst.specialization
    plan = resolve(context, sp, inst.mode, sp.spec.methods_named(attr), args, kws, f"{sp!r}.{attr}")
    given = dict(zip([p.name for p in plan.overload.params], args)) | dict(kws)
    argtys = [given[n] for n in plan.pysig.parameters]
    ret = plan.return_type if plan.return_type is not None else types.none
    return ntypes.planned(signature(ret, *argtys).replace(pysig=plan.pysig), plan, fnty)


ntypes.CALL_TYPERS[ntypes.MethodType] = _type_method_call


@lowering_registry.lower(ntypes.MethodType, types.VarArg(types.Any))
def _lower_method(context, builder, sig, args):
    plan = sig.args[0].plan
    obj = cgutils.create_struct_proxy(sig.args[0].callee.instance)(context, builder, value=args[0])
    res = lower.emit_call(context, builder, plan, obj.ptr, obj.index, list(args[1:])[: len(plan.supplied)])
    return res if res is not None else context.get_dummy_value()


@lowering_registry.lower_getattr_generic(ntypes.InstanceType)
def _lower_method_attr(context, builder, ty, val, attr):
    return val  # a MethodType's value is its object


@typing_registry.register_attr
class _InstanceAttrs(AttributeTemplate):
    key = ntypes.InstanceType

    def generic_resolve(self, inst, attr):
        if inst.specialization.spec.methods_named(attr):
            return ntypes.MethodType(inst, attr)
        return None
