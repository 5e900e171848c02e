#include "quant.h"

#include <algorithm>
#include <cstdlib>

#include "primitives.h"

namespace quad::hevc {
namespace {

// H.265 8.6.3: levelScale[] = {40, 45, 51, 57, 64, 72}.
constexpr int kLevelScale[6] = {40, 45, 51, 57, 64, 72};
// Forward counterpart: quantScale[k] * levelScale[k] ~= 2^20.
constexpr int kQuantScale[6] = {26214, 23302, 20560, 18396, 16384, 14564};

constexpr int kBitDepth = 8;

int log2_size(int n) {
  return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
}

} // namespace

namespace reference {

int quant(const int16_t *coeffs, int16_t *levels, int count, int scale, int shift, int offset) {
  int nonzero = 0;
  for (int i = 0; i < count; ++i) {
    const int32_t c = coeffs[i];
    const int32_t level = std::min((std::abs(c) * scale + offset) >> shift, 32767);
    nonzero += level != 0;
    levels[i] = static_cast<int16_t>(c < 0 ? -level : level);
  }
  return nonzero;
}

void dequant(const int16_t *levels, int16_t *coeffs, int count, int scale, int shift) {
  const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
  for (int i = 0; i < count; ++i)
    coeffs[i] =
        static_cast<int16_t>(std::clamp((levels[i] * scale + round) >> shift, -32768, 32767));
}

} // namespace reference

void dequantize(const int16_t *levels, int16_t *coeffs, int n, int qp) {
  // H.265 8.6.3 (m = 16 with flat scaling): (level * (m * levelScale << qP /
  // 6) + round) >> bdShift. The power of two cancels against bdShift, which
  // keeps every product within 32 bits: exactly when qP / 6 >= bdShift (the
  // rounding term then drops below the shifted-out bits), and by dividing
  // both the sum and the divisor by 2^(qP / 6) otherwise.
  const int bd_shift = kBitDepth + log2_size(n) - 5;
  const int per = qp / 6;
  const int scale = 16 * kLevelScale[qp % 6];
  if (per >= bd_shift)
    primitives().dequant(levels, coeffs, n * n, scale << (per - bd_shift), 0);
  else
    primitives().dequant(levels, coeffs, n * n, scale, bd_shift - per);
}

int quantize(const int16_t *coeffs, int16_t *levels, int n, int qp, int rounding_offset_q10) {
  const int transform_shift = 15 - kBitDepth - log2_size(n);
  const int qbits = 14 + qp / 6 + transform_shift;
  // |c| <= 32768 and scale < 2^15, qbits <= 27: the sum stays below 2^31.
  return primitives().quant(coeffs, levels, n * n, kQuantScale[qp % 6], qbits,
                            rounding_offset_q10 << (qbits - 10));
}

} // namespace quad::hevc
