/* libx265 backend: no B-frames, zero-latency tuning by default (one frame
 * thread, no lookahead), WPP, Annex B with VPS/SPS/PPS repeated on every IDR
 * unless the caller keeps them out of band. 10-bit input goes to the
 * library's 10-bit build through x265_api_get(). */
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <x265.h>
}

#include "fallback_encoder.h"

namespace quad::fallback {
namespace {

int bit_depth_of(ChromaLayout layout) {
  return layout == ChromaLayout::I420_10 ? 10 : 8;
}

/* The psycho-visual tuning, the one x265 takes by name; zerolatency and
 * fastdecode are applied field by field so that they combine with it. */
const char *psy_tune(unsigned tune) {
  return (tune & kTunePsnr) ? "psnr" : (tune & kTuneSsim) ? "ssim" : nullptr;
}

class X265Encoder final : public Encoder {
public:
  ~X265Encoder() override {
    if (encoder_)
      api_->encoder_close(encoder_);
    if (param_)
      api_->param_free(param_);
  }

  bool open(const EncoderConfig &config, std::string *error) {
    config_ = config;
    opened_qp_ = config.qp;
    width_ = config.width;
    height_ = config.height;
    api_ = x265_api_get(bit_depth_of(config.layout));
    if (!api_) {
      *error =
          "this libx265 has no " + std::to_string(bit_depth_of(config.layout)) + "-bit encoder";
      return false;
    }
    if (config.threads > 0)
      pools_ = std::to_string(config.threads);
    param_ = api_->param_alloc();
    if (!param_) {
      *error = "x265_param_alloc failed";
      return false;
    }
    if (!make_param(config, param_, error))
      return false;
    encoder_ = api_->encoder_open(param_);
    if (!encoder_) {
      *error = "x265_encoder_open failed";
      return false;
    }
    /* The settings x265 actually runs with, after its own adjustments. */
    api_->encoder_parameters(encoder_, param_);
    if (config.layout == ChromaLayout::NV12) {
      chroma_stride_ = (config.width / 2 + 63) & ~63;
      chroma_.resize(static_cast<size_t>(chroma_stride_) * (config.height / 2) * 2);
    }
    return true;
  }

  EncodeResult encode(const SourceFrame *picture, Packet &out) override {
    x265_picture in;
    x265_picture pic_out;
    api_->picture_init(param_, &pic_out);
    if (picture) {
      api_->picture_init(param_, &in);
      in.colorSpace = X265_CSP_I420;
      in.bitDepth = bit_depth_of(config_.layout);
      /* x265 only reads the input planes; its API is not const-correct. */
      in.planes[0] = const_cast<uint8_t *>(picture->planes[0]);
      in.stride[0] = static_cast<int>(picture->strides[0]);
      if (config_.layout == ChromaLayout::NV12) {
        deinterleave_chroma(picture->planes[1], picture->strides[1]);
        in.planes[1] = chroma_.data();
        in.planes[2] = chroma_.data() + chroma_.size() / 2;
        in.stride[1] = in.stride[2] = chroma_stride_;
      } else {
        for (int p = 1; p < 3; p++) {
          in.planes[p] = const_cast<uint8_t *>(picture->planes[p]);
          in.stride[p] = static_cast<int>(picture->strides[p]);
        }
      }
      in.pts = picture->pts;
      const bool due = idr_due();
      in.sliceType = picture->force_idr || due ? X265_TYPE_IDR : X265_TYPE_AUTO;
      /* A qp changed while running is forced per picture. */
      in.forceqp = config_.rate_control == RateControl::ConstantQp && config_.qp != opened_qp_
                       ? config_.qp + 1
                       : 0;
      in.quantOffsets = const_cast<float *>(picture->quant_offsets);
    }
    x265_nal *nals = nullptr;
    uint32_t nal_count = 0;
    const int ret =
        api_->encoder_encode(encoder_, &nals, &nal_count, picture ? &in : nullptr, &pic_out);
    if (ret < 0) {
      error_ = "x265_encoder_encode failed";
      return EncodeResult::Error;
    }
    if (ret == 0 || nal_count == 0)
      return EncodeResult::NoPacket;
    out.data = join(nals, nal_count);
    out.pts = pic_out.pts;
    out.keyframe = pic_out.sliceType == X265_TYPE_IDR;
    note_output(out.keyframe);
    return EncodeResult::Packet;
  }

