/* quadpreproc against GStreamer's converters, same run, same input, same
 * thread count (n-threads=1, process pinned to one core):
 *   Y444 -> I420 and BGRx -> NV12 at 1080p and 2160p vs videoconvert
 *   I420 1080p -> 720p and 720p -> 1080p, every method, vs videoconvertscale
 *   with the nearest filter (bilinear, catrom), and the PSNR of both
 *   memcpy of the input frame's bytes: the bandwidth limit
 *   analysis (block statistics, scene score, pyramid) per 1080p frame
 * Each element runs in a GstHarness on one pre-made frame, so the figure is
 * the element's own time per frame. Times are CPU time (a shared machine's
 * other load does not count); cases alternate A B A B (5 rounds) and the
 * median is printed. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "analysis.h"
#include "parallel.h"

static constexpr int kRounds = 5;

/* CPU time of the process: everything runs on this thread (n-threads=1). */
static double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/* A frame of smooth gradients plus noise: every byte differs, nothing is
 * constant for a converter to skip. */
static GstBuffer *make_frame(const GstVideoInfo &info) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  std::mt19937 rng(1);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = guint8((i / 7 + (i >> 12) + (rng() >> 29)) & 0xff);
  gst_buffer_unmap(buf, &map);
  return buf;
}

/* Milliseconds per frame of `element` converting `frame` between caps. */
static double element_ms(const std::string &element, const std::string &in_caps,
                         const std::string &out_caps, GstBuffer *frame, int frames) {
  GstHarness *h = gst_harness_new_parse(element.c_str());
  gst_harness_set_caps_str(h, in_caps.c_str(), out_caps.c_str());
  /* Warm up until every buffer of the output pool has been written once:
   * first-touch page faults are the pool's setup, not a frame's cost. */
  for (int i = 0; i < 4; i++)
    gst_buffer_unref(gst_harness_push_and_pull(h, gst_buffer_ref(frame)));
  const double start = cpu_ms();
  for (int i = 0; i < frames; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, gst_buffer_ref(frame));
    if (!out) {
      fprintf(stderr, "%s: no output for %s\n", element.c_str(), in_caps.c_str());
      exit(1);
    }
    gst_buffer_unref(out);
  }
  const double ms = cpu_ms() - start;
  gst_harness_teardown(h);
  return ms / frames;
}

static double memcpy_ms(gsize bytes, int frames) {
  std::vector<guint8> a(bytes, 1), b(bytes);
  memcpy(b.data(), a.data(), bytes);
  const double start = cpu_ms();
  for (int i = 0; i < frames; i++) {
    a[size_t(i) % bytes] = guint8(i);
    memcpy(b.data(), a.data(), bytes);
  }
  const double ms = cpu_ms() - start;
  if (b[0] == 42)
    printf(" ");
  return ms / frames;
}

static std::string caps(const char *format, int w, int h) {
  return "video/x-raw,format=" + std::string(format) + ",width=" + std::to_string(w) +
         ",height=" + std::to_string(h) + ",framerate=30/1,colorimetry=bt709,chroma-site=jpeg";
}

static void compare(const char *label, const char *in_format, int w, int h, const char *out_format,
                    int ow, int oh, const char *peer, int frames) {
  const std::string in_caps = caps(in_format, w, h), out_caps = caps(out_format, ow, oh);
  GstVideoInfo info;
  GstCaps *c = gst_caps_from_string(in_caps.c_str());
  gst_video_info_from_caps(&info, c);
  gst_caps_unref(c);
  GstBuffer *frame = make_frame(info);
  std::vector<double> ours, theirs, copy;
  for (int r = 0; r < kRounds; r++) {
    ours.push_back(element_ms("quadpreproc n-threads=1", in_caps, out_caps, frame, frames));
    theirs.push_back(
        element_ms(std::string(peer) + " n-threads=1", in_caps, out_caps, frame, frames));
    copy.push_back(memcpy_ms(GST_VIDEO_INFO_SIZE(&info), frames));
  }
  const double a = median(ours), b = median(theirs), m = median(copy);
  printf("%-30s quadpreproc %7.2f ms | %s %7.2f ms  ratio %5.2fx | memcpy %6.2f ms (%3.0f%%)\n",
         label, a, peer, b, b / a, m, 100.0 * m / a);
  fflush(stdout);
  gst_buffer_unref(frame);
}

