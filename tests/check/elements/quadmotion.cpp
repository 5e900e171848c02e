/* quadmotion: meta on every frame, accuracy against quadcapturesrc's ground
 * truth, no copy of the frame, no stale reference after a discontinuity, a
 * flush, new caps or a scene cut, and clean failures on bad input. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadmotionmeta.h"

/* ---- helpers ---- */

/* A buffer keeps its metas in the order they were added: quadcapturesrc's
 * ground truth first (what gst_buffer_get_quad_motion_meta finds), then
 * quadmotion's estimate. */
static void find_metas(GstBuffer *buf, GstQuadMotionMeta **estimate, GstQuadMotionMeta **truth) {
  *estimate = nullptr;
  *truth = gst_buffer_get_quad_motion_meta(buf);
  gpointer state = nullptr;
  GstMeta *meta;
  while ((meta = gst_buffer_iterate_meta_filtered(buf, &state, GST_QUAD_MOTION_META_API_TYPE)))
    *estimate = reinterpret_cast<GstQuadMotionMeta *>(meta);
  fail_unless(*estimate != *truth, "one motion meta where two were expected");
}

/* A 256x256 texture of smoothed noise: no period a search could lock onto. */
static std::vector<guint8> make_texture() {
  const int n = 256;
  std::mt19937 rng(11);
  std::vector<int> noise(n * n);
  for (int &v : noise)
    v = static_cast<int>(rng() % 256);
  std::vector<guint8> tex(n * n);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      int sum = 0;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          sum += noise[((y + dy + n) % n) * n + (x + dx + n) % n];
      tex[y * n + x] = static_cast<guint8>(sum / 9);
    }
  return tex;
}

/* An I420 frame showing the texture from (ox, oy): luma from the texture,
 * chroma grey. */
static GstBuffer *textured_frame(const std::vector<guint8> &tex, int w, int h, int ox, int oy) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, w, h);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_WRITE));
  auto *y = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int r = 0; r < h; r++)
    for (int c = 0; c < w; c++)
      y[r * stride + c] = tex[((r + oy) % 256) * 256 + (c + ox) % 256];
  for (int p = 1; p < 3; p++)
    memset(GST_VIDEO_FRAME_PLANE_DATA(&frame, p), 128,
           GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p) * GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p));
  gst_video_frame_unmap(&frame);
  return buf;
}

static gchar *i420_caps(int w, int h) {
  return g_strdup_printf("video/x-raw,format=I420,width=%d,height=%d,framerate=30/1", w, h);
}

static GstHarness *motion_harness(const char *properties, int w, int h) {
  GstHarness *hr = gst_harness_new_parse((std::string("quadmotion name=m ") + properties).c_str());
  gchar *caps = i420_caps(w, h);
  gst_harness_set_src_caps_str(hr, caps);
  g_free(caps);
  return hr;
}

/* Pushes a frame, pulls it back and returns quadmotion's meta (the buffer
 * stays alive in *out, which the caller unrefs). */
static GstQuadMotionMeta *push_pull(GstHarness *hr, GstBuffer *in, GstBuffer **out) {
  fail_unless_equals_int(gst_harness_push(hr, in), GST_FLOW_OK);
  *out = gst_harness_pull(hr);
  fail_unless(*out != nullptr);
  GstQuadMotionMeta *meta = gst_buffer_get_quad_motion_meta(*out);
  fail_unless(meta != nullptr, "no motion meta");
  return meta;
}

static void assert_no_reference(GstQuadMotionMeta *meta, const char *when) {
  fail_unless_equals_int(meta->ref_distance, 0);
  for (guint i = 0; i < meta->cols * meta->rows; i++) {
    fail_unless(meta->vectors[i].flags == GST_QUAD_MOTION_FLAG_NO_REFERENCE, "%s: block %u", when,
                i);
    fail_unless(meta->vectors[i].mv_x == 0 && meta->vectors[i].mv_y == 0, "%s", when);
  }
}

/* The texture moved by (dx, dy) samples: every block away from the edges
 * (where new content enters) has the exact vector. */
