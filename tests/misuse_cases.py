"""The misuse catalogue: each case is a kernel (or host code) that is wrong, and the CoopError
it must raise. ``tests/test_coop_misuse.py`` runs every case; ``scripts/errors_doc.py``
renders them, with the messages they raise, into docs/errors.md (a test checks it is current).

A case's ``source`` is a small module: optional setup, then (kind "kernel") a function
``kernel`` compiled for sm_90 with argument types ``args`` in a block of ``block`` threads,
or (kind "host") statements run on the host, or (kind "cpu") a ``numba.njit`` function
``f`` called with ``args``. The line that must be named carries ``# <- error``. Every
snippet sees ``np``, ``numba``, ``cuda``, ``coop`` and ``operator``, and ``dev_add``,
``dev_less`` (device functions of two items); records: ``rec`` (an aligned record with
fields key: int32 and value: float32) and ``packed`` (int8 then int64, unaligned).

Almost every case fails while typing (no NVRTC, no ptxas): the whole catalogue runs in
seconds.
"""

from __future__ import annotations

import linecache
import operator
import re
import textwrap
from dataclasses import dataclass

import numba
import numpy as np
from numba import cuda, types

import coop

MARK = "# <- error"


@dataclass(frozen=True)
class Case:
    id: str
    primitive: str  # the name the message starts with ("coop.block.load")
    arg: str | None  # the argument it names (None: the call as a whole)
    message: str  # a fragment the message must contain
    source: str
    args: str = "i32, i32"
    block: int | None = 128
    kind: str = "kernel"  # "kernel" | "host" | "cpu"
    section: str = ""

    @property
    def code(self) -> str:
        return textwrap.dedent(self.source).strip("\n") + "\n"

    @property
    def filename(self) -> str:
        return f"<misuse {self.id}>"

    @property
    def line(self) -> int:
        hits = [i + 1 for i, ln in enumerate(self.code.splitlines()) if MARK in ln]
        assert len(hits) == 1, f"{self.id}: mark exactly one line with {MARK!r}"
        return hits[0]


# --------------------------------------------------------------------------- the environment of every snippet

REC = numba.from_dtype(np.dtype([("key", np.int32), ("value", np.float32)], align=True))
PACKED = numba.from_dtype(np.dtype([("a", np.int8), ("b", np.int64)], align=False))
ARG_TYPES = {
    "i32": types.int32[::1], "i64": types.int64[::1], "u8": types.uint8[::1], "i8": types.int8[::1],
    "f32": types.float32[::1], "f64": types.float64[::1], "b1": types.boolean[::1], "c64": types.complex64[::1],
    "i32_2d": types.int32[:, ::1], "rec": REC[::1], "packed": PACKED[::1], "int32": types.int32,
    "int64": types.int64, "float32": types.float32,
}


@cuda.jit(device=True)
def dev_add(a, b):
    return a + b


@cuda.jit(device=True)
def dev_less(a, b):
    return a < b


def environment() -> dict:
    return {"np": np, "numba": numba, "cuda": cuda, "coop": coop, "operator": operator, "types": types,
            "dev_add": dev_add, "dev_less": dev_less, "rec": REC, "packed": PACKED}


def argtypes(case: Case) -> tuple:
    return tuple(ARG_TYPES[a.strip()] for a in case.args.split(",") if a.strip())


def error_of(case: Case) -> str:
    """Run ``case`` and return the text of the CoopError it raises (AssertionError if none)."""
    from cub_bindings.inspect import build_kernel

    code = case.code
    linecache.cache[case.filename] = (len(code), None, code.splitlines(True), case.filename)
    ns = {"__name__": "misuse_" + re.sub(r"\W", "_", case.id), **environment()}
    try:
        exec(compile(code, case.filename, "exec"), ns)
        if case.kind == "kernel":
            shape = coop.launch_shape(block=case.block) if case.block else _nothing()
            with shape:
                build_kernel(ns["kernel"], argtypes(case), cc=(9, 0)).cubin
        elif case.kind == "cpu":
            ns["f"](*[np.zeros(4, np.int32) for _ in argtypes(case)])
    except coop.CoopError as exc:
        return str(exc)
    raise AssertionError(f"{case.id}: no CoopError")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def normalized(text: str) -> str:
    """A message as docs/errors.md shows it: no addresses or local paths."""
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = text.replace(root + os.sep, "")
    return re.sub(r"0x[0-9a-f]{6,}", "0x...", text)


# --------------------------------------------------------------------------- docs/errors.md

DOC = "docs/errors.md"
_TYPE_NAMES = {"i32": "int32[::1]", "i64": "int64[::1]", "u8": "uint8[::1]", "i8": "int8[::1]", "f32": "float32[::1]",
               "f64": "float64[::1]", "b1": "boolean[::1]", "c64": "complex64[::1]", "i32_2d": "int32[:, ::1]",
               "rec": "rec[::1]", "packed": "packed[::1]", "int32": "int32", "int64": "int64", "float32": "float32"}

