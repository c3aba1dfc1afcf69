"""C++ shim sources shared by the compile-service tests."""

BLOCK_SCAN_TEMP_STORAGE = "cub::BlockScan<int, 128>::TempStorage"


def block_scan_exclusive_sum_shim(name: str) -> str:
    """An extern "C" shim in numba's declare_device ABI: return slot first, int status back."""
    return rf"""
#include <cub/block/block_scan.cuh>
using BlockScanT = cub::BlockScan<int, 128>;
extern "C" __device__ int
{name}(int *ret, void *temp_storage, int input)
{{
    int out;
    BlockScanT(*reinterpret_cast<BlockScanT::TempStorage *>(temp_storage)).ExclusiveSum(input, out);
    *ret = out;
    return 0;
}}
"""
