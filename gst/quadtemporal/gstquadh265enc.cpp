/**
 * SECTION:element-quadh265enc
 * @title: quadh265enc
 *
 * gst-quad's own HEVC encoder (H.265 Main profile, 8-bit 4:2:0), for live
 * work. Pictures go through the core's C API (quad/temporal_compression.h)
 * with their timestamps; the latency the element reports is the number of
 * pictures the core may hold, which is none in this version: every picture
 * goes out with the call that takes it. Each access unit carries a
 * decoded-picture-hash SEI (MD5), and every IDR repeats VPS, SPS and PPS so
 * a receiver can join at any IDR; the core says which pictures those are
 * and they leave without GST_BUFFER_FLAG_DELTA_UNIT.
 *
 * Downstream caps decide the stream format, as with x265enc: byte-stream
 * (Annex B, preferred), or for a muxer hvc1 or hev1, NAL units with 4-byte
 * lengths and codec_data (an HEVCDecoderConfigurationRecord) made from the
 * parameter sets of the first IDR, so those caps go out with the first
 * picture. hvc1 keeps the parameter sets in codec_data only; hev1 repeats
 * them at every IDR as well. The stream is H.265 Main: downstream caps that
 * ask for another profile (main-10, main-still-picture, ...) fail
 * negotiation with an error that names it.
 *
 * By default the stream is low-delay P (`gop-structure=low-delay-p`): an
 * IDR, then P pictures that predict from up to `ref-frames` earlier ones,
 * none held back. The next picture is an IDR every `key-int-max` pictures
 * (0: automatic, 250 as in x264enc and x265enc), on a force-key-unit event,
 * and at a scene cut: the `scene_cut` of a GstQuadAnalysisMeta on the frame
 * (quadpreproc analysis=true) when there is one, the encoder's own test
 * otherwise. When
 * the frame carries quadmotion's estimate (a GstQuadMotionMeta of source
 * estimate), the motion search starts from its vectors too. Each
 * output buffer carries the motion the encoder chose as a
 * GstQuadMotionMeta (8x8 blocks, vectors per picture of distance, intra
 * blocks flagged INTRA_BETTER, no reference on IDRs): an application gets
 * the encoder's motion for free. `gop-structure=all-intra` codes every
 * picture intra.
 *
 * The properties are the set every gst-quad encoder shares (see
 * quad/gstquadencoderprops.h), so quadenc can move a stream to or from this
 * encoder without changing how it is coded, less what the core cannot do
 * yet: `rate-control` is `cbr` (the default: each picture's QP chosen so the
 * stream fits `bitrate` within a buffer of `vbv-buffer-ms`) or `cqp` (P
 * pictures at `qp`, IDRs 3 finer), and there is no `intra-refresh` property.
 * With `wavefront` (the default) each row of CTUs is its own CABAC
 * substream and `threads` rows are coded at once, each two CTUs behind the
 * row above, on one oneTBB pool shared by every encoder in the process; the
 * stream does not depend on the thread count. `frame-threads` above 1 also
 * starts a P picture's rows while the pictures before it finish theirs:
 * more pictures per second from the same threads, at frame-threads - 1
 * pictures of latency (reported in the latency query), with motion kept
 * within 64 rows below each CTU row. `ctu-size` takes 16, 32 or 64, or
 * auto (the default: 64 up to speed-preset veryfast, whose CUs are 32 at
 * most, so half the wavefront rows; 32 for slower presets, which would
 * search 64x64 CUs); any other value is refused when it is set, so a
 * pipeline that names one does not parse.
 * Each picture ends with a decoded picture hash SEI that decoders can
 * check their output against: `picture-hash=md5` (the default) is computed
 * in picture order, about 70 ms of a 7680x4320 picture, which bounds the
 * picture rate on many threads; `checksum` is summed in parallel by CTU
 * row for a small cost; `none` writes no SEI.
 * `stats` counts pictures by type, bits, QP and encode time.
 *
 * `bitrate`, `vbv-buffer-ms`, `qp`, `key-int-max` and `speed-preset` may
 * change while PLAYING, as x264enc's bitrate may: the next picture is coded
 * with them, in the same stream, with no new IDR and no frame lost. A new
 * key-int-max counts from the last IDR (the next picture is one when the
 * new period has passed already); bitrate and vbv-buffer-ms move a cbr
 * stream only (rate-control is fixed while running); a new speed-preset
 * keeps the transform depth and, with ref-frames 0, the reference count of
 * the preset the stream started with, which its parameter sets carry.
 *
 * A caps change re-initialises the encoder, starting at an IDR, only when
 * what it codes changes (size, frame rate); I420 and NV12 of the same size
 * are one stream.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc is-live=false num-buffers=100 ! quadh265enc qp=27 \
 *     rate-control=cqp ! h265parse ! filesink location=out.265
 * ]|
 * |[
 * gst-launch-1.0 quadcapturesrc location=clip.y4m is-live=false ! quadh265enc ctu-size=64 ! \
 *     mp4mux ! filesink location=out.mp4
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadh265enc.h"

#include <gst/video/video.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "nal/nal_units.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadbufferpool.h"
#include "quad/gstquadencoderprops.h"
#include "quad/gstquadmotionmeta.h"
#include "quad/temporal_compression.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_h265_enc_debug);
#define GST_CAT_DEFAULT gst_quad_h265_enc_debug

/* The CTU sizes of the core (H.265 Main: log2 4..6), by their sample count;
 * auto is the core's choice for the speed preset. */
typedef enum {
  GST_QUAD_H265_CTU_SIZE_AUTO = 0,
  GST_QUAD_H265_CTU_SIZE_16 = 16,
  GST_QUAD_H265_CTU_SIZE_32 = 32,
  GST_QUAD_H265_CTU_SIZE_64 = 64,
} GstQuadH265CtuSize;

/* The GOP structures of the core (TCGopStructure's values). */
typedef enum {
  GST_QUAD_H265_GOP_ALL_INTRA = TC_GOP_ALL_INTRA,
  GST_QUAD_H265_GOP_LOW_DELAY_P = TC_GOP_LOW_DELAY_P,
} GstQuadH265Gop;

/* The decoded picture hashes of the core (TCPictureHash's values). */
typedef enum {
  GST_QUAD_H265_PICTURE_HASH_MD5 = TC_PICTURE_HASH_MD5,
  GST_QUAD_H265_PICTURE_HASH_CHECKSUM = TC_PICTURE_HASH_CHECKSUM,
  GST_QUAD_H265_PICTURE_HASH_NONE = TC_PICTURE_HASH_NONE,
} GstQuadH265PictureHash;

