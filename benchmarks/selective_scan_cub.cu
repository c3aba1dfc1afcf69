// CUDA C++ reference for benchmarks/bench_selective_scan.py: the selective-scan forward
// kernel of examples/selective_scan.py written with CUB (one shared-memory union, as a C++
// author writes it). Built by nvcc to a cubin (benchmarks/harness.py) and launched from
// Python by name on the same device arrays as the coop kernels, timed the same way.
#include <cub/block/block_load.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/block/block_store.cuh>

#ifndef BLOCK
#define BLOCK 128
#endif
#ifndef ITEMS
#define ITEMS 8
#endif
#ifndef DSTATE
#define DSTATE 4
#endif

struct Float2
{
  float x, y;
};

struct SsmScanOp
{
  __device__ Float2 operator()(const Float2& first, const Float2& second) const
  {
    return {second.x * first.x, second.x * first.y + second.y};
  }
};

struct RunningPrefix
{
  Float2 running;
  __device__ Float2 operator()(const Float2& chunk_aggregate)
  {
    Float2 old = running;
    running    = SsmScanOp{}(running, chunk_aggregate);
    return old;
  }
};

// pair_sync: the barrier between two loads of one chunk (u then delta, B then C) into the same
// temp.load. `__syncthreads()` is what CUB's documentation asks before reusing TempStorage;
// `__syncwarp()` suffices for BLOCK_LOAD_WARP_TRANSPOSE (each warp uses only its own slice),
// and is what coop's auto_sync plans there (coop/_barriers.py).
template <bool WarpPairs>
__device__ __forceinline__ void pair_sync()
{
  if constexpr (WarpPairs)
    __syncwarp();
  else
    __syncthreads();
}

template <bool WarpPairs>
__device__ __forceinline__ void
selective_scan_body(const float* u, const float* delta, const float* A, const float* B, const float* C, const float* D,
                    float* y, int dim, int L)
{
  using Load  = cub::BlockLoad<float, BLOCK, ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
  using Store = cub::BlockStore<float, BLOCK, ITEMS, cub::BLOCK_STORE_WARP_TRANSPOSE>;
  using Scan  = cub::BlockScan<Float2, BLOCK, cub::BLOCK_SCAN_WARP_SCANS>;
  __shared__ union
  {
    typename Load::TempStorage load;
    typename Store::TempStorage store;
    typename Scan::TempStorage scan;
  } temp;
  constexpr int chunk = BLOCK * ITEMS;
  const int ch = blockIdx.x, d = ch % dim, b = ch / dim;
  float u_t[ITEMS], dt_t[ITEMS], b_t[ITEMS], c_t[ITEMS], out[ITEMS];
  Float2 steps[ITEMS];
  RunningPrefix carry[DSTATE];
  for (int n = 0; n < DSTATE; ++n)
    carry[n].running = {1.f, 0.f};
  for (int start = 0; start < L; start += chunk)
  {
    const int valid = min(chunk, L - start);
    Load(temp.load).Load(u + (long long) ch * L + start, u_t, valid, 0.f);
    pair_sync<WarpPairs>();
    Load(temp.load).Load(delta + (long long) ch * L + start, dt_t, valid, 0.f);
    __syncthreads();
    for (int i = 0; i < ITEMS; ++i)
      out[i] = D[d] * u_t[i];
    for (int n = 0; n < DSTATE; ++n)
    {
      Load(temp.load).Load(B + ((long long) b * DSTATE + n) * L + start, b_t, valid, 0.f);
      pair_sync<WarpPairs>();
      Load(temp.load).Load(C + ((long long) b * DSTATE + n) * L + start, c_t, valid, 0.f);
      __syncthreads();
      const float a = A[d * DSTATE + n];
      for (int i = 0; i < ITEMS; ++i)
        steps[i] = {expf(dt_t[i] * a), dt_t[i] * b_t[i] * u_t[i]};
      Scan(temp.scan).InclusiveScan(steps, steps, SsmScanOp{}, carry[n]);
      __syncthreads();
      for (int i = 0; i < ITEMS; ++i)
        out[i] += steps[i].y * c_t[i];
    }
    Store(temp.store).Store(y + (long long) ch * L + start, out, valid);
    __syncthreads();
  }
}

extern "C" __global__ void __launch_bounds__(BLOCK)
  selective_scan(const float* u, const float* delta, const float* A, const float* B, const float* C, const float* D,
                 float* y, int dim, int L)
{
  selective_scan_body<false>(u, delta, A, B, C, D, y, dim, L);
}

extern "C" __global__ void __launch_bounds__(BLOCK)
  selective_scan_warp_pairs(const float* u, const float* delta, const float* A, const float* B, const float* C,
                            const float* D, float* y, int dim, int L)
{
  selective_scan_body<true>(u, delta, A, B, C, D, y, dim, L);
}
