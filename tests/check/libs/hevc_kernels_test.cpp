// Unit tests of the HEVC encoder's decoder-side kernels: transforms,
// (de)quantisation, intra prediction, deblocking and MD5. The fast kernels
// are checked against hand-computed values and against direct, unoptimised
// transcriptions of the H.265 formulas below.
#include "deblock.h"
#include "intra_pred.h"
#include "md5.h"
#include "picture_checksum.h"
#include "quant.h"
#include "transform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace quad::hevc {
namespace {

constexpr int kSizes[] = {4, 8, 16, 32};

int clip3(int lo, int hi, int v) {
  return std::min(hi, std::max(lo, v));
}

// ---------------------------------------------------------------------------
// Transforms

// H.265 8.6.4.2 as written: a matrix product per stage.
void reference_inverse(const int16_t *coeffs, int16_t *residual, int n, bool dst) {
  std::vector<int32_t> g(static_cast<size_t>(n * n));
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y) {
      int64_t e = 0;
      for (int j = 0; j < n; ++j)
        e += int64_t{transform_matrix_coefficient(n, j, y, dst)} * coeffs[j * n + x];
      g[y * n + x] = clip3(-32768, 32767, static_cast<int>((e + 64) >> 7));
    }
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      int64_t r = 0;
      for (int j = 0; j < n; ++j)
        r += int64_t{transform_matrix_coefficient(n, j, x, dst)} * g[y * n + j];
      residual[y * n + x] = static_cast<int16_t>((r + 2048) >> 12);
    }
}

void reference_forward(const int16_t *residual, int16_t *coeffs, int n, bool dst) {
  const int log2n = n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
  const int shift1 = log2n - 1;
  const int shift2 = log2n + 6;
  std::vector<int32_t> t(static_cast<size_t>(n * n));
  for (int y = 0; y < n; ++y)
    for (int k = 0; k < n; ++k) {
      int32_t s = 0;
      for (int i = 0; i < n; ++i)
        s += transform_matrix_coefficient(n, k, i, dst) * residual[y * n + i];
      t[y * n + k] = (s + (1 << (shift1 - 1))) >> shift1;
    }
  for (int k = 0; k < n; ++k)
    for (int x = 0; x < n; ++x) {
      int32_t s = 0;
      for (int i = 0; i < n; ++i)
        s += transform_matrix_coefficient(n, k, i, dst) * t[i * n + x];
      coeffs[k * n + x] =
          static_cast<int16_t>(clip3(-32768, 32767, (s + (1 << (shift2 - 1))) >> shift2));
    }
}

TEST(Transform, MatrixMatchesSpecRows) {
  // H.265 8.6.4.2 transMatrix: 4x4, 8x8 row 1 and 3, 32x32 row 1, DST.
  const int dct4[4][4] = {
      {64, 64, 64, 64}, {83, 36, -36, -83}, {64, -64, -64, 64}, {36, -83, 83, -36}};
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(transform_matrix_coefficient(4, k, i, false), dct4[k][i]);
  const int dct8_1[8] = {89, 75, 50, 18, -18, -50, -75, -89};
  const int dct8_3[8] = {75, -18, -89, -50, 50, 89, 18, -75};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(transform_matrix_coefficient(8, 1, i, false), dct8_1[i]);
    EXPECT_EQ(transform_matrix_coefficient(8, 3, i, false), dct8_3[i]);
  }
  const int dct16_1[16] = {90, 87, 80, 70, 57, 43, 25, 9, -9, -25, -43, -57, -70, -80, -87, -90};
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(transform_matrix_coefficient(16, 1, i, false), dct16_1[i]);
  const int dct32_1[32] = {90,  90,  88,  85,  82,  78,  73,  67,  61,  54,  46,
                           38,  31,  22,  13,  4,   -4,  -13, -22, -31, -38, -46,
                           -54, -61, -67, -73, -78, -82, -85, -88, -90, -90};
  const int dct32_31[32] = {4,  -13, 22, -31, 38, -46, 54, -61, 67, -73, 78, -82, 85, -88, 90, -90,
                            90, -90, 88, -85, 82, -78, 73, -67, 61, -54, 46, -38, 31, -22, 13, -4};
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(transform_matrix_coefficient(32, 1, i, false), dct32_1[i]);
    EXPECT_EQ(transform_matrix_coefficient(32, 31, i, false), dct32_31[i]);
  }
  const int dst[4][4] = {
      {29, 55, 74, 84}, {74, 74, 0, -74}, {84, -29, -74, 55}, {55, -84, 74, -29}};
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(transform_matrix_coefficient(4, k, i, true), dst[k][i]);
}

TEST(Transform, InverseMatchesSpecFormula) {
  std::mt19937 rng(1);
  for (int n : kSizes)
    for (int dst = 0; dst <= (n == 4 ? 1 : 0); ++dst)
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<int16_t> c(static_cast<size_t>(n * n), 0);
        const int mode = trial % 4;
        for (auto &v : c) {
          switch (mode) {
          case 0: // full range: exercises the 16-bit clip after stage 1
            v = static_cast<int16_t>(static_cast<int>(rng() % 65536) - 32768);
            break;
          case 1: // typical levels
            v = static_cast<int16_t>(static_cast<int>(rng() % 513) - 256);
            break;
          default: // sparse
            v = rng() % 8 == 0 ? static_cast<int16_t>(static_cast<int>(rng() % 2001) - 1000) : 0;
            break;
          }
        }
        if (mode == 3) { // low-frequency corner only
          for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
              if (x > trial % n || y > (trial / 3) % n)
                c[static_cast<size_t>(y * n + x)] = 0;
        }
        std::vector<int16_t> fast(static_cast<size_t>(n * n));
        std::vector<int16_t> ref(static_cast<size_t>(n * n));
        inverse_transform(c.data(), fast.data(), n, dst);
        reference_inverse(c.data(), ref.data(), n, dst);
        ASSERT_EQ(fast, ref) << "n=" << n << " dst=" << dst << " trial=" << trial;
      }
}

TEST(Transform, InverseDcOnlyAndZero) {
  for (int n : kSizes) {
    std::vector<int16_t> c(static_cast<size_t>(n * n), 0);
    std::vector<int16_t> r(static_cast<size_t>(n * n), 7);
    inverse_transform(c.data(), r.data(), n, false);
    for (int16_t v : r)
      EXPECT_EQ(v, 0);
    for (int dc : {1, -1, 64, -300, 32767, -32768}) {
      c[0] = static_cast<int16_t>(dc);
      std::vector<int16_t> ref(static_cast<size_t>(n * n));
      inverse_transform(c.data(), r.data(), n, false);
      reference_inverse(c.data(), ref.data(), n, false);
      EXPECT_EQ(r, ref) << "n=" << n << " dc=" << dc;
    }
  }
  // DC 64 of a 4x4 block: (64 * 64 + 64) >> 7 = 32, (64 * 32 + 2048) >> 12 = 1.
  int16_t c[16] = {64};
  int16_t r[16];
  inverse_transform(c, r, 4, false);
  for (int16_t v : r)
    EXPECT_EQ(v, 1);
}

