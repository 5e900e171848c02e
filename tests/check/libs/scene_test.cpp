// SceneGenerator: the rendered frames really move by the ground-truth
// vectors, flags mark what cannot be predicted, and rendering stays inside
// the caller's planes.
#include "gst/quadcapture/scene.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace {

using quad::capture::BlockMotion;
using quad::capture::PixelFormat;
using quad::capture::PlaneSize;
using quad::capture::PlaneView;
using quad::capture::SceneConfig;
using quad::capture::SceneGenerator;
namespace motion_flags = quad::capture::motion_flags;

constexpr PixelFormat kFormats[] = {PixelFormat::I420, PixelFormat::NV12, PixelFormat::Y444,
                                    PixelFormat::BGRx};

// A frame in caller memory: planes with padded strides and guard bytes
// before and after each, all pre-filled so stray writes show.
class GuardedFrame {
public:
  static constexpr size_t kGuard = 256;

  GuardedFrame(PixelFormat format, int width, int height, int padding = 0, uint8_t fill = 0xA5)
      : fill_(fill) {
    const int n = quad::capture::plane_count(format);
    for (int p = 0; p < n; ++p) {
      Plane pl;
      pl.size = quad::capture::plane_size(format, p, width, height);
      pl.stride = pl.size.row_bytes + padding;
      pl.bytes.assign(2 * kGuard + static_cast<size_t>(pl.stride) * pl.size.rows, fill);
      planes_.push_back(std::move(pl));
    }
    for (Plane &pl : planes_)
      views_.push_back({pl.bytes.data() + kGuard, pl.stride});
  }

  GuardedFrame(GuardedFrame &&) = default;
  GuardedFrame &operator=(GuardedFrame &&) = default;
  GuardedFrame(const GuardedFrame &) = delete;
  GuardedFrame &operator=(const GuardedFrame &) = delete;

  const PlaneView *views() const { return views_.data(); }
  int planes() const { return static_cast<int>(planes_.size()); }
  PlaneSize size(int p) const { return planes_[p].size; }
  const uint8_t *row(int p, int y) const { return views_[p].data + views_[p].stride * y; }
  uint8_t at(int p, int x, int y) const { return row(p, y)[x]; }

  // Guard bytes and row padding still hold the fill byte.
  bool outside_untouched() const {
    for (const Plane &pl : planes_) {
      const uint8_t *b = pl.bytes.data();
      for (size_t i = 0; i < kGuard; ++i)
        if (b[i] != fill_ || b[pl.bytes.size() - 1 - i] != fill_)
          return false;
      for (int y = 0; y < pl.size.rows; ++y)
        for (ptrdiff_t x = pl.size.row_bytes; x < pl.stride; ++x)
          if (b[kGuard + y * pl.stride + x] != fill_)
            return false;
    }
    return true;
  }

  bool same_pixels(const GuardedFrame &o) const {
    for (int p = 0; p < planes(); ++p)
      for (int y = 0; y < size(p).rows; ++y)
        if (!std::equal(row(p, y), row(p, y) + size(p).row_bytes, o.row(p, y)))
          return false;
    return true;
  }

private:
  struct Plane {
    PlaneSize size{};
    ptrdiff_t stride = 0;
    std::vector<uint8_t> bytes;
  };
  uint8_t fill_;
  std::vector<Plane> planes_;
  std::vector<PlaneView> views_;
};

GuardedFrame render(SceneGenerator &gen, uint64_t index, PixelFormat format = PixelFormat::I420) {
  const SceneConfig &c = gen.config();
  GuardedFrame f(format, c.width, c.height);
  gen.render(index, format, f.views());
  return f;
}

// H.265 8.5.3.3.3.1: 8-tap luma filter per quarter-pel phase.
constexpr int kLumaFilter[4][8] = {{0, 0, 0, 64, 0, 0, 0, 0},
                                   {-1, 4, -10, 58, 17, -5, 1, 0},
                                   {-1, 4, -11, 40, 40, -11, 4, -1},
                                   {0, 1, -5, 17, 58, -10, 4, -1}};

