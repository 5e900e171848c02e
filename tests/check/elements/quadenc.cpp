/* quadenc: backend choice and live failover. A test-only backend,
 * quadtestfailenc (a subclass of a real H.264 encoder registered inside this
 * program), fails, stalls or goes slow at a chosen frame. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <string>

#include "encoder_check.h"

/* What quadtestfailenc does; set by each test before it runs. */
struct FailPlan {
  int fail_at = -1; /* this frame posts an error and returns GST_FLOW_ERROR */
  int swallow = 0;  /* frames before fail_at taken in and never output */
  int slow_from = -1;
  guint slow_ms = 0; /* extra time per frame from slow_from on */
};
static FailPlan plan;
static GstFlowReturn (*parent_handle_frame)(GstVideoEncoder *, GstVideoCodecFrame *);
static std::string real_backend; /* quadx264enc, or x264enc without the GPL plugin */

static GstFlowReturn failing_handle_frame(GstVideoEncoder *encoder, GstVideoCodecFrame *frame) {
  const int n = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(encoder), "frames"));
  g_object_set_data(G_OBJECT(encoder), "frames", GINT_TO_POINTER(n + 1));
  if (n == plan.fail_at) {
    gst_video_codec_frame_unref(frame);
    GST_ELEMENT_ERROR(encoder, STREAM, ENCODE, ("Test backend failing at frame %d.", n), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (plan.fail_at >= 0 && n >= plan.fail_at - plan.swallow) {
    gst_video_codec_frame_unref(frame); /* stays in the encoder's list, never output */
    return GST_FLOW_OK;
  }
  if (plan.slow_from >= 0 && n >= plan.slow_from)
    g_usleep(plan.slow_ms * 1000);
  return parent_handle_frame(encoder, frame);
}

static void failing_class_init(gpointer klass, gpointer) {
  auto *encoder_class = GST_VIDEO_ENCODER_CLASS(klass);
  parent_handle_frame = encoder_class->handle_frame;
  encoder_class->handle_frame = failing_handle_frame;
}

/* Registers quadtestfailenc over the first real H.264 encoder found. */
static bool register_failing_backend() {
  if (!real_backend.empty())
    return true;
  for (const char *name : {"quadx264enc", "x264enc"}) {
    GstElementFactory *factory = gst_element_factory_find(name);
    if (!factory)
      continue;
    GstPluginFeature *loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
    gst_object_unref(factory);
    if (!loaded)
      continue;
    const GType parent = gst_element_factory_get_element_type(GST_ELEMENT_FACTORY(loaded));
    gst_object_unref(loaded);
    GTypeQuery query;
    g_type_query(parent, &query);
    const GTypeInfo info = {static_cast<guint16>(query.class_size),
                            nullptr,
                            nullptr,
                            failing_class_init,
                            nullptr,
                            nullptr,
                            static_cast<guint16>(query.instance_size),
                            0,
                            nullptr,
                            nullptr};
    const GType type = g_type_register_static(parent, "QuadTestFailEnc", &info, GTypeFlags(0));
    fail_unless(gst_element_register(nullptr, "quadtestfailenc", GST_RANK_NONE, type));
    real_backend = name;
    return true;
  }
  return false;
}

static std::string source(int frames, bool live = false) {
  return std::string("quadcapturesrc is-live=") + (live ? "true" : "false") +
         " num-buffers=" + std::to_string(frames) +
         " ! video/x-raw,format=I420,width=320,height=240,framerate=30/1";
}

/* Output timestamps are exactly the input's, each once, in order. */
static void check_every_frame_once(const PipelineRun &run, int frames) {
  fail_unless_equals_int(static_cast<int>(run.out.size()), frames);
  for (int i = 0; i < frames; i++)
    fail_unless_equals_uint64(run.out[i].pts, gst_util_uint64_scale(i, GST_SECOND, 30));
}

GST_START_TEST(test_picks_first_backend_that_starts) {
  if (!register_failing_backend())
    return;
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline(source(20) + " ! quadenc name=enc codec=h264 backends=\"nosuchenc, " + real_backend +
                   "\" ! fakesink name=sink",
               run, "enc", &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  fail_unless_equals_string(gst_structure_get_string(stats, "backend"), real_backend.c_str());
  guint64 failovers = 1;
  gst_structure_get_uint64(stats, "failovers", &failovers);
  fail_unless_equals_uint64(failovers, 0);
  gst_structure_free(stats);
  check_every_frame_once(run, 20);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("pick.264", run.stream()), Codec::H264), 20);
}
GST_END_TEST;

