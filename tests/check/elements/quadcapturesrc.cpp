/* quadcapturesrc: synthetic scenes, ground truth, live pacing, Y4M files and
 * their failure modes. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "quad/gstquadmotionmeta.h"

/* ---- helpers ---- */

static GstCaps *unix_caps() {
  return gst_caps_new_empty_simple("timestamp/x-unix");
}

struct RunResult {
  bool eos = false;
  std::string error;   /* message and debug text of the first error */
  std::string warning; /* same, first warning */
  int buffers = 0;
};

static void count_buffer(GstElement *, GstBuffer *, GstPad *, gpointer data) {
  static_cast<RunResult *>(data)->buffers++;
}

/* Runs a pipeline whose sink is "fakesink name=sink" to EOS or error. */
static RunResult run_pipeline(const std::string &description) {
  RunResult result;
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &err);
  fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "signal-handoffs", TRUE, nullptr);
  g_signal_connect(sink, "handoff", G_CALLBACK(count_buffer), &result);
  gst_object_unref(sink);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING));
    fail_unless(msg != nullptr, "pipeline hung: %s", description.c_str());
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
      GError *e = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_warning(msg, &e, &debug);
      if (result.warning.empty())
        result.warning = std::string(e->message) + " | " + (debug ? debug : "");
      g_clear_error(&e);
      g_free(debug);
      gst_message_unref(msg);
      continue;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError *e = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg, &e, &debug);
      result.error = std::string(e->message) + " | " + (debug ? debug : "");
      g_clear_error(&e);
      g_free(debug);
    } else {
      result.eos = true;
    }
    gst_message_unref(msg);
    break;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return result;
}

/* A Y4M file in a fresh temporary directory; its frames hold known bytes. */
struct TempY4m {
  std::string dir;
  std::string path;
  std::vector<std::vector<guint8>> frames;

  TempY4m() {
    gchar *d = g_dir_make_tmp("quadcapturesrc-XXXXXX", nullptr);
    dir = d;
    g_free(d);
    path = dir + "/clip.y4m";
  }
  ~TempY4m() {
    g_unlink(path.c_str());
    g_rmdir(dir.c_str());
  }

  /* Writes header + n frames of w x h 4:2:0, optionally cutting the last one short. */
  void write(const std::string &header, int w, int h, int n, size_t cut_last = 0) {
    const size_t frame_size = size_t(w) * h + 2 * size_t((w + 1) / 2) * ((h + 1) / 2);
    std::string data = header + "\n";
    frames.clear();
    for (int f = 0; f < n; f++) {
      std::vector<guint8> frame(frame_size);
      for (size_t i = 0; i < frame_size; i++)
        frame[i] = static_cast<guint8>((i * 7 + f * 31) & 0xff);
      data += "FRAME\n";
      size_t keep = (f == n - 1 && cut_last) ? frame_size - cut_last : frame_size;
      data.append(reinterpret_cast<const char *>(frame.data()), keep);
      frames.push_back(std::move(frame));
    }
    fail_unless(
        g_file_set_contents(path.c_str(), data.data(), static_cast<gssize>(data.size()), nullptr));
  }

  /* Header + n frames of frame_size bytes, frame f headed "FRAME" + params[f]. */
  void write_with_params(const std::string &header, size_t frame_size,
                         const std::vector<std::string> &params) {
    std::string data = header + "\n";
    for (const std::string &p : params)
      data += "FRAME" + p + "\n" + std::string(frame_size, '\x80');
    write_raw(data);
  }

  void write_raw(const std::string &bytes) {
    fail_unless(g_file_set_contents(path.c_str(), bytes.data(), static_cast<gssize>(bytes.size()),
                                    nullptr));
  }
};

static GstHarness *capture_harness(const char *properties, const char *caps) {
  GstHarness *h =
      gst_harness_new_parse((std::string("quadcapturesrc name=src ") + properties).c_str());
  if (caps)
    gst_harness_set_sink_caps_str(h, caps);
  gst_harness_play(h);
  return h;
}

/* Compares a frame's planes with the packed Y4M frame bytes. */
static void check_frame_equals(GstBuffer *buf, GstCaps *caps, const std::vector<guint8> &expect) {
  GstVideoInfo info;
  fail_unless(gst_video_info_from_caps(&info, caps));
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_READ));
  size_t pos = 0;
  for (guint p = 0; p < 3; p++) {
    const int w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, p);
    const int hgt = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
    const auto *data = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    for (int y = 0; y < hgt; y++) {
      fail_unless(memcmp(data + y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p), &expect[pos], w) == 0,
                  "plane %u row %d differs", p, y);
      pos += w;
    }
  }
  fail_unless_equals_int(pos, expect.size());
  gst_video_frame_unmap(&frame);
}