_INTRO = """# Errors: the misuse catalogue

Generated from `tests/misuse_cases.py` by `.venv/bin/python scripts/errors_doc.py --write`; do not
edit by hand. Every case below is run by `tests/test_coop_misuse.py`, which checks that it raises
one `coop.CoopError` naming the primitive, the argument and the line marked `# <- error`, and
that the message shown here is the one it raises today.

Every message has the same shape: the primitive and the argument first
(``coop.block.load: argument `items_per_thread`: ...``), what is wrong, a `valid:` line saying
what would be accepted, and the kernel line in Numba's location format.
Limits a kernel could only hit in NVRTC, ptxas or nvJitLink are checked before compiling (the
message says so); a failure that still reaches the toolchain is reported the same way, at the
coop call that produced the C++ (see docs/coop.md, "Errors").

Each kernel is compiled for sm_90 (`cub_bindings.inspect.build_kernel` inside
`coop.launch_shape(block=...)`) with the argument types shown; `rec` is
`numpy.dtype([("key", np.int32), ("value", np.float32)], align=True)` and `packed` is
`numpy.dtype([("a", np.int8), ("b", np.int64)])` (not aligned). The snippets assume
`import operator, numba, numpy as np; from numba import cuda; import coop`, and two device
functions of two items, `dev_add` (a + b) and `dev_less` (a < b).
"""


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def signature_line(c: Case) -> str:
    head = f"`{c.primitive}`" + (f", argument `{c.arg}`" if c.arg else "")
    if c.kind == "host":
        return head + " · on the host"
    names = re.findall(r"def (?:kernel|f)\(([^)]*)\)", c.code)
    params = [p.strip() for p in names[0].split(",")] if names else []
    tys = [_TYPE_NAMES[a.strip()] for a in c.args.split(",") if a.strip()]
    sig = ", ".join(f"{p}: {t}" for p, t in zip(params, tys))
    if c.kind == "cpu":
        return head + f" · `numba.njit`, f({sig})"
    return head + f" · kernel({sig}), " + (f"block {c.block}" if c.block else "no block shape stated")


def render(messages: dict) -> str:
    """docs/errors.md for the cases, with ``messages`` (case id -> normalized message)."""
    sections = list(dict.fromkeys(c.section for c in CASES))
    out = [_INTRO, f"{len(CASES)} cases:\n"]
    for title in sections:
        n = sum(c.section == title for c in CASES)
        out.append(f"- [{title}](#{_anchor(title)}) ({n})")
    for title in sections:
        out.append(f"\n## {title}\n")
        for c in (c for c in CASES if c.section == title):
            out += [f"### {c.id}\n", signature_line(c) + "\n", "```python", c.code.rstrip("\n"), "```\n",
                    "```text", messages[c.id].rstrip("\n"), "```\n"]
    return "\n".join(out).rstrip("\n") + "\n"


_ENTRY = re.compile(r"^### (\S+)\n.*?^```text\n(.*?)\n```$", re.S | re.M)


def documented(text: str) -> dict:
    """case id -> message, as docs/errors.md shows them."""
    return {m.group(1): m.group(2) for m in _ENTRY.finditer(text)}


# --------------------------------------------------------------------------- the cases

CASES: list[Case] = []
_SECTION = [""]


def section(title: str):
    _SECTION[0] = title


def case(id, primitive, arg, message, source, **kw):
    assert all(c.id != id for c in CASES), f"duplicate case id {id}"
    CASES.append(Case(id, primitive, arg, message, source, section=_SECTION[0], **kw))


section("Arrays and shared memory")

case("local-array-shape-expression", "coop.local.array", "shape", "must be known at compile time", """
    def kernel(d_in, d_out, n):
        items = coop.local.array(n * 2, d_in.dtype)  # <- error
        coop.block.load(d_in, items)
    """, args="i32, i32, int32")

case("local-array-kernel-argument-no-launch", "coop.local.array", "shape",
     "is kernel argument `items_per_thread` (int32): its value is known only when the kernel is launched", """
    def kernel(d_in, d_out, items_per_thread):
        items = coop.local.array(items_per_thread, d_in.dtype)  # <- error
        offset = cuda.blockIdx.x * cuda.blockDim.x * items_per_thread
        coop.block.load(d_in[offset:], items)
        coop.block.exclusive_sum(items, items)
        coop.block.store(d_out[offset:], items)
    """, args="i32, i32, int32")

case("local-array-dtype", "coop.local.array", "dtype", "must be a NumPy/Numba scalar or record type", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in)  # <- error
    """)

case("local-array-alignment", "coop.local.array", "alignment", "must be a power-of-two integer constant", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype, alignment=12)  # <- error
    """)

case("local-array-unknown-keyword", "coop.local.array", "size", "unknown keyword", """
    def kernel(d_in, d_out):
        items = coop.local.array(size=4, dtype=d_in.dtype)  # <- error
    """)

case("shared-array-over-48k", "coop.shared.array", "shape", "over the 49152 bytes (48 KB) limit", """
    def kernel(d_in, d_out):
        big = coop.shared.array(33000, np.float32)  # <- error
        big[cuda.threadIdx.x] = 1
    """)

case("shared-arrays-add-up-over-48k", "coop.shared.array", "shape", "brings this function's coop shared memory to", """
    def kernel(d_in, d_out):
        a = coop.shared.array(8000, np.float32)
        b = coop.shared.array(8000, np.float32)  # <- error
        a[0] = b[0]
    """)

case("shared-array-shape-of-computed", "coop.shared.array", "shape", "only d_out.shape[0] itself is known", """
    def kernel(d_in, d_out):
        hist = coop.shared.array(d_out.shape[0] + 1, d_out.dtype)  # <- error
    """)

