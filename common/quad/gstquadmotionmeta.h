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
 * Each meta says where its vectors come from (GstQuadMotionSource): the
 * ground truth of a synthetic scene (quadcapturesrc ground-truth=true), an
 * estimate (quadmotion), or an encoder's own decisions. A frame may carry one
 * of each; gst_buffer_get_quad_motion_meta() returns the first one added,
 * whatever its source, so a reader that wants one source asks for it with
 * gst_buffer_get_quad_motion_meta_by_source(). Consumers: quadh265enc,
 * quadmotionoverlay, applications.
 *
 * The meta carries the tags "video" and "size". When an element scales the
 * frame (videoscale, videoconvertscale), the grid keeps its columns and rows,
 * and block sizes and vectors are scaled with it; a copy keeps everything.
 *
 * Reading it from C:
 *
 *   GstQuadMotionMeta *m =
 *       gst_buffer_get_quad_motion_meta_by_source (buffer, GST_QUAD_MOTION_SOURCE_ESTIMATE);
 *   for (guint r = 0; r < m->rows; r++)
 *     for (guint c = 0; c < m->cols; c++) {
 *       const GstQuadMotionVector *v = gst_quad_motion_meta_get (m, c, r);
 *       if (!(v->flags & GST_QUAD_MOTION_FLAG_NO_REFERENCE))
 *         use (v->mv_x / 4.0, v->mv_y / 4.0);
 *     }
 *
 * From a language binding (GObject-Introspection namespace GstQuad), the
 * accessors by block index (row * cols + col) stand in for the array:
 *
 *   m = GstQuad.buffer_get_quad_motion_meta_by_source(buf, GstQuad.MotionSource.ESTIMATE)
 *   ok, mv_x, mv_y = m.get_mv(i)
 *   flags = m.get_flags(i)
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

/* Where a meta's vectors come from. */
typedef enum {
  /* The true motion, known by construction (a synthetic scene). */
  GST_QUAD_MOTION_SOURCE_GROUND_TRUTH = 1,
  /* A motion search on the pictures (quadmotion). */
  GST_QUAD_MOTION_SOURCE_ESTIMATE = 2,
  /* The vectors an encoder chose for its inter blocks. */
  GST_QUAD_MOTION_SOURCE_ENCODER = 3,
} GstQuadMotionSource;

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
  /* 0 when the producer did not say: read it with gst_quad_motion_meta_get_source(). */
  GstQuadMotionSource source;
} GstQuadMotionMeta;

#define GST_QUAD_MOTION_META_API_TYPE (gst_quad_motion_meta_api_get_type())
#define GST_QUAD_MOTION_META_INFO (gst_quad_motion_meta_get_info())

GType gst_quad_motion_meta_api_get_type(void);
const GstMetaInfo *gst_quad_motion_meta_get_info(void);

/* Adds a meta with a zeroed cols x rows grid, its source not stated (see
 * gst_quad_motion_meta_get_source()). Returns NULL when the grid is empty or
 * absurd (more than 2^24 blocks). */
GstQuadMotionMeta *gst_buffer_add_quad_motion_meta(GstBuffer *buffer, guint block_width,
                                                   guint block_height, guint cols, guint rows,
                                                   guint ref_distance);

/* The same, stating where the vectors come from. */
GstQuadMotionMeta *gst_buffer_add_quad_motion_meta_full(GstBuffer *buffer,
                                                        GstQuadMotionSource source,
                                                        guint block_width, guint block_height,
                                                        guint cols, guint rows, guint ref_distance);

/* The first motion meta added to buffer, whatever its source; NULL if none. */
GstQuadMotionMeta *gst_buffer_get_quad_motion_meta(GstBuffer *buffer);

/* The first motion meta of buffer from source; NULL if none. */
GstQuadMotionMeta *gst_buffer_get_quad_motion_meta_by_source(GstBuffer *buffer,
                                                             GstQuadMotionSource source);

/* Where the vectors come from. A meta added without a source counts as
 * ground truth when its first vector has GST_QUAD_MOTION_FLAG_GROUND_TRUTH,
 * as an estimate otherwise. */
GstQuadMotionSource gst_quad_motion_meta_get_source(const GstQuadMotionMeta *meta);

/* The vector of block (col, row); NULL outside the grid. */
GstQuadMotionVector *gst_quad_motion_meta_get(GstQuadMotionMeta *meta, guint col, guint row);

/* Accessors by block index (row * cols + col), for language bindings. */
guint gst_quad_motion_meta_get_n_blocks(const GstQuadMotionMeta *meta);
gboolean gst_quad_motion_meta_get_mv(const GstQuadMotionMeta *meta, guint index, gint *mv_x,
                                     gint *mv_y);
guint gst_quad_motion_meta_get_cost(const GstQuadMotionMeta *meta, guint index);
GstQuadMotionFlags gst_quad_motion_meta_get_flags(const GstQuadMotionMeta *meta, guint index);

G_END_DECLS
