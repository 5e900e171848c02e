// Motion estimation speed and quality: the hierarchical search (the element's
// defaults: 16x16, hexagon, quarter-sample, qp 32, pyramid included) beside
// an exhaustive +-64 integer search on the same pictures, alternating A B A B,
// medians of the rounds. Prints frames per second, evaluations per block and
// the SAD ratio to the exhaustive search (measured with integer vectors and
// plain SAD, the quantity it minimises). With a CUDA device: 7680x4320 on the
// GPU, kernel and transfer time apart, and a check against the CPU's vectors.
//
// Inputs: a synthetic 1920x1080 pan (quadcapturesrc's scenes) and, when
// QUAD_CLIPS_Y4M_DIR names the decoded clips, street_drive_1080p25.
// Usage: motion_bench [rounds, default 5]
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "motion_search.h"
#include "pyramid.h"
#include "scene.h"
#include "y4m.h"

namespace {

using namespace quad;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double process_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Clip {
  std::string name;
  int width = 0;
  int height = 0;
  std::vector<std::vector<uint8_t>> luma; // frames, packed rows
};

Clip synthetic(int width, int height, int frames) {
  capture::SceneConfig config;
  config.width = width;
  config.height = height;
  config.pan_x = 5.25;
  config.pan_y = -1.75;
  config.objects = 8;
  config.object_speed = 6.0;
  capture::SceneGenerator scene(config);
  Clip clip{
      "synthetic pan " + std::to_string(width) + "x" + std::to_string(height), width, height, {}};
  std::vector<uint8_t> chroma(static_cast<size_t>(2 * ((width + 1) / 2) * ((height + 1) / 2)));
  for (int f = 0; f < frames; ++f) {
    std::vector<uint8_t> y(static_cast<size_t>(width) * static_cast<size_t>(height));
    const capture::PlaneView planes[3] = {{y.data(), width},
                                          {chroma.data(), (width + 1) / 2},
                                          {chroma.data() + chroma.size() / 2, (width + 1) / 2}};
    scene.render(static_cast<uint64_t>(f), capture::PixelFormat::I420, planes);
    clip.luma.push_back(std::move(y));
  }
  return clip;
}

bool load_clip(const std::string &path, int frames, Clip &clip) {
  auto file = capture::Y4mFile::open(path);
  if (!file) {
    return false;
  }
  clip.name = path.substr(path.find_last_of('/') + 1);
  clip.width = static_cast<int>(file->header().width);
  clip.height = static_cast<int>(file->header().height);
  for (int f = 0; f < frames && static_cast<size_t>(f) < file->frame_count(); ++f) {
    auto frame = file->frame(static_cast<size_t>(f));
    if (!frame) {
      return false;
    }
    const uint8_t *y = frame->planes[0].data;
    clip.luma.emplace_back(y, y + static_cast<size_t>(clip.width) * clip.height);
  }
  return clip.luma.size() >= 2;
}

struct RunResult {
  double fps = 0;
  double cpu_per_frame_ms = 0;
  me::SearchCounters counters;
  uint64_t distortion = 0; // sum over blocks of the final distortion
};

// Pyramid + search of frames 1..n-1 against their predecessors, the field
// of each pair seeding the next, as the element runs.
RunResult run_search(me::MotionSearch &search, const Clip &clip) {
  me::FramePyramid pyr[2];
  me::MotionField fields[2];
  RunResult r;
  const double cpu0 = process_seconds();
  const auto t0 = Clock::now();
  for (size_t f = 0; f < clip.luma.size(); ++f) {
    me::FramePyramid &cur = pyr[f % 2];
    cur.build(clip.luma[f].data(), clip.width, clip.width, clip.height, 4);
    if (f == 0) {
      continue;
    }
    search.estimate(cur, pyr[(f + 1) % 2], f > 1 ? &fields[(f + 1) % 2] : nullptr, fields[f % 2],
                    &r.counters);
    for (const me::BlockEstimate &e : fields[f % 2].blocks) {
      r.distortion += e.distortion;
    }
  }
  const double pairs = static_cast<double>(clip.luma.size() - 1);
  r.fps = pairs / seconds_since(t0);
  r.cpu_per_frame_ms = 1e3 * (process_seconds() - cpu0) / pairs;
  return r;
}

void bench_cpu(const Clip &clip, int rounds) {
  me::SearchParams params; // the element's defaults
  params.lambda_q8 = me::lambda_q8_for_qp(32);
  me::SearchParams integer = params; // what the exhaustive search minimises
  integer.subpel = false;
  integer.lambda_q8 = 0;
  auto search = me::make_cpu_motion_search(params);
  auto integer_search = me::make_cpu_motion_search(integer);

  // The exhaustive search is slow: it runs on the first pair only, and the
  // hierarchical search's integer run on that same pair is its comparison.
  Clip pair{clip.name, clip.width, clip.height, {clip.luma[0], clip.luma[1]}};
  me::FramePyramid a, b;
  a.build(pair.luma[0].data(), clip.width, clip.width, clip.height, 4);
  b.build(pair.luma[1].data(), clip.width, clip.width, clip.height, 4);

  std::vector<double> fps, cpu_ms, full_s;
  RunResult ours, ours_integer;
  uint64_t full_sad = 0;
  me::SearchCounters full_counters;
  for (int round = 0; round < rounds; ++round) {
    ours = run_search(*search, clip);
    fps.push_back(ours.fps);
    cpu_ms.push_back(ours.cpu_per_frame_ms);
    const auto t0 = Clock::now();
    full_counters = me::SearchCounters();
    full_sad = me::full_search(b, a, 16, 64, nullptr, &full_counters);
    full_s.push_back(seconds_since(t0));
  }
  ours_integer = run_search(*integer_search, pair);
  // The work per frame on one thread: what two free cores would divide.
  std::vector<double> one_thread_ms;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    for (int round = 0; round < rounds; ++round) {
      one_thread_ms.push_back(run_search(*search, clip).cpu_per_frame_ms);
    }
  }

