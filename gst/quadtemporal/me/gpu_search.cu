// The GPU backend: block_search.h compiled for the device, one thread per
// block, one kernel launch per pyramid level. Built by nvcc as the cuda
// backend and by hipcc as the hip backend.
#include <stdexcept>
#include <string>
#include <vector>

#include "block_search.h"
#include "gpu_runtime.h"
#include "motion_search.h"
#include "search_plan.h"

namespace quad::me {
namespace {

// Scalar pixel kernels with the same definitions as common/dsp's reference
// (SATD: sums of unnormalised 8x8 Hadamard transforms; prediction: H.265
// 8-tap luma filters), so the device finds the CPU's vectors.
struct DevicePixels {
  QUAD_ME_HD uint32_t sad(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                          int h) const {
    uint32_t sum = 0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const int d = a[y * as + x] - b[y * bs + x];
        sum += static_cast<uint32_t>(d < 0 ? -d : d);
      }
    }
    return sum;
  }

  QUAD_ME_HD void sad_x4(const uint8_t *a, ptrdiff_t as, const uint8_t *const b[4], ptrdiff_t bs,
                         int w, int h, uint32_t sads[4]) const {
    for (int i = 0; i < 4; ++i) {
      sads[i] = sad(a, as, b[i], bs, w, h);
    }
  }

  QUAD_ME_HD static void hadamard8(int *v, int step) {
    for (int half = 1; half < 8; half *= 2) {
      for (int i = 0; i < 8; i += 2 * half) {
        for (int j = i; j < i + half; ++j) {
          const int x = v[j * step];
          const int y = v[(j + half) * step];
          v[j * step] = x + y;
          v[(j + half) * step] = x - y;
        }
      }
    }
  }

  QUAD_ME_HD uint32_t satd8x8(const uint8_t *a, ptrdiff_t as, const uint8_t *b,
                              ptrdiff_t bs) const {
    int d[64];
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) {
        d[y * 8 + x] = a[y * as + x] - b[y * bs + x];
      }
    }
    for (int y = 0; y < 8; ++y) {
      hadamard8(d + y * 8, 1);
    }
    for (int x = 0; x < 8; ++x) {
      hadamard8(d + x, 8);
    }
    uint32_t sum = 0;
    for (int i = 0; i < 64; ++i) {
      sum += static_cast<uint32_t>(d[i] < 0 ? -d[i] : d[i]);
    }
    return sum;
  }

  // Block sizes here are multiples of 8, where SATD is a sum of 8x8 ones.
  QUAD_ME_HD uint32_t satd(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                           int h) const {
    uint32_t sum = 0;
    for (int y = 0; y < h; y += 8) {
      for (int x = 0; x < w; x += 8) {
        sum += satd8x8(a + y * as + x, as, b + y * bs + x, bs);
      }
    }
    return sum;
  }

  QUAD_ME_HD static int tap(const uint8_t *p, ptrdiff_t step, int frac) {
    constexpr int8_t f[4][8] = {{0, 0, 0, 64, 0, 0, 0, 0},
                                {-1, 4, -10, 58, 17, -5, 1, 0},
                                {-1, 4, -11, 40, 40, -11, 4, -1},
                                {0, 1, -5, 17, 58, -10, 4, -1}};
    int sum = 0;
    for (int i = 0; i < 8; ++i) {
      sum += f[frac][i] * p[(i - 3) * step];
    }
    return sum;
  }

  QUAD_ME_HD static uint8_t clip8(int v) {
    return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }

  // One 8x8 piece at a time, so a thread holds 64 predicted samples and not
  // a whole block; SAD and SATD sum over 8x8 pieces either way.
  QUAD_ME_HD uint32_t subpel_cost(const uint8_t *ref, ptrdiff_t rs, const uint8_t *cur,
                                  ptrdiff_t cs, int w, int h, int fx, int fy, bool use_satd) const {
    uint32_t sum = 0;
    for (int by = 0; by < h; by += 8) {
      for (int bx = 0; bx < w; bx += 8) {
        const uint8_t *r = ref + by * rs + bx;
        uint8_t pred[64];
        for (int y = 0; y < 8; ++y) {
          for (int x = 0; x < 8; ++x) {
            const uint8_t *p = r + y * rs + x;
            int v;
            if (fx == 0 && fy == 0) {
              v = *p;
            } else if (fy == 0) {
              v = (tap(p, 1, fx) + 32) >> 6;
            } else if (fx == 0) {
              v = (tap(p, rs, fy) + 32) >> 6;
            } else {
              constexpr int8_t f[4][8] = {{0, 0, 0, 64, 0, 0, 0, 0},
                                          {-1, 4, -10, 58, 17, -5, 1, 0},
                                          {-1, 4, -11, 40, 40, -11, 4, -1},
                                          {0, 1, -5, 17, 58, -10, 4, -1}};
              int s = 0;
              for (int i = 0; i < 8; ++i) {
                s += f[fy][i] * tap(p + (i - 3) * rs, 1, fx);
              }
              v = ((s >> 6) + 32) >> 6;
            }
            pred[y * 8 + x] = clip8(v);
          }
        }
        sum += use_satd ? satd8x8(cur + by * cs + bx, cs, pred, 8)
                        : sad(cur + by * cs + bx, cs, pred, 8, 8, 8);
      }
    }
    return sum;
  }
};

