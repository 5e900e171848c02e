// quadpreproc's core without GStreamer: filter taps, scaling against the
// double-precision filter, RGB matrices, chroma siting, threads, block
// statistics, the pyramid, scene changes and the denoiser.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis.h"
#include "convert.h"
#include "denoise.h"
#include "dsp/colour_convert.h"
#include "dsp/frame_stats.h"
#include "dsp/scale_rows.h"
#include "resample.h"

using namespace quad::preproc;

namespace {

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto &b : v)
    b = uint8_t(rng() >> 24);
  return v;
}

// An I420 frame in one vector, rows padded to `stride`.
struct I420Frame {
  int w, h;
  ptrdiff_t stride, cstride;
  std::vector<uint8_t> data;
  I420Frame(int w_, int h_, ptrdiff_t pad = 0)
      : w(w_), h(h_), stride(w_ + pad), cstride((w_ + 1) / 2 + pad),
        data(size_t(stride) * h + 2 * size_t(cstride) * ((h + 1) / 2)) {}
  uint8_t *y() { return data.data(); }
  uint8_t *u() { return data.data() + size_t(stride) * h; }
  uint8_t *v() { return u() + size_t(cstride) * ((h + 1) / 2); }
  Picture picture() {
    Picture p;
    p.format = PixelFormat::I420;
    p.width = w;
    p.height = h;
    p.planes[0] = {y(), stride};
    p.planes[1] = {u(), cstride};
    p.planes[2] = {v(), cstride};
    return p;
  }
  ConstPicture const_picture() {
    const Picture p = picture();
    ConstPicture c;
    c.format = p.format;
    c.width = w;
    c.height = h;
    for (int i = 0; i < 3; i++)
      c.planes[i] = {p.planes[i].data, p.planes[i].stride};
    return c;
  }
};

} // namespace

// ---------------------------------------------------------------- scaling

TEST(FilterTaps, WeightsSumToOneAndStayInside) {
  for (ScaleMethod m : {ScaleMethod::Bilinear, ScaleMethod::Bicubic, ScaleMethod::Area}) {
    for (auto [in, out] : {std::pair{1920, 1280},
                           {1080, 720},
                           {7, 3},
                           {100, 1},
                           {5, 5},
                           {1, 1},
                           {3840, 1920},
                           {641, 17}}) {
      const FilterTaps t = make_filter_taps(m, in, out);
      ASSERT_GE(t.support, 1);
      ASSERT_LE(t.support, in);
      for (int i = 0; i < out; i++) {
        int sum = 0;
        for (int k = 0; k < t.support; k++)
          sum += t.weights[size_t(i) * t.support + k];
        EXPECT_EQ(sum, 1 << 14) << in << "->" << out << " output " << i;
        EXPECT_GE(t.start[i], 0);
        EXPECT_LE(t.start[i] + t.support, in);
      }
    }
  }
}

TEST(FilterTaps, SameSizeIsIdentity) {
  for (ScaleMethod m : {ScaleMethod::Bilinear, ScaleMethod::Bicubic, ScaleMethod::Area}) {
    const FilterTaps t = make_filter_taps(m, 37, 37);
    EXPECT_EQ(t.support, 1);
    for (int i = 0; i < 37; i++)
      EXPECT_EQ(t.start[i], i);
  }
}

// An enlarging axis interpolates for every method: area coverage would
// only repeat samples.
TEST(FilterTaps, EnlargementIsLinearForArea) {
  EXPECT_EQ(reference_filter(ScaleMethod::Area, 20, 31),
            reference_filter(ScaleMethod::Bilinear, 20, 31));
}

TEST(FilterTaps, AreaTwoToOneAveragesPairs) {
  const auto w = reference_filter(ScaleMethod::Area, 8, 4);
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 8; k++)
      EXPECT_DOUBLE_EQ(w[size_t(i) * 8 + k], (k / 2 == i) ? 0.5 : 0.0);
}

