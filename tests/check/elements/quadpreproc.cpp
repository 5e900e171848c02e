/* quadpreproc: conversion against videoconvert, scaling quality against
 * videoscale, passthrough, layouts, analysis meta, scene cuts, pyramid,
 * denoise and bad input. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "quad/gstquadanalysismeta.h"

/* ---- helpers ---- */

using PlaneBytes = std::vector<std::vector<guint8>>; /* per plane, rows packed */

static GstVideoInfo info_of(const std::string &caps_str) {
  GstCaps *caps = gst_caps_from_string(caps_str.c_str());
  fail_unless(caps != nullptr, "bad caps %s", caps_str.c_str());
  GstVideoInfo info;
  fail_unless(gst_video_info_from_caps(&info, caps), "not video caps: %s", caps_str.c_str());
  gst_caps_unref(caps);
  return info;
}

/* Bytes of one row of plane p (all its components). */
static int row_bytes(const GstVideoInfo *info, guint p) {
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  gst_video_format_info_component(info->finfo, p, comp);
  return GST_VIDEO_INFO_COMP_WIDTH(info, comp[0]) * GST_VIDEO_INFO_COMP_PSTRIDE(info, comp[0]);
}

static int plane_rows(const GstVideoInfo *info, guint p) {
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  gst_video_format_info_component(info->finfo, p, comp);
  return GST_VIDEO_INFO_COMP_HEIGHT(info, comp[0]);
}

/* The planes of a buffer without their padding. */
static PlaneBytes unpack(GstBuffer *buf, const GstVideoInfo &info) {
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_READ));
  PlaneBytes planes;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
    const int bytes = row_bytes(&info, p), rows = plane_rows(&info, p);
    std::vector<guint8> plane(size_t(bytes) * rows);
    const auto *data = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    for (int y = 0; y < rows; y++)
      memcpy(&plane[size_t(y) * bytes], data + y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p), bytes);
    planes.push_back(std::move(plane));
  }
  gst_video_frame_unmap(&frame);
  return planes;
}

/* A buffer holding `planes` laid out by `info`; with `pad` > 0 every row is
 * `pad` bytes longer than it needs (strides no longer multiples of 64) and a
 * GstVideoMeta says so. */
static GstBuffer *pack(const PlaneBytes &planes, const GstVideoInfo &info, int pad = 0) {
  gsize offsets[GST_VIDEO_MAX_PLANES] = {};
  gint strides[GST_VIDEO_MAX_PLANES] = {};
  gsize size = 0;
  const guint n = GST_VIDEO_INFO_N_PLANES(&info);
  for (guint p = 0; p < n; p++) {
    strides[p] = pad ? row_bytes(&info, p) + pad : GST_VIDEO_INFO_PLANE_STRIDE(&info, p);
    offsets[p] = pad ? size : GST_VIDEO_INFO_PLANE_OFFSET(&info, p);
    size = pad ? size + gsize(strides[p]) * plane_rows(&info, p) : GST_VIDEO_INFO_SIZE(&info);
  }
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, size, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  memset(map.data, 0xAA, map.size);
  for (guint p = 0; p < n; p++) {
    const int bytes = row_bytes(&info, p);
    for (int y = 0; y < plane_rows(&info, p); y++)
      memcpy(map.data + offsets[p] + gsize(y) * strides[p], &planes[p][size_t(y) * bytes], bytes);
  }
  gst_buffer_unmap(buf, &map);
  if (pad)
    gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(&info),
                                   GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info), n,
                                   offsets, strides);
  return buf;
}

static PlaneBytes random_planes(const GstVideoInfo &info, guint seed) {
  std::mt19937 rng(seed);
  PlaneBytes planes;
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES(&info); p++) {
    std::vector<guint8> plane(size_t(row_bytes(&info, p)) * plane_rows(&info, p));
    for (auto &b : plane)
      b = guint8(rng() >> 24);
    planes.push_back(std::move(plane));
  }
  return planes;
}

/* Pushes one buffer through `launch` between fixed caps; returns the output. */
static GstBuffer *run_one(const std::string &launch, const std::string &in_caps,
                          const std::string &out_caps, GstBuffer *in) {
  GstHarness *h = gst_harness_new_parse(launch.c_str());
  gst_harness_set_caps_str(h, in_caps.c_str(), out_caps.c_str());
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out != nullptr, "%s gave no buffer for %s -> %s", launch.c_str(), in_caps.c_str(),
              out_caps.c_str());
  gst_harness_teardown(h);
  return out;
}

static int max_difference(const PlaneBytes &a, const PlaneBytes &b, std::string *where) {
  fail_unless_equals_int(a.size(), b.size());
  int worst = 0;
  for (size_t p = 0; p < a.size(); p++) {
    fail_unless_equals_int(a[p].size(), b[p].size());
    for (size_t i = 0; i < a[p].size(); i++) {
      const int d = std::abs(int(a[p][i]) - int(b[p][i]));
      if (d > worst) {
        worst = d;
        *where = "plane " + std::to_string(p) + " byte " + std::to_string(i) + ": " +
                 std::to_string(a[p][i]) + " vs " + std::to_string(b[p][i]);
      }
    }
  }
  return worst;
}

static std::string video_caps(const char *format, int w, int h, const char *extra = "") {
  return "video/x-raw,format=" + std::string(format) + ",width=" + std::to_string(w) +
         ",height=" + std::to_string(h) + ",framerate=30/1" + extra;
}

