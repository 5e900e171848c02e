/**
 * SECTION:element-quadenc
 * @title: quadenc
 *
 * An encoder that keeps going. quadenc tries the encoders in `backends` in
 * order (by default the hardware encoders GStreamer may have, then
 * quadx264enc / quadh265enc and quadx265enc, then x264enc / x265enc) and
 * uses the first that starts on the negotiated caps. When the active encoder posts an error, or
 * (with a live upstream) takes longer than a frame interval for more than
 * `max-overrun` frames in a row, quadenc moves to the next backend without
 * stopping the pipeline: frames the failed encoder had taken but not output
 * are fed again to the new one, which starts with an IDR and fresh parameter
 * sets, so every input frame leaves exactly once and timestamps stay
 * monotonic. Frames are matched through the encoder by a number quadenc
 * attaches (a reference timestamp meta), and leave with the input's own
 * timestamps and segment, whatever a backend does to them. Each switch is
 * posted as a `quadenc-failover` element message (fields `from`, `to`,
 * `reason`, `replayed`); when no backend is left, the error names every
 * backend tried and why it failed.
 *
 * Backends code byte-stream; quadenc frames it as downstream asks:
 * byte-stream, or for a muxer avc3 / hev1 (length-prefixed, codec_data from
 * the first backend's parameter sets, a later backend's in band), or avc /
 * hvc1. The output caps stay those of the first backend as long as a later
 * one describes the same stream (codec, size, rate; profile when both name
 * one); the next backend is asked for the same profile. So
 * `quadenc ! matroskamux` and `quadenc ! mp4mux` survive a failover. avc and
 * hvc1 keep every parameter set in codec_data (ISO/IEC 14496-15), which the
 * next backend's would change: quadenc produces them only when no backend
 * is left to fail over to, and otherwise refuses them before the first
 * frame with an error that names avc3 / hev1. A parser after quadenc that
 * converts to avc or hvc1 changes codec_data at a failover, which muxers
 * refuse: let quadenc do the framing.
 *
 * The shared encoder properties (rate-control, bitrate, qp, vbv-buffer-ms,
 * key-int-max, speed-preset, threads, intra-refresh) are passed to every
 * backend that has them, translated for x264enc and x265enc; every backend
 * is asked for zero-latency tuning and no B-frames where it offers them.
 * key-int-max 0 is automatic as on x264enc: a key frame every 250 pictures
 * on every backend (a hardware encoder is given 250, not its own choice),
 * so a failover keeps the spacing. A backend with the shared set that does
 * not offer the rate-control asked for (quadh265enc and vbr) is passed
 * over. bitrate, qp, vbv-buffer-ms,
 * key-int-max and speed-preset may change in PLAYING: the running backend
 * gets the change where it takes that property while running, and the next
 * backend starts with it.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
 *     quadenc codec=h264 ! h264parse ! fakesink
 * gst-launch-1.0 quadcapturesrc is-live=false num-buffers=300 ! quadenc codec=h265 \
 *     backends=nvh265enc,quadx265enc,x265enc ! matroskamux ! filesink location=out.mkv
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadenc.h"

#include <chrono>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "nal/nal_units.h"
#include "quad/gstquadencoderprops.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_enc_debug);
#define GST_CAT_DEFAULT gst_quad_enc_debug

typedef enum {
  GST_QUAD_ENC_CODEC_H264 = 0,
  GST_QUAD_ENC_CODEC_H265 = 1,
} GstQuadEncCodec;

static constexpr GstQuadEncCodec DEFAULT_CODEC = GST_QUAD_ENC_CODEC_H265;
static constexpr guint DEFAULT_MAX_OVERRUN = 30;
static constexpr guint MAX_MAX_OVERRUN = 100000;

/* Hardware first (they fail cleanly where absent), then software. */
static const char *const default_h264_backends[] = {
    "nvh264enc", "vah264enc", "vah264lpenc", "qsvh264enc", "quadx264enc", "x264enc", nullptr};
/* quadh265enc before quadx265enc: in low delay it codes 7-19% fewer bits
 * than x265 ultrafast at 1.1-1.7x its speed (docs/benchmarks.md). */
static const char *const default_h265_backends[] = {"nvh265enc",  "vah265enc",   "vah265lpenc",
                                                    "qsvh265enc", "quadh265enc", "quadx265enc",
                                                    "x265enc",    nullptr};

enum {
  PROP_0,
  PROP_CODEC,
  PROP_BACKENDS,
  PROP_MAX_OVERRUN,
  PROP_SIMULATE_FAILURE_AT,
  PROP_ACTIVE_BACKEND,
  PROP_STATS,
  PROP_SHARED_FIRST,
};

#define SINK_CAPS                                                                                  \
  "video/x-raw, format = (string) { I420, NV12 }, width = (int) [ 16, 16384 ], "                   \
  "height = (int) [ 16, 16384 ], framerate = (fraction) [ 0/1, MAX ]"
/* Backends code byte-stream; quadenc frames it as downstream asks. */
#define H264_CAPS                                                                                  \
  "video/x-h264, stream-format = (string) { byte-stream, avc3, avc }, alignment = (string) au"
#define H265_CAPS                                                                                  \
  "video/x-h265, stream-format = (string) { byte-stream, hev1, hvc1 }, alignment = (string) au"

/* Output formats by preference: byte-stream as the backends make it; then
 * the ISO format that lets parameter sets change in band, so a failover
 * keeps the caps; last the one that keeps them only in codec_data. */
static const char *const H264_FORMATS[] = {"byte-stream", "avc3", "avc"};
static const char *const H265_FORMATS[] = {"byte-stream", "hev1", "hvc1"};

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(H264_CAPS "; " H265_CAPS));

/* A frame taken in and not yet seen leaving the active encoder. */
struct PendingFrame {
  GstBuffer *buffer;
  guint64 number; /* quadenc's own count, carried through the encoder */
  std::chrono::steady_clock::time_point entered;
};

/* Each input frame carries its number through the encoder in a reference
 * timestamp meta with these caps: encoders copy such metas to their output
 * (GstVideoEncoder does), and unlike timestamps they do not shift them
 * (x264enc adds 1000 hours to its PTS). */
static const char FRAME_NUMBER_CAPS[] = "timestamp/x-quadenc-frame";

/* Output caps fields a muxer does not keep or that follow from the bitstream
 * (parameter sets travel in band): a backend that differs only in these
 * continues under the caps already sent. */
static const char *const IGNORED_CAPS_FIELDS[] = {"profile",
                                                  "level",
                                                  "tier",
                                                  "codec_data",
                                                  "colorimetry",
                                                  "chroma-site",
                                                  "pixel-aspect-ratio",
                                                  "interlace-mode",
                                                  "chroma-format",
                                                  "bit-depth-luma",
                                                  "bit-depth-chroma"};

