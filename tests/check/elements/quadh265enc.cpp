/* quadh265enc: the element around the HEVC core. Bit-exactness of the
 * streams themselves is the conformance harness's job (tests/check/hevc);
 * here: caps, stream formats and profiles from downstream, key frames and
 * parameter sets, decodability through GStreamer's own parser and decoder,
 * FFmpeg and muxers, latency, stats, caps changes, rate settings changed
 * while PLAYING, the properties offered, and bad input. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "encoder_check.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadmotionmeta.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

/* NAL unit types present in an Annex B access unit. */
static std::vector<int> nal_types(GstBuffer *buf) {
  std::vector<int> types;
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  for (gsize i = 0; i + 3 < map.size; i++) {
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1) {
      types.push_back((map.data[i + 3] >> 1) & 0x3f);
      i += 2;
    }
  }
  gst_buffer_unmap(buf, &map);
  return types;
}

static bool has_type(const std::vector<int> &types, int type) {
  for (int t : types)
    if (t == type)
      return true;
  return false;
}

/* sink_caps: what downstream takes, set before the input's caps. */
static GstHarness *encoder_harness(const char *props, const char *format, int w, int h,
                                   const char *sink_caps = nullptr) {
  GstHarness *hr = gst_harness_new("quadh265enc");
  if (sink_caps)
    gst_harness_set_sink_caps_str(hr, sink_caps);
  gchar **pairs = g_strsplit(props, " ", -1);
  for (gchar **pair = pairs; *pair; pair++) {
    gchar **kv = g_strsplit(*pair, "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg(G_OBJECT(hr->element), kv[0], kv[1]);
    g_strfreev(kv);
  }
  g_strfreev(pairs);
  gchar *caps =
      g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", format, w, h);
  gst_harness_set_src_caps_str(hr, caps);
  g_free(caps);
  return hr;
}

/* A frame with a gradient and some texture, so the encoder has work to do. */
static GstBuffer *test_frame(const char *format, int w, int h, int index) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), w, h);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(&info), w, h,
                                 GST_VIDEO_INFO_N_PLANES(&info), info.offset, info.stride);
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_WRITE));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
    auto *data = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
    const int rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
    for (int y = 0; y < rows; y++)
      for (int x = 0; x < stride; x++)
        data[y * stride + x] = static_cast<guint8>(x * 3 + y * 2 + index * 5 + ((x ^ y) & 8) * 4);
  }
  gst_video_frame_unmap(&frame);
  GST_BUFFER_PTS(buf) = index * GST_SECOND / 30;
  GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
  return buf;
}

GST_START_TEST(test_output_caps_and_key_frames) {
  for (const char *format : {"I420", "NV12"}) {
    GstHarness *h = encoder_harness("key-int-max=4 qp=30", format, 96, 64);
    for (int i = 0; i < 9; i++) {
      GstBuffer *out = gst_harness_push_and_pull(h, test_frame(format, 96, 64, i));
      fail_unless(out != nullptr);
      const bool key = !GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT);
      fail_unless_equals_int(key, i % 4 == 0);
      const std::vector<int> types = nal_types(out);
      /* H.265 Table 7-1: 32 VPS, 33 SPS, 34 PPS, 19/20 IDR, 40 suffix SEI. */
      fail_unless_equals_int(has_type(types, 32), key);
      fail_unless_equals_int(has_type(types, 33), key);
      fail_unless_equals_int(has_type(types, 34), key);
      fail_unless(has_type(types, 19) || has_type(types, 20) || !key);
      fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * GST_SECOND / 30);
      gst_buffer_unref(out);
    }
    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    GstStructure *s = gst_caps_get_structure(caps, 0);
    fail_unless(gst_structure_has_name(s, "video/x-h265"));
    fail_unless_equals_string(gst_structure_get_string(s, "stream-format"), "byte-stream");
    fail_unless_equals_string(gst_structure_get_string(s, "alignment"), "au");
    fail_unless_equals_string(gst_structure_get_string(s, "profile"), "main");
    gst_caps_unref(caps);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* A receiver joining asks for a key frame: the next picture is an IDR with
 * parameter sets, even with no IDR period. */
GST_START_TEST(test_force_key_unit) {
  GstHarness *h = encoder_harness("key-int-max=0", "I420", 64, 64);
  for (int i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 64, 64, i));
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), i > 0);
    gst_buffer_unref(out);
  }
  fail_unless(gst_harness_push_upstream_event(
      h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1)));
  GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 64, 64, 3));
  fail_if(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless(has_type(nal_types(out), 32));
  gst_buffer_unref(out);
  out = gst_harness_push_and_pull(h, test_frame("I420", 64, 64, 4));
  fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* rate-control=cbr: once settled, pictures average the bit rate's share. */
GST_START_TEST(test_constant_bit_rate) {
  const int kbps = 400, frames = 40;
  GstHarness *h = encoder_harness("rate-control=cbr bitrate=400 key-int-max=30", "I420", 176, 144);
  double settled_bits = 0;
  for (int i = 0; i < frames; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 176, 144, i));
    if (i >= frames / 2)
      settled_bits += 8.0 * gst_buffer_get_size(out);
    gst_buffer_unref(out);
  }
  const double per_picture = settled_bits / (frames - frames / 2);
  const double target = kbps * 1000.0 / 30;
  fail_unless(per_picture > 0.6 * target && per_picture < 1.4 * target,
              "%.0f bits per picture against a target of %.0f", per_picture, target);
  gst_harness_teardown(h);

  /* The same pictures at constant QP cost what the QP says, not the target. */
  h = encoder_harness("rate-control=cqp qp=12", "I420", 176, 144);
  GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 176, 144, 0));
  fail_unless(8.0 * gst_buffer_get_size(out) > 2 * target);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_no_latency_added) {
  GstHarness *h = encoder_harness("", "I420", 64, 64);
  gst_buffer_unref(gst_harness_push_and_pull(h, test_frame("I420", 64, 64, 0)));
  GstClockTime min = 0, max = 0;
  gst_video_encoder_get_latency(GST_VIDEO_ENCODER(h->element), &min, &max);
  fail_unless_equals_uint64(min, 0);
  fail_unless_equals_uint64(max, 0);
  gst_harness_teardown(h);
}
GST_END_TEST;

