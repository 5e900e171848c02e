/* quadx264enc against x264enc and quadx265enc against x265enc: same input,
 * same run, same settings (constant QP, zero-latency tuning, no B-frames,
 * same preset, the library's default thread count on both sides).
 *
 * Input: street_drive 1080p25 from QUAD_CLIPS_Y4M_DIR, looped, or the
 * synthetic 1080p scene when the clips are absent. Each case runs A B A B
 * (5 rounds, each in its own process so peak memory is its own) and prints
 * medians of: frames per second over the whole run, per-frame latency from
 * the encoder's sink pad to its source pad (p50, p99), output bytes (equal
 * QP and equal tools give equal quality; the bytes show it), and the peak
 * resident memory of the process. QUAD_BENCH_FRAMES changes the frame count. */
#include <gst/gst.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

static constexpr int kRounds = 5;

struct Result {
  double fps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double bytes = 0;
  double rss_mb = 0;
};

struct Probe {
  std::mutex mutex;
  /* Input times in order: no encoder here reorders, so the n-th output
   * belongs to the n-th input (peers may shift output timestamps). */
  std::deque<std::chrono::steady_clock::time_point> entered;
  std::vector<double> latency_ms;
  guint64 bytes = 0;
};

static GstPadProbeReturn on_input(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *probe = static_cast<Probe *>(data);
  std::lock_guard<std::mutex> lock(probe->mutex);
  probe->entered.push_back(std::chrono::steady_clock::now());
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_output(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *probe = static_cast<Probe *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  std::lock_guard<std::mutex> lock(probe->mutex);
  if (!probe->entered.empty()) {
    probe->latency_ms.push_back(std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - probe->entered.front())
                                    .count());
    probe->entered.pop_front();
  }
  probe->bytes += gst_buffer_get_size(buffer);
  return GST_PAD_PROBE_OK;
}

static double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

/* One run of a pipeline whose encoder is named "enc"; in this process. */
static bool run_once(const std::string &description, int frames, Result *r) {
  GError *err = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline) {
    fprintf(stderr, "bad pipeline %s: %s\n", description.c_str(), err ? err->message : "");
    g_clear_error(&err);
    return false;
  }
  Probe probe;
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  GstPad *sink = gst_element_get_static_pad(enc, "sink");
  GstPad *src = gst_element_get_static_pad(enc, "src");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, on_input, &probe, nullptr);
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_output, &probe, nullptr);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(enc);

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
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (failed)
    return false;
  r->fps = frames / std::chrono::duration<double>(end - start).count();
  r->p50_ms = percentile(probe.latency_ms, 0.50);
  r->p99_ms = percentile(probe.latency_ms, 0.99);
  r->bytes = static_cast<double>(probe.bytes);
  return true;
}

/* Runs in a child process so that its peak memory is measured alone. */
static bool run_isolated(const std::string &description, int frames, Result *r) {
  int fds[2];
  if (pipe(fds) != 0)
    return false;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Result child;
    const bool ok = run_once(description, frames, &child);
    if (ok && write(fds[1], &child, sizeof child) != static_cast<ssize_t>(sizeof child))
      _exit(2);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  const bool got = read(fds[0], r, sizeof *r) == static_cast<ssize_t>(sizeof *r);
  close(fds[0]);
  int status = 0;
  struct rusage usage = {};
  wait4(pid, &status, 0, &usage);
  r->rss_mb = usage.ru_maxrss / 1024.0;
  return got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static Result median(const std::vector<Result> &v) {
  auto pick = [&](double Result::*field) {
    std::vector<double> x;
    for (const Result &r : v)
      x.push_back(r.*field);
    return percentile(x, 0.5);
  };
  Result m;
  m.fps = pick(&Result::fps);
  m.p50_ms = pick(&Result::p50_ms);
  m.p99_ms = pick(&Result::p99_ms);
  m.bytes = pick(&Result::bytes);
  m.rss_mb = pick(&Result::rss_mb);
  return m;
}

static void print_row(const char *who, const Result &r) {
  printf("  %-44s %7.1f fps  p50 %7.2f ms  p99 %7.2f ms  %9.0f bytes  %6.1f MB peak RSS\n", who,
         r.fps, r.p50_ms, r.p99_ms, r.bytes, r.rss_mb);
}

static void compare(const char *label, const std::string &input, int frames,
                    const std::string &ours, const std::string &peer) {
  const std::string tail = " ! fakesink sync=false";
  std::vector<Result> a, b;
  for (int round = 0; round < kRounds; round++) {
    Result ra, rb;
    if (!run_isolated(input + " ! " + ours + tail, frames, &ra) ||
        !run_isolated(input + " ! " + peer + tail, frames, &rb)) {
      printf("%s: a run failed (see stderr)\n", label);
      return;
    }
    a.push_back(ra);
    b.push_back(rb);
  }
  const Result ma = median(a), mb = median(b);
  printf("%s (%d frames, median of %d alternating runs)\n", label, frames, kRounds);
  print_row(ours.c_str(), ma);
  print_row(peer.c_str(), mb);
  printf("  ratio ours/peer: fps x%.2f, p50 latency x%.2f, p99 latency x%.2f, bytes x%.3f, "
         "peak RSS x%.2f\n\n",
         ma.fps / mb.fps, ma.p50_ms / mb.p50_ms, ma.p99_ms / mb.p99_ms, ma.bytes / mb.bytes,
         ma.rss_mb / mb.rss_mb);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  setvbuf(stdout, nullptr, _IOLBF, 0); /* each line as it is measured */
  for (const char *name : {"quadx264enc", "quadx265enc", "x264enc", "x265enc"}) {
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f) {
      printf("fallback: skipped (%s not available; quadx26*enc need -Dgpl)\n", name);
      return 0;
    }
    gst_object_unref(f);
  }
  const char *frames_env = getenv("QUAD_BENCH_FRAMES");
  const int frames = frames_env ? std::max(1, atoi(frames_env)) : 90;
  const char *dir = getenv("QUAD_CLIPS_Y4M_DIR");
  const std::string clip = dir ? std::string(dir) + "/street_drive_1080p25_45f.y4m" : "";
  const std::string count = " num-buffers=" + std::to_string(frames);
  std::string input;
  if (!clip.empty() && g_file_test(clip.c_str(), G_FILE_TEST_EXISTS)) {
    input = "quadcapturesrc is-live=false loop=true" + count + " location=" + clip;
    printf("input: street_drive 1080p25 (45 frames, looped)\n");
  } else {
    input = "quadcapturesrc is-live=false" + count +
            " ! video/x-raw,format=I420,width=1920,height=1080,framerate=25/1";
    printf("input: synthetic 1080p25 scene (QUAD_CLIPS_Y4M_DIR not set)\n");
  }
  printf("settings: constant QP 27, veryfast, zero-latency tuning, no B-frames, key-int-max 60,"
         " threads: library default\n\n");

  compare("H.264 1080p", input, frames,
          "quadx264enc name=enc rate-control=cqp qp=27 speed-preset=veryfast key-int-max=60",
          "x264enc name=enc pass=quant quantizer=27 speed-preset=veryfast tune=zerolatency "
          "key-int-max=60 bframes=0");
  compare("H.265 1080p", input, frames,
          "quadx265enc name=enc rate-control=cqp qp=27 speed-preset=veryfast key-int-max=60",
          "x265enc name=enc qp=27 speed-preset=veryfast tune=zerolatency key-int-max=60 "
          "option-string=bframes=0");
  return 0;
}