struct QuadEncCounters {
  guint64 frames_in = 0;
  guint64 frames_out = 0;
  guint64 failovers = 0;
  guint64 overrun_frames = 0;
};

/* C++ members, made in init and dropped in finalize. */
struct QuadEncState {
  /* Streaming thread of the sink pad. */
  std::vector<std::string> backends; /* resolved list for this run */
  size_t next_backend = 0;
  GstClockTime frame_duration = GST_CLOCK_TIME_NONE;
  bool live = false;
  bool live_checked = false;

  /* Sink and encoder output threads: under mutex. */
  std::mutex mutex;
  std::deque<PendingFrame> pending;
  guint64 next_number = 0;
  guint overruns = 0; /* in a row */

  /* Encoder output thread: the framing chosen on the first backend's caps. */
  GstCaps *backend_caps = nullptr; /* what the backends describe, byte-stream */
  std::string format;              /* the output stream-format */
  bool caps_pending = false;       /* output caps wait for the first parameter sets */
  GstEvent *held_segment = nullptr;
  std::vector<uint8_t> framed;

  void reset_output() {
    gst_clear_caps(&backend_caps);
    gst_clear_event(&held_segment);
    format.clear();
    caps_pending = false;
  }

  /* Under the object lock: written by handle_message from any thread. */
  bool active_failed = false;
  std::string failure;
  std::string active_name;
  QuadEncCounters counters;
};

struct _GstQuadEnc {
  GstBin parent;
  GstCaps *frame_number_caps;

  GstPad *sinkpad;
  GstPad *srcpad;
  /* Internal, parentless: feed pushes into the active encoder, collect
   * receives its output. */
  GstPad *feed;
  GstPad *collect;

  /* Properties, under the object lock. */
  GstQuadEncoderSettings settings;
  GstQuadEncCodec codec;
  gchar *backends;
  guint max_overrun;
  guint64 simulate_failure_at;

  GstElement *active; /* streaming thread; object lock for readers */
  QuadEncState *st;
};

#define gst_quad_enc_parent_class parent_class
G_DEFINE_TYPE(GstQuadEnc, gst_quad_enc, GST_TYPE_BIN);
/* Rank none: the codec is a property, not read from caps, so an autoplugger
 * could not ask it for the one it wants. */
GST_ELEMENT_REGISTER_DEFINE(quadenc, "quadenc", GST_RANK_NONE, GST_TYPE_QUAD_ENC);

#define GST_TYPE_QUAD_ENC_CODEC (gst_quad_enc_codec_get_type())
static GType gst_quad_enc_codec_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_ENC_CODEC_H264, "H.264 / AVC", "h264"},
      {GST_QUAD_ENC_CODEC_H265, "H.265 / HEVC", "h265"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadEncCodec", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

static GstQuadEnc *self_of_pad(GstPad *pad) {
  return static_cast<GstQuadEnc *>(GST_PAD_ELEMENT_PRIVATE(pad));
}

static GstStructure *quadenc_stats(GstQuadEnc *self) {
  GST_OBJECT_LOCK(self);
  const QuadEncCounters c = self->st->counters;
  const std::string name = self->st->active_name;
  GST_OBJECT_UNLOCK(self);
  return gst_structure_new("quadenc-stats", "frames-in", G_TYPE_UINT64, c.frames_in, "frames-out",
                           G_TYPE_UINT64, c.frames_out, "failovers", G_TYPE_UINT64, c.failovers,
                           "overrun-frames", G_TYPE_UINT64, c.overrun_frames, "backend",
                           G_TYPE_STRING, name.c_str(), nullptr);
}

/* ---- backends ---- */

static std::vector<std::string> resolve_backends(GstQuadEnc *self) {
  std::vector<std::string> list;
  GST_OBJECT_LOCK(self);
  if (self->backends && *self->backends) {
    gchar **names = g_strsplit(self->backends, ",", -1);
    for (gchar **n = names; *n; n++) {
      g_strstrip(*n);
      if (**n)
        list.emplace_back(*n);
    }
    g_strfreev(names);
  } else {
    const char *const *names =
        self->codec == GST_QUAD_ENC_CODEC_H264 ? default_h264_backends : default_h265_backends;
    for (; *names; names++)
      list.emplace_back(*names);
  }
  GST_OBJECT_UNLOCK(self);
  return list;
}

/* Sets a property from its string form when the element has it. */
static void set_if_present(GstElement *element, const char *name, const char *value) {
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), name))
    gst_util_set_object_arg(G_OBJECT(element), name, value);
}

/* Passes the shared settings on, in the backend's own terms where it has
 * different ones. False when the backend cannot code the stream as asked. */
