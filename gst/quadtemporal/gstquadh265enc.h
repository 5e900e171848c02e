#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideoencoder.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_H265_ENC (gst_quad_h265_enc_get_type())
G_DECLARE_FINAL_TYPE(GstQuadH265Enc, gst_quad_h265_enc, GST, QUAD_H265_ENC, GstVideoEncoder)

GST_ELEMENT_REGISTER_DECLARE(quadh265enc);

G_END_DECLS