  int delayed_frames() const override {
    /* x265 holds lookahead and B-frames, plus one picture per extra frame
     * thread; it has no call that reports the sum. */
    return param_->bframes + param_->lookaheadDepth + std::max(0, param_->frameNumThreads - 1);
  }

  std::span<const uint8_t> headers() override {
    x265_nal *nals = nullptr;
    uint32_t nal_count = 0;
    if (api_->encoder_headers(encoder_, &nals, &nal_count) < 0 || nal_count == 0)
      return {};
    const std::span<const uint8_t> joined = join(nals, nal_count);
    headers_.assign(joined.begin(), joined.end());
    return headers_;
  }

protected:
  bool apply_reconfig(const EncoderConfig &config) override {
    /* x265 3.5 takes a new bitrate or VBV through x265_encoder_reconfig and
     * codes on at the old rate: within the level it signals its rate
     * controller ignores the change, and across levels it drops it. A new
     * encoder takes them instead, from the next picture. */
    if (config.rate_control != RateControl::ConstantQp &&
        (config.bitrate_kbps != config_.bitrate_kbps ||
         config.vbv_buffer_ms != config_.vbv_buffer_ms)) {
      restart_needed_ = true;
      return true;
    }
    x265_param *param = api_->param_alloc();
    std::string why;
    const bool ok =
        param && make_param(config, param, &why) && api_->encoder_reconfig(encoder_, param) == 0;
    if (param)
      api_->param_free(param);
    if (!ok) {
      error_ = "x265_encoder_reconfig refused the settings" + (why.empty() ? "" : ": " + why);
      return false;
    }
    return true;
  }

private:
  bool make_param(const EncoderConfig &c, x265_param *p, std::string *why) const {
    if (api_->param_default_preset(p, kPresetNames[c.preset], psy_tune(c.tune)) < 0) {
      *why = "x265 refused preset " + std::string(kPresetNames[c.preset]);
      return false;
    }
    if (c.tune & kTuneZeroLatency) {
      p->bFrameAdaptive = 0;
      p->lookaheadDepth = 0;
      p->scenecutThreshold = 0;
      p->rc.cuTree = 0;
      p->frameNumThreads = 1;
    }
    if (c.tune & kTuneFastDecode) {
      p->bEnableLoopFilter = 0;
      p->bEnableSAO = 0;
      p->bEnableWeightedPred = 0;
      p->bEnableWeightedBiPred = 0;
      p->bIntraInBFrames = 0;
    }
    p->logLevel = X265_LOG_ERROR;
    p->sourceWidth = c.width;
    p->sourceHeight = c.height;
    p->internalCsp = X265_CSP_I420;
    p->internalBitDepth = bit_depth_of(c.layout);
    p->fpsNum = static_cast<uint32_t>(c.fps_n);
    p->fpsDenom = static_cast<uint32_t>(c.fps_d);
    p->bEnableWavefront = 1;
    p->numaPools = pools_.empty() ? nullptr : pools_.c_str();
    /* Only intra refresh needs x265's key interval; IDRs are placed by
     * Encoder otherwise, so the interval can change while running. */
    p->keyframeMax = library_keyint(c) && c.key_int_max > 0 ? c.key_int_max : -1;
    /* Closed GOPs: every key picture is an IDR a receiver can join at. */
    p->bOpenGOP = 0;
    p->bIntraRefresh = c.intra_refresh;
    p->bRepeatHeaders = c.repeat_headers;
    p->bAnnexB = 1;
    switch (c.rate_control) {
    case RateControl::ConstantQp:
      p->rc.rateControlMode = X265_RC_CQP;
      p->rc.qp = c.qp;
      break;
    case RateControl::ConstantBitrate:
    case RateControl::VariableBitrate: {
      p->rc.rateControlMode = X265_RC_ABR;
      p->rc.bitrate = c.bitrate_kbps;
      const VbvSettings vbv = vbv_settings(c);
      p->rc.vbvMaxBitrate = vbv.max_bitrate_kbps;
      p->rc.vbvBufferSize = vbv.buffer_kbit;
      /* Meta offsets are applied through AQ: variance mode adds them to
       * each block's QP. */
      p->rc.aqMode = X265_AQ_VARIANCE;
      break;
    }
    }
    if (!apply_options(c.options, p, why))
      return false;
    /* x265 refuses a picture smaller than one CTU: below the preset's size
     * the largest CTU that fits is used (16 at the least), unless the
     * options chose one. */
    const uint32_t smaller_side = static_cast<uint32_t>(std::min(c.width, c.height));
    if (!option_given(c.options, "ctu"))
      while (p->maxCUSize > 16 && p->maxCUSize > smaller_side)
        p->maxCUSize /= 2;
    p->minCUSize = std::min(p->minCUSize, p->maxCUSize);
    if (p->maxCUSize > smaller_side) {
      *why = "x265 needs the picture at least one CTU (" + std::to_string(p->maxCUSize) + "x" +
             std::to_string(p->maxCUSize) + ") in each direction";
      return false;
    }
    /* Output order is input order whatever the options say: the elements
     * time-stamp access units as pictures. */
    p->bframes = 0;
    const std::string profile =
        !c.profile.empty() ? c.profile : (c.layout == ChromaLayout::I420_10 ? "main10" : "main");
    if (api_->param_apply_profile(p, profile.c_str()) < 0) {
      *why = "x265 cannot code this input in profile " + profile;
      return false;
    }
    return true;
  }

