/**
 * SECTION:element-quadx265enc
 * @title: quadx265enc
 *
 * H.265 encoder for live work on libx265, linked directly (GPL): no
 * B-frames, no lookahead, zero-latency tuning and wavefront parallel
 * processing, so each access unit leaves with the call that took its
 * picture; the latency query
 * answers what x265's effective settings let it hold. The encoder reads the
 * mapped luma plane in place, and the chroma planes too for I420 (NV12
 * chroma is split into U and V first, since x265 reads planar 4:2:0 only).
 *
 * Properties are the set every gst-quad encoder shares (rate-control,
 * bitrate, qp, vbv-buffer-ms, key-int-max, speed-preset, threads,
 * intra-refresh), so quadenc can move a stream between encoders; bitrate,
 * qp, vbv-buffer-ms, key-int-max and speed-preset may change in PLAYING and
 * apply from the next picture (libx265 3.5 keeps its old rate through its
 * reconfigure call, so a new bitrate or vbv-buffer-ms starts a new x265 at
 * an IDR on the next picture, none lost). Pictures smaller than the preset's
 * CTU get a CTU that fits (down to 16); sizes are even (4:2:0). key-int-max=0 is automatic (250),
 * and `tune` and `option-string` are x264enc's and x265enc's. Downstream caps choose the stream
 * format (byte-stream, or hvc1 or hev1 with codec_data) and the profile (main, or main-10 for
 * I420_10LE); a profile the encoder cannot code fails negotiation. A GstQuadAnalysisMeta on a frame
 * adds QP offsets from its block variance (cbr and vbr) and turns a scene cut into an IDR.
 * `realtime=true` steps the preset down when encoding falls behind the frame rate and back up when
 * there is headroom.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc num-buffers=300 ! \
 *     video/x-raw,width=1280,height=720,framerate=30/1 ! \
 *     quadx265enc bitrate=3000 ! mp4mux ! filesink location=out.mp4
 * gst-launch-1.0 quadcapturesrc ! video/x-raw,format=NV12,width=1920,height=1080 ! \
 *     quadx265enc realtime=true rate-control=cqp qp=26 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadx265enc.h"

struct _GstQuadX265Enc {
  GstQuadFallbackEnc parent;
};

G_DEFINE_TYPE(GstQuadX265Enc, gst_quad_x265_enc, GST_TYPE_QUAD_FALLBACK_ENC);
/* Secondary, under x265enc's primary: an autoplugger keeps GStreamer's own
 * encoder, and a pipeline that wants this one names it. */
GST_ELEMENT_REGISTER_DEFINE(quadx265enc, "quadx265enc", GST_RANK_SECONDARY, GST_TYPE_QUAD_X265_ENC);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, NV12, I420_10LE }, "
                    "width = (int) [ 16, 16384, 2 ], height = (int) [ 16, 16384, 2 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h265, stream-format = (string) { byte-stream, hvc1, "
                    "hev1 }, alignment = (string) au, profile = (string) "
                    "{ main, main-10 }"));

static void gst_quad_x265_enc_class_init(GstQuadX265EncClass *klass) {
  auto *element_class = GST_ELEMENT_CLASS(klass);
  GST_QUAD_FALLBACK_ENC_CLASS(klass)->codec = GST_QUAD_FALLBACK_CODEC_H265;
  gst_element_class_set_static_metadata(
      element_class, "Quad x265 H.265 encoder", "Codec/Encoder/Video",
      "Low-latency H.265 encoder on libx265: zero-copy input, real latency, meta-driven AQ, "
      "real-time guard",
      "gst-quad developers");
  gst_element_class_add_static_metadata(element_class, GST_ELEMENT_METADATA_DOC_URI,
                                        GST_PACKAGE_ORIGIN
                                        "/blob/main/docs/elements/quadx265enc.md");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
}

static void gst_quad_x265_enc_init(GstQuadX265Enc *) {}