/* With no list, codec=h265 picks an HEVC encoder that is installed. */
GST_START_TEST(test_default_backends_h265) {
  GstElementFactory *x265 = gst_element_factory_find("quadx265enc");
  if (!x265)
    x265 = gst_element_factory_find("x265enc");
  if (!x265)
    return;
  gst_object_unref(x265);
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline(source(15) + " ! quadenc name=enc codec=h265 ! fakesink name=sink", run, "enc",
               &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  GST_INFO("h265 backend: %s", gst_structure_get_string(stats, "backend"));
  fail_unless(strlen(gst_structure_get_string(stats, "backend")) > 0);
  gst_structure_free(stats);
  check_every_frame_once(run, 15);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("def.265", run.stream()), Codec::H265), 15);
}
GST_END_TEST;

/* The first backend fails at frame N (having swallowed `swallow` frames
 * before it): every frame still leaves exactly once, with one IDR at the
 * switch, and the whole stream decodes. */
static void check_failover(int swallow) {
  if (!register_failing_backend())
    return;
  const int frames = 50, fail_at = 20;
  plan = FailPlan();
  plan.fail_at = fail_at;
  plan.swallow = swallow;
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline(source(frames) + " ! quadenc name=enc codec=h264 key-int-max=0 backends=" +
                   "quadtestfailenc," + real_backend + " ! fakesink name=sink",
               run, "enc", &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  check_every_frame_once(run, frames);

  const int switch_frame = fail_at - swallow;
  for (int i = 0; i < frames; i++) {
    const bool idr = is_idr(run.out[i].data, Codec::H264);
    fail_unless(idr == (i == 0 || i == switch_frame), "frame %d idr %d", i, idr);
    fail_unless(run.out[i].delta == !idr, "frame %d flags", i);
    if (i > 0)
      fail_unless(run.out[i].dts > run.out[i - 1].dts, "dts not increasing at %d", i);
  }
  const auto switches = run.messages("quadenc-failover");
  fail_unless_equals_int(static_cast<int>(switches.size()), 1);
  fail_unless_equals_string(gst_structure_get_string(switches[0], "from"), "quadtestfailenc");
  fail_unless_equals_string(gst_structure_get_string(switches[0], "to"), real_backend.c_str());
  fail_unless(strstr(gst_structure_get_string(switches[0], "reason"), "frame 20") != nullptr, "%s",
              gst_structure_get_string(switches[0], "reason"));
  guint replayed = 0;
  gst_structure_get_uint(switches[0], "replayed", &replayed);
  fail_unless_equals_int(static_cast<int>(replayed), swallow + 1);
  guint64 failovers = 0;
  gst_structure_get_uint64(stats, "failovers", &failovers);
  fail_unless_equals_uint64(failovers, 1);
  fail_unless_equals_string(gst_structure_get_string(stats, "backend"), real_backend.c_str());
  gst_structure_free(stats);

  TempDir dir;
  const std::string file = dir.write("failover.264", run.stream());
  fail_unless_equals_int(ffmpeg_frames(file, Codec::H264), frames);
  fail_unless_equals_int(avdec_frames(file, Codec::H264), frames);
}

GST_START_TEST(test_failover_on_error) {
  check_failover(0);
}
GST_END_TEST;

GST_START_TEST(test_failover_replays_held_frames) {
  check_failover(3);
}
GST_END_TEST;

/* simulate-failure-at switches at that frame as an error would. */
GST_START_TEST(test_simulated_failure) {
  if (!register_failing_backend())
    return;
  const int frames = 30;
  PipelineRun run;
  run_pipeline(source(frames) + " ! quadenc codec=h264 key-int-max=0 simulate-failure-at=12 " +
                   "backends=" + real_backend + "," + real_backend + " ! fakesink name=sink",
               run);
  fail_unless(run.eos, "%s", run.error.c_str());
  check_every_frame_once(run, frames);
  for (int i = 0; i < frames; i++)
    fail_unless(is_idr(run.out[i].data, Codec::H264) == (i == 0 || i == 11), "frame %d", i);
  const auto switches = run.messages("quadenc-failover");
  fail_unless_equals_int(static_cast<int>(switches.size()), 1);
  fail_unless(strstr(gst_structure_get_string(switches[0], "reason"), "simulated") != nullptr);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("sim.264", run.stream()), Codec::H264), frames);
}
GST_END_TEST;

