/* common/: GstQuadAllocator, its buffer pools, and the metas. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <sys/resource.h>

#include <initializer_list>

#include "quad/gstquadallocator.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadbufferpool.h"
#include "quad/gstquadenumtypes.h"
#include "quad/gstquadmotionmeta.h"

static bool is_aligned(const void *p, guintptr align) {
  return (reinterpret_cast<guintptr>(p) & (align - 1)) == 0;
}

static GstCaps *video_caps(const char *format, int width, int height) {
  return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, format, "width", G_TYPE_INT,
                             width, "height", G_TYPE_INT, height, "framerate", GST_TYPE_FRACTION,
                             30, 1, nullptr);
}

GST_START_TEST(test_allocator_alignment) {
  GstAllocator *allocator = gst_quad_allocator_get_default();
  GstAllocationParams params;
  gst_allocation_params_init(&params);
  for (gsize size : {1u, 63u, 65u, 4097u, 3u * 1024u * 1024u + 7u}) {
    GstMemory *mem = gst_allocator_alloc(allocator, size, &params);
    fail_unless(mem != nullptr);
    fail_unless(gst_is_quad_memory(mem));
    GstMapInfo map;
    fail_unless(gst_memory_map(mem, &map, GST_MAP_READWRITE));
    fail_unless(is_aligned(map.data, GST_QUAD_ALLOCATOR_ALIGN), "size %zu not aligned", size);
    memset(map.data, 0xab, size);
    gst_memory_unmap(mem, &map);

    /* Shares and copies see the same bytes. */
    GstMemory *share = gst_memory_share(mem, 1, -1);
    GstMemory *copy = gst_memory_copy(mem, 0, -1);
    fail_unless(gst_memory_map(share, &map, GST_MAP_READ));
    fail_unless_equals_int(map.size, size - 1);
    if (size > 1)
      fail_unless_equals_int(map.data[0], 0xab);
    gst_memory_unmap(share, &map);
    fail_unless(gst_memory_map(copy, &map, GST_MAP_READ));
    fail_unless_equals_int(map.size, size);
    fail_unless_equals_int(map.data[size - 1], 0xab);
    fail_unless(is_aligned(map.data, GST_QUAD_ALLOCATOR_ALIGN));
    gst_memory_unmap(copy, &map);
    gst_memory_unref(share);
    gst_memory_unref(copy);
    gst_memory_unref(mem);
  }
}
GST_END_TEST;

GST_START_TEST(test_allocator_huge_blocks_advised) {
  GstAllocator *allocator = gst_quad_allocator_new(FALSE);
  GstMemory *small = gst_allocator_alloc(allocator, 4096, nullptr);
  GstMemory *large = gst_allocator_alloc(allocator, 8 * 1024 * 1024, nullptr);
  GstQuadAllocatorStats stats;
  gst_quad_allocator_get_stats(GST_QUAD_ALLOCATOR(allocator), &stats);
  fail_unless_equals_int(stats.blocks, 2);
  /* madvise may be refused where THP is compiled out, never for small blocks. */
  fail_unless(stats.huge_advised <= 1);
  GstMapInfo map;
  fail_unless(gst_memory_map(large, &map, GST_MAP_READ));
  fail_unless(is_aligned(map.data, GST_QUAD_ALLOCATOR_HUGE_PAGE_SIZE));
  gst_memory_unmap(large, &map);
  gst_memory_unref(small);
  gst_memory_unref(large);
  gst_object_unref(allocator);
}
GST_END_TEST;

