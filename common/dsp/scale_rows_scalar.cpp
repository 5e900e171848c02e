// Scalar reference of the scaler's row kernels.
#include "dsp/scale_rows.h"

#include <algorithm>

namespace quad::dsp {

namespace {

void Vertical(const uint8_t *src, ptrdiff_t stride, const int16_t *weights, int taps, int width,
              int16_t *mid) {
  constexpr int shift = kScaleWeightBits - kScaleMidBits;
  for (int x = 0; x < width; x++) {
    int32_t sum = 1 << (shift - 1);
    for (int k = 0; k < taps; k++)
      sum += int32_t(weights[k]) * src[ptrdiff_t(k) * stride + x];
    mid[x] = int16_t(sum >> shift);
  }
}

RowFilter MakeRowFilter(int in_width, int out_width, int support, const std::vector<int> &start,
                        const std::vector<int16_t> &weights) {
  RowFilter f;
  f.in_width = in_width;
  f.out_width = out_width;
  f.support = support;
  f.start = start;
  f.weights = weights;
  f.mid_extent = in_width;
  return f;
}

void Horizontal(const int16_t *mid, const RowFilter &f, int32_t * /*scratch*/, uint8_t *dst) {
  constexpr int shift = kScaleWeightBits + kScaleMidBits;
  const int n = f.support;
  for (int x = 0; x < f.out_width; x++) {
    const int16_t *w = &f.weights[size_t(x) * n];
    const int16_t *m = mid + f.start[x];
    int32_t sum = 1 << (shift - 1);
    for (int k = 0; k < n; k++)
      sum += int32_t(w[k]) * m[k];
    dst[x] = uint8_t(std::clamp(sum >> shift, 0, 255));
  }
}

} // namespace

const ScaleKernels &reference_scale_kernels() {
  static const ScaleKernels table = {"scalar", Vertical, MakeRowFilter, Horizontal};
  return table;
}

} // namespace quad::dsp
