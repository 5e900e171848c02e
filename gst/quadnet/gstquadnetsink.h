#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_NET_SINK (gst_quad_net_sink_get_type())
G_DECLARE_FINAL_TYPE(GstQuadNetSink, gst_quad_net_sink, GST, QUAD_NET_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE(quadnetsink);

G_END_DECLS
