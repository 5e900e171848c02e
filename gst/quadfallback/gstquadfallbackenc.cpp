/* The shared GstVideoEncoder of quadx264enc and quadx265enc: caps and
 * properties in, quad::fallback::Encoder calls, access units out. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadfallbackenc.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fallback_encoder.h"
#include "nal/nal_units.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadbufferpool.h"
#include "quad/gstquadencoderprops.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_fallback_enc_debug);
#define GST_CAT_DEFAULT gst_quad_fallback_enc_debug

using quad::fallback::Encoder;
using quad::fallback::EncoderConfig;
using quad::fallback::EncodeResult;

static constexpr gboolean DEFAULT_REALTIME = FALSE;
static constexpr guint DEFAULT_TUNE = quad::fallback::kTuneZeroLatency;
static constexpr gdouble DEFAULT_AQ_STRENGTH = 1.0;
static constexpr gdouble MAX_AQ_STRENGTH = 3.0;
static constexpr gint UNKNOWN_RATE_FPS = 30;


enum {
  PROP_0,
  PROP_REALTIME,
  PROP_AQ_STRENGTH,
  PROP_STATS,
  PROP_TUNE,
  PROP_OPTION_STRING,
  PROP_SHARED_FIRST,
};

#define GST_TYPE_QUAD_FALLBACK_TUNE (gst_quad_fallback_tune_get_type())
static GType gst_quad_fallback_tune_get_type(void) {
  static GType type = 0;
  static const GFlagsValue values[] = {
      {quad::fallback::kTuneZeroLatency,
       "No lookahead or frame threads: each picture's access "
       "unit leaves with it",
       "zerolatency"},
      {quad::fallback::kTunePsnr, "Optimise for PSNR (psycho-visual tools off)", "psnr"},
      {quad::fallback::kTuneSsim, "Optimise for SSIM", "ssim"},
      {quad::fallback::kTuneFastDecode, "Cheaper to decode (no loop filters, CABAC off in x264)",
       "fastdecode"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_flags_register_static("GstQuadFallbackTune", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

/* What downstream caps chose: the stream format and the profile, in caps
 * and in the library's words. */
struct OutputChoice {
  const char *stream_format = "byte-stream";
  const char *profile = nullptr;         /* caps name */
  const char *library_profile = nullptr; /* x264's or x265's name */
  bool length_prefixed = false;
  bool parameter_sets_in_band = true;
};

struct FallbackCounters {
  guint64 frames_in = 0;
  guint64 frames_out = 0;
  guint64 keyframes = 0;
  guint64 forced_idr = 0; /* scene cuts from the analysis meta and force-key-unit events */
  guint64 aq_frames = 0;  /* frames coded with quant offsets from the meta */
  guint64 preset_down = 0;
  guint64 preset_up = 0;
  gint preset = -1; /* the preset in use, -1 before the encoder starts */
  gint max_delayed = 0;
  gdouble encode_us_total = 0.0;
};

/* Streaming state, made in set_format and dropped in stop. */
struct FallbackState {
  std::unique_ptr<Encoder> encoder;
  EncoderConfig config;
  GstVideoCodecState *input_state = nullptr;
  GstClockTime frame_duration = 0;
  bool rate_known = false; /* the real-time guard needs a frame interval */
  OutputChoice output;
  std::vector<uint8_t> converted; /* length-prefixed access unit */
  gint reported_delay = 0;        /* frames behind the latency we posted */
  gint held = 0;                  /* frames inside the library now */
  std::vector<float> offsets;

  /* Real-time guard. */
  GstQuadRealtimeGuard guard = {};

  ~FallbackState() {
    if (input_state)
      gst_video_codec_state_unref(input_state);
  }
};

typedef struct {
  /* Properties, under the object lock. */
  GstQuadEncoderSettings settings;
  gboolean realtime;
  gdouble aq_strength;
  guint tune;
  gchar *option_string;
  gboolean reconfigure;      /* a rate setting changed while running */
  FallbackCounters counters; /* also under the object lock: stats is read from any thread */

  FallbackState *state;
} GstQuadFallbackEncPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(GstQuadFallbackEnc, gst_quad_fallback_enc,
                                    GST_TYPE_VIDEO_ENCODER);
#define parent_class gst_quad_fallback_enc_parent_class

