"""Property tests for the block primitives: hypothesis draws the dtype, block shape, items per
thread, valid items, operator and data; each result is checked against a NumPy reference
written here from CUB's documentation. Runs on the GPU and under the simulator
(tests/property_support.py sizes the examples; COOP_PROPERTY_SEED varies them)."""

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import cuda

import coop
from property_support import full_range, nthreads, pick, prop, seed_note, values

pytestmark = pytest.mark.gpu

DIMS = [32, 64, (16, 4), 128]  # GPU; the simulator keeps to <= 64 threads
SIM_DIMS = [32, (8, 4), 64]
IPTS = [1, 3, 4]
UFUNC = {"+": np.add, "max": np.maximum, "min": np.minimum, "^": np.bitwise_xor, "-": np.subtract}


@cuda.jit(device=True)
def linear_tid():
    return cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)


def shape(data, dtypes, sim_dtypes=None, dims=DIMS, sim_dims=SIM_DIMS, ipts=IPTS):
    seed_note()
    dt = np.dtype(pick(data, "dtype", dtypes, sim_dtypes))
    d = pick(data, "block", dims, sim_dims)
    return dt, d, nthreads(d), pick(data, "items_per_thread", ipts)


# --------------------------------------------------------------------------- load / store / exchange


@functools.cache
def _io_kernel(load_alg, store_alg):
    @cuda.jit
    def k(d_in, d_valid, d_oob, ipt_arg, o_raw, o_exch, o_store):
        ipt = ipt_arg
        t = linear_tid()
        valid = d_valid[0]
        items = coop.local.array(ipt_arg, d_in.dtype)
        ex = coop.local.array(ipt_arg, d_in.dtype)
        coop.block.load(d_in, items, algorithm=load_alg, num_valid_items=valid, oob_default=d_oob[0])
        for i in range(ipt):
            o_raw[t * ipt + i] = items[i]
        cuda.syncthreads()
        coop.block.exchange(items, ex, block_exchange_type="blocked_to_striped")
        for i in range(ipt):
            o_exch[t * ipt + i] = ex[i]
        cuda.syncthreads()
        coop.block.store(o_store, items, algorithm=store_alg, num_valid_items=valid)
    return k


@prop(sim=6)
@given(st.data())
def test_load_exchange_store(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.float64, np.uint8], [np.int16, np.float32])
    la = pick(data, "load_algorithm", ["direct", "striped", "warp_transpose", "transpose"])
    sa = pick(data, "store_algorithm", ["direct", "warp_transpose", "transpose"])
    n = nt * ipt
    x = values(data, dt, n)
    valid = data.draw(st.integers(0, n), label="valid_items")
    oob = dt.type(7)
    raw, exch = np.zeros(n, dt), np.zeros(n, dt)
    store = cuda.to_device(np.full(n, 9, dt))
    _io_kernel(la, sa)[1, dims](cuda.to_device(x), cuda.to_device(np.array([valid], np.int32)),
                                cuda.to_device(np.array([oob])), ipt, raw_d := cuda.to_device(raw),
                                exch_d := cuda.to_device(exch), store)
    p = np.arange(n)
    t, i = p // ipt, p % ipt
    src = i * nt + t if la == "striped" else p  # which input item (thread t, item i) holds
    want = np.where(src < valid, x[np.minimum(src, n - 1)], oob)
    np.testing.assert_array_equal(raw_d.copy_to_host(), want)
    np.testing.assert_array_equal(exch_d.copy_to_host(), want[i * nt + t])  # blocked -> striped
    got = store.copy_to_host()  # the blocked tile, first `valid` items only
    np.testing.assert_array_equal(got[:valid], want[:valid])
    assert (got[valid:] == 9).all()


# --------------------------------------------------------------------------- scan


@functools.cache
def _scan_kernel(op):
    @cuda.jit
    def k(d_in, d_init, ipt_arg, o_inc, o_exc):
        ipt = ipt_arg
        t = linear_tid()
        items = coop.local.array(ipt_arg, d_in.dtype)
        out = coop.local.array(ipt_arg, d_in.dtype)
        for i in range(ipt):
            items[i] = d_in[t * ipt + i]
        coop.block.inclusive_scan(items, out, op)
        for i in range(ipt):
            o_inc[t * ipt + i] = out[i]
        cuda.syncthreads()
        coop.block.exclusive_scan(items, out, op, initial_value=d_init[0])
        for i in range(ipt):
            o_exc[t * ipt + i] = out[i]
    return k


