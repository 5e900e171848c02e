// The primitives per Highway target. foreach_target.h compiles this file once
// per target; the best table the CPU runs is picked on first use. The DCTs
// of 8x8 and larger, intra planar, quantisation, chroma interpolation, the
// bi-prediction average, residual and reconstruction are written with
// Highway's vectors; the other transforms and intra modes are the reference
// kernels compiled for the target, whose lane loops the compiler vectorises
// with its instructions, where that pays; the block metrics and luma
// interpolation are common/dsp's for the same target.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "dsp/dispatch.h"
#include "inter_prediction.h"
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

// Chroma interpolation (H.265 8.5.3.3.3.2, 8-bit): N samples of a row at a
// time in 16-bit lanes (a 4-tap sum of 8-bit samples fits), the second
// pass of the 2-D case in 32-bit lanes; DemoteTo saturates, which is the
// final Clip3 to 0..255.
template <class D16>
hn::Vec<D16> ChromaTaps(D16 d16, const uint8_t *s, ptrdiff_t step, const int8_t *f) {
  const hn::Rebind<uint8_t, D16> d8;
  auto v = hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, s - step)), hn::Set(d16, int16_t{f[0]}));
  v = hn::Add(v, hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, s)), hn::Set(d16, int16_t{f[1]})));
  v = hn::Add(v, hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, s + step)), hn::Set(d16, int16_t{f[2]})));
  return hn::Add(v,
                 hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, s + 2 * step)), hn::Set(d16, int16_t{f[3]})));
}

template <class D16>
void InterpChromaRows(D16 d16, const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                      ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y) {
  const hn::Rebind<uint8_t, D16> d8;
  const size_t n = hn::Lanes(d16);
  const auto round6 = hn::Set(d16, int16_t{32});
  if (frac_y == 0 || frac_x == 0) {
    // One pass: along the row, or down the column.
    const ptrdiff_t step = frac_y == 0 ? 1 : src_stride;
    const int8_t *f = kChromaFilter[frac_y == 0 ? frac_x : frac_y];
    for (int y = 0; y < h; ++y)
      for (size_t x = 0; x < static_cast<size_t>(w); x += n) {
        const auto v = ChromaTaps(d16, src + y * src_stride + x, step, f);
        hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<6>(hn::Add(v, round6))), d8,
                   dst + y * dst_stride + x);
      }
    return;
  }
  // Two passes: the rows -1 .. h + 1 filtered along x, then down y.
  alignas(64) int16_t tmp[(32 + 3) * 32];
  for (int y = -1; y < h + 2; ++y)
    for (size_t x = 0; x < static_cast<size_t>(w); x += n)
      hn::StoreU(ChromaTaps(d16, src + y * src_stride + x, 1, kChromaFilter[frac_x]), d16,
                tmp + (y + 1) * w + x);
  const hn::Rebind<int32_t, hn::Half<D16>> d32;
  const hn::Rebind<int16_t, decltype(d32)> d16h;
  const hn::Rebind<uint8_t, decltype(d32)> d8h;
  const size_t m = hn::Lanes(d32);
  const int8_t *f = kChromaFilter[frac_y];
  const auto f0 = hn::Set(d32, f[0]), f1 = hn::Set(d32, f[1]), f2 = hn::Set(d32, f[2]),
             f3 = hn::Set(d32, f[3]);
  const auto round = hn::Set(d32, 32);
  for (int y = 0; y < h; ++y) {
    const int16_t *t = tmp + y * w;
    for (size_t x = 0; x < static_cast<size_t>(w); x += m) {
      auto v = hn::Mul(hn::PromoteTo(d32, hn::LoadU(d16h, t + x)), f0);
      v = hn::Add(v, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d16h, t + w + x)), f1));
      v = hn::Add(v, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d16h, t + 2 * w + x)), f2));
      v = hn::Add(v, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d16h, t + 3 * w + x)), f3));
      // shift2 = 6, then the uni-prediction's (v + 32) >> 6.
      v = hn::ShiftRight<6>(hn::Add(hn::ShiftRight<6>(v), round));
      hn::StoreU(hn::DemoteTo(d8h, v), d8h, dst + y * dst_stride + x);
    }
  }
}

