// Scalar reference kernels: the definitions every SIMD version must match bit
// for bit. Written for clarity, not speed.
#include "dsp/dsp.h"

#include <cstdlib>
#include <cstring>

namespace quad::dsp {
namespace {

uint32_t SadScalar(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                   int w, int h) {
  uint32_t sum = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      sum += static_cast<uint32_t>(std::abs(a[x] - b[x]));
    }
    a += a_stride;
    b += b_stride;
  }
  return sum;
}

void SadX4Scalar(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *const b[4],
                 ptrdiff_t b_stride, int w, int h, uint32_t sads[4]) {
  for (int i = 0; i < 4; ++i) {
    sads[i] = SadScalar(a, a_stride, b[i], b_stride, w, h);
  }
}

// In-place unnormalised Walsh-Hadamard transform of n values (n a power of
// two) spaced step apart, in natural order. The order of the outputs does not
// matter to SATD, which only sums their magnitudes.
void Hadamard(int *v, int n, int step) {
  for (int half = 1; half < n; half *= 2) {
    for (int i = 0; i < n; i += 2 * half) {
      for (int j = i; j < i + half; ++j) {
        const int x = v[j * step];
        const int y = v[(j + half) * step];
        v[j * step] = x + y;
        v[(j + half) * step] = x - y;
      }
    }
  }
}

// Sum of |H D H^T| for one n x n block of differences D, n = 4 or 8.
uint32_t SatdBlock(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                   int n) {
  int d[8 * 8];
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      d[y * n + x] = a[y * a_stride + x] - b[y * b_stride + x];
    }
  }
  for (int y = 0; y < n; ++y) {
    Hadamard(d + y * n, n, 1);
  }
  for (int x = 0; x < n; ++x) {
    Hadamard(d + x, n, n);
  }
  uint32_t sum = 0;
  for (int i = 0; i < n * n; ++i) {
    sum += static_cast<uint32_t>(std::abs(d[i]));
  }
  return sum;
}

uint32_t SatdScalar(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                    int w, int h) {
  const int n = (w % 8 == 0 && h % 8 == 0) ? 8 : 4;
  uint32_t sum = 0;
  for (int y = 0; y < h; y += n) {
    for (int x = 0; x < w; x += n) {
      sum += SatdBlock(a + y * a_stride + x, a_stride, b + y * b_stride + x, b_stride, n);
    }
  }
  return sum;
}

uint64_t SseScalar(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                   int w, int h) {
  uint64_t sum = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int d = a[x] - b[x];
      sum += static_cast<uint64_t>(d * d);
    }
    a += a_stride;
    b += b_stride;
  }
  return sum;
}

void CopyPlaneScalar(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src, ptrdiff_t src_stride,
                     int width, int height) {
  if (width <= 0) {
    return;
  }
  for (int y = 0; y < height; ++y) {
    std::memcpy(dst, src, static_cast<size_t>(width));
    dst += dst_stride;
    src += src_stride;
  }
}

} // namespace

const Kernels &reference_kernels() {
  static constexpr Kernels kReference = {"scalar",  SadScalar,       SatdScalar,
                                         SseScalar, CopyPlaneScalar, SadX4Scalar};
  return kReference;
}

} // namespace quad::dsp