static std::string run_to_end(const std::string &description, int *frames) {
  GstElement *pipeline = gst_parse_launch(description.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  *frames = 0;
  if (sink) {
    g_object_set(sink, "signal-handoffs", TRUE, nullptr);
    g_signal_connect(sink, "handoff",
                     G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer n) {
                       ++*static_cast<int *>(n);
                     }),
                     frames);
    gst_object_unref(sink);
  }
  return play_to_end(pipeline, 120 * GST_SECOND, true);
}

/* GStreamer's own parser and decoder take the stream, every frame of it. */
GST_START_TEST(test_decodes_with_h265parse_avdec) {
  if (!gst_registry_check_feature_version(gst_registry_get(), "avdec_h265", 1, 0, 0)) {
    g_print("SKIP: avdec_h265 not installed\n");
    return;
  }
  for (const char *ctu : {"16", "32", "64"}) {
    int frames = 0;
    const std::string error =
        run_to_end(std::string("quadcapturesrc is-live=false num-buffers=12 ! "
                               "video/x-raw,format=I420,width=208,height=120,framerate=30/1 ! "
                               "quadh265enc key-int-max=5 ctu-size=") +
                       ctu + " ! h265parse ! avdec_h265 ! fakesink name=sink",
                   &frames);
    fail_unless(error.empty(), "ctu %s: %s", ctu, error.c_str());
    fail_unless_equals_int(frames, 12);
  }
}
GST_END_TEST;

GST_START_TEST(test_odd_size_is_a_clear_error) {
  int frames = 0;
  const std::string error = run_to_end("quadcapturesrc is-live=false num-buffers=2 ! "
                                       "video/x-raw,format=I420,width=33,height=32 ! "
                                       "quadh265enc ! fakesink name=sink",
                                       &frames);
  fail_unless(error.find("even") != std::string::npos, "error: %s", error.c_str());
}
GST_END_TEST;

/* What the core cannot do is not offered: a pipeline asking for it does not
 * parse. */
GST_START_TEST(test_unoffered_settings_do_not_parse) {
  const struct {
    const char *setting;
    GstParseError error;
  } cases[] = {
      {"ctu-size=48", GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY},
      {"rate-control=vbr", GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY},
      {"intra-refresh=true", GST_PARSE_ERROR_NO_SUCH_PROPERTY},
  };
  for (const auto &c : cases) {
    GError *error = nullptr;
    const std::string description =
        std::string("fakesrc ! quadh265enc ") + c.setting + " ! fakesink";
    GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
    fail_unless(g_error_matches(error, GST_PARSE_ERROR, c.error), "%s: %s", c.setting,
                error ? error->message : "parsed");
    g_clear_error(&error);
    if (pipeline)
      gst_object_unref(pipeline);
  }

  /* The sizes the core has parse by their number. */
  GError *error = nullptr;
  GstElement *enc = gst_parse_launch("quadh265enc ctu-size=16", &error);
  fail_unless(enc != nullptr && error == nullptr);
  gint ctu = 0;
  g_object_get(enc, "ctu-size", &ctu, nullptr);
  fail_unless_equals_int(ctu, 16);
  gst_object_unref(enc);
}
GST_END_TEST;

static guint64 stats_uint64(const GstStructure *s, const char *field) {
  guint64 v = 0;
  fail_unless(gst_structure_get_uint64(s, field, &v), "no %s", field);
  return v;
}

static gdouble stats_double(const GstStructure *s, const char *field) {
  gdouble v = 0;
  fail_unless(gst_structure_get_double(s, field, &v), "no %s", field);
  return v;
}

static gint stats_int(const GstStructure *s, const char *field) {
  gint v = 0;
  fail_unless(gst_structure_get_int(s, field, &v), "no %s", field);
  return v;
}

/* stats counts what left: pictures by type, key frames, bits, QP, encode
 * time; IDRs, periodic and requested, leave without the delta-unit flag. */
GST_START_TEST(test_stats) {
  GstHarness *h = encoder_harness("key-int-max=4 rate-control=cqp qp=30", "I420", 96, 64);
  guint64 bits = 0;
  for (int i = 0; i < 10; i++) {
    if (i == 6)
      fail_unless(gst_harness_push_upstream_event(
          h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1)));
    GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 96, 64, i));
    /* The period counts again from the requested IDR. */
    const bool idr = i == 0 || i == 4 || i == 6;
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), !idr);
    bits += 8 * gst_buffer_get_size(out);
    gst_buffer_unref(out);
  }
  GstStructure *s = nullptr;
  g_object_get(h->element, "stats", &s, nullptr);
  fail_unless(s != nullptr);
  fail_unless(gst_structure_has_name(s, "quadh265enc-stats"));
  fail_unless_equals_uint64(stats_uint64(s, "frames-in"), 10);
  fail_unless_equals_uint64(stats_uint64(s, "frames-out"), 10);
  fail_unless_equals_uint64(stats_uint64(s, "keyframes"), 3);
  fail_unless_equals_uint64(stats_uint64(s, "forced-idr"), 1);
  fail_unless_equals_uint64(stats_uint64(s, "idr-frames"), 3);
  /* Low-delay P by default; IDRs at constant QP are 3 finer. */
  fail_unless_equals_uint64(stats_uint64(s, "i-frames"), 0);
  fail_unless_equals_uint64(stats_uint64(s, "p-frames"), 7);
  fail_unless_equals_uint64(stats_uint64(s, "b-frames"), 0);
  fail_unless_equals_uint64(stats_uint64(s, "bits"), bits);
  fail_unless_equals_float(stats_double(s, "mean-qp"), (3 * 27 + 7 * 30) / 10.0);
  fail_unless_equals_int(stats_int(s, "min-qp"), 27);
  fail_unless_equals_int(stats_int(s, "max-qp"), 30);
  fail_unless_equals_int(stats_int(s, "max-delayed"), 0);
  const gdouble p50 = stats_double(s, "encode-us-p50");
  const gdouble p99 = stats_double(s, "encode-us-p99");
  fail_unless(p50 > 0 && p99 >= p50, "p50 %f, p99 %f", p50, p99);
  fail_unless(stats_double(s, "mean-encode-us") > 0);
  gst_structure_free(s);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* New caps that code the same stream (I420 to NV12 at one size) keep the
 * encoder: no new IDR. A new size starts a new stream at an IDR. */
