"""Mamba's selective-scan forward kernel with coop, in five styles, and a NumPy reference.

For each channel (batch b, inner dimension d) and each of ``dstate`` state dimensions n, the
hidden state runs along the sequence::

    h[t] = exp(delta[t] * A[d, n]) * h[t-1] + delta[t] * B[b, n, t] * u[t]
    y[t] = sum over n of C[b, n, t] * h[t]  +  D[d] * u[t]

The recurrence is a scan over pairs ``(a, b)`` (a record ``FLOAT2`` of two float32) with the
associative ``ssm_scan_op``: ``(a0, b0) then (a1, b1) = (a1 * a0, a1 * b0 + b1)``. One block
owns a channel and walks its sequence in chunks of ``threads * items_per_thread`` steps: each
chunk is loaded with ``WARP_TRANSPOSE``, scanned with ``BLOCK_SCAN_WARP_SCANS`` and a stateful
prefix callback that carries each state's running ``(a, b)`` from chunk to chunk, and stored.
A partial last chunk loads ``delta = 0`` past the sequence's end, which makes ``(1, 0)``: the
scan's identity, so the carried state is unchanged. Each state's carried pairs are two items
of one local array; the callback gets them as ``coop.advance(carry, 2 * n)`` (C++'s
``carry + 2 * n``), not the slice ``carry[2 * n:2 * n + 2]``, whose Python rules (clamping)
would cost compares and selects per state.

The first three styles differ only in where CUB's shared memory comes from:

* ``traits``: a kernel-traits object (``coop.gpu_dataclass``) of two-phase primitives, passed
  to the kernel as an argument; it reports the shared memory its primitives need;
* ``temp_storage``: single-phase calls sharing one ``coop.TempStorage()`` whose size coop
  plans from those calls;
* ``implicit``: single-phase calls, each with its own (implicit) shared memory.

The fourth, ``vector``, is ``implicit`` with the pairs as CUDA's ``float2``
(``cuda.float32x2``) instead of a record: Numba passes and returns a record through a
pointer to memory, a vector type by value in registers, as C++ passes a small struct; the
operator returns its pair as ``cuda.float32x2(x, y)``. The fifth, ``temp_storage_vector``,
is ``temp_storage`` with the same ``float2`` pairs. (The CUDA simulator has no vector
types: those two styles need a GPU.)

Run ``python examples/selective_scan.py`` on a machine with a GPU (or with
``NUMBA_ENABLE_CUDASIM=1``, small sizes) to check every style against the reference.
"""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np
from numba import cuda

import coop

FLOAT2 = np.dtype([("x", np.float32), ("y", np.float32)], align=True)


@cuda.jit(device=True)
def ssm_scan_op(first, second):
    """Compose two steps of the recurrence: first (a0, b0), then (a1, b1)."""
    out = coop.local.array(1, FLOAT2)
    out[0].x = second.x * first.x
    out[0].y = second.x * first.y + second.y
    return out[0]


@cuda.jit(device=True)
def running_prefix(state, chunk_aggregate):
    """CUB's block prefix callback: return the state carried into this chunk (``state[1]``)
    and carry the chunk's aggregate on (``state[0]``)."""
    state[1] = state[0]
    state[0] = ssm_scan_op(state[1], chunk_aggregate)
    return state[1]


@cuda.jit(device=True)
def startcarry(carry):
    """Every state's running pair starts at (1, 0): the scan's identity."""
    for j in range(0, len(carry), 2):
        carry[j].x = 1.0
        carry[j].y = 0.0


@cuda.jit(device=True)
def make_steps(steps, dt_t, b_t, u_t, a):
    """This thread's steps of one state: (exp(delta * A), delta * B * u)."""
    for i in range(len(steps)):
        steps[i].x = math.exp(dt_t[i] * a)
        steps[i].y = dt_t[i] * b_t[i] * u_t[i]