enum Counter { kSad, kSatd, kSadSamples, kSatdSamples, kCounters };

QUAD_ME_HD void add_counts(const EvalCount &count, unsigned long long *counters) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  atomicAdd(&counters[kSad], static_cast<unsigned long long>(count.sad));
  atomicAdd(&counters[kSatd], static_cast<unsigned long long>(count.satd));
  atomicAdd(&counters[kSadSamples], static_cast<unsigned long long>(count.sad_samples));
  atomicAdd(&counters[kSatdSamples], static_cast<unsigned long long>(count.satd_samples));
#else
  (void)count;
  (void)counters;
#endif
}

QUAD_ME_GLOBAL void search_level_kernel(LevelJob job, MotionVector *level_out,
                                        unsigned long long *counters) {
  const int bx = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int by = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (bx >= job.grid.cols || by >= job.grid.rows) {
    return;
  }
  EvalCount count;
  search_block(job, DevicePixels(), bx, by, level_out, count);
  add_counts(count, counters);
}

QUAD_ME_GLOBAL void refine_kernel(LevelJob job, const MotionVector *field_in,
                                  MotionVector *field_out, unsigned long long *counters) {
  const int bx = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int by = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (bx >= job.grid.cols || by >= job.grid.rows) {
    return;
  }
  EvalCount count;
  refine_block(job, DevicePixels(), field_in, bx, by, field_out, count);
  add_counts(count, counters);
}

QUAD_ME_GLOBAL void finish_kernel(LevelJob job, const MotionVector *field, BlockEstimate *final_out,
                                  unsigned long long *counters) {
  const int bx = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int by = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (bx >= job.grid.cols || by >= job.grid.rows) {
    return;
  }
  EvalCount count;
  finish_block(job, DevicePixels(), field, bx, by, final_out, count);
  add_counts(count, counters);
}

void check(gpuError_t err, const char *what) {
  if (err != gpuSuccess) {
    throw std::runtime_error(std::string(QUAD_ME_GPU_NAME " ") + what + ": " +
                             gpuGetErrorString(err));
  }
}

// Device memory that grows to the largest size asked for.
template <class T> class DeviceArray {
public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray &) = delete;
  DeviceArray &operator=(const DeviceArray &) = delete;
  ~DeviceArray() {
    if (ptr_) {
      gpuFree(ptr_);
    }
  }
  T *reserve(size_t n) {
    if (n > size_) {
      if (ptr_) {
        gpuFree(ptr_);
        ptr_ = nullptr;
      }
      check(gpuMalloc(reinterpret_cast<void **>(&ptr_), n * sizeof(T)), "malloc");
      size_ = n;
    }
    return ptr_;
  }
  T *get() const { return ptr_; }

private:
  T *ptr_ = nullptr;
  size_t size_ = 0;
};