static bool configure_backend(GstQuadEnc *self, GstElement *element, const std::string &name) {
  GST_OBJECT_LOCK(self);
  const GstQuadEncoderSettings s = self->settings;
  GST_OBJECT_UNLOCK(self);
  GObjectClass *klass = G_OBJECT_GET_CLASS(element);

  /* Elements with the shared property set (quadx264enc, quadx265enc,
   * quadh265enc) take the values as they are. quadh265enc offers fewer
   * rate controls (same values) and no intra-refresh yet. */
  GParamSpec *shared = g_object_class_find_property(klass, "speed-preset");
  if (shared && G_PARAM_SPEC_VALUE_TYPE(shared) == GST_TYPE_QUAD_SPEED_PRESET) {
    GParamSpec *rc = g_object_class_find_property(klass, "rate-control");
    if (!rc || !G_IS_PARAM_SPEC_ENUM(rc) ||
        !g_enum_get_value(G_PARAM_SPEC_ENUM(rc)->enum_class, s.rate_control))
      return false;
    g_object_set(element, "bitrate", s.bitrate, "rate-control", s.rate_control, "qp", s.qp,
                 "vbv-buffer-ms", s.vbv_buffer_ms, "key-int-max", s.key_int_max, "speed-preset",
                 s.speed_preset, nullptr);
    if (g_object_class_find_property(klass, "threads"))
      g_object_set(element, "threads", s.threads, nullptr);
    if (g_object_class_find_property(klass, "intra-refresh"))
      g_object_set(element, "intra-refresh", s.intra_refresh, nullptr);
    return true;
  }

  const std::string preset = gst_quad_speed_preset_nick(s.speed_preset);
  const std::string bitrate = std::to_string(s.bitrate);
  const std::string qp = std::to_string(s.qp);
  /* key-int-max 0 as 250 on every backend, whatever a hardware encoder's
   * own automatic period, so a failover keeps the key frame spacing. */
  const std::string key_int = std::to_string(gst_quad_encoder_key_int_period(s.key_int_max));
  const bool cqp = s.rate_control == GST_QUAD_RATE_CONTROL_CQP;
  set_if_present(element, "bitrate", bitrate.c_str());
  set_if_present(element, "key-int-max", key_int.c_str());
  set_if_present(element, "speed-preset", preset.c_str());
  set_if_present(element, "tune", "zerolatency");
  set_if_present(element, "bframes", "0");
  set_if_present(element, "b-frames", "0");
  set_if_present(element, "zerolatency", "true");
  if (name == "x264enc") {
    set_if_present(element, "pass", cqp ? "quant" : "cbr");
    set_if_present(element, "quantizer", qp.c_str());
    set_if_present(element, "vbv-buf-capacity", std::to_string(s.vbv_buffer_ms).c_str());
    set_if_present(element, "threads", std::to_string(s.threads).c_str());
    set_if_present(element, "intra-refresh", s.intra_refresh ? "true" : "false");
  } else if (name == "x265enc") {
    set_if_present(element, "qp", cqp ? qp.c_str() : "-1");
    std::string options = "bframes=0";
    if (!cqp) {
      const guint peak = s.rate_control == GST_QUAD_RATE_CONTROL_CBR ? s.bitrate : 2 * s.bitrate;
      options += ":vbv-maxrate=" + std::to_string(peak) +
                 ":vbv-bufsize=" + std::to_string(guint64{peak} * s.vbv_buffer_ms / 1000);
    }
    if (s.intra_refresh)
      options += ":intra-refresh=1";
    set_if_present(element, "option-string", options.c_str());
  } else {
    /* Hardware encoders: nvenc and va name rate control by these nicks. */
    set_if_present(element, "rc-mode",
                   cqp ? "cqp" : (s.rate_control == GST_QUAD_RATE_CONTROL_CBR ? "cbr" : "vbr"));
    set_if_present(element, "gop-size", key_int.c_str());
    set_if_present(element, "qp-const", qp.c_str());
  }
  return true;
}

/* The active backend's name for a shared rate setting, where it has one. */
static const char *backend_property(const std::string &backend, bool shared_set, guint id) {
  static const char *const shared[] = {"bitrate",       nullptr,       "qp",
                                       "vbv-buffer-ms", "key-int-max", "speed-preset"};
  if (id >= G_N_ELEMENTS(shared) || !shared[id])
    return nullptr;
  if (shared_set)
    return shared[id];
  if (id == GST_QUAD_ENCODER_PROP_QP)
    return backend == "x264enc" ? "quantizer" : backend == "x265enc" ? "qp" : "qp-const";
  if (id == GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS)
    return backend == "x264enc" ? "vbv-buf-capacity" : nullptr;
  return shared[id];
}

/* A rate setting changed in PLAYING reaches the running backend when it
 * takes that setting while running; the next backend gets it at its start
 * (configure_backend) either way. */
static void pass_live_setting(GstQuadEnc *self, GstElement *backend, const std::string &name,
                              guint id, const GValue *value) {
  GObjectClass *klass = G_OBJECT_GET_CLASS(backend);
  GParamSpec *preset = g_object_class_find_property(klass, "speed-preset");
  const bool shared_set = preset && G_PARAM_SPEC_VALUE_TYPE(preset) == GST_TYPE_QUAD_SPEED_PRESET;
  const char *property = backend_property(name, shared_set, id);
  GParamSpec *pspec = property ? g_object_class_find_property(klass, property) : nullptr;
  if (!pspec || !(pspec->flags & GST_PARAM_MUTABLE_PLAYING)) {
    GST_INFO_OBJECT(self,
                    "%s does not take this setting while running; a restart or failover "
                    "applies it",
                    name.c_str());
    return;
  }
  if (shared_set) {
    g_object_set_property(G_OBJECT(backend), property, value);
  } else {
    /* Other encoders by their own names, values in their own terms; their qp
     * would switch them to constant QP (x265enc), so it goes only with cqp. */
    GST_OBJECT_LOCK(self);
    const bool cqp = self->settings.rate_control == GST_QUAD_RATE_CONTROL_CQP;
    GST_OBJECT_UNLOCK(self);
    if (id == GST_QUAD_ENCODER_PROP_QP && !cqp)
      return;
    gchar *text =
        id == GST_QUAD_ENCODER_PROP_SPEED_PRESET
            ? g_strdup(gst_quad_speed_preset_nick(
                  static_cast<GstQuadSpeedPreset>(g_value_get_enum(value))))
        : id == GST_QUAD_ENCODER_PROP_KEY_INT_MAX
            ? g_strdup_printf("%d", gst_quad_encoder_key_int_period(g_value_get_uint(value)))
            : g_strdup_printf("%u", g_value_get_uint(value));
    gst_util_set_object_arg(G_OBJECT(backend), property, text);
    g_free(text);
  }
  GST_DEBUG_OBJECT(self, "passed %s on to %s", property, name.c_str());
}

/* Creates, links and starts the next backend that takes caps; false when
 * the list is exhausted. */
static bool start_next_backend(GstQuadEnc *self, GstCaps *caps, std::string *tried) {
  QuadEncState *st = self->st;
  while (st->next_backend < st->backends.size()) {
    const std::string name = st->backends[st->next_backend++];
    GstElement *element = gst_element_factory_make(name.c_str(), nullptr);
    if (!element) {
      GST_INFO_OBJECT(self, "backend %s is not installed", name.c_str());
      *tried += (tried->empty() ? "" : ", ") + name + " (not installed)";
      continue;
    }
    gst_object_ref_sink(element);
    if (!configure_backend(self, element, name)) {
      GST_INFO_OBJECT(self, "backend %s does not offer this rate-control", name.c_str());
      *tried += (tried->empty() ? "" : ", ") + name + " (does not offer this rate-control)";
      gst_object_unref(element);
      continue;
    }
    GST_OBJECT_LOCK(self);
    st->active_failed = false;
    GST_OBJECT_UNLOCK(self);
    GstPad *sink = gst_element_get_static_pad(element, "sink");
    GstPad *src = gst_element_get_static_pad(element, "src");
    const bool accepts = sink && src && (!caps || gst_pad_query_accept_caps(sink, caps));
    bool started = false;
    if (accepts) {
      gst_bin_add(GST_BIN(self), element);
      started = gst_pad_link(self->feed, sink) == GST_PAD_LINK_OK &&
                gst_pad_link(src, self->collect) == GST_PAD_LINK_OK &&
                gst_element_sync_state_with_parent(element);
      if (!started) {
        gst_pad_unlink(self->feed, sink);
        gst_pad_unlink(src, self->collect);
        gst_element_set_state(element, GST_STATE_NULL);
        gst_bin_remove(GST_BIN(self), element);
      }
    }
    g_clear_object(&sink);
    g_clear_object(&src);
    gst_object_unref(element); /* the bin holds the running one */
    if (!started) {
      GST_OBJECT_LOCK(self);
      /* An error the backend posted while starting says why. */
      const std::string why = !accepts            ? "refuses the caps"
                              : st->active_failed ? st->failure
                                                  : "cannot start";
      GST_OBJECT_UNLOCK(self);
      GST_INFO_OBJECT(self, "backend %s: %s", name.c_str(), why.c_str());
      *tried += (tried->empty() ? "" : ", ") + name + " (" + why + ")";
      continue;
    }
    GST_INFO_OBJECT(self, "using %s", name.c_str());
    GST_OBJECT_LOCK(self);
    self->active = element;
    st->active_failed = false;
    st->active_name = name;
    GST_OBJECT_UNLOCK(self);
    return true;
  }
  return false;
}

