#include "pyramid.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dsp/colour_convert.h"

namespace quad::me {

namespace {
// Rows per parallel task: enough work to outweigh scheduling.
constexpr int kRowGrain = 16;

std::atomic<uint64_t> next_generation{1};
} // namespace

int FramePyramid::level_side(int side, int level) {
  for (int l = 0; l < level; ++l) {
    side = (side + 1) / 2;
  }
  return side;
}

int FramePyramid::level_count(int width, int height, int max_levels) {
  int levels = 1;
  while (levels < std::min(max_levels, kMaxLevels) && level_side(width, levels) >= kMinLevelSide &&
         level_side(height, levels) >= kMinLevelSide) {
    ++levels;
  }
  return levels;
}

bool FramePyramid::same_geometry(const FramePyramid &other) const {
  return levels_ == other.levels_ && levels_ > 0 && width(0) == other.width(0) &&
         height(0) == other.height(0);
}

void FramePyramid::pad_level(int level) {
  const Geometry &g = geometry_[level];
  uint8_t *o = mutable_origin(level);
  tbb::parallel_for(tbb::blocked_range<int>(0, g.height, kRowGrain * 4), [&](auto r) {
    for (int y = r.begin(); y < r.end(); ++y) {
      uint8_t *row = o + y * g.stride;
      std::memset(row - kPad, row[0], kPad);
      std::memset(row + g.width, row[g.width - 1], kPad);
    }
  });
  const size_t row_bytes = static_cast<size_t>(g.width + 2 * kPad);
  for (int y = 1; y <= kPad; ++y) {
    std::memcpy(o - y * g.stride - kPad, o - kPad, row_bytes);
    std::memcpy(o + (g.height - 1 + y) * g.stride - kPad, o + (g.height - 1) * g.stride - kPad,
                row_bytes);
  }
}

int FramePyramid::build(const uint8_t *luma, ptrdiff_t stride, int width, int height, int levels,
                        const ExternalLevel *external) {
  levels_ = level_count(width, height, levels);
  size_t total = 0;
  for (int l = 0; l < levels_; ++l) {
    Geometry &g = geometry_[l];
    g.width = level_side(width, l);
    g.height = level_side(height, l);
    // Rows a multiple of 64 bytes apart, so SIMD loads split fewer lines.
    g.stride = (g.width + 2 * kPad + 63) / 64 * 64;
    g.offset = total + static_cast<size_t>(kPad * g.stride + kPad);
    total += static_cast<size_t>(g.stride) * static_cast<size_t>(g.height + 2 * kPad);
  }
  if (storage_.size() < total) {
    storage_.resize(total);
  }
  storage_bytes_ = total;

  uint8_t *o0 = mutable_origin(0);
  tbb::parallel_for(tbb::blocked_range<int>(0, height, kRowGrain * 4), [&](auto r) {
    for (int y = r.begin(); y < r.end(); ++y) {
      std::memcpy(o0 + y * geometry_[0].stride, luma + y * stride, static_cast<size_t>(width));
    }
  });
  pad_level(0);

  for (int l = 1; l < levels_; ++l) {
    const Geometry &g = geometry_[l];
    const Geometry &up = geometry_[l - 1];
    uint8_t *dst = mutable_origin(l);
    const ExternalLevel *ext = external ? &external[l - 1] : nullptr;
    if (ext && ext->data && ext->width == g.width && ext->height == g.height) {
      for (int y = 0; y < g.height; ++y) {
        std::memcpy(dst + y * g.stride, ext->data + y * ext->stride, static_cast<size_t>(g.width));
      }
    } else {
      // The level above is padded, so an odd last column or row averages
      // with its replicated edge.
      const uint8_t *src = origin(l - 1);
      const dsp::Reduce2x2RowFn reduce = dsp::convert_kernels().reduce_2x2_row;
      tbb::parallel_for(tbb::blocked_range<int>(0, g.height, kRowGrain), [&](auto r) {
        for (int y = r.begin(); y < r.end(); ++y) {
          const uint8_t *a = src + 2 * y * up.stride;
          reduce(a, a + up.stride, g.width, dst + y * g.stride);
        }
      });
    }
    pad_level(l);
  }
  generation_ = next_generation.fetch_add(1);
  return levels_;
}

} // namespace quad::me
