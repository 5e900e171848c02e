// Scalar reference of the colour-conversion row kernels.
#include "dsp/colour_convert.h"

#include <algorithm>

namespace quad::dsp {

namespace {

void RgbToYuvRow(const uint8_t *src, int width, const RgbToYuvParams &p, uint8_t *y, uint8_t *u,
                 uint8_t *v) {
  for (int x = 0; x < width; x++) {
    const uint32_t px = uint32_t(src[4 * x]) | uint32_t(src[4 * x + 1]) << 8 |
                        uint32_t(src[4 * x + 2]) << 16 | uint32_t(src[4 * x + 3]) << 24;
    const int32_t r = int32_t((px >> p.r_shift) & 0xFF);
    const int32_t g = int32_t((px >> p.g_shift) & 0xFF);
    const int32_t b = int32_t((px >> p.b_shift) & 0xFF);
    if (y)
      y[x] = uint8_t(std::clamp((p.yr * r + p.yg * g + p.yb * b + p.y_offset) >> 16, 0, 255));
    u[x] = uint8_t(std::clamp((p.ur * r + p.ug * g + p.ub * b + p.c_offset) >> 16, 0, 255));
    v[x] = uint8_t(std::clamp((p.vr * r + p.vg * g + p.vb * b + p.c_offset) >> 16, 0, 255));
  }
}

void Reduce2x2Row(const uint8_t *a, const uint8_t *b, int n, uint8_t *out) {
  for (int x = 0; x < n; x++)
    out[x] = uint8_t((a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) >> 2);
}

void InterleaveRow(const uint8_t *u, const uint8_t *v, int n, uint8_t *uv) {
  for (int x = 0; x < n; x++) {
    uv[2 * x] = u[x];
    uv[2 * x + 1] = v[x];
  }
}

} // namespace

const ConvertKernels &reference_convert_kernels() {
  static const ConvertKernels table = {"scalar", RgbToYuvRow, Reduce2x2Row, InterleaveRow};
  return table;
}

} // namespace quad::dsp