static guint64 stat_of(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  if (GST_IS_BIN(element)) {
    GstElement *src = gst_bin_get_by_name(GST_BIN(element), "src");
    fail_unless(src != nullptr, "name the source 'src'");
    g_object_get(src, "stats", &stats, nullptr);
    gst_object_unref(src);
  } else {
    g_object_get(element, "stats", &stats, nullptr);
  }
  guint64 value = 0;
  fail_unless(gst_structure_get_uint64(stats, field, &value));
  gst_structure_free(stats);
  return value;
}

static void expect_error(const std::string &path, const char *reason) {
  RunResult r =
      run_pipeline("quadcapturesrc is-live=false location=" + path + " ! fakesink name=sink");
  fail_unless(!r.error.empty(), "no error for %s", reason);
  fail_unless(r.error.find(path) != std::string::npos, "error does not name the file: %s",
              r.error.c_str());
  fail_unless(r.error.find(reason) != std::string::npos, "error does not say '%s': %s", reason,
              r.error.c_str());
}

/* ---- synthetic scenes ---- */

GST_START_TEST(test_pattern_formats_and_sizes) {
  const char *formats[] = {"I420", "NV12", "Y444", "BGRx"};
  const int sizes[][2] = {{16, 16}, {17, 33}, {352, 288}, {1366, 768}};
  GstCaps *ucaps = unix_caps();
  for (const char *format : formats) {
    for (const auto &size : sizes) {
      gchar *caps = g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1",
                                    format, size[0], size[1]);
      GstHarness *h = capture_harness("is-live=false", caps);
      GstClockTime last = GST_CLOCK_TIME_NONE;
      for (int i = 0; i < 3; i++) {
        GstBuffer *buf = gst_harness_pull(h);
        fail_unless(buf != nullptr);
        fail_unless(gst_buffer_get_reference_timestamp_meta(buf, ucaps) != nullptr,
                    "no capture stamp");
        fail_unless(GST_BUFFER_PTS_IS_VALID(buf));
        if (GST_CLOCK_TIME_IS_VALID(last))
          fail_unless(GST_BUFFER_PTS(buf) > last);
        last = GST_BUFFER_PTS(buf);

        /* A scene, not a flat field: luma takes many values. */
        GstVideoInfo info;
        GstCaps *negotiated = gst_pad_get_current_caps(h->sinkpad);
        gst_video_info_from_caps(&info, negotiated);
        gst_caps_unref(negotiated);
        GstVideoFrame frame;
        fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_READ));
        const auto *row = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
        guint8 lo = 255, hi = 0;
        for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&frame, 0); x++) {
          lo = MIN(lo, row[x]);
          hi = MAX(hi, row[x]);
        }
        fail_unless(hi > lo, "%s %dx%d: flat first row", format, size[0], size[1]);
        gst_video_frame_unmap(&frame);
        gst_buffer_unref(buf);
      }
      gst_harness_teardown(h);
      g_free(caps);
    }
  }
  gst_caps_unref(ucaps);
}
GST_END_TEST;

