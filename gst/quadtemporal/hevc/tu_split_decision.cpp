#include "ctu_encoder.h"
#include "scan_order.h"
#include "syntax.h"

namespace quad::hevc {

RdCost CtuEncoder::code_luma_tree(int x, int y, int log2_size, int depth, int max_depth,
                                  bool intra_split, int mode, CabacBitCounter &counter) {
  const int size = 1 << log2_size;
  // 7.3.8.8: when split_transform_flag is coded, and when it is inferred 1.
  const bool signalled = log2_size <= sps_.max_tb_log2 && log2_size > sps_.min_tb_log2 &&
                         depth < max_depth && !(intra_split && depth == 0);
  const bool forced = log2_size > sps_.max_tb_log2 || (intra_split && depth == 0);

  RdCost leaf;
  ContextSet leaf_contexts;
  uint64_t leaf_bits = 0;
  const ContextSet start_contexts = counter.contexts;
  const uint64_t start_bits = counter.frac_bits;
  if (!forced) {
    int16_t *levels = levels_at(0, x, y);
    const int nonzero = code_transform_block(0, x, y, log2_size, mode, levels);
    // With nothing to compare against, the rate is not needed.
    if (measure_rate_) {
      if (signalled)
        counter.encode_bin(kCtxSplitTransformFlag + 5 - log2_size, 0);
      counter.encode_bin(kCtxCbfLuma + (depth == 0 ? 1 : 0), nonzero != 0);
      if (nonzero)
        write_residual_coding(counter, levels, log2_size, 0, intra_scan_idx(log2_size, 0, mode),
                              sps_.sign_data_hiding);
    }
    const uint8_t cbf = nonzero ? kCbfLuma : 0;
    info_->fill(x, y, size, [&](BlockInfo &b) {
      b.tu_log2_size = static_cast<uint8_t>(log2_size);
      b.cbf = cbf;
    });
    leaf.distortion = region_sse(x, y, size, true, false);
    leaf.frac_bits = counter.frac_bits - start_bits;
    // A block without residual is rarely improved by splitting it.
    const bool try_split =
        measure_rate_ && signalled && nonzero != 0 && log2_size - 1 >= tu_search_min_log2_;
    if (!try_split)
      return leaf;
    save_region(tu_snapshot_[log2_size], x, y, size, true, false);
    leaf_contexts = counter.contexts;
    leaf_bits = counter.frac_bits;
    counter.contexts = start_contexts;
    counter.frac_bits = start_bits;
  }

  if (signalled && measure_rate_)
    counter.encode_bin(kCtxSplitTransformFlag + 5 - log2_size, 1);
  RdCost split;
  const int half = size >> 1;
  for (int k = 0; k < 4; ++k) {
    const RdCost child = code_luma_tree(x + (k & 1) * half, y + (k >> 1) * half, log2_size - 1,
                                        depth + 1, max_depth, intra_split, mode, counter);
    split.distortion += child.distortion;
  }
  split.frac_bits = counter.frac_bits - start_bits;
  if (forced || split.cost(params_.lambda) < leaf.cost(params_.lambda))
    return split;
  restore_region(tu_snapshot_[log2_size], x, y, size, true, false);
  counter.contexts = leaf_contexts;
  counter.frac_bits = leaf_bits;
  return leaf;
}

} // namespace quad::hevc