class GpuMotionSearch final : public MotionSearch {
public:
  explicit GpuMotionSearch(const SearchParams &params) : params_(params) {
    check(gpuEventCreate(&start_), "event");
    check(gpuEventCreate(&stop_), "event");
  }
  ~GpuMotionSearch() override {
    gpuEventDestroy(start_);
    gpuEventDestroy(stop_);
  }

#if defined(__HIPCC__)
  Backend backend() const override {
    return Backend::kHip;
  }
#else
  Backend backend() const override {
    return Backend::kCuda;
  }
#endif

  void estimate(const FramePyramid &cur, const FramePyramid &ref, const MotionField *previous,
                MotionField &out, SearchCounters *counters) override {
    const std::vector<LevelPlan> plan = plan_levels(params_, cur);
    const int top = static_cast<int>(plan.size()) - 1;
    const LevelGrid &final_grid = plan[0].grid;
    const size_t final_count = static_cast<size_t>(final_grid.cols * final_grid.rows);
    out.block_size = params_.block_size;
    out.cols = final_grid.cols;
    out.rows = final_grid.rows;
    out.blocks.assign(final_count, BlockEstimate{});
    out.global = MotionVector{};

    float transfer_ms = 0.0f, kernel_ms = 0.0f;
    check(gpuEventRecord(start_, 0), "event");
    // The reference first: it is last call's current picture, so it is
    // found, and the current one replaces the older slot.
    const uint8_t *ref_dev = upload(ref);
    const uint8_t *cur_dev = upload(cur);
    bool temporal = false;
    if (previous && previous->block_size == params_.block_size &&
        previous->cols == final_grid.cols && previous->rows == final_grid.rows) {
      std::vector<MotionVector> mvs;
      mvs.reserve(previous->blocks.size());
      for (const BlockEstimate &e : previous->blocks) {
        mvs.push_back(e.mv);
      }
      check(gpuMemcpy(temporal_.reserve(mvs.size()), mvs.data(), mvs.size() * sizeof(MotionVector),
                      gpuMemcpyHostToDevice),
            "upload");
      temporal = true;
    }
    check(gpuMemset(counters_.reserve(kCounters), 0, kCounters * sizeof(unsigned long long)),
          "memset");
    transfer_ms += elapsed();

    fields_.resize(plan.size());
    for (int l = top; l >= 0; --l) {
      LevelJob job = level_job(params_, cur, ref, plan, l);
      job.cur = cur_dev + (cur.origin(l) - cur.storage());
      job.ref = ref_dev + (ref.origin(l) - ref.storage());
      if (l < top) {
        job.parent = fields_[static_cast<size_t>(l + 1)]->get();
        job.parent_grid = plan[static_cast<size_t>(l + 1)].grid;
        job.has_global = true;
        job.global = out.global;
        if (temporal) {
          job.temporal = temporal_.get();
          job.temporal_grid = final_grid;
        }
      }
      const size_t count = static_cast<size_t>(job.grid.cols * job.grid.rows);
      if (!fields_[static_cast<size_t>(l)]) {
        fields_[static_cast<size_t>(l)] = std::make_unique<DeviceArray<MotionVector>>();
      }
      MotionVector *level_out = fields_[static_cast<size_t>(l)]->reserve(count);
      const dim3 threads(16, 8);
      const dim3 groups((job.grid.cols + 15) / 16, (job.grid.rows + 7) / 8);
      check(gpuEventRecord(start_, 0), "event");
      search_level_kernel<<<groups, threads>>>(job, level_out, counters_.get());
      check(gpuGetLastError(), "launch");
      if (l == 0) {
        MotionVector *refined = refined_.reserve(count);
        for (int pass = 0; pass < kPropagationPasses; ++pass) {
          refine_kernel<<<groups, threads>>>(job, pass % 2 == 0 ? level_out : refined,
                                             pass % 2 == 0 ? refined : level_out, counters_.get());
          check(gpuGetLastError(), "launch");
        }
        finish_kernel<<<groups, threads>>>(job, kPropagationPasses % 2 == 0 ? level_out : refined,
                                           final_.reserve(final_count), counters_.get());
        check(gpuGetLastError(), "launch");
      }
      kernel_ms += elapsed();
      if (l > 0) {
        // The global vector is a vote over the whole level: the host takes
        // it, as the CPU backend does, for the next level to start from.
        std::vector<MotionVector> field(count);
        check(gpuEventRecord(start_, 0), "event");
        check(
            gpuMemcpy(field.data(), level_out, count * sizeof(MotionVector), gpuMemcpyDeviceToHost),
            "download");
        transfer_ms += elapsed();
        out.global = global_motion(field, l, job.range);
      }
    }

    unsigned long long host_counters[kCounters];
    check(gpuEventRecord(start_, 0), "event");
    check(gpuMemcpy(out.blocks.data(), final_.get(), final_count * sizeof(BlockEstimate),
                    gpuMemcpyDeviceToHost),
          "download");
    check(gpuMemcpy(host_counters, counters_.get(), sizeof(host_counters), gpuMemcpyDeviceToHost),
          "download");
    transfer_ms += elapsed();
    if (counters) {
      counters->sad_evaluations += host_counters[kSad];
      counters->satd_evaluations += host_counters[kSatd];
      counters->sad_samples += host_counters[kSadSamples];
      counters->satd_samples += host_counters[kSatdSamples];
      counters->blocks += final_count;
      counters->transfer_ns += static_cast<uint64_t>(transfer_ms * 1e6);
      counters->kernel_ns += static_cast<uint64_t>(kernel_ms * 1e6);
    }
  }

private:
  // Milliseconds since start_ was recorded.
  float elapsed() {
    check(gpuEventRecord(stop_, 0), "event");
    check(gpuEventSynchronize(stop_), "event");
    float ms = 0.0f;
    check(gpuEventElapsedTime(&ms, start_, stop_), "event");
    return ms;
  }

