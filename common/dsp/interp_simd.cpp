// Highway SIMD H.265 luma interpolation. foreach_target.h compiles this file
// once per target; the best target the CPU runs is picked on first use.
#include "dsp/dispatch.h"
#include "dsp/interp.h"

#include <algorithm>
#include <utility>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/interp_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
QUAD_SCALAR_TARGET_TABLE(InterpKernels, GetTargetInterpKernels, reference_interp_kernels)
#else
namespace hn = hwy::HWY_NAMESPACE;

// Eight taps over 8-bit samples spaced step apart, in i16: every partial sum
// of an H.265 luma filter over 0..255 stays within -6120..22440. The phase
// is a template argument, so each tap's weight is a constant: zero taps
// vanish and no weight is broadcast inside the loops.
template <int kFrac, int kTap, class D16>
HWY_INLINE hn::VFromD<D16> AddTap(D16 d16, hn::VFromD<D16> acc, const uint8_t *p, ptrdiff_t step) {
  constexpr int c = kLumaFilter[kFrac][kTap];
  if constexpr (c == 0) {
    return acc;
  } else {
    const hn::Rebind<uint8_t, D16> d8;
    const auto v = hn::BitCast(
        d16, hn::PromoteTo(hn::RebindToUnsigned<D16>(), hn::LoadU(d8, p + (kTap - 3) * step)));
    return hn::Add(acc, hn::Mul(v, hn::Set(d16, static_cast<int16_t>(c))));
  }
}

template <int kFrac, class D16, int... kTaps>
HWY_INLINE hn::VFromD<D16> Taps8(D16 d16, const uint8_t *p, ptrdiff_t step,
                                 std::integer_sequence<int, kTaps...>) {
  auto acc = hn::Zero(d16);
  ((acc = AddTap<kFrac, kTaps>(d16, acc, p, step)), ...);
  return acc;
}

template <int kFrac, class D16>
HWY_INLINE hn::VFromD<D16> Taps8(D16 d16, const uint8_t *p, ptrdiff_t step) {
  return Taps8<kFrac>(d16, p, step, std::make_integer_sequence<int, 8>());
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// The horizontal filter on 8-bit samples with 8-bit weights: each 128-bit
// block makes eight outputs from a 16-byte window of the row, byte pairs
// gathered by a shuffle (pshufb) and each pair multiplied by two weights and
// summed in one instruction (pmaddubsw), four pairs per output. A pair's
// sum cannot saturate (at most 255 * (58 + 17)), and the four add up within
// i16 as Taps8's do. A block's window starts 3 samples before its first
// output, the vector's last block's 4 before, so that no window reaches past
// column w + 3.
template <int kBlocks> struct PairControls {
  // bytes[k]: for output i of block b, window bytes i + 2k + e and
  // i + 2k + 1 + e, e = 1 in the last block.
  alignas(64) uint8_t bytes[4][16 * kBlocks] = {};
  constexpr PairControls() {
    for (int k = 0; k < 4; ++k) {
      for (int b = 0; b < kBlocks; ++b) {
        const int e = b == kBlocks - 1 ? 1 : 0;
        for (int i = 0; i < 8; ++i) {
          bytes[k][16 * b + 2 * i] = static_cast<uint8_t>(i + 2 * k + e);
          bytes[k][16 * b + 2 * i + 1] = static_cast<uint8_t>(i + 2 * k + 1 + e);
        }
      }
    }
  }
};
template <int kBlocks> inline constexpr PairControls<kBlocks> kPairControls{};

HWY_INLINE hn::Vec256<int16_t> MulAddPairs(hn::Vec256<uint8_t> pairs, hn::Vec256<int16_t> weights) {
  return hn::Vec256<int16_t>{_mm256_maddubs_epi16(pairs.raw, weights.raw)};
}
#if HWY_TARGET <= HWY_AVX3
HWY_INLINE hn::Vec512<int16_t> MulAddPairs(hn::Vec512<uint8_t> pairs, hn::Vec512<int16_t> weights) {
  return hn::Vec512<int16_t>{_mm512_maddubs_epi16(pairs.raw, weights.raw)};
}
#endif

// The blocks' windows for the outputs at p .. p + 8 * blocks - 1.
template <class D8> HWY_INLINE hn::VFromD<D8> PairWindows(D8 d8, const uint8_t *p) {
  const hn::Full128<uint8_t> d128;
  if constexpr (hn::MaxLanes(d8) == 32) {
    return hn::Combine(d8, hn::LoadU(d128, p + 4), hn::LoadU(d128, p - 3));
  } else {
    const hn::Half<D8> d256;
    return hn::Combine(d8, hn::Combine(d256, hn::LoadU(d128, p + 20), hn::LoadU(d128, p + 13)),
                       hn::Combine(d256, hn::LoadU(d128, p + 5), hn::LoadU(d128, p - 3)));
  }
}

template <int kFrac, int kPair, class D16>
HWY_INLINE hn::VFromD<D16> AddPair(D16 d16, hn::VFromD<D16> acc,
                                   hn::VFromD<hn::Repartition<uint8_t, D16>> window) {
  const hn::Repartition<uint8_t, D16> d8;
  constexpr int kBlocks = static_cast<int>(hn::MaxLanes(d8) / 16);
  constexpr int lo = kLumaFilter[kFrac][2 * kPair], hi = kLumaFilter[kFrac][2 * kPair + 1];
  const auto weights = hn::Set(d16, static_cast<int16_t>((hi << 8) | (lo & 0xFF)));
  const auto pairs =
      hn::TableLookupBytes(window, hn::Load(d8, kPairControls<kBlocks>.bytes[kPair]));
  return hn::Add(acc, MulAddPairs(pairs, weights));
}
#endif

// The horizontal filter at p .. p + lanes - 1, in i16: byte pairs where a
// vector holds two or four 128-bit blocks, Taps8 otherwise.
template <int kFrac, class D16>
HWY_INLINE hn::VFromD<D16> HorizontalTaps(D16 d16, const uint8_t *p) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if constexpr (hn::MaxLanes(d16) >= 16) {
    const auto window = PairWindows(hn::Repartition<uint8_t, D16>(), p);
    auto acc = hn::Zero(d16);
    acc = AddPair<kFrac, 0>(d16, acc, window);
    acc = AddPair<kFrac, 1>(d16, acc, window);
    acc = AddPair<kFrac, 2>(d16, acc, window);
    return AddPair<kFrac, 3>(d16, acc, window);
  }
#endif
  return Taps8<kFrac>(d16, p, 1);
}