// The fixed-point scaler against the double-precision filter: within one
// code value on random planes, any stride.
TEST(PlaneScaler, MatchesDoubleReference) {
  struct Case {
    int iw, ih, ow, oh;
  } cases[] = {{64, 48, 32, 24}, {97, 61, 50, 33}, {1920, 16, 1280, 9}, {33, 17, 33, 5},
               {40, 40, 7, 39},  {32, 24, 48, 36}, {17, 9, 61, 40},     {1280, 8, 1920, 12}};
  for (ScaleMethod m : {ScaleMethod::Bilinear, ScaleMethod::Bicubic, ScaleMethod::Area}) {
    for (const Case &c : cases) {
      const ptrdiff_t in_stride = c.iw + 3, out_stride = c.ow + 5;
      const auto in = random_bytes(size_t(in_stride) * c.ih, uint32_t(c.iw * c.ih));
      std::vector<uint8_t> out(size_t(out_stride) * c.oh, 0);
      PlaneScaler scaler(m, c.iw, c.ih, c.ow, c.oh);
      scaler.scale_rows(in.data(), in_stride, 1, out.data(), out_stride, 1, 0, c.oh);
      const auto hw = reference_filter(m, c.iw, c.ow), vw = reference_filter(m, c.ih, c.oh);
      int worst = 0;
      for (int y = 0; y < c.oh; y++)
        for (int x = 0; x < c.ow; x++) {
          double s = 0;
          for (int ky = 0; ky < c.ih; ky++) {
            const double wy = vw[size_t(y) * c.ih + ky];
            if (wy == 0)
              continue;
            for (int kx = 0; kx < c.iw; kx++)
              s += wy * hw[size_t(x) * c.iw + kx] * in[size_t(ky) * in_stride + kx];
          }
          const int expect = int(std::lround(std::clamp(s, 0.0, 255.0)));
          worst = std::max(worst, std::abs(expect - out[size_t(y) * out_stride + x]));
        }
      EXPECT_LE(worst, 1) << int(m) << " " << c.iw << "x" << c.ih << "->" << c.ow << "x" << c.oh;
    }
  }
}

TEST(PlaneScaler, FlatStaysFlat) {
  for (ScaleMethod m : {ScaleMethod::Bilinear, ScaleMethod::Bicubic, ScaleMethod::Area}) {
    std::vector<uint8_t> in(100 * 80, 201), out(33 * 21, 0);
    PlaneScaler(m, 100, 80, 33, 21).scale_rows(in.data(), 100, 1, out.data(), 33, 1, 0, 21);
    for (uint8_t v : out)
      ASSERT_EQ(v, 201);
  }
}

// ---------------------------------------------------------------- kernels

// Every SIMD version of the conversion kernels equals the reference, on
// random input of every width up to a few vectors and on the extremes.
TEST(ConvertKernels, SimdEqualsReference) {
  const auto &ref = quad::dsp::reference_convert_kernels();
  const auto all = quad::dsp::all_convert_kernels();
  const RgbToYuv c = rgb_to_yuv_coefficients(Matrix::BT709, Range::Full);
  for (const auto &k : all) {
    for (int shifts : {0, 1, 2}) {
      const int order[3][3] = {{16, 8, 0}, {0, 8, 16}, {8, 16, 24}};
      const quad::dsp::RgbToYuvParams p = {order[shifts][0],
                                           order[shifts][1],
                                           order[shifts][2],
                                           c.yr,
                                           c.yg,
                                           c.yb,
                                           c.ur,
                                           c.ug,
                                           c.ub,
                                           c.vr,
                                           c.vg,
                                           c.vb,
                                           c.y_offset,
                                           c.c_offset};
      for (int width = 0; width <= 140; width++) {
        auto src = random_bytes(size_t(width) * 4 + 1, uint32_t(width * 3 + shifts));
        if (width == 7)
          std::fill(src.begin(), src.end(), 255);
        std::vector<uint8_t> y1(width + 1), u1(width + 1), v1(width + 1);
        std::vector<uint8_t> y2(y1), u2(u1), v2(v1);
        ref.rgb_to_yuv_row(src.data(), width, p, y1.data(), u1.data(), v1.data());
        k.rgb_to_yuv_row(src.data(), width, p, y2.data(), u2.data(), v2.data());
        ASSERT_EQ(y1, y2) << k.name << " width " << width;
        ASSERT_EQ(u1, u2) << k.name << " width " << width;
        ASSERT_EQ(v1, v2) << k.name << " width " << width;
        k.rgb_to_yuv_row(src.data(), width, p, nullptr, u2.data(), v2.data());
        ASSERT_EQ(u1, u2) << k.name << " without luma";
      }
    }
    for (int n = 0; n <= 140; n++) {
      auto a = random_bytes(size_t(2 * n), uint32_t(n)), b = random_bytes(size_t(2 * n), 99u + n);
      if (n == 9) {
        std::fill(a.begin(), a.end(), 255);
        std::fill(b.begin(), b.end(), 255);
      }
      std::vector<uint8_t> o1(n + 1, 7), o2(n + 1, 7);
      ref.reduce_2x2_row(a.data(), b.data(), n, o1.data());
      k.reduce_2x2_row(a.data(), b.data(), n, o2.data());
      ASSERT_EQ(o1, o2) << k.name << " n " << n;
      std::vector<uint8_t> uv1(2 * n + 1, 3), uv2(uv1);
      ref.interleave_row(a.data(), b.data(), n, uv1.data());
      k.interleave_row(a.data(), b.data(), n, uv2.data());
      ASSERT_EQ(uv1, uv2) << k.name << " n " << n;
    }
  }
}

