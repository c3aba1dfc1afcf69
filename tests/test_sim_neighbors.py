"""Neighbour primitives and parent objects under the simulator (NUMBA_ENABLE_CUDASIM=1): the
rules CUB's code follows that the GPU tier does not pin down (which thread's tile
predecessor/successor counts, per-thread shuffle distances, decoding past the decoded size,
the sorting histogram's side effect on its samples), and the misuse only the simulator can
report (a Rotate distance or a SubtractRightPartialTile valid_items past the block, samples
outside the bins, a histogram that is not the block's one array, empty or unordered runs, a
decode window past the decoded size)."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR
from error_marks import MARK, line_of

pytestmark = [pytest.mark.simulator, pytest.mark.skipif(not SIMULATOR, reason="needs NUMBA_ENABLE_CUDASIM=1")]

THREADS = 16


def _raises(kernel, config, *args):
    with pytest.raises(coop.CoopError) as info:
        kernel[config](*args)
    return str(info.value)


# --------------------------------------------------------------------------- CUB's rules


def test_tile_predecessor_from_thread_0_and_successor_from_the_last_thread():
    """Every thread passes its own tile_predecessor_item/successor; CUB reads thread 0's and
    the last thread's (``[thread0 only]`` in its docs)."""
    ipt = 2

    @cuda.jit
    def k(d_in, d_heads, d_tails, d_left, d_right):
        t = cuda.threadIdx.x
        items = coop.local.array(ipt, np.int32)
        hf = coop.local.array(ipt, np.int32)
        tf = coop.local.array(ipt, np.int32)
        out = coop.local.array(ipt, np.int32)
        for i in range(ipt):
            items[i] = d_in[t * ipt + i]
        mine = np.int32(100 + t)  # thread 0: 100, the last thread: 100 + THREADS - 1
        coop.block.discontinuity(items, hf, tf, flag_op="<", tile_predecessor_item=mine, tile_successor_item=mine)
        coop.block.adjacent_difference(items, out, tile_predecessor_item=mine)
        for i in range(ipt):
            d_heads[t * ipt + i] = hf[i]
            d_tails[t * ipt + i] = tf[i]
            d_left[t * ipt + i] = out[i]
        coop.block.adjacent_difference(items, out, block_adjacent_difference_type="SubtractRight",
                                       tile_successor_item=mine)
        for i in range(ipt):
            d_right[t * ipt + i] = out[i]

    x = np.random.default_rng(1).integers(90, 120, THREADS * ipt).astype(np.int32)
    x[0], x[-1] = 101, 114  # flagged against 100 / 115 (threads 0 / 15), not against 101 / 114 (threads 1 / 14)
    outs = [cuda.to_device(np.full_like(x, -5)) for _ in range(4)]
    k[1, THREADS](cuda.to_device(x), *outs)
    heads, tails, left, right = (o.copy_to_host() for o in outs)
    pred, succ = 100, 100 + THREADS - 1
    np.testing.assert_array_equal(heads, np.less(np.concatenate([[pred], x[:-1]]), x))
    np.testing.assert_array_equal(tails, np.less(x, np.concatenate([x[1:], [succ]])))
    np.testing.assert_array_equal(left, x - np.concatenate([[pred], x[:-1]]))
    np.testing.assert_array_equal(right, x - np.concatenate([x[1:], [succ]]))


def test_offset_distance_is_each_threads_own():
    @cuda.jit
    def k(d_dist, d_out):
        t = cuda.threadIdx.x
        out = coop.local.array(1, np.int32)
        out[0] = -1
        coop.block.shuffle(np.int32(10 * t), out, block_shuffle_type="offset", distance=d_dist[t])
        d_out[t] = out[0]

    dist = np.array([(t % 5) - 2 for t in range(THREADS)], np.int32)
    got = cuda.to_device(np.zeros(THREADS, np.int32))
    k[1, THREADS](cuda.to_device(dist), got)
    src = np.arange(THREADS) + dist
    want = np.where((src >= 0) & (src < THREADS), 10 * src, -1)
    np.testing.assert_array_equal(got.copy_to_host(), want)