GST_START_TEST(test_allocator_lock_refused_falls_back) {
  struct rlimit old_limit;
  fail_unless(getrlimit(RLIMIT_MEMLOCK, &old_limit) == 0);
  struct rlimit none = {0, old_limit.rlim_max};
  fail_unless(setrlimit(RLIMIT_MEMLOCK, &none) == 0);

  GstAllocator *allocator = gst_quad_allocator_new(TRUE);
  GstMemory *mem = gst_allocator_alloc(allocator, 1 << 20, nullptr);
  fail_unless(mem != nullptr, "a refused mlock must not fail the allocation");
  GstMapInfo map;
  fail_unless(gst_memory_map(mem, &map, GST_MAP_WRITE));
  memset(map.data, 1, map.size);
  gst_memory_unmap(mem, &map);
  GstQuadAllocatorStats stats;
  gst_quad_allocator_get_stats(GST_QUAD_ALLOCATOR(allocator), &stats);
  /* root may lock regardless of the limit (CAP_IPC_LOCK): either way it is counted. */
  fail_unless_equals_int(stats.locked + stats.lock_refused, 1);
  gst_memory_unref(mem);
  gst_object_unref(allocator);
  setrlimit(RLIMIT_MEMLOCK, &old_limit);
}
GST_END_TEST;

struct PinLog {
  int pinned = 0;
  int unpinned = 0;
};

static gboolean pin(gpointer, gsize, gpointer user_data) {
  static_cast<PinLog *>(user_data)->pinned++;
  return TRUE;
}

static void unpin(gpointer, gpointer user_data) {
  static_cast<PinLog *>(user_data)->unpinned++;
}

GST_START_TEST(test_allocator_pin_hooks) {
  PinLog log;
  GstAllocator *allocator = gst_quad_allocator_new(FALSE);
  gst_quad_allocator_set_pin_hooks(GST_QUAD_ALLOCATOR(allocator), pin, unpin, &log);
  GstMemory *mem = gst_allocator_alloc(allocator, 1000, nullptr);
  GstMemory *share = gst_memory_share(mem, 10, 10);
  fail_unless_equals_int(log.pinned, 1);
  gst_memory_unref(share);
  fail_unless_equals_int(log.unpinned, 0);
  gst_memory_unref(mem);
  fail_unless_equals_int(log.unpinned, 1);
  gst_object_unref(allocator);
}
GST_END_TEST;

GST_START_TEST(test_pool_strides_and_planes_aligned) {
  const char *formats[] = {"I420", "NV12", "Y444", "BGRx", "Y42B"};
  const int sizes[][2] = {{17, 33}, {1919, 1081}, {641, 479}, {16, 16}, {7, 3}, {7680, 4320}};
  for (const char *format : formats) {
    for (const auto &size : sizes) {
      GstCaps *caps = video_caps(format, size[0], size[1]);
      GstBufferPool *pool = gst_quad_video_buffer_pool_new(caps, 2, 0, TRUE, nullptr);
      fail_unless(pool != nullptr);
      fail_unless(gst_buffer_pool_set_active(pool, TRUE));
      GstBuffer *buf = nullptr;
      fail_unless_equals_int(gst_buffer_pool_acquire_buffer(pool, &buf, nullptr), GST_FLOW_OK);
      GstVideoInfo info;
      gst_video_info_from_caps(&info, caps);
      GstVideoFrame frame;
      fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_WRITE));
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        fail_unless(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p) % 64 == 0,
                    "%s %dx%d plane %u stride %d", format, size[0], size[1], p,
                    GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p));
        fail_unless(is_aligned(GST_VIDEO_FRAME_PLANE_DATA(&frame, p), 64),
                    "%s %dx%d plane %u not aligned", format, size[0], size[1], p);
      }
      /* Every row of every plane is writable to its last sample. */
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        const int rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
        auto *data = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
        memset(data, 0x55, static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p)) * rows);
      }
      gst_video_frame_unmap(&frame);
      gst_buffer_unref(buf);
      gst_buffer_pool_set_active(pool, FALSE);
      gst_object_unref(pool);
      gst_caps_unref(caps);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_pool_without_video_meta_uses_default_layout) {
  GstCaps *caps = video_caps("I420", 17, 33);
  GstBufferPool *pool = gst_quad_video_buffer_pool_new(caps, 1, 0, FALSE, nullptr);
  fail_unless(gst_buffer_pool_set_active(pool, TRUE));
  GstBuffer *buf = nullptr;
  fail_unless_equals_int(gst_buffer_pool_acquire_buffer(pool, &buf, nullptr), GST_FLOW_OK);
  GstVideoInfo info;
  gst_video_info_from_caps(&info, caps);
  fail_unless_equals_int(gst_buffer_get_size(buf), GST_VIDEO_INFO_SIZE(&info));
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  fail_unless(is_aligned(map.data, 64));
  gst_buffer_unmap(buf, &map);
  gst_buffer_unref(buf);
  gst_buffer_pool_set_active(pool, FALSE);
  gst_object_unref(pool);
  gst_caps_unref(caps);
}
GST_END_TEST;