// Luma prediction of the sample at quarter-pel position (x4, y4) of `ref`,
// 8-bit, with the uni-prediction rounding of 8.5.3.3.4.2.
int predict_luma(const GuardedFrame &ref, int width, int height, int x4, int y4) {
  const int xi = x4 >> 2, yi = y4 >> 2, fx = x4 & 3, fy = y4 & 3;
  const auto sample = [&](int x, int y) {
    return ref.at(0, std::clamp(x, 0, width - 1), std::clamp(y, 0, height - 1));
  };
  int rows[8];
  for (int j = 0; j < 8; ++j) {
    int h = 0;
    for (int i = 0; i < 8; ++i)
      h += kLumaFilter[fx][i] * sample(xi + i - 3, yi + j - 3);
    rows[j] = h; // shift1 = 0 for 8-bit: 6 fractional bits
  }
  int v = 0;
  for (int j = 0; j < 8; ++j)
    v += kLumaFilter[fy][j] * rows[j];
  v >>= 6; // shift2
  return std::clamp((v + 32) >> 6, 0, 255);
}

struct MotionCheck {
  int blocks = 0;
  int occluded = 0;
  int integer_blocks = 0;
  int integer_mismatches = 0;
  int fractional_blocks = 0;
  long fractional_pixels = 0;
  double abs_error = 0, sq_error = 0;
  int max_error = 0;

  double mean_abs() const { return fractional_pixels ? abs_error / fractional_pixels : 0.0; }
  double psnr() const {
    return fractional_pixels
               ? 10 * std::log10(255.0 * 255.0 * fractional_pixels / std::max(sq_error, 1e-9))
               : 99.0;
  }
};

// Compensates frame n - 1 with the true vectors and compares with frame n
// on every block without flags: integer vectors must reproduce it bit for
// bit, fractional ones up to the 8-tap filter's error.
MotionCheck check_motion(const SceneConfig &cfg, uint64_t first, int frames, int bs) {
  SceneGenerator gen(cfg);
  MotionCheck mc;
  GuardedFrame prev = render(gen, first - 1);
  std::vector<BlockMotion> mv;
  const int w = cfg.width, h = cfg.height;
  const int cols = (w + bs - 1) / bs;
  for (uint64_t n = first; n < first + frames; ++n) {
    GuardedFrame cur = render(gen, n);
    gen.ground_truth(n, bs, mv);
    for (size_t b = 0; b < mv.size(); ++b) {
      ++mc.blocks;
      if (mv[b].flags & motion_flags::kOccluded) {
        ++mc.occluded;
        continue;
      }
      const int x0 = static_cast<int>(b % cols) * bs;
      const int y0 = static_cast<int>(b / cols) * bs;
      const int x1 = std::min(w, x0 + bs), y1 = std::min(h, y0 + bs);
      const bool integer = mv[b].mv_x % 4 == 0 && mv[b].mv_y % 4 == 0;
      (integer ? mc.integer_blocks : mc.fractional_blocks)++;
      bool mismatch = false;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
          const int p = predict_luma(prev, w, h, 4 * x - mv[b].mv_x, 4 * y - mv[b].mv_y);
          const int e = std::abs(p - cur.at(0, x, y));
          if (integer) {
            mismatch = mismatch || e != 0;
          } else {
            ++mc.fractional_pixels;
            mc.abs_error += e;
            mc.sq_error += e * e;
            mc.max_error = std::max(mc.max_error, e);
          }
        }
      mc.integer_mismatches += mismatch;
    }
    prev = std::move(cur);
  }
  return mc;
}

SceneConfig config(int w, int h, double pan_x, double pan_y, int objects, double speed = 2.0,
                   uint32_t seed = 1) {
  SceneConfig c;
  c.width = w;
  c.height = h;
  c.pan_x = pan_x;
  c.pan_y = pan_y;
  c.objects = objects;
  c.object_speed = speed;
  c.seed = seed;
  return c;
}