TEST(Transform, ForwardMatchesMatrixProduct) {
  std::mt19937 rng(2);
  for (int n : kSizes)
    for (int dst = 0; dst <= (n == 4 ? 1 : 0); ++dst)
      for (int trial = 0; trial < 100; ++trial) {
        std::vector<int16_t> res(static_cast<size_t>(n * n));
        for (auto &v : res)
          v = static_cast<int16_t>(static_cast<int>(rng() % 511) - 255);
        std::vector<int16_t> fast(static_cast<size_t>(n * n));
        std::vector<int16_t> ref(static_cast<size_t>(n * n));
        forward_transform(res.data(), fast.data(), n, dst);
        reference_forward(res.data(), ref.data(), n, dst);
        ASSERT_EQ(fast, ref) << "n=" << n << " dst=" << dst;
      }
}

TEST(Transform, TransformSkip) {
  // 8.6.4.2: r = (d << 7 + 2048) >> 12 for 4x4.
  int16_t d[16];
  for (int i = 0; i < 16; ++i)
    d[i] = static_cast<int16_t>(i * 13 - 100);
  int16_t r[16];
  inverse_transform_skip(d, r, 4);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(r[i], (d[i] * 128 + 2048) >> 12);
  int16_t res[16];
  for (int i = 0; i < 16; ++i)
    res[i] = static_cast<int16_t>(i * 31 - 255);
  int16_t c[16];
  forward_transform_skip(res, c, 4);
  inverse_transform_skip(c, r, 4);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(r[i], res[i]);
}

TEST(Transform, RoundTripIsNearlyLossless) {
  // The integer basis is only nearly orthogonal: residuals of moderate
  // amplitude come back within 1, full-range noise within a few levels.
  std::mt19937 rng(3);
  for (int n : kSizes)
    for (int dst = 0; dst <= (n == 4 ? 1 : 0); ++dst)
      for (int amplitude : {60, 255}) {
        int worst = 0;
        double total = 0;
        for (int trial = 0; trial < 100; ++trial) {
          std::vector<int16_t> res(static_cast<size_t>(n * n));
          for (auto &v : res)
            v = static_cast<int16_t>(static_cast<int>(rng() % (2 * amplitude + 1)) - amplitude);
          std::vector<int16_t> c(static_cast<size_t>(n * n));
          std::vector<int16_t> back(static_cast<size_t>(n * n));
          forward_transform(res.data(), c.data(), n, dst);
          inverse_transform(c.data(), back.data(), n, dst);
          for (int i = 0; i < n * n; ++i) {
            const int e = std::abs(back[static_cast<size_t>(i)] - res[static_cast<size_t>(i)]);
            worst = std::max(worst, e);
            total += e;
          }
        }
        const double mean = total / (100.0 * n * n);
        EXPECT_LE(worst, amplitude == 60 ? 1 : 6)
            << "n=" << n << " dst=" << dst << " amplitude=" << amplitude;
        EXPECT_LT(mean, amplitude == 60 ? 0.1 : 1.0)
            << "n=" << n << " dst=" << dst << " amplitude=" << amplitude;
      }
}

// ---------------------------------------------------------------------------
// Quantisation

TEST(Quant, DequantizeFollowsScalingFormula) {
  // 8.6.3: (level * 16 * levelScale[qp % 6] << (qp / 6) + (1 << (bdShift -
  // 1))) >> bdShift, bdShift = 8 + log2(n) - 5.
  const int level_scale[6] = {40, 45, 51, 57, 64, 72};
  for (int n : kSizes) {
    const int bd_shift = (n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5) + 3;
    for (int qp = 0; qp <= 51; ++qp) {
      std::vector<int16_t> levels(static_cast<size_t>(n * n));
      for (int i = 0; i < n * n; ++i)
        levels[static_cast<size_t>(i)] = static_cast<int16_t>((i * 37) % 201 - 100);
      levels[0] = 32767;
      levels[1] = -32768;
      std::vector<int16_t> c(static_cast<size_t>(n * n));
      dequantize(levels.data(), c.data(), n, qp);
      for (int i = 0; i < n * n; ++i) {
        const int64_t v =
            ((int64_t{levels[static_cast<size_t>(i)]} * 16 * level_scale[qp % 6] << (qp / 6)) +
             (1 << (bd_shift - 1))) >>
            bd_shift;
        ASSERT_EQ(c[static_cast<size_t>(i)],
                  static_cast<int16_t>(std::clamp<int64_t>(v, -32768, 32767)))
            << "n=" << n << " qp=" << qp << " i=" << i;
      }
    }
  }
  // Worked value: level 1 at QP 22 (levelScale[4] = 64, << 3) in an 8x8
  // block (bdShift 6): (16 * 64 * 8 + 32) >> 6 = 128.
  int16_t level[64] = {1};
  int16_t coeff[64];
  dequantize(level, coeff, 8, 22);
  EXPECT_EQ(coeff[0], 128);
  EXPECT_EQ(coeff[1], 0);
}

TEST(Quant, QuantizeDeadzoneAndCount) {
  // QP 4 (scale 16384, qbits 14 + 0 + 7 - 3 = 18 for 8x8): one step is 16.
  std::vector<int16_t> c(64, 0);
  c[0] = 16 * 5;        // exactly 5 steps
  c[1] = -(16 * 3 + 5); // 3.31 steps: below the 1/3 offset rounds down
  c[2] = 16 * 2 + 11;   // 2.69 steps: rounds up with 1/3
  c[3] = 4;             // 0.25 step: dead zone
  std::vector<int16_t> levels(64);
  const int nz = quantize(c.data(), levels.data(), 8, 4, kQuantRoundingIntraQ10);
  EXPECT_EQ(levels[0], 5);
  EXPECT_EQ(levels[1], -3);
  EXPECT_EQ(levels[2], 3);
  EXPECT_EQ(levels[3], 0);
  EXPECT_EQ(nz, 3);
  // The inter offset (1/6) rounds 2.69 steps down.
  quantize(c.data(), levels.data(), 8, 4, kQuantRoundingInterQ10);
  EXPECT_EQ(levels[2], 2);
}

TEST(Quant, RoundTripIsWithinOneStep) {
  std::mt19937 rng(4);
  for (int n : kSizes)
    for (int qp : {0, 4, 12, 22, 27, 32, 37, 45, 51}) {
      std::vector<int16_t> c(static_cast<size_t>(n * n));
      for (auto &v : c)
        v = static_cast<int16_t>(static_cast<int>(rng() % 16001) - 8000);
      std::vector<int16_t> levels(c.size());
      std::vector<int16_t> back(c.size());
      quantize(c.data(), levels.data(), n, qp, 512); // plain rounding
      dequantize(levels.data(), back.data(), n, qp);
      // One quantisation step in coefficient units: the dequantised level 1
      // before rounding (8.6.3).
      const int level_scale[6] = {40, 45, 51, 57, 64, 72};
      const int log2n = n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
      const double step = 16.0 * level_scale[qp % 6] * (1 << (qp / 6)) / (1 << (log2n + 3));
      for (size_t i = 0; i < c.size(); ++i)
        ASSERT_LE(std::abs(back[i] - c[i]), step * 0.51 + 1)
            << "n=" << n << " qp=" << qp << " c=" << c[i];
    }
}