static GstQuadMotionMeta *add_test_motion(GstBuffer *buf) {
  GstQuadMotionMeta *meta = gst_buffer_add_quad_motion_meta(buf, 16, 16, 4, 3, 1);
  fail_unless(meta != nullptr);
  for (guint r = 0; r < 3; r++) {
    for (guint c = 0; c < 4; c++) {
      GstQuadMotionVector *v = gst_quad_motion_meta_get(meta, c, r);
      v->mv_x = static_cast<gint16>(4 * c + 1);
      v->mv_y = static_cast<gint16>(-8 * static_cast<int>(r));
      v->cost = 100 + r * 4 + c;
      v->flags = (c == 3) ? GST_QUAD_MOTION_FLAG_OCCLUDED : 0;
    }
  }
  return meta;
}

GST_START_TEST(test_motion_meta_attach_read_copy) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48, nullptr);
  add_test_motion(buf);
  fail_unless(gst_quad_motion_meta_get(gst_buffer_get_quad_motion_meta(buf), 4, 0) == nullptr);
  fail_unless(gst_buffer_add_quad_motion_meta(buf, 16, 16, 0, 3, 1) == nullptr);

  GstBuffer *copy = gst_buffer_copy(buf);
  GstQuadMotionMeta *meta = gst_buffer_get_quad_motion_meta(copy);
  fail_unless(meta != nullptr);
  fail_unless_equals_int(meta->cols, 4);
  fail_unless_equals_int(meta->rows, 3);
  fail_unless_equals_int(meta->ref_distance, 1);
  GstQuadMotionVector *v = gst_quad_motion_meta_get(meta, 3, 2);
  fail_unless_equals_int(v->mv_x, 13);
  fail_unless_equals_int(v->mv_y, -16);
  fail_unless_equals_int(v->cost, 111);
  fail_unless_equals_int(v->flags, GST_QUAD_MOTION_FLAG_OCCLUDED);
  /* A deep copy: changing one leaves the other alone. */
  v->mv_x = 99;
  fail_unless_equals_int(gst_quad_motion_meta_get(gst_buffer_get_quad_motion_meta(buf), 3, 2)->mv_x,
                         13);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}
GST_END_TEST;

GST_START_TEST(test_analysis_meta_attach_read_copy) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64, nullptr);
  GstQuadAnalysisMeta *meta = gst_buffer_add_quad_analysis_meta(buf, 16, 16, 2, 2);
  fail_unless(meta != nullptr);
  meta->blocks[3].mean = 200;
  meta->blocks[3].variance = 1234;
  meta->blocks[3].edge_energy = 77;
  meta->complexity = 12.5;
  meta->scene_change_score = 0.9;
  meta->scene_cut = TRUE;
  GstBuffer *pyramid = gst_buffer_new_allocate(nullptr, 32, nullptr);
  gst_quad_analysis_meta_set_pyramid(meta, pyramid, 2);
  gst_buffer_unref(pyramid);

  GstBuffer *copy = gst_buffer_copy(buf);
  gst_buffer_unref(buf);
  GstQuadAnalysisMeta *m = gst_buffer_get_quad_analysis_meta(copy);
  fail_unless(m != nullptr);
  fail_unless_equals_int(m->blocks[3].mean, 200);
  fail_unless_equals_int(m->blocks[3].variance, 1234);
  fail_unless_equals_int(m->blocks[3].edge_energy, 77);
  fail_unless_equals_float(m->complexity, 12.5);
  fail_unless(m->scene_cut);
  fail_unless(m->pyramid != nullptr);
  fail_unless_equals_int(m->pyramid_levels, 2);
  gst_buffer_unref(copy);
}
GST_END_TEST;

/* A frame with ground truth first, then an estimate: each is found by its
 * source, the plain accessor still gives the first, and a copy keeps both. */
