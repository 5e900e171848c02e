// Highway SIMD kernels. foreach_target.h compiles this file once per target;
// the table of the best target the CPU runs is picked once, on first use.
#include "dsp/dispatch.h"
#include "dsp/dsp.h"

#include <algorithm>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/dsp_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
QUAD_SCALAR_TARGET_TABLE(Kernels, GetTargetKernels, reference_kernels)
#else
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------- helpers

// Sums of |a - b| over each group of 8 bytes, one u64 lane per group. x86 has
// this as one instruction (psadbw); elsewhere build it from saturating
// subtractions, since Highway 1.0 has no u8 AbsDiff.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
template <size_t N>
HWY_INLINE hn::Vec128<uint64_t, N / 8> SadSums(hn::Vec128<uint8_t, N> a, hn::Vec128<uint8_t, N> b) {
  static_assert(N >= 8, "psadbw sums groups of 8 bytes");
  return hn::Vec128<uint64_t, N / 8>{_mm_sad_epu8(a.raw, b.raw)};
}
#if HWY_TARGET <= HWY_AVX2
HWY_INLINE hn::Vec256<uint64_t> SadSums(hn::Vec256<uint8_t> a, hn::Vec256<uint8_t> b) {
  return hn::Vec256<uint64_t>{_mm256_sad_epu8(a.raw, b.raw)};
}
#endif
#if HWY_TARGET <= HWY_AVX3
HWY_INLINE hn::Vec512<uint64_t> SadSums(hn::Vec512<uint8_t> a, hn::Vec512<uint8_t> b) {
  return hn::Vec512<uint64_t>{_mm512_sad_epu8(a.raw, b.raw)};
}
#endif
#else
template <class V> HWY_INLINE auto SadSums(V a, V b) {
  return hn::SumsOf8(hn::Or(hn::SaturatedSub(a, b), hn::SaturatedSub(b, a)));
}
#endif

template <class V> HWY_INLINE V AbsDiffU8(V a, V b) {
  return hn::Or(hn::SaturatedSub(a, b), hn::SaturatedSub(b, a));
}

// Sum of all u32 lanes without overflow, however full each lane is.
template <class D32> HWY_INLINE uint64_t SumU32Lanes(D32 /*d32*/, hn::VFromD<D32> v) {
  const hn::RebindToUnsigned<D32> du32;
  const hn::RepartitionToWide<decltype(du32)> d64;
  const auto v64 = hn::BitCast(d64, hn::BitCast(du32, v));
  const auto pairs = hn::Add(hn::ShiftRight<32>(v64), hn::And(v64, hn::Set(d64, 0xFFFFFFFFull)));
  return hn::GetLane(hn::SumOfLanes(d64, pairs));
}

// Two 4-byte rows as one 8-byte vector (lo first).
HWY_INLINE hn::Vec128<uint8_t, 8> LoadRows4x2(const uint8_t *p, ptrdiff_t stride) {
  const hn::CappedTag<uint8_t, 8> d8;
  const hn::CappedTag<uint8_t, 4> d4;
  return hn::Combine(d8, hn::LoadU(d4, p + stride), hn::LoadU(d4, p));
}

// Two 8-byte rows as one 16-byte vector (lo first).
HWY_INLINE hn::Vec128<uint8_t> LoadRows8x2(const uint8_t *p, ptrdiff_t stride) {
  const hn::Full128<uint8_t> d16;
  const hn::CappedTag<uint8_t, 8> d8;
  return hn::Combine(d16, hn::LoadU(d8, p + stride), hn::LoadU(d8, p));
}

// ---------------------------------------------------------------- SAD

