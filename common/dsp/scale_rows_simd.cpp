// Highway versions of the scaler's row kernels. foreach_target.h compiles
// this file once per target; the best table the CPU runs is picked on first
// use. Both passes multiply pairs of 16-bit samples by pairs of weights into
// 32 bits (pmaddwd), which is how ReorderWidenMulAccumulate works on x86
// only: other architectures keep the reference.
#include "dsp/dispatch.h"
#include "dsp/scale_rows.h"

#include <algorithm>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/scale_rows_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR || !HWY_ARCH_X86
QUAD_SCALAR_TARGET_TABLE(ScaleKernels, GetTargetScaleKernels, reference_scale_kernels)
#else
namespace hn = hwy::HWY_NAMESPACE;

// The most vectors of sample pairs one group of outputs may span: more
// (reductions beyond about 3:1 at these vector widths) stay on the reference.
constexpr int kMaxTables = 4;

// Two rows at a time: their samples interleaved lane by lane meet the two
// weights in one multiply-add; the packs undo the interleave's per-block
// order.
void Vertical(const uint8_t *src, ptrdiff_t stride, const int16_t *weights, int taps, int width,
              int16_t *mid) {
  const hn::ScalableTag<int16_t> d16;
  const hn::RebindToUnsigned<decltype(d16)> du16;
  const hn::Rebind<uint8_t, decltype(d16)> d8;
  const hn::RepartitionToWide<decltype(d16)> d32;
  const hn::RebindToUnsigned<decltype(d32)> du32;
  const int n = int(hn::Lanes(d16));
  constexpr int shift = kScaleWeightBits - kScaleMidBits;
  const auto round = hn::Set(d32, 1 << (shift - 1));
  hn::Vec<decltype(d16)> pair_weights[16];
  const int pairs = (taps + 1) / 2;
  if (pairs > 16) {
    reference_scale_kernels().vertical(src, stride, weights, taps, width, mid);
    return;
  }
  for (int p = 0; p < pairs; p++) {
    const uint32_t lo = uint16_t(weights[2 * p]);
    const uint32_t hi = 2 * p + 1 < taps ? uint16_t(weights[2 * p + 1]) : 0u;
    pair_weights[p] = hn::BitCast(d16, hn::Set(du32, lo | hi << 16));
  }
  auto load = [&](const uint8_t *p) {
    return hn::BitCast(d16, hn::PromoteTo(du16, hn::LoadU(d8, p)));
  };
  int x = 0;
  for (; x + n <= width; x += n) {
    auto sum_lo = round, sum_hi = round;
    auto unused_lo = hn::Zero(d32), unused_hi = hn::Zero(d32);
    for (int p = 0; p < pairs; p++) {
      const uint8_t *row = src + ptrdiff_t(2 * p) * stride + x;
      const auto a = load(row);
      // An odd last tap pairs with itself at weight 0.
      const auto b = 2 * p + 1 < taps ? load(row + stride) : a;
      sum_lo = hn::ReorderWidenMulAccumulate(d32, hn::InterleaveLower(d16, a, b), pair_weights[p],
                                             sum_lo, unused_lo);
      sum_hi = hn::ReorderWidenMulAccumulate(d32, hn::InterleaveUpper(d16, a, b), pair_weights[p],
                                             sum_hi, unused_hi);
    }
    hn::StoreU(
        hn::ReorderDemote2To(d16, hn::ShiftRight<shift>(sum_lo), hn::ShiftRight<shift>(sum_hi)),
        d16, mid + x);
  }
  if (x < width)
    reference_scale_kernels().vertical(src + x, stride, weights, taps, width - x, mid + x);
}

