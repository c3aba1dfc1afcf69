"""GPU tier for coop.block.discontinuity, adjacent_difference and shuffle against NumPy
references built from CUB's documented semantics (flags from neighbour comparisons,
``np.diff``-style differences, shifts and rotations as index arithmetic).

Grid: dtypes int8..int64, uint8..uint64, float32, float64; blocks 32, 128, 256, 1024, a 2-D
and a 3-D block; 1, 2, 4, 7, 16 items per thread. By default a sample in which every dtype,
block and items-per-thread value occurs (about 20 kernels per primitive); the whole grid
with COOP_FULL_GRID=1. Each test launches one kernel over several blocks (one tile each),
so tile boundaries are checked too. Under the CUDA simulator (tests/backend.py): a few cases of
small blocks covering every operator and flag dtype, two blocks per launch (four for adjacent
difference: one per valid_items case).
"""

import os
from functools import reduce
from operator import mul

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, blocks, cases
from cub_bindings import functional as F

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))

DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64]
BLOCKS = [32, 128, 256, 1024, (16, 8), (8, 4, 4)]
IPTS = [1, 2, 4, 7, 16]
GRID = [(d, b, i) for d in DTYPES for b in BLOCKS for i in IPTS]


#: per test (salt), the simulator's cases: small blocks; the operators and flag dtypes the
#: tests pick from (dtype, ipt) all occur
SIM = {0: [(np.int8, 32, 1), (np.uint8, (8, 4, 2), 2), (np.float32, 64, 4), (np.int64, (16, 4), 16)],
       1: [(np.int8, 32, 1), (np.uint16, (8, 4, 2), 4), (np.float32, 64, 1), (np.uint64, (16, 4), 7)],
       2: [(np.int16, 32, 2), (np.uint32, (8, 4, 2), 1), (np.float64, 64, 7)]}


def grid(salt):
    """The whole grid (COOP_FULL_GRID=1) or a sample covering every dtype, block and ipt."""
    if FULL:
        return cases(GRID, SIM[salt])
    return cases([(d, BLOCKS[(k + 3 * r + salt) % len(BLOCKS)], IPTS[(2 * k + r + salt) % len(IPTS)])
                  for k, d in enumerate(DTYPES) for r in range(2)], SIM[salt])


def ids(g):
    d, b, i = g
    return f"{np.dtype(d).name}-{b if isinstance(b, int) else 'x'.join(map(str, b))}-ipt{i}"


def nthreads(block):
    return block if isinstance(block, int) else reduce(mul, block)


def values(dtype, n, rng, small=False):
    """Random items: small values (many equal neighbours) or the dtype's whole range."""
    dt = np.dtype(dtype)
    if small:
        return rng.integers(0, 3, n).astype(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    return (rng.standard_normal(n) * 1000).astype(dt)


def tiles(a, nb):
    return a.reshape(nb, -1)


@cuda.jit(device=True)
def linear_tid():
    return cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)


@cuda.jit(device=True)
def dev_gt(a, b):
    return a > b


@cuda.jit(device=True)
def dev_sub(a, b):
    return a - b


# =========================================================================== discontinuity

FLAG_OPS = [(None, np.not_equal), (F.less, np.less), (dev_gt, np.greater)]  # (flag_op, NumPy reference)
FLAG_DTYPES = [np.uint8, np.bool_, np.int32]


def _heads(x, op, pred=None):
    """CUB FlagHeads per tile: item j flagged by op(x[j-1], x[j]); the first item is 1 without a predecessor."""
    h = np.ones(x.shape, np.int64)
    h[:, 1:] = op(x[:, :-1], x[:, 1:])
    if pred is not None:
        h[:, 0] = op(pred, x[:, 0])
    return h


def _tails(x, op, succ=None):
    t = np.ones(x.shape, np.int64)
    t[:, :-1] = op(x[:, :-1], x[:, 1:])
    if succ is not None:
        t[:, -1] = op(x[:, -1], succ)
    return t