/* A smooth picture (detail below the Nyquist rate of every size used) whose
 * true value is known everywhere, in 0..1 frame units: the scalers' PSNR is
 * measured against it. */
static double smooth_luma(double u, double v) {
  const double pi = 3.14159265358979323846;
  return 128.0 + 45.0 * std::sin(2 * pi * (9.0 * u + 4.0 * v)) +
         30.0 * std::cos(2 * pi * 17.0 * u) * std::sin(2 * pi * 11.0 * v + 0.3) +
         20.0 * std::sin(2 * pi * (23.0 * v - 5.0 * u) + 1.0);
}

static GstBuffer *smooth_frame(const GstVideoInfo &info) {
  GstBuffer *buf = make_frame(info); /* chroma: any texture */
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE);
  const int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
  auto *y = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
  for (int r = 0; r < h; r++)
    for (int x = 0; x < w; x++)
      y[r * stride + x] =
          guint8(std::lround(std::clamp(smooth_luma((x + 0.5) / w, (r + 0.5) / h), 0.0, 255.0)));
  gst_video_frame_unmap(&f);
  return buf;
}

/* PSNR of the luma `element` makes from `frame`, against the picture itself. */
static double scaled_psnr(const std::string &element, const std::string &in_caps,
                          const std::string &out_caps, GstBuffer *frame) {
  GstHarness *h = gst_harness_new_parse(element.c_str());
  gst_harness_set_caps_str(h, in_caps.c_str(), out_caps.c_str());
  GstBuffer *out = gst_harness_push_and_pull(h, gst_buffer_ref(frame));
  GstVideoInfo info;
  GstCaps *c = gst_caps_from_string(out_caps.c_str());
  gst_video_info_from_caps(&info, c);
  gst_caps_unref(c);
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, out, GST_MAP_READ);
  const int w = GST_VIDEO_INFO_WIDTH(&info), hh = GST_VIDEO_INFO_HEIGHT(&info);
  const auto *y = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
  double se = 0.0;
  for (int r = 0; r < hh; r++)
    for (int x = 0; x < w; x++) {
      const double d = y[r * stride + x] - smooth_luma((x + 0.5) / w, (r + 0.5) / hh);
      se += d * d;
    }
  gst_video_frame_unmap(&f);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  return 10.0 * std::log10(255.0 * 255.0 / (se / (double(w) * hh)));
}

static void compare_scaling(const char *method, const char *peer_method, int w, int h, int ow,
                            int oh, int frames) {
  const std::string in_caps = caps("I420", w, h), out_caps = caps("I420", ow, oh);
  GstVideoInfo info;
  GstCaps *c = gst_caps_from_string(in_caps.c_str());
  gst_video_info_from_caps(&info, c);
  gst_caps_unref(c);
  GstBuffer *frame = smooth_frame(info);
  const std::string ours = std::string("quadpreproc n-threads=1 method=") + method;
  const std::string peer = std::string("videoconvertscale n-threads=1 method=") + peer_method;
  std::vector<double> a, b;
  for (int r = 0; r < kRounds; r++) {
    a.push_back(element_ms(ours, in_caps, out_caps, frame, frames));
    b.push_back(element_ms(peer, in_caps, out_caps, frame, frames));
  }
  const double pa = scaled_psnr(ours, in_caps, out_caps, frame);
  const double pb = scaled_psnr(peer, in_caps, out_caps, frame);
  char label[64];
  snprintf(label, sizeof label, "I420 %dx%d -> %dx%d %s", w, h, ow, oh, method);
  printf("%-38s quadpreproc %5.2f ms %5.2f dB | videoconvertscale %s %5.2f ms %5.2f dB  "
         "ratio %5.2fx\n",
         label, median(a), pa, peer_method, median(b), pb, median(b) / median(a));
  fflush(stdout);
  gst_buffer_unref(frame);
}

