// CUDA C++ references for benchmarks/bench_families.py: one kernel per CUB primitive family,
// each the same body as the coop kernel of the same name there (same CUB classes, template
// arguments and calls; one TempStorage per call, as coop gives each call its own). Built by
// nvcc to a cubin (-cubin -arch=sm_90) and launched from Python by name, so the kernels are
// extern "C" and templated on nothing; the sizes come from bench_families.py as -D flags.
// Input pointers are not const: coop hands CUB a T*, and the same pointer type keeps the
// same CUB overloads on both sides.
#include <cub/block/block_exchange.cuh>
#include <cub/block/block_histogram.cuh>
#include <cub/block/block_load.cuh>
#include <cub/block/block_merge_sort.cuh>
#include <cub/block/block_radix_sort.cuh>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_run_length_decode.cuh>
#include <cub/block/block_store.cuh>
#include <cub/warp/warp_load.cuh>
#include <cub/warp/warp_reduce.cuh>
#include <cub/warp/warp_scan.cuh>
#include <cub/warp/warp_store.cuh>
#include <cuda/std/functional>

#if !defined(REDUCE_THREADS) || !defined(EXCHANGE_THREADS) || !defined(RADIX_THREADS) || !defined(MERGE_THREADS) \
  || !defined(HISTO_THREADS) || !defined(RLD_THREADS) || !defined(WARP_THREADS_PER_BLOCK)
#  error "build with bench_families.SIZES as -D flags (harness.build_reference does)"
#endif

// One tile per block: vectorized load, BlockReduce::Sum, one partial per block.
extern "C" __global__ void __launch_bounds__(REDUCE_THREADS) block_reduce(int* d_in, int* d_out)
{
  using Load   = cub::BlockLoad<int, REDUCE_THREADS, REDUCE_ITEMS, cub::BLOCK_LOAD_VECTORIZE>;
  using Reduce = cub::BlockReduce<int, REDUCE_THREADS, cub::BLOCK_REDUCE_WARP_REDUCTIONS>;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ typename Reduce::TempStorage reduce_ts;
  int items[REDUCE_ITEMS];
  Load(load_ts).Load(d_in + (long long) blockIdx.x * (REDUCE_THREADS * REDUCE_ITEMS), items);
  const int total = Reduce(reduce_ts).Sum(items);
  if (threadIdx.x == 0)
  {
    d_out[blockIdx.x] = total;
  }
}

// One tile per block: striped load, BlockExchange::StripedToBlocked, blocked (direct) store.
extern "C" __global__ void __launch_bounds__(EXCHANGE_THREADS) block_exchange(int* d_in, int* d_out)
{
  using Load     = cub::BlockLoad<int, EXCHANGE_THREADS, EXCHANGE_ITEMS, cub::BLOCK_LOAD_STRIPED>;
  using Exchange = cub::BlockExchange<int, EXCHANGE_THREADS, EXCHANGE_ITEMS>;
  using Store    = cub::BlockStore<int, EXCHANGE_THREADS, EXCHANGE_ITEMS, cub::BLOCK_STORE_DIRECT>;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ typename Exchange::TempStorage exchange_ts;
  __shared__ typename Store::TempStorage store_ts;
  const long long offset = (long long) blockIdx.x * (EXCHANGE_THREADS * EXCHANGE_ITEMS);
  int items[EXCHANGE_ITEMS];
  Load(load_ts).Load(d_in + offset, items);
  Exchange(exchange_ts).StripedToBlocked(items);
  Store(store_ts).Store(d_out + offset, items);
}

