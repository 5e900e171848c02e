#include "quad/gstquadbufferpool.h"

#include "quad/gstquadallocator.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_buffer_pool_debug);
#define GST_CAT_DEFAULT gst_quad_buffer_pool_debug

static void ensure_debug_category() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(gst_quad_buffer_pool_debug, "quadbufferpool", 0,
                            "64-byte aligned video buffer pools");
    g_once_init_leave(&done, 1);
  }
}

void gst_quad_video_alignment_for(const GstVideoInfo *info, GstVideoAlignment *align) {
  gst_video_alignment_reset(align);
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES(info); i++)
    align->stride_align[i] = GST_QUAD_ALLOCATOR_ALIGN - 1;
}

static GstAllocationParams quad_allocation_params() {
  GstAllocationParams params;
  gst_allocation_params_init(&params);
  params.align = GST_QUAD_ALLOCATOR_ALIGN - 1;
  return params;
}

GstBufferPool *gst_quad_video_buffer_pool_new(GstCaps *caps, guint min_buffers, guint max_buffers,
                                              gboolean video_meta, GstAllocator *allocator) {
  ensure_debug_category();
  GstVideoInfo info;
  if (!caps || !gst_video_info_from_caps(&info, caps)) {
    GST_WARNING("cannot make a pool for caps %" GST_PTR_FORMAT, caps);
    return nullptr;
  }
  if (!allocator)
    allocator = gst_quad_allocator_get_default();

  GstBufferPool *pool = gst_video_buffer_pool_new();
  GstStructure *config = gst_buffer_pool_get_config(pool);
  GstAllocationParams params = quad_allocation_params();
  gst_buffer_pool_config_set_params(config, caps, GST_VIDEO_INFO_SIZE(&info), min_buffers,
                                    max_buffers);
  gst_buffer_pool_config_set_allocator(config, allocator, &params);
  if (video_meta) {
    GstVideoAlignment align;
    gst_quad_video_alignment_for(&info, &align);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
    gst_buffer_pool_config_set_video_alignment(config, &align);
  }
  if (!gst_buffer_pool_set_config(pool, config)) {
    GST_WARNING("pool refused its configuration for %" GST_PTR_FORMAT, caps);
    gst_object_unref(pool);
    return nullptr;
  }
  return pool;
}

gboolean gst_quad_decide_video_allocation(GstQuery *query, guint min_buffers,
                                          GstAllocator *allocator) {
  GstCaps *caps = nullptr;
  gboolean need_pool = FALSE;
  gst_query_parse_allocation(query, &caps, &need_pool);
  if (!caps)
    return FALSE;

  guint min = min_buffers, max = 0;
  if (gst_query_get_n_allocation_pools(query) > 0) {
    guint peer_min = 0, peer_max = 0, size = 0;
    gst_query_parse_nth_allocation_pool(query, 0, nullptr, &size, &peer_min, &peer_max);
    min = MAX(min, peer_min);
  }

  const gboolean video_meta =
      gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  GstBufferPool *pool = gst_quad_video_buffer_pool_new(caps, min, max, video_meta, allocator);
  if (!pool)
    return FALSE;

  GstStructure *config = gst_buffer_pool_get_config(pool);
  guint size = 0;
  gst_buffer_pool_config_get_params(config, nullptr, &size, nullptr, nullptr);
  gst_structure_free(config);

  if (gst_query_get_n_allocation_pools(query) > 0)
    gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool(query, pool, size, min, max);

  GstAllocationParams params = quad_allocation_params();
  GstAllocator *alloc = allocator ? allocator : gst_quad_allocator_get_default();
  if (gst_query_get_n_allocation_params(query) > 0)
    gst_query_set_nth_allocation_param(query, 0, alloc, &params);
  else
    gst_query_add_allocation_param(query, alloc, &params);

  gst_object_unref(pool);
  return TRUE;
}

gboolean gst_quad_propose_video_allocation(GstQuery *query, guint min_buffers) {
  GstCaps *caps = nullptr;
  gboolean need_pool = FALSE;
  gst_query_parse_allocation(query, &caps, &need_pool);
  if (!caps)
    return FALSE;

  /* The allocator is offered, not demanded: no alignment requirement, so a
   * source may still hand over memory it already has (a mapped file). */
  GstAllocationParams params;
  gst_allocation_params_init(&params);
  gst_query_add_allocation_param(query, gst_quad_allocator_get_default(), &params);
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);

  if (need_pool) {
    GstBufferPool *pool = gst_quad_video_buffer_pool_new(caps, min_buffers, 0, TRUE, nullptr);
    if (!pool)
      return FALSE;
    GstStructure *config = gst_buffer_pool_get_config(pool);
    guint size = 0;
    gst_buffer_pool_config_get_params(config, nullptr, &size, nullptr, nullptr);
    gst_structure_free(config);
    gst_query_add_allocation_pool(query, pool, size, min_buffers, 0);
    gst_object_unref(pool);
  } else {
    GstVideoInfo info;
    if (gst_video_info_from_caps(&info, caps))
      gst_query_add_allocation_pool(query, nullptr, GST_VIDEO_INFO_SIZE(&info), min_buffers, 0);
  }
  return TRUE;
}
