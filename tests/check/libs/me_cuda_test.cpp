// The CUDA backend against the CPU backend: the same vectors, costs and
// intra decisions on the same input, for every block size and pattern.
// Exits 77 (meson's "skipped") when the build has no CUDA backend or the
// machine has no device, saying which.
#include <cstdio>
#include <string>
#include <vector>

#include "motion_search.h"
#include "pyramid.h"
#include "scene.h"

using namespace quad;

static std::vector<uint8_t> render_luma(capture::SceneGenerator &scene, uint64_t index) {
  const capture::SceneConfig &c = scene.config();
  std::vector<uint8_t> y(static_cast<size_t>(c.width * c.height));
  std::vector<uint8_t> uv(static_cast<size_t>(2 * ((c.width + 1) / 2) * ((c.height + 1) / 2)));
  const capture::PlaneView planes[3] = {{y.data(), c.width},
                                        {uv.data(), (c.width + 1) / 2},
                                        {uv.data() + uv.size() / 2, (c.width + 1) / 2}};
  scene.render(index, capture::PixelFormat::I420, planes);
  return y;
}

int main() {
  std::string why;
  if (!me::make_cuda_motion_search(me::SearchParams(), &why)) {
    std::printf("SKIP: cuda backend unavailable: %s\n", why.c_str());
    return 77;
  }
  int failures = 0;
  for (int block : {8, 16, 32, 64}) {
    for (me::SearchPattern pattern : {me::SearchPattern::kHexagon, me::SearchPattern::kDiamond}) {
      for (bool subpel : {true, false}) {
        me::SearchParams params;
        params.block_size = block;
        params.pattern = pattern;
        params.subpel = subpel;
        params.lambda_q8 = me::lambda_q8_for_qp(30);
        auto cpu = me::make_cpu_motion_search(params);
        auto gpu = me::make_cuda_motion_search(params, &why);
        capture::SceneConfig config;
        config.width = 1280;
        config.height = 720;
        config.pan_x = 9.75;
        config.pan_y = -3.25;
        config.objects = 8;
        capture::SceneGenerator scene(config);
        me::FramePyramid pyr[2];
        me::MotionField cpu_fields[2], gpu_fields[2];
        me::SearchCounters cpu_counters, gpu_counters;
        for (int f = 0; f < 4; ++f) {
          const auto luma = render_luma(scene, static_cast<uint64_t>(f));
          pyr[f % 2].build(luma.data(), config.width, config.width, config.height, 4);
          if (f == 0) {
            continue;
          }
          const bool temporal = f > 1;
          cpu->estimate(pyr[f % 2], pyr[(f + 1) % 2], temporal ? &cpu_fields[(f + 1) % 2] : nullptr,
                        cpu_fields[f % 2], &cpu_counters);
          gpu->estimate(pyr[f % 2], pyr[(f + 1) % 2], temporal ? &gpu_fields[(f + 1) % 2] : nullptr,
                        gpu_fields[f % 2], &gpu_counters);
          const auto &a = cpu_fields[f % 2].blocks;
          const auto &b = gpu_fields[f % 2].blocks;
          int differ = 0;
          for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
            differ += a[i].mv.x != b[i].mv.x || a[i].mv.y != b[i].mv.y || a[i].cost != b[i].cost ||
                      a[i].distortion != b[i].distortion || a[i].intra_better != b[i].intra_better;
          }
          if (a.size() != b.size() || differ != 0) {
            std::printf("FAIL block %d %s subpel %d frame %d: %d of %zu blocks differ\n", block,
                        pattern == me::SearchPattern::kHexagon ? "hexagon" : "diamond", subpel, f,
                        differ, a.size());
            failures++;
          }
        }
        if (cpu_counters.sad_evaluations != gpu_counters.sad_evaluations ||
            cpu_counters.satd_evaluations != gpu_counters.satd_evaluations) {
          std::printf("FAIL block %d: evaluation counts differ (cpu %llu/%llu, cuda %llu/%llu)\n",
                      block, static_cast<unsigned long long>(cpu_counters.sad_evaluations),
                      static_cast<unsigned long long>(cpu_counters.satd_evaluations),
                      static_cast<unsigned long long>(gpu_counters.sad_evaluations),
                      static_cast<unsigned long long>(gpu_counters.satd_evaluations));
          failures++;
        }
        std::printf("block %d %s subpel %d: cuda kernels %.2f ms, transfers %.2f ms over 3 "
                    "frames\n",
                    block, pattern == me::SearchPattern::kHexagon ? "hexagon" : "diamond", subpel,
                    gpu_counters.kernel_ns / 1e6, gpu_counters.transfer_ns / 1e6);
      }
    }
  }
  std::printf("%s\n", failures ? "cuda differs from cpu" : "cuda equals cpu bit for bit");
  return failures ? 1 : 0;
}