/* Low-delay P (the default): P pictures between IDRs, each with the
 * encoder's motion as a meta; an analysis meta's scene cut makes an IDR,
 * and all-intra codes no P picture. */
GST_START_TEST(test_low_delay_p_motion_and_scene_cuts) {
  GstHarness *h = encoder_harness("key-int-max=0 rate-control=cqp qp=30", "I420", 96, 64);
  for (int i = 0; i < 6; i++) {
    GstBuffer *in = test_frame("I420", 96, 64, i);
    if (i >= 3) {
      GstQuadAnalysisMeta *analysis = gst_buffer_add_quad_analysis_meta(in, 16, 16, 6, 4);
      fail_unless(analysis != nullptr);
      analysis->scene_cut = i == 4;
    }
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    const bool idr = i == 0 || i == 4;
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), !idr);
    GstQuadMotionMeta *motion =
        gst_buffer_get_quad_motion_meta_by_source(out, GST_QUAD_MOTION_SOURCE_ENCODER);
    fail_unless(motion != nullptr, "frame %d has no encoder motion meta", i);
    fail_unless_equals_int(motion->block_width, 8);
    fail_unless_equals_int(motion->cols, 12);
    fail_unless_equals_int(motion->rows, 8);
    fail_unless_equals_int(motion->ref_distance, idr ? 0 : 1);
    gst_buffer_unref(out);
  }
  GstStructure *s = nullptr;
  g_object_get(h->element, "stats", &s, nullptr);
  fail_unless_equals_uint64(stats_uint64(s, "idr-frames"), 2);
  fail_unless_equals_uint64(stats_uint64(s, "p-frames"), 4);
  gst_structure_free(s);
  gst_harness_teardown(h);

  h = encoder_harness("gop-structure=all-intra key-int-max=0", "I420", 96, 64);
  for (int i = 0; i < 3; i++)
    gst_buffer_unref(gst_harness_push_and_pull(h, test_frame("I420", 96, 64, i)));
  g_object_get(h->element, "stats", &s, nullptr);
  fail_unless_equals_uint64(stats_uint64(s, "i-frames"), 2);
  fail_unless_equals_uint64(stats_uint64(s, "p-frames"), 0);
  gst_structure_free(s);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* On a synthetic pan with known motion (quadcapturesrc ground-truth=true,
 * no objects: nothing occluded), the vectors the encoder chose for its P
 * pictures match the true motion: the encoder's motion meta against the
 * ground-truth meta of the same frame. */
GST_START_TEST(test_vectors_match_ground_truth) {
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "quadcapturesrc is-live=false num-buffers=6 ground-truth=true block-size=16 objects=0 "
      "pan-x=3.25 pan-y=-1.5 ! video/x-raw,format=I420,width=320,height=192,framerate=30/1 ! "
      "tee name=t ! queue ! appsink name=truth sync=false "
      "t. ! queue ! quadh265enc rate-control=cqp qp=22 key-int-max=0 ! appsink name=enc "
      "sync=false",
      &err);
  fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
  GstElement *truth = gst_bin_get_by_name(GST_BIN(pipeline), "truth");
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_ASYNC);
  int blocks = 0;
  int matching = 0;
  for (int i = 0; i < 6; i++) {
    GstSample *ts = nullptr;
    GstSample *es = nullptr;
    g_signal_emit_by_name(truth, "pull-sample", &ts);
    g_signal_emit_by_name(enc, "pull-sample", &es);
    fail_unless(ts != nullptr && es != nullptr);
    GstQuadMotionMeta *t = gst_buffer_get_quad_motion_meta(gst_sample_get_buffer(ts));
    GstQuadMotionMeta *e = gst_buffer_get_quad_motion_meta(gst_sample_get_buffer(es));
    fail_unless(t != nullptr && e != nullptr);
    if (i > 0) {
      fail_unless_equals_int(e->ref_distance, 1);
      for (guint r = 0; r < e->rows; r++)
        for (guint c = 0; c < e->cols; c++) {
          const GstQuadMotionVector *ev = gst_quad_motion_meta_get(e, c, r);
          const GstQuadMotionVector *tv = gst_quad_motion_meta_get(t, c / 2, r / 2);
          /* Blocks entering at the picture's edge have no true match. */
          if (!tv ||
              (tv->flags & (GST_QUAD_MOTION_FLAG_OCCLUDED | GST_QUAD_MOTION_FLAG_NO_REFERENCE)))
            continue;
          blocks++;
          matching += !(ev->flags & GST_QUAD_MOTION_FLAG_INTRA_BETTER) &&
                      std::abs(ev->mv_x - tv->mv_x) <= 1 && std::abs(ev->mv_y - tv->mv_y) <= 1;
        }
    }
    gst_sample_unref(ts);
    gst_sample_unref(es);
  }
  fail_unless(blocks > 1000, "%d blocks compared", blocks);
  fail_unless(matching >= 0.9 * blocks, "%d of %d blocks match the true motion", matching, blocks);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(truth);
  gst_object_unref(enc);
  gst_object_unref(pipeline);
}
GST_END_TEST;

/* The stream a pipeline description ending in "fakesink name=sink"
 * produces. */