GST_START_TEST(test_ground_truth_meta) {
  GstHarness *h =
      capture_harness("is-live=false ground-truth=true pan-x=4 pan-y=-2.25 objects=0 block-size=16",
                      "video/x-raw,format=I420,width=100,height=64,framerate=30/1");
  GstBuffer *first = gst_harness_pull(h);
  GstQuadMotionMeta *m = gst_buffer_get_quad_motion_meta(first);
  fail_unless(m != nullptr);
  fail_unless_equals_int(m->cols, 7);
  fail_unless_equals_int(m->rows, 4);
  fail_unless_equals_int(m->ref_distance, 0);
  fail_unless(m->vectors[0].flags & GST_QUAD_MOTION_FLAG_NO_REFERENCE);
  gst_buffer_unref(first);

  GstBuffer *second = gst_harness_pull(h);
  m = gst_buffer_get_quad_motion_meta(second);
  fail_unless(m != nullptr);
  fail_unless_equals_int(m->ref_distance, 1);
  int checked = 0;
  for (guint i = 0; i < m->cols * m->rows; i++) {
    const GstQuadMotionVector &v = m->vectors[i];
    fail_unless(v.flags & GST_QUAD_MOTION_FLAG_GROUND_TRUTH);
    if (v.flags & GST_QUAD_MOTION_FLAG_OCCLUDED)
      continue;
    fail_unless_equals_int(v.mv_x, 16);
    fail_unless_equals_int(v.mv_y, -9);
    checked++;
  }
  fail_unless(checked > 0, "every block occluded");
  gst_buffer_unref(second);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* With an integer pan and no objects, frame n is frame n-1 moved by the
 * ground-truth vector, through the element's strides and padding. */
GST_START_TEST(test_ground_truth_matches_pixels) {
  GstHarness *h = capture_harness("is-live=false ground-truth=true pan-x=3 pan-y=1 objects=0",
                                  "video/x-raw,format=I420,width=128,height=96,framerate=30/1");
  GstVideoInfo info;
  GstCaps *caps =
      gst_caps_from_string("video/x-raw,format=I420,width=128,height=96,framerate=30/1");
  gst_video_info_from_caps(&info, caps);
  gst_caps_unref(caps);
  GstBuffer *a = gst_harness_pull(h);
  GstBuffer *b = gst_harness_pull(h);
  GstQuadMotionMeta *m = gst_buffer_get_quad_motion_meta(b);
  const GstQuadMotionVector *v = gst_quad_motion_meta_get(m, 3, 3);
  fail_unless(!(v->flags & GST_QUAD_MOTION_FLAG_OCCLUDED));
  const int dx = v->mv_x / 4, dy = v->mv_y / 4;
  fail_unless_equals_int(dx, 3);
  fail_unless_equals_int(dy, 1);

  GstVideoFrame fa, fb;
  fail_unless(gst_video_frame_map(&fa, &info, a, GST_MAP_READ));
  fail_unless(gst_video_frame_map(&fb, &info, b, GST_MAP_READ));
  const int sa = GST_VIDEO_FRAME_PLANE_STRIDE(&fa, 0), sb = GST_VIDEO_FRAME_PLANE_STRIDE(&fb, 0);
  const auto *pa = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&fa, 0));
  const auto *pb = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&fb, 0));
  for (int y = 16; y < 80; y++)
    for (int x = 16; x < 112; x++)
      fail_unless_equals_int(pb[y * sb + x], pa[(y - dy) * sa + (x - dx)]);
  gst_video_frame_unmap(&fa);
  gst_video_frame_unmap(&fb);
  gst_buffer_unref(a);
  gst_buffer_unref(b);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_live_latency_query) {
  GstHarness *h =
      capture_harness("is-live=true", "video/x-raw,format=I420,width=64,height=64,framerate=50/1");
  GstBuffer *buf = gst_harness_pull(h);
  gst_buffer_unref(buf);
  GstQuery *query = gst_query_new_latency();
  GstElement *src = gst_harness_find_element(h, "quadcapturesrc");
  fail_unless(gst_element_query(src, query));
  gst_object_unref(src);
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency(query, &live, &min, &max);
  fail_unless(live);
  fail_unless_equals_uint64(min, GST_SECOND / 50);
  fail_unless(max >= min);
  gst_query_unref(query);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Stalls once, on the fourth buffer, for 20 frame intervals. */
static GstPadProbeReturn slow_consumer(GstPad *, GstPadProbeInfo *, gpointer data) {
  if (++*static_cast<int *>(data) == 4)
    g_usleep(200 * 1000);
  return GST_PAD_PROBE_OK;
}

/* A late pipeline makes the source skip frames, count them, and leave a gap in
 * the timestamps, as a camera would. */
GST_START_TEST(test_live_drops_counted) {
  GstElement *pipeline = gst_parse_launch(
      "quadcapturesrc name=src is-live=true num-buffers=20 ! "
      "video/x-raw,format=I420,width=64,height=64,framerate=100/1 ! fakesink name=sink sync=false",
      nullptr);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  int seen = 0;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, slow_consumer, &seen, nullptr);
  gst_object_unref(pad);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  fail_unless(stat_of(src, "dropped") >= 10, "dropped %" G_GUINT64_FORMAT, stat_of(src, "dropped"));
  fail_unless_equals_uint64(stat_of(src, "frames"), 20);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_not_live_runs_ahead_of_clock) {
  /* 300 frames at 1 fps finish at once when not live. */
  const gint64 start = g_get_monotonic_time();
  RunResult r = run_pipeline("quadcapturesrc is-live=false num-buffers=300 ! "
                             "video/x-raw,width=64,height=64,framerate=1/1 ! fakesink name=sink");
  fail_unless(r.eos, "%s", r.error.c_str());
  fail_unless_equals_int(r.buffers, 300);
  fail_unless(g_get_monotonic_time() - start < 30 * G_USEC_PER_SEC);
}
GST_END_TEST;

/* block-size is an enum: a size that is not one does not parse, and the
 * error names the property. */
GST_START_TEST(test_bad_properties_and_caps) {
  for (const char *bs : {"12", "24", "128"}) {
    GError *err = nullptr;
    GstElement *pipeline = gst_parse_launch_full(
        (std::string("quadcapturesrc ground-truth=true block-size=") + bs + " ! fakesink").c_str(),
        nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    fail_unless(pipeline == nullptr);
    fail_unless(g_error_matches(err, GST_PARSE_ERROR, GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY));
    fail_unless(strstr(err->message, "block-size") != nullptr, "%s", err->message);
    g_error_free(err);
  }
  GstElement *src = gst_element_factory_make("quadcapturesrc", nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "block-size", "32");
  gint bs = 0;
  g_object_get(src, "block-size", &bs, nullptr);
  fail_unless_equals_int(bs, 32);
  gst_object_unref(src);
  RunResult r = run_pipeline("quadcapturesrc ! video/x-raw,width=8,height=8 ! fakesink name=sink");
  fail_unless(!r.error.empty(), "8x8 is below the minimum size and must not negotiate");
}
GST_END_TEST;

/* is-live=false takes effect on the very first start: the pipeline
 * prerolls (ASYNC), where a live source would say NO_PREROLL. */
GST_START_TEST(test_not_live_prerolls_on_first_start) {
  for (bool live : {false, true}) {
    GstElement *pipeline = gst_parse_launch(
        live ? "quadcapturesrc is-live=true ! video/x-raw,width=64,height=64 ! fakesink"
             : "quadcapturesrc is-live=false ! video/x-raw,width=64,height=64 ! fakesink",
        nullptr);
    fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PAUSED),
                           live ? GST_STATE_CHANGE_NO_PREROLL : GST_STATE_CHANGE_ASYNC);
    if (!live)
      fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
                             GST_STATE_CHANGE_SUCCESS);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
}
GST_END_TEST;