@prop(sim=6)
@given(st.data())
def test_scan(data):
    dt, dims, nt, ipt = shape(data, [np.int8, np.int32, np.uint64, np.float32], [np.int8, np.uint32, np.float64])
    op = pick(data, "scan_op", ["+", "max", "min"] + (["^"] if dt.kind in "iu" else []))
    n = nt * ipt
    x = values(data, dt, n)
    init = values(data, dt, 1, "initial_value")
    inc, exc = cuda.device_array(n, dt), cuda.device_array(n, dt)
    _scan_kernel(op)[1, dims](cuda.to_device(x), cuda.to_device(init), ipt, inc, exc)
    f = UFUNC[op]
    np.testing.assert_array_equal(inc.copy_to_host(), f.accumulate(x, dtype=dt))
    np.testing.assert_array_equal(exc.copy_to_host(), f.accumulate(np.concatenate([init, x]), dtype=dt)[:-1])


# --------------------------------------------------------------------------- reduce


@functools.cache
def _reduce_kernel(op):
    @cuda.jit
    def k(d_in, d_valid, ipt_arg, o):
        ipt = ipt_arg
        t = linear_tid()
        items = coop.local.array(ipt_arg, d_in.dtype)
        for i in range(ipt):
            items[i] = d_in[t * ipt + i]
        r = coop.block.reduce(items, op)
        cuda.syncthreads()
        s = coop.block.sum(items)
        cuda.syncthreads()
        p = coop.block.reduce(items[0], op, valid_items=d_valid[0])  # one item per thread, a partial tile
        if t == 0:
            o[0] = r
            o[1] = s
            o[2] = p
    return k


@prop(sim=6)
@given(st.data())
def test_reduce(data):
    dt, dims, nt, ipt = shape(data, [np.int16, np.int64, np.uint32, np.float64], [np.int16, np.uint8, np.float32])
    op = pick(data, "reduce_op", ["+", "max", "min"] + (["^"] if dt.kind in "iu" else []))
    x = values(data, dt, nt * ipt)
    valid = data.draw(st.integers(1, nt), label="valid_items")
    o = cuda.device_array(3, dt)
    _reduce_kernel(op)[1, dims](cuda.to_device(x), cuda.to_device(np.array([valid], np.int32)), ipt, o)
    f = UFUNC[op]
    got = o.copy_to_host()
    assert got[0] == f.reduce(x, dtype=dt)
    assert got[1] == np.add.reduce(x, dtype=dt)
    assert got[2] == f.reduce(x.reshape(nt, ipt)[:valid, 0], dtype=dt)


# --------------------------------------------------------------------------- histogram


@functools.cache
def _histogram_kernel(bins, algorithm):
    @cuda.jit
    def k(d_in, ipt_arg, o):
        ipt = ipt_arg
        t = linear_tid()
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        smem = coop.shared.array(bins, np.uint32)
        samples = coop.local.array(ipt_arg, np.uint8)
        for i in range(ipt):
            samples[i] = d_in[t * ipt + i]
        coop.block.histogram(samples, smem, algorithm=algorithm).histogram(samples)
        cuda.syncthreads()
        for b in range(t, bins, nt):
            o[b] = smem[b]
    return k


@prop(sim=6)
@given(st.data())
def test_histogram(data):
    _, dims, nt, ipt = shape(data, [np.uint8])
    bins = pick(data, "bins", [32, 256])
    alg = pick(data, "algorithm", ["atomic", "sort"])
    x = values(data, np.uint8, nt * ipt, lo=0, hi=bins - 1)
    o = cuda.to_device(np.full(bins, 5, np.uint32))
    _histogram_kernel(bins, alg)[1, dims](cuda.to_device(x), ipt, o)
    np.testing.assert_array_equal(o.copy_to_host(), np.bincount(x, minlength=bins))


# --------------------------------------------------------------------------- radix sort


def _radix_digits(keys, begin, end):
    """CUB's radix key: the bits as unsigned, sign bit flipped for signed integers, all bits
    flipped for negative floats (sign bit flipped for the others; -0.0 ranks as +0.0), then bits
    [begin, end)."""
    dt = keys.dtype
    bits = keys.view(f"u{dt.itemsize}").astype(np.uint64)
    top = np.uint64(1) << np.uint64(dt.itemsize * 8 - 1)
    mask_all = np.uint64((1 << (dt.itemsize * 8)) - 1)
    if dt.kind == "i":
        bits = bits ^ top
    elif dt.kind == "f":
        bits = np.where(bits == top, np.uint64(0), bits)  # -0.0 -> +0.0
        bits = np.where(bits & top != 0, ~bits & mask_all, bits ^ top)
    return (bits >> np.uint64(begin)) & np.uint64((1 << (end - begin)) - 1)