@pytest.mark.parametrize("algorithm", ["atomic", "sort"])
def test_sorting_histogram_leaves_its_samples_sorted(algorithm):
    """BLOCK_HISTO_SORT radix-sorts the samples in place (CUB's BlockHistogramSort): afterwards
    the threads hold the sorted tile, blocked; BLOCK_HISTO_ATOMIC leaves them as they were."""
    ipt = 3

    @cuda.jit
    def k(d_in, d_items, d_hist):
        t = cuda.threadIdx.x
        smem = coop.shared.array(8, np.uint16)
        samples = coop.local.array(ipt, np.uint8)
        for i in range(ipt):
            samples[i] = d_in[t * ipt + i]
        coop.block.histogram(samples, smem, algorithm=algorithm).histogram(samples)
        cuda.syncthreads()
        for i in range(ipt):
            d_items[t * ipt + i] = samples[i]
        if t < 8:
            d_hist[t] = smem[t]

    x = np.random.default_rng(2).integers(0, 8, THREADS * ipt).astype(np.uint8)
    items, hist = cuda.to_device(np.zeros_like(x)), cuda.to_device(np.zeros(8, np.uint16))
    k[1, THREADS](cuda.to_device(x), items, hist)
    np.testing.assert_array_equal(hist.copy_to_host(), np.bincount(x, minlength=8))
    np.testing.assert_array_equal(items.copy_to_host(), np.sort(x) if algorithm == "sort" else x)


def test_decoding_past_the_decoded_size_repeats_the_last_run():
    """CUB's loop: a thread past the decoded size is assigned the last run, whose relative
    offsets keep counting; trailing empty runs (padding) are allowed."""
    dpt = 4

    @cuda.jit
    def k(d_vals, d_lens, d_out, d_rel, d_total):
        t = cuda.threadIdx.x
        rv = coop.local.array(1, np.int32)
        rl = coop.local.array(1, np.uint32)
        tot = coop.local.array(1, np.uint32)
        items = coop.local.array(dpt, np.int32)
        rel = coop.local.array(dpt, np.uint32)
        rv[0] = d_vals[t]
        rl[0] = d_lens[t]
        dec = coop.block.run_length(rv, rl, 1, dpt, tot)
        dec.decode(items, 0, rel)
        for i in range(dpt):
            d_out[t * dpt + i] = items[i]
            d_rel[t * dpt + i] = rel[i]
        d_total[t] = tot[0]

    vals = np.arange(THREADS, dtype=np.int32) * 7
    lens = np.zeros(THREADS, np.uint32)
    lens[:5] = [3, 1, 4, 1, 5]  # 14 items, then 11 empty runs of padding
    out, rel = cuda.to_device(np.zeros(THREADS * dpt, np.int32)), cuda.to_device(np.zeros(THREADS * dpt, np.uint32))
    total = cuda.to_device(np.zeros(THREADS, np.uint32))
    k[1, THREADS](cuda.to_device(vals), cuda.to_device(lens), out, rel, total)
    got, got_rel = out.copy_to_host(), rel.copy_to_host()
    assert (total.copy_to_host() == 14).all()
    np.testing.assert_array_equal(got[:14], np.repeat(vals, lens))
    np.testing.assert_array_equal(got_rel[:14], np.concatenate([np.arange(n) for n in lens]))
    # thread 3 (items 12..15) steps from run 4 into run 5 (an empty padding run at offset 14),
    # then stays there: CUB steps once per run end, and that run's end is the next run's offset 14
    np.testing.assert_array_equal(got[14:16], [vals[5]] * 2)
    np.testing.assert_array_equal(got_rel[14:16], [0, 1])
    # threads 4.. start past the end: the last run (run 15, at offset 14), offsets counting from 14
    np.testing.assert_array_equal(got[16:], [vals[-1]] * (THREADS * dpt - 16))
    np.testing.assert_array_equal(got_rel[16:], np.arange(16, THREADS * dpt) - 14)


# --------------------------------------------------------------------------- misuse only the simulator reports


