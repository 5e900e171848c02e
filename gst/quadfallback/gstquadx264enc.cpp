/**
 * SECTION:element-quadx264enc
 * @title: quadx264enc
 *
 * H.264 encoder for live work on libx264, linked directly (GPL): no
 * B-frames, no lookahead, zero-latency tuning and sliced threads, so each
 * access unit leaves with the call that took its picture; the latency query
 * answers what x264 reports it may hold. The encoder reads the mapped
 * planes of each input frame in place.
 *
 * Properties are the set every gst-quad encoder shares (rate-control,
 * bitrate, qp, vbv-buffer-ms, key-int-max, speed-preset, threads,
 * intra-refresh), so quadenc can move a stream between encoders; bitrate,
 * qp, vbv-buffer-ms, key-int-max and speed-preset may change in PLAYING and
 * apply from the next picture. Sizes are even (4:2:0); what x264 refuses
 * (lossless qp=0 outside High 4:4:4, an option it rejects) stops the start
 * with x264's reason. key-int-max=0 is automatic (250), and
 * `tune` and `option-string` are x264enc's and x265enc's. Downstream caps
 * choose the stream format (byte-stream, or avc with codec_data) and the
 * profile (high, main, constrained-baseline (x264's baseline) or high-10 for I420_10LE); a profile
 * the encoder cannot code fails negotiation. A GstQuadAnalysisMeta on a frame adds QP offsets from
 * its block variance (cbr and vbr) and turns a scene cut into an IDR. `realtime=true` steps the
 * preset down when encoding falls behind the frame rate and back up when
 * there is headroom.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc num-buffers=300 ! \
 *     video/x-raw,width=1280,height=720,framerate=30/1 ! \
 *     quadx264enc bitrate=3000 ! mp4mux ! filesink location=out.mp4
 * gst-launch-1.0 quadcapturesrc ! video/x-raw,format=NV12,width=1920,height=1080 ! \
 *     quadx264enc realtime=true rate-control=cqp qp=26 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadx264enc.h"

struct _GstQuadX264Enc {
  GstQuadFallbackEnc parent;
};

G_DEFINE_TYPE(GstQuadX264Enc, gst_quad_x264_enc, GST_TYPE_QUAD_FALLBACK_ENC);
/* Secondary, under x264enc's primary: an autoplugger keeps GStreamer's own
 * encoder, and a pipeline that wants this one names it. */
GST_ELEMENT_REGISTER_DEFINE(quadx264enc, "quadx264enc", GST_RANK_SECONDARY, GST_TYPE_QUAD_X264_ENC);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, NV12, I420_10LE }, "
                    "width = (int) [ 16, 16384, 2 ], height = (int) [ 16, 16384, 2 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h264, stream-format = (string) { byte-stream, avc }, "
                    "alignment = (string) au, profile = (string) { high, "
                    "main, constrained-baseline, baseline, high-10 }"));

static void gst_quad_x264_enc_class_init(GstQuadX264EncClass *klass) {
  auto *element_class = GST_ELEMENT_CLASS(klass);
  GST_QUAD_FALLBACK_ENC_CLASS(klass)->codec = GST_QUAD_FALLBACK_CODEC_H264;
  gst_element_class_set_static_metadata(
      element_class, "Quad x264 H.264 encoder", "Codec/Encoder/Video",
      "Low-latency H.264 encoder on libx264: zero-copy input, real latency, meta-driven AQ, "
      "real-time guard",
      "gst-quad developers");
  gst_element_class_add_static_metadata(element_class, GST_ELEMENT_METADATA_DOC_URI,
                                        GST_PACKAGE_ORIGIN
                                        "/blob/main/docs/elements/quadx264enc.md");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
}

static void gst_quad_x264_enc_init(GstQuadX264Enc *) {}
