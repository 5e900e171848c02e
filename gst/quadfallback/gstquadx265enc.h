#pragma once

#include "gstquadfallbackenc.h"

G_BEGIN_DECLS

#define GST_TYPE_QUAD_X265_ENC (gst_quad_x265_enc_get_type())
G_DECLARE_FINAL_TYPE(GstQuadX265Enc, gst_quad_x265_enc, GST, QUAD_X265_ENC, GstQuadFallbackEnc)

GST_ELEMENT_REGISTER_DECLARE(quadx265enc);

G_END_DECLS
