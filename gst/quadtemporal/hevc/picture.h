// 8-bit 4:2:0 pictures of the coded size, and the buffer of decoded
// pictures the encoder keeps for reference (H.265 8.3.2 keeps the same
// set on the decoder side). GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace quad::hevc {

struct Picture {
  int width = 0; // luma samples, a multiple of 8
  int height = 0;
  ptrdiff_t stride[3] = {0, 0, 0};
  uint8_t *planes[3] = {nullptr, nullptr, nullptr};
  int poc = 0;
  bool is_reference = false;

  void allocate(int w, int h);
  int plane_width(int c) const { return c ? width >> 1 : width; }
  int plane_height(int c) const { return c ? height >> 1 : height; }

  // Copies a width_in x height_in 4:2:0 picture into the top-left corner
  // and repeats its last column and row into the rest of the coded size.
  void import(const uint8_t *const src[3], const ptrdiff_t src_stride[3], int width_in,
              int height_in);

private:
  std::vector<uint8_t> storage_;
};

// Reconstructed pictures by picture order count, recycled when no longer
// referenced. With all-intra coding only the current picture is in use.
class PictureBuffer {
public:
  void configure(int width, int height, int capacity);
  // A picture not used for reference, allocated once.
  Picture *acquire();
  void release_unreferenced();
  Picture *find(int poc);

private:
  int width_ = 0;
  int height_ = 0;
  std::vector<std::unique_ptr<Picture>> pictures_;
  std::vector<bool> in_use_;
};

} // namespace quad::hevc
