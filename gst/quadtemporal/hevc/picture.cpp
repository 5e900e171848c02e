#include "picture.h"

#include <algorithm>
#include <cstring>

namespace quad::hevc {

void PictureSamples::allocate(int w, int h, int margin_luma) {
  width = w;
  height = h;
  margin = margin_luma;
  // Rows are whole cache lines and the first sample of each plane starts
  // one: the columns in front of it are the margin rounded up to 64.
  for (int c = 0; c < 3; ++c) {
    const int m = c ? margin_luma >> 1 : margin_luma;
    const int front = (m + 63) & ~63;
    stride[c] = (front + plane_width(c) + m + 63) & ~63;
  }
  size_t offset[3];
  size_t total = 0;
  for (int c = 0; c < 3; ++c) {
    const int m = c ? margin_luma >> 1 : margin_luma;
    offset[c] = total + static_cast<size_t>(stride[c]) * m + ((m + 63) & ~63);
    total += static_cast<size_t>(stride[c]) * (plane_height(c) + 2 * m);
  }
  storage_.assign(total, 0);
  for (int c = 0; c < 3; ++c) {
    planes[c] = own_planes_[c] = storage_.data() + offset[c];
    own_stride_[c] = stride[c];
  }
}

void PictureSamples::import(const uint8_t *const src[3], const ptrdiff_t src_stride[3],
                            int width_in, int height_in) {
  for (int c = 0; c < 3; ++c) {
    planes[c] = own_planes_[c];
    stride[c] = own_stride_[c];
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

void PictureSamples::borrow(const uint8_t *const src[3], const ptrdiff_t src_stride[3]) {
  for (int c = 0; c < 3; ++c) {
    planes[c] = const_cast<uint8_t *>(src[c]);
    stride[c] = src_stride[c];
  }
}

void PictureSamples::extend_borders(int y_begin, int y_end) {
  for (int c = 0; c < 3; ++c) {
    const int m = c ? margin >> 1 : margin;
    if (m == 0)
      continue;
    const int w = plane_width(c);
    const int h = plane_height(c);
    const ptrdiff_t s = stride[c];
    uint8_t *p = planes[c];
    const int sh = c ? 1 : 0;
    for (int y = y_begin >> sh; y < std::min(h, y_end >> sh); ++y) {
      uint8_t *row = p + y * s;
      std::memset(row - m, row[0], m);
      std::memset(row + w, row[w - 1], m);
    }
    for (int y = 1; y <= m; ++y) {
      if (y_begin == 0)
        std::memcpy(p - y * s - m, p - m, w + 2 * m);
      if (y_end >= height)
        std::memcpy(p + (h - 1 + y) * s - m, p + (h - 1) * s - m, w + 2 * m);
    }
  }
}

void MotionField::resize(int width, int height) {
  width16_ = (width + 15) >> 4;
  blocks_.assign(static_cast<size_t>(width16_) * ((height + 15) >> 4), PredictionMotion{});
}

void DecodedPictureBuffer::configure(int width, int height, int capacity) {
  width_ = width;
  height_ = height;
  pictures_.clear();
  in_use_.clear();
  for (int i = 0; i < capacity; ++i) {
    pictures_.push_back(std::make_unique<DecodedPicture>());
    pictures_.back()->samples.allocate(width, height, kPictureMargin);
    pictures_.back()->motion.resize(width, height);
    in_use_.push_back(false);
  }
}

void DecodedPictureBuffer::apply_rps(bool idr, const ShortTermRps &rps, int current_poc) {
  for (size_t i = 0; i < pictures_.size(); ++i) {
    DecodedPicture &pic = *pictures_[i];
    bool keep = false;
    if (!idr && pic.is_reference) {
      const int delta = pic.poc - current_poc;
      for (int k = 0; k < rps.num_negative && !keep; ++k)
        keep = rps.delta_poc_s0[k] == delta;
      for (int k = 0; k < rps.num_positive && !keep; ++k)
        keep = rps.delta_poc_s1[k] == delta;
    }
    pic.is_reference = keep;
    in_use_[i] = keep || pic.users > 0;
  }
}

DecodedPicture *DecodedPictureBuffer::acquire(int poc, bool is_reference) {
  size_t i = 0;
  while (i < pictures_.size() && in_use_[i])
    ++i;
  if (i == pictures_.size()) {
    pictures_.push_back(std::make_unique<DecodedPicture>());
    pictures_.back()->samples.allocate(width_, height_, kPictureMargin);
    pictures_.back()->motion.resize(width_, height_);
    in_use_.push_back(false);
  }
  in_use_[i] = true;
  DecodedPicture *pic = pictures_[i].get();
  pic->poc = poc;
  pic->is_reference = is_reference;
  pic->finished_rows.store(0, std::memory_order_relaxed);
  return pic;
}

DecodedPicture *DecodedPictureBuffer::find_reference(int poc) {
  for (size_t i = 0; i < pictures_.size(); ++i)
    if (in_use_[i] && pictures_[i]->is_reference && pictures_[i]->poc == poc)
      return pictures_[i].get();
  return nullptr;
}

} // namespace quad::hevc
