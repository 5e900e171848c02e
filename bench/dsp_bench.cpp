// Times every kernel of every compiled target this CPU runs against the
// scalar reference, and copy_plane also against one flat memcpy of the same
// bytes. Each figure is the median of several runs in which the candidates
// take turns, so a burst of load elsewhere hits them all alike.
//
// Usage: dsp_bench [runs [kernel]]   runs: default 9, at least 5; kernel:
// sad, satd, sse or copy_plane to time only that one.
#include "dsp/dsp.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using quad::dsp::Kernels;
using Clock = std::chrono::steady_clock;

// Keeps results alive so no call is optimised away.
volatile uint64_t g_sink;

// What a motion search reads: one block of the current frame compared with
// candidates scattered over a +-32 pixel window of the reference frame.
constexpr int kFrameW = 640;
constexpr int kFrameH = 360;
constexpr ptrdiff_t kFrameStride = 704;
constexpr int kRange = 32;
constexpr int kPositions = 256;

struct Frames {
  std::vector<uint8_t> cur;
  std::vector<uint8_t> ref;
  ptrdiff_t block = 0;            // top-left of the current block
  std::vector<ptrdiff_t> offsets; // top-left of each candidate
};

Frames MakeFrames(int block_w, int block_h) {
  Frames f;
  f.cur.resize(kFrameStride * kFrameH);
  f.ref.resize(kFrameStride * kFrameH);
  std::mt19937 rng(5);
  for (size_t i = 0; i < f.cur.size(); ++i) {
    f.cur[i] = static_cast<uint8_t>(rng());
    f.ref[i] = static_cast<uint8_t>(f.cur[i] + rng() % 16);
  }
  // Large planes are read whole from the frame's top-left corner.
  const bool plane = block_w + 2 * kRange > kFrameW || block_h + 2 * kRange > kFrameH;
  const int cx = plane ? 0 : (kFrameW - block_w) / 2;
  const int cy = plane ? 0 : (kFrameH - block_h) / 2;
  f.block = cy * kFrameStride + cx;
  for (int i = 0; i < kPositions; ++i) {
    const int dx = plane ? 0 : static_cast<int>(rng() % (2 * kRange + 1)) - kRange;
    const int dy = plane ? 0 : static_cast<int>(rng() % (2 * kRange + 1)) - kRange;
    f.offsets.push_back((cy + dy) * kFrameStride + cx + dx);
  }
  return f;
}

// One candidate: makes the given number of calls.
using Run = std::function<void(int iters)>;