/* The rate controls of the core: GstQuadRateControl's values, less vbr. */
typedef enum {
  GST_QUAD_H265_RATE_CONTROL_CQP = GST_QUAD_RATE_CONTROL_CQP,
  GST_QUAD_H265_RATE_CONTROL_CBR = GST_QUAD_RATE_CONTROL_CBR,
} GstQuadH265RateControl;

static constexpr GstQuadH265CtuSize DEFAULT_CTU_SIZE = GST_QUAD_H265_CTU_SIZE_AUTO;
static constexpr gboolean DEFAULT_DEBLOCKING = TRUE;
static constexpr GstQuadH265Gop DEFAULT_GOP = GST_QUAD_H265_GOP_LOW_DELAY_P;
static constexpr guint DEFAULT_REF_FRAMES = 0; /* the speed preset's */
static constexpr guint MAX_REF_FRAMES = 4;
static constexpr gboolean DEFAULT_WAVEFRONT = TRUE;
static constexpr guint DEFAULT_FRAME_THREADS = 1;
static constexpr guint MAX_FRAME_THREADS = 16;
static constexpr GstQuadH265PictureHash DEFAULT_PICTURE_HASH = GST_QUAD_H265_PICTURE_HASH_MD5;
static constexpr gboolean DEFAULT_REALTIME = FALSE;
static constexpr gint UNKNOWN_RATE_FPS = 30;
/* stats' encode-time percentiles are over the last this many pictures. */
static constexpr gsize ENCODE_TIME_WINDOW = 1024;

/* The shared properties the core cannot honour yet. */
static constexpr guint SHARED_PROPS_LEFT_OUT =
    GST_QUAD_ENCODER_PROP_BIT(GST_QUAD_ENCODER_PROP_RATE_CONTROL) |
    GST_QUAD_ENCODER_PROP_BIT(GST_QUAD_ENCODER_PROP_INTRA_REFRESH);

enum {
  PROP_0,
  PROP_CTU_SIZE,
  PROP_DEBLOCKING,
  PROP_GOP,
  PROP_REF_FRAMES,
  PROP_WAVEFRONT,
  PROP_FRAME_THREADS,
  PROP_PICTURE_HASH,
  PROP_REALTIME,
  PROP_STATS,
  PROP_SHARED_FIRST, /* then the shared encoder properties */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, NV12 }, "
                    "width = (int) [ 16, 8192 ], height = (int) [ 16, 4320 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h265, stream-format = (string) { byte-stream, hvc1, hev1 }, "
                    "alignment = (string) au, profile = (string) main"));

/* How an access unit leaves: as the core writes it (Annex B), or for a
 * muxer as ISO/IEC 14496-15 length-prefixed NAL units with codec_data. */
struct H265Output {
  const char *stream_format;
  bool length_prefixed;
  bool parameter_sets_in_band; /* hvc1 keeps them in codec_data only */
};

/* By preference: byte-stream (parsers and network sinks take it as it is),
 * then what a muxer takes. */
static const H265Output OUTPUTS[] = {
    {"byte-stream", false, true},
    {"hvc1", true, false},
    {"hev1", true, true},
};

/* What stats reports; indexed by TCPictureType where per type. */
struct H265Counters {
  guint64 frames_in;
  guint64 frames_out;
  guint64 keyframes;
  guint64 forced_idr; /* force-key-unit requests */
  std::array<guint64, 4> frames_by_type;
  guint64 bits;
  guint64 qp_total;
  gint min_qp; /* -1 before the first picture */
  gint max_qp;
  gint max_delayed; /* most pictures the encoder held at once */
  gdouble encode_us_total;
  std::array<gdouble, ENCODE_TIME_WINDOW> encode_us; /* a ring, the newest at n_encode_us - 1 */
  /* From a frame entering the element to its access unit leaving it: the
   * encode time plus the time held (frame-threads), a ring by frames-out. */
  std::array<gdouble, ENCODE_TIME_WINDOW> latency_us;
  guint64 preset_down; /* real-time guard steps */
  guint64 preset_up;
  gint preset; /* the preset in use, -1 before the encoder starts */
};

struct _GstQuadH265Enc {
  GstVideoEncoder parent;

  /* Properties, under the object lock. */
  GstQuadEncoderSettings settings;
  GstQuadH265CtuSize ctu_size;
  gboolean deblocking;
  GstQuadH265Gop gop;
  guint ref_frames;
  gboolean wavefront;
  guint frame_threads;
  GstQuadH265PictureHash picture_hash;
  gboolean realtime;
  H265Counters counters; /* also under the object lock: stats is read from any thread */

  gboolean settings_changed; /* a rate setting changed since the encoder took them */
  /* When each frame in flight entered, by system frame number (streaming
   * thread; the encoder holds far fewer than this many). */
  std::array<gint64, 64> entered_us;

  /* Streaming thread only. */
  TCEncoder *encoder;
  TCConfig config; /* the encoder's */
  GstVideoCodecState *input_state;
  GstQuadRealtimeGuard guard;
  gint preset; /* the real-time guard's, speed-preset or below */
  const H265Output *output;
  GstBuffer *codec_data;        /* the ISO formats' hvcC, once the first IDR gave it */
  std::vector<uint8_t> *framed; /* the access unit, length-prefixed */
};

#define gst_quad_h265_enc_parent_class parent_class
G_DEFINE_TYPE(GstQuadH265Enc, gst_quad_h265_enc, GST_TYPE_VIDEO_ENCODER);
GST_ELEMENT_REGISTER_DEFINE(quadh265enc, "quadh265enc", GST_RANK_SECONDARY, GST_TYPE_QUAD_H265_ENC);

