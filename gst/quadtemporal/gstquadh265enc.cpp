/**
 * SECTION:element-quadh265enc
 * @title: quadh265enc
 *
 * gst-quad's own HEVC encoder (H.265 Main profile, 8-bit 4:2:0), for live
 * work: every picture goes out as soon as it is coded, nothing is held back.
 * Each access unit carries a decoded-picture-hash SEI (MD5), and every IDR
 * repeats VPS, SPS and PPS so a receiver can join at any IDR.
 *
 * This version codes intra pictures only: `key-int-max` sets how often a
 * picture is an IDR (a point where a receiver can start); the pictures
 * between are intra-coded too, so `intra-refresh` holds by construction.
 * Properties are the set every gst-quad encoder shares (see
 * quad/gstquadencoderprops.h), so quadenc can move a stream to or from this
 * encoder without changing how it is coded: `rate-control=cbr` (the default)
 * chooses each picture's QP so the stream fits `bitrate` within a buffer of
 * `vbv-buffer-ms`; `rate-control=cqp` codes every picture at `qp`; `vbr` is
 * refused. The core encodes on the streaming thread whatever `threads` says.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc is-live=false num-buffers=100 ! quadh265enc qp=27 ! h265parse !
 * filesink location=out.265 gst-launch-1.0 quadcapturesrc location=clip.y4m is-live=false !
 * quadh265enc ! h265parse ! matroskamux ! filesink location=out.mkv
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadh265enc.h"

#include <gst/video/video.h>

#include <algorithm>

#include "quad/gstquadbufferpool.h"
#include "quad/gstquadencoderprops.h"
#include "quad/temporal_compression.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_h265_enc_debug);
#define GST_CAT_DEFAULT gst_quad_h265_enc_debug

static constexpr guint DEFAULT_CTU_SIZE = 32;
static constexpr gboolean DEFAULT_DEBLOCKING = TRUE;
/* First guess for an access unit's size; it then follows the largest seen. */
static constexpr gsize MIN_OUTPUT_CAPACITY = 64 * 1024;

enum {
  PROP_0,
  PROP_CTU_SIZE,
  PROP_DEBLOCKING,
  PROP_SHARED_FIRST, /* then the shared encoder properties */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, NV12 }, "
                    "width = (int) [ 16, 8192 ], height = (int) [ 16, 4320 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/x-h265, stream-format = (string) byte-stream, "
                                            "alignment = (string) au, profile = (string) main"));

struct _GstQuadH265Enc {
  GstVideoEncoder parent;

  /* Properties, under the object lock. */
  GstQuadEncoderSettings settings;
  guint ctu_size;
  gboolean deblocking;

  /* Streaming thread only. */
  TCEncoder *encoder;
  GstVideoCodecState *input_state;
  gsize output_capacity;
};

#define gst_quad_h265_enc_parent_class parent_class
G_DEFINE_TYPE(GstQuadH265Enc, gst_quad_h265_enc, GST_TYPE_VIDEO_ENCODER);
GST_ELEMENT_REGISTER_DEFINE(quadh265enc, "quadh265enc", GST_RANK_SECONDARY, GST_TYPE_QUAD_H265_ENC);

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

static void close_encoder(GstQuadH265Enc *self) {
  if (self->encoder) {
    tc_destroy(self->encoder);
    self->encoder = nullptr;
  }
}

