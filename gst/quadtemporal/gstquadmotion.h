#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_MOTION (gst_quad_motion_get_type())
G_DECLARE_FINAL_TYPE(GstQuadMotion, gst_quad_motion, GST, QUAD_MOTION, GstBaseTransform)

typedef enum {
  GST_QUAD_MOTION_PATTERN_DIAMOND = 0,
  GST_QUAD_MOTION_PATTERN_HEXAGON = 1,
} GstQuadMotionPattern;

typedef enum {
  GST_QUAD_MOTION_BACKEND_AUTO = 0,
  GST_QUAD_MOTION_BACKEND_CPU = 1,
  GST_QUAD_MOTION_BACKEND_CUDA = 2,
  GST_QUAD_MOTION_BACKEND_HIP = 3,
} GstQuadMotionBackend;

#define GST_TYPE_QUAD_MOTION_PATTERN (gst_quad_motion_pattern_get_type())
GType gst_quad_motion_pattern_get_type(void);
#define GST_TYPE_QUAD_MOTION_BACKEND (gst_quad_motion_backend_get_type())
GType gst_quad_motion_backend_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(quadmotion);

G_END_DECLS
