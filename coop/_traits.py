"""``coop.gpu_dataclass``: a kernel-traits object bundling two-phase primitives.

``traits = coop.gpu_dataclass(KernelTraits(load=coop.block.load(...), scan=...))`` wraps a
dataclass instance whose fields are two-phase primitives (or other compile-time values). Pass
it to a kernel as an argument and call its fields there (``traits.load(src, items)``): every
field is a compile-time constant of the kernel, so the argument carries no data (its type
holds the fields; nothing is copied to the device). On the host it reports the shared memory
its primitives need: ``temp_storage_bytes_sum`` (each its own), ``temp_storage_bytes_max``
(one buffer they take turns in) and ``temp_storage_alignment``; every field's layout is
measured in one NVRTC call (batched with every other two-phase object made before).
"""

from __future__ import annotations

import dataclasses

from numba.cuda import types
from numba.cuda.datamodel.models import StructModel
from numba.cuda.typing.templates import AttributeTemplate

from cub_bindings.extending import lowering_registry, register_model, typeof_impl, typing_registry

from coop._errors import CoopError


class KernelTraits:
    """A dataclass instance of primitives, usable as a kernel argument (``coop.gpu_dataclass``)."""

    def __init__(self, instance, compute_temp_storage: bool = True):
        if not dataclasses.is_dataclass(instance) or isinstance(instance, type):
            raise CoopError(f"coop.gpu_dataclass: expects a dataclass instance, got {instance!r}",)
        self._instance = instance
        self._fields = {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)}
        for name, value in self._fields.items():
            if value is None:
                raise CoopError(f"coop.gpu_dataclass: field `{name}` is None; every field must be a two-phase "
                                "primitive (e.g. coop.block.load(np.int32, 128, 4)) or a compile-time constant")
        self._type = None
        if compute_temp_storage:
            _ = self.temp_storage_bytes_max  # sized now, with any other object made before, in one NVRTC call

    def __getattr__(self, name):
        fields = self.__dict__.get("_fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(f"{type(self.__dict__.get('_instance')).__name__} has no field {name!r}")

    @property
    def primitives(self) -> dict:
        """The fields that are two-phase primitives (they have a TempStorage)."""
        return {n: v for n, v in self._fields.items() if hasattr(v, "temp_storage_layout")}

    @property
    def temp_storage_bytes_sum(self) -> int:
        """Bytes for every primitive's TempStorage side by side (each aligned)."""
        total = 0
        for v in self.primitives.values():
            nbytes, align = v.temp_storage_layout
            total = -(-total // align) * align + nbytes
        return total

    @property
    def temp_storage_bytes_max(self) -> int:
        """Bytes of the largest TempStorage (one buffer the primitives take turns in)."""
        return max((v.temp_storage_layout[0] for v in self.primitives.values()), default=0)

    @property
    def temp_storage_alignment(self) -> int:
        return max((v.temp_storage_layout[1] for v in self.primitives.values()), default=1)

    def __repr__(self):
        return f"coop.gpu_dataclass({self._instance!r})"


def gpu_dataclass(instance, *, compute_temp_storage: bool = True) -> KernelTraits:
    """Wrap a dataclass instance of two-phase primitives as kernel traits (see module doc)."""
    return KernelTraits(instance, compute_temp_storage)


class KernelTraitsType(types.Type):
    """A kernel-traits argument: its fields' types (each a compile-time constant)."""

    def __init__(self, traits: KernelTraits):
        from numba.cuda.typing.typeof import typeof

        self.traits = traits
        self.fields = {}
        for name, value in traits._fields.items():
            try:
                self.fields[name] = typeof(value)
            except (ValueError, TypeError):
                raise CoopError(f"coop.gpu_dataclass: field `{name}` ({value!r}) has no type in kernels; fields "
                                "must be two-phase primitives or compile-time constants") from None
        super().__init__(f"coop.gpu_dataclass({type(traits._instance).__name__}#{id(traits):x})")

    @property
    def key(self):
        return id(self.traits)


@typeof_impl.register(KernelTraits)
def _typeof_traits(val, c):
    if val._type is None:
        val._type = KernelTraitsType(val)
    return val._type


@register_model(KernelTraitsType)
class _TraitsModel(StructModel):
    """No members: the argument passes nothing (every field is a compile-time constant)."""

    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, [])


@typing_registry.register_attr
class _TraitsAttrs(AttributeTemplate):
    key = KernelTraitsType

    def generic_resolve(self, traits, attr):
        return traits.fields.get(attr)


@lowering_registry.lower_getattr_generic(KernelTraitsType)
def _lower_field(context, builder, ty, val, attr):
    return context.get_constant_generic(builder, ty.fields[attr], ty.traits._fields[attr])


def launch_value(ty):
    """What a launch passes for a kernel-traits argument: nothing (an empty tuple)."""
    return types.Tuple(()), ()