struct ConversionCase {
  const char *in_format, *out_format;
  int w, h;
  const char *colorimetry, *chroma_site;
  int pad; /* extra bytes per input row, 0: GStreamer's default layout, no meta */
};

/* Caps of a case; a YUV input carries the output's colorimetry. */
static void case_caps(const ConversionCase &c, std::string *in_caps, std::string *out_caps) {
  const bool yuv_in = GST_VIDEO_FORMAT_INFO_IS_YUV(
      gst_video_format_get_info(gst_video_format_from_string(c.in_format)));
  const std::string extra =
      std::string(",colorimetry=") + c.colorimetry + ",chroma-site=" + c.chroma_site;
  *in_caps = video_caps(c.in_format, c.w, c.h, yuv_in ? extra.c_str() : "");
  *out_caps = video_caps(c.out_format, c.w, c.h, extra.c_str());
}

static PlaneBytes convert_with(const char *launch, const ConversionCase &c, const PlaneBytes &input,
                               int pad) {
  std::string in_caps, out_caps;
  case_caps(c, &in_caps, &out_caps);
  const GstVideoInfo in_info = info_of(in_caps), out_info = info_of(out_caps);
  GstBuffer *out = run_one(launch, in_caps, out_caps, pack(input, in_info, pad));
  PlaneBytes planes = unpack(out, out_info);
  gst_buffer_unref(out);
  return planes;
}

static PlaneBytes random_input(const ConversionCase &c) {
  std::string in_caps, out_caps;
  case_caps(c, &in_caps, &out_caps);
  return random_planes(info_of(in_caps), guint(c.w * 31 + c.h));
}

/* The exact conversion in double precision, as I420 planes: the matrix and
 * range of the caps, chroma reduced with the output siting's filter
 * (cosited 1 2 1, centred 1 1, per axis; edges repeated). */
static PlaneBytes reference_conversion(const ConversionCase &c, const PlaneBytes &in) {
  std::string in_caps, out_caps;
  case_caps(c, &in_caps, &out_caps);
  const GstVideoInfo ii = info_of(in_caps), oi = info_of(out_caps);
  const int w = c.w, h = c.h, cw = (w + 1) / 2, ch = (h + 1) / 2;
  PlaneBytes out(3);
  out[0].resize(size_t(w) * h);
  out[1].resize(size_t(cw) * ch);
  out[2].resize(out[1].size());
  auto round8 = [](double v) { return guint8(std::lround(std::clamp(v, 0.0, 255.0))); };
  const GstVideoFormat f = GST_VIDEO_INFO_FORMAT(&ii);
  if (f == GST_VIDEO_FORMAT_I420 || f == GST_VIDEO_FORMAT_NV12) {
    out[0] = in[0];
    for (int i = 0; i < cw * ch; i++) {
      out[1][i] = f == GST_VIDEO_FORMAT_NV12 ? in[1][2 * i] : in[1][i];
      out[2][i] = f == GST_VIDEO_FORMAT_NV12 ? in[1][2 * i + 1] : in[2][i];
    }
    return out;
  }
  /* Full-resolution chroma (Y42B: full height, half width) in double. */
  const int fw = f == GST_VIDEO_FORMAT_Y42B ? cw : w;
  std::vector<double> u(size_t(fw) * h), v(u.size());
  if (GST_VIDEO_INFO_IS_RGB(&ii)) {
    gdouble kr = 0, kb = 0;
    fail_unless(gst_video_color_matrix_get_Kr_Kb(oi.colorimetry.matrix, &kr, &kb));
    const bool full = oi.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
    const double ys = full ? 1.0 : 219.0 / 255.0, cs = full ? 1.0 : 224.0 / 255.0;
    const int ro = GST_VIDEO_INFO_COMP_POFFSET(&ii, GST_VIDEO_COMP_R);
    const int go = GST_VIDEO_INFO_COMP_POFFSET(&ii, GST_VIDEO_COMP_G);
    const int bo = GST_VIDEO_INFO_COMP_POFFSET(&ii, GST_VIDEO_COMP_B);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const guint8 *px = &in[0][(size_t(y) * w + x) * 4];
        const double r = px[ro], g = px[go], b = px[bo];
        const double luma = kr * r + (1 - kr - kb) * g + kb * b;
        out[0][size_t(y) * w + x] = round8((full ? 0 : 16) + ys * luma);
        u[size_t(y) * w + x] = 128 + cs * (b - luma) / (2 * (1 - kb));
        v[size_t(y) * w + x] = 128 + cs * (r - luma) / (2 * (1 - kr));
      }
  } else {
    out[0] = in[0];
    for (size_t i = 0; i < u.size(); i++) {
      u[i] = in[1][i];
      v[i] = in[2][i];
    }
  }
  const bool hc = (oi.chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED) != 0;
  const bool vc = (oi.chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED) != 0;
  auto at = [&](const std::vector<double> &p, int x, int y) {
    return p[size_t(std::clamp(y, 0, h - 1)) * fw + std::clamp(x, 0, fw - 1)];
  };
  auto tap = [](bool cosited, int i, int k, int *pos) {
    /* k-th tap of output i: position and weight. */
    if (cosited) {
      *pos = 2 * i - 1 + k;
      return k == 1 ? 0.5 : 0.25;
    }
    *pos = 2 * i + k;
    return k < 2 ? 0.5 : 0.0;
  };
  for (int j = 0; j < ch; j++)
    for (int i = 0; i < cw; i++) {
      double su = 0, sv = 0;
      for (int ky = 0; ky < 3; ky++) {
        int py;
        const double wy = tap(vc, j, ky, &py);
        if (f == GST_VIDEO_FORMAT_Y42B) {
          su += wy * at(u, i, py);
          sv += wy * at(v, i, py);
          continue;
        }
        for (int kx = 0; kx < 3; kx++) {
          int px;
          const double wx = tap(hc, i, kx, &px);
          su += wy * wx * at(u, px, py);
          sv += wy * wx * at(v, px, py);
        }
      }
      out[1][size_t(j) * cw + i] = round8(su);
      out[2][size_t(j) * cw + i] = round8(sv);
    }
  return out;
}

