// What quadpreproc measures on a frame's luma: per-block statistics, a
// scene-change score, the 2:1 pyramid. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "parallel.h"

namespace quad::preproc {

struct BlockStats {
  uint8_t mean;         // rounded
  uint16_t variance;    // rounded (at most 16256 for 8-bit samples)
  uint32_t edge_energy; // mean Sobel |gx| + |gy|, rounded (at most 2040)
};

struct BlockGrid {
  int block_size = 16;
  int cols = 0, rows = 0;
  std::vector<BlockStats> blocks; // raster order
  double complexity = 0.0;        // mean block variance
};

// Measures each block_size x block_size block of a w x h luma plane (the
// last column and row of blocks over the samples inside the frame). Sobel
// taps beyond the frame repeat the edge sample. block_size is 8, 16, 32 or
// 64; anything else throws std::invalid_argument.
void measure_blocks(const uint8_t *luma, ptrdiff_t stride, int w, int h, int block_size,
                    RowParallel &parallel, BlockGrid &grid);

// Scene changes: each frame is reduced to a thumbnail (1/8 size, less for
// frames under 256 samples across), and each 8x8 block of the thumbnail
// looks for its best match within +-6 thumbnail samples in the previous
// thumbnail (every second position, then around the best). A block's score is its best mean
// absolute difference over its own mean deviation (plus a noise allowance), capped at 1; the
// frame's score is the median over blocks. Motion, noise and gradual light
// changes stay low; a cut to unrelated content scores near 1.
class SceneChangeDetector {
public:
  // Returns the score of this frame against the previous one, 0..1; the
  // first frame after construction or reset() scores 1.
  double score(const uint8_t *luma, ptrdiff_t stride, int w, int h);
  void reset() { previous_.clear(); }

private:
  std::vector<uint8_t> previous_, current_;
  std::vector<double> scores_;
  std::vector<uint16_t> column_sums_;
  int prev_w_ = 0, prev_h_ = 0;
};

// The 2:1 luma pyramid: level l (1..levels) is a ceil-halved box reduction
// of level l-1 (level 0 the frame), edges repeated; all levels in one block
// of memory, each row and each level starting on a 64-byte boundary.
struct PyramidLevel {
  int width, height;
  ptrdiff_t stride;
  size_t offset;
};

struct PyramidLayout {
  std::vector<PyramidLevel> levels; // levels[0] is level 1
  size_t size = 0;
};

PyramidLayout pyramid_layout(int w, int h, int levels);

void build_pyramid(const uint8_t *luma, ptrdiff_t stride, int w, int h, const PyramidLayout &layout,
                   uint8_t *dst);

} // namespace quad::preproc
