// Temporal recursive denoising of 4:2:0 frames. GStreamer-free.
#pragma once

#include <cstdint>
#include <vector>

#include "parallel.h"
#include "picture.h"

namespace quad::preproc {

// Each sample is blended with the previous output at the same place. How
// much depends on motion, judged twice: per 8x8 luma block, the mean
// difference against the previous output (noise alone keeps it near the
// noise level, motion over texture lifts it well above), and per sample,
// the difference itself (an edge moving through a still block). Still
// areas average noise over several frames; moving content keeps the new
// samples, so moving edges leave no ghost trail.
class TemporalDenoiser {
public:
  // strength 1..100: about four times the noise standard deviation, in
  // code values, that is averaged away.
  explicit TemporalDenoiser(int strength);

  // Filters an I420 or NV12 frame in place; the first frame after
  // construction, reset() or a change of size passes unchanged.
  void process(const Picture &frame, RowParallel &parallel);
  void reset() { history_.clear(); }

private:
  double sigma_;
  uint8_t sample_weight_[256]; // per-sample factor /256, by |difference|
  std::vector<uint8_t> history_;
  std::vector<uint8_t> block_weight_; // /256 of the previous output, per 8x8 luma block
  int width_ = 0, height_ = 0;
};

} // namespace quad::preproc