case("temp-storage-size-expression", "coop.TempStorage", "size_in_bytes", "must be known at compile time", """
    def kernel(d_in, d_out, n):
        temp = coop.TempStorage(n * 4)  # <- error
        d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x], temp_storage=temp)
    """, args="i32, i32, int32")

case("temp-storage-over-opt-in", "coop.TempStorage", "size_in_bytes", "of shared memory any GPU lets one block use", """
    def kernel(d_in, d_out):
        temp = coop.TempStorage(300000)  # <- error
        d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x], temp_storage=temp)
    """)

case("temp-storage-exclusive-auto-sync", "coop.TempStorage", "auto_sync", "cannot be True with sharing=\"exclusive\"", """
    def kernel(d_in, d_out):
        temp = coop.TempStorage(sharing="exclusive", auto_sync=True)  # <- error
    """)

case("temp-storage-sharing", "coop.TempStorage", "sharing", "must be \"shared\" or \"exclusive\"", """
    def kernel(d_in, d_out):
        temp = coop.TempStorage(1024, sharing="private")  # <- error
    """)

case("temp-storage-too-small", "coop.block.reduce", "temp_storage", "bytes is too small", """
    def kernel(d_in, d_out):
        temp = coop.TempStorage(16)
        d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], "max", temp_storage=temp)  # <- error
    """)

case("temp-storage-not-temp-storage", "coop.block.sum", "temp_storage", "must be a coop.TempStorage()", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x], temp_storage=d_out)  # <- error
    """)

case("subscript-not-temp-storage", "coop.block.load", "temp_storage", "the subscript must be a coop.TempStorage()", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load[d_out](d_in, items)  # <- error
    """)

case("subscript-and-keyword", "coop.block.load", "temp_storage", "is given twice", """
    def kernel(d_in, d_out):
        temp = coop.TempStorage()
        items = coop.local.array(4, d_in.dtype)
        coop.block.load[temp](d_in, items, temp_storage=temp)  # <- error
    """)

case("coop-in-numba-njit", "coop.local.array", None, "coop runs only inside CUDA kernels", """
    @numba.njit
    def f(x):
        items = coop.local.array(4, np.int32)  # <- error
        return items
    """, args="i32", kind="cpu")

section("Operators")

case("operator-bitwise-on-floats", "coop.block.inclusive_scan", "scan_op", "is a bitwise operator", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items)
        coop.block.inclusive_scan(items, items, "&")  # <- error
    """, args="f32, f32")

case("operator-bitwise-on-floats-two-phase", "coop.block.scan (two-phase constructor)", "scan_op",
     "is a bitwise operator", """
    scan = coop.block.scan(np.float32, 128, 4, scan_op="^")  # <- error
    """, kind="host")

case("operator-unknown-name", "coop.block.exclusive_scan", "scan_op", "is not an operator here", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exclusive_scan(items, items, "pow")  # <- error
    """)

case("operator-comparison-as-scan", "coop.block.inclusive_scan", "scan_op", "is not an operator here", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.inclusive_scan(items, items, operator.lt)  # <- error
    """)

case("operator-unknown-name-two-phase", "coop.block.reduce (two-phase constructor)", "binary_op", "unknown operator",
     """
    reduce = coop.block.reduce(np.int32, 128, "avg")  # <- error
    """, kind="host")

case("operator-named-on-records", "coop.block.inclusive_scan", "scan_op", "is a C++ operator, which", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items)
        coop.block.inclusive_scan(items, items, "max")  # <- error
    """, args="rec, rec")

case("operator-stateful-as-operator", "coop.block.inclusive_scan", "scan_op", "a StatefulOp is a prefix callback", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        state = coop.local.array(1, d_in.dtype)
        coop.block.inclusive_scan(items, items, coop.StatefulOp(dev_add, state))  # <- error
    """)

case("stateful-op-scalar-state", "coop.StatefulOp", "state", "must be an array", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        op = coop.StatefulOp(dev_add, 0)  # <- error
        coop.block.exclusive_scan(items, items, "+", block_prefix_callback_op=op)
    """)

case("stateful-op-not-a-function", "coop.StatefulOp", "fn", "must be a function", """
    def kernel(d_in, d_out):
        state = coop.local.array(1, d_in.dtype)
        op = coop.StatefulOp(5, state)  # <- error
    """)

case("prefix-callback-not-stateful", "coop.block.exclusive_scan", "block_prefix_callback_op", "must be stateful", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exclusive_scan(items, items, "+", block_prefix_callback_op=dev_add)  # <- error
    """)

case("compare-op-not-an-order", "coop.block.merge_sort_keys", "compare_op", "is not an operator here", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys, compare_op="+")  # <- error
    """)

case("compare-op-not-strict", "coop.block.merge_sort_keys", "compare_op", "is not an operator here", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys, compare_op="<=")  # <- error
    """)

case("compare-op-returns-a-number", "coop.block.merge_sort_keys", "compare_op", "not bool", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys, compare_op=dev_add)  # <- error
    """)

case("compare-op-lambda-wrong-arity", "coop.block.merge_sort_keys", "compare_op", "cannot be called with two", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys, compare_op=lambda a: a < 0)  # <- error
    """)

case("operator-lambda-wrong-arity", "coop.block.inclusive_scan", "scan_op", "it takes (a), not 2 arguments", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.inclusive_scan(items, items, lambda a: a)  # <- error
    """)