static GstQuadFallbackEncPrivate *priv_of(gpointer self) {
  return static_cast<GstQuadFallbackEncPrivate *>(
      gst_quad_fallback_enc_get_instance_private(GST_QUAD_FALLBACK_ENC(self)));
}

static GstQuadFallbackCodec codec_of(gpointer self) {
  return GST_QUAD_FALLBACK_ENC_GET_CLASS(self)->codec;
}

static GstStructure *fallback_stats(GstQuadFallbackEnc *self) {
  auto *priv = priv_of(self);
  GST_OBJECT_LOCK(self);
  const FallbackCounters c = priv->counters;
  GST_OBJECT_UNLOCK(self);
  const gchar *preset = c.preset >= 0 ? quad::fallback::kPresetNames[c.preset] : "";
  return gst_structure_new(
      "quadfallbackenc-stats", "frames-in", G_TYPE_UINT64, c.frames_in, "frames-out", G_TYPE_UINT64,
      c.frames_out, "keyframes", G_TYPE_UINT64, c.keyframes, "forced-idr", G_TYPE_UINT64,
      c.forced_idr, "aq-frames", G_TYPE_UINT64, c.aq_frames, "preset-down", G_TYPE_UINT64,
      c.preset_down, "preset-up", G_TYPE_UINT64, c.preset_up, "preset", G_TYPE_STRING, preset,
      "max-delayed", G_TYPE_INT, c.max_delayed, "mean-encode-us", G_TYPE_DOUBLE,
      c.frames_in ? c.encode_us_total / c.frames_in : 0.0, nullptr);
}

static void close_encoder(GstQuadFallbackEnc *self) {
  auto *priv = priv_of(self);
  delete priv->state;
  priv->state = nullptr;
}

static void post_latency(GstQuadFallbackEnc *self, FallbackState *st, gint frames) {
  st->reported_delay = frames;
  const GstClockTime latency = st->frame_duration * static_cast<guint64>(frames);
  GST_INFO_OBJECT(self, "latency %d frames (%" GST_TIME_FORMAT ")", frames, GST_TIME_ARGS(latency));
  gst_video_encoder_set_latency(GST_VIDEO_ENCODER(self), latency, latency);
}

static bool is_ten_bit(const GstVideoInfo *info) {
  return GST_VIDEO_INFO_FORMAT(info) == GST_VIDEO_FORMAT_I420_10LE;
}

/* The properties as the library takes them. */
static void apply_settings(const GstQuadEncoderSettings &s, EncoderConfig &c) {
  switch (s.rate_control) {
  case GST_QUAD_RATE_CONTROL_CQP:
    c.rate_control = quad::fallback::RateControl::ConstantQp;
    break;
  case GST_QUAD_RATE_CONTROL_CBR:
    c.rate_control = quad::fallback::RateControl::ConstantBitrate;
    break;
  case GST_QUAD_RATE_CONTROL_VBR:
    c.rate_control = quad::fallback::RateControl::VariableBitrate;
    break;
  }
  c.bitrate_kbps = static_cast<int>(s.bitrate);
  c.qp = static_cast<int>(s.qp);
  c.vbv_buffer_ms = static_cast<int>(s.vbv_buffer_ms);
  c.key_int_max = gst_quad_encoder_key_int_period(s.key_int_max);
  c.preset = static_cast<int>(s.speed_preset);
  c.threads = static_cast<int>(s.threads);
  c.intra_refresh = s.intra_refresh;
}

/* Starts the library for state with the current properties, coding for
 * the output downstream chose. */