// h is a multiple of 4 for every block size the API allows.
template <int kW>
uint32_t SadW(const uint8_t *HWY_RESTRICT a, ptrdiff_t a_stride, const uint8_t *HWY_RESTRICT b,
              ptrdiff_t b_stride, int h) {
  if constexpr (kW == 4) {
    const hn::Full128<uint8_t> d;
    const hn::Full128<uint64_t> d64;
    auto acc = hn::Zero(d64);
    for (int y = 0; y < h; y += 4) {
      const auto va =
          hn::Combine(d, LoadRows4x2(a + 2 * a_stride, a_stride), LoadRows4x2(a, a_stride));
      const auto vb =
          hn::Combine(d, LoadRows4x2(b + 2 * b_stride, b_stride), LoadRows4x2(b, b_stride));
      acc = hn::Add(acc, SadSums(va, vb));
      a += 4 * a_stride;
      b += 4 * b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, acc)));
  } else if constexpr (kW == 8) {
    const hn::Full128<uint64_t> d64;
    auto acc0 = hn::Zero(d64);
    auto acc1 = hn::Zero(d64);
    for (int y = 0; y < h; y += 4) {
      acc0 = hn::Add(acc0, SadSums(LoadRows8x2(a, a_stride), LoadRows8x2(b, b_stride)));
      acc1 = hn::Add(acc1, SadSums(LoadRows8x2(a + 2 * a_stride, a_stride),
                                   LoadRows8x2(b + 2 * b_stride, b_stride)));
      a += 4 * a_stride;
      b += 4 * b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, hn::Add(acc0, acc1))));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  } else if constexpr (kW == 16) {
    // Two rows per 256-bit vector.
    const hn::Full128<uint8_t> d16;
    const hn::Full256<uint8_t> d32;
    const hn::Full256<uint64_t> d64;
    auto acc0 = hn::Zero(d64);
    auto acc1 = hn::Zero(d64);
    const auto rows2 = [&](const uint8_t *p, ptrdiff_t s) {
      return hn::Combine(d32, hn::LoadU(d16, p + s), hn::LoadU(d16, p));
    };
    for (int y = 0; y < h; y += 4) {
      acc0 = hn::Add(acc0, SadSums(rows2(a, a_stride), rows2(b, b_stride)));
      acc1 = hn::Add(acc1,
                     SadSums(rows2(a + 2 * a_stride, a_stride), rows2(b + 2 * b_stride, b_stride)));
      a += 4 * a_stride;
      b += 4 * b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, hn::Add(acc0, acc1))));
#endif
  } else {
    const hn::CappedTag<uint8_t, kW> d;
    const hn::Repartition<uint64_t, decltype(d)> d64;
    const size_t n = hn::Lanes(d);
    auto acc0 = hn::Zero(d64);
    auto acc1 = hn::Zero(d64);
    for (int y = 0; y < h; y += 2) {
      for (size_t x = 0; x < kW; x += n) {
        acc0 = hn::Add(acc0, SadSums(hn::LoadU(d, a + x), hn::LoadU(d, b + x)));
        acc1 =
            hn::Add(acc1, SadSums(hn::LoadU(d, a + a_stride + x), hn::LoadU(d, b + b_stride + x)));
      }
      a += 2 * a_stride;
      b += 2 * b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, hn::Add(acc0, acc1))));
  }
}

// Sizes outside the API's set go to the reference rather than read past a
// block.
uint32_t Sad(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride, int w,
             int h) {
  if (h % 4 != 0) {
    return reference_kernels().sad(a, a_stride, b, b_stride, w, h);
  }
  switch (w) {
  case 4:
    return SadW<4>(a, a_stride, b, b_stride, h);
  case 8:
    return SadW<8>(a, a_stride, b, b_stride, h);
  case 16:
    return SadW<16>(a, a_stride, b, b_stride, h);
  case 32:
    return SadW<32>(a, a_stride, b, b_stride, h);
  case 64:
    return SadW<64>(a, a_stride, b, b_stride, h);
  default:
    return reference_kernels().sad(a, a_stride, b, b_stride, w, h);
  }
}

// ---------------------------------------------------------------- SAD x4
//
// Each group of rows of a is loaded once and compared with the same rows of
// the four candidates; one u64 accumulator per candidate.

template <int kRows, class D, class Load>
HWY_INLINE void SadX4Groups(D /*d*/, const Load &load, const uint8_t *a, ptrdiff_t a_stride,
                            const uint8_t *const *b, ptrdiff_t b_stride, int h, uint32_t *sads) {
  const hn::Repartition<uint64_t, D> d64;
  auto s0 = hn::Zero(d64), s1 = hn::Zero(d64), s2 = hn::Zero(d64), s3 = hn::Zero(d64);
  const uint8_t *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
  for (int y = 0; y < h; y += kRows) {
    const auto va = load(a, a_stride);
    s0 = hn::Add(s0, SadSums(va, load(b0, b_stride)));
    s1 = hn::Add(s1, SadSums(va, load(b1, b_stride)));
    s2 = hn::Add(s2, SadSums(va, load(b2, b_stride)));
    s3 = hn::Add(s3, SadSums(va, load(b3, b_stride)));
    a += kRows * a_stride;
    b0 += kRows * b_stride;
    b1 += kRows * b_stride;
    b2 += kRows * b_stride;
    b3 += kRows * b_stride;
  }
  sads[0] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s0)));
  sads[1] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s1)));
  sads[2] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s2)));
  sads[3] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s3)));
}