RowFilter MakeRowFilter(int in_width, int out_width, int support, const std::vector<int> &start,
                        const std::vector<int16_t> &weights) {
  RowFilter f =
      reference_scale_kernels().make_row_filter(in_width, out_width, support, start, weights);
  const hn::ScalableTag<int32_t> d32;
  const int n = int(hn::Lanes(d32));
  const int pairs = (support + 1) / 2;
  const int groups = (out_width + n - 1) / n;
  // Outputs past out_width repeat the last one's window with weight 0.
  auto window = [&](int i) { return start[size_t(std::min(i, out_width - 1))]; };
  int tables = 1, pairs_end = 0;
  for (int g = 0; g < groups; g++) {
    int base = window(g * n), last = base;
    for (int j = 0; j < n; j++) {
      base = std::min(base, window(g * n + j));
      last = std::max(last, window(g * n + j));
    }
    const int span = last + 2 * (pairs - 1) - base + 1; // pair lanes read
    tables = std::max(tables, (span + n - 1) / n);
  }
  if (tables > kMaxTables)
    return f;
  f.lanes = n;
  f.tables = tables;
  f.pairs = pairs;
  f.group_base.resize(size_t(groups));
  f.lane_index.resize(size_t(groups) * pairs * n);
  f.pair_weights.resize(f.lane_index.size());
  for (int g = 0; g < groups; g++) {
    int base = window(g * n);
    for (int j = 0; j < n; j++)
      base = std::min(base, window(g * n + j));
    f.group_base[size_t(g)] = base;
    pairs_end = std::max(pairs_end, base + tables * n);
    for (int p = 0; p < pairs; p++) {
      for (int j = 0; j < n; j++) {
        const int i = g * n + j;
        const size_t at = (size_t(g) * pairs + p) * n + j;
        f.lane_index[at] = window(i) + 2 * p - base;
        uint32_t w = 0;
        if (i < out_width) {
          const int16_t *wi = &weights[size_t(i) * support];
          w = uint16_t(wi[2 * p]);
          if (2 * p + 1 < support)
            w |= uint32_t(uint16_t(wi[2 * p + 1])) << 16;
        }
        f.pair_weights[at] = int32_t(w);
      }
    }
  }
  // The pair row is built in whole vectors, each pair reading one sample on.
  const int pair_vectors = (pairs_end + n - 1) / n;
  f.mid_extent = std::max(in_width, pair_vectors * n + 1);
  return f;
}

// Each int32 lane of the scratch row holds samples i and i + 1, so one
// lane lookup fetches two taps of an output, whatever its window's start.
void Horizontal(const int16_t *mid, const RowFilter &f, int32_t *scratch, uint8_t *dst) {
  if (f.lanes == 0) {
    reference_scale_kernels().horizontal(mid, f, scratch, dst);
    return;
  }
  const hn::ScalableTag<int32_t> d32;
  const hn::Rebind<int16_t, decltype(d32)> d16h;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const hn::Rebind<uint8_t, decltype(d32)> d8;
  const int n = int(hn::Lanes(d32));
  const auto low = hn::Set(d32, 0xFFFF);
  for (int i = 0; i + n + 1 <= f.mid_extent; i += n) {
    const auto a = hn::PromoteTo(d32, hn::LoadU(d16h, mid + i));
    const auto b = hn::PromoteTo(d32, hn::LoadU(d16h, mid + i + 1));
    hn::StoreU(hn::Or(hn::And(a, low), hn::ShiftLeft<16>(b)), d32, scratch + i);
  }
  constexpr int shift = kScaleWeightBits + kScaleMidBits;
  const auto round = hn::Set(d32, 1 << (shift - 1));
  const auto lane_mask = hn::Set(d32, n - 1);
  const int groups = int(f.group_base.size());
  const int32_t *index = f.lane_index.data();
  const int32_t *weights = f.pair_weights.data();
  for (int g = 0; g < groups; g++) {
    const int32_t *pairs = scratch + f.group_base[size_t(g)];
    hn::Vec<decltype(d32)> table[kMaxTables];
    for (int t = 0; t < f.tables; t++)
      table[t] = hn::LoadU(d32, pairs + t * n);
    auto sum = round, unused = hn::Zero(d32);
    for (int p = 0; p < f.pairs; p++, index += n, weights += n) {
      const auto at = hn::LoadU(d32, index);
      const auto lane = hn::IndicesFromVec(d32, hn::And(at, lane_mask));
      auto taps = hn::TableLookupLanes(table[0], lane);
      for (int t = 1; t < f.tables; t++)
        taps = hn::IfThenElse(hn::Gt(at, hn::Set(d32, t * n - 1)),
                              hn::TableLookupLanes(table[t], lane), taps);
      sum = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, taps),
                                          hn::BitCast(d16, hn::LoadU(d32, weights)), sum, unused);
    }
    const auto out = hn::DemoteTo(d8, hn::ShiftRight<shift>(sum));
    if ((g + 1) * n <= f.out_width) {
      hn::StoreU(out, d8, dst + g * n);
    } else {
      HWY_ALIGN uint8_t last[hn::MaxLanes(d8)];
      hn::Store(out, d8, last);
      std::memcpy(dst + g * n, last, size_t(f.out_width - g * n));
    }
  }
}

const TargetTable<ScaleKernels> *GetTargetScaleKernels() {
  static const TargetTable<ScaleKernels> kTable = {
      HWY_TARGET, {hwy::TargetName(HWY_TARGET), Vertical, MakeRowFilter, Horizontal}};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR || !HWY_ARCH_X86

} // namespace HWY_NAMESPACE
} // namespace quad::dsp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::dsp {

QUAD_EXPORT_TARGET_TABLES(ScaleKernels, GetTargetScaleKernels, reference_scale_kernels,
                          scale_kernels, all_scale_kernels)

} // namespace quad::dsp
#endif
