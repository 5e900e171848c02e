// The H.265 8.6.4.2 transform matrices, shared by the scalar reference and
// the SIMD transforms. GStreamer-free.
#pragma once

#include <cstdint>

namespace quad::hevc {

// H.265 8.6.4.2: column 0 of transMatrix (nTbS = 32). Every entry of the
// 32x32 matrix is one of these magnitudes: entry (k, i) is the value for the
// phase k * (2i + 1) mod 128, with the sign and mirroring of cos(phase * pi / 64).
inline constexpr int kDctColumn0[32] = {64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80,
                                        78, 75, 73, 70, 67, 64, 61, 57, 54, 50, 46,
                                        43, 38, 36, 31, 25, 22, 18, 13, 9,  4};

constexpr int dct32_entry(int k, int i) {
  const int m = (k * (2 * i + 1)) & 127;
  if (m < 32)
    return kDctColumn0[m];
  if (m == 32 || m == 96)
    return 0;
  if (m < 64)
    return -kDctColumn0[64 - m];
  if (m < 96)
    return -kDctColumn0[m - 64];
  return kDctColumn0[128 - m];
}

struct Dct32Matrix {
  int16_t m[32][32];
};

constexpr Dct32Matrix make_dct32() {
  Dct32Matrix t{};
  for (int k = 0; k < 32; ++k)
    for (int i = 0; i < 32; ++i)
      t.m[k][i] = static_cast<int16_t>(dct32_entry(k, i));
  return t;
}

// transMatrix for nTbS = 32, row k = basis function k. The nTbS = 4, 8, 16
// matrices are rows k * (32 / nTbS) of it, first nTbS columns (8.6.4.2).
inline constexpr Dct32Matrix kDct32 = make_dct32();

// H.265 8.6.4.2 (trType == 1): DST-VII for 4x4 intra luma, row k = basis k.
inline constexpr int16_t kDst4[4][4] = {
    {29, 55, 74, 84}, {74, 74, 0, -74}, {84, -29, -74, 55}, {55, -84, 74, -29}};

} // namespace quad::hevc