// h is a multiple of 4. Narrow blocks pack several rows into one vector
// (16-wide: two rows in 256 bits where the target has them).
template <int kW>
void SadX4W(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *const *b, ptrdiff_t b_stride,
            int h, uint32_t *sads) {
  const hn::Full128<uint8_t> d16;
  if constexpr (kW == 4) {
    const auto load = [&](const uint8_t *p, ptrdiff_t s) {
      return hn::Combine(d16, LoadRows4x2(p + 2 * s, s), LoadRows4x2(p, s));
    };
    SadX4Groups<4>(d16, load, a, a_stride, b, b_stride, h, sads);
  } else if constexpr (kW == 8) {
    const auto load = [](const uint8_t *p, ptrdiff_t s) { return LoadRows8x2(p, s); };
    SadX4Groups<2>(d16, load, a, a_stride, b, b_stride, h, sads);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  } else if constexpr (kW == 16) {
    const hn::Full256<uint8_t> d32;
    const auto load = [&](const uint8_t *p, ptrdiff_t s) {
      return hn::Combine(d32, hn::LoadU(d16, p + s), hn::LoadU(d16, p));
    };
    SadX4Groups<2>(d32, load, a, a_stride, b, b_stride, h, sads);
#endif
  } else {
    const hn::CappedTag<uint8_t, kW> d;
    const hn::Repartition<uint64_t, decltype(d)> d64;
    const size_t n = hn::Lanes(d);
    auto s0 = hn::Zero(d64), s1 = hn::Zero(d64), s2 = hn::Zero(d64), s3 = hn::Zero(d64);
    for (int y = 0; y < h; ++y) {
      const ptrdiff_t ro = y * b_stride;
      for (size_t x = 0; x < kW; x += n) {
        const auto va = hn::LoadU(d, a + x);
        s0 = hn::Add(s0, SadSums(va, hn::LoadU(d, b[0] + ro + x)));
        s1 = hn::Add(s1, SadSums(va, hn::LoadU(d, b[1] + ro + x)));
        s2 = hn::Add(s2, SadSums(va, hn::LoadU(d, b[2] + ro + x)));
        s3 = hn::Add(s3, SadSums(va, hn::LoadU(d, b[3] + ro + x)));
      }
      a += a_stride;
    }
    sads[0] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s0)));
    sads[1] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s1)));
    sads[2] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s2)));
    sads[3] = static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d64, s3)));
  }
}

void SadX4(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *const b[4], ptrdiff_t b_stride,
           int w, int h, uint32_t sads[4]) {
  if (h % 4 == 0) {
    switch (w) {
    case 4:
      return SadX4W<4>(a, a_stride, b, b_stride, h, sads);
    case 8:
      return SadX4W<8>(a, a_stride, b, b_stride, h, sads);
    case 16:
      return SadX4W<16>(a, a_stride, b, b_stride, h, sads);
    case 32:
      return SadX4W<32>(a, a_stride, b, b_stride, h, sads);
    case 64:
      return SadX4W<64>(a, a_stride, b, b_stride, h, sads);
    default:
      break;
    }
  }
  reference_kernels().sad_x4(a, a_stride, b, b_stride, w, h, sads);
}

// ---------------------------------------------------------------- SATD
//
// Differences are held as i16: after the 8x8 transform a coefficient is at
// most 64 * 255 = 16320. The last butterfly stage is folded into the sum via
// |x + y| + |x - y| = 2 * max(|x|, |y|), which keeps the result exact.

template <class V> HWY_INLINE void Butterfly(V &x, V &y) {
  const V sum = hn::Add(x, y);
  y = hn::Sub(x, y);
  x = sum;
}

template <class D16>
HWY_INLINE hn::VFromD<D16> LoadDiff(D16 d16, const uint8_t *a, const uint8_t *b) {
  const hn::Rebind<uint8_t, D16> d8;
  return hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, a)), hn::PromoteTo(d16, hn::LoadU(d8, b)));
}

// Folds the lanes of a vector of small non-negative i16 sums into i32 lanes.
template <class D16>
HWY_INLINE void Accumulate(D16 d16, hn::VFromD<D16> v, hn::VFromD<hn::RepartitionToWide<D16>> &acc0,
                           hn::VFromD<hn::RepartitionToWide<D16>> &acc1) {
  const hn::RepartitionToWide<D16> d32;
  acc0 = hn::ReorderWidenMulAccumulate(d32, v, hn::Set(d16, int16_t{1}), acc0, acc1);
}

