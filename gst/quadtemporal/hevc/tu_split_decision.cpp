#include "ctu_encoder.h"
#include "scan_order.h"
#include "syntax.h"

namespace quad::hevc {

RdCost CtuEncoder::code_luma_tree(int x, int y, int log2_size, int depth, int max_depth,
                                  bool intra_split, int mode, const TreeSearch &search,
                                  CabacBitCounter &counter, const InterPrediction *inter) {
  const int size = 1 << log2_size;
  const TransformSplitRule rule =
      transform_split_rule(sps_, log2_size, depth, max_depth, intra_split, search.inter_split);

  const CabacBitCounter start = counter;
  Candidate &leaf = candidates_->tu_leaf[log2_size];
  if (!rule.inferred_split) {
    int16_t *levels = levels_at(0, x, y);
    const int nonzero = code_transform_block(0, x, y, log2_size, mode, levels, inter);
    // With nothing to compare against, the rate is not needed.
    if (search.measure_rate) {
      if (rule.coded)
        write_split_transform_flag(counter, log2_size, false);
      write_cbf_luma(counter, depth, nonzero != 0);
      if (nonzero)
        write_residual_coding(counter, levels, log2_size, 0,
                              inter ? kScanDiagonal : intra_scan_idx(log2_size, 0, mode),
                              pps_.sign_data_hiding);
    }
    const uint8_t cbf = nonzero ? kCbfLuma : 0;
    info_->fill(x, y, size, [&](BlockInfo &b) {
      b.tu_log2_size = static_cast<uint8_t>(log2_size);
      b.cbf = cbf;
    });
    leaf.rd.distortion = area_sse(x, y, size, Planes::Luma);
    leaf.rd.frac_bits = counter.frac_bits - start.frac_bits;
    // A block without residual is rarely improved by splitting it.
    const bool try_split =
        search.measure_rate && rule.coded && nonzero != 0 && log2_size - 1 >= search.min_split_log2;
    if (!try_split)
      return leaf.rd;
    capture(leaf, x, y, size, Planes::Luma);
    leaf.cabac = counter;
    counter = start;
  }

  if (rule.coded && search.measure_rate)
    write_split_transform_flag(counter, log2_size, true);
  RdCost split;
  const int half = size >> 1;
  for (int k = 0; k < 4; ++k) {
    const RdCost child =
        code_luma_tree(x + (k & 1) * half, y + (k >> 1) * half, log2_size - 1, depth + 1, max_depth,
                       intra_split, mode, search, counter, inter);
    split.distortion += child.distortion;
  }
  split.frac_bits = counter.frac_bits - start.frac_bits;
  // The split is the working state; the leaf comes back only if it wins.
  if (rule.inferred_split || split.cost(params_.lambda) < leaf.rd.cost(params_.lambda))
    return split;
  commit(leaf, x, y, size, Planes::Luma);
  counter = leaf.cabac;
  return leaf.rd;
}

} // namespace quad::hevc
