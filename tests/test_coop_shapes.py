"""Array lengths from an array argument's shape (``coop.shared.array(d_out.shape, ...)``),
``coop.shaped`` signatures, the kernel dispatcher's per-shape re-dispatch, and the block
shape checks of ``coop.launch_shape``.

CPU tier: kernels are compiled with ``build_kernel`` inside ``coop.launch_shape``; the
dispatcher path (``CUDADispatcher._compile_for_args``, what a launch calls on a cache miss)
runs without a GPU by standing in for the three steps that need one (the device's compute
capability, PTX generation's device lookup, binding the cubin). The GPU test launches.
"""

import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from coop import _launch, _shapes
from backend import not_simulated
from error_marks import line_of
from cub_bindings.inspect import _device_functions_without_gpu, build_kernel, shim_sources

I32 = types.int32[::1]
F32 = types.float32[::1]
ELF = b"\x7fELF"


def classes(source):
    return set(re.findall(r"using C = (::cub::[^;]+);", source))


def load(dtype, tpb, ipt, alg="DIRECT"):
    return f"::cub::BlockLoad<{dtype}, {tpb}, {ipt}, ::cub::BlockLoadAlgorithm::BLOCK_LOAD_{alg}, 1, 1>"


def store(dtype, tpb, ipt):
    return f"::cub::BlockStore<{dtype}, {tpb}, {ipt}, ::cub::BlockStoreAlgorithm::BLOCK_STORE_DIRECT, 1, 1>"


INT32 = "::cuda::std::int32_t"


# =========================================================================== the kernels


def k_histogram(d_in, d_out, items_per_thread, num_total_items):
    # the brief's kernel: a shared histogram as long as d_out, samples per thread from an int argument
    smem_histogram = coop.shared.array(d_out.shape, d_out.dtype, alignment=128)
    thread_samples = coop.local.array(items_per_thread, d_in.dtype, alignment=16)
    tid = cuda.threadIdx.x
    for i in range(tid, len(d_out), cuda.blockDim.x):
        smem_histogram[i] = 0
    cuda.syncthreads()
    offset = cuda.blockIdx.x * cuda.blockDim.x * items_per_thread
    coop.block.load(d_in[offset:], thread_samples, num_valid_items=num_total_items - offset, oob_default=-1)
    for i in range(items_per_thread):
        s = thread_samples[i]
        if s >= 0:
            cuda.atomic.add(smem_histogram, s % len(d_out), 1)
    cuda.syncthreads()
    for i in range(tid, len(d_out), cuda.blockDim.x):
        cuda.atomic.add(d_out, i, smem_histogram[i])


def k_every_form(d_in, d_out, f_in):
    items = coop.local.array(d_out.shape, d_out.dtype)  # the shape tuple
    coop.block.load(d_in, items)
    a = coop.local.array(d_out.shape[0], np.int32)  # its first extent
    coop.block.load(d_in, a, algorithm="striped")
    n = len(d_out)  # len(), through a variable
    td = coop.ThreadData(n)
    coop.block.load(f_in, td)
    coop.block.store(d_out, items)
    smem = coop.shared.array(len(d_out), d_out.dtype)
    smem[cuda.threadIdx.x % 16] = items[0] + a[0] + d_out.shape[0] + len(smem)
    d_out[0] = smem[0] + np.int32(td[0])


def k_simple(d_in, d_out):
    items = coop.local.array(d_out.shape, d_out.dtype)
    coop.block.load(d_in, items)
    coop.block.store(d_out, items)