void InterpChroma(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride,
                  int w, int h, int frac_x, int frac_y) {
  if (w % 16 == 0)
    InterpChromaRows(hn::CappedTag<int16_t, 16>(), src, src_stride, dst, dst_stride, w, h, frac_x,
                     frac_y);
  else if (w % 8 == 0)
    InterpChromaRows(hn::CappedTag<int16_t, 8>(), src, src_stride, dst, dst_stride, w, h, frac_x,
                     frac_y);
  else if (w % 4 == 0)
    InterpChromaRows(hn::CappedTag<int16_t, 4>(), src, src_stride, dst, dst_stride, w, h, frac_x,
                     frac_y);
  else
    reference::interp_chroma_block(src, src_stride, dst, dst_stride, w, h, frac_x, frac_y);
}

// H.265 8.4.4.2.4 INTRA_PLANAR in 16-bit lanes (the largest sum,
// 255 * (4N - 2) + N at N = 32, fits). The terms of row 0 but the left
// one are summed once; each row below adds p[-1][N] - p[x][-1].
template <int N> void PlanarRows(const uint8_t *line, uint8_t *pred) {
  const hn::CappedTag<int16_t, N> d;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  const size_t lanes = hn::Lanes(d);
  constexpr int kShift = N == 8 ? 4 : N == 16 ? 5 : 6;
  // The IntraReferences line: p[-1][y] at 2N - 1 - y, p[x][-1] at 2N + 1 + x.
  const uint8_t *top = line + 2 * N + 1;
  const auto top_right = hn::Set(d, top[N]);
  const int bottom_left = line[N - 1];
  for (size_t x0 = 0; x0 < N; x0 += lanes) {
    const auto x = hn::Iota(d, static_cast<int16_t>(x0));
    const auto t = hn::PromoteTo(d, hn::LoadU(d8, top + x0));
    const auto left_weight = hn::Sub(hn::Set(d, N - 1), x);
    auto sum = hn::Add(hn::Add(hn::Mul(hn::Add(x, hn::Set(d, 1)), top_right),
                               hn::Mul(t, hn::Set(d, N - 1))),
                       hn::Set(d, static_cast<int16_t>(bottom_left + N)));
    const auto step = hn::Sub(hn::Set(d, bottom_left), t);
    for (int y = 0; y < N; ++y) {
      const auto left = hn::Set(d, line[2 * N - 1 - y]);
      const auto v = hn::ShiftRight<kShift>(hn::Add(sum, hn::Mul(left_weight, left)));
      hn::StoreU(hn::DemoteTo(d8, v), d8, pred + y * N + x0);
      sum = hn::Add(sum, step);
    }
  }
}

// DC gains nothing from the target's instructions (checkasm --bench);
// planar in 16-bit lanes and the angular modes of 8x8 and larger do.
template <int N> void Intra(const uint8_t *line, int mode, bool edge_filters, uint8_t *pred) {
  if (mode == kIntraDc)
    reference::intra<N>(line, mode, edge_filters, pred);
  else if (mode == kIntraPlanar)
    PlanarRows<N>(line, pred);
  else
    intra::intra<N>(line, mode, edge_filters, pred);
}

// The matrix's entries in pairs, as the multiplies read them. Forward:
// {T[k][2j], T[k][2j + 1]} for every k, what samples 2j and 2j + 1 of a
// row add to frequency k. Inverse: {T[2j][x], T[2j + 1][x]} for every x,
// what frequencies 2j and 2j + 1 add to sample x.
template <int N> struct MatrixPairs {
  int16_t m[N / 2][2 * N];
};