  const double blocks = static_cast<double>(ours.counters.blocks);
  const double evals =
      static_cast<double>(ours.counters.sad_evaluations + ours.counters.satd_evaluations) / blocks;
  const double samples =
      static_cast<double>(ours.counters.sad_samples + ours.counters.satd_samples) /
      (blocks * 256.0);
  const double full_evals = static_cast<double>(full_counters.sad_evaluations) /
                            static_cast<double>(full_counters.blocks);
  std::printf("%s, %zu frames, 16x16, %d threads:\n", clip.name.c_str(), clip.luma.size(),
              tbb::info::default_concurrency());
  std::printf("  hierarchical (hexagon, qpel, qp 32): %7.1f fps (median of %d), %.2f ms CPU per "
              "frame\n",
              median(fps), rounds, median(cpu_ms));
  std::printf("  the same on one thread: %.2f ms CPU per frame (median of %d)\n",
              median(one_thread_ms), rounds);
  // What two free cores give when they share the one-thread work evenly:
  // on a shared machine the wall-clock figure above also counts waiting for
  // a core, and the two-thread CPU time counts workers spinning for one.
  std::printf("  from CPU time: %.1f fps on two free cores (2000 / one-thread CPU ms per frame)\n",
              2000.0 / median(one_thread_ms));
  std::printf("  exhaustive +-64 integer SAD:         %7.3f fps (median of %d)\n",
              1.0 / median(full_s), rounds);
  std::printf("  speed ratio: %.0fx\n", median(fps) * median(full_s));
  std::printf("  evaluations per block: %.1f (%.1f SAD + %.1f SATD; %.1f in 16x16-block "
              "equivalents of samples), exhaustive %.0f: %.0fx fewer\n",
              evals, static_cast<double>(ours.counters.sad_evaluations) / blocks,
              static_cast<double>(ours.counters.satd_evaluations) / blocks, samples, full_evals,
              full_evals / evals);
  std::printf("  SAD ratio to exhaustive (integer, lambda 0, first pair): %.4f\n",
              static_cast<double>(ours_integer.distortion) / static_cast<double>(full_sad));
}

void bench_gpu(int rounds) {
  std::string why;
  me::SearchParams params;
  params.lambda_q8 = me::lambda_q8_for_qp(32);
  auto gpu = me::make_cuda_motion_search(params, &why);
  if (!gpu) {
    std::printf("cuda: unavailable (%s)\n", why.c_str());
    return;
  }
  const Clip clip = synthetic(7680, 4320, 6);
  std::vector<double> fps, kernel_ms, transfer_ms;
  RunResult r;
  for (int round = 0; round < rounds; ++round) {
    r = run_search(*gpu, clip);
    const double pairs = static_cast<double>(clip.luma.size() - 1);
    fps.push_back(r.fps);
    kernel_ms.push_back(static_cast<double>(r.counters.kernel_ns) / 1e6 / pairs);
    transfer_ms.push_back(static_cast<double>(r.counters.transfer_ns) / 1e6 / pairs);
  }
  auto cpu = me::make_cpu_motion_search(params);
  const RunResult c = run_search(*cpu, clip);
  std::printf("%s, 16x16, cuda:\n", clip.name.c_str());
  std::printf("  %.1f fps with the host pyramid (median of %d); per frame: kernels %.2f ms, "
              "transfers %.2f ms\n",
              median(fps), rounds, median(kernel_ms), median(transfer_ms));
  std::printf("  cpu on the same frames: %.2f fps; kernels alone %.0fx faster\n", c.fps,
              1e3 / median(kernel_ms) / c.fps);
  std::printf("  same total distortion as cpu: %s\n", c.distortion == r.distortion ? "yes" : "NO");
}

} // namespace

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  bench_cpu(synthetic(1920, 1080, 21), rounds);
  if (const char *dir = std::getenv("QUAD_CLIPS_Y4M_DIR")) {
    Clip clip;
    if (load_clip(std::string(dir) + "/street_drive_1080p25_45f.y4m", 21, clip)) {
      bench_cpu(clip, rounds);
    }
  }
  bench_gpu(rounds);
  return 0;
}
