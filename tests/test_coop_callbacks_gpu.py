"""GPU tier for stateful prefix callbacks in the earlier cuda.coop API's forms: a class with
``__call__(self_ptr, block_aggregate)`` and a Numba extension type, its state in a 1-element
array passed as ``prefix_op`` (single-phase), or the class named on the host by
``coop.StatefulFunction(cls, state_type, name=...)`` (two-phase); next to the current
``coop.StatefulOp(fn, state)``. Results against NumPy scans of the block's tiles in order
(CUB BlockScan: the callback is called once per tile by the first warp with the tile's
aggregate; thread 0's return value is the tile's prefix). A sample of the grid by default,
the whole grid with COOP_FULL_GRID=1; small blocks under the CUDA simulator.

The extension types are defined here (the CPU tier and the misuse catalogue import them);
under the simulator the classes run as Python, so only their ``typeof`` is registered.
"""

import os
from functools import reduce
from operator import mul

import numba
import numpy as np
import pytest
from numba import cuda
from numba.cuda import types
from numba.cuda.typing.typeof import typeof_impl

import coop
from backend import SIMULATOR, blocks, cases

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))
rng = np.random.default_rng(11)


# --------------------------------------------------------------------------- the callback classes


class PrefixState:
    """A running total and the number of calls (the earlier API's example)."""

    def __init__(self, running_total, call_count):
        self.running_total, self.call_count = running_total, call_count

    def __call__(self_ptr, block_aggregate):
        old = self_ptr[0].running_total
        self_ptr[0] = PrefixState(old + block_aggregate, self_ptr[0].call_count + 1)
        return old


class MaxPrefix:
    """A running maximum: the prefix of a max-scan across tiles."""

    def __init__(self, running_max, call_count):
        self.running_max, self.call_count = running_max, call_count

    def __call__(self_ptr, block_aggregate):
        old = self_ptr[0].running_max
        self_ptr[0] = MaxPrefix(max(old, block_aggregate), self_ptr[0].call_count + 1)
        return old


class PrefixStateType(types.Type):
    def __init__(self):
        super().__init__(name="PrefixState")


class MaxPrefixType(types.Type):
    def __init__(self):
        super().__init__(name="MaxPrefix")


class OrphanType(types.Type):
    """An extension type no callback class is registered for (the misuse catalogue)."""

    def __init__(self):
        super().__init__(name="Orphan")


prefix_state_type, max_prefix_type, orphan_type = PrefixStateType(), MaxPrefixType(), OrphanType()


@typeof_impl.register(PrefixState)
def _typeof_prefix_state(val, c):
    return prefix_state_type


@typeof_impl.register(MaxPrefix)
def _typeof_max_prefix(val, c):
    return max_prefix_type


def _define(cls, ty, fields):
    """The Numba side of ``cls``: constructor typing and lowering, data model, attributes."""
    from numba.cuda import cgutils
    from numba.cuda.extending import lower_builtin, make_attribute_wrapper, models, register_model, type_callable

    @type_callable(cls)
    def _type_ctor(context):
        def typer(value, call_count):
            if isinstance(value, types.Number) and isinstance(call_count, types.Integer):
                return ty
        return typer

    @register_model(type(ty))
    class _Model(models.StructModel):
        def __init__(self, dmm, fe_type):
            super().__init__(dmm, fe_type, list(fields))

    for name, _ in fields:
        make_attribute_wrapper(type(ty), name, name)

    @lower_builtin(cls, types.Number, types.Integer)
    def _lower(context, builder, sig, args):
        s = cgutils.create_struct_proxy(sig.return_type)(context, builder)
        for (name, fty), a, aty in zip(fields, args, sig.args):
            setattr(s, name, context.cast(builder, a, aty, fty))
        return s._getvalue()


if not SIMULATOR:  # the simulator runs the classes as Python
    _define(PrefixState, prefix_state_type, (("running_total", types.int64), ("call_count", types.int64)))
    _define(MaxPrefix, max_prefix_type, (("running_max", types.int64), ("call_count", types.int64)))


# --------------------------------------------------------------------------- references

INT_MIN = -(1 << 31)


def scan_reference(h, mode, op, seed):
    """Each block's tiles scanned in order as one sequence, seeded with ``seed``."""
    f = np.add if op != "max" else np.maximum
    acc = f.accumulate(np.concatenate([[seed], h]).astype(np.int64))
    return (acc[:-1] if mode == "exclusive" else acc[1:]).astype(h.dtype)


@cuda.jit(device=True)
def dev_add(a, b):
    return a + b