TEST(SceneGenerator, IntegerMotionIsBitExact) {
  for (const SceneConfig &c :
       {config(352, 288, 3, -2, 6, 3.0, 7), config(320, 200, 0, 0, 8, 4.0, 3),
        config(333, 190, -7, 5, 4, 2.0, 11)}) {
    for (int seed = 0; seed < 2; ++seed) {
      SceneConfig cc = c;
      cc.seed += seed;
      const MotionCheck mc = check_motion(cc, 1, 6, 16);
      EXPECT_EQ(mc.integer_mismatches, 0) << cc.width << "x" << cc.height << " pan " << cc.pan_x
                                          << "," << cc.pan_y << " seed " << cc.seed;
      EXPECT_GT(mc.integer_blocks, mc.blocks / 2);
    }
  }
}

TEST(SceneGenerator, FractionalMotionInterpolatesClosely) {
  for (const SceneConfig &c :
       {config(352, 288, 0.25, 0, 4), config(352, 288, 0.5, 0.75, 4),
        config(320, 240, -3.5, 1.25, 6, 3.0, 5), config(320, 240, 1.3, -0.6, 4, 2.0, 9)}) {
    const MotionCheck mc = check_motion(c, 1, 6, 16);
    SCOPED_TRACE(testing::Message() << "pan " << c.pan_x << "," << c.pan_y << " psnr " << mc.psnr()
                                    << " mean " << mc.mean_abs() << " max " << mc.max_error);
    EXPECT_EQ(mc.integer_mismatches, 0);
    EXPECT_GT(mc.fractional_blocks, mc.blocks / 4);
    // Rounding both frames alone gives ~54 dB and 0.25.
    EXPECT_GT(mc.psnr(), 45.0);
    EXPECT_LT(mc.mean_abs(), 0.5);
  }
}

TEST(SceneGenerator, FastObjectsBounceAndWrapWithExactTruth) {
  // At up to 40 px/frame in 320x240 objects reach the edges within frames.
  const MotionCheck mc = check_motion(config(320, 240, 1, -1, 16, 40.0, 13), 1, 12, 16);
  SCOPED_TRACE(testing::Message() << "psnr " << mc.psnr() << " mean " << mc.mean_abs());
  EXPECT_EQ(mc.integer_mismatches, 0);
  EXPECT_GT(mc.occluded, 0);
  EXPECT_GT(mc.psnr(), 45.0);
}

TEST(SceneGenerator, ChromaAndRgbMoveExactlyWithIntegerMotion) {
  // Luma motion of 2 pixels is 1 chroma pixel in 4:2:0.
  const SceneConfig c = config(256, 160, 2, -4, 0);
  SceneGenerator gen(c);
  std::vector<BlockMotion> mv;
  gen.ground_truth(3, 16, mv);
  ASSERT_FALSE(mv.empty());
  const int dx = mv[mv.size() / 2].mv_x / 4, dy = mv[mv.size() / 2].mv_y / 4;
  ASSERT_EQ(dx, 2);
  ASSERT_EQ(dy, -4);
  for (PixelFormat f : kFormats) {
    const GuardedFrame a = render(gen, 2, f), b = render(gen, 3, f);
    for (int p = 0; p < a.planes(); ++p) {
      const int sub = (f == PixelFormat::I420 || f == PixelFormat::NV12) && p > 0 ? 2 : 1;
      const int bpp = a.size(p).row_bytes / ((c.width + sub - 1) / sub);
      const int sx = dx / sub, sy = dy / sub;
      int mismatches = 0;
      for (int y = std::max(0, sy); y < a.size(p).rows + std::min(0, sy); ++y)
        for (int x = std::max(0, sx); x < (c.width + sub - 1) / sub + std::min(0, sx); ++x)
          for (int k = 0; k < bpp; ++k)
            mismatches += b.at(p, x * bpp + k, y) != a.at(p, (x - sx) * bpp + k, y - sy);
      EXPECT_EQ(mismatches, 0) << "format " << static_cast<int>(f) << " plane " << p;
    }
  }
}

TEST(SceneGenerator, StillSceneHasNoFlags) {
  const SceneConfig c = config(200, 120, 0, 0, 0);
  SceneGenerator gen(c);
  std::vector<BlockMotion> mv;
  for (uint64_t n = 1; n < 4; ++n) {
    gen.ground_truth(n, 8, mv);
    for (const BlockMotion &b : mv) {
      EXPECT_EQ(b.flags, 0);
      EXPECT_EQ(b.mv_x, 0);
      EXPECT_EQ(b.mv_y, 0);
    }
    EXPECT_TRUE(render(gen, n).same_pixels(render(gen, n - 1)));
  }
}

