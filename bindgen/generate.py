"""``python -m bindgen generate``: IR snapshot + ``overrides/bindings.toml`` -> ``cub_bindings/*.py``.

Each bound class template becomes one readable module holding a ``ClassSpec`` (data only)
and the ``ClassTemplate`` built from it; ``enums.py`` holds CUB's enums and ``_generated.py``
the index. Every method overload is classified here, once: how each parameter crosses from
a kernel into C++ (its role), or, for an overload that is not offered, the reason. The
runtime never parses headers. Generating twice gives the same bytes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from bindgen import ir, resources
from bindgen import schema as S
from bindgen.errors import BindgenError

BUILTINS = {"int", "unsigned int", "bool", "::cuda::std::uint32_t", "uint32_t", "::cuda::std::int32_t"}
_INTENT = re.compile(r"@param\[(in|out|in,\s*out)\]\s+(\w+)")


def load_overrides(path: Path | None = None) -> dict:
    """``bindings.toml``; by default the one installed with bindgen (the repository's ``overrides/``)."""
    path = path or resources.overrides_dir() / "bindings.toml"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BindgenError(f"cannot read {path}: {exc}") from None
    for key in ("primitives", "value_classes", "functors", "iterators", "ranges", "extractors", "decomposers", "unbound_params",
                "type_defaults", "deleted_default_constructors", "keys_only"):
        if key not in data:
            raise BindgenError(f"{path}: missing table or key {key!r}")
    return data


def snake(name: str) -> str:
    return S.snake(name, split_acronyms=True)


def summary(doc: str) -> str:
    text = re.sub(r"@(rst|endrst|brief)\b", "", doc)
    text = re.sub(r"\s+", " ", text.split("\n\n")[0] if "\n\n" in text.strip() else text).strip()
    first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    return first[:200]


class _Skip(Exception):
    def __init__(self, reason: str):
        self.reason = reason


@dataclass
class _Ctx:
    prim: ir.Primitive
    method: ir.Method
    ov: dict
    enums: dict

    @property
    def class_types(self) -> set[str]:
        return {t.name for t in self.prim.template_params if t.kind == "type"}

    @property
    def method_tparams(self) -> set[str]:
        return {t.name for t in self.method.template_params}

    @property
    def value_type(self) -> str:
        return next(t.name for t in self.prim.template_params if t.kind == "type")


def _base(cxx: str) -> str:
    t = cxx.replace("const ", "").strip()
    t = re.sub(r"\(&\)\[[^\]]*\]|\[[^\]]*\]|&|\*", "", t).strip()
    return t


def _intents(doc: str) -> dict[str, str]:
    out = {}
    for tag, name in _INTENT.findall(doc):
        out[name] = "inout" if "," in tag else tag
    return out


def _param(ctx: _Ctx, p: ir.Param, intents: dict) -> S.Param:
    ov = ctx.ov
    base = _base(p.type)
    for key, reason in ov["unbound_params"].items():
        if key == base or p.type.startswith(key):
            raise _Skip(f"parameter `{p.type} {p.name}`: {reason}")
    intent = intents.get(p.name, "in")
    mt, ct = ctx.method_tparams, ctx.class_types
    common = dict(name=p.name, cxx=p.type, intent=intent, default=p.default)
    known = mt | ct | BUILTINS

    if p.passing == "array_reference":
        owner = p.extent_owner or "internal"
        if base not in known:
            raise _Skip(f"parameter `{p.type} {p.name}`: element type {base} is not a template parameter")
        return S.Param(role="array", elem=base, extent=p.extent, extent_owner=owner, **common)
    if p.passing == "value" and "[" in p.type:  # `CounterT histogram[Bins]` decays to a pointer
        extent = p.type.split("[", 1)[1].rstrip("]").strip()
        return S.Param(role="carray", elem=base, extent=extent, extent_owner="class", **common)
    if base in ov["functors"]:
        sig = ov["functors"][base]
        return S.Param(role="functor", op=sig, stateful=p.passing == "reference", **common)
    if p.passing == "reference":
        if base == "TempStorage":
            raise _Skip("temp_storage")  # handled by the constructor, never reached for methods
        if base in mt and base in ov["ranges"]:
            return S.Param(role="range", elem=ctx.value_type, **common)
        if p.const:
            raise _Skip(f"parameter `{p.type} {p.name}`: const reference to {base} is not a known range or functor")
        if base in known:
            if intent == "in":
                common["intent"] = "inout"
            return S.Param(role="ref", elem=base, **common)
        raise _Skip(f"parameter `{p.type} {p.name}`: reference to unsupported type {base}")
    if p.passing == "pointer":
        raise _Skip(f"parameter `{p.type} {p.name}`: raw pointers are not offered")
    # by value
    if base in mt and base in ov["iterators"]:
        return S.Param(role="iterator", elem=ctx.value_type, **common)
    if base in mt and base in ov["extractors"]:
        return S.Param(role="extractor", **common)
    if base in mt and base in ov["decomposers"]:
        return S.Param(role="decomposer", **common)
    if base in known:
        return S.Param(role="value", elem=base, **common)
    raise _Skip(f"parameter `{p.type} {p.name}`: type {base} has no binding rule")


def _returns(ctx: _Ctx, m: ir.Method) -> str | None:
    rt = m.return_type.strip()
    if rt == "void":
        return None
    if rt in ctx.class_types | BUILTINS:
        return rt
    raise _Skip(f"returns {rt}, which has no binding rule")


def _tparams(tps, enums: dict, ov: dict) -> tuple[S.TParam, ...]:
    out = []
    for t in tps:
        default, enum = t.default, None
        if t.kind == "enum":
            enum = (t.cxx_type or "").split("::")[-1]
            if enum not in enums:
                raise BindgenError(f"enum {t.cxx_type} of template parameter {t.name} is not in the IR")
            if default is not None:  # `::cub::Enum::VALUE` is valid for scoped and unscoped enums
                default = f"::{enums[enum].qualname}::{default.split('::')[-1]}"
        elif t.kind == "type" and default is not None:
            default = ov["type_defaults"].get(default, default)
        out.append(S.TParam(t.name, t.kind, default, enum))
    return tuple(out)


def _overload(ctx: _Ctx, m: ir.Method, index: int) -> S.Overload:
    if m.is_static:
        raise _Skip("static helper, not a cooperative operation")
    intents = _intents(m.doc)
    params = tuple(_param(ctx, p, intents) for p in m.params if _base(p.type) != "TempStorage")
    keys_only = ctx.ov["keys_only"].get(ctx.prim.name)
    requires = (keys_only,) if keys_only and m.kind == "method" and all(p.elem != keys_only for p in params) else ()
    return S.Overload(
        requires_default=requires,
        name=m.name,
        params=params,
        template_params=_tparams(m.template_params, ctx.enums, ctx.ov),
        returns=_returns(ctx, m),
        doc=summary(m.doc),
        index=index,
    )


def build_spec(prim: ir.Primitive, snap: ir.Snapshot, ov: dict, value_class: bool = False) -> S.ClassSpec:
    methods, unbound = [], []
    per_name: dict[str, int] = {}
    for m in sorted(prim.methods, key=lambda m: (m.name, m.signature)):
        i = per_name.get(m.name, 0)
        per_name[m.name] = i + 1
        reason = ov.get("unbound_methods", {}).get(f"{prim.name}::{m.name}")
        if reason:
            unbound.append(S.Unbound(m.name, m.signature, reason))
            continue
        ctx = _Ctx(prim, m, ov, snap.enums)
        try:
            methods.append(_overload(ctx, m, i))
        except _Skip as skip:
            unbound.append(S.Unbound(m.name, m.signature, skip.reason))
    ctors = []
    has_default = False
    for c in sorted(prim.constructors, key=lambda m: m.signature):
        rest = [p for p in c.params if _base(p.type) != "TempStorage"]
        if not rest:
            has_default = has_default or not c.params
            continue
        ctx = _Ctx(prim, c, ov, snap.enums)
        try:
            ov_ = _overload(ctx, c, len(ctors))
            with_ts = len(rest) != len(c.params)
            ctors.append(S.Overload(**{**{f.name: getattr(ov_, f.name) for f in fields(ov_)},
                                       "name": "__init__" if not with_ts else "__init__ts"}))
        except _Skip as skip:
            unbound.append(S.Unbound(c.name, c.signature, skip.reason))
    return S.ClassSpec(
        name=prim.name,
        qualname=prim.qualname,
        header=prim.header,
        scope="helper" if value_class else prim.scope,
        cub_version=snap.cub_version,
        template_params=_tparams(prim.template_params, snap.enums, ov),
        has_temp_storage=prim.temp_storage is not None,
        default_constructible=(has_default or not prim.constructors) and prim.name not in ov["deleted_default_constructors"],
        constructors=tuple(ctors),
        methods=tuple(methods),
        unbound=tuple(unbound),
        persistent=bool(ctors) and not value_class,
        value_class=value_class,
        doc=summary(prim.doc),
    )


# --------------------------------------------------------------------------- rendering


def _r(obj, indent: int = 0) -> str:
    pad = "    " * indent
    if isinstance(obj, tuple):
        if not obj:
            return "()"
        inner = "".join(f"{pad}    {_r(x, indent + 1)},\n" for x in obj)
        return "(\n" + inner + pad + ")"
    if hasattr(obj, "__dataclass_fields__"):
        parts = []
        for f in fields(obj):
            v = getattr(obj, f.name)
            if f.name == "extra" or (f.default is not MISSING and v == f.default):
                continue
            parts.append(f"{f.name}={_r(v, indent + 1)}")
        one = f"{type(obj).__name__}({', '.join(parts)})"
        if len(pad) + len(one) <= 110 and "\n" not in one:
            return one
        inner = "".join(f"{pad}    {p},\n" for p in parts)
        return f"{type(obj).__name__}(\n{inner}{pad})"
    return repr(obj)


HEADER = (
    "# Generated by `python -m bindgen generate` from {ir} and overrides/bindings.toml.\n"
    "# Do not edit: change the IR, the overrides or the generator, then regenerate.\n"
)


def render_module(spec: S.ClassSpec, ir_name: str) -> str:
    doc = f'"""{spec.qualname} ({spec.header}), CUB {spec.cub_version}.\n\n{spec.doc}\n"""'
    bound = len(spec.methods) + len(spec.constructors)
    return (
        HEADER.format(ir=ir_name)
        + doc.replace("\\", "\\\\")
        + "\n\nfrom bindgen.schema import ClassSpec, Overload, Param, TParam, Unbound\n"
        + "from cub_bindings._runtime.class_template import ClassTemplate\n\n"
        + f"# {bound} overloads bound, {len(spec.unbound)} not bound (see `python -m bindgen coverage`).\n"
        + f"SPEC = {_r(spec)}\n\n{spec.name} = ClassTemplate(SPEC)\n"
    )


def render_enums(snap: ir.Snapshot, ir_name: str) -> str:
    out = [HEADER.format(ir=ir_name), f'"""CUB {snap.cub_version} enums as Python enums usable in kernels."""\n\n',
           "from cub_bindings._runtime.enums import CubEnum\n"]
    for name in sorted(snap.enums):
        e = snap.enums[name]
        out.append(f"\n\nclass {name}(CubEnum, cxx={e.qualname!r}):\n")
        doc = (summary(e.doc) or e.qualname).replace("\\", "\\\\")
        out.append(f'    """{doc}"""\n\n')
        for v in e.values:
            out.append(f"    {v.name} = {v.value}\n")
    out.append("\n\n# CUB's enumerators are also reachable unqualified (cub::BLOCK_SCAN_RAKING), like in C++.\n")
    members = []
    for name in sorted(snap.enums):
        for v in snap.enums[name].values:
            out.append(f"{v.name} = {name}.{v.name}\n")
            members.append(v.name)
    out.append("\n__all__ = " + repr(sorted(snap.enums) + members) + "\n")
    return "".join(out)


def render_index(specs: list[S.ClassSpec], snap: ir.Snapshot, ir_name: str) -> str:
    lines = [HEADER.format(ir=ir_name), '"""Index of the generated bindings."""\n\n']
    for s in specs:
        lines.append(f"from cub_bindings.{snake(s.name)} import {s.name}\n")
    lines.append(f"\nCUB_VERSION = {snap.cub_version!r}\n")
    lines.append("PRIMITIVES = {\n" + "".join(f"    {s.name!r}: {s.name},\n" for s in specs if s.scope != "helper") + "}\n")
    lines.append("HELPERS = {\n" + "".join(f"    {s.name!r}: {s.name},\n" for s in specs if s.scope == "helper") + "}\n")
    return "".join(lines)


def build_all(snap: ir.Snapshot, ov: dict) -> list[S.ClassSpec]:
    missing = [n for n in ov["primitives"] + ov["value_classes"] if n not in snap.primitives]
    if missing:
        raise BindgenError(f"overrides name templates the IR of CUB {snap.cub_version} lacks: {', '.join(missing)}")
    specs = [build_spec(snap.primitives[n], snap, ov) for n in ov["primitives"]]
    specs += [build_spec(snap.primitives[n], snap, ov, value_class=True) for n in ov["value_classes"]]
    return specs


def generate(snap: ir.Snapshot, ir_name: str, out_dir: Path | None = None, ov: dict | None = None,
             write: bool = True) -> dict[Path, str]:
    """Render every module; write those that changed. Returns {path: "new"|"updated"|"unchanged"}.
    ``out_dir`` defaults to the ``cub_bindings`` package Python imports (a checkout's or a wheel's)."""
    ov = ov or load_overrides()
    out_dir = out_dir or resources.cub_bindings_dir()
    specs = build_all(snap, ov)
    files = {out_dir / f"{snake(s.name)}.py": render_module(s, ir_name) for s in specs}
    files[out_dir / "enums.py"] = render_enums(snap, ir_name)
    files[out_dir / "_generated.py"] = render_index(specs, snap, ir_name)
    status = {}
    for path, text in sorted(files.items()):
        old = path.read_text() if path.is_file() else None
        status[path] = "unchanged" if old == text else ("new" if old is None else "updated")
        if write and old != text:
            path.write_text(text)
    return status