/* A live stream whose encoder falls behind the frame interval moves on
 * after max-overrun frames, losing nothing that reached quadenc. */
GST_START_TEST(test_failover_on_overrun) {
  if (!register_failing_backend())
    return;
  plan = FailPlan();
  plan.slow_from = 5;
  plan.slow_ms = 80;
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline(source(45, true) + " ! quadenc name=enc codec=h264 max-overrun=4 backends=" +
                   "quadtestfailenc," + real_backend + " ! fakesink name=sink",
               run, "enc", &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  const auto switches = run.messages("quadenc-failover");
  fail_unless_equals_int(static_cast<int>(switches.size()), 1);
  fail_unless(strstr(gst_structure_get_string(switches[0], "reason"), "real-time") != nullptr, "%s",
              gst_structure_get_string(switches[0], "reason"));
  guint64 in = 0, out = 0;
  gst_structure_get_uint64(stats, "frames-in", &in);
  gst_structure_get_uint64(stats, "frames-out", &out);
  gst_structure_free(stats);
  fail_unless_equals_uint64(out, in);
  fail_unless_equals_int(static_cast<int>(run.out.size()), static_cast<int>(in));
  for (size_t i = 1; i < run.out.size(); i++)
    fail_unless(run.out[i].pts > run.out[i - 1].pts, "pts not increasing at %zu", i);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("overrun.264", run.stream()), Codec::H264),
                         static_cast<int>(in));
}
GST_END_TEST;

static bool have_factories(std::initializer_list<const char *> names) {
  for (const char *name : names) {
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f)
      return false;
    gst_object_unref(f);
  }
  return true;
}

/* x264enc shifts its timestamps by 1000 hours; matching frames by PTS lost
 * every frame after a failover away from it. */
GST_START_TEST(test_failover_between_x264enc_and_quadx264enc_keeps_every_frame) {
  if (!have_factories({"x264enc", "quadx264enc"}))
    return;
  for (const char *backends : {"x264enc,quadx264enc", "quadx264enc,x264enc"}) {
    PipelineRun run;
    run_pipeline(source(90) + " ! quadenc codec=h264 key-int-max=0 simulate-failure-at=30 " +
                     "backends=" + backends + " ! fakesink name=sink",
                 run);
    fail_unless(run.eos, "%s: %s", backends, run.error.c_str());
    check_every_frame_once(run, 90);
    for (int i = 1; i < 90; i++)
      fail_unless(run.out[i].dts > run.out[i - 1].dts, "%s: dts not increasing at %d", backends, i);
    TempDir dir;
    fail_unless_equals_int(ffmpeg_frames(dir.write("x264.264", run.stream()), Codec::H264), 90);
  }
}
GST_END_TEST;

static GstPadProbeReturn count_caps(GstPad *, GstPadProbeInfo *info, gpointer data) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS)
    ++*static_cast<int *>(data);
  return GST_PAD_PROBE_OK;
}

/* A failover between backends that describe the same stream differently
 * (x264enc names profile and level, quadx264enc does not) keeps the caps
 * already sent, and a muxer after it keeps going. */
