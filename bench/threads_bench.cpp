// Thread scaling of the HEVC core against libx265, 1 to N threads, on the
// synthetic scene (7680x4320 by default), with no GStreamer in the way.
//
// Usage: threads_bench [--size WxH] [--frames N] [--threads 1,2,4,...]
//                      [--qp QP] [--frame-threads N] [--only ours|x265]
//                      [--hash md5|checksum|none]
//
// Both encoders get the same frames, rendered once into memory
// (quadcapturesrc's default scene), and the same thread count: ours is
// preset 0 with wavefront (--threads N rows from the oneTBB pool), low-delay
// P, CTUs of the preset; x265 is ultrafast with tune zerolatency (wavefront,
// no lookahead), pools of N threads. --frame-threads N gives both encoders
// N pictures at once (default 1: each picture finishes before the next, the
// low-latency way). Both at constant QP. --hash sets our picture hash SEI
// (MD5 by default; x265 writes none by default).
// Frames per second are wall-clock over the encode calls (the encoders'
// set-up excluded); CPU is the process's CPU time over the same span, so
// CPU / wall shows how many cores the encoder kept busy. Ours must give one
// stream whatever the thread count: the bench checks that too.
// Without --threads: 1, 2, 4, ... up to the cores this machine has. --only
// runs one encoder (to profile it).
#include "scene.h"

#include "quad/temporal_compression.h"

#include <x265.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int width = 7680, height = 4320;
  int frames = 10;
  int qp = 32;
  int frame_threads = 1;
  std::vector<int> threads;
  bool ours = true, x265 = true;
  int picture_hash = TC_PICTURE_HASH_MD5;
  const char *hash_name = "md5";
};

struct Frame {
  std::vector<uint8_t> data; // I420, planes packed
};

struct Result {
  double fps = 0;
  double cpu_per_wall = 0;
  uint64_t bytes = 0;
  uint64_t hash = 0; // FNV-1a over the stream
  bool ok = false;
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

void hash_bytes(uint64_t &hash, const uint8_t *data, size_t size) {
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ data[i]) * 0x100000001b3ull;
}

std::vector<Frame> render_scene(const Options &opt) {
  quad::capture::SceneConfig config;
  config.width = opt.width;
  config.height = opt.height;
  // quadcapturesrc's defaults.
  config.pan_x = 1.25;
  config.pan_y = 0.5;
  config.objects = 4;
  config.object_speed = 3.0;
  quad::capture::SceneGenerator scene(config);
  const size_t luma = size_t(opt.width) * opt.height;
  std::vector<Frame> frames(opt.frames);
  for (int i = 0; i < opt.frames; ++i) {
    frames[i].data.resize(luma + luma / 2);
    uint8_t *y = frames[i].data.data();
    const quad::capture::PlaneView planes[3] = {{y, opt.width},
                                                {y + luma, opt.width / 2},
                                                {y + luma + luma / 4, opt.width / 2}};
    scene.render(i, quad::capture::PixelFormat::I420, planes);
  }
  return frames;
}

