#include "motion_vector_prediction.h"

#include <algorithm>
#include <cstdlib>

#include "availability.h"

namespace quad::hevc {
namespace {

// 6.4.2: a neighbouring prediction block is available when it is decoded
// before the current one (inside the same coding block: an earlier
// partition, except the row below the first of NxN's) and is not intra.
bool pb_available(const InterSliceContext &ctx, const PredictionBlock &pb, int x_nb, int y_nb) {
  const bool same_cb = pb.x_cb <= x_nb && x_nb < pb.x_cb + pb.cb_size && pb.y_cb <= y_nb &&
                       y_nb < pb.y_cb + pb.cb_size;
  bool available;
  if (!same_cb)
    available = zscan_available(*ctx.sps, pb.x, pb.y, x_nb, y_nb);
  else
    available = !(pb.w * 2 == pb.cb_size && pb.h * 2 == pb.cb_size && pb.part_idx == 1 &&
                  pb.y_cb + pb.h <= y_nb && pb.x_cb + pb.w > x_nb);
  return available && ctx.info->at(x_nb, y_nb).pred_mode != PredMode::Intra;
}

bool same_motion(const PredictionMotion &a, const PredictionMotion &b) {
  for (int l = 0; l < 2; ++l) {
    if (a.ref_idx[l] != b.ref_idx[l])
      return false;
    if (a.ref_idx[l] >= 0 && a.mv[l] != b.mv[l])
      return false;
  }
  return true;
}

// 8.5.3.2.7 (8-197..8-202) and 8.5.3.2.8: a vector scaled by the ratio of
// POC distances tb / td.
MotionVector scale_mv(MotionVector mv, int td_in, int tb_in) {
  const int td = std::clamp(td_in, -128, 127);
  const int tb = std::clamp(tb_in, -128, 127);
  const int tx = (16384 + (std::abs(td) >> 1)) / td;
  const int factor = std::clamp((tb * tx + 32) >> 6, -4096, 4095);
  auto scale = [&](int v) {
    const int p = factor * v;
    const int mag = (std::abs(p) + 127) >> 8;
    return static_cast<int16_t>(std::clamp(p < 0 ? -mag : mag, -32768, 32767));
  };
  return {scale(mv.x), scale(mv.y)};
}

// 8.5.3.2.9: the motion of the collocated block covering (x, y) (already
// on the 16x16 grid) for reference index ref_idx of list 0.
bool collocated_mv(const InterSliceContext &ctx, int x, int y, int ref_idx, MotionVector &mv) {
  const DecodedPicture &col = *ctx.collocated;
  const PredictionMotion &m = col.motion.at(x, y);
  // P pictures predict from list 0 only; an intra block has no motion.
  int list = m.ref_idx[0] >= 0 ? 0 : 1;
  if (m.ref_idx[list] < 0)
    return false;
  const int col_poc_diff = col.poc - col.motion.ref_poc[list][m.ref_idx[list]];
  const int curr_poc_diff = ctx.poc - ctx.ref_poc[ref_idx];
  mv = m.mv[list];
  if (col_poc_diff != curr_poc_diff)
    mv = scale_mv(mv, col_poc_diff, curr_poc_diff);
  return true;
}

// 8.5.3.2.8: the temporal luma motion vector prediction, bottom right of
// the prediction block first, then its centre.
bool temporal_candidate(const InterSliceContext &ctx, const PredictionBlock &pb, int ref_idx,
                        MotionVector &mv) {
  if (!ctx.collocated)
    return false;
  const SequenceParams &sps = *ctx.sps;
  const int x_br = pb.x + pb.w;
  const int y_br = pb.y + pb.h;
  // The bottom-right block must lie in the same CTU row (no line buffer of
  // the collocated motion beyond it).
  if ((pb.y_cb >> sps.ctb_log2) == (y_br >> sps.ctb_log2) && y_br < sps.height &&
      x_br < sps.width && collocated_mv(ctx, (x_br >> 4) << 4, (y_br >> 4) << 4, ref_idx, mv))
    return true;
  const int x_ctr = pb.x + (pb.w >> 1);
  const int y_ctr = pb.y + (pb.h >> 1);
  return collocated_mv(ctx, (x_ctr >> 4) << 4, (y_ctr >> 4) << 4, ref_idx, mv);
}

} // namespace

void derive_merge_candidates(const InterSliceContext &ctx, const PredictionBlock &pb,
                             PredictionMotion list[kMaxMergeCandidates]) {
  // 8.5.3.2.3: spatial candidates A1, B1, B0, A0, B2. Log2ParMrgLevel is 2,
  // so no neighbour shares the current block's merge estimation region.
  const int xa = pb.x - 1, ya1 = pb.y + pb.h - 1, ya0 = pb.y + pb.h;
  const int xb1 = pb.x + pb.w - 1, xb0 = pb.x + pb.w, yb = pb.y - 1;
  const bool vertical_second =
      pb.part_idx == 1 && pb.part == PartMode::PartNx2N; // A1 is the first block
  const bool horizontal_second =
      pb.part_idx == 1 && pb.part == PartMode::Part2NxN; // B1 is the first block
  const BlockInfoMap &info = *ctx.info;

  // availableN (partition exclusions included) decides the comparisons;
  // availableFlagN, after pruning, the list.
  const bool avail_a1 = !vertical_second && pb_available(ctx, pb, xa, ya1);
  const bool avail_b1 = !horizontal_second && pb_available(ctx, pb, xb1, yb);
  const bool avail_b0 = pb_available(ctx, pb, xb0, yb);
  const bool avail_a0 = pb_available(ctx, pb, xa, ya0);
  const bool avail_b2 = pb_available(ctx, pb, xa, yb);
  const PredictionMotion &m_a1 = info.at(std::max(xa, 0), std::max(ya1, 0)).motion;
  const PredictionMotion &m_b1 = info.at(std::max(xb1, 0), std::max(yb, 0)).motion;
  const PredictionMotion &m_b0 = info.at(std::min(xb0, ctx.sps->width - 1), std::max(yb, 0)).motion;
  const PredictionMotion &m_a0 =
      info.at(std::max(xa, 0), std::min(ya0, ctx.sps->height - 1)).motion;
  const PredictionMotion &m_b2 = info.at(std::max(xa, 0), std::max(yb, 0)).motion;
  const bool a1 = avail_a1;
  const bool b1 = avail_b1 && !(avail_a1 && same_motion(m_a1, m_b1));
  const bool b0 = avail_b0 && !(avail_b1 && same_motion(m_b1, m_b0));
  const bool a0 = avail_a0 && !(avail_a1 && same_motion(m_a1, m_a0));
  const bool b2 = avail_b2 && !(avail_a1 && same_motion(m_a1, m_b2)) &&
                  !(avail_b1 && same_motion(m_b1, m_b2)) && !(a0 && a1 && b0 && b1);

  int n = 0;
  const int max = std::min(ctx.max_num_merge_cand, kMaxMergeCandidates);
  const std::pair<bool, const PredictionMotion *> spatial[5] = {
      {a1, &m_a1}, {b1, &m_b1}, {b0, &m_b0}, {a0, &m_a0}, {b2, &m_b2}};
  for (const auto &[ok, m] : spatial)
    if (ok && n < max)
      list[n++] = *m;

  // 8.5.3.2.2 step 2: the temporal candidate with reference index 0.
  MotionVector col;
  if (n < max && temporal_candidate(ctx, pb, 0, col)) {
    PredictionMotion m;
    m.mv[0] = col;
    m.ref_idx[0] = 0;
    list[n++] = m;
  }
  // 8.5.3.2.5: zero candidates, one per reference index, then index 0.
  for (int zero_idx = 0; n < max; ++zero_idx) {
    PredictionMotion m;
    m.ref_idx[0] = static_cast<int8_t>(zero_idx < ctx.num_ref_idx ? zero_idx : 0);
    list[n++] = m;
  }
}

void derive_mvp_candidates(const InterSliceContext &ctx, const PredictionBlock &pb, int ref_idx,
                           MotionVector list[2]) {
  const BlockInfoMap &info = *ctx.info;
  const int target_poc = ctx.ref_poc[ref_idx];
  // The POC a neighbour's list 0 reference stands for.
  auto ref_poc_of = [&](const PredictionMotion &m) { return ctx.ref_poc[m.ref_idx[0]]; };

  // 8.5.3.2.7 steps for A: A0 then A1, unscaled first, then scaled.
  const int nb_a[2][2] = {{pb.x - 1, pb.y + pb.h}, {pb.x - 1, pb.y + pb.h - 1}};
  bool avail_a[2];
  for (int k = 0; k < 2; ++k)
    avail_a[k] = pb_available(ctx, pb, nb_a[k][0], nb_a[k][1]);
  const bool is_scaled = avail_a[0] || avail_a[1];
  bool has_a = false;
  MotionVector mv_a;
  for (int k = 0; k < 2 && !has_a; ++k) {
    if (!avail_a[k])
      continue;
    const PredictionMotion &m = info.at(nb_a[k][0], nb_a[k][1]).motion;
    if (m.ref_idx[0] >= 0 && ref_poc_of(m) == target_poc) {
      has_a = true;
      mv_a = m.mv[0];
    }
  }
  for (int k = 0; k < 2 && !has_a; ++k) {
    if (!avail_a[k])
      continue;
    const PredictionMotion &m = info.at(nb_a[k][0], nb_a[k][1]).motion;
    if (m.ref_idx[0] >= 0) {
      has_a = true;
      mv_a = scale_mv(m.mv[0], ctx.poc - ref_poc_of(m), ctx.poc - target_poc);
    }
  }

  // B: B0, B1, B2 unscaled; without any A neighbour, B takes A's place
  // and B is looked for again, scaled.
  const int nb_b[3][2] = {
      {pb.x + pb.w, pb.y - 1}, {pb.x + pb.w - 1, pb.y - 1}, {pb.x - 1, pb.y - 1}};
  bool avail_b[3];
  for (int k = 0; k < 3; ++k)
    avail_b[k] = pb_available(ctx, pb, nb_b[k][0], nb_b[k][1]);
  bool has_b = false;
  MotionVector mv_b;
  for (int k = 0; k < 3 && !has_b; ++k) {
    if (!avail_b[k])
      continue;
    const PredictionMotion &m = info.at(nb_b[k][0], nb_b[k][1]).motion;
    if (m.ref_idx[0] >= 0 && ref_poc_of(m) == target_poc) {
      has_b = true;
      mv_b = m.mv[0];
    }
  }
  if (!is_scaled && has_b) {
    has_a = true;
    mv_a = mv_b;
  }
  if (!is_scaled) {
    has_b = false;
    for (int k = 0; k < 3 && !has_b; ++k) {
      if (!avail_b[k])
        continue;
      const PredictionMotion &m = info.at(nb_b[k][0], nb_b[k][1]).motion;
      if (m.ref_idx[0] >= 0) {
        has_b = true;
        mv_b = scale_mv(m.mv[0], ctx.poc - ref_poc_of(m), ctx.poc - target_poc);
      }
    }
  }

  // 8.5.3.2.6: A, B (unless equal to A), the temporal candidate when the
  // spatial ones do not give two, then zero vectors.
  int n = 0;
  if (has_a)
    list[n++] = mv_a;
  if (has_b && !(has_a && mv_a == mv_b))
    list[n++] = mv_b;
  MotionVector col;
  if (n < 2 && temporal_candidate(ctx, pb, ref_idx, col))
    list[n++] = col;
  while (n < 2)
    list[n++] = MotionVector{};
}

} // namespace quad::hevc