// Four rows r0..r3 of 4x4 blocks, two blocks per 128-bit block of each
// vector (block A in lanes 0-3, block B in lanes 4-7). Returns per-lane
// partial sums whose total is half the SATD of all these blocks.
template <class D16>
HWY_INLINE hn::VFromD<D16> HalfSatd4x4(D16 d16, hn::VFromD<D16> r0, hn::VFromD<D16> r1,
                                       hn::VFromD<D16> r2, hn::VFromD<D16> r3) {
  const hn::RepartitionToWide<D16> d32;
  const hn::RepartitionToWide<decltype(d32)> d64;
  Butterfly(r0, r1);
  Butterfly(r2, r3);
  Butterfly(r0, r2);
  Butterfly(r1, r3);
  // Transpose: u0 = A columns 0|1, u1 = A columns 2|3, u2/u3 the same for B.
  const auto t0 = hn::BitCast(d32, hn::InterleaveLower(d16, r0, r1));
  const auto t1 = hn::BitCast(d32, hn::InterleaveUpper(d16, r0, r1));
  const auto t2 = hn::BitCast(d32, hn::InterleaveLower(d16, r2, r3));
  const auto t3 = hn::BitCast(d32, hn::InterleaveUpper(d16, r2, r3));
  auto u0 = hn::BitCast(d16, hn::InterleaveLower(d32, t0, t2));
  auto u1 = hn::BitCast(d16, hn::InterleaveUpper(d32, t0, t2));
  auto u2 = hn::BitCast(d16, hn::InterleaveLower(d32, t1, t3));
  auto u3 = hn::BitCast(d16, hn::InterleaveUpper(d32, t1, t3));
  Butterfly(u0, u1);
  Butterfly(u2, u3);
  // The last stage pairs the two 64-bit halves: gather them into x and y.
  const auto v0 = hn::BitCast(d64, u0);
  const auto v1 = hn::BitCast(d64, u1);
  const auto v2 = hn::BitCast(d64, u2);
  const auto v3 = hn::BitCast(d64, u3);
  const auto x0 = hn::BitCast(d16, hn::InterleaveLower(d64, v0, v2));
  const auto y0 = hn::BitCast(d16, hn::InterleaveUpper(d64, v0, v2));
  const auto x1 = hn::BitCast(d16, hn::InterleaveLower(d64, v1, v3));
  const auto y1 = hn::BitCast(d16, hn::InterleaveUpper(d64, v1, v3));
  return hn::Add(hn::Max(hn::Abs(x0), hn::Abs(y0)), hn::Max(hn::Abs(x1), hn::Abs(y1)));
}

