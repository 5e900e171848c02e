// Every kernel of every compiled target against the scalar reference, in the
// manner of dav1d's checkasm: random and edge-case input, every block size,
// unaligned pointers, odd strides, and a guard page right after the last row
// so that a read past the block faults instead of passing by luck.
//
// A new kernel with the (a, a_stride, b, b_stride, w, h) shape needs one
// MetricCase and one TEST_P line; other shapes follow CheckCopyPlane.
#include "dsp/dsp.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace quad::dsp {

// Lets GoogleTest name a kernel table by its target in failure messages.
void PrintTo(const Kernels &kernels, std::ostream *os) {
  *os << kernels.name;
}

namespace {

// Where a block starts, in bytes past a 64-byte boundary; kAtGuard puts its
// last byte right before an inaccessible page instead, so that a read past
// the block faults rather than passing by luck.
constexpr int kAtGuard = -1;

class GuardedBuffer {
public:
  GuardedBuffer(size_t size, int align) : size_(size) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (size + 64 + page_ - 1) / page_ * page_ + page_;
    void *p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::abort();
    }
    base_ = static_cast<uint8_t *>(p);
    if (mprotect(base_ + mapped_ - page_, page_, PROT_NONE) != 0) {
      std::abort();
    }
    data_ = base_ + mapped_ - page_ - size;
    if (align != kAtGuard) {
      data_ -= (reinterpret_cast<uintptr_t>(data_) - static_cast<uintptr_t>(align)) % 64;
    }
  }
  ~GuardedBuffer() { munmap(base_, mapped_); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  uint8_t *data() { return data_; }
  size_t size() const { return size_; }

private:
  size_t size_;
  size_t page_ = 0;
  size_t mapped_ = 0;
  uint8_t *base_ = nullptr;
  uint8_t *data_ = nullptr;
};

// A w x h block with the given stride and start. Bytes between rows hold
// noise a kernel must ignore.
struct Block {
  Block(int w, int h, ptrdiff_t stride, int align, std::mt19937 &rng)
      : buffer(static_cast<size_t>(stride) * (h - 1) + w, align), stride(stride), w(w), h(h) {
    data = buffer.data();
    for (size_t i = 0; i < buffer.size(); ++i) {
      data[i] = static_cast<uint8_t>(rng());
    }
  }
  uint8_t &at(int x, int y) { return data[y * stride + x]; }

  GuardedBuffer buffer;
  uint8_t *data = nullptr;
  ptrdiff_t stride;
  int w;
  int h;
};

// "address%64/stride", to reproduce a failure.
std::string Where(const Block &block) {
  return std::to_string(reinterpret_cast<uintptr_t>(block.data) % 64) + "/" +
         std::to_string(block.stride);
}

struct Size {
  int w;
  int h;
};

// Where the two blocks lie: start (see kAtGuard) and bytes of row padding.
struct Layout {
  int a_align;
  int b_align;
  int a_pad;
  int b_pad;
};

constexpr Layout kLayouts[] = {
    {kAtGuard, kAtGuard, 0, 0}, // tight rows
    {kAtGuard, kAtGuard, 1, 5}, // odd strides
    {0, 0, 64, 32},             // aligned
    {1, 7, 17, 3},              // odd addresses and strides
    {63, 33, 0, 13},
};

// How a pair of blocks is filled. Besides random data, the extremes that
// overflow narrow accumulators: maximal differences everywhere, and for
// SATD each Walsh basis pattern at full amplitude, which drives a single
// transform coefficient to its largest value.
struct Pattern {
  std::string name;
  std::function<void(Block &, Block &, std::mt19937 &)> fill;
};

