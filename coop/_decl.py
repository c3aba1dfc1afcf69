"""How a primitive is declared: parameters (each of a kind from ``_kinds``), argument order in
kernels and in the two-phase constructor, the CUB class it specializes, and the CUB call(s)
it makes.

One ``Primitive(...)`` per primitive in ``coop/block.py`` / ``coop/warp.py``. Typing,
inference, errors, two-phase construction, lowering and documentation (``coop.docs``) are
generic and read only these declarations.

A one-shot primitive (scan, load, ...) declares ``build(c) -> CubCall``: the CUB method and
where each CUB argument comes from. A parent/child primitive (histogram, run-length decode)
declares ``construct(c) -> Construct`` (what the constructor captures, how the CUB object is
built) and ``methods``: each a ``Method`` with its own parameters and ``build``; calling the
primitive in a kernel returns an object whose methods are calls on that same CUB object.

Dtype groups and length groups: every array/value parameter names the group its dtype
belongs to (``"T"``: the items; ``"CounterT"``: histogram counters; ...) and, for arrays,
the length group its length belongs to (``"ipt"``: items per thread; ``"bins"``; ...).
Each group is inferred from its own arguments (and explicit counts such as
``items_per_thread=`` / ``bins=``), so one call may have several dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

REQUIRED = object()  # a parameter without default that must be given
ABSENT = None  # an optional parameter that is simply not passed


@dataclass(frozen=True)
class Param:
    name: str
    kind: object  # a coop._kinds.Kind instance
    default: object = ABSENT
    doc: str = ""
    host_only: bool = False  # a two-phase constructor parameter, not accepted in kernels
    host_required: bool = False  # the two-phase constructor must be given it (kernels infer it)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


# --------------------------------------------------------------------------- CUB argument sources


@dataclass(frozen=True)
class Arg:
    """The coop argument ``name`` passed to a CUB parameter; ``offset``: the coop argument
    whose value (an element count) is added to that array's start first, as C++ adds to a
    pointer (no Python slice rules: nothing wraps or clamps)."""

    name: str
    offset: str | None = None


@dataclass(frozen=True)
class Captured:
    """A value the parent object captured at construction (``histogram``)."""

    name: str


@dataclass(frozen=True)
class Scratch:
    """A fresh thread-local array of ``n`` items of dtype group ``group`` (CUB ``T&`` outputs)."""

    key: str
    n: int = 1
    group: str = "T"
    init: str | None = None  # a scalar argument stored in element 0 first (where CUB may not write)


@dataclass(frozen=True)
class Functor:
    """A libcu++ functor constant (``cub_bindings.functional``)."""

    functor: object


@dataclass(frozen=True)
class Const:
    """A compile-time value passed at run time, of dtype group ``group``."""

    value: object
    group: str = "T"


@dataclass(frozen=True)
class Helper:
    """A CUB value object built from compile-time constructor arguments (a digit extractor):
    class ``template`` with template arguments ``targs`` ((name, host value) pairs), constructed
    from ``args`` (ints); ``cub_bindings.extending.value_object_type`` types it."""

    template: str
    targs: tuple
    args: tuple = ()


@dataclass
class CubCall:
    method: str
    args: dict  # CUB parameter name -> Arg | Captured | Scratch | Functor | Const | Helper
    returns: object = "cub"  # "cub" (the method's result), a Scratch key, a tuple of Scratch keys (a tuple), or None


@dataclass(frozen=True)
class Construct:
    """How a parent object is built: the arguments it keeps for its methods, and for a
    persistent CUB object (one that holds state between calls) its constructor call."""

    captured: tuple = ()  # parameter names whose values the object keeps
    ctor: CubCall | None = None  # persistent objects: the constructor ("__init__ts") and its arguments


@dataclass(frozen=True)
class Method:
    name: str
    doc: str
    params: tuple
    order: tuple  # positional order
    build: Callable  # (Call) -> CubCall

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]


@dataclass(frozen=True)
class Primitive:
    scope: str  # "block" | "warp"
    name: str
    doc: str
    params: tuple
    kernel_order: tuple  # kernel-call positional order
    host_order: tuple  # two-phase constructor positional order
    template: Callable  # (Call) -> (CUB class template name, {template parameter: host value})
    build: Callable | None = None  # one-shot: (Call) -> CubCall
    construct: Callable | None = None  # parent/child: (Call) -> Construct
    methods: tuple = ()  # parent/child: Method declarations
    aliases: dict = field(default_factory=dict)  # alternative keyword -> parameter name
    #: every CUB class and method this primitive's calls can reach, {"BlockScan": ("ExclusiveSum", ...)};
    #: typing checks each call against it, and docs/coop.md's coverage table is generated from it
    reaches: dict = field(default_factory=dict)

    @property
    def qualname(self) -> str:
        return f"coop.{self.scope}.{self.name}"

    @property
    def is_parent(self) -> bool:
        return self.construct is not None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]
