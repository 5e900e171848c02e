// Scalar reference of the H.265 luma interpolation, written as the standard
// states it: 14-bit intermediate prediction samples, then rounding to 8 bits.
#include "dsp/interp.h"

#include <algorithm>
#include <cstring>

namespace quad::dsp {
namespace {

uint8_t Clip8(int v) {
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

int Tap(const uint8_t *p, ptrdiff_t step, int frac) {
  int sum = 0;
  for (int i = 0; i < 8; ++i) {
    sum += kLumaFilter[frac][i] * p[(i - 3) * step];
  }
  return sum;
}

void InterpLumaScalar(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride,
                      int w, int h, int frac_x, int frac_y) {
  // 8-bit video: shift1 = 0, shift2 = 6, shift3 = 6; weighted prediction
  // then rounds the 14-bit samples with (x + 32) >> 6.
  if (frac_x == 0 && frac_y == 0) {
    for (int y = 0; y < h; ++y) {
      std::memcpy(dst + y * dst_stride, src + y * src_stride, static_cast<size_t>(w));
    }
    return;
  }
  if (frac_y == 0) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        dst[y * dst_stride + x] = Clip8((Tap(src + y * src_stride + x, 1, frac_x) + 32) >> 6);
      }
    }
    return;
  }
  if (frac_x == 0) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        dst[y * dst_stride + x] =
            Clip8((Tap(src + y * src_stride + x, src_stride, frac_y) + 32) >> 6);
      }
    }
    return;
  }
  std::vector<int> tmp(static_cast<size_t>((h + 7) * w));
  for (int y = -3; y < h + 4; ++y) {
    for (int x = 0; x < w; ++x) {
      tmp[static_cast<size_t>((y + 3) * w + x)] = Tap(src + y * src_stride + x, 1, frac_x);
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int sum = 0;
      for (int i = 0; i < 8; ++i) {
        sum += kLumaFilter[frac_y][i] * tmp[static_cast<size_t>((y + i) * w + x)];
      }
      dst[y * dst_stride + x] = Clip8(((sum >> 6) + 32) >> 6);
    }
  }
}

} // namespace

const InterpKernels &reference_interp_kernels() {
  static const InterpKernels kTable = {"scalar", InterpLumaScalar};
  return kTable;
}

} // namespace quad::dsp