TEST(Quant, ClipsLargeValues) {
  std::vector<int16_t> c(16, 32767);
  c[1] = -32768;
  std::vector<int16_t> levels(16);
  EXPECT_EQ(quantize(c.data(), levels.data(), 4, 0, 1023), 16);
  for (int16_t v : levels)
    EXPECT_LE(std::abs(v), 32767);
  std::vector<int16_t> back(16);
  dequantize(levels.data(), back.data(), 4, 51);
  EXPECT_EQ(back[0], 32767);
  EXPECT_EQ(back[1], -32768);
}

// ---------------------------------------------------------------------------
// Intra prediction

// H.265 8.4.4.2 transcribed with p[x][y] indexing, x, y in -1..2n-1.
struct SpecRefs {
  int n;
  int p[65][65]; // p[x + 1][y + 1]; only row y == -1 and column x == -1 used
  int &at(int x, int y) { return p[x + 1][y + 1]; }
};

std::vector<uint8_t> reference_intra(const uint8_t *plane, ptrdiff_t stride, int x0, int y0, int n,
                                     int c_idx, int mode, const IntraAvailability &av,
                                     bool strong) {
  SpecRefs r{};
  r.n = n;
  bool avail[65][65] = {};
  auto is_avail = [&](int x, int y) -> bool & { return avail[x + 1][y + 1]; };
  for (int y = -1; y < 2 * n; ++y) {
    bool a;
    if (y == -1)
      a = av.top_left;
    else if (y < n)
      a = av.left;
    else
      a = av.left && y - n < av.below_left;
    is_avail(-1, y) = a;
    if (a)
      r.at(-1, y) = plane[(y0 + y) * stride + x0 - 1];
  }
  for (int x = 0; x < 2 * n; ++x) {
    const bool a = x < n ? av.top : av.top && x - n < av.above_right;
    is_avail(x, -1) = a;
    if (a)
      r.at(x, -1) = plane[(y0 - 1) * stride + x0 + x];
  }
  // 8.4.4.2.2
  bool any = false;
  for (int y = -1; y < 2 * n; ++y)
    any |= is_avail(-1, y);
  for (int x = 0; x < 2 * n; ++x)
    any |= is_avail(x, -1);
  if (!any) {
    for (int y = -1; y < 2 * n; ++y)
      r.at(-1, y) = 128;
    for (int x = 0; x < 2 * n; ++x)
      r.at(x, -1) = 128;
  } else {
    if (!is_avail(-1, 2 * n - 1)) {
      bool found = false;
      for (int y = 2 * n - 1; y >= -1 && !found; --y)
        if (is_avail(-1, y)) {
          r.at(-1, 2 * n - 1) = r.at(-1, y);
          found = true;
        }
      for (int x = 0; x < 2 * n && !found; ++x)
        if (is_avail(x, -1)) {
          r.at(-1, 2 * n - 1) = r.at(x, -1);
          found = true;
        }
    }
    for (int y = 2 * n - 2; y >= -1; --y)
      if (!is_avail(-1, y))
        r.at(-1, y) = r.at(-1, y + 1);
    for (int x = 0; x < 2 * n; ++x)
      if (!is_avail(x, -1))
        r.at(x, -1) = r.at(x - 1, -1);
  }
  // 8.4.4.2.3
  SpecRefs f = r;
  bool filter = false;
  if (c_idx == 0 && mode != 1 && n != 4) {
    const int dist = std::min(std::abs(mode - 26), std::abs(mode - 10));
    const int thres = n == 8 ? 7 : n == 16 ? 1 : 0;
    filter = dist > thres;
  }
  if (filter) {
    const bool bi = strong && n == 32 &&
                    std::abs(r.at(-1, -1) + r.at(2 * n - 1, -1) - 2 * r.at(n - 1, -1)) < 8 &&
                    std::abs(r.at(-1, -1) + r.at(-1, 2 * n - 1) - 2 * r.at(-1, n - 1)) < 8;
    if (bi) {
      for (int y = 0; y <= 62; ++y)
        f.at(-1, y) = ((63 - y) * r.at(-1, -1) + (y + 1) * r.at(-1, 63) + 32) >> 6;
      for (int x = 0; x <= 62; ++x)
        f.at(x, -1) = ((63 - x) * r.at(-1, -1) + (x + 1) * r.at(63, -1) + 32) >> 6;
    } else {
      f.at(-1, -1) = (r.at(-1, 0) + 2 * r.at(-1, -1) + r.at(0, -1) + 2) >> 2;
      for (int y = 0; y <= 2 * n - 2; ++y)
        f.at(-1, y) = (r.at(-1, y + 1) + 2 * r.at(-1, y) + r.at(-1, y - 1) + 2) >> 2;
      for (int x = 0; x <= 2 * n - 2; ++x)
        f.at(x, -1) = (r.at(x - 1, -1) + 2 * r.at(x, -1) + r.at(x + 1, -1) + 2) >> 2;
    }
  }
  SpecRefs &p = filter ? f : r;
  std::vector<uint8_t> pred(static_cast<size_t>(n * n));
  auto set = [&](int x, int y, int v) {
    pred[static_cast<size_t>(y * n + x)] = static_cast<uint8_t>(v);
  };
  const int log2n = n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
  if (mode == 0) {
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        set(x, y,
            ((n - 1 - x) * p.at(-1, y) + (x + 1) * p.at(n, -1) + (n - 1 - y) * p.at(x, -1) +
             (y + 1) * p.at(-1, n) + n) >>
                (log2n + 1));
    return pred;
  }
  if (mode == 1) {
    int s = n;
    for (int i = 0; i < n; ++i)
      s += p.at(i, -1) + p.at(-1, i);
    const int dc = s >> (log2n + 1);
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        set(x, y, dc);
    if (c_idx == 0 && n < 32) {
      set(0, 0, (p.at(-1, 0) + 2 * dc + p.at(0, -1) + 2) >> 2);
      for (int x = 1; x < n; ++x)
        set(x, 0, (p.at(x, -1) + 3 * dc + 2) >> 2);
      for (int y = 1; y < n; ++y)
        set(0, y, (p.at(-1, y) + 3 * dc + 2) >> 2);
    }
    return pred;
  }
  const int angles[35] = {0,  0,  32,  26,  21,  17,  13,  9,   5,   2,   0,   -2,
                          -5, -9, -13, -17, -21, -26, -32, -26, -21, -17, -13, -9,
                          -5, -2, 0,   2,   5,   9,   13,  17,  21,  26,  32};
  const int inv_angles[35] = {0,    0,    0,     0,     0,    0,    0,     0,     0,
                              0,    0,    -4096, -1638, -910, -630, -482,  -390,  -315,
                              -256, -315, -390,  -482,  -630, -910, -1638, -4096, 0,
                              0,    0,    0,     0,     0,    0,    0,     0};
  const int angle = angles[mode];
  int ref_store[200];
  int *ref = ref_store + 100;
  if (mode >= 18) {
    for (int x = 0; x <= n; ++x)
      ref[x] = p.at(-1 + x, -1);
    if (angle < 0) {
      if (((n * angle) >> 5) < -1)
        for (int x = (n * angle) >> 5; x <= -1; ++x)
          ref[x] = p.at(-1, -1 + ((x * inv_angles[mode] + 128) >> 8));
    } else {
      for (int x = n + 1; x <= 2 * n; ++x)
        ref[x] = p.at(-1 + x, -1);
    }
    for (int y = 0; y < n; ++y) {
      const int idx = ((y + 1) * angle) >> 5;
      const int fact = ((y + 1) * angle) & 31;
      for (int x = 0; x < n; ++x)
        set(x, y,
            fact ? ((32 - fact) * ref[x + idx + 1] + fact * ref[x + idx + 2] + 16) >> 5
                 : ref[x + idx + 1]);
    }
    if (mode == 26 && c_idx == 0 && n < 32)
      for (int y = 0; y < n; ++y)
        set(0, y, clip3(0, 255, p.at(0, -1) + ((p.at(-1, y) - p.at(-1, -1)) >> 1)));
  } else {
    for (int x = 0; x <= n; ++x)
      ref[x] = p.at(-1, -1 + x);
    if (angle < 0) {
      if (((n * angle) >> 5) < -1)
        for (int x = (n * angle) >> 5; x <= -1; ++x)
          ref[x] = p.at(-1 + ((x * inv_angles[mode] + 128) >> 8), -1);
    } else {
      for (int x = n + 1; x <= 2 * n; ++x)
        ref[x] = p.at(-1, -1 + x);
    }
    for (int x = 0; x < n; ++x) {
      const int idx = ((x + 1) * angle) >> 5;
      const int fact = ((x + 1) * angle) & 31;
      for (int y = 0; y < n; ++y)
        set(x, y,
            fact ? ((32 - fact) * ref[y + idx + 1] + fact * ref[y + idx + 2] + 16) >> 5
                 : ref[y + idx + 1]);
    }
    if (mode == 10 && c_idx == 0 && n < 32)
      for (int x = 0; x < n; ++x)
        set(x, 0, clip3(0, 255, p.at(-1, 0) + ((p.at(x, -1) - p.at(-1, -1)) >> 1)));
  }
  return pred;
}