/* Unlinks and drops the active backend. */
static void stop_active(GstQuadEnc *self) {
  GST_OBJECT_LOCK(self);
  GstElement *element = self->active;
  self->active = nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!element)
    return;
  GstPad *sink = gst_element_get_static_pad(element, "sink");
  GstPad *src = gst_element_get_static_pad(element, "src");
  gst_pad_unlink(self->feed, sink);
  gst_pad_unlink(src, self->collect);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_element_set_locked_state(element, TRUE);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self), element);
}

/* ---- failover ---- */

/* Feeds the frames the failed encoder still owed to the new one. */
static GstFlowReturn replay_pending(GstQuadEnc *self, guint *count) {
  std::vector<GstBuffer *> frames;
  {
    std::lock_guard<std::mutex> lock(self->st->mutex);
    for (const PendingFrame &p : self->st->pending)
      frames.push_back(gst_buffer_ref(p.buffer));
  }
  *count = static_cast<guint>(frames.size());
  GstFlowReturn ret = GST_FLOW_OK;
  for (GstBuffer *buffer : frames) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push(self->feed, buffer);
    else
      gst_buffer_unref(buffer);
  }
  return ret;
}

/* Switches to the next backend that starts and takes the owed frames.
 * Returns its flow, or an error when none is left. */
static GstFlowReturn fail_over(GstQuadEnc *self, const std::string &reason) {
  QuadEncState *st = self->st;
  GstCaps *caps = gst_pad_get_current_caps(self->sinkpad);
  std::string why = reason;
  std::string tried;
  GstFlowReturn ret = GST_FLOW_ERROR;
  for (;;) {
    GST_OBJECT_LOCK(self);
    const std::string from = st->active_name;
    GST_OBJECT_UNLOCK(self);
    GST_WARNING_OBJECT(self, "%s failed: %s", from.c_str(), why.c_str());
    tried += (tried.empty() ? "" : ", ") + from + " (" + why + ")";
    stop_active(self);
    {
      std::lock_guard<std::mutex> lock(st->mutex);
      st->overruns = 0;
    }
    if (!start_next_backend(self, caps, &tried)) {
      GST_OBJECT_LOCK(self);
      st->active_name.clear();
      GST_OBJECT_UNLOCK(self);
      GST_ELEMENT_ERROR(self, STREAM, ENCODE,
                        ("No encoder left to take over; tried %s.", tried.c_str()), (nullptr));
      break;
    }
    GST_OBJECT_LOCK(self);
    st->counters.failovers++;
    const std::string to = st->active_name;
    GST_OBJECT_UNLOCK(self);
    guint replayed = 0;
    ret = replay_pending(self, &replayed);
    gst_element_post_message(
        GST_ELEMENT(self),
        gst_message_new_element(GST_OBJECT(self),
                                gst_structure_new("quadenc-failover", "from", G_TYPE_STRING,
                                                  from.c_str(), "to", G_TYPE_STRING, to.c_str(),
                                                  "reason", G_TYPE_STRING, why.c_str(), "replayed",
                                                  G_TYPE_UINT, replayed, nullptr)));
    GST_OBJECT_LOCK(self);
    const bool failed_again = st->active_failed;
    why = st->failure;
    GST_OBJECT_UNLOCK(self);
    if (!failed_again && (ret == GST_FLOW_OK || ret == GST_FLOW_FLUSHING || ret == GST_FLOW_EOS))
      break;
    if (!failed_again)
      why = std::string("flow ") + gst_flow_get_name(ret);
  }
  if (caps)
    gst_caps_unref(caps);
  return ret;
}

/* The reason the active backend must go, or empty when it is fine. */
static std::string failure_reason(GstQuadEnc *self, GstFlowReturn ret) {
  QuadEncState *st = self->st;
  GST_OBJECT_LOCK(self);
  std::string reason = st->active_failed ? st->failure : std::string();
  const guint max_overrun = self->max_overrun;
  GST_OBJECT_UNLOCK(self);
  if (!reason.empty())
    return reason;
  if (ret == GST_FLOW_ERROR || ret == GST_FLOW_NOT_NEGOTIATED)
    return std::string("flow ") + gst_flow_get_name(ret);
  std::lock_guard<std::mutex> lock(st->mutex);
  if (st->live && max_overrun > 0 && st->overruns > max_overrun)
    return "over the real-time budget for " + std::to_string(st->overruns) + " frames";
  return {};
}

/* ---- sink pad ---- */

static void check_live(GstQuadEnc *self) {
  QuadEncState *st = self->st;
  if (st->live_checked)
    return;
  st->live_checked = true;
  GstQuery *query = gst_query_new_latency();
  if (gst_pad_peer_query(self->sinkpad, query)) {
    gboolean live = FALSE;
    gst_query_parse_latency(query, &live, nullptr, nullptr);
    st->live = live;
  }
  gst_query_unref(query);
  GST_DEBUG_OBJECT(self, "upstream is %slive", st->live ? "" : "not ");
}