TEST(SceneGenerator, ContentEnteringAtEdgesIsOccluded) {
  // 328 wide: the last block column is 8 pixels.
  for (double pan_x : {5.0, -5.0, 2.5, -0.25}) {
    const SceneConfig c = config(328, 96, pan_x, 0, 0);
    SceneGenerator gen(c);
    std::vector<BlockMotion> mv;
    gen.ground_truth(4, 16, mv);
    const int cols = (c.width + 15) / 16;
    const int d4 = static_cast<int>(std::lround(4 * pan_x));
    for (size_t b = 0; b < mv.size(); ++b) {
      const int x0 = static_cast<int>(b % cols) * 16;
      const int x1 = std::min(c.width, x0 + 16) - 1;
      // Source columns, with 8-tap support when fractional.
      const bool frac = d4 % 4 != 0;
      const double s0 = std::floor((4.0 * x0 - d4) / 4) - (frac ? 3 : 0);
      const double s1 = std::floor((4.0 * x1 - d4) / 4) + (frac ? 4 : 0);
      const bool outside = s0 < 0 || s1 >= c.width;
      EXPECT_EQ((mv[b].flags & motion_flags::kOccluded) != 0, outside)
          << "pan " << pan_x << " block " << b;
      EXPECT_EQ(mv[b].mv_x, d4);
    }
  }
}

TEST(SceneGenerator, OcclusionFlagsSurroundMovingObjects) {
  // Still background: whatever changed between frames is object motion.
  const SceneConfig c = config(352, 288, 0, 0, 6, 3.0, 21);
  SceneGenerator gen(c);
  std::vector<BlockMotion> mv;
  const int bs = 16, cols = (c.width + bs - 1) / bs;
  int occluded = 0, moving = 0;
  GuardedFrame prev = render(gen, 0);
  for (uint64_t n = 1; n < 5; ++n) {
    GuardedFrame cur = render(gen, n);
    gen.ground_truth(n, bs, mv);
    for (size_t b = 0; b < mv.size(); ++b) {
      const int x0 = static_cast<int>(b % cols) * bs;
      const int y0 = static_cast<int>(b / cols) * bs;
      bool changed = false;
      for (int y = y0; y < std::min(c.height, y0 + bs); ++y)
        for (int x = x0; x < std::min(c.width, x0 + bs); ++x)
          changed = changed || cur.at(0, x, y) != prev.at(0, x, y);
      const bool occ = mv[b].flags & motion_flags::kOccluded;
      occluded += occ;
      moving += mv[b].mv_x != 0 || mv[b].mv_y != 0;
      // An occluded block is one where an object moved.
      if (occ) {
        EXPECT_TRUE(changed) << "frame " << n << " block " << b;
      }
      // Unchanged content needs no flag and no vector.
      if (!changed) {
        EXPECT_TRUE(!occ && mv[b].mv_x == 0 && mv[b].mv_y == 0) << "frame " << n << " block " << b;
      }
    }
    prev = std::move(cur);
  }
  EXPECT_GT(occluded, 0);
  EXPECT_GT(moving, 0);
  EXPECT_LT(occluded, static_cast<int>(mv.size()) * 4 / 2);
}