GST_START_TEST(test_motion_meta_by_source) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64, nullptr);
  GstQuadMotionMeta *truth = gst_buffer_add_quad_motion_meta(buf, 16, 16, 2, 2, 1);
  for (guint i = 0; i < 4; i++)
    truth->vectors[i].flags = GST_QUAD_MOTION_FLAG_GROUND_TRUTH;
  GstQuadMotionMeta *estimate = gst_buffer_add_quad_motion_meta(buf, 16, 16, 2, 2, 1);
  GstQuadMotionMeta *encoder =
      gst_buffer_add_quad_motion_meta_full(buf, GST_QUAD_MOTION_SOURCE_ENCODER, 8, 8, 4, 4, 1);
  fail_unless(encoder != nullptr);

  fail_unless_equals_int(gst_quad_motion_meta_get_source(truth),
                         GST_QUAD_MOTION_SOURCE_GROUND_TRUTH);
  fail_unless_equals_int(gst_quad_motion_meta_get_source(estimate),
                         GST_QUAD_MOTION_SOURCE_ESTIMATE);
  fail_unless_equals_int(gst_quad_motion_meta_get_source(encoder), GST_QUAD_MOTION_SOURCE_ENCODER);
  fail_unless(gst_buffer_get_quad_motion_meta(buf) == truth);
  fail_unless(gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_ESTIMATE) ==
              estimate);
  fail_unless(gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_ENCODER) ==
              encoder);

  GstBuffer *copy = gst_buffer_copy(buf);
  GstQuadMotionMeta *e =
      gst_buffer_get_quad_motion_meta_by_source(copy, GST_QUAD_MOTION_SOURCE_ENCODER);
  fail_unless(e != nullptr && e->cols == 4, "a copy lost the encoder's meta");
  fail_unless(gst_buffer_get_quad_motion_meta_by_source(
                  copy, GST_QUAD_MOTION_SOURCE_GROUND_TRUTH) != nullptr);
  gst_buffer_unref(copy);

  GstBuffer *none = gst_buffer_new();
  fail_unless(gst_buffer_get_quad_motion_meta_by_source(none, GST_QUAD_MOTION_SOURCE_ESTIMATE) ==
              nullptr);
  gst_buffer_unref(none);
  gst_buffer_unref(buf);
}
GST_END_TEST;

/* The accessors by index that bindings use agree with the arrays, and answer
 * FALSE and zeros outside the grid. */
GST_START_TEST(test_meta_accessors_by_index) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48, nullptr);
  GstQuadMotionMeta *m = add_test_motion(buf);
  fail_unless_equals_int(gst_quad_motion_meta_get_n_blocks(m), 12);
  gint x = 0, y = 0;
  fail_unless(gst_quad_motion_meta_get_mv(m, 2 * 4 + 3, &x, &y));
  fail_unless_equals_int(x, 13);
  fail_unless_equals_int(y, -16);
  fail_unless_equals_int(gst_quad_motion_meta_get_cost(m, 2 * 4 + 3), 111);
  fail_unless_equals_int(gst_quad_motion_meta_get_flags(m, 3), GST_QUAD_MOTION_FLAG_OCCLUDED);
  fail_if(gst_quad_motion_meta_get_mv(m, 12, &x, &y));
  fail_unless_equals_int(x, 0);
  fail_unless_equals_int(gst_quad_motion_meta_get_cost(m, 12), 0);
  fail_unless_equals_int(gst_quad_motion_meta_get_flags(m, G_MAXUINT), 0);

  GstQuadAnalysisMeta *a = gst_buffer_add_quad_analysis_meta(buf, 16, 16, 2, 2);
  a->blocks[1] = GstQuadBlockStats{90, 0, 400, 31};
  fail_unless(gst_buffer_get_quad_analysis_meta(buf) == a);
  fail_unless_equals_int(gst_quad_analysis_meta_get_n_blocks(a), 4);
  guint mean = 0, variance = 0, edges = 0;
  fail_unless(gst_quad_analysis_meta_get_block(a, 1, &mean, &variance, &edges));
  fail_unless_equals_int(mean, 90);
  fail_unless_equals_int(variance, 400);
  fail_unless_equals_int(edges, 31);
  fail_if(gst_quad_analysis_meta_get_block(a, 4, &mean, nullptr, nullptr));
  fail_unless_equals_int(mean, 0);
  gst_buffer_unref(buf);
}
GST_END_TEST;