static GstFlowReturn gst_quad_enc_chain(GstPad *pad, GstObject *, GstBuffer *buffer) {
  GstQuadEnc *self = self_of_pad(pad);
  QuadEncState *st = self->st;
  GST_OBJECT_LOCK(self);
  const bool have_encoder = self->active != nullptr;
  const bool simulate = ++st->counters.frames_in == self->simulate_failure_at;
  if (simulate) {
    st->active_failed = true;
    st->failure = "simulated failure at frame " + std::to_string(st->counters.frames_in);
  }
  GST_OBJECT_UNLOCK(self);
  if (!have_encoder) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No encoder is running."),
                      ("no caps before the first buffer, or no backend could start"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  check_live(self);
  buffer = gst_buffer_make_writable(buffer);
  {
    std::lock_guard<std::mutex> lock(st->mutex);
    const guint64 number = st->next_number++;
    gst_buffer_add_reference_timestamp_meta(buffer, self->frame_number_caps, number,
                                            GST_CLOCK_TIME_NONE);
    st->pending.push_back({gst_buffer_ref(buffer), number, std::chrono::steady_clock::now()});
  }

  std::string reason = failure_reason(self, GST_FLOW_OK);
  GstFlowReturn ret = reason.empty() ? gst_pad_push(self->feed, buffer) : GST_FLOW_OK;
  if (!reason.empty())
    gst_buffer_unref(buffer); /* it is pending: the next backend gets it */
  else
    reason = failure_reason(self, ret);
  if (!reason.empty())
    ret = fail_over(self, reason);
  return ret;
}

static gboolean gst_quad_enc_sink_event(GstPad *pad, GstObject *, GstEvent *event) {
  GstQuadEnc *self = self_of_pad(pad);
  QuadEncState *st = self->st;
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    GstStructure *s = gst_caps_get_structure(caps, 0);
    gint n = 0, d = 1;
    st->frame_duration = gst_structure_get_fraction(s, "framerate", &n, &d) && n > 0 && d > 0
                             ? gst_util_uint64_scale_int(GST_SECOND, d, n)
                             : GST_CLOCK_TIME_NONE;
    GST_OBJECT_LOCK(self);
    const bool have_encoder = self->active != nullptr;
    GST_OBJECT_UNLOCK(self);
    std::string tried;
    if (!have_encoder) {
      st->backends = resolve_backends(self);
      st->next_backend = 0;
      if (!start_next_backend(self, caps, &tried)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("No encoder can take these caps; tried %s.",
                           tried.empty() ? "nothing (empty backends)" : tried.c_str()),
                          ("caps %" GST_PTR_FORMAT, caps));
        gst_event_unref(event);
        return FALSE;
      }
    }
    /* Sticky: a backend started later receives it with its first buffer. */
    if (gst_pad_push_event(self->feed, event))
      return TRUE;
    GST_OBJECT_LOCK(self);
    const std::string why = st->active_failed ? st->failure : "refused the caps";
    GST_OBJECT_UNLOCK(self);
    return fail_over(self, why) == GST_FLOW_OK;
  }
  case GST_EVENT_FLUSH_STOP: {
    std::lock_guard<std::mutex> lock(st->mutex);
    for (PendingFrame &p : st->pending)
      gst_buffer_unref(p.buffer);
    st->pending.clear();
    st->overruns = 0;
    break;
  }
  default:
    break;
  }
  return gst_pad_push_event(self->feed, event);
}

static gboolean gst_quad_enc_sink_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  GstQuadEnc *self = self_of_pad(pad);
  GST_OBJECT_LOCK(self);
  const bool have_encoder = self->active != nullptr;
  GST_OBJECT_UNLOCK(self);
  /* Caps and allocation are the active encoder's; before one runs, the
   * template speaks for all. */
  switch (GST_QUERY_TYPE(query)) {
  case GST_QUERY_CAPS:
  case GST_QUERY_ACCEPT_CAPS:
  case GST_QUERY_ALLOCATION:
    if (have_encoder)
      return gst_pad_peer_query(self->feed, query);
    break;
  default:
    break;
  }
  return gst_pad_query_default(pad, parent, query);
}

/* Queries the encoder sends upstream go to quadenc's upstream. */
static gboolean gst_quad_enc_feed_query(GstPad *pad, GstObject *, GstQuery *query) {
  return gst_pad_peer_query(self_of_pad(pad)->sinkpad, query);
}

static gboolean gst_quad_enc_feed_event(GstPad *pad, GstObject *, GstEvent *event) {
  return gst_pad_push_event(self_of_pad(pad)->sinkpad, event);
}

/* ---- output ---- */

/* The frame number quadenc gave the input this output came from, taken off
 * the buffer; false when the encoder dropped the meta. */
static bool take_frame_number(GstQuadEnc *self, GstBuffer **buffer, guint64 *number) {
  GstReferenceTimestampMeta *meta =
      gst_buffer_get_reference_timestamp_meta(*buffer, self->frame_number_caps);
  if (!meta)
    return false;
  *number = meta->timestamp;
  *buffer = gst_buffer_make_writable(*buffer);
  meta = gst_buffer_get_reference_timestamp_meta(*buffer, self->frame_number_caps);
  gst_buffer_remove_meta(*buffer, reinterpret_cast<GstMeta *>(meta));
  return true;
}

static quad::nal::Codec codec_of(GstQuadEnc *self) {
  GST_OBJECT_LOCK(self);
  const bool h264 = self->codec == GST_QUAD_ENC_CODEC_H264;
  GST_OBJECT_UNLOCK(self);
  return h264 ? quad::nal::Codec::H264 : quad::nal::Codec::H265;
}

/* avc and hvc1 keep every parameter set in codec_data (ISO/IEC 14496-15). */
static bool parameter_sets_out_of_band(const std::string &format) {
  return format == "avc" || format == "hvc1";
}

/* An access unit from a backend (byte-stream) as length-prefixed NAL units
 * in *buffer; the output caps, held until now, go first with codec_data
 * from its parameter sets. */
static bool frame_for_iso(GstQuadEnc *self, GstBuffer **buffer) {
  QuadEncState *st = self->st;
  const quad::nal::Codec codec = codec_of(self);
  const bool out_of_band = parameter_sets_out_of_band(st->format);
  GstMapInfo map;
  if (!gst_buffer_map(*buffer, &map, GST_MAP_READ))
    return false;
  const std::span<const uint8_t> au(map.data, map.size);
  if (st->caps_pending) {
    const std::vector<uint8_t> record = quad::nal::decoder_configuration(au, codec, out_of_band);
    if (record.empty()) {
      gst_buffer_unmap(*buffer, &map);
      GST_OBJECT_LOCK(self);
      const std::string name = st->active_name;
      GST_OBJECT_UNLOCK(self);
      GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                        ("%s sent no parameter sets with its first picture; stream-format %s "
                         "needs them for codec_data.",
                         name.c_str(), st->format.c_str()),
                        (nullptr));
      return false;
    }
    GstCaps *caps = gst_caps_copy(st->backend_caps);
    GstBuffer *codec_data = gst_buffer_new_memdup(record.data(), record.size());
    gst_caps_set_simple(caps, "stream-format", G_TYPE_STRING, st->format.c_str(), "codec_data",
                        GST_TYPE_BUFFER, codec_data, nullptr);
    gst_buffer_unref(codec_data);
    GST_DEBUG_OBJECT(self, "output caps %" GST_PTR_FORMAT, caps);
    gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    if (st->held_segment) {
      gst_pad_push_event(self->srcpad, st->held_segment);
      st->held_segment = nullptr;
    }
    st->caps_pending = false;
  }
  /* A later backend's parameter sets differ from codec_data: in band they
   * stay (avc3, hev1); avc and hvc1 only run where no failover can follow. */
  quad::nal::to_length_prefixed(au, codec, out_of_band, st->framed);
  gst_buffer_unmap(*buffer, &map);
  GstBuffer *framed = gst_buffer_new_memdup(st->framed.data(), st->framed.size());
  gst_buffer_copy_into(framed, *buffer, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_unref(*buffer);
  *buffer = framed;
  return true;
}