#define GST_TYPE_QUAD_H265_CTU_SIZE (gst_quad_h265_ctu_size_get_type())
static GType gst_quad_h265_ctu_size_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_H265_CTU_SIZE_AUTO,
       "The speed preset's: 64 up to veryfast (its CUs are 32 at most), 32 slower", "auto"},
      {GST_QUAD_H265_CTU_SIZE_16, "16x16 luma samples", "16"},
      {GST_QUAD_H265_CTU_SIZE_32, "32x32 luma samples", "32"},
      {GST_QUAD_H265_CTU_SIZE_64, "64x64 luma samples", "64"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadH265CtuSize", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

#define GST_TYPE_QUAD_H265_GOP (gst_quad_h265_gop_get_type())
static GType gst_quad_h265_gop_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_H265_GOP_ALL_INTRA, "Every picture intra", "all-intra"},
      {GST_QUAD_H265_GOP_LOW_DELAY_P, "P pictures predicting from earlier ones, none held back",
       "low-delay-p"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadH265Gop", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

#define GST_TYPE_QUAD_H265_PICTURE_HASH (gst_quad_h265_picture_hash_get_type())
static GType gst_quad_h265_picture_hash_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_H265_PICTURE_HASH_MD5, "MD5 of each plane, computed in picture order", "md5"},
      {GST_QUAD_H265_PICTURE_HASH_CHECKSUM,
       "Checksum of each plane, computed in parallel by CTU row", "checksum"},
      {GST_QUAD_H265_PICTURE_HASH_NONE, "No picture hash SEI", "none"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadH265PictureHash", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

#define GST_TYPE_QUAD_H265_RATE_CONTROL (gst_quad_h265_rate_control_get_type())
static GType gst_quad_h265_rate_control_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_H265_RATE_CONTROL_CQP, "Constant quantiser (qp)", "cqp"},
      {GST_QUAD_H265_RATE_CONTROL_CBR, "Constant bit rate (bitrate, vbv-buffer-ms)", "cbr"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadH265RateControl", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

static const char *tc_error_string(int code) {
  switch (code) {
  case TC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case TC_ERROR_UNSUPPORTED:
    return "unsupported configuration";
  case TC_ERROR_BUFFER_TOO_SMALL:
    return "output buffer too small";
  case TC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  default:
    return "unknown error";
  }
}

/* Nearest-rank percentile p (0..100) of the first n of samples. */
static gdouble percentile(std::array<gdouble, ENCODE_TIME_WINDOW> samples, gsize n, gdouble p) {
  if (n == 0)
    return 0.0;
  const gsize rank = std::min(n - 1, static_cast<gsize>(p / 100.0 * static_cast<gdouble>(n)));
  std::nth_element(samples.begin(), samples.begin() + rank, samples.begin() + n);
  return samples[rank];
}

static GstStructure *h265_stats(GstQuadH265Enc *self) {
  GST_OBJECT_LOCK(self);
  const H265Counters c = self->counters;
  GST_OBJECT_UNLOCK(self);
  const gsize n = std::min<guint64>(c.frames_in, ENCODE_TIME_WINDOW);
  const gsize n_out = std::min<guint64>(c.frames_out, ENCODE_TIME_WINDOW);
  return gst_structure_new(
      "quadh265enc-stats", "frames-in", G_TYPE_UINT64, c.frames_in, "frames-out", G_TYPE_UINT64,
      c.frames_out, "keyframes", G_TYPE_UINT64, c.keyframes, "forced-idr", G_TYPE_UINT64,
      c.forced_idr, "idr-frames", G_TYPE_UINT64, c.frames_by_type[TC_PICTURE_IDR], "i-frames",
      G_TYPE_UINT64, c.frames_by_type[TC_PICTURE_I], "p-frames", G_TYPE_UINT64,
      c.frames_by_type[TC_PICTURE_P], "b-frames", G_TYPE_UINT64, c.frames_by_type[TC_PICTURE_B],
      "bits", G_TYPE_UINT64, c.bits, "mean-qp", G_TYPE_DOUBLE,
      c.frames_out ? static_cast<gdouble>(c.qp_total) / c.frames_out : 0.0, "min-qp", G_TYPE_INT,
      c.min_qp, "max-qp", G_TYPE_INT, c.max_qp, "max-delayed", G_TYPE_INT, c.max_delayed,
      "mean-encode-us", G_TYPE_DOUBLE, c.frames_in ? c.encode_us_total / c.frames_in : 0.0,
      "encode-us-p50", G_TYPE_DOUBLE, percentile(c.encode_us, n, 50.0), "encode-us-p99",
      G_TYPE_DOUBLE, percentile(c.encode_us, n, 99.0), "latency-us-p50", G_TYPE_DOUBLE,
      percentile(c.latency_us, n_out, 50.0), "latency-us-p99", G_TYPE_DOUBLE,
      percentile(c.latency_us, n_out, 99.0), "preset-down", G_TYPE_UINT64, c.preset_down,
      "preset-up", G_TYPE_UINT64, c.preset_up, "preset", G_TYPE_STRING,
      c.preset >= 0 ? gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(c.preset)) : "",
      nullptr);
}

static void reset_counters(GstQuadH265Enc *self) {
  GST_OBJECT_LOCK(self);
  self->counters = H265Counters{};
  self->counters.min_qp = self->counters.max_qp = -1;
  self->counters.preset = -1;
  GST_OBJECT_UNLOCK(self);
}

static void close_encoder(GstQuadH265Enc *self) {
  if (self->encoder) {
    tc_destroy(self->encoder);
    self->encoder = nullptr;
  }
}

/* The VBV buffer for the core: vbv-buffer-ms, where 0 is one frame
 * interval in whole milliseconds. */
static int vbv_buffer_ms(const GstQuadEncoderSettings &settings, const TCConfig &cfg) {
  const guint frame_ms =
      static_cast<guint>(gst_util_uint64_scale_int_ceil(1000, cfg.fps_d, cfg.fps_n));
  return static_cast<int>(settings.vbv_buffer_ms ? settings.vbv_buffer_ms : std::max(frame_ms, 1u));
}

/* The encoder configuration for info and the properties; the encoder that
 * takes it (or already has it) has every rate setting changed so far. */
static TCConfig config_for(GstQuadH265Enc *self, const GstVideoInfo *info) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = GST_VIDEO_INFO_WIDTH(info);
  cfg.height = GST_VIDEO_INFO_HEIGHT(info);
  const bool rate_known = GST_VIDEO_INFO_FPS_N(info) > 0 && GST_VIDEO_INFO_FPS_D(info) > 0;
  cfg.fps_n = rate_known ? GST_VIDEO_INFO_FPS_N(info) : UNKNOWN_RATE_FPS;
  cfg.fps_d = rate_known ? GST_VIDEO_INFO_FPS_D(info) : 1;
  GST_OBJECT_LOCK(self);
  const GstQuadEncoderSettings settings = self->settings;
  cfg.ctu_size = static_cast<int>(self->ctu_size);
  cfg.deblocking = self->deblocking;
  cfg.gop = self->gop;
  cfg.wavefront = self->wavefront;
  cfg.frame_threads = static_cast<int>(self->frame_threads);
  cfg.picture_hash = self->picture_hash;
  const guint ref_frames = self->ref_frames;
  self->settings_changed = FALSE;
  GST_OBJECT_UNLOCK(self);
  /* ref-frames 0: one for the two fastest presets, two for the next two,
   * three for the slower ones. */
  cfg.ref_frames = ref_frames ? static_cast<int>(ref_frames)
                              : 1 + (settings.speed_preset >= 2) + (settings.speed_preset >= 4);

  /* The shared speed presets have the core's numbering (ultrafast = 0). */
  cfg.qp = static_cast<int>(settings.qp);
  cfg.key_int_max = gst_quad_encoder_key_int_period(settings.key_int_max);
  cfg.speed_preset = settings.speed_preset;
  cfg.threads = static_cast<int>(settings.threads);
  if (settings.rate_control == GST_QUAD_RATE_CONTROL_CBR) {
    cfg.bitrate_kbps = static_cast<int>(settings.bitrate);
    cfg.vbv_buffer_ms = vbv_buffer_ms(settings, cfg);
  }
  return cfg;
}

