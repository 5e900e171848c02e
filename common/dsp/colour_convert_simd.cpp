// Highway versions of the colour-conversion row kernels. foreach_target.h
// compiles this file once per target; the best table the CPU runs is picked
// on first use.
#include "dsp/colour_convert.h"
#include "dsp/dispatch.h"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/colour_convert_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
QUAD_SCALAR_TARGET_TABLE(ConvertKernels, GetTargetConvertKernels, reference_convert_kernels)
#else
namespace hn = hwy::HWY_NAMESPACE;

// One pixel per i32 lane: the 4 bytes of a pixel are the lane.
void RgbToYuvRow(const uint8_t *src, int width, const RgbToYuvParams &p, uint8_t *y, uint8_t *u,
                 uint8_t *v) {
  const hn::ScalableTag<int32_t> d32;
  const hn::Repartition<uint8_t, decltype(d32)> d8x4;
  const hn::Rebind<uint8_t, decltype(d32)> d8;
  const int n = int(hn::Lanes(d32));
  const auto mask = hn::Set(d32, 0xFF);
  const auto yr = hn::Set(d32, p.yr), yg = hn::Set(d32, p.yg), yb = hn::Set(d32, p.yb);
  const auto ur = hn::Set(d32, p.ur), ug = hn::Set(d32, p.ug), ub = hn::Set(d32, p.ub);
  const auto vr = hn::Set(d32, p.vr), vg = hn::Set(d32, p.vg), vb = hn::Set(d32, p.vb);
  const auto yo = hn::Set(d32, p.y_offset), co = hn::Set(d32, p.c_offset);
  int x = 0;
  for (; x + n <= width; x += n) {
    const auto px = hn::BitCast(d32, hn::LoadU(d8x4, src + 4 * x));
    // The mask also clears what an arithmetic shift of the top byte smears.
    const auto r = hn::And(hn::ShiftRightSame(px, p.r_shift), mask);
    const auto g = hn::And(hn::ShiftRightSame(px, p.g_shift), mask);
    const auto b = hn::And(hn::ShiftRightSame(px, p.b_shift), mask);
    if (y) {
      const auto vy = hn::ShiftRight<16>(r * yr + g * yg + b * yb + yo);
      hn::StoreU(hn::DemoteTo(d8, vy), d8, y + x);
    }
    const auto vu = hn::ShiftRight<16>(r * ur + g * ug + b * ub + co);
    const auto vv = hn::ShiftRight<16>(r * vr + g * vg + b * vb + co);
    hn::StoreU(hn::DemoteTo(d8, vu), d8, u + x);
    hn::StoreU(hn::DemoteTo(d8, vv), d8, v + x);
  }
  if (x < width)
    reference_convert_kernels().rgb_to_yuv_row(src + 4 * x, width - x, p, y ? y + x : nullptr,
                                               u + x, v + x);
}

// The sum of each pair of neighbouring bytes, in u16 lanes: one multiply-add
// by ones (pmaddubsw) on x86, else the low byte plus the high byte.
template <class D16> HWY_INLINE hn::VFromD<D16> PairSums(D16 d16, const uint8_t *p) {
  const hn::Repartition<uint8_t, D16> d8x2;
  const auto v = hn::LoadU(d8x2, p);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
  const auto ones = hn::Set(hn::Repartition<int8_t, D16>(), 1);
#if HWY_TARGET <= HWY_AVX3
  if constexpr (hn::MaxLanes(d16) == 32)
    return hn::VFromD<D16>{_mm512_maddubs_epi16(v.raw, ones.raw)};
#endif
#if HWY_TARGET <= HWY_AVX2
  if constexpr (hn::MaxLanes(d16) == 16)
    return hn::VFromD<D16>{_mm256_maddubs_epi16(v.raw, ones.raw)};
#endif
  if constexpr (hn::MaxLanes(d16) == 8)
    return hn::VFromD<D16>{_mm_maddubs_epi16(v.raw, ones.raw)};
#endif
  const auto w = hn::BitCast(d16, v);
  return hn::Add(hn::And(w, hn::Set(d16, 0xFF)), hn::ShiftRight<8>(w));
}

template <class D16>
HWY_INLINE void Reduce2x2At(D16 d16, const uint8_t *a, const uint8_t *b, int x, uint8_t *out) {
  const hn::RebindToSigned<D16> di16;
  const hn::Rebind<uint8_t, D16> d8;
  const auto sum = hn::Add(PairSums(d16, a + 2 * x), PairSums(d16, b + 2 * x));
  const auto mean = hn::ShiftRight<2>(hn::Add(sum, hn::Set(d16, 2)));
  hn::StoreU(hn::DemoteTo(d8, hn::BitCast(di16, mean)), d8, out + x);
}

// A load that straddles two cache lines costs two, and 4:4:4 rows often
// start mid-line (a frame after a header): after one unaligned vector the
// loop moves to where row a's loads are aligned, and the last vector ends
// at n, overlapping what is already written rather than leaving a tail.
void Reduce2x2Row(const uint8_t *a, const uint8_t *b, int n, uint8_t *out) {
  const hn::ScalableTag<uint16_t> d16;
  const int lanes = int(hn::Lanes(d16));
  if (n < lanes) {
    reference_convert_kernels().reduce_2x2_row(a, b, n, out);
    return;
  }
  Reduce2x2At(d16, a, b, 0, out);
  const int bytes = 2 * lanes;
  const int misaligned = int(reinterpret_cast<uintptr_t>(a) % uintptr_t(bytes));
  int x = misaligned % 2 == 0 && misaligned != 0 ? (bytes - misaligned) / 2 : lanes;
  for (; x + lanes <= n; x += lanes)
    Reduce2x2At(d16, a, b, x, out);
  if (x < n)
    Reduce2x2At(d16, a, b, n - lanes, out);
}

void InterleaveRow(const uint8_t *u, const uint8_t *v, int n, uint8_t *uv) {
  const hn::ScalableTag<uint8_t> d8;
  const int lanes = int(hn::Lanes(d8));
  int x = 0;
  for (; x + lanes <= n; x += lanes)
    hn::StoreInterleaved2(hn::LoadU(d8, u + x), hn::LoadU(d8, v + x), d8, uv + 2 * x);
  if (x < n)
    reference_convert_kernels().interleave_row(u + x, v + x, n - x, uv + 2 * x);
}

const TargetTable<ConvertKernels> *GetTargetConvertKernels() {
  static const TargetTable<ConvertKernels> kTable = {
      HWY_TARGET, {hwy::TargetName(HWY_TARGET), RgbToYuvRow, Reduce2x2Row, InterleaveRow}};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace quad::dsp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::dsp {

QUAD_EXPORT_TARGET_TABLES(ConvertKernels, GetTargetConvertKernels, reference_convert_kernels,
                          convert_kernels, all_convert_kernels)

} // namespace quad::dsp
#endif
