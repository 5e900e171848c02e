// The primitives per Highway target. foreach_target.h compiles this file once
// per target; the best table the CPU runs is picked on first use. The DCTs
// of 8x8 and larger, intra planar, quantisation, chroma interpolation, the
// bi-prediction average, residual, reconstruction and luma deblocking are
// written with Highway's vectors; the other transforms and intra modes are
// the reference kernels compiled for the target, whose lane loops the
// compiler vectorises with its instructions, where that pays; the block
// metrics and luma interpolation are common/dsp's for the same target.
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

// Luma deblocking (H.265 8.7.2.5.3-8.7.2.5.7), four segments (16 lines) at
// a time: the samples p3..q3 across the edge in eight vectors of 16-bit
// lanes, a lane per line. A horizontal edge's lines load as they lie; a
// vertical edge's are transposed in and out. A segment's decisions, taken
// on its lines 0 and 3, reach its four lanes through the 64-bit lane that
// holds them; both filters run on every lane, and each lane takes what its
// segment decided.

// The 64-bit lanes' line 0 and line 3 (16-bit values, little-endian) as
// they are, spread back over the four 16-bit lanes.
template <class D64> hn::Vec<D64> SpreadToLines(D64, hn::Vec<D64> s) {
  return hn::Or(hn::Or(s, hn::ShiftLeft<16>(s)),
                hn::Or(hn::ShiftLeft<32>(s), hn::ShiftLeft<48>(s)));
}

// Each segment's v at line 0 plus v at line 3, in its four lanes (v >= 0,
// the sum below 2^16).
template <class D> hn::Vec<D> EndsSum(D d, hn::Vec<D> v) {
  const hn::Repartition<uint64_t, D> d64;
  const auto w = hn::BitCast(d64, v);
  const auto s = hn::Add(hn::And(w, hn::Set(d64, 0xFFFFu)), hn::ShiftRight<48>(w));
  return hn::BitCast(d, SpreadToLines(d64, s));
}

// Lanes of 0 / -1: each segment's line 0 and line 3 both set.
template <class D> hn::Vec<D> EndsBoth(D d, hn::Vec<D> m) {
  const hn::Repartition<uint64_t, D> d64;
  const auto w = hn::BitCast(d64, m);
  const auto s = hn::And(hn::And(w, hn::Set(d64, 0xFFFFu)), hn::ShiftRight<48>(w));
  return hn::BitCast(d, SpreadToLines(d64, s));
}