@functools.cache
def _radix_kernel(descending):
    @cuda.jit
    def k(d_keys, d_vals, d_bits, ipt_arg):
        ipt = ipt_arg
        t = linear_tid()
        keys = coop.local.array(ipt_arg, d_keys.dtype)
        vals = coop.local.array(ipt_arg, d_vals.dtype)
        for i in range(ipt):
            keys[i] = d_keys[t * ipt + i]
            vals[i] = d_vals[t * ipt + i]
        if descending:
            coop.block.radix_sort_pairs_descending(keys, vals, begin_bit=d_bits[0], end_bit=d_bits[1])
        else:
            coop.block.radix_sort_pairs(keys, vals, begin_bit=d_bits[0], end_bit=d_bits[1])
        for i in range(ipt):
            d_keys[t * ipt + i] = keys[i]
            d_vals[t * ipt + i] = vals[i]
    return k


@prop(sim=6)
@given(st.data())
def test_radix_sort(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.uint16, np.int64, np.float32], [np.int8, np.uint32, np.float32])
    desc = pick(data, "descending", [False, True])
    n = nt * ipt
    x = full_range(data, dt, n)
    nbits = dt.itemsize * 8
    if dt.kind == "f":
        begin, end = 0, nbits  # bit ranges of floats order no values users name
    else:
        begin = data.draw(st.integers(0, nbits - 1), label="begin_bit")
        end = data.draw(st.integers(begin + 1, nbits), label="end_bit")
    d = _radix_digits(x, begin, end)
    order = np.argsort(~d if desc else d, kind="stable")  # CUB's radix sort is stable
    dk, dv = cuda.to_device(x.copy()), cuda.to_device(np.arange(n, dtype=np.int32))
    _radix_kernel(desc)[1, dims](dk, dv, cuda.to_device(np.array([begin, end], np.int32)), ipt)
    np.testing.assert_array_equal(dv.copy_to_host(), order)
    np.testing.assert_array_equal(dk.copy_to_host().view(f"u{dt.itemsize}"), x[order].view(f"u{dt.itemsize}"))


# --------------------------------------------------------------------------- merge sort


@functools.cache
def _merge_kernel(op):
    @cuda.jit
    def k(d_keys, d_vals, d_valid, d_oob, ipt_arg, o_keys, o_vals, o_part):
        ipt = ipt_arg
        t = linear_tid()
        keys = coop.local.array(ipt_arg, d_keys.dtype)
        vals = coop.local.array(ipt_arg, d_vals.dtype)
        for i in range(ipt):
            keys[i] = d_keys[t * ipt + i]
            vals[i] = d_vals[t * ipt + i]
        coop.block.merge_sort_pairs(keys, vals, compare_op=op, stable=True)
        for i in range(ipt):
            o_keys[t * ipt + i] = keys[i]
            o_vals[t * ipt + i] = vals[i]
            keys[i] = d_keys[t * ipt + i]
        cuda.syncthreads()
        coop.block.merge_sort_keys(keys, compare_op=op, valid_items=d_valid[0], oob_default=d_oob[0])
        for i in range(ipt):
            o_part[t * ipt + i] = keys[i]
    return k


@prop(sim=6)
@given(st.data())
def test_merge_sort(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.float64, np.uint16], [np.int16, np.float32],
                              dims=[32, 64, (16, 8)], sim_dims=[32, (16, 2)])
    op = pick(data, "compare_op", ["<", ">"])
    n = nt * ipt
    x = values(data, dt, n, lo=-5, hi=5)  # many equal keys: stability shows
    valid = data.draw(st.integers(0, n), label="valid_items")
    lim = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    oob = np.array([lim.max if op == "<" else lim.min], dt)  # ordered after every valid key
    ok, ov, part = (cuda.device_array(n, dt), cuda.device_array(n, np.int32), cuda.device_array(n, dt))
    _merge_kernel(op)[1, dims](cuda.to_device(x), cuda.to_device(np.arange(n, dtype=np.int32)),
                               cuda.to_device(np.array([valid], np.int32)), cuda.to_device(oob), ipt, ok, ov, part)
    order = sorted(range(n), key=lambda j: x[j], reverse=op == ">")  # stable (reverse keeps ties in order)
    np.testing.assert_array_equal(ov.copy_to_host(), order)
    np.testing.assert_array_equal(ok.copy_to_host(), x[order])
    # the first `valid` keys are the valid ones, sorted; CUB leaves what follows them unspecified
    # (its code keeps a thread's own item 0 when it holds no valid key: seen on the H200)
    want = np.sort(x[:valid])
    np.testing.assert_array_equal(part.copy_to_host()[:valid], want if op == "<" else want[::-1])


