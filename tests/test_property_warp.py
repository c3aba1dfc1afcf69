"""Property tests for the warp primitives (load/store, reduce, scan, merge sort) against NumPy
references written from CUB's documentation; see tests/test_property_block.py."""

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import cuda

import coop
from property_support import pick, prop, seed_note, values

pytestmark = pytest.mark.gpu

UFUNC = {"+": np.add, "max": np.maximum, "min": np.minimum, "^": np.bitwise_xor}


def shape(data, dtypes, sim_dtypes=None):
    """(dtype, logical warp, threads in the block, items per thread): one or two physical warps."""
    seed_note()
    dt = np.dtype(pick(data, "dtype", dtypes, sim_dtypes))
    lw = pick(data, "threads_in_warp", [8, 16, 32])
    nt = pick(data, "block", [32, 64], [32])
    return dt, lw, nt, pick(data, "items_per_thread", [1, 2, 4])


@functools.cache
def _io_kernel(alg):
    @cuda.jit
    def k(d_in, d_valid, ipt_arg, lw_arg, o_raw, o_store):
        ipt = ipt_arg
        t = cuda.threadIdx.x
        off = (t // lw_arg) * lw_arg * ipt
        items = coop.local.array(ipt_arg, d_in.dtype)
        coop.warp.load(d_in[off:], items, algorithm=alg, num_valid_items=d_valid[0], oob_default=-1,
                       threads_in_warp=lw_arg)
        for i in range(ipt):
            o_raw[t * ipt + i] = items[i]
        coop.warp.store(o_store[off:], items, algorithm=alg, threads_in_warp=lw_arg)
    return k


@prop(sim=6)
@given(st.data())
def test_warp_load_store(data):
    dt, lw, nt, ipt = shape(data, [np.int32, np.float64, np.int8], [np.int16, np.float32])
    alg = pick(data, "algorithm", ["direct", "striped"])
    n, tile = nt * ipt, lw * ipt
    x = values(data, dt, n)
    valid = data.draw(st.integers(0, tile), label="valid_items")
    raw, store = cuda.device_array(n, dt), cuda.device_array(n, dt)
    _io_kernel(alg)[1, nt](cuda.to_device(x), cuda.to_device(np.array([valid], np.int32)), ipt, lw, raw, store)
    p = np.arange(n)
    w, r = p // tile, p % tile  # each logical warp's tile
    lane, i = r // ipt, r % ipt
    rank = i * lw + lane if alg == "striped" else r  # the tile item (lane, i) holds
    want = np.where(rank < valid, x[w * tile + rank], dt.type(-1))
    np.testing.assert_array_equal(raw.copy_to_host(), want)
    np.testing.assert_array_equal(store.copy_to_host(), np.where(r < valid, x, dt.type(-1)))  # stores invert loads


@functools.cache
def _reduce_scan_kernel(op):
    @cuda.jit
    def k(d_in, d_valid, d_init, lw_arg, o_red, o_sum, o_inc, o_exc):
        t = cuda.threadIdx.x
        v = d_in[t]
        r = coop.warp.reduce(v, op, valid_items=d_valid[0], threads_in_warp=lw_arg)
        s = coop.warp.sum(v, threads_in_warp=lw_arg)
        if t % lw_arg == 0:
            o_red[t // lw_arg] = r
            o_sum[t // lw_arg] = s
        o_inc[t] = coop.warp.inclusive_scan(v, op, threads_in_warp=lw_arg)
        o_exc[t] = coop.warp.exclusive_scan(v, op, initial_value=d_init[0], threads_in_warp=lw_arg)
    return k


@prop(sim=8)
@given(st.data())
def test_warp_reduce_scan(data):
    dt, lw, nt, _ = shape(data, [np.int32, np.uint8, np.int64, np.float32], [np.int16, np.uint64, np.float64])
    op = pick(data, "op", ["+", "max", "min"] + (["^"] if dt.kind in "iu" else []))
    x = values(data, dt, nt)
    valid = data.draw(st.integers(1, lw), label="valid_items")
    init = values(data, dt, 1, "initial_value")
    nw = nt // lw
    red, sm, inc, exc = (cuda.device_array(k, dt) for k in (nw, nw, nt, nt))
    _reduce_scan_kernel(op)[1, nt](cuda.to_device(x), cuda.to_device(np.array([valid], np.int32)),
                                   cuda.to_device(init), lw, red, sm, inc, exc)
    f, tiles = UFUNC[op], x.reshape(nw, lw)
    np.testing.assert_array_equal(red.copy_to_host(), f.reduce(tiles[:, :valid], axis=1, dtype=dt))
    np.testing.assert_array_equal(sm.copy_to_host(), np.add.reduce(tiles, axis=1, dtype=dt))
    np.testing.assert_array_equal(inc.copy_to_host().reshape(nw, lw), f.accumulate(tiles, axis=1, dtype=dt))
    seeded = np.concatenate([np.repeat(init, nw)[:, None], tiles], axis=1)
    np.testing.assert_array_equal(exc.copy_to_host().reshape(nw, lw), f.accumulate(seeded, axis=1, dtype=dt)[:, :-1])


@functools.cache
def _merge_kernel(op):
    @cuda.jit
    def k(d_keys, ipt_arg, lw_arg, o_keys, o_vals):
        ipt = ipt_arg
        t = cuda.threadIdx.x
        keys = coop.local.array(ipt_arg, d_keys.dtype)
        vals = coop.local.array(ipt_arg, np.int32)
        for i in range(ipt):
            keys[i] = d_keys[t * ipt + i]
            vals[i] = t * ipt + i
        coop.warp.merge_sort_pairs(keys, vals, compare_op=op, threads_in_warp=lw_arg, stable=True)
        for i in range(ipt):
            o_keys[t * ipt + i] = keys[i]
            o_vals[t * ipt + i] = vals[i]
    return k


@prop(sim=6)
@given(st.data())
def test_warp_merge_sort(data):
    dt, lw, nt, ipt = shape(data, [np.int32, np.float64, np.uint16], [np.int8, np.float32])
    op = pick(data, "compare_op", ["<", ">"])
    n, tile = nt * ipt, lw * ipt
    x = values(data, dt, n, lo=-5, hi=5)
    ok, ov = cuda.device_array(n, dt), cuda.device_array(n, np.int32)
    _merge_kernel(op)[1, nt](cuda.to_device(x), ipt, lw, ok, ov)
    order = np.concatenate([w * tile + np.array(sorted(range(tile), key=lambda j: x[w * tile + j], reverse=op == ">"),
                                                dtype=np.int64) for w in range(nt // lw)])  # stable, per warp
    np.testing.assert_array_equal(ov.copy_to_host(), order)
    np.testing.assert_array_equal(ok.copy_to_host(), x[order])