std::vector<Pattern> Patterns() {
  std::vector<Pattern> list;
  auto each = [](Block &a, Block &b, auto pixel) {
    for (int y = 0; y < a.h; ++y) {
      for (int x = 0; x < a.w; ++x) {
        pixel(x, y, a.at(x, y), b.at(x, y));
      }
    }
  };
  for (int seed = 0; seed < 4; ++seed) {
    list.push_back({"random" + std::to_string(seed), [each](Block &a, Block &b, std::mt19937 &rng) {
                      each(a, b, [&](int, int, uint8_t &pa, uint8_t &pb) {
                        pa = static_cast<uint8_t>(rng());
                        pb = static_cast<uint8_t>(rng());
                      });
                    }});
  }
  list.push_back({"near", [each](Block &a, Block &b, std::mt19937 &rng) {
                    each(a, b, [&](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = static_cast<uint8_t>(rng());
                      pb = static_cast<uint8_t>(
                          std::clamp(pa + static_cast<int>(rng() % 9) - 4, 0, 255));
                    });
                  }});
  list.push_back({"zero", [each](Block &a, Block &b, std::mt19937 &) {
                    each(a, b, [](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = 0;
                      pb = 0;
                    });
                  }});
  list.push_back({"all255", [each](Block &a, Block &b, std::mt19937 &) {
                    each(a, b, [](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = 255;
                      pb = 255;
                    });
                  }});
  list.push_back({"255-0", [each](Block &a, Block &b, std::mt19937 &) {
                    each(a, b, [](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = 255;
                      pb = 0;
                    });
                  }});
  list.push_back({"0-255", [each](Block &a, Block &b, std::mt19937 &) {
                    each(a, b, [](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = 0;
                      pb = 255;
                    });
                  }});
  list.push_back({"random0/255", [each](Block &a, Block &b, std::mt19937 &rng) {
                    each(a, b, [&](int, int, uint8_t &pa, uint8_t &pb) {
                      pa = (rng() & 1) ? 255 : 0;
                      pb = 255 - pa;
                    });
                  }});
  for (int v = 0; v < 8; ++v) {
    for (int u = 0; u < 8; ++u) {
      list.push_back({"walsh" + std::to_string(u) + std::to_string(v),
                      [each, u, v](Block &a, Block &b, std::mt19937 &) {
                        each(a, b, [&](int x, int y, uint8_t &pa, uint8_t &pb) {
                          const int bits = std::popcount(static_cast<unsigned>(x & u)) +
                                           std::popcount(static_cast<unsigned>(y & v));
                          pa = (bits & 1) ? 0 : 255;
                          pb = 255 - pa;
                        });
                      }});
    }
  }
  return list;
}

std::vector<Size> BlockSizes() {
  std::vector<Size> sizes;
  for (int h : {4, 8, 16, 32, 64}) {
    for (int w : {4, 8, 16, 32, 64}) {
      sizes.push_back({w, h});
    }
  }
  return sizes;
}

// Any w, h >= 1, including the vector-width boundaries of every target and
// a frame large enough to make the SSE accumulators flush.
std::vector<Size> AnySizes() {
  std::vector<Size> sizes = BlockSizes();
  for (int w : {1,  2,  3,  4,  5,  7,  8,  9,  12, 15,  16,  17,
                24, 31, 32, 33, 47, 63, 64, 65, 96, 127, 129, 200}) {
    for (int h : {1, 2, 3, 7, 16, 68}) {
      sizes.push_back({w, h});
    }
  }
  sizes.push_back({1920, 1088});
  sizes.push_back({63, 9000});
  return sizes;
}

template <class Fn> struct MetricCase {
  const char *name;
  Fn Kernels::*member;
  std::vector<Size> sizes;
};

const MetricCase<SadFn> kSad{"sad", &Kernels::sad, BlockSizes()};
const MetricCase<SatdFn> kSatd{"satd", &Kernels::satd, BlockSizes()};
const MetricCase<SseFn> kSse{"sse", &Kernels::sse, AnySizes()};

// Runs one kernel of `test` and of the reference on every size, pattern and
// layout; returns a line per mismatch (empty when all agree).
template <class Fn>
std::vector<std::string> CompareMetric(const Kernels &test, const MetricCase<Fn> &c) {
  const Fn ref_fn = reference_kernels().*c.member;
  const Fn test_fn = test.*c.member;
  const std::vector<Pattern> patterns = Patterns();
  std::vector<std::string> mismatches;
  std::mt19937 rng(1234);
  for (const Size &size : c.sizes) {
    const bool large = size.w * size.h > 64 * 64;
    for (const Layout &layout : kLayouts) {
      Block a(size.w, size.h, size.w + layout.a_pad, layout.a_align, rng);
      Block b(size.w, size.h, size.w + layout.b_pad, layout.b_align, rng);
      for (const Pattern &pattern : patterns) {
        // Big frames only need a few patterns to reach the flush paths.
        if (large && pattern.name != "random0" && pattern.name != "255-0") {
          continue;
        }
        pattern.fill(a, b, rng);
        const auto want = ref_fn(a.data, a.stride, b.data, b.stride, a.w, a.h);
        const auto got = test_fn(a.data, a.stride, b.data, b.stride, a.w, a.h);
        if (got != want) {
          std::ostringstream line;
          line << test.name << " " << c.name << " " << size.w << "x" << size.h << " pattern "
               << pattern.name << " a " << Where(a) << " b " << Where(b) << ": got " << got
               << ", want " << want;
          mismatches.push_back(line.str());
        }
      }
    }
  }
  return mismatches;
}