// A plane with room for a block at (64, 64) and all its neighbours.
struct TestPlane {
  static constexpr int kStride = 160;
  std::vector<uint8_t> data = std::vector<uint8_t>(kStride * 160, 0);
  uint8_t *at(int x, int y) { return data.data() + y * kStride + x; }
};

constexpr IntraAvailability all_available(int n) {
  return {n, true, true, true, n};
}

std::vector<uint8_t> predict(TestPlane &plane, int n, int c_idx, int mode,
                             const IntraAvailability &av, bool strong = false) {
  std::vector<uint8_t> pred(static_cast<size_t>(n * n));
  predict_intra(plane.data.data(), TestPlane::kStride, 64, 64, n, c_idx, mode, av, strong,
                pred.data());
  return pred;
}

TEST(IntraPred, DcOfConstantNeighbours) {
  for (int n : kSizes) {
    TestPlane plane;
    std::fill(plane.data.begin(), plane.data.end(), uint8_t{77});
    for (int c_idx : {0, 1})
      for (int v : predict(plane, n, c_idx, kIntraDc, all_available(n)))
        EXPECT_EQ(v, 77);
  }
}

TEST(IntraPred, DcEdgeFilterValues) {
  // Top row 100, left column 50: dcVal = (8 * 100 + 8 * 50 + 8) >> 4 = 75.
  TestPlane plane;
  for (int i = -1; i < 16; ++i) {
    *plane.at(64 + i, 63) = 100;
    *plane.at(63, 64 + i) = 50;
  }
  const auto luma = predict(plane, 8, 0, kIntraDc, all_available(8));
  EXPECT_EQ(luma[0], (50 + 2 * 75 + 100 + 2) >> 2); // 75
  EXPECT_EQ(luma[1], (100 + 3 * 75 + 2) >> 2);      // 81
  EXPECT_EQ(luma[8], (50 + 3 * 75 + 2) >> 2);       // 69
  EXPECT_EQ(luma[9], 75);
  const auto chroma = predict(plane, 8, 1, kIntraDc, all_available(8));
  for (int v : chroma)
    EXPECT_EQ(v, 75);
}