template <int N, bool kInverse> constexpr MatrixPairs<N> make_matrix_pairs() {
  MatrixPairs<N> t{};
  for (int j = 0; j < N / 2; ++j)
    for (int i = 0; i < N; ++i)
      for (int e = 0; e < 2; ++e)
        t.m[j][2 * i + e] = kInverse ? kDct32.m[(2 * j + e) * (32 / N)][i]
                                     : kDct32.m[i * (32 / N)][2 * j + e];
  return t;
}

template <int N> inline constexpr MatrixPairs<N> kDctPairs = make_matrix_pairs<N, false>();
template <int N> inline constexpr MatrixPairs<N> kIdctPairs = make_matrix_pairs<N, true>();

// The matrix transposed: row i holds every basis function's entry at i.
template <int N> struct MatrixTransposed {
  int16_t m[N][N];
};

template <int N> constexpr MatrixTransposed<N> make_matrix_transposed() {
  MatrixTransposed<N> t{};
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < N; ++k)
      t.m[i][k] = kDct32.m[k * (32 / N)][i];
  return t;
}

template <int N>
inline constexpr MatrixTransposed<N> kDctTransposed = make_matrix_transposed<N>();

// Two 16-bit values as the 32-bit lane a pair multiply reads (lo first).
inline int32_t Pair(int16_t lo, int16_t hi) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(lo)) |
                              static_cast<uint32_t>(static_cast<uint16_t>(hi)) << 16);
}

// out[y][x] = (sum over k < 2 * pairs of in[y][k] * W(k, x) + round) >>
// kShift, saturated to 16 bits, for every row y, where weights.m[j] holds
// W(2j, x), W(2j + 1, x) for every x: a row at a time with the N outputs
// as lanes, each pair of inputs broadcast into the 32-bit lanes of a pair
// multiply.
template <int N, int kShift>
HWY_INLINE void RowsTimesPairs(const int16_t *in, int pairs, const MatrixPairs<N> &weights,
                               int16_t *out) {
  const hn::CappedTag<int32_t, N> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const hn::Rebind<int16_t, decltype(d32)> d16_narrow;
  const size_t lanes = hn::Lanes(d32);
  for (int y = 0; y < N; ++y) {
    const int16_t *row = in + y * N;
    for (size_t x0 = 0; x0 < N; x0 += lanes) {
      auto sum0 = hn::Set(d32, 1 << (kShift - 1));
      auto sum1 = hn::Zero(d32);
      for (int j = 0; j < pairs; ++j) {
        const auto values = hn::BitCast(d16, hn::Set(d32, Pair(row[2 * j], row[2 * j + 1])));
        sum0 = hn::ReorderWidenMulAccumulate(d32, values, hn::LoadU(d16, weights.m[j] + 2 * x0),
                                             sum0, sum1);
      }
      const auto v = hn::ShiftRight<kShift>(hn::RearrangeToOddPlusEven(sum0, sum1));
      hn::StoreU(hn::DemoteTo(d16_narrow, v), d16_narrow, out + y * N + x0);
    }
  }
}

