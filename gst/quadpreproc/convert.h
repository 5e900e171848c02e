// Colour conversion to 4:2:0 (I420 or NV12) and scaling, row bands in
// parallel. GStreamer-free.
#pragma once

#include <memory>
#include <vector>

#include "dsp/colour_convert.h"
#include "parallel.h"
#include "picture.h"
#include "resample.h"

namespace quad::preproc {

struct ConvertConfig {
  PixelFormat in_format = PixelFormat::I420;
  int in_width = 0, in_height = 0;
  PixelFormat out_format = PixelFormat::I420; // I420 or NV12
  int out_width = 0, out_height = 0;          // 1..16384, larger or smaller
  // Where the picture goes in the output, the rest black (borders that keep
  // the display aspect ratio): x and y even; a width of 0 means the whole
  // output.
  struct Rect {
    int x = 0, y = 0, width = 0, height = 0;
  } placement;
  // The output's colorimetry; a YUV input must already have it (conversion
  // between YUV colorimetries is not done here). RGB input is full range.
  Matrix matrix = Matrix::BT709;
  Range range = Range::Limited;
  // Of the output, used when chroma is reduced from 4:4:4 or 4:2:2.
  ChromaSiting siting;
  ScaleMethod method = ScaleMethod::Bilinear;
  int threads = 0; // 0: every core
};

// RGB -> YCbCr coefficients in Q16 for a matrix and range: Y from
// (yr, yg, yb) plus y_offset, Cb and Cr likewise around 128.
struct RgbToYuv {
  int32_t yr, yg, yb, ur, ug, ub, vr, vg, vb;
  int32_t y_offset; // Q16, rounding included
  int32_t c_offset; // Q16, rounding included
};
RgbToYuv rgb_to_yuv_coefficients(Matrix matrix, Range range);

class FrameConverter {
public:
  // Throws std::invalid_argument for sizes or formats it cannot convert.
  explicit FrameConverter(const ConvertConfig &config);
  ~FrameConverter();
  FrameConverter(const FrameConverter &) = delete;
  FrameConverter &operator=(const FrameConverter &) = delete;

  // in and out must match the configuration's formats and sizes.
  void convert(const ConstPicture &in, const Picture &out);

  const ConvertConfig &config() const { return config_; }

private:
  void to_420(const ConstPicture &in, const Picture &out, int chroma_row_begin,
              int chroma_row_end) const;
  void scale(const ConstPicture &in, const Picture &out);
  void fill_borders(const Picture &out) const;

  ConvertConfig config_;
  ConvertConfig::Rect placed_; // the placement, resolved
  dsp::RgbToYuvParams rgb_params_{};
  std::unique_ptr<RowParallel> workers_;
  // Scaling after a conversion: the input converted to I420 at its own size.
  std::vector<uint8_t> staging_;
  std::unique_ptr<PlaneScaler> luma_scaler_, chroma_scaler_;
};

} // namespace quad::preproc
