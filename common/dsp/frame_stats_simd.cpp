// Highway versions of the frame-analysis row kernels. foreach_target.h
// compiles this file once per target; the best table the CPU runs is picked
// on first use.
#include "dsp/dispatch.h"
#include "dsp/frame_stats.h"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/frame_stats_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
QUAD_SCALAR_TARGET_TABLE(FrameStatsKernels, GetTargetFrameStatsKernels,
                         reference_frame_stats_kernels)
#else
namespace hn = hwy::HWY_NAMESPACE;

// One strip of columns at a time, all rows of it before the next: the sums
// stay in registers (16-bit lanes hold every Sobel intermediate; squares and
// edges widen to 32 bits in two halves), and each is stored once.
void SobelColumnSums(const uint8_t *plane, ptrdiff_t stride, int w, int h, int y0, int y1,
                     uint16_t *sums, uint32_t *squares, uint32_t *edges) {
  const hn::ScalableTag<int16_t> di;
  const hn::RebindToUnsigned<decltype(di)> du;
  const hn::Rebind<uint8_t, decltype(di)> d8;
  const hn::Half<decltype(du)> dh;
  const hn::Repartition<uint32_t, decltype(du)> d32;
  const int n = int(hn::Lanes(di));
  const size_t half = hn::Lanes(d32);
  // Columns 0 and w - 1 read beyond the plane: the vectors cover 1 .. w - 2.
  if (w < n + 2) {
    reference_frame_stats_kernels().sobel_column_sums(plane, stride, w, h, y0, y1, sums, squares,
                                                      edges);
    return;
  }
  auto load = [&](const uint8_t *p) {
    return hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(d8, p)));
  };
  // Results are written, not added, so the last strip may overlap the one
  // before it: it ends exactly at column w - 2.
  for (int x = 1;; x = std::min(x + n, w - 1 - n)) {
    auto sum = hn::Zero(du);
    auto sq_lo = hn::Zero(d32), sq_hi = hn::Zero(d32), e_lo = hn::Zero(d32), e_hi = hn::Zero(d32);
    for (int y = y0; y < y1; y++) {
      const uint8_t *a = plane + ptrdiff_t(y > 0 ? y - 1 : 0) * stride + x;
      const uint8_t *c = plane + ptrdiff_t(y) * stride + x;
      const uint8_t *b = plane + ptrdiff_t(y + 1 < h ? y + 1 : h - 1) * stride + x;
      const auto al = load(a - 1), am = load(a), ar = load(a + 1);
      const auto cl = load(c - 1), cm = load(c), cr = load(c + 1);
      const auto bl = load(b - 1), bm = load(b), br = load(b + 1);
      const auto gx = hn::Sub(hn::Add(hn::Add(ar, br), hn::ShiftLeft<1>(cr)),
                              hn::Add(hn::Add(al, bl), hn::ShiftLeft<1>(cl)));
      const auto gy = hn::Sub(hn::Add(hn::Add(bl, br), hn::ShiftLeft<1>(bm)),
                              hn::Add(hn::Add(al, ar), hn::ShiftLeft<1>(am)));
      const auto e = hn::BitCast(du, hn::Add(hn::Abs(gx), hn::Abs(gy)));
      const auto cu = hn::BitCast(du, cm);
      const auto sq = hn::Mul(cu, cu);
      sum = hn::Add(sum, cu);
      sq_lo = hn::Add(sq_lo, hn::PromoteTo(d32, hn::LowerHalf(dh, sq)));
      sq_hi = hn::Add(sq_hi, hn::PromoteTo(d32, hn::UpperHalf(dh, sq)));
      e_lo = hn::Add(e_lo, hn::PromoteTo(d32, hn::LowerHalf(dh, e)));
      e_hi = hn::Add(e_hi, hn::PromoteTo(d32, hn::UpperHalf(dh, e)));
    }
    hn::StoreU(sum, du, sums + x);
    hn::StoreU(sq_lo, d32, squares + x);
    hn::StoreU(sq_hi, d32, squares + x + half);
    hn::StoreU(e_lo, d32, edges + x);
    hn::StoreU(e_hi, d32, edges + x + half);
    if (x + n >= w - 1)
      break;
  }
  // Columns 0 and w - 1, with neighbours clamped.
  auto edge_column = [&](int col) {
    const int l = col > 0 ? col - 1 : 0, r = col + 1 < w ? col + 1 : w - 1;
    uint16_t s = 0;
    uint32_t q = 0, g = 0;
    for (int y = y0; y < y1; y++) {
      const uint8_t *a = plane + ptrdiff_t(y > 0 ? y - 1 : 0) * stride;
      const uint8_t *c = plane + ptrdiff_t(y) * stride;
      const uint8_t *b = plane + ptrdiff_t(y + 1 < h ? y + 1 : h - 1) * stride;
      const int gx = (a[r] + 2 * c[r] + b[r]) - (a[l] + 2 * c[l] + b[l]);
      const int gy = (b[l] + 2 * b[col] + b[r]) - (a[l] + 2 * a[col] + a[r]);
      s = uint16_t(s + c[col]);
      q += uint32_t(c[col]) * c[col];
      g += uint32_t((gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy));
    }
    sums[col] = s;
    squares[col] = q;
    edges[col] = g;
  };
  edge_column(0);
  edge_column(w - 1);
}

// A sum of absolute differences against zero (psadbw) adds each 8 bytes
// into one 64-bit lane: eight rows of them make the squares' sums.
void Thumbnail8x8Row(const uint8_t *src, ptrdiff_t stride, int n, uint8_t *out) {
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  const hn::Rebind<uint8_t, decltype(d64)> d8out;
  const int per = int(hn::Lanes(d64));
  const auto round = hn::Set(d64, 32);
  int i = 0;
  for (; i + per <= n; i += per) {
    auto sum = round;
    for (int y = 0; y < 8; y++)
      sum = hn::Add(sum, hn::SumsOf8(hn::LoadU(d8, src + ptrdiff_t(y) * stride + 8 * i)));
    hn::StoreU(hn::TruncateTo(d8out, hn::ShiftRight<6>(sum)), d8out, out + i);
  }
  if (i < n)
    reference_frame_stats_kernels().thumbnail_8x8_row(src + 8 * i, stride, n - i, out + i);
}

const TargetTable<FrameStatsKernels> *GetTargetFrameStatsKernels() {
  static const TargetTable<FrameStatsKernels> kTable = {
      HWY_TARGET, {hwy::TargetName(HWY_TARGET), SobelColumnSums, Thumbnail8x8Row}};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace quad::dsp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::dsp {

QUAD_EXPORT_TARGET_TABLES(FrameStatsKernels, GetTargetFrameStatsKernels,
                          reference_frame_stats_kernels, frame_stats_kernels,
                          all_frame_stats_kernels)

} // namespace quad::dsp
#endif
