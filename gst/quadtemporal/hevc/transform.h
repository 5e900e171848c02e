// HEVC core transforms (H.265 8.6.4): the normative inverse DCT-II / DST-VII
// approximations and the matching integer forward transforms for the encoder.
// Bit depth 8. Blocks are n x n row-major arrays with stride n, n in
// {4, 8, 16, 32}. GStreamer-free.
#pragma once

#include <cstdint>

namespace quad::hevc {

// H.265 8.6.4.2: transformation process for scaled transform coefficients,
// exactly as a decoder performs it: columns first, intermediate values
// clipped to 16 bits after (x + 64) >> 7, rows second with a final
// (x + 2048) >> 12 (bdShift = 20 - BitDepth). dst4x4 selects DST-VII (trType
// 1, only for 4x4 intra luma).
void inverse_transform(const int16_t *coeffs, int16_t *residual, int n, bool dst4x4);

// Forward transform with the same basis matrices (HM's shifts: rows first
// with log2(n) + BitDepth - 9, then columns with log2(n) + 6). Results are
// clipped to the int16 range.
void forward_transform(const int16_t *residual, int16_t *coeffs, int n, bool dst4x4);

// H.265 8.6.4.2 with transform_skip_flag = 1 (4x4 only without range
// extensions): r = d << tsShift (tsShift = 5 + log2(n)), then the same
// (r + 2048) >> 12 as the transform path.
void inverse_transform_skip(const int16_t *coeffs, int16_t *residual, int n);

// Encoder side of transform skip: residual << (15 - BitDepth - log2(n)), the
// scale the quantiser expects from a transform of that size.
void forward_transform_skip(const int16_t *residual, int16_t *coeffs, int n);

// The H.265 8.6.4.2 transMatrix entry for nTbS = n: basis function k (the
// coefficient index) at sample position i. DST-VII when dst4x4 (n == 4).
int transform_matrix_coefficient(int n, int k, int i, bool dst4x4);

} // namespace quad::hevc
