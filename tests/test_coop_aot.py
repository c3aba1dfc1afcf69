"""coop.compile: an ahead-of-time artifact with the CUB code linked in, on a machine without
a GPU; the GPU tier loads the cubin with cuda.core and launches it."""

import os
import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from backend import not_simulated

T, IPT = 128, 4
SIG = (types.int32[::1], types.int32[::1])


def sort_tile(d_in, d_out):
    items = coop.local.array(IPT, np.int32)
    coop.block.load(d_in, items)
    coop.block.radix_sort_keys(items)
    coop.block.store(d_out, items)


def test_cubin_ptx_and_ltoir_hold_the_cub_code():
    cubin = coop.compile(sort_tile, SIG, block=T)
    assert cubin[:4] == b"\x7fELF"
    names = coop.kernel_names(cubin)
    assert len(names) == 1 and "sort_tile" in names[0]
    ptx = coop.compile(sort_tile, SIG, block=T, output="ptx")
    entries = re.findall(r"\.entry\s+(\w+)\(", ptx)  # each compile numbers the mangled name anew (v1, v2, ...)
    assert len(entries) == 1 and "sort_tile" in entries[0] and ".target sm_90" in ptx and not ptx.endswith("\0")
    assert ".extern .func cub_coop" not in ptx  # the shims are linked in, not left to the loader
    modules = coop.compile(cuda.jit(sort_tile), SIG, block=T, output="ltoir")  # a dispatcher works too
    assert len(modules) == 2 and all(isinstance(m, bytes) and m for m in modules)


@pytest.mark.parametrize("kws, message", [
    (dict(block=T, output="sass"), "argument `output`: must be one of 'cubin', 'ptx', 'ltoir'"),
    (dict(block=T, cc="sm_90"), "argument `cc`: a compute capability (major, minor)"),
])
def test_compile_misuse_is_a_coop_error(kws, message):
    with pytest.raises(coop.CoopError, match=message.replace("(", r"\(").replace(")", r"\)")):
        coop.compile(sort_tile, SIG, **kws)


@pytest.mark.gpu
@not_simulated("it loads a cubin with cuda.core")
def test_the_cubin_launches_with_cuda_core():
    from cuda.core import Device, LaunchConfig, ObjectCode, launch

    cubin = coop.compile(sort_tile, SIG, block=T)
    if os.environ.get("COOP_DRYRUN"):
        pytest.skip("dry run: compiled; the launch goes through cuda.core, not numba")
    dev = Device()
    dev.set_current()
    kernel = ObjectCode.from_cubin(cubin).get_kernel(coop.kernel_names(cubin)[0])
    x = np.random.default_rng(2).integers(-1000, 1000, T * IPT).astype(np.int32)
    d_in, d_out = cuda.to_device(x), cuda.device_array_like(x)

    def array_args(a):  # numba's kernel ABI for a 1-D C array: meminfo, parent, nitems, itemsize, data, shape, strides
        return (np.uint64(0), np.uint64(0), np.int64(a.size), np.int64(a.dtype.itemsize),
                np.uint64(a.device_ctypes_pointer.value), np.int64(a.size), np.int64(a.dtype.itemsize))

    stream = dev.create_stream()
    launch(stream, LaunchConfig(grid=1, block=T), kernel, *array_args(d_in), *array_args(d_out))
    stream.sync()
    np.testing.assert_array_equal(d_out.copy_to_host(), np.sort(x))
