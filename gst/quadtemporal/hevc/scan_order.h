// Scan orders of H.265 6.5.3 (up-right diagonal), 6.5.4 (horizontal) and
// 6.5.5 (vertical) for square blocks of 1x1 to 8x8 positions: the sub-block
// grids of 4x4 to 32x32 transform blocks, and the 16 coefficients of a 4x4
// sub-block. GStreamer-free.
#pragma once

#include <cstdint>
#include <cstring>

namespace quad::hevc {

enum ScanIdx : int { kScanDiagonal = 0, kScanHorizontal = 1, kScanVertical = 2 };

struct ScanPosition {
  uint8_t x;
  uint8_t y;
};

// Positions of a (1 << log2_size)-wide block in scan order, log2_size 0..3.
const ScanPosition *scan_order(int log2_size, int scan_idx);

// Whether the 4x4 sub-block of levels at top_left (rows `stride` apart) is
// all zero, a row of four levels at a time: most sub-blocks of a residual
// are, and this spares gathering them in scan order.
inline bool sub_block_is_zero(const int16_t *top_left, int stride) {
  uint64_t any = 0;
  for (int r = 0; r < 4; ++r) {
    uint64_t row;
    std::memcpy(&row, top_left + r * stride, sizeof(row));
    any |= row;
  }
  return any == 0;
}

// H.265 7.4.9.11: scanIdx of an intra transform block of 1 << log2_size
// samples in plane c_idx (4:2:0) predicted with intra mode pred_mode.
inline int intra_scan_idx(int log2_size, int c_idx, int pred_mode) {
  if (log2_size == 2 || (log2_size == 3 && c_idx == 0)) {
    if (pred_mode >= 6 && pred_mode <= 14)
      return kScanVertical;
    if (pred_mode >= 22 && pred_mode <= 30)
      return kScanHorizontal;
  }
  return kScanDiagonal;
}

} // namespace quad::hevc