/* I420 planes of an I420 or NV12 frame. */
static PlaneBytes as_i420(const PlaneBytes &p, const char *format) {
  if (strcmp(format, "NV12") != 0)
    return p;
  PlaneBytes out = {p[0], std::vector<guint8>(p[1].size() / 2),
                    std::vector<guint8>(p[1].size() / 2)};
  for (size_t i = 0; i < out[1].size(); i++) {
    out[1][i] = p[1][2 * i];
    out[2][i] = p[1][2 * i + 1];
  }
  return out;
}

static void check_case(const char *what, const ConversionCase &c, const PlaneBytes &ours,
                       const PlaneBytes &expected, int tolerance) {
  std::string where;
  const int diff = max_difference(ours, expected, &where);
  fail_unless(diff <= tolerance, "%s -> %s %dx%d %s %s pad %d: %d off %s (%s)", c.in_format,
              c.out_format, c.w, c.h, c.colorimetry, c.chroma_site, c.pad, diff, what,
              where.c_str());
}

/* ---- conversion ---- */

GST_START_TEST(test_conversion_matches_videoconvert) {
  /* Where videoconvert itself is exact: every input, both outputs, the
   * matrices and ranges whose 8-bit coefficients it rounds well. Even sizes
   * and centred chroma: at odd sizes videoconvert's generic path decimates
   * 4:4:4 chroma, and for cosited chroma it drops the last column of an even
   * width. Y42B to NV12 has no direct path there: the generic one blurs
   * chroma by resampling it up to 4:4:4 and down again. */
  const char *inputs[] = {"I420", "NV12", "Y42B", "Y444", "BGRx", "RGBx", "BGRA", "RGBA", "xRGB"};
  for (const char *in : inputs)
    for (const char *out : {"I420", "NV12"})
      for (const char *colorimetry : {"bt601", "bt2020", "1:4:0:0", "1:6:13:9"}) {
        if (!strcmp(in, "Y42B") && !strcmp(out, "NV12"))
          continue;
        const ConversionCase c = {in, out, 160, 96, colorimetry, "jpeg", 0};
        const PlaneBytes input = random_input(c);
        check_case("from videoconvert", c, convert_with("quadpreproc", c, input, 0),
                   convert_with("videoconvert", c, input, 0), 1);
      }
  /* BT.709: videoconvert's Q8 matrix lands up to 2 from the exact value
   * (test_conversion_matches_reference holds ours to 1). */
  for (const char *in : {"BGRx", "RGBA", "xRGB"})
    for (const char *colorimetry : {"bt709", "1:3:5:1"}) {
      const ConversionCase c = {in, "I420", 160, 96, colorimetry, "jpeg", 0};
      const PlaneBytes input = random_input(c);
      check_case("from videoconvert", c, convert_with("quadpreproc", c, input, 0),
                 convert_with("videoconvert", c, input, 0), 2);
    }
  /* 4:2:0 to 4:2:0 at odd sizes and with cosited chroma. */
  for (const char *in : {"I420", "NV12"}) {
    const ConversionCase c = {in, strcmp(in, "I420") ? "I420" : "NV12", 161, 97, "bt709", "mpeg2",
                              0};
    const PlaneBytes input = random_input(c);
    check_case("from videoconvert", c, convert_with("quadpreproc", c, input, 0),
               convert_with("videoconvert", c, input, 0), 1);
  }
}
GST_END_TEST;

GST_START_TEST(test_conversion_matches_reference) {
  /* Every input against the exact conversion: matrices, ranges, sitings,
   * odd sizes, strides that are no multiple of 64 (with video meta), and
   * buffers without video meta. */
  const char *inputs[] = {"I420", "NV12", "Y42B", "Y444", "BGRx", "RGBx", "BGRA", "RGBA", "xRGB"};
  const char *colorimetries[] = {"bt601", "bt709", "bt2020", "1:3:5:1", "1:4:0:0", "1:6:13:9"};
  int n = 0;
  for (const char *in : inputs)
    for (const char *site : {"mpeg2", "jpeg", "cosited"})
      for (const char *colorimetry : colorimetries) {
        const bool yuv = !strchr("BRx", in[0]);
        if (yuv && colorimetry != colorimetries[1] && colorimetry != colorimetries[4])
          continue; /* the matrix does not touch YUV input */
        const int w = 37 + 2 * (n % 5), h = 23 + (n % 3), pad = n % 4 ? 13 : 0;
        const ConversionCase c = {in, n % 2 ? "NV12" : "I420", w, h, colorimetry, site, pad};
        n++;
        const PlaneBytes input = random_input(c);
        check_case("from the exact conversion", c,
                   as_i420(convert_with("quadpreproc", c, input, pad), c.out_format),
                   reference_conversion(c, input), 1);
      }
}
GST_END_TEST;

