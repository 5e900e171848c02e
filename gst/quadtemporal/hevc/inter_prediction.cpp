#include "inter_prediction.h"

#include <algorithm>

#include "dsp/interp.h"

namespace quad::hevc {

void interpolate_chroma(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                        ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y) {
  // 8-bit: shift1 = 0, shift2 = 6, shift3 = 6 (8.5.3.3.3.2); the
  // intermediate predSamples carry 14 bits; uni-prediction rounds them back
  // with (v + 32) >> 6 (8.5.3.3.4.2).
  const int8_t *fx = kChromaFilter[frac_x];
  const int8_t *fy = kChromaFilter[frac_y];
  auto store = [](int v) { return static_cast<uint8_t>(std::clamp((v + 32) >> 6, 0, 255)); };
  if (frac_y == 0) {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const uint8_t *s = src + y * src_stride + x;
        const int v =
            frac_x == 0 ? s[0] << 6 : fx[0] * s[-1] + fx[1] * s[0] + fx[2] * s[1] + fx[3] * s[2];
        dst[y * dst_stride + x] = store(v);
      }
    return;
  }
  if (frac_x == 0) {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const uint8_t *s = src + y * src_stride + x;
        const int v = fy[0] * s[-src_stride] + fy[1] * s[0] + fy[2] * s[src_stride] +
                      fy[3] * s[2 * src_stride];
        dst[y * dst_stride + x] = store(v);
      }
    return;
  }
  int16_t tmp[(32 + 3) * 32];
  for (int y = -1; y < h + 2; ++y)
    for (int x = 0; x < w; ++x) {
      const uint8_t *s = src + y * src_stride + x;
      tmp[(y + 1) * w + x] =
          static_cast<int16_t>(fx[0] * s[-1] + fx[1] * s[0] + fx[2] * s[1] + fx[3] * s[2]);
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int16_t *t = tmp + y * w + x;
      const int v = (fy[0] * t[0] + fy[1] * t[w] + fy[2] * t[2 * w] + fy[3] * t[3 * w]) >> 6;
      dst[y * dst_stride + x] = store(v);
    }
}

namespace {

// Copies the (w + 2 * before... ) area of a plane around (x0, y0) with every
// coordinate clamped into the plane, for blocks reaching past the margin.
void gather_clamped(const uint8_t *plane, ptrdiff_t stride, int width, int height, int x0, int y0,
                    int w, int h, uint8_t *dst, int dst_stride) {
  for (int y = 0; y < h; ++y) {
    const uint8_t *row = plane + std::clamp(y0 + y, 0, height - 1) * stride;
    for (int x = 0; x < w; ++x)
      dst[y * dst_stride + x] = row[std::clamp(x0 + x, 0, width - 1)];
  }
}

} // namespace

void predict_inter(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                   uint8_t *const pred[3], const ptrdiff_t pred_stride[3]) {
  predict_inter_luma(ref, x, y, w, h, mv, pred[0], pred_stride[0]);
  predict_inter_chroma(ref, x, y, w, h, mv, pred, pred_stride);
}

void predict_inter_luma(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                        uint8_t *pred, ptrdiff_t pred_stride) {
  // Luma: the 8-tap filter reads 3 samples before and 4 after the block.
  const int xi = x + (mv.x >> 2);
  const int yi = y + (mv.y >> 2);
  const int m = ref.margin;
  const dsp::InterpLumaFn luma = dsp::interp_kernels().luma;
  if (xi - 3 >= -m && yi - 3 >= -m && xi + w + 4 <= ref.width + m && yi + h + 4 <= ref.height + m) {
    luma(ref.planes[0] + yi * ref.stride[0] + xi, ref.stride[0], pred, pred_stride, w, h, mv.x & 3,
         mv.y & 3);
  } else {
    uint8_t area[(64 + 7) * (64 + 7)];
    const int aw = w + 7;
    gather_clamped(ref.planes[0], ref.stride[0], ref.width, ref.height, xi - 3, yi - 3, aw, h + 7,
                   area, aw);
    luma(area + 3 * aw + 3, aw, pred, pred_stride, w, h, mv.x & 3, mv.y & 3);
  }
}

void predict_inter_chroma(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                          uint8_t *const pred[3], const ptrdiff_t pred_stride[3]) {
  // Chroma (4:2:0): the vector in eighth chroma samples; the 4-tap filter
  // reads 1 sample before and 2 after.
  const int wc = w >> 1;
  const int hc = h >> 1;
  const int xc = (x >> 1) + (mv.x >> 3);
  const int yc = (y >> 1) + (mv.y >> 3);
  const int mc = ref.margin >> 1;
  const bool inside = xc - 1 >= -mc && yc - 1 >= -mc && xc + wc + 2 <= (ref.width >> 1) + mc &&
                      yc + hc + 2 <= (ref.height >> 1) + mc;
  for (int c = 1; c <= 2; ++c) {
    if (inside) {
      interpolate_chroma(ref.planes[c] + yc * ref.stride[c] + xc, ref.stride[c], pred[c],
                         pred_stride[c], wc, hc, mv.x & 7, mv.y & 7);
    } else {
      uint8_t area[(32 + 3) * (32 + 3)];
      const int aw = wc + 3;
      gather_clamped(ref.planes[c], ref.stride[c], ref.width >> 1, ref.height >> 1, xc - 1, yc - 1,
                     aw, hc + 3, area, aw);
      interpolate_chroma(area + aw + 1, aw, pred[c], pred_stride[c], wc, hc, mv.x & 7, mv.y & 7);
    }
  }
}

} // namespace quad::hevc
