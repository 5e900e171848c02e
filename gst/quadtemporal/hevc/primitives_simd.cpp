// The primitives per Highway target. foreach_target.h compiles this file once
// per target; the best table the CPU runs is picked on first use. Quantisation
// and the bi-prediction average are written with Highway's vectors; the
// transforms and intra prediction are the reference kernels compiled for the
// target, whose lane loops the compiler vectorises with its instructions,
// where that pays; the block metrics and luma interpolation are common/dsp's
// for the same target.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "dsp/dispatch.h"
#include "intra_pred.h"
#include "primitives.h"
#include "transform_matrices.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "primitives_simd.cpp"
#include <hwy/foreach_target.h> // must precede highway.h

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace quad::dsp {
namespace HWY_NAMESPACE {
// The same target's tables in dsp_simd.cpp and interp_simd.cpp.
const TargetTable<Kernels> *GetTargetKernels();
const TargetTable<InterpKernels> *GetTargetInterpKernels();
} // namespace HWY_NAMESPACE
} // namespace quad::dsp

namespace quad::hevc {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
QUAD_SCALAR_TARGET_TABLE(Primitives, GetTargetPrimitives, reference_primitives)
#else
namespace hn = hwy::HWY_NAMESPACE;

namespace transform {
#include "transform_kernels-inl.h"
} // namespace transform

namespace intra {
#include "intra_kernels-inl.h"
} // namespace intra

// 16 lanes of 32 bits at most, so that every count (a multiple of 16) is a
// whole number of vectors.
using D32 = hn::CappedTag<int32_t, 16>;

int Quant(const int16_t *coeffs, int16_t *levels, int count, int scale, int shift, int offset) {
  const D32 d32;
  const hn::Rebind<int16_t, D32> d16;
  const size_t n = hn::Lanes(d32);
  const auto vscale = hn::Set(d32, scale);
  const auto voffset = hn::Set(d32, offset);
  const auto vmax = hn::Set(d32, 32767);
  size_t nonzero = 0;
  for (size_t i = 0; i < static_cast<size_t>(count); i += n) {
    // Widened before Abs: |-32768| needs 17 bits.
    const auto c = hn::PromoteTo(d32, hn::LoadU(d16, coeffs + i));
    const auto level =
        hn::Min(hn::ShiftRightSame(hn::Add(hn::Mul(hn::Abs(c), vscale), voffset), shift), vmax);
    nonzero += hn::CountTrue(d32, hn::Ne(level, hn::Zero(d32)));
    // The sign back as (level ^ s) - s, s = 0 or -1: Highway 1.0's SSSE3
    // IfNegativeThenElse on 32-bit lanes blends bits, not lanes.
    const auto sign = hn::ShiftRight<31>(c);
    hn::StoreU(hn::DemoteTo(d16, hn::Sub(hn::Xor(level, sign), sign)), d16, levels + i);
  }
  return static_cast<int>(nonzero);
}

void Dequant(const int16_t *levels, int16_t *coeffs, int count, int scale, int shift) {
  const D32 d32;
  const hn::Rebind<int16_t, D32> d16;
  const size_t n = hn::Lanes(d32);
  const auto vscale = hn::Set(d32, scale);
  const auto vround = hn::Set(d32, shift > 0 ? 1 << (shift - 1) : 0);
  for (size_t i = 0; i < static_cast<size_t>(count); i += n) {
    const auto level = hn::PromoteTo(d32, hn::LoadU(d16, levels + i));
    const auto v = hn::ShiftRightSame(hn::Add(hn::Mul(level, vscale), vround), shift);
    // DemoteTo saturates: the Clip3 to 16 bits.
    hn::StoreU(hn::DemoteTo(d16, v), d16, coeffs + i);
  }
}

// Saturating 16-bit sums: whenever a + b + 64 leaves the 16-bit range, the
// exact result clips to 0 or 255 and so does the saturated one.
template <class D16>
void AvgRows(D16 d16, const int16_t *a, ptrdiff_t a_stride, const int16_t *b, ptrdiff_t b_stride,
             uint8_t *dst, ptrdiff_t dst_stride, int w, int h) {
  const hn::Rebind<uint8_t, D16> d8;
  const size_t n = hn::Lanes(d16);
  const auto offset = hn::Set(d16, int16_t{64});
  for (int y = 0; y < h; ++y) {
    for (size_t x = 0; x < static_cast<size_t>(w); x += n) {
      const auto sum = hn::SaturatedAdd(hn::SaturatedAdd(hn::LoadU(d16, a + y * a_stride + x),
                                                         hn::LoadU(d16, b + y * b_stride + x)),
                                        offset);
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<7>(sum)), d8, dst + y * dst_stride + x);
    }
  }
}

void AvgBipred(const int16_t *a, ptrdiff_t a_stride, const int16_t *b, ptrdiff_t b_stride,
               uint8_t *dst, ptrdiff_t dst_stride, int w, int h) {
  if (w % 32 == 0)
    AvgRows(hn::CappedTag<int16_t, 32>(), a, a_stride, b, b_stride, dst, dst_stride, w, h);
  else if (w % 16 == 0)
    AvgRows(hn::CappedTag<int16_t, 16>(), a, a_stride, b, b_stride, dst, dst_stride, w, h);
  else if (w % 8 == 0)
    AvgRows(hn::CappedTag<int16_t, 8>(), a, a_stride, b, b_stride, dst, dst_stride, w, h);
  else
    AvgRows(hn::CappedTag<int16_t, 4>(), a, a_stride, b, b_stride, dst, dst_stride, w, h);
}

// Planar and DC gain nothing from the target's instructions (checkasm
// --bench), the angular modes of 8x8 and larger do.
template <int N> void Intra(const uint8_t *line, int mode, bool edge_filters, uint8_t *pred) {
  if (mode == kIntraPlanar || mode == kIntraDc)
    reference::intra<N>(line, mode, edge_filters, pred);
  else
    intra::intra<N>(line, mode, edge_filters, pred);
}

const dsp::TargetTable<Primitives> *GetTargetPrimitives() {
  const dsp::Kernels &metrics = dsp::HWY_NAMESPACE::GetTargetKernels()->kernels;
  static const dsp::TargetTable<Primitives> kTable = {
      HWY_TARGET,
      {
          hwy::TargetName(HWY_TARGET),
          {transform::forward_dct<4>, transform::forward_dct<8>, transform::forward_dct<16>,
           transform::forward_dct<32>},
          // The 4x4 inverse DCT runs faster as the reference.
          {reference::inverse_dct<4>, transform::inverse_dct<8>, transform::inverse_dct<16>,
           transform::inverse_dct<32>},
          transform::forward_dst4,
          transform::inverse_dst4,
          Quant,
          Dequant,
          {reference::intra<4>, Intra<8>, Intra<16>, Intra<32>},
          metrics.sad,
          metrics.satd,
          metrics.sse,
          dsp::HWY_NAMESPACE::GetTargetInterpKernels()->kernels.luma,
          // No vector version of the chroma filter beats the scalar one yet.
          reference::interp_chroma_block,
          AvgBipred,
      }};
  return &kTable;
}
#endif // HWY_TARGET == HWY_SCALAR

} // namespace HWY_NAMESPACE
} // namespace quad::hevc
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quad::hevc {

QUAD_EXPORT_TARGET_TABLES(Primitives, GetTargetPrimitives, reference_primitives, primitives,
                          all_primitives)

} // namespace quad::hevc
#endif