@cuda.jit(device=True)
def add_output(out, steps, c_t):
    """y += C * h for this thread's steps of one state."""
    for i in range(len(out)):
        out[i] += steps[i].y * c_t[i]


@cuda.jit(device=True)
def skip_output(out, u_t, d_value):
    """y starts at D * u."""
    for i in range(len(out)):
        out[i] = d_value * u_t[i]


@cuda.jit(device=True)
def channel_of_block(dim):
    """This block's channel and its (inner dimension, batch) indices, as unsigned integers.

    Numba indexes an array with a signed integer by first wrapping a negative value around
    (a compare and a select per index, and the registers they hold); an unsigned index
    needs neither, as C++'s indices do not. (Mixing signed and unsigned integers gives a
    float in Numba, hence the explicit ``uint64`` on both sides.)"""
    ch = numba.uint64(cuda.blockIdx.x)
    return ch, ch % numba.uint64(dim), ch // numba.uint64(dim)


# the same steps with the pairs as CUDA vector types (the ``vector`` style)
V2 = cuda.float32x2


@cuda.jit(device=True)
def ssm_scan_op_v2(first, second):
    """``ssm_scan_op`` on ``float2`` pairs, returned by value."""
    return V2(second.x * first.x, second.x * first.y + second.y)


@cuda.jit(device=True)
def running_prefix_v2(state, chunk_aggregate):
    state[1] = state[0]
    state[0] = ssm_scan_op_v2(state[1], chunk_aggregate)
    return state[1]


@cuda.jit(device=True)
def startcarry_v2(carry):
    for j in range(0, len(carry), 2):
        carry[j] = V2(1.0, 0.0)


@cuda.jit(device=True)
def make_steps_v2(steps, dt_t, b_t, u_t, a):
    for i in range(len(steps)):
        steps[i] = V2(math.exp(dt_t[i] * a), dt_t[i] * b_t[i] * u_t[i])


#: every style of ``make_kernels``; the ``vector`` ones need a GPU (the simulator has no vector types)
STYLES = ("traits", "temp_storage", "implicit", "vector", "temp_storage_vector")


@dataclasses.dataclass
class SelectiveScanTraits:
    """The kernel's primitives, specialized on the host (two-phase)."""

    load: object
    scan: object
    store: object


def make_traits(threads: int, items_per_thread: int):
    return coop.gpu_dataclass(SelectiveScanTraits(
        load=coop.block.load(np.float32, threads, items_per_thread, "warp_transpose"),
        scan=coop.block.scan(FLOAT2, threads, items_per_thread, mode="inclusive", scan_op=ssm_scan_op,
                             algorithm="warp_scans"),
        store=coop.block.store(np.float32, threads, items_per_thread, "warp_transpose"),
    ))