GST_START_TEST(test_odd_sizes_and_layouts) {
  const ConversionCase cases[] = {
      {"Y444", "I420", 1919, 1081, "bt709", "mpeg2", 0},
      {"Y444", "I420", 1919, 1081, "bt709", "mpeg2", 13},
      {"BGRx", "NV12", 333, 1, "bt709", "mpeg2", 4},
      {"NV12", "I420", 1, 7, "bt709", "mpeg2", 3},
      {"Y42B", "NV12", 1, 1, "bt601", "jpeg", 1},
      {"xRGB", "I420", 2, 3, "bt601", "cosited", 0},
  };
  for (const ConversionCase &c : cases) {
    const PlaneBytes input = random_input(c);
    check_case("from the exact conversion", c,
               as_i420(convert_with("quadpreproc", c, input, c.pad), c.out_format),
               reference_conversion(c, input), 1);
  }
}
GST_END_TEST;

/* ---- scaling ---- */

/* A smooth picture, defined everywhere: luma at (u, v) in 0..1 frame units,
 * with detail below the Nyquist rate of every output size tested. */
static double smooth_luma(double u, double v) {
  const double pi = 3.14159265358979323846;
  return 128.0 + 45.0 * std::sin(2 * pi * (9.0 * u + 4.0 * v)) +
         30.0 * std::cos(2 * pi * 17.0 * u) * std::sin(2 * pi * 11.0 * v + 0.3) +
         20.0 * std::sin(2 * pi * (23.0 * v - 5.0 * u) + 1.0);
}

static PlaneBytes smooth_i420(int w, int h) {
  PlaneBytes planes(3);
  planes[0].resize(size_t(w) * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      planes[0][size_t(y) * w + x] =
          guint8(std::lround(std::clamp(smooth_luma((x + 0.5) / w, (y + 0.5) / h), 0.0, 255.0)));
  const size_t chroma = size_t((w + 1) / 2) * ((h + 1) / 2);
  planes[1].assign(chroma, 128);
  planes[2].assign(chroma, 128);
  return planes;
}

/* PSNR of a luma plane against the picture sampled at its pixel centres in
 * double precision. */
static double psnr_against_truth(const std::vector<guint8> &luma, int w, int h) {
  double se = 0.0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const double d = luma[size_t(y) * w + x] - smooth_luma((x + 0.5) / w, (y + 0.5) / h);
      se += d * d;
    }
  return 10.0 * std::log10(255.0 * 255.0 / (se / (double(w) * h)));
}

static double scaled_psnr(const std::string &launch, int w, int h, int ow, int oh) {
  const std::string in_caps = video_caps("I420", w, h);
  const std::string out_caps = video_caps("I420", ow, oh);
  const GstVideoInfo in_info = info_of(in_caps), out_info = info_of(out_caps);
  GstBuffer *out = run_one(launch, in_caps, out_caps, pack(smooth_i420(w, h), in_info));
  const double psnr = psnr_against_truth(unpack(out, out_info)[0], ow, oh);
  gst_buffer_unref(out);
  return psnr;
}

GST_START_TEST(test_scaling_quality_against_videoscale) {
  struct Case {
    const char *ours, *peer;
    int w, h, ow, oh;
  } cases[] = {
      {"bilinear", "bilinear", 1280, 720, 853, 480}, {"bilinear", "bilinear", 1280, 720, 640, 360},
      {"bicubic", "catrom", 1280, 720, 853, 480},    {"bicubic", "catrom", 1280, 720, 640, 360},
      {"area", "bilinear", 1280, 720, 640, 360},     {"area", "bilinear", 1280, 720, 320, 180},
  };
  for (const Case &c : cases) {
    const double ours =
        scaled_psnr(std::string("quadpreproc method=") + c.ours, c.w, c.h, c.ow, c.oh);
    const double peer =
        scaled_psnr(std::string("videoscale method=") + c.peer, c.w, c.h, c.ow, c.oh);
    GST_INFO("%s %dx%d -> %dx%d: %.2f dB, videoscale %s %.2f dB", c.ours, c.w, c.h, c.ow, c.oh,
             ours, c.peer, peer);
    fail_unless(ours >= peer, "%s %dx%d -> %dx%d: %.2f dB, below videoscale %s (%.2f dB)", c.ours,
                c.w, c.h, c.ow, c.oh, ours, c.peer, peer);
  }
}
GST_END_TEST;

/* Up as well as down, every method, at least videoscale's quality. */
GST_START_TEST(test_upscaling_quality_against_videoscale) {
  const char *methods[][2] = {
      {"bilinear", "bilinear"}, {"bicubic", "catrom"}, {"area", "bilinear"}};
  for (const auto &m : methods) {
    const double ours = scaled_psnr(std::string("quadpreproc method=") + m[0], 320, 180, 480, 270);
    const double peer = scaled_psnr(std::string("videoscale method=") + m[1], 320, 180, 480, 270);
    fail_unless(ours >= peer, "%s 320x180 -> 480x270: %.2f dB, below videoscale %s (%.2f dB)", m[0],
                ours, m[1], peer);
  }
}
GST_END_TEST;

