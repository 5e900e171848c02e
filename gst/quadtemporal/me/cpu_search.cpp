// The CPU backend: block_search.h with Highway SIMD pixel kernels, the rows
// of each level in parallel on oneTBB.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "dsp/dsp.h"
#include "dsp/interp.h"
#include "motion_search.h"
#include "search_plan.h"

namespace quad::me {
namespace {

// The reference's three half-sample planes, phases (2, 0), (0, 2) and
// (2, 2), laid out like its level 0: computed once per reference picture
// with the same H.265 filters, they turn the half-sample candidates of every
// block into plain SATDs.
class HalfSamplePlanes {
public:
  static constexpr int kPhases[3][2] = {{2, 0}, {0, 2}, {2, 2}};

  void update(const FramePyramid &ref) {
    if (generation_ == ref.generation()) {
      return;
    }
    const int pad = FramePyramid::kPad;
    const ptrdiff_t stride = ref.stride(0);
    const ptrdiff_t offset = ref.origin(0) - ref.storage();
    // Every sample whose filter support lies in the padded picture; the
    // search never asks for one nearer the border (kFilterMargin).
    const int x0 = -pad + 4, x1 = ref.width(0) + pad - 4;
    const int y0 = -pad + 4, y1 = ref.height(0) + pad - 4;
    const dsp::InterpLumaFn interp = dsp::interp_kernels().luma;
    for (int i = 0; i < 3; ++i) {
      storage_[i].resize(ref.storage_bytes());
      origin_[i] = storage_[i].data() + offset;
      uint8_t *dst = storage_[i].data() + offset;
      const int fx = kPhases[i][0], fy = kPhases[i][1];
      const int chunks = (y1 - y0 + 63) / 64;
      tbb::parallel_for(0, chunks, [&](int c) {
        const int y = y0 + 64 * c;
        const int rows = std::min(64, y1 - y);
        int x = x0;
        for (int w = 64; w >= 4; w /= 2) {
          for (; x + w <= x1; x += w) {
            interp(ref.origin(0) + y * stride + x, stride, dst + y * stride + x, stride, w, rows,
                   fx, fy);
          }
        }
      });
    }
    generation_ = ref.generation();
  }

  // The plane of phase (fx, fy), both even and not both zero.
  const uint8_t *origin(int fx, int fy) const { return origin_[fy == 0 ? 0 : fx == 0 ? 1 : 2]; }

private:
  std::vector<uint8_t> storage_[3];
  const uint8_t *origin_[3] = {};
  uint64_t generation_ = 0;
};

// The pixel kernels block_search.h calls, with the SIMD tables looked up
// once.
struct CpuPixels {
  dsp::SadFn sad_fn = dsp::kernels().sad;
  dsp::SadX4Fn sad_x4_fn = dsp::kernels().sad_x4;
  dsp::SatdFn satd_fn = dsp::kernels().satd;
  dsp::InterpLumaFn interp_fn = dsp::interp_kernels().luma;
  const uint8_t *ref_origin = nullptr;    // level 0 of the reference
  const HalfSamplePlanes *half = nullptr; // its half-sample planes

  uint32_t sad(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w, int h) const {
    return sad_fn(a, as, b, bs, w, h);
  }
  void sad_x4(const uint8_t *a, ptrdiff_t as, const uint8_t *const b[4], ptrdiff_t bs, int w, int h,
              uint32_t sads[4]) const {
    sad_x4_fn(a, as, b, bs, w, h, sads);
  }
  uint32_t satd(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                int h) const {
    return satd_fn(a, as, b, bs, w, h);
  }
  uint32_t subpel_cost(const uint8_t *ref, ptrdiff_t ref_stride, const uint8_t *cur,
                       ptrdiff_t cur_stride, int w, int h, int frac_x, int frac_y,
                       bool use_satd) const {
    const auto metric = use_satd ? satd_fn : sad_fn;
    if (frac_x == 0 && frac_y == 0) {
      return metric(cur, cur_stride, ref, ref_stride, w, h);
    }
    if (half && frac_x % 2 == 0 && frac_y % 2 == 0) {
      return metric(cur, cur_stride, half->origin(frac_x, frac_y) + (ref - ref_origin), ref_stride,
                    w, h);
    }
    alignas(64) uint8_t pred[64 * 64];
    interp_fn(ref, ref_stride, pred, 64, w, h, frac_x, frac_y);
    return metric(cur, cur_stride, pred, 64, w, h);
  }
};

class CpuMotionSearch final : public MotionSearch {
public:
  explicit CpuMotionSearch(const SearchParams &params) : params_(params) {}
  Backend backend() const override { return Backend::kCpu; }