// One tile of u32 keys per block: warp-transpose load, BlockRadixSort::SortBlockedToStriped
// (CUB's defaults: 4-bit digits, memoized outer scan, warp-scans inner scan), striped store.
extern "C" __global__ void __launch_bounds__(RADIX_THREADS) block_radix_sort(unsigned* d_in, unsigned* d_out)
{
  using Load  = cub::BlockLoad<unsigned, RADIX_THREADS, RADIX_ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
  using Sort  = cub::BlockRadixSort<unsigned, RADIX_THREADS, RADIX_ITEMS>;
  using Store = cub::BlockStore<unsigned, RADIX_THREADS, RADIX_ITEMS, cub::BLOCK_STORE_STRIPED>;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ typename Sort::TempStorage sort_ts;
  __shared__ typename Store::TempStorage store_ts;
  const long long offset = (long long) blockIdx.x * (RADIX_THREADS * RADIX_ITEMS);
  unsigned keys[RADIX_ITEMS];
  Load(load_ts).Load(d_in + offset, keys);
  Sort(sort_ts).SortBlockedToStriped(keys);
  Store(store_ts).Store(d_out + offset, keys);
}

// One tile of i32 keys per block: warp-transpose load, BlockMergeSort::Sort with less,
// warp-transpose store.
extern "C" __global__ void __launch_bounds__(MERGE_THREADS) block_merge_sort(int* d_in, int* d_out)
{
  using Load  = cub::BlockLoad<int, MERGE_THREADS, MERGE_ITEMS, cub::BLOCK_LOAD_WARP_TRANSPOSE>;
  using Sort  = cub::BlockMergeSort<int, MERGE_THREADS, MERGE_ITEMS>;
  using Store = cub::BlockStore<int, MERGE_THREADS, MERGE_ITEMS, cub::BLOCK_STORE_WARP_TRANSPOSE>;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ typename Sort::TempStorage sort_ts;
  __shared__ typename Store::TempStorage store_ts;
  const long long offset = (long long) blockIdx.x * (MERGE_THREADS * MERGE_ITEMS);
  int keys[MERGE_ITEMS];
  Load(load_ts).Load(d_in + offset, keys);
  Sort(sort_ts).Sort(keys, ::cuda::std::less<>{});
  Store(store_ts).Store(d_out + offset, keys);
}

// Grid-stride over tiles of u8 samples: vectorized load, BlockHistogram (atomic) Composite into
// a shared 256-bin histogram, then one atomicAdd per bin to the global histogram.
extern "C" __global__ void __launch_bounds__(HISTO_THREADS)
  block_histogram(unsigned char* d_in, unsigned* d_hist, long long n)
{
  using Histo = cub::BlockHistogram<unsigned char, HISTO_THREADS, HISTO_ITEMS, HISTO_BINS, cub::BLOCK_HISTO_ATOMIC>;
  using Load  = cub::BlockLoad<unsigned char, HISTO_THREADS, HISTO_ITEMS, cub::BLOCK_LOAD_VECTORIZE>;
  __shared__ typename Histo::TempStorage histo_ts;
  __shared__ typename Load::TempStorage load_ts;
  __shared__ unsigned smem[HISTO_BINS];
  unsigned char samples[HISTO_ITEMS];
  Histo(histo_ts).InitHistogram(smem);
  __syncthreads();
  const long long tile  = HISTO_THREADS * HISTO_ITEMS;
  const long long tiles = n / tile;
  for (long long t = blockIdx.x; t < tiles; t += gridDim.x)
  {
    Load(load_ts).Load(d_in + t * tile, samples);
    Histo(histo_ts).Composite(samples, smem);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < HISTO_BINS; b += HISTO_THREADS)
  {
    atomicAdd(d_hist + b, smem[b]);
  }
}

