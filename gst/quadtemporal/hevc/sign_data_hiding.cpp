#include "sign_data_hiding.h"

#include <cstdlib>

#include "scan_order.h"

namespace quad::hevc {
namespace {

// Forward quantisation scale (quant.h), to recover the unrounded level.
constexpr int kQuantScale[6] = {26214, 23302, 20560, 18396, 16384, 14564};

// Raster index inside an n x n block of each coefficient in scan order
// (sub-block by sub-block), per log2 size 2..5 and scanIdx.
struct ScanToRaster {
  uint16_t index[4][3][32 * 32];
  ScanToRaster() {
    for (int log2 = 2; log2 <= 5; ++log2) {
      const int n = 1 << log2;
      for (int scan = 0; scan < 3; ++scan) {
        const ScanPosition *sb = scan_order(log2 - 2, scan);
        const ScanPosition *pos = scan_order(2, scan);
        for (int i = 0; i < (n * n) / 16; ++i)
          for (int k = 0; k < 16; ++k)
            index[log2 - 2][scan][16 * i + k] =
                static_cast<uint16_t>((sb[i].y * 4 + pos[k].y) * n + sb[i].x * 4 + pos[k].x);
      }
    }
  }
};

const ScanToRaster kScanToRaster;

} // namespace

int hide_signs(const int16_t *coeffs, int16_t *levels, int log2_size, int qp, int scan_idx) {
  const int log2_sb = log2_size - 2;
  const int n = 1 << log2_size;
  // Unrounded |level| = |c| * scale / 2^qbits (quant.h).
  const int qbits = 14 + qp / 6 + (15 - 8 - log2_size);
  const double inv_step = kQuantScale[qp % 6] / static_cast<double>(1 << qbits);
  int nonzero = 0;

  for (int i = 0; i < (1 << (2 * log2_sb)); ++i) {
    const uint16_t *index = &kScanToRaster.index[log2_sb][scan_idx][16 * i];
    // Every scan starts a sub-block at its top-left position.
    if (sub_block_is_zero(levels + index[0], n))
      continue;
    int first = -1;
    int last = -1;
    int sum = 0;
    int count = 0;
    for (int k = 0; k < 16; ++k) {
      const int v = levels[index[k]];
      if (v) {
        if (first < 0)
          first = k;
        last = k;
        sum += std::abs(v);
        ++count;
      }
    }
    if (first < 0)
      continue;
    // 7.3.8.11: with lastSigScanPos - firstSigScanPos > 3 the decoder takes
    // the sign of the first coefficient from the parity of the sum.
    const bool negative = levels[index[first]] < 0;
    if (last - first > 3 && (sum & 1) != (negative ? 1 : 0)) {
      // Change one level by +-1 where the added squared quantisation error
      // (in units of the step) is smallest.
      double best = 1e30;
      int best_k = -1;
      int best_delta = 0;
      for (int k = 0; k < 16; ++k) {
        const int c = coeffs[index[k]];
        const int level = std::abs(levels[index[k]]);
        const double exact = std::abs(c) * inv_step;
        const double up = 1 + 2 * (level - exact);
        const double down = 1 - 2 * (level - exact);
        if (level == 0) {
          // A new first coefficient must bring the right sign with it.
          if (k < first && (c < 0) != ((sum + 1) & 1))
            continue;
          if (up < best && level < 32767) {
            best = up;
            best_k = k;
            best_delta = 1;
          }
          continue;
        }
        if (up < best && level < 32767) {
          best = up;
          best_k = k;
          best_delta = 1;
        }
        // The first coefficient keeps a non-zero level: its sign is the one
        // hidden.
        if (down < best && !(k == first && level == 1)) {
          best = down;
          best_k = k;
          best_delta = -1;
        }
      }
      const int idx = index[best_k];
      const int level = std::abs(levels[idx]) + best_delta;
      const bool neg = levels[idx] != 0 ? levels[idx] < 0 : coeffs[idx] < 0;
      count += (level != 0) - (levels[idx] != 0);
      levels[idx] = static_cast<int16_t>(neg ? -level : level);
    }
    nonzero += count;
  }
  return nonzero;
}

} // namespace quad::hevc
