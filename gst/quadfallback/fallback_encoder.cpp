/* What both backends share: construction by codec and meta-driven AQ. */
#include "fallback_encoder.h"

#include <algorithm>
#include <cmath>

namespace quad::fallback {

std::unique_ptr<Encoder> create_x264_encoder(const EncoderConfig &config, std::string *error);
std::unique_ptr<Encoder> create_x265_encoder(const EncoderConfig &config, std::string *error);

std::unique_ptr<Encoder> create_encoder(const EncoderConfig &config, std::string *error) {
  std::string message;
  if (config.width < 16 || config.height < 16 || (config.width | config.height) & 1)
    message = "width and height must be even and at least 16";
  else if (config.fps_n <= 0 || config.fps_d <= 0)
    message = "frame rate must be positive";
  else if (config.preset < 0 || config.preset >= kPresetCount)
    message = "unknown speed preset";
  else if (config.qp < 0 || config.qp > 51)
    message = "qp must be 0..51";
  else if (config.rate_control != RateControl::ConstantQp && config.bitrate_kbps <= 0)
    message = "bitrate must be positive";
  if (!message.empty()) {
    if (error)
      *error = message;
    return nullptr;
  }
  return config.codec == Codec::H264 ? create_x264_encoder(config, error)
                                     : create_x265_encoder(config, error);
}

VbvSettings vbv_settings(const EncoderConfig &c) {
  const int peak =
      c.rate_control == RateControl::ConstantBitrate ? c.bitrate_kbps : 2 * c.bitrate_kbps;
  const int64_t buffer = c.vbv_buffer_ms > 0 ? int64_t{peak} * c.vbv_buffer_ms / 1000
                                             : int64_t{peak} * c.fps_d / c.fps_n;
  return {peak, static_cast<int>(buffer > 1 ? buffer : 1)};
}

void quant_offsets_from_variance(const uint16_t *variance, int cols, int rows, int block_w,
                                 int block_h, float strength, int out_cols, int out_rows,
                                 float *out) {
  constexpr float kMaxOffset = 12.0f;
  double sum = 0.0;
  for (int i = 0; i < cols * rows; i++)
    sum += std::log2(1.0 + variance[i]);
  const double mean = sum / (cols * rows);
  for (int y = 0; y < out_rows; y++) {
    /* The analysis block holding this 16x16 block's centre. */
    const int row = std::min(rows - 1, (y * 16 + 8) / block_h);
    for (int x = 0; x < out_cols; x++) {
      const int col = std::min(cols - 1, (x * 16 + 8) / block_w);
      const double energy = std::log2(1.0 + variance[row * cols + col]);
      const float offset = static_cast<float>(strength * (energy - mean));
      out[y * out_cols + x] = std::clamp(offset, -kMaxOffset, kMaxOffset);
    }
  }
}

} // namespace quad::fallback