static gboolean open_encoder(GstQuadFallbackEnc *self, GstVideoCodecState *state,
                             const OutputChoice &output) {
  auto *priv = priv_of(self);
  const GstVideoInfo *info = &state->info;
  close_encoder(self);

  auto st = std::make_unique<FallbackState>();
  EncoderConfig &c = st->config;
  c.codec = codec_of(self) == GST_QUAD_FALLBACK_CODEC_H264 ? quad::fallback::Codec::H264
                                                           : quad::fallback::Codec::H265;
  c.width = GST_VIDEO_INFO_WIDTH(info);
  c.height = GST_VIDEO_INFO_HEIGHT(info);
  const bool rate_known = GST_VIDEO_INFO_FPS_N(info) > 0 && GST_VIDEO_INFO_FPS_D(info) > 0;
  c.fps_n = rate_known ? GST_VIDEO_INFO_FPS_N(info) : UNKNOWN_RATE_FPS;
  c.fps_d = rate_known ? GST_VIDEO_INFO_FPS_D(info) : 1;
  c.layout = GST_VIDEO_INFO_FORMAT(info) == GST_VIDEO_FORMAT_NV12
                 ? quad::fallback::ChromaLayout::NV12
             : is_ten_bit(info) ? quad::fallback::ChromaLayout::I420_10
                                : quad::fallback::ChromaLayout::I420;
  GST_OBJECT_LOCK(self);
  apply_settings(priv->settings, c);
  c.tune = priv->tune;
  c.options = priv->option_string ? priv->option_string : "";
  priv->reconfigure = FALSE;
  GST_OBJECT_UNLOCK(self);
  c.profile = output.library_profile;
  c.repeat_headers = output.parameter_sets_in_band;
  st->output = output;

  std::string error;
  st->encoder = quad::fallback::create_encoder(c, &error);
  if (!st->encoder) {
    /* The core starts option and tune refusals with their field's name. */
    const char *property = g_str_has_prefix(error.c_str(), "options:") ? "option-string"
                           : g_str_has_prefix(error.c_str(), "tune:")  ? "tune"
                                                                       : nullptr;
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                      ("Could not start the encoder%s%s.", property ? ": check property " : "",
                       property ? property : ""),
                      ("%s for %s %dx%d at %d/%d, profile %s", error.c_str(),
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(info)), c.width, c.height,
                       c.fps_n, c.fps_d, output.profile));
    return FALSE;
  }
  st->input_state = gst_video_codec_state_ref(state);
  st->frame_duration = gst_util_uint64_scale_int(GST_SECOND, c.fps_d, c.fps_n);
  st->rate_known = rate_known;
  const gint delayed = st->encoder->delayed_frames();
  GST_OBJECT_LOCK(self);
  priv->counters.preset = c.preset;
  GST_OBJECT_UNLOCK(self);
  priv->state = st.release();
  post_latency(self, priv->state, delayed);
  return TRUE;
}

static GstFlowReturn drain(GstQuadFallbackEnc *self);

/* Profiles by caps name and the library's, best first: the first one
 * downstream accepts is coded. x264's baseline is constrained baseline, which
 * a baseline decoder also takes. */
struct ProfileName {
  const char *caps;
  const char *library;
};
static const ProfileName H264_PROFILES[] = {{"high", "high"},
                                            {"main", "main"},
                                            {"constrained-baseline", "baseline"},
                                            {"baseline", "baseline"}};
static const ProfileName H264_PROFILES_10[] = {{"high-10", "high10"}};
static const ProfileName H265_PROFILES[] = {{"main", "main"}};
static const ProfileName H265_PROFILES_10[] = {{"main-10", "main10"}};

/* Byte-stream first (parsers and quadnetsink take it as it is), then the
 * ISO formats a muxer takes: parameter sets only in codec_data, or (hev1)
 * in band as well. */
static const char *const H264_FORMATS[] = {"byte-stream", "avc"};
static const char *const H265_FORMATS[] = {"byte-stream", "hvc1", "hev1"};

/* The stream format and profile downstream accepts for this input; false
 * when it accepts none this encoder can code. */
static bool choose_output(GstQuadFallbackEnc *self, const GstVideoInfo *info,
                          OutputChoice *choice) {
  const bool h264 = codec_of(self) == GST_QUAD_FALLBACK_CODEC_H264;
  const bool ten = is_ten_bit(info);
  std::span<const ProfileName> profiles =
      h264 ? (ten ? std::span<const ProfileName>(H264_PROFILES_10) : H264_PROFILES)
           : (ten ? std::span<const ProfileName>(H265_PROFILES_10) : H265_PROFILES);
  std::span<const char *const> formats =
      h264 ? std::span<const char *const>(H264_FORMATS) : H265_FORMATS;
  GstCaps *allowed = gst_pad_get_allowed_caps(GST_VIDEO_ENCODER_SRC_PAD(self));
  if (!allowed)
    allowed = gst_pad_get_pad_template_caps(GST_VIDEO_ENCODER_SRC_PAD(self));
  GST_DEBUG_OBJECT(self, "downstream allows %" GST_PTR_FORMAT, allowed);
  bool found = false;
  for (const char *format : formats) {
    for (const ProfileName &profile : profiles) {
      GstCaps *candidate = gst_caps_new_simple(
          h264 ? "video/x-h264" : "video/x-h265", "stream-format", G_TYPE_STRING, format,
          "alignment", G_TYPE_STRING, "au", "profile", G_TYPE_STRING, profile.caps, nullptr);
      found = gst_caps_can_intersect(candidate, allowed);
      gst_caps_unref(candidate);
      if (found) {
        choice->stream_format = format;
        choice->profile = profile.caps;
        choice->library_profile = profile.library;
        choice->length_prefixed = !g_str_equal(format, "byte-stream");
        choice->parameter_sets_in_band =
            !g_str_equal(format, "avc") && !g_str_equal(format, "hvc1");
        break;
      }
    }
    if (found)
      break;
  }
  if (!found) {
    std::string names;
    for (const ProfileName &profile : profiles)
      names += (names.empty() ? "" : ", ") + std::string(profile.caps);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Downstream accepts none of the profiles this encoder codes %s in (%s).",
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(info)), names.c_str()),
                      ("downstream allows %" GST_PTR_FORMAT, allowed));
  }
  gst_caps_unref(allowed);
  return found;
}