// x: p3, p2, p1, p0, q0, q1, q2, q3; the lanes' tC, beta and keep flags
// (0 / -1). Writes the filtered p2..q0..q2 back into x[1..6]; false when no
// lane changes.
template <class D>
bool FilterLumaLines(D d, hn::Vec<D> x[8], hn::Vec<D> tc, hn::Vec<D> beta, hn::Vec<D> keep_p,
                     hn::Vec<D> keep_q) {
  using V = hn::Vec<D>;
  const V p3 = x[0], p2 = x[1], p1 = x[2], p0 = x[3], q0 = x[4], q1 = x[5], q2 = x[6], q3 = x[7];
  const V zero = hn::Zero(d);
  auto c = [&](int v) { return hn::Set(d, static_cast<int16_t>(v)); };
  auto clamp = [](V v, V lo, V hi) { return hn::Min(hn::Max(v, lo), hi); };
  auto select = [](V m, V yes, V no) { return hn::Or(hn::And(m, yes), hn::AndNot(m, no)); };

  // 8.7.2.5.3: dE is 0 unless d < beta; tC 0 clips every change away.
  const V dp = hn::Abs(hn::Sub(hn::Add(p2, p0), hn::Add(p1, p1)));
  const V dq = hn::Abs(hn::Sub(hn::Add(q2, q0), hn::Add(q1, q1)));
  const V dpq = hn::Add(dp, dq);
  const V filtered = hn::And(hn::VecFromMask(d, hn::Lt(EndsSum(d, dpq), beta)),
                             hn::VecFromMask(d, hn::Gt(tc, zero)));
  if (hn::AllFalse(d, hn::MaskFromVec(filtered)))
    return false;
  const V side = hn::ShiftRight<3>(hn::Add(beta, hn::ShiftRight<1>(beta)));
  const V dep = hn::VecFromMask(d, hn::Lt(EndsSum(d, dp), side));
  const V deq = hn::VecFromMask(d, hn::Lt(EndsSum(d, dq), side));

  // 8.7.2.5.6 on every line; the segment's dE is 2 when lines 0 and 3 agree.
  const V strong_line = hn::And(
      hn::And(hn::VecFromMask(d, hn::Lt(hn::Add(dpq, dpq), hn::ShiftRight<2>(beta))),
              hn::VecFromMask(d, hn::Lt(hn::Add(hn::Abs(hn::Sub(p3, p0)), hn::Abs(hn::Sub(q0, q3))),
                                        hn::ShiftRight<3>(beta)))),
      hn::VecFromMask(d, hn::Lt(hn::Abs(hn::Sub(p0, q0)),
                                hn::ShiftRight<1>(hn::Add(hn::Mul(tc, c(5)), c(1))))));
  const V strong = hn::And(filtered, EndsBoth(d, strong_line));

  // 8.7.2.5.7, dE == 2: each sample within 2 tC of where it was.
  const V tc2 = hn::Add(tc, tc);
  auto near = [&](V v, V at) { return clamp(v, hn::Sub(at, tc2), hn::Add(at, tc2)); };
  const V p0q0 = hn::Add(p0, q0);
  const V s_p0 = near(hn::ShiftRight<3>(hn::Add(hn::Add(hn::Add(p2, q1), hn::Add(p1, p1)),
                                                hn::Add(hn::Add(p0q0, p0q0), c(4)))),
                      p0);
  const V s_p1 = near(hn::ShiftRight<2>(hn::Add(hn::Add(p2, p1), hn::Add(p0q0, c(2)))), p1);
  const V s_p2 = near(hn::ShiftRight<3>(hn::Add(hn::Add(hn::Add(p3, p3), hn::Mul(p2, c(3))),
                                                hn::Add(hn::Add(p1, p0q0), c(4)))),
                      p2);
  const V s_q0 = near(hn::ShiftRight<3>(hn::Add(hn::Add(hn::Add(p1, q2), hn::Add(q1, q1)),
                                                hn::Add(hn::Add(p0q0, p0q0), c(4)))),
                      q0);
  const V s_q1 = near(hn::ShiftRight<2>(hn::Add(hn::Add(q2, q1), hn::Add(p0q0, c(2)))), q1);
  const V s_q2 = near(hn::ShiftRight<3>(hn::Add(hn::Add(hn::Add(q3, q3), hn::Mul(q2, c(3))),
                                                hn::Add(hn::Add(q1, p0q0), c(4)))),
                      q2);

  // dE == 1: lines whose |delta| stays below 10 tC.
  V delta = hn::ShiftRight<4>(
      hn::Add(hn::Sub(hn::Mul(hn::Sub(q0, p0), c(9)), hn::Mul(hn::Sub(q1, p1), c(3))), c(8)));
  const V normal = hn::AndNot(
      strong, hn::And(filtered, hn::VecFromMask(d, hn::Lt(hn::Abs(delta), hn::Mul(tc, c(10))))));
  delta = clamp(delta, hn::Neg(tc), tc);
  const V tc_half = hn::ShiftRight<1>(tc);
  const V pixel_max = c(255);
  const V n_p0 = clamp(hn::Add(p0, delta), zero, pixel_max);
  const V n_q0 = clamp(hn::Sub(q0, delta), zero, pixel_max);
  const V delta_p =
      clamp(hn::ShiftRight<1>(
                hn::Add(hn::Sub(hn::ShiftRight<1>(hn::Add(hn::Add(p2, p0), c(1))), p1), delta)),
            hn::Neg(tc_half), tc_half);
  const V delta_q =
      clamp(hn::ShiftRight<1>(
                hn::Sub(hn::Sub(hn::ShiftRight<1>(hn::Add(hn::Add(q2, q0), c(1))), q1), delta)),
            hn::Neg(tc_half), tc_half);
  const V n_p1 = clamp(hn::Add(p1, delta_p), zero, pixel_max);
  const V n_q1 = clamp(hn::Add(q1, delta_q), zero, pixel_max);

  const V strong_p = hn::AndNot(keep_p, strong), strong_q = hn::AndNot(keep_q, strong);
  const V normal_p = hn::AndNot(keep_p, normal), normal_q = hn::AndNot(keep_q, normal);
  x[1] = select(strong_p, s_p2, p2);
  x[2] = select(strong_p, s_p1, select(hn::And(normal_p, dep), n_p1, p1));
  x[3] = select(strong_p, s_p0, select(normal_p, n_p0, p0));
  x[4] = select(strong_q, s_q0, select(normal_q, n_q0, q0));
  x[5] = select(strong_q, s_q1, select(hn::And(normal_q, deq), n_q1, q1));
  x[6] = select(strong_q, s_q2, q2);
  return true;
}

using D8 = hn::Full128<uint8_t>;
using V8 = hn::Vec<D8>;