  // The device copy of a pyramid: two slots, so the reference uploaded as
  // last picture's current one is not sent again.
  const uint8_t *upload(const FramePyramid &p) {
    for (Slot &s : slots_) {
      if (s.generation == p.generation()) {
        s.used = ++clock_;
        return s.data.get();
      }
    }
    Slot &s = slots_[0].used <= slots_[1].used ? slots_[0] : slots_[1];
    check(gpuMemcpy(s.data.reserve(p.storage_bytes()), p.storage(), p.storage_bytes(),
                    gpuMemcpyHostToDevice),
          "upload");
    s.generation = p.generation();
    s.used = ++clock_;
    return s.data.get();
  }

  struct Slot {
    DeviceArray<uint8_t> data;
    uint64_t generation = 0;
    uint64_t used = 0;
  };

  SearchParams params_;
  gpuEvent_t start_{};
  gpuEvent_t stop_{};
  Slot slots_[2];
  uint64_t clock_ = 0;
  DeviceArray<MotionVector> temporal_;
  DeviceArray<MotionVector> refined_; // level 0, propagation
  DeviceArray<BlockEstimate> final_;
  DeviceArray<unsigned long long> counters_;
  std::vector<std::unique_ptr<DeviceArray<MotionVector>>> fields_;
};

std::unique_ptr<MotionSearch> make_gpu(const SearchParams &params, std::string *why) {
  int devices = 0;
  const gpuError_t err = gpuGetDeviceCount(&devices);
  if (err != gpuSuccess || devices == 0) {
    if (why) {
      *why = err != gpuSuccess ? gpuGetErrorString(err) : "no device";
    }
    return nullptr;
  }
  validate(params);
  try {
    return std::make_unique<GpuMotionSearch>(params);
  } catch (const std::runtime_error &e) {
    if (why) {
      *why = e.what();
    }
    return nullptr;
  }
}

} // namespace

#if defined(__HIPCC__)
std::unique_ptr<MotionSearch> make_hip_motion_search(const SearchParams &params, std::string *why) {
  return make_gpu(params, why);
}
#else
std::unique_ptr<MotionSearch> make_cuda_motion_search(const SearchParams &params,
                                                      std::string *why) {
  return make_gpu(params, why);
}
#endif

} // namespace quad::me