/* The output caps for the running encoder: the stream format and profile
 * chosen, and for the ISO formats codec_data from its parameter sets;
 * with only_if_changed, caps equal to the current ones are not sent again. */
static gboolean set_output_caps(GstQuadFallbackEnc *self, GstVideoCodecState *state,
                                bool only_if_changed) {
  auto *priv = priv_of(self);
  auto *encoder = GST_VIDEO_ENCODER(self);
  const OutputChoice &output = priv->state->output;
  const bool h264 = codec_of(self) == GST_QUAD_FALLBACK_CODEC_H264;
  GstCaps *caps = gst_caps_new_simple(
      h264 ? "video/x-h264" : "video/x-h265", "stream-format", G_TYPE_STRING, output.stream_format,
      "alignment", G_TYPE_STRING, "au", "profile", G_TYPE_STRING, output.profile, nullptr);
  if (output.length_prefixed) {
    const std::vector<uint8_t> record = quad::nal::decoder_configuration(
        priv->state->encoder->headers(), h264 ? quad::nal::Codec::H264 : quad::nal::Codec::H265,
        !output.parameter_sets_in_band);
    if (record.empty()) {
      gst_caps_unref(caps);
      GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("Could not read the encoder's parameter sets."),
                        ("no codec_data for stream-format %s", output.stream_format));
      return FALSE;
    }
    GstBuffer *codec_data = gst_buffer_new_memdup(record.data(), record.size());
    gst_caps_set_simple(caps, "codec_data", GST_TYPE_BUFFER, codec_data, nullptr);
    gst_buffer_unref(codec_data);
  }
  GstCaps *current =
      only_if_changed ? gst_pad_get_current_caps(GST_VIDEO_ENCODER_SRC_PAD(self)) : nullptr;
  const bool same = current && gst_caps_is_equal(current, caps);
  if (current)
    gst_caps_unref(current);
  if (same) {
    gst_caps_unref(caps);
    return TRUE;
  }
  GstVideoCodecState *out = gst_video_encoder_set_output_state(encoder, caps, state);
  gst_video_codec_state_unref(out);
  return gst_video_encoder_negotiate(encoder);
}

static gboolean gst_quad_fallback_enc_set_format(GstVideoEncoder *encoder,
                                                 GstVideoCodecState *state) {
  auto *self = GST_QUAD_FALLBACK_ENC(encoder);
  /* A new format starts a new stream: send what the old one still holds. */
  drain(self);
  OutputChoice output;
  if (!choose_output(self, &state->info, &output) || !open_encoder(self, state, output))
    return FALSE;
  return set_output_caps(self, state, false);
}