// Eight rows of 8x8 blocks, one block per 128-bit block of each vector.
// Returns per-lane partial sums (at most 4 * 8160) totalling half the SATD.
template <class D16>
HWY_INLINE hn::VFromD<D16> HalfSatd8x8(D16 d16, const uint8_t *a, ptrdiff_t a_stride,
                                       const uint8_t *b, ptrdiff_t b_stride) {
  const hn::RepartitionToWide<D16> d32;
  const hn::RepartitionToWide<decltype(d32)> d64;
  auto r0 = LoadDiff(d16, a, b);
  auto r1 = LoadDiff(d16, a + 1 * a_stride, b + 1 * b_stride);
  auto r2 = LoadDiff(d16, a + 2 * a_stride, b + 2 * b_stride);
  auto r3 = LoadDiff(d16, a + 3 * a_stride, b + 3 * b_stride);
  auto r4 = LoadDiff(d16, a + 4 * a_stride, b + 4 * b_stride);
  auto r5 = LoadDiff(d16, a + 5 * a_stride, b + 5 * b_stride);
  auto r6 = LoadDiff(d16, a + 6 * a_stride, b + 6 * b_stride);
  auto r7 = LoadDiff(d16, a + 7 * a_stride, b + 7 * b_stride);
  // Vertical transform: rows are whole vectors.
  Butterfly(r0, r1);
  Butterfly(r2, r3);
  Butterfly(r4, r5);
  Butterfly(r6, r7);
  Butterfly(r0, r2);
  Butterfly(r1, r3);
  Butterfly(r4, r6);
  Butterfly(r5, r7);
  Butterfly(r0, r4);
  Butterfly(r1, r5);
  Butterfly(r2, r6);
  Butterfly(r3, r7);
  // Transpose each 8x8 block within its 128-bit block: c[k] = column k.
  const auto t0 = hn::BitCast(d32, hn::InterleaveLower(d16, r0, r1));
  const auto t1 = hn::BitCast(d32, hn::InterleaveUpper(d16, r0, r1));
  const auto t2 = hn::BitCast(d32, hn::InterleaveLower(d16, r2, r3));
  const auto t3 = hn::BitCast(d32, hn::InterleaveUpper(d16, r2, r3));
  const auto t4 = hn::BitCast(d32, hn::InterleaveLower(d16, r4, r5));
  const auto t5 = hn::BitCast(d32, hn::InterleaveUpper(d16, r4, r5));
  const auto t6 = hn::BitCast(d32, hn::InterleaveLower(d16, r6, r7));
  const auto t7 = hn::BitCast(d32, hn::InterleaveUpper(d16, r6, r7));
  const auto u0 = hn::BitCast(d64, hn::InterleaveLower(d32, t0, t2));
  const auto u1 = hn::BitCast(d64, hn::InterleaveUpper(d32, t0, t2));
  const auto u2 = hn::BitCast(d64, hn::InterleaveLower(d32, t1, t3));
  const auto u3 = hn::BitCast(d64, hn::InterleaveUpper(d32, t1, t3));
  const auto u4 = hn::BitCast(d64, hn::InterleaveLower(d32, t4, t6));
  const auto u5 = hn::BitCast(d64, hn::InterleaveUpper(d32, t4, t6));
  const auto u6 = hn::BitCast(d64, hn::InterleaveLower(d32, t5, t7));
  const auto u7 = hn::BitCast(d64, hn::InterleaveUpper(d32, t5, t7));
  auto c0 = hn::BitCast(d16, hn::InterleaveLower(d64, u0, u4));
  auto c1 = hn::BitCast(d16, hn::InterleaveUpper(d64, u0, u4));
  auto c2 = hn::BitCast(d16, hn::InterleaveLower(d64, u1, u5));
  auto c3 = hn::BitCast(d16, hn::InterleaveUpper(d64, u1, u5));
  auto c4 = hn::BitCast(d16, hn::InterleaveLower(d64, u2, u6));
  auto c5 = hn::BitCast(d16, hn::InterleaveUpper(d64, u2, u6));
  auto c6 = hn::BitCast(d16, hn::InterleaveLower(d64, u3, u7));
  auto c7 = hn::BitCast(d16, hn::InterleaveUpper(d64, u3, u7));
  // Horizontal transform: two stages, the third folded into the sum.
  Butterfly(c0, c1);
  Butterfly(c2, c3);
  Butterfly(c4, c5);
  Butterfly(c6, c7);
  Butterfly(c0, c2);
  Butterfly(c1, c3);
  Butterfly(c4, c6);
  Butterfly(c5, c7);
  const auto m0 = hn::Max(hn::Abs(c0), hn::Abs(c4));
  const auto m1 = hn::Max(hn::Abs(c1), hn::Abs(c5));
  const auto m2 = hn::Max(hn::Abs(c2), hn::Abs(c6));
  const auto m3 = hn::Max(hn::Abs(c3), hn::Abs(c7));
  return hn::Add(hn::Add(m0, m1), hn::Add(m2, m3));
}

// A 4-wide row of differences (lanes 0-3) and, if lower, the row four below
// it (lanes 4-7), so one vector holds two vertically adjacent 4x4 blocks.
HWY_INLINE hn::Vec128<int16_t> LoadDiffStacked(const uint8_t *a, ptrdiff_t a_stride,
                                               const uint8_t *b, ptrdiff_t b_stride, bool lower) {
  const hn::Full128<int16_t> d16;
  const hn::CappedTag<int16_t, 4> d4;
  const auto top = LoadDiff(d4, a, b);
  const auto bottom = lower ? LoadDiff(d4, a + 4 * a_stride, b + 4 * b_stride) : hn::Zero(d4);
  return hn::Combine(d16, bottom, top);
}