GST_START_TEST(test_failover_keeps_output_caps) {
  if (!have_factories({"x264enc", "quadx264enc", "matroskamux", "h264parse"}))
    return;
  for (const char *backends : {"x264enc,quadx264enc", "quadx264enc,x264enc"}) {
    const std::string desc =
        source(60) + " ! quadenc name=enc codec=h264 simulate-failure-at=20 backends=" + backends +
        " ! h264parse ! video/x-h264,stream-format=avc3 ! matroskamux ! "
        "fakesink name=sink";
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
    GstPad *src = gst_element_get_static_pad(enc, "src");
    int caps_events = 0;
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_caps, &caps_events, nullptr);
    gst_object_unref(src);
    gst_object_unref(enc);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless(msg != nullptr);
    fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
    gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    fail_unless_equals_int(caps_events, 1);
  }
}
GST_END_TEST;

/* Straight into a muxer, quadenc frames its output as avc3 / hev1 (codec_data
 * from the first backend, later parameter sets in band), so a failover
 * between encoders with different parameter sets keeps the caps and the
 * muxer keeps going; FFmpeg reads every frame back. */
GST_START_TEST(test_failover_into_muxers) {
  struct Case {
    const char *codec, *backends, *format;
  };
  const Case cases[] = {{"h264", "x264enc,quadx264enc", "avc3"},
                        {"h265", "quadh265enc,quadx265enc", "hev1"}};
  for (const Case &c : cases) {
    gchar **names = g_strsplit(c.backends, ",", -1);
    const bool installed = have_factories({names[0], names[1]});
    g_strfreev(names);
    if (!installed)
      continue;
    for (const char *mux : {"matroskamux", "mp4mux"}) {
      TempDir dir;
      const std::string file = dir.path + "/out." + mux;
      const std::string desc = source(60) + " ! quadenc name=enc codec=" + c.codec +
                               " key-int-max=0 simulate-failure-at=25 backends=" + c.backends +
                               " ! " + mux + " name=mux ! filesink location=" + file;
      GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
      fail_unless(pipeline != nullptr);
      GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
      GstPad *src = gst_element_get_static_pad(enc, "src");
      int caps_events = 0;
      gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_caps, &caps_events,
                        nullptr);
      gst_element_set_state(pipeline, GST_STATE_PLAYING);
      GstBus *bus = gst_element_get_bus(pipeline);
      GstMessage *msg = gst_bus_timed_pop_filtered(
          bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
      fail_unless(msg != nullptr);
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *e = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_error(msg, &e, &debug);
        fail("%s %s: %s (%s)", c.codec, mux, e->message, debug ? debug : "");
      }
      gst_message_unref(msg);
      GstCaps *caps = gst_pad_get_current_caps(src);
      fail_unless_equals_string(
          gst_structure_get_string(gst_caps_get_structure(caps, 0), "stream-format"), c.format);
      gst_caps_unref(caps);
      gst_object_unref(bus);
      gst_object_unref(src);
      gst_object_unref(enc);
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
      fail_unless_equals_int(caps_events, 1);
      fail_unless_equals_int(ffmpeg_container_frames(file), 60);
    }
  }
}
GST_END_TEST;

/* avc and hvc1 keep every parameter set in codec_data, which a failover
 * would change: with a backend left to fail over to, quadenc refuses them
 * before the first frame and names what works; with one backend it frames
 * them, and mp4mux takes the stream. */
GST_START_TEST(test_codec_data_only_formats) {
  if (!have_factories({"quadx264enc", "mp4mux"}))
    return;
  PipelineRun refused;
  run_pipeline(source(10) + " ! quadenc codec=h264 backends=quadx264enc,x264enc " +
                   "! video/x-h264,stream-format=avc ! fakesink name=sink",
               refused);
  fail_unless(!refused.eos);
  fail_unless(refused.out.empty());
  fail_unless(refused.error.find("stream-format avc") != std::string::npos, "%s",
              refused.error.c_str());
  fail_unless(refused.error.find("avc3") != std::string::npos, "%s", refused.error.c_str());

  TempDir dir;
  const std::string file = dir.path + "/one.mp4";
  const std::string error =
      run_to_eos(source(30) + " ! quadenc codec=h264 backends=quadx264enc " +
                 "! video/x-h264,stream-format=avc ! mp4mux ! " + "filesink location=" + file);
  fail_unless(error.empty(), "%s", error.c_str());
  fail_unless_equals_int(ffmpeg_container_frames(file), 30);
}
GST_END_TEST;

