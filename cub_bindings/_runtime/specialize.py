"""Template arguments -> a ``Specialization`` (one C++ class type), on the host or in a kernel.

A ``Specialization`` is hashable and carries the C++ spelling used in shims. Template
arguments are given positionally or by keyword (CUB's name, e.g. ``BlockDimX=128``, or its
snake_case form, ``block_dim_x=128``); type arguments are NumPy dtypes/scalar classes or
Numba types; integers are Python ints; enums are members of the generated enums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba.cuda import types

from cub_bindings._runtime import cxx
from cub_bindings._runtime.enums import CubEnumMember, CubEnumValue
from cub_bindings._runtime.spec import ClassSpec, TParam, snake


class TemplateArgumentError(TypeError):
    pass


@dataclass(frozen=True)
class Specialization:
    spec_name: str
    args: tuple  # (name, value) pairs in declaration order, only those given or required

    @property
    def spec(self) -> ClassSpec:
        from cub_bindings._runtime.class_template import template_named

        return template_named(self.spec_name).spec

    def value(self, name: str):
        for n, v in self.args:
            if n == name:
                return v
        return None

    @property
    def cxx(self) -> str:
        spec = self.spec
        given = dict(self.args)
        last = max((i for i, t in enumerate(spec.template_params) if t.name in given), default=-1)
        parts = []
        for t in spec.template_params[: last + 1]:
            v = given.get(t.name)
            parts.append(_cxx_arg(t, v) if v is not None else t.default)
        return f"::{spec.qualname}<{', '.join(parts)}>"

    @property
    def short(self) -> str:
        """A readable symbol fragment: BlockScan_i32_128."""
        toks = []
        for n, v in self.args:
            if isinstance(v, types.Type):
                toks.append(cxx.short_name(v))
            elif isinstance(v, CubEnumValue):
                toks.append(v.name.lower())
            else:
                toks.append(str(int(v)))
        return "_".join([self.spec_name, *toks])

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={_py_repr(v)}" for n, v in self.args)
        return f"{self.spec_name}({inner})"

    @property
    def temp_storage_cxx(self) -> str:
        """The C++ spelling of this specialization's TempStorage (a layout-query key)."""
        return f"typename {self.cxx}::TempStorage"

    @property
    def preamble(self) -> dict:
        """C++ definitions the spelling needs: structs for record- and extension-typed template arguments."""
        return cxx.definitions(*[v for _, v in self.args if isinstance(v, types.Type)])


def _py_repr(v):
    return str(v) if isinstance(v, types.Type) else repr(v)


def _cxx_arg(t: TParam, v) -> str:
    if t.kind == "type":
        return cxx.cxx_name(v)
    if t.kind == "bool":
        return "true" if v else "false"
    if t.kind == "enum":
        return v.cxx
    return str(int(v))


def _host_value(t: TParam, v, where: str):
    if t.kind == "type":
        if isinstance(v, types.Type):
            ty = v
        else:
            try:
                ty = cxx.numba_type_of_dtype(v)
            except Exception:
                raise TemplateArgumentError(f"{where}: template argument {t.name} must be a dtype, got {v!r}") from None
        if not cxx.is_supported_scalar(ty):
            raise TemplateArgumentError(f"{where}: template argument {t.name}: {ty} is not supported (use an integer, float or bool dtype, or a record dtype)")
        return ty
    if t.kind == "enum":
        if not isinstance(v, CubEnumValue):
            raise TemplateArgumentError(f"{where}: template argument {t.name} must be a cub_bindings.enums.{t.enum} member, got {v!r}")
        if v.enum.__name__ != t.enum:
            raise TemplateArgumentError(f"{where}: template argument {t.name} must be a {t.enum} member, got {v!r} (an enum of another primitive)")
        return v
    if t.kind == "bool":
        if not isinstance(v, (bool, np.bool_)):
            raise TemplateArgumentError(f"{where}: template argument {t.name} must be True or False, got {v!r}")
        return bool(v)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TemplateArgumentError(f"{where}: template argument {t.name} must be an integer, got {v!r}")
    return int(v)


def numba_value(t: TParam, ty, where: str):
    """The template argument carried by a Numba type seen while typing a kernel."""
    if t.kind == "type":
        if isinstance(ty, (types.NumberClass, types.DType)):
            return _host_value(t, ty.dtype, where)
        if isinstance(ty, types.TypeRef):
            return _host_value(t, ty.instance_type, where)
        raise TemplateArgumentError(f"{where}: template argument {t.name} must be a dtype (e.g. numpy.int32 or arr.dtype), got {ty}")
    if t.kind == "enum":
        if isinstance(ty, CubEnumMember):
            return _host_value(t, ty.member, where)
        raise TemplateArgumentError(f"{where}: template argument {t.name} must be a cub_bindings.enums.{t.enum} member, got {ty}")
    if t.kind == "bool":
        if isinstance(ty, types.BooleanLiteral):
            return ty.literal_value
        raise TemplateArgumentError(f"{where}: template argument {t.name} must be the constant True or False, got {ty}")
    if isinstance(ty, types.IntegerLiteral):
        return ty.literal_value
    raise TemplateArgumentError(f"{where}: template argument {t.name} must be an integer constant, got {ty} (a variable's value is not known while compiling)")


def bind(spec: ClassSpec, args: tuple, kws: dict, *, from_numba: bool) -> Specialization:
    """Bind template arguments (host values, or Numba types when ``from_numba``)."""
    where = spec.name
    tps = spec.template_params
    by_name = {t.name: t for t in tps} | {snake(t.name): t for t in tps}
    if len(args) > len(tps):
        raise TemplateArgumentError(f"{where} takes at most {len(tps)} template arguments ({', '.join(t.name for t in tps)}), got {len(args)}")
    given = {}
    for t, a in zip(tps, args):
        given[t.name] = a
    for k, a in kws.items():
        t = by_name.get(k)
        if t is None:
            raise TemplateArgumentError(f"{where}: unknown template argument {k!r}; valid: {', '.join(t.name for t in tps)}")
        if t.name in given:
            raise TemplateArgumentError(f"{where}: template argument {t.name} given twice")
        given[t.name] = a
    out = []
    for t in tps:
        if t.name not in given:
            if t.default is None:
                raise TemplateArgumentError(f"{where}: missing template argument {t.name} (required: {', '.join(x.name for x in tps if x.default is None)})")
            continue
        conv = numba_value if from_numba else _host_value
        out.append((t.name, conv(t, given[t.name], where)))
    return Specialization(spec.name, tuple(out))