case("operator-returns-a-tuple", "coop.block.reduce", "binary_op", "returns UniTuple(int32 x 2), not int32", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], lambda a, b: (a, b))  # <- error
    """)

case("operator-def-that-does-not-type", "coop.warp.reduce", "binary_op", "Unknown attribute 'real_part' of type int32", """
    def combine(a, b):
        return a.real_part + b

    def kernel(d_in, d_out):
        d_out[0] = coop.warp.reduce(d_in[cuda.threadIdx.x], combine)  # <- error
    """)

case("prefix-callback-wrong-arity", "coop.block.exclusive_scan", "block_prefix_callback_op", "it takes (aggregate), not 2",
     """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        state = coop.local.array(1, d_in.dtype)
        op = coop.StatefulOp(lambda aggregate: aggregate, state)
        coop.block.exclusive_scan(items, items, "+", block_prefix_callback_op=op)  # <- error
    """)

case("flag-op-arithmetic", "coop.block.discontinuity", "flag_op", "is not an operator here", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        flags = coop.local.array(4, np.int32)
        coop.block.discontinuity(items, flags, flag_op="*")  # <- error
    """)

case("difference-op-comparison", "coop.block.adjacent_difference", "difference_op", "is not an operator here", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.adjacent_difference(items, items, difference_op="<")  # <- error
    """)

case("difference-op-xor-on-floats", "coop.block.adjacent_difference", "difference_op", "is a bitwise operator", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.adjacent_difference(items, items, difference_op="^")  # <- error
    """, args="f32, f32")

section("Loads and stores, block shapes, two-phase objects")

case("load-warp-transpose-partial-warp", "coop.block.load", "algorithm", "a multiple of 32 threads", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, algorithm="warp_transpose")  # <- error
    """, block=100)

case("store-warp-transpose-timesliced-partial-warp", "coop.block.store", "algorithm", "a multiple of 32 threads", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.store(d_out, items, algorithm="warp_transpose_timesliced")  # <- error
    """, block=48)

case("load-transpose-tile-over-shared-memory", "coop.block.load", "items_per_thread",
     "keeps a whole tile in shared memory", """
    def kernel(d_in, d_out):
        items = coop.local.array(64, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=64, algorithm="transpose")  # <- error
    """, args="i64, i64", block=512)

case("load-items-over-budget", "coop.block.load", "items_per_thread", "over the 4096-byte budget", """
    def kernel(d_in, d_out):
        items = coop.local.array(4096, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=4096)  # <- error
    """, args="i64, i64")

case("load-items-over-budget-inferred", "coop.block.load", "dst", "over the 4096-byte budget", """
    def kernel(d_in, d_out):
        items = coop.local.array(1024, d_in.dtype)
        coop.block.load(d_in, items)  # <- error
    """, args="i64, i64")

case("load-oob-default-without-valid-items", "coop.block.load", "oob_default", "is only used with valid_items", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, oob_default=0)  # <- error
    """)

case("load-oob-default-out-of-range", "coop.block.load", "oob_default", "300 does not fit uint8 (range 0..255)", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, num_valid_items=10, oob_default=300)  # <- error
    """, args="u8, u8")

case("load-negative-valid-items", "coop.block.load", "valid_items", "must be at least 0, got -1", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, num_valid_items=-1)  # <- error
    """)

case("load-valid-items-float", "coop.block.load", "valid_items", "must be an integer", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, valid_items=2.5)  # <- error
    """)

case("load-negative-offset", "coop.block.load", "offset", "must not be negative, got -4", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, offset=-4)  # <- error
    """)

case("store-offset-float", "coop.block.store", "offset", "must be an integer, got float64", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.store(d_out, items, offset=cuda.blockIdx.x * 2.0)  # <- error
    """)

case("warp-load-offset-bool", "coop.warp.load", "offset", "must be an integer, got bool", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.warp.load(d_in, items, offset=True)  # <- error
    """)

case("load-source-scalar", "coop.block.load", "src", "must be an array", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in[0], items)  # <- error
    """)

case("load-source-2d", "coop.block.load", "src", "must be 1-D, got 2-D", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, np.int32)
        coop.block.load(d_in, items)  # <- error
    """, args="i32_2d, i32")

case("load-destination-shared", "coop.block.load", "dst", "is a coop.shared.array", """
    def kernel(d_in, d_out):
        items = coop.shared.array(4, d_in.dtype)
        coop.block.load(d_in, items)  # <- error
    """)

case("load-dtype-mismatch", "coop.block.load", "src", "mismatched dtypes: an array of int32, but the items are float32", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, np.float32)
        coop.block.load(d_in, items)  # <- error
    """)

case("load-items-per-thread-disagrees", "coop.block.load", "items_per_thread", "but `dst` holds 4 items", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=8)  # <- error
    """)

case("load-items-per-thread-zero", "coop.block.load", "items_per_thread", "must be a positive integer, got 0", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=0)  # <- error
    """)

case("load-items-per-thread-kernel-argument-no-launch", "coop.block.load", "items_per_thread",
     "is kernel argument `ipt` (int64)", """
    def kernel(d_in, d_out, ipt):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=ipt)  # <- error
    """, args="i32, i32, int64")

