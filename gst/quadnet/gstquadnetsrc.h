#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_NET_SRC (gst_quad_net_src_get_type())
G_DECLARE_FINAL_TYPE(GstQuadNetSrc, gst_quad_net_src, GST, QUAD_NET_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(quadnetsrc);

G_END_DECLS