TEST(IntraPred, HorizontalAndVerticalWithBoundaryFilter) {
  TestPlane plane;
  *plane.at(63, 63) = 100; // corner
  for (int i = 0; i < 8; ++i) {
    *plane.at(64 + i, 63) = static_cast<uint8_t>(110 + 10 * i); // top
    *plane.at(63, 64 + i) = static_cast<uint8_t>(90 - 10 * i);  // left
  }
  const auto v = predict(plane, 4, 0, kIntraAngularVertical, all_available(4));
  for (int y = 0; y < 4; ++y) {
    // First column: p[0][-1] + ((p[-1][y] - p[-1][-1]) >> 1).
    EXPECT_EQ(v[static_cast<size_t>(y * 4)], 110 + ((90 - 10 * y - 100) >> 1));
    for (int x = 1; x < 4; ++x)
      EXPECT_EQ(v[static_cast<size_t>(y * 4 + x)], 110 + 10 * x);
  }
  EXPECT_EQ(v[0], 105);
  EXPECT_EQ(v[12], 90); // 110 + (-40 >> 1)
  const auto h = predict(plane, 4, 0, kIntraAngularHorizontal, all_available(4));
  for (int x = 0; x < 4; ++x)
    EXPECT_EQ(h[static_cast<size_t>(x)], 90 + ((110 + 10 * x - 100) >> 1));
  for (int y = 1; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      EXPECT_EQ(h[static_cast<size_t>(y * 4 + x)], 90 - 10 * y);
  // Chroma and 32x32 luma: plain copies.
  const auto vc = predict(plane, 4, 2, kIntraAngularVertical, all_available(4));
  for (int y = 0; y < 4; ++y)
    EXPECT_EQ(vc[static_cast<size_t>(y * 4)], 110);
}

TEST(IntraPred, BoundaryFilterClips) {
  TestPlane plane;
  *plane.at(63, 63) = 0;
  for (int i = 0; i < 8; ++i) {
    *plane.at(64 + i, 63) = 250;
    *plane.at(63, 64 + i) = 255;
  }
  const auto v = predict(plane, 4, 0, kIntraAngularVertical, all_available(4));
  EXPECT_EQ(v[0], 255); // 250 + 127 clipped
}

TEST(IntraPred, PlanarOnGradient) {
  // Neighbours of a linear ramp s(x, y) = 10 + 4x + 2y: planar reproduces a
  // bilinear surface; check two hand-computed samples of the 4x4 block.
  TestPlane plane;
  for (int i = -1; i < 8; ++i) {
    *plane.at(64 + i, 63) = static_cast<uint8_t>(10 + 4 * i - 2);
    *plane.at(63, 64 + i) = static_cast<uint8_t>(10 - 4 + 2 * i);
  }
  const auto pred = predict(plane, 4, 0, kIntraPlanar, all_available(4));
  // (x, y) = (0, 0): (3 * p[-1][0] + 1 * p[4][-1] + 3 * p[0][-1] + 1 * p[-1][4] + 4) >> 3
  EXPECT_EQ(pred[0], (3 * 6 + 24 + 3 * 8 + 14 + 4) >> 3);
  // (3, 3): (0 * p[-1][3] + 4 * p[4][-1] + 0 * p[3][-1] + 4 * p[-1][4] + 4) >> 3
  EXPECT_EQ(pred[15], (4 * 24 + 4 * 14 + 4) >> 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 1; x < 4; ++x)
      EXPECT_GE(pred[static_cast<size_t>(y * 4 + x)], pred[static_cast<size_t>(y * 4 + x - 1)]);
}

TEST(IntraPred, DiagonalModes) {
  TestPlane plane;
  for (int i = 0; i < 8; ++i) {
    *plane.at(64 + i, 63) = static_cast<uint8_t>(100 + i);
    *plane.at(63, 64 + i) = static_cast<uint8_t>(50 + i);
  }
  *plane.at(63, 63) = 75;
  // Mode 2 (down-left): pred[x][y] = p[-1][x + y + 1].
  const auto m2 = predict(plane, 4, 0, 2, all_available(4));
  // Mode 34 (up-right): pred[x][y] = p[x + y + 1][-1].
  const auto m34 = predict(plane, 4, 0, 34, all_available(4));
  // Mode 18 (down-right): p[x - y - 1][-1] above the diagonal, the corner
  // on it, p[-1][y - x - 1] below it.
  const auto m18 = predict(plane, 4, 0, 18, all_available(4));
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) {
      const size_t i = static_cast<size_t>(y * 4 + x);
      EXPECT_EQ(m2[i], 50 + x + y + 1);
      EXPECT_EQ(m34[i], 100 + x + y + 1);
      EXPECT_EQ(m18[i], x > y ? 100 + x - y - 1 : x == y ? 75 : 50 + y - x - 1);
    }
  // Without below-left samples, mode 2 on the last row and column repeats
  // p[-1][n - 1].
  IntraAvailability no_below = all_available(4);
  no_below.below_left = 0;
  const auto m2b = predict(plane, 4, 0, 2, no_below);
  EXPECT_EQ(m2b[15], 53);
  EXPECT_EQ(m2b[3], 53);
  EXPECT_EQ(m2b[0], 51);
}

TEST(IntraPred, NothingAvailableGives128) {
  TestPlane plane;
  std::fill(plane.data.begin(), plane.data.end(), uint8_t{9});
  const IntraAvailability none{0, false, false, false, 0};
  for (int n : kSizes)
    for (int mode = 0; mode < 35; ++mode)
      for (int v : predict(plane, n, 0, mode, none, true))
        ASSERT_EQ(v, 128) << "n=" << n << " mode=" << mode;
}

TEST(IntraPred, SubstitutionFromTopOnly) {
  // Only the top row: the left column and corner repeat p[0][-1], and the
  // missing above-right samples repeat p[n-1][-1].
  TestPlane plane;
  for (int i = 0; i < 8; ++i)
    *plane.at(64 + i, 63) = static_cast<uint8_t>(20 + i);
  const IntraAvailability top_only{0, false, false, true, 0};
  IntraReferences refs;
  build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, 4, 0, top_only, false,
                         refs);
  for (int i = 0; i <= 8; ++i)
    EXPECT_EQ(refs.unfiltered[static_cast<size_t>(i)], 20); // left, corner
  for (int x = 0; x < 4; ++x)
    EXPECT_EQ(refs.unfiltered[static_cast<size_t>(9 + x)], 20 + x);
  for (int x = 4; x < 8; ++x)
    EXPECT_EQ(refs.unfiltered[static_cast<size_t>(9 + x)], 23);
}

TEST(IntraPred, StrongSmoothingTrigger) {
  // Linear edges satisfy biIntFlag: the filtered references interpolate the
  // corners; a bump in the top row disables it.
  TestPlane plane;
  *plane.at(63, 63) = 100;
  for (int i = 0; i < 64; ++i) {
    *plane.at(64 + i, 63) = static_cast<uint8_t>(100 + (i + 1) / 2);
    *plane.at(63, 64 + i) = static_cast<uint8_t>(100 - (i + 1) / 4);
  }
  const IntraAvailability all = all_available(32);
  IntraReferences refs;
  build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, 32, 0, all, true, refs);
  const int corner = 100, right = 100 + 32, bottom = 100 - 16;
  for (int x = 0; x < 63; ++x)
    EXPECT_EQ(refs.filtered[static_cast<size_t>(65 + x)],
              ((63 - x) * corner + (x + 1) * right + 32) >> 6);
  for (int y = 0; y < 63; ++y)
    EXPECT_EQ(refs.filtered[static_cast<size_t>(63 - y)],
              ((63 - y) * corner + (y + 1) * bottom + 32) >> 6);

  IntraReferences plain;
  build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, 32, 0, all, false, plain);
  EXPECT_NE(refs.filtered, plain.filtered);
  *plane.at(64 + 31, 63) = 160; // |100 + 132 - 2 * 160| >= 8
  IntraReferences bumped;
  build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, 32, 0, all, true, bumped);
  IntraReferences bumped_plain;
  build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, 32, 0, all, false,
                         bumped_plain);
  EXPECT_EQ(bumped.filtered, bumped_plain.filtered);
}

TEST(IntraPred, FilterFlagRule) {
  EXPECT_FALSE(intra_uses_filtered_references(4, 0, 0));
  EXPECT_TRUE(intra_uses_filtered_references(8, 0, 0));
  EXPECT_FALSE(intra_uses_filtered_references(32, 0, 1));
  EXPECT_TRUE(intra_uses_filtered_references(8, 0, 2));
  EXPECT_FALSE(intra_uses_filtered_references(8, 0, 3));
  EXPECT_TRUE(intra_uses_filtered_references(8, 0, 34));
  EXPECT_FALSE(intra_uses_filtered_references(16, 0, 11));
  EXPECT_TRUE(intra_uses_filtered_references(16, 0, 12));
  EXPECT_FALSE(intra_uses_filtered_references(32, 0, 10));
  EXPECT_TRUE(intra_uses_filtered_references(32, 0, 11));
  EXPECT_FALSE(intra_uses_filtered_references(32, 1, 2));
}

