// HEVC quantisation: the normative scaling (dequantisation) process with flat
// scaling lists, and the encoder's deadzone quantiser. Bit depth 8; blocks are
// n x n row-major with stride n, n in {4, 8, 16, 32}. GStreamer-free.
#pragma once

#include <cstdint>

namespace quad::hevc {

// HM's default rounding offsets for quantize(), in 1/1024 units.
inline constexpr int kQuantRoundingIntraQ10 = 341; // 1/3
inline constexpr int kQuantRoundingInterQ10 = 171; // 1/6

// H.265 8.6.3: scaling process for transform coefficients with
// scaling_list_enabled_flag = 0 (m = 16), levelScale {40, 45, 51, 57, 64, 72},
// bdShift = BitDepth + log2(n) - 5, results clipped to the int16 range.
// qp is qP of 8.6.2: Qp'Y for luma, Qp'Cb / Qp'Cr for chroma (0..51).
void dequantize(const int16_t *levels, int16_t *coeffs, int n, int qp);

// Forward quantisation: |level| = (|c| * quantScale[qp % 6] + offset) >>
// qbits with quantScale {26214, 23302, 20560, 18396, 16384, 14564}, qbits =
// 14 + qp / 6 + 15 - BitDepth - log2(n), offset = rounding_offset_q10 / 1024
// of a quantisation step (rounding_offset_q10 in 0..1023). Levels keep the sign of the coefficient
// and are clipped to [-32768, 32767]. Returns the number of non-zero levels.
int quantize(const int16_t *coeffs, int16_t *levels, int n, int qp, int rounding_offset_q10);

} // namespace quad::hevc
