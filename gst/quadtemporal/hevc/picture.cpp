#include "picture.h"

#include <cstring>

namespace quad::hevc {

void Picture::allocate(int w, int h) {
  width = w;
  height = h;
  // Strides rounded up to 64 bytes keep rows cache-line aligned.
  stride[0] = (w + 63) & ~63;
  stride[1] = stride[2] = ((w >> 1) + 63) & ~63;
  const size_t luma = static_cast<size_t>(stride[0]) * h;
  const size_t chroma = static_cast<size_t>(stride[1]) * (h >> 1);
  storage_.assign(luma + 2 * chroma + 64, 0);
  uint8_t *base = storage_.data();
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  planes[0] = base;
  planes[1] = base + luma;
  planes[2] = base + luma + chroma;
}

void Picture::import(const uint8_t *const src[3], const ptrdiff_t src_stride[3], int width_in,
                     int height_in) {
  for (int c = 0; c < 3; ++c) {
    const int w_in = c ? width_in >> 1 : width_in;
    const int h_in = c ? height_in >> 1 : height_in;
    const int w = plane_width(c);
    const int h = plane_height(c);
    for (int y = 0; y < h; ++y) {
      const uint8_t *s = src[c] + (y < h_in ? y : h_in - 1) * src_stride[c];
      uint8_t *d = planes[c] + y * stride[c];
      std::memcpy(d, s, w_in);
      if (w > w_in)
        std::memset(d + w_in, s[w_in - 1], w - w_in);
    }
  }
}

void PictureBuffer::configure(int width, int height, int capacity) {
  width_ = width;
  height_ = height;
  pictures_.clear();
  in_use_.clear();
  for (int i = 0; i < capacity; ++i) {
    pictures_.push_back(std::make_unique<Picture>());
    pictures_.back()->allocate(width, height);
    in_use_.push_back(false);
  }
}

Picture *PictureBuffer::acquire() {
  for (size_t i = 0; i < pictures_.size(); ++i) {
    if (!in_use_[i]) {
      in_use_[i] = true;
      pictures_[i]->is_reference = false;
      return pictures_[i].get();
    }
  }
  pictures_.push_back(std::make_unique<Picture>());
  pictures_.back()->allocate(width_, height_);
  in_use_.push_back(true);
  return pictures_.back().get();
}

void PictureBuffer::release_unreferenced() {
  for (size_t i = 0; i < pictures_.size(); ++i)
    if (!pictures_[i]->is_reference)
      in_use_[i] = false;
}

Picture *PictureBuffer::find(int poc) {
  for (size_t i = 0; i < pictures_.size(); ++i)
    if (in_use_[i] && pictures_[i]->poc == poc)
      return pictures_[i].get();
  return nullptr;
}

} // namespace quad::hevc
