"""CPU tier for cub_bindings: every bound overload compiles and links (sm_90, no GPU)."""

import re
import subprocess
import sys

import numba
import numpy as np
import pytest
from numba import cuda, types

import cub_bindings as cb
from cub_bindings.inspect import build_kernel
from overload_kernels import CONFIGS, iterator_dtype, make_kernel


def _arr(dtype):
    return types.Array(numba.from_dtype(np.dtype(dtype)), 1, "C")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_overload_compiles_and_links(name):
    kernel, src = make_kernel(name)
    before = cb.nvrtc_compile_count()
    b = build_kernel(kernel, (_arr(iterator_dtype(name)),) * 2)
    assert b.cubin[:4] == b"\x7fELF"
    assert len(b.shims) == 1, "one shim set (one NVRTC translation unit) per kernel"
    assert cb.nvrtc_compile_count() - before <= 1, "at most one NVRTC call per kernel (0 on a cache hit)"
    spec = getattr(cb, name).spec
    source = b.shim_source
    for ov in spec.methods:  # a shim for every overload, named after it
        assert re.search(rf"__{ov.name}_{ov.index}_[iepv]__", source), f"{name}::{ov.name} overload {ov.index} not called"
    assert f"::{spec.qualname}<" in source


def test_all_22_primitives_are_bound():
    assert len(cb.PRIMITIVES) == 22 and set(cb.PRIMITIVES) == set(CONFIGS)


