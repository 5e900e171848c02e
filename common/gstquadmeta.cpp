/* GstQuadMotionMeta and GstQuadAnalysisMeta: registration and transforms.
 * Both are a block grid with one record per block; the grid logic is shared. */
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadmotionmeta.h"

#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace {

constexpr guint64 kMaxBlocks = 1u << 24;

bool grid_is_sane(guint block_width, guint block_height, guint cols, guint rows) {
  return block_width > 0 && block_height > 0 && cols > 0 && rows > 0 &&
         static_cast<guint64>(cols) * rows <= kMaxBlocks;
}

const gchar *grid_tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_SIZE_STR, nullptr};

/* Scale factors of a GstVideoMetaTransform, or false when it is not one. */
bool scale_factors(GQuark type, gpointer data, double &sx, double &sy) {
  if (!GST_VIDEO_META_TRANSFORM_IS_SCALE(type))
    return false;
  auto *trans = static_cast<GstVideoMetaTransform *>(data);
  const int in_w = GST_VIDEO_INFO_WIDTH(trans->in_info);
  const int in_h = GST_VIDEO_INFO_HEIGHT(trans->in_info);
  if (in_w <= 0 || in_h <= 0)
    return false;
  sx = static_cast<double>(GST_VIDEO_INFO_WIDTH(trans->out_info)) / in_w;
  sy = static_cast<double>(GST_VIDEO_INFO_HEIGHT(trans->out_info)) / in_h;
  return true;
}

guint scale_size(guint size, double factor) {
  return std::max(1u, static_cast<guint>(std::lround(size * factor)));
}

gint16 scale_component(gint16 value, double factor) {
  const long scaled = std::lround(value * factor);
  return static_cast<gint16>(std::clamp<long>(scaled, G_MININT16, G_MAXINT16));
}

/* ---- GstQuadMotionMeta ---- */

gboolean motion_meta_init(GstMeta *meta, gpointer, GstBuffer *) {
  auto *m = reinterpret_cast<GstQuadMotionMeta *>(meta);
  m->block_width = m->block_height = m->cols = m->rows = m->ref_distance = 0;
  m->vectors = nullptr;
  m->source = static_cast<GstQuadMotionSource>(0);
  return TRUE;
}

void motion_meta_free(GstMeta *meta, GstBuffer *) {
  auto *m = reinterpret_cast<GstQuadMotionMeta *>(meta);
  g_free(m->vectors);
  m->vectors = nullptr;
}

gboolean motion_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *, GQuark type,
                               gpointer data) {
  auto *src = reinterpret_cast<GstQuadMotionMeta *>(meta);
  double sx = 1.0, sy = 1.0;
  const bool scale = scale_factors(type, data, sx, sy);
  if (!scale && !GST_META_TRANSFORM_IS_COPY(type))
    return FALSE;

  GstQuadMotionMeta *dst = gst_buffer_add_quad_motion_meta_full(
      dest, src->source, scale_size(src->block_width, sx), scale_size(src->block_height, sy),
      src->cols, src->rows, src->ref_distance);
  if (!dst)
    return FALSE;
  const size_t n = static_cast<size_t>(src->cols) * src->rows;
  memcpy(dst->vectors, src->vectors, n * sizeof(GstQuadMotionVector));
  if (scale) {
    for (size_t i = 0; i < n; i++) {
      dst->vectors[i].mv_x = scale_component(src->vectors[i].mv_x, sx);
      dst->vectors[i].mv_y = scale_component(src->vectors[i].mv_y, sy);
    }
  }
  return TRUE;
}

/* ---- GstQuadAnalysisMeta ---- */

gboolean analysis_meta_init(GstMeta *meta, gpointer, GstBuffer *) {
  auto *m = reinterpret_cast<GstQuadAnalysisMeta *>(meta);
  m->block_width = m->block_height = m->cols = m->rows = 0;
  m->blocks = nullptr;
  m->complexity = m->scene_change_score = 0.0;
  m->scene_cut = FALSE;
  m->pyramid = nullptr;
  m->pyramid_levels = 0;
  return TRUE;
}

void analysis_meta_free(GstMeta *meta, GstBuffer *) {
  auto *m = reinterpret_cast<GstQuadAnalysisMeta *>(meta);
  g_free(m->blocks);
  m->blocks = nullptr;
  gst_clear_buffer(&m->pyramid);
}