// One block of runs per block: vectorized loads of RLD_RUNS values and lengths per thread,
// BlockRunLengthDecode, then windows of RLD_DECODED items per thread decoded and stored
// (warp-transpose, guarded) at the block's output offset.
extern "C" __global__ void __launch_bounds__(RLD_THREADS)
  block_run_length_decode(int* d_values, unsigned* d_lengths, long long* d_block_offsets, int* d_out)
{
  using LoadV  = cub::BlockLoad<int, RLD_THREADS, RLD_RUNS, cub::BLOCK_LOAD_VECTORIZE>;
  using LoadL  = cub::BlockLoad<unsigned, RLD_THREADS, RLD_RUNS, cub::BLOCK_LOAD_VECTORIZE>;
  using Decode = cub::BlockRunLengthDecode<int, RLD_THREADS, RLD_RUNS, RLD_DECODED, unsigned>;
  using Store  = cub::BlockStore<int, RLD_THREADS, RLD_DECODED, cub::BLOCK_STORE_WARP_TRANSPOSE>;
  __shared__ typename LoadV::TempStorage loadv_ts;
  __shared__ typename LoadL::TempStorage loadl_ts;
  __shared__ typename Decode::TempStorage decode_ts;
  __shared__ typename Store::TempStorage store_ts;
  const long long base = (long long) blockIdx.x * (RLD_THREADS * RLD_RUNS);
  int values[RLD_RUNS];
  unsigned lengths[RLD_RUNS];
  LoadV(loadv_ts).Load(d_values + base, values);
  LoadL(loadl_ts).Load(d_lengths + base, lengths);
  unsigned total = 0;
  Decode decode(decode_ts, values, lengths, total);
  int decoded[RLD_DECODED];
  int* out = d_out + d_block_offsets[blockIdx.x];
  for (unsigned window = 0; window < total; window += RLD_THREADS * RLD_DECODED)
  {
    decode.RunLengthDecode(decoded, window);
    Store(store_ts).Store(out + window, decoded, (int) (total - window));
    __syncthreads(); // the store's shared memory is reused by the next window
  }
}

// One tile of 32 x WARP_REDUCE_ITEMS per warp: striped warp load, WarpReduce::Sum of the lane's
// items, lane 0 writes the warp's sum.
extern "C" __global__ void __launch_bounds__(WARP_THREADS_PER_BLOCK) warp_reduce(int* d_in, int* d_out)
{
  constexpr int warps = WARP_THREADS_PER_BLOCK / 32;
  using Load          = cub::WarpLoad<int, WARP_REDUCE_ITEMS, cub::WARP_LOAD_STRIPED>;
  using Reduce        = cub::WarpReduce<int>;
  __shared__ typename Load::TempStorage load_ts[warps];
  __shared__ typename Reduce::TempStorage reduce_ts[warps];
  const int lw         = threadIdx.x / 32;
  const long long warp = (long long) blockIdx.x * warps + lw;
  int items[WARP_REDUCE_ITEMS];
  Load(load_ts[lw]).Load(d_in + warp * (32 * WARP_REDUCE_ITEMS), items);
  const int total = Reduce(reduce_ts[lw]).Sum(items);
  if (threadIdx.x % 32 == 0)
  {
    d_out[warp] = total;
  }
}

// One tile of 32 x WARP_SCAN_ITEMS per warp, inclusive prefix sum: transpose warp load, the
// lane's own running sum, WarpScan::ExclusiveSum of the lanes' totals, transpose store.
extern "C" __global__ void __launch_bounds__(WARP_THREADS_PER_BLOCK) warp_scan(int* d_in, int* d_out)
{
  constexpr int warps = WARP_THREADS_PER_BLOCK / 32;
  using Load          = cub::WarpLoad<int, WARP_SCAN_ITEMS, cub::WARP_LOAD_TRANSPOSE>;
  using Scan          = cub::WarpScan<int>;
  using Store         = cub::WarpStore<int, WARP_SCAN_ITEMS, cub::WARP_STORE_TRANSPOSE>;
  __shared__ typename Load::TempStorage load_ts[warps];
  __shared__ typename Scan::TempStorage scan_ts[warps];
  __shared__ typename Store::TempStorage store_ts[warps];
  const int lw           = threadIdx.x / 32;
  const long long offset = ((long long) blockIdx.x * warps + lw) * (32 * WARP_SCAN_ITEMS);
  int items[WARP_SCAN_ITEMS];
  Load(load_ts[lw]).Load(d_in + offset, items);
  for (int i = 1; i < WARP_SCAN_ITEMS; ++i)
  {
    items[i] += items[i - 1];
  }
  int prefix;
  Scan(scan_ts[lw]).ExclusiveSum(items[WARP_SCAN_ITEMS - 1], prefix);
  for (int i = 0; i < WARP_SCAN_ITEMS; ++i)
  {
    items[i] += prefix;
  }
  Store(store_ts[lw]).Store(d_out + offset, items);
}
