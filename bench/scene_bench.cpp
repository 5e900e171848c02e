// Throughput of SceneGenerator::render per format at 1080p and 8K on one
// thread, next to memcpy of the same bytes (the bandwidth ceiling), plus the
// one-off texture build and the ground-truth cost.
//
// Usage: scene_bench [seconds per case, default 0.5]
#include "scene.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

namespace {

using quad::capture::BlockMotion;
using quad::capture::PixelFormat;
using quad::capture::PlaneSize;
using quad::capture::PlaneView;
using quad::capture::SceneConfig;
using quad::capture::SceneGenerator;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of this thread: on a shared machine it shows the work done,
// where wall time also counts waiting for a core.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// A video frame as a buffer pool hands it out: 64-byte aligned planes and
// strides.
struct Frame {
  std::vector<PlaneView> views;
  std::vector<PlaneSize> sizes;
  std::unique_ptr<uint8_t[]> storage;
  size_t bytes = 0; // payload, without stride padding

  Frame(PixelFormat format, int width, int height) {
    const int n = quad::capture::plane_count(format);
    std::vector<size_t> offsets;
    size_t total = 0;
    for (int p = 0; p < n; ++p) {
      const PlaneSize s = quad::capture::plane_size(format, p, width, height);
      const ptrdiff_t stride = (s.row_bytes + 63) & ~ptrdiff_t{63};
      sizes.push_back(s);
      views.push_back({nullptr, stride});
      offsets.push_back(total);
      total += static_cast<size_t>(stride) * s.rows;
      bytes += static_cast<size_t>(s.row_bytes) * s.rows;
    }
    storage.reset(new uint8_t[total + 64]);
    std::memset(storage.get(), 0, total + 64); // fault the pages in now
    uint8_t *base = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(storage.get()) + 63) &
                                                ~uintptr_t{63});
    for (int p = 0; p < n; ++p)
      views[p].data = base + offsets[p];
  }
};

const char *name(PixelFormat f) {
  switch (f) {
  case PixelFormat::I420:
    return "I420";
  case PixelFormat::NV12:
    return "NV12";
  case PixelFormat::Y444:
    return "Y444";
  case PixelFormat::BGRx:
    return "BGRx";
  }
  return "?";
}

// Frames rotate through a small pool, as buffers do downstream.
constexpr int kPoolFrames = 3;

void run_case(int width, int height, PixelFormat format, double budget) {
  SceneConfig c;
  c.width = width;
  c.height = height;
  c.pan_x = 2.25;
  c.pan_y = -0.5;
  c.objects = 8;
  c.object_speed = 3.0;
  SceneGenerator gen(c);

  std::vector<Frame> pool;
  for (int i = 0; i < kPoolFrames; ++i)
    pool.emplace_back(format, width, height);
  const size_t bytes = pool[0].bytes;

  // Texture build for every phase the first 64 frames touch.
  const auto t_build = Clock::now();
  gen.prepare(0, 64, format);
  const double build_s = seconds_since(t_build);

  int frames = 0;
  const auto t0 = Clock::now();
  const double c0 = thread_seconds();
  do {
    gen.render(static_cast<uint64_t>(frames % 64), format, pool[frames % kPoolFrames].views.data());
    ++frames;
  } while (seconds_since(t0) < budget || frames < 3);
  const double wall = seconds_since(t0);
  const double cpu = thread_seconds() - c0;

  // The same bytes by memcpy, plane by plane, from one source frame.
  Frame source(format, width, height);
  int copies = 0;
  const auto m0 = Clock::now();
  const double mc0 = thread_seconds();
  do {
    Frame &dst = pool[copies % kPoolFrames];
    for (size_t p = 0; p < dst.views.size(); ++p)
      std::memcpy(dst.views[p].data, source.views[p].data,
                  static_cast<size_t>(dst.views[p].stride) * dst.sizes[p].rows);
    ++copies;
  } while (seconds_since(m0) < budget || copies < 3);
  const double mwall = seconds_since(m0);
  const double mcpu = thread_seconds() - mc0;

  std::printf("%5dx%-5d %s  render %8.1f fps %6.2f GB/s (cpu %8.1f fps)"
              "   memcpy %8.1f fps %6.2f GB/s (cpu %8.1f fps)"
              "   build %6.1f ms, textures %5.1f MiB\n",
              width, height, name(format), frames / wall, frames * bytes / wall * 1e-9,
              frames / cpu, copies / mwall, copies * bytes / mwall * 1e-9, copies / mcpu,
              build_s * 1e3, gen.texture_bytes() / 1048576.0);
}

void run_ground_truth(int width, int height, double budget) {
  SceneConfig c;
  c.width = width;
  c.height = height;
  c.pan_x = 2.25;
  c.pan_y = -0.5;
  c.objects = 8;
  c.object_speed = 3.0;
  SceneGenerator gen(c);
  std::vector<BlockMotion> mv;
  int frames = 0;
  const auto t0 = Clock::now();
  do {
    gen.ground_truth(static_cast<uint64_t>(1 + frames % 64), 16, mv);
    ++frames;
  } while (seconds_since(t0) < budget || frames < 3);
  std::printf("%5dx%-5d ground truth 16x16: %8.1f frames/s\n", width, height,
              frames / seconds_since(t0));
}

} // namespace

int main(int argc, char **argv) {
  const double budget = argc > 1 ? std::max(0.05, std::atof(argv[1])) : 0.5;
  std::printf("pan 2.25,-0.5 px/frame, 8 objects at up to 3 px/frame, "
              "%d-frame pool, one thread\n",
              kPoolFrames);
  for (const auto &size : {std::pair{1920, 1080}, std::pair{7680, 4320}}) {
    for (PixelFormat f :
         {PixelFormat::I420, PixelFormat::NV12, PixelFormat::Y444, PixelFormat::BGRx})
      run_case(size.first, size.second, f, budget);
    run_ground_truth(size.first, size.second, budget);
  }
  return 0;
}
