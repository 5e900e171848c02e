/* quad-demo: runs the live chain and prints what it does once a second:
 * frames per second at the sink, frames the source dropped, and latency from
 * capture (the source's timestamp/x-unix stamp) to the sink; which encoder
 * quadenc picked and each failover as it happens; a summary at the end.
 *
 *   quad-demo [--seconds N] [--port N] [--overlay] [--fail-encoder-at N]
 *             [--pipeline "gst-launch description"]
 *
 * The default chain is every kernel: capture, pre-processing with analysis,
 * motion estimation, an encoder picked by quadenc, and quadnetsink serving
 * http://127.0.0.1:8080 (--port changes it; stages whose plugin is not built
 * are left out). --overlay draws the motion vectors and flagged blocks on
 * the video (quadmotionoverlay) before it is encoded. --fail-encoder-at
 * makes quadenc's first encoder fail at frame N, to watch the failover
 * happen without a lost frame.
 */
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static bool have(const char *factory) {
  GstElementFactory *f = gst_element_factory_find(factory);
  if (f)
    gst_object_unref(f);
  return f != nullptr;
}

struct Options {
  guint64 fail_encoder_at = 0;
  guint port = 8080;
  bool overlay = false;
};

/* Every kernel that is built, in order. */
static std::string default_pipeline(const Options &o) {
  std::string d = "quadcapturesrc name=src ! "
                  "video/x-raw,format=I420,width=1280,height=720,framerate=30/1";
  if (have("quadpreproc"))
    d += " ! quadpreproc analysis=true";
  if (have("quadmotion"))
    d += " ! quadmotion";
  if (o.overlay)
    d += " ! quadmotionoverlay";
  if (have("quadenc")) {
    /* H.264: what browsers' WebCodecs decode everywhere. */
    d += " ! quadenc name=enc codec=h264";
    if (o.fail_encoder_at)
      d += " simulate-failure-at=" + std::to_string(o.fail_encoder_at);
  }
  if (have("quadenc") && have("quadnetsink"))
    d += " ! quadnetsink name=sink port=" + std::to_string(o.port);
  else
    d += " ! fakesink name=sink sync=true";
  return d;
}

struct Demo {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *src = nullptr;
  GstElement *encoder = nullptr; /* quadenc, when the chain has one */
  GstElement *sink = nullptr;
  GstCaps *unix_caps = nullptr;
  GMutex lock;
  std::vector<double> latencies_ms; /* this second's frames */
  std::vector<double> all_latencies_ms;
  guint64 frames_total = 0;
  guint64 last_dropped = 0;
  std::string encoder_name; /* the last one reported */
  int seconds_left = -1;
  int status = 0;
};

static GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *demo = static_cast<Demo *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta(buf, demo->unix_caps);
  const double now_ns = static_cast<double>(g_get_real_time()) * 1000.0;
  g_mutex_lock(&demo->lock);
  demo->frames_total++;
  demo->latencies_ms.push_back(meta ? (now_ns - static_cast<double>(meta->timestamp)) / 1e6 : -1.0);
  g_mutex_unlock(&demo->lock);
  return GST_PAD_PROBE_OK;
}

/* A guint64 field of an element's "stats" structure; 0 when it has none. */
static guint64 stat_of(GstElement *element, const char *field) {
  guint64 value = 0;
  if (element && g_object_class_find_property(G_OBJECT_GET_CLASS(element), "stats")) {
    GstStructure *stats = nullptr;
    g_object_get(element, "stats", &stats, nullptr);
    if (stats) {
      gst_structure_get_uint64(stats, field, &value);
      gst_structure_free(stats);
    }
  }
  return value;
}

/* Latencies without the frames that had no capture stamp, sorted. */
static std::vector<double> sorted_latencies(std::vector<double> lat) {
  lat.erase(std::remove(lat.begin(), lat.end(), -1.0), lat.end());
  std::sort(lat.begin(), lat.end());
  return lat;
}

