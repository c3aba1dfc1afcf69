"""Re-measure Numbast on each kind of CUB entity (diagnostic; CPU only, no GPU needed).

    python scripts/numbast_gaps.py            # every case, then a table: case | verdict | why
    python scripts/numbast_gaps.py -v CASE    # one case, with the shim C++ Numbast wrote

Each case parses the CUB headers with ast_canopy, binds them with Numbast's own binder
(``bind_cxx_class_templates``, ``bind_cxx_function_templates``, ``bind_cxx_enums``,
``bind_cxx_structs``), compiles a kernel that uses the bindings for sm_90 (numba-cuda's
``compile_all``), compiles Numbast's shim C++ with NVRTC and links both with nvJitLink.
``works`` means a linked cubin holding the kernel; ``fails`` names the stage and the error.
Needs the ``numbast-gaps`` extra (``pip install -e .[numbast-gaps]``); docs/numbast-gaps.md
records the verdicts and tests/test_numbast_gaps.py checks they still hold.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HEADERS = ("cub/block/block_scan.cuh", "cub/block/block_load.cuh", "cub/block/block_store.cuh",
           "cub/thread/thread_load.cuh", "cub/thread/thread_store.cuh", "cub/util_type.cuh")


@dataclass
class Verdict:
    case: str
    kind: str
    works: bool
    why: str

    def row(self) -> str:
        return f"| {self.case} | {self.kind} | {'works' if self.works else 'fails'} | {self.why} |"


class Stage(Exception):
    """A failure at one stage (bind, typing, nvrtc, link)."""


@functools.lru_cache(maxsize=1)
def umbrella() -> str:
    """A header including every one of HEADERS, with `cub::` names visible unqualified."""
    path = Path(tempfile.mkdtemp()) / "numbast_gaps.cuh"
    path.write_text("".join(f"#include <{h}>\n" for h in HEADERS) + "using namespace cub;\n")
    return str(path)


@functools.lru_cache(maxsize=1)
def decls():
    import os

    from bindgen import canopy_reader, locate

    inc = locate.cccl_include_dir(None)
    cuda_dirs = locate.cuda_include_dirs()
    clang = locate.find_clang()
    # Numbast re-parses headers with ast_canopy while typing a class template specialization,
    # passing no clang or CUDA paths: give that parse the ones bindgen uses.
    os.environ.setdefault("ASTCANOPY_CLANG_RESOURCE_DIR", clang.resource_dir)
    os.environ.setdefault("CUDA_HOME", str(locate.clang_cuda_root(cuda_dirs[0])))
    return canopy_reader.parse(Path(umbrella()), [inc / h for h in HEADERS], inc, cuda_dirs, clang)


def writer():
    import numbast

    # The best start we can give Numbast: every header included, and `cub::` names visible
    # unqualified (its function-template shims call the bare name).
    return numbast.MemoryShimWriter(f'#include "{umbrella()}"\n')


@functools.lru_cache(maxsize=1)
def ptr():
    """``ptr(array)``: the array's data pointer (CPointer), which Numbast expects for ``T*`` and ``T (&)[N]``."""
    from numba.core import types
    from numba.core.extending import intrinsic

    @intrinsic
    def _ptr(typingctx, arr):
        def codegen(context, builder, sig, args):
            return context.make_array(sig.args[0])(context, builder, args[0]).data

        return types.CPointer(arr.dtype)(arr), codegen

    return _ptr


def first_line(exc: BaseException, limit: int = 220) -> str:
    text = " ".join(str(exc).split())
    for marker in ("No implementation of function", "Failed in cuda mode pipeline"):
        if text.startswith(marker) and "\n" in str(exc):
            text = " ".join(str(exc).split("\n", 1)[1].split())
    return f"{type(exc).__name__}: {text[:limit]}"


def build(kernel, argtypes, sw) -> bytes:
    """Kernel LTOIR + NVRTC(Numbast's shims) -> sm_90 cubin; raises Stage naming what failed."""
    from numba.cuda.compiler import compile_all

    from cub_bindings._runtime.nvrtc_service import compile_shims, link_cubin

    try:
        codes, _ = compile_all(kernel, tuple(argtypes), device=False, abi="numba", cc=(9, 0), output="ltoir")
    except Exception as exc:
        raise Stage(f"typing/lowering: {first_line(exc)}") from None
    kernel_ltoir = codes[0] if isinstance(codes[0], bytes) else bytes(codes[0].data)
    source = sw.preceding_text + "\n".join(sw.shim_funcs)
    try:
        shims = compile_shims(source)
    except Exception as exc:
        raise Stage(f"NVRTC on Numbast's shim: {first_line(exc)}") from None
    try:
        cubin = link_cubin([kernel_ltoir, shims.ltoir])
    except Exception as exc:
        raise Stage(f"link: {first_line(exc)}") from None
    if kernel.__name__.encode() not in cubin:
        raise Stage("link: the cubin holds no kernel")
    return cubin


