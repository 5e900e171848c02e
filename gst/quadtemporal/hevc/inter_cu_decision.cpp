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

void CtuEncoder::code_inter_cu(int x, int y, int log2_size, const InterPartition &partition,
                               const InterPrediction &pred, const CabacBitCounter &start) {
  const int size = 1 << log2_size;
  const int8_t qp = static_cast<int8_t>(params_.qp);
  for (int i = 0; i < partition.count(); ++i) {
    const MotionChoice &choice = partition.pu[i];
    const PredictionBlock pb = prediction_block(x, y, size, partition.part, i);
    info_->fill(pb.x, pb.y, pb.w, pb.h, [&](BlockInfo &b) {
      b.cu_log2_size = static_cast<uint8_t>(log2_size);
      b.pred_mode = PredMode::Inter;
      b.part_mode = partition.part;
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
  }

  // The residual: one transform tree over the CU (split where the search
  // depth allows it and the rate says so, and at the root of two
  // partitions without inter depth), chroma following luma.
  TreeSearch search;
  search.min_split_log2 =
      std::max(2, std::min(log2_size, sps_.max_tb_log2) - sps_.max_transform_hierarchy_depth_inter);
  search.measure_rate = sps_.max_transform_hierarchy_depth_inter > 0;
  search.inter_split = partition.count() > 1;
  CabacBitCounter tree = start;
  code_luma_tree(x, y, log2_size, 0, sps_.max_transform_hierarchy_depth_inter, false, 0, search,
                 tree, &pred);
  code_chroma_tree(x, y, log2_size, 0, 0, false, tree, &pred);
  uint8_t cbf = 0;
  info_->fill(x, y, size, [&](const BlockInfo &b) { cbf |= b.cbf; });
  // A merged 2Nx2N CU without residual is a skipped one (7.3.8.5).
  if (cbf == 0 && partition.count() == 1 && partition.pu[0].merge)
    info_->fill(x, y, size, [](BlockInfo &b) { b.pred_mode = PredMode::Skip; });
}

MotionChoice CtuEncoder::choose_merge_candidate(const PredictionBlock &pb,
                                                const PredictionMotion *merge_list,
                                                InterPrediction &scratch) {
  const dsp::Kernels &k = dsp::kernels();
  const uint8_t *src = src_->planes[0] + pb.y * src_->stride[0] + pb.x;
  const uint8_t *pred = scratch.planes[0] + (pb.y - pb.y_cb) * InterPrediction::stride(0) +
                        (pb.x - pb.x_cb);
  MotionChoice merge;
  merge.merge = true;
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < inter_->max_num_merge_cand; ++i) {
    bool repeated = false;
    for (int j = 0; j < i && !repeated; ++j)
      repeated = merge_list[j].ref_idx[0] == merge_list[i].ref_idx[0] &&
                 merge_list[j].mv[0] == merge_list[i].mv[0];
    if (repeated || !within_reference_reach(*inter_, pb, merge_list[i].mv[0]))
      continue;
    predict(pb, merge_list[i], scratch, true);
    const double cost =
        k.satd(src, src_->stride[0], pred, InterPrediction::stride(0), pb.w, pb.h) +
        params_.sqrt_lambda * (i + 1);
    if (cost < best) {
      best = cost;
      merge.merge_idx = i;
    }
  }
  // With frame threads every candidate may reach too far: an infinite
  // cost then rules merge out.
  merge.motion = merge_list[merge.merge_idx];
  merge.satd_cost = best;
  return merge;
}

double CtuEncoder::choose_partition_motion(int x, int y, int size, const PredictionMotion &whole,
                                           InterPartition &partition, InterPrediction &scratch) {
  // The second block's predictors read the first one's motion from the
  // block info (6.4.2: an earlier partition of the same CU is available);
  // the working state's motion there comes back afterwards.
  const PredictionBlock first = prediction_block(x, y, size, partition.part, 0);
  PredictionMotion saved[8 * 16];
  int n = 0;
  info_->fill(first.x, first.y, first.w, first.h, [&](BlockInfo &b) { saved[n++] = b.motion; });

  double satd = 0;
  for (int i = 0; i < 2; ++i) {
    const PredictionBlock pb = prediction_block(x, y, size, partition.part, i);
    PredictionMotion merge_list[kMaxMergeCandidates];
    derive_merge_candidates(*inter_, pb, merge_list);
    const MotionChoice merge = choose_merge_candidate(pb, merge_list, scratch);
    const MotionChoice amvp =
        search_motion(pb, merge_list, inter_->max_num_merge_cand, &whole, 1, true);
    partition.pu[i] = amvp.satd_cost < merge.satd_cost ? amvp : merge;
    satd += partition.pu[i].satd_cost;
    if (i == 0)
      info_->fill(pb.x, pb.y, pb.w, pb.h, [&](BlockInfo &b) { b.motion = partition.pu[0].motion; });
  }
  n = 0;
  info_->fill(first.x, first.y, first.w, first.h, [&](BlockInfo &b) { b.motion = saved[n++]; });
  return satd;
}

double CtuEncoder::intra_satd_estimate(int x, int y, int log2_size) {
  const int n = std::min(1 << log2_size, 32);
  intra_references(x, y, n, 0);
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
  const PredictionBlock pb = prediction_block(x, y, size, PartMode::Part2Nx2N, 0);
  Candidates &cands = *candidates_;

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

  // Merge: the candidate whose prediction is closest to the source, coded
  // with its residual, or skipped. Merge first: when it leaves no residual
  // the CU is skipped and, with early skip, decided.
  PredictionMotion merge_list[kMaxMergeCandidates];
  derive_merge_candidates(*inter_, pb, merge_list);
  const int merge_count = inter_->max_num_merge_cand;
  InterPartition merge;
  merge.pu[0] = choose_merge_candidate(pb, merge_list, cands.merge_pred);
  const bool merge_usable = merge.pu[0].satd_cost < std::numeric_limits<double>::infinity();
  if (merge_usable) {
    predict(pb, merge.pu[0].motion, cands.merge_pred);
    code_inter_cu(x, y, log2_size, merge, cands.merge_pred, start);
    if (params_.early_skip && info_->at(x, y).pred_mode == PredMode::Skip)
      return need_cost ? cu_cost(x, y, log2_size, depth, start) : 0;
  }

  // AMVP with the searched motion, then two prediction blocks each with
  // its own motion (each coded, without inter RD, only when its SATD cost
  // beats the best before it), then intra where it may pay.
  InterPartition amvp;
  PredictionMotion hint;
  const int hint_count = hint_seed(pb, hint);
  amvp.pu[0] = search_motion(pb, merge_list, merge_count, &hint, hint_count);
  const MotionChoice &merged = merge.pu[0];
  const bool same_as_merge = merge_usable &&
                             amvp.pu[0].motion.ref_idx[0] == merged.motion.ref_idx[0] &&
                             amvp.pu[0].motion.mv[0] == merged.motion.mv[0];
  const bool try_amvp = !same_as_merge && (params_.inter_rd || !merge_usable ||
                                           amvp.pu[0].satd_cost < merged.satd_cost);
  double inter_satd = try_amvp ? std::min(merged.satd_cost, amvp.pu[0].satd_cost) : merged.satd_cost;
  // Of 2NxN and Nx2N the one with the lower SATD cost.
  InterPartition halves;
  bool try_halves = false;
  if (params_.rect_partitions && log2_size >= 4) {
    double best_halves = std::numeric_limits<double>::infinity();
    for (const PartMode part : {PartMode::Part2NxN, PartMode::PartNx2N}) {
      InterPartition trial;
      trial.part = part;
      // part_mode costs two or three bins more than 2Nx2N's one.
      const double satd =
          choose_partition_motion(x, y, size, amvp.pu[0].motion, trial, cands.amvp_pred) +
          params_.sqrt_lambda * 2;
      if (satd < best_halves) {
        best_halves = satd;
        halves = trial;
      }
    }
    try_halves = params_.inter_rd || best_halves < inter_satd;
    if (try_halves)
      inter_satd = std::min(inter_satd, best_halves);
  }
  const bool try_intra =
      params_.intra_in_inter == 2 ||
      (params_.intra_in_inter == 1 && intra_satd_estimate(x, y, log2_size) < inter_satd);
  // A lone candidate whose cost nobody compares is not measured.
  if (!try_amvp && !try_halves && !try_intra)
    return need_cost ? cu_cost(x, y, log2_size, depth, start) : 0;
  if (merge_usable)
    consider(cu_cost(x, y, log2_size, depth, start), true);
  auto code_inter = [&](const InterPartition &partition, bool more_follow) {
    for (int i = 0; i < partition.count(); ++i)
      predict(prediction_block(x, y, size, partition.part, i), partition.pu[i].motion,
              cands.amvp_pred);
    code_inter_cu(x, y, log2_size, partition, cands.amvp_pred, start);
    consider(cu_cost(x, y, log2_size, depth, start), more_follow);
  };
  if (try_amvp)
    code_inter(amvp, try_halves || try_intra);
  if (try_halves)
    code_inter(halves, try_intra);
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