static std::string stream_of(const std::string &description) {
  GstElement *pipeline = gst_parse_launch(description.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  std::string bytes;
  g_object_set(sink, "signal-handoffs", TRUE, nullptr);
  g_signal_connect(sink, "handoff",
                   G_CALLBACK(+[](GstElement *, GstBuffer *buf, GstPad *, gpointer out) {
                     GstMapInfo map;
                     fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
                     static_cast<std::string *>(out)->append(
                         reinterpret_cast<const char *>(map.data), map.size);
                     gst_buffer_unmap(buf, &map);
                   }),
                   &bytes);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return bytes;
}

/* quadmotion's estimate seeds the search: on a pan faster than the fastest
 * preset searches, its vectors save bits (the same stream without them is
 * about 15% larger). */
GST_START_TEST(test_motion_estimate_seeds_the_search) {
  const std::string source =
      "quadcapturesrc is-live=false num-buffers=8 objects=0 pan-x=37.75 pan-y=-9.5 ! "
      "video/x-raw,format=I420,width=320,height=192,framerate=30/1 ! ";
  const std::string encoder =
      "quadh265enc rate-control=cqp qp=27 key-int-max=0 speed-preset=ultrafast ! "
      "fakesink name=sink";
  const gsize alone = stream_of(source + encoder).size();
  const gsize seeded = stream_of(source + "quadmotion ! " + encoder).size();
  fail_unless(seeded < alone * 95 / 100, "%zu bytes with quadmotion's vectors, %zu without",
              seeded, alone);
}
GST_END_TEST;

/* realtime=true: pictures that take longer than the frame interval (1 ms
 * here) step the preset down, each step a message and a stats count; the
 * wavefront rows on two threads give the stream one thread gives. */
GST_START_TEST(test_realtime_guard_and_threads) {
  GstElement *pipeline = gst_parse_launch(
      "quadcapturesrc is-live=false num-buffers=30 ! "
      "video/x-raw,format=I420,width=320,height=192,framerate=1000/1 ! "
      "quadh265enc name=enc realtime=true speed-preset=fast threads=2 ! fakesink",
      nullptr);
  fail_unless(pipeline != nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  int steps_down = 0;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
      gst_message_unref(msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure(msg);
    if (gst_structure_has_name(s, "quad-realtime-preset") &&
        g_strcmp0(gst_structure_get_string(s, "reason"), "overrun") == 0)
      steps_down++;
    gst_message_unref(msg);
  }
  fail_unless(steps_down >= 1, "no step down at 1 ms per picture");
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  GstStructure *stats = nullptr;
  g_object_get(enc, "stats", &stats, nullptr);
  guint64 down = 0;
  fail_unless(gst_structure_get_uint64(stats, "preset-down", &down));
  fail_unless_equals_int(static_cast<int>(down), steps_down);
  gst_structure_free(stats);
  gst_object_unref(enc);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);

  const std::string pan =
      "quadcapturesrc is-live=false num-buffers=6 pan-x=7.25 pan-y=-3.5 ! "
      "video/x-raw,format=I420,width=320,height=192,framerate=30/1 ! "
      "quadh265enc speed-preset=veryfast rate-control=cqp qp=30 key-int-max=0 threads=";
  const std::string one = stream_of(pan + "1 ! fakesink name=sink");
  fail_unless(!one.empty());
  fail_unless(one == stream_of(pan + "2 ! fakesink name=sink"), "2 threads, another stream");
}
GST_END_TEST;

/* The hash_type of an access unit's decoded picture hash SEI (D.2.20), or
 * -1 when it has none. */
static int picture_hash_type(GstBuffer *buf) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  int type = -1;
  for (gsize i = 0; i + 7 < map.size; i++) {
    /* A suffix SEI NAL unit (type 40) whose first payload is 132. */
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1 &&
        ((map.data[i + 3] >> 1) & 0x3f) == 40 && map.data[i + 5] == 132)
      type = map.data[i + 7];
  }
  gst_buffer_unmap(buf, &map);
  return type;
}

/* picture-hash: MD5 (hash_type 0) by default, the checksum (2) or no SEI. */
GST_START_TEST(test_picture_hash) {
  const struct {
    const char *props;
    int hash_type;
  } cases[] = {{"", 0}, {"picture-hash=checksum", 2}, {"picture-hash=none", -1}};
  for (const auto &c : cases) {
    GstHarness *h = encoder_harness(c.props, "I420", 96, 64);
    for (int i = 0; i < 2; i++) {
      GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 96, 64, i));
      fail_unless(out != nullptr);
      fail_unless_equals_int(picture_hash_type(out), c.hash_type);
      gst_buffer_unref(out);
    }
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* frame-threads=3: two pictures of latency, reported; every frame comes
 * out, in order; the stream does not depend on the thread count. */
