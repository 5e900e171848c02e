// Encoder side of the HEVC conformance harness: encodes synthetic content or
// a Y4M file through the C API (quad/temporal_compression.h) and writes the
// stream plus the MD5 of every reconstructed picture (display size, I420
// planes concatenated), which hevc_conformance.py compares with what the
// decoders output.
//
//   hevc_conformance_encoder --out s.265 --md5 s.md5
//       (--synthetic WxH [--seed S] | --y4m in.y4m) [--frames N] [--qp Q]
//       [--ctu 16|32|64] [--preset 0..6] [--keyint K] [--no-deblock]
//       [--bitrate KBPS [--vbv-ms MS]] [--gop intra|p] [--refs 1..4]
//       [--pan QX,QY] [--cut-at N]   (synthetic: pan in quarter samples per
//                                     picture; another scene from picture N)
//       [--wpp] [--threads N]  wavefront rows, on N threads (0: per core)
//       [--frame-threads N]  N pictures coded at once (N - 1 held back)
//       [--hints pan|noise]  motion hints through tc_encode: the pan's vector
//                            on 16x16 blocks, or random vectors and distances
//                            on an odd grid (a hint never breaks a stream)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "md5.h"
#include "quad/temporal_compression.h"

namespace {

// Deterministic test pictures that reach every intra mode, transform size
// and level range: gradients, edges at many angles, fine texture, noise,
// flat areas, and a moving disc, arranged in tiles that shift per frame.
class SyntheticSource {
public:
  SyntheticSource(int w, int h, uint32_t seed) : w_(w), h_(h), rng_(seed) {}

  // pan_x4, pan_y4: a global pan in quarter samples per picture (0: the
  // default motion of 3 and 1 samples); cut_at: from this picture on, another
  // scene (0: none).
  void set_motion(int pan_x4, int pan_y4, int cut_at) {
    pan_x4_ = pan_x4;
    pan_y4_ = pan_y4;
    cut_at_ = cut_at;
  }

  void fill(int frame, std::vector<uint8_t> &yuv) {
    const int cw = w_ / 2;
    const int ch = h_ / 2;
    yuv.resize(static_cast<size_t>(w_) * h_ + 2 * static_cast<size_t>(cw) * ch);
    const int scene = cut_at_ > 0 && frame >= cut_at_ ? 1 : 0;
    uint8_t *y = yuv.data();
    for (int j = 0; j < h_; ++j)
      for (int i = 0; i < w_; ++i)
        y[j * w_ + i] = panned(i, j, frame, 0, scene, 1);
    for (int c = 1; c <= 2; ++c) {
      uint8_t *p =
          yuv.data() + static_cast<size_t>(w_) * h_ + (c - 1) * static_cast<size_t>(cw) * ch;
      for (int j = 0; j < ch; ++j)
        for (int i = 0; i < cw; ++i)
          p[j * cw + i] = panned(2 * i, 2 * j, frame, c, scene, 2);
    }
  }

private:
  // The sample at (x, y) of the moving scene; a fractional pan mixes the
  // two nearest integer positions (bilinear, in quarter samples).
  uint8_t panned(int x, int y, int frame, int c, int scene, int step) {
    if (pan_x4_ == 0 && pan_y4_ == 0) {
      if (c == 0)
        return sample(x + 3 * frame, y + frame, frame, c, scene);
      return sample(x + frame, y, frame, c, scene);
    }
    const int fx = x * 4 + pan_x4_ * frame;
    const int fy = y * 4 + pan_y4_ * frame;
    const int ix = fx >> 2, iy = fy >> 2, ax = fx & 3, ay = fy & 3;
    const int v = (4 - ax) * (4 - ay) * sample(ix, iy, 0, c, scene) +
                  ax * (4 - ay) * sample(ix + step, iy, 0, c, scene) +
                  (4 - ax) * ay * sample(ix, iy + step, 0, c, scene) +
                  ax * ay * sample(ix + step, iy + step, 0, c, scene);
    return static_cast<uint8_t>((v + 8) >> 4);
  }

