#include "rate_control.h"

#include <algorithm>
#include <cmath>

namespace quad::hevc {

// QP moves at most this much between pictures of a kind: a larger step
// shows as a visible quality jump.
static constexpr int kMaxQpStep = 4;

// Before the first inter picture: its bits as a share of the intra
// picture's at the same QP.
static constexpr double kInterToIntraBits = 0.25;

void RateController::configure(int64_t bitrate, int fps_n, int fps_d, int vbv_ms, int initial_qp) {
  fullness_ = 0; // the budget starts at the target
  set_rate(bitrate, fps_n, fps_d, vbv_ms);
  initial_qp_ = std::clamp(initial_qp, 0, 51);
  models_[0] = Model{};
  models_[1] = Model{};
}

void RateController::set_rate(int64_t bitrate, int fps_n, int fps_d, int vbv_ms) {
  target_bits_ = static_cast<double>(bitrate) * fps_d / fps_n;
  buffer_bits_ = std::max(static_cast<double>(bitrate) * vbv_ms / 1000.0, target_bits_);
  // Filler keeps the fill above -10% of the buffer; past 90% the decoder
  // would run dry.
  fullness_ = std::clamp(fullness_, -0.1 * buffer_bits_, 0.9 * buffer_bits_);
  plan_budget();
}

void RateController::plan_budget() {
  // The target, less a share of the excess in the buffer, so that the
  // buffer drains within about half its length.
  const double pictures_to_drain = std::max(1.0, 0.5 * buffer_bits_ / target_bits_);
  budget_ = std::max(target_bits_ - fullness_ / pictures_to_drain, 0.1 * target_bits_);
}

int RateController::qp_for(const Model &m, double bits_scale) const {
  // Bits halve for every 6 QP: the step that brings the model's bits to
  // the budget.
  const double step = 6.0 * std::log2(std::max(m.bits * bits_scale, 1.0) / budget_);
  const int delta = std::clamp(static_cast<int>(std::lround(step)), -kMaxQpStep, kMaxQpStep);
  return std::clamp(m.qp + delta, 0, 51);
}

int RateController::next_qp(bool intra) const {
  const Model &own = models_[intra ? 0 : 1];
  if (own.seen)
    return qp_for(own, 1.0);
  if (!intra && models_[0].seen)
    return qp_for(models_[0], kInterToIntraBits);
  return initial_qp_;
}

int64_t RateController::filler_bits(int64_t bits) const {
  // The decoder holds 0.9 x buffer - fullness after each picture; above the
  // buffer's size the channel would have to stop.
  const double lowest = -0.1 * buffer_bits_;
  const double after = fullness_ + static_cast<double>(bits) - target_bits_;
  return after < lowest ? static_cast<int64_t>(std::ceil(lowest - after)) : 0;
}

void RateController::picture_coded(int64_t bits, int qp, bool intra) {
  fullness_ += static_cast<double>(bits) - target_bits_;
  plan_budget();
  Model &m = models_[intra ? 0 : 1];
  m.seen = true;
  m.bits = static_cast<double>(bits);
  m.qp = qp;
}

} // namespace quad::hevc