def k_plain(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.store(d_out, items)


@cuda.jit(device=True)
def dev_tile(d_in, d_out):
    items = coop.local.array(d_out.shape, d_out.dtype)  # d_out's type is the kernel's: shaped
    coop.block.load(d_in, items)
    coop.block.store(d_out, items)


def k_calls_device_function(d_in, d_out):
    dev_tile(d_in, d_out)


# =========================================================================== the shape in the signature


def test_every_form_of_shape_gives_the_extent():
    with coop.launch_shape(block=128):
        b = build_kernel(k_every_form, (I32, coop.shaped(I32, (16,)), F32), cc=(9, 0))
    assert b.cubin[:4] == ELF
    cls = classes(b.shim_source)
    assert {load(INT32, 128, 16), load(INT32, 128, 16, "STRIPED"), load("float", 128, 16), store(INT32, 128, 16)} <= cls


def test_the_briefs_histogram_kernel_compiles_with_shape_and_items_per_thread():
    with coop.launch_shape(block=128):
        b = build_kernel(k_histogram, (I32, coop.shaped(I32, 256), types.literal(4), types.int64), cc=(9, 0))
    assert b.cubin[:4] == ELF
    assert load(INT32, 128, 4) in classes(b.shim_source)


def test_a_device_function_takes_the_shape_from_a_shaped_argument():
    with coop.launch_shape(block=64):
        b = build_kernel(k_calls_device_function, (I32, coop.shaped(I32, 8)), cc=(9, 0))
    assert {load(INT32, 64, 8), store(INT32, 64, 8)} <= classes(b.shim_source)


def test_shaped_type():
    t = coop.shaped(I32, (16,))
    assert t == coop.shaped(I32, 16) and t is coop.shaped(types.int32[::1], np.int64(16))  # interned by key
    assert t != coop.shaped(I32, 17) and t != I32 and isinstance(t, types.Array)
    assert t.static_shape == (16,) and t.plain == I32 and coop.shaped(t, 4).plain == I32
    assert (t.dtype, t.ndim, t.layout, t.mutable) == (types.int32, 1, "C", True)
    assert t.copy(layout="A") == types.int32[:]  # views and slices are plain arrays
    assert coop.shaped(types.float64[:, ::1], (4, 8)).static_shape == (4, 8)
    assert "shaped(array(int32, 1d, C), (16,))" == str(t)


@pytest.mark.parametrize("args, message", [
    ((types.int32, 4), "must be a Numba array type"),
    ((I32, 4.0), "must be an int or a tuple of ints"),
    ((I32, True), "must be an int or a tuple of ints"),
    ((I32, (4, 4)), r"\(4, 4\) is not the shape of a 1-D array"),
    ((I32, -1), r"is not the shape of a 1-D array"),
])
def test_shaped_rejects(args, message):
    with pytest.raises(coop.CoopError, match=message):
        coop.shaped(*args)


# =========================================================================== the request raised while typing


def test_without_a_launch_the_request_is_the_error_and_names_the_fix():
    with coop.launch_shape(block=128), pytest.raises(_shapes.ShapeRequest) as info:
        build_kernel(k_histogram, (I32, I32, types.literal(4), types.int64), cc=(9, 0))
    exc = info.value
    assert isinstance(exc, coop.CoopError)
    assert exc.func is k_histogram and exc.positions == {1}  # d_out
    msg = str(exc)
    assert msg.startswith("coop.shared.array: argument `shape`: d_out.shape is the shape of kernel argument `d_out`, "
                          "known only when the kernel is launched"), msg
    assert "coop.shaped(numba.types.int32[::1], (n,))" in msg
    assert f'test_coop_shapes.py", line {line_of(k_histogram, "smem_histogram = ")}' in msg


# =========================================================================== the dispatcher (a launch's compile path)


@pytest.fixture
def no_gpu(monkeypatch):
    """Let ``CUDADispatcher._compile_for_args`` compile for sm_90 without a GPU; yield the
    argument types of every kernel typed (one per typing pass)."""
    from numba.cuda import codegen
    from numba.cuda import dispatcher as nd

    typed = []
    compile_cuda = nd.compile_cuda

    def counting(pyfunc, return_type, args, **kws):
        typed.append(tuple(args))
        return compile_cuda(pyfunc, return_type, args, **kws)

    monkeypatch.setattr(nd, "compile_cuda", counting)
    monkeypatch.setattr(nd._Kernel, "bind", lambda self: None)  # loading the cubin needs a context
    monkeypatch.setattr(codegen.CUDACodeLibrary, "_ensure_cc", lambda self, cc: cc or (9, 0, "a"))
    with _device_functions_without_gpu((9, 0)), coop.launch_shape(block=128):
        yield typed


def shaped_sig(*shapes):
    return (I32, *(coop.shaped(I32, s) for s in shapes))


def test_launch_compiles_per_shape_and_a_relaunch_does_not_retype(no_gpu):
    k = cuda.jit(k_simple)
    h_in = np.zeros(128 * 16, np.int32)

    k16 = k._compile_for_args(h_in, np.zeros(16, np.int32))
    # one failed typing pass (the request), then the kernel for shape (16,)
    assert no_gpu == [(I32, I32), shaped_sig(16)]
    assert k._coop_shape_positions == {1} and k16.argtypes == shaped_sig(16)
    assert _launch._LITERAL_ARGS in k16.extensions

    assert k._compile_for_args(h_in, np.zeros(16, np.int32)) is k16  # same shape: found, not typed again
    assert len(no_gpu) == 2

    k8 = k._compile_for_args(h_in, np.zeros(8, np.int32))  # new shape: typed once, shaped straight away
    assert k8 is not k16 and no_gpu[2:] == [shaped_sig(8)]
    assert k._compile_for_args(h_in, np.zeros(16, np.int32)) is k16 and len(no_gpu) == 3

    sources = shim_sources(k)
    assert set(sources) == {shaped_sig(16), shaped_sig(8)}
    assert {load(INT32, 128, 16), store(INT32, 128, 16)} <= classes(sources[shaped_sig(16)])
    assert {load(INT32, 128, 8), store(INT32, 128, 8)} <= classes(sources[shaped_sig(8)])


def test_launch_with_a_shape_and_a_literal_argument(no_gpu):
    k = cuda.jit(k_histogram)
    h_in, hist = np.zeros(1000, np.int32), np.zeros(64, np.int32)
    kern = k._compile_for_args(h_in, hist, 4, 1000)
    assert kern.argtypes == (I32, coop.shaped(I32, 64), types.literal(4), types.int64)
    assert (k._coop_shape_positions, k._coop_literal_positions) == ({1}, {2})
    assert len(no_gpu) == 3  # plain, shaped, shaped + literal
    assert k._compile_for_args(h_in, np.zeros(64, np.int32), 4, 7) is kern and len(no_gpu) == 3
    other = k._compile_for_args(h_in, hist, 2, 1000)
    assert other.argtypes[1:3] == (coop.shaped(I32, 64), types.literal(2)) and len(no_gpu) == 4
    assert load(INT32, 128, 2) in classes(shim_sources(k)[other.argtypes])


def test_a_kernel_that_never_asks_is_unaffected(no_gpu):
    k = cuda.jit(k_plain)
    kern = k._compile_for_args(np.zeros(512, np.int32), np.zeros(512, np.int32))
    assert no_gpu == [(I32, I32)] and kern.argtypes == (I32, I32)
    assert "_coop_shape_positions" not in k.__dict__ and "_coop_literal_positions" not in k.__dict__
    assert _launch._LITERAL_ARGS not in kern.extensions


def test_launch_extension_marshals_the_plain_array_and_refuses_another_shape():
    ext = _launch._LITERAL_ARGS
    a = np.zeros(16, np.int32)
    assert ext.prepare_args(coop.shaped(I32, 16), a, stream=0, retr=[]) == (I32, a)
    assert ext.prepare_args(types.literal(7), 7) == (types.int64, 7)
    assert ext.prepare_args(I32, a) == (I32, a)
    with pytest.raises(coop.CoopError, match=r"shape \(8,\) passed where the kernel was compiled for shape \(16,\)"):
        ext.prepare_args(coop.shaped(I32, 16), np.zeros(8, np.int32))


# =========================================================================== errors




def e_shape_of_2d(d_in, d2):
    s = coop.shared.array(d2.shape, d2.dtype)  # <- error
    s[0] = 0


def e_len_of_2d(d_in, d2):
    s = coop.shared.array(len(d2), d2.dtype)  # <- error
    s[0] = 0


def e_expression(d_in, d_out):
    s = coop.shared.array(d_out.shape[0] * 2, d_out.dtype)  # <- error
    s[0] = 0


def e_expression_of_shaped(d_in, d_out):
    items = coop.local.array(len(d_out) + 1, d_out.dtype)  # <- error
    coop.block.load(d_in, items)


def e_not_an_array(d_in, n):
    items = coop.local.array(n + 1, d_in.dtype)  # <- error
    coop.block.load(d_in, items)


TWO_D = types.int32[:, ::1]

ERRORS = [
    (e_shape_of_2d, (I32, TWO_D), "coop.shared.array", "d2.shape: kernel argument `d2` is a 2-D array; a length can "
     "come only from a 1-D array's shape"),
    (e_shape_of_2d, (I32, coop.shaped(TWO_D, (4, 4))), "coop.shared.array", "is a 2-D array"),
    (e_len_of_2d, (I32, TWO_D), "coop.shared.array", r"len\(d2\): kernel argument `d2` is a 2-D array"),
    (e_expression, (I32, I32), "coop.shared.array", r"must be known at compile time, got a value computed from "
     r"d_out.shape\[0\] \(int64\); only d_out.shape\[0\] itself is known at compile time"),
    (e_expression, (I32, coop.shaped(I32, 8)), "coop.shared.array", r"computed from d_out.shape\[0\]"),
    (e_expression_of_shaped, (I32, coop.shaped(I32, 8)), "coop.local.array", r"computed from len\(d_out\)"),
    (e_not_an_array, (I32, types.int32), "coop.local.array", r"got a value computed in the kernel \(int64\)"),
]


@pytest.mark.parametrize("kernel, argtypes, primitive, message", ERRORS,
                         ids=[f"{e[0].__name__[2:]}-{i}" for i, e in enumerate(ERRORS)])
def test_lengths_not_known_at_compile_time_are_one_clear_error(kernel, argtypes, primitive, message):
    with coop.launch_shape(block=128), pytest.raises(coop.CoopError) as info:
        build_kernel(kernel, argtypes, cc=(9, 0))
    msg = str(info.value)
    assert not isinstance(info.value, _shapes.ShapeRequest)
    assert msg.startswith(f"{primitive}: argument `shape`: "), msg
    assert re.search(message, msg), msg
    assert "\n  valid: " in msg and "a.shape / a.shape[0] / len(a)" in msg
    assert f'test_coop_shapes.py", line {line_of(kernel)}' in msg
    for noise in ("No implementation of function", "Cannot request literal type", "During: resolving callee type"):
        assert noise not in msg, msg


def test_a_device_function_given_a_plain_array_says_so():
    with coop.launch_shape(block=64), pytest.raises(coop.CoopError) as info:
        build_kernel(k_calls_device_function, (I32, I32), cc=(9, 0))
    msg = str(info.value)
    assert not isinstance(info.value, _shapes.ShapeRequest)
    assert msg.startswith("coop.local.array: argument `shape`: d_out.shape: `d_out` is an argument of device function "
                          "dev_tile, typed without its shape (array(int32, 1d, C))"), msg
    assert "coop.shaped(numba.types.int32[::1], (n,))" in msg
    assert f'test_coop_shapes.py", line {line_of(dev_tile.py_func, "items = ")}' in msg


# =========================================================================== launch_shape / normalize_dims


@pytest.mark.parametrize("block, dims", [
    (128, (128, 1, 1)), (np.int64(256), (256, 1, 1)), ((np.int32(16), np.int64(8)), (16, 8, 1)), ([8, 8, 4], (8, 8, 4)),
    (1024, (1024, 1, 1)), ((1, 1024), (1, 1024, 1)), ((16, 1, 64), (16, 1, 64)), ((32, 32), (32, 32, 1)),
])
def test_block_shapes_accepted(block, dims):
    assert _launch.normalize_dims(block) == dims
    with coop.launch_shape(block=block):
        assert _launch.current_block_dims()[0] == dims


@pytest.mark.parametrize("block, message", [
    ((16.7, 8), r"1 to 3 positive integers, got \(16.7, 8\) \(block dimensions are ints, not floats or bools\)"),
    (128.0, "not floats or bools"),
    (True, "not floats or bools"),
    ((np.True_, 4), "not floats or bools"),
    ("128", "1 to 3 positive integers"),
    ((1, 2, 3, 4), "1 to 3 positive integers"),
    ((), "1 to 3 positive integers"),
    ((4, 0), "1 to 3 positive integers"),
    (-32, "1 to 3 positive integers"),
    (2048, "x = 2048 is over CUDA's limit of 1024 threads in x"),
    ((1, 2048), "y = 2048 is over CUDA's limit of 1024 threads in y"),
    ((1, 1, 65), "z = 65 is over CUDA's limit of 64 threads in z"),
    ((32, 64), "2048 threads is over CUDA's limit of 1024 threads per block"),
    ((16, 16, 8), "2048 threads is over CUDA's limit of 1024 threads per block"),
])
def test_block_shapes_rejected_when_launch_shape_is_called(block, message):
    with pytest.raises(coop.CoopError, match=message):
        coop.launch_shape(block=block)  # checked on the call, not on entering the with
    with pytest.raises(coop.CoopError, match=message):
        _launch.normalize_dims(block)


def test_block_shape_errors_are_type_and_value_errors():
    with pytest.raises(TypeError):
        coop.launch_shape(block=(16.7, 8))
    with pytest.raises(ValueError, match="1 to 3 positive integers"):
        coop.launch_shape(block=(4, 0))
    with pytest.raises(ValueError, match="1024"):
        coop.launch_shape(block=2048)


# =========================================================================== GPU


@pytest.mark.gpu
@not_simulated("it checks the compiled overloads")
def test_gpu_histogram_per_shape_relaunches_and_recompiles():
    k = cuda.jit(k_histogram)
    rng = np.random.default_rng(3)
    grid = 10
    for bins, ipt, n in [(64, 4, 5000), (64, 4, 3000), (32, 4, 5000), (64, 2, 2500), (64, 4, 100)]:
        h = rng.integers(0, 1000, n).astype(np.int32)
        out = cuda.to_device(np.zeros(bins, np.int32))
        k[grid, 128](cuda.to_device(h), out, ipt, n)
        np.testing.assert_array_equal(out.copy_to_host(), np.bincount(h % bins, minlength=bins),
                                      err_msg=f"bins={bins} ipt={ipt} n={n}")
    kinds = {(sig[1].static_shape, sig[2].literal_value) for sig in k.overloads}
    assert kinds == {((64,), 4), ((32,), 4), ((64,), 2)}
    # another grid, the same block shape: the same dispatcher (coop keys on the block shape)
    h = rng.integers(0, 1000, 9000).astype(np.int32)
    out = cuda.to_device(np.zeros(16, np.int32))
    k[20, 128](cuda.to_device(h), out, 4, 9000)
    np.testing.assert_array_equal(out.copy_to_host(), np.bincount(h % 16, minlength=16))
    assert k._launch_config_specializations == {}
    # another block shape: numba-cuda's per-launch-configuration dispatcher inherits the positions
    out = cuda.to_device(np.zeros(16, np.int32))
    k[40, 64](cuda.to_device(h), out, 4, 9000)  # tiles of 64 x 4 items: 40 cover the 9000
    np.testing.assert_array_equal(out.copy_to_host(), np.bincount(h % 16, minlength=16))
    (other,) = k._launch_config_specializations.values()
    assert (other._coop_shape_positions, other._coop_literal_positions) == ({1}, {2})
    assert [sig[1].static_shape for sig in other.overloads] == [(16,)]


def k_misused(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, oob_default=1.5)  # <- error


def _frames(exc):
    tb, files = exc.__traceback__, []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return files


def test_a_coop_error_at_launch_has_no_compiler_frames(no_gpu, monkeypatch):
    monkeypatch.delenv("NUMBA_DEVELOPER_MODE", raising=False)
    monkeypatch.delenv("COOP_DEBUG", raising=False)
    k = cuda.jit(k_misused)
    with pytest.raises(coop.CoopError) as info:
        k._compile_for_args(np.zeros(512, np.int32), np.zeros(512, np.int32))
    assert f'line {line_of(k_misused)}' in str(info.value)
    frames = _frames(info.value)
    assert not any("numba" in f and "dispatcher" not in f for f in frames), frames
    monkeypatch.setenv("COOP_DEBUG", "1")  # the whole traceback, for debugging coop
    with pytest.raises(coop.CoopError) as info:
        cuda.jit(k_misused)._compile_for_args(np.zeros(512, np.int32), np.zeros(512, np.int32))
    assert any("typeinfer" in f for f in _frames(info.value))