// h is a multiple of 4; 8x8 transforms are used when it is a multiple of 8.
template <int kW>
uint32_t SatdW(const uint8_t *HWY_RESTRICT a, ptrdiff_t a_stride, const uint8_t *HWY_RESTRICT b,
               ptrdiff_t b_stride, int h) {
  if constexpr (kW == 4) {
    // One 4-wide column of blocks: stack two blocks vertically per vector.
    const hn::Full128<int16_t> d16;
    const hn::RepartitionToWide<decltype(d16)> d32;
    auto acc0 = hn::Zero(d32);
    auto acc1 = hn::Zero(d32);
    for (int y = 0; y < h; y += 8) {
      const bool lower = y + 4 < h;
      const auto r0 = LoadDiffStacked(a, a_stride, b, b_stride, lower);
      const auto r1 = LoadDiffStacked(a + a_stride, a_stride, b + b_stride, b_stride, lower);
      const auto r2 =
          LoadDiffStacked(a + 2 * a_stride, a_stride, b + 2 * b_stride, b_stride, lower);
      const auto r3 =
          LoadDiffStacked(a + 3 * a_stride, a_stride, b + 3 * b_stride, b_stride, lower);
      Accumulate(d16, HalfSatd4x4(d16, r0, r1, r2, r3), acc0, acc1);
      a += 8 * a_stride;
      b += 8 * b_stride;
    }
    return 2 * static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  } else {
    const hn::CappedTag<int16_t, kW> d16;
    const hn::RepartitionToWide<decltype(d16)> d32;
    const size_t n = hn::Lanes(d16);
    auto acc0 = hn::Zero(d32);
    auto acc1 = hn::Zero(d32);
    if (h % 8 == 0) {
      for (int y = 0; y < h; y += 8) {
        for (size_t x = 0; x < kW; x += n) {
          Accumulate(d16, HalfSatd8x8(d16, a + x, a_stride, b + x, b_stride), acc0, acc1);
        }
        a += 8 * a_stride;
        b += 8 * b_stride;
      }
    } else {
      for (int y = 0; y < h; y += 4) {
        for (size_t x = 0; x < kW; x += n) {
          const auto r0 = LoadDiff(d16, a + x, b + x);
          const auto r1 = LoadDiff(d16, a + a_stride + x, b + b_stride + x);
          const auto r2 = LoadDiff(d16, a + 2 * a_stride + x, b + 2 * b_stride + x);
          const auto r3 = LoadDiff(d16, a + 3 * a_stride + x, b + 3 * b_stride + x);
          Accumulate(d16, HalfSatd4x4(d16, r0, r1, r2, r3), acc0, acc1);
        }
        a += 4 * a_stride;
        b += 4 * b_stride;
      }
    }
    return 2 * static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  }
}

uint32_t Satd(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride, int w,
              int h) {
  if (h % 4 != 0) {
    return reference_kernels().satd(a, a_stride, b, b_stride, w, h);
  }
  switch (w) {
  case 4:
    return SatdW<4>(a, a_stride, b, b_stride, h);
  case 8:
    return SatdW<8>(a, a_stride, b, b_stride, h);
  case 16:
    return SatdW<16>(a, a_stride, b, b_stride, h);
  case 32:
    return SatdW<32>(a, a_stride, b, b_stride, h);
  case 64:
    return SatdW<64>(a, a_stride, b, b_stride, h);
  default:
    return reference_kernels().satd(a, a_stride, b, b_stride, w, h);
  }
}

// ---------------------------------------------------------------- SSE
//
// |a - b| is formed in u8, widened to i16 and squared-and-paired into i32
// lanes (pmaddwd on x86). An i32 lane takes at most 4 squares (4 * 65025) per
// full vector, so the vector sums are flushed to u64 well before 2^31.

constexpr size_t kSseFlushSteps = 8000;
// A row tail adds at most 4 + 2 + 1 squares to a lane of tail*.
constexpr size_t kSseTailFlushRows = 4096;

// Adds the squared differences of two vectors of at least 16 bytes to
// acc0/acc1.
template <class D8, class V32>
HWY_INLINE void SseAccumulate(D8 d8, hn::VFromD<D8> va, hn::VFromD<D8> vb, V32 &acc0, V32 &acc1) {
  const hn::RepartitionToWide<D8> du16;
  const hn::RebindToSigned<decltype(du16)> di16;
  const hn::RepartitionToWide<decltype(di16)> di32;
  const auto ad = AbsDiffU8(va, vb);
  const auto zero = hn::Zero(d8);
  const auto lo = hn::BitCast(di16, hn::ZipLower(du16, ad, zero));
  const auto hi = hn::BitCast(di16, hn::ZipUpper(du16, ad, zero));
  acc0 = hn::ReorderWidenMulAccumulate(di32, lo, lo, acc0, acc1);
  acc0 = hn::ReorderWidenMulAccumulate(di32, hi, hi, acc0, acc1);
}

template <class D8, class V32>
HWY_INLINE void SseStep(D8 d8, const uint8_t *a, const uint8_t *b, V32 &acc0, V32 &acc1) {
  SseAccumulate(d8, hn::LoadU(d8, a), hn::LoadU(d8, b), acc0, acc1);
}