static gboolean gst_quad_h265_enc_set_format(GstVideoEncoder *encoder, GstVideoCodecState *state) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  const GstVideoInfo *info = &state->info;

  /* One picture in, one access unit out: nothing to drain on a caps change. */
  close_encoder(self);

  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = GST_VIDEO_INFO_WIDTH(info);
  cfg.height = GST_VIDEO_INFO_HEIGHT(info);
  cfg.fps_n = GST_VIDEO_INFO_FPS_N(info) > 0 ? GST_VIDEO_INFO_FPS_N(info) : 30;
  cfg.fps_d = GST_VIDEO_INFO_FPS_N(info) > 0 ? GST_VIDEO_INFO_FPS_D(info) : 1;
  GST_OBJECT_LOCK(self);
  const GstQuadEncoderSettings settings = self->settings;
  cfg.ctu_size = static_cast<int>(self->ctu_size);
  cfg.deblocking = self->deblocking;
  GST_OBJECT_UNLOCK(self);

  /* The shared speed presets have the core's numbering (ultrafast = 0). */
  cfg.qp = static_cast<int>(settings.qp);
  cfg.key_int_max = static_cast<int>(settings.key_int_max);
  cfg.speed_preset = settings.speed_preset;
  if (settings.rate_control == GST_QUAD_RATE_CONTROL_VBR) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("quadh265enc does not do rate-control=vbr."),
                      ("use cbr (bitrate, vbv-buffer-ms) or cqp (qp)"));
    return FALSE;
  }
  if (settings.rate_control == GST_QUAD_RATE_CONTROL_CBR) {
    cfg.bitrate_kbps = static_cast<int>(settings.bitrate);
    cfg.vbv_buffer_ms = static_cast<int>(MAX(settings.vbv_buffer_ms, 1u));
  }
  if (settings.threads != 1)
    GST_INFO_OBJECT(self, "this version encodes on one thread (threads=%u)", settings.threads);

  if ((cfg.width | cfg.height) & 1) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("HEVC 4:2:0 needs an even width and height."),
                      ("got %dx%d", cfg.width, cfg.height));
    return FALSE;
  }
  const int ret = tc_init(&cfg, &self->encoder);
  if (ret != TC_OK) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Could not start the HEVC encoder."),
                      ("%s for %dx%d, ctu %d, qp %d", tc_error_string(ret), cfg.width, cfg.height,
                       cfg.ctu_size, cfg.qp));
    return FALSE;
  }

  if (self->input_state)
    gst_video_codec_state_unref(self->input_state);
  self->input_state = gst_video_codec_state_ref(state);
  self->output_capacity = MIN_OUTPUT_CAPACITY;

  GstCaps *caps = gst_caps_from_string(
      "video/x-h265, stream-format = (string) byte-stream, alignment = (string) au, "
      "profile = (string) main");
  GstVideoCodecState *out = gst_video_encoder_set_output_state(encoder, caps, state);
  gst_video_codec_state_unref(out);

  /* Every picture is output by the call that takes it in. */
  gst_video_encoder_set_latency(encoder, 0, 0);
  return gst_video_encoder_negotiate(encoder);
}

/* The first NAL unit's type: an IDR access unit starts with its VPS. */
static bool starts_idr(const guint8 *data, gsize size) {
  gsize i = 0;
  while (i + 3 < size && !(data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1))
    i++;
  if (i + 3 >= size)
    return false;
  const int nal_type = (data[i + 3] >> 1) & 0x3f;
  /* H.265 Table 7-1: 32 VPS, 19/20 IDR. */
  return nal_type == 32 || nal_type == 19 || nal_type == 20;
}

static GstFlowReturn gst_quad_h265_enc_handle_frame(GstVideoEncoder *encoder,
                                                    GstVideoCodecFrame *frame) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  if (!self->encoder) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first frame."), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME(frame))
    tc_request_idr(self->encoder);

  GstVideoFrame vframe;
  if (!gst_video_frame_map(&vframe, &self->input_state->info, frame->input_buffer, GST_MAP_READ)) {
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Could not map an input frame."), (nullptr));
    return GST_FLOW_ERROR;
  }

  int written = TC_ERROR_BUFFER_TOO_SMALL;
  while (written == TC_ERROR_BUFFER_TOO_SMALL) {
    frame->output_buffer = gst_video_encoder_allocate_output_buffer(encoder, self->output_capacity);
    GstMapInfo map;
    gst_buffer_map(frame->output_buffer, &map, GST_MAP_WRITE);
    if (GST_VIDEO_FRAME_FORMAT(&vframe) == GST_VIDEO_FORMAT_NV12) {
      written = tc_process_frame_nv12(
          self->encoder, static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, 0)),
          GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, 0),
          static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, 1)),
          GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, 1), map.data, map.size);
    } else {
      const uint8_t *planes[3];
      ptrdiff_t strides[3];
      for (int p = 0; p < 3; p++) {
        planes[p] = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p));
        strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p);
      }
      written = tc_process_frame(self->encoder, planes, strides, map.data, map.size);
    }
    gst_buffer_unmap(frame->output_buffer, &map);
    if (written == TC_ERROR_BUFFER_TOO_SMALL) {
      gst_clear_buffer(&frame->output_buffer);
      self->output_capacity =
          std::max(self->output_capacity * 2, tc_last_required_size(self->encoder));
    }
  }
  gst_video_frame_unmap(&vframe);

  if (written < 0) {
    gst_clear_buffer(&frame->output_buffer);
    gst_video_encoder_finish_frame(encoder, frame);
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("The HEVC encoder failed."),
                      ("%s", tc_error_string(written)));
    return GST_FLOW_ERROR;
  }

  gst_buffer_set_size(frame->output_buffer, static_cast<gsize>(written));
  /* Leave room for the next access unit to grow a little. */
  self->output_capacity = std::max(self->output_capacity, static_cast<gsize>(written) * 3 / 2);

  GstMapInfo map;
  gst_buffer_map(frame->output_buffer, &map, GST_MAP_READ);
  if (starts_idr(map.data, map.size))
    GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT(frame);
  gst_buffer_unmap(frame->output_buffer, &map);

  return gst_video_encoder_finish_frame(encoder, frame);
}

