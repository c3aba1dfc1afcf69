// CUDA C++ reference for benchmarks/bench_selective_scan.py: the selective-scan forward
// kernel of examples/selective_scan.py written with CUB (one shared-memory union, as a C++
// author writes it). Reads the inputs from the files the Python side wrote, runs and times
// the kernel, writes y; prints one JSON line.
//   selective_scan_cub DIR BATCH DIM L REPS BATCHES
#include <cub/block/block_load.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/block/block_store.cuh>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

__global__ void __launch_bounds__(BLOCK)
  selective_scan(const float* u, const float* delta, const float* A, const float* B, const float* C, const float* D,
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
    __syncthreads();
    Load(temp.load).Load(delta + (long long) ch * L + start, dt_t, valid, 0.f);
    __syncthreads();
    for (int i = 0; i < ITEMS; ++i)
      out[i] = D[d] * u_t[i];
    for (int n = 0; n < DSTATE; ++n)
    {
      Load(temp.load).Load(B + ((long long) b * DSTATE + n) * L + start, b_t, valid, 0.f);
      __syncthreads();
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

static std::vector<float> read(const std::string& path, size_t n)
{
  std::vector<float> v(n);
  FILE* f = fopen(path.c_str(), "rb");
  if (!f || fread(v.data(), sizeof(float), n, f) != n)
  {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    exit(2);
  }
  fclose(f);
  return v;
}

static float* upload(const std::vector<float>& v)
{
  float* p;
  cudaMalloc(&p, v.size() * sizeof(float));
  cudaMemcpy(p, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice);
  return p;
}

int main(int argc, char** argv)
{
  if (argc < 7)
  {
    fprintf(stderr, "usage: %s DIR BATCH DIM L REPS BATCHES\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int batch = atoi(argv[2]), dim = atoi(argv[3]), L = atoi(argv[4]), reps = atoi(argv[5]), batches = atoi(argv[6]);
  const size_t nu = (size_t) batch * dim * L, nbc = (size_t) batch * DSTATE * L;
  float* u     = upload(read(dir + "/u.bin", nu));
  float* delta = upload(read(dir + "/delta.bin", nu));
  float* A     = upload(read(dir + "/A.bin", (size_t) dim * DSTATE));
  float* B     = upload(read(dir + "/B.bin", nbc));
  float* C     = upload(read(dir + "/C.bin", nbc));
  float* D     = upload(read(dir + "/D.bin", dim));
  float* y;
  cudaMalloc(&y, nu * sizeof(float));
  const int grid = batch * dim;
  selective_scan<<<grid, BLOCK>>>(u, delta, A, B, C, D, y, dim, L);  // warm up, and the result
  std::vector<float> host(nu);
  cudaMemcpy(host.data(), y, nu * sizeof(float), cudaMemcpyDeviceToHost);
  FILE* f = fopen((dir + "/y_cub.bin").c_str(), "wb");
  fwrite(host.data(), sizeof(float), nu, f);
  fclose(f);
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  std::vector<float> ms(reps);
  for (int r = 0; r < reps; ++r)
  {
    cudaEventRecord(a);
    for (int i = 0; i < batches; ++i)
      selective_scan<<<grid, BLOCK>>>(u, delta, A, B, C, D, y, dim, L);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms[r], a, b);
    ms[r] /= batches;
  }
  std::sort(ms.begin(), ms.end());
  cudaError_t err = cudaGetLastError();
  printf("{\"median_ms\": %.5f, \"min_ms\": %.5f, \"error\": \"%s\"}\n", ms[reps / 2], ms[0], cudaGetErrorString(err));
  return err != cudaSuccess;
}