CASES = {}


def case(kind: str):
    def register(fn):
        def run(verbose: bool = False) -> Verdict:
            sw = writer()
            try:
                why = fn(sw)
                verdict = Verdict(fn.__name__, kind, True, why)
            except Stage as exc:
                verdict = Verdict(fn.__name__, kind, False, str(exc))
            except Exception as exc:  # Numbast raised while binding
                verdict = Verdict(fn.__name__, kind, False, f"bind: {first_line(exc)}")
            if verbose:
                print(sw.preceding_text + "\n".join(sw.shim_funcs))
            return verdict

        run.__name__ = fn.__name__
        CASES[fn.__name__] = run
        return run

    return register


def class_template(name: str, sw, arg_intent=None):
    import numbast

    cts = [ct for ct in decls().class_templates if ct.record.name == name]
    if not cts:
        raise Stage(f"bind: ast_canopy recorded no class template cub::{name}")
    return numbast.bind_cxx_class_templates(cts, header_path=umbrella(), shim_writer=sw, arg_intent=arg_intent)[0]


def function_template(name: str, sw):
    import numbast

    fts = [ft for ft in decls().function_templates if ft.function.name == name]
    return numbast.bind_cxx_function_template(name=name, overloads=fts, shim_writer=sw)


# --- class templates -------------------------------------------------------------------


@case("class template, plain method")
def blockscan_scalar_inclusive_sum(sw):
    from numba import cuda, int32

    BlockScan = class_template("BlockScan", sw, {"BlockScan": {"InclusiveSum": {"output": "out_return"}}})

    def k_blockscan_scalar(a, b):
        scan = BlockScan(T=int32, BlockDimX=128)
        b[cuda.threadIdx.x] = scan.InclusiveSum(a[cuda.threadIdx.x])

    build(k_blockscan_scalar, (int32[::1], int32[::1]), sw)
    return "scalar `InclusiveSum(T, T&)` (out_return intent) links to an sm_90 cubin"


@case("class template, member template (array)")
def blockscan_array_exclusive_sum(sw):
    from numba import cuda, int32

    BlockScan = class_template("BlockScan", sw)
    p = ptr()

    def k_blockscan_array(a, b):
        items = cuda.local.array(4, int32)
        out = cuda.local.array(4, int32)
        for i in range(4):
            items[i] = a[cuda.threadIdx.x * 4 + i]
        BlockScan(T=int32, BlockDimX=128).ExclusiveSum(p(items), p(out))
        for i in range(4):
            b[cuda.threadIdx.x * 4 + i] = out[i]

    build(k_blockscan_array, (int32[::1], int32[::1]), sw)
    return "array `ExclusiveSum(T(&)[N], T(&)[N])` links"


@case("class template, TempStorage constructor")
def blockscan_temp_storage_ctor(sw):
    from numba import cuda, int32

    BlockScan = class_template("BlockScan", sw, {"BlockScan": {"InclusiveSum": {"output": "out_return"}}})

    def k_blockscan_temp(a, b):
        ts = cuda.shared.array(1, int32)
        scan = BlockScan(ts, T=int32, BlockDimX=128)
        b[cuda.threadIdx.x] = scan.InclusiveSum(a[cuda.threadIdx.x])

    build(k_blockscan_temp, (int32[::1], int32[::1]), sw)
    return "`BlockScan(TempStorage&)` typed and linked"


# --- free function templates --------------------------------------------------------------


@case("free function template")
def load_direct_blocked(sw):
    from numba import cuda, int32

    LoadDirectBlocked = function_template("LoadDirectBlocked", sw)
    p = ptr()

    def k_load_direct_blocked(a, b):
        items = cuda.local.array(4, int32)
        LoadDirectBlocked(cuda.threadIdx.x, p(a), p(items))
        b[cuda.threadIdx.x] = items[0]

    build(k_load_direct_blocked, (int32[::1], int32[::1]), sw)
    return "`LoadDirectBlocked(int, T*, T(&)[N])` links"


@case("free function template")
def store_direct_striped(sw):
    from numba import cuda, int32

    StoreDirectStriped = function_template("StoreDirectStriped", sw)
    p = ptr()

    def k_store_direct_striped(a, b):
        items = cuda.local.array(4, int32)
        for i in range(4):
            items[i] = a[i]
        StoreDirectStriped(cuda.threadIdx.x, p(b), p(items))

    build(k_store_direct_striped, (int32[::1], int32[::1]), sw)
    return "`StoreDirectStriped<128>(int, T*, T(&)[N])` links"


