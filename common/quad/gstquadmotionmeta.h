/* GstQuadMotionMeta: block motion vectors that travel with a video frame.
 *
 * The frame is divided into a grid of `cols` x `rows` blocks of
 * `block_width` x `block_height` luma samples (the last column and row may
 * reach past the frame edge). For each block, in raster order, `vectors`
 * holds one GstQuadMotionVector: the displacement, in quarter luma samples,
 * from where the block's content was in the reference frame to where it is in
 * this frame. A block at (x, y) in this frame matches the reference frame at
 * (x - mv_x / 4, y - mv_y / 4). The reference is the frame `ref_distance`
 * frames earlier in presentation order (1 = the previous frame).
 *
 * Producers: quadcapturesrc (ground-truth=true: the true motion of its
 * synthetic scenes), quadmotion (estimated motion). Consumers: quadh265enc,
 * applications.
 *
 * The meta carries the tags "video" and "size". When an element scales the
 * frame (videoscale, videoconvertscale), the grid keeps its columns and rows,
 * and block sizes and vectors are scaled with it; a copy keeps everything.
 *
 * Reading it from an application:
 *
 *   GstQuadMotionMeta *m = gst_buffer_get_quad_motion_meta (buffer);
 *   for (guint r = 0; r < m->rows; r++)
 *     for (guint c = 0; c < m->cols; c++) {
 *       const GstQuadMotionVector *v = gst_quad_motion_meta_get (m, c, r);
 *       if (!(v->flags & GST_QUAD_MOTION_FLAG_NO_REFERENCE))
 *         use (v->mv_x / 4.0, v->mv_y / 4.0);
 *     }
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GST_QUAD_MOTION_FLAG_NONE = 0,
  /* An intra (spatial) prediction beats every motion-compensated one. */
  GST_QUAD_MOTION_FLAG_INTRA_BETTER = 1 << 0,
  /* The block's content is not visible in the reference frame (covered,
   * uncovered, or entering at the edge): its vector means nothing. */
  GST_QUAD_MOTION_FLAG_OCCLUDED = 1 << 1,
  /* The vector is the true motion, known by construction. */
  GST_QUAD_MOTION_FLAG_GROUND_TRUTH = 1 << 2,
  /* There is no reference frame (first frame, scene cut, discontinuity):
   * the vector is zero. */
  GST_QUAD_MOTION_FLAG_NO_REFERENCE = 1 << 3,
} GstQuadMotionFlags;

typedef struct {
  gint16 mv_x;  /* quarter luma samples, positive to the right */
  gint16 mv_y;  /* quarter luma samples, positive downwards */
  guint32 cost; /* matching cost at this vector (SAD or SATD + rate), 0 if unknown */
  guint8 flags; /* GstQuadMotionFlags */
  guint8 reserved[3];
} GstQuadMotionVector;

typedef struct {
  GstMeta meta;

  guint block_width;  /* luma samples */
  guint block_height; /* luma samples */
  guint cols;
  guint rows;
  guint ref_distance;           /* frames back to the reference; 0 = no reference */
  GstQuadMotionVector *vectors; /* cols * rows, raster order */
} GstQuadMotionMeta;

#define GST_QUAD_MOTION_META_API_TYPE (gst_quad_motion_meta_api_get_type())
#define GST_QUAD_MOTION_META_INFO (gst_quad_motion_meta_get_info())

GType gst_quad_motion_meta_api_get_type(void);
const GstMetaInfo *gst_quad_motion_meta_get_info(void);

/* Adds a meta with a zeroed cols x rows grid (flags NO_REFERENCE cleared).
 * Returns NULL when the grid is empty or absurd (more than 2^24 blocks). */
GstQuadMotionMeta *gst_buffer_add_quad_motion_meta(GstBuffer *buffer, guint block_width,
                                                   guint block_height, guint cols, guint rows,
                                                   guint ref_distance);

#define gst_buffer_get_quad_motion_meta(b)                                                         \
  ((GstQuadMotionMeta *)gst_buffer_get_meta((b), GST_QUAD_MOTION_META_API_TYPE))

/* The vector of block (col, row); NULL outside the grid. */
GstQuadMotionVector *gst_quad_motion_meta_get(GstQuadMotionMeta *meta, guint col, guint row);

G_END_DECLS