static GstFlowReturn push_coded(GstQuadH265Enc *self, const TCCodedPicture *coded);

/* Sends what the encoder holds. */
static GstFlowReturn drain(GstQuadH265Enc *self) {
  if (!self->encoder)
    return GST_FLOW_OK;
  TCCodedPicture coded;
  int ret;
  while ((ret = tc_drain(self->encoder, &coded)) == 1) {
    const GstFlowReturn flow = push_coded(self, &coded);
    if (flow != GST_FLOW_OK)
      return flow;
  }
  if (ret < 0) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The HEVC encoder failed while draining."),
                      ("%s", tc_error_string(ret)));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* Starts the encoder for cfg and posts its latency. */
static gboolean open_encoder(GstQuadH265Enc *self, const TCConfig &cfg) {
  close_encoder(self);
  const int ret = tc_init(&cfg, &self->encoder);
  if (ret != TC_OK) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Could not start the HEVC encoder."),
                      ("%s for %dx%d at %d/%d, ctu %d, qp %d", tc_error_string(ret), cfg.width,
                       cfg.height, cfg.fps_n, cfg.fps_d, cfg.ctu_size, cfg.qp));
    return FALSE;
  }
  self->config = cfg;
  self->preset = cfg.speed_preset;
  self->guard = GstQuadRealtimeGuard{};
  /* The ISO formats' codec_data comes from the new stream's first IDR. */
  gst_clear_buffer(&self->codec_data);
  GST_OBJECT_LOCK(self);
  self->counters.preset = cfg.speed_preset;
  GST_OBJECT_UNLOCK(self);
  const int held = tc_held_pictures(self->encoder);
  const GstClockTime latency =
      gst_util_uint64_scale_int(GST_SECOND * static_cast<guint64>(held), cfg.fps_d, cfg.fps_n);
  GST_INFO_OBJECT(self, "encoder for %dx%d at %d/%d, holds %d pictures (%" GST_TIME_FORMAT ")",
                  cfg.width, cfg.height, cfg.fps_n, cfg.fps_d, held, GST_TIME_ARGS(latency));
  gst_video_encoder_set_latency(GST_VIDEO_ENCODER(self), latency, latency);
  return TRUE;
}

/* The profiles downstream names when it takes none this encoder codes
 * (Main), comma-separated; empty when it takes Main or names none. */
static std::string refused_profiles(GstQuadH265Enc *self) {
  GstCaps *peer = gst_pad_peer_query_caps(GST_VIDEO_ENCODER_SRC_PAD(self), nullptr);
  GstCaps *main_profile = gst_caps_from_string("video/x-h265, profile = (string) main");
  std::string names;
  if (!gst_caps_can_intersect(peer, main_profile)) {
    for (guint i = 0; i < gst_caps_get_size(peer); i++) {
      const GstStructure *st = gst_caps_get_structure(peer, i);
      const GValue *profile = gst_structure_get_value(st, "profile");
      if (!gst_structure_has_name(st, "video/x-h265") || !profile)
        continue;
      gchar *text = G_VALUE_HOLDS_STRING(profile) ? g_value_dup_string(profile)
                                                  : gst_value_serialize(profile);
      names += (names.empty() ? "" : ", ") + std::string(text);
      g_free(text);
    }
  }
  gst_caps_unref(main_profile);
  gst_caps_unref(peer);
  return names;
}

/* The output downstream takes, by OUTPUTS' preference; nullptr, with an
 * error that names what downstream asked for, when it takes none. */
static const H265Output *choose_output(GstQuadH265Enc *self) {
  GstCaps *allowed = gst_pad_get_allowed_caps(GST_VIDEO_ENCODER_SRC_PAD(self));
  if (!allowed)
    return &OUTPUTS[0]; /* not linked */
  const H265Output *chosen = nullptr;
  for (const H265Output &output : OUTPUTS) {
    GstCaps *candidate = gst_caps_new_simple("video/x-h265", "stream-format", G_TYPE_STRING,
                                             output.stream_format, "alignment", G_TYPE_STRING, "au",
                                             "profile", G_TYPE_STRING, "main", nullptr);
    const bool taken = gst_caps_can_intersect(candidate, allowed);
    gst_caps_unref(candidate);
    if (taken) {
      chosen = &output;
      break;
    }
  }
  gst_caps_unref(allowed);
  if (chosen)
    return chosen;
  const std::string refused = refused_profiles(self);
  GstCaps *peer = gst_pad_peer_query_caps(GST_VIDEO_ENCODER_SRC_PAD(self), nullptr);
  if (!refused.empty())
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Downstream asks for H.265 profile %s; quadh265enc codes only Main "
                       "(8-bit 4:2:0).",
                       refused.c_str()),
                      ("downstream takes %" GST_PTR_FORMAT, peer));
  else
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Downstream takes none of the formats quadh265enc produces: H.265 Main "
                       "as byte-stream, hvc1 or hev1, one access unit per buffer."),
                      ("downstream takes %" GST_PTR_FORMAT, peer));
  gst_caps_unref(peer);
  return nullptr;
}

/* The output caps for the stream format chosen, with codec_data for the
 * ISO formats. */
static gboolean set_output_caps(GstQuadH265Enc *self) {
  auto *encoder = GST_VIDEO_ENCODER(self);
  GstCaps *caps = gst_caps_new_simple("video/x-h265", "stream-format", G_TYPE_STRING,
                                      self->output->stream_format, "alignment", G_TYPE_STRING, "au",
                                      "profile", G_TYPE_STRING, "main", nullptr);
  if (self->output->length_prefixed)
    gst_caps_set_simple(caps, "codec_data", GST_TYPE_BUFFER, self->codec_data, nullptr);
  GstVideoCodecState *out = gst_video_encoder_set_output_state(encoder, caps, self->input_state);
  gst_video_codec_state_unref(out);
  return gst_video_encoder_negotiate(encoder);
}

