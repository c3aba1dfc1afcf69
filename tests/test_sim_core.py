"""The simulator backend's own behaviour (run with NUMBA_ENABLE_CUDASIM=1; the CPU tier runs
this file that way through tests/test_simulator_tier.py): collectives that not every thread
reaches are errors naming the primitive and the line, coop arrays behave as on the GPU, and
typing errors are the compiled kernels' errors."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR
from error_marks import MARK, line_of

pytestmark = [pytest.mark.simulator, pytest.mark.skipif(not SIMULATOR, reason="needs NUMBA_ENABLE_CUDASIM=1")]


def _raises(kernel, config, *args):
    with pytest.raises(coop.CoopError) as info:
        kernel[config](*args)
    return str(info.value)


def test_import_under_the_simulator():
    from numba.cuda.core.config import ENABLE_CUDASIM

    assert ENABLE_CUDASIM
    import cub_bindings  # noqa: F401

    assert callable(coop.block.scan)


def test_collective_after_an_early_return_is_an_error():
    @cuda.jit
    def k(d, n):
        i = cuda.grid(1)
        if i >= n:
            return
        items = coop.local.array(2, np.int32)
        coop.block.exclusive_sum(items, items)  # <- error

    msg = _raises(k, (1, 32), np.zeros(64, np.int32), 20)
    assert "coop.block.exclusive_sum" in msg
    assert f"line {line_of(k.py_func, MARK)}" in msg
    assert "threads 20..31 have returned" in msg


def test_threads_reaching_different_collectives_is_an_error():
    @cuda.jit
    def k(d):
        items = coop.local.array(2, np.int32)
        if cuda.threadIdx.x < 16:
            coop.block.exclusive_sum(items, items)
        else:
            coop.block.inclusive_sum(items, items)

    msg = _raises(k, (1, 32), np.zeros(64, np.int32))
    assert "reached different collective calls" in msg
    assert "threads 0..15" in msg and "threads 16..31" in msg


def test_collective_against_a_barrier_is_an_error():
    @cuda.jit
    def k(d):
        items = coop.local.array(2, np.int32)
        if cuda.threadIdx.x < 8:
            cuda.syncthreads()
        else:
            coop.block.reduce(items, "max")

    msg = _raises(k, (1, 32), np.zeros(64, np.int32))
    assert "coop.block.reduce" in msg and "threads 0..7 wait at a cuda.syncthreads()" in msg


def test_seed_004_early_return_then_local_allocator_15_runs():
    """Seed 004's pattern: threads past n return; the rest call a device-function allocator
    (cuda.local.array / coop.local.array) — every run correct, nothing leaks past the return."""
    @cuda.jit(device=True)
    def allocate():
        return cuda.local.array(5, np.float32)

    @cuda.jit(device=True)
    def allocate_coop():
        return coop.local.array(5, np.float32)

    @cuda.jit
    def k(out, out2, n):
        i = cuda.grid(1)
        if i >= n:
            return
        buf = allocate()
        buf[0] = 1.0
        out[i] = buf[0]
        buf2 = allocate_coop()
        buf2[0] = 2.0
        out2[i] = buf2[0]

    for _ in range(15):
        out, out2 = np.zeros(10, np.float32), np.zeros(10, np.float32)
        k[1, 10](out, out2, 7)
        np.testing.assert_array_equal(out, [1] * 7 + [0] * 3)
        np.testing.assert_array_equal(out2, [2] * 7 + [0] * 3)


def test_shared_array_is_one_per_block_and_call_site():
    @cuda.jit
    def k(out):
        a = coop.shared.array(32, np.int32)
        b = coop.shared.array(32, np.int32)
        t = cuda.threadIdx.x
        a[t] = t
        b[t] = -t
        cuda.syncthreads()
        out[cuda.blockIdx.x, t] = a[31 - t] + 100 * b[t]

    out = np.zeros((2, 32), np.int32)
    k[2, 32](out)
    t = np.arange(32)
    np.testing.assert_array_equal(out, np.stack([(31 - t) - 100 * t] * 2))


def test_thread_data_without_dtype_and_planned_temp_storage():
    @cuda.jit
    def k(d_in, d_out):
        temp = coop.TempStorage()
        td = coop.ThreadData(4)
        coop.block.load(d_in, td, temp_storage=temp)
        coop.block.inclusive_sum(td, td, temp_storage=temp)
        coop.block.store(d_out, td, temp_storage=temp)

    x = np.arange(128, dtype=np.int64)
    out = np.zeros_like(x)
    k[1, 32](x, out)
    np.testing.assert_array_equal(out, np.cumsum(x))


def test_typing_errors_are_the_compiled_kernels_errors():
    @cuda.jit
    def k(d):
        items = coop.local.array(4, np.int32)
        other = coop.local.array(4, np.float32)
        coop.block.exclusive_sum(items, other)  # <- error

    msg = _raises(k, (1, 32), np.zeros(8, np.int32))
    assert "coop.block.exclusive_sum" in msg and "mismatched dtypes" in msg
    assert f"line {line_of(k.py_func, MARK)}" in msg


def test_out_of_bounds_tile_is_an_error():
    @cuda.jit
    def k(d):
        items = coop.local.array(4, np.int32)
        coop.block.load(d, items)

    msg = _raises(k, (1, 32), np.zeros(100, np.int32))
    assert "out-of-bounds" in msg and "valid_items" in msg


def test_barriers_open_for_the_live_threads_and_count_votes():
    """A barrier opens once every thread still running waits there (threads that returned
    are not waited for), in every block; syncthreads_count/or see every live vote."""
    @cuda.jit
    def k(out, votes, n):
        buf = cuda.shared.array(64, np.int32)
        t = cuda.threadIdx.x
        if t >= n:
            return
        buf[t] = t + 100 * cuda.blockIdx.x
        cuda.syncthreads()
        v = buf[n - 1 - t]
        cuda.syncthreads()
        buf[t] = v
        cuda.syncthreads()
        out[cuda.blockIdx.x, t] = buf[t]
        c = cuda.syncthreads_count(t % 3 == 0)
        o = cuda.syncthreads_or(t == n - 1)
        if t == 0:
            votes[cuda.blockIdx.x, 0], votes[cuda.blockIdx.x, 1] = c, o

    n = 48
    out, votes = np.full((2, 64), -1, np.int32), np.zeros((2, 2), np.int32)
    k[2, 64](out, votes, n)
    t = np.arange(n)
    np.testing.assert_array_equal(out[:, :n], np.stack([n - 1 - t, n - 1 - t + 100]))
    assert (out[:, n:] == -1).all()
    np.testing.assert_array_equal(votes, [[len(range(0, n, 3)), 1]] * 2)


def test_a_failing_thread_ends_the_launch_with_its_error():
    """A thread's exception aborts the block's other threads, waiting at a barrier or at a
    collective, and is raised from the launch."""
    @cuda.jit
    def k(d):
        items = coop.local.array(2, np.int32)
        t = cuda.threadIdx.x
        if t == 5:
            d[1000] = 1  # out of range: IndexError in thread 5
        if t < 16:
            cuda.syncthreads()
        else:
            coop.block.exclusive_sum(items, items)

    for _ in range(2):  # nothing is left waiting: the next launch fails the same way
        with pytest.raises(IndexError, match=r"tid=\[5, 0, 0\]"):
            k[1, 32](np.zeros(8, np.int32))


@cuda.jit(device=True)
def _scan_in_place(items):
    coop.block.inclusive_sum(items, items)


def test_one_call_site_with_other_argument_types():
    """The same line (a device function's) called with arrays of other lengths and dtypes in
    one block: each call is typed for its own arguments."""
    @cuda.jit
    def k(o2, o4, of):
        t = cuda.threadIdx.x
        a = coop.local.array(2, np.int32)
        b = coop.local.array(4, np.int32)
        f = coop.local.array(3, np.float64)
        for i in range(2):
            a[i] = 1
        for i in range(4):
            b[i] = 2
        for i in range(3):
            f[i] = 0.5
        _scan_in_place(a)
        _scan_in_place(b)
        _scan_in_place(f)
        for i in range(2):
            o2[t * 2 + i] = a[i]
        for i in range(4):
            o4[t * 4 + i] = b[i]
        for i in range(3):
            of[t * 3 + i] = f[i]

    nt = 32
    o2, o4, of = np.zeros(2 * nt, np.int32), np.zeros(4 * nt, np.int32), np.zeros(3 * nt, np.float64)
    k[1, nt](o2, o4, of)
    np.testing.assert_array_equal(o2, np.arange(1, 2 * nt + 1))
    np.testing.assert_array_equal(o4, 2 * np.arange(1, 4 * nt + 1))
    np.testing.assert_array_equal(of, 0.5 * np.arange(1, 3 * nt + 1))


def test_an_offset_outside_the_array_is_an_error():
    """``offset=`` adds to the pointer as in C++: on the GPU an offset past the array (or a
    negative one, which a slice would wrap) is an out-of-bounds access; here an error."""
    @cuda.jit
    def k(d, start):
        items = coop.local.array(2, np.int32)
        coop.block.load(d, items, offset=start)  # <- error

    for start, says in ((70, "70 is outside the 64 items of src"), (-3, "must not be negative, got -3")):
        msg = _raises(k, (1, 32), np.zeros(64, np.int32), start)
        assert "coop.block.load: argument `offset`" in msg and says in msg
        assert f"line {line_of(k.py_func, MARK)}" in msg
    ok = np.zeros(64, np.int32)
    with pytest.raises(coop.CoopError, match="reaches item 63 of the source array, which has 63 items"):
        k[1, 32](ok, 1)  # in the array, but the tile runs past its end