// Four segments' lines, p3..q3 as x[0..7] (byte i: line i), filtered in
// place; false when nothing changes. D16 has 16 lanes, or 8 (128-bit
// targets: the lines in two halves).
template <class D16> bool FilterLumaGroup(D16 d16, V8 x[8], const LumaEdgeSegment *segments) {
  static_assert(sizeof(LumaEdgeSegment) == 4);
  const D8 d8;
  // The four segments' tc, beta, keep_p, keep_q bytes, each spread to the
  // segment's four lines.
  uint8_t bytes[16];
  std::memcpy(bytes, segments, 16);
  const V8 packed = hn::LoadU(d8, bytes);
  alignas(16) static constexpr uint8_t kSpread[16] = {0, 0, 0, 0, 4,  4,  4,  4,
                                                      8, 8, 8, 8, 12, 12, 12, 12};
  const V8 spread = hn::Load(d8, kSpread);
  V8 field[4];
  for (int f = 0; f < 4; ++f)
    field[f] = hn::TableLookupBytes(packed, hn::Add(spread, hn::Set(d8, static_cast<uint8_t>(f))));
  if constexpr (hn::MaxLanes(D16()) >= 16) {
    hn::Vec<D16> w[8];
    for (int k = 0; k < 8; ++k)
      w[k] = hn::PromoteTo(d16, x[k]);
    if (!FilterLumaLines(d16, w, hn::PromoteTo(d16, field[0]), hn::PromoteTo(d16, field[1]),
                         hn::Neg(hn::PromoteTo(d16, field[2])),
                         hn::Neg(hn::PromoteTo(d16, field[3]))))
      return false;
    for (int k = 1; k < 7; ++k)
      x[k] = hn::DemoteTo(d8, w[k]);
  } else {
    const hn::Half<D8> d8h;
    auto lower = [&](V8 v) { return hn::PromoteTo(d16, hn::LowerHalf(d8h, v)); };
    auto upper = [&](V8 v) { return hn::PromoteTo(d16, hn::UpperHalf(d8h, v)); };
    hn::Vec<D16> lo[8], hi[8];
    for (int k = 0; k < 8; ++k) {
      lo[k] = lower(x[k]);
      hi[k] = upper(x[k]);
    }
    const bool changed_lo = FilterLumaLines(d16, lo, lower(field[0]), lower(field[1]),
                                            hn::Neg(lower(field[2])), hn::Neg(lower(field[3])));
    const bool changed_hi = FilterLumaLines(d16, hi, upper(field[0]), upper(field[1]),
                                            hn::Neg(upper(field[2])), hn::Neg(upper(field[3])));
    if (!changed_lo && !changed_hi)
      return false;
    for (int k = 1; k < 7; ++k)
      x[k] = hn::Combine(d8, hn::DemoteTo(d8h, hi[k]), hn::DemoteTo(d8h, lo[k]));
  }
  return true;
}

// 16 lines of 8 bytes from p (line i at p + i * stride) into 8 vectors,
// byte i of x[k] being byte k of line i.
void LoadTransposed(const uint8_t *p, ptrdiff_t stride, V8 x[8]) {
  const D8 d8;
  const hn::Half<D8> d8h;
  const hn::Repartition<uint16_t, D8> d16;
  const hn::Repartition<uint32_t, D8> d32;
  const hn::Repartition<uint64_t, D8> d64;
  V8 a[8];
  for (int k = 0; k < 8; ++k)
    a[k] = hn::Combine(d8, hn::LoadU(d8h, p + (k + 8) * stride), hn::LoadU(d8h, p + k * stride));
  // Byte pairs: lines 2j and 2j + 1 in b[j], lines 8 + 2j and 9 + 2j in b[j + 4].
  hn::Vec<decltype(d16)> b[8];
  for (int j = 0; j < 4; ++j) {
    b[j] = hn::BitCast(d16, hn::InterleaveLower(d8, a[2 * j], a[2 * j + 1]));
    b[j + 4] = hn::BitCast(d16, hn::InterleaveUpper(d8, a[2 * j], a[2 * j + 1]));
  }
  // Four lines per 32-bit lane: bytes 0-3 then 4-7 of lines 0-3, 4-7, 8-11, 12-15.
  hn::Vec<decltype(d32)> c[8];
  for (int j = 0; j < 4; ++j) {
    c[2 * j] = hn::BitCast(d32, hn::InterleaveLower(d16, b[2 * j], b[2 * j + 1]));
    c[2 * j + 1] = hn::BitCast(d32, hn::InterleaveUpper(d16, b[2 * j], b[2 * j + 1]));
  }
  // Eight lines per 64-bit lane: bytes (0, 1), (2, 3), (4, 5), (6, 7) of
  // lines 0-7 in e[0..3], of lines 8-15 in e[4..7].
  hn::Vec<decltype(d64)> e[8];
  for (int h = 0; h < 2; ++h) {
    e[4 * h] = hn::BitCast(d64, hn::InterleaveLower(d32, c[4 * h], c[4 * h + 2]));
    e[4 * h + 1] = hn::BitCast(d64, hn::InterleaveUpper(d32, c[4 * h], c[4 * h + 2]));
    e[4 * h + 2] = hn::BitCast(d64, hn::InterleaveLower(d32, c[4 * h + 1], c[4 * h + 3]));
    e[4 * h + 3] = hn::BitCast(d64, hn::InterleaveUpper(d32, c[4 * h + 1], c[4 * h + 3]));
  }
  for (int j = 0; j < 4; ++j) {
    x[2 * j] = hn::BitCast(d8, hn::InterleaveLower(d64, e[j], e[j + 4]));
    x[2 * j + 1] = hn::BitCast(d8, hn::InterleaveUpper(d64, e[j], e[j + 4]));
  }
}

