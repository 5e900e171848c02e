// H.265 luma interpolation: every compiled SIMD target against the scalar
// reference on random and extreme input, every width and phase, with the
// last sample the filter may read placed right before an inaccessible page;
// and the reference itself against hand-computed values of the standard.
#include "dsp/interp.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace quad::dsp {
namespace {

// A source area of (w + 7) x (h + 7) samples whose last byte sits right
// before a PROT_NONE page, so a read past what the filter needs faults.
class GuardedSource {
public:
  GuardedSource(int w, int h, ptrdiff_t stride) : stride_(stride) {
    const size_t bytes = static_cast<size_t>(stride) * static_cast<size_t>(h + 6) + w + 7;
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (bytes + page_ - 1) / page_ * page_ + page_;
    void *p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::abort();
    }
    base_ = static_cast<uint8_t *>(p);
    if (mprotect(base_ + mapped_ - page_, page_, PROT_NONE) != 0) {
      std::abort();
    }
    area_ = base_ + mapped_ - page_ - bytes;
    size_ = bytes;
  }
  ~GuardedSource() { munmap(base_, mapped_); }
  GuardedSource(const GuardedSource &) = delete;
  GuardedSource &operator=(const GuardedSource &) = delete;

  uint8_t *area() { return area_; }
  size_t size() const { return size_; }
  // The block's top-left integer sample: 3 rows and 3 columns in.
  const uint8_t *block() const { return area_ + 3 * stride_ + 3; }
  ptrdiff_t stride() const { return stride_; }

private:
  ptrdiff_t stride_;
  size_t page_ = 0;
  size_t mapped_ = 0;
  size_t size_ = 0;
  uint8_t *base_ = nullptr;
  uint8_t *area_ = nullptr;
};

TEST(Interp, ReferenceMatchesTheStandard) {
  // A flat area predicts itself at every phase.
  std::vector<uint8_t> src(32 * 32, 77);
  uint8_t dst[8 * 8];
  for (int fy = 0; fy < 4; ++fy) {
    for (int fx = 0; fx < 4; ++fx) {
      reference_interp_kernels().luma(src.data() + 3 * 32 + 3, 32, dst, 8, 8, 8, fx, fy);
      for (uint8_t v : dst) {
        ASSERT_EQ(v, 77) << fx << "," << fy;
      }
    }
  }
  // One bright sample: the half-sample phase gives (40 * 200 + 32) >> 6 = 125
  // at the two positions beside it, the quarter phases 58 and 17 taps.
  std::vector<uint8_t> dot(32 * 32, 0);
  dot[10 * 32 + 10] = 200;
  const uint8_t *origin = dot.data() + 10 * 32 + 3; // x = 3 .. 10 of row 10
  reference_interp_kernels().luma(origin, 32, dst, 8, 8, 1, 2, 0);
  EXPECT_EQ(dst[6], 125); // x = 9.5 sees tap 4 on x = 10
  EXPECT_EQ(dst[7], 125); // x = 10.5 sees tap 3 on x = 10
  EXPECT_EQ(dst[5], 0);   // x = 8.5 sees tap -11 on x = 10: clipped
  reference_interp_kernels().luma(origin, 32, dst, 8, 8, 1, 1, 0);
  EXPECT_EQ(dst[7], (58 * 200 + 32) >> 6); // x = 10.25
  EXPECT_EQ(dst[6], (17 * 200 + 32) >> 6); // x = 9.25
}

struct InterpCase {
  InterpKernels kernels;
  int w;
};

class InterpTarget : public ::testing::TestWithParam<InterpCase> {};

TEST_P(InterpTarget, EqualsReference) {
  const InterpCase c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.w));
  for (int h : {1, 4, 7, 8, 16, 33, 64}) {
    for (int extreme = 0; extreme < 3; ++extreme) {
      for (int fy = 0; fy < 4; ++fy) {
        for (int fx = 0; fx < 4; ++fx) {
          GuardedSource src(c.w, h, c.w + 7 + (fx + fy) % 3);
          for (size_t i = 0; i < src.size(); ++i) {
            // Random, then alternating 0/255 columns and rows: the largest
            // positive and negative filter sums.
            src.area()[i] =
                extreme == 0 ? static_cast<uint8_t>(rng())
                : extreme == 1
                    ? static_cast<uint8_t>(
                          ((i % 2) ^ ((i / static_cast<size_t>(src.stride())) % 2)) * 255)
                    : static_cast<uint8_t>((i % 3 == 0) ? 255 : 0);
          }
          std::vector<uint8_t> want(static_cast<size_t>(64 * h), 1);
          std::vector<uint8_t> got(static_cast<size_t>(64 * h), 2);
          reference_interp_kernels().luma(src.block(), src.stride(), want.data(), 64, c.w, h, fx,
                                          fy);
          c.kernels.luma(src.block(), src.stride(), got.data(), 64, c.w, h, fx, fy);
          for (int y = 0; y < h; ++y) {
            for (int x = 0; x < c.w; ++x) {
              ASSERT_EQ(got[static_cast<size_t>(y * 64 + x)], want[static_cast<size_t>(y * 64 + x)])
                  << c.kernels.name << " w=" << c.w << " h=" << h << " phase " << fx << "," << fy
                  << " pattern " << extreme << " at " << x << "," << y;
            }
          }
        }
      }
    }
  }
}

std::vector<InterpCase> Cases() {
  std::vector<InterpCase> list;
  for (const InterpKernels &k : all_interp_kernels()) {
    for (int w : {4, 8, 16, 32, 64}) {
      list.push_back({k, w});
    }
  }
  return list;
}

INSTANTIATE_TEST_SUITE_P(AllTargets, InterpTarget, ::testing::ValuesIn(Cases()),
                         [](const auto &info) {
                           return std::string(info.param.kernels.name) + "_w" +
                                  std::to_string(info.param.w);
                         });

TEST(Interp, BestIsCompiledTarget) {
  EXPECT_STRNE(interp_kernels().name, "");
  EXPECT_GE(all_interp_kernels().size(), 1u);
}

} // namespace
} // namespace quad::dsp
