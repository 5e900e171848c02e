/* quadh265enc live, beside x265enc in the same run, each at its fastest
 * preset on every core:
 *   1080p25: quadcapturesrc location=street_drive loop=true is-live=true
 *   into the encoder for QUAD_LIVE_SECONDS (default 60): frames the source
 *   dropped per minute (it drops what downstream is late for, as a camera
 *   does) and encode latency p50/p99, from a buffer entering the encoder to
 *   its access unit leaving it (pad probes; ours also from its stats).
 *   ours with frame-threads=2 as a third row.
 *   7680x4320: a synthetic scene, not live, 2 threads: frames per second and
 *   peak memory, each encoder in its own process (ru_maxrss).
 * The clip comes from QUAD_CLIPS_Y4M_DIR; without it the live part is
 * skipped. */
#include <gst/gst.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Encoder {
  const char *name;
  const char *element; // a gst-launch description, named enc
};

// Fastest presets, two threads, low delay.
const Encoder kEncoders[] = {
    {"quadh265enc ultrafast", "quadh265enc name=enc speed-preset=ultrafast threads=2"},
    {"quadh265enc ultrafast frame-threads=2",
     "quadh265enc name=enc speed-preset=ultrafast threads=2 frame-threads=2"},
    {"x265enc ultrafast zerolatency",
     "x265enc name=enc speed-preset=ultrafast tune=zerolatency option-string=pools=2"},
};

// Encode latency: when each buffer entered the encoder, and the latencies
// of the access units that left it (every encoder here returns pictures
// in the order they came, one each).
struct LatencyProbe {
  std::mutex lock;
  std::deque<gint64> entered;
  std::vector<double> ms;
};

GstPadProbeReturn on_enter(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *probe = static_cast<LatencyProbe *>(data);
  std::lock_guard<std::mutex> guard(probe->lock);
  probe->entered.push_back(g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_leave(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *probe = static_cast<LatencyProbe *>(data);
  std::lock_guard<std::mutex> guard(probe->lock);
  if (!probe->entered.empty()) {
    probe->ms.push_back((g_get_monotonic_time() - probe->entered.front()) / 1000.0);
    probe->entered.pop_front();
  }
  return GST_PAD_PROBE_OK;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()))];
}

GstElement *launch(const std::string &description) {
  GError *err = nullptr;
  // Fatal errors: a missing element (plugins not on GST_PLUGIN_PATH) gives
  // no pipeline rather than a partial one.
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline) {
    fprintf(stderr, "bad pipeline %s: %s\n", description.c_str(), err ? err->message : "");
    exit(1);
  }
  return pipeline;
}

// A copy of the "stats" of the element named `element`, or nullptr.
GstStructure *element_stats(GstElement *pipeline, const char *element) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element);
  GstStructure *stats = nullptr;
  if (e && g_object_class_find_property(G_OBJECT_GET_CLASS(e), "stats"))
    g_object_get(e, "stats", &stats, nullptr);
  if (e)
    gst_object_unref(e);
  return stats;
}