/* Sends one access unit with the frame it belongs to. */
static GstFlowReturn push_packet(GstQuadFallbackEnc *self, const quad::fallback::Packet &packet) {
  auto *priv = priv_of(self);
  auto *encoder = GST_VIDEO_ENCODER(self);
  priv->state->held = std::max(0, priv->state->held - 1);
  GstVideoCodecFrame *frame = gst_video_encoder_get_frame(encoder, static_cast<int>(packet.pts));
  if (!frame) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The encoder returned an unknown picture."),
                      ("frame number %" G_GINT64_FORMAT, packet.pts));
    return GST_FLOW_ERROR;
  }
  std::span<const uint8_t> data = packet.data;
  if (priv->state->output.length_prefixed) {
    quad::nal::to_length_prefixed(
        packet.data,
        codec_of(self) == GST_QUAD_FALLBACK_CODEC_H264 ? quad::nal::Codec::H264
                                                       : quad::nal::Codec::H265,
        !priv->state->output.parameter_sets_in_band, priv->state->converted);
    data = priv->state->converted;
  }
  frame->output_buffer = gst_video_encoder_allocate_output_buffer(encoder, data.size());
  gst_buffer_fill(frame->output_buffer, 0, data.data(), data.size());
  if (packet.keyframe)
    GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT(frame);
  else
    GST_VIDEO_CODEC_FRAME_UNSET_SYNC_POINT(frame);
  GST_OBJECT_LOCK(self);
  priv->counters.frames_out++;
  priv->counters.keyframes += packet.keyframe ? 1 : 0;
  GST_OBJECT_UNLOCK(self);
  /* finish_frame takes the reference get_frame gave. */
  return gst_video_encoder_finish_frame(encoder, frame);
}

/* Steps the speed preset on sustained overrun or headroom (realtime=true). */
static void realtime_guard(GstQuadFallbackEnc *self, FallbackState *st, double encode_us) {
  auto *priv = priv_of(self);
  const double budget_us = st->frame_duration / 1000.0;
  const int current = st->encoder->preset();
  const char *reason = nullptr;
  const int target = gst_quad_realtime_guard_update(&st->guard, encode_us, budget_us, current,
                                                    st->config.preset, &reason);
  if (!reason)
    return;
  if (!st->encoder->set_preset(target)) {
    GST_WARNING_OBJECT(self, "%s", st->encoder->error().c_str());
    return;
  }
  GST_INFO_OBJECT(self, "%s: preset %s -> %s (%.0f us per frame, budget %.0f us)", reason,
                  quad::fallback::kPresetNames[current], quad::fallback::kPresetNames[target],
                  st->guard.smoothed_us, budget_us);
  GST_OBJECT_LOCK(self);
  priv->counters.preset = target;
  (target < current ? priv->counters.preset_down : priv->counters.preset_up)++;
  GST_OBJECT_UNLOCK(self);
  gst_quad_realtime_guard_post(GST_ELEMENT(self), &st->guard, reason, current, target, budget_us);
}

/* Rate settings changed in PLAYING: the next picture is coded with them.
 * The real-time guard keeps its own preset below the new ceiling. */
static void apply_live_settings(GstQuadFallbackEnc *self, FallbackState *st,
                                const EncoderConfig &wanted) {
  auto *priv = priv_of(self);
  EncoderConfig next = wanted;
  if (st->encoder->preset() < st->config.preset)
    next.preset = std::min(wanted.preset, st->encoder->preset());
  if (!st->encoder->reconfigure(next)) {
    GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("Could not apply the new rate settings."),
                        ("%s", st->encoder->error().c_str()));
    return;
  }
  GST_INFO_OBJECT(self, "now bitrate %d kbit/s, qp %d, key-int-max %d, preset %s",
                  next.bitrate_kbps, next.qp, next.key_int_max,
                  quad::fallback::kPresetNames[next.preset]);
  st->config.bitrate_kbps = wanted.bitrate_kbps;
  st->config.vbv_buffer_ms = wanted.vbv_buffer_ms;
  st->config.qp = wanted.qp;
  st->config.key_int_max = wanted.key_int_max;
  st->config.preset = wanted.preset;
  GST_OBJECT_LOCK(self);
  priv->counters.preset = next.preset;
  GST_OBJECT_UNLOCK(self);
}

/* The library kept settings it had accepted while running: what it holds
 * leaves first, then a new encoder with the settings in force takes the
 * next picture, at an IDR, so no frame is lost or coded twice. */
static GstFlowReturn restart_encoder(GstQuadFallbackEnc *self, FallbackState *st) {
  const GstFlowReturn drained = drain(self);
  if (drained != GST_FLOW_OK)
    return drained;
  const EncoderConfig config = st->encoder->config();
  std::string error;
  std::unique_ptr<Encoder> next = quad::fallback::create_encoder(config, &error);
  if (!next) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Could not restart the encoder."),
                      ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  GST_INFO_OBJECT(self, "restarted the encoder at %d kbit/s: the library kept its old rate",
                  config.bitrate_kbps);
  st->encoder = std::move(next);
  st->held = 0;
  if (!set_output_caps(self, st->input_state, true))
    return GST_FLOW_NOT_NEGOTIATED;
  post_latency(self, st, st->encoder->delayed_frames());
  return GST_FLOW_OK;
}