GST_START_TEST(test_frame_threads) {
  GstHarness *h = encoder_harness("frame-threads=3 key-int-max=0", "I420", 64, 64);
  for (int i = 0; i < 2; i++) {
    fail_unless_equals_int(gst_harness_push(h, test_frame("I420", 64, 64, i)), GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  }
  GstClockTime min = 0, max = 0;
  gst_video_encoder_get_latency(GST_VIDEO_ENCODER(h->element), &min, &max);
  fail_unless_equals_uint64(min, 2 * GST_SECOND / 30);
  fail_unless_equals_uint64(max, 2 * GST_SECOND / 30);
  fail_unless_equals_int(gst_harness_push(h, test_frame("I420", 64, 64, 2)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 3);
  /* The latency in stats counts the time a picture was held; the encode
   * time does not. */
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  gdouble encode_p99 = 0, latency_p50 = 0;
  fail_unless(gst_structure_get_double(stats, "encode-us-p99", &encode_p99));
  fail_unless(gst_structure_get_double(stats, "latency-us-p50", &latency_p50));
  fail_unless(latency_p50 > 0 && latency_p50 <= 60e6);
  gst_structure_free(stats);
  gst_harness_teardown(h);

  const std::string pan =
      "quadcapturesrc is-live=false num-buffers=12 pan-x=7.25 pan-y=30.5 ! "
      "video/x-raw,format=I420,width=320,height=256,framerate=30/1 ! "
      "quadh265enc speed-preset=veryfast rate-control=cqp qp=30 key-int-max=0 frame-threads=2 "
      "threads=";
  int frames = 0;
  const std::string error = run_to_end(pan + "1 ! fakesink name=sink", &frames);
  fail_unless(error.empty(), "%s", error.c_str());
  fail_unless_equals_int(frames, 12);
  const std::string one = stream_of(pan + "1 ! fakesink name=sink");
  fail_unless(one == stream_of(pan + "2 ! fakesink name=sink"), "2 threads, another stream");
}
GST_END_TEST;

GST_START_TEST(test_reinitialises_only_on_a_new_format) {
  GstHarness *h = encoder_harness("key-int-max=0", "I420", 64, 64);
  for (int i = 0; i < 2; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 64, 64, i));
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), i > 0);
    gst_buffer_unref(out);
  }
  gst_harness_set_src_caps_str(h, "video/x-raw,format=NV12,width=64,height=64,framerate=30/1");
  GstBuffer *out = gst_harness_push_and_pull(h, test_frame("NV12", 64, 64, 2));
  fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_if(has_type(nal_types(out), 32));
  gst_buffer_unref(out);

  gst_harness_set_src_caps_str(h, "video/x-raw,format=NV12,width=96,height=64,framerate=30/1");
  out = gst_harness_push_and_pull(h, test_frame("NV12", 96, 64, 3));
  fail_if(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless(has_type(nal_types(out), 32));
  gst_buffer_unref(out);
  GstStructure *s = nullptr;
  g_object_get(h->element, "stats", &s, nullptr);
  fail_unless_equals_uint64(stats_uint64(s, "idr-frames"), 2);
  gst_structure_free(s);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* ---- stream formats and profiles ---- */

/* The NAL units of a buffer of 4-byte length-prefixed ones; fails when the
 * lengths do not tile the buffer exactly. */
static std::vector<std::vector<uint8_t>> length_prefixed_nals(GstBuffer *buf) {
  std::vector<std::vector<uint8_t>> nals;
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  gsize pos = 0;
  while (pos < map.size) {
    fail_unless(pos + 4 <= map.size, "truncated length at %zu", pos);
    const gsize size = (gsize{map.data[pos]} << 24) | (gsize{map.data[pos + 1]} << 16) |
                       (gsize{map.data[pos + 2]} << 8) | map.data[pos + 3];
    pos += 4;
    fail_unless(size > 0 && pos + size <= map.size, "NAL of %zu bytes at %zu", size, pos);
    nals.emplace_back(map.data + pos, map.data + pos + size);
    pos += size;
  }
  gst_buffer_unmap(buf, &map);
  return nals;
}

/* The NAL units of an Annex B buffer, without start codes. */
static std::vector<std::vector<uint8_t>> annex_b_nals(GstBuffer *buf) {
  std::vector<std::vector<uint8_t>> nals;
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  std::vector<gsize> starts;
  for (gsize i = 0; i + 3 <= map.size; i++)
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1) {
      starts.push_back(i + 3);
      i += 2;
    }
  for (size_t k = 0; k < starts.size(); k++) {
    gsize end = k + 1 < starts.size() ? starts[k + 1] - 3 : map.size;
    while (end > starts[k] && map.data[end - 1] == 0)
      end--;
    nals.emplace_back(map.data + starts[k], map.data + end);
  }
  gst_buffer_unmap(buf, &map);
  return nals;
}

static int hevc_type(const std::vector<uint8_t> &nal) {
  return (nal[0] >> 1) & 0x3f;
}

static bool is_parameter_set(const std::vector<uint8_t> &nal) {
  const int type = hevc_type(nal);
  return type == 32 || type == 33 || type == 34;
}

/* Downstream caps choose the stream format. hvc1 and hev1 carry what
 * byte-stream carries, NAL unit for NAL unit, length-prefixed; codec_data
 * (hvcC) holds the first IDR's VPS, SPS and PPS, which hvc1 drops from the
 * access units and hev1 keeps. */
