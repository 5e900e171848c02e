#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_QUAD_PREPROC (gst_quad_preproc_get_type())
G_DECLARE_FINAL_TYPE(GstQuadPreproc, gst_quad_preproc, GST, QUAD_PREPROC, GstVideoFilter)

/**
 * GstQuadPreprocMethod:
 * @GST_QUAD_PREPROC_METHOD_BILINEAR: triangle filter, widened on reductions
 * @GST_QUAD_PREPROC_METHOD_BICUBIC: Catmull-Rom cubic, widened on reductions
 * @GST_QUAD_PREPROC_METHOD_AREA: exact pixel-area average, for 2:1 and larger reductions
 *
 * How quadpreproc scales.
 */
typedef enum {
  GST_QUAD_PREPROC_METHOD_BILINEAR,
  GST_QUAD_PREPROC_METHOD_BICUBIC,
  GST_QUAD_PREPROC_METHOD_AREA,
} GstQuadPreprocMethod;

#define GST_TYPE_QUAD_PREPROC_METHOD (gst_quad_preproc_method_get_type())
GType gst_quad_preproc_method_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(quadpreproc);

G_END_DECLS
