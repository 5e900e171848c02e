#include "ctu_encoder.h"
#include "scan_order.h"
#include "syntax.h"

namespace quad::hevc {

RdCost CtuEncoder::code_chroma_tree(int x, int y, int log2_size, int depth, int mode,
                                    bool measure_rate, CabacBitCounter &counter,
                                    const InterPrediction *inter) {
  const BlockInfo &b = info_->at(x, y);
  if (b.tu_log2_size < log2_size && log2_size > 3) {
    RdCost sum;
    const int half = 1 << (log2_size - 1);
    for (int k = 0; k < 4; ++k)
      sum += code_chroma_tree(x + (k & 1) * half, y + (k >> 1) * half, log2_size - 1, depth + 1,
                              mode, measure_rate, counter, inter);
    return sum;
  }
  // 7.3.8.10: chroma blocks are half the luma node, and 4x4 luma blocks
  // share one 4x4 chroma block per 8x8 node.
  const int log2_c = log2_size - 1;
  const int scan = inter ? kScanDiagonal : intra_scan_idx(log2_c, 1, mode);
  uint8_t cbf = 0;
  for (int c = 1; c <= 2; ++c) {
    int16_t *levels = levels_at(c, x, y);
    const int nonzero = code_transform_block(c, x >> 1, y >> 1, log2_c, mode, levels, inter);
    if (nonzero)
      cbf |= c == 1 ? kCbfCb : kCbfCr;
    if (measure_rate) {
      write_cbf_chroma(counter, depth, nonzero != 0);
      if (nonzero)
        write_residual_coding(counter, levels, log2_c, c, scan, pps_.sign_data_hiding);
    }
  }
  const int size = 1 << log2_size;
  info_->fill(x, y, size,
              [&](BlockInfo &blk) { blk.cbf = static_cast<uint8_t>((blk.cbf & kCbfLuma) | cbf); });
  RdCost rd;
  rd.distortion = area_sse(x, y, size, Planes::Chroma);
  return rd;
}

RdCost CtuEncoder::decide_intra_chroma(int x, int y, int log2_size, const ContextSet &contexts) {
  const int size = 1 << log2_size;
  const int luma_mode = info_->at(x, y).intra_luma_mode;
  // DM first: it costs one bin and follows the luma structure.
  static constexpr int kSyntaxOrder[5] = {4, 0, 1, 2, 3};
  const int count = std::min(5, std::max(1, params_.chroma_rd_candidates));
  const bool measure_rate = count > 1;
  // The mode just coded is the working state; a better one before it waits
  // in a candidate.
  Candidate &kept = candidates_->chroma_mode;
  RdCost best;
  double best_cost = 0;
  int best_syntax = -1;
  bool best_is_current = false;
  for (int i = 0; i < count; ++i) {
    const int syntax = kSyntaxOrder[i];
    CabacBitCounter counter;
    counter.contexts = contexts;
    write_intra_chroma_pred_mode(counter, syntax);
    RdCost rd = code_chroma_tree(x, y, log2_size, 0, chroma_intra_mode(syntax, luma_mode),
                                 measure_rate, counter);
    rd.frac_bits = counter.frac_bits;
    const double cost = rd.cost(params_.lambda);
    best_is_current = best_syntax < 0 || cost < best_cost;
    if (!best_is_current)
      continue;
    best = rd;
    best_cost = cost;
    best_syntax = syntax;
    if (i + 1 < count)
      capture(kept, x, y, size, Planes::Chroma);
  }
  if (!best_is_current)
    commit(kept, x, y, size, Planes::Chroma);
  info_->fill(x, y, size,
              [&](BlockInfo &b) { b.intra_chroma_syntax = static_cast<uint8_t>(best_syntax); });
  return best;
}

} // namespace quad::hevc
