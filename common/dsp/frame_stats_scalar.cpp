// Scalar reference of the frame-analysis row kernels.
#include "dsp/frame_stats.h"

#include <algorithm>
#include <cstdlib>

namespace quad::dsp {

namespace {

void SobelColumnSums(const uint8_t *plane, ptrdiff_t stride, int w, int h, int y0, int y1,
                     uint16_t *sums, uint32_t *squares, uint32_t *edges) {
  for (int x = 0; x < w; x++) {
    sums[x] = 0;
    squares[x] = 0;
    edges[x] = 0;
  }
  for (int y = y0; y < y1; y++) {
    const uint8_t *a = plane + ptrdiff_t(std::max(y - 1, 0)) * stride;
    const uint8_t *c = plane + ptrdiff_t(y) * stride;
    const uint8_t *b = plane + ptrdiff_t(std::min(y + 1, h - 1)) * stride;
    for (int x = 0; x < w; x++) {
      const int l = std::max(x - 1, 0), r = std::min(x + 1, w - 1);
      const int gx = (a[r] + 2 * c[r] + b[r]) - (a[l] + 2 * c[l] + b[l]);
      const int gy = (b[l] + 2 * b[x] + b[r]) - (a[l] + 2 * a[x] + a[r]);
      sums[x] = uint16_t(sums[x] + c[x]);
      squares[x] += uint32_t(c[x]) * c[x];
      edges[x] += uint32_t(std::abs(gx) + std::abs(gy));
    }
  }
}

void Thumbnail8x8Row(const uint8_t *src, ptrdiff_t stride, int n, uint8_t *out) {
  for (int i = 0; i < n; i++) {
    uint32_t sum = 32;
    for (int y = 0; y < 8; y++)
      for (int x = 0; x < 8; x++)
        sum += src[ptrdiff_t(y) * stride + 8 * i + x];
    out[i] = uint8_t(sum >> 6);
  }
}

} // namespace

const FrameStatsKernels &reference_frame_stats_kernels() {
  static const FrameStatsKernels table = {"scalar", SobelColumnSums, Thumbnail8x8Row};
  return table;
}

} // namespace quad::dsp