static void assert_shift(GstQuadMotionMeta *meta, int dx, int dy, const char *what = "") {
  fail_unless_equals_int(meta->ref_distance, 1);
  for (guint r = 1; r + 1 < meta->rows; r++)
    for (guint c = 1; c + 1 < meta->cols; c++) {
      const GstQuadMotionVector *v = gst_quad_motion_meta_get(meta, c, r);
      fail_unless(v->mv_x == 4 * dx && v->mv_y == 4 * dy,
                  "%s: block %u,%u: %d,%d quarter samples, want %d,%d", what, c, r, v->mv_x,
                  v->mv_y, 4 * dx, 4 * dy);
      fail_if(v->flags & GST_QUAD_MOTION_FLAG_INTRA_BETTER, "%s: block %u,%u intra", what, c, r);
    }
}

/* A field of the stats of the harness's element named "m". */
static std::string stats_string(GstHarness *hr, const char *field) {
  GstElement *m = gst_bin_get_by_name(GST_BIN(hr->element), "m");
  fail_unless(m != nullptr);
  GstStructure *stats = nullptr;
  g_object_get(m, "stats", &stats, nullptr);
  const gchar *s = gst_structure_get_string(stats, field);
  std::string value = s ? s : "";
  gst_structure_free(stats);
  gst_object_unref(m);
  return value;
}

/* ---- tests ---- */

struct PipelineAccuracy {
  int frames = 0;
  int good = 0;
  int total = 0;
  int bad_first = 0;
};

static void check_pipeline_buffer(GstElement *, GstBuffer *buf, GstPad *, gpointer data) {
  auto *acc = static_cast<PipelineAccuracy *>(data);
  GstQuadMotionMeta *est, *truth;
  find_metas(buf, &est, &truth);
  fail_unless(est != nullptr && truth != nullptr, "frame %d lacks a meta", acc->frames);
  fail_unless_equals_int(est->cols, truth->cols);
  fail_unless_equals_int(est->rows, truth->rows);
  if (acc->frames++ == 0) {
    for (guint i = 0; i < est->cols * est->rows; i++)
      acc->bad_first += est->vectors[i].flags != GST_QUAD_MOTION_FLAG_NO_REFERENCE;
    return;
  }
  for (guint i = 0; i < est->cols * est->rows; i++) {
    const GstQuadMotionVector &t = truth->vectors[i];
    if (t.flags & (GST_QUAD_MOTION_FLAG_OCCLUDED | GST_QUAD_MOTION_FLAG_NO_REFERENCE))
      continue;
    const GstQuadMotionVector &e = est->vectors[i];
    acc->total++;
    acc->good += std::abs(e.mv_x - t.mv_x) <= 2 && std::abs(e.mv_y - t.mv_y) <= 2;
  }
}

/* The launch line users run, against the source's ground truth. */
GST_START_TEST(test_pipeline_matches_ground_truth) {
  const char *pans[][2] = {{"3.25", "-1.5"}, {"-17.75", "6.5"}, {"40", "-24.25"}};
  for (const auto &pan : pans) {
    gchar *desc = g_strdup_printf(
        "quadcapturesrc ground-truth=true is-live=false num-buffers=6 pan-x=%s pan-y=%s "
        "objects=4 ! video/x-raw,width=640,height=360 ! quadmotion name=m ! "
        "fakesink name=sink signal-handoffs=true",
        pan[0], pan[1]);
    GError *err = nullptr;
    GstElement *pipeline = gst_parse_launch(desc, &err);
    fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
    PipelineAccuracy acc;
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    g_signal_connect(sink, "handoff", G_CALLBACK(check_pipeline_buffer), &acc);
    gst_object_unref(sink);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 120 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "%s did not finish",
                desc);
    gst_message_unref(msg);
    gst_object_unref(bus);

    GstElement *m = gst_bin_get_by_name(GST_BIN(pipeline), "m");
    GstStructure *stats = nullptr;
    g_object_get(m, "stats", &stats, nullptr);
    guint64 frames = 0, no_ref = 0;
    gdouble per_block = 0;
    fail_unless(gst_structure_get_uint64(stats, "frames", &frames));
    fail_unless(gst_structure_get_uint64(stats, "no-reference", &no_ref));
    fail_unless(gst_structure_get_double(stats, "evaluations-per-block", &per_block));
    gst_structure_free(stats);
    gst_object_unref(m);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);

    fail_unless_equals_int(acc.frames, 6);
    fail_unless_equals_int(frames, 6);
    fail_unless_equals_int(no_ref, 1);
    fail_unless_equals_int(acc.bad_first, 0);
    fail_unless(per_block > 10 && per_block < 1000, "%f evaluations per block", per_block);
    fail_unless(acc.total > 2000);
    GST_INFO("pan %s,%s: %d of %d blocks within half a sample", pan[0], pan[1], acc.good,
             acc.total);
    fail_unless(acc.good >= 0.95 * acc.total, "pan %s,%s: only %d of %d within half a sample",
                pan[0], pan[1], acc.good, acc.total);
    g_free(desc);
  }
}
GST_END_TEST;

