// Picture-level rate control: the QP of each picture, so that a constant bit
// rate fits a VBV buffer of the given size. Every picture is intra here, so
// the model is the classic one for intra coding: the bits of a picture halve
// for every 6 QP, scaled by how the last picture came out.
#pragma once

#include <cstdint>

namespace quad::hevc {

class RateController {
public:
  // bitrate in bit/s over fps_n/fps_d pictures per second; vbv_ms the
  // buffer the stream must fit; initial_qp the first picture's QP.
  void configure(int64_t bitrate, int fps_n, int fps_d, int vbv_ms, int initial_qp);

  // QP for the next picture.
  int next_qp() const { return qp_; }

  // Accounts a coded picture of `bits` at `qp` and picks the next QP.
  void picture_coded(int64_t bits, int qp);

private:
  double target_bits_ = 0; // per picture
  double buffer_bits_ = 0; // VBV size
  double fullness_ = 0;    // bits coded beyond the channel's rate so far
  int qp_ = 32;
};

} // namespace quad::hevc