# --------------------------------------------------------------------------- discontinuity


@functools.cache
def _discontinuity_kernel(op):
    @cuda.jit
    def k(d_in, d_edge, ipt_arg, o_heads, o_tails, o_pheads):
        ipt = ipt_arg
        t = linear_tid()
        items = coop.local.array(ipt_arg, d_in.dtype)
        hf = coop.local.array(ipt_arg, np.uint8)
        tf = coop.local.array(ipt_arg, np.uint8)
        for i in range(ipt):
            items[i] = d_in[t * ipt + i]
        coop.block.discontinuity(items, hf, tf, flag_op=op)
        for i in range(ipt):
            o_heads[t * ipt + i] = hf[i]
            o_tails[t * ipt + i] = tf[i]
        cuda.syncthreads()
        coop.block.discontinuity(items, hf, flag_op=op, tile_predecessor_item=d_edge[0])
        for i in range(ipt):
            o_pheads[t * ipt + i] = hf[i]
    return k


@prop(sim=6)
@given(st.data())
def test_discontinuity(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.float32, np.uint8], [np.int64, np.float32])
    op = pick(data, "flag_op", ["!=", "<"])
    n = nt * ipt
    x = values(data, dt, n, lo=0, hi=3)  # runs of equal items
    pred = values(data, dt, 1, "tile_predecessor_item", lo=0, hi=3)
    f = np.not_equal if op == "!=" else np.less  # flag_op(a, b): a is the earlier item
    heads, tails, pheads = (cuda.device_array(n, np.uint8) for _ in range(3))
    _discontinuity_kernel(op)[1, dims](cuda.to_device(x), cuda.to_device(pred), ipt, heads, tails, pheads)
    np.testing.assert_array_equal(heads.copy_to_host(), np.concatenate([[1], f(x[:-1], x[1:])]))
    np.testing.assert_array_equal(tails.copy_to_host(), np.concatenate([f(x[:-1], x[1:]), [1]]))
    np.testing.assert_array_equal(pheads.copy_to_host(), f(np.concatenate([pred, x[:-1]]), x))


# --------------------------------------------------------------------------- adjacent difference


@functools.cache
def _difference_kernel(op):
    @cuda.jit
    def k(d_in, d_valid, ipt_arg, o_left, o_right):
        ipt = ipt_arg
        t = linear_tid()
        items = coop.local.array(ipt_arg, d_in.dtype)
        out = coop.local.array(ipt_arg, d_in.dtype)
        for i in range(ipt):
            items[i] = d_in[t * ipt + i]
        coop.block.adjacent_difference(items, out, difference_op=op, valid_items=d_valid[0])
        for i in range(ipt):
            o_left[t * ipt + i] = out[i]
        cuda.syncthreads()
        coop.block.adjacent_difference(items, out, difference_op=op, block_adjacent_difference_type="SubtractRight")
        for i in range(ipt):
            o_right[t * ipt + i] = out[i]
    return k


@prop(sim=6)
@given(st.data())
def test_adjacent_difference(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.float64, np.uint16], [np.int8, np.float32])
    op = pick(data, "difference_op", ["-"] + (["^"] if dt.kind in "iu" else []))
    n = nt * ipt
    x = values(data, dt, n)
    valid = data.draw(st.integers(0, n), label="valid_items")
    left, right = cuda.device_array(n, dt), cuda.device_array(n, dt)
    _difference_kernel(op)[1, dims](cuda.to_device(x), cuda.to_device(np.array([valid], np.int32)), ipt,
                                    left, right)
    f = UFUNC[op]  # difference_op(item, neighbour)
    want = x.copy()  # the first item and items past valid_items: the input item
    j = np.arange(1, n)
    j = j[j < valid]
    want[j] = f(x[j], x[j - 1])
    np.testing.assert_array_equal(left.copy_to_host(), want)
    np.testing.assert_array_equal(right.copy_to_host(), np.concatenate([f(x[:-1], x[1:]), x[-1:]]))


# --------------------------------------------------------------------------- shuffle