/* The meta goes on the frame without copying its pixels, even when the
 * frame is shared (then only the buffer's header is copied). */
GST_START_TEST(test_frame_is_not_copied) {
  const auto tex = make_texture();
  GstHarness *hr = motion_harness("", 64, 48);
  GstBuffer *in = textured_frame(tex, 64, 48, 0, 0);
  GstMemory *mem = gst_buffer_peek_memory(in, 0);
  gst_buffer_ref(in); /* shared: not writable */
  GstBuffer *out;
  GstQuadMotionMeta *meta = push_pull(hr, in, &out);
  fail_unless(gst_buffer_peek_memory(out, 0) == mem, "the frame's memory was replaced");
  fail_unless(gst_buffer_get_quad_motion_meta(in) == nullptr, "the shared input was changed");
  fail_unless_equals_int(meta->cols, 4);
  fail_unless_equals_int(meta->rows, 3);
  gst_buffer_unref(out);
  gst_buffer_unref(in);

  in = textured_frame(tex, 64, 48, 0, 0);
  mem = gst_buffer_peek_memory(in, 0);
  meta = push_pull(hr, in, &out);
  fail_unless(out == in, "a writable frame passes as the same buffer");
  fail_unless(gst_buffer_peek_memory(out, 0) == mem);
  gst_buffer_unref(out);
  gst_harness_teardown(hr);
}
GST_END_TEST;

/* First frame, discontinuity, flush, caps change, scene cut: no reference,
 * and the frame after each is measured against the right picture. */