/* Quant offsets from the analysis meta; false when there is none to use. */
static bool offsets_from_meta(GstQuadFallbackEnc *self, FallbackState *st, GstBuffer *buffer,
                              gdouble strength) {
  const GstQuadAnalysisMeta *meta = gst_buffer_get_quad_analysis_meta(buffer);
  if (!meta || strength <= 0.0 ||
      st->config.rate_control == quad::fallback::RateControl::ConstantQp)
    return false;
  const int cols = st->encoder->quant_offset_cols();
  const int rows = st->encoder->quant_offset_rows();
  st->offsets.resize(static_cast<size_t>(cols) * rows);
  std::vector<uint16_t> variance(static_cast<size_t>(meta->cols) * meta->rows);
  for (size_t i = 0; i < variance.size(); i++)
    variance[i] = meta->blocks[i].variance;
  quad::fallback::quant_offsets_from_variance(
      variance.data(), static_cast<int>(meta->cols), static_cast<int>(meta->rows),
      static_cast<int>(meta->block_width), static_cast<int>(meta->block_height),
      static_cast<float>(strength), cols, rows, st->offsets.data());
  GST_LOG_OBJECT(self, "quant offsets from a %ux%u analysis grid", meta->cols, meta->rows);
  return true;
}

static GstFlowReturn gst_quad_fallback_enc_handle_frame(GstVideoEncoder *encoder,
                                                        GstVideoCodecFrame *frame) {
  auto *self = GST_QUAD_FALLBACK_ENC(encoder);
  auto *priv = priv_of(self);
  FallbackState *st = priv->state;
  if (!st) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first frame."), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GST_OBJECT_LOCK(self);
  const gboolean realtime = priv->realtime;
  const gdouble aq_strength = priv->aq_strength;
  const bool reconfigure = priv->reconfigure;
  const GstQuadEncoderSettings settings = priv->settings;
  priv->reconfigure = FALSE;
  GST_OBJECT_UNLOCK(self);
  if (reconfigure) {
    EncoderConfig wanted = st->config;
    apply_settings(settings, wanted);
    apply_live_settings(self, st, wanted);
  }
  if (st->encoder->restart_needed()) {
    const GstFlowReturn ret = restart_encoder(self, st);
    if (ret != GST_FLOW_OK) {
      gst_video_encoder_finish_frame(encoder, frame);
      return ret;
    }
  }

  GstVideoFrame vframe;
  if (!gst_video_frame_map(&vframe, &st->input_state->info, frame->input_buffer, GST_MAP_READ)) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Could not map an input frame."), (nullptr));
    return GST_FLOW_ERROR;
  }
  quad::fallback::SourceFrame picture;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vframe); p++) {
    picture.planes[p] = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p));
    picture.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p);
  }
  /* The frame number comes back with the packet and finds the frame. */
  picture.pts = frame->system_frame_number;
  const GstQuadAnalysisMeta *meta = gst_buffer_get_quad_analysis_meta(frame->input_buffer);
  const bool scene_cut = meta && meta->scene_cut;
  picture.force_idr = GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME(frame) || scene_cut;
  const bool aq = offsets_from_meta(self, st, frame->input_buffer, aq_strength);
  picture.quant_offsets = aq ? st->offsets.data() : nullptr;
  gst_video_codec_frame_unref(frame); /* the encoder's list keeps it until its packet */

  quad::fallback::Packet packet;
  const auto start = std::chrono::steady_clock::now();
  const EncodeResult result = st->encoder->encode(&picture, packet);
  const double encode_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  gst_video_frame_unmap(&vframe);

  st->held++;
  GST_OBJECT_LOCK(self);
  priv->counters.frames_in++;
  priv->counters.forced_idr += picture.force_idr ? 1 : 0;
  priv->counters.aq_frames += aq ? 1 : 0;
  priv->counters.encode_us_total += encode_us;
  priv->counters.max_delayed = std::max(priv->counters.max_delayed, st->held - 1);
  GST_OBJECT_UNLOCK(self);

  if (result == EncodeResult::Error) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The encoder failed."),
                      ("%s", st->encoder->error().c_str()));
    return GST_FLOW_ERROR;
  }
  /* The library held more than it said it would: tell the pipeline. */
  if (st->held - 1 > st->reported_delay)
    post_latency(self, st, st->held - 1);

  if (realtime && st->rate_known)
    realtime_guard(self, st, encode_us);
  return result == EncodeResult::Packet ? push_packet(self, packet) : GST_FLOW_OK;
}

