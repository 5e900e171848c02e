#include "denoise.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace quad::preproc {

namespace {
// At most this much of the previous output is kept: noise variance falls to
// (1 - a) / (1 + a), about a ninth, while a change still shows within a few
// frames.
constexpr double kMaxHistory = 0.8;
constexpr int kBlock = 8;
} // namespace

TemporalDenoiser::TemporalDenoiser(int strength) {
  if (strength < 1 || strength > 100)
    throw std::invalid_argument("TemporalDenoiser: strength must be 1..100");
  sigma_ = strength / 4.0;
  // Full weight up to two sigma, none beyond four: a sample that far from
  // the history is a change, not noise.
  for (int d = 0; d < 256; d++) {
    const double x = (d - 2.0 * sigma_) / (2.0 * sigma_);
    sample_weight_[d] = uint8_t(std::lround(256.0 * std::clamp(1.0 - x, 0.0, 1.0) * 255.0 / 256.0));
  }
}

void TemporalDenoiser::process(const Picture &frame, RowParallel &parallel) {
  if (frame.format != PixelFormat::I420 && frame.format != PixelFormat::NV12)
    throw std::invalid_argument("TemporalDenoiser: frames must be I420 or NV12");
  const int w = frame.width, h = frame.height;
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  const int bcols = (w + kBlock - 1) / kBlock, brows = (h + kBlock - 1) / kBlock;
  const size_t total = size_t(w) * h + 2 * size_t(cw) * ch;
  const bool fresh = history_.size() != total || width_ != w || height_ != h;
  if (fresh) {
    history_.resize(total);
    block_weight_.assign(size_t(bcols) * brows, 0);
    width_ = w;
    height_ = h;
  }

  // Motion per luma block: the mean |input - history| against the level
  // noise alone gives (about 1.2 sigma once the history is filtered).
  const uint8_t *luma = frame.planes[0].data;
  const ptrdiff_t luma_stride = frame.planes[0].stride;
  if (!fresh) {
    parallel.run(brows, 4, [&](int r0, int r1) {
      for (int r = r0; r < r1; r++) {
        const int y0 = r * kBlock, y1 = std::min(y0 + kBlock, h);
        for (int c = 0; c < bcols; c++) {
          const int x0 = c * kBlock, x1 = std::min(x0 + kBlock, w);
          uint32_t sum = 0;
          for (int y = y0; y < y1; y++) {
            const uint8_t *in = luma + ptrdiff_t(y) * luma_stride;
            const uint8_t *prev = history_.data() + size_t(y) * w;
            for (int x = x0; x < x1; x++)
              sum += uint32_t(std::abs(in[x] - prev[x]));
          }
          const double mean = double(sum) / ((y1 - y0) * (x1 - x0));
          const double still = std::clamp((2.5 * sigma_ - mean) / sigma_, 0.0, 1.0);
          block_weight_[size_t(r) * bcols + c] = uint8_t(std::lround(256.0 * kMaxHistory * still));
        }
      }
    });
  }

  // Planes as rows of bytes; `shift` maps a byte to its luma block (NV12's
  // interleaved chroma: two bytes per chroma sample, four luma samples).
  struct Rows {
    uint8_t *data;
    ptrdiff_t stride;
    int bytes, rows;
    int x_shift, y_shift; // log2 of bytes / rows per block
  };
  Rows planes[3];
  int count = 0;
  planes[count++] = {frame.planes[0].data, frame.planes[0].stride, w, h, 3, 3};
  if (frame.format == PixelFormat::NV12) {
    planes[count++] = {frame.planes[1].data, frame.planes[1].stride, 2 * cw, ch, 3, 2};
  } else {
    planes[count++] = {frame.planes[1].data, frame.planes[1].stride, cw, ch, 2, 2};
    planes[count++] = {frame.planes[2].data, frame.planes[2].stride, cw, ch, 2, 2};
  }
  size_t offset = 0;
  for (int p = 0; p < count; p++) {
    const Rows r = planes[p];
    uint8_t *history = history_.data() + offset;
    offset += size_t(r.bytes) * r.rows;
    parallel.run(r.rows, 16, [&](int y0, int y1) {
      for (int y = y0; y < y1; y++) {
        uint8_t *row = r.data + ptrdiff_t(y) * r.stride;
        uint8_t *prev = history + size_t(y) * r.bytes;
        if (!fresh) {
          const uint8_t *blocks = block_weight_.data() + size_t(y >> r.y_shift) * bcols;
          for (int x = 0; x < r.bytes; x++) {
            const int d = prev[x] - row[x];
            const int a = (blocks[x >> r.x_shift] * sample_weight_[std::abs(d)] + 128) >> 8;
            const int blend = d * a;
            // Round half away from zero, so the filter has no drift.
            row[x] = uint8_t(row[x] + (blend >= 0 ? (blend + 128) >> 8 : -((128 - blend) >> 8)));
          }
        }
        std::memcpy(prev, row, size_t(r.bytes));
      }
    });
  }
}

} // namespace quad::preproc
