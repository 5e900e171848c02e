/* libx264 backend: no B-frames, zero-latency tuning by default (sliced
 * threads, no lookahead), Annex B with parameter sets repeated on every IDR
 * unless the caller keeps them out of band. */
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include <x264.h>
}

#include "fallback_encoder.h"

namespace quad::fallback {
namespace {

/* x264's --tune list for the flags, comma-separated as it parses them. */
std::string tune_names(unsigned tune) {
  std::string names;
  const std::pair<unsigned, const char *> known[] = {{kTunePsnr, "psnr"},
                                                     {kTuneSsim, "ssim"},
                                                     {kTuneFastDecode, "fastdecode"},
                                                     {kTuneZeroLatency, "zerolatency"}};
  for (const auto &[flag, name] : known)
    if (tune & flag)
      names += (names.empty() ? "" : ",") + std::string(name);
  return names;
}

/* Applies "name=value:name=value" with x264's own parser. */
bool apply_options(x264_param_t *p, const std::string &options, std::string *why) {
  for (const auto &[name, value] : split_options(options)) {
    const int ret = x264_param_parse(p, name.c_str(), value.c_str());
    if (ret == X264_PARAM_BAD_NAME) {
      *why = "options: x264 has no option '" + name + "'";
      return false;
    }
    if (ret != 0) {
      *why = "options: x264 refused " + name + "=" + value;
      return false;
    }
  }
  return true;
}

/* x264's own words for what it refused: its error messages, collected
 * through the param's log callback (the library copies the param, so the
 * callback reaches every call on the encoder). */
class LibraryLog {
public:
  static void collect(void *self, int level, const char *format, va_list args) {
    if (level > X264_LOG_ERROR)
      return;
    char line[512];
    vsnprintf(line, sizeof line, format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    auto *log = static_cast<LibraryLog *>(self);
    const std::lock_guard<std::mutex> lock(log->mutex_);
    log->text_ += (log->text_.empty() ? "" : "; ") + text;
  }
  /* What was collected since the last take, as ": reason" or empty. */
  std::string take() {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::string reason = text_.empty() ? std::string() : ": " + text_;
    text_.clear();
    return reason;
  }

private:
  std::mutex mutex_; /* sliced threads may log while the caller reads */
  std::string text_;
};

/* x264_param_apply_profile prints its reason instead of returning it; these
 * are its refusals for the input this encoder takes, in its own terms. */
std::string profile_refusal(const x264_param_t &p, const std::string &profile) {
  const bool lossless = (p.rc.i_rc_method == X264_RC_CQP && p.rc.i_qp_constant <= 0) ||
                        (p.rc.i_rc_method == X264_RC_CRF &&
                         static_cast<int>(p.rc.f_rf_constant + 6 * (p.i_bitdepth - 8)) <= 0);
  if (lossless)
    return profile + " profile doesn't support lossless (qp 0 needs High 4:4:4 Predictive)";
  if (p.i_bitdepth > 8 && profile != "high10")
    return profile + " profile doesn't support a bit depth of " + std::to_string(p.i_bitdepth);
  return "x264 cannot code this input in profile " + profile;
}

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
    x264_param_t param;
    if (!make_param(config, &param, error))
      return false;
    encoder_ = x264_encoder_open(&param);
    if (!encoder_) {
      *error = "x264_encoder_open refused the settings" + log_.take();
      return false;
    }
    return true;
  }

  EncodeResult encode(const SourceFrame *picture, Packet &out) override {
    x264_picture_t in;
    x264_picture_t pic_out;
    x264_nal_t *nals = nullptr;
    int nal_count = 0;
    if (picture) {
      x264_picture_init(&in);
      switch (config_.layout) {
      case ChromaLayout::I420:
        in.img.i_csp = X264_CSP_I420;
        break;
      case ChromaLayout::NV12:
        in.img.i_csp = X264_CSP_NV12;
        break;
      case ChromaLayout::I420_10:
        in.img.i_csp = X264_CSP_I420 | X264_CSP_HIGH_DEPTH;
        break;
      }
      in.img.i_plane = config_.layout == ChromaLayout::NV12 ? 2 : 3;
      for (int p = 0; p < in.img.i_plane; p++) {
        /* x264 only reads the input planes; its API is not const-correct. */
        in.img.plane[p] = const_cast<uint8_t *>(picture->planes[p]);
        in.img.i_stride[p] = static_cast<int>(picture->strides[p]);
      }
      in.i_pts = picture->pts;
      const bool due = idr_due();
      in.i_type = picture->force_idr || due ? X264_TYPE_IDR : X264_TYPE_AUTO;
      in.i_qpplus1 = config_.rate_control == RateControl::ConstantQp ? config_.qp + 1 : 0;
      in.prop.quant_offsets = const_cast<float *>(picture->quant_offsets);
    } else if (x264_encoder_delayed_frames(encoder_) == 0) {
      return EncodeResult::NoPacket;
    }
    const int size =
        x264_encoder_encode(encoder_, &nals, &nal_count, picture ? &in : nullptr, &pic_out);
    if (size < 0) {
      error_ = "x264_encoder_encode failed" + log_.take();
      return EncodeResult::Error;
    }
    if (size == 0 || nal_count == 0)
      return EncodeResult::NoPacket;
    /* x264 guarantees the payloads of one call are contiguous. */
    out.data = std::span<const uint8_t>(nals[0].p_payload, static_cast<size_t>(size));
    out.pts = pic_out.i_pts;
    out.keyframe = pic_out.b_keyframe != 0;
    note_output(out.keyframe);
    return EncodeResult::Packet;
  }