  uint32_t next() {
    rng_ = rng_ * 1664525u + 1013904223u;
    return rng_ >> 8;
  }

  uint8_t sample(int x, int y, int frame, int c, int scene) {
    const int tile = (((x / 48) * 7 + (y / 40) * 13 + c) % 8 + 3 * scene) % 8;
    const double cx = w_ * 0.5 + 10 * frame;
    const double cy = h_ * 0.5;
    const double r = std::min(w_, h_) * 0.3;
    int v;
    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) {
      v = 200 - ((x + y) & 31); // disc with a gentle texture
    } else {
      switch (tile) {
      case 0:
        v = (x * 2 + y) & 255;
        break; // diagonal ramp
      case 1:
        v = ((x + 2 * y) / 6) % 2 ? 230 : 20;
        break; // steep edges
      case 2:
        v = static_cast<int>(next() & 255);
        break; // noise
      case 3:
        v = 128 + c * 20;
        break; // flat
      case 4:
        v = ((x / 2 + y / 2) & 1) ? 255 : 0;
        break; // fine checker
      case 5:
        v = static_cast<int>(128 + 100 * std::sin(x * 0.3 + y * 0.1));
        break;
      case 6:
        v = (3 * x - y) / 4 & 255;
        break; // shallow angle
      default:
        v = y * 255 / std::max(1, h_ - 1);
        break; // vertical ramp
      }
    }
    return static_cast<uint8_t>(std::min(255, std::max(0, v)));
  }

  int w_, h_;
  uint32_t rng_;
  int pan_x4_ = 0;
  int pan_y4_ = 0;
  int cut_at_ = 0;
};

bool read_y4m_header(FILE *f, int &w, int &h, int &fps_n, int &fps_d) {
  char line[512];
  if (!std::fgets(line, sizeof line, f) || std::strncmp(line, "YUV4MPEG2", 9))
    return false;
  for (char *tok = std::strtok(line + 9, " \n"); tok; tok = std::strtok(nullptr, " \n")) {
    if (tok[0] == 'W')
      w = std::atoi(tok + 1);
    else if (tok[0] == 'H')
      h = std::atoi(tok + 1);
    else if (tok[0] == 'F')
      std::sscanf(tok + 1, "%d:%d", &fps_n, &fps_d);
    else if (tok[0] == 'C' && std::strncmp(tok + 1, "420", 3) != 0)
      return false;
  }
  return w > 0 && h > 0;
}

bool read_y4m_frame(FILE *f, std::vector<uint8_t> &yuv, size_t size) {
  char line[256];
  if (!std::fgets(line, sizeof line, f) || std::strncmp(line, "FRAME", 5))
    return false;
  yuv.resize(size);
  return std::fread(yuv.data(), 1, size, f) == size;
}

