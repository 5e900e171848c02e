#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "ctu_encoder.h"
#include "dsp/dsp.h"
#include "dsp/interp.h"
#include "syntax.h"

namespace quad::hevc {
namespace {

// Counts the bins the syntax writer produces, each as one bit: the search's
// estimate of an MVD's rate (the CU's exact rate comes from the contexts).
struct BinCount {
  int bins = 0;
  void encode_bin(int, int) { ++bins; }
  void encode_bypass(int) { ++bins; }
  void encode_bypass_bits(uint32_t, int n) { bins += n; }
};

// Bins of one MVD component as mvd_coding() (7.3.8.9) codes it: the value
// is coded modulo 2^16 (8.5.3.2.1), the other component of a zero MVD
// adds one greater0 bin.
int mvd_component_bins(int v) {
  BinCount count;
  write_mvd(count, MotionVector{static_cast<int16_t>(v), 0});
  return count.bins - 1;
}

// The same for |v| < 4096, looked up: the search asks for it at every
// point it visits.
struct MvdBitsTable {
  uint8_t bits[4096];
  MvdBitsTable() {
    for (int a = 0; a < 4096; ++a)
      bits[a] = static_cast<uint8_t>(mvd_component_bins(a));
  }
};
const MvdBitsTable kMvdBits;

int mvd_component_bits(int v) {
  const int a = std::abs(v);
  return a < 4096 ? kMvdBits.bits[a] : mvd_component_bins(v);
}

int mvd_bits(MotionVector mv, MotionVector mvp) {
  return mvd_component_bits(mv.x - mvp.x) + mvd_component_bits(mv.y - mvp.y);
}

} // namespace

int CtuEncoder::hint_seed(const PredictionBlock &pb, PredictionMotion &seed) const {
  if (!hints_.blocks || hints_.block_width <= 0 || hints_.block_height <= 0)
    return 0;
  const int col = (pb.x + pb.w / 2) / hints_.block_width;
  const int row = (pb.y + pb.h / 2) / hints_.block_height;
  if (col >= hints_.cols || row >= hints_.rows)
    return 0;
  const BlockMotion &hint = hints_.blocks[static_cast<size_t>(row) * hints_.cols + col];
  for (int i = 0; i < inter_->num_ref_idx && hint.ref_distance > 0; ++i)
    if (inter_->poc - inter_->ref_poc[i] == hint.ref_distance) {
      seed = PredictionMotion{};
      seed.mv[0] = hint.mv;
      seed.ref_idx[0] = static_cast<int8_t>(i);
      return 1;
    }
  return 0;
}

MotionChoice CtuEncoder::search_motion(const PredictionBlock &pb,
                                       const PredictionMotion *merge_list, int merge_count,
                                       const PredictionMotion *seeds, int seed_count,
                                       bool local) {
  const dsp::Kernels &k = dsp::kernels();
  const dsp::InterpLumaFn interp = dsp::interp_kernels().luma;
  const int w = pb.w;
  const int h = pb.h;
  const uint8_t *src = src_->planes[0] + pb.y * src_->stride[0] + pb.x;
  const ptrdiff_t src_stride = src_->stride[0];
  const double lambda = params_.sqrt_lambda;
  alignas(64) uint8_t pred[64 * 64];

  MotionChoice best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int ref_idx = 0; ref_idx < inter_->num_ref_idx; ++ref_idx) {
    if (local && std::none_of(seeds, seeds + seed_count, [&](const PredictionMotion &m) {
          return m.ref_idx[0] == ref_idx;
        }))
      continue;
    const PictureSamples &ref = inter_->ref[ref_idx]->samples;
    const ptrdiff_t ref_stride = ref.stride[0];
    MotionVector mvp[2];
    derive_mvp_candidates(*inter_, pb, ref_idx, mvp);
    auto rate = [&](MotionVector mv) {
      return std::min(mvd_bits(mv, mvp[0]), mvd_bits(mv, mvp[1]));
    };
    const double ref_bits =
        inter_->num_ref_idx > 1 ? std::min(ref_idx + 1, inter_->num_ref_idx - 1) : 0;

    // Integer vectors keep the block, the filter taps and a sample of
    // refinement inside the reference's margin: no clamping needed.
    const int reach = ref.margin - 8;
    const int min_x = -pb.x - reach, max_x = ref.width - pb.x - w + reach;
    const int min_y = -pb.y - reach;
    int max_y = ref.height - pb.y - h + reach;
    // Frame threads: refinement keeps the integer part (a quarter-sample
    // step around a whole one rounds down to it), so the whole vector
    // alone decides which lines are read.
    const int line_limit = reference_line_limit(*inter_, pb.y);
    if (line_limit != std::numeric_limits<int>::max())
      max_y = std::min(max_y, line_limit - 4 - pb.y - h);
    auto clamp_int = [&](int vx, int vy) {
      return MotionVector{static_cast<int16_t>(std::clamp(vx, min_x, max_x)),
                          static_cast<int16_t>(std::clamp(vy, min_y, max_y))};
    };
    auto sad_cost = [&](MotionVector v) { // v in integer samples
      const uint8_t *r = ref.planes[0] + (pb.y + v.y) * ref_stride + pb.x + v.x;
      const MotionVector q{static_cast<int16_t>(v.x * 4), static_cast<int16_t>(v.y * 4)};
      return k.sad(src, src_stride, r, ref_stride, w, h) + lambda * rate(q);
    };

    // Start: the best of the AMVP predictors, the merge vectors and seeds
    // of this reference and zero.
    MotionVector starts[2 + kMaxMergeCandidates + kMaxSearchSeeds + 1];
    int start_count = 0;
    starts[start_count++] = mvp[0];
    starts[start_count++] = mvp[1];
    for (int i = 0; i < merge_count; ++i)
      if (merge_list[i].ref_idx[0] == ref_idx)
        starts[start_count++] = merge_list[i].mv[0];
    for (int i = 0; i < std::min(seed_count, kMaxSearchSeeds); ++i)
      if (seeds[i].ref_idx[0] == ref_idx)
        starts[start_count++] = seeds[i].mv[0];
    starts[start_count++] = MotionVector{};
    MotionVector center{};
    double center_cost = std::numeric_limits<double>::infinity();
    for (int i = 0; i < start_count; ++i) {
      const MotionVector v = clamp_int((starts[i].x + 2) >> 2, (starts[i].y + 2) >> 2);
      bool seen = false;
      for (int j = 0; j < i && !seen; ++j)
        seen = clamp_int((starts[j].x + 2) >> 2, (starts[j].y + 2) >> 2) == v;
      if (seen)
        continue;
      const double cost = sad_cost(v);
      if (cost < center_cost) {
        center_cost = cost;
        center = v;
      }
    }
    const MotionVector origin = center;

    // Pattern search: a star at halving steps down to 2, then small
    // diamonds until the centre is best.
    auto try_point = [&](int dx, int dy, MotionVector &next, double &next_cost) {
      if (std::abs(center.x + dx - origin.x) > params_.search_range ||
          std::abs(center.y + dy - origin.y) > params_.search_range)
        return;
      const MotionVector v = clamp_int(center.x + dx, center.y + dy);
      const double cost = sad_cost(v);
      if (cost < next_cost) {
        next_cost = cost;
        next = v;
      }
    };
    for (int step = local ? 1 : 16; step >= 2; step >>= 1) {
      if (step > params_.search_range)
        continue;
      MotionVector next = center;
      double next_cost = center_cost;
      static constexpr int kStar[8][2] = {{-1, 0},  {1, 0},  {0, -1}, {0, 1},
                                          {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
      for (const auto &d : kStar)
        try_point(d[0] * step, d[1] * step, next, next_cost);
      center = next;
      center_cost = next_cost;
    }
    for (int it = 0; it < params_.search_iterations; ++it) {
      MotionVector next = center;
      double next_cost = center_cost;
      static constexpr int kDiamond[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
      for (const auto &d : kDiamond)
        try_point(d[0], d[1], next, next_cost);
      if (next == center)
        break;
      center = next;
      center_cost = next_cost;
    }

    // Half, then quarter samples around the best, by SATD of the
    // interpolated prediction.
    MotionVector mv{static_cast<int16_t>(center.x * 4), static_cast<int16_t>(center.y * 4)};
    auto satd_cost = [&](MotionVector q) {
      const uint8_t *r = ref.planes[0] + (pb.y + (q.y >> 2)) * ref_stride + pb.x + (q.x >> 2);
      interp(r, ref_stride, pred, 64, w, h, q.x & 3, q.y & 3);
      return k.satd(src, src_stride, pred, 64, w, h) + lambda * rate(q);
    };
    double cost = satd_cost(mv);
    for (int level = 0; level < params_.subpel_refine; ++level) {
      const int step = level == 0 ? 2 : 1;
      const MotionVector base = mv;
      for (int dy = -step; dy <= step; dy += step)
        for (int dx = -step; dx <= step; dx += step) {
          if ((dx == 0 && dy == 0) || (params_.subpel_diamond && dx != 0 && dy != 0))
            continue;
          const MotionVector q{static_cast<int16_t>(base.x + dx),
                               static_cast<int16_t>(base.y + dy)};
          const double c = satd_cost(q);
          if (c < cost) {
            cost = c;
            mv = q;
          }
        }
    }
    cost += lambda * ref_bits;
    if (cost < best_cost) {
      best_cost = cost;
      best.satd_cost = cost;
      best.motion = PredictionMotion{};
      best.motion.mv[0] = mv;
      best.motion.ref_idx[0] = static_cast<int8_t>(ref_idx);
      best.mvp_idx = mvd_bits(mv, mvp[1]) < mvd_bits(mv, mvp[0]) ? 1 : 0;
      const MotionVector p = mvp[best.mvp_idx];
      best.mvd = {static_cast<int16_t>(mv.x - p.x), static_cast<int16_t>(mv.y - p.y)};
    }
  }
  return best;
}

} // namespace quad::hevc