TEST(SceneGenerator, SceneCutsAtTheirFrames) {
  SceneConfig c = config(160, 96, 1.5, 0.5, 4);
  c.scene_cut_interval = 5;
  SceneGenerator gen(c);
  for (uint64_t n = 0; n < 16; ++n)
    EXPECT_EQ(gen.is_scene_cut(n), n % 5 == 0) << n;
  std::vector<BlockMotion> mv;
  for (uint64_t n : {0, 5, 10, 15}) {
    gen.ground_truth(n, 16, mv);
    for (const BlockMotion &b : mv)
      EXPECT_TRUE(b.flags == motion_flags::kSceneCut && b.mv_x == 0 && b.mv_y == 0);
  }
  gen.ground_truth(6, 16, mv);
  for (const BlockMotion &b : mv)
    EXPECT_FALSE(b.flags & motion_flags::kSceneCut);

  // A cut changes the picture; the next frame continues the new scene.
  const auto mean_abs_diff = [&](uint64_t a, uint64_t b) {
    const GuardedFrame fa = render(gen, a), fb = render(gen, b);
    double sum = 0;
    for (int y = 0; y < c.height; ++y)
      for (int x = 0; x < c.width; ++x)
        sum += std::abs(fa.at(0, x, y) - fb.at(0, x, y));
    return sum / (c.width * c.height);
  };
  EXPECT_GT(mean_abs_diff(4, 5), 4 * mean_abs_diff(5, 6));

  SceneConfig never = c;
  never.scene_cut_interval = 0;
  SceneGenerator g2(never);
  EXPECT_TRUE(g2.is_scene_cut(0));
  for (uint64_t n = 1; n < 200; ++n)
    ASSERT_FALSE(g2.is_scene_cut(n));
}

TEST(SceneGenerator, AllFormatsAndOddSizesStayInsidePlanes) {
  const int sizes[][2] = {{16, 16}, {17, 33}, {33, 17}, {31, 31}, {65, 47}, {100, 16}, {16, 90}};
  for (const auto &s : sizes) {
    SceneConfig c = config(s[0], s[1], 1.25, -0.75, 5, 3.0);
    c.scene_cut_interval = 3;
    SceneGenerator gen(c);
    for (uint64_t n : {0, 1, 4})
      for (PixelFormat f : kFormats)
        for (int padding : {0, 13}) {
          // Two fills: equal results prove every pixel was written.
          GuardedFrame a(f, s[0], s[1], padding, 0x00);
          GuardedFrame b(f, s[0], s[1], padding, 0xFF);
          gen.render(n, f, a.views());
          gen.render(n, f, b.views());
          EXPECT_TRUE(a.outside_untouched() && b.outside_untouched())
              << s[0] << "x" << s[1] << " format " << static_cast<int>(f);
          EXPECT_TRUE(a.same_pixels(b)) << s[0] << "x" << s[1] << " format " << static_cast<int>(f);
        }
    std::vector<BlockMotion> mv;
    for (int bs : {1, 4, 8, 16, 64, 256}) {
      gen.ground_truth(2, bs, mv);
      EXPECT_EQ(mv.size(), static_cast<size_t>((s[0] + bs - 1) / bs) * ((s[1] + bs - 1) / bs));
    }
  }
}

TEST(SceneGenerator, RenderingIsDeterministic) {
  SceneConfig c = config(192, 108, 0.75, 0.25, 8, 3.0, 42);
  c.scene_cut_interval = 4;
  SceneGenerator a(c), b(c);
  for (PixelFormat f : kFormats)
    for (uint64_t n : {0, 3, 9}) {
      const GuardedFrame fa = render(a, n, f);
      EXPECT_TRUE(fa.same_pixels(render(a, n, f)));
      EXPECT_TRUE(fa.same_pixels(render(b, n, f)));
    }
  SceneConfig other = c;
  other.seed = 43;
  SceneGenerator d(other);
  EXPECT_FALSE(render(a, 1).same_pixels(render(d, 1)));
}