TEST(IntraPred, MatchesSpecTranscriptionOnRandomInput) {
  std::mt19937 rng(5);
  TestPlane plane;
  for (int trial = 0; trial < 300; ++trial) {
    const bool smooth = trial % 3 == 0;
    for (auto &v : plane.data)
      v = smooth ? static_cast<uint8_t>(120 + rng() % 3) : static_cast<uint8_t>(rng() % 256);
    for (int n : kSizes) {
      IntraAvailability av;
      av.left = rng() % 4 != 0;
      av.top = rng() % 4 != 0;
      av.top_left = rng() % 4 != 0;
      av.below_left = av.left ? static_cast<int>(rng() % (n + 1)) : 0;
      av.above_right = av.top ? static_cast<int>(rng() % (n + 1)) : 0;
      if (trial % 5 == 0)
        av.below_left = av.above_right = n;
      const int c_idx = static_cast<int>(rng() % 3);
      const bool strong = rng() % 2 != 0;
      IntraReferences refs;
      build_intra_references(plane.data.data(), TestPlane::kStride, 64, 64, n, c_idx, av, strong,
                             refs);
      for (int mode = 0; mode < 35; ++mode) {
        std::vector<uint8_t> pred(static_cast<size_t>(n * n));
        predict_intra(refs, mode, pred.data());
        const auto ref = reference_intra(plane.data.data(), TestPlane::kStride, 64, 64, n, c_idx,
                                         mode, av, strong);
        ASSERT_EQ(pred, ref) << "trial=" << trial << " n=" << n << " c_idx=" << c_idx
                             << " mode=" << mode;
      }
    }
  }
}

TEST(IntraPred, ChromaModeDerivation) {
  EXPECT_EQ(chroma_intra_mode(0, 5), 0);
  EXPECT_EQ(chroma_intra_mode(0, 0), 34);
  EXPECT_EQ(chroma_intra_mode(1, 5), 26);
  EXPECT_EQ(chroma_intra_mode(1, 26), 34);
  EXPECT_EQ(chroma_intra_mode(2, 5), 10);
  EXPECT_EQ(chroma_intra_mode(2, 10), 34);
  EXPECT_EQ(chroma_intra_mode(3, 5), 1);
  EXPECT_EQ(chroma_intra_mode(3, 1), 34);
  for (int m = 0; m < 35; ++m)
    EXPECT_EQ(chroma_intra_mode(4, m), m);
}

// ---------------------------------------------------------------------------
// Deblocking

struct TestPicture {
  int width, height;
  std::vector<uint8_t> y, cb, cr;
  DeblockMap map;
  TestPicture(int w, int h)
      : width(w), height(h), y(static_cast<size_t>(w * h)), cb(static_cast<size_t>(w * h / 4)),
        cr(static_cast<size_t>(w * h / 4)) {
    map.width4 = w / 4;
    map.height4 = h / 4;
    const size_t blocks = static_cast<size_t>(map.width4 * map.height4);
    map.bs_left.assign(blocks, 0);
    map.bs_top.assign(blocks, 0);
    map.qp_y.assign(blocks, 0);
    map.bypass.assign(blocks, 0);
  }
  void run(const DeblockParams &params = {}) {
    uint8_t *planes[3] = {y.data(), cb.data(), cr.data()};
    const ptrdiff_t strides[3] = {width, width / 2, width / 2};
    deblock_picture(planes, strides, width, height, map, params);
  }
  // A vertical step: columns < x_edge hold a, the rest b, in every plane.
  void vertical_step(int x_edge, uint8_t a, uint8_t b) {
    for (int r = 0; r < height; ++r)
      for (int c = 0; c < width; ++c)
        y[static_cast<size_t>(r * width + c)] = c < x_edge ? a : b;
    for (int r = 0; r < height / 2; ++r)
      for (int c = 0; c < width / 2; ++c) {
        cb[static_cast<size_t>(r * width / 2 + c)] = c < x_edge / 2 ? a : b;
        cr[static_cast<size_t>(r * width / 2 + c)] = c < x_edge / 2 ? a : b;
      }
  }
  void set_vertical_edge(int x_edge, uint8_t bs) {
    for (int by = 0; by < map.height4; ++by)
      map.bs_left[static_cast<size_t>(by * map.width4 + x_edge / 4)] = bs;
  }
  // Random chroma samples, and random bS on the 8x8 grid and QpY.
  void random_chroma_and_edges(std::mt19937 &rng) {
    for (auto &v : cb)
      v = static_cast<uint8_t>(100 + rng() % 40);
    for (auto &v : cr)
      v = static_cast<uint8_t>(90 + rng() % 40);
    for (int by = 0; by < map.height4; ++by)
      for (int bx = 0; bx < map.width4; ++bx) {
        const size_t i = static_cast<size_t>(by * map.width4 + bx);
        if (bx % 2 == 0 && bx > 0)
          map.bs_left[i] = static_cast<uint8_t>(rng() % 3);
        if (by % 2 == 0 && by > 0)
          map.bs_top[i] = static_cast<uint8_t>(rng() % 3);
        map.qp_y[i] = static_cast<int8_t>(25 + rng() % 27);
      }
  }
  uint8_t luma(int x, int r) const { return y[static_cast<size_t>(r * width + x)]; }
  uint8_t chroma(int x, int r) const { return cb[static_cast<size_t>(r * width / 2 + x)]; }
};

TEST(Deblock, FlatStepStrongFilterAtHighQp) {
  TestPicture pic(32, 16);
  pic.vertical_step(16, 100, 110);
  pic.set_vertical_edge(16, 2);
  std::fill(pic.map.qp_y.begin(), pic.map.qp_y.end(), int8_t{37});
  pic.run();
  // QP 37: beta = 36, tC = tC'(37 + 2) = 5. Flat sides make dE = 2:
  // p0' = (p2 + 2p1 + 2p0 + 2q0 + q1 + 4) >> 3 = (100+200+200+220+110+4)>>3.
  for (int r = 0; r < 16; ++r) {
    EXPECT_EQ(pic.luma(13, r), (7 * 100 + 110 + 4) >> 3);     // p2: 101
    EXPECT_EQ(pic.luma(14, r), (3 * 100 + 110 + 2) >> 2);     // p1: 103
    EXPECT_EQ(pic.luma(15, r), (5 * 100 + 3 * 110 + 4) >> 3); // p0: 104
    EXPECT_EQ(pic.luma(16, r), (3 * 100 + 5 * 110 + 4) >> 3); // q0: 106
    EXPECT_EQ(pic.luma(17, r), (100 + 3 * 110 + 2) >> 2);     // q1: 108
    EXPECT_EQ(pic.luma(18, r), (100 + 7 * 110 + 4) >> 3);     // q2: 109
    EXPECT_EQ(pic.luma(12, r), 100);
    EXPECT_EQ(pic.luma(19, r), 110);
  }
  // Chroma edge at luma x = 16 is on the chroma 8x8 grid: p0/q0 move by
  // delta = ((10 << 2) + p1 - q1 + 4) >> 3 = 4 (tC'(QpC(37) + 2) = 4).
  for (int r = 0; r < 8; ++r) {
    EXPECT_EQ(pic.chroma(7, r), 100 + 4);
    EXPECT_EQ(pic.chroma(8, r), 110 - 4);
    EXPECT_EQ(pic.chroma(6, r), 100);
  }
}