// The block sizes of the encoder's decisions, with h a multiple of 4 and at
// most 64: the whole sum (at most 64 * 64 * 65025) fits an i32 lane, so no
// flushing and no row tails.
template <int kW>
uint64_t SseBlock(const uint8_t *HWY_RESTRICT a, ptrdiff_t a_stride, const uint8_t *HWY_RESTRICT b,
                  ptrdiff_t b_stride, int h) {
  if constexpr (kW == 4 || kW == 8) {
    const hn::Full128<uint8_t> d;
    const hn::Full128<int32_t> d32;
    auto acc0 = hn::Zero(d32);
    auto acc1 = hn::Zero(d32);
    for (int y = 0; y < h; y += 4) {
      if constexpr (kW == 4) {
        SseAccumulate(
            d, hn::Combine(d, LoadRows4x2(a + 2 * a_stride, a_stride), LoadRows4x2(a, a_stride)),
            hn::Combine(d, LoadRows4x2(b + 2 * b_stride, b_stride), LoadRows4x2(b, b_stride)), acc0,
            acc1);
      } else {
        SseAccumulate(d, LoadRows8x2(a, a_stride), LoadRows8x2(b, b_stride), acc0, acc1);
        SseAccumulate(d, LoadRows8x2(a + 2 * a_stride, a_stride),
                      LoadRows8x2(b + 2 * b_stride, b_stride), acc0, acc1);
      }
      a += 4 * a_stride;
      b += 4 * b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  } else {
    const hn::CappedTag<uint8_t, kW> d;
    const hn::Repartition<int32_t, decltype(d)> d32;
    const size_t n = hn::Lanes(d);
    auto acc0 = hn::Zero(d32);
    auto acc1 = hn::Zero(d32);
    for (int y = 0; y < h; ++y) {
      for (size_t x = 0; x < kW; x += n) {
        SseStep(d, a + x, b + x, acc0, acc1);
      }
      a += a_stride;
      b += b_stride;
    }
    return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1))));
  }
}

// Any w x h: full vectors, then narrower steps for the row tail.
uint64_t SseAny(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride, int w,
                int h) {
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Full128<uint8_t> d8x16;
  const hn::CappedTag<uint8_t, 8> d8x8;
  const hn::CappedTag<uint8_t, 4> d8x4;
  const hn::Full128<int16_t> d16x8;
  const hn::Full128<int32_t> d32x4;
  const size_t n = hn::Lanes(d8);
  const size_t width = static_cast<size_t>(w);

  // Full vectors accumulate in acc*, row tails (< n bytes) in tail*.
  auto acc0 = hn::Zero(d32);
  auto acc1 = hn::Zero(d32);
  auto tail0 = hn::Zero(d32x4);
  auto tail1 = hn::Zero(d32x4);
  uint64_t total = 0;
  size_t steps = 0;     // full vectors since the last flush of acc*
  size_t tail_rows = 0; // rows since the last flush of tail*
  for (int y = 0; y < h; ++y) {
    size_t x = 0;
    while (width - x >= n) {
      const size_t run = std::min((width - x) / n, kSseFlushSteps - steps);
      for (size_t i = 0; i < run; ++i, x += n) {
        SseStep(d8, a + x, b + x, acc0, acc1);
      }
      steps += run;
      if (steps == kSseFlushSteps) {
        total += SumU32Lanes(d32, hn::Add(acc0, acc1));
        acc0 = hn::Zero(d32);
        acc1 = hn::Zero(d32);
        steps = 0;
      }
    }
    if (x < width) {
      if (width - x >= 16) {
        SseStep(d8x16, a + x, b + x, tail0, tail1);
        x += 16;
      }
      if (width - x >= 8) {
        const auto ad = AbsDiffU8(hn::LoadU(d8x8, a + x), hn::LoadU(d8x8, b + x));
        const auto v = hn::PromoteTo(d16x8, ad);
        tail0 = hn::ReorderWidenMulAccumulate(d32x4, v, v, tail0, tail1);
        x += 8;
      }
      if (width - x >= 4) {
        const auto v = hn::Sub(hn::PromoteTo(d32x4, hn::LoadU(d8x4, a + x)),
                               hn::PromoteTo(d32x4, hn::LoadU(d8x4, b + x)));
        tail0 = hn::Add(tail0, hn::Mul(v, v));
        x += 4;
      }
      for (; x < width; ++x) {
        const int d = a[x] - b[x];
        total += static_cast<uint64_t>(d * d);
      }
      if (++tail_rows == kSseTailFlushRows) {
        total += SumU32Lanes(d32x4, hn::Add(tail0, tail1));
        tail0 = hn::Zero(d32x4);
        tail1 = hn::Zero(d32x4);
        tail_rows = 0;
      }
    }
    a += a_stride;
    b += b_stride;
  }
  return total + SumU32Lanes(d32, hn::Add(acc0, acc1)) + SumU32Lanes(d32x4, hn::Add(tail0, tail1));
}