case("load-items-per-thread-computed", "coop.block.load", "items_per_thread", "a value computed in the kernel", """
    def kernel(d_in, d_out, ipt):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, items_per_thread=ipt + 0)  # <- error
    """, args="i32, i32, int64")

case("load-unknown-keyword", "coop.block.load", "items", "unknown keyword", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items=items)  # <- error
    """)

case("load-unknown-algorithm", "coop.block.load", "algorithm", "is not a BlockLoadAlgorithm", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, algorithm="fast")  # <- error
    """)

case("load-too-many-positional", "coop.block.load", None, "positional arguments", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, 4, "direct", 10, 0, None, 128, 1)  # <- error
    """)

case("load-no-block-shape", "coop.block.load", "threads_per_block", "the block shape is not known", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items)  # <- error
    """, block=None)

case("block-dim-no-block-shape", "coop.block_dim", None, "the block shape is not known", """
    def kernel(d_in, d_out):
        tile = coop.block_dim().x * 4  # <- error
        d_out[0] = tile
    """, block=None)

case("block-dim-arguments", "coop.block_dim", None, "takes no arguments, got 1", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block_dim(0).x  # <- error
    """)

case("load-block-shape-mismatch", "coop.block.sum", "threads_per_block", "states a block shape of 256", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x], threads_per_block=256)  # <- error
    """)

case("load-block-shape-over-cuda-limit", "coop.block.load", "threads_per_block", "over CUDA's limit of 1024", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items, threads_per_block=2048)  # <- error
    """, block=None)

case("load-packed-record", "coop.block.load", "dst", "not a multiple of its alignment (8)", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items)  # <- error
    """, args="packed, packed")

case("load-two-phase-fixed-keyword", "coop.block.load", "items_per_thread", "is fixed by the two-phase constructor", """
    load = coop.block.load(np.int32, 128, 4)

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        load(d_in, items, items_per_thread=4)  # <- error
    """)

case("load-two-phase-block-mismatch", "coop.block.scan", "threads_per_block", "the two-phase object fixes a block shape", """
    scan = coop.block.scan(np.int32, 256, 1)

    def kernel(d_in, d_out):
        d_out[0] = scan(d_in[cuda.threadIdx.x])  # <- error
    """)

case("two-phase-called-on-the-host", "coop.block.load (two-phase constructor)", None,
     "is called inside a kernel", """
    load = coop.block.load(np.int32, 128, 4)
    load(np.zeros(512, np.int32), np.zeros(4, np.int32))  # <- error
    """, kind="host")

case("two-phase-missing-dtype", "coop.block.load (two-phase constructor)", "dtype", "missing argument 'dtype'", """
    load = coop.block.load(threads_per_block=128)  # <- error
    """, kind="host")

case("two-phase-bad-dtype", "coop.block.load (two-phase constructor)", "dtype", "complex64 is not supported", """
    load = coop.block.load(np.complex64, 128, 4)  # <- error
    """, kind="host")

case("two-phase-kernel-only-keyword", "coop.block.load (two-phase constructor)", "valid_items",
     "cannot be fixed on the host", """
    load = coop.block.load(np.int32, 128, 4, valid_items=10)  # <- error
    """, kind="host")

case("two-phase-block-shape-float", "coop.block.load (two-phase constructor)", "threads_per_block",
     "block dimensions are ints", """
    load = coop.block.load(np.int32, 128.0, 4)  # <- error
    """, kind="host")

case("two-phase-items-over-budget", "coop.block.load (two-phase constructor)", "items_per_thread",
     "over the 4096-byte budget", """
    load = coop.block.load(np.int64, 128, 1024)  # <- error
    """, kind="host")

case("two-phase-transpose-tile-over-shared-memory", "coop.block.store (two-phase constructor)", "items_per_thread",
     "keeps a whole tile in shared memory", """
    store = coop.block.store(np.float64, 1024, 32, "warp_transpose")  # <- error
    """, kind="host")

case("store-destination-scalar", "coop.block.store", "dst", "must be an array", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.store(5, items)  # <- error
    """)

case("store-source-length-unknown", "coop.block.store", "src", "cannot be inferred from an array of unknown length", """
    def kernel(d_in, d_out):
        coop.block.store(d_out, d_in)  # <- error
    """)

section("Exchanges")

case("exchange-tile-over-shared-memory", "coop.block.exchange", "items_per_thread", "keeps a whole tile in shared memory", """
    def kernel(d_in, d_out):
        items = coop.local.array(128, d_in.dtype)
        coop.block.exchange(items, items_per_thread=128, threads_per_block=256)  # <- error
    """, args="i64, i64", block=256)

case("exchange-ranks-float", "coop.block.exchange", "ranks", "must be a 1-D integer array", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        ranks = coop.local.array(4, np.float32)
        coop.block.exchange(items, items, "ScatterToBlocked", ranks=ranks)  # <- error
    """)

case("exchange-unknown-type", "coop.block.exchange", "block_exchange_type", "is not a BlockExchangeType", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exchange(items, items, "BlockedToDiagonal")  # <- error
    """)

case("warp-exchange-shuffle-items", "coop.warp.exchange", "algorithm", "SHUFFLE needs items_per_thread == threads_in_warp", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.warp.exchange(items, items, algorithm="shuffle")  # <- error
    """)

