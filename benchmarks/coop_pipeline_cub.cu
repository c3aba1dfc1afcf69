// CUDA C++ reference for benchmarks/bench_coop_pipeline.py: the grid-stride
// load -> exclusive sum -> store kernel of examples/grid_stride_scan.py, written with CUB.
// Built by nvcc to a cubin against the same CCCL (benchmarks/harness.py) and launched from
// Python by name beside the coop kernel, timed the same way.
#include <cub/block/block_load.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/block/block_store.cuh>

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef ITEMS
#define ITEMS 8
#endif

extern "C" __global__ void __launch_bounds__(BLOCK) scan_tiles(const int* d_in, int* d_out, long long n)
{
  using Load  = cub::BlockLoad<int, BLOCK, ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
  using Scan  = cub::BlockScan<int, BLOCK, cub::BLOCK_SCAN_WARP_SCANS>;
  using Store = cub::BlockStore<int, BLOCK, ITEMS, cub::BLOCK_STORE_WARP_TRANSPOSE>;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ typename Scan::TempStorage scan_ts;
  __shared__ typename Store::TempStorage store_ts;
  constexpr long long tile = BLOCK * ITEMS;
  int items[ITEMS];
  const long long full_tiles = n / tile;
  for (long long t = blockIdx.x; t < full_tiles; t += gridDim.x)
  {
    const long long offset = t * tile;
    Load(load_ts).Load(d_in + offset, items);
    Scan(scan_ts).ExclusiveSum(items, items);
    Store(store_ts).Store(d_out + offset, items);
    __syncthreads();
  }
  const long long rest = n - full_tiles * tile;
  if (rest > 0 && blockIdx.x == full_tiles % gridDim.x)
  {
    const long long offset = full_tiles * tile;
    Load(load_ts).Load(d_in + offset, items, (int) rest, 0);
    Scan(scan_ts).ExclusiveSum(items, items);
    Store(store_ts).Store(d_out + offset, items, (int) rest);
  }
}