GST_START_TEST(test_block_size_sets_grid) {
  for (int bs : {8, 32, 64}) {
    GstHarness *h = capture_harness(
        ("is-live=false ground-truth=true block-size=" + std::to_string(bs)).c_str(),
        "video/x-raw,format=I420,width=100,height=64,framerate=30/1");
    GstBuffer *buf = gst_harness_pull(h);
    GstQuadMotionMeta *m = gst_buffer_get_quad_motion_meta(buf);
    fail_unless(m != nullptr);
    fail_unless_equals_int(m->block_width, bs);
    fail_unless_equals_int(m->cols, (100 + bs - 1) / bs);
    gst_buffer_unref(buf);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* The caps of the harness's sink pad after one buffer. */
static GstCaps *negotiated_caps(const char *properties, const char *caps) {
  GstHarness *h = capture_harness(properties, caps);
  GstBuffer *buf = gst_harness_pull(h);
  fail_unless(buf != nullptr);
  gst_buffer_unref(buf);
  GstCaps *out = gst_pad_get_current_caps(h->sinkpad);
  gst_harness_teardown(h);
  return out;
}

static std::string field_text(GstCaps *caps, const char *field) {
  const GValue *v = gst_structure_get_value(gst_caps_get_structure(caps, 0), field);
  if (!v)
    return "(none)";
  gchar *text = gst_value_serialize(v);
  std::string out = text;
  g_free(text);
  return out;
}

static void expect_field(GstCaps *caps, const char *field, const std::string &value) {
  const std::string got = field_text(caps, field);
  fail_unless(got == value, "%s is %s, not %s in %" GST_PTR_FORMAT, field, got.c_str(),
              value.c_str(), caps);
}

/* A scene is what the generator renders: progressive BT.601 limited range
 * with MPEG-2 sited 4:2:0 chroma, or sRGB; the pixel aspect ratio is 1/1
 * unless downstream asks for another, and a colorimetry the scene does not
 * have does not negotiate. */
GST_START_TEST(test_pattern_caps_complete) {
  struct Case {
    const char *format, *colorimetry, *chroma_site;
  } cases[] = {{"I420", "bt601", "mpeg2"},
               {"NV12", "bt601", "mpeg2"},
               {"Y444", "bt601", "(none)"},
               {"BGRx", "sRGB", "(none)"}};
  for (const Case &c : cases) {
    const std::string request =
        std::string("video/x-raw,format=") + c.format + ",width=64,height=48,framerate=30/1";
    GstCaps *caps = negotiated_caps("is-live=false", request.c_str());
    fail_unless(gst_caps_is_fixed(caps));
    expect_field(caps, "pixel-aspect-ratio", "1/1");
    expect_field(caps, "interlace-mode", "progressive");
    expect_field(caps, "colorimetry", c.colorimetry);
    expect_field(caps, "chroma-site", c.chroma_site);
    gst_caps_unref(caps);
  }
  GstCaps *caps = negotiated_caps(
      "is-live=false", "video/x-raw,width=64,height=48,framerate=30/1,pixel-aspect-ratio=12/11");
  expect_field(caps, "pixel-aspect-ratio", "12/11");
  gst_caps_unref(caps);
  RunResult r = run_pipeline("quadcapturesrc is-live=false num-buffers=2 ! "
                             "video/x-raw,format=I420,colorimetry=bt709 ! fakesink name=sink");
  fail_unless(!r.error.empty(), "bt709 negotiated from a BT.601 scene");
}
GST_END_TEST;

/* ---- Y4M files ---- */

/* Each header token that says something about the pictures reaches the caps. */
GST_START_TEST(test_y4m_caps_from_header) {
  struct Case {
    const char *tokens;
    size_t frame_size; /* of a 16x8 frame */
    const char *field, *value;
  } cases[] = {
      {"A128:117", 192, "pixel-aspect-ratio", "128/117"},
      {"A0:0", 192, "pixel-aspect-ratio", "1/1"},
      {"F60:2", 192, "framerate", "30/1"},
      {"F1000:1", 192, "framerate", "1000/1"},
      {"F3:4294967295", 192, "framerate", "1/1431655765"},
      {"C420jpeg", 192, "chroma-site", "jpeg"},
      {"C420", 192, "chroma-site", "jpeg"},
      {"C420mpeg2", 192, "chroma-site", "mpeg2"},
      {"C420paldv", 192, "chroma-site", "dv"},
      {"C422", 256, "chroma-site", "mpeg2"},
      {"C422", 256, "format", "Y42B"},
      {"C444", 384, "format", "Y444"},
      {"Ip", 192, "interlace-mode", "progressive"},
      {"I?", 192, "interlace-mode", "progressive"},
      {"It", 192, "interlace-mode", "interleaved"},
      {"It", 192, "field-order", "top-field-first"},
      {"Ib", 192, "field-order", "bottom-field-first"},
      {"Im", 192, "interlace-mode", "mixed"},
  };
  TempY4m file;
  for (const Case &c : cases) {
    file.write_with_params(std::string("YUV4MPEG2 W16 H8 F25:1 ") + c.tokens, c.frame_size, {""});
    GstCaps *caps = negotiated_caps(("is-live=false location=" + file.path).c_str(), nullptr);
    expect_field(caps, c.field, c.value);
    gst_caps_unref(caps);
  }
  /* The range, where the header gives it; the matrix is GStreamer's default
   * for the size (BT.601 here). */
  const std::pair<const char *, GstVideoColorRange> ranges[] = {
      {"", GST_VIDEO_COLOR_RANGE_16_235},
      {"XCOLORRANGE=LIMITED", GST_VIDEO_COLOR_RANGE_16_235},
      {"XCOLORRANGE=FULL", GST_VIDEO_COLOR_RANGE_0_255}};
  for (const auto &[token, range] : ranges) {
    file.write_with_params(std::string("YUV4MPEG2 W16 H8 F25:1 ") + token, 192, {""});
    GstCaps *caps = negotiated_caps(("is-live=false location=" + file.path).c_str(), nullptr);
    GstVideoInfo info;
    fail_unless(gst_video_info_from_caps(&info, caps));
    fail_unless_equals_int(info.colorimetry.range, range);
    fail_unless_equals_int(info.colorimetry.matrix, GST_VIDEO_COLOR_MATRIX_BT601);
    gst_caps_unref(caps);
  }
}
GST_END_TEST;

/* Im: each frame's own I parameter flags its buffer; frames without one are
 * progressive. It: every buffer is flagged top field first. */
GST_START_TEST(test_y4m_interlace_flags_per_frame) {
  TempY4m file;
  file.write_with_params("YUV4MPEG2 W16 H8 F25:1 Im", 192, {" Itip", " Ibi?", " I1pp", ""});
  GstHarness *h = capture_harness(("is-live=false location=" + file.path).c_str(), nullptr);
  const guint interlaced = GST_VIDEO_BUFFER_FLAG_INTERLACED, tff = GST_VIDEO_BUFFER_FLAG_TFF;
  const guint expect[] = {interlaced | tff, interlaced, 0, 0};
  for (guint flags : expect) {
    GstBuffer *buf = gst_harness_pull(h);
    fail_unless_equals_int(GST_BUFFER_FLAGS(buf) & (interlaced | tff), flags);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);

  file.write_with_params("YUV4MPEG2 W16 H8 F25:1 It", 192, {"", ""});
  h = capture_harness(("is-live=false location=" + file.path).c_str(), nullptr);
  for (int i = 0; i < 2; i++) {
    GstBuffer *buf = gst_harness_pull(h);
    fail_unless_equals_int(GST_BUFFER_FLAGS(buf) & (interlaced | tff), interlaced | tff);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Downstream that cannot take what the file is gets an error naming the
 * file and the field it refuses, not a bare not-negotiated. */
GST_START_TEST(test_y4m_refused_caps_name_the_field) {
  TempY4m file;
  struct Case {
    const char *tokens, *capsfilter, *field;
  } cases[] = {
      {"It", "video/x-raw,interlace-mode=progressive", "interlace-mode=interleaved"},
      {"A16:11", "video/x-raw,pixel-aspect-ratio=1/1", "pixel-aspect-ratio=16/11"},
      {"C420paldv", "video/x-raw,chroma-site=jpeg", "chroma-site=dv"},
      {"XCOLORRANGE=FULL", "video/x-raw,colorimetry=bt601", "colorimetry="},
  };
  for (const Case &c : cases) {
    file.write_with_params(std::string("YUV4MPEG2 W16 H8 F25:1 ") + c.tokens, 192, {"", ""});
    RunResult r = run_pipeline("quadcapturesrc is-live=false location=" + file.path + " ! " +
                               c.capsfilter + " ! fakesink name=sink");
    fail_unless(r.error.find(c.field) != std::string::npos, "%s: %s", c.tokens, r.error.c_str());
    fail_unless(r.error.find(file.path) != std::string::npos, "%s: %s", c.tokens, r.error.c_str());
    fail_unless_equals_int(r.buffers, 0);
  }
}
GST_END_TEST;

/* Frame rates beyond what the template says are refused at start, naming
 * the file and the reason. */
GST_START_TEST(test_y4m_frame_rate_out_of_range) {
  TempY4m file;
  file.write_with_params("YUV4MPEG2 W16 H8 F1001:1", 192, {""});
  expect_error(file.path, "above 1000 frames per second");
  file.write_with_params("YUV4MPEG2 W16 H8 F1:4294967294", 192, {""});
  expect_error(file.path, "out of range");
}
GST_END_TEST;

GST_START_TEST(test_y4m_frames_equal_file) {
  TempY4m file;
  file.write("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG", 64, 48, 4);
  GstHarness *h = capture_harness(("is-live=false location=" + file.path).c_str(), nullptr);
  GstCaps *caps = nullptr;
  for (int i = 0; i < 4; i++) {
    GstBuffer *buf = gst_harness_pull(h);
    fail_unless(buf != nullptr);
    if (!caps)
      caps = gst_pad_get_current_caps(h->sinkpad);
    check_frame_equals(buf, caps, file.frames[i]);
    fail_unless_equals_uint64(GST_BUFFER_PTS(buf), i * GST_SECOND / 25);
    gst_buffer_unref(buf);
  }
  fail_unless(gst_harness_pull_event(h) != nullptr);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  fail_unless_equals_string(gst_structure_get_string(s, "format"), "I420");
  fail_unless_equals_string(gst_structure_get_string(s, "chroma-site"), "jpeg");
  /* 64 wide: the packed layout is GStreamer's default, so nothing was copied. */
  fail_unless_equals_uint64(stat_of(h->element, "zero-copy"), 4);
  fail_unless_equals_uint64(stat_of(h->element, "copied"), 0);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* 36 wide: chroma rows are 18 bytes, GStreamer's default is 20. A peer that
 * reads GstVideoMeta gets the mapping as it is; one that cannot gets a copy. */
GST_START_TEST(test_y4m_odd_layout_copy_or_meta) {
  TempY4m file;
  file.write("YUV4MPEG2 W36 H20 F30000:1001 C420mpeg2", 36, 20, 2);
  for (bool video_meta : {false, true}) {
    GstHarness *h = gst_harness_new_parse(
        ("quadcapturesrc name=src is-live=false location=" + file.path).c_str());
    if (video_meta)
      gst_harness_add_propose_allocation_meta(h, GST_VIDEO_META_API_TYPE, nullptr);
    gst_harness_play(h);
    GstCaps *caps = nullptr;
    for (int i = 0; i < 2; i++) {
      GstBuffer *buf = gst_harness_pull(h);
      if (!caps)
        caps = gst_pad_get_current_caps(h->sinkpad);
      check_frame_equals(buf, caps, file.frames[i]);
      gst_buffer_unref(buf);
    }
    fail_unless_equals_uint64(stat_of(h->element, video_meta ? "zero-copy" : "copied"), 2);
    gst_caps_unref(caps);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

GST_START_TEST(test_y4m_real_clip) {
  const char *dir = g_getenv("QUAD_CLIPS_Y4M_DIR");
  if (!dir) {
    g_print("SKIP: QUAD_CLIPS_Y4M_DIR not set\n");
    return;
  }
  const std::string path = std::string(dir) + "/carphone_qcif_120f.y4m";
  RunResult r =
      run_pipeline("quadcapturesrc is-live=false location=" + path + " ! fakesink name=sink");
  fail_unless(r.eos, "%s", r.error.c_str());
  fail_unless_equals_int(r.buffers, 120);
  fail_unless(r.warning.empty(), "%s", r.warning.c_str());
}
GST_END_TEST;

GST_START_TEST(test_y4m_loop) {
  TempY4m file;
  file.write("YUV4MPEG2 W16 H16 F30:1", 16, 16, 3);
  RunResult r =
      run_pipeline("quadcapturesrc is-live=false loop=true num-buffers=10 location=" + file.path +
                   " ! fakesink name=sink");
  fail_unless(r.eos, "%s", r.error.c_str());
  fail_unless_equals_int(r.buffers, 10);
}
GST_END_TEST;

GST_START_TEST(test_y4m_truncated_last_frame_warns_then_eos) {
  TempY4m file;
  file.write("YUV4MPEG2 W16 H16 F30:1", 16, 16, 4, 100);
  RunResult r =
      run_pipeline("quadcapturesrc is-live=false location=" + file.path + " ! fakesink name=sink");
  fail_unless(r.eos, "%s", r.error.c_str());
  fail_unless_equals_int(r.buffers, 3);
  fail_unless(r.warning.find(file.path) != std::string::npos, "warning: %s", r.warning.c_str());
  fail_unless(r.warning.find("truncated") != std::string::npos, "warning: %s", r.warning.c_str());
}
GST_END_TEST;

/* Reads every byte of a buffer, as an encoder would. */
static void touch_buffer(GstElement *, GstBuffer *buf, GstPad *, gpointer data) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  guint sum = 0;
  for (gsize i = 0; i < map.size; i++)
    sum += map.data[i];
  gst_buffer_unmap(buf, &map);
  auto *count = static_cast<std::atomic<int> *>(data);
  count->fetch_add(1 + static_cast<int>(sum & 0));
}

/* The file is cut to two frames while it plays: an error naming it, never
 * SIGBUS, whether frames are mapped downstream or copied. */
GST_START_TEST(test_y4m_cut_while_playing_is_an_error) {
  for (const char *tail :
       {"! fakesink name=sink", "! videoconvert ! video/x-raw,format=Y444 ! fakesink name=sink"}) {
    TempY4m file;
    file.write("YUV4MPEG2 W256 H144 F100:1", 256, 144, 300);
    const std::string desc = "quadcapturesrc location=" + file.path + " " + tail;
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    std::atomic<int> buffers{0};
    g_object_set(sink, "signal-handoffs", TRUE, nullptr);
    g_signal_connect(sink, "handoff", G_CALLBACK(touch_buffer), &buffers);
    gst_object_unref(sink);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    while (buffers < 10)
      g_usleep(1000);
    fail_unless(truncate(file.path.c_str(), 100) == 0);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless(msg != nullptr, "neither EOS nor an error");
    fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_ERROR);
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    fail_unless(strstr(err->message, file.path.c_str()) != nullptr, "%s", err->message);
    fail_unless(debug && strstr(debug, "shrank") != nullptr, "%s", debug);
    g_error_free(err);
    g_free(debug);
    gst_message_unref(msg);
    gst_object_unref(bus);
    fail_unless(buffers < 300);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
}
GST_END_TEST;

/* Frames handed out without a copy and still held downstream when the file
 * is cut: reading them gives zeros where the file lost its pages, never
 * SIGBUS, and the next frame is an error. */
GST_START_TEST(test_y4m_cut_while_frames_held) {
  TempY4m file;
  file.write("YUV4MPEG2 W256 H144 F25:1", 256, 144, 8);
  GstHarness *h = capture_harness(("is-live=false location=" + file.path).c_str(), nullptr);
  std::vector<GstBuffer *> held;
  for (int i = 0; i < 4; i++)
    held.push_back(gst_harness_pull(h));
  fail_unless(stat_of(h->element, "zero-copy") >= 4);
  fail_unless(truncate(file.path.c_str(), 100) == 0);
  for (size_t i = 0; i < held.size(); i++) {
    GstMapInfo map;
    fail_unless(gst_buffer_map(held[i], &map, GST_MAP_READ));
    guint64 sum = 0;
    for (gsize b = 0; b < map.size; b++)
      sum += map.data[b];
    /* Frame 0 starts inside the 100 bytes that are left. */
    if (i > 0)
      fail_unless_equals_uint64(sum, 0);
    gst_buffer_unmap(held[i], &map);
    gst_buffer_unref(held[i]);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* The offset of the buffer a paused pipeline prerolls on after a flushing
 * seek to `position`. */
static guint64 first_after_seek(GstElement *pipeline, GstElement *sink, GstClockTime position,
                                GstClockTime *pts) {
  struct Seen {
    std::atomic<bool> got{false};
    guint64 offset = 0;
    GstClockTime pts = 0;
  } seen;
  const gulong id =
      g_signal_connect(sink, "preroll-handoff",
                       G_CALLBACK(+[](GstElement *, GstBuffer *buf, GstPad *, gpointer data) {
                         auto *s = static_cast<Seen *>(data);
                         if (s->got)
                           return;
                         s->offset = GST_BUFFER_OFFSET(buf);
                         s->pts = GST_BUFFER_PTS(buf);
                         s->got = true;
                       }),
                       &seen);
  fail_unless(gst_element_seek_simple(
      pipeline, GST_FORMAT_TIME,
      static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), position));
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
                         GST_STATE_CHANGE_SUCCESS);
  for (int i = 0; i < 1000 && !seen.got; i++)
    g_usleep(1000);
  g_signal_handler_disconnect(sink, id);
  fail_unless(seen.got);
  *pts = seen.pts;
  return seen.offset;
}

GST_START_TEST(test_y4m_not_live_duration_and_seek) {
  TempY4m file;
  file.write("YUV4MPEG2 W32 H16 F30000:1001", 32, 16, 50);
  const std::string desc =
      "quadcapturesrc name=src is-live=false location=" + file.path + " ! fakesink name=sink";
  GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "signal-handoffs", TRUE, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
                         GST_STATE_CHANGE_SUCCESS);
  gint64 duration = 0;
  fail_unless(gst_element_query_duration(pipeline, GST_FORMAT_TIME, &duration));
  fail_unless_equals_uint64(duration, gst_util_uint64_scale(50, 1001 * GST_SECOND, 30000));
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  fail_unless(gst_element_query_duration(src, GST_FORMAT_DEFAULT, &duration));
  fail_unless_equals_int(duration, 50);
  GstQuery *seeking = gst_query_new_seeking(GST_FORMAT_TIME);
  fail_unless(gst_element_query(pipeline, seeking));
  gboolean seekable = FALSE;
  gst_query_parse_seeking(seeking, nullptr, &seekable, nullptr, nullptr);
  fail_unless(seekable);
  gst_query_unref(seeking);
  gst_object_unref(src);

  for (guint64 frame : {20u, 3u, 49u, 0u}) {
    const GstClockTime at = gst_util_uint64_scale(frame, 1001 * GST_SECOND, 30000);
    GstClockTime pts = 0;
    fail_unless_equals_uint64(first_after_seek(pipeline, sink, at, &pts), frame);
    fail_unless_equals_uint64(pts, at);
    /* A time inside a frame lands on the next one. */
    if (frame < 49)
      fail_unless_equals_uint64(first_after_seek(pipeline, sink, at + 1, &pts), frame + 1);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_y4m_errors_name_file_and_reason) {
  TempY4m file;
  expect_error(file.dir + "/missing.y4m", "cannot open");
  file.write_raw("RIFF....WAVEfmt ");
  expect_error(file.path, "bad magic");
  file.write_raw("YUV4MPEG2 W16 H16 F30:1 C420p10\nFRAME\n");
  expect_error(file.path, "C420p10");
  file.write_raw("YUV4MPEG2 W100000 H5 F30:1\nFRAME\n");
  expect_error(file.path, "absurd");
  file.write("YUV4MPEG2 W16 H16 F30:1", 16, 16, 1, 1);
  expect_error(file.path, "no complete frame");
}
GST_END_TEST;

/* Mutated files end in EOS or a clean error, never a crash or a hang. */
GST_START_TEST(test_y4m_mutations_never_crash) {
  TempY4m file;
  file.write("YUV4MPEG2 W16 H8 F30:1 Ip A0:0 C420mpeg2 XCOLORRANGE=LIMITED", 16, 8, 3);
  gchar *contents = nullptr;
  gsize length = 0;
  fail_unless(g_file_get_contents(file.path.c_str(), &contents, &length, nullptr));
  const std::string original(contents, length);
  g_free(contents);

  std::mt19937 rng(1234);
  int errors = 0, eos = 0;
  for (int i = 0; i < 150; i++) {
    std::string m = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; e++) {
      const size_t at = rng() % m.size();
      switch (rng() % 4) {
      case 0:
        m[at] = static_cast<char>(rng());
        break;
      case 1:
        m.insert(at, 1, "0123456789 \nXFRAMEWHC:"[rng() % 22]);
        break;
      case 2:
        m.erase(at, 1 + rng() % 8);
        break;
      default:
        m.resize(at);
        break;
      }
      if (m.empty())
        m = "Y";
    }
    file.write_raw(m);
    RunResult r = run_pipeline("quadcapturesrc is-live=false location=" + file.path +
                               " ! fakesink name=sink");
    (r.eos ? eos : errors)++;
  }
  fail_unless(eos > 0 && errors > 0, "eos %d errors %d", eos, errors);
}
GST_END_TEST;

static Suite *quadcapturesrc_suite(void) {
  Suite *s = suite_create("quadcapturesrc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_pattern_formats_and_sizes);
  tcase_add_test(tc, test_ground_truth_meta);
  tcase_add_test(tc, test_ground_truth_matches_pixels);
  tcase_add_test(tc, test_live_latency_query);
  tcase_add_test(tc, test_live_drops_counted);
  tcase_add_test(tc, test_not_live_runs_ahead_of_clock);
  tcase_add_test(tc, test_bad_properties_and_caps);
  tcase_add_test(tc, test_block_size_sets_grid);
  tcase_add_test(tc, test_pattern_caps_complete);
  tcase_add_test(tc, test_y4m_caps_from_header);
  tcase_add_test(tc, test_y4m_interlace_flags_per_frame);
  tcase_add_test(tc, test_y4m_refused_caps_name_the_field);
  tcase_add_test(tc, test_y4m_frame_rate_out_of_range);
  tcase_add_test(tc, test_y4m_frames_equal_file);
  tcase_add_test(tc, test_y4m_odd_layout_copy_or_meta);
  tcase_add_test(tc, test_y4m_real_clip);
  tcase_add_test(tc, test_y4m_loop);
  tcase_add_test(tc, test_y4m_truncated_last_frame_warns_then_eos);
  tcase_add_test(tc, test_y4m_errors_name_file_and_reason);
  tcase_add_test(tc, test_y4m_mutations_never_crash);
  tcase_add_test(tc, test_not_live_prerolls_on_first_start);
  tcase_add_test(tc, test_y4m_cut_while_playing_is_an_error);
  tcase_add_test(tc, test_y4m_cut_while_frames_held);
  tcase_add_test(tc, test_y4m_not_live_duration_and_seek);
  return s;
}

GST_CHECK_MAIN(quadcapturesrc);