Result encode_ours(const Options &opt, const std::vector<Frame> &frames, int threads) {
  Result r;
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = opt.width;
  cfg.height = opt.height;
  cfg.fps_n = 30;
  cfg.fps_d = 1;
  cfg.qp = opt.qp;
  cfg.key_int_max = 0;
  cfg.speed_preset = TC_PRESET_ULTRAFAST;
  cfg.gop = TC_GOP_LOW_DELAY_P;
  cfg.wavefront = 1;
  cfg.threads = threads;
  cfg.frame_threads = opt.frame_threads;
  cfg.picture_hash = opt.picture_hash;
  TCEncoder *enc = nullptr;
  if (tc_init(&cfg, &enc) != TC_OK) {
    fprintf(stderr, "ours: tc_init failed at %dx%d\n", opt.width, opt.height);
    return r;
  }
  const size_t luma = size_t(opt.width) * opt.height;
  r.hash = 0xcbf29ce484222325ull;
  TCCodedPicture coded;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  for (size_t i = 0; i < frames.size(); ++i) {
    TCPicture pic{};
    const uint8_t *y = frames[i].data.data();
    pic.planes[0] = y;
    pic.planes[1] = y + luma;
    pic.planes[2] = y + luma + luma / 4;
    pic.strides[0] = opt.width;
    pic.strides[1] = pic.strides[2] = opt.width / 2;
    pic.pts = int64_t(i);
    const int got = tc_encode(enc, &pic, &coded);
    if (got < 0) {
      fprintf(stderr, "ours: tc_encode failed (%d)\n", got);
      tc_destroy(enc);
      return r;
    }
    if (got == 1) {
      r.bytes += coded.size;
      hash_bytes(r.hash, coded.data, coded.size);
    }
  }
  while (tc_drain(enc, &coded) == 1) {
    r.bytes += coded.size;
    hash_bytes(r.hash, coded.data, coded.size);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpu_per_wall = (cpu_seconds() - cpu0) / wall;
  r.fps = frames.size() / wall;
  r.ok = true;
  tc_destroy(enc);
  return r;
}

Result encode_x265(const Options &opt, const std::vector<Frame> &frames, int threads) {
  Result r;
  x265_param *param = x265_param_alloc();
  if (!param || x265_param_default_preset(param, "ultrafast", "zerolatency") < 0) {
    x265_param_free(param);
    return r;
  }
  param->sourceWidth = opt.width;
  param->sourceHeight = opt.height;
  param->fpsNum = 30;
  param->fpsDenom = 1;
  param->internalCsp = X265_CSP_I420;
  param->rc.rateControlMode = X265_RC_CQP;
  param->rc.qp = opt.qp;
  param->logLevel = X265_LOG_ERROR;
  const std::string pools = std::to_string(threads);
  param->numaPools = pools.c_str();
  param->frameNumThreads = opt.frame_threads;
  x265_encoder *enc = x265_encoder_open(param);
  if (!enc) {
    fprintf(stderr, "x265: x265_encoder_open failed at %dx%d\n", opt.width, opt.height);
    x265_param_free(param);
    return r;
  }
  x265_picture *pic = x265_picture_alloc();
  x265_picture_init(param, pic);
  const size_t luma = size_t(opt.width) * opt.height;
  x265_nal *nals = nullptr;
  uint32_t nal_count = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  auto take = [&](int got) {
    for (uint32_t n = 0; got > 0 && n < nal_count; ++n)
      r.bytes += nals[n].sizeBytes;
    return got;
  };
  bool failed = false;
  for (size_t i = 0; i < frames.size() && !failed; ++i) {
    uint8_t *y = const_cast<uint8_t *>(frames[i].data.data());
    pic->planes[0] = y;
    pic->planes[1] = y + luma;
    pic->planes[2] = y + luma + luma / 4;
    pic->stride[0] = opt.width;
    pic->stride[1] = pic->stride[2] = opt.width / 2;
    pic->pts = int64_t(i);
    failed = take(x265_encoder_encode(enc, &nals, &nal_count, pic, nullptr)) < 0;
  }
  while (!failed && take(x265_encoder_encode(enc, &nals, &nal_count, nullptr, nullptr)) > 0) {
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpu_per_wall = (cpu_seconds() - cpu0) / wall;
  r.fps = frames.size() / wall;
  r.ok = !failed;
  x265_picture_free(pic);
  x265_encoder_close(enc);
  x265_param_free(param);
  return r;
}

bool parse(int argc, char **argv, Options &opt) {
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!v)
      return false;
    ++i;
    if (!strcmp(a, "--size")) {
      if (sscanf(v, "%dx%d", &opt.width, &opt.height) != 2)
        return false;
    } else if (!strcmp(a, "--frames")) {
      opt.frames = atoi(v);
    } else if (!strcmp(a, "--qp")) {
      opt.qp = atoi(v);
    } else if (!strcmp(a, "--frame-threads")) {
      opt.frame_threads = atoi(v);
    } else if (!strcmp(a, "--hash")) {
      opt.hash_name = v;
      opt.picture_hash = !strcmp(v, "md5")        ? TC_PICTURE_HASH_MD5
                         : !strcmp(v, "checksum") ? TC_PICTURE_HASH_CHECKSUM
                         : !strcmp(v, "none")     ? TC_PICTURE_HASH_NONE
                                                  : -1;
      if (opt.picture_hash < 0)
        return false;
    } else if (!strcmp(a, "--only")) {
      opt.ours = !strcmp(v, "ours");
      opt.x265 = !strcmp(v, "x265");
      if (!opt.ours && !opt.x265)
        return false;
    } else if (!strcmp(a, "--threads")) {
      for (const char *p = v; *p;) {
        char *end = nullptr;
        const long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > 256)
          return false;
        opt.threads.push_back(int(n));
        p = *end == ',' ? end + 1 : end;
      }
    } else {
      return false;
    }
  }
  // The scene's limits; even sizes for 4:2:0.
  return opt.width >= 16 && opt.height >= 16 && opt.width <= 7680 && opt.height <= 4320 &&
         opt.width % 2 == 0 && opt.height % 2 == 0 && opt.frames >= 2 && opt.qp >= 0 &&
         opt.qp <= 51 && opt.frame_threads >= 1 && opt.frame_threads <= 16;
}

} // namespace

