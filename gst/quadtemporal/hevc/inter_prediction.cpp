#include "inter_prediction.h"

#include <algorithm>
#include <cstdint>

#include "dsp/interp.h"
#include "primitives.h"

namespace quad::hevc {

namespace reference {

// H.265 8.5.3.3.3.2 + 8.5.3.3.4.2 for 8-bit samples.
void interp_chroma_block(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                         ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y) {
  // 8-bit: shift1 = 0, shift2 = 6, shift3 = 6; the 14-bit predSamples come
  // back to 8 bits with (v + 32) >> 6.
  const int fx0 = kChromaFilter[frac_x][0], fx1 = kChromaFilter[frac_x][1],
            fx2 = kChromaFilter[frac_x][2], fx3 = kChromaFilter[frac_x][3];
  const int fy0 = kChromaFilter[frac_y][0], fy1 = kChromaFilter[frac_y][1],
            fy2 = kChromaFilter[frac_y][2], fy3 = kChromaFilter[frac_y][3];
  if (frac_y == 0) {
    for (int y = 0; y < h; ++y) {
      const uint8_t *s = src + y * src_stride;
      uint8_t *d = dst + y * dst_stride;
      for (int x = 0; x < w; ++x) {
        const int v = fx0 * s[x - 1] + fx1 * s[x] + fx2 * s[x + 1] + fx3 * s[x + 2];
        d[x] = static_cast<uint8_t>(std::clamp((v + 32) >> 6, 0, 255));
      }
    }
    return;
  }
  if (frac_x == 0) {
    for (int y = 0; y < h; ++y) {
      const uint8_t *s = src + y * src_stride;
      uint8_t *d = dst + y * dst_stride;
      for (int x = 0; x < w; ++x) {
        const int v = fy0 * s[x - src_stride] + fy1 * s[x] + fy2 * s[x + src_stride] +
                      fy3 * s[x + 2 * src_stride];
        d[x] = static_cast<uint8_t>(std::clamp((v + 32) >> 6, 0, 255));
      }
    }
    return;
  }
  int16_t tmp[(32 + 3) * 32];
  for (int y = -1; y < h + 2; ++y) {
    const uint8_t *s = src + y * src_stride;
    int16_t *t = tmp + (y + 1) * w;
    for (int x = 0; x < w; ++x)
      t[x] = static_cast<int16_t>(fx0 * s[x - 1] + fx1 * s[x] + fx2 * s[x + 1] + fx3 * s[x + 2]);
  }
  for (int y = 0; y < h; ++y) {
    const int16_t *t = tmp + y * w;
    uint8_t *d = dst + y * dst_stride;
    for (int x = 0; x < w; ++x) {
      const int v = (fy0 * t[x] + fy1 * t[x + w] + fy2 * t[x + 2 * w] + fy3 * t[x + 3 * w]) >> 6;
      d[x] = static_cast<uint8_t>(std::clamp((v + 32) >> 6, 0, 255));
    }
  }
}

} // namespace reference

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
  const InterpChromaFn interp = primitives().interp_chroma;
  for (int c = 1; c <= 2; ++c) {
    if (inside) {
      interp(ref.planes[c] + yc * ref.stride[c] + xc, ref.stride[c], pred[c], pred_stride[c], wc,
             hc, mv.x & 7, mv.y & 7);
    } else {
      uint8_t area[(32 + 3) * (32 + 3)];
      const int aw = wc + 3;
      gather_clamped(ref.planes[c], ref.stride[c], ref.width >> 1, ref.height >> 1, xc - 1, yc - 1,
                     aw, hc + 3, area, aw);
      interp(area + aw + 1, aw, pred[c], pred_stride[c], wc, hc, mv.x & 7, mv.y & 7);
    }
  }
}

} // namespace quad::hevc