// out[r][x] = (sum over k < 2 * pairs of W[r][k] * in[k][x] + round) >>
// kShift, saturated to 16 bits, for every row r and the columns x below
// `columns` (rounded up to whole vectors), W's row r at weights + r *
// weight_stride: rows 2j and 2j + 1 of in interleaved into pairs, times
// the broadcast pair W[r][2j], W[r][2j + 1]; packing the sums of the lower
// and upper interleaves restores the columns' order (both work within
// 128-bit blocks).
template <int N, int kShift>
HWY_INLINE void PairedRowsTimes(const int16_t *in, int pairs, int columns, const int16_t *weights,
                                ptrdiff_t weight_stride, int16_t *out) {
  const hn::CappedTag<int16_t, N> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const size_t lanes = hn::Lanes(d16);
  alignas(64) int16_t interleaved[N / 2][2 * N];
  for (size_t x0 = 0; x0 < static_cast<size_t>(columns); x0 += lanes) {
    for (int j = 0; j < pairs; ++j) {
      const auto r0 = hn::LoadU(d16, in + 2 * j * N + x0);
      const auto r1 = hn::LoadU(d16, in + (2 * j + 1) * N + x0);
      hn::StoreU(hn::InterleaveLower(d16, r0, r1), d16, interleaved[j]);
      hn::StoreU(hn::InterleaveUpper(d16, r0, r1), d16, interleaved[j] + lanes);
    }
    for (int r = 0; r < N; ++r) {
      const int16_t *w_row = weights + r * weight_stride;
      auto lo0 = hn::Set(d32, 1 << (kShift - 1));
      auto hi0 = lo0;
      auto lo1 = hn::Zero(d32);
      auto hi1 = lo1;
      for (int j = 0; j < pairs; ++j) {
        const auto w = hn::BitCast(d16, hn::Set(d32, Pair(w_row[2 * j], w_row[2 * j + 1])));
        lo0 = hn::ReorderWidenMulAccumulate(d32, hn::LoadU(d16, interleaved[j]), w, lo0, lo1);
        hi0 = hn::ReorderWidenMulAccumulate(d32, hn::LoadU(d16, interleaved[j] + lanes), w, hi0,
                                            hi1);
      }
      const auto lo = hn::ShiftRight<kShift>(hn::RearrangeToOddPlusEven(lo0, lo1));
      const auto hi = hn::ShiftRight<kShift>(hn::RearrangeToOddPlusEven(hi0, hi1));
      hn::StoreU(hn::ReorderDemote2To(d16, lo, hi), d16, out + r * N + x0);
    }
  }
}

// The forward DCT of 8-bit residuals in pair multiplies: each pass's
// shift keeps its sums within 16 bits (255 * 64 * N >> kShift1 = 32640
// after the first), so both read 16-bit input and neither transposes.
// The second pass's saturation is the coefficients' Clip3.
template <int N> void ForwardDct(const int16_t *residual, int16_t *coeffs) {
  constexpr int kShift1 = N == 8 ? 2 : N == 16 ? 3 : 4; // log2(N) + BitDepth - 9
  constexpr int kShift2 = kShift1 + 7;                   // log2(N) + 6
  alignas(64) int16_t a[N * N];                          // a[y][kx]
  RowsTimesPairs<N, kShift1>(residual, N / 2, kDctPairs<N>, a);
  // Row ky of the matrix: kDct32's row ky * 32 / N.
  PairedRowsTimes<N, kShift2>(a, N / 2, N, kDct32.m[0], 32 * (32 / N), coeffs);
}

// The rows and columns up to the last non-zero coefficient (those beyond
// add nothing to the inverse transform), a row of lanes at a time.
template <int N> void NonzeroExtent(const int16_t *coeffs, int &nz_rows, int &nz_cols) {
  const hn::CappedTag<int16_t, N> d;
  const size_t lanes = hn::Lanes(d);
  uint64_t columns = 0; // bit x: column x holds a non-zero coefficient
  nz_rows = 0;
  for (int y = 0; y < N; ++y)
    for (size_t x0 = 0; x0 < N; x0 += lanes) {
      const auto nonzero = hn::Ne(hn::LoadU(d, coeffs + y * N + x0), hn::Zero(d));
      if (hn::AllFalse(d, nonzero))
        continue;
      uint8_t bits[8] = {};
      hn::StoreMaskBits(d, nonzero, bits);
      uint64_t row_bits;
      std::memcpy(&row_bits, bits, sizeof(row_bits));
      columns |= row_bits << x0;
      nz_rows = y + 1;
    }
  nz_cols = columns ? 64 - __builtin_clzll(columns) : 0;
}

