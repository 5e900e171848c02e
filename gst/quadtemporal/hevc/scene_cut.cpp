#include "scene_cut.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "dsp/dsp.h"

namespace quad::hevc {
namespace {

constexpr int kBlock = 8; // decimated samples: 32x32 in the picture
constexpr int kRange = 4; // decimated samples: +-16 in the picture
// Share of blocks that must prefer intra for a cut.
constexpr double kIntraShare = 0.75;

} // namespace

bool SceneCutDetector::next(const PictureSamples &source) {
  const int w = source.width / 4;
  const int h = source.height / 4;
  current_.resize(static_cast<size_t>(w) * h);
  // Each 4x4 mean from the sums of four rows' columns: loops the compiler
  // turns into vectors.
  column_sums_.resize(static_cast<size_t>(4) * w);
  uint16_t *sums = column_sums_.data();
  const ptrdiff_t s = source.stride[0];
  for (int y = 0; y < h; ++y) {
    const uint8_t *row = source.planes[0] + 4 * y * s;
    for (int x = 0; x < 4 * w; ++x)
      sums[x] = static_cast<uint16_t>(row[x] + row[x + s] + row[x + 2 * s] + row[x + 3 * s]);
    uint8_t *out = current_.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x)
      out[x] = static_cast<uint8_t>(
          (sums[4 * x] + sums[4 * x + 1] + sums[4 * x + 2] + sums[4 * x + 3] + 8) >> 4);
  }
  const bool comparable = previous_.size() == current_.size() && w == width_ && h == height_;
  width_ = w;
  height_ = h;
  if (!comparable) {
    std::swap(previous_, current_);
    return false;
  }
  const dsp::SadFn sad = dsp::kernels().sad;
  // A cut needs more than kIntraShare of the blocks to prefer intra: the
  // test stops once enough prefer inter, and a block's search once one
  // position predicts it at least as well as its mean.
  const int blocks = (h / kBlock) * (w / kBlock);
  const double inter_blocks_for_no_cut = blocks - kIntraShare * blocks;
  int intra_blocks = 0;
  int inter_blocks = 0;
  for (int by = 0; by + kBlock <= h && inter_blocks < inter_blocks_for_no_cut; by += kBlock)
    for (int bx = 0; bx + kBlock <= w && inter_blocks < inter_blocks_for_no_cut; bx += kBlock) {
      const uint8_t *cur = current_.data() + static_cast<size_t>(by) * w + bx;
      int mean = 0;
      for (int y = 0; y < kBlock; ++y)
        for (int x = 0; x < kBlock; ++x)
          mean += cur[y * w + x];
      mean = (mean + kBlock * kBlock / 2) / (kBlock * kBlock);
      int intra = 0;
      for (int y = 0; y < kBlock; ++y)
        for (int x = 0; x < kBlock; ++x)
          intra += std::abs(cur[y * w + x] - mean);
      bool inter_better = false;
      for (int dy = -kRange; dy <= kRange && !inter_better; ++dy)
        for (int dx = -kRange; dx <= kRange && !inter_better; ++dx) {
          if (by + dy < 0 || bx + dx < 0 || by + dy + kBlock > h || bx + dx + kBlock > w)
            continue;
          const uint8_t *ref = previous_.data() + static_cast<size_t>(by + dy) * w + bx + dx;
          inter_better = static_cast<int>(sad(cur, w, ref, w, kBlock, kBlock)) <= intra;
        }
      ++(inter_better ? inter_blocks : intra_blocks);
    }
  std::swap(previous_, current_);
  return blocks > 0 && intra_blocks > kIntraShare * blocks;
}

} // namespace quad::hevc
