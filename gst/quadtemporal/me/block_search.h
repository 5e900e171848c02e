// The search of one block at one pyramid level, written once for every
// backend: the CPU compiles it with SIMD pixel kernels, CUDA and HIP with
// scalar device ones. Blocks of a level depend only on the level above and
// on the previous picture's field, never on each other, so a level is one
// parallel step and every backend finds the same vectors.
#pragma once

#include <cstddef>
#include <cstdint>

#include "motion_types.h"
#include "portability.h"

namespace quad::me {

// Border kept free of candidates so 8-tap filters stay inside the padding.
inline constexpr int kFilterMargin = 8;
// Hexagon and diamond steps per block before giving up on convergence.
inline constexpr int kMaxPatternSteps = 32;
// The exhaustive window around the best neighbour vector at full resolution.
inline constexpr int kRefineRadius = 1;
// Propagation passes at full resolution: each lets a good vector travel one
// block further.
inline constexpr int kPropagationPasses = 2;

struct LevelGrid {
  int block = 0; // samples of this level
  int cols = 0;
  int rows = 0;
};

// Everything one level's search reads.
struct LevelJob {
  const uint8_t *cur = nullptr; // sample (0, 0) of this level, padded
  const uint8_t *ref = nullptr; // same geometry and stride as cur
  ptrdiff_t stride = 0;
  int width = 0;
  int height = 0;
  int pad = 0;
  int level = 0;
  int range = 0; // per component, samples of this level
  LevelGrid grid;

  // The level above, in its integer samples; null at the top level, which
  // is searched exhaustively.
  const MotionVector *parent = nullptr;
  LevelGrid parent_grid;

  // The previous picture's final field in quarter samples, or null.
  const MotionVector *temporal = nullptr;
  LevelGrid temporal_grid; // in full-resolution samples

  bool has_global = false;
  MotionVector global; // quarter samples