// One pass over 8-bit samples, along rows (horizontal) or down columns:
// (sum + 32) >> 6, saturated to 8 bits.
template <int kFrac, bool kHorizontal, class D16>
void OnePass(D16 d16, const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride,
             int w, int h) {
  const hn::Rebind<uint8_t, D16> d8;
  const size_t n = hn::Lanes(d16);
  const auto round = hn::Set(d16, int16_t{32});
  for (int y = 0; y < h; ++y) {
    for (size_t x = 0; x < static_cast<size_t>(w); x += n) {
      const uint8_t *p = src + y * src_stride + x;
      const auto sum =
          kHorizontal ? HorizontalTaps<kFrac>(d16, p) : Taps8<kFrac>(d16, p, src_stride);
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<6>(hn::Add(sum, round))), d8,
                 dst + y * dst_stride + x);
    }
  }
}

#if HWY_ARCH_X86
// The vertical pass over i16 rows: two taps per multiply-add (pmaddwd) on
// rows interleaved lane by lane, then packed back in order (the packs work
// per 128-bit block, as the interleaves do).
template <class D16>
HWY_INLINE void VerticalPass(D16 d16, const int16_t *tmp, uint8_t *dst, ptrdiff_t dst_stride, int w,
                             int h, int frac) {
  const hn::RepartitionToWide<D16> d32;
  const hn::Rebind<uint8_t, D16> d8;
  const size_t n = hn::Lanes(d16);
  hn::VFromD<D16> taps[4];
  for (int k = 0; k < 4; ++k) {
    const uint32_t lo = static_cast<uint16_t>(kLumaFilter[frac][2 * k]);
    const uint32_t hi = static_cast<uint16_t>(kLumaFilter[frac][2 * k + 1]);
    taps[k] = hn::BitCast(d16, hn::Set(hn::RebindToUnsigned<decltype(d32)>(), lo | (hi << 16)));
  }
  const auto round = hn::Set(d32, 32);
  for (int y = 0; y < h; ++y) {
    for (size_t x = 0; x < static_cast<size_t>(w); x += n) {
      auto sum_lo = hn::Zero(d32), sum_hi = hn::Zero(d32);
      auto unused_lo = hn::Zero(d32), unused_hi = hn::Zero(d32);
      for (int k = 0; k < 4; ++k) {
        const auto a = hn::Load(d16, tmp + (y + 2 * k) * w + static_cast<ptrdiff_t>(x));
        const auto b = hn::Load(d16, tmp + (y + 2 * k + 1) * w + static_cast<ptrdiff_t>(x));
        sum_lo = hn::ReorderWidenMulAccumulate(d32, hn::InterleaveLower(d16, a, b), taps[k], sum_lo,
                                               unused_lo);
        sum_hi = hn::ReorderWidenMulAccumulate(d32, hn::InterleaveUpper(d16, a, b), taps[k], sum_hi,
                                               unused_hi);
      }
      const auto out_lo = hn::ShiftRight<6>(hn::Add(hn::ShiftRight<6>(sum_lo), round));
      const auto out_hi = hn::ShiftRight<6>(hn::Add(hn::ShiftRight<6>(sum_hi), round));
      hn::StoreU(hn::DemoteTo(d8, hn::ReorderDemote2To(d16, out_lo, out_hi)), d8,
                 dst + y * dst_stride + x);
    }
  }
}
#else
template <class D16>
HWY_INLINE void VerticalPass(D16 /*d16*/, const int16_t *tmp, uint8_t *dst, ptrdiff_t dst_stride,
                             int w, int h, int frac) {
  const hn::CappedTag<int32_t, 8> d32;
  const hn::Rebind<int16_t, decltype(d32)> d16h;
  const hn::Rebind<uint8_t, decltype(d32)> d8;
  const size_t n32 = hn::Lanes(d32);
  const auto round = hn::Set(d32, 32);
  for (int y = 0; y < h; ++y) {
    for (size_t x = 0; x < static_cast<size_t>(w); x += n32) {
      auto acc = hn::Zero(d32);
      for (int i = 0; i < 8; ++i) {
        const int c = kLumaFilter[frac][i];
        if (c != 0) {
          const auto v =
              hn::PromoteTo(d32, hn::LoadU(d16h, tmp + (y + i) * w + static_cast<ptrdiff_t>(x)));
          acc = hn::Add(acc, hn::Mul(v, hn::Set(d32, c)));
        }
      }
      const auto out = hn::ShiftRight<6>(hn::Add(hn::ShiftRight<6>(acc), round));
      hn::StoreU(hn::DemoteTo(d8, out), d8, dst + y * dst_stride + x);
    }
  }
}
#endif