/* Downstream that asks for another profile than Main still lets upstream
 * negotiate, so that set_format can say which profile it refused rather
 * than upstream failing with a bare not-negotiated. */
static GstCaps *gst_quad_h265_enc_getcaps(GstVideoEncoder *encoder, GstCaps *filter) {
  GstCaps *caps = gst_video_encoder_proxy_getcaps(encoder, nullptr, filter);
  if (!gst_caps_is_empty(caps) || refused_profiles(GST_QUAD_H265_ENC(encoder)).empty())
    return caps;
  gst_caps_unref(caps);
  GstCaps *templ = gst_pad_get_pad_template_caps(GST_VIDEO_ENCODER_SINK_PAD(encoder));
  if (!filter)
    return templ;
  caps = gst_caps_intersect_full(filter, templ, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref(templ);
  return caps;
}

static gboolean gst_quad_h265_enc_set_format(GstVideoEncoder *encoder, GstVideoCodecState *state) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  const GstVideoInfo *info = &state->info;
  if ((GST_VIDEO_INFO_WIDTH(info) | GST_VIDEO_INFO_HEIGHT(info)) & 1) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("HEVC 4:2:0 needs an even width and height."),
                      ("got %dx%d", GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info)));
    return FALSE;
  }

  const H265Output *output = choose_output(self);
  if (!output)
    return FALSE;

  /* TCConfig holds ints only: equal bytes, the same stream. */
  const TCConfig cfg = config_for(self, info);
  if (self->encoder && output == self->output &&
      std::memcmp(&cfg, &self->config, sizeof cfg) == 0) {
    GST_DEBUG_OBJECT(self, "caps changed, the coded format did not: keeping the encoder");
  } else {
    /* A new stream: what the old one holds goes out first. */
    if (drain(self) != GST_FLOW_OK || !open_encoder(self, cfg))
      return FALSE;
  }
  self->output = output;

  if (self->input_state)
    gst_video_codec_state_unref(self->input_state);
  self->input_state = gst_video_codec_state_ref(state);

  /* The ISO formats wait for codec_data: the parameter sets of the first
   * IDR (push_coded). */
  if (output->length_prefixed && !self->codec_data)
    return TRUE;
  return set_output_caps(self);
}

/* The motion the encoder chose, as a GstQuadMotionMeta on the output
 * buffer (8x8 blocks; vectors in the meta's sense, the displacement from
 * the reference, per picture of distance; intra blocks flagged). */
static void attach_motion(GstQuadH265Enc *self, GstBuffer *buffer, const TCCodedPicture *coded) {
  int cols = 0;
  int rows = 0;
  if (tc_get_motion_vectors(self->encoder, nullptr, 0, &cols, &rows) != TC_ERROR_BUFFER_TOO_SMALL)
    return;
  std::vector<TCMotionVector> motion(static_cast<size_t>(cols) * static_cast<size_t>(rows));
  if (tc_get_motion_vectors(self->encoder, motion.data(), motion.size(), &cols, &rows) < 0)
    return;
  const bool intra_picture = coded->type == TC_PICTURE_IDR || coded->type == TC_PICTURE_I;
  GstQuadMotionMeta *meta = gst_buffer_add_quad_motion_meta_full(
      buffer, GST_QUAD_MOTION_SOURCE_ENCODER, 8, 8, static_cast<guint>(cols),
      static_cast<guint>(rows), intra_picture ? 0 : 1);
  if (!meta)
    return;
  for (size_t i = 0; i < motion.size(); ++i) {
    const TCMotionVector &m = motion[i];
    GstQuadMotionVector &v = meta->vectors[i];
    if (intra_picture) {
      v.flags = GST_QUAD_MOTION_FLAG_NO_REFERENCE;
    } else if (m.ref_distance == 0) {
      v.flags = GST_QUAD_MOTION_FLAG_INTRA_BETTER;
    } else {
      v.mv_x = static_cast<gint16>(-m.mv_x / m.ref_distance);
      v.mv_y = static_cast<gint16>(-m.mv_y / m.ref_distance);
    }
  }
}

/* A motion meta as the core's hints: the meta's vectors point from the
 * reference to the block, the core's from the block into the reference. */
static void motion_hints(const GstQuadMotionMeta *meta, std::vector<TCMotionVector> &hints,
                         TCPicture &in) {
  if (meta->ref_distance == 0 || meta->block_width == 0 || meta->block_height == 0)
    return;
  hints.resize(static_cast<size_t>(meta->cols) * meta->rows);
  for (size_t i = 0; i < hints.size(); ++i) {
    const GstQuadMotionVector &v = meta->vectors[i];
    const bool usable =
        !(v.flags & (GST_QUAD_MOTION_FLAG_NO_REFERENCE | GST_QUAD_MOTION_FLAG_INTRA_BETTER));
    hints[i].mv_x = static_cast<int16_t>(-v.mv_x);
    hints[i].mv_y = static_cast<int16_t>(-v.mv_y);
    hints[i].ref_distance = usable ? static_cast<int32_t>(meta->ref_distance) : 0;
  }
  in.motion_hints = hints.data();
  in.hint_block_width = static_cast<int>(meta->block_width);
  in.hint_block_height = static_cast<int>(meta->block_height);
  in.hint_cols = static_cast<int>(meta->cols);
  in.hint_rows = static_cast<int>(meta->rows);
}

/* The first IDR of a stream in an ISO format: its parameter sets become
 * codec_data, and the output caps go out with it. */
