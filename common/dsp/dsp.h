// Pixel kernels shared by every core: a scalar reference and Highway SIMD
// versions behind one function table, chosen once for the running CPU.
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::dsp {

// Sum of absolute differences over a w x h block of 8-bit samples.
// w and h are each one of 4, 8, 16, 32, 64.
using SadFn = uint32_t (*)(const uint8_t *a, ptrdiff_t a_stride,
                           const uint8_t *b, ptrdiff_t b_stride, int w, int h);

// The SADs of one w x h block a against four blocks b[0..3] sharing one
// stride, each what SadFn gives: the points of a search pattern at once,
// with a's rows loaded once for the four. w and h as for SadFn.
using SadX4Fn = void (*)(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *const b[4],
                         ptrdiff_t b_stride, int w, int h, uint32_t sads[4]);

// Sum of absolute Hadamard-transformed differences over a w x h block: the
// sum of 8x8 transforms when w and h are multiples of 8, else of 4x4 ones.
// w and h are each one of 4, 8, 16, 32, 64. Unnormalised (raw sum).
// Exactly: the sum over n x n blocks of sum(|H D H|), D the block of a - b and
// H the n x n matrix H[i][j] = (-1)^popcount(i & j), with no rounding or
// scaling; so a flat difference d gives n * n * |d| per block.
using SatdFn = uint32_t (*)(const uint8_t *a, ptrdiff_t a_stride,
                            const uint8_t *b, ptrdiff_t b_stride, int w,
                            int h);

// Sum of squared differences over any w x h block (w, h >= 1).
using SseFn = uint64_t (*)(const uint8_t *a, ptrdiff_t a_stride,
                           const uint8_t *b, ptrdiff_t b_stride, int w, int h);

// Copies width bytes of each of height rows; strides may differ.
// The two planes must not overlap; a width or height of 0 copies nothing.
using CopyPlaneFn = void (*)(uint8_t *dst, ptrdiff_t dst_stride,
                             const uint8_t *src, ptrdiff_t src_stride,
                             int width, int height);

struct Kernels {
  const char *name; // "scalar", or the Highway target ("AVX2", "AVX3" ...)
  SadFn sad;
  SatdFn satd;
  SseFn sse;
  CopyPlaneFn copy_plane;
  SadX4Fn sad_x4;
};

// The scalar reference every SIMD version must equal bit for bit.
const Kernels &reference_kernels();

// The best kernels for this CPU, chosen on first use.
const Kernels &kernels();

// The reference, then every compiled SIMD target this CPU can run: what the
// kernel tests compare and what the benchmarks time.
std::vector<Kernels> all_kernels();

} // namespace quad::dsp
