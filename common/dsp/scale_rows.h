// Row kernels of quadpreproc's separable scaler: the vertical pass of 8-bit
// rows into Q6, and the horizontal pass of a Q6 row back to 8 bits, each
// output a window of consecutive samples weighted in Q14. A scalar reference
// and Highway SIMD versions behind one table. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::dsp {

// Filter weights are Q14 (a window's weights sum to 1 << 14); the vertical
// pass keeps 6 fractional bits, so the horizontal pass rounds only once.
inline constexpr int kScaleWeightBits = 14;
inline constexpr int kScaleMidBits = 6;

// mid[x] = (sum over k < taps of weights[k] * src[k * stride + x] + 2^7) >> 8
// for x < width: one output row of the vertical pass (taps >= 1; the sum of
// the weights' magnitudes at most 2^15, as a filter's is, so mid fits).
using ScaleVerticalFn = void (*)(const uint8_t *src, ptrdiff_t stride, const int16_t *weights,
                                 int taps, int width, int16_t *mid);

// The horizontal filter of one row size, laid out by the table that runs it
// (make_row_filter) for its vector width.
struct RowFilter {
  int in_width = 0, out_width = 0, support = 0;
  std::vector<int> start;       // per output: its window's first input sample
  std::vector<int16_t> weights; // Q14, weights[i * support + k]
  // Samples of mid the horizontal pass may read (at least in_width; those
  // past in_width get weight 0 but must be readable).
  int mid_extent = 0;
  // SIMD layout, empty for the reference: groups of `lanes` outputs, each
  // reading `tables` vectors of sample pairs from `group_base`, and per pair
  // of taps a lane index into them and the two weights.
  int lanes = 0, tables = 0, pairs = 0;
  std::vector<int32_t> group_base;
  std::vector<int32_t> lane_index;   // [group][pair][lane]
  std::vector<int32_t> pair_weights; // [group][pair][lane]: w[2p] | w[2p+1] << 16
};

using MakeRowFilterFn = RowFilter (*)(int in_width, int out_width, int support,
                                      const std::vector<int> &start,
                                      const std::vector<int16_t> &weights);

// dst[i] = clamp((sum over k of weights[i][k] * mid[start[i] + k] + 2^19) >> 20,
// 0, 255) for i < out_width. scratch holds mid_extent int32.
using ScaleHorizontalFn = void (*)(const int16_t *mid, const RowFilter &filter, int32_t *scratch,
                                   uint8_t *dst);

struct ScaleKernels {
  const char *name; // "scalar", or the Highway target
  ScaleVerticalFn vertical;
  MakeRowFilterFn make_row_filter;
  ScaleHorizontalFn horizontal;
};

// The scalar reference every SIMD version equals bit for bit.
const ScaleKernels &reference_scale_kernels();

// The best version for this CPU, chosen on first use.
const ScaleKernels &scale_kernels();

// The reference, then every compiled SIMD target this CPU runs.
std::vector<ScaleKernels> all_scale_kernels();

} // namespace quad::dsp