/* The enums are GTypes, so a GValue or a binding can name them. */
GST_START_TEST(test_meta_enums_are_gtypes) {
  fail_unless(G_TYPE_IS_FLAGS(GST_TYPE_QUAD_MOTION_FLAGS));
  fail_unless(G_TYPE_IS_ENUM(GST_TYPE_QUAD_MOTION_SOURCE));
  GEnumClass *sources = G_ENUM_CLASS(g_type_class_ref(GST_TYPE_QUAD_MOTION_SOURCE));
  fail_unless(g_enum_get_value(sources, GST_QUAD_MOTION_SOURCE_ENCODER) != nullptr);
  g_type_class_unref(sources);
}
GST_END_TEST;

/* Scale a 64x48 frame to 32x96 through a real videoscale. */
GST_START_TEST(test_metas_scale_through_videoscale) {
  GstHarness *h = gst_harness_new("videoscale");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  gst_harness_set_sink_caps_str(h, "video/x-raw,format=I420,width=32,height=96,framerate=30/1");

  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48 * 3 / 2, nullptr);
  gst_buffer_memset(buf, 0, 128, 64 * 48 * 3 / 2);
  add_test_motion(buf);
  GstQuadAnalysisMeta *a = gst_buffer_add_quad_analysis_meta(buf, 16, 16, 4, 3);
  a->blocks[5].variance = 321;
  GstBuffer *pyramid = gst_buffer_new_allocate(nullptr, 32, nullptr);
  gst_quad_analysis_meta_set_pyramid(a, pyramid, 1);
  gst_buffer_unref(pyramid);

  GstBuffer *out = gst_harness_push_and_pull(h, buf);
  fail_unless(out != nullptr);
  GstQuadMotionMeta *m = gst_buffer_get_quad_motion_meta(out);
  fail_unless(m != nullptr, "videoscale dropped the motion meta");
  fail_unless_equals_int(m->block_width, 8);
  fail_unless_equals_int(m->block_height, 32);
  fail_unless_equals_int(m->cols, 4);
  fail_unless_equals_int(m->rows, 3);
  GstQuadMotionVector *v = gst_quad_motion_meta_get(m, 2, 2);
  fail_unless_equals_int(v->mv_x, 5); /* 9 * 0.5 = 4.5, rounded away from zero */
  fail_unless_equals_int(v->mv_y, -32);
  GstQuadAnalysisMeta *am = gst_buffer_get_quad_analysis_meta(out);
  fail_unless(am != nullptr, "videoscale dropped the analysis meta");
  fail_unless_equals_int(am->block_width, 8);
  fail_unless_equals_int(am->block_height, 32);
  fail_unless_equals_int(am->blocks[5].variance, 321);
  fail_unless(am->pyramid == nullptr, "a scaled frame keeps no stale pyramid");
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *gstquadcommon_suite(void) {
  Suite *s = suite_create("gstquadcommon");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_allocator_alignment);
  tcase_add_test(tc, test_allocator_huge_blocks_advised);
  tcase_add_test(tc, test_allocator_lock_refused_falls_back);
  tcase_add_test(tc, test_allocator_pin_hooks);
  tcase_add_test(tc, test_pool_strides_and_planes_aligned);
  tcase_add_test(tc, test_pool_without_video_meta_uses_default_layout);
  tcase_add_test(tc, test_motion_meta_attach_read_copy);
  tcase_add_test(tc, test_analysis_meta_attach_read_copy);
  tcase_add_test(tc, test_metas_scale_through_videoscale);
  tcase_add_test(tc, test_motion_meta_by_source);
  tcase_add_test(tc, test_meta_accessors_by_index);
  tcase_add_test(tc, test_meta_enums_are_gtypes);
  return s;
}

GST_CHECK_MAIN(gstquadcommon);