uint64_t Sse(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride, int w,
             int h) {
  if (h <= 64 && h % 4 == 0) {
    switch (w) {
    case 4:
      return SseBlock<4>(a, a_stride, b, b_stride, h);
    case 8:
      return SseBlock<8>(a, a_stride, b, b_stride, h);
    case 16:
      return SseBlock<16>(a, a_stride, b, b_stride, h);
    case 32:
      return SseBlock<32>(a, a_stride, b, b_stride, h);
    case 64:
      return SseBlock<64>(a, a_stride, b, b_stride, h);
    default:
      break;
    }
  }
  return SseAny(a, a_stride, b, b_stride, w, h);
}

// ---------------------------------------------------------------- copy

// Copies one row of n <= row bytes using vectors of d; a last vector that
// overlaps bytes already copied replaces a byte loop.
template <class D>
HWY_INLINE void CopyRow(D d, uint8_t *HWY_RESTRICT dst, const uint8_t *HWY_RESTRICT src,
                        size_t row) {
  const size_t n = hn::Lanes(d);
  size_t x = 0;
  for (; x + 4 * n <= row; x += 4 * n) {
    const auto v0 = hn::LoadU(d, src + x);
    const auto v1 = hn::LoadU(d, src + x + n);
    const auto v2 = hn::LoadU(d, src + x + 2 * n);
    const auto v3 = hn::LoadU(d, src + x + 3 * n);
    hn::StoreU(v0, d, dst + x);
    hn::StoreU(v1, d, dst + x + n);
    hn::StoreU(v2, d, dst + x + 2 * n);
    hn::StoreU(v3, d, dst + x + 3 * n);
  }
  for (; x + n <= row; x += n) {
    hn::StoreU(hn::LoadU(d, src + x), d, dst + x);
  }
  if (x < row) {
    hn::StoreU(hn::LoadU(d, src + row - n), d, dst + row - n);
  }
}

template <class D>
HWY_INLINE void CopyRows(D d, uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src,
                         ptrdiff_t src_stride, size_t row, int height) {
  for (int y = 0; y < height; ++y) {
    CopyRow(d, dst, src, row);
    dst += dst_stride;
    src += src_stride;
  }
}

void CopyPlane(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src, ptrdiff_t src_stride,
               int width, int height) {
  if (width <= 0 || height <= 0) {
    return;
  }
  const size_t row = static_cast<size_t>(width);
  if (dst_stride == src_stride && static_cast<size_t>(src_stride) == row) {
    std::memcpy(dst, src, row * static_cast<size_t>(height));
    return;
  }
  // The widest vector that fits the row, so narrow planes avoid byte loops.
  const hn::ScalableTag<uint8_t> d;
  if (row >= hn::Lanes(d)) {
    CopyRows(d, dst, dst_stride, src, src_stride, row, height);
  } else if (row >= 16) {
    CopyRows(hn::Full128<uint8_t>(), dst, dst_stride, src, src_stride, row, height);
  } else if (row >= 8) {
    CopyRows(hn::CappedTag<uint8_t, 8>(), dst, dst_stride, src, src_stride, row, height);
  } else if (row >= 4) {
    CopyRows(hn::CappedTag<uint8_t, 4>(), dst, dst_stride, src, src_stride, row, height);
  } else {
    for (int y = 0; y < height; ++y) {
      for (size_t x = 0; x < row; ++x) {
        dst[x] = src[x];
      }
      dst += dst_stride;
      src += src_stride;
    }
  }
}

const TargetTable<Kernels> *GetTargetKernels() {
  static const TargetTable<Kernels> kTable = {
      HWY_TARGET, {hwy::TargetName(HWY_TARGET), Sad, Satd, Sse, CopyPlane, SadX4}};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace quad::dsp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::dsp {

QUAD_EXPORT_TARGET_TABLES(Kernels, GetTargetKernels, reference_kernels, kernels, all_kernels)

} // namespace quad::dsp
#endif
