/* libx265 backend: zero-latency tuning (one frame thread, no lookahead),
 * WPP, Annex B with VPS/SPS/PPS repeated on every IDR. */
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

class X265Encoder final : public Encoder {
public:
  ~X265Encoder() override {
    if (encoder_)
      x265_encoder_close(encoder_);
    if (param_)
      x265_param_free(param_);
  }

  bool open(const EncoderConfig &config, std::string *error) {
    config_ = config;
    width_ = config.width;
    height_ = config.height;
    preset_ = config.preset;
    if (config.threads > 0)
      pools_ = std::to_string(config.threads);
    param_ = x265_param_alloc();
    if (!param_ || !make_param(config.preset, param_)) {
      *error = "x265 rejected the parameters";
      return false;
    }
    encoder_ = x265_encoder_open(param_);
    if (!encoder_) {
      *error = "x265_encoder_open failed";
      return false;
    }
    /* The settings x265 actually runs with, after its own adjustments. */
    x265_encoder_parameters(encoder_, param_);
    if (config.layout == ChromaLayout::NV12) {
      chroma_stride_ = (config.width / 2 + 63) & ~63;
      chroma_.resize(static_cast<size_t>(chroma_stride_) * (config.height / 2) * 2);
    }
    return true;
  }

  EncodeResult encode(const Picture *picture, Packet &out) override {
    x265_picture in;
    x265_picture pic_out;
    x265_picture_init(param_, &pic_out);
    if (picture) {
      x265_picture_init(param_, &in);
      in.colorSpace = X265_CSP_I420;
      in.bitDepth = 8;
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
      in.sliceType = picture->force_idr ? X265_TYPE_IDR : X265_TYPE_AUTO;
      in.quantOffsets = const_cast<float *>(picture->quant_offsets);
    }
    x265_nal *nals = nullptr;
    uint32_t nal_count = 0;
    const int ret =
        x265_encoder_encode(encoder_, &nals, &nal_count, picture ? &in : nullptr, &pic_out);
    if (ret < 0) {
      error_ = "x265_encoder_encode failed";
      return EncodeResult::Error;
    }
    if (ret == 0 || nal_count == 0)
      return EncodeResult::NoPacket;
    const uint8_t *begin = nals[0].payload;
    const x265_nal &last = nals[nal_count - 1];
    const size_t size = static_cast<size_t>(last.payload + last.sizeBytes - begin);
    bool contiguous = true;
    for (uint32_t i = 1; i < nal_count; i++)
      contiguous &= nals[i].payload == nals[i - 1].payload + nals[i - 1].sizeBytes;
    if (contiguous) {
      out.data = std::span<const uint8_t>(begin, size);
    } else {
      joined_.clear();
      for (uint32_t i = 0; i < nal_count; i++)
        joined_.insert(joined_.end(), nals[i].payload, nals[i].payload + nals[i].sizeBytes);
      out.data = std::span<const uint8_t>(joined_);
    }
    out.pts = pic_out.pts;
    out.keyframe = pic_out.sliceType == X265_TYPE_IDR;
    return EncodeResult::Packet;
  }

  int delayed_frames() const override {
    /* x265 holds lookahead and B-frames, plus one picture per extra frame
     * thread; it has no call that reports the sum. */
    return param_->bframes + param_->lookaheadDepth + std::max(0, param_->frameNumThreads - 1);
  }

  bool set_preset(int preset) override {
    if (preset < 0 || preset >= kPresetCount)
      return false;
    x265_param *param = x265_param_alloc();
    const bool ok =
        param && make_param(preset, param) && x265_encoder_reconfig(encoder_, param) == 0;
    if (param)
      x265_param_free(param);
    if (!ok) {
      error_ = "x265_encoder_reconfig refused preset " + std::string(kPresetNames[preset]);
      return false;
    }
    preset_ = preset;
    return true;
  }

private:
  bool make_param(int preset, x265_param *p) const {
    const EncoderConfig &c = config_;
    if (x265_param_default_preset(p, kPresetNames[preset], "zerolatency") < 0)
      return false;
    p->logLevel = X265_LOG_ERROR;
    p->sourceWidth = c.width;
    p->sourceHeight = c.height;
    p->internalCsp = X265_CSP_I420;
    p->internalBitDepth = 8;
    p->fpsNum = static_cast<uint32_t>(c.fps_n);
    p->fpsDenom = static_cast<uint32_t>(c.fps_d);
    p->frameNumThreads = 1;
    p->bEnableWavefront = 1;
    p->numaPools = pools_.empty() ? nullptr : pools_.c_str();
    p->bframes = 0;
    p->lookaheadDepth = 0;
    p->keyframeMax = c.key_int_max > 0 ? c.key_int_max : -1;
    /* Closed GOPs: every key picture is an IDR a receiver can join at. */
    p->bOpenGOP = 0;
    p->bIntraRefresh = c.intra_refresh;
    p->bRepeatHeaders = 1;
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
    return true;
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

  EncoderConfig config_;
  std::string pools_; /* x265 keeps a pointer to it */
  x265_param *param_ = nullptr;
  x265_encoder *encoder_ = nullptr;
  /* NV12 only: x265 reads planar chroma, so U and V are split here. */
  std::vector<uint8_t> chroma_;
  int chroma_stride_ = 0;
  std::vector<uint8_t> joined_;
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
