"""The warp collectives under the simulator (NUMBA_ENABLE_CUDASIM=1): logical warps by linear
thread id, what CUB leaves undefined kept as it was, operators in lane order, and the misuse
only the simulator can report (lanes of a logical warp that diverge, partial logical warps,
``valid_items`` past the warp or differing between lanes)."""

import re

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


@cuda.jit(device=True)
def last(a, b):  # associative, not commutative: a reduction in lane order gives the last lane's item
    return b


@cuda.jit(device=True)
def first(a, b):
    return a


# --------------------------------------------------------------------------- divergence


@pytest.mark.parametrize("lw", [8, 16, 32])
def test_lanes_skipping_a_warp_collective_is_an_error(lw):
    @cuda.jit
    def k(d):
        lane = cuda.threadIdx.x % lw
        if lane < 3:
            d[cuda.threadIdx.x] = coop.warp.sum(d[cuda.threadIdx.x], threads_in_warp=lw)  # <- error

    msg = _raises(k, (1, 64), np.ones(64, np.int32))
    assert "coop.warp.sum" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert f"({lw} threads)" in msg
    a, b = map(int, re.search(r"threads (\d+)\.\.(\d+) have returned", msg).groups())
    assert a % lw == 3 and b == a - 3 + lw - 1, msg  # lanes 3.. of one logical warp