def make_kernels(threads: int, items_per_thread: int, dstate: int):
    """The kernels of every style (``STYLES``) for blocks of ``threads`` threads holding
    ``items_per_thread`` steps each and ``dstate`` state dimensions, by style name, each
    launched as ``k[channels, threads](u, delta, A, B, C, D, y[, traits])``."""
    IPT, N, CARRY = items_per_thread, dstate, 2 * dstate  # CARRY: per state [running, returned prefix]
    CHUNK = threads * items_per_thread

    def implicit_style(pair, init_carry, steps_of, op, prefix):
        """The ``implicit`` kernel for pairs of type ``pair`` and the functions that make,
        compose and carry them (records: ``implicit``; ``float2``: ``vector``)."""

        @cuda.jit
        def kernel(u, delta, A, B, C, D, y):
            ch, d, b = channel_of_block(A.shape[0])
            L = u.shape[1]
            u_t = coop.local.array(IPT, np.float32)
            dt_t = coop.local.array(IPT, np.float32)
            b_t = coop.local.array(IPT, np.float32)
            c_t = coop.local.array(IPT, np.float32)
            out = coop.local.array(IPT, np.float32)
            steps = coop.local.array(IPT, pair)
            carry = coop.local.array(CARRY, pair)
            init_carry(carry)
            for start in range(0, L, CHUNK):
                valid = min(CHUNK, L - start)
                coop.block.load(u[ch], u_t, offset=start, valid_items=valid, oob_default=0.0,
                                algorithm="warp_transpose")
                coop.block.load(delta[ch], dt_t, offset=start, valid_items=valid, oob_default=0.0,
                                algorithm="warp_transpose")
                skip_output(out, u_t, D[d])
                for n in range(numba.uint64(N)):
                    coop.block.load(B[b, n], b_t, offset=start, valid_items=valid, oob_default=0.0,
                                    algorithm="warp_transpose")
                    coop.block.load(C[b, n], c_t, offset=start, valid_items=valid, oob_default=0.0,
                                    algorithm="warp_transpose")
                    steps_of(steps, dt_t, b_t, u_t, A[d, n])
                    coop.block.inclusive_scan(steps, steps, op, algorithm="warp_scans",
                                              block_prefix_callback_op=coop.StatefulOp(prefix,
                                                                                       coop.advance(carry, 2 * n)))
                    add_output(out, steps, c_t)
                coop.block.store(y[ch], out, offset=start, valid_items=valid, algorithm="warp_transpose")

        return kernel

    implicit = implicit_style(FLOAT2, startcarry, make_steps, ssm_scan_op, running_prefix)
    vector = implicit_style(V2, startcarry_v2, make_steps_v2, ssm_scan_op_v2, running_prefix_v2)

    def temp_storage_style(pair, init_carry, steps_of, op, prefix):
        """The ``temp_storage`` kernel for pairs of type ``pair`` (records: ``temp_storage``;
        ``float2``: ``temp_storage_vector``)."""

        @cuda.jit
        def kernel(u, delta, A, B, C, D, y):
            ch, d, b = channel_of_block(A.shape[0])
            L = u.shape[1]
            temp = coop.TempStorage()  # sized from the calls below; they take turns in it
            u_t = coop.local.array(IPT, np.float32)
            dt_t = coop.local.array(IPT, np.float32)
            b_t = coop.local.array(IPT, np.float32)
            c_t = coop.local.array(IPT, np.float32)
            out = coop.local.array(IPT, np.float32)
            steps = coop.local.array(IPT, pair)
            carry = coop.local.array(CARRY, pair)
            init_carry(carry)
            for start in range(0, L, CHUNK):
                valid = min(CHUNK, L - start)
                coop.block.load(u[ch], u_t, offset=start, valid_items=valid, oob_default=0.0,
                                algorithm="warp_transpose", temp_storage=temp)
                coop.block.load(delta[ch], dt_t, offset=start, valid_items=valid, oob_default=0.0,
                                algorithm="warp_transpose", temp_storage=temp)
                skip_output(out, u_t, D[d])
                for n in range(numba.uint64(N)):
                    coop.block.load(B[b, n], b_t, offset=start, valid_items=valid, oob_default=0.0,
                                    algorithm="warp_transpose", temp_storage=temp)
                    coop.block.load(C[b, n], c_t, offset=start, valid_items=valid, oob_default=0.0,
                                    algorithm="warp_transpose", temp_storage=temp)
                    steps_of(steps, dt_t, b_t, u_t, A[d, n])
                    coop.block.inclusive_scan(steps, steps, op, algorithm="warp_scans", temp_storage=temp,
                                              block_prefix_callback_op=coop.StatefulOp(prefix,
                                                                                       coop.advance(carry, 2 * n)))
                    add_output(out, steps, c_t)
                coop.block.store(y[ch], out, offset=start, valid_items=valid, algorithm="warp_transpose",
                                 temp_storage=temp)

        return kernel

    temp_storage = temp_storage_style(FLOAT2, startcarry, make_steps, ssm_scan_op, running_prefix)
    temp_storage_vector = temp_storage_style(V2, startcarry_v2, make_steps_v2, ssm_scan_op_v2, running_prefix_v2)

    @cuda.jit
    def traits(u, delta, A, B, C, D, y, t):
        ch, d, b = channel_of_block(A.shape[0])
        L = u.shape[1]
        u_t = coop.local.array(IPT, np.float32)
        dt_t = coop.local.array(IPT, np.float32)
        b_t = coop.local.array(IPT, np.float32)
        c_t = coop.local.array(IPT, np.float32)
        out = coop.local.array(IPT, np.float32)
        steps = coop.local.array(IPT, FLOAT2)
        carry = coop.local.array(CARRY, FLOAT2)
        startcarry(carry)
        for start in range(0, L, CHUNK):
            valid = min(CHUNK, L - start)
            t.load(u[ch], u_t, offset=start, valid_items=valid, oob_default=0.0)
            t.load(delta[ch], dt_t, offset=start, valid_items=valid, oob_default=0.0)
            skip_output(out, u_t, D[d])
            for n in range(numba.uint64(N)):
                t.load(B[b, n], b_t, offset=start, valid_items=valid, oob_default=0.0)
                t.load(C[b, n], c_t, offset=start, valid_items=valid, oob_default=0.0)
                make_steps(steps, dt_t, b_t, u_t, A[d, n])
                t.scan(steps, steps,
                       block_prefix_callback_op=coop.StatefulOp(running_prefix, coop.advance(carry, 2 * n)))
                add_output(out, steps, c_t)
            t.store(y[ch], out, offset=start, valid_items=valid)

    return {"traits": traits, "temp_storage": temp_storage, "implicit": implicit, "vector": vector,
            "temp_storage_vector": temp_storage_vector}