// sad_x4 against four reference SADs: the candidates lie in one area of
// (w + 3) x (h + 3) samples at (0, 0), (1, 0), (2, 1) and (3, 3), so they
// overlap, start at odd addresses, and the last one ends where the area
// does (right before the guard page in the kAtGuard layouts). The pattern
// fills a and the first candidate.
std::vector<std::string> CompareSadX4(const Kernels &test) {
  const std::vector<Pattern> patterns = Patterns();
  std::vector<std::string> mismatches;
  std::mt19937 rng(4321);
  for (const Size &size : BlockSizes()) {
    for (const Layout &layout : kLayouts) {
      Block a(size.w, size.h, size.w + layout.a_pad, layout.a_align, rng);
      Block area(size.w + 3, size.h + 3, size.w + 3 + layout.b_pad, layout.b_align, rng);
      const ptrdiff_t s = area.stride;
      const uint8_t *const b[4] = {area.data, area.data + 1, area.data + s + 2,
                                   area.data + 3 * s + 3};
      for (const Pattern &pattern : patterns) {
        pattern.fill(a, area, rng);
        uint32_t got[4] = {};
        test.sad_x4(a.data, a.stride, b, s, size.w, size.h, got);
        for (int i = 0; i < 4; ++i) {
          const uint32_t want = reference_kernels().sad(a.data, a.stride, b[i], s, size.w, size.h);
          if (got[i] != want) {
            std::ostringstream line;
            line << test.name << " sad_x4 " << size.w << "x" << size.h << " pattern "
                 << pattern.name << " candidate " << i << " a " << Where(a) << " area "
                 << Where(area) << ": got " << got[i] << ", want " << want;
            mismatches.push_back(line.str());
          }
        }
      }
    }
  }
  return mismatches;
}

// Reports at most a screenful of mismatches, and how many there were.
void Report(const std::vector<std::string> &mismatches) {
  constexpr size_t kShown = 20;
  for (size_t i = 0; i < mismatches.size() && i < kShown; ++i) {
    ADD_FAILURE() << mismatches[i];
  }
  if (mismatches.size() > kShown) {
    ADD_FAILURE() << mismatches.size() << " mismatches in all";
  }
}

// Copies with the test and the reference kernel into destinations with the
// same noise, then compares the destinations whole: a write outside the
// rectangle shows up as well as a wrong byte inside it.
std::vector<std::string> CompareCopyPlane(const Kernels &test) {
  std::vector<std::string> mismatches;
  std::mt19937 rng(99);
  for (int width : {0,  1,  2,  3,  4,   7,   8,   15,  16,  17,  31,  32,
                    33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 1920}) {
    for (int height : {1, 2, 3, 17}) {
      for (const Layout &layout : kLayouts) {
        Block src(width, height, width + layout.a_pad, layout.a_align, rng);
        Block want(width, height, width + layout.b_pad, layout.b_align, rng);
        Block got(width, height, width + layout.b_pad, layout.b_align, rng);
        std::memcpy(got.buffer.data(), want.buffer.data(), want.buffer.size());
        reference_kernels().copy_plane(want.data, want.stride, src.data, src.stride, width, height);
        test.copy_plane(got.data, got.stride, src.data, src.stride, width, height);
        if (std::memcmp(got.buffer.data(), want.buffer.data(), want.buffer.size()) != 0) {
          std::ostringstream line;
          line << test.name << " copy_plane " << width << "x" << height << " src " << Where(src)
               << " dst " << Where(got) << ": destination differs";
          mismatches.push_back(line.str());
        }
      }
    }
  }
  return mismatches;
}

class KernelTest : public ::testing::TestWithParam<Kernels> {};