@pytest.mark.parametrize("lw", [8, 16, 32])
def test_lanes_reaching_different_warp_collectives_is_an_error(lw):
    @cuda.jit
    def k(d):
        t = cuda.threadIdx.x
        if t % lw < lw // 2:
            d[t] = coop.warp.max(d[t], threads_in_warp=lw)
        d[t] = coop.warp.min(d[t], threads_in_warp=lw)

    msg = _raises(k, (1, 64), np.ones(64, np.int32))
    assert "reached different collective calls" in msg
    assert "coop.warp.max" in msg or "coop.warp.min" in msg
    spans = sorted((int(a), int(b)) for a, b in re.findall(r"\(threads (\d+)\.\.(\d+)\)", msg))
    base = spans[0][0]
    assert base % lw == 0 and spans == [(base, base + lw // 2 - 1), (base + lw // 2, base + lw - 1)], msg


@pytest.mark.parametrize("lw", [8, 16, 32])
def test_a_warp_collective_in_one_warp_only_is_legal(lw):
    """``if warp_id == 0:``: every lane of that logical warp makes the call; the others none."""
    @cuda.jit
    def k(d, out, agg):
        t = cuda.threadIdx.x
        a = coop.local.array(1, np.int32)
        if t // lw == 0:
            out[t] = coop.warp.inclusive_sum(d[t], warp_aggregate=a, threads_in_warp=lw)
            s = coop.warp.sum(d[t], threads_in_warp=lw)
            if t == 0:
                agg[0] = a[0]
                agg[1] = s

    h = np.arange(64, dtype=np.int32)
    out, agg = np.full(64, -1, np.int32), np.zeros(2, np.int32)
    k[1, 64](h, out, agg)
    np.testing.assert_array_equal(out[:lw], np.cumsum(h[:lw]))
    np.testing.assert_array_equal(out[lw:], -1)
    assert list(agg) == [h[:lw].sum()] * 2


def test_partial_logical_warp_is_an_error():
    @cuda.jit
    def k(d):
        d[cuda.threadIdx.x] = coop.warp.sum(d[cuda.threadIdx.x])  # <- error

    msg = _raises(k, (1, 48), np.ones(48, np.int32))
    assert "coop.warp.sum" in msg and "threads_in_warp" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert "logical warp 1 (threads 32..47) has only 16 of its 32 lanes" in msg


def test_logical_warps_of_a_2d_block_follow_the_linear_thread_id():
    @cuda.jit
    def k(d, out):
        t = cuda.threadIdx.x + cuda.threadIdx.y * cuda.blockDim.x
        out[t] = coop.warp.inclusive_sum(d[t], threads_in_warp=8)

    h = np.arange(64, dtype=np.int64) % 5
    out = np.zeros(64, np.int64)
    k[1, (4, 16)](h, out)
    np.testing.assert_array_equal(out.reshape(8, 8), np.cumsum(h.reshape(8, 8), axis=1))


# --------------------------------------------------------------------------- valid_items and uniform arguments


def test_reduce_valid_items_past_the_warp_is_an_error():
    @cuda.jit
    def k(d, n):
        d[cuda.threadIdx.x] = coop.warp.sum(d[cuda.threadIdx.x], valid_items=n, threads_in_warp=16)  # <- error

    msg = _raises(k, (1, 32), np.ones(32, np.int32), 17)  # an int: checked as the compiler checks a constant
    assert "coop.warp.sum" in msg and "`valid_items`: 17 is more than the 16 threads" in msg
    assert f"line {line_of(k.py_func, MARK)}" in msg

    @cuda.jit
    def k2(d, n):
        d[cuda.threadIdx.x] = coop.warp.max(d[cuda.threadIdx.x], valid_items=n[0], threads_in_warp=16)  # <- error

    msg = _raises(k2, (1, 32), np.ones(32, np.int32), np.array([17], np.int32))  # a run-time value
    assert "coop.warp.max" in msg and "valid_items=17 is more than the 16 lanes" in msg
    assert f"line {line_of(k2.py_func, MARK)}" in msg


def test_valid_items_differing_between_lanes_is_an_error():
    @cuda.jit
    def k(d):
        t = cuda.threadIdx.x
        d[t] = coop.warp.inclusive_scan(d[t], "max", valid_items=t % 2 + 3, threads_in_warp=8)

    msg = _raises(k, (1, 8), np.ones(8, np.int32))
    assert "coop.warp.inclusive_scan" in msg and "`valid_items` differs between the threads" in msg


def test_initial_value_differing_between_lanes_is_an_error():
    @cuda.jit
    def k(d):
        t = cuda.threadIdx.x
        d[t] = coop.warp.exclusive_scan(d[t], "+", initial_value=t, threads_in_warp=8)

    msg = _raises(k, (1, 8), np.ones(8, np.int32))
    assert "coop.warp.exclusive_scan" in msg and "`initial_value` differs" in msg


def test_partial_reductions_and_scans():
    """valid_items limits a reduction to the first lanes (lane 0's result) and a scan to the
    first lanes (the others keep their outputs; the aggregate is the valid lanes' total); with
    no valid lane, the aggregate is undefined and kept."""
    @cuda.jit
    def k(d, n, red, inc, exc, agg):
        t = cuda.threadIdx.x
        a = coop.local.array(1, np.int32)
        a[0] = 77
        r = coop.warp.reduce(d[t], last, valid_items=n, threads_in_warp=8)
        inc[t] = coop.warp.inclusive_scan(d[t], "+", initial_value=100, valid_items=n, warp_aggregate=a,
                                          threads_in_warp=8)
        exc[t] = coop.warp.exclusive_sum(d[t], valid_items=n, threads_in_warp=8)
        agg[t] = a[0]
        if t % 8 == 0:
            red[t // 8] = r

    h = np.arange(1, 17, dtype=np.int32)
    for n in (5, 0):
        red, inc, exc, agg = np.zeros(2, np.int32), np.full(16, -1, np.int32), np.full(16, -1, np.int32), \
            np.zeros(16, np.int32)
        k[1, 16](h, n, red, inc, exc, agg)
        w = h.reshape(2, 8)
        if n:
            np.testing.assert_array_equal(red, w[:, n - 1])  # lane order: the last valid lane's item
            np.testing.assert_array_equal(inc.reshape(2, 8)[:, :n], 100 + np.cumsum(w[:, :n], axis=1))
            np.testing.assert_array_equal(exc.reshape(2, 8)[:, :n], np.cumsum(w[:, :n], axis=1) - w[:, :n])
            np.testing.assert_array_equal(agg.reshape(2, 8), np.repeat(w[:, :n].sum(axis=1)[:, None], 8, axis=1))
        else:
            np.testing.assert_array_equal(red, w[:, 0])  # nothing reduced: lane 0 keeps its input (undefined)
            np.testing.assert_array_equal(agg, 77)
        # lanes past valid_items: the outputs CUB leaves unwritten (a fresh output: zero here)
        np.testing.assert_array_equal(inc.reshape(2, 8)[:, n:], 0)
        np.testing.assert_array_equal(exc.reshape(2, 8)[:, n:], 0)


# --------------------------------------------------------------------------- operator order, segments, broadcast


def test_non_commutative_operators_apply_in_lane_order():
    @cuda.jit
    def k(d, red_last, red_first, inc, exc, seg):
        t = cuda.threadIdx.x
        v = d[t]
        rl = coop.warp.reduce(v, last, threads_in_warp=16)
        rf = coop.warp.reduce(v, first, threads_in_warp=16)
        i, e = coop.warp.scan(v, last, initial_value=-5, threads_in_warp=16)
        inc[t] = i
        exc[t] = e
        seg[t] = coop.warp.tail_segmented_reduce(v, t % 4 == 2, last, threads_in_warp=16)
        if t % 16 == 0:
            red_last[t // 16] = rl
            red_first[t // 16] = rf

    h = (np.arange(32) * 7 % 13).astype(np.int16)
    rl, rf, inc, exc, seg = (np.zeros(2, np.int16), np.zeros(2, np.int16), np.zeros(32, np.int16),
                             np.zeros(32, np.int16), np.zeros(32, np.int16))
    k[1, 32](h, rl, rf, inc, exc, seg)
    w = h.reshape(2, 16)
    np.testing.assert_array_equal(rl, w[:, -1])
    np.testing.assert_array_equal(rf, w[:, 0])
    np.testing.assert_array_equal(inc, h)
    np.testing.assert_array_equal(exc.reshape(2, 16)[:, 1:], w[:, :-1])
    np.testing.assert_array_equal(exc.reshape(2, 16)[:, 0], -5)
    # tails at lanes 2, 6, 10, 14 (and 15): segments start at 0, 3, 7, 11, 15 and end at 2, 6, 10, 14, 15
    heads, ends = [0, 3, 7, 11, 15], [2, 6, 10, 14, 15]
    np.testing.assert_array_equal(seg.reshape(2, 16)[:, heads], w[:, ends])


def test_head_segmented_lane0_flag_ignored_and_other_lanes_own_input():
    @cuda.jit
    def k(d, flags, out):
        t = cuda.threadIdx.x
        out[t] = coop.warp.head_segmented_sum(d[t], flags[t], threads_in_warp=8)

    h = np.arange(1, 9, dtype=np.int32)
    flags = np.array([1, 0, 0, 1, 0, 1, 0, 0], np.int32)
    out = np.zeros(8, np.int32)
    k[1, 8](h, flags, out)
    assert list(out[[0, 3, 5]]) == [1 + 2 + 3, 4 + 5, 6 + 7 + 8]
    assert list(out[[1, 2, 4, 6, 7]]) == [2, 3, 5, 7, 8]  # undefined in CUB: their own input here


def test_broadcast_runtime_lanes_per_lane_and_modulo():
    @cuda.jit
    def k(d, out, far):
        t = cuda.threadIdx.x
        out[t] = coop.warp.broadcast(d[t], (t * 3) % 8 + far, threads_in_warp=8)

    h = np.arange(100, 116, dtype=np.float32)
    out = np.zeros(16, np.float32)
    k[1, 16](h, out, 8)  # lane l reads lane (3l mod 8) + 8, i.e. 3l mod 8
    lanes = np.arange(16) % 8
    np.testing.assert_array_equal(out, h[(np.arange(16) // 8) * 8 + (lanes * 3) % 8])


def test_batched_results_without_a_batch_are_kept():
    @cuda.jit
    def k(d, striped, blocked):
        t = cuda.threadIdx.x
        a = coop.local.array(5, np.int64)
        r = coop.local.array(2, np.int64)
        for b in range(5):
            a[b] = d[t] * 10 + b
        r[0] = -1
        r[1] = -1
        coop.warp.sum_batched(a, r, threads_in_warp=4)
        striped[2 * t] = r[0]
        striped[2 * t + 1] = r[1]
        r[0] = -1
        r[1] = -1
        coop.warp.reduce_batched(a, r, last, arrangement="blocked", threads_in_warp=4)
        blocked[2 * t] = r[0]
        blocked[2 * t + 1] = r[1]

    h = np.arange(8, dtype=np.int64)
    striped, blocked = np.zeros(16, np.int64), np.zeros(16, np.int64)
    k[1, 8](h, striped, blocked)
    x = (h[:, None] * 10 + np.arange(5)).reshape(2, 4, 5)  # warp, lane, batch
    sums, lasts = x.sum(axis=1), x[:, -1, :]
    s, b = striped.reshape(2, 4, 2), blocked.reshape(2, 4, 2)
    for lane in range(4):
        for j in range(2):
            bs, bb = lane + 4 * j, lane * 2 + j
            np.testing.assert_array_equal(s[:, lane, j], sums[:, bs] if bs < 5 else -1)
            np.testing.assert_array_equal(b[:, lane, j], lasts[:, bb] if bb < 5 else -1)


pair = np.dtype([("lo", np.int32), ("hi", np.int32)], align=True)


@cuda.jit(device=True)
def pair_max(a, b):  # lexicographic max of a record
    return a if (a.hi > b.hi or (a.hi == b.hi and a.lo >= b.lo)) else b


def test_array_inputs_and_record_items():
    """An array input is reduced per lane first (CUB's ThreadReduce); records go through a
    device-function operator and a warp scan."""
    @cuda.jit
    def k(d, recs, sums, best, scanned):
        t = cuda.threadIdx.x
        a = coop.local.array(3, np.int32)
        for i in range(3):
            a[i] = d[3 * t + i]
        s = coop.warp.sum(a, threads_in_warp=8)
        r = coop.warp.reduce(recs[t], pair_max, threads_in_warp=8)
        scanned[t] = coop.warp.inclusive_scan(recs[t], pair_max, threads_in_warp=8)
        if t % 8 == 0:
            sums[t // 8] = s
            best[t // 8] = r

    rng = np.random.default_rng(3)
    h = rng.integers(-50, 50, 48).astype(np.int32)
    recs = np.zeros(16, pair)
    recs["lo"], recs["hi"] = rng.integers(0, 100, 16), rng.integers(0, 3, 16)
    sums, best, scanned = np.zeros(2, np.int32), np.zeros(2, pair), np.zeros(16, pair)
    k[1, 16](h, recs, sums, best, scanned)
    np.testing.assert_array_equal(sums, h.reshape(2, 24).sum(axis=1))
    key = (recs["hi"].astype(np.int64) * 1000 + recs["lo"]).reshape(2, 8)
    np.testing.assert_array_equal(best["hi"].astype(np.int64) * 1000 + best["lo"], key.max(axis=1))
    got = (scanned["hi"].astype(np.int64) * 1000 + scanned["lo"]).reshape(2, 8)
    np.testing.assert_array_equal(got, np.maximum.accumulate(key, axis=1))
