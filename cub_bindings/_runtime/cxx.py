"""C++ spellings of the Numba types that cross the shim boundary.

Numbers map to ``::cuda::std`` fixed-width types (plus ``float``/``double``/``bool``);
a Numba ``Record`` (a user-defined type) maps to a generated C++ struct with the same
field types, offsets, size and alignment, checked with ``static_assert`` in the shim.
numba-cuda's CUDA vector types (``float32x2``, ``int32x4``, ...) map to a struct of their
components ``x, y, z, w``: laid out as CUDA's ``float2``/``int4`` but aligned as Numba
aligns them (to one component; CUDA's ``float4`` is 16-byte aligned, which a Numba array of
``float32x4`` need not be).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import types
from numba.np.numpy_support import as_dtype, from_dtype

_SCALARS = {
    types.int8: "::cuda::std::int8_t",
    types.int16: "::cuda::std::int16_t",
    types.int32: "::cuda::std::int32_t",
    types.int64: "::cuda::std::int64_t",
    types.uint8: "::cuda::std::uint8_t",
    types.uint16: "::cuda::std::uint16_t",
    types.uint32: "::cuda::std::uint32_t",
    types.uint64: "::cuda::std::uint64_t",
    types.float16: "__half",
    types.float32: "float",
    types.float64: "double",
    types.boolean: "bool",
}

#: headers declaring the C++ types above that <cuda/std/cstdint> does not: included by a
#: compile whose source or measured layouts spell them
TYPE_HEADERS = {"__half": "cuda_fp16.h"}


def type_headers(*texts: str) -> list[str]:
    """The ``TYPE_HEADERS`` whose type any of ``texts`` (C++ source, layout types) spells."""
    return [h for name, h in TYPE_HEADERS.items() if any(name in t for t in texts)]


#: Builtin C++ spellings met in CUB signatures and the Numba type used for them.
BUILTIN_CXX = {
    "int": types.int32,
    "unsigned int": types.uint32,
    "bool": types.boolean,
    "::cuda::std::uint32_t": types.uint32,
    "uint32_t": types.uint32,
    "::cuda::std::int32_t": types.int32,
}


#: scalar types CUB's radix traits know (keys and decomposed key fields)
RADIX_SORTABLE = frozenset(t for t in _SCALARS)


class UnsupportedType(TypeError):
    pass


def numba_type_of_dtype(dtype) -> types.Type:
    """A Numba scalar or Record type for a numpy dtype, Numba type, or numpy scalar class."""
    if isinstance(dtype, types.Type):
        return dtype
    return from_dtype(np.dtype(dtype))


def is_supported_scalar(ty: types.Type) -> bool:
    """Numbers, bool, records, CUDA vector types, and extension types with construct/assign
    methods (``udt``)."""
    from cub_bindings._runtime import udt

    return ty in _SCALARS or isinstance(ty, types.Record) or is_vector(ty) or udt.methods_of(ty) is not None


def is_vector(ty) -> bool:
    """numba-cuda's CUDA vector type (``float32x4``, ...) whose components C++ can spell."""
    if not _VECTOR:
        try:
            from numba.cuda.vector_types import VectorType
        except Exception:  # noqa: BLE001 (the CUDA simulator: numba.cuda.vector_types does not import)
            VectorType = ()
        _VECTOR.append(VectorType)
    return isinstance(ty, _VECTOR[0]) and ty.base_type in _SCALARS


_VECTOR: list = []


def vector_struct_name(ty) -> str:
    return f"cub_coop_vec_{ty.name}"


def vector_definition(ty) -> str:
    """A C++ struct of the vector's components, sized as Numba lays it out."""
    name, base = vector_struct_name(ty), ty.base_type
    fields = "".join(f" {_SCALARS[base]} {a};" for a in ty.attr_names)
    size = as_dtype(base).itemsize * len(ty.attr_names)
    return (f"struct {name} {{{fields} }};\nstatic_assert(sizeof({name}) == {size}, \"vector type size mismatch\");")