int main(int argc, char **argv) {
  Options opt;
  if (!parse(argc, argv, opt)) {
    fprintf(stderr,
            "usage: %s [--size WxH (even, up to 7680x4320)] [--frames N >= 2] "
            "[--threads 1,2,4,...] [--qp 0..51] [--frame-threads 1..16] [--only ours|x265] "
            "[--hash md5|checksum|none]\n",
            argv[0]);
    return 2;
  }
  const int cores = int(std::thread::hardware_concurrency());
  if (opt.threads.empty())
    for (int n = 1; n <= std::max(cores, 1); n *= 2)
      opt.threads.push_back(n);

  const auto t0 = Clock::now();
  const std::vector<Frame> frames = render_scene(opt);
  printf("%dx%d synthetic scene, %d frames (rendered in %.1f s), QP %d, %d cores.\n"
         "Ours: preset 0, wavefront, low-delay P, %s picture hash. x265 %s: ultrafast, "
         "zerolatency, --pools N. Both: frame threads %d.\n\n",
         opt.width, opt.height, opt.frames,
         std::chrono::duration<double>(Clock::now() - t0).count(), opt.qp, cores,
         opt.hash_name, x265_version_str, opt.frame_threads);
  printf("| threads | ours fps | speed-up | CPU / wall | x265 fps | speed-up | CPU / wall | "
         "ours / x265 fps | ours kB | x265 kB |\n|---|---|---|---|---|---|---|---|---|---|\n");
  Result ours_first, x265_first;
  bool identical = true;
  for (size_t i = 0; i < opt.threads.size(); ++i) {
    const int n = opt.threads[i];
    Result ours, peer;
    ours.ok = peer.ok = true;
    ours.fps = peer.fps = NAN;
    if (opt.ours)
      ours = encode_ours(opt, frames, n);
    if (opt.x265)
      peer = encode_x265(opt, frames, n);
    if (!ours.ok || !peer.ok) {
      fprintf(stderr, "%s failed at %d threads\n", ours.ok ? "x265" : "ours", n);
      return 1;
    }
    if (i == 0) {
      ours_first = ours;
      x265_first = peer;
    }
    identical = identical && ours.hash == ours_first.hash && ours.bytes == ours_first.bytes;
    printf("| %d | %.2f | %.2fx | %.1f | %.2f | %.2fx | %.1f | %.2fx | %.0f | %.0f |\n", n,
           ours.fps, ours.fps / ours_first.fps, ours.cpu_per_wall, peer.fps,
           peer.fps / x265_first.fps, peer.cpu_per_wall, ours.fps / peer.fps, ours.bytes / 1e3,
           peer.bytes / 1e3);
    fflush(stdout);
  }
  x265_cleanup();
  printf("\nSpeed-ups are against the first row. Ours, the same stream at every thread count: "
         "%s\n",
         identical ? "yes" : "NO");
  return identical ? 0 : 1;
}