gboolean analysis_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *, GQuark type,
                                 gpointer data) {
  auto *src = reinterpret_cast<GstQuadAnalysisMeta *>(meta);
  double sx = 1.0, sy = 1.0;
  const bool scale = scale_factors(type, data, sx, sy);
  if (!scale && !GST_META_TRANSFORM_IS_COPY(type))
    return FALSE;

  GstQuadAnalysisMeta *dst =
      gst_buffer_add_quad_analysis_meta(dest, scale_size(src->block_width, sx),
                                        scale_size(src->block_height, sy), src->cols, src->rows);
  if (!dst)
    return FALSE;
  memcpy(dst->blocks, src->blocks,
         static_cast<size_t>(src->cols) * src->rows * sizeof(GstQuadBlockStats));
  dst->complexity = src->complexity;
  dst->scene_change_score = src->scene_change_score;
  dst->scene_cut = src->scene_cut;
  if (!scale && src->pyramid)
    gst_quad_analysis_meta_set_pyramid(dst, src->pyramid, src->pyramid_levels);
  return TRUE;
}

} // namespace

GType gst_quad_motion_meta_api_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GstQuadMotionMetaAPI", grid_tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo *gst_quad_motion_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo *i = gst_meta_register(GST_QUAD_MOTION_META_API_TYPE, "GstQuadMotionMeta",
                                             sizeof(GstQuadMotionMeta), motion_meta_init,
                                             motion_meta_free, motion_meta_transform);
    g_once_init_leave(&info, i);
  }
  return info;
}

/**
 * gst_buffer_add_quad_motion_meta: (skip)
 *
 * Adds a zeroed motion meta whose source is not stated; see
 * gst_buffer_add_quad_motion_meta_full().
 */
GstQuadMotionMeta *gst_buffer_add_quad_motion_meta(GstBuffer *buffer, guint block_width,
                                                   guint block_height, guint cols, guint rows,
                                                   guint ref_distance) {
  return gst_buffer_add_quad_motion_meta_full(buffer, static_cast<GstQuadMotionSource>(0),
                                              block_width, block_height, cols, rows, ref_distance);
}

/**
 * gst_buffer_add_quad_motion_meta_full:
 * @buffer: a #GstBuffer
 * @source: where the vectors will come from
 * @block_width: block width in luma samples
 * @block_height: block height in luma samples
 * @cols: blocks per row
 * @rows: block rows
 * @ref_distance: frames back to the reference, 0 for none
 *
 * Returns: (transfer none) (nullable): a meta with a zeroed grid, or %NULL
 * when the grid is empty or larger than 2^24 blocks.
 */
GstQuadMotionMeta *gst_buffer_add_quad_motion_meta_full(GstBuffer *buffer,
                                                        GstQuadMotionSource source,
                                                        guint block_width, guint block_height,
                                                        guint cols, guint rows,
                                                        guint ref_distance) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  if (!grid_is_sane(block_width, block_height, cols, rows))
    return nullptr;
  auto *m = reinterpret_cast<GstQuadMotionMeta *>(
      gst_buffer_add_meta(buffer, GST_QUAD_MOTION_META_INFO, nullptr));
  if (!m)
    return nullptr;
  m->block_width = block_width;
  m->block_height = block_height;
  m->cols = cols;
  m->rows = rows;
  m->ref_distance = ref_distance;
  m->source = source;
  m->vectors = g_new0(GstQuadMotionVector, static_cast<gsize>(cols) * rows);
  return m;
}

/**
 * gst_buffer_get_quad_motion_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the first motion meta added to
 * @buffer, whatever its source.
 */
GstQuadMotionMeta *gst_buffer_get_quad_motion_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<GstQuadMotionMeta *>(
      gst_buffer_get_meta(buffer, GST_QUAD_MOTION_META_API_TYPE));
}

/**
 * gst_buffer_get_quad_motion_meta_by_source:
 * @buffer: a #GstBuffer
 * @source: the source wanted
 *
 * Returns: (transfer none) (nullable): the first motion meta of @buffer
 * whose vectors come from @source.
 */