TEST_P(KernelTest, Sad) {
  Report(CompareMetric(GetParam(), kSad));
}
TEST_P(KernelTest, Satd) {
  Report(CompareMetric(GetParam(), kSatd));
}
TEST_P(KernelTest, Sse) {
  Report(CompareMetric(GetParam(), kSse));
}
TEST_P(KernelTest, SadX4) {
  Report(CompareSadX4(GetParam()));
}
TEST_P(KernelTest, CopyPlane) {
  Report(CompareCopyPlane(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Targets, KernelTest, ::testing::ValuesIn(all_kernels()),
                         [](const ::testing::TestParamInfo<Kernels> &info) {
                           return std::string(info.param.name);
                         });

// The harness itself must catch a kernel that is wrong for one size only.
uint32_t SadWrongAt32x8(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                        int w, int h) {
  const uint32_t sad = reference_kernels().sad(a, a_stride, b, b_stride, w, h);
  return (w == 32 && h == 8) ? sad + 1 : sad;
}

TEST(Harness, CatchesAKernelWrongForOneSize) {
  Kernels broken = reference_kernels();
  broken.name = "broken";
  broken.sad = SadWrongAt32x8;
  const std::vector<std::string> mismatches = CompareMetric(broken, kSad);
  ASSERT_FALSE(mismatches.empty());
  for (const std::string &line : mismatches) {
    EXPECT_NE(line.find("broken sad 32x8 "), std::string::npos) << line;
  }
}

// The reference against the definition written as matrices: SATD is the sum
// of |H D H^T| over n x n blocks, with H[i][j] = (-1)^popcount(i & j).
uint32_t SatdByMatrices(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                        int w, int h) {
  const int n = (w % 8 == 0 && h % 8 == 0) ? 8 : 4;
  auto hadamard = [](int i, int j) {
    return (std::popcount(static_cast<unsigned>(i & j)) & 1) ? -1 : 1;
  };
  uint32_t sum = 0;
  for (int by = 0; by < h; by += n) {
    for (int bx = 0; bx < w; bx += n) {
      for (int u = 0; u < n; ++u) {
        for (int v = 0; v < n; ++v) {
          int coeff = 0;
          for (int y = 0; y < n; ++y) {
            for (int x = 0; x < n; ++x) {
              const int d = a[(by + y) * a_stride + bx + x] - b[(by + y) * b_stride + bx + x];
              coeff += hadamard(v, y) * d * hadamard(u, x);
            }
          }
          sum += static_cast<uint32_t>(std::abs(coeff));
        }
      }
    }
  }
  return sum;
}

TEST(Reference, SatdIsTheSumOfHadamardCoefficients) {
  std::mt19937 rng(7);
  const std::vector<Pattern> patterns = Patterns();
  for (const Size &size : BlockSizes()) {
    Block a(size.w, size.h, size.w + 3, 1, rng);
    Block b(size.w, size.h, size.w, 0, rng);
    for (const Pattern &pattern : patterns) {
      pattern.fill(a, b, rng);
      EXPECT_EQ(reference_kernels().satd(a.data, a.stride, b.data, b.stride, a.w, a.h),
                SatdByMatrices(a.data, a.stride, b.data, b.stride, a.w, a.h))
          << size.w << "x" << size.h << " " << pattern.name;
    }
  }
}

TEST(Reference, KnownValues) {
  std::mt19937 rng(3);
  Block a(16, 16, 16, 0, rng);
  Block b(16, 16, 16, 0, rng);
  const Kernels &ref = reference_kernels();
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      a.at(x, y) = 200;
      b.at(x, y) = 197;
    }
  }
  EXPECT_EQ(ref.sad(a.data, 16, b.data, 16, 16, 16), 3u * 256);
  EXPECT_EQ(ref.sse(a.data, 16, b.data, 16, 16, 16), 9u * 256);
  // A flat difference has only a DC coefficient: n * n * 3 per block.
  EXPECT_EQ(ref.satd(a.data, 16, b.data, 16, 16, 16), 3u * 256);
  EXPECT_EQ(ref.satd(a.data, 16, b.data, 16, 4, 4), 3u * 16);
  // One differing sample excites every coefficient with magnitude 1.
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      b.at(x, y) = (x == 1 && y == 0) ? 201 : 200;
    }
  }
  EXPECT_EQ(ref.satd(a.data, 16, b.data, 16, 8, 8), 64u);
  EXPECT_EQ(ref.satd(a.data, 16, b.data, 16, 4, 4), 16u);
  EXPECT_EQ(ref.satd(a.data, 16, b.data, 16, 8, 4), 16u);
  EXPECT_EQ(ref.sad(a.data, 16, b.data, 16, 8, 8), 1u);
  EXPECT_EQ(std::string(ref.name), "scalar");
}

TEST(Dispatch, BestKernelsAreAmongAllKernels) {
  const std::vector<Kernels> all = all_kernels();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].sad, reference_kernels().sad);
  const Kernels &best = kernels();
  EXPECT_EQ(&best, &kernels()) << "chosen once";
  const bool listed = std::any_of(all.begin(), all.end(), [&](const Kernels &k) {
    return k.sad == best.sad && k.satd == best.satd && k.sse == best.sse &&
           k.copy_plane == best.copy_plane && std::string(k.name) == best.name;
  });
  EXPECT_TRUE(listed) << best.name;
  std::cout << "targets:";
  for (const Kernels &k : all) {
    std::cout << " " << k.name;
  }
  std::cout << "; best: " << best.name << "\n";
}

} // namespace
} // namespace quad::dsp
