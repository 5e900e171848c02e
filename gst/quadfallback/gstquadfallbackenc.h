/* GstQuadFallbackEnc: the GstVideoEncoder both quadx264enc and quadx265enc
 * derive from; a subclass only names its codec, caps and metadata. */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_FALLBACK_ENC (gst_quad_fallback_enc_get_type())
G_DECLARE_DERIVABLE_TYPE(GstQuadFallbackEnc, gst_quad_fallback_enc, GST, QUAD_FALLBACK_ENC,
                         GstVideoEncoder)

typedef enum {
  GST_QUAD_FALLBACK_CODEC_H264,
  GST_QUAD_FALLBACK_CODEC_H265,
} GstQuadFallbackCodec;

struct _GstQuadFallbackEncClass {
  GstVideoEncoderClass parent_class;
  GstQuadFallbackCodec codec;
};

G_END_DECLS