// Horizontal then vertical: the vertical sums need 32 bits.
template <int kFracX, class D16>
void TwoPass(D16 d16, const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride,
             int w, int h, int frac_y) {
  const size_t n = hn::Lanes(d16);
  HWY_ALIGN int16_t tmp[(64 + 7) * 64];
  for (int y = 0; y < h + 7; ++y) {
    for (size_t x = 0; x < static_cast<size_t>(w); x += n) {
      hn::Store(HorizontalTaps<kFracX>(d16, src + (y - 3) * src_stride + x), d16,
                tmp + y * w + static_cast<ptrdiff_t>(x));
    }
  }
  VerticalPass(d16, tmp, dst, dst_stride, w, h, frac_y);
}

template <class D16>
void InterpWith(D16 d16, const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y) {
  if (frac_y == 0) {
    const auto pass = frac_x == 1   ? OnePass<1, true, D16>
                      : frac_x == 2 ? OnePass<2, true, D16>
                                    : OnePass<3, true, D16>;
    pass(d16, src, src_stride, dst, dst_stride, w, h);
  } else if (frac_x == 0) {
    const auto pass = frac_y == 1   ? OnePass<1, false, D16>
                      : frac_y == 2 ? OnePass<2, false, D16>
                                    : OnePass<3, false, D16>;
    pass(d16, src, src_stride, dst, dst_stride, w, h);
  } else {
    const auto pass = frac_x == 1   ? TwoPass<1, D16>
                      : frac_x == 2 ? TwoPass<2, D16>
                                    : TwoPass<3, D16>;
    pass(d16, src, src_stride, dst, dst_stride, w, h, frac_y);
  }
}

// An integer vector's prediction: the rows as they are.
template <class D8>
void CopyRows(D8 d8, const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride,
              int w, int h) {
  const size_t n = hn::Lanes(d8);
  for (int y = 0; y < h; ++y)
    for (size_t x = 0; x < static_cast<size_t>(w); x += n)
      hn::StoreU(hn::LoadU(d8, src + y * src_stride + x), d8, dst + y * dst_stride + x);
}

// Widths below 8 go to the reference.
void InterpLuma(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride, int w,
                int h, int frac_x, int frac_y) {
  if (w < 8 || w % 8 != 0 || w > 64) {
    reference_interp_kernels().luma(src, src_stride, dst, dst_stride, w, h, frac_x, frac_y);
  } else if (frac_x == 0 && frac_y == 0) {
    if (w % 16 == 0)
      CopyRows(hn::CappedTag<uint8_t, 16>(), src, src_stride, dst, dst_stride, w, h);
    else
      CopyRows(hn::CappedTag<uint8_t, 8>(), src, src_stride, dst, dst_stride, w, h);
  } else if (w % 32 == 0) {
    // Whole 512-bit vectors where the target has them.
    InterpWith(hn::CappedTag<int16_t, 32>(), src, src_stride, dst, dst_stride, w, h, frac_x,
               frac_y);
  } else if (w % 16 == 0) {
    InterpWith(hn::CappedTag<int16_t, 16>(), src, src_stride, dst, dst_stride, w, h, frac_x,
               frac_y);
  } else {
    InterpWith(hn::CappedTag<int16_t, 8>(), src, src_stride, dst, dst_stride, w, h, frac_x, frac_y);
  }
}

const TargetTable<InterpKernels> *GetTargetInterpKernels() {
  static const TargetTable<InterpKernels> kTable = {HWY_TARGET,
                                                    {hwy::TargetName(HWY_TARGET), InterpLuma}};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace quad::dsp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::dsp {

QUAD_EXPORT_TARGET_TABLES(InterpKernels, GetTargetInterpKernels, reference_interp_kernels,
                          interp_kernels, all_interp_kernels)

} // namespace quad::dsp
#endif
