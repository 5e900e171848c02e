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
  else if ((config.tune & kTunePsnr) && (config.tune & kTuneSsim))
    message = "tune: psnr and ssim exclude each other";
  if (!message.empty()) {
    if (error)
      *error = message;
    return nullptr;
  }
  return config.codec == Codec::H264 ? create_x264_encoder(config, error)
                                     : create_x265_encoder(config, error);
}

std::vector<std::pair<std::string, std::string>> split_options(const std::string &options) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start < options.size()) {
    size_t end = options.find(':', start);
    if (end == std::string::npos)
      end = options.size();
    const std::string item = options.substr(start, end - start);
    start = end + 1;
    if (item.empty())
      continue;
    const size_t eq = item.find('=');
    pairs.emplace_back(item.substr(0, eq), eq == std::string::npos ? "1" : item.substr(eq + 1));
  }
  return pairs;
}

bool Encoder::reconfigure(const EncoderConfig &config) {
  EncoderConfig next = config_;
  next.bitrate_kbps = config.bitrate_kbps;
  next.vbv_buffer_ms = config.vbv_buffer_ms;
  next.qp = config.qp;
  next.preset = config.preset;
  /* The key interval is counted here, unless the library places IDRs. */
  if (!library_keyint(config_))
    next.key_int_max = config.key_int_max;
  if (next.preset < 0 || next.preset >= kPresetCount || next.qp < 0 || next.qp > 51 ||
      next.bitrate_kbps <= 0) {
    error_ = "reconfiguration out of range";
    return false;
  }
  const bool library_part = next.bitrate_kbps != config_.bitrate_kbps ||
                            next.vbv_buffer_ms != config_.vbv_buffer_ms ||
                            next.preset != config_.preset;
  if (library_part && !apply_reconfig(next))
    return false;
  config_ = next;
  return true;
}

bool Encoder::set_preset(int preset) {
  EncoderConfig next = config_;
  next.preset = preset;
  return reconfigure(next);
}

bool Encoder::idr_due() {
  pictures_in_++;
  const bool due = !library_keyint(config_) && config_.key_int_max > 0 && pictures_in_ > 1 &&
                   since_key_ >= config_.key_int_max;
  since_key_ = due ? 1 : since_key_ + 1;
  return due;
}

void Encoder::note_output(bool keyframe) {
  pictures_out_++;
  /* The key picture and every picture taken since it. */
  if (keyframe)
    since_key_ = static_cast<int>(pictures_in_ - pictures_out_) + 1;
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