static void analysis_cost(int w, int h, int frames) {
  std::vector<uint8_t> luma(size_t(w) * h);
  std::mt19937 rng(3);
  // Smooth waves plus noise, so that the thumbnails have texture to match.
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      luma[size_t(y) * w + x] =
          uint8_t(128 + 60 * std::sin(x * 0.05) * std::cos(y * 0.037) + int(rng() >> 29));
  std::vector<uint8_t> moved(luma.size());
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      moved[size_t(y) * w + x] = luma[size_t(std::max(y - 3, 0)) * w + std::max(x - 5, 0)];
  quad::preproc::RowParallel one(1);
  quad::preproc::BlockGrid grid;
  quad::preproc::SceneChangeDetector scenes;
  const auto layout = quad::preproc::pyramid_layout(w, h, 3);
  std::vector<uint8_t> pyramid(layout.size);
  std::vector<double> blocks, scene, pyr, both;
  for (int r = 0; r < kRounds; r++) {
    const double t0 = cpu_ms();
    for (int i = 0; i < frames; i++)
      quad::preproc::measure_blocks(luma.data(), w, w, h, 16, one, grid);
    const double t1 = cpu_ms();
    // Alternate the frame and a copy moved by (5, 3): every block moves,
    // so every block is searched.
    for (int i = 0; i < frames; i++)
      scenes.score(i % 2 ? moved.data() : luma.data(), w, w, h);
    const double t2 = cpu_ms();
    for (int i = 0; i < frames; i++)
      quad::preproc::build_pyramid(luma.data(), w, w, h, layout, pyramid.data());
    const double t3 = cpu_ms();
    blocks.push_back((t1 - t0) / frames);
    scene.push_back((t2 - t1) / frames);
    pyr.push_back((t3 - t2) / frames);
    both.push_back((t2 - t0) / frames);
  }
  printf("analysis %dx%d, one core: block stats (16x16) %.3f ms + scene score %.3f ms = %.3f ms "
         "(target < 1 ms); pyramid (3 levels) %.3f ms per frame\n",
         w, h, median(blocks), median(scene), median(both), median(pyr));
}

/* Usage: preproc_bench [convert|scale|analysis]: only that group (for a
 * profiler), else all. */
int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const std::string only = argc > 1 ? argv[1] : "";
  auto wanted = [&](const char *group) { return only.empty() || only == group; };
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof(one), &one);
  printf("GStreamer %s, one core, n-threads=1 for every element, CPU time, median of %d "
         "alternating runs\n",
         gst_version_string(), kRounds);
  if (wanted("convert")) {
    compare("Y444 -> I420 1920x1080", "Y444", 1920, 1080, "I420", 1920, 1080, "videoconvert", 30);
    compare("Y444 -> I420 3840x2160", "Y444", 3840, 2160, "I420", 3840, 2160, "videoconvert", 8);
    compare("BGRx -> NV12 1920x1080", "BGRx", 1920, 1080, "NV12", 1920, 1080, "videoconvert", 30);
    compare("BGRx -> NV12 3840x2160", "BGRx", 3840, 2160, "NV12", 3840, 2160, "videoconvert", 8);
  }
  if (wanted("scale")) {
    /* Each method beside the peer filter closest to it. */
    const char *methods[][2] = {
        {"bilinear", "bilinear"}, {"bicubic", "catrom"}, {"area", "bilinear"}};
    for (const auto &m : methods)
      compare_scaling(m[0], m[1], 1920, 1080, 1280, 720, 20);
    for (const auto &m : methods)
      compare_scaling(m[0], m[1], 1280, 720, 1920, 1080, 20);
  }
  if (wanted("analysis"))
    analysis_cost(1920, 1080, 20);
  return 0;
}