/* The caps `element` settles on for an input and what downstream asks. */
static GstCaps *negotiated_caps(const char *element, const std::string &in_caps,
                                const char *downstream) {
  GstHarness *h = gst_harness_new_parse(element);
  gst_harness_set_src_caps_str(h, in_caps.c_str());
  gst_harness_set_sink_caps_str(h, downstream);
  const GstVideoInfo info = info_of(in_caps);
  gst_buffer_unref(gst_harness_push_and_pull(
      h, gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr)));
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  fail_unless(caps != nullptr, "%s: nothing negotiated for %s", element, downstream);
  gst_harness_teardown(h);
  return caps;
}

/* Size and pixel aspect ratio as videoconvertscale fixes them for the same
 * request: the display aspect ratio is kept through what is left open. */
GST_START_TEST(test_size_and_aspect_like_videoconvertscale) {
  struct Case {
    int w, h, par_n, par_d;
    const char *downstream;
  } cases[] = {
      {1920, 1080, 1, 1, "video/x-raw,format=I420,width=1280"},
      {1920, 1080, 1, 1, "video/x-raw,format=I420,height=480"},
      {640, 360, 1, 1, "video/x-raw,format=I420,width=1920"},
      {1920, 1080, 1, 1, "video/x-raw,format=I420,width=1280,height=1024"},
      {720, 576, 16, 15, "video/x-raw,format=I420,height=480"},
      {720, 576, 16, 15, "video/x-raw,format=I420,width=1024,pixel-aspect-ratio=1/1"},
      {1280, 720, 1, 1, "video/x-raw,format=I420,width=640,height=480,pixel-aspect-ratio=1/1"},
      {1280, 720, 1, 1, "video/x-raw,format=I420"},
  };
  for (const Case &c : cases) {
    const std::string in = video_caps(
        "I420", c.w, c.h,
        (",pixel-aspect-ratio=" + std::to_string(c.par_n) + "/" + std::to_string(c.par_d)).c_str());
    GstCaps *ours = negotiated_caps("quadpreproc", in, c.downstream);
    GstCaps *peer = negotiated_caps("videoconvertscale", in, c.downstream);
    const GstStructure *a = gst_caps_get_structure(ours, 0), *b = gst_caps_get_structure(peer, 0);
    gint aw = 0, ah = 0, bw = 0, bh = 0, an = 0, ad = 0, bn = 0, bd = 0;
    fail_unless(gst_structure_get_int(a, "width", &aw) && gst_structure_get_int(a, "height", &ah));
    fail_unless(gst_structure_get_int(b, "width", &bw) && gst_structure_get_int(b, "height", &bh));
    fail_unless(gst_structure_get_fraction(a, "pixel-aspect-ratio", &an, &ad));
    fail_unless(gst_structure_get_fraction(b, "pixel-aspect-ratio", &bn, &bd));
    fail_unless(aw == bw && ah == bh && an * bd == bn * ad,
                "%dx%d par %d/%d -> %s: quadpreproc %dx%d par %d/%d, videoconvertscale %dx%d "
                "par %d/%d",
                c.w, c.h, c.par_n, c.par_d, c.downstream, aw, ah, an, ad, bw, bh, bn, bd);
    gst_caps_unref(ours);
    gst_caps_unref(peer);
  }
  /* Only the pixel aspect ratio given: videoconvertscale 1.22 gives 2560x720
   * here (16:9 shown at 64:9); the display aspect ratio is kept instead. */
  GstCaps *caps =
      negotiated_caps("quadpreproc", video_caps("I420", 1280, 720, ",pixel-aspect-ratio=1/1"),
                      "video/x-raw,format=I420,pixel-aspect-ratio=2/1");
  gint w = 0, h = 0;
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &w);
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "height", &h);
  fail_unless(w == 640 && h == 720, "%dx%d", w, h);
  gst_caps_unref(caps);
}
GST_END_TEST;

/* Output size and pixel aspect ratio both fixed by downstream: the picture
 * keeps its shape between black bars (add-borders), or fills the frame. */
