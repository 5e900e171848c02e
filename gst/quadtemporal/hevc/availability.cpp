#include "availability.h"

#include "coding_tree.h"

namespace quad::hevc {
namespace {

// 6.5.2 MinTbAddrZs of the 4x4 luma block holding luma sample (x, y): CTUs
// in raster order, 4x4 blocks in z-order inside each.
int min_tb_addr_zs(const SequenceParams &sps, int x, int y) {
  const int ctb_addr = (y >> sps.ctb_log2) * sps.ctb_cols() + (x >> sps.ctb_log2);
  const int mask = (1 << sps.ctb_log2) - 1;
  return (ctb_addr << (2 * (sps.ctb_log2 - 2))) | z_index(x & mask, y & mask);
}

} // namespace

bool zscan_available(const SequenceParams &sps, int x_curr, int y_curr, int x_nb, int y_nb) {
  if (x_nb < 0 || y_nb < 0 || x_nb >= sps.width || y_nb >= sps.height)
    return false;
  return min_tb_addr_zs(sps, x_nb, y_nb) <= min_tb_addr_zs(sps, x_curr, y_curr);
}

IntraAvailability intra_availability(const SequenceParams &sps, int x, int y, int n, int c_idx) {
  // Work in luma samples; a 4x4 luma block is the unit of availability.
  const int s = c_idx ? 1 : 0;
  const int xl = x << s;
  const int yl = y << s;
  const int nl = n << s;
  IntraAvailability a;
  a.left = xl > 0;
  a.top = yl > 0;
  a.top_left = a.left && a.top;
  const int current = min_tb_addr_zs(sps, xl, yl);
  int above_right = 0;
  if (a.top) {
    for (int k = 0; k < nl; k += 4) {
      const int xn = xl + nl + k;
      if (xn >= sps.width || min_tb_addr_zs(sps, xn, yl - 1) > current)
        break;
      above_right += 4;
    }
  }
  int below_left = 0;
  if (a.left) {
    for (int k = 0; k < nl; k += 4) {
      const int yn = yl + nl + k;
      if (yn >= sps.height || min_tb_addr_zs(sps, xl - 1, yn) > current)
        break;
      below_left += 4;
    }
  }
  a.above_right = above_right >> s;
  a.below_left = below_left >> s;
  return a;
}

} // namespace quad::hevc
