// The HEVC core's table of primitives: the per-block kernels that decisions
// call (transforms, quantisation, intra prediction, block metrics,
// interpolation, bi-prediction averaging, residual and reconstruction) and
// luma deblocking, a scalar reference and Highway SIMD versions behind one
// table chosen once for the running CPU. Every version equals the reference
// bit for bit; tests/checkasm checks and times them. Bit depth 8.
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/dsp.h"
#include "dsp/interp.h"

namespace quad::hevc {

// One n x n block to another, both row-major with stride n: the transforms of
// transform.h for one size.
using TransformFn = void (*)(const int16_t *src, int16_t *dst);

// Forward quantisation of count coefficients (count a multiple of 16):
// level = sign(c) * min((|c| * scale + offset) >> shift, 32767), where
// 32768 * scale + offset < 2^31. Returns the number of non-zero levels.
using QuantFn = int (*)(const int16_t *coeffs, int16_t *levels, int count, int scale, int shift,
                        int offset);

// Scaling of count levels (count a multiple of 16): Clip3(-32768, 32767,
// (level * scale + round) >> shift), round = 1 << (shift - 1) or 0 when
// shift is 0, where 32768 * scale + round < 2^31.
using DequantFn = void (*)(const int16_t *levels, int16_t *coeffs, int count, int scale, int shift);

// H.265 8.4.4.2.4-8.4.4.2.6 for one block size: predicts the n x n block
// (stride n) for intra mode 0..34 from the 4n + 1 samples of an
// IntraReferences line (filtered or not, as 8.4.4.2.3 chose). edge_filters
// turns on the DC and horizontal / vertical boundary filters (luma below
// 32x32).
using IntraPredFn = void (*)(const uint8_t *line, int mode, bool edge_filters, uint8_t *pred);

// The residual of an n x n block (n = 4 << i): src - pred into residual
// (stride n).
using ResidualFn = void (*)(const uint8_t *src, ptrdiff_t src_stride, const uint8_t *pred,
                            ptrdiff_t pred_stride, int16_t *residual);

// H.265 8.6.7 picture construction of an n x n block: Clip1(pred +
// residual) into rec (residual of stride n).
using ReconstructFn = void (*)(const uint8_t *pred, ptrdiff_t pred_stride, const int16_t *residual,
                               uint8_t *rec, ptrdiff_t rec_stride);

// H.265 8.5.3.3.4.2, default weighted sample prediction of a bi-predicted
// w x h block from the two 14-bit intermediate predictions: Clip3(0, 255,
// (a + b + 64) >> 7). w is a multiple of 4 up to 64.
using AvgBipredFn = void (*)(const int16_t *a, ptrdiff_t a_stride, const int16_t *b,
                             ptrdiff_t b_stride, uint8_t *dst, ptrdiff_t dst_stride, int w, int h);

// H.265 8.5.3.3.3.2 + 8.5.3.3.4.2: the chroma 4-tap interpolation of a
// w x h block (w, h up to 32) at eighth-sample phase (frac_x, frac_y) into
// 8-bit uni-prediction; src is the integer sample, read from -1 to +2
// around the block where the phase is fractional.
using InterpChromaFn = void (*)(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                                ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y);

// One 4-line segment of a luma edge: tC and beta as H.265 8.7.2.5.3 derives
// them from its bS and QpL (tc 0: the segment is not filtered), and whether
// the P and Q sides keep their samples (8.7.2.5.7: pcm_loop_filter_disabled
// or cu_transquant_bypass).
struct LumaEdgeSegment {
  uint8_t tc, beta;
  bool keep_p, keep_q;
};

// H.265 8.7.2.5.3, 8.7.2.5.6 and 8.7.2.5.7: decides and filters count
// segments laid end to end along one luma edge. q0 is the first Q sample of
// the first segment's line 0. Across a vertical edge (EDGE_VER) the lines
// are rows stride apart and P is on the left; across a horizontal one
// (EDGE_HOR) the lines are neighbouring columns and P is the rows above.
using DeblockLumaFn = void (*)(uint8_t *q0, ptrdiff_t stride, const LumaEdgeSegment *segments,
                               int count);

struct Primitives {
  const char *name;              // "scalar", or a Highway target ("AVX2", "AVX3" ...)
  TransformFn fdct[4];           // DCT-II for n = 4 << i, of residuals in -255..255
  TransformFn idct[4];           // H.265 8.6.4.2, trType 0
  TransformFn fdst4;             // DST-VII, 4x4 intra luma
  TransformFn idst4;             // H.265 8.6.4.2, trType 1
  QuantFn quant;
  DequantFn dequant;             // H.265 8.6.3, flat scaling
  IntraPredFn intra[4];          // for n = 4 << i
  ResidualFn residual[4];        // for n = 4 << i
  ReconstructFn reconstruct[4];  // for n = 4 << i
  dsp::SadFn sad;                // the block metrics of common/dsp
  dsp::SatdFn satd;
  dsp::SseFn sse;
  dsp::InterpLumaFn interp_luma; // H.265 8.5.3.3.3.1 (common/dsp/interp.h)
  InterpChromaFn interp_chroma;
  AvgBipredFn avg_bipred;
  DeblockLumaFn deblock_luma[2]; // [0]: a vertical edge, [1]: a horizontal one
};

// The scalar reference every SIMD version must equal bit for bit.
const Primitives &reference_primitives();

// The best primitives for this CPU, chosen on first use.
const Primitives &primitives();

// The reference, then every compiled SIMD target this CPU runs: what
// tests/checkasm compares and times.
std::vector<Primitives> all_primitives();

// The reference kernels, each defined next to the free functions that wrap
// the table (transform.cpp, quant.cpp, intra_pred.cpp, inter_prediction.cpp,
// deblock.cpp, primitives.cpp).
namespace reference {
template <int N> void forward_dct(const int16_t *residual, int16_t *coeffs);
template <int N> void inverse_dct(const int16_t *coeffs, int16_t *residual);
void forward_dst4(const int16_t *residual, int16_t *coeffs);
void inverse_dst4(const int16_t *coeffs, int16_t *residual);
int quant(const int16_t *coeffs, int16_t *levels, int count, int scale, int shift, int offset);
void dequant(const int16_t *levels, int16_t *coeffs, int count, int scale, int shift);
template <int N> void intra(const uint8_t *line, int mode, bool edge_filters, uint8_t *pred);
void avg_bipred(const int16_t *a, ptrdiff_t a_stride, const int16_t *b, ptrdiff_t b_stride,
                uint8_t *dst, ptrdiff_t dst_stride, int w, int h);
void interp_chroma_block(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst,
                         ptrdiff_t dst_stride, int w, int h, int frac_x, int frac_y);
template <bool kVertical>
void deblock_luma(uint8_t *q0, ptrdiff_t stride, const LumaEdgeSegment *segments, int count);
} // namespace reference

} // namespace quad::hevc
