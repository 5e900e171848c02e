// Motion estimation vocabulary shared by the search, its backends and the
// element. GStreamer-free, and plain enough for device code.
#pragma once

#include <cstdint>

namespace quad::me {

// A motion vector in quarter luma samples, in H.265's sense: the prediction
// of the block at (x, y) is the reference at (x + x / 4, y + y / 4).
// (GstQuadMotionMeta stores the opposite displacement, reference to current.)
struct MotionVector {
  int16_t x = 0;
  int16_t y = 0;
};

enum class SearchPattern : int {
  kDiamond = 0, // small diamond, step 1: cheap, follows smooth motion
  kHexagon = 1, // x264/x265-style hexagon, step 2, then a small diamond
};

struct SearchParams {
  int block_size = 16;   // 8, 16, 32 or 64
  int search_range = 64; // full-resolution samples per component, 4..256
  SearchPattern pattern = SearchPattern::kHexagon;
  bool subpel = true; // quarter-sample refinement, the last step by SATD
  // Lagrangian weight of vector bits against SAD/SATD, in 1/256 units.
  int lambda_q8 = 0;
  int max_levels = 4; // pyramid levels, full resolution included, 1..4
};

// Per block of the final grid, raster order.
struct BlockEstimate {
  MotionVector mv;
  uint32_t cost = 0;       // distortion + lambda * estimated vector bits
  uint32_t distortion = 0; // SATD when subpel, else SAD, at mv
  uint32_t intra_cost = 0; // same metric against the block's DC
  uint8_t intra_better = 0;
  uint8_t reserved[3] = {};
};

// Work done, counted where it happens; every SAD or SATD of a candidate at
// any level is one evaluation.
struct SearchCounters {
  uint64_t sad_evaluations = 0;
  uint64_t satd_evaluations = 0;
  uint64_t sad_samples = 0;  // samples compared by those SADs
  uint64_t satd_samples = 0; // and by those SATDs
  uint64_t blocks = 0;       // final-grid blocks searched
  // GPU backends: time spent copying to and from the device, and running
  // kernels (device timers); zero on the CPU.
  uint64_t transfer_ns = 0;
  uint64_t kernel_ns = 0;
};

} // namespace quad::me
