// CUDA C++ reference for benchmarks/bench_pipeline.py: one tile of BLOCK x ITEMS int32 per block,
// BlockLoad (warp transpose) -> BlockScan::ExclusiveSum (warp scans) -> BlockStore (warp transpose),
// the three TempStorages in one shared union. Built by nvcc to a cubin (benchmarks/harness.py)
// and launched from Python by name beside the numba kernels, timed the same way.
#include <cub/block/block_load.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/block/block_store.cuh>

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef ITEMS
#define ITEMS 8
#endif

extern "C" __global__ void __launch_bounds__(BLOCK) pipeline(const int* d_in, int* d_out)
{
  using Load  = cub::BlockLoad<int, BLOCK, ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
  using Scan  = cub::BlockScan<int, BLOCK, cub::BLOCK_SCAN_WARP_SCANS>;
  using Store = cub::BlockStore<int, BLOCK, ITEMS, cub::BLOCK_STORE_WARP_TRANSPOSE>;
  __shared__ union { typename Load::TempStorage load; typename Scan::TempStorage scan; typename Store::TempStorage store; } ts;
  const long long offset = (long long) blockIdx.x * BLOCK * ITEMS;
  int items[ITEMS];
  Load(ts.load).Load(d_in + offset, items);
  __syncthreads();
  Scan(ts.scan).ExclusiveSum(items, items);
  __syncthreads();
  Store(ts.store).Store(d_out + offset, items);
}
