"""The binding-spec schema: declarative description of one bound CUB class template.

A leaf module (standard library only): ``bindgen.generate`` builds these records and writes
them into ``cub_bindings/*.py``; the runtime (``cub_bindings._runtime``) reads them through
its re-export ``cub_bindings._runtime.spec``. Importing it never imports numba, the
generated package or the header readers, so a schema change cannot break regeneration.

The generated modules in ``cub_bindings/`` hold nothing but these records (built from the
IR and ``overrides/``); ``ClassTemplate`` in ``cub_bindings/_runtime/class_template.py``
turns one into the Python object users call, its Numba typing and its lowering.

Parameter roles (how a C++ parameter is passed from a kernel):
  value     a scalar by value (``T input``, ``int valid_items``)
  ref       a non-const scalar reference (``T& output``): pass an array, element 0 is used
  array     a fixed-size array reference (``T (&)[ITEMS_PER_THREAD]``): pass an array
  range     a const reference to a statically sized input range (``const InputType&``)
  carray    a C array parameter that decays to a pointer (``CounterT histogram[Bins]``)
  iterator  a random-access iterator (``InputIteratorT``): pass a device array or a slice of one
  functor   a binary or unary operator: a ``cub_bindings.functional`` functor or a
            ``@cuda.jit(device=True)`` function; ``stateful`` ones also take ``StatefulOp``
  extractor a radix digit extractor object (``BFEDigitExtractor`` / ``ShiftDigitExtractor``)
  decomposer a radix-sort decomposer for a user-defined key: ``cub_bindings.Decomposer`` naming
            the record fields the shim's generated functor returns as a tuple of references
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def snake(name: str, split_acronyms: bool = False) -> str:
    """snake_case of a C++ name: BlockDimX -> block_dim_x; with split_acronyms,
    BFEDigitExtractor -> bfe_digit_extractor (module names) instead of bfedigit_extractor."""
    pattern = r"(?<=[a-z0-9])(?=[A-Z])" + (r"|(?<=[A-Z])(?=[A-Z][a-z])" if split_acronyms else "")
    return re.sub(pattern, "_", name).lower()


ROLES = ("value", "ref", "array", "range", "carray", "iterator", "functor", "extractor", "decomposer")


@dataclass(frozen=True)
class TParam:
    name: str
    kind: str  # "type" | "integer" | "bool" | "enum"
    default: str | None = None  # C++ spelling of the default, fully qualified; None = required
    enum: str | None = None  # for kind == "enum": the generated enum's name


@dataclass(frozen=True)
class Param:
    name: str
    cxx: str  # the parameter's type as CUB spells it
    role: str  # one of ROLES
    elem: str | None = None  # the element/scalar type: a template parameter name or a builtin
    extent: str | None = None  # array extent: a template parameter or a class constant
    extent_owner: str | None = None  # "class", "method" or "internal"
    intent: str = "in"  # "in", "out" or "inout" (from the @param tags of CUB's docs)
    default: str | None = None  # C++ default argument: the parameter may be omitted
    op: str | None = None  # functor role: signature "R(A, B)" over template params / "{param}"; "void" (a
    # callback) and "T[]" (a reference to a C++ array of a class constant's length) too
    stateful: bool = False  # functor role: the operator may carry state (a reference parameter)


@dataclass(frozen=True)
class Overload:
    name: str
    params: tuple[Param, ...]
    template_params: tuple[TParam, ...] = ()
    returns: str | None = None  # None for void; else a template parameter name or builtin
    doc: str = ""
    index: int = 0  # position among the overloads of the same name, for symbol names
    requires_default: tuple[str, ...] = ()  # class template parameters that must keep their default


@dataclass(frozen=True)
class Unbound:
    name: str
    signature: str
    reason: str


@dataclass(frozen=True)
class ClassSpec:
    name: str
    qualname: str
    header: str
    scope: str  # "block" | "warp" | "helper"
    cub_version: str
    template_params: tuple[TParam, ...]
    has_temp_storage: bool
    default_constructible: bool  # has a constructor without temp_storage
    constructors: tuple[Overload, ...] = ()  # constructors beyond (temp_storage) / ()
    methods: tuple[Overload, ...] = ()
    unbound: tuple[Unbound, ...] = ()
    persistent: bool = False  # the C++ object keeps state between calls (built once, reused)
    value_class: bool = False  # no TempStorage; objects are rebuilt from their constructor arguments
    doc: str = ""
    extra: dict = field(default_factory=dict)

    def methods_named(self, name: str) -> tuple[Overload, ...]:
        return tuple(m for m in self.methods if m.name == name)
