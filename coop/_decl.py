"""How a primitive is declared: its parameters, and how a call becomes one CUB call.

A primitive is one ``Primitive(...)`` in ``coop/block.py`` or ``coop/warp.py``: its
parameters (kinds below), the order of its kernel-call and host-constructor arguments,
``template(call)``, the CUB class and its template arguments, and ``build(call) -> CubCall``,
the method and its arguments. Typing, inference, errors, two-phase construction and lowering are
generic (``_typing``, ``_lowering``, ``_host``) and never change per primitive.

Parameter kinds:

``items``      the thread's items: an array (its length is items per thread) or a scalar
``out``        an output array like ``items`` (same dtype and length); may be ``items`` itself
``iterator``   a global-memory array (load source / store destination)
``ipt``        ``items_per_thread``, a compile-time int that must agree with the arrays
``enum``       a compile-time choice from ``Param.choices`` (an enum class); strings accepted
``choice``     a compile-time string from ``Param.choices`` (a tuple)
``bool``       a compile-time bool
``op``         an operator (see ``_ops``)
``callback``   a stateful callback: ``StatefulOp(device_fn, state_array)`` or a device function
``value``      a runtime scalar (converted to the items' dtype or an integer, per ``Param.dtype``)
``ref``        an output array of at least one element (e.g. ``block_aggregate``)
``ranks``      an integer array of items-per-thread length
``flags``      a bool/integer array of items-per-thread length
``temp_storage`` a ``coop.TempStorage``
``dims``       the block shape (int or tuple), otherwise inferred from the launch
``warp``       the logical warp size (``threads_in_warp``)
``dtype``      the item dtype (host constructor only; in kernels it comes from the arrays)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: object = None  # REQUIRED, None (absent), or a default value
    choices: object = None
    dtype: str = "item"  # for "value": "item" (the items' dtype) or "int"
    host_only: bool = False  # a two-phase constructor parameter not accepted in kernels
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Arg:
    """A coop argument passed to a CUB parameter."""

    name: str


@dataclass(frozen=True)
class Scratch:
    """A fresh thread-local array of ``n`` items (CUB ``T&`` outputs of scalar calls)."""

    key: str
    n: int = 1


@dataclass(frozen=True)
class Functor:
    """A libcu++ functor constant (``cub_bindings.functional``)."""

    functor: object


@dataclass(frozen=True)
class Const:
    """A compile-time value passed at run time (a host-given ``initial_value``)."""

    value: object


@dataclass
class CubCall:
    method: str
    args: dict  # CUB parameter name -> Arg | Scratch | Functor | Const
    returns: object = "cub"  # "cub" (the method's result), a Scratch key, or None
    explicit_ipt: str | None = None  # method template parameter to pin to items per thread


@dataclass(frozen=True)
class Primitive:
    scope: str  # "block" | "warp"
    name: str
    doc: str
    params: tuple
    kernel_order: tuple  # kernel-call positional order
    host_order: tuple  # two-phase constructor positional order
    template: Callable  # (Call) -> (cub_bindings class template name, {template parameter: host value})
    build: Callable  # (Call) -> CubCall: the method and its arguments
    dtype_from: tuple = ("src",)
    needs_items: bool = True
    aliases: dict = field(default_factory=dict)  # alternative keyword -> parameter name

    @property
    def qualname(self) -> str:
        return f"coop.{self.scope}.{self.name}"

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]