TEST(Deblock, UntouchedAtQpZeroOrBsZero) {
  TestPicture pic(32, 16);
  pic.vertical_step(16, 100, 110);
  pic.set_vertical_edge(16, 2);
  const auto y0 = pic.y, cb0 = pic.cb;
  pic.run(); // QP 0
  EXPECT_EQ(pic.y, y0);
  EXPECT_EQ(pic.cb, cb0);

  TestPicture pic2(32, 16);
  pic2.vertical_step(16, 100, 110);
  std::fill(pic2.map.qp_y.begin(), pic2.map.qp_y.end(), int8_t{51});
  pic2.run(); // bS 0 everywhere
  EXPECT_EQ(pic2.y, y0);
  EXPECT_EQ(pic2.cb, cb0);
}

TEST(Deblock, NormalFilterValues) {
  // A ramp across the edge defeats the strong decision; check the normal
  // filter against the 8.7.2.5.7 formulas by hand.
  TestPicture pic(16, 8);
  const uint8_t row[16] = {60, 60, 60, 60, 61, 62, 64, 66, 80, 81, 82, 83, 84, 84, 84, 84};
  for (int r = 0; r < 8; ++r)
    std::memcpy(pic.y.data() + r * 16, row, 16);
  pic.set_vertical_edge(8, 1);
  std::fill(pic.map.qp_y.begin(), pic.map.qp_y.end(), int8_t{40});
  pic.run();
  // QP 40: beta = 42, tC = tC'(40) = 6 (bS 1).
  // dp = 2 * |62 - 128 + 66| = 0, dq = 2 * |82 - 162 + 80| = 0, d = 0 < 42.
  // dSam: |p3 - p0| + |q0 - q3| = 5 + 3 = 8 >= 42 >> 3 = 5: normal filter.
  // delta = (9 * (80 - 66) - 3 * (81 - 64) + 8) >> 4 = (126 - 51 + 8) >> 4 = 5.
  // dEp = dEq = 1 (0 < (42 + 21) >> 3 = 7).
  // delta_p = clip(+-3, (((62 + 66 + 1) >> 1) - 64 + 5) >> 1) = 2.
  // delta_q = clip(+-3, (((82 + 80 + 1) >> 1) - 81 - 5) >> 1) = -3.
  for (int r = 0; r < 8; ++r) {
    EXPECT_EQ(pic.luma(7, r), 66 + 5);
    EXPECT_EQ(pic.luma(8, r), 80 - 5);
    EXPECT_EQ(pic.luma(6, r), 64 + 2);
    EXPECT_EQ(pic.luma(9, r), 81 - 3);
    EXPECT_EQ(pic.luma(5, r), 62);
    EXPECT_EQ(pic.luma(10, r), 82);
  }
}

TEST(Deblock, ChromaOnlyOnSixteenSampleGridAndBsTwo) {
  TestPicture pic(32, 16);
  pic.vertical_step(8, 100, 120);
  pic.set_vertical_edge(8, 2);
  std::fill(pic.map.qp_y.begin(), pic.map.qp_y.end(), int8_t{45});
  const auto cb0 = pic.cb;
  pic.run();
  EXPECT_EQ(pic.cb, cb0); // chroma x = 4: not on the chroma 8x8 grid
  EXPECT_NE(pic.luma(7, 0), 100);

  TestPicture pic2(32, 16);
  pic2.vertical_step(16, 100, 120);
  pic2.set_vertical_edge(16, 1);
  std::fill(pic2.map.qp_y.begin(), pic2.map.qp_y.end(), int8_t{45});
  const auto cb2 = pic2.cb;
  pic2.run();
  EXPECT_EQ(pic2.cb, cb2); // bS 1: luma only
  EXPECT_NE(pic2.luma(15, 0), 100);
}

TEST(Deblock, BypassKeepsSamples) {
  TestPicture pic(32, 16);
  pic.vertical_step(16, 100, 110);
  pic.set_vertical_edge(16, 2);
  std::fill(pic.map.qp_y.begin(), pic.map.qp_y.end(), int8_t{37});
  for (int by = 0; by < pic.map.height4; ++by)
    pic.map.bypass[static_cast<size_t>(by * pic.map.width4 + 3)] = 1; // P side
  pic.run();
  for (int r = 0; r < 16; ++r) {
    EXPECT_EQ(pic.luma(15, r), 100);
    EXPECT_EQ(pic.luma(16, r), (3 * 100 + 5 * 110 + 4) >> 3);
  }
  EXPECT_EQ(pic.chroma(7, 0), 100);
  EXPECT_EQ(pic.chroma(8, 0), 106);
}

TEST(Deblock, ChromaHorizontalEdgeOnSixteenSampleGrid) {
  TestPicture pic(32, 32);
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c)
      pic.y[static_cast<size_t>(r * 32 + c)] = r < 16 ? 100 : 110;
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c)
      pic.cb[static_cast<size_t>(r * 16 + c)] = r < 8 ? 100 : 110;
  for (int bx = 0; bx < pic.map.width4; ++bx) {
    pic.map.bs_top[static_cast<size_t>(4 * pic.map.width4 + bx)] = 2; // y = 16
    pic.map.bs_top[static_cast<size_t>(2 * pic.map.width4 + bx)] = 2; // y = 8
  }
  std::fill(pic.map.qp_y.begin(), pic.map.qp_y.end(), int8_t{37});
  pic.run();
  for (int c = 0; c < 16; ++c) {
    EXPECT_EQ(pic.chroma(c, 7), 104);
    EXPECT_EQ(pic.chroma(c, 8), 106);
    EXPECT_EQ(pic.chroma(c, 3), 100); // chroma y = 4 (luma 8): not filtered
  }
  for (int c = 0; c < 32; ++c) {
    EXPECT_EQ(pic.luma(c, 15), 104);
    EXPECT_EQ(pic.luma(c, 16), 106);
  }
}

TEST(Deblock, VerticalEdgesOfWholePictureBeforeHorizontal) {
  // Filtering with both maps equals filtering the vertical edges alone and
  // then the horizontal edges alone on the result.
  std::mt19937 rng(6);
  for (int trial = 0; trial < 20; ++trial) {
    TestPicture pic(64, 48);
    for (int r = 0; r < 48; ++r)
      for (int c = 0; c < 64; ++c)
        pic.y[static_cast<size_t>(r * 64 + c)] =
            static_cast<uint8_t>(60 + (c / 8) * 7 + (r / 8) * 5 + static_cast<int>(rng() % 5));
    pic.random_chroma_and_edges(rng);
    DeblockParams params;
    params.beta_offset_div2 = static_cast<int>(rng() % 13) - 6;
    params.tc_offset_div2 = static_cast<int>(rng() % 13) - 6;
    params.cb_qp_offset = static_cast<int>(rng() % 25) - 12;
    params.cr_qp_offset = static_cast<int>(rng() % 25) - 12;

    TestPicture staged = pic;
    const auto bs_top = staged.map.bs_top;
    std::fill(staged.map.bs_top.begin(), staged.map.bs_top.end(), uint8_t{0});
    staged.run(params);
    staged.map.bs_top = bs_top;
    std::fill(staged.map.bs_left.begin(), staged.map.bs_left.end(), uint8_t{0});
    staged.run(params);

    const auto before = pic.y;
    pic.run(params);
    EXPECT_NE(pic.y, before);
    EXPECT_EQ(pic.y, staged.y);
    EXPECT_EQ(pic.cb, staged.cb);
    EXPECT_EQ(pic.cr, staged.cr);
  }
}

