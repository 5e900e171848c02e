/* Buffer pools of GstQuadAllocator memory for raw video.
 *
 * With video meta, every plane of every frame starts on a 64-byte boundary
 * and every stride is a multiple of 64, for any width and height: SIMD rows
 * never straddle a cache line and GPU copies take the fast path. Without
 * video meta (a peer that cannot read strides) the layout is GStreamer's
 * default and only the first plane is guaranteed to be aligned.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Padding that makes every stride and plane offset of info a multiple of 64. */
void gst_quad_video_alignment_for(const GstVideoInfo *info, GstVideoAlignment *align);

/* A configured GstVideoBufferPool for caps. allocator may be NULL (the default
 * GstQuadAllocator). max_buffers 0 means unlimited. Returns NULL on bad caps. */
GstBufferPool *gst_quad_video_buffer_pool_new(GstCaps *caps, guint min_buffers, guint max_buffers,
                                              gboolean video_meta, GstAllocator *allocator);

/* For decide_allocation: puts a quad pool first in query (keeping the peer's
 * minimum buffer count if larger) and the quad allocator as allocation param.
 * Video meta is used when the peer supports it. */
gboolean gst_quad_decide_video_allocation(GstQuery *query, guint min_buffers,
                                          GstAllocator *allocator);

/* For propose_allocation: offers a quad pool holding min_buffers, the quad
 * allocator (without demanding alignment) and video meta support. */
gboolean gst_quad_propose_video_allocation(GstQuery *query, guint min_buffers);

G_END_DECLS
