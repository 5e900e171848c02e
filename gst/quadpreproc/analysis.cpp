#include "analysis.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "dsp/colour_convert.h"
#include "dsp/dsp.h"
#include "dsp/frame_stats.h"

namespace quad::preproc {

void measure_blocks(const uint8_t *luma, ptrdiff_t stride, int w, int h, int block_size,
                    RowParallel &parallel, BlockGrid &grid) {
  if (block_size != 8 && block_size != 16 && block_size != 32 && block_size != 64)
    throw std::invalid_argument("measure_blocks: block size must be 8, 16, 32 or 64");
  if (w < 1 || h < 1)
    throw std::invalid_argument("measure_blocks: empty frame");
  grid.block_size = block_size;
  grid.cols = (w + block_size - 1) / block_size;
  grid.rows = (h + block_size - 1) / block_size;
  grid.blocks.assign(size_t(grid.cols) * grid.rows, BlockStats{});

  // Per block row: column sums over its rows (SIMD), then one pass over
  // each block's columns.
  const uint64_t area = uint64_t(block_size) * block_size;
  const int log2_area = 2 * __builtin_ctz(unsigned(block_size));
  parallel.run(grid.rows, 1, [&](int r0, int r1) {
    const dsp::FrameStatsKernels &k = dsp::frame_stats_kernels();
    std::vector<uint16_t> col_sum(static_cast<size_t>(w));
    std::vector<uint32_t> col_squares(static_cast<size_t>(w)), col_edges(static_cast<size_t>(w));
    for (int r = r0; r < r1; r++) {
      const int y0 = r * block_size, y1 = std::min(y0 + block_size, h);
      k.sobel_column_sums(luma, stride, w, h, y0, y1, col_sum.data(), col_squares.data(),
                          col_edges.data());
      for (int c = 0; c < grid.cols; c++) {
        const int x0 = c * block_size, x1 = std::min(x0 + block_size, w);
        // At most 64x64 samples: every sum fits 32 bits.
        uint32_t sum = 0, squares = 0, edges = 0;
        for (int x = x0; x < x1; x++) {
          sum += col_sum[x];
          squares += col_squares[x];
          edges += col_edges[x];
        }
        const uint64_t n = uint64_t(x1 - x0) * uint64_t(y1 - y0);
        BlockStats &out = grid.blocks[size_t(r) * grid.cols + c];
        // n^2 * variance = n * sum(p^2) - sum(p)^2, exact in 64 bits.
        const uint64_t spread = n * squares - uint64_t(sum) * sum;
        if (n == area) { // a whole block: divisions by powers of two
          out.mean = uint8_t((sum + n / 2) >> log2_area);
          out.variance =
              uint16_t(std::min<uint64_t>((spread + n * n / 2) >> (2 * log2_area), 65535));
          out.edge_energy = uint32_t((edges + n / 2) >> log2_area);
          continue;
        }
        out.mean = uint8_t((sum + n / 2) / n);
        out.variance = uint16_t(std::min<uint64_t>((spread + n * n / 2) / (n * n), 65535));
        out.edge_energy = uint32_t((edges + n / 2) / n);
      }
    }
  });

  double total = 0.0;
  for (const BlockStats &b : grid.blocks)
    total += b.variance;
  grid.complexity = total / double(grid.blocks.size());
}

namespace {

constexpr int kThumbBlock = 8; // thumbnail samples per block side
constexpr int kSearch = 6;     // thumbnail samples either way
constexpr double kNoiseAllowance = 4.0;
constexpr double kStill = 0.1; // block score below which motion search is skipped

// Sum of |a - b| over a bw x bh block of two planes of the same stride.
uint32_t block_sad(const uint8_t *a, const uint8_t *b, ptrdiff_t stride, int bw, int bh) {
  if (bw == 8 && bh == 8)
    return dsp::kernels().sad(a, stride, b, stride, 8, 8);
  uint32_t s = 0;
  for (int y = 0; y < bh; y++)
    for (int x = 0; x < bw; x++)
      s += uint32_t(std::abs(a[y * stride + x] - b[y * stride + x]));
  return s;
}

} // namespace

double SceneChangeDetector::score(const uint8_t *luma, ptrdiff_t stride, int w, int h) {
  // Small frames keep more of their detail: a thumbnail at least 32 across.
  const int side = std::min(w, h);
  const int shift = side >= 256 ? 3 : side >= 128 ? 2 : side >= 64 ? 1 : 0;
  const int f = 1 << shift;
  const int tw = w >> shift, th = h >> shift;
  current_.resize(size_t(tw) * th);
  column_sums_.resize(size_t(tw) * f);
  const int rounding = (1 << (2 * shift)) / 2;
  const dsp::FrameStatsKernels &k = dsp::frame_stats_kernels();
  for (int ty = 0; ty < th; ty++) {
    if (f == 8) {
      k.thumbnail_8x8_row(luma + ptrdiff_t(ty) * 8 * stride, stride, tw,
                          &current_[size_t(ty) * tw]);
      continue;
    }
    // Sum f rows per column (vectorised), then f columns per sample.
    uint16_t *__restrict cols = column_sums_.data();
    const int n = tw * f;
    for (int x = 0; x < n; x++)
      cols[x] = 0;
    for (int y = 0; y < f; y++) {
      const uint8_t *__restrict p = luma + ptrdiff_t(ty * f + y) * stride;
      for (int x = 0; x < n; x++)
        cols[x] = uint16_t(cols[x] + p[x]);
    }
    uint8_t *out = &current_[size_t(ty) * tw];
    for (int tx = 0; tx < tw; tx++) {
      uint32_t s = 0;
      for (int x = 0; x < f; x++)
        s += cols[tx * f + x];
      out[tx] = uint8_t((s + uint32_t(rounding)) >> (2 * shift));
    }
  }

  double result = 1.0;
  if (!previous_.empty() && prev_w_ == tw && prev_h_ == th) {
    scores_.clear();
    for (int by = 0; by < th; by += kThumbBlock) {
      const int bh = std::min(kThumbBlock, th - by);
      for (int bx = 0; bx < tw; bx += kThumbBlock) {
        const int bw = std::min(kThumbBlock, tw - bx);
        const uint8_t *cur = &current_[size_t(by) * tw + bx];
        const int n = bw * bh;
        uint32_t sum = 0;
        for (int y = 0; y < bh; y++)
          for (int x = 0; x < bw; x++)
            sum += cur[y * tw + x];
        const int mean = int((sum + uint32_t(n) / 2) / uint32_t(n));
        uint32_t deviation = 0;
        for (int y = 0; y < bh; y++)
          for (int x = 0; x < bw; x++)
            deviation += uint32_t(std::abs(cur[y * tw + x] - mean));
        // Every second position, then the neighbours of the best: thumbnails
        // are smooth, so the coarse grid finds the right basin.
        const int y_lo = std::max(-kSearch, -by), y_hi = std::min(kSearch, th - bh - by);
        const int x_lo = std::max(-kSearch, -bx), x_hi = std::min(kSearch, tw - bw - bx);
        uint32_t best = UINT32_MAX;
        int best_dx = 0, best_dy = 0;
        auto try_at = [&](int dx, int dy) {
          const uint32_t sad =
              block_sad(cur, &previous_[size_t(by + dy) * tw + bx + dx], tw, bw, bh);
          if (sad < best) {
            best = sad;
            best_dx = dx;
            best_dy = dy;
          }
        };
        // A block that has not moved needs no search: its score could only
        // fall further, far below any sensible threshold.
        const double scale = 1.0 / (double(deviation) + kNoiseAllowance * n);
        try_at(0, 0);
        if (best * scale > kStill) {
          for (int dy = y_lo; dy <= y_hi; dy += 2)
            for (int dx = x_lo; dx <= x_hi; dx += 2)
              try_at(dx, dy);
          const int cx = best_dx, cy = best_dy;
          for (int dy = std::max(cy - 1, y_lo); dy <= std::min(cy + 1, y_hi); dy++)
            for (int dx = std::max(cx - 1, x_lo); dx <= std::min(cx + 1, x_hi); dx++)
              if (dx != cx || dy != cy)
                try_at(dx, dy);
        }
        const double s = best * scale;
        scores_.push_back(std::min(1.0, s));
      }
    }
    // The median: a cut changes nearly every block, while fast motion or
    // content entering at an edge changes only some.
    const auto mid = scores_.begin() + ptrdiff_t(scores_.size() / 2);
    std::nth_element(scores_.begin(), mid, scores_.end());
    result = *mid;
  }
  previous_.swap(current_);
  prev_w_ = tw;
  prev_h_ = th;
  return result;
}

PyramidLayout pyramid_layout(int w, int h, int levels) {
  PyramidLayout layout;
  size_t offset = 0;
  for (int l = 1; l <= levels; l++) {
    w = (w + 1) / 2;
    h = (h + 1) / 2;
    const ptrdiff_t stride = (w + 63) / 64 * 64;
    layout.levels.push_back({w, h, stride, offset});
    offset += size_t(stride) * h;
  }
  layout.size = offset;
  return layout;
}

void build_pyramid(const uint8_t *luma, ptrdiff_t stride, int w, int h, const PyramidLayout &layout,
                   uint8_t *dst) {
  const uint8_t *src = luma;
  ptrdiff_t src_stride = stride;
  int sw = w, sh = h;
  for (const PyramidLevel &level : layout.levels) {
    uint8_t *out = dst + level.offset;
    for (int y = 0; y < level.height; y++) {
      const uint8_t *a = src + ptrdiff_t(2 * y) * src_stride;
      const uint8_t *b = src + ptrdiff_t(std::min(2 * y + 1, sh - 1)) * src_stride;
      uint8_t *o = out + ptrdiff_t(y) * level.stride;
      const int pairs = sw / 2;
      dsp::convert_kernels().reduce_2x2_row(a, b, pairs, o);
      if (sw & 1)
        o[pairs] = uint8_t((2 * a[sw - 1] + 2 * b[sw - 1] + 2) >> 2);
    }
    src = out;
    src_stride = level.stride;
    sw = level.width;
    sh = level.height;
  }
}

} // namespace quad::preproc