GST_START_TEST(test_no_stale_reference) {
  const auto tex = make_texture();
  GstHarness *hr = motion_harness("", 128, 96);
  GstBuffer *out;
  int ox = 40, oy = 40;
  auto next = [&](int dx, int dy) {
    /* The texture moves right by dx: content comes from further left. */
    ox -= dx;
    oy -= dy;
    return textured_frame(tex, 128, 96, ox, oy);
  };

  assert_no_reference(push_pull(hr, next(0, 0), &out), "first frame");
  gst_buffer_unref(out);
  assert_shift(push_pull(hr, next(3, 1), &out), 3, 1);
  gst_buffer_unref(out);

  GstBuffer *disc = next(2, 2);
  GST_BUFFER_FLAG_SET(disc, GST_BUFFER_FLAG_DISCONT);
  assert_no_reference(push_pull(hr, disc, &out), "discontinuity");
  gst_buffer_unref(out);
  assert_shift(push_pull(hr, next(-5, 2), &out), -5, 2);
  gst_buffer_unref(out);

  fail_unless(gst_harness_push_event(hr, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(hr, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(hr, gst_event_new_segment(&segment)));
  assert_no_reference(push_pull(hr, next(1, 1), &out), "flush");
  gst_buffer_unref(out);
  assert_shift(push_pull(hr, next(0, -4), &out), 0, -4);
  gst_buffer_unref(out);

  GstBuffer *cut = next(2, 0);
  GstQuadAnalysisMeta *analysis = gst_buffer_add_quad_analysis_meta(cut, 16, 16, 8, 6);
  analysis->scene_cut = TRUE;
  assert_no_reference(push_pull(hr, cut, &out), "scene cut");
  gst_buffer_unref(out);
  assert_shift(push_pull(hr, next(7, 0), &out), 7, 0);
  gst_buffer_unref(out);

  gchar *caps = i420_caps(96, 64);
  gst_harness_set_src_caps_str(hr, caps);
  g_free(caps);
  GstQuadMotionMeta *meta = push_pull(hr, textured_frame(tex, 96, 64, ox, oy), &out);
  assert_no_reference(meta, "caps change");
  fail_unless_equals_int(meta->cols, 6);
  fail_unless_equals_int(meta->rows, 4);
  gst_buffer_unref(out);
  ox -= 4;
  assert_shift(push_pull(hr, textured_frame(tex, 96, 64, ox, oy), &out), 4, 0);
  gst_buffer_unref(out);
  gst_harness_teardown(hr);
}
GST_END_TEST;

GST_START_TEST(test_properties) {
  GstElement *m = gst_element_factory_make("quadmotion", nullptr);
  fail_unless(m != nullptr);
  gint block = 0, pattern = -1, backend = -1;
  guint range = 0, qp = 0, levels = 0;
  gboolean subpel = FALSE;
  gdouble lambda = 0;
  g_object_get(m, "block-size", &block, "search-range", &range, "pattern", &pattern, "subpel",
               &subpel, "backend", &backend, "qp", &qp, "lambda", &lambda, "pyramid-levels",
               &levels, nullptr);
  fail_unless_equals_int(block, 16);
  fail_unless_equals_int(range, 64);
  fail_unless_equals_int(pattern, 1);
  fail_unless(subpel);
  fail_unless_equals_int(backend, 0);
  fail_unless_equals_int(qp, 32);
  fail_unless_equals_float(lambda, -1.0);
  fail_unless_equals_int(levels, 4);
  gst_util_set_object_arg(G_OBJECT(m), "block-size", "32");
  gst_util_set_object_arg(G_OBJECT(m), "pattern", "diamond");
  g_object_get(m, "block-size", &block, "pattern", &pattern, nullptr);
  fail_unless_equals_int(block, 32);
  fail_unless_equals_int(pattern, 0);
  /* GLib refuses values outside a property's range. */
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(m), "search-range");
  fail_unless_equals_int(G_PARAM_SPEC_UINT(spec)->maximum, 256);
  gst_object_unref(m);
}
GST_END_TEST;

/* Every block size and both patterns find an integer shift exactly; a GPU
 * backend without a device runs on the CPU. */
GST_START_TEST(test_settings_and_backend_fallback) {
  const auto tex = make_texture();
  const char *settings[] = {"block-size=8",  "block-size=32 pattern=diamond",
                            "block-size=64", "subpel=false qp=45",
                            "lambda=0",      "backend=cuda pyramid-levels=1 search-range=16",
                            "backend=hip"};
  for (const char *s : settings) {
    GstHarness *hr = motion_harness(s, 256, 192);
    GstBuffer *out;
    push_pull(hr, textured_frame(tex, 256, 192, 50, 50), &out);
    gst_buffer_unref(out);
    GstQuadMotionMeta *meta = push_pull(hr, textured_frame(tex, 256, 192, 44, 53), &out);
    assert_shift(meta, 6, -3, s);
    gst_buffer_unref(out);
    const std::string backend = stats_string(hr, "backend");
    fail_unless(backend == "cpu" || backend == "cuda" || backend == "hip", "%s: backend %s", s,
                backend.c_str());
    gst_harness_teardown(hr);
  }
}
GST_END_TEST;

/* backend=cuda or hip without a device says so on the bus, once per start,
 * then searches on the CPU; a build and machine with the device post nothing. */
GST_START_TEST(test_missing_gpu_is_a_bus_warning) {
  for (const char *backend : {"cuda", "hip"}) {
    const std::string desc = std::string("quadcapturesrc is-live=false num-buffers=4 ! "
                                         "video/x-raw,width=128,height=96 ! quadmotion name=m "
                                         "backend=") +
                             backend + " ! fakesink";
    GError *err = nullptr;
    GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
    fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    int warnings = 0;
    std::string text;
    for (;;) {
      GstMessage *msg = gst_bus_timed_pop_filtered(
          bus, 60 * GST_SECOND,
          static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING));
      fail_unless(msg != nullptr, "%s: pipeline hung", backend);
      const GstMessageType type = GST_MESSAGE_TYPE(msg);
      fail_unless(type != GST_MESSAGE_ERROR, "%s: error", backend);
      if (type == GST_MESSAGE_WARNING) {
        GError *w = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_warning(msg, &w, &debug);
        text = std::string(w->message) + " | " + (debug ? debug : "");
        warnings++;
        g_error_free(w);
        g_free(debug);
      }
      gst_message_unref(msg);
      if (type == GST_MESSAGE_EOS)
        break;
    }
    gst_object_unref(bus);
    GstElement *m = gst_bin_get_by_name(GST_BIN(pipeline), "m");
    GstStructure *stats = nullptr;
    g_object_get(m, "stats", &stats, nullptr);
    const std::string ran = gst_structure_get_string(stats, "backend");
    gst_structure_free(stats);
    gst_object_unref(m);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    if (ran == backend) {
      fail_unless_equals_int(warnings, 0);
      continue;
    }
    fail_unless_equals_string(ran.c_str(), "cpu");
    fail_unless_equals_int(warnings, 1);
    fail_unless(text.find(std::string("backend=") + backend) != std::string::npos, "%s",
                text.c_str());
    fail_unless(text.find("CPU") != std::string::npos, "%s", text.c_str());
  }
}
GST_END_TEST;

