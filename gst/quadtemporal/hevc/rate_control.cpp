#include "rate_control.h"

#include <algorithm>
#include <cmath>

namespace quad::hevc {

// QP moves at most this much between pictures: a larger step shows as a
// visible quality jump.
static constexpr int kMaxQpStep = 4;

void RateController::configure(int64_t bitrate, int fps_n, int fps_d, int vbv_ms, int initial_qp) {
  target_bits_ = static_cast<double>(bitrate) * fps_d / fps_n;
  buffer_bits_ = std::max(static_cast<double>(bitrate) * vbv_ms / 1000.0, target_bits_);
  fullness_ = 0;
  qp_ = std::clamp(initial_qp, 0, 51);
}

void RateController::picture_coded(int64_t bits, int qp) {
  fullness_ += static_cast<double>(bits) - target_bits_;
  // What the next picture may spend: the target, less a share of the excess
  // in the buffer, so that the buffer drains within about half its length.
  const double pictures_to_drain = std::max(1.0, 0.5 * buffer_bits_ / target_bits_);
  const double budget = std::max(target_bits_ - fullness_ / pictures_to_drain, 0.1 * target_bits_);
  // Bits halve for every 6 QP: the step that brings the last picture's bits
  // to the budget, assuming the next picture is like it.
  const double step = 6.0 * std::log2(std::max(static_cast<double>(bits), 1.0) / budget);
  const int delta = std::clamp(static_cast<int>(std::lround(step)), -kMaxQpStep, kMaxQpStep);
  qp_ = std::clamp(qp + delta, 0, 51);
}

} // namespace quad::hevc
