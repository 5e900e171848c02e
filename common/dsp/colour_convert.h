// Colour-conversion row kernels for quadpreproc: packed RGB to YCbCr, 2x2
// reduction, NV12 interleaving. A scalar reference and Highway SIMD versions
// behind one table. GStreamer-free.
#pragma once

#include <cstdint>
#include <vector>

namespace quad::dsp {

// RGB -> YCbCr in Q16 fixed point. A pixel is 4 bytes; read as a
// little-endian u32, component C is (pixel >> C_shift) & 0xFF.
struct RgbToYuvParams {
  int r_shift, g_shift, b_shift;
  int32_t yr, yg, yb, ur, ug, ub, vr, vg, vb;
  int32_t y_offset, c_offset; // Q16, rounding included
};

// Y, Cb and Cr of each of `width` pixels, each (sum + offset) >> 16 clamped
// to 0..255. y may be null (only chroma wanted).
using RgbToYuvRowFn = void (*)(const uint8_t *src, int width, const RgbToYuvParams &p, uint8_t *y,
                               uint8_t *u, uint8_t *v);

// out[x] = (a[2x] + a[2x+1] + b[2x] + b[2x+1] + 2) >> 2 for x < n: the
// rounded mean of each 2x2 square of rows a and b (which hold 2n samples).
// out must not overlap a or b.
using Reduce2x2RowFn = void (*)(const uint8_t *a, const uint8_t *b, int n, uint8_t *out);

// uv[2x] = u[x], uv[2x+1] = v[x] for x < n.
using InterleaveRowFn = void (*)(const uint8_t *u, const uint8_t *v, int n, uint8_t *uv);

struct ConvertKernels {
  const char *name; // "scalar", or the Highway target
  RgbToYuvRowFn rgb_to_yuv_row;
  Reduce2x2RowFn reduce_2x2_row;
  InterleaveRowFn interleave_row;
};

// The scalar reference every SIMD version equals bit for bit.
const ConvertKernels &reference_convert_kernels();

// The best version for this CPU, chosen on first use.
const ConvertKernels &convert_kernels();

// The reference, then every compiled SIMD target this CPU runs.
std::vector<ConvertKernels> all_convert_kernels();

} // namespace quad::dsp