static GstFlowReturn gst_quad_enc_collect_chain(GstPad *pad, GstObject *, GstBuffer *buffer) {
  GstQuadEnc *self = self_of_pad(pad);
  QuadEncState *st = self->st;
  guint64 number = 0;
  const bool numbered = take_frame_number(self, &buffer, &number);
  bool overrun = false;
  {
    std::lock_guard<std::mutex> lock(st->mutex);
    /* Encoders here do not reorder: this output settles its own frame and
     * any older one the encoder dropped (the oldest when unnumbered). */
    size_t settled = 0;
    if (numbered) {
      for (size_t i = 0; i < st->pending.size() && st->pending[i].number <= number; i++)
        settled = st->pending[i].number == number ? i + 1 : settled;
    } else if (!st->pending.empty()) {
      settled = 1;
    }
    if (settled == 0) {
      /* Not pending: this frame already left through the previous backend. */
      GST_DEBUG_OBJECT(self, "dropping a repeat of frame %" G_GUINT64_FORMAT, number);
      gst_buffer_unref(buffer);
      return GST_FLOW_OK;
    }
    buffer = gst_buffer_make_writable(buffer);
    for (size_t i = 0; i < settled; i++) {
      PendingFrame p = st->pending.front();
      st->pending.pop_front();
      if (i + 1 == settled) {
        /* The input's own times: every backend's output then shares one
         * timeline, and without reordering decode time is presentation time. */
        GST_BUFFER_PTS(buffer) = GST_BUFFER_PTS(p.buffer);
        GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(p.buffer);
        GST_BUFFER_DURATION(buffer) = GST_BUFFER_DURATION(p.buffer);
        if (GST_CLOCK_TIME_IS_VALID(st->frame_duration)) {
          const auto took = std::chrono::steady_clock::now() - p.entered;
          overrun = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() >
                    static_cast<gint64>(st->frame_duration);
        }
      }
      gst_buffer_unref(p.buffer);
    }
    st->overruns = overrun ? st->overruns + 1 : 0;
  }
  if (st->format != "byte-stream" && !frame_for_iso(self, &buffer))
    return GST_FLOW_ERROR;
  GST_OBJECT_LOCK(self);
  st->counters.frames_out++;
  st->counters.overrun_frames += overrun ? 1 : 0;
  GST_OBJECT_UNLOCK(self);
  return gst_pad_push(self->srcpad, buffer);
}

/* Caps without the fields a backend may change without harm. */
static GstCaps *caps_that_matter(GstCaps *caps) {
  GstCaps *copy = gst_caps_copy(caps);
  for (guint i = 0; i < gst_caps_get_size(copy); i++)
    for (const char *field : IGNORED_CAPS_FIELDS)
      gst_structure_remove_field(gst_caps_get_structure(copy, i), field);
  return copy;
}

/* A new backend's caps say nothing new when they match the current ones in
 * every field that matters and name no other profile. */
static bool same_stream(GstCaps *current, GstCaps *next) {
  GstCaps *a = caps_that_matter(current), *b = caps_that_matter(next);
  bool same = gst_caps_is_equal(a, b);
  gst_caps_unref(a);
  gst_caps_unref(b);
  const char *pa = gst_structure_get_string(gst_caps_get_structure(current, 0), "profile");
  const char *pb = gst_structure_get_string(gst_caps_get_structure(next, 0), "profile");
  if (pa && pb && strcmp(pa, pb) != 0)
    same = false;
  return same;
}

/* The output stream-format for a backend's caps: the first downstream
 * takes, by preference; nullptr (and an error) when avc or hvc1 is the only
 * one and a failover could follow, since the next backend's parameter sets
 * would need a codec_data those formats cannot change. */
static const char *choose_format(GstQuadEnc *self, GstCaps *backend_caps) {
  const bool h264 = codec_of(self) == quad::nal::Codec::H264;
  GstCaps *peer = gst_pad_peer_query_caps(self->srcpad, nullptr);
  const char *chosen = nullptr;
  for (const char *format : h264 ? H264_FORMATS : H265_FORMATS) {
    GstCaps *candidate = gst_caps_copy(backend_caps);
    gst_caps_set_simple(candidate, "stream-format", G_TYPE_STRING, format, nullptr);
    for (guint i = 0; i < gst_caps_get_size(candidate); i++)
      gst_structure_remove_field(gst_caps_get_structure(candidate, i), "codec_data");
    const bool taken = gst_caps_can_intersect(candidate, peer);
    gst_caps_unref(candidate);
    if (taken) {
      chosen = format;
      break;
    }
  }
  gst_caps_unref(peer);
  const QuadEncState *st = self->st;
  if (chosen && parameter_sets_out_of_band(chosen) && st->next_backend < st->backends.size()) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Downstream takes only stream-format %s, which keeps the parameter sets "
                       "in codec_data; a failover to the next backend would change them.",
                       chosen),
                      ("let downstream take %s or byte-stream, or give quadenc one backend",
                       h264 ? "avc3" : "hev1"));
    return nullptr;
  }
  if (!chosen)
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Downstream takes no stream format quadenc can produce."),
                      ("backend caps %" GST_PTR_FORMAT, backend_caps));
  return chosen;
}

/* Events the encoder sends on: a switch repeats stream-start, caps and
 * segment, which go on only when they say something new. */