static GstFlowReturn drain(GstQuadFallbackEnc *self) {
  auto *priv = priv_of(self);
  if (!priv->state)
    return GST_FLOW_OK;
  quad::fallback::Packet packet;
  for (;;) {
    const EncodeResult result = priv->state->encoder->encode(nullptr, packet);
    if (result == EncodeResult::NoPacket)
      return GST_FLOW_OK;
    if (result == EncodeResult::Error) {
      GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The encoder failed while draining."),
                        ("%s", priv->state->encoder->error().c_str()));
      return GST_FLOW_ERROR;
    }
    const GstFlowReturn ret = push_packet(self, packet);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

static GstFlowReturn gst_quad_fallback_enc_finish(GstVideoEncoder *encoder) {
  return drain(GST_QUAD_FALLBACK_ENC(encoder));
}

static gboolean gst_quad_fallback_enc_flush(GstVideoEncoder *encoder) {
  auto *self = GST_QUAD_FALLBACK_ENC(encoder);
  auto *priv = priv_of(self);
  if (!priv->state)
    return TRUE;
  /* Held pictures are discarded with the encoder; the next one starts a new
   * stream at an IDR. */
  GstVideoCodecState *state = gst_video_codec_state_ref(priv->state->input_state);
  const OutputChoice output = priv->state->output;
  const gboolean ok = open_encoder(self, state, output);
  gst_video_codec_state_unref(state);
  return ok;
}

static gboolean gst_quad_fallback_enc_propose_allocation(GstVideoEncoder *encoder,
                                                         GstQuery *query) {
  auto *priv = priv_of(encoder);
  GstCaps *caps = nullptr;
  gboolean need_pool = FALSE;
  gst_query_parse_allocation(query, &caps, &need_pool);
  if (!caps)
    return FALSE;
  /* Frames stay referenced until their packet: the delayed ones plus the one
   * being coded. */
  const guint held = priv->state ? static_cast<guint>(priv->state->reported_delay) + 1 : 1;
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  /* The libraries read planes at any alignment, so none is asked for: a
   * source that can hand over its own memory (a mapped file) need not copy
   * into a pool for this encoder. */
  if (need_pool) {
    GstBufferPool *pool = gst_quad_video_buffer_pool_new(caps, held, 0, TRUE, nullptr);
    if (!pool)
      return FALSE;
    GstStructure *config = gst_buffer_pool_get_config(pool);
    guint size = 0;
    gst_buffer_pool_config_get_params(config, nullptr, &size, nullptr, nullptr);
    gst_structure_free(config);
    gst_query_add_allocation_pool(query, pool, size, held, 0);
    gst_object_unref(pool);
  } else {
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, caps))
      return FALSE;
    gst_query_add_allocation_pool(query, nullptr, GST_VIDEO_INFO_SIZE(&info), held, 0);
  }
  return GST_VIDEO_ENCODER_CLASS(parent_class)->propose_allocation(encoder, query);
}

static gboolean gst_quad_fallback_enc_start(GstVideoEncoder *encoder) {
  auto *priv = priv_of(encoder);
  GST_OBJECT_LOCK(encoder);
  priv->counters = FallbackCounters();
  GST_OBJECT_UNLOCK(encoder);
  return TRUE;
}

static gboolean gst_quad_fallback_enc_stop(GstVideoEncoder *encoder) {
  close_encoder(GST_QUAD_FALLBACK_ENC(encoder));
  return TRUE;
}