def _threads(t):
    return t if isinstance(t, int) else reduce(mul, t)


def _flat_tid():
    return cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)


# --------------------------------------------------------------------------- single-phase: the state array


OPS = ["+", "max", "dev_add"]
GRID = [(m, op, ipt, t, dt) for m in ["exclusive", "inclusive"] for op in OPS for ipt in [1, 4]
        for t in [32, 128, (4, 16)] for dt in [np.int32, np.int64]]
SAMPLE = [g for k, g in enumerate(GRID) if k % 5 == 0]
SIM = [("exclusive", "+", 4, 32, np.int32), ("inclusive", "max", 1, (8, 4), np.int64),
       ("exclusive", "dev_add", 2, 64, np.int32)]


def _sp_kernel(mode, op, ipt, tiles):
    scan_op = dev_add if op == "dev_add" else op
    state_type = max_prefix_type if op == "max" else prefix_state_type
    state_class = MaxPrefix if op == "max" else PrefixState
    seed = INT_MIN if op == "max" else 0
    scalar = ipt == 1

    @cuda.jit
    def k(d_in, d_out, d_calls):
        tid = _flat_tid()
        nthreads = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        p = coop.local.array(1, dtype=state_type)
        p[0] = state_class(seed, 0)
        items = coop.local.array(ipt, d_in.dtype)
        block_base = cuda.blockIdx.x * tiles * nthreads * ipt
        for t in range(tiles):
            base = block_base + (t * nthreads + tid) * ipt
            if scalar:
                d_out[base] = coop.block.scan(d_in[base], mode=mode, scan_op=scan_op, prefix_op=p)
            else:
                for i in range(ipt):
                    items[i] = d_in[base + i]
                coop.block.scan(items, items, ipt, mode=mode, scan_op=scan_op, prefix_op=p)
                for i in range(ipt):
                    d_out[base + i] = items[i]
        if tid == 0:
            d_calls[cuda.blockIdx.x] = p[0].call_count

    return k, seed


@pytest.mark.parametrize("mode, op, ipt, threads, dtype", cases(GRID if FULL else SAMPLE, SIM))
def test_single_phase_state_array(mode, op, ipt, threads, dtype):
    tiles, nblocks = 3, blocks(3)
    k, seed = _sp_kernel(mode, op, ipt, tiles)
    n = _threads(threads) * ipt * tiles
    h = rng.integers(-50, 50, n * nblocks).astype(dtype)
    d_out, d_calls = cuda.device_array(h.size, dtype), cuda.device_array(nblocks, np.int64)
    k[nblocks, threads](cuda.to_device(h), d_out, d_calls)
    out = d_out.copy_to_host()
    for b in range(nblocks):  # each block keeps its own state
        seg = slice(b * n, (b + 1) * n)
        np.testing.assert_array_equal(out[seg], scan_reference(h[seg], mode, op, seed))
    np.testing.assert_array_equal(d_calls.copy_to_host(), tiles)


# --------------------------------------------------------------------------- two-phase: StatefulFunction


TP_GRID = [(form, m, ipt) for form in ["scan", "sum", "make_sum", "scan_like"] for m in ["exclusive", "inclusive"]
           for ipt in [1, 4]]
TP_SIM = [("scan", "exclusive", 1), ("make_sum", "inclusive", 4), ("scan_like", "exclusive", 2)]


def _two_phase(form, mode, threads, ipt, sf):
    if form == "scan":
        return coop.block.scan(dtype=numba.int32, threads_per_block=threads, items_per_thread=ipt, mode=mode,
                               scan_op="+", prefix_op=sf)
    if form == "sum":
        return getattr(coop.block, f"{mode}_sum")(numba.int32, threads, ipt, prefix_op=sf)
    if form == "make_sum":
        return getattr(coop.block, f"make_{mode}_sum")(dtype=numba.int32, threads_per_block=threads,
                                                       items_per_thread=ipt, prefix_op=sf)
    return getattr(coop.block, f"{mode}_scan")(numba.int32, threads, dev_add, items_per_thread=ipt, prefix_op=sf)