static gboolean gst_quad_enc_collect_event(GstPad *pad, GstObject *, GstEvent *event) {
  GstQuadEnc *self = self_of_pad(pad);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_SEGMENT:
    /* Buffers leave with the input's timestamps, so the input's segment
     * applies, not one a backend shifted (x264enc by 1000 hours). */
    if (GstEvent *input = gst_pad_get_sticky_event(self->sinkpad, GST_EVENT_SEGMENT, 0)) {
      gst_event_unref(event);
      event = input;
    }
    /* After caps, which may still wait for the first access unit. */
    if (self->st->caps_pending) {
      gst_clear_event(&self->st->held_segment);
      self->st->held_segment = event;
      return TRUE;
    }
    [[fallthrough]];
  case GST_EVENT_STREAM_START: {
    GstEvent *current = gst_pad_get_sticky_event(self->srcpad, GST_EVENT_TYPE(event), 0);
    bool repeat = false;
    if (current && GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
      const GstSegment *a, *b;
      gst_event_parse_segment(current, &a);
      gst_event_parse_segment(event, &b);
      repeat = gst_segment_is_equal(a, b);
    } else if (current) {
      const gchar *a, *b;
      gst_event_parse_stream_start(current, &a);
      gst_event_parse_stream_start(event, &b);
      repeat = g_strcmp0(a, b) == 0;
    }
    if (current)
      gst_event_unref(current);
    if (repeat) {
      gst_event_unref(event);
      return TRUE;
    }
    break;
  }
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    QuadEncState *st = self->st;
    if (st->backend_caps && same_stream(st->backend_caps, caps)) {
      GST_DEBUG_OBJECT(self, "keeping the output caps for %" GST_PTR_FORMAT, caps);
      gst_event_unref(event);
      return TRUE;
    }
    const char *format = choose_format(self, caps);
    if (!format) {
      gst_event_unref(event);
      return FALSE;
    }
    gst_caps_replace(&st->backend_caps, caps);
    st->format = format;
    st->caps_pending = st->format != "byte-stream";
    if (st->caps_pending) {
      /* Sent with the first access unit, whose parameter sets make codec_data. */
      gst_event_unref(event);
      return TRUE;
    }
    break;
  }
  default:
    break;
  }
  return gst_pad_push_event(self->srcpad, event);
}

/* What downstream accepts, limited to the codec quadenc was asked for, in
 * any format quadenc frames, as the byte-stream a backend codes for it. */
static GstCaps *backend_caps_allowed(GstQuadEnc *self, GstCaps *filter) {
  GST_OBJECT_LOCK(self);
  const bool h264 = self->codec == GST_QUAD_ENC_CODEC_H264;
  GST_OBJECT_UNLOCK(self);
  GstCaps *allowed = gst_caps_from_string(h264 ? H264_CAPS : H265_CAPS);
  /* After a failover the next backend is asked for the profile the first
   * one sent (size and rate follow the input, which may change). */
  GstCaps *current = gst_pad_get_current_caps(self->srcpad);
  const char *profile =
      current ? gst_structure_get_string(gst_caps_get_structure(current, 0), "profile") : nullptr;
  if (profile) {
    allowed = gst_caps_make_writable(allowed);
    for (guint i = 0; i < gst_caps_get_size(allowed); i++)
      gst_structure_set(gst_caps_get_structure(allowed, i), "profile", G_TYPE_STRING, profile,
                        nullptr);
  }
  if (current)
    gst_caps_unref(current);
  GstCaps *peer = gst_pad_peer_query_caps(self->srcpad, allowed);
  gst_caps_unref(allowed);
  peer = gst_caps_make_writable(peer);
  for (guint i = 0; i < gst_caps_get_size(peer); i++) {
    GstStructure *st = gst_caps_get_structure(peer, i);
    gst_structure_set(st, "stream-format", G_TYPE_STRING, "byte-stream", nullptr);
    gst_structure_remove_field(st, "codec_data");
  }
  peer = gst_caps_simplify(peer);
  if (filter) {
    GstCaps *f = gst_caps_intersect_full(filter, peer, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(peer);
    peer = f;
  }
  return peer;
}

static gboolean gst_quad_enc_collect_query(GstPad *pad, GstObject *, GstQuery *query) {
  GstQuadEnc *self = self_of_pad(pad);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GstCaps *filter;
    gst_query_parse_caps(query, &filter);
    GstCaps *allowed = backend_caps_allowed(self, filter);
    gst_query_set_caps_result(query, allowed);
    gst_caps_unref(allowed);
    return TRUE;
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps *caps;
    gst_query_parse_accept_caps(query, &caps);
    GstCaps *allowed = backend_caps_allowed(self, nullptr);
    gst_query_set_accept_caps_result(query, gst_caps_can_intersect(caps, allowed));
    gst_caps_unref(allowed);
    return TRUE;
  }
  return gst_pad_peer_query(self->srcpad, query);
}

static gboolean gst_quad_enc_src_event(GstPad *pad, GstObject *, GstEvent *event) {
  return gst_pad_push_event(self_of_pad(pad)->collect, event);
}

static gboolean gst_quad_enc_src_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  GstQuadEnc *self = self_of_pad(pad);
  GST_OBJECT_LOCK(self);
  const bool have_encoder = self->active != nullptr;
  GST_OBJECT_UNLOCK(self);
  if (have_encoder)
    return gst_pad_peer_query(self->collect, query);
  return gst_pad_query_default(pad, parent, query);
}

/* ---- bin ---- */

static void gst_quad_enc_handle_message(GstBin *bin, GstMessage *message) {
  GstQuadEnc *self = GST_QUAD_ENC(bin);
  /* Every child is a backend, active or starting. */
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR &&
      GST_MESSAGE_SRC(message) != GST_OBJECT(self) &&
      gst_object_has_as_ancestor(GST_MESSAGE_SRC(message), GST_OBJECT(self))) {
    /* The streaming thread switches backends; the error stays inside. */
    GError *error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    GST_OBJECT_LOCK(self);
    self->st->active_failed = true;
    self->st->failure = error ? error->message : "error";
    GST_OBJECT_UNLOCK(self);
    g_clear_error(&error);
    gst_message_unref(message);
    return;
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, message);
}

static GstStateChangeReturn gst_quad_enc_change_state(GstElement *element,
                                                      GstStateChange transition) {
  GstQuadEnc *self = GST_QUAD_ENC(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gst_pad_set_active(self->feed, TRUE);
    gst_pad_set_active(self->collect, TRUE);
    GST_OBJECT_LOCK(self);
    self->st->counters = QuadEncCounters();
    GST_OBJECT_UNLOCK(self);
    self->st->live_checked = false;
    self->st->live = false;
  }
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    stop_active(self);
    gst_pad_set_active(self->feed, FALSE);
    gst_pad_set_active(self->collect, FALSE);
    std::lock_guard<std::mutex> lock(self->st->mutex);
    for (PendingFrame &p : self->st->pending)
      gst_buffer_unref(p.buffer);
    self->st->pending.clear();
    self->st->next_number = 0;
    self->st->overruns = 0;
    self->st->reset_output();
  }
  return ret;
}