@pytest.mark.parametrize("distance", [THREADS, -1])
def test_rotate_distance_past_the_block_is_an_error(distance):
    @cuda.jit
    def k(d, dist):
        t = cuda.threadIdx.x
        d[t] = coop.block.shuffle(d[t], block_shuffle_type="rotate", distance=dist[0])  # <- error (run-time)

    msg = _raises(k, (1, THREADS), np.zeros(THREADS, np.int32), np.array([distance], np.int32))
    assert "coop.block.shuffle" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert f"distance={distance}" in msg and f"0..{THREADS - 1}" in msg


def test_subtract_right_partial_tile_past_the_tile_is_an_error():
    @cuda.jit
    def k(d, valid):
        items = coop.local.array(2, np.int32)
        coop.block.adjacent_difference(items, block_adjacent_difference_type="SubtractRight",  # <- error
                                       valid_items=valid + d[0])

    msg = _raises(k, (1, THREADS), np.zeros(1, np.int32), 2 * THREADS + 1)
    assert "coop.block.adjacent_difference" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert f"valid_items={2 * THREADS + 1}" in msg and f"0..{2 * THREADS}" in msg


@pytest.mark.parametrize("bad", [8, 200])
def test_histogram_sample_outside_the_bins_is_an_error(bad):
    @cuda.jit
    def k(d):
        smem = coop.shared.array(8, np.uint32)
        samples = coop.local.array(2, np.uint8)
        samples[0] = d[cuda.threadIdx.x]
        samples[1] = 0
        coop.block.histogram(samples, smem).histogram(samples)  # <- error

    x = np.zeros(THREADS, np.uint8)
    x[5] = bad
    msg = _raises(k, (1, THREADS), x)
    assert "coop.block.histogram" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert f"thread 5 has the sample {bad}" in msg and "bins 0..7" in msg


def test_histogram_not_shared_by_the_block_is_an_error():
    @cuda.jit
    def k(d):
        mine = coop.local.array(8, np.uint32)  # each thread its own counters
        samples = coop.local.array(2, np.uint8)
        coop.block.histogram(samples, mine).init()  # <- error

    msg = _raises(k, (1, THREADS), np.zeros(1, np.uint8))
    assert "coop.block.histogram" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert "thread 1 passes another histogram array than thread 0" in msg


def _run_length_kernel(form):
    @cuda.jit
    def k(d_runs, start):
        t = cuda.threadIdx.x
        rv = coop.local.array(1, np.int32)
        rr = coop.local.array(1, np.uint32)
        tot = coop.local.array(1, np.uint32)
        items = coop.local.array(2, np.int32)
        rv[0] = t
        rr[0] = d_runs[t]
        if form == 0:
            dec = coop.block.run_length(rv, rr, 1, 2, tot)  # <- error
        else:
            dec = coop.block.run_length(rv, run_offsets=rr, decoded_items_per_thread=2)
        dec.decode(items, start)

    return k


def test_empty_run_before_others_is_an_error():
    k = _run_length_kernel(0)
    lens = np.ones(THREADS, np.uint32)
    lens[3] = 0
    msg = _raises(k, (1, THREADS), lens, 0)
    assert "coop.block.run_length" in msg and f"line {line_of(k.py_func, MARK)}" in msg
    assert "run 3 (thread 3) has length 0 and a non-empty run follows it" in msg


def test_decode_window_past_the_decoded_size_is_an_error():
    k = _run_length_kernel(0)
    msg = _raises(k, (1, THREADS), np.ones(THREADS, np.uint32), THREADS + 1)
    assert "coop.block.run_length" in msg and f"decoded_window_offset={THREADS + 1}" in msg
    assert f"0..{THREADS}" in msg


def test_unordered_run_offsets_are_an_error():
    offsets = np.arange(THREADS, dtype=np.uint32) * 2
    offsets[[4, 5]] = offsets[[5, 4]]
    msg = _raises(_run_length_kernel(1), (1, THREADS), offsets, 0)
    assert "run 5 begins at decoded offset 8, before run 4 (10)" in msg and "non-decreasing" in msg


def test_window_before_the_first_run_offset_is_an_error():
    offsets = np.arange(THREADS, dtype=np.uint32) * 2 + 3  # nothing decodes to offsets 0..2
    msg = _raises(_run_length_kernel(1), (1, THREADS), offsets, 0)
    assert "thread 0 decodes from offset 0, before the first run's offset 3" in msg