// One live run: the source paced at the clip's rate for `seconds`.
void live_run(const Encoder &enc, const std::string &clip, int seconds) {
  GstElement *pipeline = launch("quadcapturesrc name=src is-live=true loop=true location=\"" +
                                clip + "\" ! " + enc.element + " ! fakesink sync=false");
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  LatencyProbe probe;
  GstPad *sink = gst_element_get_static_pad(e, "sink");
  GstPad *src = gst_element_get_static_pad(e, "src");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, on_enter, &probe, nullptr);
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_leave, &probe, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(seconds) * GST_SECOND,
                                               GST_MESSAGE_ERROR);
  if (msg) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    printf("| %s | failed: %s | | | |\n", enc.name, err->message);
    g_clear_error(&err);
    gst_message_unref(msg);
  } else {
    guint64 frames = 0, dropped = 0;
    double p50 = -1, p99 = -1;
    if (GstStructure *src = element_stats(pipeline, "src")) {
      gst_structure_get_uint64(src, "frames", &frames);
      gst_structure_get_uint64(src, "dropped", &dropped);
      gst_structure_free(src);
    }
    // Ours only: x265enc has no stats.
    if (GstStructure *enc = element_stats(pipeline, "enc")) {
      gst_structure_get_double(enc, "latency-us-p50", &p50);
      gst_structure_get_double(enc, "latency-us-p99", &p99);
      gst_structure_free(enc);
    }
    std::lock_guard<std::mutex> guard(probe.lock);
    char own[64] = "";
    if (p50 >= 0)
      snprintf(own, sizeof own, "%.1f / %.1f", p50 / 1000, p99 / 1000);
    printf("| %s | %" G_GUINT64_FORMAT " | %.1f | %.1f / %.1f | %s |\n", enc.name, frames,
           dropped * 60.0 / seconds, percentile(probe.ms, 50), percentile(probe.ms, 99), own);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(e);
  gst_object_unref(pipeline);
}

// The 8K run of one encoder in this process (--8k INDEX): prints its
// frames per second and peak memory.
int run_8k(const Encoder &enc, int frames) {
  GstElement *pipeline = launch("quadcapturesrc is-live=false num-buffers=" +
                                std::to_string(frames) +
                                " ! video/x-raw,format=I420,width=7680,height=4320,"
                                "framerate=30/1 ! " +
                                enc.element + " ! fakesink");
  const auto start = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool failed = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  if (failed)
    return 1;
  printf("%.2f %ld\n", frames / seconds, usage.ru_maxrss / 1024);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const int frames_8k = getenv("QUAD_LIVE_8K_FRAMES") ? atoi(getenv("QUAD_LIVE_8K_FRAMES")) : 20;
  if (argc == 3 && strcmp(argv[1], "--8k") == 0)
    return run_8k(kEncoders[atoi(argv[2]) % G_N_ELEMENTS(kEncoders)], frames_8k);

  const char *dir = getenv("QUAD_CLIPS_Y4M_DIR");
  const std::string clip = dir ? std::string(dir) + "/street_drive_1080p25_45f.y4m" : "";
  const int seconds = getenv("QUAD_LIVE_SECONDS") ? atoi(getenv("QUAD_LIVE_SECONDS")) : 60;
  if (!clip.empty() && access(clip.c_str(), R_OK) == 0) {
    printf("Live 1080p25 (street_drive, looped, paced like a camera), %d s each, fastest "
           "preset, 2 threads:\n\n",
           seconds);
    printf("| encoder | frames | dropped per minute | latency p50 / p99 ms (probes) | "
           "p50 / p99 ms (stats) |\n|---|---|---|---|---|\n");
    for (const Encoder &enc : kEncoders)
      live_run(enc, clip, seconds);
  } else {
    printf("Live run skipped: street_drive_1080p25_45f.y4m not in QUAD_CLIPS_Y4M_DIR\n");
  }

  printf("\n7680x4320 synthetic scene, %d frames, not live, 2 threads:\n\n", frames_8k);
  printf("| encoder | fps | peak memory MiB |\n|---|---|---|\n");
  for (size_t i = 0; i < G_N_ELEMENTS(kEncoders); ++i) {
    const std::string command = "\"/proc/" + std::to_string(getpid()) + "/exe\" --8k " +
                                std::to_string(i);
    FILE *child = popen(command.c_str(), "r");
    double fps = 0;
    long mib = 0;
    const bool ok = child && fscanf(child, "%lf %ld", &fps, &mib) == 2;
    if (child)
      pclose(child);
    if (ok)
      printf("| %s | %.2f | %ld |\n", kEncoders[i].name, fps, mib);
    else
      printf("| %s | failed | |\n", kEncoders[i].name);
  }
  return 0;
}
