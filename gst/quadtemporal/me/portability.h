// One kernel source for the host compiler, nvcc and hipcc: the search code in
// block_search.h is written once and compiled for whichever runs it.
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__)
#define QUAD_ME_HD __host__ __device__ __forceinline__
#define QUAD_ME_GLOBAL __global__
#else
#define QUAD_ME_HD inline
#endif
