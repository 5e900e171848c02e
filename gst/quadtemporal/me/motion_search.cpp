#include "motion_search.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/dsp.h"
#include "search_plan.h"

namespace quad::me {

const char *backend_name(Backend backend) {
  switch (backend) {
  case Backend::kAuto:
    return "auto";
  case Backend::kCpu:
    return "cpu";
  case Backend::kCuda:
    return "cuda";
  case Backend::kHip:
    return "hip";
  }
  return "unknown";
}

int lambda_q8_for_qp(int qp) {
  qp = std::clamp(qp, 0, 51);
  return static_cast<int>(std::lround(256.0 * std::sqrt(0.57 * std::exp2((qp - 12) / 3.0))));
}

void validate(const SearchParams &p) {
  if (p.block_size != 8 && p.block_size != 16 && p.block_size != 32 && p.block_size != 64) {
    throw std::invalid_argument("block size must be 8, 16, 32 or 64");
  }
  if (p.search_range < 4 || p.search_range > 256) {
    throw std::invalid_argument("search range must be 4..256");
  }
  if (p.lambda_q8 < 0 || p.lambda_q8 > (1 << 22)) {
    throw std::invalid_argument("lambda out of range");
  }
  if (p.max_levels < 1 || p.max_levels > FramePyramid::kMaxLevels) {
    throw std::invalid_argument("pyramid levels must be 1..4");
  }
}

std::vector<LevelPlan> plan_levels(const SearchParams &params, const FramePyramid &pyramid) {
  std::vector<LevelPlan> plan(static_cast<size_t>(std::min(pyramid.levels(), params.max_levels)));
  for (int l = 0; l < static_cast<int>(plan.size()); ++l) {
    LevelPlan &p = plan[static_cast<size_t>(l)];
    p.grid.block = l == 0 ? params.block_size : std::max(16, params.block_size >> l);
    p.grid.cols = (pyramid.width(l) + p.grid.block - 1) / p.grid.block;
    p.grid.rows = (pyramid.height(l) + p.grid.block - 1) / p.grid.block;
    p.range = (params.search_range + (1 << l) - 1) >> l;
  }
  return plan;
}

MotionVector global_motion(const std::vector<MotionVector> &field, int level, int range) {
  // Every vector of a level lies within +-range of it: a dense histogram.
  const int side = 2 * range + 1;
  std::vector<uint32_t> votes(static_cast<size_t>(side) * static_cast<size_t>(side));
  for (const MotionVector &v : field) {
    if (std::abs(v.x) <= range && std::abs(v.y) <= range) {
      votes[static_cast<size_t>((v.y + range) * side + v.x + range)]++;
    }
  }
  // Ties go to the first in raster order of (y, x): deterministic.
  const size_t best =
      static_cast<size_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
  const int unit = 4 << level;
  return MotionVector{static_cast<int16_t>((static_cast<int>(best % side) - range) * unit),
                      static_cast<int16_t>((static_cast<int>(best / side) - range) * unit)};
}

LevelJob level_job(const SearchParams &params, const FramePyramid &cur, const FramePyramid &ref,
                   const std::vector<LevelPlan> &plan, int level) {
  LevelJob job;
  job.cur = cur.origin(level);
  job.ref = ref.origin(level);
  job.stride = cur.stride(level);
  job.width = cur.width(level);
  job.height = cur.height(level);
  job.pad = FramePyramid::kPad;
  job.level = level;
  job.range = plan[static_cast<size_t>(level)].range;
  job.grid = plan[static_cast<size_t>(level)].grid;
  // A coarse SAD sums 4^level times fewer samples than the full-resolution
  // area it stands for: lambda shrinks with it, or vector bits would
  // outweigh the picture at the top of the pyramid.
  job.lambda_q8 = params.lambda_q8 >> (2 * level);
  job.pattern = params.pattern;
  job.subpel = level == 0 && params.subpel;
  return job;
}

std::unique_ptr<MotionSearch> make_motion_search(Backend backend, const SearchParams &params,
                                                 std::string *note) {
  validate(params);
  if (note) {
    note->clear();
  }
  std::string why;
  if (backend == Backend::kAuto || backend == Backend::kCuda) {
    if (auto gpu = make_cuda_motion_search(params, &why)) {
      return gpu;
    }
    if (backend == Backend::kCuda && note) {
      *note = "cuda backend unavailable (" + why + "), using cpu";
    }
  }
  if (backend == Backend::kAuto || backend == Backend::kHip) {
    if (auto gpu = make_hip_motion_search(params, &why)) {
      return gpu;
    }
    if (backend == Backend::kHip && note) {
      *note = "hip backend unavailable (" + why + "), using cpu";
    }
  }
  return make_cpu_motion_search(params);
}

uint64_t full_search(const FramePyramid &cur, const FramePyramid &ref, int block_size, int range,
                     std::vector<MotionVector> *out, SearchCounters *counters) {
  const dsp::Kernels &k = dsp::kernels();
  const int w = cur.width(0), h = cur.height(0);
  const ptrdiff_t stride = cur.stride(0);
  const int cols = (w + block_size - 1) / block_size;
  const int rows = (h + block_size - 1) / block_size;
  const int margin = FramePyramid::kPad - kFilterMargin;
  std::vector<MotionVector> field(static_cast<size_t>(cols * rows));
  std::vector<uint64_t> row_sad(static_cast<size_t>(rows));
  std::vector<uint64_t> row_evals(static_cast<size_t>(rows));
  tbb::parallel_for(0, rows, [&](int by) {
    uint64_t evals = 0, total = 0;
    for (int bx = 0; bx < cols; ++bx) {
      const int x0 = bx * block_size, y0 = by * block_size;
      const uint8_t *c = cur.origin(0) + y0 * stride + x0;
      const int lo_x = std::max(-range, -margin - x0);
      const int hi_x = std::min(range, w + margin - block_size - x0);
      const int lo_y = std::max(-range, -margin - y0);
      const int hi_y = std::min(range, h + margin - block_size - y0);
      uint32_t best =
          k.sad(c, stride, ref.origin(0) + y0 * stride + x0, stride, block_size, block_size);
      MotionVector mv;
      for (int y = lo_y; y <= hi_y; ++y) {
        for (int x = lo_x; x <= hi_x; ++x) {
          if (x == 0 && y == 0) {
            continue; // the starting point, so ties keep the zero vector
          }
          const uint32_t sad = k.sad(c, stride, ref.origin(0) + (y0 + y) * stride + x0 + x, stride,
                                     block_size, block_size);
          if (sad < best) {
            best = sad;
            mv = MotionVector{static_cast<int16_t>(4 * x), static_cast<int16_t>(4 * y)};
          }
        }
      }
      evals += static_cast<uint64_t>(hi_x - lo_x + 1) * static_cast<uint64_t>(hi_y - lo_y + 1);
      total += best;
      field[static_cast<size_t>(by * cols + bx)] = mv;
    }
    row_sad[static_cast<size_t>(by)] = total;
    row_evals[static_cast<size_t>(by)] = evals;
  });
  uint64_t total = 0;
  for (int r = 0; r < rows; ++r) {
    total += row_sad[static_cast<size_t>(r)];
    if (counters) {
      counters->sad_evaluations += row_evals[static_cast<size_t>(r)];
      counters->sad_samples +=
          row_evals[static_cast<size_t>(r)] * static_cast<uint64_t>(block_size * block_size);
    }
  }
  if (counters) {
    counters->blocks += static_cast<uint64_t>(cols * rows);
  }
  if (out) {
    *out = std::move(field);
  }
  return total;
}

} // namespace quad::me
