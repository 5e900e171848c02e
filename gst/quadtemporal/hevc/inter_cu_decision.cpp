#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "ctu_encoder.h"
#include "dsp/dsp.h"
#include "inter_prediction.h"
#include "syntax.h"

namespace quad::hevc {

void CtuEncoder::predict(const PredictionBlock &pb, const PredictionMotion &motion,
                         InterPrediction &pred, bool luma_only) {
  pred.x0 = pb.x_cb;
  pred.y0 = pb.y_cb;
  const PictureSamples &ref = inter_->ref[motion.ref_idx[0]]->samples;
  uint8_t *dst[3];
  ptrdiff_t stride[3];
  for (int c = 0; c < 3; ++c) {
    const int sh = c ? 1 : 0;
    dst[c] = pred.planes[c] + ((pb.y - pb.y_cb) >> sh) * InterPrediction::stride(c) +
             ((pb.x - pb.x_cb) >> sh);
    stride[c] = InterPrediction::stride(c);
  }
  if (luma_only)
    predict_inter_luma(ref, pb.x, pb.y, pb.w, pb.h, motion.mv[0], dst[0], stride[0]);
  else
    predict_inter(ref, pb.x, pb.y, pb.w, pb.h, motion.mv[0], dst, stride);
}

void CtuEncoder::code_inter_cu(int x, int y, int log2_size, const MotionChoice &choice,
                               const InterPrediction &pred, const CabacBitCounter &start) {
  const int size = 1 << log2_size;
  const int8_t qp = static_cast<int8_t>(params_.qp);
  info_->fill(x, y, size, [&](BlockInfo &b) {
    b.cu_log2_size = static_cast<uint8_t>(log2_size);
    b.pred_mode = PredMode::Inter;
    b.part_mode = PartMode::Part2Nx2N;
    b.intra_luma_mode = kIntraDc;
    b.intra_chroma_syntax = 4;
    b.cbf = 0;
    b.qp_y = qp;
    b.motion = choice.motion;
    b.merge_flag = choice.merge;
    b.merge_idx = static_cast<uint8_t>(choice.merge_idx);
    b.mvp_idx = static_cast<uint8_t>(choice.mvp_idx);
    b.mvd = choice.mvd;
  });

  // The residual: one transform tree over the CU (split where the search
  // depth allows it and the rate says so), chroma following luma.
  TreeSearch search;
  search.min_split_log2 =
      std::max(2, std::min(log2_size, sps_.max_tb_log2) - sps_.max_transform_hierarchy_depth_inter);
  search.measure_rate = sps_.max_transform_hierarchy_depth_inter > 0;
  CabacBitCounter tree = start;
  code_luma_tree(x, y, log2_size, 0, sps_.max_transform_hierarchy_depth_inter, false, 0, search,
                 tree, &pred);
  code_chroma_tree(x, y, log2_size, 0, 0, false, tree, &pred);
  uint8_t cbf = 0;
  info_->fill(x, y, size, [&](const BlockInfo &b) { cbf |= b.cbf; });
  // A merged 2Nx2N CU without residual is a skipped one (7.3.8.5).
  if (cbf == 0 && choice.merge)
    info_->fill(x, y, size, [](BlockInfo &b) { b.pred_mode = PredMode::Skip; });
}

double CtuEncoder::intra_satd_estimate(int x, int y, int log2_size) {
  const int n = std::min(1 << log2_size, 32);
  const IntraAvailability avail = intra_availability(sps_, x, y, n, 0);
  build_intra_references(rec_->planes[0], rec_->stride[0], x, y, n, 0, avail,
                         sps_.strong_intra_smoothing, refs_);
  const uint8_t *src = src_->planes[0] + y * src_->stride[0] + x;
  const dsp::Kernels &k = dsp::kernels();
  uint32_t best = UINT32_MAX;
  for (const int mode : {kIntraPlanar, kIntraDc, kIntraAngularHorizontal, kIntraAngularVertical}) {
    predict_intra(refs_, mode, pred_);
    best = std::min(best, k.satd(src, src_->stride[0], pred_, n, n, n));
  }
  // A 64x64 CU is predicted as four 32x32 blocks; the first stands for all.
  const int blocks = (1 << log2_size) / n;
  return static_cast<double>(best) * blocks * blocks + params_.sqrt_lambda * 2;
}

double CtuEncoder::decide_inter_cu(int x, int y, int log2_size, int depth, bool need_cost) {
  const int size = 1 << log2_size;
  const CabacBitCounter start = counter_;
  const PredictionBlock pb{x, y, size, x, y, size, size, PartMode::Part2Nx2N, 0};
  Candidates &cands = *candidates_;
  const dsp::Kernels &k = dsp::kernels();

  // The alternative just coded is the working state; a better one before
  // it waits in a candidate.
  Candidate &kept = cands.cu_mode[depth];
  double best_cost = std::numeric_limits<double>::infinity();
  bool best_is_current = false;
  auto consider = [&](double cost, bool more_follow) {
    best_is_current = cost < best_cost;
    if (!best_is_current)
      return;
    best_cost = cost;
    if (more_follow) {
      capture(kept, x, y, size, Planes::All);
      kept.cabac = counter_;
    }
  };

  // Merge: the candidate whose prediction is closest to the source (SATD
  // and the bits of merge_idx), coded with its residual, or skipped.
  PredictionMotion merge_list[kMaxMergeCandidates];
  derive_merge_candidates(*inter_, pb, merge_list);
  const int merge_count = inter_->max_num_merge_cand;
  const uint8_t *src = src_->planes[0] + y * src_->stride[0] + x;
  MotionChoice merge;
  merge.merge = true;
  InterPrediction *merge_pred = &cands.merge_pred;
  InterPrediction *trial = &cands.amvp_pred;
  double best_merge = std::numeric_limits<double>::infinity();
  for (int i = 0; i < merge_count; ++i) {
    bool repeated = false;
    for (int j = 0; j < i && !repeated; ++j)
      repeated = merge_list[j].ref_idx[0] == merge_list[i].ref_idx[0] &&
                 merge_list[j].mv[0] == merge_list[i].mv[0];
    if (repeated)
      continue;
    predict(pb, merge_list[i], *trial, true);
    const double cost =
        k.satd(src, src_->stride[0], trial->planes[0], InterPrediction::stride(0), size, size) +
        params_.sqrt_lambda * (i + 1);
    if (cost < best_merge) {
      best_merge = cost;
      merge.merge_idx = i;
      std::swap(merge_pred, trial);
    }
  }
  merge.motion = merge_list[merge.merge_idx];
  merge.satd_cost = best_merge;
  predict(pb, merge.motion, *merge_pred);

  // Merge first: when it leaves no residual the CU is skipped and, with
  // early skip, decided.
  code_inter_cu(x, y, log2_size, merge, *merge_pred, start);
  if (params_.early_skip && info_->at(x, y).pred_mode == PredMode::Skip)
    return need_cost ? cu_cost(x, y, log2_size, depth, start) : 0;

  // AMVP with the searched motion (coded, without inter RD, only when its
  // SATD cost beats the merge candidate's), then intra where it may pay.
  const MotionChoice amvp = search_motion(pb, merge_list, merge_count);
  const bool same_as_merge =
      amvp.motion.ref_idx[0] == merge.motion.ref_idx[0] && amvp.motion.mv[0] == merge.motion.mv[0];
  const bool try_amvp = !same_as_merge && (params_.inter_rd || amvp.satd_cost < merge.satd_cost);
  const double inter_satd = try_amvp ? std::min(merge.satd_cost, amvp.satd_cost) : merge.satd_cost;
  const bool try_intra =
      params_.intra_in_inter == 2 ||
      (params_.intra_in_inter == 1 && intra_satd_estimate(x, y, log2_size) < inter_satd);
  // A lone candidate whose cost nobody compares is not measured.
  if (!try_amvp && !try_intra)
    return need_cost ? cu_cost(x, y, log2_size, depth, start) : 0;
  consider(cu_cost(x, y, log2_size, depth, start), true);
  if (try_amvp) {
    predict(pb, amvp.motion, *trial);
    code_inter_cu(x, y, log2_size, amvp, *trial, start);
    consider(cu_cost(x, y, log2_size, depth, start), try_intra);
  }
  if (try_intra) {
    counter_ = start;
    consider(decide_intra_cu(x, y, log2_size, depth), false);
  }
  if (!best_is_current) {
    commit(kept, x, y, size, Planes::All);
    counter_ = kept.cabac;
  }
  return best_cost;
}

} // namespace quad::hevc
