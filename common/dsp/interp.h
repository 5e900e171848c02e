// H.265 luma sample interpolation: the quarter-sample 8-tap filters of
// H.265 8.5.3.3.3.1 followed by default weighted prediction (8.5.3.3.4.2) for
// 8-bit uni-prediction, so a block predicted here is the block a decoder
// predicts. A scalar reference and Highway SIMD versions behind one table.
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::dsp {

// Predicts a w x h block whose top-left integer sample is src, at phase
// (frac_x, frac_y) in quarter samples (0..3 each), into dst. w is one of 4,
// 8, 16, 32, 64; h is any height from 1 to 64. A non-zero frac_x reads
// columns -3 .. w + 3 of src; a non-zero frac_y reads rows -3 .. h + 3.
using InterpLumaFn = void (*)(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                              ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y);

struct InterpKernels {
  const char *name; // "scalar", or the Highway target
  InterpLumaFn luma;
};

// H.265 Table 8-11: fL[frac][i] applies to the sample at offset i - 3.
inline constexpr int8_t kLumaFilter[4][8] = {
    {0, 0, 0, 64, 0, 0, 0, 0},
    {-1, 4, -10, 58, 17, -5, 1, 0},
    {-1, 4, -11, 40, 40, -11, 4, -1},
    {0, 1, -5, 17, 58, -10, 4, -1},
};

// The scalar reference every SIMD version equals bit for bit.
const InterpKernels &reference_interp_kernels();

// The best version for this CPU, chosen on first use.
const InterpKernels &interp_kernels();

// The reference, then every compiled SIMD target this CPU runs.
std::vector<InterpKernels> all_interp_kernels();

} // namespace quad::dsp