// LoadTransposed's inverse.
void StoreTransposed(const V8 x[8], uint8_t *p, ptrdiff_t stride) {
  const D8 d8;
  const hn::Half<D8> d8h;
  const hn::Repartition<uint16_t, D8> d16;
  const hn::Repartition<uint32_t, D8> d32;
  // Bytes (2j, 2j + 1) of lines 0-7 in b[2j], of lines 8-15 in b[2j + 1].
  hn::Vec<decltype(d16)> b[8];
  for (int j = 0; j < 4; ++j) {
    b[2 * j] = hn::BitCast(d16, hn::InterleaveLower(d8, x[2 * j], x[2 * j + 1]));
    b[2 * j + 1] = hn::BitCast(d16, hn::InterleaveUpper(d8, x[2 * j], x[2 * j + 1]));
  }
  // Bytes 0-3 (c[0..1], c[4..5]) and 4-7 (c[2..3], c[6..7]) of lines 0-3,
  // 4-7 and, in c[4..7], 8-11, 12-15.
  hn::Vec<decltype(d32)> c[8];
  for (int h = 0; h < 2; ++h) {
    c[4 * h] = hn::BitCast(d32, hn::InterleaveLower(d16, b[h], b[h + 2]));
    c[4 * h + 1] = hn::BitCast(d32, hn::InterleaveUpper(d16, b[h], b[h + 2]));
    c[4 * h + 2] = hn::BitCast(d32, hn::InterleaveLower(d16, b[h + 4], b[h + 6]));
    c[4 * h + 3] = hn::BitCast(d32, hn::InterleaveUpper(d16, b[h + 4], b[h + 6]));
  }
  // Whole lines, two per vector.
  for (int h = 0; h < 2; ++h)
    for (int j = 0; j < 2; ++j) {
      const V8 lo = hn::BitCast(d8, hn::InterleaveLower(d32, c[4 * h + j], c[4 * h + j + 2]));
      const V8 hi = hn::BitCast(d8, hn::InterleaveUpper(d32, c[4 * h + j], c[4 * h + j + 2]));
      uint8_t *line = p + (8 * h + 4 * j) * stride;
      hn::StoreU(hn::LowerHalf(d8h, lo), d8h, line);
      hn::StoreU(hn::UpperHalf(d8h, lo), d8h, line + stride);
      hn::StoreU(hn::LowerHalf(d8h, hi), d8h, line + 2 * stride);
      hn::StoreU(hn::UpperHalf(d8h, hi), d8h, line + 3 * stride);
    }
}

template <bool kVertical>
void DeblockLuma(uint8_t *q0, ptrdiff_t stride, const LumaEdgeSegment *segments, int count) {
  const D8 d8;
  const hn::CappedTag<int16_t, 16> d16;
  const ptrdiff_t segment_step = 4 * (kVertical ? stride : 1);
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    const LumaEdgeSegment *s = segments + i;
    if ((s[0].tc | s[1].tc | s[2].tc | s[3].tc) == 0)
      continue;
    uint8_t *group = q0 + i * segment_step;
    V8 x[8];
    if (kVertical) {
      LoadTransposed(group - 4, stride, x);
      if (FilterLumaGroup(d16, x, s))
        StoreTransposed(x, group - 4, stride);
    } else {
      for (int k = 0; k < 8; ++k)
        x[k] = hn::LoadU(d8, group + (k - 4) * stride);
      if (FilterLumaGroup(d16, x, s))
        for (int k = 1; k < 7; ++k)
          hn::StoreU(x[k], d8, group + (k - 4) * stride);
    }
  }
  // The last one to three segments.
  if (i < count)
    reference::deblock_luma<kVertical>(q0 + i * segment_step, stride, segments + i, count - i);
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
          {DeblockLuma<true>, DeblockLuma<false>},
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