static GstFlowReturn send_iso_caps(GstQuadH265Enc *self, std::span<const uint8_t> access_unit) {
  const std::vector<uint8_t> record = quad::nal::decoder_configuration(
      access_unit, quad::nal::Codec::H265, !self->output->parameter_sets_in_band);
  if (record.empty()) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE,
                      ("The HEVC encoder's first picture has no readable VPS, SPS and PPS for "
                       "the codec_data of stream-format %s.",
                       self->output->stream_format),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  self->codec_data = gst_buffer_new_memdup(record.data(), record.size());
  if (!set_output_caps(self)) {
    GST_ELEMENT_ERROR(
        self, CORE, NEGOTIATION,
        ("Downstream refused stream-format %s with codec_data.", self->output->stream_format),
        (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  return GST_FLOW_OK;
}

/* Sends one coded picture with the frame it came from. */
static GstFlowReturn push_coded(GstQuadH265Enc *self, const TCCodedPicture *coded) {
  auto *encoder = GST_VIDEO_ENCODER(self);
  std::span<const uint8_t> data(coded->data, coded->size);
  if (self->output->length_prefixed) {
    if (!self->codec_data) {
      const GstFlowReturn flow = send_iso_caps(self, data);
      if (flow != GST_FLOW_OK)
        return flow;
    }
    /* hvc1: the parameter sets, the same for the whole stream, only in
     * codec_data; hev1 repeats them at every IDR as well. */
    quad::nal::to_length_prefixed(data, quad::nal::Codec::H265,
                                  !self->output->parameter_sets_in_band, *self->framed);
    data = *self->framed;
  }
  const guint number = GPOINTER_TO_UINT(coded->opaque);
  GstVideoCodecFrame *frame = gst_video_encoder_get_frame(encoder, static_cast<int>(number));
  if (!frame) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The HEVC encoder returned an unknown picture."),
                      ("frame number %u", number));
    return GST_FLOW_ERROR;
  }
  frame->output_buffer = gst_video_encoder_allocate_output_buffer(encoder, data.size());
  gst_buffer_fill(frame->output_buffer, 0, data.data(), data.size());
  attach_motion(self, frame->output_buffer, coded);
  if (coded->key_frame)
    GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT(frame);
  else
    GST_VIDEO_CODEC_FRAME_UNSET_SYNC_POINT(frame);
  GST_LOG_OBJECT(self,
                 "frame %u (pts %" GST_TIME_FORMAT "): type %d, qp %d, %" G_GINT64_FORMAT " bits",
                 number, GST_TIME_ARGS(static_cast<GstClockTime>(coded->pts)), coded->type,
                 coded->qp, coded->bits);

  GST_OBJECT_LOCK(self);
  H265Counters &c = self->counters;
  c.latency_us[c.frames_out % ENCODE_TIME_WINDOW] = static_cast<gdouble>(
      g_get_monotonic_time() - self->entered_us[number % self->entered_us.size()]);
  c.frames_out++;
  c.keyframes += coded->key_frame ? 1 : 0;
  c.frames_by_type[coded->type]++;
  c.bits += static_cast<guint64>(coded->bits);
  c.qp_total += static_cast<guint64>(coded->qp);
  c.min_qp = c.min_qp < 0 ? coded->qp : std::min(c.min_qp, coded->qp);
  c.max_qp = std::max(c.max_qp, coded->qp);
  GST_OBJECT_UNLOCK(self);
  /* finish_frame takes the reference get_frame gave. */
  return gst_video_encoder_finish_frame(encoder, frame);
}

/* Steps the speed preset down on sustained overrun of the frame interval
 * and back up (never above speed-preset) with headroom (realtime=true). */
static void realtime_guard(GstQuadH265Enc *self, double encode_us) {
  const double budget_us = 1e6 * self->config.fps_d / self->config.fps_n;
  const gint current = self->preset;
  const char *reason = nullptr;
  const gint target = gst_quad_realtime_guard_update(&self->guard, encode_us, budget_us, current,
                                                     self->config.speed_preset, &reason);
  if (!reason || tc_set_speed_preset(self->encoder, target) != TC_OK)
    return;
  self->preset = target;
  GST_INFO_OBJECT(self, "%s: preset %s -> %s (%.0f us per picture, budget %.0f us)", reason,
                  gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(current)),
                  gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(target)),
                  self->guard.smoothed_us, budget_us);
  GST_OBJECT_LOCK(self);
  self->counters.preset = target;
  (target < current ? self->counters.preset_down : self->counters.preset_up)++;
  GST_OBJECT_UNLOCK(self);
  gst_quad_realtime_guard_post(GST_ELEMENT(self), &self->guard, reason, current, target, budget_us);
}

/* Rate settings changed while PLAYING: the core codes the next picture
 * with them, in the same stream (no new IDR, no frame lost), as x264enc
 * does with a new bitrate. */
static void apply_changed_settings(GstQuadH265Enc *self) {
  GST_OBJECT_LOCK(self);
  const gboolean changed = self->settings_changed;
  self->settings_changed = FALSE;
  const GstQuadEncoderSettings s = self->settings;
  GST_OBJECT_UNLOCK(self);
  if (!changed)
    return;
  TCConfig &cfg = self->config;
  const int qp = static_cast<int>(s.qp);
  if (qp != cfg.qp && tc_set_qp(self->encoder, qp) == TC_OK)
    cfg.qp = qp;
  const int key_int_max = gst_quad_encoder_key_int_period(s.key_int_max);
  if (key_int_max != cfg.key_int_max && tc_set_key_int_max(self->encoder, key_int_max) == TC_OK)
    cfg.key_int_max = key_int_max;
  /* rate-control is fixed while running: a bit rate only moves a cbr stream. */
  if (cfg.bitrate_kbps > 0) {
    const int kbps = static_cast<int>(s.bitrate);
    const int vbv_ms = vbv_buffer_ms(s, cfg);
    if ((kbps != cfg.bitrate_kbps || vbv_ms != cfg.vbv_buffer_ms) &&
        tc_set_bitrate(self->encoder, kbps, vbv_ms) == TC_OK) {
      cfg.bitrate_kbps = kbps;
      cfg.vbv_buffer_ms = vbv_ms;
    }
  }
  const int ceiling = static_cast<int>(s.speed_preset);
  if (ceiling != cfg.speed_preset) {
    /* The real-time guard, when it stepped down, stays below the new ceiling. */
    const int preset = self->preset < cfg.speed_preset ? std::min(ceiling, self->preset) : ceiling;
    if (tc_set_speed_preset(self->encoder, preset) == TC_OK) {
      cfg.speed_preset = ceiling;
      self->preset = preset;
      GST_OBJECT_LOCK(self);
      self->counters.preset = preset;
      GST_OBJECT_UNLOCK(self);
    }
  }
  GST_INFO_OBJECT(self, "now qp %d, key-int-max %d, %d kbit/s in %d ms, preset %s", cfg.qp,
                  cfg.key_int_max, cfg.bitrate_kbps, cfg.vbv_buffer_ms,
                  gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(self->preset)));
}

