"""Headers -> IR: run both readers and normalize what they report into ``ir.Snapshot``."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from bindgen import canopy_reader, doc_reader, locate, resources, spelling
from bindgen.doc_reader import ClassFacts, MethodFacts
from bindgen.errors import BindgenError
from bindgen.ir import Enum, EnumValue, Method, Param, Primitive, Snapshot, TemplateParam, TempStorage

HEADER_GLOBS = ("cub/block/*.cuh", "cub/warp/*.cuh")

_CONSTRUCTOR_KINDS = {"default_constructor", "converting_constructor", "other_constructor"}
_SKIPPED_METHOD_KINDS = {"copy_constructor", "move_constructor", "destructor", "conversion_function"}


def load_overrides(directory: Path | None) -> dict:
    directory = Path(directory) if directory is not None else resources.overrides_dir()
    path = directory / "ir.toml"
    if not path.is_file():
        raise BindgenError(f"overrides file {path} not found: pass --overrides DIR holding ir.toml")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BindgenError(f"{path} is not valid TOML: {exc}") from None
    return {"default_spellings": data.get("default_spellings", {}), "temp_storage": data.get("temp_storage", {})}


def header_list(include_dir: Path) -> list[Path]:
    headers = sorted(p.resolve() for g in HEADER_GLOBS for p in include_dir.glob(g))
    if not headers:
        raise BindgenError(f"{include_dir} has no cub/block/*.cuh or cub/warp/*.cuh headers")
    return headers


def scan_headers(include_dir: str | Path | None = None, overrides_dir: str | Path | None = None) -> Snapshot:
    """Parse the CUB block and warp headers into a Snapshot."""
    include = locate.cccl_include_dir(include_dir)
    version = locate.cub_version(include)
    headers = header_list(include)
    cuda_dirs = locate.cuda_include_dirs()
    clang = locate.find_clang()
    overrides = load_overrides(overrides_dir)
    with tempfile.TemporaryDirectory(prefix="cub-coop-scan-") as tmp:
        umbrella = Path(tmp) / "cub_coop_scan.cu"
        umbrella.write_text("".join(f"#include <{h.relative_to(include)}>\n" for h in headers))
        decls = canopy_reader.parse(umbrella, headers, include, cuda_dirs, clang)
        classes, enum_facts, global_enums = doc_reader.read_header_facts(
            umbrella, [include, *cuda_dirs], set(headers), clang.resource_dir
        )
    return _Normalizer(include, decls, classes, enum_facts, global_enums, overrides).snapshot(
        version, locate.header_source(include)
    )


class _Normalizer:
    def __init__(self, include, decls, classes, enum_facts, global_enums, overrides):
        self.include = include
        self.classes: dict[str, ClassFacts] = classes
        self.overrides = overrides
        self.templates = {ct.qual_name: ct for ct in decls.class_templates}
        self.enums = self._enums(decls.enums, enum_facts)
        self.global_enums = global_enums

    # ------------------------------------------------------------------ enums

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.include))
        except ValueError:
            return path.name

    def _enums(self, canopy_enums, facts) -> dict[str, Enum]:
        out = {}
        for e in canopy_enums:
            parts = e.qual_name.split("::")
            if parts[0] != "cub" or "detail" in parts or not e.name:
                continue  # internal or anonymous (enum { WARP_THREADS = ... } in older CUB)
            f = facts.get(e.name)
            out[e.name] = Enum(
                name=e.name,
                qualname=e.qual_name,
                header=self._rel(f.header) if f else "",
                values=tuple(
                    EnumValue(n, int(v), f.value_docs.get(n, "") if f else "")
                    for n, v in zip(e.enumerators, e.enumerator_values)
                ),
                doc=f.doc if f else "",
            )
        return out

    def _enum_for_type(self, cxx_type: str) -> Enum | None:
        name = cxx_type.split("::")[-1]
        if name in self.enums:
            return self.enums[name]
        f = self.global_enums.get(cxx_type)
        if f is None:
            return None
        enum = Enum(
            name=f.name,
            qualname=f.name,
            header=self._rel(f.header),
            values=tuple(EnumValue(n, v, f.value_docs.get(n, "")) for n, v in f.values.items()),
            doc=f.doc,
        )
        self.enums[name] = enum
        return enum

    # ---------------------------------------------------------- template params

    def _tparam(self, tp, facts_by_name: dict, owner: str, filtered: list[str]) -> TemplateParam:
        kind_name = tp.kind.name
        cxx_type = None
        if kind_name == "type_":
            kind = "type"
        elif kind_name == "non_type":
            cxx_type = tp.type_.name
            if cxx_type == "bool":
                kind = "bool"
            elif self._enum_for_type(cxx_type) is not None:
                kind = "enum"
            else:
                kind = "integer"
        else:
            kind = "type"
            filtered.append(f"{owner}: template template parameter {tp.name} recorded as a type parameter")
        facts = facts_by_name.get(tp.name)
        default = facts.default if facts else None
        if default is not None and spelling.is_internal(default):
            public = self.overrides["default_spellings"].get(default)
            if public is not None:
                filtered.append(f"{owner}: default of {tp.name} '{default}' spelled '{public}' (overrides)")
                default = public
            else:
                filtered.append(f"{owner}: default of {tp.name} '{default}' names CUB internals (kept)")
        return TemplateParam(tp.name, kind, cxx_type, default, bool(tp.is_pack))

    def _tparams(self, tparams, facts, owner, filtered) -> tuple[tuple[TemplateParam, ...], list[str]]:
        """Public template parameters, and all declared names (for type-parameter-D-I)."""
        by_name = {f.name: f for f in facts}
        names = [tp.name for tp in tparams]
        dropped = [tp.name or "<unnamed>" for tp in tparams if spelling.is_requires_param(tp.name)]
        if dropped:
            filtered.append(f"{owner}: dropped requires-clause template parameters ({', '.join(dropped)})")
        kept = tuple(
            self._tparam(tp, by_name, owner, filtered) for tp in tparams if not spelling.is_requires_param(tp.name)
        )
        return kept, names

    # ----------------------------------------------------------------- methods

    def _type(self, canopy: str, written: str | None, ctx, where: str, filtered: list[str]) -> str:
        """The public spelling of one type: the header's own (libclang) first, else ast_canopy's.

        ast_canopy's canonical types can name a dependent array extent after another
        template's parameter at the same position, so the written spelling wins.
        """
        depth_names, qualname, name = ctx
        candidates = []
        if written is not None:
            candidates.append(("libclang", written))
        candidates.append(("ast_canopy", spelling.name_type_parameters(canopy, depth_names)))
        for source, raw in candidates:
            s = spelling.tidy(spelling.strip_own_scope(raw, qualname, name))
            if spelling.nested_temp_storage(s):
                # A base's or an internal algorithm's TempStorage: users name it through this class.
                filtered.append(f"{where}: '{s}' spelled 'TempStorage &'")
                return "TempStorage &"
            if not spelling.is_internal(s):
                if source == "ast_canopy" and written is None:
                    filtered.append(f"{where}: spelled from ast_canopy's canonical type '{s}' (libclang saw none)")
                return s
        s = spelling.tidy(spelling.strip_own_scope(candidates[0][1], qualname, name))
        filtered.append(f"{where}: type '{s}' names CUB internals (kept)")
        return s

    def _method(self, fn, kind, tparams, facts: MethodFacts | None, cls, class_names, filtered) -> Method:
        cls_name = cls.qual_name.split("::")[-1]
        name = cls_name if kind == "constructor" else fn.name
        owner = f"{cls_name}::{name}"
        m_tparams, m_names = self._tparams(tparams, facts.tparams if facts else [], owner, filtered)
        ctx = ([class_names, m_names], cls.qual_name, cls_name)
        params = []
        for i, pv in enumerate(fn.params):
            written = facts.param_types[i] if facts and i < len(facts.param_types) else None
            t = self._type(pv.type_.name, written, ctx, f"{owner}({pv.name})", filtered)
            passing, const, extent = spelling.classify(t)
            extent_owner = None
            if extent is not None:
                extent_owner = "method" if extent in m_names else "class" if extent in class_names else None
            default = facts.param_defaults[i] if facts and i < len(facts.param_defaults) else None
            params.append(Param(pv.name, t, passing, const, extent, extent_owner, default))
        ret, constraint = "void", None
        if kind == "method":
            written = facts.result_type if facts else None
            ret, constraint = spelling.unwrap_enable_if(spelling.tidy(written or fn.return_type.name))
            if constraint is not None:
                filtered.append(f"{owner}: SFINAE return type unwrapped to '{ret}' (constraint: {constraint})")
            ret = self._type(fn.return_type.name if written is None else ret, ret, ctx, f"{owner} result", filtered)
        return Method(
            name=name,
            kind=kind,
            params=tuple(params),
            return_type=ret,
            template_params=m_tparams,
            is_static=facts.is_static if facts else False,
            doc=facts.doc if facts else "",
            constraint=constraint,
        )

    def _methods(self, ct, facts: ClassFacts | None, filtered: list[str]):
        cls_name = ct.qual_name.split("::")[-1]
        class_names = [tp.name for tp in ct.template_parameters]
        pool: dict[tuple, list[MethodFacts]] = {}
        for mf in facts.methods if facts else []:
            pool.setdefault((mf.name, mf.is_template, mf.param_names), []).append(mf)

        def take(name, is_template, fn):
            key = (name, is_template, tuple(p.name for p in fn.params))
            lst = pool.get(key)
            return lst.pop(0) if lst else None

        ctors, methods = [], []
        for m in ct.record.methods:
            k = m.kind.name
            if k in _SKIPPED_METHOD_KINDS:
                filtered.append(f"{cls_name}: {k.replace('_', ' ')} not recorded")
                continue
            is_ctor = k in _CONSTRUCTOR_KINDS
            mf = take(cls_name if is_ctor else m.name, False, m)
            kind = "constructor" if is_ctor else "method"
            (ctors if is_ctor else methods).append(self._method(m, kind, [], mf, ct, class_names, filtered))
        for tm in ct.record.templated_methods:
            fn = tm.function
            is_ctor = fn.name.split("<")[0] == cls_name
            mf = take(cls_name if is_ctor else fn.name, True, fn)
            kind = "constructor" if is_ctor else "method"
            target = ctors if is_ctor else methods
            target.append(self._method(fn, kind, tm.template_parameters, mf, ct, class_names, filtered))
        return ctors, methods

    # --------------------------------------------------------------- classes

    def _own_temp_storage(self, ct, facts: ClassFacts | None) -> TempStorage | None:
        if any(r.name == "TempStorage" for r in ct.record.nested_records):
            return TempStorage("TempStorage", "struct", "ast_canopy")
        if facts and "TempStorage" in facts.public_aliases:
            return TempStorage("TempStorage", "alias", "libclang")
        if facts and "TempStorage" in facts.public_records:
            return TempStorage("TempStorage", "struct", "libclang")
        return None

    def _inherited(self, facts: ClassFacts | None, filtered: list[str], own_sigs: set[str]):
        """Public methods and TempStorage from public bases that are CUB class templates."""
        methods, temp_storage, bases = [], None, []
        for base in facts.bases if facts else []:
            head, args = spelling.split_template_args(base)
            bases.append(base)
            base_name = head.split("::")[-1]
            base_ct = self.templates.get(f"cub::{base_name}")
            if base_ct is None:
                continue
            mapping = {tp.name: arg for tp, arg in zip(base_ct.template_parameters, args)}
            base_filtered: list[str] = []
            _, base_methods = self._methods(base_ct, self.classes.get(base_name), base_filtered)
            for m in base_methods:
                m = _substitute(m, mapping, base_name)
                if m.signature not in own_sigs:
                    methods.append(m)
            ts = self._own_temp_storage(base_ct, self.classes.get(base_name))
            if ts is not None and temp_storage is None:
                temp_storage = TempStorage("TempStorage", "inherited", ts.source)
                filtered.append(f"TempStorage inherited from {base_name}")
        return methods, temp_storage, bases

    def _primitive(self, ct) -> Primitive:
        name = ct.qual_name.split("::")[-1]
        facts = self.classes.get(name)
        filtered: list[str] = []
        if facts is None:
            filtered.append(f"{name}: libclang did not see this template (no docs, defaults or aliases)")
        for display in facts.partial_specializations if facts else []:
            filtered.append(f"{name}: partial specialization {display} not recorded (the primary template is)")
        tparams, _ = self._tparams(ct.template_parameters, facts.tparams if facts else [], name, filtered)
        ctors, methods = self._methods(ct, facts, filtered)
        inherited, base_ts, bases = self._inherited(facts, filtered, {m.signature for m in methods})
        temp_storage = self._own_temp_storage(ct, facts) or base_ts
        if temp_storage is None and name in self.overrides["temp_storage"]:
            temp_storage = TempStorage(self.overrides["temp_storage"][name], "alias", "overrides")
            filtered.append(f"{name}: TempStorage taken from overrides/ir.toml")
        header = self._rel(facts.header) if facts else ""
        scope = "warp" if header.startswith("cub/warp/") else "block"
        return Primitive(
            name=name,
            qualname=ct.qual_name,
            scope=scope,
            header=header,
            template_params=tparams,
            constructors=tuple(ctors),
            methods=tuple(methods + inherited),
            temp_storage=temp_storage,
            bases=tuple(bases),
            doc=facts.doc if facts else "",
            filtered=tuple(filtered),
        )

    def snapshot(self, version: str, source: str) -> Snapshot:
        prims, skipped = {}, []
        for qualname, ct in self.templates.items():
            parts = qualname.split("::")
            if len(parts) == 2 and parts[0] == "cub" and not parts[1].startswith("_"):
                prims[parts[1]] = self._primitive(ct)
            else:
                skipped.append(qualname)
        return Snapshot(
            cub_version=version,
            primitives=prims,
            enums=dict(self.enums),
            skipped_templates=tuple(sorted(skipped)),
            source=source,
        )


def _substitute(m: Method, mapping: dict[str, str], base_name: str) -> Method:
    def sub(text: str) -> str:
        return spelling.substitute_names(text, mapping)

    params = []
    for p in m.params:
        t = sub(p.type)
        passing, const, extent = spelling.classify(t)
        # A base's class parameters map to the derived class's arguments: the owner is unchanged.
        params.append(Param(p.name, t, passing, const, extent, p.extent_owner, p.default))
    return Method(
        name=m.name,
        kind=m.kind,
        params=tuple(params),
        return_type=sub(m.return_type),
        template_params=m.template_params,
        is_static=m.is_static,
        inherited_from=base_name,
        doc=m.doc,
        constraint=m.constraint and sub(m.constraint),
    )