static void gst_quad_enc_set_property(GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec) {
  GstQuadEnc *self = GST_QUAD_ENC(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CODEC:
    self->codec = static_cast<GstQuadEncCodec>(g_value_get_enum(value));
    break;
  case PROP_BACKENDS:
    g_free(self->backends);
    self->backends = g_value_dup_string(value);
    break;
  case PROP_MAX_OVERRUN:
    self->max_overrun = g_value_get_uint(value);
    break;
  case PROP_SIMULATE_FAILURE_AT:
    self->simulate_failure_at = g_value_get_uint64(value);
    break;
  default:
    if (!gst_quad_encoder_settings_set(&self->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GstElement *active = self->active ? GST_ELEMENT(gst_object_ref(self->active)) : nullptr;
  const std::string name = self->st->active_name;
  GST_OBJECT_UNLOCK(self);
  if (active) {
    if (prop_id >= PROP_SHARED_FIRST && gst_quad_encoder_prop_is_rate(prop_id - PROP_SHARED_FIRST))
      pass_live_setting(self, active, name, prop_id - PROP_SHARED_FIRST, value);
    gst_object_unref(active);
  }
}

static void gst_quad_enc_get_property(GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec) {
  GstQuadEnc *self = GST_QUAD_ENC(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, quadenc_stats(self));
    return;
  }
  if (prop_id == PROP_BACKENDS) {
    std::string joined;
    for (const std::string &name : resolve_backends(self))
      joined += (joined.empty() ? "" : ",") + name;
    g_value_set_string(value, joined.c_str());
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CODEC:
    g_value_set_enum(value, self->codec);
    break;
  case PROP_MAX_OVERRUN:
    g_value_set_uint(value, self->max_overrun);
    break;
  case PROP_SIMULATE_FAILURE_AT:
    g_value_set_uint64(value, self->simulate_failure_at);
    break;
  case PROP_ACTIVE_BACKEND:
    g_value_set_string(value, self->st->active_name.c_str());
    break;
  default:
    if (!gst_quad_encoder_settings_get(&self->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_enc_finalize(GObject *object) {
  GstQuadEnc *self = GST_QUAD_ENC(object);
  g_free(self->backends);
  gst_object_unref(self->feed);
  gst_object_unref(self->collect);
  gst_caps_unref(self->frame_number_caps);
  self->st->reset_output();
  delete self->st;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_enc_class_init(GstQuadEncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *bin_class = GST_BIN_CLASS(klass);

  gobject_class->set_property = gst_quad_enc_set_property;
  gobject_class->get_property = gst_quad_enc_get_property;
  gobject_class->finalize = gst_quad_enc_finalize;

  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_CODEC,
      g_param_spec_enum("codec", "Codec", "The codec to produce (the default backends follow it)",
                        GST_TYPE_QUAD_ENC_CODEC, DEFAULT_CODEC, ready));
  g_object_class_install_property(
      gobject_class, PROP_BACKENDS,
      g_param_spec_string("backends", "Backends",
                          "Encoder factory names to try, best first, comma-separated (empty: "
                          "hardware encoders, then quadx264enc or quadh265enc and "
                          "quadx265enc, then x264enc/x265enc, for the codec)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_MAX_OVERRUN,
      g_param_spec_uint("max-overrun", "Max overrun",
                        "Frames in a row a backend may take longer than a frame interval "
                        "(with a live upstream) before quadenc fails over (0: never)",
                        0, MAX_MAX_OVERRUN, DEFAULT_MAX_OVERRUN,
                        static_cast<GParamFlags>(ready | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_SIMULATE_FAILURE_AT,
      g_param_spec_uint64("simulate-failure-at", "Simulate failure at",
                          "For demos and tests: treat the active backend as failed when this "
                          "input frame (counted from 1) arrives, as if it had posted an error "
                          "(0: never)",
                          0, G_MAXUINT64, 0,
                          static_cast<GParamFlags>(ready | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_ACTIVE_BACKEND,
      g_param_spec_string("active-backend", "Active backend",
                          "Factory name of the encoder in use (empty when none)", nullptr, ro));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-in, frames-out, failovers, overrun-frames, backend",
                         GST_TYPE_STRUCTURE, ro));
  gst_quad_encoder_install_properties(gobject_class, PROP_SHARED_FIRST, 0);

  gst_element_class_set_static_metadata(
      element_class, "Quad encoder with failover", "Codec/Encoder/Video",
      "Picks the best available H.264 or H.265 encoder and fails over to the next one "
      "mid-stream without losing a frame",
      "gst-quad developers");
  gst_element_class_add_static_metadata(element_class, GST_ELEMENT_METADATA_DOC_URI,
                                        GST_PACKAGE_ORIGIN "/blob/main/docs/elements/quadenc.md");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  element_class->change_state = gst_quad_enc_change_state;
  bin_class->handle_message = gst_quad_enc_handle_message;

  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_ENC_CODEC, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_quad_enc_debug, "quadenc", 0, "quad encoder bin with failover");
}

static void gst_quad_enc_init(GstQuadEnc *self) {
  self->st = new QuadEncState();
  self->frame_number_caps = gst_caps_new_empty_simple(FRAME_NUMBER_CAPS);
  gst_quad_encoder_settings_init(&self->settings);
  self->codec = DEFAULT_CODEC;
  self->max_overrun = DEFAULT_MAX_OVERRUN;

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  GST_PAD_ELEMENT_PRIVATE(self->sinkpad) = self;
  gst_pad_set_chain_function(self->sinkpad, gst_quad_enc_chain);
  gst_pad_set_event_function(self->sinkpad, gst_quad_enc_sink_event);
  gst_pad_set_query_function(self->sinkpad, gst_quad_enc_sink_query);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_ELEMENT_PRIVATE(self->srcpad) = self;
  gst_pad_set_event_function(self->srcpad, gst_quad_enc_src_event);
  gst_pad_set_query_function(self->srcpad, gst_quad_enc_src_query);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  self->feed = gst_pad_new("feed", GST_PAD_SRC);
  gst_object_ref_sink(self->feed);
  GST_PAD_ELEMENT_PRIVATE(self->feed) = self;
  gst_pad_set_query_function(self->feed, gst_quad_enc_feed_query);
  gst_pad_set_event_function(self->feed, gst_quad_enc_feed_event);

  self->collect = gst_pad_new("collect", GST_PAD_SINK);
  gst_object_ref_sink(self->collect);
  GST_PAD_ELEMENT_PRIVATE(self->collect) = self;
  gst_pad_set_chain_function(self->collect, gst_quad_enc_collect_chain);
  gst_pad_set_event_function(self->collect, gst_quad_enc_collect_event);
  gst_pad_set_query_function(self->collect, gst_quad_enc_collect_query);
}
