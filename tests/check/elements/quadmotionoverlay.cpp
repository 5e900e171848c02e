/* quadmotionoverlay: the pixels it draws, per format, source and mode. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <initializer_list>

#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadmotionmeta.h"

static const int W = 64, H = 64, BS = 16;
static const char *const FORMATS[] = {"I420", "NV12", "BGRx"};

static gchar *caps_for(const char *format, int w, int h) {
  return g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", format, w, h);
}

/* A mid-grey frame of the harness's caps with a 4x4 grid of zero vectors. */
static GstBuffer *grey_frame(const GstVideoInfo *info) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(info), nullptr);
  gst_buffer_memset(buf, 0, 128, GST_VIDEO_INFO_SIZE(info));
  gst_buffer_add_video_meta(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(info),
                            GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info));
  return buf;
}

static GstQuadMotionMeta *add_motion(GstBuffer *buf, GstQuadMotionSource source, guint col,
                                     guint row, gint16 mv_x, gint16 mv_y) {
  GstQuadMotionMeta *m = gst_buffer_add_quad_motion_meta_full(buf, source, BS, BS, 4, 4, 1);
  fail_unless(m != nullptr);
  gst_quad_motion_meta_get(m, col, row)->mv_x = mv_x;
  gst_quad_motion_meta_get(m, col, row)->mv_y = mv_y;
  return m;
}

/* Samples of the rectangle that are not mid-grey in the first plane (luma,
 * or B of BGRx). */
static int changed_in(GstBuffer *buf, const GstVideoInfo *info, int x, int y, int w, int h) {
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, const_cast<GstVideoInfo *>(info), buf, GST_MAP_READ));
  const guint8 *p = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  const int pixel = GST_VIDEO_INFO_FORMAT(info) == GST_VIDEO_FORMAT_BGRx ? 4 : 1;
  int changed = 0;
  for (int r = y; r < y + h; r++)
    for (int c = x; c < x + w; c++)
      changed += p[r * stride + c * pixel] != 128;
  gst_video_frame_unmap(&frame);
  return changed;
}

static void rgb_at(GstBuffer *buf, const GstVideoInfo *info, int x, int y, int rgb[3]) {
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, const_cast<GstVideoInfo *>(info), buf, GST_MAP_READ));
  const guint8 *p = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) +
                    y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0) + 4 * x;
  rgb[0] = p[2];
  rgb[1] = p[1];
  rgb[2] = p[0];
  gst_video_frame_unmap(&frame);
}

static GstHarness *overlay(const char *format, const char *properties) {
  gchar *desc = g_strdup_printf("quadmotionoverlay %s", properties);
  GstHarness *h = gst_harness_new_parse(desc);
  g_free(desc);
  gchar *caps = caps_for(format, W, H);
  gst_harness_set_caps_str(h, caps, caps);
  g_free(caps);
  return h;
}

/* Block (1, 1) moved 8 samples right, every other block stood still: an
 * arrow in and just left of block (1, 1), nothing in the far blocks. */
