#include "quant.h"

#include <algorithm>
#include <cstdlib>

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

void dequantize(const int16_t *levels, int16_t *coeffs, int n, int qp) {
  const int count = n * n;
  // H.265 8.6.3 (m = 16 with flat scaling).
  const int bd_shift = kBitDepth + log2_size(n) - 5;
  const int32_t scale = (16 * kLevelScale[qp % 6]) << (qp / 6);
  const int32_t round = 1 << (bd_shift - 1);

  int max_abs = 0;
  for (int i = 0; i < count; ++i)
    max_abs = std::max(max_abs, std::abs(static_cast<int>(levels[i])));

  if (static_cast<int64_t>(max_abs) * scale + round <= INT32_MAX) {
    for (int i = 0; i < count; ++i) {
      const int32_t v = (levels[i] * scale + round) >> bd_shift;
      coeffs[i] = static_cast<int16_t>(std::clamp<int32_t>(v, -32768, 32767));
    }
    return;
  }
  // Large levels (possible in a conforming stream at high QP) need 64 bits
  // before the clip.
  for (int i = 0; i < count; ++i) {
    const int64_t v = (static_cast<int64_t>(levels[i]) * scale + round) >> bd_shift;
    coeffs[i] = static_cast<int16_t>(std::clamp<int64_t>(v, -32768, 32767));
  }
}

int quantize(const int16_t *coeffs, int16_t *levels, int n, int qp, int rounding_offset_q10) {
  const int count = n * n;
  const int transform_shift = 15 - kBitDepth - log2_size(n);
  const int qbits = 14 + qp / 6 + transform_shift;
  const int32_t scale = kQuantScale[qp % 6];
  const int32_t offset = rounding_offset_q10 << (qbits - 10);
  int nonzero = 0;
  for (int i = 0; i < count; ++i) {
    const int32_t c = coeffs[i];
    // |c| <= 32768 and scale < 2^15, qbits <= 27: the sum stays below 2^31.
    int32_t level = (std::abs(c) * scale + offset) >> qbits;
    level = std::min(level, 32767);
    nonzero += level != 0;
    levels[i] = static_cast<int16_t>(c < 0 ? -level : level);
  }
  return nonzero;
}

} // namespace quad::hevc
