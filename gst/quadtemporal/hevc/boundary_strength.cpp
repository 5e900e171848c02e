#include "boundary_strength.h"

#include <algorithm>
#include <cstdlib>

namespace quad::hevc {
namespace {

// 8.7.2.3: whether the edge between p and q (q at luma (x, y), the edge
// on its left when vertical, on its top otherwise) is a transform or a
// prediction block edge; the transform edge is returned in tu_edge.
bool is_edge(const BlockInfo &q, int x, int y, bool vertical, bool &tu_edge) {
  const int pos = vertical ? x : y;
  tu_edge = (pos & ((1 << q.tu_log2_size) - 1)) == 0;
  const int cu = 1 << q.cu_log2_size;
  const int cu_start = pos & ~(cu - 1);
  const PartMode halves = vertical ? PartMode::PartNx2N : PartMode::Part2NxN;
  const bool pu_edge = pos == cu_start || (q.part_mode == halves && pos == cu_start + cu / 2 &&
                                           q.pred_mode != PredMode::Intra);
  return tu_edge || pu_edge;
}

// 8.7.2.4: bS of one edge segment.
int strength(const BlockInfo &p, const BlockInfo &q, bool tu_edge, const int *ref_poc) {
  if (p.pred_mode == PredMode::Intra || q.pred_mode == PredMode::Intra)
    return 2;
  if (tu_edge && ((p.cbf | q.cbf) & kCbfLuma))
    return 1;
  // Uni-prediction on both sides (P slices): another reference picture or
  // a vector a whole sample or more apart.
  if (ref_poc[p.motion.ref_idx[0]] != ref_poc[q.motion.ref_idx[0]])
    return 1;
  const MotionVector a = p.motion.mv[0];
  const MotionVector b = q.motion.mv[0];
  return std::abs(a.x - b.x) >= 4 || std::abs(a.y - b.y) >= 4 ? 1 : 0;
}

} // namespace

void size_deblock_map(const BlockInfoMap &info, DeblockMap &map) {
  const size_t count = static_cast<size_t>(info.width4()) * info.height4();
  if (map.width4 != info.width4() || map.height4 != info.height4() || map.bs_left.size() != count) {
    map.width4 = info.width4();
    map.height4 = info.height4();
    map.bs_left.assign(count, 0);
    map.bs_top.assign(count, 0);
    map.qp_y.assign(count, 0);
    map.bypass.assign(count, 0);
  }
}

void derive_boundary_strengths(const BlockInfoMap &info, const int *ref_poc, DeblockMap &map,
                               int y_begin, int y_end) {
  size_deblock_map(info, map);
  for (int by = y_begin / 4; by < std::min(map.height4, y_end / 4); ++by) {
    for (int bx = 0; bx < map.width4; ++bx) {
      const int x = bx * 4;
      const int y = by * 4;
      const BlockInfo &q = info.at(x, y);
      const size_t i = static_cast<size_t>(by) * map.width4 + bx;
      bool tu_edge = false;
      // Picture edges are not filtered; edges lie on the 8x8 grid.
      map.bs_left[i] = 0;
      map.bs_top[i] = 0;
      if (x > 0 && (x & 7) == 0 && is_edge(q, x, y, true, tu_edge))
        map.bs_left[i] =
            static_cast<uint8_t>(ref_poc ? strength(info.at(x - 1, y), q, tu_edge, ref_poc) : 2);
      if (y > 0 && (y & 7) == 0 && is_edge(q, x, y, false, tu_edge))
        map.bs_top[i] =
            static_cast<uint8_t>(ref_poc ? strength(info.at(x, y - 1), q, tu_edge, ref_poc) : 2);
      map.qp_y[i] = q.qp_y;
    }
  }
}

} // namespace quad::hevc
