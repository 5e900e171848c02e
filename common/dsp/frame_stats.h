// Row kernels of frame analysis for quadpreproc: Sobel edge energy and the
// column sums that per-block mean and variance come from, and the 8:1
// thumbnail scene detection compares. A scalar reference
// and Highway SIMD versions behind one table. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::dsp {

// Column sums over rows [y0, y1) of a w x h plane (1 <= w, 0 <= y0 < y1 <= h,
// y1 - y0 <= 64), written (not added) to sums, squares and edges: for
// each x, the sum over those rows of the sample, of its square, and of
// |gx| + |gy|, its 3x3 Sobel gradients, where rows and columns beyond the
// plane repeat its edge.
using SobelColumnSumsFn = void (*)(const uint8_t *plane, ptrdiff_t stride, int w, int h, int y0,
                                   int y1, uint16_t *sums, uint32_t *squares, uint32_t *edges);

// out[i] = (sum over y, x < 8 of src[y * stride + 8 * i + x] + 32) >> 6 for
// i < n: the rounded means of n 8x8 squares side by side (a thumbnail row).
using Thumbnail8x8RowFn = void (*)(const uint8_t *src, ptrdiff_t stride, int n, uint8_t *out);

struct FrameStatsKernels {
  const char *name; // "scalar", or the Highway target
  SobelColumnSumsFn sobel_column_sums;
  Thumbnail8x8RowFn thumbnail_8x8_row;
};

// The scalar reference every SIMD version equals bit for bit.
const FrameStatsKernels &reference_frame_stats_kernels();

// The best version for this CPU, chosen on first use.
const FrameStatsKernels &frame_stats_kernels();

// The reference, then every compiled SIMD target this CPU runs.
std::vector<FrameStatsKernels> all_frame_stats_kernels();

} // namespace quad::dsp