TEST(Deblock, BandsInAnyOrderKeepingTheirDependencies) {
  // Bands of 16 rows as the wavefront finishes them: every band's vertical
  // pass in reverse order, then the horizontal passes bottom up (each
  // after the vertical pass of its band and the band above, as the encoder
  // orders them), equal to deblock_picture(). Bypass blocks in some bands.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    TestPicture pic(64, 80);
    for (auto &v : pic.y)
      v = static_cast<uint8_t>(80 + rng() % 60);
    pic.random_chroma_and_edges(rng);
    for (int by = 8; by < 12; ++by)
      for (int bx = 0; bx < pic.map.width4; ++bx)
        pic.map.bypass[static_cast<size_t>(by * pic.map.width4 + bx)] = rng() % 4 == 0;
    TestPicture bands = pic;
    uint8_t *planes[3] = {bands.y.data(), bands.cb.data(), bands.cr.data()};
    const ptrdiff_t strides[3] = {64, 32, 32};
    for (int y = 64; y >= 0; y -= 16)
      deblock_vertical_edges(planes, strides, 64, 80, bands.map, {}, y, y + 16);
    for (int y = 64; y >= 0; y -= 16)
      deblock_horizontal_edges(planes, strides, 64, 80, bands.map, {}, y, y + 16);
    pic.run();
    EXPECT_EQ(pic.y, bands.y);
    EXPECT_EQ(pic.cb, bands.cb);
    EXPECT_EQ(pic.cr, bands.cr);
  }
}

// ---------------------------------------------------------------------------
// MD5

std::string hex(const uint8_t d[16]) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

std::string md5_of(const std::string &s) {
  uint8_t d[16];
  md5_bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size(), d);
  return hex(d);
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_of("1234567890123456789012345678901234567890123456789012345678901"
                   "2345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, IncrementalEqualsOneShot) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 31 + 7);
  uint8_t one[16];
  md5_bytes(data.data(), data.size(), one);
  for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 200u}) {
    Md5 md5;
    for (size_t off = 0; off < data.size(); off += chunk)
      md5.update(data.data() + off, std::min(chunk, data.size() - off));
    uint8_t inc[16];
    md5.finish(inc);
    EXPECT_EQ(hex(inc), hex(one)) << "chunk=" << chunk;
  }
}

TEST(Md5, ThreeAtOnceEqualsEachAlone) {
  // Three messages of different lengths fed in chunks of different sizes,
  // so that the three digests' partial blocks fall out of step and update3
  // hashes three, two and one block at once.
  std::vector<uint8_t> data[3];
  for (int k = 0; k < 3; ++k) {
    data[k].resize(3000 - 700 * static_cast<size_t>(k));
    for (size_t i = 0; i < data[k].size(); ++i)
      data[k][i] = static_cast<uint8_t>(i * (31 + k) + 7 * k);
  }
  for (size_t chunk : {1u, 63u, 64u, 100u, 250u, 3000u}) {
    Md5 md5[3];
    size_t off[3] = {0, 0, 0};
    for (;;) {
      const uint8_t *p[3];
      size_t n[3];
      for (int k = 0; k < 3; ++k) {
        // Unequal chunks: message k takes chunk + 17 k bytes a call.
        n[k] = std::min(chunk + 17 * static_cast<size_t>(k), data[k].size() - off[k]);
        p[k] = data[k].data() + off[k];
        off[k] += n[k];
      }
      if (n[0] + n[1] + n[2] == 0)
        break;
      Md5::update3(md5, p, n);
    }
    for (int k = 0; k < 3; ++k) {
      uint8_t alone[16], together[16];
      md5_bytes(data[k].data(), data[k].size(), alone);
      md5[k].finish(together);
      EXPECT_EQ(hex(together), hex(alone)) << "chunk=" << chunk << " message " << k;
    }
  }
}

TEST(Md5, PlaneSkipsStridePadding) {
  // Rows "abcdefghijklm" and "nopqrstuvwxyz" with padding between them hash
  // like the RFC's "abcdefghijklmnopqrstuvwxyz".
  const char rows[2][20] = {"abcdefghijklm######", "nopqrstuvwxyz######"};
  uint8_t d[16];
  md5_plane(reinterpret_cast<const uint8_t *>(rows), 20, 13, 2, d);
  EXPECT_EQ(hex(d), "c3fcd3d76192e4007dfb496cca67e13b");
  const uint8_t abc[3] = {'a', 'b', 'c'};
  md5_plane(abc, 3, 3, 1, d);
  EXPECT_EQ(hex(d), "900150983cd24fb0d6963f7d28e17f72");
}

// ---------------------------------------------------------------------------
// Picture checksum

// D.3.20 as the text writes it, a sample at a time.
uint32_t checksum_by_definition(const std::vector<uint8_t> &plane, int stride, int width,
                                int y_begin, int y_end) {
  uint32_t sum = 0;
  for (int y = y_begin; y < y_end; ++y)
    for (int x = 0; x < width; ++x) {
      const int mask = (x & 0xff) ^ (y & 0xff) ^ (x >> 8) ^ (y >> 8);
      sum += static_cast<uint32_t>(plane[static_cast<size_t>(y * stride + x)] ^ mask);
    }
  return sum;
}

TEST(PictureChecksum, EqualsDefinitionAndBandsAddUp) {
  // Widths either side of the 256-sample blocks and the 8-sample steps,
  // rows past 256 (y >> 8), all-255 samples (the largest lane sums).
  std::mt19937 rng(8);
  for (const int width : {1, 7, 8, 9, 255, 256, 257, 520, 7680}) {
    const int height = width == 7680 ? 8 : 300;
    const int stride = width + 13;
    for (const bool saturated : {false, true}) {
      std::vector<uint8_t> plane(static_cast<size_t>(stride * height));
      for (auto &v : plane)
        v = saturated ? 255 : static_cast<uint8_t>(rng());
      const uint32_t whole = checksum_by_definition(plane, stride, width, 0, height);
      EXPECT_EQ(checksum_rows(plane.data(), stride, width, 0, height), whole) << width;
      const int cut = height / 3;
      EXPECT_EQ(checksum_rows(plane.data(), stride, width, 0, cut) +
                    checksum_rows(plane.data(), stride, width, cut, height),
                whole)
          << width;
    }
  }
}

} // namespace
} // namespace quad::hevc