static void gst_quad_fallback_enc_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec) {
  auto *priv = priv_of(object);
  GST_OBJECT_LOCK(object);
  switch (prop_id) {
  case PROP_REALTIME:
    priv->realtime = g_value_get_boolean(value);
    break;
  case PROP_AQ_STRENGTH:
    priv->aq_strength = g_value_get_double(value);
    break;
  case PROP_TUNE:
    priv->tune = g_value_get_flags(value);
    break;
  case PROP_OPTION_STRING:
    g_free(priv->option_string);
    priv->option_string = g_value_dup_string(value);
    break;
  default:
    if (!gst_quad_encoder_settings_set(&priv->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    else if (gst_quad_encoder_prop_is_rate(prop_id - PROP_SHARED_FIRST))
      priv->reconfigure = TRUE;
    break;
  }
  GST_OBJECT_UNLOCK(object);
}

static void gst_quad_fallback_enc_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec) {
  auto *priv = priv_of(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, fallback_stats(GST_QUAD_FALLBACK_ENC(object)));
    return;
  }
  GST_OBJECT_LOCK(object);
  switch (prop_id) {
  case PROP_REALTIME:
    g_value_set_boolean(value, priv->realtime);
    break;
  case PROP_AQ_STRENGTH:
    g_value_set_double(value, priv->aq_strength);
    break;
  case PROP_TUNE:
    g_value_set_flags(value, priv->tune);
    break;
  case PROP_OPTION_STRING:
    g_value_set_string(value, priv->option_string);
    break;
  default:
    if (!gst_quad_encoder_settings_get(&priv->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(object);
}

static void gst_quad_fallback_enc_finalize(GObject *object) {
  close_encoder(GST_QUAD_FALLBACK_ENC(object));
  g_free(priv_of(object)->option_string);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_fallback_enc_class_init(GstQuadFallbackEncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *encoder_class = GST_VIDEO_ENCODER_CLASS(klass);

  gobject_class->set_property = gst_quad_fallback_enc_set_property;
  gobject_class->get_property = gst_quad_fallback_enc_get_property;
  gobject_class->finalize = gst_quad_fallback_enc_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_REALTIME,
      g_param_spec_boolean("realtime", "Real-time guard",
                           "Step the speed preset down when encoding falls behind the frame "
                           "interval, and back up (never above speed-preset) when there is "
                           "headroom; each step is posted as a quad-realtime-preset message",
                           DEFAULT_REALTIME, rw));
  g_object_class_install_property(
      gobject_class, PROP_AQ_STRENGTH,
      g_param_spec_double("aq-strength", "AQ strength",
                          "Scale of the per-block QP offsets taken from GstQuadAnalysisMeta "
                          "block variance (0: ignore the meta's variance; needs rate-control "
                          "cbr or vbr)",
                          0.0, MAX_AQ_STRENGTH, DEFAULT_AQ_STRENGTH, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-in, frames-out, keyframes, forced-idr, aq-frames, preset-down, "
                         "preset-up, preset, max-delayed, mean-encode-us",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_TUNE,
      g_param_spec_flags("tune", "Tune",
                         "The library's tunings, as x264enc's tune (psnr and ssim exclude each "
                         "other); without zerolatency the library may hold pictures for lookahead "
                         "and frame threads (the latency query says how many)",
                         GST_TYPE_QUAD_FALLBACK_TUNE, DEFAULT_TUNE, ready));
  g_object_class_install_property(
      gobject_class, PROP_OPTION_STRING,
      g_param_spec_string("option-string", "Option string",
                          "Library options as name=value pairs separated by ':' (x264's or "
                          "x265's command-line names), applied over the other properties; "
                          "B-frames stay off and downstream caps still decide the profile",
                          nullptr, ready));
  gst_quad_encoder_install_properties(gobject_class, PROP_SHARED_FIRST, 0);

  encoder_class->set_format = gst_quad_fallback_enc_set_format;
  encoder_class->handle_frame = gst_quad_fallback_enc_handle_frame;
  encoder_class->finish = gst_quad_fallback_enc_finish;
  encoder_class->flush = gst_quad_fallback_enc_flush;
  encoder_class->propose_allocation = gst_quad_fallback_enc_propose_allocation;
  encoder_class->start = gst_quad_fallback_enc_start;
  encoder_class->stop = gst_quad_fallback_enc_stop;

  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_FALLBACK_ENC, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_FALLBACK_TUNE, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_quad_fallback_enc_debug, "quadfallbackenc", 0,
                          "quadx264enc and quadx265enc");
}

static void gst_quad_fallback_enc_init(GstQuadFallbackEnc *self) {
  auto *priv = priv_of(self);
  gst_quad_encoder_settings_init(&priv->settings);
  priv->realtime = DEFAULT_REALTIME;
  priv->aq_strength = DEFAULT_AQ_STRENGTH;
  priv->tune = DEFAULT_TUNE;
  priv->option_string = nullptr;
  priv->reconfigure = FALSE;
  new (&priv->counters) FallbackCounters();
  priv->state = nullptr;
}
