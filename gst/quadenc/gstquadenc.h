#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_ENC (gst_quad_enc_get_type())
G_DECLARE_FINAL_TYPE(GstQuadEnc, gst_quad_enc, GST, QUAD_ENC, GstBin)

GST_ELEMENT_REGISTER_DECLARE(quadenc);

G_END_DECLS