static double percentile(const std::vector<double> &sorted, double p) {
  return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, size_t(p * sorted.size()))];
}

/* One line when quadenc's encoder is first known or changes. */
static void report_encoder(Demo *demo) {
  if (!demo->encoder)
    return;
  gchar *active = nullptr;
  g_object_get(demo->encoder, "active-backend", &active, nullptr);
  if (active && *active && demo->encoder_name != active) {
    printf("%s %s\n", demo->encoder_name.empty() ? "encoder: quadenc picked" : "encoder: now",
           active);
    demo->encoder_name = active;
  }
  g_free(active);
}

static gboolean print_stats(gpointer data) {
  auto *demo = static_cast<Demo *>(data);
  std::vector<double> lat;
  g_mutex_lock(&demo->lock);
  lat.swap(demo->latencies_ms);
  const guint64 total = demo->frames_total;
  demo->all_latencies_ms.insert(demo->all_latencies_ms.end(), lat.begin(), lat.end());
  g_mutex_unlock(&demo->lock);

  report_encoder(demo);
  const guint64 dropped = stat_of(demo->src, "dropped");
  const size_t fps = lat.size();
  lat = sorted_latencies(std::move(lat));
  auto pct = [&](double p) { return percentile(lat, p); };
  printf("fps %5zu  frames %8" G_GUINT64_FORMAT "  drops %4" G_GUINT64_FORMAT
         " (total %" G_GUINT64_FORMAT ")  latency capture->sink p50 %.2f ms  p99 %.2f ms\n",
         fps, total, dropped - demo->last_dropped, dropped, pct(0.5), pct(0.99));
  fflush(stdout);
  demo->last_dropped = dropped;

  if (demo->seconds_left > 0 && --demo->seconds_left == 0) {
    g_main_loop_quit(demo->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean on_message(GstBus *, GstMessage *msg, gpointer data) {
  auto *demo = static_cast<Demo *>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_ERROR: {
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    fprintf(stderr, "error from %s: %s\n%s\n", GST_OBJECT_NAME(msg->src), err->message,
            debug ? debug : "");
    g_clear_error(&err);
    g_free(debug);
    demo->status = 1;
    g_main_loop_quit(demo->loop);
    break;
  }
  case GST_MESSAGE_EOS:
    g_main_loop_quit(demo->loop);
    break;
  case GST_MESSAGE_ELEMENT: {
    const GstStructure *s = gst_message_get_structure(msg);
    if (gst_structure_has_name(s, "quadenc-failover")) {
      const char *from = gst_structure_get_string(s, "from");
      const char *to = gst_structure_get_string(s, "to");
      const char *reason = gst_structure_get_string(s, "reason");
      guint replayed = 0;
      gst_structure_get_uint(s, "replayed", &replayed);
      printf("encoder failover: %s failed (%s); %s took over, %u frame%s replayed\n",
             from ? from : "?", reason ? reason : "no reason given", to ? to : "?", replayed,
             replayed == 1 ? "" : "s");
      fflush(stdout);
      demo->encoder_name = to ? to : "";
    }
    break;
  }
  default:
    break;
  }
  return TRUE;
}

/* The element named "sink", else the first sink in the pipeline. */
static GstElement *find_sink(GstElement *pipeline) {
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  if (sink)
    return sink;
  GstIterator *it = gst_bin_iterate_sinks(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  if (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    sink = GST_ELEMENT(g_value_dup_object(&item));
    g_value_unset(&item);
  }
  gst_iterator_free(it);
  return sink;
}

/* The whole run: frames, drops, latency over every stamped frame, bytes the
 * network sink sent. */
static void print_summary(Demo *demo) {
  g_mutex_lock(&demo->lock);
  std::vector<double> lat = demo->all_latencies_ms;
  lat.insert(lat.end(), demo->latencies_ms.begin(), demo->latencies_ms.end());
  const guint64 frames = demo->frames_total;
  g_mutex_unlock(&demo->lock);
  lat = sorted_latencies(std::move(lat));
  printf("summary: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
         " dropped, latency p50 %.2f ms p99 %.2f ms",
         frames, stat_of(demo->src, "dropped"), percentile(lat, 0.5), percentile(lat, 0.99));
  if (demo->sink && g_object_class_find_property(G_OBJECT_GET_CLASS(demo->sink), "stats"))
    printf(", %" G_GUINT64_FORMAT " bytes sent", stat_of(demo->sink, "bytes"));
  if (!demo->encoder_name.empty())
    printf(", encoder %s", demo->encoder_name.c_str());
  printf("\n");
}

static const char usage[] = "usage: %s [--seconds N] [--port N] [--overlay] [--fail-encoder-at N] "
                            "[--pipeline DESCRIPTION]\n";

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  Demo demo;
  g_mutex_init(&demo.lock);
  std::string description;
  Options options;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      demo.seconds_left = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--fail-encoder-at") && i + 1 < argc) {
      options.fail_encoder_at = g_ascii_strtoull(argv[++i], nullptr, 10);
    } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
      const guint64 port = g_ascii_strtoull(argv[++i], nullptr, 10);
      if (port == 0 || port > 65535) {
        fprintf(stderr, "--port takes 1..65535, not %s\n", argv[i]);
        return 2;
      }
      options.port = static_cast<guint>(port);
    } else if (!strcmp(argv[i], "--overlay")) {
      options.overlay = true;
    } else if (!strcmp(argv[i], "--pipeline") && i + 1 < argc) {
      description = argv[++i];
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf(usage, argv[0]);
      return 0;
    } else {
      fprintf(stderr, usage, argv[0]);
      return 2;
    }
  }
  if (options.overlay && !have("quadmotionoverlay")) {
    fprintf(stderr, "--overlay needs quadmotionoverlay, which this build lacks\n");
    return 1;
  }
  if (description.empty())
    description = default_pipeline(options);

  GError *err = nullptr;
  demo.pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!demo.pipeline) {
    fprintf(stderr, "bad pipeline: %s\n", err ? err->message : "unknown");
    return 1;
  }
  printf("pipeline: %s\n", description.c_str());
  demo.unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  demo.src = gst_bin_get_by_name(GST_BIN(demo.pipeline), "src");
  demo.encoder = gst_bin_get_by_name(GST_BIN(demo.pipeline), "enc");
  demo.sink = find_sink(demo.pipeline);
  if (demo.sink) {
    GstPad *pad = gst_element_get_static_pad(demo.sink, "sink");
    if (pad) {
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &demo, nullptr);
      gst_object_unref(pad);
    }
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(demo.sink), "port")) {
      guint port = 0;
      g_object_get(demo.sink, "port", &port, nullptr);
      printf("watch it at http://127.0.0.1:%u/\n", port);
    }
  }

  demo.loop = g_main_loop_new(nullptr, FALSE);
  GstBus *bus = gst_element_get_bus(demo.pipeline);
  gst_bus_add_watch(bus, on_message, &demo);
  g_timeout_add_seconds(1, print_stats, &demo);
  if (gst_element_set_state(demo.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    fprintf(stderr, "the pipeline would not start\n");
    demo.status = 1;
  } else {
    g_main_loop_run(demo.loop);
  }

  print_summary(&demo);
  gst_element_set_state(demo.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch(bus);
  gst_object_unref(bus);
  for (GstElement *e : {demo.src, demo.encoder, demo.sink})
    if (e)
      gst_object_unref(e);
  gst_object_unref(demo.pipeline);
  gst_caps_unref(demo.unix_caps);
  g_main_loop_unref(demo.loop);
  g_mutex_clear(&demo.lock);
  return demo.status;
}