// H.265 8.6.4.2 with trType 0 in pair multiplies: the first stage over the
// coefficient rows up to the last non-zero one, for the columns up to the
// last non-zero one (its saturation is the stage's Clip3), the second
// over those columns of each row.
template <int N> void InverseDct(const int16_t *coeffs, int16_t *residual) {
  int nz_rows;
  int nz_cols;
  NonzeroExtent<N>(coeffs, nz_rows, nz_cols);
  if (nz_rows <= 1 && nz_cols <= 1) {
    // Zero, or DC only: both stages reduce to multiplications by 64.
    const int32_t g = std::clamp<int32_t>((64 * coeffs[0] + 64) >> 7, -32768, 32767);
    std::fill(residual, residual + N * N, static_cast<int16_t>((64 * g + 2048) >> 12));
    return;
  }
  // g[y][x] for x up to the vector holding column nz_cols - 1, whose pair
  // partner nz_cols (when odd) is zero with it.
  alignas(64) int16_t g[N * N];
  PairedRowsTimes<N, 7>(coeffs, (nz_rows + 1) / 2, nz_cols, kDctTransposed<N>.m[0], N, g);
  // bdShift = 20 - BitDepth = 12.
  RowsTimesPairs<N, 12>(g, (nz_cols + 1) / 2, kIdctPairs<N>, residual);
}

template <int N>
void Residual(const uint8_t *src, ptrdiff_t src_stride, const uint8_t *pred, ptrdiff_t pred_stride,
              int16_t *res) {
  const hn::CappedTag<int16_t, N> d16;
  const hn::Rebind<uint8_t, decltype(d16)> d8;
  const size_t lanes = hn::Lanes(d16);
  for (int y = 0; y < N; ++y)
    for (size_t x = 0; x < N; x += lanes)
      hn::StoreU(hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, src + y * src_stride + x)),
                         hn::PromoteTo(d16, hn::LoadU(d8, pred + y * pred_stride + x))),
                 d16, res + y * N + x);
}

template <int N>
void Reconstruct(const uint8_t *pred, ptrdiff_t pred_stride, const int16_t *res, uint8_t *rec,
                 ptrdiff_t rec_stride) {
  const hn::CappedTag<int16_t, N> d16;
  const hn::Rebind<uint8_t, decltype(d16)> d8;
  const size_t lanes = hn::Lanes(d16);
  for (int y = 0; y < N; ++y)
    for (size_t x = 0; x < N; x += lanes) {
      const auto v = hn::Add(hn::PromoteTo(d16, hn::LoadU(d8, pred + y * pred_stride + x)),
                             hn::LoadU(d16, res + y * N + x));
      // Saturating: Clip1.
      hn::StoreU(hn::DemoteTo(d8, v), d8, rec + y * rec_stride + x);
    }
}

// With 128-bit vectors the 32-point transforms ran faster as butterflies
// (checkasm --bench, SSE4: fdct32 2304 against 2743 ns, idct32 4810
// against 7345 ns in pair multiplies).
constexpr bool kPairTransforms32 = HWY_MAX_BYTES > 16;

const dsp::TargetTable<Primitives> *GetTargetPrimitives() {
  const dsp::Kernels &metrics = dsp::HWY_NAMESPACE::GetTargetKernels()->kernels;
  static const dsp::TargetTable<Primitives> kTable = {
      HWY_TARGET,
      {
          hwy::TargetName(HWY_TARGET),
          {transform::forward_dct<4>, ForwardDct<8>, ForwardDct<16>,
           kPairTransforms32 ? ForwardDct<32> : transform::forward_dct<32>},
          // The 4x4 inverse DCT runs faster as the reference.
          {reference::inverse_dct<4>, InverseDct<8>, InverseDct<16>,
           kPairTransforms32 ? InverseDct<32> : transform::inverse_dct<32>},
          transform::forward_dst4,
          transform::inverse_dst4,
          Quant,
          Dequant,
          {reference::intra<4>, Intra<8>, Intra<16>, Intra<32>},
          {Residual<4>, Residual<8>, Residual<16>, Residual<32>},
          {Reconstruct<4>, Reconstruct<8>, Reconstruct<16>, Reconstruct<32>},
          metrics.sad,
          metrics.satd,
          metrics.sse,
          dsp::HWY_NAMESPACE::GetTargetInterpKernels()->kernels.luma,
          InterpChroma,
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