  void estimate(const FramePyramid &cur, const FramePyramid &ref, const MotionField *previous,
                MotionField &out, SearchCounters *counters) override {
    const std::vector<LevelPlan> plan = plan_levels(params_, cur);
    const int top = static_cast<int>(plan.size()) - 1;
    fields_.resize(plan.size());
    const LevelGrid &final_grid = plan[0].grid;
    out.block_size = params_.block_size;
    out.cols = final_grid.cols;
    out.rows = final_grid.rows;
    out.blocks.assign(static_cast<size_t>(final_grid.cols * final_grid.rows), BlockEstimate{});
    out.global = MotionVector{};

    std::vector<MotionVector> temporal;
    if (previous && previous->block_size == params_.block_size &&
        previous->cols == final_grid.cols && previous->rows == final_grid.rows) {
      temporal.reserve(previous->blocks.size());
      for (const BlockEstimate &e : previous->blocks) {
        temporal.push_back(e.mv);
      }
    }

    CpuPixels px;
    if (params_.subpel) {
      half_.update(ref);
      px.ref_origin = ref.origin(0);
      px.half = &half_;
    }
    for (int l = top; l >= 0; --l) {
      LevelJob job = level_job(params_, cur, ref, plan, l);
      if (l < top) {
        job.parent = fields_[static_cast<size_t>(l + 1)].data();
        job.parent_grid = plan[static_cast<size_t>(l + 1)].grid;
        job.has_global = top > 0;
        job.global = out.global;
      }
      if (!temporal.empty() && l < top) {
        job.temporal = temporal.data();
        job.temporal_grid = final_grid;
      }
      std::vector<MotionVector> &field = fields_[static_cast<size_t>(l)];
      field.resize(static_cast<size_t>(job.grid.cols * job.grid.rows));
      run_rows(job, counters, [&](int bx, int by, EvalCount &count) {
        search_block(job, px, bx, by, field.data(), count);
      });
      if (l > 0) {
        // Each level refines the global motion the next one starts from.
        out.global = global_motion(field, l, job.range);
      }
      if (l == 0) {
        // Propagation passes read one field and write the other.
        refined_.resize(field.size());
        for (int pass = 0; pass < kPropagationPasses; ++pass) {
          const MotionVector *in = pass % 2 == 0 ? field.data() : refined_.data();
          MotionVector *to = pass % 2 == 0 ? refined_.data() : field.data();
          run_rows(job, counters, [&](int bx, int by, EvalCount &count) {
            refine_block(job, px, in, bx, by, to, count);
          });
        }
        const MotionVector *last = kPropagationPasses % 2 == 0 ? field.data() : refined_.data();
        run_rows(job, counters, [&](int bx, int by, EvalCount &count) {
          finish_block(job, px, last, bx, by, out.blocks.data(), count);
        });
      }
    }
    if (counters) {
      counters->blocks += out.blocks.size();
    }
  }

private:
  // Calls block(bx, by, count) for every block of job's grid, rows in
  // parallel.
  template <class BlockFn>
  void run_rows(const LevelJob &job, SearchCounters *counters, const BlockFn &block) {
    std::vector<EvalCount> rows(static_cast<size_t>(job.grid.rows));
    tbb::parallel_for(0, job.grid.rows, [&](int by) {
      EvalCount &count = rows[static_cast<size_t>(by)];
      for (int bx = 0; bx < job.grid.cols; ++bx) {
        block(bx, by, count);
      }
    });
    if (counters) {
      for (const EvalCount &c : rows) {
        counters->sad_evaluations += c.sad;
        counters->satd_evaluations += c.satd;
        counters->sad_samples += c.sad_samples;
        counters->satd_samples += c.satd_samples;
      }
    }
  }

  SearchParams params_;
  std::vector<std::vector<MotionVector>> fields_; // per level, reused
  std::vector<MotionVector> refined_;             // level 0, propagation
  HalfSamplePlanes half_;
};

} // namespace

std::unique_ptr<MotionSearch> make_cpu_motion_search(const SearchParams &params) {
  validate(params);
  return std::make_unique<CpuMotionSearch>(params);
}

} // namespace quad::me