// The 2x2 reduction picks its loop's start from where row a lies: every
// start within a 64-byte line, odd or even, rows a and b apart by any
// amount, each row ending where its buffer does (so AddressSanitizer sees
// a read past it), and nothing written past out[n - 1].
TEST(ConvertKernels, Reduce2x2EveryAlignment) {
  const auto &ref = quad::dsp::reference_convert_kernels();
  for (const auto &k : quad::dsp::all_convert_kernels()) {
    for (int n : {16, 31, 32, 33, 63, 64, 65, 100, 129, 960}) {
      for (int offset = 0; offset < 64; offset++) {
        const size_t bytes = size_t(2 * n);
        std::vector<uint8_t> a = random_bytes(offset + bytes, uint32_t(n * 64 + offset));
        std::vector<uint8_t> b = random_bytes((offset * 7) % 64 + bytes, uint32_t(n + offset));
        const uint8_t *ra = a.data() + offset, *rb = b.data() + (offset * 7) % 64;
        std::vector<uint8_t> o1(n + 1, 7), o2(n + 1, 7);
        ref.reduce_2x2_row(ra, rb, n, o1.data());
        k.reduce_2x2_row(ra, rb, n, o2.data());
        ASSERT_EQ(o1, o2) << k.name << " n " << n << " offset " << offset;
      }
    }
  }
}

// The scaler's row kernels: each SIMD table against the reference, on the
// filters of reductions and enlargements (some past what a vector layout
// covers) and on Q6 rows with the overshoot a cubic filter gives.
TEST(ScaleKernels, SimdEqualsReference) {
  const auto &ref = quad::dsp::reference_scale_kernels();
  for (const auto &k : quad::dsp::all_scale_kernels()) {
    for (ScaleMethod m : {ScaleMethod::Bilinear, ScaleMethod::Bicubic, ScaleMethod::Area}) {
      for (const auto &[in_w, out_w] : {std::pair{1920, 1280},
                                        {1280, 1920},
                                        {100, 33},
                                        {33, 100},
                                        {64, 7},
                                        {5, 3},
                                        {1, 9},
                                        {300, 299},
                                        {90, 17}}) {
        const FilterTaps t = make_filter_taps(m, in_w, out_w);
        const auto rf = ref.make_row_filter(in_w, out_w, t.support, t.start, t.weights);
        const auto kf = k.make_row_filter(in_w, out_w, t.support, t.start, t.weights);
        std::mt19937 rng(uint32_t(in_w * 7 + out_w));
        std::vector<int16_t> mid(size_t(std::max(rf.mid_extent, kf.mid_extent)));
        for (auto &v : mid)
          v = int16_t(int(rng() % 23000) - 3000);
        std::vector<int32_t> scratch(mid.size());
        std::vector<uint8_t> a(size_t(out_w) + 1, 7), b(a);
        ref.horizontal(mid.data(), rf, scratch.data(), a.data());
        k.horizontal(mid.data(), kf, scratch.data(), b.data());
        ASSERT_EQ(a, b) << k.name << " " << int(m) << " " << in_w << " -> " << out_w;
      }
    }
    for (int taps = 1; taps <= 9; taps++) {
      for (int width = 1; width <= 150; width += (width < 70 ? 1 : 13)) {
        const ptrdiff_t stride = width + 3;
        auto rows = random_bytes(size_t(stride) * taps, uint32_t(taps * 1000 + width));
        if (width == 40)
          std::fill(rows.begin(), rows.end(), 255);
        std::mt19937 rng{uint32_t(width)};
        std::vector<int16_t> w(static_cast<size_t>(taps));
        for (auto &v : w) // the sum of |w| stays under 2^15, as a filter's does
          v = int16_t(int(rng() % 5000) - 1500);
        std::vector<int16_t> a(size_t(width) + 1, 5), b(a);
        ref.vertical(rows.data(), stride, w.data(), taps, width, a.data());
        k.vertical(rows.data(), stride, w.data(), taps, width, b.data());
        ASSERT_EQ(a, b) << k.name << " taps " << taps << " width " << width;
      }
    }
  }
}

