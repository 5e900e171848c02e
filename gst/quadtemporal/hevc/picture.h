// Pictures of the encoder: 8-bit 4:2:0 sample arrays of the coded size with
// a margin around them, the motion a picture leaves for later ones, and the
// decoded picture buffer that keeps reference pictures (H.265 8.3.2 keeps
// the same set on the decoder side). GStreamer-free.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "large_allocator.h"

namespace quad::hevc {

// Luma samples of margin on each side of a reference picture: motion
// vectors reach this far outside the picture (8.5.3.3.3 clamps sample
// positions to the picture; a padded copy of the edge gives the same
// samples without the clamp), search range and interpolation taps included.
inline constexpr int kPictureMargin = 80;

struct PictureSamples {
  int width = 0; // luma samples, a multiple of 8
  int height = 0;
  int margin = 0; // luma samples on each side (half in chroma)
  ptrdiff_t stride[3] = {0, 0, 0};
  uint8_t *planes[3] = {nullptr, nullptr, nullptr}; // sample (0, 0) of each plane

  void allocate(int w, int h, int margin_luma);
  int plane_width(int c) const { return c ? width >> 1 : width; }
  int plane_height(int c) const { return c ? height >> 1 : height; }

  // Copies a width_in x height_in 4:2:0 picture into the top-left corner
  // and repeats its last column and row into the rest of the coded size.
  void import(const uint8_t *const src[3], const ptrdiff_t src_stride[3], int width_in,
              int height_in);
  // Reads the caller's picture of exactly the coded size in place, without
  // a copy or a margin, until the next import(): for a source picture whose
  // samples stay valid and unchanged while it is coded. They are only read.
  void borrow(const uint8_t *const src[3], const ptrdiff_t src_stride[3]);

  // Repeats the edge samples of each plane into its margin, after
  // reconstruction and deblocking, so motion compensation can read outside
  // the picture.
  void extend_borders() { extend_borders(0, height); }
  // The same for luma rows y_begin .. y_end - 1 (even) and their chroma
  // rows: left and right, above the picture when y_begin is 0, below it
  // when y_end is the height.
  void extend_borders(int y_begin, int y_end);

private:
  std::vector<uint8_t, LargeAllocator<uint8_t>> storage_;
  uint8_t *own_planes_[3] = {nullptr, nullptr, nullptr}; // planes in storage_
  ptrdiff_t own_stride_[3] = {0, 0, 0};
};

// A motion vector in quarter luma samples.
struct MotionVector {
  int16_t x = 0;
  int16_t y = 0;
};

// The motion of a block as the encoder reports it and takes hints: predicted
// from the picture ref_distance pictures earlier at mv; 0: no reference
// (intra, or nothing known).
struct BlockMotion {
  MotionVector mv;
  int ref_distance = 0;
};

// The motion of one prediction block for each reference picture list:
// ref_idx -1 when the list is not used (predFlagLX 0; both for intra).
struct PredictionMotion {
  MotionVector mv[2];
  int8_t ref_idx[2] = {-1, -1};
};

// What temporal motion vector prediction reads of a coded picture
// (8.5.3.2.8): the motion of each 16x16 luma block (the storage
// granularity ((x >> 4) << 4) of the collocated position) and the POCs its
// reference indices stood for.
class MotionField {
public:
  void resize(int width, int height);
  PredictionMotion &at(int x, int y) { return blocks_[index(x, y)]; }
  const PredictionMotion &at(int x, int y) const { return blocks_[index(x, y)]; }
  int ref_poc[2][16] = {}; // by list and reference index

private:
  size_t index(int x, int y) const {
    return static_cast<size_t>(y >> 4) * width16_ + static_cast<size_t>(x >> 4);
  }
  int width16_ = 0;
  std::vector<PredictionMotion> blocks_;
};

// A picture of the decoded picture buffer.
struct DecodedPicture {
  PictureSamples samples;
  MotionField motion;
  int poc = 0;
  bool is_reference = false; // "used for short-term reference" (8.3.2)
  // CTU rows deblocked, padded and with their motion stored, in order:
  // a picture coded at the same time (frame threads) reads only those.
  std::atomic<int> finished_rows{0};
  // Pictures in flight that code into it or predict from it: it is not
  // recycled before they are done, whatever the RPS says.
  int users = 0;
};

// 7.3.7 st_ref_pic_set(): the short-term reference pictures of a slice as
// POC differences to the current picture, earlier ones (S0, closest first)
// then later ones (S1).
struct ShortTermRps {
  static constexpr int kMaxPictures = 16;
  int num_negative = 0;
  int num_positive = 0;
  int delta_poc_s0[kMaxPictures] = {}; // < 0, decreasing
  bool used_by_curr_s0[kMaxPictures] = {};
  int delta_poc_s1[kMaxPictures] = {}; // > 0, increasing
  bool used_by_curr_s1[kMaxPictures] = {};
};

// Reconstructed pictures by picture order count, recycled once nothing
// references them.
class DecodedPictureBuffer {
public:
  void configure(int width, int height, int capacity);
  // 8.3.2: after an IDR nothing is referenced; otherwise the pictures the
  // RPS of the current picture names stay references and the rest are
  // marked unused. Unused pictures nobody uses are recycled.
  void apply_rps(bool idr, const ShortTermRps &rps, int current_poc);
  // A picture for the current one, allocated once: a reference from the
  // start when is_reference (frame threads let later pictures predict
  // from it while it is coded).
  DecodedPicture *acquire(int poc, bool is_reference);
  // A picture used for reference, or nullptr.
  DecodedPicture *find_reference(int poc);

private:
  int width_ = 0;
  int height_ = 0;
  std::vector<std::unique_ptr<DecodedPicture>> pictures_;
  std::vector<bool> in_use_;
};

} // namespace quad::hevc