/* quadpreproc's pyramid, when the frame carries one, replaces our own. */
GST_START_TEST(test_preproc_pyramid_is_used) {
  GstElementFactory *preproc = gst_element_factory_find("quadpreproc");
  if (!preproc) {
    GST_INFO("quadpreproc is not built: nothing to check");
    return;
  }
  gst_object_unref(preproc);
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "quadcapturesrc is-live=false num-buffers=4 ! video/x-raw,width=320,height=240 ! "
      "quadpreproc analysis=true pyramid-levels=3 ! quadmotion name=m ! fakesink",
      &err);
  fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_object_unref(bus);
  GstElement *m = gst_bin_get_by_name(GST_BIN(pipeline), "m");
  GstStructure *stats = nullptr;
  g_object_get(m, "stats", &stats, nullptr);
  guint64 external = 0;
  fail_unless(gst_structure_get_uint64(stats, "external-pyramids", &external));
  fail_unless_equals_int(external, 4);
  gst_structure_free(stats);
  gst_object_unref(m);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

/* A buffer smaller than its caps say: an error, not a crash. */
GST_START_TEST(test_short_buffer_is_an_error) {
  GstHarness *hr = motion_harness("", 64, 48);
  GstBuffer *tiny = gst_buffer_new_allocate(nullptr, 100, nullptr);
  fail_unless_equals_int(gst_harness_push(hr, tiny), GST_FLOW_ERROR);
  gst_harness_teardown(hr);
}
GST_END_TEST;

static Suite *quadmotion_suite(void) {
  Suite *s = suite_create("quadmotion");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_pipeline_matches_ground_truth);
  tcase_add_test(tc, test_frame_is_not_copied);
  tcase_add_test(tc, test_no_stale_reference);
  tcase_add_test(tc, test_properties);
  tcase_add_test(tc, test_settings_and_backend_fallback);
  tcase_add_test(tc, test_missing_gpu_is_a_bus_warning);
  tcase_add_test(tc, test_preproc_pyramid_is_used);
  tcase_add_test(tc, test_short_buffer_is_an_error);
  return s;
}

GST_CHECK_MAIN(quadmotion);