  /* Applies "name=value:name=value" with x265's own parser. */
  bool apply_options(const std::string &options, x265_param *p, std::string *why) const {
    for (const auto &[name, value] : split_options(options)) {
      const int ret = api_->param_parse(p, name.c_str(), value.c_str());
      if (ret == X265_PARAM_BAD_NAME) {
        *why = "options: x265 has no option '" + name + "'";
        return false;
      }
      if (ret != 0) {
        *why = "options: x265 refused " + name + "=" + value;
        return false;
      }
    }
    return true;
  }

  /* One access unit from x265's NAL units, contiguous or not. */
  std::span<const uint8_t> join(const x265_nal *nals, uint32_t nal_count) {
    const uint8_t *begin = nals[0].payload;
    const x265_nal &last = nals[nal_count - 1];
    bool contiguous = true;
    for (uint32_t i = 1; i < nal_count; i++)
      contiguous &= nals[i].payload == nals[i - 1].payload + nals[i - 1].sizeBytes;
    if (contiguous)
      return {begin, static_cast<size_t>(last.payload + last.sizeBytes - begin)};
    joined_.clear();
    for (uint32_t i = 0; i < nal_count; i++)
      joined_.insert(joined_.end(), nals[i].payload, nals[i].payload + nals[i].sizeBytes);
    return joined_;
  }

  void deinterleave_chroma(const uint8_t *uv, std::ptrdiff_t stride) {
    const int w = config_.width / 2;
    const int h = config_.height / 2;
    uint8_t *u = chroma_.data();
    uint8_t *v = chroma_.data() + chroma_.size() / 2;
    for (int y = 0; y < h; y++) {
      const uint8_t *row = uv + y * stride;
      uint8_t *ur = u + static_cast<std::ptrdiff_t>(y) * chroma_stride_;
      uint8_t *vr = v + static_cast<std::ptrdiff_t>(y) * chroma_stride_;
      for (int x = 0; x < w; x++) {
        ur[x] = row[2 * x];
        vr[x] = row[2 * x + 1];
      }
    }
  }

  static bool option_given(const std::string &options, const char *name) {
    for (const auto &option : split_options(options))
      if (option.first == name)
        return true;
    return false;
  }

  const x265_api *api_ = nullptr;
  int opened_qp_ = 0;
  std::string pools_; /* x265 keeps a pointer to it */
  x265_param *param_ = nullptr;
  x265_encoder *encoder_ = nullptr;
  /* NV12 only: x265 reads planar chroma, so U and V are split here. */
  std::vector<uint8_t> chroma_;
  int chroma_stride_ = 0;
  std::vector<uint8_t> joined_;
  std::vector<uint8_t> headers_;
};

} // namespace

std::unique_ptr<Encoder> create_x265_encoder(const EncoderConfig &config, std::string *error) {
  auto encoder = std::make_unique<X265Encoder>();
  std::string message;
  if (!encoder->open(config, &message)) {
    if (error)
      *error = message;
    return nullptr;
  }
  return encoder;
}

} // namespace quad::fallback
