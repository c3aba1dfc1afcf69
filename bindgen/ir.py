"""The typed IR: project-owned dataclasses describing CUB's cooperative class templates.

Nothing here refers to ast_canopy or libclang objects; the readers in ``canopy_reader``
and ``doc_reader`` produce raw facts and ``scan`` normalizes them into these classes.
The IR is written as stable, sorted JSON (``to_json``) and read back (``from_json``)
without loss, so a snapshot can be diffed against another or against a fresh scan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

#: Bumped whenever the JSON layout changes incompatibly.
SCHEMA_VERSION = 1

TEMPLATE_PARAM_KINDS = ("type", "integer", "bool", "enum")
PASSING_KINDS = ("value", "reference", "array_reference", "pointer")
EXTENT_OWNERS = ("class", "method")


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    doc: str = ""


@dataclass(frozen=True)
class Enum:
    name: str  # e.g. "BlockScanAlgorithm"
    qualname: str  # e.g. "cub::BlockScanAlgorithm"
    header: str  # relative to the CCCL include dir, e.g. "cub/block/block_scan.cuh"
    values: tuple[EnumValue, ...]
    doc: str = ""


@dataclass(frozen=True)
class TemplateParam:
    name: str
    kind: str  # one of TEMPLATE_PARAM_KINDS
    cxx_type: str | None = None  # "int", "bool", "cub::BlockScanAlgorithm"; None for type parameters
    default: str | None = None  # the default argument spelled as in the header, or None
    is_pack: bool = False

    def spelling(self) -> str:
        head = "typename" if self.kind == "type" else (self.cxx_type or "int")
        text = f"{head}{'...' if self.is_pack else ''} {self.name}"
        return text if self.default is None else f"{text} = {self.default}"


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # C++ type spelled with public names, e.g. "T (&)[ITEMS_PER_THREAD]"
    passing: str  # one of PASSING_KINDS
    const: bool = False
    extent: str | None = None  # array_reference only: the template parameter giving the length
    extent_owner: str | None = None  # "class" or "method"
    default: str | None = None  # default argument as written in the header


@dataclass(frozen=True)
class Method:
    name: str  # the class name for constructors
    kind: str  # "constructor" or "method"
    params: tuple[Param, ...]
    return_type: str = "void"
    template_params: tuple[TemplateParam, ...] = ()
    is_static: bool = False
    inherited_from: str | None = None  # the public base that declares it, if not the class itself
    #: SFINAE condition (from an enable_if return type) under which the overload exists.
    constraint: str | None = None
    doc: str = ""

    @property
    def signature(self) -> str:
        """A readable key that identifies one overload within its class."""
        tpl = ""
        if self.template_params:
            tpl = "<" + ", ".join(tp.spelling() for tp in self.template_params) + ">"
        args = ", ".join(f"{p.type} {p.name}" for p in self.params)
        ret = "" if self.kind == "constructor" else f" -> {self.return_type}"
        return f"{self.name}{tpl}({args}){ret}"


@dataclass(frozen=True)
class TempStorage:
    spelling: str  # how user code names it, e.g. "TempStorage"
    declared_as: str  # "struct", "alias" or "inherited"
    source: str  # which reader found it: "ast_canopy", "libclang" or "overrides"


@dataclass(frozen=True)
class Primitive:
    name: str  # "BlockScan"
    qualname: str  # "cub::BlockScan"
    scope: str  # "block" or "warp"
    header: str  # "cub/block/block_scan.cuh"
    template_params: tuple[TemplateParam, ...]
    constructors: tuple[Method, ...]
    methods: tuple[Method, ...]
    temp_storage: TempStorage | None
    bases: tuple[str, ...] = ()
    doc: str = ""
    #: What the normalizer removed or respelled, one readable line each (never silent).
    filtered: tuple[str, ...] = ()

    def overloads(self, name: str) -> list[Method]:
        return [m for m in self.methods if m.name == name]

    @property
    def method_names(self) -> list[str]:
        return sorted({m.name for m in self.methods})


@dataclass(frozen=True)
class Snapshot:
    cub_version: str  # "3.5.0", read from cub/version.cuh
    primitives: dict[str, Primitive]
    enums: dict[str, Enum]
    #: Class templates seen in the headers but left out (namespace detail, nested, private).
    skipped_templates: tuple[str, ...] = ()
    source: str = ""  # where the headers came from, e.g. "nvidia-cuda-cccl 13.3.5.0.6"
    schema: int = SCHEMA_VERSION

    @property
    def cub_version_tuple(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.cub_version.split("."))


# --------------------------------------------------------------------------- JSON


def _sorted_methods(methods) -> list[dict]:
    return [asdict(m) for m in sorted(methods, key=lambda m: (m.name, m.signature))]


def to_dict(snapshot: Snapshot) -> dict[str, Any]:
    prims = {}
    for name in sorted(snapshot.primitives):
        p = snapshot.primitives[name]
        d = asdict(p)
        d["constructors"] = _sorted_methods(p.constructors)
        d["methods"] = _sorted_methods(p.methods)
        prims[name] = d
    return {
        "schema": snapshot.schema,
        "cub_version": snapshot.cub_version,
        "source": snapshot.source,
        "enums": {k: asdict(snapshot.enums[k]) for k in sorted(snapshot.enums)},
        "primitives": prims,
        "skipped_templates": sorted(snapshot.skipped_templates),
    }


def to_json(snapshot: Snapshot) -> str:
    return json.dumps(to_dict(snapshot), indent=1, sort_keys=True) + "\n"


def _tparam(d: dict) -> TemplateParam:
    return TemplateParam(**d)


def _method(d: dict) -> Method:
    d = dict(d)
    d["params"] = tuple(Param(**p) for p in d["params"])
    d["template_params"] = tuple(_tparam(t) for t in d["template_params"])
    return Method(**d)


def from_dict(d: dict[str, Any]) -> Snapshot:
    if not isinstance(d, dict) or "primitives" not in d:
        raise ValueError("no 'primitives' table")
    schema = d.get("schema")
    if schema != SCHEMA_VERSION:
        raise ValueError(
            f"IR snapshot has schema {schema!r}, this bindgen reads schema {SCHEMA_VERSION}; "
            "regenerate it with `python -m bindgen scan`"
        )
    enums = {
        k: Enum(
            name=e["name"],
            qualname=e["qualname"],
            header=e["header"],
            values=tuple(EnumValue(**v) for v in e["values"]),
            doc=e.get("doc", ""),
        )
        for k, e in d["enums"].items()
    }
    prims = {}
    for k, p in d["primitives"].items():
        ts = p.get("temp_storage")
        prims[k] = Primitive(
            name=p["name"],
            qualname=p["qualname"],
            scope=p["scope"],
            header=p["header"],
            template_params=tuple(_tparam(t) for t in p["template_params"]),
            constructors=tuple(_method(m) for m in p["constructors"]),
            methods=tuple(_method(m) for m in p["methods"]),
            temp_storage=TempStorage(**ts) if ts else None,
            bases=tuple(p.get("bases", ())),
            doc=p.get("doc", ""),
            filtered=tuple(p.get("filtered", ())),
        )
    return Snapshot(
        cub_version=d["cub_version"],
        primitives=prims,
        enums=enums,
        skipped_templates=tuple(d.get("skipped_templates", ())),
        source=d.get("source", ""),
        schema=schema,
    )


def from_json(text: str) -> Snapshot:
    return from_dict(json.loads(text))


def normalized(snapshot: Snapshot) -> Snapshot:
    """The snapshot as it reads back from JSON (sorted lists, tuples): for equality checks."""
    return from_json(to_json(snapshot))