GstQuadMotionMeta *gst_buffer_get_quad_motion_meta_by_source(GstBuffer *buffer,
                                                             GstQuadMotionSource source) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  gpointer state = nullptr;
  GstMeta *meta;
  while ((meta = gst_buffer_iterate_meta_filtered(buffer, &state, GST_QUAD_MOTION_META_API_TYPE))) {
    auto *m = reinterpret_cast<GstQuadMotionMeta *>(meta);
    if (gst_quad_motion_meta_get_source(m) == source)
      return m;
  }
  return nullptr;
}

/**
 * gst_quad_motion_meta_get_source:
 * @meta: a #GstQuadMotionMeta
 *
 * A meta added without a source (gst_buffer_add_quad_motion_meta()) counts
 * as ground truth when its first vector is flagged
 * %GST_QUAD_MOTION_FLAG_GROUND_TRUTH, as an estimate otherwise.
 *
 * Returns: where the vectors of @meta come from.
 */
GstQuadMotionSource gst_quad_motion_meta_get_source(const GstQuadMotionMeta *meta) {
  g_return_val_if_fail(meta != nullptr, GST_QUAD_MOTION_SOURCE_ESTIMATE);
  if (meta->source != 0)
    return meta->source;
  if (meta->vectors && (meta->vectors[0].flags & GST_QUAD_MOTION_FLAG_GROUND_TRUTH))
    return GST_QUAD_MOTION_SOURCE_GROUND_TRUTH;
  return GST_QUAD_MOTION_SOURCE_ESTIMATE;
}

/**
 * gst_quad_motion_meta_get: (skip)
 *
 * The vector of block (@col, @row), or %NULL outside the grid.
 */
GstQuadMotionVector *gst_quad_motion_meta_get(GstQuadMotionMeta *meta, guint col, guint row) {
  g_return_val_if_fail(meta != nullptr, nullptr);
  if (col >= meta->cols || row >= meta->rows)
    return nullptr;
  return &meta->vectors[static_cast<gsize>(row) * meta->cols + col];
}

namespace {

const GstQuadMotionVector *motion_at(const GstQuadMotionMeta *meta, guint index) {
  if (!meta->vectors || index >= gst_quad_motion_meta_get_n_blocks(meta))
    return nullptr;
  return &meta->vectors[index];
}

} // namespace

/**
 * gst_quad_motion_meta_get_n_blocks:
 * @meta: a #GstQuadMotionMeta
 *
 * Returns: the number of blocks, cols * rows.
 */
guint gst_quad_motion_meta_get_n_blocks(const GstQuadMotionMeta *meta) {
  g_return_val_if_fail(meta != nullptr, 0);
  return meta->cols * meta->rows;
}

/**
 * gst_quad_motion_meta_get_mv:
 * @meta: a #GstQuadMotionMeta
 * @index: block index, row * cols + col
 * @mv_x: (out) (optional): horizontal displacement in quarter luma samples
 * @mv_y: (out) (optional): vertical displacement in quarter luma samples
 *
 * Returns: %FALSE (and zeros) when @index is outside the grid.
 */
gboolean gst_quad_motion_meta_get_mv(const GstQuadMotionMeta *meta, guint index, gint *mv_x,
                                     gint *mv_y) {
  g_return_val_if_fail(meta != nullptr, FALSE);
  const GstQuadMotionVector *v = motion_at(meta, index);
  if (mv_x)
    *mv_x = v ? v->mv_x : 0;
  if (mv_y)
    *mv_y = v ? v->mv_y : 0;
  return v != nullptr;
}

/**
 * gst_quad_motion_meta_get_cost:
 * @meta: a #GstQuadMotionMeta
 * @index: block index, row * cols + col
 *
 * Returns: the matching cost of the block, 0 when unknown or outside the grid.
 */
guint gst_quad_motion_meta_get_cost(const GstQuadMotionMeta *meta, guint index) {
  g_return_val_if_fail(meta != nullptr, 0);
  const GstQuadMotionVector *v = motion_at(meta, index);
  return v ? v->cost : 0;
}

/**
 * gst_quad_motion_meta_get_flags:
 * @meta: a #GstQuadMotionMeta
 * @index: block index, row * cols + col
 *
 * Returns: the flags of the block, none outside the grid.
 */