section("Scans and reductions")

case("scan-initial-value-float-for-ints", "coop.block.exclusive_scan", "initial_value", "would be truncated", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exclusive_scan(items, items, "+", initial_value=1.5)  # <- error
    """)

case("scan-initial-value-out-of-range", "coop.block.exclusive_scan", "initial_value", "1000 does not fit int8", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exclusive_scan(items, items, "+", initial_value=1000)  # <- error
    """, args="i8, i8")

case("scan-shared-items", "coop.block.exclusive_sum", "src", "is a coop.shared.array", """
    def kernel(d_in, d_out):
        items = coop.shared.array(4, d_in.dtype)
        coop.block.exclusive_sum(items, items)  # <- error
    """)

case("scan-missing-operator", "coop.block.inclusive_scan", "scan_op", "is required", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.inclusive_scan(items, items)  # <- error
    """)

case("scan-unknown-mode", "coop.block.scan", "mode", "is not a valid choice", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.scan(items, items, mode="forward")  # <- error
    """)

case("scan-output-length-differs", "coop.block.inclusive_sum", "src", "items per thread disagree", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        out = coop.local.array(8, d_in.dtype)
        coop.block.inclusive_sum(items, out)  # <- error
    """)

case("scan-scalar-with-items-per-thread", "coop.block.exclusive_sum", "items_per_thread",
     "but the input is a single scalar", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.exclusive_sum(d_in[cuda.threadIdx.x], items_per_thread=4)  # <- error
    """)

case("scan-positional-value-of-wrong-kind", "coop.block.exclusive_sum", "block_prefix_callback_op", "must be stateful",
     """
    scan = coop.block.exclusive_sum(np.int32, 128, 4)

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        scan(items, items, 7, "raking")  # <- error
    """)

case("scan-initial-value-two-phase", "coop.block.scan (two-phase constructor)", "initial_value", "would be truncated",
     """
    scan = coop.block.scan(np.int32, 128, 4, initial_value=1.5)  # <- error
    """, kind="host")

case("exclusive-sum-of-records", "coop.block.exclusive_sum", "src", "CUB adds with +, which", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.load(d_in, items)
        coop.block.exclusive_sum(items, items)  # <- error
    """, args="rec, rec")

case("sum-of-bools", "coop.block.sum", "src", "summing bool items gives a bool", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x] > 0)  # <- error
    """)

case("reduce-missing-operator", "coop.block.reduce", "binary_op", "is required", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x])  # <- error
    """)

case("reduce-device-array", "coop.block.reduce", "src", "cannot be inferred from an array of unknown length", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.reduce(d_in, "max")  # <- error
    """)

case("reduce-complex-items", "coop.block.reduce", "src", "not supported", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], "+")  # <- error
    """, args="c64, c64")

case("reduce-unknown-algorithm", "coop.block.reduce", "algorithm", "is not a BlockReduceAlgorithm", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], "+", algorithm="tree")  # <- error
    """)

case("reduce-string-item", "coop.block.sum", "src", "must be an array or a scalar", """
    def kernel(d_in, d_out):
        d_out[0] = coop.block.sum("7")  # <- error
    """)

section("Warp primitives")

case("warp-valid-items-over-the-warp", "coop.warp.sum", "valid_items", "20 is more than the 16 threads", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=16, valid_items=20)  # <- error
    """)

case("warp-threads-not-a-warp-size", "coop.warp.sum", "threads_in_warp", "48 threads is not a logical warp size", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=48)  # <- error
    """)

case("warp-threads-kernel-argument-no-launch", "coop.warp.sum", "threads_in_warp", "is kernel argument `w` (int32)", """
    def kernel(d_in, d_out, w):
        d_out[0] = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=w)  # <- error
    """, args="i32, i32, int32")

case("warp-threads-computed", "coop.warp.sum", "threads_in_warp", "a value computed in the kernel", """
    def kernel(d_in, d_out, w):
        d_out[0] = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=w * 2)  # <- error
    """, args="i32, i32, int32")

case("warp-threads-two-phase", "coop.warp.sum (two-phase constructor)", "threads_in_warp", "is not a logical warp size",
     """
    total = coop.warp.sum(np.int32, threads_in_warp=48)  # <- error
    """, kind="host")

case("warp-reduce-missing-operator", "coop.warp.reduce", "binary_op", "is required", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.reduce(d_in[cuda.threadIdx.x])  # <- error
    """)

case("warp-load-items-over-budget", "coop.warp.load", "dst", "over the 4096-byte budget", """
    def kernel(d_in, d_out):
        items = coop.local.array(2048, d_in.dtype)
        coop.warp.load(d_in, items)  # <- error
    """, args="f64, f64")

case("warp-scan-bitwise-on-floats", "coop.warp.inclusive_scan", "scan_op", "is a bitwise operator", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.inclusive_scan(d_in[cuda.threadIdx.x], "|")  # <- error
    """, args="f64, f64")

case("warp-broadcast-missing-lane", "coop.warp.broadcast", "src_lane", "is required", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.broadcast(d_in[cuda.threadIdx.x])  # <- error
    """)

case("warp-segmented-reduce-missing-flag", "coop.warp.head_segmented_sum", "head_flag", "is required", """
    def kernel(d_in, d_out):
        d_out[0] = coop.warp.head_segmented_sum(d_in[cuda.threadIdx.x])  # <- error
    """)

section("Sorts")

case("merge-sort-block-not-power-of-two", "coop.block.merge_sort_keys", "threads_per_block", "power-of-two", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys)  # <- error
    """, block=96)

