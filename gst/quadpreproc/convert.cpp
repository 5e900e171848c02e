#include "convert.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dsp/colour_convert.h"
#include "parallel.h"

namespace quad::preproc {

bool is_rgb(PixelFormat f) {
  return f == PixelFormat::BGRx || f == PixelFormat::RGBx || f == PixelFormat::BGRA ||
         f == PixelFormat::RGBA || f == PixelFormat::xRGB;
}

bool is_420(PixelFormat f) {
  return f == PixelFormat::I420 || f == PixelFormat::NV12;
}

int plane_count(PixelFormat f) {
  if (is_rgb(f))
    return 1;
  return f == PixelFormat::NV12 ? 2 : 3;
}

RgbToYuv rgb_to_yuv_coefficients(Matrix matrix, Range range) {
  double kr = 0.2126, kb = 0.0722;
  if (matrix == Matrix::BT601) {
    kr = 0.299;
    kb = 0.114;
  } else if (matrix == Matrix::BT2020) {
    kr = 0.2627;
    kb = 0.0593;
  }
  const double kg = 1.0 - kr - kb;
  const bool limited = range == Range::Limited;
  const double ys = limited ? 219.0 / 255.0 : 1.0;
  const double cs = limited ? 224.0 / 255.0 : 1.0;
  const double cb = cs / (2.0 * (1.0 - kb)), cr = cs / (2.0 * (1.0 - kr));
  auto q = [](double v) { return int32_t(std::lround(v * 65536.0)); };
  RgbToYuv c{};
  c.yr = q(kr * ys);
  c.yg = q(kg * ys);
  c.yb = q(kb * ys);
  c.ur = q(-kr * cb);
  c.ug = q(-kg * cb);
  c.ub = q((1.0 - kb) * cb);
  c.vr = q((1.0 - kr) * cr);
  c.vg = q(-kg * cr);
  c.vb = q(-kb * cr);
  c.y_offset = ((limited ? 16 : 0) << 16) + (1 << 15);
  c.c_offset = (128 << 16) + (1 << 15);
  return c;
}

namespace {

// Byte offsets of R, G and B within a 4-byte pixel.
struct RgbOrder {
  int r, g, b;
};

RgbOrder rgb_order(PixelFormat f) {
  switch (f) {
  case PixelFormat::BGRx:
  case PixelFormat::BGRA:
    return {2, 1, 0};
  case PixelFormat::RGBx:
  case PixelFormat::RGBA:
    return {0, 1, 2};
  case PixelFormat::xRGB:
    return {1, 2, 3};
  default:
    return {0, 0, 0};
  }
}

// The luma rows that make chroma row j, and their weights: rows 2j and 2j+1
// (1, 1) when centred, rows 2j-1, 2j, 2j+1 (1, 2, 1) when cosited; rows past
// the frame repeat the edge.
struct VerticalTaps {
  int rows[3];
  int weights[3];
  int count;
  int shift; // log2 of the weights' sum
};

VerticalTaps vertical_taps(int j, int height, bool cosited) {
  VerticalTaps t{};
  const int last = height - 1;
  if (cosited) {
    t.rows[0] = std::clamp(2 * j - 1, 0, last);
    t.rows[1] = std::min(2 * j, last);
    t.rows[2] = std::min(2 * j + 1, last);
    t.weights[0] = 1;
    t.weights[1] = 2;
    t.weights[2] = 1;
    t.count = 3;
    t.shift = 2;
  } else {
    t.rows[0] = std::min(2 * j, last);
    t.rows[1] = std::min(2 * j + 1, last);
    t.weights[0] = t.weights[1] = 1;
    t.count = 2;
    t.shift = 1;
  }
  return t;
}

// Sums the rows of t at each of `width` columns.
void sum_rows(const VerticalTaps &t, const uint8_t *const *rows, int width, uint16_t *sum) {
  if (t.count == 2) {
    for (int x = 0; x < width; x++)
      sum[x] = uint16_t(rows[0][x] + rows[1][x]);
  } else {
    for (int x = 0; x < width; x++)
      sum[x] = uint16_t(rows[0][x] + 2 * rows[1][x] + rows[2][x]);
  }
}

// Halves a row of column sums horizontally and rounds once for both axes.
void reduce_columns(const uint16_t *sum, int width, bool h_cosited, int v_shift, uint8_t *dst,
                    int dst_step) {
  const int cw = (width + 1) / 2;
  const int last = width - 1;
  if (h_cosited) {
    const int shift = v_shift + 2;
    const int half = 1 << (shift - 1);
    for (int x = 0; x < cw; x++) {
      const int c = 2 * x;
      const int l = std::max(c - 1, 0), r = std::min(c + 1, last);
      dst[ptrdiff_t(x) * dst_step] = uint8_t((sum[l] + 2 * sum[c] + sum[r] + half) >> shift);
    }
  } else {
    const int shift = v_shift + 1;
    const int half = 1 << (shift - 1);
    for (int x = 0; x < cw; x++) {
      const int c = 2 * x, r = std::min(c + 1, last);
      dst[ptrdiff_t(x) * dst_step] = uint8_t((sum[c] + sum[r] + half) >> shift);
    }
  }
}

// Where chroma component `k` (0 = U, 1 = V) of a 4:2:0 picture lives.
struct ChromaTarget {
  uint8_t *data;
  ptrdiff_t stride;
  int step;
};

ChromaTarget chroma_target(const Picture &p, int k) {
  if (p.format == PixelFormat::NV12)
    return {p.planes[1].data + k, p.planes[1].stride, 2};
  return {p.planes[1 + k].data, p.planes[1 + k].stride, 1};
}

struct ChromaSource {
  const uint8_t *data;
  ptrdiff_t stride;
  int step;
};

ChromaSource chroma_source(const ConstPicture &p, int k) {
  if (p.format == PixelFormat::NV12)
    return {p.planes[1].data + k, p.planes[1].stride, 2};
  return {p.planes[1 + k].data, p.planes[1 + k].stride, 1};
}

void check_picture(const char *what, PixelFormat format, int width, int height, PixelFormat f,
                   int w, int h) {
  if (format != f || width != w || height != h)
    throw std::invalid_argument(std::string("FrameConverter: ") + what +
                                " picture does not match the configuration");
}

// Chroma row j of a 4:2:0 picture from full-resolution rows: the centred
// 2x2 mean (the common siting) in SIMD, other sitings through column sums.
void reduce_chroma(bool h_cosited, const VerticalTaps &t, const uint8_t *const *u_rows,
                   const uint8_t *const *v_rows, int w, int j, const ChromaTarget *dst,
                   uint16_t *sums) {
  const int cw = (w + 1) / 2;
  if (!h_cosited && t.count == 2) {
    const dsp::ConvertKernels &k = dsp::convert_kernels();
    uint8_t *out[2];
    uint8_t *scratch = reinterpret_cast<uint8_t *>(sums); // 2 * cw bytes fit in w u16
    for (int c = 0; c < 2; c++) {
      const uint8_t *const *rows = c == 0 ? u_rows : v_rows;
      out[c] = dst[c].step == 1 ? dst[c].data + ptrdiff_t(j) * dst[c].stride : scratch + c * cw;
      k.reduce_2x2_row(rows[0], rows[1], w / 2, out[c]);
      if (w & 1) // the last column repeats
        out[c][cw - 1] = uint8_t((rows[0][w - 1] + rows[1][w - 1] + 1) >> 1);
    }
    if (dst[0].step == 2) // NV12: U and V interleaved
      k.interleave_row(out[0], out[1], cw, dst[0].data + ptrdiff_t(j) * dst[0].stride);
    return;
  }
  for (int c = 0; c < 2; c++) {
    sum_rows(t, c == 0 ? u_rows : v_rows, w, sums);
    reduce_columns(sums, w, h_cosited, t.shift, dst[c].data + ptrdiff_t(j) * dst[c].stride,
                   dst[c].step);
  }
}

} // namespace

FrameConverter::FrameConverter(const ConvertConfig &config) : config_(config) {
  const ConvertConfig &c = config_;
  if (!is_420(c.out_format))
    throw std::invalid_argument("FrameConverter: the output must be I420 or NV12");
  if (c.in_width < 1 || c.in_height < 1 || c.in_width > 16384 || c.in_height > 16384)
    throw std::invalid_argument("FrameConverter: input size must be 1x1 to 16384x16384");
  if (c.out_width < 1 || c.out_height < 1 || c.out_width > 16384 || c.out_height > 16384)
    throw std::invalid_argument("FrameConverter: output size must be 1x1 to 16384x16384");
  placed_ =
      c.placement.width > 0 ? c.placement : ConvertConfig::Rect{0, 0, c.out_width, c.out_height};
  const ConvertConfig::Rect &r = placed_;
  if (r.x < 0 || r.y < 0 || r.x % 2 || r.y % 2 || r.width < 1 || r.height < 1 ||
      r.x + r.width > c.out_width || r.y + r.height > c.out_height)
    throw std::invalid_argument("FrameConverter: the placement must lie in the output, at even x "
                                "and y");
  if (c.threads < 0 || c.threads > 256)
    throw std::invalid_argument("FrameConverter: threads must be 0..256");
  const RgbToYuv k = rgb_to_yuv_coefficients(c.matrix, c.range);
  const RgbOrder o = rgb_order(c.in_format);
  rgb_params_ = {8 * o.r, 8 * o.g, 8 * o.b, k.yr, k.yg, k.yb,       k.ur,
                 k.ug,    k.ub,    k.vr,    k.vg, k.vb, k.y_offset, k.c_offset};
  workers_ = std::make_unique<RowParallel>(c.threads);
  if (r.width != c.in_width || r.height != c.in_height) {
    luma_scaler_ =
        std::make_unique<PlaneScaler>(c.method, c.in_width, c.in_height, r.width, r.height);
    chroma_scaler_ =
        std::make_unique<PlaneScaler>(c.method, (c.in_width + 1) / 2, (c.in_height + 1) / 2,
                                      (r.width + 1) / 2, (r.height + 1) / 2);
    if (!is_420(c.in_format)) {
      const size_t luma = size_t(c.in_width) * c.in_height;
      const size_t chroma = size_t((c.in_width + 1) / 2) * ((c.in_height + 1) / 2);
      staging_.resize(luma + 2 * chroma);
    }
  }
}

FrameConverter::~FrameConverter() = default;

void FrameConverter::fill_borders(const Picture &out) const {
  const ConvertConfig::Rect &r = placed_;
  const uint8_t black = config_.range == Range::Full ? 0 : 16;
  const int chroma_bytes = out.format == PixelFormat::NV12 ? 2 : 1;
  // Luma, then each chroma plane (NV12: one, both components 128).
  for (int p = 0; p < plane_count(out.format); p++) {
    const int sub = p == 0 ? 1 : 2;
    const int bytes = p == 0 ? 1 : chroma_bytes;
    const int w = (out.width + sub - 1) / sub, h = (out.height + sub - 1) / sub;
    const int x0 = r.x / sub, y0 = r.y / sub;
    const int x1 = x0 + (r.width + sub - 1) / sub, y1 = y0 + (r.height + sub - 1) / sub;
    const uint8_t value = p == 0 ? black : 128;
    for (int y = 0; y < h; y++) {
      uint8_t *row = out.planes[p].data + ptrdiff_t(y) * out.planes[p].stride;
      if (y < y0 || y >= y1) {
        std::memset(row, value, size_t(w) * bytes);
        continue;
      }
      std::memset(row, value, size_t(x0) * bytes);
      std::memset(row + ptrdiff_t(x1) * bytes, value, size_t(w - x1) * bytes);
    }
  }
}

void FrameConverter::convert(const ConstPicture &in, const Picture &whole) {
  const ConvertConfig &c = config_;
  check_picture("input", in.format, in.width, in.height, c.in_format, c.in_width, c.in_height);
  check_picture("output", whole.format, whole.width, whole.height, c.out_format, c.out_width,
                c.out_height);
  // The placement's part of the output, as a picture of its own.
  const ConvertConfig::Rect &r = placed_;
  Picture out = whole;
  if (r.width != whole.width || r.height != whole.height) {
    fill_borders(whole);
    out.width = r.width;
    out.height = r.height;
    const int chroma_bytes = whole.format == PixelFormat::NV12 ? 2 : 1;
    out.planes[0].data += ptrdiff_t(r.y) * whole.planes[0].stride + r.x;
    for (int p = 1; p < plane_count(whole.format); p++)
      out.planes[p].data += ptrdiff_t(r.y / 2) * whole.planes[p].stride + r.x / 2 * chroma_bytes;
  }
  const int chroma_rows = (c.in_height + 1) / 2;
  if (!luma_scaler_) {
    workers_->run(chroma_rows, 8, [&](int b, int e) { to_420(in, out, b, e); });
    return;
  }
  if (is_420(c.in_format)) {
    scale(in, out);
    return;
  }
  // Convert at the input's size into I420, then scale that.
  Picture staged;
  staged.format = PixelFormat::I420;
  staged.width = c.in_width;
  staged.height = c.in_height;
  const ptrdiff_t cw = (c.in_width + 1) / 2;
  staged.planes[0] = {staging_.data(), c.in_width};
  staged.planes[1] = {staging_.data() + size_t(c.in_width) * c.in_height, cw};
  staged.planes[2] = {staged.planes[1].data + size_t(cw) * chroma_rows, cw};
  workers_->run(chroma_rows, 8, [&](int b, int e) { to_420(in, staged, b, e); });
  ConstPicture from;
  from.format = PixelFormat::I420;
  from.width = staged.width;
  from.height = staged.height;
  for (int p = 0; p < 3; p++)
    from.planes[p] = {staged.planes[p].data, staged.planes[p].stride};
  scale(from, out);
}

void FrameConverter::to_420(const ConstPicture &in, const Picture &out, int j0, int j1) const {
  const int w = in.width, h = in.height;
  const int cw = (w + 1) / 2;
  const int y0 = 2 * j0, y1 = std::min(2 * j1, h);
  const ChromaTarget dst_c[2] = {chroma_target(out, 0), chroma_target(out, 1)};

  if (!is_rgb(in.format)) {
    for (int y = y0; y < y1; y++)
      std::memcpy(out.planes[0].data + ptrdiff_t(y) * out.planes[0].stride,
                  in.planes[0].data + ptrdiff_t(y) * in.planes[0].stride, size_t(w));
  }

  if (is_420(in.format)) {
    for (int k = 0; k < 2; k++) {
      const ChromaSource s = chroma_source(in, k);
      for (int j = j0; j < j1; j++) {
        const uint8_t *src = s.data + ptrdiff_t(j) * s.stride;
        uint8_t *dst = dst_c[k].data + ptrdiff_t(j) * dst_c[k].stride;
        if (s.step == 1 && dst_c[k].step == 1) {
          std::memcpy(dst, src, size_t(cw));
        } else if (s.step == 2 && dst_c[k].step == 2) {
          if (k == 0) // both components in one copy
            std::memcpy(dst, src, size_t(2 * cw));
        } else {
          for (int x = 0; x < cw; x++)
            dst[ptrdiff_t(x) * dst_c[k].step] = src[ptrdiff_t(x) * s.step];
        }
      }
    }
    return;
  }

  const bool v_cosited = config_.siting.v_cosited;
  if (in.format == PixelFormat::Y42B) {
    // Already halved horizontally: only the rows are reduced.
    for (int k = 0; k < 2; k++) {
      const ConstPlane &s = in.planes[1 + k];
      for (int j = j0; j < j1; j++) {
        const VerticalTaps t = vertical_taps(j, h, v_cosited);
        const uint8_t *rows[3];
        for (int i = 0; i < t.count; i++)
          rows[i] = s.data + ptrdiff_t(t.rows[i]) * s.stride;
        uint8_t *dst = dst_c[k].data + ptrdiff_t(j) * dst_c[k].stride;
        const int half = 1 << (t.shift - 1);
        for (int x = 0; x < cw; x++) {
          int sum = half;
          for (int i = 0; i < t.count; i++)
            sum += t.weights[i] * rows[i][x];
          dst[ptrdiff_t(x) * dst_c[k].step] = uint8_t(sum >> t.shift);
        }
      }
    }
    return;
  }

  std::vector<uint16_t> sums(static_cast<size_t>(w));
  if (in.format == PixelFormat::Y444) {
    for (int j = j0; j < j1; j++) {
      const VerticalTaps t = vertical_taps(j, h, v_cosited);
      const uint8_t *u_rows[3], *v_rows[3];
      for (int i = 0; i < t.count; i++) {
        u_rows[i] = in.planes[1].data + ptrdiff_t(t.rows[i]) * in.planes[1].stride;
        v_rows[i] = in.planes[2].data + ptrdiff_t(t.rows[i]) * in.planes[2].stride;
      }
      reduce_chroma(config_.siting.h_cosited, t, u_rows, v_rows, w, j, dst_c, sums.data());
    }
    return;
  }

  // RGB: full-resolution Cb and Cr for each luma row the chroma row needs,
  // then the same reduction as 4:4:4.
  const dsp::ConvertKernels &k = dsp::convert_kernels();
  std::vector<uint8_t> full(size_t(w) * 6);
  for (int j = j0; j < j1; j++) {
    const VerticalTaps t = vertical_taps(j, h, v_cosited);
    const uint8_t *u_rows[3], *v_rows[3];
    for (int i = 0; i < t.count; i++) {
      uint8_t *u = full.data() + size_t(w) * 2 * i;
      uint8_t *v = u + w;
      const int row = t.rows[i];
      // Each luma row is written once: by the tap that is row 2j or 2j+1.
      const bool own = row >= 2 * j && (i == 0 || row != t.rows[i - 1]);
      uint8_t *y = own ? out.planes[0].data + ptrdiff_t(row) * out.planes[0].stride : nullptr;
      k.rgb_to_yuv_row(in.planes[0].data + ptrdiff_t(row) * in.planes[0].stride, w, rgb_params_, y,
                       u, v);
      u_rows[i] = u;
      v_rows[i] = v;
    }
    reduce_chroma(config_.siting.h_cosited, t, u_rows, v_rows, w, j, dst_c, sums.data());
  }
}

void FrameConverter::scale(const ConstPicture &in, const Picture &out) {
  const PlaneScaler &luma = *luma_scaler_;
  workers_->run(out.height, 16, [&](int b, int e) {
    luma.scale_rows(in.planes[0].data, in.planes[0].stride, 1, out.planes[0].data,
                    out.planes[0].stride, 1, b, e);
  });
  const PlaneScaler &chroma = *chroma_scaler_;
  const int rows = chroma.out_height();
  // Both components in one pass: index r < rows is U's row r, else V's.
  workers_->run(2 * rows, 8, [&](int b, int e) {
    for (int k = 0; k < 2; k++) {
      const int lo = std::max(b - k * rows, 0), hi = std::min(e - k * rows, rows);
      if (lo >= hi)
        continue;
      const ChromaSource s = chroma_source(in, k);
      const ChromaTarget d = chroma_target(out, k);
      chroma.scale_rows(s.data, s.stride, s.step, d.data, d.stride, d.step, lo, hi);
    }
  });
}

} // namespace quad::preproc