GstQuadMotionFlags gst_quad_motion_meta_get_flags(const GstQuadMotionMeta *meta, guint index) {
  g_return_val_if_fail(meta != nullptr, GST_QUAD_MOTION_FLAG_NONE);
  const GstQuadMotionVector *v = motion_at(meta, index);
  return v ? static_cast<GstQuadMotionFlags>(v->flags) : GST_QUAD_MOTION_FLAG_NONE;
}

GType gst_quad_analysis_meta_api_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GstQuadAnalysisMetaAPI", grid_tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo *gst_quad_analysis_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo *i = gst_meta_register(GST_QUAD_ANALYSIS_META_API_TYPE, "GstQuadAnalysisMeta",
                                             sizeof(GstQuadAnalysisMeta), analysis_meta_init,
                                             analysis_meta_free, analysis_meta_transform);
    g_once_init_leave(&info, i);
  }
  return info;
}

/**
 * gst_buffer_add_quad_analysis_meta:
 * @buffer: a #GstBuffer
 * @block_width: block width in luma samples
 * @block_height: block height in luma samples
 * @cols: blocks per row
 * @rows: block rows
 *
 * Returns: (transfer none) (nullable): a meta with a zeroed grid, or %NULL
 * when the grid is empty or larger than 2^24 blocks.
 */
GstQuadAnalysisMeta *gst_buffer_add_quad_analysis_meta(GstBuffer *buffer, guint block_width,
                                                       guint block_height, guint cols, guint rows) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  if (!grid_is_sane(block_width, block_height, cols, rows))
    return nullptr;
  auto *m = reinterpret_cast<GstQuadAnalysisMeta *>(
      gst_buffer_add_meta(buffer, GST_QUAD_ANALYSIS_META_INFO, nullptr));
  if (!m)
    return nullptr;
  m->block_width = block_width;
  m->block_height = block_height;
  m->cols = cols;
  m->rows = rows;
  m->blocks = g_new0(GstQuadBlockStats, static_cast<gsize>(cols) * rows);
  return m;
}

/**
 * gst_buffer_get_quad_analysis_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the analysis meta of @buffer.
 */
GstQuadAnalysisMeta *gst_buffer_get_quad_analysis_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<GstQuadAnalysisMeta *>(
      gst_buffer_get_meta(buffer, GST_QUAD_ANALYSIS_META_API_TYPE));
}

/**
 * gst_quad_analysis_meta_set_pyramid:
 * @meta: a #GstQuadAnalysisMeta
 * @pyramid: (nullable): the luma pyramid, or %NULL to drop it
 * @levels: levels in @pyramid
 */
void gst_quad_analysis_meta_set_pyramid(GstQuadAnalysisMeta *meta, GstBuffer *pyramid,
                                        guint levels) {
  g_return_if_fail(meta != nullptr);
  gst_buffer_replace(&meta->pyramid, pyramid);
  meta->pyramid_levels = pyramid ? levels : 0;
}

/**
 * gst_quad_analysis_meta_get_n_blocks:
 * @meta: a #GstQuadAnalysisMeta
 *
 * Returns: the number of blocks, cols * rows.
 */
guint gst_quad_analysis_meta_get_n_blocks(const GstQuadAnalysisMeta *meta) {
  g_return_val_if_fail(meta != nullptr, 0);
  return meta->cols * meta->rows;
}

/**
 * gst_quad_analysis_meta_get_block:
 * @meta: a #GstQuadAnalysisMeta
 * @index: block index, row * cols + col
 * @mean: (out) (optional): mean luma
 * @variance: (out) (optional): luma variance
 * @edge_energy: (out) (optional): mean Sobel gradient magnitude
 *
 * Returns: %FALSE (and zeros) when @index is outside the grid.
 */
gboolean gst_quad_analysis_meta_get_block(const GstQuadAnalysisMeta *meta, guint index, guint *mean,
                                          guint *variance, guint *edge_energy) {
  g_return_val_if_fail(meta != nullptr, FALSE);
  const bool inside = meta->blocks && index < gst_quad_analysis_meta_get_n_blocks(meta);
  const GstQuadBlockStats none{};
  const GstQuadBlockStats &b = inside ? meta->blocks[index] : none;
  if (mean)
    *mean = b.mean;
  if (variance)
    *variance = b.variance;
  if (edge_energy)
    *edge_energy = b.edge_energy;
  return inside;
}