  int delayed_frames() const override { return x264_encoder_maximum_delayed_frames(encoder_); }

  std::span<const uint8_t> headers() override {
    x264_nal_t *nals = nullptr;
    int nal_count = 0;
    const int size = x264_encoder_headers(encoder_, &nals, &nal_count);
    headers_.clear();
    if (size > 0 && nal_count > 0)
      headers_.assign(nals[0].p_payload, nals[0].p_payload + size);
    return headers_;
  }

protected:
  bool apply_reconfig(const EncoderConfig &config) override {
    x264_param_t param;
    std::string why;
    if (!make_param(config, &param, &why) || x264_encoder_reconfig(encoder_, &param) < 0) {
      error_ =
          "x264_encoder_reconfig refused the settings" + (why.empty() ? log_.take() : ": " + why);
      return false;
    }
    return true;
  }

private:
  bool make_param(const EncoderConfig &c, x264_param_t *p, std::string *why) {
    const std::string tune = tune_names(c.tune);
    if (x264_param_default_preset(p, kPresetNames[c.preset],
                                  tune.empty() ? nullptr : tune.c_str()) < 0) {
      *why = "tune: x264 refused '" + tune + "' with preset " + kPresetNames[c.preset];
      return false;
    }
    p->i_log_level = X264_LOG_ERROR;
    p->pf_log = LibraryLog::collect;
    p->p_log_private = &log_;
    p->i_width = c.width;
    p->i_height = c.height;
    p->i_csp = c.layout == ChromaLayout::NV12 ? X264_CSP_NV12 : X264_CSP_I420;
    p->i_bitdepth = c.layout == ChromaLayout::I420_10 ? 10 : 8;
    p->i_fps_num = static_cast<uint32_t>(c.fps_n);
    p->i_fps_den = static_cast<uint32_t>(c.fps_d);
    p->i_timebase_num = static_cast<uint32_t>(c.fps_d);
    p->i_timebase_den = static_cast<uint32_t>(c.fps_n);
    p->i_threads = c.threads > 0 ? c.threads : X264_THREADS_AUTO;
    /* Only intra refresh needs x264's key interval; IDRs are placed by
     * Encoder otherwise, so the interval can change while running. */
    p->i_keyint_max =
        library_keyint(c) && c.key_int_max > 0 ? c.key_int_max : X264_KEYINT_MAX_INFINITE;
    p->b_intra_refresh = c.intra_refresh;
    p->b_repeat_headers = c.repeat_headers;
    p->b_annexb = 1;
    switch (c.rate_control) {
    case RateControl::ConstantQp:
      /* Each picture's QP is forced (encode()): x264's own CQP mode clamps
       * forced QPs to the range of the QP it opened with, so a new qp could
       * not take effect while running. AQ stays off as in CQP. */
      p->rc.i_rc_method = X264_RC_CRF;
      p->rc.f_rf_constant = static_cast<float>(c.qp);
      p->rc.i_aq_mode = X264_AQ_NONE;
      p->rc.b_mb_tree = 0;
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
    if (!apply_options(p, c.options, why))
      return false;
    /* Output order is input order whatever the options say: the elements
     * time-stamp access units as pictures. */
    p->i_bframe = 0;
    const std::string profile =
        !c.profile.empty() ? c.profile : (c.layout == ChromaLayout::I420_10 ? "high10" : "high");
    if (x264_param_apply_profile(p, profile.c_str()) < 0) {
      *why = profile_refusal(*p, profile);
      return false;
    }
    return true;
  }

  LibraryLog log_;
  x264_t *encoder_ = nullptr;
  std::vector<uint8_t> headers_;
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