case("merge-sort-records-without-order", "coop.block.merge_sort_keys", "compare_op", "keys have no built-in order", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.merge_sort_keys(keys)  # <- error
    """, args="rec, rec")

case("merge-sort-tile-over-shared-memory", "coop.block.merge_sort_keys", "items_per_thread",
     "keeps a whole tile in shared memory", """
    def kernel(d_in, d_out):
        keys = coop.local.array(128, d_in.dtype)
        coop.block.merge_sort_keys(keys, items_per_thread=128)  # <- error
    """, args="f64, f64", block=256)

case("merge-sort-pairs-values-length", "coop.block.merge_sort_pairs", "keys", "items per thread disagree", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        values = coop.local.array(8, d_in.dtype)
        coop.block.merge_sort_pairs(keys, values)  # <- error
    """)

case("radix-sort-records-without-decomposer", "coop.block.radix_sort_keys", "keys", "through a decomposer", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.radix_sort_keys(keys)  # <- error
    """, args="rec, rec")

case("radix-sort-end-bit-past-the-key", "coop.block.radix_sort_keys", "end_bit", "end_bit", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.radix_sort_keys(keys, end_bit=64)  # <- error
    """)

case("radix-sort-complex-keys", "coop.block.radix_sort_keys", "keys", "items of type complex64 are not supported", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.block.radix_sort_keys(keys)  # <- error
    """, args="c64, c64")

case("radix-sort-tile-over-shared-memory", "coop.block.radix_sort_keys", "items_per_thread",
     "keeps a whole tile in shared memory", """
    def kernel(d_in, d_out):
        keys = coop.local.array(64, d_in.dtype)
        coop.block.radix_sort_keys(keys, items_per_thread=64)  # <- error
    """, args="i64, i64", block=512)

case("warp-merge-sort-compare-arity", "coop.warp.merge_sort_keys", "compare_op", "cannot be called with two", """
    def kernel(d_in, d_out):
        keys = coop.local.array(4, d_in.dtype)
        coop.warp.merge_sort_keys(keys, compare_op=lambda a, b, c: a < b)  # <- error
    """)

section("Histogram and neighbours")

case("histogram-bool-counters", "coop.block.histogram", "histogram", "counters must be numbers", """
    def kernel(d_in, d_out):
        samples = coop.local.array(4, np.uint8)
        counts = coop.shared.array(256, np.bool_)
        histo = coop.block.histogram(samples, counts)  # <- error
    """)

case("discontinuity-float-flags", "coop.block.discontinuity", "head_flags", "must be a 1-D bool or integer array", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        flags = coop.local.array(4, np.float32)
        coop.block.discontinuity(items, flags)  # <- error
    """)

case("adjacent-difference-records", "coop.block.adjacent_difference", "difference_op", "is a C++ operator, which", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.adjacent_difference(items, items)  # <- error
    """, args="rec, rec")

case("shuffle-unknown-type", "coop.block.shuffle", "block_shuffle_type", "is not a BlockShuffleType", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.shuffle(items, items, block_shuffle_type="Sideways")  # <- error
    """)

section("Prefix callbacks in the earlier API's forms")

# the callback classes and their extension types: tests/test_coop_callbacks_gpu.py
_CALLBACKS = "    from test_coop_callbacks_gpu import PrefixState, prefix_state_type, max_prefix_type, orphan_type\n"

case("prefix-op-array-of-numbers", "coop.block.exclusive_sum", "block_prefix_callback_op", "is not a callback", """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        total = coop.local.array(1, d_in.dtype)
        coop.block.exclusive_sum(items, items, prefix_op=total)  # <- error
    """)

case("prefix-op-unregistered-type", "coop.block.exclusive_sum", "block_prefix_callback_op",
     "no class with __call__(self_ptr, block_aggregate) is registered", _CALLBACKS + """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        p = coop.local.array(1, orphan_type)
        coop.block.exclusive_sum(items, items, prefix_op=p)  # <- error
    """)

case("prefix-op-call-signature", "coop.block.exclusive_sum", "block_prefix_callback_op",
     "Tally.__call__ cannot be called with (self_ptr, int32 block_aggregate)", """
    from numba.cuda.typing.typeof import typeof_impl
    from numba.cuda import types

    class Tally:
        def __call__(self_ptr, block_aggregate, extra):
            return block_aggregate

    class TallyType(types.Type):
        def __init__(self):
            super().__init__(name="Tally")

    tally_type = TallyType()
    typeof_impl.register(Tally)(lambda val, c: tally_type)

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        p = coop.local.array(1, tally_type)
        coop.block.exclusive_sum(items, items, prefix_op=p)  # <- error
    """)

case("prefix-op-state-array-2d", "coop.block.inclusive_sum", "block_prefix_callback_op", "must be 1-D", _CALLBACKS + """
    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        p = cuda.local.array((1, 1), prefix_state_type)
        coop.block.inclusive_sum(items, items, prefix_op=p)  # <- error
    """)