static gboolean gst_quad_h265_enc_propose_allocation(GstVideoEncoder *encoder, GstQuery *query) {
  /* The encoder reads each frame in place and holds none after the call. */
  if (!gst_quad_propose_video_allocation(query, 1))
    return FALSE;
  return GST_VIDEO_ENCODER_CLASS(parent_class)->propose_allocation(encoder, query);
}

static gboolean gst_quad_h265_enc_stop(GstVideoEncoder *encoder) {
  auto *self = GST_QUAD_H265_ENC(encoder);
  close_encoder(self);
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
  case PROP_CTU_SIZE: {
    const guint size = g_value_get_uint(value);
    if (size == 16 || size == 32 || size == 64)
      self->ctu_size = size;
    else
      GST_WARNING_OBJECT(self, "ctu-size %u is not 16, 32 or 64, keeping %u", size, self->ctu_size);
    break;
  }
  case PROP_DEBLOCKING:
    self->deblocking = g_value_get_boolean(value);
    break;
  default:
    if (prop_id < PROP_SHARED_FIRST ||
        !gst_quad_encoder_settings_set(&self->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_h265_enc_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_QUAD_H265_ENC(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CTU_SIZE:
    g_value_set_uint(value, self->ctu_size);
    break;
  case PROP_DEBLOCKING:
    g_value_set_boolean(value, self->deblocking);
    break;
  default:
    if (prop_id < PROP_SHARED_FIRST ||
        !gst_quad_encoder_settings_get(&self->settings, prop_id - PROP_SHARED_FIRST, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_h265_enc_class_init(GstQuadH265EncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *encoder_class = GST_VIDEO_ENCODER_CLASS(klass);

  gobject_class->set_property = gst_quad_h265_enc_set_property;
  gobject_class->get_property = gst_quad_h265_enc_get_property;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_CTU_SIZE,
      g_param_spec_uint("ctu-size", "CTU size",
                        "Coding tree unit size in luma samples: 16, 32 or 64", 16, 64,
                        DEFAULT_CTU_SIZE, rw));
  g_object_class_install_property(gobject_class, PROP_DEBLOCKING,
                                  g_param_spec_boolean("deblocking", "Deblocking",
                                                       "Apply the in-loop deblocking filter",
                                                       DEFAULT_DEBLOCKING, rw));
  gst_quad_encoder_install_properties(gobject_class, PROP_SHARED_FIRST,
                                      static_cast<GParamFlags>(GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata(
      element_class, "Quad H.265 encoder", "Codec/Encoder/Video",
      "Low-latency HEVC (Main, 8-bit 4:2:0) encoder with decoded-picture-hash SEI",
      "gst-quad developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  encoder_class->set_format = gst_quad_h265_enc_set_format;
  encoder_class->handle_frame = gst_quad_h265_enc_handle_frame;
  encoder_class->propose_allocation = gst_quad_h265_enc_propose_allocation;
  encoder_class->stop = gst_quad_h265_enc_stop;

  GST_DEBUG_CATEGORY_INIT(gst_quad_h265_enc_debug, "quadh265enc", 0, "quad HEVC encoder");
}

static void gst_quad_h265_enc_init(GstQuadH265Enc *self) {
  gst_quad_encoder_settings_init(&self->settings);
  self->ctu_size = DEFAULT_CTU_SIZE;
  self->deblocking = DEFAULT_DEBLOCKING;
  self->output_capacity = MIN_OUTPUT_CAPACITY;
}
