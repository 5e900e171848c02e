#include <algorithm>
#include <limits>

#include "ctu_encoder.h"
#include "dsp/dsp.h"
#include "intra_mode_syntax.h"
#include "syntax.h"

namespace quad::hevc {

RdCost CtuEncoder::decide_intra_luma(int x, int y, int log2_size, int tu_depth, int max_tu_depth,
                                     bool intra_split, bool need_rate, const TreeSearch &search,
                                     const ContextSet &contexts) {
  const int size = 1 << log2_size;
  const MostProbableModes mpm = derive_most_probable_modes(*info_, x, y, sps_.ctb_log2);

  // Fast pass: SATD of all 35 predictions of the first transform-sized
  // block plus the estimated mode bits.
  const int n = std::min(size, 32);
  intra_references(x, y, n, 0);
  // Mode bits as the syntax writer counts them: each MPM index, and any
  // other mode (rem_intra_luma_pred_mode has a fixed length).
  auto mode_bits = [&](int mode) {
    CabacBitCounter c;
    c.contexts = contexts;
    write_intra_luma_mode(c, mpm, mode);
    return c.frac_bits / double(kFracBitsPerBit);
  };
  int other_mode = 0;
  while (mpm.index_of(other_mode) >= 0)
    ++other_mode;
  const double mpm_bits[3] = {mode_bits(mpm.cand[0]), mode_bits(mpm.cand[1]),
                              mode_bits(mpm.cand[2])};
  const double rem_bits = mode_bits(other_mode);
  const dsp::Kernels &k = dsp::kernels();
  const uint8_t *src = src_->planes[0] + y * src_->stride[0] + x;
  struct ModeCost {
    double cost;
    int mode;
  };
  ModeCost cands[35];
  for (int mode = 0; mode < 35; ++mode)
    cands[mode] = {std::numeric_limits<double>::infinity(), mode};
  auto evaluate = [&](int mode) {
    if (cands[mode].cost != std::numeric_limits<double>::infinity())
      return;
    predict_intra(refs_, mode, pred_);
    const int idx = mpm.index_of(mode);
    const double bits = idx >= 0 ? mpm_bits[idx] : rem_bits;
    cands[mode].cost = k.satd(src, src_->stride[0], pred_, n, n, n) + params_.sqrt_lambda * bits;
  };
  if (params_.coarse_mode_step > 1) {
    // Coarse to fine: planar, DC and every coarse_mode_step-th angle, then
    // the best angle's neighbours at half the distance, down to 1, and the
    // MPMs.
    evaluate(0);
    evaluate(1);
    for (int mode = 2; mode <= 34; mode += params_.coarse_mode_step)
      evaluate(mode);
    for (int step = params_.coarse_mode_step / 2; step >= 1; step >>= 1) {
      int best = 2;
      for (int mode = 3; mode <= 34; ++mode)
        if (cands[mode].cost < cands[best].cost)
          best = mode;
      if (best - step >= 2)
        evaluate(best - step);
      if (best + step <= 34)
        evaluate(best + step);
    }
    for (int i = 0; i < 3; ++i)
      evaluate(mpm.cand[i]);
  } else {
    for (int mode = 0; mode < 35; ++mode)
      evaluate(mode);
  }
  const int num_rd = std::min(35, log2_size >= 4 ? params_.luma_rd_candidates_large
                                                 : params_.luma_rd_candidates_small);
  std::partial_sort(cands, cands + num_rd, cands + 35,
                    [](const ModeCost &a, const ModeCost &b) { return a.cost < b.cost; });
  int modes[4];
  int num_modes = 0;
  for (int i = 0; i < num_rd && num_modes < 4; ++i)
    modes[num_modes++] = cands[i].mode;
  if (params_.add_mpm_candidates && num_modes < 4 &&
      std::find(modes, modes + num_modes, mpm.cand[0]) == modes + num_modes)
    modes[num_modes++] = mpm.cand[0];

  // Rate-distortion on the candidates: the luma transform tree coded for
  // real, rate from the CABAC contexts. A single candidate with no
  // transform split to weigh is only coded.
  TreeSearch tree = search;
  tree.measure_rate =
      need_rate || num_modes > 1 || search.min_split_log2 < std::min(log2_size, sps_.max_tb_log2);
  // The mode just coded is the working state; a better one before it waits
  // in a candidate.
  Candidate &kept = candidates_->luma_mode[log2_size];
  RdCost best;
  double best_cost = 0;
  int best_mode = -1;
  bool best_is_current = false;
  for (int i = 0; i < num_modes; ++i) {
    CabacBitCounter counter;
    counter.contexts = contexts;
    if (tree.measure_rate)
      write_intra_luma_mode(counter, mpm, modes[i]);
    RdCost rd = code_luma_tree(x, y, log2_size, tu_depth, max_tu_depth, intra_split, modes[i], tree,
                               counter);
    rd.frac_bits = counter.frac_bits;
    const double cost = rd.cost(params_.lambda);
    best_is_current = best_mode < 0 || cost < best_cost;
    if (!best_is_current)
      continue;
    best = rd;
    best_cost = cost;
    best_mode = modes[i];
    if (i + 1 < num_modes)
      capture(kept, x, y, size, Planes::Luma);
  }
  if (!best_is_current)
    commit(kept, x, y, size, Planes::Luma);
  info_->fill(x, y, size,
              [&](BlockInfo &b) { b.intra_luma_mode = static_cast<uint8_t>(best_mode); });
  return best;
}

} // namespace quad::hevc