int usage() {
  std::fprintf(stderr, "usage: hevc_conformance_encoder --out s.265 --md5 s.md5 "
                       "(--synthetic WxH [--seed S] | --y4m in.y4m) [--frames N] "
                       "[--qp Q] [--ctu C] [--preset P] [--keyint K] "
                       "[--bitrate KBPS] [--vbv-ms MS] [--no-deblock] [--gop intra|p] [--refs N] "
                       "[--pan QX,QY] [--cut-at N] [--hints pan|noise] [--wpp] [--threads N] "
                       "[--frame-threads N] [--hash md5|checksum|none]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string out_path, md5_path, y4m_path;
  int synth_w = 0, synth_h = 0, frames = 2;
  uint32_t seed = 1;
  bool low_delay_p = false;
  int pan_x4 = 0, pan_y4 = 0, cut_at = 0;
  std::string hints_mode;
  TCConfig cfg;
  tc_config_default(&cfg);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--out")
      out_path = v, ++i;
    else if (a == "--md5")
      md5_path = v, ++i;
    else if (a == "--pan")
      std::sscanf(v, "%d,%d", &pan_x4, &pan_y4), ++i;
    else if (a == "--wpp")
      cfg.wavefront = 1;
    else if (a == "--threads")
      cfg.threads = std::atoi(v), ++i;
    else if (a == "--frame-threads")
      cfg.frame_threads = std::atoi(v), ++i;
    else if (a == "--hash") {
      const std::string hash = v;
      cfg.picture_hash = hash == "md5"        ? TC_PICTURE_HASH_MD5
                         : hash == "checksum" ? TC_PICTURE_HASH_CHECKSUM
                         : hash == "none"     ? TC_PICTURE_HASH_NONE
                                              : -1;
      ++i;
    }    else if (a == "--hints")
      hints_mode = v, ++i;
    else if (a == "--cut-at")
      cut_at = std::atoi(v), ++i;
    else if (a == "--y4m")
      y4m_path = v, ++i;
    else if (a == "--synthetic") {
      if (std::sscanf(v, "%dx%d", &synth_w, &synth_h) != 2)
        return usage();
      ++i;
    } else if (a == "--seed")
      seed = static_cast<uint32_t>(std::atoi(v)), ++i;
    else if (a == "--frames")
      frames = std::atoi(v), ++i;
    else if (a == "--qp")
      cfg.qp = std::atoi(v), ++i;
    else if (a == "--ctu")
      cfg.ctu_size = std::atoi(v), ++i;
    else if (a == "--preset")
      cfg.speed_preset = std::atoi(v), ++i;
    else if (a == "--keyint")
      cfg.key_int_max = std::atoi(v), ++i;
    else if (a == "--bitrate")
      cfg.bitrate_kbps = std::atoi(v), ++i;
    else if (a == "--vbv-ms")
      cfg.vbv_buffer_ms = std::atoi(v), ++i;
    else if (a == "--no-deblock")
      cfg.deblocking = 0;
    else if (a == "--gop")
      low_delay_p = std::string(v) == "p", ++i;
    else if (a == "--refs")
      cfg.ref_frames = std::atoi(v), ++i;
    else
      return usage();
  }
  if (out_path.empty() || md5_path.empty() || (y4m_path.empty() && !synth_w))
    return usage();

  FILE *y4m = nullptr;
  if (!y4m_path.empty()) {
    y4m = std::fopen(y4m_path.c_str(), "rb");
    if (!y4m || !read_y4m_header(y4m, cfg.width, cfg.height, cfg.fps_n, cfg.fps_d)) {
      std::fprintf(stderr, "%s: not a 4:2:0 Y4M file\n", y4m_path.c_str());
      return 1;
    }
  } else {
    cfg.width = synth_w;
    cfg.height = synth_h;
  }
  TCEncoder *enc = nullptr;
  if (tc_init(&cfg, &enc) != TC_OK ||
      (low_delay_p && tc_set_gop_structure(enc, TC_GOP_LOW_DELAY_P, cfg.key_int_max) != TC_OK)) {
    std::fprintf(stderr, "tc_init rejected %dx%d qp %d ctu %d refs %d\n", cfg.width, cfg.height,
                 cfg.qp, cfg.ctu_size, cfg.ref_frames);
    return 1;
  }
  FILE *out = std::fopen(out_path.c_str(), "wb");
  FILE *md5 = std::fopen(md5_path.c_str(), "w");
  if (!out || !md5)
    return 1;

  SyntheticSource synth(synth_w, synth_h, seed);
  synth.set_motion(pan_x4, pan_y4, cut_at);
  const size_t luma = static_cast<size_t>(cfg.width) * cfg.height;
  const int cw = cfg.width / 2;
  const int ch = cfg.height / 2;
  std::vector<uint8_t> yuv, bits(1024), rec;
  std::vector<TCMotionVector> hints;
  std::mt19937 hint_rng(seed);
  // The reconstruction of each picture as it comes out (frame threads
  // return pictures later than they go in).
  int returned = 0;
  auto write_reconstruction_md5 = [&] {
    const uint8_t *rp[3];
    ptrdiff_t rs[3];
    tc_get_reconstruction(enc, rp, rs);
    rec.clear();
    for (int c = 0; c < 3; ++c) {
      const int w = c ? cw : cfg.width;
      const int h = c ? ch : cfg.height;
      for (int y = 0; y < h; ++y)
        rec.insert(rec.end(), rp[c] + y * rs[c], rp[c] + y * rs[c] + w);
    }
    uint8_t digest[16];
    quad::hevc::md5_bytes(rec.data(), rec.size(), digest);
    std::fprintf(md5, "%d ", returned++);
    for (uint8_t b : digest)
      std::fprintf(md5, "%02x", b);
    std::fprintf(md5, "\n");
  };
  for (int f = 0; f < frames; ++f) {
    if (y4m) {
      if (!read_y4m_frame(y4m, yuv, luma + 2 * static_cast<size_t>(cw) * ch))
        break;
    } else {
      synth.fill(f, yuv);
    }
    const uint8_t *planes[3] = {yuv.data(), yuv.data() + luma,
                                yuv.data() + luma + static_cast<size_t>(cw) * ch};
    const ptrdiff_t strides[3] = {cfg.width, cw, cw};
    int n = 0;
    bool came_out = false;
    if (!hints_mode.empty()) {
      TCPicture in = {};
      for (int c = 0; c < 3; ++c) {
        in.planes[c] = planes[c];
        in.strides[c] = strides[c];
      }
      const bool noise = hints_mode == "noise";
      in.hint_block_width = noise ? 12 : 16;
      in.hint_block_height = noise ? 20 : 16;
      in.hint_cols = (cfg.width + in.hint_block_width - 1) / in.hint_block_width;
      in.hint_rows = (cfg.height + in.hint_block_height - 1) / in.hint_block_height;
      hints.resize(static_cast<size_t>(in.hint_cols) * in.hint_rows);
      for (TCMotionVector &h : hints) {
        // Picture f shows the scene at x + f * pan: a block is found pan
        // further in the previous picture.
        h.mv_x = static_cast<int16_t>(noise ? hint_rng() : pan_x4);
        h.mv_y = static_cast<int16_t>(noise ? hint_rng() : pan_y4);
        h.ref_distance = noise ? static_cast<int32_t>(hint_rng() % 7) : 1;
      }
      in.motion_hints = hints.data();
      TCCodedPicture coded;
      n = tc_encode(enc, &in, &coded);
      came_out = n == 1;
      if (came_out)
        std::fwrite(coded.data, 1, coded.size, out);
    } else {
      // Starts small on purpose: exercises TC_ERROR_BUFFER_TOO_SMALL.
      n = tc_process_frame(enc, planes, strides, bits.data(), bits.size());
      if (n == TC_ERROR_BUFFER_TOO_SMALL) {
        bits.resize(tc_last_required_size(enc));
        n = tc_process_frame(enc, planes, strides, bits.data(), bits.size());
      }
      came_out = n > 0;
      if (came_out)
        std::fwrite(bits.data(), 1, static_cast<size_t>(n), out);
    }
    if (n < 0) {
      std::fprintf(stderr, "encoding picture %d failed: %d\n", f, n);
      return 1;
    }
    if (came_out)
      write_reconstruction_md5();
  }
  TCCodedPicture coded;
  while (tc_drain(enc, &coded) == 1) {
    std::fwrite(coded.data, 1, coded.size, out);
    write_reconstruction_md5();
  }
  tc_destroy(enc);
  std::fclose(out);
  std::fclose(md5);
  if (y4m)
    std::fclose(y4m);
  return 0;
}
