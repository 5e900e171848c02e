#include "picture_checksum.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace quad::hevc {

namespace {

// 0, 1, .., 255: x & 0xFF for the 256 samples that share x >> 8.
constexpr std::array<uint8_t, 256> kLowByte = [] {
  std::array<uint8_t, 256> a{};
  for (int i = 0; i < 256; ++i)
    a[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  return a;
}();

uint64_t load64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

} // namespace

uint32_t checksum_rows(const uint8_t *plane, ptrdiff_t stride, int width, int y_begin, int y_end) {
  constexpr uint64_t kEvenBytes = 0x00ff00ff00ff00ffull;
  uint32_t sum = 0;
  for (int y = y_begin; y < y_end; ++y) {
    const uint8_t *row = plane + y * stride;
    const int row_mask = (y & 0xff) ^ (y >> 8);
    // 256 samples at a time, 8 per step: each step adds at most 2 * 255 to
    // four 16-bit lanes, so 32 steps and the four lanes' total fit in 16 bits.
    for (int x0 = 0; x0 < width; x0 += 256) {
      const int mask = row_mask ^ (x0 >> 8);
      const uint64_t high = 0x0101010101010101ull * static_cast<uint64_t>(mask);
      const int n = std::min(256, width - x0);
      uint64_t lanes = 0;
      int i = 0;
      for (; i + 8 <= n; i += 8) {
        const uint64_t v = load64(row + x0 + i) ^ load64(kLowByte.data() + i) ^ high;
        lanes += (v & kEvenBytes) + ((v >> 8) & kEvenBytes);
      }
      sum += static_cast<uint32_t>((lanes * 0x0001000100010001ull) >> 48);
      for (; i < n; ++i)
        sum += static_cast<uint32_t>(row[x0 + i] ^ i ^ mask);
    }
  }
  return sum;
}

} // namespace quad::hevc
