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

// Each u16 lane of a row holds two neighbouring samples: their sum is the
// low byte plus the high byte.
void Reduce2x2Row(const uint8_t *a, const uint8_t *b, int n, uint8_t *out) {
  const hn::ScalableTag<uint16_t> d16;
  const hn::RebindToSigned<decltype(d16)> di16;
  const hn::Repartition<uint8_t, decltype(d16)> d8x2;
  const hn::Rebind<uint8_t, decltype(d16)> d8;
  const int lanes = int(hn::Lanes(d16));
  const auto low = hn::Set(d16, 0xFF);
  const auto two = hn::Set(d16, 2);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto va = hn::BitCast(d16, hn::LoadU(d8x2, a + 2 * x));
    const auto vb = hn::BitCast(d16, hn::LoadU(d8x2, b + 2 * x));
    const auto sum = hn::Add(hn::Add(hn::And(va, low), hn::ShiftRight<8>(va)),
                             hn::Add(hn::And(vb, low), hn::ShiftRight<8>(vb)));
    const auto mean = hn::ShiftRight<2>(hn::Add(sum, two));
    hn::StoreU(hn::DemoteTo(d8, hn::BitCast(di16, mean)), d8, out + x);
  }
  if (x < n)
    reference_convert_kernels().reduce_2x2_row(a + 2 * x, b + 2 * x, n - x, out + x);
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
