"""Kernels whose calls share one ``auto_sync`` coop.TempStorage, for the barrier plan
(``coop/_barriers.py``): consecutive warp-transposing loads of one layout wait at
``__syncwarp()``, everything else at ``__syncthreads()``. ``test_coop_barriers.py`` counts
their barriers; ``test_coop_barriers_gpu.py`` runs them against NumPy."""

import numpy as np
from numba import cuda

import coop

IPT = 4


def _two_loads(name: str, doc: str, first: str = "warp_transpose", second_dtype=np.float32):
    """A kernel that loads ``a`` (algorithm ``first``) and ``b`` (items of ``second_dtype``,
    ``warp_transpose``) through one TempStorage, then stores ``a + 2 * b``."""

    def kernel(a, b, out):
        temp = coop.TempStorage()
        x = coop.local.array(IPT, np.float32)
        y = coop.local.array(IPT, second_dtype)
        s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
        coop.block.load(a, x, offset=s, algorithm=first, temp_storage=temp)
        coop.block.load(b, y, offset=s, algorithm="warp_transpose", temp_storage=temp)
        for i in range(IPT):
            x[i] = x[i] + 2 * y[i]
        coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc
    return kernel


k_pair = _two_loads("k_pair", "load a, load b (the same layout): __syncthreads, __syncwarp; store: __syncthreads.")


def k_three(a, b, c, out):
    """Three loads in a row, the last through ``prim[temp]`` and with fewer valid items."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    y = coop.local.array(IPT, np.float32)
    z = coop.local.array(IPT, np.float32)
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    n = a.size - s
    coop.block.load(a, x, offset=s, valid_items=n, oob_default=0.0, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, offset=s, valid_items=n, oob_default=0.0, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load[temp](c, z, offset=s, valid_items=n - 1, oob_default=-1.0, algorithm="warp_transpose")
    for i in range(IPT):
        x[i] = x[i] + 2 * y[i] + 4 * z[i]
    coop.block.store(out, x, offset=s, valid_items=n, algorithm="warp_transpose", temp_storage=temp)


def k_rows(rows, out):
    """A loop over rows, two loads and a scan per row (the selective scan's state loop):
    per row __syncthreads before the first load (the scan before it), __syncwarp before the
    second, __syncthreads before the scan."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    y = coop.local.array(IPT, np.float32)
    acc = coop.local.array(IPT, np.float32)
    for i in range(IPT):
        acc[i] = 0
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    for r in range(0, rows.shape[0], 2):
        coop.block.load(rows[r], x, offset=s, algorithm="warp_transpose", temp_storage=temp)
        coop.block.load(rows[r + 1], y, offset=s, algorithm="warp_transpose", temp_storage=temp)
        for i in range(IPT):
            x[i] = x[i] * y[i]
        coop.block.inclusive_sum(x, x, temp_storage=temp)
        for i in range(IPT):
            acc[i] += x[i]
    coop.block.store(out, acc, offset=s, algorithm="warp_transpose", temp_storage=temp)


# ---------------------------------------------------------------- kept at __syncthreads()


k_other_layout = _two_loads("k_other_layout", "The second load has another layout (int32 items): its warps' "
                            "slices differ.", second_dtype=np.int32)
k_after_transpose = _two_loads("k_after_transpose", "The first load is block-wide (``transpose``): every warp may "
                               "read any slot.", first="transpose")


def k_call_between(a, b, out):
    """A call between the loads (here a barrier of the user's own): nothing is assumed of it."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    y = coop.local.array(IPT, np.float32)
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    coop.block.load(a, x, offset=s, algorithm="warp_transpose", temp_storage=temp)
    cuda.threadfence_block()
    coop.block.load(b, y, offset=s, algorithm="warp_transpose", temp_storage=temp)
    for i in range(IPT):
        x[i] = x[i] + 2 * y[i]
    coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)


def k_store_between(a, b, out):
    """A store into an array between the loads."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    y = coop.local.array(IPT, np.float32)
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    coop.block.load(a, x, offset=s, algorithm="warp_transpose", temp_storage=temp)
    x[0] = x[0] + 0
    coop.block.load(b, y, offset=s, algorithm="warp_transpose", temp_storage=temp)
    for i in range(IPT):
        x[i] = x[i] + 2 * y[i]
    coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)


def k_two_buffers(a, b, out):
    """Each load its own TempStorage: both are first uses."""
    t1 = coop.TempStorage()
    t2 = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    y = coop.local.array(IPT, np.float32)
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    coop.block.load(a, x, offset=s, algorithm="warp_transpose", temp_storage=t1)
    coop.block.load(b, y, offset=s, algorithm="warp_transpose", temp_storage=t2)
    for i in range(IPT):
        x[i] = x[i] + 2 * y[i]
    coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=t1)


def k_store_then_load(a, out):
    """A warp-transposing store then load of one layout: CUB's store keeps a block-wide
    ``valid_items`` in its TempStorage, so it is not warp-local."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.float32)
    s = cuda.blockIdx.x * cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * IPT
    coop.block.load(a, x, offset=s, algorithm="warp_transpose", temp_storage=temp)
    coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)
    for i in range(IPT):
        x[i] = x[i] * 3
    coop.block.store(out, x, offset=s, algorithm="warp_transpose", temp_storage=temp)


#: kernel -> the barriers before its coop calls in code order ("block" / "warp")
BARRIERS = {
    k_pair: ["block", "warp", "block"],
    k_three: ["block", "warp", "warp", "block"],
    k_rows: ["block", "warp", "block", "block"],
    k_other_layout: ["block", "block", "block"],
    k_after_transpose: ["block", "block", "block"],
    k_call_between: ["block", "block", "block"],
    k_store_between: ["block", "block", "block"],
    k_two_buffers: ["block", "block", "block"],
    k_store_then_load: ["block", "block", "block", "block"],
}
