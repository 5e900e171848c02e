// Every HEVC primitive of every compiled target against the scalar
// reference, in the manner of dav1d's checkasm: random and edge input, every
// block size and parameter, and each buffer placed right before a PROT_NONE
// page so that a read or write past its end faults instead of passing by
// luck. With --bench, times each primitive per target against the reference.
//
//   checkasm [--seed N] [--bench]
//
// The block metrics and the luma interpolation are common/dsp's kernels,
// checked the same way by tests/check/libs/dsp_test.cpp and interp_test.cpp;
// here they are only timed.
#include <sys/mman.h>
#include <unistd.h>

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

#include "primitives.h"

namespace {

using quad::hevc::Primitives;

// count elements of T, the last one right before an inaccessible page.
template <class T> class GuardedBuffer {
public:
  explicit GuardedBuffer(size_t count) : count_(count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = (count * sizeof(T) + page - 1) / page * page;
    mapped_ = bytes + page;
    void *base = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED || mprotect(static_cast<char *>(base) + bytes, page, PROT_NONE) != 0) {
      std::perror("checkasm: guard page");
      std::exit(2);
    }
    base_ = base;
    data_ = reinterpret_cast<T *>(static_cast<char *>(base) + bytes - count * sizeof(T));
  }
  ~GuardedBuffer() { munmap(base_, mapped_); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  T *data() { return data_; }
  T &operator[](size_t i) { return data_[i]; }
  size_t size() const { return count_; }
  bool same_as(const GuardedBuffer &other) const {
    return std::memcmp(data_, other.data_, count_ * sizeof(T)) == 0;
  }

private:
  size_t count_;
  size_t mapped_ = 0;
  void *base_ = nullptr;
  T *data_ = nullptr;
};

std::mt19937 rng;

int uniform(int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// The ways an input block is filled: random within [lo, hi], and the edges
// that overflow narrow intermediates: all lo, all hi, alternating signs
// (checkerboard), and sparse (mostly zero, a few extremes).
enum class Fill { kRandom, kLow, kHigh, kCheckerboard, kSparse };
constexpr Fill kFills[] = {Fill::kRandom, Fill::kLow, Fill::kHigh, Fill::kCheckerboard,
                           Fill::kSparse};
const char *fill_name(Fill f) {
  switch (f) {
  case Fill::kRandom:
    return "random";
  case Fill::kLow:
    return "min";
  case Fill::kHigh:
    return "max";
  case Fill::kCheckerboard:
    return "checkerboard";
  case Fill::kSparse:
    return "sparse";
  }
  return "";
}

// Fills a w-wide block (row-major) of any integer type.
template <class T> void fill(T *p, size_t count, int w, Fill f, int lo, int hi) {
  for (size_t i = 0; i < count; ++i) {
    const bool odd = ((i / w) + (i % w)) % 2 != 0;
    int v = 0;
    switch (f) {
    case Fill::kRandom:
      v = uniform(lo, hi);
      break;
    case Fill::kLow:
      v = lo;
      break;
    case Fill::kHigh:
      v = hi;
      break;
    case Fill::kCheckerboard:
      v = odd ? lo : hi;
      break;
    case Fill::kSparse:
      v = uniform(0, 15) == 0 ? (uniform(0, 1) ? lo : hi) : 0;
      break;
    }
    p[i] = static_cast<T>(v);
  }
}

int failures = 0;

void report(const char *primitive, const Primitives &p, const std::string &what) {
  if (++failures <= 20)
    std::printf("FAIL %s %s: %s\n", primitive, p.name, what.c_str());
}

// ------------------------------------------------------------ checks

void check_transforms(const Primitives &ref, const Primitives &p) {
  for (int i = 0; i < 4; ++i) {
    const int n = 4 << i;
    const size_t count = static_cast<size_t>(n) * n;
    GuardedBuffer<int16_t> in(count), out_ref(count), out(count);
    struct Kernel {
      const char *name;
      quad::hevc::TransformFn ref, test;
      int lo, hi; // the input range: residuals, or coefficients
    };
    std::vector<Kernel> kernels = {{"fdct", ref.fdct[i], p.fdct[i], -255, 255},
                                   {"idct", ref.idct[i], p.idct[i], -32768, 32767}};
    if (n == 4) {
      kernels.push_back({"fdst4", ref.fdst4, p.fdst4, -255, 255});
      kernels.push_back({"idst4", ref.idst4, p.idst4, -32768, 32767});
    }
    for (const Kernel &k : kernels)
      for (Fill f : kFills)
        for (int rep = 0; rep < (f == Fill::kRandom || f == Fill::kSparse ? 50 : 1); ++rep) {
          fill(in.data(), count, n, f, k.lo, k.hi);
          // Small coefficients too, as the quantiser makes them.
          if (rep % 2 == 1 && k.lo < -255)
            for (size_t j = 0; j < count; ++j)
              in[j] = static_cast<int16_t>(in[j] / 64);
          k.ref(in.data(), out_ref.data());
          k.test(in.data(), out.data());
          if (!out.same_as(out_ref))
            report(k.name, p, std::to_string(n) + "x" + std::to_string(n) + " " + fill_name(f));
        }
  }
}

// The levelScale and quantScale of H.265 8.6.3 and quant.cpp.
constexpr int kLevelScale[6] = {40, 45, 51, 57, 64, 72};
constexpr int kQuantScale[6] = {26214, 23302, 20560, 18396, 16384, 14564};

void check_quant(const Primitives &ref, const Primitives &p) {
  for (int log2 = 2; log2 <= 5; ++log2) {
    const int count = 1 << (2 * log2);
    GuardedBuffer<int16_t> in(count), out_ref(count), out(count);
    for (int qp = 0; qp <= 51; ++qp) {
      const int qbits = 14 + qp / 6 + 15 - 8 - log2;
      for (int rounding_q10 : {0, 171, 341, 1023})
        for (Fill f : kFills) {
          fill(in.data(), count, 1 << log2, f, -32768, 32767);
          const int offset = rounding_q10 << (qbits - 10);
          const int nz_ref =
              ref.quant(in.data(), out_ref.data(), count, kQuantScale[qp % 6], qbits, offset);
          const int nz = p.quant(in.data(), out.data(), count, kQuantScale[qp % 6], qbits, offset);
          if (nz != nz_ref || !out.same_as(out_ref))
            report("quant", p,
                   "n=" + std::to_string(1 << log2) + " qp=" + std::to_string(qp) + " " +
                       fill_name(f));
        }
      // dequantize()'s two forms: the shift folded into the scale, or not.
      const int bd_shift = 8 + log2 - 5;
      const int per = qp / 6;
      const int scale = 16 * kLevelScale[qp % 6];
      const int dq_scale = per >= bd_shift ? scale << (per - bd_shift) : scale;
      const int dq_shift = per >= bd_shift ? 0 : bd_shift - per;
      for (Fill f : kFills) {
        fill(in.data(), count, 1 << log2, f, -32768, 32767);
        ref.dequant(in.data(), out_ref.data(), count, dq_scale, dq_shift);
        p.dequant(in.data(), out.data(), count, dq_scale, dq_shift);
        if (!out.same_as(out_ref))
          report("dequant", p,
                 "n=" + std::to_string(1 << log2) + " qp=" + std::to_string(qp) + " " +
                     fill_name(f));
      }
    }
  }
}

void check_intra(const Primitives &ref, const Primitives &p) {
  for (int i = 0; i < 4; ++i) {
    const int n = 4 << i;
    GuardedBuffer<uint8_t> line(4 * n + 1), out_ref(n * n), out(n * n);
    for (Fill f : kFills)
      for (int rep = 0; rep < (f == Fill::kRandom ? 4 : 1); ++rep) {
        fill(line.data(), line.size(), 1, f, 0, 255);
        for (int mode = 0; mode < 35; ++mode)
          for (bool edges : {false, true}) {
            ref.intra[i](line.data(), mode, edges, out_ref.data());
            p.intra[i](line.data(), mode, edges, out.data());
            if (!out.same_as(out_ref))
              report("intra", p,
                     std::to_string(n) + "x" + std::to_string(n) + " mode " + std::to_string(mode) +
                         (edges ? " edge filters " : " ") + fill_name(f));
          }
      }
  }
}

void check_avg_bipred(const Primitives &ref, const Primitives &p) {
  for (int w = 4; w <= 64; w += 4)
    for (int h : {1, 2, 4, 7, 8, 16, 64}) {
      const size_t count = static_cast<size_t>(w) * h;
      GuardedBuffer<int16_t> a(count), b(count);
      GuardedBuffer<uint8_t> out_ref(count), out(count);
      for (Fill f : kFills) {
        // The 14-bit range of 8.5.3.3.4.2's inputs, then all of int16.
        for (int range : {10240, 32767}) {
          fill(a.data(), count, w, f, -range, range);
          fill(b.data(), count, w, f, -range, range);
          ref.avg_bipred(a.data(), w, b.data(), w, out_ref.data(), w, w, h);
          p.avg_bipred(a.data(), w, b.data(), w, out.data(), w, w, h);
          if (!out.same_as(out_ref))
            report("avg_bipred", p,
                   std::to_string(w) + "x" + std::to_string(h) + " " + fill_name(f) + " range " +
                       std::to_string(range));
        }
      }
    }
}

void check_residual(const Primitives &ref, const Primitives &p) {
  // Blocks inside wider planes (stride 64 + 3), as the encoder reads them.
  const ptrdiff_t stride = 67;
  for (int i = 0; i < 4; ++i) {
    const int n = 4 << i;
    GuardedBuffer<uint8_t> src(stride * n), pred(stride * n), rec_ref(stride * n), rec(stride * n);
    GuardedBuffer<int16_t> res_ref(n * n), res(n * n), residual(n * n);
    for (Fill f : kFills) {
      fill(src.data(), src.size(), stride, f, 0, 255);
      fill(pred.data(), pred.size(), stride, Fill::kRandom, 0, 255);
      ref.residual[i](src.data(), stride, pred.data(), stride, res_ref.data());
      p.residual[i](src.data(), stride, pred.data(), stride, res.data());
      if (!res.same_as(res_ref))
        report("residual", p, std::to_string(n) + " " + fill_name(f));
      // Residuals past the sample range too, as an inverse transform gives.
      fill(residual.data(), residual.size(), n, f, -600, 600);
      std::memset(rec_ref.data(), 0, rec_ref.size());
      std::memset(rec.data(), 0, rec.size());
      ref.reconstruct[i](pred.data(), stride, residual.data(), rec_ref.data(), stride);
      p.reconstruct[i](pred.data(), stride, residual.data(), rec.data(), stride);
      if (!rec.same_as(rec_ref))
        report("reconstruct", p, std::to_string(n) + " " + fill_name(f));
    }
  }
}

void check_interp_chroma(const Primitives &ref, const Primitives &p) {
  // A block with the filter's reach around it: 1 before, 2 after.
  for (int w : {2, 4, 8, 16, 32})
    for (int h : {2, 4, 8, 16, 32}) {
      const int stride = w + 3;
      GuardedBuffer<uint8_t> src(static_cast<size_t>(stride) * (h + 3));
      GuardedBuffer<uint8_t> out_ref(static_cast<size_t>(w) * h), out(out_ref.size());
      for (Fill f : kFills) {
        fill(src.data(), src.size(), stride, f, 0, 255);
        for (int fy = 0; fy < 8; ++fy)
          for (int fx = 0; fx < 8; ++fx) {
            const uint8_t *origin = src.data() + stride + 1;
            ref.interp_chroma(origin, stride, out_ref.data(), w, w, h, fx, fy);
            p.interp_chroma(origin, stride, out.data(), w, w, h, fx, fy);
            if (!out.same_as(out_ref))
              report("interp_chroma", p,
                     std::to_string(w) + "x" + std::to_string(h) + " phase " + std::to_string(fx) +
                         "," + std::to_string(fy) + " " + fill_name(f));
          }
      }
    }
}

// Lines across a luma edge, p3..q3 at offsets -4..3 along `across`: each
// segment a ramp with a step at the edge and noise, drawn so that its
// segments take every decision of 8.7.2.5.3 and 8.7.2.5.6 (no filter,
// normal filter with and without the second samples, strong filter), some
// at the ends of the sample range so that the clipping shows.
void fill_edge_lines(uint8_t *q0, ptrdiff_t across, ptrdiff_t along, int lines) {
  for (int line = 0; line < lines; line += 4) {
    const int kind = uniform(0, 3);
    const int base =
        kind == 3 ? (uniform(0, 1) ? uniform(0, 8) : uniform(247, 255)) : uniform(16, 240);
    const int slope = kind == 0 ? 0 : uniform(-3, 3);
    const int step = kind == 0 ? uniform(-6, 6) : kind == 1 ? uniform(-30, 30) : uniform(-255, 255);
    const int noise = kind == 2 ? uniform(0, 12) : uniform(0, 2);
    for (int k = 0; k < 4; ++k)
      for (int i = -4; i < 4; ++i) {
        const int v = base + slope * i + (i >= 0 ? step : 0) + uniform(-noise, noise);
        q0[(line + k) * along + i * across] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
  }
}

void check_deblock(const Primitives &ref, const Primitives &p) {
  // Counts past every multiple of four segments; the plane ends at the last
  // sample the edge may touch.
  int strong = 0, normal = 0;
  for (int vertical = 1; vertical >= 0; --vertical)
    for (int trial = 0; trial < 400; ++trial) {
      const int count = 1 + trial % 23;
      const int lines = 4 * count;
      // Vertical edge: rows of 8 samples (and a margin) across it; horizontal:
      // 8 rows of the lines side by side.
      const ptrdiff_t stride = vertical ? 8 + uniform(0, 5) : lines + uniform(0, 5);
      const size_t size = vertical ? static_cast<size_t>(stride * (lines - 1) + 8)
                                   : static_cast<size_t>(stride * 7 + lines);
      GuardedBuffer<uint8_t> a(size), b(size);
      fill(a.data(), size, 1, Fill::kRandom, 0, 255);
      const ptrdiff_t across = vertical ? 1 : stride;
      const ptrdiff_t along = vertical ? stride : 1;
      uint8_t *q0a = a.data() + 4 * across;
      fill_edge_lines(q0a, across, along, lines);
      std::memcpy(b.data(), a.data(), size);
      std::vector<quad::hevc::LumaEdgeSegment> segments(static_cast<size_t>(count));
      for (auto &s : segments)
        s = {static_cast<uint8_t>(uniform(0, 4) == 0 ? 0 : uniform(1, 24)),
             static_cast<uint8_t>(uniform(0, 8) == 0 ? 0 : uniform(6, 64)), uniform(0, 7) == 0,
             uniform(0, 7) == 0};
      std::vector<uint8_t> before(a.data(), a.data() + size);
      ref.deblock_luma[vertical ? 0 : 1](q0a, stride, segments.data(), count);
      p.deblock_luma[vertical ? 0 : 1](b.data() + 4 * across, stride, segments.data(), count);
      if (!b.same_as(a))
        report("deblock_luma", p,
               std::string(vertical ? "vertical" : "horizontal") + " edge, " +
                   std::to_string(count) + " segments, trial " + std::to_string(trial));
      // What the reference did with each line: p2 moves only in the strong
      // filter, p0 alone in the normal one.
      for (int line = 0; line < lines; ++line) {
        const size_t q = static_cast<size_t>(q0a - a.data() + line * along);
        const bool p2 = a[q - 3 * across] != before[q - 3 * across];
        const bool p0 = a[q - across] != before[q - across];
        strong += p2;
        normal += p0 && !p2;
      }
    }
  if (strong == 0 || normal == 0)
    report("deblock_luma", p, "the lines never took both filters: the check checks too little");
}

// ------------------------------------------------------------ bench

// Nanoseconds per call of body, over enough calls to take about 20 ms.
double time_ns(const std::function<void()> &body) {
  using clock = std::chrono::steady_clock;
  long calls = 16;
  for (;;) {
    const auto start = clock::now();
    for (long i = 0; i < calls; ++i)
      body();
    const double ns = std::chrono::duration<double, std::nano>(clock::now() - start).count();
    if (ns > 20e6 || calls > (1L << 28))
      return ns / static_cast<double>(calls);
    calls *= 4;
  }
}

struct BenchCase {
  std::string name;
  std::function<void(const Primitives &)> run;
};

std::vector<BenchCase> bench_cases() {
  // Inputs shared by every case, sized for the largest block.
  static std::vector<int16_t> residual(64 * 64), coeffs(64 * 64), levels(64 * 64), out16(64 * 64),
      a(64 * 64), b(64 * 64);
  static std::vector<uint8_t> line(4 * 32 + 1), pix(80 * 80), pix2(80 * 80), out8(64 * 64);
  fill(residual.data(), residual.size(), 64, Fill::kRandom, -64, 64);
  fill(line.data(), line.size(), 1, Fill::kRandom, 0, 255);
  fill(pix.data(), pix.size(), 80, Fill::kRandom, 0, 255);
  fill(pix2.data(), pix2.size(), 80, Fill::kRandom, 0, 255);
  fill(a.data(), a.size(), 64, Fill::kRandom, -2000, 10000);
  fill(b.data(), b.size(), 64, Fill::kRandom, -2000, 10000);
  // Coefficients as the encoder sees them: the transform of a residual,
  // quantised at QP 27.
  const Primitives &ref = quad::hevc::reference_primitives();
  ref.fdct[3](residual.data(), coeffs.data());
  ref.quant(coeffs.data(), levels.data(), 32 * 32, kQuantScale[3], 14 + 4 + 2, 341 << 10);

  std::vector<BenchCase> cases;
  for (int i = 0; i < 4; ++i) {
    const std::string size = std::to_string(4 << i);
    cases.push_back({"residual" + size, [i](const Primitives &p) {
                       p.residual[i](pix.data(), 80, pix2.data(), 80, out16.data());
                     }});
    cases.push_back({"reconstruct" + size, [i](const Primitives &p) {
                       p.reconstruct[i](pix.data(), 80, residual.data(), out8.data(), 64);
                     }});
  }
  for (int i = 0; i < 4; ++i) {
    const std::string size = std::to_string(4 << i);
    cases.push_back(
        {"fdct" + size, [i](const Primitives &p) { p.fdct[i](residual.data(), out16.data()); }});
    cases.push_back(
        {"idct" + size, [i](const Primitives &p) { p.idct[i](levels.data(), out16.data()); }});
  }
  cases.push_back({"fdst4", [](const Primitives &p) { p.fdst4(residual.data(), out16.data()); }});
  cases.push_back({"idst4", [](const Primitives &p) { p.idst4(levels.data(), out16.data()); }});
  for (int log2 : {2, 5}) {
    const int count = 1 << (2 * log2);
    const std::string size = std::to_string(1 << log2);
    cases.push_back({"quant" + size, [count](const Primitives &p) {
                       p.quant(coeffs.data(), out16.data(), count, kQuantScale[3], 20, 341 << 10);
                     }});
    cases.push_back({"dequant" + size, [count](const Primitives &p) {
                       p.dequant(levels.data(), out16.data(), count, 16 * kLevelScale[3], 4);
                     }});
  }
  for (int i = 0; i < 4; ++i) {
    const std::string size = std::to_string(4 << i);
    // Planar, DC, pure horizontal and vertical, and the diagonals between.
    for (auto [mode, label] : {std::pair{0, "planar"},
                               {1, "dc"},
                               {10, "hor"},
                               {18, "diag"},
                               {26, "ver"},
                               {30, "angular"}})
      cases.push_back({"intra" + size + "_" + label, [i, mode](const Primitives &p) {
                         p.intra[i](line.data(), mode, true, out8.data());
                       }});
  }
  for (int size : {8, 16, 32}) {
    const std::string s = std::to_string(size);
    cases.push_back({"sad" + s, [size](const Primitives &p) {
                       p.sad(pix.data(), 80, pix2.data(), 80, size, size);
                     }});
    cases.push_back({"satd" + s, [size](const Primitives &p) {
                       p.satd(pix.data(), 80, pix2.data(), 80, size, size);
                     }});
    cases.push_back({"sse" + s, [size](const Primitives &p) {
                       p.sse(pix.data(), 80, pix2.data(), 80, size, size);
                     }});
  }
  for (int size : {8, 16, 32}) {
    const std::string s = std::to_string(size);
    cases.push_back({"interp_luma" + s, [size](const Primitives &p) {
                       p.interp_luma(pix.data() + 3 * 80 + 3, 80, out8.data(), size, size, size, 2,
                                     1);
                     }});
    cases.push_back({"interp_chroma" + s, [size](const Primitives &p) {
                       p.interp_chroma(pix.data() + 80 + 1, 80, out8.data(), size / 2, size / 2,
                                       size / 2, 3, 5);
                     }});
    cases.push_back({"avg_bipred" + s, [size](const Primitives &p) {
                       p.avg_bipred(a.data(), size, b.data(), size, out8.data(), size, size, size);
                     }});
  }
  // An edge of 16 segments (a vertical edge down a CTU row of 64), each
  // segment filtered; its 8 x 64 samples restored before each call.
  static std::vector<uint8_t> edge(8 * 64), vertical_source(8 * 64), horizontal_source(8 * 64);
  static std::vector<quad::hevc::LumaEdgeSegment> segments(16);
  for (auto &s : segments)
    s = {static_cast<uint8_t>(uniform(1, 12)), static_cast<uint8_t>(uniform(30, 64)), false, false};
  fill_edge_lines(vertical_source.data() + 4, 1, 8, 64);
  fill_edge_lines(horizontal_source.data() + 4 * 64, 64, 1, 64);
  cases.push_back({"deblock_luma_ver", [](const Primitives &p) {
                     edge = vertical_source;
                     p.deblock_luma[0](edge.data() + 4, 8, segments.data(), 16);
                   }});
  cases.push_back({"deblock_luma_hor", [](const Primitives &p) {
                     edge = horizontal_source;
                     p.deblock_luma[1](edge.data() + 4 * 64, 64, segments.data(), 16);
                   }});
  return cases;
}

void bench(const std::vector<Primitives> &all) {
  std::printf("%-18s %-10s %10s %8s\n", "primitive", "target", "ns/call", "speed-up");
  for (const BenchCase &c : bench_cases()) {
    const double ref_ns = time_ns([&] { c.run(all[0]); });
    std::printf("%-18s %-10s %10.1f %8s\n", c.name.c_str(), all[0].name, ref_ns, "1.00x");
    for (size_t t = 1; t < all.size(); ++t) {
      const double ns = time_ns([&] { c.run(all[t]); });
      std::printf("%-18s %-10s %10.1f %7.2fx\n", c.name.c_str(), all[t].name, ns, ref_ns / ns);
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  bool run_bench = false;
  unsigned seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bench") == 0) {
      run_bench = true;
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--bench]\n", argv[0]);
      return 2;
    }
  }
  rng.seed(seed);

  const std::vector<Primitives> all = quad::hevc::all_primitives();
  const Primitives &ref = all[0];
  std::printf("checkasm: seed %u, targets:", seed);
  for (const Primitives &p : all)
    std::printf(" %s", p.name);
  std::printf(" (in use: %s)\n", quad::hevc::primitives().name);
  // The reference against itself too: it runs under the guard pages.
  for (const Primitives &p : all) {
    check_transforms(ref, p);
    check_quant(ref, p);
    check_intra(ref, p);
    check_avg_bipred(ref, p);
    check_interp_chroma(ref, p);
    check_residual(ref, p);
    check_deblock(ref, p);
  }
  if (failures > 0) {
    std::printf("checkasm: %d mismatches\n", failures);
    return 1;
  }
  std::printf("checkasm: every primitive of every target equals the reference\n");
  if (run_bench)
    bench(all);
  return 0;
}