TEST(FrameStatsKernels, SimdEqualsReference) {
  const auto &ref = quad::dsp::reference_frame_stats_kernels();
  for (const auto &k : quad::dsp::all_frame_stats_kernels()) {
    for (int w = 1; w <= 150; w += (w < 40 ? 1 : 7)) {
      const int h = 1 + w % 9;
      const ptrdiff_t stride = w + 5;
      auto plane = random_bytes(size_t(stride) * h, uint32_t(w));
      if (w == 33) // the largest gradients
        for (size_t i = 0; i < plane.size(); i++)
          plane[i] = (i % size_t(stride)) % 2 ? 255 : 0;
      for (int y0 = 0; y0 < h; y0 += 2) {
        const int y1 = std::min(h, y0 + 3);
        std::vector<uint16_t> s1(w, 5), s2(s1);
        std::vector<uint32_t> q1(w, 7), q2(q1), e1(w, 9), e2(e1);
        ref.sobel_column_sums(plane.data(), stride, w, h, y0, y1, s1.data(), q1.data(), e1.data());
        k.sobel_column_sums(plane.data(), stride, w, h, y0, y1, s2.data(), q2.data(), e2.data());
        ASSERT_EQ(s1, s2) << k.name << " w " << w << " rows " << y0 << ".." << y1;
        ASSERT_EQ(q1, q2) << k.name << " w " << w;
        ASSERT_EQ(e1, e2) << k.name << " w " << w;
      }
    }
    for (int n = 0; n <= 70; n++) {
      const ptrdiff_t stride = 8 * n + 3;
      auto plane = random_bytes(size_t(stride) * 8, uint32_t(n + 500));
      if (n == 13)
        std::fill(plane.begin(), plane.end(), 255);
      std::vector<uint8_t> t1(size_t(n) + 1, 3), t2(t1);
      ref.thumbnail_8x8_row(plane.data(), stride, n, t1.data());
      k.thumbnail_8x8_row(plane.data(), stride, n, t2.data());
      ASSERT_EQ(t1, t2) << k.name << " n " << n;
    }
  }
}

// ---------------------------------------------------------------- conversion

TEST(RgbToYuv, CoefficientsMatchTheStandards) {
  struct Case {
    Matrix m;
    double kr, kb;
  } cases[] = {{Matrix::BT601, 0.299, 0.114},
               {Matrix::BT709, 0.2126, 0.0722},
               {Matrix::BT2020, 0.2627, 0.0593}};
  std::mt19937 rng(5);
  for (const Case &c : cases) {
    for (Range range : {Range::Limited, Range::Full}) {
      const RgbToYuv k = rgb_to_yuv_coefficients(c.m, range);
      const bool full = range == Range::Full;
      for (int i = 0; i < 2000; i++) {
        const int r = int(rng() % 256), g = int(rng() % 256), b = int(rng() % 256);
        const double y = c.kr * r + (1 - c.kr - c.kb) * g + c.kb * b;
        const double ey = (full ? 0 : 16) + (full ? 1.0 : 219.0 / 255.0) * y;
        const double eu = 128 + (full ? 1.0 : 224.0 / 255.0) * (b - y) / (2 * (1 - c.kb));
        const int gy = (k.yr * r + k.yg * g + k.yb * b + k.y_offset) >> 16;
        const int gu = std::clamp((k.ur * r + k.ug * g + k.ub * b + k.c_offset) >> 16, 0, 255);
        // Exactly rounded but for the Q16 coefficients' own rounding.
        EXPECT_LE(std::abs(gy - ey), 0.51) << r << " " << g << " " << b;
        EXPECT_LE(std::abs(gu - std::clamp(eu, 0.0, 255.0)), 0.51);
      }
    }
  }
}

