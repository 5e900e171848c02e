/* GstQuadAllocator: system memory for video frames that SIMD and GPU code
 * can use as it is.
 *
 * Every block starts on a 64-byte boundary (or the alignment the caller asks
 * for, if larger). Blocks of 2 MiB and more are aligned to 2 MiB and advised
 * as transparent huge pages, which saves TLB misses on 4K/8K frames. With
 * lock-memory each block is mlock()ed; where RLIMIT_MEMLOCK refuses, the
 * block is used unlocked and the refusal counted, never failed. A pin hook
 * lets a GPU backend register every block as pinned (page-locked, DMA-able)
 * host memory and unregister it before it is freed.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_QUAD_ALLOCATOR_NAME "GstQuadMemory"
#define GST_QUAD_ALLOCATOR_ALIGN 64
/* Blocks at least this large are aligned to it and advised MADV_HUGEPAGE. */
#define GST_QUAD_ALLOCATOR_HUGE_PAGE_SIZE (2u * 1024u * 1024u)

#define GST_TYPE_QUAD_ALLOCATOR (gst_quad_allocator_get_type())
G_DECLARE_FINAL_TYPE(GstQuadAllocator, gst_quad_allocator, GST, QUAD_ALLOCATOR, GstAllocator)

/* Called once for each new block (after allocation) and before it is freed.
 * pin returns TRUE when the block was registered; unpin is only called for
 * blocks that pin accepted. */
typedef gboolean (*GstQuadPinFunc)(gpointer data, gsize size, gpointer user_data);
typedef void (*GstQuadUnpinFunc)(gpointer data, gpointer user_data);

GstAllocator *gst_quad_allocator_new(gboolean lock_memory);

/* The process-wide default (no mlock, no pin hook). Transfer none. */
GstAllocator *gst_quad_allocator_get_default(void);

void gst_quad_allocator_set_pin_hooks(GstQuadAllocator *allocator, GstQuadPinFunc pin,
                                      GstQuadUnpinFunc unpin, gpointer user_data);

/* Counters since the allocator was made, for stats and tests. */
typedef struct {
  guint64 blocks;       /* blocks allocated */
  guint64 huge_advised; /* blocks advised MADV_HUGEPAGE */
  guint64 locked;       /* blocks mlock()ed */
  guint64 lock_refused; /* mlock() refused (RLIMIT_MEMLOCK, EPERM) */
  guint64 pinned;       /* blocks the pin hook accepted */
} GstQuadAllocatorStats;

void gst_quad_allocator_get_stats(GstQuadAllocator *allocator, GstQuadAllocatorStats *stats);

/* TRUE when mem came from a GstQuadAllocator. */
gboolean gst_is_quad_memory(GstMemory *mem);

G_END_DECLS