TEST(SceneGenerator, RandomAccessMatchesSequential) {
  SceneConfig c = config(176, 144, -1.25, 0.5, 6, 2.5, 5);
  c.scene_cut_interval = 4;
  SceneGenerator seq(c), rnd(c);
  std::vector<GuardedFrame> frames;
  for (uint64_t n = 0; n < 8; ++n)
    frames.push_back(render(seq, n));
  for (uint64_t n : {5, 7, 2, 6, 0, 5})
    EXPECT_TRUE(render(rnd, n).same_pixels(frames[n])) << n;
  std::vector<BlockMotion> a, b;
  seq.ground_truth(6, 8, a);
  rnd.ground_truth(6, 8, b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(a[i].mv_x == b[i].mv_x && a[i].mv_y == b[i].mv_y && a[i].flags == b[i].flags);
}

TEST(SceneGenerator, ColourIsLimitedRangeAndNotGrey) {
  const SceneConfig c = config(320, 180, 0, 0, 6);
  SceneGenerator gen(c);
  const GuardedFrame f = render(gen, 0, PixelFormat::I420);
  double mean[3] = {}, sq[3] = {};
  for (int p = 0; p < 3; ++p) {
    const PlaneSize s = f.size(p);
    const int lo = 16, hi = p == 0 ? 235 : 240;
    for (int y = 0; y < s.rows; ++y)
      for (int x = 0; x < s.row_bytes; ++x) {
        const int v = f.at(p, x, y);
        ASSERT_TRUE(v >= lo && v <= hi) << "plane " << p;
        mean[p] += v;
        sq[p] += v * v;
      }
    const double n = static_cast<double>(s.rows) * s.row_bytes;
    mean[p] /= n;
    const double sd = std::sqrt(sq[p] / n - mean[p] * mean[p]);
    EXPECT_GT(sd, p == 0 ? 10.0 : 3.0) << "plane " << p;
  }
}

TEST(SceneGenerator, FormatsShowTheSameContent) {
  const SceneConfig c = config(97, 61, 0.5, -0.25, 5, 3.0, 3);
  SceneGenerator gen(c);
  const GuardedFrame i420 = render(gen, 2, PixelFormat::I420);
  const GuardedFrame nv12 = render(gen, 2, PixelFormat::NV12);
  const GuardedFrame y444 = render(gen, 2, PixelFormat::Y444);
  const GuardedFrame bgrx = render(gen, 2, PixelFormat::BGRx);
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width; ++x) {
      ASSERT_EQ(i420.at(0, x, y), nv12.at(0, x, y));
      ASSERT_EQ(i420.at(0, x, y), y444.at(0, x, y));
      // BT.601 limited range to RGB.
      const double yy = 1.164383 * (y444.at(0, x, y) - 16);
      const double u = y444.at(1, x, y) - 128, v = y444.at(2, x, y) - 128;
      const double rgb[3] = {yy + 2.017232 * u, yy - 0.391762 * u - 0.812968 * v,
                             yy + 1.596027 * v};
      for (int k = 0; k < 3; ++k)
        ASSERT_NEAR(bgrx.at(0, 4 * x + k, y), std::clamp(rgb[k], 0.0, 255.0), 1.0);
      ASSERT_EQ(bgrx.at(0, 4 * x + 3, y), 255);
    }
  for (int y = 0; y < (c.height + 1) / 2; ++y)
    for (int x = 0; x < (c.width + 1) / 2; ++x) {
      ASSERT_EQ(nv12.at(1, 2 * x, y), i420.at(1, x, y));
      ASSERT_EQ(nv12.at(1, 2 * x + 1, y), i420.at(2, x, y));
    }
}

TEST(SceneGenerator, TextureMemoryStaysBounded) {
  // 8K with a pan that visits every quarter-pel phase: the worst case.
  SceneConfig c = config(7680, 4320, 0.3, 0.7, 64, 8.0);
  SceneGenerator gen(c);
  gen.prepare(0, 32, PixelFormat::I420);
  EXPECT_LT(gen.texture_bytes(), size_t{64} << 20);
  EXPECT_GT(gen.texture_bytes(), size_t{1} << 20);
}

TEST(SceneGenerator, RejectsInvalidConfig) {
  const auto rejects = [](SceneConfig c) {
    EXPECT_THROW(SceneGenerator{c}, std::invalid_argument);
  };
  SceneConfig c;
  c.width = 15;
  rejects(c);
  c = {};
  c.height = 4321;
  rejects(c);
  c = {};
  c.objects = 65;
  rejects(c);
  c = {};
  c.pan_x = std::nan("");
  rejects(c);
  c = {};
  c.object_speed = -1;
  rejects(c);
  c = {};
  c.scene_cut_interval = -1;
  rejects(c);
  SceneGenerator gen(SceneConfig{});
  std::vector<BlockMotion> mv;
  EXPECT_THROW(gen.ground_truth(1, 0, mv), std::invalid_argument);
}

} // namespace