// A chroma impulse in Y444 lands where the siting says.
TEST(FrameConverter, ChromaSitingFilters) {
  const int w = 16, h = 8;
  std::vector<uint8_t> y(w * h, 100), u(w * h, 128), v(w * h, 128);
  u[4 * w + 5] = 128 + 64; // column 5, row 4
  ConstPicture in;
  in.format = PixelFormat::Y444;
  in.width = w;
  in.height = h;
  in.planes[0] = {y.data(), w};
  in.planes[1] = {u.data(), w};
  in.planes[2] = {v.data(), w};
  auto run = [&](bool hc, bool vc) {
    ConvertConfig c;
    c.in_format = PixelFormat::Y444;
    c.in_width = c.out_width = w;
    c.in_height = c.out_height = h;
    c.siting = {hc, vc};
    c.threads = 1;
    I420Frame out(w, h);
    FrameConverter(c).convert(in, out.picture());
    return std::vector<uint8_t>(out.u(), out.u() + 8 * 4);
  };
  // Centred: column 5 is half of chroma column 2, row 4 half of row 2.
  auto centred = run(false, false);
  EXPECT_EQ(centred[2 * 8 + 2], 128 + 16);
  EXPECT_EQ(centred[2 * 8 + 3], 128);
  // Cosited horizontally: column 5 sits between chroma columns 2 and 3.
  auto mpeg2 = run(true, false);
  EXPECT_EQ(mpeg2[2 * 8 + 2], 128 + 8);
  EXPECT_EQ(mpeg2[2 * 8 + 3], 128 + 8);
  // Cosited both ways: row 4 is chroma row 2's own row (weight 1/2, not 1/4
  // as in rows 3 and 5), and no other chroma row reaches it.
  auto cosited = run(true, true);
  EXPECT_EQ(cosited[2 * 8 + 2], 128 + 8);
  EXPECT_EQ(cosited[2 * 8 + 3], 128 + 8);
  EXPECT_EQ(cosited[1 * 8 + 2], 128);
  EXPECT_EQ(cosited[3 * 8 + 2], 128);
}

TEST(FrameConverter, ThreadsDoNotChangeTheResult) {
  const int w = 301, h = 203;
  const auto rgb = random_bytes(size_t(w) * h * 4, 3);
  ConstPicture in;
  in.format = PixelFormat::BGRA;
  in.width = w;
  in.height = h;
  in.planes[0] = {rgb.data(), w * 4};
  std::vector<uint8_t> results[2];
  const int threads[2] = {1, 3};
  for (int i = 0; i < 2; i++) {
    ConvertConfig c;
    c.in_format = PixelFormat::BGRA;
    c.out_format = PixelFormat::I420;
    c.in_width = w;
    c.in_height = h;
    c.out_width = 200;
    c.out_height = 101;
    c.method = ScaleMethod::Bicubic;
    c.threads = threads[i];
    I420Frame out(200, 101, 7);
    FrameConverter(c).convert(in, out.picture());
    results[i] = out.data;
  }
  EXPECT_EQ(results[0], results[1]);
}

// Converting and scaling at once equals converting, then scaling each
// plane: for RGB (through the staging picture) and for NV12 in and out
// (chroma read and written interleaved), down and up.
TEST(FrameConverter, ScalingEqualsPlaneScalerAfterConversion) {
  const int w = 123, h = 77;
  for (const auto &[ow, oh] : {std::pair{64, 41}, {190, 120}})
    for (PixelFormat in_format : {PixelFormat::RGBA, PixelFormat::NV12}) {
      for (PixelFormat out_format : {PixelFormat::I420, PixelFormat::NV12}) {
        const auto bytes = random_bytes(size_t(w) * h * 4, 17);
        ConstPicture in;
        in.format = in_format;
        in.width = w;
        in.height = h;
        if (in_format == PixelFormat::RGBA) {
          in.planes[0] = {bytes.data(), w * 4};
        } else {
          in.planes[0] = {bytes.data(), w};
          in.planes[1] = {bytes.data() + size_t(w) * h, 2 * ((w + 1) / 2)};
        }
        ConvertConfig c;
        c.in_format = in_format;
        c.in_width = w;
        c.in_height = h;
        c.out_format = PixelFormat::I420;
        c.out_width = w;
        c.out_height = h;
        c.threads = 1;
        c.method = ScaleMethod::Bicubic;
        I420Frame full(w, h);
        FrameConverter(c).convert(in, full.picture());

        c.out_format = out_format;
        c.out_width = ow;
        c.out_height = oh;
        const int cw = (ow + 1) / 2, ch = (oh + 1) / 2;
        std::vector<uint8_t> scaled(size_t(ow) * oh + 2 * size_t(cw) * ch);
        Picture out;
        out.format = out_format;
        out.width = ow;
        out.height = oh;
        out.planes[0] = {scaled.data(), ow};
        out.planes[1] = {scaled.data() + size_t(ow) * oh,
                         out_format == PixelFormat::NV12 ? 2 * cw : cw};
        out.planes[2] = {scaled.data() + size_t(ow) * oh + size_t(cw) * ch, cw};
        FrameConverter(c).convert(in, out);

        std::vector<uint8_t> y(size_t(ow) * oh), u(size_t(cw) * ch), v(u.size());
        PlaneScaler(ScaleMethod::Bicubic, w, h, ow, oh)
            .scale_rows(full.y(), full.stride, 1, y.data(), ow, 1, 0, oh);
        PlaneScaler chroma(ScaleMethod::Bicubic, (w + 1) / 2, (h + 1) / 2, cw, ch);
        chroma.scale_rows(full.u(), full.cstride, 1, u.data(), cw, 1, 0, ch);
        chroma.scale_rows(full.v(), full.cstride, 1, v.data(), cw, 1, 0, ch);
        ASSERT_TRUE(std::equal(y.begin(), y.end(), scaled.begin()));
        for (int i = 0; i < cw * ch; i++) {
          const uint8_t got_u =
              out_format == PixelFormat::NV12 ? out.planes[1].data[2 * i] : out.planes[1].data[i];
          const uint8_t got_v = out_format == PixelFormat::NV12 ? out.planes[1].data[2 * i + 1]
                                                                : out.planes[2].data[i];
          ASSERT_EQ(got_u, u[size_t(i)]) << i;
          ASSERT_EQ(got_v, v[size_t(i)]) << i;
        }
      }
    }
}