@case("free function template")
def load_direct_blocked_vectorized(sw):
    from numba import cuda, int32

    LoadDirectBlockedVectorized = function_template("LoadDirectBlockedVectorized", sw)
    p = ptr()

    def k_load_vectorized(a, b):
        items = cuda.local.array(4, int32)
        LoadDirectBlockedVectorized(cuda.threadIdx.x, p(a), p(items))
        b[cuda.threadIdx.x] = items[0]

    build(k_load_vectorized, (int32[::1], int32[::1]), sw)
    return "`LoadDirectBlockedVectorized(int, T*, T(&)[N])` links"


# --- cache-modified thread loads and stores ---------------------------------------------


@case("cache-modified load")
def thread_load(sw):
    from numba import cuda, int32

    ThreadLoad = function_template("ThreadLoad", sw)
    p = ptr()

    def k_thread_load(a, b):
        b[cuda.threadIdx.x] = ThreadLoad(p(a))

    build(k_thread_load, (int32[::1], int32[::1]), sw)
    return "`ThreadLoad<MODIFIER>(T*)` links"


@case("cache-modified store")
def thread_store(sw):
    from numba import cuda, int32

    ThreadStore = function_template("ThreadStore", sw)
    p = ptr()

    def k_thread_store(a, b):
        ThreadStore(p(b), a[cuda.threadIdx.x])

    build(k_thread_store, (int32[::1], int32[::1]), sw)
    return "`ThreadStore<MODIFIER>(T*, T)` links"


# --- enums and utility structs ---------------------------------------------------------


@case("enum")
def enums(sw):
    import numbast
    from numba import cuda, int32

    bound = {e.__name__: e for e in numbast.bind_cxx_enums(list(decls().enums)) if e is not None}
    missing = {"CacheLoadModifier", "CacheStoreModifier", "BlockScanAlgorithm"} - set(bound)
    if missing:
        raise Stage(f"bind: no enum for {sorted(missing)}")
    LOAD_CG = bound["CacheLoadModifier"].LOAD_CG

    def k_enum(a, b):
        b[cuda.threadIdx.x] = a[cuda.threadIdx.x] + LOAD_CG

    build(k_enum, (int32[::1], int32[::1]), sw)
    return f"{len(bound)} enums become IntEnums usable as constants (LOAD_CG = {int(LOAD_CG)})"


@case("enum as template argument")
def enum_template_argument(sw):
    import numbast
    from numba import cuda, int32

    bound = {e.__name__: e for e in numbast.bind_cxx_enums(list(decls().enums)) if e is not None}
    RAKING = bound["BlockScanAlgorithm"].BLOCK_SCAN_RAKING
    BlockScan = class_template("BlockScan", sw, {"BlockScan": {"InclusiveSum": {"output": "out_return"}}})

    def k_enum_targ(a, b):
        scan = BlockScan(T=int32, BlockDimX=128, Algorithm=RAKING)
        b[cuda.threadIdx.x] = scan.InclusiveSum(a[cuda.threadIdx.x])

    build(k_enum_targ, (int32[::1], int32[::1]), sw)
    return "`BlockScan<int, 128, BLOCK_SCAN_RAKING>` links"


@case("utility struct")
def null_type(sw):
    import numbast
    from numba import cuda, int32

    structs = [s for s in decls().structs if s.name == "NullType"]
    if not structs:
        raise Stage("bind: ast_canopy recorded no struct cub::NullType")
    NullType = numbast.bind_cxx_struct(sw, structs[0])

    def k_null_type(a, b):
        n = NullType()  # noqa: F841
        b[cuda.threadIdx.x] = a[cuda.threadIdx.x]

    build(k_null_type, (int32[::1], int32[::1]), sw)
    return "`cub::NullType()` constructs and links"


@case("utility class template")
def key_value_pair(sw):
    from numba import cuda, float32, int32

    KeyValuePair = class_template("KeyValuePair", sw)

    def k_key_value_pair(a, b):
        kv = KeyValuePair(a[0], float32(1.5), _Key=int32, _Value=float32)
        b[cuda.threadIdx.x] = kv.key

    build(k_key_value_pair, (int32[::1], int32[::1]), sw)
    return "`KeyValuePair<int, float>(k, v).key` links"


def run(names=None, verbose: bool = False) -> list[Verdict]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ast_canopy's clang lookups, numba-cuda's occlusion notes
        return [CASES[n](verbose) for n in (names or CASES)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", choices=[[], *CASES], metavar="CASE", help=", ".join(CASES))
    ap.add_argument("-v", "--verbose", action="store_true", help="print the shim C++ Numbast wrote")
    args = ap.parse_args(argv)
    try:
        import numbast
    except ImportError:
        print("error: numbast is not installed: `pip install -e .[numbast-gaps]`", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    verdicts = run(args.cases or None, args.verbose)
    print(f"Numbast {numbast.__version__}\n\n| case | CUB entity kind | verdict | why |\n| --- | --- | --- | --- |")
    for v in verdicts:
        print(v.row())
    print(f"\n{sum(v.works for v in verdicts)} of {len(verdicts)} work ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
