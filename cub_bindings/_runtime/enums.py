"""Python enums for CUB's enums, usable as template arguments inside kernels.

``class BlockScanAlgorithm(CubEnum, cxx="cub::BlockScanAlgorithm")`` with integer members.
Each member is an ``int`` that knows its enum and C++ spelling; in a kernel, every member has
its own Numba type (``CubEnumMember``), so the value is known while typing and an enum of
another primitive is rejected by name.
"""

from __future__ import annotations

from numba.cuda import cgutils, types
from numba.cuda.models import models
from numba.cuda.typing.templates import AttributeTemplate

from cub_bindings._runtime.registry import lowering_registry, register_model, typeof_impl, typing_registry


class CubEnumValue(int):
    enum: type
    name: str

    def __new__(cls, value: int, enum: type, name: str):
        obj = int.__new__(cls, value)
        obj.enum, obj.name = enum, name
        return obj

    @property
    def value(self) -> int:
        return int(self)

    @property
    def cxx(self) -> str:
        return f"::{self.enum.cxx}::{self.name}"

    def __repr__(self) -> str:
        return f"{self.enum.__name__}.{self.name}"

    def __str__(self) -> str:
        return self.enum.member_str(self)

    def __reduce__(self):
        return getattr, (self.enum, self.name)


class _CubEnumMeta(type):
    def __iter__(cls):
        return iter(cls._members.values())

    def __len__(cls):
        return len(cls._members)

    def __getitem__(cls, name: str):
        return cls._members[name]

    def __contains__(cls, item):
        return isinstance(item, CubEnumValue) and item.enum is cls


class CubEnum(metaclass=_CubEnumMeta):
    cxx = ""
    _members: dict = {}

    @classmethod
    def member_str(cls, member) -> str:
        """``str()`` of a member (its repr; subclasses may spell it in C++)."""
        return repr(member)

    def __init_subclass__(cls, cxx: str = "", **kw):
        super().__init_subclass__(**kw)
        cls.cxx = cxx
        cls._members = {}
        for name, value in list(vars(cls).items()):
            if not name.startswith("_") and isinstance(value, int) and not isinstance(value, bool):
                member = CubEnumValue(value, cls, name)
                cls._members[name] = member
                setattr(cls, name, member)

    def __new__(cls, value):
        for m in cls._members.values():
            if int(m) == value:
                return m
        raise ValueError(f"{value!r} is not a {cls.__name__} value; valid: {', '.join(cls._members)}")


class CubEnumClass(types.Dummy):
    def __init__(self, enum):
        self.enum = enum
        super().__init__(f"CubEnumClass({enum.__name__})")


class CubEnumMember(types.Dummy):
    """One enum member: its value is part of the type."""

    def __init__(self, member: CubEnumValue):
        self.member = member
        super().__init__(f"CubEnumMember({member!r})")


@typeof_impl.register(_CubEnumMeta)
def _typeof_enum_class(val, c):
    return CubEnumClass(val)


@typeof_impl.register(CubEnumValue)
def _typeof_enum_member(val, c):
    return CubEnumMember(val)


@typing_registry.register_attr
class _EnumClassAttrs(AttributeTemplate):
    key = CubEnumClass

    def generic_resolve(self, ty, attr):
        if attr in ty.enum._members:
            return CubEnumMember(ty.enum._members[attr])


@lowering_registry.lower_getattr_generic(CubEnumClass)
def _lower_enum_attr(context, builder, ty, val, attr):
    return cgutils.get_null_value(context.get_value_type(CubEnumMember(ty.enum._members[attr])))


register_model(CubEnumClass)(models.OpaqueModel)
register_model(CubEnumMember)(models.OpaqueModel)


@lowering_registry.lower_constant(CubEnumClass)
@lowering_registry.lower_constant(CubEnumMember)
def _enum_constant(context, builder, ty, pyval):
    return context.get_dummy_value()
