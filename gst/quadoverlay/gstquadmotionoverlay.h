#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_MOTION_OVERLAY (gst_quad_motion_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstQuadMotionOverlay, gst_quad_motion_overlay, GST, QUAD_MOTION_OVERLAY,
                     GstVideoFilter)

/* Which motion meta to draw, as the `source` property takes it. */
typedef enum {
  GST_QUAD_MOTION_OVERLAY_SOURCE_FIRST = 0,
  GST_QUAD_MOTION_OVERLAY_SOURCE_GROUND_TRUTH = 1,
  GST_QUAD_MOTION_OVERLAY_SOURCE_ESTIMATE = 2,
  GST_QUAD_MOTION_OVERLAY_SOURCE_ENCODER = 3,
} GstQuadMotionOverlaySource;

/* How vectors are drawn. */
typedef enum {
  GST_QUAD_MOTION_OVERLAY_VECTORS_NONE = 0,
  GST_QUAD_MOTION_OVERLAY_VECTORS_ARROWS = 1,
  GST_QUAD_MOTION_OVERLAY_VECTORS_COLOR_WHEEL = 2,
} GstQuadMotionOverlayVectors;

/* Which block statistic of the analysis meta is shaded. */
typedef enum {
  GST_QUAD_MOTION_OVERLAY_HEATMAP_NONE = 0,
  GST_QUAD_MOTION_OVERLAY_HEATMAP_VARIANCE = 1,
  GST_QUAD_MOTION_OVERLAY_HEATMAP_EDGES = 2,
} GstQuadMotionOverlayHeatmap;

#define GST_TYPE_QUAD_MOTION_OVERLAY_SOURCE (gst_quad_motion_overlay_source_get_type())
GType gst_quad_motion_overlay_source_get_type(void);
#define GST_TYPE_QUAD_MOTION_OVERLAY_VECTORS (gst_quad_motion_overlay_vectors_get_type())
GType gst_quad_motion_overlay_vectors_get_type(void);
#define GST_TYPE_QUAD_MOTION_OVERLAY_HEATMAP (gst_quad_motion_overlay_heatmap_get_type())
GType gst_quad_motion_overlay_heatmap_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(quadmotionoverlay);

G_END_DECLS