/* The first element of a bin that is an encoder backend. */
static GstElement *active_backend(GstElement *quadenc) {
  GstIterator *it = gst_bin_iterate_elements(GST_BIN(quadenc));
  GValue item = G_VALUE_INIT;
  GstElement *found = nullptr;
  if (gst_iterator_next(it, &item) == GST_ITERATOR_OK)
    found = GST_ELEMENT(g_value_dup_object(&item));
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

/* bitrate changed on quadenc in PLAYING reaches the running backend (its
 * output grows) and the one that takes over after a failover. */
GST_START_TEST(test_settings_change_in_playing) {
  if (!have_factories({"quadx264enc"}))
    return;
  GstHarness *h = gst_harness_new("quadenc");
  GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "bitrate");
  fail_unless(pspec && (pspec->flags & GST_PARAM_MUTABLE_PLAYING));
  gst_util_set_object_arg(G_OBJECT(h->element), "codec", "h264");
  g_object_set(h->element, "backends", "quadx264enc,quadx264enc", "bitrate", 100u, "key-int-max",
               0u, nullptr);
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=320,height=240,framerate=30/1");
  GstHarness *src = gst_harness_new_parse("quadcapturesrc is-live=false");
  gst_harness_set_sink_caps_str(src, "video/x-raw,format=I420,width=320,height=240,framerate=30/1");
  gst_harness_play(src);
  gsize bytes[3] = {};
  for (int part = 0; part < 3; part++) {
    if (part == 1)
      g_object_set(h->element, "bitrate", 1500u, nullptr);
    if (part == 2)
      g_object_set(h->element, "simulate-failure-at", 41ull, nullptr);
    for (int i = 0; i < 20; i++) {
      fail_unless_equals_int(gst_harness_push(h, gst_harness_pull(src)), GST_FLOW_OK);
      GstBuffer *out = gst_harness_pull(h);
      if (i >= 5)
        bytes[part] += gst_buffer_get_size(out);
      gst_buffer_unref(out);
    }
    GstElement *backend = active_backend(h->element);
    guint bitrate = 0;
    g_object_get(backend, "bitrate", &bitrate, nullptr);
    fail_unless_equals_int(bitrate, part == 0 ? 100 : 1500);
    gst_object_unref(backend);
  }
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  guint64 failovers = 0;
  gst_structure_get_uint64(stats, "failovers", &failovers);
  gst_structure_free(stats);
  fail_unless_equals_uint64(failovers, 1);
  fail_unless(bytes[1] > 3 * bytes[0] / 2, "%zu bytes at 100 kbit/s, %zu after 1500", bytes[0],
              bytes[1]);
  fail_unless(bytes[2] > 3 * bytes[0] / 2, "%zu bytes at 100 kbit/s, %zu after the failover",
              bytes[0], bytes[2]);
  gst_harness_teardown(src);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* When every backend fails the error says which were tried and why. */
GST_START_TEST(test_all_backends_fail) {
  if (!register_failing_backend())
    return;
  plan = FailPlan();
  plan.fail_at = 3;
  PipelineRun run;
  run_pipeline(source(10) + " ! quadenc codec=h264 backends=quadtestfailenc,nosuchenc" +
                   " ! fakesink name=sink",
               run);
  fail_unless(!run.eos);
  /* In the message itself, not only in the debug details. */
  const std::string message = run.error.substr(0, run.error.find(" | "));
  fail_unless(message.find("No encoder left") != std::string::npos, "%s", run.error.c_str());
  fail_unless(message.find("quadtestfailenc (Test backend failing at frame 3.)") !=
                  std::string::npos,
              "%s", run.error.c_str());
  fail_unless(message.find("nosuchenc (not installed)") != std::string::npos, "%s",
              run.error.c_str());

  PipelineRun none;
  run_pipeline(source(10) + " ! quadenc codec=h264 backends=nosuchenc ! fakesink name=sink", none);
  fail_unless(!none.eos);
  const std::string none_message = none.error.substr(0, none.error.find(" | "));
  fail_unless(none_message.find("No encoder can take these caps") != std::string::npos, "%s",
              none.error.c_str());
  fail_unless(none_message.find("nosuchenc (not installed)") != std::string::npos, "%s",
              none.error.c_str());
}
GST_END_TEST;

/* quadh265enc, with fewer rate controls than the shared set and no threads
 * or intra-refresh, takes the settings it offers; asked for one it does not
 * offer, it is passed over. */
GST_START_TEST(test_quadh265enc_backend) {
  GstElementFactory *factory = gst_element_factory_find("quadh265enc");
  if (!factory)
    return;
  gst_object_unref(factory);
  const int frames = 10;
  PipelineRun run;
  run_pipeline(source(frames) +
                   " ! quadenc codec=h265 rate-control=cqp qp=51 key-int-max=5 threads=2 "
                   "backends=quadh265enc ! fakesink name=sink",
               run);
  fail_unless(run.eos, "%s", run.error.c_str());
  check_every_frame_once(run, frames);
  for (int i = 0; i < frames; i++)
    fail_unless(run.out[i].delta == (i % 5 != 0), "frame %d flags", i);
  /* QP 51 against the default 2 Mbit/s: the QP was passed on. */
  const size_t bytes = run.stream().size();
  fail_unless(bytes < frames * 2000u, "%zu bytes", bytes);

  PipelineRun vbr;
  run_pipeline(source(frames) +
                   " ! quadenc codec=h265 rate-control=vbr backends=quadh265enc ! fakesink "
                   "name=sink",
               vbr);
  fail_unless(!vbr.eos);
  fail_unless(vbr.error.find("quadh265enc (does not offer this rate-control)") != std::string::npos,
              "%s", vbr.error.c_str());
}
GST_END_TEST;

/* key-int-max=0 is automatic on every backend, as on x264enc: a key frame
 * every 250 pictures whichever encoder codes the stream. */
GST_START_TEST(test_key_int_max_zero_is_automatic) {
  const struct {
    const char *codec;
    const char *backend;
  } cases[] = {{"h264", "quadx264enc"},
               {"h264", "x264enc"},
               {"h265", "quadh265enc"},
               {"h265", "quadx265enc"},
               {"h265", "x265enc"}};
  for (const auto &c : cases) {
    GstElementFactory *factory = gst_element_factory_find(c.backend);
    if (!factory)
      continue;
    gst_object_unref(factory);
    const int frames = 260;
    PipelineRun run;
    run_pipeline("quadcapturesrc is-live=false num-buffers=" + std::to_string(frames) +
                     " ! video/x-raw,format=I420,width=96,height=64,framerate=30/1 ! quadenc "
                     "key-int-max=0 speed-preset=ultrafast codec=" +
                     c.codec + " backends=" + c.backend + " ! fakesink name=sink",
                 run);
    fail_unless(run.eos, "%s: %s", c.backend, run.error.c_str());
    fail_unless_equals_int(static_cast<int>(run.out.size()), frames);
    /* x265enc's periodic key frames are CRA pictures (open GOP), not IDRs. */
    for (int i = 0; i < frames; i++)
      fail_unless(run.out[i].delta == (i != 0 && i != 250), "%s frame %d", c.backend, i);
  }
}
GST_END_TEST;

static Suite *quadenc_suite(void) {
  Suite *s = suite_create("quadenc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_picks_first_backend_that_starts);
  tcase_add_test(tc, test_default_backends_h265);
  tcase_add_test(tc, test_failover_on_error);
  tcase_add_test(tc, test_failover_replays_held_frames);
  tcase_add_test(tc, test_simulated_failure);
  tcase_add_test(tc, test_failover_on_overrun);
  tcase_add_test(tc, test_failover_between_x264enc_and_quadx264enc_keeps_every_frame);
  tcase_add_test(tc, test_failover_keeps_output_caps);
  tcase_add_test(tc, test_failover_into_muxers);
  tcase_add_test(tc, test_codec_data_only_formats);
  tcase_add_test(tc, test_settings_change_in_playing);
  tcase_add_test(tc, test_all_backends_fail);
  tcase_add_test(tc, test_quadh265enc_backend);
  tcase_add_test(tc, test_key_int_max_zero_is_automatic);
  return s;
}

GST_CHECK_MAIN(quadenc);