// A placement scales into its rectangle, exactly as into a picture of that
// size, and leaves black around it (limited-range black, neutral chroma).
TEST(FrameConverter, PlacementLeavesBlackBorders) {
  const int w = 64, h = 36, ow = 48, oh = 48;
  I420Frame in(w, h);
  in.data = random_bytes(in.data.size(), 5);
  ConvertConfig c;
  c.in_width = w;
  c.in_height = h;
  c.threads = 1;
  c.out_width = 48;
  c.out_height = 28;
  I420Frame alone(48, 28);
  FrameConverter(c).convert(in.const_picture(), alone.picture());
  c.out_width = ow;
  c.out_height = oh;
  c.placement = {0, 10, 48, 28};
  I420Frame boxed(ow, oh, 3);
  FrameConverter(c).convert(in.const_picture(), boxed.picture());
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      const bool inside = y >= 10 && y < 38;
      const uint8_t want = inside ? alone.y()[(y - 10) * 48 + x] : 16;
      ASSERT_EQ(boxed.y()[y * boxed.stride + x], want) << x << "," << y;
    }
  for (int y = 0; y < oh / 2; y++)
    for (int x = 0; x < ow / 2; x++) {
      const bool inside = y >= 5 && y < 19;
      ASSERT_EQ(boxed.u()[y * boxed.cstride + x], inside ? alone.u()[(y - 5) * 24 + x] : 128);
      ASSERT_EQ(boxed.v()[y * boxed.cstride + x], inside ? alone.v()[(y - 5) * 24 + x] : 128);
    }
  c.placement = {1, 0, 40, 40}; // odd x: chroma would straddle samples
  EXPECT_THROW(FrameConverter{c}, std::invalid_argument);
}

TEST(FrameConverter, RejectsWhatItCannotDo) {
  ConvertConfig c;
  c.in_width = c.in_height = 16;
  c.out_width = 16385;
  c.out_height = 16;
  EXPECT_THROW(FrameConverter{c}, std::invalid_argument); // too large
  c.out_width = 16;
  c.out_format = PixelFormat::Y444;
  EXPECT_THROW(FrameConverter{c}, std::invalid_argument); // output format
  c.out_format = PixelFormat::I420;
  c.in_width = 0;
  EXPECT_THROW(FrameConverter{c}, std::invalid_argument); // empty
  c.in_width = 16;
  FrameConverter ok(c);
  I420Frame wrong(8, 8);
  EXPECT_THROW(ok.convert(wrong.const_picture(), wrong.picture()), std::invalid_argument);
}

// ---------------------------------------------------------------- analysis