@pytest.mark.parametrize("form, mode, ipt", cases(TP_GRID, TP_SIM))
def test_two_phase_stateful_function(form, mode, ipt):
    threads, tiles = (64 if SIMULATOR else 128), 4
    sf = coop.StatefulFunction(PrefixState, prefix_state_type, name="prefix_state")
    block_scan = _two_phase(form, mode, threads, ipt, sf)
    items_per_block = threads * ipt

    @cuda.jit
    def k(d_in, d_out, d_calls):
        tid = cuda.threadIdx.x
        block_prefix_op = coop.local.array(1, dtype=prefix_state_type)
        block_prefix_op[0] = PrefixState(0, 0)
        block_offset = 0
        while block_offset < d_in.size:  # the earlier API's grid-stride form
            thread_data = coop.local.array(ipt, dtype=d_in.dtype)
            for i in range(ipt):
                thread_data[i] = d_in[block_offset + tid * ipt + i]
            block_scan(thread_data, thread_data, prefix_op=block_prefix_op)
            for i in range(ipt):
                d_out[block_offset + tid * ipt + i] = thread_data[i]
            block_offset += items_per_block
            cuda.syncthreads()
        if tid == 0:
            d_calls[0] = block_prefix_op[0].call_count

    h = rng.integers(0, 4, items_per_block * tiles).astype(np.int32)
    d_out, d_calls = cuda.device_array_like(h), cuda.device_array(1, np.int64)
    k[1, threads](cuda.to_device(h), d_out, d_calls)
    np.testing.assert_array_equal(d_out.copy_to_host(), scan_reference(h, mode, "+", 0))
    assert d_calls.copy_to_host()[0] == tiles


# --------------------------------------------------------------------------- all three forms in one kernel


def running_total(state, block_aggregate):
    old = state[0]
    state[0] += block_aggregate
    return old


def test_the_three_forms_agree():
    """StatefulOp(fn, state), StatefulFunction(fn, state) (its in-kernel spelling) and the
    state array of a class, over the same tiles: the same running prefix."""
    threads, ipt, tiles = (32 if SIMULATOR else 128), 2, 3

    @cuda.jit
    def k(d_in, d_out):
        tid = cuda.threadIdx.x
        s1 = coop.local.array(1, d_in.dtype)
        s1[0] = 0
        s2 = coop.local.array(1, d_in.dtype)
        s2[0] = 0
        p = coop.local.array(1, dtype=prefix_state_type)
        p[0] = PrefixState(0, 0)
        items = coop.local.array(ipt, d_in.dtype)
        n = threads * ipt * tiles
        for t in range(tiles):
            base = (t * threads + tid) * ipt
            coop.block.load(d_in[t * threads * ipt:], items)
            coop.block.exclusive_sum(items, items, prefix_op=coop.StatefulOp(running_total, s1))
            coop.block.store(d_out[t * threads * ipt:], items)
            coop.block.load(d_in[t * threads * ipt:], items)
            coop.block.exclusive_sum(items, items, prefix_op=coop.StatefulFunction(running_total, s2))
            coop.block.store(d_out[n + t * threads * ipt:], items)
            coop.block.load(d_in[t * threads * ipt:], items)
            coop.block.exclusive_sum(items, items, prefix_op=p)
            coop.block.store(d_out[2 * n + t * threads * ipt:], items)

    h = rng.integers(-9, 10, threads * ipt * tiles).astype(np.int64)
    d_out = cuda.device_array(3 * h.size, np.int64)
    k[1, threads](cuda.to_device(h), d_out)
    ref = scan_reference(h, "exclusive", "+", 0)
    np.testing.assert_array_equal(d_out.copy_to_host(), np.concatenate([ref, ref, ref]))


# --------------------------------------------------------------------------- simulator-only reports


@pytest.mark.simulator
@pytest.mark.skipif(not SIMULATOR, reason="the simulator's own report (on the GPU: garbage, undetected)")
def test_unset_state_is_reported_by_the_simulator():
    @cuda.jit
    def k(d_in, d_out):
        p = coop.local.array(1, dtype=prefix_state_type)  # p[0] never set
        x = coop.block.scan(d_in[cuda.threadIdx.x], prefix_op=p)
        d_out[cuda.threadIdx.x] = x

    h = np.arange(32, dtype=np.int32)
    with pytest.raises(coop.CoopError, match="prefix_op state holds None"):
        k[1, 32](cuda.to_device(h), cuda.device_array_like(h))


# --------------------------------------------------------------------------- CUDA vector types as items

try:  # numba-cuda's Numba vector types (not importable under the simulator)
    from numba.cuda.vector_types import vector_types
except (ImportError, AttributeError):
    vector_types = {}

not_simulated_vectors = pytest.mark.skipif(
    SIMULATOR, reason="numba-cuda's simulator has no Numba vector types (numba.cuda.vector_types does not import)")


@cuda.jit(device=True)
def add_f2(a, b):
    return cuda.float32x2(a.x + b.x, a.y + b.y)


