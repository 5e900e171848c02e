/* libx264 backend: zero-latency tuning, sliced threads, Annex B with
 * parameter sets repeated on every IDR. */
#include <cstdint>

extern "C" {
#include <x264.h>
}

#include "fallback_encoder.h"

namespace quad::fallback {
namespace {

class X264Encoder final : public Encoder {
public:
  ~X264Encoder() override {
    if (encoder_)
      x264_encoder_close(encoder_);
  }

  bool open(const EncoderConfig &config, std::string *error) {
    config_ = config;
    width_ = config.width;
    height_ = config.height;
    preset_ = config.preset;
    x264_param_t param;
    if (!make_param(config.preset, &param)) {
      *error = "x264 rejected the parameters";
      return false;
    }
    encoder_ = x264_encoder_open(&param);
    if (!encoder_) {
      *error = "x264_encoder_open failed";
      return false;
    }
    return true;
  }

  EncodeResult encode(const Picture *picture, Packet &out) override {
    x264_picture_t in;
    x264_picture_t pic_out;
    x264_nal_t *nals = nullptr;
    int nal_count = 0;
    if (picture) {
      x264_picture_init(&in);
      in.img.i_csp = config_.layout == ChromaLayout::NV12 ? X264_CSP_NV12 : X264_CSP_I420;
      in.img.i_plane = config_.layout == ChromaLayout::NV12 ? 2 : 3;
      for (int p = 0; p < in.img.i_plane; p++) {
        /* x264 only reads the input planes; its API is not const-correct. */
        in.img.plane[p] = const_cast<uint8_t *>(picture->planes[p]);
        in.img.i_stride[p] = static_cast<int>(picture->strides[p]);
      }
      in.i_pts = picture->pts;
      in.i_type = picture->force_idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
      in.prop.quant_offsets = const_cast<float *>(picture->quant_offsets);
    } else if (x264_encoder_delayed_frames(encoder_) == 0) {
      return EncodeResult::NoPacket;
    }
    const int size =
        x264_encoder_encode(encoder_, &nals, &nal_count, picture ? &in : nullptr, &pic_out);
    if (size < 0) {
      error_ = "x264_encoder_encode failed";
      return EncodeResult::Error;
    }
    if (size == 0 || nal_count == 0)
      return EncodeResult::NoPacket;
    /* x264 guarantees the payloads of one call are contiguous. */
    out.data = std::span<const uint8_t>(nals[0].p_payload, static_cast<size_t>(size));
    out.pts = pic_out.i_pts;
    out.keyframe = pic_out.b_keyframe != 0;
    return EncodeResult::Packet;
  }

  int delayed_frames() const override { return x264_encoder_maximum_delayed_frames(encoder_); }

  bool set_preset(int preset) override {
    if (preset < 0 || preset >= kPresetCount)
      return false;
    x264_param_t param;
    if (!make_param(preset, &param) || x264_encoder_reconfig(encoder_, &param) < 0) {
      error_ = "x264_encoder_reconfig refused preset " + std::string(kPresetNames[preset]);
      return false;
    }
    preset_ = preset;
    return true;
  }

private:
  bool make_param(int preset, x264_param_t *p) const {
    const EncoderConfig &c = config_;
    if (x264_param_default_preset(p, kPresetNames[preset], "zerolatency") < 0)
      return false;
    p->i_log_level = X264_LOG_ERROR;
    p->i_width = c.width;
    p->i_height = c.height;
    p->i_csp = c.layout == ChromaLayout::NV12 ? X264_CSP_NV12 : X264_CSP_I420;
    p->i_fps_num = static_cast<uint32_t>(c.fps_n);
    p->i_fps_den = static_cast<uint32_t>(c.fps_d);
    p->i_timebase_num = static_cast<uint32_t>(c.fps_d);
    p->i_timebase_den = static_cast<uint32_t>(c.fps_n);
    p->i_threads = c.threads > 0 ? c.threads : X264_THREADS_AUTO;
    p->b_sliced_threads = 1;
    p->i_bframe = 0;
    p->rc.i_lookahead = 0;
    p->i_sync_lookahead = 0;
    p->i_keyint_max = c.key_int_max > 0 ? c.key_int_max : X264_KEYINT_MAX_INFINITE;
    p->b_intra_refresh = c.intra_refresh;
    p->b_repeat_headers = 1;
    p->b_annexb = 1;
    switch (c.rate_control) {
    case RateControl::ConstantQp:
      p->rc.i_rc_method = X264_RC_CQP;
      p->rc.i_qp_constant = c.qp;
      break;
    case RateControl::ConstantBitrate:
    case RateControl::VariableBitrate: {
      p->rc.i_rc_method = X264_RC_ABR;
      p->rc.i_bitrate = c.bitrate_kbps;
      const VbvSettings vbv = vbv_settings(c);
      p->rc.i_vbv_max_bitrate = vbv.max_bitrate_kbps;
      p->rc.i_vbv_buffer_size = vbv.buffer_kbit;
      /* Meta offsets are applied through AQ, which ultrafast turns off. */
      if (p->rc.i_aq_mode == X264_AQ_NONE) {
        p->rc.i_aq_mode = X264_AQ_VARIANCE;
        p->rc.f_aq_strength = 1.0f;
      }
      break;
    }
    }
    return x264_param_apply_profile(p, "high") == 0;
  }

  EncoderConfig config_;
  x264_t *encoder_ = nullptr;
};

} // namespace

std::unique_ptr<Encoder> create_x264_encoder(const EncoderConfig &config, std::string *error) {
  auto encoder = std::make_unique<X264Encoder>();
  std::string message;
  if (!encoder->open(config, &message)) {
    if (error)
      *error = message;
    return nullptr;
  }
  return encoder;
}

} // namespace quad::fallback