GST_START_TEST(test_stream_format_from_downstream_caps) {
  const int frames = 7;
  std::vector<std::vector<std::vector<uint8_t>>> annex_b; /* per picture */
  for (const char *format : {"byte-stream", "hvc1", "hev1"}) {
    GstHarness *h =
        encoder_harness("key-int-max=3 rate-control=cqp qp=30", "I420", 96, 64,
                        (std::string("video/x-h265,alignment=au,stream-format=") + format).c_str());
    const bool iso = !g_str_equal(format, "byte-stream");
    std::vector<std::vector<uint8_t>> parameter_sets;
    for (int i = 0; i < frames; i++) {
      GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 96, 64, i));
      fail_unless(out != nullptr);
      const bool key = !GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT);
      fail_unless_equals_int(key, i % 3 == 0);
      if (!iso) {
        annex_b.push_back(annex_b_nals(out));
        gst_buffer_unref(out);
        continue;
      }
      std::vector<std::vector<uint8_t>> expected;
      for (const auto &nal : annex_b[i]) {
        if (is_parameter_set(nal) && i == 0)
          parameter_sets.push_back(nal);
        if (!is_parameter_set(nal) || g_str_equal(format, "hev1"))
          expected.push_back(nal);
      }
      fail_unless(length_prefixed_nals(out) == expected, "%s picture %d", format, i);
      gst_buffer_unref(out);
    }

    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    GstStructure *st = gst_caps_get_structure(caps, 0);
    fail_unless_equals_string(gst_structure_get_string(st, "stream-format"), format);
    fail_unless_equals_string(gst_structure_get_string(st, "alignment"), "au");
    fail_unless_equals_string(gst_structure_get_string(st, "profile"), "main");
    const GValue *value = gst_structure_get_value(st, "codec_data");
    fail_unless_equals_int(value != nullptr, iso);
    if (iso) {
      GstMapInfo map;
      GstBuffer *codec_data = gst_value_get_buffer(value);
      fail_unless(gst_buffer_map(codec_data, &map, GST_MAP_READ));
      /* ISO/IEC 14496-15 8.3.3.1: version 1, general_profile_idc 1 (Main),
       * lengthSizeMinusOne 3, then VPS, SPS and PPS arrays. */
      fail_unless(map.size > 23);
      fail_unless_equals_int(map.data[0], 1);
      fail_unless_equals_int(map.data[1] & 0x1f, 1);
      fail_unless_equals_int(map.data[21] & 3, 3);
      fail_unless_equals_int(map.data[22], 3);
      gsize pos = 23;
      for (size_t a = 0; a < 3; a++) {
        fail_unless(pos + 5 <= map.size);
        /* array_completeness: hvc1 has every parameter set here. */
        fail_unless_equals_int((map.data[pos] & 0x80) != 0, g_str_equal(format, "hvc1"));
        fail_unless_equals_int(map.data[pos] & 0x3f, 32 + static_cast<int>(a));
        fail_unless_equals_int((map.data[pos + 1] << 8) | map.data[pos + 2], 1);
        const gsize size = (gsize{map.data[pos + 3]} << 8) | map.data[pos + 4];
        pos += 5;
        fail_unless(pos + size <= map.size);
        fail_unless(std::vector<uint8_t>(map.data + pos, map.data + pos + size) ==
                    parameter_sets[a]);
        pos += size;
      }
      fail_unless_equals_int(pos, map.size);
      gst_buffer_unmap(codec_data, &map);
    }
    gst_caps_unref(caps);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* A caps change that starts a new stream (a new size) sends new caps with
 * the new stream's codec_data. */
GST_START_TEST(test_new_stream_new_codec_data) {
  GstHarness *h =
      encoder_harness("", "I420", 64, 64, "video/x-h265,stream-format=hvc1,alignment=au");
  gst_buffer_unref(gst_harness_push_and_pull(h, test_frame("I420", 64, 64, 0)));
  GstCaps *first = gst_pad_get_current_caps(h->sinkpad);
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=96,height=64,framerate=30/1");
  GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 96, 64, 1));
  fail_if(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT));
  for (const auto &nal : length_prefixed_nals(out))
    fail_if(is_parameter_set(nal));
  gst_buffer_unref(out);
  GstCaps *second = gst_pad_get_current_caps(h->sinkpad);
  const GstStructure *a = gst_caps_get_structure(first, 0);
  const GstStructure *b = gst_caps_get_structure(second, 0);
  fail_unless_equals_string(gst_structure_get_string(b, "stream-format"), "hvc1");
  gint width = 0;
  fail_unless(gst_structure_get_int(b, "width", &width));
  fail_unless_equals_int(width, 96);
  GstBuffer *cd_a = gst_value_get_buffer(gst_structure_get_value(a, "codec_data"));
  GstBuffer *cd_b = gst_value_get_buffer(gst_structure_get_value(b, "codec_data"));
  fail_unless(cd_a && cd_b);
  GstMapInfo ma, mb;
  fail_unless(gst_buffer_map(cd_a, &ma, GST_MAP_READ) && gst_buffer_map(cd_b, &mb, GST_MAP_READ));
  /* The new SPS codes another size. */
  fail_unless(ma.size != mb.size || std::memcmp(ma.data, mb.data, ma.size) != 0);
  gst_buffer_unmap(cd_a, &ma);
  gst_buffer_unmap(cd_b, &mb);
  gst_caps_unref(first);
  gst_caps_unref(second);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* mp4mux and matroskamux take the output directly (they ask for hvc1 or
 * hev1 with codec_data), and FFmpeg decodes every frame back. */
GST_START_TEST(test_muxers_take_output) {
  TempDir dir;
  const int frames = 40;
  for (const char *mux : {"mp4mux", "matroskamux"}) {
    const std::string file = dir.path + "/out." + mux;
    const std::string error =
        run_to_eos("quadcapturesrc is-live=false num-buffers=" + std::to_string(frames) +
                   " ! video/x-raw,format=I420,width=320,height=192,framerate=30/1 ! "
                   "quadh265enc key-int-max=15 ! " +
                   mux + " ! filesink location=" + file);
    fail_unless(error.empty(), "%s: %s", mux, error.c_str());
    fail_unless_equals_int(ffmpeg_container_frames(file), frames);
    /* Named strings: the check macro keeps the pointers past the statement. */
    const std::string read_frames = ffprobe_entry(file, "nb_read_frames");
    const std::string profile = ffprobe_entry(file, "profile");
    const std::string pix_fmt = ffprobe_entry(file, "pix_fmt");
    const std::string expected_frames = std::to_string(frames);
    fail_unless_equals_string(read_frames.c_str(), expected_frames.c_str());
    fail_unless_equals_string(profile.c_str(), "Main");
    fail_unless_equals_string(pix_fmt.c_str(), "yuv420p");
  }
}
GST_END_TEST;

/* The error a pipeline whose appsink takes caps (set after linking, so the
 * link itself does not refuse them) posts; empty when it reached EOS. The
 * number of samples that reached the appsink in *samples. */