@cuda.jit(device=True)
def add_i4(a, b):
    return cuda.int32x4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w)


@cuda.jit(device=True)
def zero_f2():
    return cuda.float32x2(0, 0)


@cuda.jit(device=True)
def zero_i4():
    return cuda.int32x4(0, 0, 0, 0)


@cuda.jit(device=True)
def read_f2(d, i):
    return cuda.float32x2(d[2 * i], d[2 * i + 1])


@cuda.jit(device=True)
def read_i4(d, i):
    return cuda.int32x4(d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3])


@cuda.jit(device=True)
def write_f2(d, i, v):
    d[2 * i] = v.x
    d[2 * i + 1] = v.y


@cuda.jit(device=True)
def write_i4(d, i, v):
    d[4 * i] = v.x
    d[4 * i + 1] = v.y
    d[4 * i + 2] = v.z
    d[4 * i + 3] = v.w


VECTORS = {"float32x2": (np.float32, 2, add_f2, zero_f2, read_f2, write_f2),
           "int32x4": (np.int32, 4, add_i4, zero_i4, read_i4, write_i4)}


def _vector_kernel(name, threads, ipt, two_phase):
    base, n, add, zero, read, write = VECTORS[name]
    vt = vector_types[name]
    tile = threads * ipt
    tp_load = coop.block.load(vt, threads, ipt, "transpose") if two_phase else None
    tp_scan = coop.block.inclusive_scan(vt, threads, add, items_per_thread=ipt) if two_phase else None

    @cuda.jit
    def k(d_in, d_scan, d_incl, d_striped, d_total):
        tid = cuda.threadIdx.x
        src = coop.shared.array(tile, vt)  # the tile as vector items (a host array cannot hold them)
        for i in range(ipt):
            src[i * threads + tid] = read(d_in, i * threads + tid)
        cuda.syncthreads()
        items = coop.local.array(ipt, vt)
        if two_phase:
            tp_load(src, items)
        else:
            coop.block.load(src, items, algorithm="striped")
            coop.block.exchange(items, block_exchange_type="StripedToBlocked")  # loaded blocked either way
        out = coop.local.array(ipt, vt)
        coop.block.exclusive_scan(items, out, add, initial_value=zero())
        for i in range(ipt):
            write(d_scan, tid * ipt + i, out[i])
        if two_phase:
            tp_scan(items, out)
        else:
            coop.block.inclusive_scan(items, out, add)
        for i in range(ipt):
            write(d_incl, tid * ipt + i, out[i])
        total = coop.block.reduce(items, add)
        if tid == 0:
            write(d_total, 0, total)
        coop.block.exchange(items, block_exchange_type="BlockedToStriped")
        dst = coop.shared.array(tile, vt)
        coop.block.store(dst, items)  # blocked: thread t's item j at t * ipt + j
        cuda.syncthreads()
        for i in range(ipt):
            write(d_striped, i * threads + tid, dst[i * threads + tid])

    return k


VECTOR_GRID = [(name, t, ipt, tp) for name in VECTORS for t in [32, 128] for ipt in [1, 3] for tp in [False, True]]


@not_simulated_vectors
@pytest.mark.parametrize("name, threads, ipt, two_phase", VECTOR_GRID if FULL else VECTOR_GRID[::3])
def test_vector_items(name, threads, ipt, two_phase):
    """Load, exchange, scans, reduce and store of float32x2 / int32x4 items: componentwise
    NumPy references (the operator adds components)."""
    base, n = VECTORS[name][:2]
    k = _vector_kernel(name, threads, ipt, two_phase)
    tile = threads * ipt
    h = rng.integers(-20, 20, (tile, n)).astype(base)
    outs = [cuda.device_array(tile * n, base) for _ in range(3)] + [cuda.device_array(n, base)]
    k[1, threads](cuda.to_device(h.reshape(-1)), *outs)
    scan, incl, striped, total = (o.copy_to_host() for o in outs)
    ref_incl = np.cumsum(h, axis=0, dtype=base)
    np.testing.assert_array_equal(scan.reshape(tile, n), ref_incl - h)
    np.testing.assert_array_equal(incl.reshape(tile, n), ref_incl)
    np.testing.assert_array_equal(total, h.sum(axis=0, dtype=base))
    # after BlockedToStriped thread t's item j is tile item j * threads + t; stored blocked at t * ipt + j
    np.testing.assert_array_equal(striped.reshape(threads, ipt, n), h.reshape(ipt, threads, n).transpose(1, 0, 2))