TEST(MeasureBlocks, MatchesDirectComputation) {
  RowParallel parallel(2);
  for (auto [w, h] : {std::pair{100, 70}, {64, 64}, {1, 1}, {17, 300}, {130, 9}}) {
    const ptrdiff_t stride = w + 11;
    const auto luma = random_bytes(size_t(stride) * h, uint32_t(w + h));
    auto px = [&](int x, int y) {
      return int(luma[size_t(std::clamp(y, 0, h - 1)) * stride + std::clamp(x, 0, w - 1)]);
    };
    for (int bs : {8, 16, 32, 64}) {
      BlockGrid grid;
      measure_blocks(luma.data(), stride, w, h, bs, parallel, grid);
      ASSERT_EQ(grid.cols, (w + bs - 1) / bs);
      ASSERT_EQ(grid.rows, (h + bs - 1) / bs);
      double total_var = 0;
      for (int r = 0; r < grid.rows; r++)
        for (int c = 0; c < grid.cols; c++) {
          double s = 0, sq = 0, e = 0;
          int n = 0;
          for (int y = r * bs; y < std::min((r + 1) * bs, h); y++)
            for (int x = c * bs; x < std::min((c + 1) * bs, w); x++) {
              s += px(x, y);
              sq += double(px(x, y)) * px(x, y);
              const int gx = px(x + 1, y - 1) + 2 * px(x + 1, y) + px(x + 1, y + 1) -
                             px(x - 1, y - 1) - 2 * px(x - 1, y) - px(x - 1, y + 1);
              const int gy = px(x - 1, y + 1) + 2 * px(x, y + 1) + px(x + 1, y + 1) -
                             px(x - 1, y - 1) - 2 * px(x, y - 1) - px(x + 1, y - 1);
              e += std::abs(gx) + std::abs(gy);
              n++;
            }
          const BlockStats &b = grid.blocks[size_t(r) * grid.cols + c];
          const double mean = s / n, var = sq / n - mean * mean;
          EXPECT_LE(std::abs(b.mean - mean), 0.5 + 1e-9);
          EXPECT_LE(std::abs(b.variance - var), 0.5 + 1e-6);
          EXPECT_LE(std::abs(double(b.edge_energy) - e / n), 0.5 + 1e-9);
          total_var += b.variance;
        }
      EXPECT_DOUBLE_EQ(grid.complexity, total_var / (grid.cols * grid.rows));
    }
  }
}

TEST(MeasureBlocks, FlatHasNoVarianceNoEdges) {
  RowParallel parallel(1);
  std::vector<uint8_t> flat(48 * 40, 77);
  BlockGrid grid;
  measure_blocks(flat.data(), 48, 48, 40, 16, parallel, grid);
  for (const BlockStats &b : grid.blocks) {
    EXPECT_EQ(b.mean, 77);
    EXPECT_EQ(b.variance, 0);
    EXPECT_EQ(b.edge_energy, 0u);
  }
  EXPECT_THROW(measure_blocks(flat.data(), 48, 48, 40, 12, parallel, grid), std::invalid_argument);
}

TEST(Pyramid, LayoutAndValues) {
  const int w = 75, h = 41;
  const auto luma = random_bytes(size_t(w) * h, 9);
  const PyramidLayout layout = pyramid_layout(w, h, 4);
  ASSERT_EQ(layout.levels.size(), 4u);
  std::vector<uint8_t> dst(layout.size);
  build_pyramid(luma.data(), w, w, h, layout, dst.data());
  int lw = w, lh = h;
  std::vector<uint8_t> prev = luma;
  for (const PyramidLevel &level : layout.levels) {
    EXPECT_EQ(level.width, (lw + 1) / 2);
    EXPECT_EQ(level.height, (lh + 1) / 2);
    EXPECT_EQ(level.stride % 64, 0);
    EXPECT_EQ(level.offset % 64, 0u);
    std::vector<uint8_t> cur(size_t(level.width) * level.height);
    for (int y = 0; y < level.height; y++)
      for (int x = 0; x < level.width; x++) {
        auto at = [&](int xx, int yy) {
          return int(prev[size_t(std::min(yy, lh - 1)) * lw + std::min(xx, lw - 1)]);
        };
        const int s = at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) +
                      at(2 * x + 1, 2 * y + 1);
        cur[size_t(y) * level.width + x] = uint8_t((s + 2) / 4);
        ASSERT_EQ(dst[level.offset + size_t(y) * level.stride + x], (s + 2) / 4);
      }
    prev = cur;
    lw = level.width;
    lh = level.height;
  }
}

// A natural-looking picture (random waves of 30 to 200 pixels) moved by
// (dx, dy); each seed makes a different picture.
static std::vector<uint8_t> texture(int w, int h, int dx, int dy, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> period(30.0, 200.0), angle(0.0, 6.2831853), amp(8, 24);
  struct Wave {
    double kx, ky, phase, a;
  } waves[8];
  for (Wave &wv : waves) {
    const double p = period(rng), t = angle(rng);
    wv = {std::cos(t) * 6.2831853 / p, std::sin(t) * 6.2831853 / p, angle(rng), amp(rng)};
  }
  std::vector<uint8_t> out(size_t(w) * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = 128;
      for (const Wave &wv : waves)
        v += wv.a * std::sin(wv.kx * (x - dx) + wv.ky * (y - dy) + wv.phase);
      out[size_t(y) * w + x] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
    }
  return out;
}

