#pragma once

#include "gstquadfallbackenc.h"

G_BEGIN_DECLS

#define GST_TYPE_QUAD_X264_ENC (gst_quad_x264_enc_get_type())
G_DECLARE_FINAL_TYPE(GstQuadX264Enc, gst_quad_x264_enc, GST, QUAD_X264_ENC, GstQuadFallbackEnc)

GST_ELEMENT_REGISTER_DECLARE(quadx264enc);

G_END_DECLS