case("stateful-function-wrong-state-type", "coop.block.scan", "block_prefix_callback_op",
     "but the two-phase object's StatefulFunction keeps its state as PrefixState", _CALLBACKS + """
    scan = coop.block.scan(np.int32, 128, 4, prefix_op=coop.StatefulFunction(PrefixState, prefix_state_type))

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        m = coop.local.array(1, max_prefix_type)
        scan(items, items, prefix_op=m)  # <- error
    """)

case("stateful-function-state-missing", "coop.block.exclusive_sum", "block_prefix_callback_op",
     "so its kernel call needs the callback's state", _CALLBACKS + """
    scan = coop.block.exclusive_sum(np.int32, 128, 4, prefix_op=coop.StatefulFunction(PrefixState, prefix_state_type))

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        scan(items, items)  # <- error
    """)

case("stateful-function-given-a-stateful-op", "coop.block.exclusive_sum", "block_prefix_callback_op",
     "its kernel call takes the state array", _CALLBACKS + """
    scan = coop.block.exclusive_sum(np.int32, 128, 4, prefix_op=coop.StatefulFunction(PrefixState, prefix_state_type))

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        total = coop.local.array(1, d_in.dtype)
        scan(items, items, prefix_op=coop.StatefulOp(dev_add, total))  # <- error
    """)

case("stateful-function-in-a-kernel-call", "coop.block.exclusive_sum", "block_prefix_callback_op",
     "is given to the two-phase constructor; a kernel call passes the state array", _CALLBACKS + """
    prefix = coop.StatefulFunction(PrefixState, prefix_state_type)

    def kernel(d_in, d_out):
        items = coop.local.array(4, d_in.dtype)
        coop.block.exclusive_sum(items, items, prefix_op=prefix)  # <- error
    """)

case("stateful-function-on-the-host-takes-a-class", "coop.block.exclusive_sum (two-phase constructor)",
     "block_prefix_callback_op", "on the host this takes coop.StatefulFunction(cls, state_type)", """
    scan = coop.block.exclusive_sum(np.int32, 128, 4, prefix_op=dev_add)  # <- error
    """, kind="host")

case("stateful-function-no-call-method", "coop.StatefulFunction", "cls", "defines no __call__ method", _CALLBACKS + """
    class Running:
        pass

    op = coop.StatefulFunction(Running, prefix_state_type)  # <- error
    """, kind="host")

case("stateful-function-call-arity", "coop.StatefulFunction", "cls", "cannot be called as (self_ptr, block_aggregate)",
     _CALLBACKS + """
    class Running:
        def __call__(self_ptr):
            return 0

    op = coop.StatefulFunction(Running, prefix_state_type)  # <- error
    """, kind="host")

case("stateful-function-state-type-class", "coop.StatefulFunction", "state_type", "not a Numba type instance",
     _CALLBACKS + """
    op = coop.StatefulFunction(PrefixState, type(prefix_state_type))  # <- error
    """, kind="host")

section("CUDA vector types")

case("vector-items-sum", "coop.block.inclusive_sum", "src", "CUB adds with +, which float32x2 does not have", """
    from numba.cuda.vector_types import vector_types
    float32x2 = vector_types["float32x2"]

    def kernel(d_in, d_out):
        items = coop.local.array(4, float32x2)
        coop.block.inclusive_sum(items, items)  # <- error
    """)

case("vector-items-named-operator", "coop.block.reduce", "binary_op", "is a C++ operator, which int32x4 items", """
    from numba.cuda.vector_types import vector_types
    int32x4 = vector_types["int32x4"]

    def kernel(d_in, d_out):
        items = coop.local.array(4, int32x4)
        d_out[0] = coop.block.reduce(items, "max").x  # <- error
    """)

section("Radix rank counts callbacks")

case("counts-callback-basic-ranker", "coop.block.radix_rank", "counts_callback", "has no counts callback", """
    def counts(bins):
        pass

    def kernel(d_in, d_out):
        keys = coop.local.array(4, np.uint32)
        ranks = coop.local.array(4, np.int32)
        coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, counts_callback=counts)  # <- error
    """)

case("counts-callback-match-descending", "coop.block.radix_rank", "counts_callback", "wrong counts", """
    def counts(bins):
        pass

    def kernel(d_in, d_out):
        keys = coop.local.array(4, np.uint32)
        ranks = coop.local.array(4, np.int32)
        coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, descending=True, algorithm="match",  # <- error
                              counts_callback=counts)
    """)

case("counts-callback-arity", "coop.block.radix_rank", "counts_callback", "cannot be called as fn(bins)", """
    def counts(bins, extra):
        pass

    def kernel(d_in, d_out):
        keys = coop.local.array(4, np.uint32)
        ranks = coop.local.array(4, np.int32)
        coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="match", counts_callback=counts)  # <- error
    """)

case("counts-callback-writes-bins", "coop.block.radix_rank", "counts_callback", "read-only", """
    def counts(bins):
        bins[0] = 0

    def kernel(d_in, d_out):
        keys = coop.local.array(4, np.uint32)
        ranks = coop.local.array(4, np.int32)
        coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="match", counts_callback=counts)  # <- error
    """)

case("counts-callback-named-operator", "coop.block.radix_rank (two-phase constructor)", "counts_callback", "must be a function", """
    rank = coop.block.radix_rank(np.uint32, 128, 4, 0, 4, algorithm="match", counts_callback="+")  # <- error
    """, kind="host")