def reference(u, delta, A, B, C, D):
    """The recurrence step by step in float64: y of shape (batch * dim, L)."""
    batch, N, L = B.shape
    dim = A.shape[0]
    y = np.zeros(u.shape, np.float64)
    for ch in range(batch * dim):
        b, d = divmod(ch, dim)
        h = np.zeros(N)
        for t in range(L):
            h = np.exp(delta[ch, t] * A[d].astype(np.float64)) * h + delta[ch, t] * B[b, :, t] * u[ch, t]
            y[ch, t] = (C[b, :, t] * h).sum() + D[d] * u[ch, t]
    return y


def inputs(batch: int, dim: int, dstate: int, length: int, seed: int = 0):
    """Random inputs in the ranges Mamba uses (A negative, delta positive and small)."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((batch * dim, length)).astype(np.float32)
    delta = rng.uniform(0.001, 0.1, (batch * dim, length)).astype(np.float32)
    A = -rng.uniform(0.5, 2.0, (dim, dstate)).astype(np.float32)
    B = rng.standard_normal((batch, dstate, length)).astype(np.float32)
    C = rng.standard_normal((batch, dstate, length)).astype(np.float32)
    D = rng.standard_normal(dim).astype(np.float32)
    return u, delta, A, B, C, D


def run(style: str, threads: int, items_per_thread: int, args):
    """Run one style on device copies of ``args``; y on the host."""
    u, delta, A, B, C, D = args
    kernels = make_kernels(threads, items_per_thread, B.shape[1])
    dev = [cuda.to_device(a) for a in args]
    y = cuda.device_array(u.shape, np.float32)
    extra = (make_traits(threads, items_per_thread),) if style == "traits" else ()
    kernels[style][u.shape[0], threads](*dev, y, *extra)
    return y.copy_to_host()


def main():
    for length in (1000, 4096):
        args = inputs(batch=2, dim=4, dstate=4, length=length)
        ref = reference(*args)
        for style in STYLES:
            got = run(style, 128, 8, args)
            err = np.max(np.abs(got - ref) / (1 + np.abs(ref)))
            print(f"L={length:5d} {style:13s} max relative error {err:.2e}")


if __name__ == "__main__":
    main()