static GstFlowReturn gst_quad_h265_enc_handle_frame(GstVideoEncoder *encoder,
                                                    GstVideoCodecFrame *frame) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  if (!self->encoder) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first frame."), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  apply_changed_settings(self);

  GstVideoFrame vframe;
  if (!gst_video_frame_map(&vframe, &self->input_state->info, frame->input_buffer, GST_MAP_READ)) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Could not map an input frame."), (nullptr));
    return GST_FLOW_ERROR;
  }
  TCPicture in = {};
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vframe); p++) {
    in.planes[p] = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p));
    in.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p);
  }
  in.format =
      GST_VIDEO_FRAME_FORMAT(&vframe) == GST_VIDEO_FORMAT_NV12 ? TC_FORMAT_NV12 : TC_FORMAT_I420;
  in.pts = static_cast<int64_t>(frame->pts);
  /* The frame number comes back with the coded picture and finds the frame. */
  in.opaque = GUINT_TO_POINTER(frame->system_frame_number);
  in.force_idr = GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME(frame);
  /* An analysis upstream (quadpreproc analysis=true) knows the scene cuts;
   * without one the core tests for them itself. */
  if (const GstQuadAnalysisMeta *analysis = gst_buffer_get_quad_analysis_meta(frame->input_buffer))
    in.scene_cut = analysis->scene_cut ? 1 : -1;
  /* quadmotion's estimate, where there is one, is where the motion search
   * starts as well as from its own predictors. */
  std::vector<TCMotionVector> hints;
  if (const GstQuadMotionMeta *estimate = gst_buffer_get_quad_motion_meta_by_source(
          frame->input_buffer, GST_QUAD_MOTION_SOURCE_ESTIMATE))
    motion_hints(estimate, hints, in);

  self->entered_us[frame->system_frame_number % self->entered_us.size()] = g_get_monotonic_time();
  TCCodedPicture coded;
  const auto start = std::chrono::steady_clock::now();
  const int ret = tc_encode(self->encoder, &in, &coded);
  const double encode_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  gst_video_frame_unmap(&vframe);
  gst_video_codec_frame_unref(frame); /* the encoder's list keeps it until its picture */

  GST_OBJECT_LOCK(self);
  H265Counters &c = self->counters;
  c.encode_us[c.frames_in % ENCODE_TIME_WINDOW] = encode_us;
  c.frames_in++;
  c.forced_idr += in.force_idr ? 1 : 0;
  c.encode_us_total += encode_us;
  c.max_delayed = std::max<gint>(
      c.max_delayed, static_cast<gint>(c.frames_in - c.frames_out - (ret == 1 ? 1 : 0)));
  const gboolean realtime = self->realtime;
  GST_OBJECT_UNLOCK(self);
  if (realtime && ret >= 0)
    realtime_guard(self, encode_us);

  if (ret < 0) {
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The HEVC encoder failed."),
                      ("%s", tc_error_string(ret)));
    return GST_FLOW_ERROR;
  }
  return ret == 1 ? push_coded(self, &coded) : GST_FLOW_OK;
}

static GstFlowReturn gst_quad_h265_enc_finish(GstVideoEncoder *encoder) {
  return drain(GST_QUAD_H265_ENC(encoder));
}

static gboolean gst_quad_h265_enc_flush(GstVideoEncoder *encoder) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  /* Held pictures go with the encoder; the next one starts at an IDR. */
  if (self->encoder && tc_held_pictures(self->encoder) > 0)
    return open_encoder(self, self->config);
  return TRUE;
}

static gboolean gst_quad_h265_enc_propose_allocation(GstVideoEncoder *encoder, GstQuery *query) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  /* Frames stay referenced until their picture: the held ones and the one
   * being coded. */
  const int held = self->encoder ? tc_held_pictures(self->encoder) : 0;
  if (!gst_quad_propose_video_allocation(query, static_cast<guint>(held) + 1))
    return FALSE;
  return GST_VIDEO_ENCODER_CLASS(parent_class)->propose_allocation(encoder, query);
}

static gboolean gst_quad_h265_enc_start(GstVideoEncoder *encoder) {
  reset_counters(GST_QUAD_H265_ENC(encoder));
  return TRUE;
}

static gboolean gst_quad_h265_enc_stop(GstVideoEncoder *encoder) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  close_encoder(self);
  gst_clear_buffer(&self->codec_data);
  self->output = nullptr;
  if (self->input_state) {
    gst_video_codec_state_unref(self->input_state);
    self->input_state = nullptr;
  }
  return TRUE;
}

