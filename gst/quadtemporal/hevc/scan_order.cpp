#include "scan_order.h"

#include <array>

namespace quad::hevc {
namespace {

struct ScanTables {
  // [scan_idx][log2_size] -> 1 << (2 * log2_size) positions.
  std::array<std::array<std::array<ScanPosition, 64>, 4>, 3> positions{};

  constexpr ScanTables() {
    for (int log2 = 0; log2 < 4; ++log2) {
      const int size = 1 << log2;
      // 6.5.3: up-right diagonal, starting each diagonal at its bottom-left.
      int i = 0;
      int x = 0;
      int y = 0;
      while (i < size * size) {
        while (y >= 0) {
          if (x < size && y < size)
            positions[kScanDiagonal][log2][i++] = {static_cast<uint8_t>(x),
                                                   static_cast<uint8_t>(y)};
          --y;
          ++x;
        }
        y = x;
        x = 0;
      }
      // 6.5.4 / 6.5.5: row by row, column by column.
      for (int k = 0; k < size * size; ++k) {
        positions[kScanHorizontal][log2][k] = {static_cast<uint8_t>(k % size),
                                               static_cast<uint8_t>(k / size)};
        positions[kScanVertical][log2][k] = {static_cast<uint8_t>(k / size),
                                             static_cast<uint8_t>(k % size)};
      }
    }
  }
};

constexpr ScanTables kScanTables;

} // namespace

const ScanPosition *scan_order(int log2_size, int scan_idx) {
  return kScanTables.positions[scan_idx][log2_size].data();
}

} // namespace quad::hevc