@pytest.mark.parametrize("dtype, block, ipt", grid(0), ids=[ids(g) for g in grid(0)])
def test_discontinuity_every_form_vs_numpy(dtype, block, ipt):
    k_ = DTYPES.index(dtype) + IPTS.index(ipt)
    flag_op, ref = FLAG_OPS[k_ % 3]
    flag_dt = FLAG_DTYPES[(k_ // 3) % 3]
    threads, nb = nthreads(block), blocks(3)
    tile = threads * ipt
    rng = np.random.default_rng(k_)
    h_in = values(dtype, nb * tile, rng, small=True)
    h_pred, h_succ = values(dtype, nb, rng, small=True), values(dtype, nb, rng, small=True)
    init = 0 if flag_dt is np.bool_ else 2  # unwritten flags would show

    @cuda.jit
    def kernel(d_in, d_pred, d_succ, d_flags, d_preds):
        b, t = cuda.blockIdx.x, linear_tid()
        base = b * tile + t * ipt
        items = coop.local.array(ipt, d_in.dtype)
        hf = coop.local.array(ipt, d_flags.dtype)
        tf = coop.local.array(ipt, d_flags.dtype)
        pr = coop.local.array(ipt, d_in.dtype)
        for i in range(ipt):
            items[i] = d_in[base + i]
        pred, succ = d_pred[b], d_succ[b]
        for form in range(8):
            for i in range(ipt):
                hf[i] = init
                tf[i] = init
            cuda.syncthreads()  # the calls share CUB's TempStorage
            if form == 0:
                coop.block.discontinuity(items, hf, flag_op=flag_op)
            elif form == 1:
                coop.block.discontinuity(items, hf, flag_op=flag_op, tile_predecessor_item=pred)
            elif form == 2:
                coop.block.discontinuity(items, tf, flag_op=flag_op, block_discontinuity_type="TAILS")
            elif form == 3:
                coop.block.discontinuity(items, tail_flags=tf, flag_op=flag_op, tile_successor_item=succ)
            elif form == 4:
                coop.block.discontinuity(items, hf, tf, flag_op=flag_op)
            elif form == 5:
                coop.block.discontinuity(items, hf, tf, flag_op=flag_op, tile_predecessor_item=pred)
            elif form == 6:
                coop.block.discontinuity(items, hf, tf, flag_op=flag_op, tile_successor_item=succ)
            else:
                coop.block.discontinuity(items, hf, tf, flag_op=flag_op, block_discontinuity_type="HEADS_AND_TAILS",
                                         tile_predecessor_item=pred, tile_successor_item=succ)
            for i in range(ipt):
                d_flags[2 * form, base + i] = hf[i]
                d_flags[2 * form + 1, base + i] = tf[i]
        for form in range(2):  # the predecessors (thread 0's first one kept without tile_predecessor_item)
            for i in range(ipt):
                pr[i] = items[i]
            cuda.syncthreads()
            if form == 0:
                coop.block.discontinuity(items, hf, flag_op=flag_op, preds=pr)
            else:
                coop.block.discontinuity(items, hf, flag_op=flag_op, preds=pr, tile_predecessor_item=pred)
            for i in range(ipt):
                d_preds[form, base + i] = pr[i]
                d_flags[16 + form, base + i] = hf[i]

    d_flags = cuda.to_device(np.full((18, nb * tile), init, flag_dt))
    d_preds = cuda.to_device(np.zeros((2, nb * tile), dtype))
    kernel[nb, block](cuda.to_device(h_in), cuda.to_device(h_pred), cuda.to_device(h_succ), d_flags, d_preds)
    flags, preds = d_flags.copy_to_host(), d_preds.copy_to_host()

    x, p, s = tiles(h_in, nb), h_pred[:, None], h_succ[:, None]
    blank = np.full(x.shape, init)
    expect = [_heads(x, ref), blank, _heads(x, ref, p[:, 0]), blank,
              blank, _tails(x, ref), blank, _tails(x, ref, s[:, 0]),
              _heads(x, ref), _tails(x, ref), _heads(x, ref, p[:, 0]), _tails(x, ref),
              _heads(x, ref), _tails(x, ref, s[:, 0]), _heads(x, ref, p[:, 0]), _tails(x, ref, s[:, 0]),
              _heads(x, ref), _heads(x, ref, p[:, 0])]
    for row, want in enumerate(expect):
        np.testing.assert_array_equal(tiles(flags[row], nb), want.astype(flag_dt), err_msg=f"row {row}")
    want = np.concatenate([x[:, :1], x[:, :-1]], axis=1)  # thread 0's preds[0] unchanged (its own item)
    np.testing.assert_array_equal(tiles(preds[0], nb), want)
    want[:, 0] = h_pred
    np.testing.assert_array_equal(tiles(preds[1], nb), want)


# =========================================================================== adjacent difference

DIFF_OPS = [(None, np.subtract), (F.plus, np.add), (dev_sub, np.subtract)]


def _cxx(dtype):
    """The type C++ computes ``a - b`` in for two items of ``dtype`` (integer promotion)."""
    dt = np.dtype(dtype)
    return np.dtype(np.int32) if dt.kind in "iub" and dt.itemsize < 4 else dt


def _left(x, op, out, valid=None, pred=None):
    """CUB SubtractLeft[PartialTile] per tile: out[j] = op(x[j], x[j-1]); the first item (no
    predecessor) and, in a partial tile, the items from ``valid`` on are copied."""
    c = x.astype(_cxx(x.dtype))
    with np.errstate(over="ignore"):
        r = x.astype(out).copy()
        r[:, 1:] = op(c[:, 1:], c[:, :-1]).astype(out)
        if pred is not None:
            r[:, 0] = op(c[:, 0], pred.astype(c.dtype)).astype(out)
    if valid is not None:
        for b, v in enumerate(valid):
            r[b, max(v, 0):] = x[b, max(v, 0):].astype(out)
    return r


def _right(x, op, out, valid=None, succ=None):
    """CUB SubtractRight[PartialTile]: out[j] = op(x[j], x[j+1]); the last item (and in a
    partial tile every item from valid-1 on) is copied."""
    c = x.astype(_cxx(x.dtype))
    with np.errstate(over="ignore"):
        r = x.astype(out).copy()
        r[:, :-1] = op(c[:, :-1], c[:, 1:]).astype(out)
        if succ is not None:
            r[:, -1] = op(c[:, -1], succ.astype(c.dtype)).astype(out)
    if valid is not None:
        for b, v in enumerate(valid):
            r[b, max(v - 1, 0):] = x[b, max(v - 1, 0):].astype(out)
    return r


def _run_adjacent(dtype, out_dtype, block, ipt, diff_op, seed):
    threads, nb = nthreads(block), 4
    tile = threads * ipt
    rng = np.random.default_rng(seed)
    h_in = values(dtype, nb * tile, rng)
    h_pred, h_succ = values(dtype, nb, rng), values(dtype, nb, rng)
    # full, empty, partial, all but one (SubtractRightPartialTile reads past CUB's buffer beyond the tile)
    h_valid = np.array([tile, 0, rng.integers(1, tile + 1), tile - 1], np.int32)

    @cuda.jit
    def kernel(d_in, d_pred, d_succ, d_valid, d_out):
        b, t = cuda.blockIdx.x, linear_tid()
        base = b * tile + t * ipt
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_out.dtype)
        for i in range(ipt):
            items[i] = d_in[base + i]
        pred, succ, valid = d_pred[b], d_succ[b], d_valid[b]
        for form in range(7):
            cuda.syncthreads()  # the calls share CUB's TempStorage
            if form == 0:
                coop.block.adjacent_difference(items, out, difference_op=diff_op)
            elif form == 1:
                coop.block.adjacent_difference(items, out, difference_op=diff_op, tile_predecessor_item=pred)
            elif form == 2:
                coop.block.adjacent_difference(items, out, difference_op=diff_op, valid_items=valid)
            elif form == 3:
                coop.block.adjacent_difference(items, out, difference_op=diff_op, valid_items=valid,
                                               tile_predecessor_item=pred)
            elif form == 4:
                coop.block.adjacent_difference(items, out, difference_op=diff_op,
                                               block_adjacent_difference_type="SubtractRight")
            elif form == 5:
                coop.block.adjacent_difference(items, out, difference_op=diff_op,
                                               block_adjacent_difference_type="SubtractRight", tile_successor_item=succ)
            else:
                coop.block.adjacent_difference(items, out, difference_op=diff_op,
                                               block_adjacent_difference_type="SubtractRight", valid_items=valid)
            for i in range(ipt):
                d_out[form, base + i] = out[i]

    d_out = cuda.to_device(np.zeros((7, nb * tile), out_dtype))
    kernel[nb, block](cuda.to_device(h_in), cuda.to_device(h_pred), cuda.to_device(h_succ), cuda.to_device(h_valid),
                      d_out)
    return tiles(h_in, nb), h_pred, h_succ, h_valid, d_out.copy_to_host()


def _check_adjacent(x, pred, succ, valid, got, ref, out):
    nb = x.shape[0]
    expect = [_left(x, ref, out), _left(x, ref, out, pred=pred), _left(x, ref, out, valid=valid),
              _left(x, ref, out, valid=valid, pred=pred), _right(x, ref, out), _right(x, ref, out, succ=succ),
              _right(x, ref, out, valid=valid)]
    for row, want in enumerate(expect):
        np.testing.assert_array_equal(tiles(got[row], nb), want, err_msg=f"form {row}")


@pytest.mark.parametrize("dtype, block, ipt", grid(1), ids=[ids(g) for g in grid(1)])
def test_adjacent_difference_every_form_vs_numpy(dtype, block, ipt):
    k_ = DTYPES.index(dtype) + IPTS.index(ipt)
    diff_op, ref = DIFF_OPS[k_ % 3]
    x, pred, succ, valid, got = _run_adjacent(dtype, dtype, block, ipt, diff_op, k_)
    if diff_op is None:  # the default "-" is np.diff (SubtractLeft, after the first item)
        np.testing.assert_array_equal(tiles(got[0], x.shape[0])[:, 1:], np.diff(x, axis=1))
    _check_adjacent(x, pred, succ, valid, got, ref, np.dtype(dtype))


OUT_PAIRS = cases([(np.int8, np.int32), (np.uint8, np.int16), (np.uint16, np.int64), (np.int32, np.int64),
                   (np.uint32, np.int64), (np.int32, np.float64), (np.float32, np.float64), (np.int64, np.float32)],
                  [(np.int8, np.int32), (np.uint8, np.int16), (np.uint32, np.int64), (np.int64, np.float32)])


@pytest.mark.parametrize("dtype, out_dtype", OUT_PAIRS, ids=[f"{np.dtype(a).name}-{np.dtype(b).name}"
                                                             for a, b in OUT_PAIRS])
def test_adjacent_difference_into_another_dtype(dtype, out_dtype):
    # C++ arithmetic: int8/uint8/int16/uint16 items subtract as int (exact), wider ones wrap in their own type
    x, pred, succ, valid, got = _run_adjacent(dtype, out_dtype, 64 if SIMULATOR else 128, 3, None, 7)
    _check_adjacent(x, pred, succ, valid, got, np.subtract, np.dtype(out_dtype))


# =========================================================================== shuffle


@pytest.mark.parametrize("dtype, block, ipt", grid(2), ids=[ids(g) for g in grid(2)])
def test_shuffle_every_form_vs_index_arithmetic(dtype, block, ipt):
    threads, nb = nthreads(block), blocks(3)
    tile = threads * ipt
    rng = np.random.default_rng(DTYPES.index(dtype) + ipt)
    h_in = values(dtype, nb * tile, rng)
    h_one = values(dtype, nb * threads, rng)  # one item per thread
    sentinel = values(dtype, 1, rng)
    offsets = np.array([1, -1, 3, -(threads - 1), threads, -threads - 5], np.int32)
    rotations = np.array([0, 1, threads - 1, rng.integers(0, threads)], np.int32)
    no, nr = len(offsets), len(rotations)

    @cuda.jit
    def kernel(d_in, d_one, d_sent, d_off, d_rot, d_scalar, d_arrays, d_edges):
        b, t = cuda.blockIdx.x, linear_tid()
        base = b * tile + t * ipt
        g = b * threads + t
        x = d_one[g]
        edge = coop.local.array(1, d_in.dtype)
        for k in range(no):
            edge[0] = d_sent[0]
            cuda.syncthreads()  # the calls share CUB's TempStorage
            coop.block.shuffle(x, edge, block_shuffle_type="offset", distance=d_off[k])
            d_scalar[k, g] = edge[0]
        for k in range(nr):
            cuda.syncthreads()
            d_scalar[no + k, g] = coop.block.shuffle(x, block_shuffle_type="rotate", distance=d_rot[k])
        cuda.syncthreads()
        d_scalar[no + nr, g] = coop.block.shuffle(x)  # Offset by 1; the last thread keeps its own item
        cuda.syncthreads()
        d_scalar[no + nr + 1, g] = coop.block.shuffle(x, block_shuffle_type="rotate")  # by 1
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_in.dtype)
        for form in range(6):
            for i in range(ipt):
                items[i] = d_in[base + i]
                out[i] = d_sent[0]
            edge[0] = d_sent[0]
            cuda.syncthreads()
            if form == 0:
                coop.block.shuffle(items, out)  # Up
            elif form == 1:
                coop.block.shuffle(items, out, block_shuffle_type="up", block_suffix=edge)
            elif form == 2:
                coop.block.shuffle(items, out, block_shuffle_type="down")
            elif form == 3:
                coop.block.shuffle(items, out, block_shuffle_type="down", block_prefix=edge)
            elif form == 4:
                coop.block.shuffle(items, items, block_shuffle_type="up")  # in place
            else:
                coop.block.shuffle(items, items, block_shuffle_type="down")
            for i in range(ipt):
                d_arrays[form, base + i] = items[i] if form >= 4 else out[i]
            if form in (1, 3):
                d_edges[form // 2, g] = edge[0]

    d_scalar = cuda.to_device(np.zeros((no + nr + 2, nb * threads), dtype))
    d_arrays = cuda.to_device(np.zeros((6, nb * tile), dtype))
    d_edges = cuda.to_device(np.zeros((2, nb * threads), dtype))
    kernel[nb, block](cuda.to_device(h_in), cuda.to_device(h_one), cuda.to_device(sentinel), cuda.to_device(offsets),
                      cuda.to_device(rotations), d_scalar, d_arrays, d_edges)
    scalar, arrays, edges = d_scalar.copy_to_host(), d_arrays.copy_to_host(), d_edges.copy_to_host()

    one, s = tiles(h_one, nb), sentinel[0]
    tid = np.arange(threads)
    for k, d in enumerate(offsets):  # thread i gets thread i + d's item; out of the block: output unchanged
        src = tid + d
        inside = (src >= 0) & (src < threads)
        want = np.where(inside, one[:, np.clip(src, 0, threads - 1)], s)
        np.testing.assert_array_equal(tiles(scalar[k], nb), want, err_msg=f"Offset {d}")
    for k, d in enumerate(rotations):
        np.testing.assert_array_equal(tiles(scalar[no + k], nb), np.roll(one, -d, axis=1), err_msg=f"Rotate {d}")
    np.testing.assert_array_equal(tiles(scalar[no + nr], nb), np.concatenate([one[:, 1:], one[:, -1:]], axis=1))
    np.testing.assert_array_equal(tiles(scalar[no + nr + 1], nb), np.roll(one, -1, axis=1))

    x = tiles(h_in, nb)
    up = np.concatenate([np.full((nb, 1), s, dtype), x[:, :-1]], axis=1)  # thread 0's first output unchanged
    down = np.concatenate([x[:, 1:], np.full((nb, 1), s, dtype)], axis=1)  # the last thread's last unchanged
    for form, want in enumerate([up, up, down, down]):
        np.testing.assert_array_equal(tiles(arrays[form], nb), want, err_msg=f"form {form}")
    up[:, 0], down[:, -1] = x[:, 0], x[:, -1]  # in place: the unchanged item is the thread's own
    np.testing.assert_array_equal(tiles(arrays[4], nb), up)
    np.testing.assert_array_equal(tiles(arrays[5], nb), down)
    np.testing.assert_array_equal(tiles(edges[0], nb), np.repeat(x[:, -1:], threads, axis=1))  # block_suffix
    np.testing.assert_array_equal(tiles(edges[1], nb), np.repeat(x[:, :1], threads, axis=1))  # block_prefix


# =========================================================================== two-phase and records


@pytest.mark.parametrize("block", [128, (16, 8)], ids=["128", "16x8"])
def test_two_phase_objects_with_shared_temp_storage(block):
    threads, ipt, nb = nthreads(block), 4, 2
    tile = threads * ipt
    disc = coop.block.discontinuity(np.int32, block, ipt, "!=", np.uint8, "HEADS_AND_TAILS")
    diff = coop.block.adjacent_difference(np.int32, block, ipt, dev_sub, "SubtractRight")
    up = coop.block.shuffle(np.int32, block, ipt, "Up")
    rot = coop.block.shuffle(np.int32, block, 1, "Rotate", 3)
    objs = (disc, diff, up, rot)
    nbytes = max(o.temp_storage_bytes for o in objs)
    align = max(o.temp_storage_alignment for o in objs)

    @cuda.jit
    def kernel(d_in, d_flags, d_out, d_rot):
        b, t = cuda.blockIdx.x, linear_tid()
        base = b * tile + t * ipt
        temp = coop.TempStorage(nbytes, align)  # auto_sync: a barrier before each use
        items = coop.local.array(ipt, np.int32)
        hf = coop.local.array(ipt, np.uint8)
        tf = coop.local.array(ipt, np.uint8)
        out = coop.local.array(ipt, np.int32)
        for i in range(ipt):
            items[i] = d_in[base + i]
        disc(items, hf, tf, temp_storage=temp)
        for i in range(ipt):
            d_flags[0, base + i] = hf[i]
            d_flags[1, base + i] = tf[i]
        diff(items, out, temp_storage=temp)
        for i in range(ipt):
            d_out[0, base + i] = out[i]
            out[i] = -1
        up(items, out, temp_storage=temp)
        for i in range(ipt):
            d_out[1, base + i] = out[i]
        d_rot[b * threads + t] = rot(d_in[b * tile + t], temp_storage=temp)

    rng = np.random.default_rng(3)
    h_in = rng.integers(0, 3, nb * tile).astype(np.int32)
    d_flags = cuda.to_device(np.zeros((2, nb * tile), np.uint8))
    d_out = cuda.to_device(np.zeros((2, nb * tile), np.int32))
    d_rot = cuda.to_device(np.zeros(nb * threads, np.int32))
    kernel[nb, block](cuda.to_device(h_in), d_flags, d_out, d_rot)
    x = tiles(h_in, nb)
    flags, out = d_flags.copy_to_host(), d_out.copy_to_host()
    np.testing.assert_array_equal(tiles(flags[0], nb), _heads(x, np.not_equal))
    np.testing.assert_array_equal(tiles(flags[1], nb), _tails(x, np.not_equal))
    np.testing.assert_array_equal(tiles(out[0], nb), _right(x, np.subtract, np.dtype(np.int32)))
    np.testing.assert_array_equal(tiles(out[1], nb), np.concatenate([np.full((nb, 1), -1), x[:, :-1]], axis=1))
    first = x[:, :threads]  # rot's input: the first `threads` items of each tile, one per thread
    np.testing.assert_array_equal(tiles(d_rot.copy_to_host(), nb), np.roll(first, -3, axis=1))


pair = np.dtype([("key", np.int32), ("val", np.float32)], align=True)


@cuda.jit(device=True)
def key_changes(a, b):
    return a.key != b.key


@cuda.jit(device=True)
def larger_key(a, b):
    return a if a.key >= b.key else b


def test_records_with_device_function_operators():
    block, ipt, nb = 64, 3, 2
    tile = block * ipt

    @cuda.jit
    def kernel(d_in, d_heads, d_diff, d_down):
        b, t = cuda.blockIdx.x, cuda.threadIdx.x
        base = b * tile + t * ipt
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_in.dtype)
        heads = coop.local.array(ipt, np.int32)
        for i in range(ipt):
            items[i] = d_in[base + i]
        coop.block.discontinuity(items, heads, flag_op=key_changes, tile_predecessor_item=d_in[0])
        cuda.syncthreads()
        coop.block.adjacent_difference(items, out, difference_op=larger_key)
        for i in range(ipt):
            d_heads[base + i] = heads[i]
            d_diff[base + i] = out[i]
        cuda.syncthreads()
        coop.block.shuffle(items, items, block_shuffle_type="down")
        for i in range(ipt):
            d_down[base + i] = items[i]

    rng = np.random.default_rng(5)
    h = np.zeros(nb * tile, pair)
    h["key"] = rng.integers(0, 3, nb * tile)
    h["val"] = np.arange(nb * tile)  # tells which item was picked
    d_heads = cuda.to_device(np.zeros(nb * tile, np.int32))
    d_diff = cuda.to_device(np.zeros(nb * tile, pair))
    d_down = cuda.to_device(np.zeros(nb * tile, pair))
    kernel[nb, block](cuda.to_device(h), d_heads, d_diff, d_down)
    x = tiles(h, nb)
    np.testing.assert_array_equal(tiles(d_heads.copy_to_host(), nb), _heads(x["key"], np.not_equal, h["key"][0]))
    want = x.copy()
    pick_left = x["key"][:, 1:] >= x["key"][:, :-1]  # larger_key(item, left neighbour): the item on a tie
    want[:, 1:] = np.where(pick_left, x[:, 1:], x[:, :-1])
    np.testing.assert_array_equal(tiles(d_diff.copy_to_host(), nb), want)
    down = np.concatenate([x[:, 1:], x[:, -1:]], axis=1)
    np.testing.assert_array_equal(tiles(d_down.copy_to_host(), nb), down)