GST_START_TEST(test_arrow_where_a_block_moved) {
  for (const char *format : FORMATS) {
    GstHarness *h = overlay(format, "");
    GstVideoInfo info;
    gchar *caps = caps_for(format, W, H);
    GstCaps *c = gst_caps_from_string(caps);
    gst_video_info_from_caps(&info, c);
    gst_caps_unref(c);
    g_free(caps);

    GstBuffer *in = grey_frame(&info);
    add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 1, 1, 32, 0);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless(out != nullptr);
    /* The shaft runs from (16, 24) to the centre (24, 24). */
    fail_unless(changed_in(out, &info, 16, 22, 10, 4) >= 8, "no arrow in %s", format);
    fail_unless_equals_int(changed_in(out, &info, 32, 0, 32, 64), 0);
    fail_unless_equals_int(changed_in(out, &info, 0, 40, 32, 24), 0);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* Ground truth moved block (0, 0), the estimate block (3, 3): each source
 * draws its own and not the other's. */
GST_START_TEST(test_source_chooses_the_meta) {
  const struct {
    const char *property;
    int x, y; /* the block that must change */
    int other_x, other_y;
  } cases[] = {
      {"source=ground-truth", 0, 0, 48, 48},
      {"source=estimate", 48, 48, 0, 0},
      {"source=first", 0, 0, 48, 48},
  };
  for (const auto &k : cases) {
    GstHarness *h = overlay("I420", k.property);
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, W, H);
    GstBuffer *in = grey_frame(&info);
    add_motion(in, GST_QUAD_MOTION_SOURCE_GROUND_TRUTH, 0, 0, 0, 24);
    add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 3, 3, 0, 24);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless(changed_in(out, &info, k.x, k.y, BS, BS) > 0, "%s drew nothing", k.property);
    fail_unless_equals_int(changed_in(out, &info, k.other_x, k.other_y, BS, BS), 0);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
  /* No meta of the chosen source: the frame passes unchanged. */
  GstHarness *h = overlay("I420", "source=encoder");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, W, H);
  GstBuffer *in = grey_frame(&info);
  add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 3, 3, 0, 24);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless_equals_int(changed_in(out, &info, 0, 0, W, H), 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A 64x64 frame scaled to 128x128 before the overlay: the meta's grid is
 * scaled with it and the arrow lands in the scaled block (32..64). */
GST_START_TEST(test_scaled_metas_line_up) {
  GstHarness *h = gst_harness_new_parse("videoscale ! quadmotionoverlay");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=64,height=64,framerate=30/1");
  gst_harness_set_sink_caps_str(h, "video/x-raw,format=I420,width=128,height=128,framerate=30/1");
  GstVideoInfo in_info, out_info;
  gst_video_info_set_format(&in_info, GST_VIDEO_FORMAT_I420, 64, 64);
  gst_video_info_set_format(&out_info, GST_VIDEO_FORMAT_I420, 128, 128);
  GstBuffer *in = grey_frame(&in_info);
  add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 1, 1, 0, 32);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out != nullptr);
  /* 8 samples down becomes 16: the shaft runs from (48, 32) to (48, 48). */
  fail_unless(changed_in(out, &out_info, 46, 32, 4, 17) >= 16);
  fail_unless_equals_int(changed_in(out, &out_info, 0, 0, 32, 128), 0);
  fail_unless_equals_int(changed_in(out, &out_info, 64, 0, 64, 128), 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* The colour wheel: rightward motion is red, upward green-yellow, no motion
 * white (a grey pixel stays grey, only lighter). */
GST_START_TEST(test_color_wheel_hue_is_direction) {
  GstHarness *h = overlay("BGRx", "vectors=color-wheel opacity=1.0 wheel-range=4");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGRx, W, H);
  GstBuffer *in = grey_frame(&info);
  GstQuadMotionMeta *m = add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 0, 0, 16, 0);
  gst_quad_motion_meta_get(m, 1, 0)->mv_y = -16;
  gst_quad_motion_meta_get(m, 3, 3)->flags = GST_QUAD_MOTION_FLAG_NO_REFERENCE;
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  int rgb[3];
  rgb_at(out, &info, 8, 8, rgb);
  fail_unless(rgb[0] == 255 && rgb[1] == 0 && rgb[2] == 0, "right is %d,%d,%d", rgb[0], rgb[1],
              rgb[2]);
  rgb_at(out, &info, 24, 8, rgb);
  fail_unless(rgb[1] > 200 && rgb[2] < 60, "up is %d,%d,%d", rgb[0], rgb[1], rgb[2]);
  rgb_at(out, &info, 40, 40, rgb);
  fail_unless(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255, "still is %d,%d,%d", rgb[0], rgb[1],
              rgb[2]);
  fail_unless_equals_int(changed_in(out, &info, 48, 48, BS, BS), 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Heat maps: a high-variance block redder than a flat one; edges likewise. */
GST_START_TEST(test_heatmaps) {
  for (const char *mode : {"heatmap=variance", "heatmap=edges"}) {
    gchar *props = g_strdup_printf("%s opacity=1.0", mode);
    GstHarness *h = overlay("BGRx", props);
    g_free(props);
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGRx, W, H);
    GstBuffer *in = grey_frame(&info);
    GstQuadAnalysisMeta *a = gst_buffer_add_quad_analysis_meta(in, BS, BS, 4, 4);
    a->blocks[5].variance = 4000;
    a->blocks[5].edge_energy = 250;
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    int busy[3], flat[3];
    rgb_at(out, &info, 24, 24, busy);
    rgb_at(out, &info, 56, 56, flat);
    fail_unless(busy[0] > 200 && busy[2] < 100, "%s: busy block %d,%d,%d", mode, busy[0], busy[1],
                busy[2]);
    fail_unless(flat[2] > 200 && flat[0] < 100, "%s: flat block %d,%d,%d", mode, flat[0], flat[1],
                flat[2]);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* INTRA_BETTER and OCCLUDED blocks are outlined (edge changed, centre not);
 * show-flags=false draws neither. */
GST_START_TEST(test_flagged_blocks_outlined) {
  for (bool show : {true, false}) {
    GstHarness *h = overlay("I420", show ? "" : "show-flags=false");
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, W, H);
    GstBuffer *in = grey_frame(&info);
    GstQuadMotionMeta *m = add_motion(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 0, 0, 0, 0);
    gst_quad_motion_meta_get(m, 2, 0)->flags = GST_QUAD_MOTION_FLAG_INTRA_BETTER;
    gst_quad_motion_meta_get(m, 0, 2)->flags = GST_QUAD_MOTION_FLAG_OCCLUDED;
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless_equals_int(changed_in(out, &info, 32, 0, BS, 2) > 0, show);
    fail_unless_equals_int(changed_in(out, &info, 2, 34, BS - 4, 2) > 0, show);
    fail_unless_equals_int(changed_in(out, &info, 38, 6, 4, 4), 0);
    fail_unless_equals_int(changed_in(out, &info, 6, 38, 4, 4), 0);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* A scene cut gets a red border; the next frame, not a cut, none. */
GST_START_TEST(test_scene_cut_border) {
  GstHarness *h = overlay("BGRx", "");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGRx, W, H);
  for (bool cut : {true, false}) {
    GstBuffer *in = grey_frame(&info);
    gst_buffer_add_quad_analysis_meta(in, BS, BS, 4, 4)->scene_cut = cut;
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    int rgb[3];
    rgb_at(out, &info, 1, 30, rgb);
    if (cut)
      fail_unless(rgb[0] == 255 && rgb[1] == 0 && rgb[2] == 0);
    else
      fail_unless(rgb[0] == 128 && rgb[1] == 128 && rgb[2] == 128);
    fail_unless_equals_int(changed_in(out, &info, 16, 16, 32, 32), 0);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Metas that do not fit the frame (a grid larger than the frame, vectors at
 * the extremes, odd sizes) draw what is inside and never crash. */
GST_START_TEST(test_bad_metas_do_not_crash) {
  GstHarness *h = gst_harness_new_parse("quadmotionoverlay heatmap=edges arrow-scale=16");
  gst_harness_set_caps_str(h, "video/x-raw,format=NV12,width=33,height=17,framerate=30/1",
                           "video/x-raw,format=NV12,width=33,height=17,framerate=30/1");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_NV12, 33, 17);
  GstBuffer *in = grey_frame(&info);
  GstQuadMotionMeta *m =
      gst_buffer_add_quad_motion_meta_full(in, GST_QUAD_MOTION_SOURCE_ESTIMATE, 8, 8, 100, 100, 1);
  for (guint i = 0; i < 100 * 100; i++) {
    m->vectors[i].mv_x = (i & 1) ? G_MAXINT16 : G_MININT16;
    m->vectors[i].mv_y = (i & 2) ? G_MAXINT16 : G_MININT16;
    m->vectors[i].flags = GST_QUAD_MOTION_FLAG_INTRA_BETTER | GST_QUAD_MOTION_FLAG_OCCLUDED;
  }
  gst_buffer_add_quad_analysis_meta(in, 1, 1, 1000, 1000)->scene_cut = TRUE;
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out != nullptr);
  gst_buffer_unref(out);

  /* No metas at all: unchanged. */
  out = gst_harness_push_and_pull(h, grey_frame(&info));
  fail_unless_equals_int(changed_in(out, &info, 0, 0, 33, 17), 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *quadmotionoverlay_suite(void) {
  Suite *s = suite_create("quadmotionoverlay");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_arrow_where_a_block_moved);
  tcase_add_test(tc, test_source_chooses_the_meta);
  tcase_add_test(tc, test_scaled_metas_line_up);
  tcase_add_test(tc, test_color_wheel_hue_is_direction);
  tcase_add_test(tc, test_heatmaps);
  tcase_add_test(tc, test_flagged_blocks_outlined);
  tcase_add_test(tc, test_scene_cut_border);
  tcase_add_test(tc, test_bad_metas_do_not_crash);
  return s;
}

GST_CHECK_MAIN(quadmotionoverlay);
