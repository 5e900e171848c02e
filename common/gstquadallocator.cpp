#include "quad/gstquadallocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

GST_DEBUG_CATEGORY_STATIC(gst_quad_allocator_debug);
#define GST_CAT_DEFAULT gst_quad_allocator_debug

struct GstQuadMemory {
  GstMemory mem;
  guint8 *block; /* start of the allocation, shared with sub-memories */
  gsize block_size;
  gboolean locked;
  gboolean pinned;
};

struct _GstQuadAllocator {
  GstAllocator parent;

  gboolean lock_memory;
  GstQuadPinFunc pin;
  GstQuadUnpinFunc unpin;
  gpointer pin_user_data;

  GMutex lock;
  GstQuadAllocatorStats stats;
};

G_DEFINE_TYPE(GstQuadAllocator, gst_quad_allocator, GST_TYPE_ALLOCATOR)

static constexpr gsize kPageSize = 4096;

static gsize round_up(gsize value, gsize multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

static GstQuadMemory *quad_memory_new(GstQuadAllocator *self, GstMemoryFlags flags, gsize maxsize,
                                      gsize align, gsize offset, gsize size) {
  align |= GST_QUAD_ALLOCATOR_ALIGN - 1;
  const bool huge = maxsize >= GST_QUAD_ALLOCATOR_HUGE_PAGE_SIZE;
  gsize block_align = std::max<gsize>(align + 1, sizeof(void *));
  gsize block_size = maxsize;
  if (huge) {
    block_align = std::max<gsize>(block_align, GST_QUAD_ALLOCATOR_HUGE_PAGE_SIZE);
    block_size = round_up(maxsize, kPageSize);
  }

  void *block = nullptr;
  if (posix_memalign(&block, block_align, block_size) != 0) {
    GST_ERROR_OBJECT(self, "cannot allocate %" G_GSIZE_FORMAT " bytes", block_size);
    return nullptr;
  }

  auto *qmem = g_new0(GstQuadMemory, 1);
  qmem->block = static_cast<guint8 *>(block);
  qmem->block_size = block_size;
  gst_memory_init(GST_MEMORY_CAST(qmem), flags, GST_ALLOCATOR_CAST(self), nullptr, maxsize, align,
                  offset, size);

  bool advised = false;
  if (huge)
    advised = madvise(block, block_size, MADV_HUGEPAGE) == 0;

  if (self->lock_memory) {
    if (mlock(block, block_size) == 0) {
      qmem->locked = TRUE;
    } else {
      GST_INFO_OBJECT(self, "mlock of %" G_GSIZE_FORMAT " bytes refused (%s), using it unlocked",
                      block_size, g_strerror(errno));
    }
  }
  if (self->pin)
    qmem->pinned = self->pin(block, block_size, self->pin_user_data);

  g_mutex_lock(&self->lock);
  self->stats.blocks++;
  self->stats.huge_advised += advised;
  self->stats.locked += qmem->locked;
  self->stats.lock_refused += self->lock_memory && !qmem->locked;
  self->stats.pinned += qmem->pinned;
  g_mutex_unlock(&self->lock);
  return qmem;
}

static GstMemory *gst_quad_allocator_alloc(GstAllocator *allocator, gsize size,
                                           GstAllocationParams *params) {
  auto *self = GST_QUAD_ALLOCATOR(allocator);
  const gsize maxsize = params->prefix + size + params->padding;
  GstQuadMemory *qmem =
      quad_memory_new(self, params->flags, maxsize, params->align, params->prefix, size);
  if (!qmem)
    return nullptr;

  /* Zero what GStreamer will not: a prefix and padding asked to be zeroed. */
  if (params->prefix && (params->flags & GST_MEMORY_FLAG_ZERO_PREFIXED))
    memset(qmem->block, 0, params->prefix);
  if (params->padding && (params->flags & GST_MEMORY_FLAG_ZERO_PADDED))
    memset(qmem->block + params->prefix + size, 0, params->padding);
  return GST_MEMORY_CAST(qmem);
}

static void gst_quad_allocator_free(GstAllocator *allocator, GstMemory *mem) {
  auto *self = GST_QUAD_ALLOCATOR(allocator);
  auto *qmem = reinterpret_cast<GstQuadMemory *>(mem);

  /* Sub-memories (shares) borrow the parent's block. */
  if (!mem->parent) {
    if (qmem->pinned && self->unpin)
      self->unpin(qmem->block, self->pin_user_data);
    if (qmem->locked)
      munlock(qmem->block, qmem->block_size);
    free(qmem->block);
  }
  g_free(qmem);
}

static gpointer quad_memory_map(GstMemory *mem, gsize, GstMapFlags) {
  return reinterpret_cast<GstQuadMemory *>(mem)->block;
}

static void quad_memory_unmap(GstMemory *) {}

static GstMemory *quad_memory_share(GstMemory *mem, gssize offset, gssize size) {
  auto *qmem = reinterpret_cast<GstQuadMemory *>(mem);
  GstMemory *parent = mem->parent ? mem->parent : mem;
  if (size == -1)
    size = static_cast<gssize>(mem->size) - offset;

  auto *sub = g_new0(GstQuadMemory, 1);
  sub->block = qmem->block;
  sub->block_size = qmem->block_size;
  gst_memory_init(GST_MEMORY_CAST(sub),
                  static_cast<GstMemoryFlags>(GST_MINI_OBJECT_FLAGS(parent) |
                                              GST_MINI_OBJECT_FLAG_LOCK_READONLY),
                  mem->allocator, parent, mem->maxsize, mem->align, mem->offset + offset, size);
  return GST_MEMORY_CAST(sub);
}

static GstMemory *quad_memory_copy(GstMemory *mem, gssize offset, gssize size) {
  auto *qmem = reinterpret_cast<GstQuadMemory *>(mem);
  if (size == -1)
    size = static_cast<gssize>(mem->size) > offset ? static_cast<gssize>(mem->size) - offset : 0;

  GstQuadMemory *copy = quad_memory_new(GST_QUAD_ALLOCATOR(mem->allocator),
                                        static_cast<GstMemoryFlags>(0), size, mem->align, 0, size);
  if (!copy)
    return nullptr;
  memcpy(copy->block, qmem->block + mem->offset + offset, size);
  return GST_MEMORY_CAST(copy);
}

static gboolean quad_memory_is_span(GstMemory *mem1, GstMemory *mem2, gsize *offset) {
  auto *a = reinterpret_cast<GstQuadMemory *>(mem1);
  auto *b = reinterpret_cast<GstQuadMemory *>(mem2);
  if (a->block != b->block)
    return FALSE;
  if (offset)
    *offset = mem1->offset - mem1->parent->offset;
  return mem1->offset + mem1->size == mem2->offset;
}

static void gst_quad_allocator_finalize(GObject *object) {
  auto *self = GST_QUAD_ALLOCATOR(object);
  g_mutex_clear(&self->lock);
  G_OBJECT_CLASS(gst_quad_allocator_parent_class)->finalize(object);
}

static void gst_quad_allocator_class_init(GstQuadAllocatorClass *klass) {
  auto *object_class = G_OBJECT_CLASS(klass);
  auto *allocator_class = GST_ALLOCATOR_CLASS(klass);

  object_class->finalize = gst_quad_allocator_finalize;
  allocator_class->alloc = gst_quad_allocator_alloc;
  allocator_class->free = gst_quad_allocator_free;

  GST_DEBUG_CATEGORY_INIT(gst_quad_allocator_debug, "quadallocator", 0,
                          "64-byte aligned, huge-page, lockable video memory");
}

static void gst_quad_allocator_init(GstQuadAllocator *self) {
  auto *allocator = GST_ALLOCATOR_CAST(self);
  allocator->mem_type = GST_QUAD_ALLOCATOR_NAME;
  allocator->mem_map = quad_memory_map;
  allocator->mem_unmap = quad_memory_unmap;
  allocator->mem_share = quad_memory_share;
  allocator->mem_copy = quad_memory_copy;
  allocator->mem_is_span = quad_memory_is_span;
  g_mutex_init(&self->lock);
}

GstAllocator *gst_quad_allocator_new(gboolean lock_memory) {
  auto *self = static_cast<GstQuadAllocator *>(g_object_new(GST_TYPE_QUAD_ALLOCATOR, nullptr));
  gst_object_ref_sink(self);
  self->lock_memory = lock_memory;
  return GST_ALLOCATOR_CAST(self);
}

GstAllocator *gst_quad_allocator_get_default(void) {
  static GstAllocator *allocator = nullptr;
  if (g_once_init_enter(&allocator)) {
    GstAllocator *made = gst_quad_allocator_new(FALSE);
    /* The registry keeps a reference, so the default lives as long as GStreamer. */
    gst_allocator_register(GST_QUAD_ALLOCATOR_NAME, GST_ALLOCATOR_CAST(gst_object_ref(made)));
    gst_object_unref(made);
    g_once_init_leave(&allocator, made);
  }
  return allocator;
}

void gst_quad_allocator_set_pin_hooks(GstQuadAllocator *allocator, GstQuadPinFunc pin,
                                      GstQuadUnpinFunc unpin, gpointer user_data) {
  g_return_if_fail(GST_IS_QUAD_ALLOCATOR(allocator));
  allocator->pin = pin;
  allocator->unpin = unpin;
  allocator->pin_user_data = user_data;
}

void gst_quad_allocator_get_stats(GstQuadAllocator *allocator, GstQuadAllocatorStats *stats) {
  g_return_if_fail(GST_IS_QUAD_ALLOCATOR(allocator));
  g_mutex_lock(&allocator->lock);
  *stats = allocator->stats;
  g_mutex_unlock(&allocator->lock);
}

gboolean gst_is_quad_memory(GstMemory *mem) {
  return mem && mem->allocator && GST_IS_QUAD_ALLOCATOR(mem->allocator);
}
