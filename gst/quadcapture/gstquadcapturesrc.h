#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_CAPTURE_SRC (gst_quad_capture_src_get_type())
G_DECLARE_FINAL_TYPE(GstQuadCaptureSrc, gst_quad_capture_src, GST, QUAD_CAPTURE_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(quadcapturesrc);

G_END_DECLS