  int lambda_q8 = 0;
  SearchPattern pattern = SearchPattern::kHexagon;
  bool subpel = false; // at level 0 only
};

struct EvalCount {
  uint32_t sad = 0;
  uint32_t satd = 0;
  uint64_t sad_samples = 0;
  uint64_t satd_samples = 0;
};

QUAD_ME_HD int me_min(int a, int b) {
  return a < b ? a : b;
}
QUAD_ME_HD int me_max(int a, int b) {
  return a > b ? a : b;
}

// Estimated bits of one vector-difference component in quarter samples: an
// exp-Golomb length, as H.265's mvd coding grows.
// Without a branch on zero, which the search meets unpredictably.
QUAD_ME_HD int mvd_bits(int d) {
  const unsigned a = static_cast<unsigned>(d < 0 ? -d : d);
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  const int log2 = 31 - __clz(static_cast<int>(a | 1u));
#else
  const int log2 = 31 - __builtin_clz(a | 1u);
#endif
  return 2 * log2 + 3 - 2 * static_cast<int>(a == 0);
}

QUAD_ME_HD uint32_t mv_rate(int lambda_q8, int dx_q, int dy_q) {
  return static_cast<uint32_t>((lambda_q8 * (mvd_bits(dx_q) + mvd_bits(dy_q)) + 128) >> 8);
}

// One comparison of both components: no branch between them.
QUAD_ME_HD bool same_mv(MotionVector a, MotionVector b) {
  return ((a.x ^ b.x) | (a.y ^ b.y)) == 0;
}

// q / d rounded to nearest, halves away from zero (d > 0).
QUAD_ME_HD int div_round(int q, int d) {
  return q >= 0 ? (q + d / 2) / d : -((-q + d / 2) / d);
}

// Candidate evaluation at integer positions of one level.
template <class Px> struct IntegerSearch {
  const Px &px;
  const LevelJob &job;
  const uint8_t *cur;
  int x0, y0;
  int lo_x, hi_x, lo_y, hi_y;
  MotionVector pred; // level samples
  EvalCount &count;
  MotionVector best;
  uint32_t best_cost = 0xFFFFFFFFu;

  QUAD_ME_HD bool inside(int x, int y) const {
    return x >= lo_x && x <= hi_x && y >= lo_y && y <= hi_y;
  }

  // Counts a SAD at (x, y) and returns true when its cost made it the best.
  QUAD_ME_HD bool consider(int x, int y, uint32_t sad) {
    const int b = job.grid.block;
    count.sad++;
    count.sad_samples += static_cast<uint64_t>(b) * b;
    const int unit = 4 << job.level;
    const uint32_t cost = sad + mv_rate(job.lambda_q8, (x - pred.x) * unit, (y - pred.y) * unit);
    if (cost < best_cost) {
      best_cost = cost;
      best.x = static_cast<int16_t>(x);
      best.y = static_cast<int16_t>(y);
      return true;
    }
    return false;
  }

  // Returns true when (x, y) became the best.
  QUAD_ME_HD bool try_mv(int x, int y) {
    if (!inside(x, y)) {
      return false;
    }
    const int b = job.grid.block;
    return consider(
        x, y,
        px.sad(cur, job.stride, job.ref + (y0 + y) * job.stride + (x0 + x), job.stride, b, b));
  }

  // Points (xs[i], ys[i]), i < n <= 4, in order, with the same outcome as
  // try_mv on each in turn (a point's SAD does not depend on the best so
  // far): three or four inside the window share one four-candidate SAD.
  // Returns true when one of them became the best.
  QUAD_ME_HD bool try_mvs(const int *xs, const int *ys, int n) {
    bool all_inside = n >= 3;
    for (int i = 0; i < n; ++i) {
      all_inside = all_inside && inside(xs[i], ys[i]);
    }
    bool moved = false;
    if (!all_inside) {
      for (int i = 0; i < n; ++i) {
        moved |= try_mv(xs[i], ys[i]);
      }
      return moved;
    }
    const uint8_t *refs[4];
    for (int i = 0; i < 4; ++i) {
      const int k = i < n ? i : n - 1; // a spare slot repeats the last point
      refs[i] = job.ref + (y0 + ys[k]) * job.stride + (x0 + xs[k]);
    }
    uint32_t sads[4];
    const int b = job.grid.block;
    px.sad_x4(cur, job.stride, refs, job.stride, b, b, sads);
    for (int i = 0; i < n; ++i) {
      moved |= consider(xs[i], ys[i], sads[i]);
    }
    return moved;
  }

  // Points added one at a time, evaluated four at a time in order.
  struct Batch {
    IntegerSearch &s;
    int xs[4] = {}, ys[4] = {};
    int n = 0;
    QUAD_ME_HD void add(int x, int y) {
      xs[n] = x;
      ys[n] = y;
      if (++n == 4) {
        flush();
      }
    }
    QUAD_ME_HD void flush() {
      s.try_mvs(xs, ys, n);
      n = 0;
    }
  };

  QUAD_ME_HD void exhaustive() {
    try_mv(0, 0);
    Batch batch{*this};
    for (int y = lo_y; y <= hi_y; ++y) {
      for (int x = lo_x; x <= hi_x; ++x) {
        if (x != 0 || y != 0) {
          batch.add(x, y);
        }
      }
    }
    batch.flush();
  }

  QUAD_ME_HD void small_diamond(int max_steps) {
    for (int step = 0; step < max_steps; ++step) {
      const int cx = best.x, cy = best.y;
      const int xs[4] = {cx - 1, cx + 1, cx, cx};
      const int ys[4] = {cy, cy, cy - 1, cy + 1};
      if (!try_mvs(xs, ys, 4)) {
        return;
      }
    }
  }

  // Large hexagon of radius 2 until the centre wins, then one small diamond
  // (the x264/x265 "hex" search).
  QUAD_ME_HD void hexagon() {
    for (int step = 0; step < kMaxPatternSteps; ++step) {
      const int cx = best.x, cy = best.y;
      const int xs[4] = {cx - 2, cx + 2, cx - 1, cx + 1};
      const int ys[4] = {cy, cy, cy - 2, cy - 2};
      bool moved = try_mvs(xs, ys, 4);
      moved |= try_mv(cx - 1, cy + 2);
      moved |= try_mv(cx + 1, cy + 2);
      if (!moved) {
        break;
      }
    }
    small_diamond(1);
  }
};

// The window of candidates for block (bx, by): the search range, narrowed
// so a predicted block with its filter taps stays in the padded picture.
template <class Px>
QUAD_ME_HD IntegerSearch<Px> block_search_at(const LevelJob &job, const Px &px, int bx, int by,
                                             EvalCount &count) {
  const int b = job.grid.block;
  const int x0 = bx * b;
  const int y0 = by * b;
  const int margin = job.pad - kFilterMargin;
  return IntegerSearch<Px>{px,
                           job,
                           job.cur + y0 * job.stride + x0,
                           x0,
                           y0,
                           me_max(-job.range, -margin - x0),
                           me_min(job.range, job.width + margin - b - x0),
                           me_max(-job.range, -margin - y0),
                           me_min(job.range, job.height + margin - b - y0),
                           MotionVector{},
                           count,
                           MotionVector{}};
}

// Searches block (bx, by) of job's level from the level above and writes an
// integer vector, in samples of this level, to level_out.
template <class Px>
QUAD_ME_HD void search_block(const LevelJob &job, const Px &px, int bx, int by,
                             MotionVector *level_out, EvalCount &count) {
  const int b = job.grid.block;
  const int x0 = bx * b;
  const int y0 = by * b;
  IntegerSearch<Px> s = block_search_at(job, px, bx, by, count);

  if (job.parent == nullptr) {
    s.exhaustive();
  } else {
    // Candidates: the parent block (the predictor), its four neighbours,
    // the previous picture's co-located vector, the global motion, zero.
    const int pcx = me_min(((x0 + b / 2) / 2) / job.parent_grid.block, job.parent_grid.cols - 1);
    const int pcy = me_min(((y0 + b / 2) / 2) / job.parent_grid.block, job.parent_grid.rows - 1);
    MotionVector cand[8];
    int n = 0;
    const int offsets[5][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
    for (int i = 0; i < 5; ++i) {
      const int nx = pcx + offsets[i][0];
      const int ny = pcy + offsets[i][1];
      if (nx < 0 || ny < 0 || nx >= job.parent_grid.cols || ny >= job.parent_grid.rows) {
        continue;
      }
      const MotionVector p = job.parent[ny * job.parent_grid.cols + nx];
      cand[n].x = static_cast<int16_t>(2 * p.x);
      cand[n].y = static_cast<int16_t>(2 * p.y);
      ++n;
    }
    s.pred = cand[0];
    const int unit = 4 << job.level;
    if (job.temporal != nullptr) {
      const int fx = (x0 + b / 2) << job.level;
      const int fy = (y0 + b / 2) << job.level;
      const int tx = me_min(fx / job.temporal_grid.block, job.temporal_grid.cols - 1);
      const int ty = me_min(fy / job.temporal_grid.block, job.temporal_grid.rows - 1);
      const MotionVector t = job.temporal[ty * job.temporal_grid.cols + tx];
      cand[n].x = static_cast<int16_t>(div_round(t.x, unit));
      cand[n].y = static_cast<int16_t>(div_round(t.y, unit));
      ++n;
    }
    if (job.has_global) {
      cand[n].x = static_cast<int16_t>(div_round(job.global.x, unit));
      cand[n].y = static_cast<int16_t>(div_round(job.global.y, unit));
      ++n;
    }
    cand[n++] = MotionVector{};
    typename IntegerSearch<Px>::Batch batch{s};
    for (int i = 0; i < n; ++i) {
      bool seen = false;
      for (int k = 0; k < i; ++k) {
        seen |= same_mv(cand[k], cand[i]);
      }
      if (!seen) {
        batch.add(cand[i].x, cand[i].y);
      }
    }
    batch.flush();
    if (s.best_cost == 0xFFFFFFFFu) {
      s.try_mv(0, 0); // every candidate fell outside the window
    }
    if (job.pattern == SearchPattern::kHexagon) {
      s.hexagon();
    } else {
      s.small_diamond(kMaxPatternSteps);
    }
  }

  level_out[by * job.grid.cols + bx] = s.best;
}

// The component-wise median of the left, top and top-right vectors, as
// H.264 predicts a vector; the block's own on the picture's edges.
QUAD_ME_HD MotionVector median_predictor(const MotionVector *field, int cols, int bx, int by) {
  if (bx == 0 || by == 0 || bx + 1 >= cols) {
    return field[by * cols + bx];
  }
  const MotionVector l = field[by * cols + bx - 1];
  const MotionVector t = field[(by - 1) * cols + bx];
  const MotionVector r = field[(by - 1) * cols + bx + 1];
  MotionVector m;
  m.x = static_cast<int16_t>(me_max(me_min(l.x, t.x), me_min(me_max(l.x, t.x), r.x)));
  m.y = static_cast<int16_t>(me_max(me_min(l.y, t.y), me_min(me_max(l.y, t.y), r.y)));
  return m;
}

// One propagation pass at full resolution, once every block has a vector:
// each block tries its eight neighbours' vectors (motion the coarse levels
// blurred across an edge) and the global motion, then a small exhaustive
// window and a small diamond. Reads field_in, writes field_out.
template <class Px>
QUAD_ME_HD void refine_block(const LevelJob &job, const Px &px, const MotionVector *field_in,
                             int bx, int by, MotionVector *field_out, EvalCount &count) {
  const int cols = job.grid.cols;
  const int rows = job.grid.rows;
  IntegerSearch<Px> s = block_search_at(job, px, bx, by, count);
  const MotionVector own = field_in[by * cols + bx];
  s.pred = median_predictor(field_in, cols, bx, by);
  MotionVector cand[10];
  int n = 0;
  cand[n++] = own;
  if (job.has_global) {
    cand[n].x = static_cast<int16_t>(div_round(job.global.x, 4));
    cand[n].y = static_cast<int16_t>(div_round(job.global.y, 4));
    n += cand[n].x != own.x || cand[n].y != own.y;
  }
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      const int nx = bx + dx, ny = by + dy;
      if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= cols || ny >= rows) {
        continue;
      }
      const MotionVector v = field_in[ny * cols + nx];
      bool seen = false;
      for (int k = 0; k < n; ++k) {
        seen |= same_mv(cand[k], v);
      }
      if (!seen) {
        cand[n++] = v;
      }
    }
  }
  typename IntegerSearch<Px>::Batch batch{s};
  for (int i = 0; i < n; ++i) {
    batch.add(cand[i].x, cand[i].y);
  }
  batch.flush();
  if (s.best_cost == 0xFFFFFFFFu) {
    s.try_mv(0, 0);
  }
  const int cx = s.best.x, cy = s.best.y;
  for (int y = cy - kRefineRadius; y <= cy + kRefineRadius; ++y) {
    for (int x = cx - kRefineRadius; x <= cx + kRefineRadius; ++x) {
      if (x != cx || y != cy) {
        batch.add(x, y);
      }
    }
  }
  batch.flush();
  s.small_diamond(kMaxPatternSteps);
  field_out[by * cols + bx] = s.best;
}

