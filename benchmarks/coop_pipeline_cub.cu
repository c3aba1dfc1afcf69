// CUDA C++ reference for benchmarks/bench_coop_pipeline.py: the grid-stride
// load -> exclusive sum -> store kernel of examples/grid_stride_scan.py, written with CUB.
// Built with nvcc against the same CCCL; prints one JSON line.
#include <cub/block/block_load.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/block/block_store.cuh>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef ITEMS
#define ITEMS 8
#endif

__global__ void __launch_bounds__(BLOCK) scan_tiles(const int* d_in, int* d_out, long long n)
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

int main(int argc, char** argv)
{
  const long long n = argc > 1 ? atoll(argv[1]) : (1LL << 28);
  const int reps    = argc > 2 ? atoi(argv[2]) : 20;
  const int batch   = argc > 3 ? atoi(argv[3]) : 10;
  const int blocks  = argc > 4 ? atoi(argv[4]) : 132 * (2048 / BLOCK);
  int *d_in, *d_out;
  cudaMalloc(&d_in, n * sizeof(int));
  cudaMalloc(&d_out, n * sizeof(int));
  cudaMemset(d_in, 1, n * sizeof(int));
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  scan_tiles<<<blocks, BLOCK>>>(d_in, d_out, n);  // warm up
  std::vector<float> ms(reps);
  for (int r = 0; r < reps; ++r)
  {
    cudaEventRecord(a);
    for (int i = 0; i < batch; ++i)
      scan_tiles<<<blocks, BLOCK>>>(d_in, d_out, n);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms[r], a, b);
    ms[r] /= batch;
  }
  std::sort(ms.begin(), ms.end());
  cudaError_t err = cudaGetLastError();
  printf("{\"median_ms\": %.5f, \"min_ms\": %.5f, \"error\": \"%s\"}\n", ms[reps / 2], ms[0], cudaGetErrorString(err));
  return err != cudaSuccess;
}
