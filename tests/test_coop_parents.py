"""CPU tier for parent/child primitives (histogram, run-length decode): single-phase and
two-phase forms compile and link for sm_90 with the CUB classes and methods expected, and
misuse is one clear CoopError."""

import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from cub_bindings.inspect import build_kernel

U8 = types.uint8[::1]
I8 = types.int8[::1]
U32 = types.uint32[::1]
I32 = types.int32[::1]
ELF = b"\x7fELF"


def build(kernel, argtypes, block=128):
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    return b


def classes(source):
    return set(re.findall(r"using C = (::cub::[^;]+);", source))


def methods(source):
    return sorted(re.findall(r"__obj\.(\w+)\(", source)) + sorted(re.findall(r"::new \(__self\) C\(", source))


def k_histogram(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype, alignment=128)
    samples = coop.local.array(4, d_in.dtype, alignment=16)
    histo = coop.block.histogram(samples, smem)
    histo.init()
    cuda.syncthreads()
    coop.block.load(d_in, samples, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
    histo.composite(samples)
    cuda.syncthreads()
    for b in range(cuda.threadIdx.x, 256, 128):
        cuda.atomic.add(d_out, b, smem[b])


def k_histogram_sort(d_in, d_out):
    smem = coop.shared.array(128, d_out.dtype)
    samples = coop.local.array(8, d_in.dtype)
    histo = coop.block.histogram(samples, smem, algorithm="sort")
    histo.init()
    coop.block.load(d_in, samples)
    histo.composite(samples)
    histo.histogram(samples)


@pytest.mark.parametrize("block", [32, (4, 16), (4, 8, 16)])
def test_histogram_single_phase_infers_every_template_argument(block):
    x, y, z = (block if isinstance(block, tuple) else (block,)) + (1,) * (3 - (len(block) if isinstance(block, tuple) else 1))
    src = build(k_histogram, (U8, U32), block=block).shim_source
    assert (f"::cub::BlockHistogram<::cuda::std::uint8_t, {x}, 4, 256, "
            f"::cub::BlockHistogramAlgorithm::BLOCK_HISTO_ATOMIC, {y}, {z}>") in classes(src)
    assert methods(src) == ["Composite", "InitHistogram", "Load"]


def test_histogram_sort_with_int8_samples_and_int32_counters():
    src = build(k_histogram_sort, (I8, I32)).shim_source
    assert ("::cub::BlockHistogram<::cuda::std::int8_t, 128, 8, 128, "
            "::cub::BlockHistogramAlgorithm::BLOCK_HISTO_SORT, 1, 1>") in classes(src)
    assert methods(src) == ["Composite", "Histogram", "InitHistogram", "Load"]


hist_tp = coop.block.histogram(item_dtype=np.uint8, counter_dtype=np.uint32, dim=128, items_per_thread=4,
                               bins=256, algorithm=coop.BlockHistogramAlgorithm.SORT)


def k_histogram_two_phase(d_in, d_out):
    smem = coop.shared.array(256, np.uint32)
    samples = coop.local.array(4, np.uint8)
    histo = hist_tp()
    histo.init(smem)
    coop.block.load(d_in, samples)
    histo.composite(samples, smem)


def test_histogram_two_phase_instance():
    assert hist_tp.temp_storage_bytes > 0 and hist_tp.temp_storage_alignment >= 1
    src = build(k_histogram_two_phase, (U8, U32)).shim_source
    assert ("::cub::BlockHistogram<::cuda::std::uint8_t, 128, 4, 256, "
            "::cub::BlockHistogramAlgorithm::BLOCK_HISTO_SORT, 1, 1>") in classes(src)


def k_histogram_temp_storage(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype)
    samples = coop.local.array(4, d_in.dtype)
    temp = coop.TempStorage(8192, 16)
    histo = coop.block.histogram(samples, smem, algorithm="sort", temp_storage=temp)
    histo.init()
    histo.composite(samples)


def test_histogram_with_explicit_temp_storage():
    src = build(k_histogram_temp_storage, (U8, U32)).shim_source
    assert "__obj(static_cast<typename C::TempStorage*>(__self)[__index])" in src


def k_run_length(d_in, d_out, d_off):
    values = coop.local.array(2, d_in.dtype)
    lengths = coop.local.array(2, np.int32)
    total = coop.local.array(1, np.uint32)
    decoded = coop.local.array(4, d_in.dtype)
    rel = coop.local.array(4, np.uint16)
    for i in range(2):
        values[i] = d_in[cuda.threadIdx.x * 2 + i]
        lengths[i] = 1 + i
    rl = coop.block.run_length(values, lengths, 2, 4, total)
    offset = 0
    while offset < total[0]:
        rl.decode(decoded, offset, rel)
        rl.decode(decoded, offset)
        offset += 4 * 128
    d_out[0] = decoded[0]


def k_run_offsets(d_in, d_out, d_off):
    values = coop.local.array(3, d_in.dtype)
    offsets = coop.local.array(3, np.uint32)
    decoded = coop.local.array(5, d_in.dtype)
    rl = coop.block.run_length(values, run_offsets=offsets, decoded_items_per_thread=5, decoded_offset_dtype=np.uint16)
    rl.decode(decoded)
    d_out[0] = decoded[0]


def test_run_length_both_constructors():
    src = build(k_run_length, (I32, I32, U32)).shim_source
    assert ("::cub::BlockRunLengthDecode<::cuda::std::int32_t, 128, 2, 4, ::cuda::std::uint32_t, 1, 1>"
            in classes(src))
    assert methods(src) == ["RunLengthDecode", "RunLengthDecode", "::new (__self) C("]
    src = build(k_run_offsets, (I32, I32, U32)).shim_source
    assert ("::cub::BlockRunLengthDecode<::cuda::std::int32_t, 128, 3, 5, ::cuda::std::uint16_t, 1, 1>"
            in classes(src))


rl_tp = coop.block.run_length(np.float32, 64, 2, 3)


def k_run_length_two_phase(d_in, d_out, d_off):
    values = coop.local.array(2, np.float32)
    lengths = coop.local.array(2, np.uint32)
    total = coop.local.array(1, np.uint32)
    decoded = coop.local.array(3, np.float32)
    rl = rl_tp(values, lengths, total)
    rl.decode(decoded, 0)


def test_run_length_two_phase():
    assert rl_tp.temp_storage_bytes > 0
    src = build(k_run_length_two_phase, (types.float32[::1], I32, U32), block=64).shim_source
    assert "::cub::BlockRunLengthDecode<float, 64, 2, 3, ::cuda::std::uint32_t, 1, 1>" in classes(src)


# --------------------------------------------------------------------------- errors


def e_hist_counters_length(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype)
    other = coop.shared.array(128, d_out.dtype)
    samples = coop.local.array(4, d_in.dtype)
    histo = coop.block.histogram(samples, smem)
    histo.composite(samples, other)  # <- error


def e_hist_items_length(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype)
    samples = coop.local.array(4, d_in.dtype)
    more = coop.local.array(8, d_in.dtype)
    histo = coop.block.histogram(samples, smem)
    histo.composite(more)  # <- error


def e_hist_items_dtype(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype)
    samples = coop.local.array(4, d_in.dtype)
    wrong = coop.local.array(4, np.int32)
    histo = coop.block.histogram(samples, smem)
    histo.composite(wrong)  # <- error


def e_hist_no_counters(d_in, d_out):
    samples = coop.local.array(4, d_in.dtype)
    histo = coop.block.histogram(samples, bins=256)
    histo.init()  # <- error


def e_rl_both(d_in, d_out, d_off):
    values = coop.local.array(2, d_in.dtype)
    lengths = coop.local.array(2, np.int32)
    rl = coop.block.run_length(values, lengths, decoded_items_per_thread=4, run_offsets=lengths)  # <- error


def e_rl_total_missing(d_in, d_out, d_off):
    values = coop.local.array(2, d_in.dtype)
    lengths = coop.local.array(2, np.int32)
    rl = coop.block.run_length(values, lengths, 2, 4)  # <- error


def e_rl_decoded_length(d_in, d_out, d_off):
    values = coop.local.array(2, d_in.dtype)
    lengths = coop.local.array(2, np.int32)
    total = coop.local.array(1, np.uint32)
    decoded = coop.local.array(8, d_in.dtype)
    rl = coop.block.run_length(values, lengths, 2, 4, total)
    rl.decode(decoded)  # <- error


@pytest.mark.parametrize("kernel, argtypes, arg, message", [
    (e_hist_counters_length, (U8, U32), "histogram", "holds 128 items, but this histogram was made for bins = 256"),
    (e_hist_items_length, (U8, U32), "items", "holds 8 items, but this histogram was made for items per thread = 4"),
    (e_hist_items_dtype, (U8, U32), "items", "mismatched dtypes: an array of int32, but the items are uint8"),
    (e_hist_no_counters, (U8, U32), "histogram", "no histogram array"),
    (e_rl_both, (I32, I32, U32), "run_lengths", "give exactly one of run_lengths and run_offsets"),
    (e_rl_total_missing, (I32, I32, U32), "total_decoded_size", "is required with run_lengths"),
    (e_rl_decoded_length, (I32, I32, U32), "decoded_items",
     "holds 8 items, but this run_length was made for decoded items per thread = 4"),
])
def test_parent_child_misuse_is_one_clear_error(kernel, argtypes, arg, message):
    with pytest.raises(coop.CoopError) as info:
        build(kernel, argtypes)
    text = str(info.value)
    assert re.search(re.escape(message), text), text
    if arg:
        assert f"argument `{arg}`" in text, text
    assert "# <- error" in text, text


def test_two_phase_histogram_constructor_errors():
    with pytest.raises(coop.CoopError, match="missing argument 'bins'"):
        coop.block.histogram(item_dtype=np.uint8, counter_dtype=np.uint32, dim=128, items_per_thread=4)
    with pytest.raises(coop.CoopError, match="is not a BlockHistogramAlgorithm"):
        coop.block.histogram(item_dtype=np.uint8, counter_dtype=np.uint32, dim=128, bins=256, algorithm="fast")
    with pytest.raises(coop.CoopError, match="a two-phase object is called inside a kernel"):
        hist_tp()


def k_thread_data_everywhere(d_in, d_out):
    smem = coop.shared.array(256, d_out.dtype)
    td = coop.ThreadData(4)
    coop.block.load(src=d_in, dst=td)  # a keyword argument refines the variable too
    histo = coop.block.histogram(td, smem)
    histo.composite(td)
    d_out[0] = td[0] + len(td)


def test_thread_data_dtype_refined_by_its_first_primitive_and_used_by_methods():
    src = build(k_thread_data_everywhere, (U8, U32)).shim_source
    assert ("::cub::BlockHistogram<::cuda::std::uint8_t, 128, 4, 256, "
            "::cub::BlockHistogramAlgorithm::BLOCK_HISTO_ATOMIC, 1, 1>") in classes(src)