static std::string error_with_appsink_caps(const char *caps, int *samples) {
  GstElement *pipeline =
      gst_parse_launch("quadcapturesrc is-live=false num-buffers=3 ! "
                       "video/x-raw,format=I420,width=64,height=64,framerate=30/1 ! quadh265enc ! "
                       "appsink name=sink sync=false emit-signals=true",
                       nullptr);
  fail_unless(pipeline != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstCaps *filter = gst_caps_from_string(caps);
  g_object_set(sink, "caps", filter, nullptr);
  gst_caps_unref(filter);
  *samples = 0;
  g_signal_connect(sink, "new-sample", G_CALLBACK(+[](GstElement *s, gpointer n) {
                     GstSample *sample = nullptr;
                     g_signal_emit_by_name(s, "pull-sample", &sample);
                     gst_sample_unref(sample);
                     ++*static_cast<int *>(n);
                     return GST_FLOW_OK;
                   }),
                   samples);
  gst_object_unref(sink);
  return play_to_end(pipeline, 60 * GST_SECOND, false);
}

/* The encoder codes Main only: downstream that asks for another profile
 * gets an error naming it, and no Main stream; main, or no profile, works. */
GST_START_TEST(test_profile_from_downstream_caps) {
  int samples = 0;
  for (const char *profile : {"main-10", "main-still-picture", "main-444"}) {
    const std::string error =
        error_with_appsink_caps((std::string("video/x-h265,profile=") + profile).c_str(), &samples);
    fail_unless(error.find(std::string("profile ") + profile + ";") != std::string::npos, "%s: %s",
                profile, error.c_str());
    fail_unless(error.find("Main") != std::string::npos, "%s", error.c_str());
    fail_unless_equals_int(samples, 0);
  }
  for (const char *caps : {"video/x-h265,profile=main", "video/x-h265",
                           "video/x-h265,profile={main-10,main},stream-format=hev1"}) {
    const std::string error = error_with_appsink_caps(caps, &samples);
    fail_unless(error.empty(), "%s: %s", caps, error.c_str());
    fail_unless_equals_int(samples, 3);
  }
  /* Caps fixed on the link itself: the link refuses them, naming them. */
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "videotestsrc ! quadh265enc ! video/x-h265,profile=main-10 ! fakesink", &err);
  fail_unless(err != nullptr && strstr(err->message, "main-10") != nullptr, "%s",
              err ? err->message : "linked");
  g_clear_error(&err);
  if (pipeline)
    gst_object_unref(pipeline);
}
GST_END_TEST;

/* ---- rate settings changed while PLAYING ---- */

/* One picture as it reached the sink, with the encoder's preset then. */
struct LivePicture {
  gsize size;
  bool key;
  GstClockTime pts;
  std::string preset;
};

struct LiveRun {
  GstElement *encoder = nullptr;
  int change_after = 0; /* the change is made when this many pictures left */
  std::function<void(GstElement *)> change;
  std::vector<LivePicture> pictures;
};

static std::string stats_preset(GstElement *encoder) {
  GstStructure *s = nullptr;
  g_object_get(encoder, "stats", &s, nullptr);
  const std::string preset = gst_structure_get_string(s, "preset");
  gst_structure_free(s);
  return preset;
}

/* Runs `frames` pictures of a moving scene through quadh265enc with props,
 * calling change on the encoder from the streaming thread once
 * change_after pictures reached the sink, in PLAYING. Checks that every
 * picture came out, once, in order. *stats gets the encoder's stats. */
static std::vector<LivePicture> run_with_change(const std::string &props, int frames,
                                                int change_after,
                                                std::function<void(GstElement *)> change,
                                                GstStructure **stats) {
  GstElement *pipeline = gst_parse_launch(
      ("quadcapturesrc is-live=false num-buffers=" + std::to_string(frames) +
       " ! video/x-raw,format=I420,width=320,height=192,framerate=30/1 ! quadh265enc name=enc " +
       props + " ! fakesink name=sink signal-handoffs=true sync=false")
          .c_str(),
      nullptr);
  fail_unless(pipeline != nullptr);
  LiveRun run;
  run.encoder = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  run.change_after = change_after;
  run.change = std::move(change);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(
      sink, "handoff", G_CALLBACK(+[](GstElement *, GstBuffer *buf, GstPad *, gpointer data) {
        auto *r = static_cast<LiveRun *>(data);
        r->pictures.push_back({gst_buffer_get_size(buf),
                               !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT),
                               GST_BUFFER_PTS(buf), stats_preset(r->encoder)});
        if (static_cast<int>(r->pictures.size()) == r->change_after)
          r->change(r->encoder);
      }),
      &run);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 120 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "no EOS");
  gst_message_unref(msg);
  gst_object_unref(bus);
  g_object_get(run.encoder, "stats", stats, nullptr);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(run.encoder);
  gst_object_unref(pipeline);

  /* No frame lost or repeated on the way. */
  fail_unless_equals_int(static_cast<int>(run.pictures.size()), frames);
  for (int i = 0; i < frames; i++)
    fail_unless_equals_uint64(run.pictures[i].pts, gst_util_uint64_scale(i, GST_SECOND, 30));
  fail_unless_equals_uint64(stats_uint64(*stats, "frames-in"), frames);
  fail_unless_equals_uint64(stats_uint64(*stats, "frames-out"), frames);
  return run.pictures;
}

static double mean_bits(const std::vector<LivePicture> &pictures, int from, int to) {
  double bits = 0;
  for (int i = from; i < to; i++)
    bits += 8.0 * pictures[i].size;
  return bits / (to - from);
}

/* Only the IDR the stream started with: no restart. */
static void check_single_idr(const std::vector<LivePicture> &pictures) {
  for (size_t i = 0; i < pictures.size(); i++)
    fail_unless(pictures[i].key == (i == 0), "picture %zu key %d", i, pictures[i].key);
}

/* A new bitrate in PLAYING: the rate control follows it within the same
 * stream, as x264enc's bitrate does. */
GST_START_TEST(test_bitrate_changes_in_playing) {
  GstStructure *stats = nullptr;
  const auto pictures = run_with_change(
      "rate-control=cbr bitrate=800 key-int-max=0", 200, 100,
      [](GstElement *enc) { g_object_set(enc, "bitrate", 200u, nullptr); }, &stats);
  gst_structure_free(stats);
  check_single_idr(pictures);
  const double before = mean_bits(pictures, 60, 100);
  const double after = mean_bits(pictures, 160, 200);
  fail_unless(before > 0.8 * 800000 / 30 && before < 1.2 * 800000 / 30, "%.0f bits before", before);
  fail_unless(after > 0.8 * 200000 / 30 && after < 1.2 * 200000 / 30, "%.0f bits after", after);
}
GST_END_TEST;