GST_START_TEST(test_add_borders) {
  const std::string in_caps = video_caps("I420", 64, 36, ",pixel-aspect-ratio=1/1");
  const std::string out_caps = video_caps("I420", 48, 48, ",pixel-aspect-ratio=1/1");
  const GstVideoInfo in_info = info_of(in_caps), out_info = info_of(out_caps);
  PlaneBytes bright = {std::vector<guint8>(64 * 36, 200), std::vector<guint8>(32 * 18, 90),
                       std::vector<guint8>(32 * 18, 160)};
  for (bool borders : {true, false}) {
    GstHarness *h =
        gst_harness_new_parse(borders ? "quadpreproc" : "quadpreproc add-borders=false");
    gst_harness_set_caps_str(h, in_caps.c_str(), out_caps.c_str());
    GstBuffer *out = gst_harness_push_and_pull(h, pack(bright, in_info));
    const PlaneBytes planes = unpack(out, out_info);
    /* 64x36 at 48 wide is 27 rows: bars of 10 and 11 rows (the top one even). */
    for (int y = 0; y < 48; y++)
      fail_unless_equals_int(planes[0][size_t(y) * 48 + 20],
                             borders && (y < 10 || y >= 37) ? 16 : 200);
    for (int y = 0; y < 24; y++) /* chroma rows 5 .. 18 hold the picture's 14 */
      fail_unless_equals_int(planes[1][size_t(y) * 24 + 10],
                             borders && (y < 5 || y >= 19) ? 128 : 90);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

GST_START_TEST(test_passthrough_and_in_place) {
  const std::string caps = video_caps("I420", 64, 48);
  const GstVideoInfo info = info_of(caps);
  GstHarness *h = gst_harness_new("quadpreproc");
  gst_harness_set_caps_str(h, caps.c_str(), caps.c_str());
  GstBuffer *in = pack(random_planes(info, 1), info);
  GstBuffer *out = gst_harness_push_and_pull(h, gst_buffer_ref(in));
  fail_unless(out == in, "equal caps and nothing asked: the same buffer");
  fail_unless(gst_buffer_get_quad_analysis_meta(out) == nullptr);
  gst_buffer_unref(out);
  gst_buffer_unref(in);

  /* Analysis only: the meta is added, the memory is the input's. */
  g_object_set(h->element, "analysis", TRUE, nullptr);
  in = pack(random_planes(info, 2), info);
  GstMemory *mem = gst_buffer_peek_memory(in, 0);
  out = gst_harness_push_and_pull(h, in);
  fail_unless(gst_buffer_get_quad_analysis_meta(out) != nullptr);
  fail_unless(gst_buffer_peek_memory(out, 0) == mem, "analysis copied the frame");
  gst_buffer_unref(out);

  /* Denoise writes a new frame; its first frame has no history and passes
   * unchanged. */
  g_object_set(h->element, "denoise", 10u, nullptr);
  const PlaneBytes planes = random_planes(info, 3);
  in = pack(planes, info);
  mem = gst_buffer_peek_memory(in, 0);
  out = gst_harness_push_and_pull(h, in);
  fail_unless(gst_buffer_peek_memory(out, 0) != mem, "denoise wrote into its input");
  fail_unless(unpack(out, info) == planes);
  fail_unless(gst_buffer_get_quad_analysis_meta(out) != nullptr);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_threads_give_the_same_frame) {
  const std::string in_caps = video_caps("BGRx", 1001, 333);
  const std::string out_caps = video_caps("NV12", 640, 211);
  const GstVideoInfo in_info = info_of(in_caps), out_info = info_of(out_caps);
  const PlaneBytes input = random_planes(in_info, 7);
  GstBuffer *one =
      run_one("quadpreproc n-threads=1 method=bicubic", in_caps, out_caps, pack(input, in_info));
  GstBuffer *four =
      run_one("quadpreproc n-threads=4 method=bicubic", in_caps, out_caps, pack(input, in_info));
  fail_unless(unpack(one, out_info) == unpack(four, out_info));
  gst_buffer_unref(one);
  gst_buffer_unref(four);
}
GST_END_TEST;

/* ---- analysis ---- */

GST_START_TEST(test_analysis_meta_and_pyramid) {
  const int w = 100, hgt = 70;
  const std::string caps = video_caps("I420", w, hgt);
  const GstVideoInfo info = info_of(caps);
  const PlaneBytes input = random_planes(info, 3);
  for (guint bs : {8u, 16u, 32u, 64u}) {
    GstHarness *h = gst_harness_new_parse(
        ("quadpreproc analysis=true pyramid-levels=3 block-size=" + std::to_string(bs)).c_str());
    gst_harness_set_caps_str(h, caps.c_str(), caps.c_str());
    GstBuffer *out = gst_harness_push_and_pull(h, pack(input, info));
    GstQuadAnalysisMeta *m = gst_buffer_get_quad_analysis_meta(out);
    fail_unless(m != nullptr);
    fail_unless_equals_int(m->block_width, bs);
    fail_unless_equals_int(m->cols, (w + bs - 1) / bs);
    fail_unless_equals_int(m->rows, (hgt + bs - 1) / bs);
    fail_unless(m->scene_cut, "the first frame starts a scene");

    /* Block 0's mean and variance, computed here. */
    const std::vector<guint8> &y = input[0];
    double sum = 0, sq = 0;
    for (guint r = 0; r < bs; r++)
      for (guint c = 0; c < bs; c++) {
        const double v = y[r * w + c];
        sum += v;
        sq += v * v;
      }
    const double n = double(bs) * bs, mean = sum / n;
    fail_unless(std::abs(m->blocks[0].mean - mean) <= 0.5 + 1e-9);
    fail_unless(std::abs(m->blocks[0].variance - (sq / n - mean * mean)) <= 0.5 + 1e-6);
    fail_unless(m->blocks[0].edge_energy > 0, "random samples have edges");
    fail_unless(m->complexity > 0);

    /* The pyramid: three GRAY8 levels with ids 1..3, halving with rounding up. */
    fail_unless(m->pyramid != nullptr);
    fail_unless_equals_int(m->pyramid_levels, 3);
    int lw = w, lh = hgt;
    for (gint level = 1; level <= 3; level++) {
      lw = (lw + 1) / 2;
      lh = (lh + 1) / 2;
      GstVideoMeta *vm = gst_buffer_get_video_meta_id(m->pyramid, level);
      fail_unless(vm != nullptr, "level %d", level);
      fail_unless_equals_int(vm->format, GST_VIDEO_FORMAT_GRAY8);
      fail_unless_equals_int(vm->width, lw);
      fail_unless_equals_int(vm->height, lh);
      fail_unless_equals_int(vm->stride[0] % 64, 0);
      if (level == 1) {
        GstMapInfo map;
        fail_unless(gst_buffer_map(m->pyramid, &map, GST_MAP_READ));
        const guint8 *p = map.data + vm->offset[0];
        for (int r = 0; r < lh; r++)
          for (int c = 0; c < lw; c++) {
            const int x0 = 2 * c, x1 = std::min(2 * c + 1, w - 1);
            const int y0 = 2 * r, y1 = std::min(2 * r + 1, hgt - 1);
            const int s = y[y0 * w + x0] + y[y0 * w + x1] + y[y1 * w + x0] + y[y1 * w + x1];
            fail_unless_equals_int(p[r * vm->stride[0] + c], (s + 2) / 4);
          }
        gst_buffer_unmap(m->pyramid, &map);
      }
    }
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* Scene-cut flags of a pipeline's first n buffers. */
static std::vector<bool> cut_flags(const std::string &description, int n) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  gst_harness_play(h);
  std::vector<bool> cuts;
  for (int i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull(h);
    if (!buf)
      break;
    GstQuadAnalysisMeta *m = gst_buffer_get_quad_analysis_meta(buf);
    fail_unless(m != nullptr);
    cuts.push_back(m->scene_cut);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
  return cuts;
}

GST_START_TEST(test_scene_cuts_of_synthetic_scenes) {
  /* Every cut of quadcapturesrc, and nothing else, with fast motion. */
  const char *sizes[] = {"width=640,height=360", "width=1280,height=720"};
  for (const char *size : sizes) {
    const std::vector<bool> cuts = cut_flags(
        std::string("quadcapturesrc is-live=false scene-cut-interval=12 objects=10 "
                    "object-speed=6 pan-x=4 pan-y=-1.5 ! video/x-raw,format=BGRx,") +
            size + " ! quadpreproc analysis=true ! capsfilter caps=video/x-raw,format=NV12",
        60);
    fail_unless_equals_int(cuts.size(), 60);
    for (size_t i = 0; i < cuts.size(); i++)
      fail_unless(cuts[i] == (i % 12 == 0), "%s frame %zu: cut %d", size, i, int(cuts[i]));
  }
}
GST_END_TEST;

GST_START_TEST(test_no_cuts_in_real_footage) {
  const char *dir = g_getenv("QUAD_CLIPS_Y4M_DIR");
  if (!dir) {
    g_print("SKIP: QUAD_CLIPS_Y4M_DIR not set (./quad test sets it)\n");
    return;
  }
  const struct {
    const char *name;
    int frames;
  } clips[] = {{"foreman_cif_300f", 300},       {"bus_cif_17f_raw", 17},
               {"carphone_qcif_120f", 120},     {"two_people_320x192_9f_raw", 9},
               {"presenter_960x544_43f", 43},   {"crowd_run_720p50_10f", 10},
               {"street_drive_1080p25_45f", 45}};
  for (const auto &clip : clips) {
    gchar *path = g_strdup_printf("%s/%s.y4m", dir, clip.name);
    fail_unless(g_file_test(path, G_FILE_TEST_EXISTS), "missing %s", path);
    const std::vector<bool> cuts = cut_flags(std::string("quadcapturesrc is-live=false location=") +
                                                 path + " ! quadpreproc analysis=true",
                                             clip.frames);
    fail_unless_equals_int(cuts.size(), clip.frames);
    fail_unless(cuts.size() > 1);
    for (size_t i = 1; i < cuts.size(); i++)
      fail_unless(!cuts[i], "%s: frame %zu of continuous footage flagged as a cut", clip.name, i);
    g_free(path);
  }
}
GST_END_TEST;

/* ---- denoise ---- */

static double luma_psnr(const std::vector<guint8> &a, const std::vector<guint8> &b) {
  double se = 0;
  for (size_t i = 0; i < a.size(); i++)
    se += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return se == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 * double(a.size()) / se);
}

/* Clean I420 frames of a moving synthetic scene. */
static std::vector<PlaneBytes> synthetic_frames(const GstVideoInfo &info, const char *motion,
                                                int n) {
  GstHarness *h = gst_harness_new_parse((std::string("quadcapturesrc is-live=false ") + motion +
                                         " ! capsfilter caps=video/x-raw,format=I420,width=" +
                                         std::to_string(GST_VIDEO_INFO_WIDTH(&info)) +
                                         ",height=" + std::to_string(GST_VIDEO_INFO_HEIGHT(&info)))
                                            .c_str());
  gst_harness_play(h);
  std::vector<PlaneBytes> frames;
  for (int i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull(h);
    fail_unless(buf != nullptr);
    frames.push_back(unpack(buf, info));
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
  return frames;
}

/* Mean luma PSNR against the clean frames, from frame 5 on, of the noisy
 * frames and of quadpreproc's output for them. */
static void denoised_psnr(const char *motion, double sigma, guint strength, double *noisy,
                          double *denoised) {
  const std::string caps = video_caps("I420", 320, 180);
  const GstVideoInfo info = info_of(caps);
  const std::vector<PlaneBytes> clean = synthetic_frames(info, motion, 20);
  GstHarness *h =
      gst_harness_new_parse(("quadpreproc denoise=" + std::to_string(strength)).c_str());
  gst_harness_set_caps_str(h, caps.c_str(), caps.c_str());
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, sigma);
  *noisy = *denoised = 0;
  int counted = 0;
  for (const PlaneBytes &frame : clean) {
    PlaneBytes dirty = frame;
    for (auto &plane : dirty)
      for (auto &v : plane)
        v = guint8(std::clamp(std::lround(v + noise(rng)), 0L, 255L));
    GstBuffer *out = gst_harness_push_and_pull(h, pack(dirty, info));
    if (&frame - &clean[0] >= 5) {
      *noisy += luma_psnr(dirty[0], frame[0]);
      *denoised += luma_psnr(unpack(out, info)[0], frame[0]);
      counted++;
    }
    gst_buffer_unref(out);
  }
  *noisy /= counted;
  *denoised /= counted;
  gst_harness_teardown(h);
}

GST_START_TEST(test_denoise_raises_psnr) {
  double noisy, denoised;
  denoised_psnr("pan-x=0 pan-y=0 objects=0", 8.0, 32, &noisy, &denoised);
  GST_INFO("static: noisy %.2f dB, denoised %.2f dB", noisy, denoised);
  fail_unless(denoised > noisy + 5.0, "static scene: %.2f dB -> %.2f dB", noisy, denoised);
  denoised_psnr("pan-x=1.25 pan-y=0.5 objects=6 object-speed=4", 8.0, 32, &noisy, &denoised);
  GST_INFO("moving: noisy %.2f dB, denoised %.2f dB", noisy, denoised);
  fail_unless(denoised > noisy + 1.0, "moving scene: %.2f dB -> %.2f dB", noisy, denoised);
}
GST_END_TEST;

/* ---- bad input ---- */

GST_START_TEST(test_bad_input) {
  /* An output format it does not write: not negotiated. */
  {
    GstHarness *h = gst_harness_new("quadpreproc");
    gst_harness_set_src_caps_str(h, video_caps("I420", 64, 48).c_str());
    gst_harness_set_sink_caps_str(h, video_caps("Y444", 128, 96).c_str());
    GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48 * 3 / 2, nullptr);
    fail_unless_equals_int(gst_harness_push(h, buf), GST_FLOW_NOT_NEGOTIATED);
    gst_harness_teardown(h);
  }
  /* A buffer too small for its caps: an error, never a read past its end. */
  {
    GstHarness *h = gst_harness_new("quadpreproc");
    gst_harness_set_caps_str(h, video_caps("BGRx", 64, 48).c_str(),
                             video_caps("I420", 64, 48).c_str());
    GstBuffer *buf = gst_buffer_new_allocate(nullptr, 100, nullptr);
    fail_unless_equals_int(gst_harness_push(h, buf), GST_FLOW_ERROR);
    fail_unless_equals_int(gst_harness_buffers_received(h), 0);
    gst_harness_teardown(h);
  }
  /* YUV colorimetry changes are refused with a clear error. */
  {
    GstHarness *h = gst_harness_new("quadpreproc");
    gst_harness_set_caps_str(h, video_caps("Y444", 64, 48, ",colorimetry=bt601").c_str(),
                             video_caps("I420", 64, 48, ",colorimetry=bt709").c_str());
    GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48 * 3, nullptr);
    fail_unless(gst_harness_push(h, buf) != GST_FLOW_OK);
    gst_harness_teardown(h);
  }
  /* block-size takes 8, 16, 32 or 64 only: anything else does not parse,
   * and the error names the property. */
  GError *err = nullptr;
  GstElement *e = gst_parse_launch("quadpreproc block-size=24", &err);
  fail_unless(err != nullptr);
  fail_unless(strstr(err->message, "block-size") != nullptr, "%s", err->message);
  g_clear_error(&err);
  if (e)
    gst_object_unref(e);
  e = gst_parse_launch("quadpreproc block-size=32", &err);
  fail_unless(e != nullptr && err == nullptr);
  gint bs = 0;
  g_object_get(e, "block-size", &bs, nullptr);
  fail_unless_equals_int(bs, 32);
  gst_object_unref(e);
}
GST_END_TEST;

GST_START_TEST(test_demo_pipeline) {
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "quadcapturesrc is-live=false num-buffers=20 ! quadpreproc analysis=true pyramid-levels=2 "
      "denoise=10 ! video/x-raw,format=NV12,width=640,height=360 ! fakesink",
      &err);
  fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "no EOS");
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite *quadpreproc_suite(void) {
  Suite *s = suite_create("quadpreproc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_conversion_matches_videoconvert);
  tcase_add_test(tc, test_conversion_matches_reference);
  tcase_add_test(tc, test_odd_sizes_and_layouts);
  tcase_add_test(tc, test_scaling_quality_against_videoscale);
  tcase_add_test(tc, test_upscaling_quality_against_videoscale);
  tcase_add_test(tc, test_size_and_aspect_like_videoconvertscale);
  tcase_add_test(tc, test_add_borders);
  tcase_add_test(tc, test_passthrough_and_in_place);
  tcase_add_test(tc, test_threads_give_the_same_frame);
  tcase_add_test(tc, test_analysis_meta_and_pyramid);
  tcase_add_test(tc, test_scene_cuts_of_synthetic_scenes);
  tcase_add_test(tc, test_no_cuts_in_real_footage);
  tcase_add_test(tc, test_denoise_raises_psnr);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_demo_pipeline);
  return s;
}

GST_CHECK_MAIN(quadpreproc);
