/* quadpreproc against GStreamer's converters, same run, same input, same
 * thread count (n-threads=1, process pinned to one core):
 *   Y444 -> I420 and BGRx -> NV12 at 1080p and 2160p vs videoconvert
 *   I420 1080p -> 720p vs videoconvertscale (bilinear both)
 *   memcpy of the input frame's bytes: the bandwidth limit
 *   analysis (block statistics, scene score, pyramid) per 1080p frame
 * Each element runs in a GstHarness on one pre-made frame, so the figure is
 * the element's own time per frame. Cases alternate A B A B (5 rounds); the
 * median is printed. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "analysis.h"
#include "parallel.h"

static constexpr int kRounds = 5;

using Clock = std::chrono::steady_clock;

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
  gst_buffer_unref(gst_harness_push_and_pull(h, gst_buffer_ref(frame))); /* warm up */
  const auto start = Clock::now();
  for (int i = 0; i < frames; i++) {
    GstBuffer *out = gst_harness_push_and_pull(h, gst_buffer_ref(frame));
    if (!out) {
      fprintf(stderr, "%s: no output for %s\n", element.c_str(), in_caps.c_str());
      exit(1);
    }
    gst_buffer_unref(out);
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  gst_harness_teardown(h);
  return ms / frames;
}

static double memcpy_ms(gsize bytes, int frames) {
  std::vector<guint8> a(bytes, 1), b(bytes);
  memcpy(b.data(), a.data(), bytes);
  const auto start = Clock::now();
  for (int i = 0; i < frames; i++) {
    a[size_t(i) % bytes] = guint8(i);
    memcpy(b.data(), a.data(), bytes);
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
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
  std::vector<double> blocks, scene, pyr;
  for (int r = 0; r < kRounds; r++) {
    auto t0 = Clock::now();
    for (int i = 0; i < frames; i++)
      quad::preproc::measure_blocks(luma.data(), w, w, h, 16, one, grid);
    auto t1 = Clock::now();
    // Alternate the frame and a copy moved by (5, 3): every block moves,
    // so every block is searched.
    for (int i = 0; i < frames; i++)
      scenes.score(i % 2 ? moved.data() : luma.data(), w, w, h);
    auto t2 = Clock::now();
    for (int i = 0; i < frames; i++)
      quad::preproc::build_pyramid(luma.data(), w, w, h, layout, pyramid.data());
    auto t3 = Clock::now();
    blocks.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / frames);
    scene.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count() / frames);
    pyr.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count() / frames);
  }
  printf("analysis %dx%d, one core: block stats (16x16) %.2f ms, scene score %.2f ms, "
         "pyramid (3 levels) %.2f ms per frame\n",
         w, h, median(blocks), median(scene), median(pyr));
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof(one), &one);
  printf("GStreamer %s, one core, n-threads=1 for every element, median of %d alternating "
         "runs\n",
         gst_version_string(), kRounds);
  compare("Y444 -> I420 1920x1080", "Y444", 1920, 1080, "I420", 1920, 1080, "videoconvert", 30);
  compare("Y444 -> I420 3840x2160", "Y444", 3840, 2160, "I420", 3840, 2160, "videoconvert", 8);
  compare("BGRx -> NV12 1920x1080", "BGRx", 1920, 1080, "NV12", 1920, 1080, "videoconvert", 30);
  compare("BGRx -> NV12 3840x2160", "BGRx", 3840, 2160, "NV12", 3840, 2160, "videoconvert", 8);
  compare("I420 1920x1080 -> 1280x720", "I420", 1920, 1080, "I420", 1280, 720, "videoconvertscale",
          30);
  analysis_cost(1920, 1080, 20);
  return 0;
}