static void gst_quad_h265_enc_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_QUAD_H265_ENC(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CTU_SIZE:
    self->ctu_size = static_cast<GstQuadH265CtuSize>(g_value_get_enum(value));
    break;
  case PROP_DEBLOCKING:
    self->deblocking = g_value_get_boolean(value);
    break;
  case PROP_GOP:
    self->gop = static_cast<GstQuadH265Gop>(g_value_get_enum(value));
    break;
  case PROP_REF_FRAMES:
    self->ref_frames = g_value_get_uint(value);
    break;
  case PROP_WAVEFRONT:
    self->wavefront = g_value_get_boolean(value);
    break;
  case PROP_FRAME_THREADS:
    self->frame_threads = g_value_get_uint(value);
    break;
  case PROP_PICTURE_HASH:
    self->picture_hash = static_cast<GstQuadH265PictureHash>(g_value_get_enum(value));
    break;
  case PROP_REALTIME:
    self->realtime = g_value_get_boolean(value);
    break;
  default: {
    /* rate-control, with its own enum type, has the shared id and values. */
    const guint id = prop_id - PROP_SHARED_FIRST;
    if (prop_id < PROP_SHARED_FIRST || !gst_quad_encoder_settings_set(&self->settings, id, value)) {
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
    }
    if (!gst_quad_encoder_prop_is_rate(id))
      break;
    self->settings_changed = TRUE;
    if ((id == GST_QUAD_ENCODER_PROP_BITRATE || id == GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS) &&
        self->settings.rate_control == GST_QUAD_RATE_CONTROL_CQP &&
        GST_STATE(self) > GST_STATE_READY)
      GST_WARNING_OBJECT(self,
                         "%s applies with rate-control=cbr; this stream stays at constant "
                         "QP until the encoder restarts in cbr",
                         pspec->name);
    break;
  }
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_h265_enc_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_QUAD_H265_ENC(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, h265_stats(self));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CTU_SIZE:
    g_value_set_enum(value, self->ctu_size);
    break;
  case PROP_DEBLOCKING:
    g_value_set_boolean(value, self->deblocking);
    break;
  case PROP_GOP:
    g_value_set_enum(value, self->gop);
    break;
  case PROP_REF_FRAMES:
    g_value_set_uint(value, self->ref_frames);
    break;
  case PROP_WAVEFRONT:
    g_value_set_boolean(value, self->wavefront);
    break;
  case PROP_FRAME_THREADS:
    g_value_set_uint(value, self->frame_threads);
    break;
  case PROP_PICTURE_HASH:
    g_value_set_enum(value, self->picture_hash);
    break;
  case PROP_REALTIME:
    g_value_set_boolean(value, self->realtime);
    break;
  default:
    if (prop_id < PROP_SHARED_FIRST ||
        !gst_quad_encoder_settings_get(&self->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_h265_enc_finalize(GObject *object) {
  auto *self = GST_QUAD_H265_ENC(object);
  delete self->framed;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_h265_enc_class_init(GstQuadH265EncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *encoder_class = GST_VIDEO_ENCODER_CLASS(klass);

  gobject_class->set_property = gst_quad_h265_enc_set_property;
  gobject_class->get_property = gst_quad_h265_enc_get_property;
  gobject_class->finalize = gst_quad_h265_enc_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_CTU_SIZE,
      g_param_spec_enum("ctu-size", "CTU size", "Coding tree unit size in luma samples",
                        GST_TYPE_QUAD_H265_CTU_SIZE, DEFAULT_CTU_SIZE, rw));
  g_object_class_install_property(gobject_class, PROP_DEBLOCKING,
                                  g_param_spec_boolean("deblocking", "Deblocking",
                                                       "Apply the in-loop deblocking filter",
                                                       DEFAULT_DEBLOCKING, rw));
  g_object_class_install_property(
      gobject_class, PROP_GOP,
      g_param_spec_enum("gop-structure", "GOP structure",
                        "Which pictures predict from which: every picture intra, or P pictures "
                        "predicting from earlier ones (IDR every key-int-max pictures, at "
                        "force-key-unit events and at scene cuts)",
                        GST_TYPE_QUAD_H265_GOP, DEFAULT_GOP, rw));
  g_object_class_install_property(
      gobject_class, PROP_REF_FRAMES,
      g_param_spec_uint("ref-frames", "Reference frames",
                        "Earlier pictures a P picture may predict from (0: the speed preset's "
                        "choice, 1 for ultrafast and superfast, 2 for veryfast and faster, 3 "
                        "for slower presets)",
                        0, MAX_REF_FRAMES, DEFAULT_REF_FRAMES, rw));
  g_object_class_install_property(
      gobject_class, PROP_WAVEFRONT,
      g_param_spec_boolean("wavefront", "Wavefront",
                           "Code each row of CTUs as its own CABAC substream (WPP), so `threads` "
                           "rows are coded at once; the stream is the same for any thread count",
                           DEFAULT_WAVEFRONT, rw));
  g_object_class_install_property(
      gobject_class, PROP_FRAME_THREADS,
      g_param_spec_uint("frame-threads", "Frame threads",
                        "Pictures coded at once: 1 finishes each picture before the next (no "
                        "latency); N > 1 starts a P picture's rows while the N - 1 before it "
                        "finish, for more pictures per second at N - 1 pictures of latency, "
                        "with motion vectors kept within 64 rows below their CTU row",
                        1, MAX_FRAME_THREADS, DEFAULT_FRAME_THREADS, rw));
  g_object_class_install_property(
      gobject_class, PROP_PICTURE_HASH,
      g_param_spec_enum("picture-hash", "Picture hash",
                        "The decoded picture hash SEI after each picture, which lets a decoder "
                        "check its output: md5 is computed in picture order (about 70 ms of a "
                        "7680x4320 picture, a bound on the picture rate with many threads), "
                        "checksum in parallel and cheaply; none writes no SEI",
                        GST_TYPE_QUAD_H265_PICTURE_HASH, DEFAULT_PICTURE_HASH, rw));
  g_object_class_install_property(
      gobject_class, PROP_REALTIME,
      g_param_spec_boolean("realtime", "Real-time guard",
                           "Step the speed preset down when encoding falls behind the frame "
                           "interval, and back up (never above speed-preset) when there is "
                           "headroom; each step is posted as a quad-realtime-preset message",
                           DEFAULT_REALTIME,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-in, frames-out, keyframes, forced-idr, idr-frames, i-frames, "
                         "p-frames, b-frames, bits, mean-qp, min-qp, max-qp, max-delayed, "
                         "mean-encode-us, encode-us-p50 and encode-us-p99 (the encoder's time per "
                         "picture), latency-us-p50 and latency-us-p99 (a frame in to its access "
                         "unit out, held pictures included) over the last 1024 pictures, "
                         "preset-down, preset-up and preset (the real-time guard)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  gst_quad_encoder_install_properties(gobject_class, PROP_SHARED_FIRST, SHARED_PROPS_LEFT_OUT);
  g_object_class_install_property(
      gobject_class, guint{PROP_SHARED_FIRST} + GST_QUAD_ENCODER_PROP_RATE_CONTROL,
      g_param_spec_enum("rate-control", "Rate control", "How the quantiser is chosen",
                        GST_TYPE_QUAD_H265_RATE_CONTROL, GST_QUAD_ENCODER_DEFAULT_RATE_CONTROL,
                        rw));

  gst_element_class_set_static_metadata(
      element_class, "Quad H.265 encoder", "Codec/Encoder/Video",
      "Low-latency HEVC (Main, 8-bit 4:2:0) encoder with decoded-picture-hash SEI",
      "gst-quad developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  encoder_class->set_format = gst_quad_h265_enc_set_format;
  encoder_class->getcaps = gst_quad_h265_enc_getcaps;
  encoder_class->handle_frame = gst_quad_h265_enc_handle_frame;
  encoder_class->finish = gst_quad_h265_enc_finish;
  encoder_class->flush = gst_quad_h265_enc_flush;
  encoder_class->propose_allocation = gst_quad_h265_enc_propose_allocation;
  encoder_class->start = gst_quad_h265_enc_start;
  encoder_class->stop = gst_quad_h265_enc_stop;

  GST_DEBUG_CATEGORY_INIT(gst_quad_h265_enc_debug, "quadh265enc", 0, "quad HEVC encoder");
}

static void gst_quad_h265_enc_init(GstQuadH265Enc *self) {
  gst_quad_encoder_settings_init(&self->settings);
  self->ctu_size = DEFAULT_CTU_SIZE;
  self->deblocking = DEFAULT_DEBLOCKING;
  self->gop = DEFAULT_GOP;
  self->ref_frames = DEFAULT_REF_FRAMES;
  self->wavefront = DEFAULT_WAVEFRONT;
  self->frame_threads = DEFAULT_FRAME_THREADS;
  self->picture_hash = DEFAULT_PICTURE_HASH;
  self->realtime = DEFAULT_REALTIME;
  self->framed = new std::vector<uint8_t>();
  reset_counters(self);
}