TEST(SceneChangeDetector, MotionIsNotACut) {
  SceneChangeDetector d;
  const int w = 640, h = 360;
  EXPECT_EQ(d.score(texture(w, h, 0, 0, 1).data(), w, w, h), 1.0) << "first frame";
  EXPECT_LT(d.score(texture(w, h, 0, 0, 1).data(), w, w, h), 0.05) << "same picture";
  EXPECT_LT(d.score(texture(w, h, 13, -7, 1).data(), w, w, h), 0.3) << "moved";
  EXPECT_GT(d.score(texture(w, h, 0, 0, 2).data(), w, w, h), 0.7) << "new picture";
  d.reset();
  EXPECT_EQ(d.score(texture(w, h, 0, 0, 2).data(), w, w, h), 1.0) << "after reset";
  std::vector<uint8_t> tiny = {1, 2, 3, 4};
  EXPECT_EQ(d.score(tiny.data(), 2, 2, 2), 1.0) << "a new size has no predecessor";
  EXPECT_EQ(d.score(tiny.data(), 2, 2, 2), 0.0);
}

// ---------------------------------------------------------------- denoise

static double psnr(const uint8_t *a, const uint8_t *b, size_t n) {
  double se = 0;
  for (size_t i = 0; i < n; i++)
    se += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return 10 * std::log10(255.0 * 255.0 * double(n) / std::max(se, 1e-9));
}

TEST(TemporalDenoiser, AveragesStaticNoise) {
  const int w = 96, h = 64;
  RowParallel parallel(2);
  TemporalDenoiser dn(24); // about sigma 6
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 6.0);
  const auto clean = texture(w, h, 0, 0, 4);
  double before = 0, after = 0;
  for (int f = 0; f < 12; f++) {
    I420Frame frame(w, h, 5);
    std::fill(frame.data.begin(), frame.data.end(), 128);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        frame.y()[y * frame.stride + x] =
            uint8_t(std::clamp(std::lround(clean[size_t(y) * w + x] + noise(rng)), 0L, 255L));
    std::vector<uint8_t> noisy(frame.data);
    dn.process(frame.picture(), parallel);
    if (f >= 6) {
      for (int y = 0; y < h; y++) {
        before += psnr(&noisy[size_t(y) * frame.stride], &clean[size_t(y) * w], size_t(w));
        after += psnr(frame.y() + y * frame.stride, &clean[size_t(y) * w], size_t(w));
      }
    }
  }
  EXPECT_GT(after, before + 6 * 4.0 * h) << "at least 4 dB better on average";
}

// A bright square moving over a noisy flat background: where it was last
// frame must be background now, not a fading copy of it.
TEST(TemporalDenoiser, NoGhostBehindMovingEdges) {
  const int w = 128, h = 64;
  RowParallel parallel(1);
  TemporalDenoiser dn(24);
  std::mt19937 rng(2);
  std::normal_distribution<double> noise(0.0, 6.0);
  double trail = 0, inside = 0;
  int trail_n = 0, inside_n = 0;
  for (int f = 0; f < 10; f++) {
    const int x0 = 8 + 8 * f; // 8 pixels per frame to the right
    I420Frame frame(w, h);
    std::fill(frame.data.begin(), frame.data.end(), 128);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const bool square = x >= x0 && x < x0 + 24 && y >= 20 && y < 44;
        frame.y()[y * frame.stride + x] =
            uint8_t(std::clamp(std::lround((square ? 200 : 60) + noise(rng)), 0L, 255L));
      }
    dn.process(frame.picture(), parallel);
    if (f < 3)
      continue;
    for (int y = 20; y < 44; y++) {
      for (int x = x0 - 8; x < x0; x++) { // uncovered this frame
        trail += frame.y()[y * frame.stride + x];
        trail_n++;
      }
      for (int x = x0; x < x0 + 24; x++) {
        inside += frame.y()[y * frame.stride + x];
        inside_n++;
      }
    }
  }
  EXPECT_NEAR(trail / trail_n, 60.0, 3.0) << "ghost left behind";
  EXPECT_NEAR(inside / inside_n, 200.0, 3.0) << "square blended with the background";
}

TEST(TemporalDenoiser, RejectsBadStrength) {
  EXPECT_THROW(TemporalDenoiser(0), std::invalid_argument);
  EXPECT_THROW(TemporalDenoiser(101), std::invalid_argument);
}
