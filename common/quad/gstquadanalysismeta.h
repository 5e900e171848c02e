/* GstQuadAnalysisMeta: what quadpreproc measured about a frame, for the
 * stages after it (rate control, adaptive quantisation, motion search).
 *
 * Per block of `block_width` x `block_height` luma samples, in raster order
 * over a `cols` x `rows` grid (the last column and row may reach past the
 * frame edge and are measured over the samples inside it): the mean and
 * variance of luma and the mean Sobel gradient magnitude (edge energy).
 * Per frame: a complexity figure, a scene-change score against the previous
 * frame and the scene-cut decision. Optionally a reference to a GstBuffer
 * holding the 2:1 luma pyramid (levels 1..pyramid_levels, each a GRAY8 plane
 * described by a GstVideoMeta with id = level), so motion search need not
 * compute it again.
 *
 * Tags "video" and "size": a scaled copy keeps the statistics per block, with
 * block sizes scaled and the pyramid dropped (it no longer matches).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  guint8 mean; /* mean luma, rounded */
  guint8 reserved;
  guint16 variance;    /* luma variance, rounded, saturated at 65535 */
  guint32 edge_energy; /* mean Sobel |gx| + |gy| over the block */
} GstQuadBlockStats;

typedef struct {
  GstMeta meta;

  guint block_width;  /* luma samples */
  guint block_height; /* luma samples */
  guint cols;
  guint rows;
  GstQuadBlockStats *blocks; /* cols * rows, raster order */

  gdouble complexity;         /* mean block variance, a rate-control hint */
  gdouble scene_change_score; /* 0 (same scene) .. 1 (unrelated frames) */
  gboolean scene_cut;         /* score above the producer's threshold */

  GstBuffer *pyramid; /* nullable, owned: see above */
  guint pyramid_levels;
} GstQuadAnalysisMeta;

#define GST_QUAD_ANALYSIS_META_API_TYPE (gst_quad_analysis_meta_api_get_type())
#define GST_QUAD_ANALYSIS_META_INFO (gst_quad_analysis_meta_get_info())

GType gst_quad_analysis_meta_api_get_type(void);
const GstMetaInfo *gst_quad_analysis_meta_get_info(void);

/* Adds a meta with a zeroed cols x rows grid. NULL when the grid is empty or
 * absurd (more than 2^24 blocks). */
GstQuadAnalysisMeta *gst_buffer_add_quad_analysis_meta(GstBuffer *buffer, guint block_width,
                                                       guint block_height, guint cols, guint rows);

/* The analysis meta of buffer; NULL if none. */
GstQuadAnalysisMeta *gst_buffer_get_quad_analysis_meta(GstBuffer *buffer);

/* Takes a reference to pyramid (replacing any earlier one). */
void gst_quad_analysis_meta_set_pyramid(GstQuadAnalysisMeta *meta, GstBuffer *pyramid,
                                        guint levels);

/* Block index (row * cols + col) statistics, for language bindings; FALSE
 * (and zeros) outside the grid. */
guint gst_quad_analysis_meta_get_n_blocks(const GstQuadAnalysisMeta *meta);
gboolean gst_quad_analysis_meta_get_block(const GstQuadAnalysisMeta *meta, guint index, guint *mean,
                                          guint *variance, guint *edge_energy);

G_END_DECLS