double Seconds(const Run &run, int iters) {
  const auto start = Clock::now();
  run(iters);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Returns the median time per call of each candidate, in nanoseconds. The
// iteration count is set so that one round of all candidates takes a few
// milliseconds; finding it warms caches and clocks.
std::vector<double> Time(const std::vector<Run> &candidates, int runs) {
  int iters = 1;
  for (double round = 0; round < 10e-3 && iters < (1 << 24);) {
    iters *= 2;
    round = 0;
    for (const Run &run : candidates) {
      round += Seconds(run, iters);
    }
  }
  std::vector<std::vector<double>> samples(candidates.size());
  for (int r = 0; r < runs; ++r) {
    for (size_t c = 0; c < candidates.size(); ++c) {
      samples[c].push_back(Seconds(candidates[c], iters) * 1e9 / iters);
    }
  }
  std::vector<double> medians;
  for (auto &s : samples) {
    std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
    medians.push_back(s[s.size() / 2]);
  }
  return medians;
}

void PrintHeader(const std::vector<Kernels> &all, bool with_memcpy) {
  std::printf("\n%-12s %-10s", "kernel", "size");
  for (const Kernels &k : all) {
    std::printf(" %18s", k.name);
  }
  if (with_memcpy) {
    std::printf(" %18s", "memcpy");
  }
  std::printf("\n");
}

// ns per call of each candidate, and how many times faster than the first
// (the reference) each other one is.
void PrintRow(const char *kernel, int w, int h, const std::vector<double> &ns) {
  const std::string size = std::to_string(w) + "x" + std::to_string(h);
  std::printf("%-12s %-10s %15.1f ns", kernel, size.c_str(), ns[0]);
  for (size_t i = 1; i < ns.size(); ++i) {
    std::printf(" %9.1f ns %5.2fx", ns[i], ns[0] / ns[i]);
  }
  std::printf("\n");
}

// How many times faster than the candidate at `base` each one is.
void PrintFactors(const char *label, const std::vector<double> &ns, size_t base) {
  std::printf("%-23s", label);
  for (size_t i = 0; i < ns.size(); ++i) {
    std::printf(i == 0 ? " %15.2fx  " : " %17.2fx", ns[base] / ns[i]);
  }
  std::printf("\n");
}

template <class Fn>
void BenchMetric(const std::vector<Kernels> &all, const char *name, Fn Kernels::*member,
                 const std::vector<std::pair<int, int>> &sizes, int runs) {
  PrintHeader(all, false);
  for (const auto &[w, h] : sizes) {
    const Frames frames = MakeFrames(w, h);
    const uint8_t *cur = frames.cur.data() + frames.block;
    std::vector<Run> candidates;
    for (const Kernels &k : all) {
      const Fn fn = k.*member;
      candidates.push_back([&frames, cur, fn, w = w, h = h](int iters) {
        uint64_t sum = 0;
        for (int i = 0; i < iters; ++i) {
          const uint8_t *ref = frames.ref.data() + frames.offsets[i % kPositions];
          sum += fn(cur, kFrameStride, ref, kFrameStride, w, h);
        }
        g_sink = g_sink + sum;
      });
    }
    PrintRow(name, w, h, Time(candidates, runs));
  }
}

void BenchCopyPlane(const std::vector<Kernels> &all, int runs) {
  struct CopyCase {
    int w;
    int h;
    ptrdiff_t src_stride;
    ptrdiff_t dst_stride;
  };
  const CopyCase cases[] = {
      {1920, 1080, 1984, 2048}, // luma, pool strides
      {960, 540, 1024, 960},    // chroma
      {64, 64, 704, 64},        // a block out of a frame
      {17, 9, 31, 17},          // odd sizes
  };
  PrintHeader(all, true);
  for (const CopyCase &c : cases) {
    std::vector<uint8_t> src(static_cast<size_t>(c.src_stride) * c.h, 7);
    std::vector<uint8_t> dst(static_cast<size_t>(c.dst_stride) * c.h);
    std::vector<Run> candidates;
    for (const Kernels &k : all) {
      const auto fn = k.copy_plane;
      candidates.push_back([&, fn](int iters) {
        for (int i = 0; i < iters; ++i) {
          fn(dst.data(), c.dst_stride, src.data(), c.src_stride, c.w, c.h);
        }
        g_sink = g_sink + dst[0];
      });
    }
    // The same bytes as one contiguous block: the bandwidth ceiling.
    candidates.push_back([&](int iters) {
      const size_t bytes = static_cast<size_t>(c.w) * c.h;
      for (int i = 0; i < iters; ++i) {
        std::memcpy(dst.data(), src.data(), bytes);
      }
      g_sink = g_sink + dst[0];
    });
    const std::vector<double> ns = Time(candidates, runs);
    PrintRow("copy_plane", c.w, c.h, ns);
    PrintFactors("  vs memcpy", ns, ns.size() - 1);
  }
}

} // namespace

int main(int argc, char **argv) {
  const int runs = argc > 1 ? std::max(5, std::atoi(argv[1])) : 9;
  const std::vector<Kernels> all = quad::dsp::all_kernels();
  std::printf("dsp_bench: median of %d alternating runs; chosen target %s\n"
              "ns per call; the factor is the speedup over scalar\n",
              runs, quad::dsp::kernels().name);

  const std::string only = argc > 2 ? argv[2] : "";
  auto wanted = [&](const char *kernel) { return only.empty() || only == kernel; };
  const std::vector<std::pair<int, int>> blocks = {{4, 4},   {8, 8},  {16, 16}, {32, 32},
                                                   {64, 64}, {16, 8}, {8, 4}};
  if (wanted("sad")) {
    BenchMetric(all, "sad", &Kernels::sad, blocks, runs);
  }
  if (wanted("satd")) {
    BenchMetric(all, "satd", &Kernels::satd, blocks, runs);
  }
  if (wanted("sse")) {
    BenchMetric(all, "sse", &Kernels::sse, {{8, 8}, {16, 16}, {64, 64}, {17, 5}, {640, 352}}, runs);
  }
  if (wanted("copy_plane")) {
    BenchCopyPlane(all, runs);
  }
  return 0;
}