// The final step of block (bx, by): its integer vector from field refined to
// quarter samples with SATD (or kept, with its SAD, without subpel), then
// compared with a DC prediction.
template <class Px>
QUAD_ME_HD void finish_block(const LevelJob &job, const Px &px, const MotionVector *field, int bx,
                             int by, BlockEstimate *final_out, EvalCount &count) {
  const int b = job.grid.block;
  const int x0 = bx * b;
  const int y0 = by * b;
  const uint8_t *cur = job.cur + y0 * job.stride + x0;
  const MotionVector own = field[by * job.grid.cols + bx];
  const MotionVector pred = median_predictor(field, job.grid.cols, bx, by);
  const MotionVector pred_q{static_cast<int16_t>(4 * pred.x), static_cast<int16_t>(4 * pred.y)};
  int best_qx = 4 * own.x;
  int best_qy = 4 * own.y;
  // SAD or SATD of the prediction at a quarter-sample vector.
  const auto eval = [&](int qx, int qy, bool satd) -> uint32_t {
    const uint8_t *r = job.ref + (y0 + (qy >> 2)) * job.stride + (x0 + (qx >> 2));
    if (satd) {
      count.satd++;
      count.satd_samples += static_cast<uint64_t>(b) * b;
    } else {
      count.sad++;
      count.sad_samples += static_cast<uint64_t>(b) * b;
    }
    return px.subpel_cost(r, job.stride, cur, job.stride, b, b, qx & 3, qy & 3, satd);
  };
  uint32_t dist = eval(best_qx, best_qy, false);
  uint32_t cost = dist + mv_rate(job.lambda_q8, best_qx - pred_q.x, best_qy - pred_q.y);
  if (job.subpel) {
    // Half samples with SAD: the eight around the integer vector. Quarter
    // samples with SATD: the four nearest the best half, the diagonals
    // rarely winning for an 8-tap interpolation each (x264's order at its
    // middle subme levels).
    const int ring[8][2] = {{0, -1}, {-1, 0}, {1, 0}, {0, 1}, {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    for (int step = 2; step >= 1; step /= 2) {
      const bool satd = step == 1;
      const int cx = best_qx, cy = best_qy;
      if (satd) {
        dist = eval(cx, cy, true);
        cost = dist + mv_rate(job.lambda_q8, cx - pred_q.x, cy - pred_q.y);
      }
      for (int i = 0; i < (step == 2 ? 8 : 4); ++i) {
        const int qx = cx + step * ring[i][0];
        const int qy = cy + step * ring[i][1];
        const uint32_t d = eval(qx, qy, satd);
        const uint32_t c = d + mv_rate(job.lambda_q8, qx - pred_q.x, qy - pred_q.y);
        if (c < cost) {
          cost = c;
          dist = d;
          best_qx = qx;
          best_qy = qy;
        }
      }
    }
  }

  // DC prediction from the block's own mean: the best any DC intra block
  // could do, so inter loses only where it really is worse.
  uint8_t flat[64];
  for (int i = 0; i < 64; ++i) {
    flat[i] = 0;
  }
  const uint32_t sum = px.sad(cur, job.stride, flat, 0, b, b);
  const uint32_t area = static_cast<uint32_t>(b * b);
  const uint8_t mean = static_cast<uint8_t>((sum + area / 2) / area);
  for (int i = 0; i < 64; ++i) {
    flat[i] = mean;
  }
  const uint32_t intra =
      job.subpel ? px.satd(cur, job.stride, flat, 0, b, b) : px.sad(cur, job.stride, flat, 0, b, b);

  BlockEstimate &e = final_out[by * job.grid.cols + bx];
  e.mv.x = static_cast<int16_t>(best_qx);
  e.mv.y = static_cast<int16_t>(best_qy);
  e.cost = cost;
  e.distortion = dist;
  e.intra_cost = intra;
  e.intra_better = intra < cost ? 1 : 0;
}

} // namespace quad::me