/* A new qp in PLAYING codes the next picture at it, in the same stream. */
GST_START_TEST(test_qp_changes_in_playing) {
  GstStructure *stats = nullptr;
  const auto pictures = run_with_change(
      "rate-control=cqp qp=22 key-int-max=0", 60, 30,
      [](GstElement *enc) { g_object_set(enc, "qp", 40u, nullptr); }, &stats);
  check_single_idr(pictures);
  /* P pictures at 22 then at 40, the IDR 3 finer. */
  fail_unless_equals_int(stats_int(stats, "min-qp"), 19);
  fail_unless_equals_int(stats_int(stats, "max-qp"), 40);
  fail_unless_equals_float(stats_double(stats, "mean-qp"), (19 + 29 * 22 + 30 * 40) / 60.0);
  gst_structure_free(stats);
  const double before = mean_bits(pictures, 10, 30);
  const double after = mean_bits(pictures, 30, 50);
  fail_unless(after < before / 3, "%.0f bits per picture at qp 22, %.0f at 40", before, after);
}
GST_END_TEST;

/* A new key-int-max in PLAYING counts from the last IDR: 100 pictures
 * after the IDR at 90 exceed 7 already, so the next picture is an IDR. */
GST_START_TEST(test_key_int_max_changes_in_playing) {
  GstStructure *stats = nullptr;
  const auto pictures = run_with_change(
      "rate-control=cqp key-int-max=30", 130, 100,
      [](GstElement *enc) { g_object_set(enc, "key-int-max", 7u, nullptr); }, &stats);
  for (int i = 0; i < 130; i++) {
    const bool expected = i < 100 ? i % 30 == 0 : (i - 100) % 7 == 0;
    fail_unless(pictures[i].key == expected, "picture %d key %d", i, pictures[i].key);
  }
  fail_unless_equals_uint64(stats_uint64(stats, "idr-frames"), 4 + 5);
  gst_structure_free(stats);

  /* Back to 0 (automatic, 250) after the IDR at 100: none before 350. */
  const auto automatic = run_with_change(
      "rate-control=cqp key-int-max=100", 300, 101,
      [](GstElement *enc) { g_object_set(enc, "key-int-max", 0u, nullptr); }, &stats);
  gst_structure_free(stats);
  for (int i = 0; i < 300; i++)
    fail_unless(automatic[i].key == (i == 0 || i == 100), "picture %d key", i);
}
GST_END_TEST;

/* A new speed-preset in PLAYING: the next picture is searched with it (the
 * stream changes from there, not before), in the same stream. */
GST_START_TEST(test_speed_preset_changes_in_playing) {
  GstStructure *stats = nullptr;
  const auto same = run_with_change(
      "rate-control=cqp key-int-max=0 speed-preset=slow", 40, 20, [](GstElement *) {}, &stats);
  gst_structure_free(stats);
  const auto pictures = run_with_change(
      "rate-control=cqp key-int-max=0 speed-preset=slow", 40, 20,
      [](GstElement *enc) { gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "ultrafast"); },
      &stats);
  check_single_idr(pictures);
  fail_unless_equals_string(gst_structure_get_string(stats, "preset"), "ultrafast");
  gst_structure_free(stats);
  for (int i = 0; i < 20; i++) {
    fail_unless_equals_string(pictures[i].preset.c_str(), "slow");
    fail_unless_equals_int(pictures[i].size, same[i].size);
  }
  int changed = 0;
  for (int i = 20; i < 40; i++) {
    fail_unless_equals_string(pictures[i].preset.c_str(), "ultrafast");
    changed += pictures[i].size != same[i].size;
  }
  fail_unless(changed > 10, "%d of 20 pictures changed with the preset", changed);
}
GST_END_TEST;

/* key-int-max=0 is automatic, as on x264enc: an IDR every 250 pictures. */
GST_START_TEST(test_key_int_max_zero_is_automatic) {
  GstHarness *h = encoder_harness("key-int-max=0 speed-preset=ultrafast", "I420", 32, 32);
  for (int i = 0; i < 502; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, test_frame("I420", 32, 32, i));
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), i % 250 != 0);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *quadh265enc_suite(void) {
  Suite *s = suite_create("quadh265enc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_output_caps_and_key_frames);
  tcase_add_test(tc, test_force_key_unit);
  tcase_add_test(tc, test_constant_bit_rate);
  tcase_add_test(tc, test_no_latency_added);
  tcase_add_test(tc, test_decodes_with_h265parse_avdec);
  tcase_add_test(tc, test_odd_size_is_a_clear_error);
  tcase_add_test(tc, test_unoffered_settings_do_not_parse);
  tcase_add_test(tc, test_stats);
  tcase_add_test(tc, test_reinitialises_only_on_a_new_format);
  tcase_add_test(tc, test_low_delay_p_motion_and_scene_cuts);
  tcase_add_test(tc, test_vectors_match_ground_truth);
  tcase_add_test(tc, test_motion_estimate_seeds_the_search);
  tcase_add_test(tc, test_realtime_guard_and_threads);
  tcase_add_test(tc, test_frame_threads);
  tcase_add_test(tc, test_picture_hash);
  tcase_add_test(tc, test_stream_format_from_downstream_caps);
  tcase_add_test(tc, test_new_stream_new_codec_data);
  tcase_add_test(tc, test_muxers_take_output);
  tcase_add_test(tc, test_profile_from_downstream_caps);
  tcase_add_test(tc, test_bitrate_changes_in_playing);
  tcase_add_test(tc, test_qp_changes_in_playing);
  tcase_add_test(tc, test_key_int_max_changes_in_playing);
  tcase_add_test(tc, test_speed_preset_changes_in_playing);
  tcase_add_test(tc, test_key_int_max_zero_is_automatic);
  return s;
}

GST_CHECK_MAIN(quadh265enc);
