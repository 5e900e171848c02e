/* quad-demo: runs the live chain and prints what it does once a second:
 * frames per second at the sink, frames the source dropped, and latency from
 * capture (the source's timestamp/x-unix stamp) to the sink.
 *
 *   quad-demo [--seconds N] [--fail-encoder-at N] [--pipeline "gst-launch description"]
 *
 * The default chain is every kernel: capture, pre-processing with analysis,
 * motion estimation, an encoder picked by quadenc, and quadnetsink serving
 * http://127.0.0.1:8080 (stages whose plugin is not built are left out).
 * --fail-encoder-at makes quadenc's first encoder fail at frame N, to watch
 * the failover happen without a lost frame.
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

/* Every kernel that is built, in order. */
static std::string default_pipeline(guint64 fail_encoder_at) {
  std::string d = "quadcapturesrc name=src ! "
                  "video/x-raw,format=I420,width=1280,height=720,framerate=30/1";
  if (have("quadpreproc"))
    d += " ! quadpreproc analysis=true";
  if (have("quadmotion"))
    d += " ! quadmotion";
  if (have("quadenc")) {
    /* H.264: what browsers' WebCodecs decode everywhere. */
    d += " ! quadenc name=enc codec=h264";
    if (fail_encoder_at)
      d += " simulate-failure-at=" + std::to_string(fail_encoder_at);
  }
  if (have("quadenc") && have("quadnetsink"))
    d += " ! quadnetsink name=sink";
  else
    d += " ! fakesink name=sink sync=true";
  return d;
}

struct Demo {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *src = nullptr;
  GstCaps *unix_caps = nullptr;
  GMutex lock;
  std::vector<double> latencies_ms; /* this second's frames */
  guint64 frames_total = 0;
  guint64 last_dropped = 0;
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

static gboolean print_stats(gpointer data) {
  auto *demo = static_cast<Demo *>(data);
  std::vector<double> lat;
  g_mutex_lock(&demo->lock);
  lat.swap(demo->latencies_ms);
  const guint64 total = demo->frames_total;
  g_mutex_unlock(&demo->lock);

  guint64 dropped = 0;
  if (demo->src && g_object_class_find_property(G_OBJECT_GET_CLASS(demo->src), "stats")) {
    GstStructure *stats = nullptr;
    g_object_get(demo->src, "stats", &stats, nullptr);
    if (stats) {
      gst_structure_get_uint64(stats, "dropped", &dropped);
      gst_structure_free(stats);
    }
  }
  const size_t fps = lat.size();
  lat.erase(std::remove(lat.begin(), lat.end(), -1.0), lat.end());
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(p * lat.size()))];
  };
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
      gchar *text = gst_structure_to_string(s);
      printf("encoder failover: %s\n", text);
      fflush(stdout);
      g_free(text);
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

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  Demo demo;
  g_mutex_init(&demo.lock);
  std::string description;
  guint64 fail_encoder_at = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      demo.seconds_left = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--fail-encoder-at") && i + 1 < argc) {
      fail_encoder_at = g_ascii_strtoull(argv[++i], nullptr, 10);
    } else if (!strcmp(argv[i], "--pipeline") && i + 1 < argc) {
      description = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--seconds N] [--fail-encoder-at N] [--pipeline DESCRIPTION]\n",
              argv[0]);
      return 2;
    }
  }
  if (description.empty())
    description = default_pipeline(fail_encoder_at);

  GError *err = nullptr;
  demo.pipeline = gst_parse_launch(description.c_str(), &err);
  if (!demo.pipeline) {
    fprintf(stderr, "bad pipeline: %s\n", err ? err->message : "unknown");
    return 1;
  }
  printf("pipeline: %s\n", description.c_str());
  if (description.find("quadnetsink") != std::string::npos)
    printf("watch it at http://127.0.0.1:8080/\n");
  demo.unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  demo.src = gst_bin_get_by_name(GST_BIN(demo.pipeline), "src");
  GstElement *sink = find_sink(demo.pipeline);
  if (sink) {
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    if (pad) {
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &demo, nullptr);
      gst_object_unref(pad);
    }
    gst_object_unref(sink);
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

  gst_element_set_state(demo.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch(bus);
  gst_object_unref(bus);
  if (demo.src)
    gst_object_unref(demo.src);
  gst_object_unref(demo.pipeline);
  gst_caps_unref(demo.unix_caps);
  g_main_loop_unref(demo.loop);
  g_mutex_clear(&demo.lock);
  return demo.status;
}