def cxx_name(ty: types.Type) -> str:
    """The C++ spelling used in shims for a Numba scalar or record type."""
    if ty in _SCALARS:
        return _SCALARS[ty]
    if isinstance(ty, types.Record):
        return record_struct_name(ty)
    if is_vector(ty):
        return vector_struct_name(ty)
    from cub_bindings._runtime import udt

    if udt.methods_of(ty) is not None:
        return udt.struct_name(ty)
    raise UnsupportedType(
        f"{ty} has no C++ counterpart here; use an integer, float16/32/64, bool, a numpy record dtype, or an "
        "extension type with methods={'construct': f(this), 'assign': f(this, that)}"
    )


def short_name(ty: types.Type) -> str:
    """A compact readable token for symbol names: i32, u8, f64, b1, rec_3fa2c1."""
    if ty in _SCALARS:
        if ty == types.boolean:
            return "b1"
        kind = "f" if isinstance(ty, types.Float) else ("u" if not ty.signed else "i")
        return f"{kind}{ty.bitwidth}"
    if isinstance(ty, types.Record):
        return record_struct_name(ty).replace("cub_coop_", "")
    if is_vector(ty):
        return f"{short_name(ty.base_type)}x{len(ty.attr_names)}"
    from cub_bindings._runtime import udt

    if udt.methods_of(ty) is not None:
        return udt.struct_name(ty).replace("cub_coop_", "")
    raise UnsupportedType(f"{ty} has no C++ counterpart here")


def record_struct_name(rec: types.Record) -> str:
    digest = hashlib.sha1(str(as_dtype(rec).descr).encode() + str(rec.size).encode()).hexdigest()[:8]
    return f"cub_coop_rec_{digest}"


def record_definition(rec: types.Record) -> str:
    """A C++ struct laid out exactly like the numpy record: fields at their numpy offsets
    (explicit padding between them), size checked by ``static_assert``."""
    name = record_struct_name(rec)
    fields, pos, pads = [], 0, 0
    for fname, field in sorted(rec.fields.items(), key=lambda kv: kv[1][1]):
        fty, offset = field[0], field[1]
        if offset < pos:
            raise TypeError(f"record field {fname} overlaps the previous one; use a plain numpy record dtype")
        if offset > pos:
            fields.append(f"  unsigned char __cub_coop_pad{pads}[{offset - pos}];")
            pads += 1
        if isinstance(fty, types.NestedArray):
            fields.append(f"  {cxx_name(fty.dtype)} {fname}[{fty.nitems}];")
            pos = offset + fty.nitems * fty.dtype.bitwidth // 8
        else:
            fields.append(f"  {cxx_name(fty)} {fname};")
            pos = offset + as_dtype(fty).itemsize
    align = as_dtype(rec).alignment if getattr(rec, "aligned", False) else 1
    body = "\n".join(fields)
    return "\n".join([
        f"struct alignas({max(align, 1)}) {name} {{\n{body}\n}};",
        f"static_assert(sizeof({name}) == {rec.size}, \"record size or field alignment mismatch: use an aligned "
        f"numpy dtype (np.dtype(..., align=True))\");"])


def definitions(*tys) -> dict:
    """C++ definitions the spellings of ``tys`` need (records, extension types), keyed for a preamble."""
    from cub_bindings._runtime import udt

    out = {}
    for t in tys:
        if isinstance(t, types.Record):
            out[f"rec:{record_struct_name(t)}"] = record_definition(t)
        elif is_vector(t):
            out[f"vec:{vector_struct_name(t)}"] = vector_definition(t)
        elif t is not None and udt.methods_of(t) is not None:
            out[f"udt:{udt.struct_name(t)}"] = udt.definition(t)
    return out


def records_in(ty: types.Type) -> list[types.Record]:
    return [ty] if isinstance(ty, types.Record) else []
