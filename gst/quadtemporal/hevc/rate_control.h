// Picture-level rate control: the QP of each picture, so that a constant bit
// rate fits a VBV buffer of the given size (a decoder that starts when 90%
// of the buffer has arrived), with filler data where a picture came out too
// small to keep the buffer from overflowing. Intra and inter pictures are
// predicted apart, each by the classic model: the bits of a picture halve
// for every 6 QP, scaled by how the last picture of its kind came out.
#pragma once

#include <cstdint>

namespace quad::hevc {

class RateController {
public:
  // bitrate in bit/s over fps_n/fps_d pictures per second; vbv_ms the
  // buffer the stream must fit; initial_qp the first picture's QP.
  void configure(int64_t bitrate, int fps_n, int fps_d, int vbv_ms, int initial_qp);

  // A new rate or buffer from the next picture on, mid-stream: what the
  // models learnt of the pictures' cost stays, and so does the buffer's
  // fill, within what the new buffer holds.
  void set_rate(int64_t bitrate, int fps_n, int fps_d, int vbv_ms);

  // QP for the next picture, intra or inter.
  int next_qp(bool intra) const;

  // Bits of filler data a coded picture of `bits` needs so the decoder's
  // buffer does not overflow (0 mostly).
  int64_t filler_bits(int64_t bits) const;

  // Accounts a coded picture of `bits` at `qp` (filler included).
  void picture_coded(int64_t bits, int qp, bool intra);

private:
  struct Model {
    bool seen = false;
    double bits = 0; // of the last picture of this kind
    int qp = 32;     // its QP
  };
  int qp_for(const Model &m, double bits_scale) const;
  // What the next picture may spend, from the buffer's fill.
  void plan_budget();

  double target_bits_ = 0; // per picture
  double buffer_bits_ = 0; // VBV size
  double fullness_ = 0;    // bits coded beyond the channel's rate so far
  double budget_ = 0;      // what the next picture may spend
  int initial_qp_ = 32;
  Model models_[2]; // intra, inter
};

} // namespace quad::hevc