def test_generated_modules_are_current():
    out = subprocess.run([sys.executable, "-m", "bindgen", "generate", "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_coverage_report_lists_every_gap_with_a_reason():
    out = subprocess.run([sys.executable, "-m", "bindgen", "coverage"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = [ln.split() for ln in out.stdout.splitlines() if ln.split() and ln.split()[0] in cb.PRIMITIVES]
    assert len(rows) == 22 and all(r[-1] == "yes" for r in rows)
    for spec in (p.spec for p in cb.PRIMITIVES.values()):
        for u in spec.unbound:
            assert u.reason and u.reason in out.stdout


def test_scan_kernel_sass_and_shim_source():
    def k(d_in, d_out):
        items = cb.local_array(4, numba.int32)
        cb.BlockLoad(np.int32, 128, 4).Load(d_in, items)
        cb.BlockScan(np.int32, 128).ExclusiveSum(items, items)
        cb.BlockStore(np.int32, 128, 4).Store(d_out, items)

    b = build_kernel(k, (_arr(np.int32),) * 2)
    assert "::cub::BlockScan<::cuda::std::int32_t, 128>" in b.shim_source
    assert "ExclusiveSum(*reinterpret_cast<::cuda::std::int32_t(*)[4]>(a0)" in b.shim_source
    assert set(b.ltoir_sizes) == {"kernel", b.shims[0].name} and all(v > 0 for v in b.ltoir_sizes.values())
    sass = b.sass()
    assert "BAR.SYNC" in sass and "STG" in sass


def test_temp_storage_layouts_from_python():
    bs, bs_ws = cb.BlockScan(np.int32, 128), cb.BlockScan(np.int32, 128, cb.BLOCK_SCAN_WARP_SCANS)
    layouts = cb.temp_storage_layouts([bs, bs_ws, cb.BlockScan(np.float64, 256)])
    assert layouts[bs.cxx] == (bs.temp_storage_bytes, bs.temp_storage_alignment)
    assert bs.temp_storage_bytes > bs_ws.temp_storage_bytes > 0
    assert all(a in (4, 8, 16) for _, a in layouts.values())


def test_host_specialization_spelling_and_enums():
    bs = cb.BlockScan(np.int32, 128, algorithm=cb.BlockScanAlgorithm.BLOCK_SCAN_WARP_SCANS, BlockDimY=2)
    assert bs.cxx == "::cub::BlockScan<::cuda::std::int32_t, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, 2>"
    assert repr(cb.BLOCK_SCAN_WARP_SCANS) == "BlockScanAlgorithm.BLOCK_SCAN_WARP_SCANS" and int(cb.BLOCK_SCAN_WARP_SCANS) == 2
    assert [m.name for m in cb.BlockScanAlgorithm] == ["BLOCK_SCAN_RAKING", "BLOCK_SCAN_RAKING_MEMOIZE", "BLOCK_SCAN_WARP_SCANS"]


@pytest.mark.parametrize("bad, message", [
    (lambda: cb.BlockScan(np.int32), "missing template argument BlockDimX"),
    (lambda: cb.BlockScan(np.int32, 128, cb.BLOCK_REDUCE_RAKING), "must be a BlockScanAlgorithm member"),
    (lambda: cb.BlockScan(np.int32, 128, blocks=3), "unknown template argument 'blocks'"),
    (lambda: cb.BlockScan(np.complex64, 128), "not supported"),
    (lambda: cb.BlockScan(np.int32, 12.5), "must be an integer"),
])
def test_host_template_argument_errors(bad, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        bad()


def _typing_error(kernel, *argtypes):
    with pytest.raises(Exception) as info:
        build_kernel(kernel, argtypes or (_arr(np.int32),) * 2)
    return str(info.value)


def test_typing_error_wrong_dtype_names_the_parameter():
    def k(d_in, d_out):
        items = cb.local_array(4, numba.float32)
        cb.BlockScan(np.int32, 128).ExclusiveSum(items, items)

    msg = _typing_error(k)
    assert "parameter `input` expects int32 items, got an array of float32" in msg


def test_typing_error_wrong_array_length():
    def k(d_in, d_out):
        items = cb.local_array(3, numba.int32)
        cb.BlockLoad(np.int32, 128, 4).Load(d_in, items)

    assert "parameter `dst_items` expects 4 items (ItemsPerThread=4), got an array of length 3" in _typing_error(k)


def test_typing_error_items_per_thread_unknown_without_fixed_array():
    def k(d_in, d_out):
        items = cuda.local.array(4, numba.int32)
        cb.BlockScan(np.int32, 128).InclusiveSum(items, items)

    assert "pass ITEMS_PER_THREAD=n" in _typing_error(k)


def test_explicit_items_per_thread_with_plain_local_array():
    def k(d_in, d_out):
        items = cuda.local.array(4, numba.int32)
        cb.BlockScan(np.int32, 128).InclusiveSum(items, items, ITEMS_PER_THREAD=4)

    assert "(*)[4]" in build_kernel(k, (_arr(np.int32),) * 2).shim_source


def test_typing_error_wrong_temp_storage():
    def k(d_in, d_out):
        ts = cb.BlockReduce.TempStorage(np.int32, 128)
        cb.BlockScan(np.int32, 128, temp_storage=ts)

    assert "temp_storage was made for BlockReduce" in _typing_error(k)


def test_typing_error_int_as_temp_storage():
    def k(d_in, d_out):
        cb.WarpScan(np.int32, temp_storage=1)

    assert "temp_storage must be a WarpScan TempStorage" in _typing_error(k)


def test_typing_error_warp_scan_needs_temp_storage():
    def k(d_in, d_out):
        cb.WarpScan(np.int32)

    assert "has no constructor without temp_storage" in _typing_error(k)


def test_typing_error_enum_of_another_primitive_in_kernel():
    def k(d_in, d_out):
        cb.BlockScan(np.int32, 128, cb.BlockReduceAlgorithm.BLOCK_REDUCE_RAKING)

    assert "must be a BlockScanAlgorithm member" in _typing_error(k)


def test_typing_error_lists_candidates():
    def k(d_in, d_out):
        cb.BlockReduce(np.int32, 128).Sum(1.5)

    msg = _typing_error(k)
    assert "no overload accepts" in msg and "Sum(T input)" in msg and "parameter `input` expects int32, got float64" in msg


def test_keys_only_sort_needs_keys_only_specialization():
    def k(d_in, d_out):
        keys = cb.local_array(4, numba.uint32)
        cb.BlockRadixSort(np.uint32, 128, 4, ValueT=np.int32).Sort(keys)

    assert "keys-only overload" in _typing_error(k, _arr(np.uint32), _arr(np.uint32))


def test_temp_storage_array_indexing_and_warp_ids():
    def k(d_in, d_out):
        ts = cb.WarpScan.TempStorage(np.int32, count=4)
        warp = cuda.threadIdx.x // 32
        out = cb.local_array(1, numba.int32)
        cb.WarpScan(np.int32, temp_storage=ts[warp]).InclusiveSum(d_in[cuda.threadIdx.x], out)
        d_out[cuda.threadIdx.x] = out[0]

    src = build_kernel(k, (_arr(np.int32),) * 2).shim_source
    assert "TempStorage __s[4]" in src and "static_cast<typename C::TempStorage*>(__self)[__index]" in src


def test_nvrtc_count_one_per_kernel_without_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CUB_COOP_CACHE_DIR", str(tmp_path))

    def k(d_in, d_out):
        items = cb.local_array(2, numba.int32)
        cb.BlockLoad(np.int32, 64, 2).Load(d_in, items)
        cb.BlockScan(np.int32, 64).InclusiveSum(items, items)
        cb.BlockReduce(np.int32, 64).Sum(items)
        cb.BlockStore(np.int32, 64, 2).Store(d_out, items)

    before = cb.nvrtc_compile_count()
    build_kernel(k, (_arr(np.int32),) * 2)
    assert cb.nvrtc_compile_count() - before == 1
    build_kernel(k, (_arr(np.int32),) * 2)  # same shims, warm cache: no NVRTC
    assert cb.nvrtc_compile_count() - before == 1


def test_temp_storages_share_a_caller_buffer():
    BL, BS = cb.BlockLoad(np.int32, 128, 4, cb.BLOCK_LOAD_TRANSPOSE), cb.BlockScan(np.int32, 128)
    nbytes = max(BL.temp_storage_bytes, BS.temp_storage_bytes)

    def k(d_in, d_out):
        buf = cb.shared_array(nbytes, np.uint8, alignment=16)
        items = cb.local_array(4, numba.int32)
        BL(BL.TempStorage(buf)).Load(d_in, items)
        cuda.syncthreads()
        BS(BS.TempStorage(buf)).ExclusiveSum(items, items)

    src = build_kernel(k, (_arr(np.int32),) * 2).shim_source
    assert f"static_assert(sizeof(TS) <= {nbytes}" in src


def test_buffer_too_small_fails_the_compile_with_a_message():
    BS = cb.BlockScan(np.int32, 128)

    def k(d_in, d_out):
        buf = cb.shared_array(8, np.uint8, alignment=16)
        BS(BS.TempStorage(buf)).ExclusiveSum(d_in[0], d_out)

    assert "buffer too small for BlockScan" in _typing_error(k)


def test_buffer_must_be_a_shared_byte_array():
    BS = cb.BlockScan(np.int32, 128)

    def k(d_in, d_out):
        BS(BS.TempStorage(d_in))

    assert "buffer must be cub_bindings.shared_array" in _typing_error(k)


_REC = numba.from_dtype(np.dtype([("hi", np.int16), ("lo", np.float32)], align=True))


def test_record_keys_need_a_decomposer_naming_their_fields():
    def plain(d_in, d_out):
        keys = cb.local_array(4, _REC)
        cb.BlockRadixSort(_REC, 128, 4).Sort(keys)

    bad = cb.Decomposer("hi", "nope")

    def unknown_field(d_in, d_out):
        keys = cb.local_array(4, _REC)
        cb.BlockRadixSort(_REC, 128, 4).Sort(keys, bad)

    for kernel, message in [(plain, "the keys are records: CUB sorts them through a decomposer"),
                            (unknown_field, "the key record has no field 'nope' (fields: hi, lo)")]:
        with pytest.raises(Exception, match=re.escape(message)):
            build_kernel(kernel, (_REC[::1], _REC[::1]))


def test_decomposer_reads_the_fields_a_function_returns():
    assert cb.Decomposer(lambda k: (k.lo, k.hi)).fields == ("lo", "hi")
    assert cb.Decomposer(lambda k: k["hi"]).fields == ("hi",)
    assert cb.Decomposer(lambda k: (k.hi,), (numba.int16,)).ret_types == (numba.int16,)
    with pytest.raises(TypeError, match="must return the key's fields"):
        cb.Decomposer(lambda k: (k.hi * 2,))
    with pytest.raises(TypeError, match="must return the key's fields themselves"):
        cb.Decomposer(lambda k: (1, 2))
    with pytest.raises(TypeError, match="named twice"):
        cb.Decomposer("hi", "hi")


def test_decomposer_functor_in_the_shim_returns_references_to_the_fields():
    dec = cb.Decomposer(lambda k: (k.lo, k.hi), ret_type=(numba.float32, numba.int16))

    def k(d_in, d_out):
        keys = cb.local_array(4, _REC)
        cb.BlockRadixSort(_REC, 128, 4).SortDescending(keys, dec)

    src = build_kernel(k, (_REC[::1], _REC[::1])).shim_source
    assert re.search(r"::cuda::std::tuple<float&, ::cuda::std::int16_t&> operator\(\)\(cub_coop_rec_\w+& key\) const", src)
    assert "{key.lo, key.hi}" in src


def test_float16_items_cross_as_half():
    def k(d_in, d_out):
        keys = cb.local_array(4, np.float16)
        for i in range(4):
            keys[i] = d_in[cuda.threadIdx.x * 4 + i]
        cb.BlockRadixSort(np.float16, 128, 4).Sort(keys)
        cb.BlockScan(np.float16, 128).InclusiveSum(keys, keys)
        for i in range(4):
            d_out[cuda.threadIdx.x * 4 + i] = keys[i]

    src = build_kernel(k, (types.float16[::1],) * 2).shim_source
    assert "::cub::BlockRadixSort<__half, 128, 4" in src and "::cub::BlockScan<__half, 128" in src
