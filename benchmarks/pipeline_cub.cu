// CUDA C++ reference for benchmarks/bench_pipeline.py: the same load -> exclusive sum ->
// store pipeline as the numba kernel, one tile of BLOCK*ITEMS int32 per thread block.
// Built with nvcc against the same CCCL; prints one JSON line with the median time.
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

__global__ void __launch_bounds__(BLOCK) pipeline(const int* d_in, int* d_out)
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

int main(int argc, char** argv)
{
  const long long n = argc > 1 ? atoll(argv[1]) : (1LL << 28);
  const int reps    = argc > 2 ? atoi(argv[2]) : 20;
  int *d_in, *d_out;
  cudaMalloc(&d_in, n * sizeof(int));
  cudaMalloc(&d_out, n * sizeof(int));
  cudaMemset(d_in, 1, n * sizeof(int));
  const long long blocks = n / (BLOCK * ITEMS);
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  pipeline<<<blocks, BLOCK>>>(d_in, d_out);  // warm up
  std::vector<float> ms(reps);
  for (int r = 0; r < reps; ++r)
  {
    cudaEventRecord(a);
    pipeline<<<blocks, BLOCK>>>(d_in, d_out);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms[r], a, b);
  }
  std::sort(ms.begin(), ms.end());
  cudaError_t err = cudaGetLastError();
  printf("{\"median_ms\": %.5f, \"min_ms\": %.5f, \"error\": \"%s\"}\n", ms[reps / 2], ms[0], cudaGetErrorString(err));
  return err != cudaSuccess;
}