@cuda.jit
def _shuffle_kernel(d_in, d_dist, ipt_arg, o_up, o_down, o_off, o_rot):
    ipt = ipt_arg
    t = linear_tid()
    items = coop.local.array(ipt_arg, d_in.dtype)
    out = coop.local.array(ipt_arg, d_in.dtype)
    for i in range(ipt):
        items[i] = d_in[t * ipt + i]
        out[i] = o_up[t * ipt + i]
    coop.block.shuffle(items, out, block_shuffle_type="up")
    for i in range(ipt):
        o_up[t * ipt + i] = out[i]
        out[i] = o_down[t * ipt + i]
    cuda.syncthreads()
    coop.block.shuffle(items, out, block_shuffle_type="down")
    for i in range(ipt):
        o_down[t * ipt + i] = out[i]
    cuda.syncthreads()
    edge = coop.local.array(1, d_in.dtype)
    edge[0] = o_off[t]
    coop.block.shuffle(items[0], edge, block_shuffle_type="offset", distance=d_dist[0])
    o_off[t] = edge[0]
    cuda.syncthreads()
    o_rot[t] = coop.block.shuffle(items[0], block_shuffle_type="rotate", distance=d_dist[1])


@prop(sim=6)
@given(st.data())
def test_shuffle(data):
    dt, dims, nt, ipt = shape(data, [np.int32, np.float64, np.uint8], [np.int16, np.float32])
    n = nt * ipt
    x = values(data, dt, n)
    off = data.draw(st.integers(-nt + 1, nt - 1), label="offset_distance")
    rot = data.draw(st.integers(0, nt - 1), label="rotate_distance")
    s = dt.type(11)  # unwritten outputs keep it
    up, down, o_off = (cuda.to_device(np.full(k, s, dt)) for k in (n, n, nt))
    rotd = cuda.device_array(nt, dt)
    _shuffle_kernel[1, dims](cuda.to_device(x), cuda.to_device(np.array([off, rot], np.int32)), ipt,
                             up, down, o_off, rotd)
    np.testing.assert_array_equal(up.copy_to_host(), np.concatenate([[s], x[:-1]]))  # prev[0] of thread 0 unset
    np.testing.assert_array_equal(down.copy_to_host(), np.concatenate([x[1:], [s]]))  # last item unset
    first = x.reshape(nt, ipt)[:, 0]
    t = np.arange(nt)
    src = t + off
    np.testing.assert_array_equal(o_off.copy_to_host(), np.where((src >= 0) & (src < nt), first[src % nt], s))
    np.testing.assert_array_equal(rotd.copy_to_host(), first[(t + rot) % nt])


# --------------------------------------------------------------------------- run-length decode


@functools.cache
def _run_length_kernel(runs, decoded):
    @cuda.jit
    def k(d_values, d_lengths, o, o_rel, o_total):
        t = linear_tid()
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        rv = coop.local.array(runs, d_values.dtype)
        rl = coop.local.array(runs, np.uint32)
        tot = coop.local.array(1, np.uint32)
        for i in range(runs):
            rv[i] = d_values[t * runs + i]
            rl[i] = d_lengths[t * runs + i]
        dec = coop.block.run_length(rv, rl, runs, decoded, tot)
        items = coop.local.array(decoded, d_values.dtype)
        rel = coop.local.array(decoded, np.uint32)
        w = 0
        while w < tot[0]:
            dec.decode(items, w, rel)
            for i in range(decoded):
                j = w + t * decoded + i
                if j < tot[0]:
                    o[j] = items[i]
                    o_rel[j] = rel[i]
            w += decoded * nt
        if t == 0:
            o_total[0] = tot[0]
    return k


@prop(sim=5)
@given(st.data())
def test_run_length_decode(data):
    dt, dims, nt, _ = shape(data, [np.int32, np.float32, np.uint8], [np.int16, np.float64])
    runs = pick(data, "runs_per_thread", [1, 2])
    decoded = pick(data, "decoded_items_per_thread", [2, 5])
    vals = values(data, dt, nt * runs)
    lengths = np.array(data.draw(st.lists(st.integers(1, 4), min_size=nt * runs, max_size=nt * runs),
                                 label="run_lengths"), np.uint32)
    total = int(lengths.sum())
    o, rel, tot = cuda.device_array(total, dt), cuda.device_array(total, np.uint32), cuda.device_array(1, np.uint32)
    _run_length_kernel(runs, decoded)[1, dims](cuda.to_device(vals), cuda.to_device(lengths), o, rel, tot)
    assert tot.copy_to_host()[0] == total
    np.testing.assert_array_equal(o.copy_to_host(), np.repeat(vals, lengths))
    np.testing.assert_array_equal(rel.copy_to_host(), np.concatenate([np.arange(m) for m in lengths]))
