#include <limits>

#include "ctu_encoder.h"
#include "syntax.h"

namespace quad::hevc {

double CtuEncoder::decide_coding_quadtree(int x, int y, int log2_size, int depth, bool need_cost) {
  const int size = 1 << log2_size;
  const bool inside = x + size <= sps_.width && y + size <= sps_.height;
  const bool can_split = log2_size > sps_.min_cb_log2 &&
                         log2_size > (inter_ ? params_.min_cu_log2_inter : params_.min_cu_log2);
  // A CU crossing the picture edge must split (7.3.8.4); an 8x8 one never
  // crosses it since the coded size is a multiple of 8.
  const int max_cu_log2 = inter_ ? params_.max_cu_log2_inter : params_.max_cu_log2;
  const bool can_leaf = inside && (log2_size <= max_cu_log2 || !can_split);

  const CabacBitCounter start = counter_;
  Candidate &leaf = candidates_->cu_leaf[depth];
  double leaf_cost = std::numeric_limits<double>::infinity();
  if (can_leaf) {
    leaf_cost = inter_ ? decide_inter_cu(x, y, log2_size, depth, need_cost || can_split)
                       : decide_intra_cu(x, y, log2_size, depth);
    if (!can_split)
      return leaf_cost;
    if (params_.skip_split_without_residual) {
      // Early termination: a CU predicted well enough to need no residual
      // is seldom beaten by its four quarters.
      uint8_t cbf = 0;
      info_->fill(x, y, size, [&](const BlockInfo &b) { cbf |= b.cbf; });
      if (cbf == 0)
        return leaf_cost;
    }
    // Early termination: a leaf whose cost is below a rate floor (per 16x16
    // area) is kept; quarters rarely pay for their own signalling there.
    if (leaf_cost < params_.lambda * params_.split_rate_floor_bits * (size * size) / 256.0)
      return leaf_cost;
    capture(leaf, x, y, size, Planes::All);
    leaf.cabac = counter_;
    counter_ = start;
  }

  double split_cost = 0;
  if (inside) {
    const SyntaxContext sc = syntax_context();
    write_split_cu_flag(counter_, sc, x, y, depth, true);
    split_cost += params_.lambda * static_cast<double>(counter_.frac_bits - start.frac_bits) /
                  kFracBitsPerBit;
  }
  const int half = size >> 1;
  for (int k = 0; k < 4 && split_cost < leaf_cost; ++k) {
    const int xs = x + (k & 1) * half;
    const int ys = y + (k >> 1) * half;
    if (xs < sps_.width && ys < sps_.height)
      split_cost += decide_coding_quadtree(xs, ys, log2_size - 1, depth + 1, need_cost || can_leaf);
  }
  // The split is the working state; the leaf comes back only if it wins.
  if (split_cost < leaf_cost)
    return split_cost;
  commit(leaf, x, y, size, Planes::All);
  counter_ = leaf.cabac;
  return leaf_cost;
}

} // namespace quad::hevc
