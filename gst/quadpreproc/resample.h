// Separable resampling of one 8-bit plane (luma, or one chroma component),
// with a filter widened by the reduction factor so that reductions do not
// alias. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/scale_rows.h"

namespace quad::preproc {

enum class ScaleMethod {
  Bilinear, // triangle filter
  Bicubic,  // Catmull-Rom cubic (B = 0, C = 1/2)
  Area,     // exact pixel-area coverage: the mean of what each output pixel covers
            // (an enlarged axis interpolates as Bilinear)
};

// The filter of one axis: for each output sample, a window of `support`
// consecutive input samples starting at `start[i]` and its weights in Q14
// (they sum to exactly 1 << 14). Edges are extended by repeating the last
// sample, folded into the window's weights.
struct FilterTaps {
  int support = 0;
  std::vector<int> start;
  std::vector<int16_t> weights; // output-major: weights[i * support + k]
};

FilterTaps make_filter_taps(ScaleMethod method, int in_size, int out_size);

// The same filter in double precision, unquantised: what the tests compare
// the fixed-point filter against. weight(i, k) is the weight of input k for
// output i (0 outside the window).
std::vector<double> reference_filter(ScaleMethod method, int in_size, int out_size);

// Scales a plane of in_w x in_h samples to out_w x out_h. `in_step` and
// `out_step` are the byte distances between neighbouring samples of a row (1
// for a planar component, 2 for one half of NV12's interleaved chroma).
class PlaneScaler {
public:
  PlaneScaler(ScaleMethod method, int in_w, int in_h, int out_w, int out_h);

  // Writes output rows [row_begin, row_end); distinct ranges may run on
  // different threads at once.
  void scale_rows(const uint8_t *in, ptrdiff_t in_stride, int in_step, uint8_t *out,
                  ptrdiff_t out_stride, int out_step, int row_begin, int row_end) const;

  int out_height() const { return out_h_; }

private:
  int in_w_, in_h_, out_w_, out_h_;
  FilterTaps v_;
  dsp::RowFilter h_;
};

} // namespace quad::preproc
