/* quadcapturesrc against GStreamer's own sources, same run, same sizes:
 *   pattern I420 1920x1080 and 7680x4320 vs videotestsrc pattern=ball / smpte
 *   Y4M playback vs filesrc ! y4mdec (clips from QUAD_CLIPS_Y4M_DIR)
 * Each case runs A B A B ... (5 rounds), frames per second is the median.
 * Sources are not live, and the process is pinned to one core: this is the
 * throughput of one capture thread. */
#include <gst/gst.h>

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static constexpr int kRounds = 5;

/* Frames per second of a pipeline that ends by itself (num-buffers, EOS);
 * a negative value when it failed (the reason goes to stderr). With `stats`,
 * the "stats" of the element named "src", when there is one. */
static double run_fps(const std::string &description, int frames, GstStructure **stats = nullptr) {
  GError *err = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline) {
    fprintf(stderr, "bad pipeline %s: %s\n", description.c_str(), err ? err->message : "");
    exit(1);
  }
  const auto start = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const auto end = std::chrono::steady_clock::now();
  const bool failed = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
  if (failed) {
    GError *e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    fprintf(stderr, "%s: %s\n", description.c_str(), e->message);
    g_clear_error(&e);
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  if (stats) {
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    if (src) {
      g_object_get(src, "stats", stats, nullptr);
      gst_object_unref(src);
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return failed ? -1.0 : frames / std::chrono::duration<double>(end - start).count();
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/* Runs ours and each peer alternately; prints fps and ratios, and for a
 * source named "src" how many of its frames went out without a copy. */
static void compare(const char *label, const std::string &ours,
                    const std::vector<std::pair<std::string, std::string>> &peers, int frames) {
  std::vector<double> a;
  std::vector<std::vector<double>> b(peers.size());
  GstStructure *stats = nullptr;
  for (int r = 0; r < kRounds; r++) {
    if (stats)
      gst_structure_free(stats);
    stats = nullptr;
    a.push_back(run_fps(ours, frames, &stats));
    for (size_t p = 0; p < peers.size(); p++)
      b[p].push_back(run_fps(peers[p].second, frames));
  }
  const double fa = median(a);
  printf("%-34s quadcapturesrc %8.1f fps", label, fa);
  for (size_t p = 0; p < peers.size(); p++) {
    const double fb = median(b[p]);
    if (fb < 0)
      printf(" | %s failed", peers[p].first.c_str());
    else
      printf(" | %s %8.1f fps  ratio %5.2fx", peers[p].first.c_str(), fb, fa / fb);
  }
  guint64 zero_copy = 0, copied = 0;
  if (stats && gst_structure_get_uint64(stats, "zero-copy", &zero_copy) &&
      gst_structure_get_uint64(stats, "copied", &copied) && zero_copy + copied > 0)
    printf(" | zero-copy %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " frames", zero_copy,
           zero_copy + copied);
  if (stats)
    gst_structure_free(stats);
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof(one), &one);
  printf("GStreamer %s, one core, median of %d alternating runs\n", gst_version_string(), kRounds);

  struct Size {
    int w, h, frames;
  } sizes[] = {{1920, 1080, 600}, {7680, 4320, 60}};
  for (const Size &s : sizes) {
    char caps[128], label[64];
    snprintf(caps, sizeof caps, "video/x-raw,format=I420,width=%d,height=%d,framerate=60/1", s.w,
             s.h);
    snprintf(label, sizeof label, "pattern I420 %dx%d", s.w, s.h);
    const std::string tail = std::string(" ! ") + caps + " ! fakesink sync=false";
    const std::string n = " num-buffers=" + std::to_string(s.frames);
    compare(label, "quadcapturesrc is-live=false" + n + tail,
            {{"videotestsrc ball", "videotestsrc pattern=ball" + n + tail},
             {"videotestsrc smpte", "videotestsrc pattern=smpte" + n + tail}},
            s.frames);
  }

  const char *dir = getenv("QUAD_CLIPS_Y4M_DIR");
  if (!dir) {
    printf("Y4M playback: skipped (QUAD_CLIPS_Y4M_DIR not set; ./quad bench sets it)\n");
    return 0;
  }
  struct Clip {
    const char *name;
    int frames;
  } clips[] = {
      {"foreman_cif_300f", 300}, {"presenter_960x544_43f", 43}, {"street_drive_1080p25_45f", 45}};
  for (const Clip &c : clips) {
    const std::string path = std::string(dir) + "/" + c.name + ".y4m";
    char label[96];
    snprintf(label, sizeof label, "Y4M %s", c.name);
    compare(label,
            "quadcapturesrc name=src is-live=false location=" + path + " ! fakesink sync=false",
            {{"filesrc ! y4mdec", "filesrc location=" + path + " ! y4mdec ! fakesink sync=false"}},
            c.frames);
  }
  return 0;
}
