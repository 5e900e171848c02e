#include "md5.h"

#include <algorithm>
#include <cstring>

namespace quad::hevc {
namespace {

// RFC 1321 3.4: per-round shift amounts and the sine-derived constants T[i].
constexpr int kShift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

inline uint32_t rotl(uint32_t x, int c) {
  return (x << c) | (x >> (32 - c));
}

inline uint32_t load_le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline void store_le32(uint32_t v, uint8_t *p) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// RFC 1321 3.4 on one block of each of N messages, the N step chains
// interleaved.
template <int N> void process_blocks(uint32_t *const state[N], const uint8_t *const block[N]) {
  uint32_t m[N][16];
  uint32_t a[N], b[N], c[N], d[N];
  for (int k = 0; k < N; ++k) {
    for (int i = 0; i < 16; ++i)
      m[k][i] = load_le32(block[k] + 4 * i);
    a[k] = state[k][0];
    b[k] = state[k][1];
    c[k] = state[k][2];
    d[k] = state[k][3];
  }
  // Four rounds of sixteen steps; one loop per round so each unrolls with
  // its function, message index and shift known. The round function's
  // value depends on the previous step; it is added last so the other
  // terms are summed while that step completes.
  auto step = [&](int k, uint32_t f, int i, int g) {
    const uint32_t next = b[k] + rotl(f + (a[k] + (kSine[i] + m[k][g])), kShift[i]);
    a[k] = d[k];
    d[k] = c[k];
    c[k] = b[k];
    b[k] = next;
  };
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i)
    for (int k = 0; k < N; ++k)
      step(k, d[k] ^ (b[k] & (c[k] ^ d[k])), i, i);
#pragma GCC unroll 16
  for (int i = 16; i < 32; ++i)
    for (int k = 0; k < N; ++k)
      // G = (b & d) | (c & ~d): the terms share no bit, so they may be
      // added, and c & ~d does not wait for b.
      step(k, (b[k] & d[k]) + (c[k] & ~d[k]), i, (5 * i + 1) & 15);
#pragma GCC unroll 16
  for (int i = 32; i < 48; ++i)
    for (int k = 0; k < N; ++k)
      step(k, b[k] ^ c[k] ^ d[k], i, (3 * i + 5) & 15);
#pragma GCC unroll 16
  for (int i = 48; i < 64; ++i)
    for (int k = 0; k < N; ++k)
      step(k, c[k] ^ (b[k] | ~d[k]), i, (7 * i) & 15);
  for (int k = 0; k < N; ++k) {
    state[k][0] += a[k];
    state[k][1] += b[k];
    state[k][2] += c[k];
    state[k][3] += d[k];
  }
}

} // namespace

Md5::Md5() {
  reset();
}

void Md5::reset() {
  // RFC 1321 3.3: initial buffer.
  state_[0] = 0x67452301;
  state_[1] = 0xefcdab89;
  state_[2] = 0x98badcfe;
  state_[3] = 0x10325476;
  length_ = 0;
}

void Md5::begin_update(const uint8_t *&data, size_t &size) {
  const size_t used = static_cast<size_t>(length_ & 63);
  length_ += size;
  if (used == 0)
    return;
  const size_t take = std::min<size_t>(64 - used, size);
  std::memcpy(buffer_ + used, data, take);
  data += take;
  size -= take;
  if (used + take < 64)
    return;
  uint32_t *const state[1] = {state_};
  const uint8_t *const block[1] = {buffer_};
  process_blocks<1>(state, block);
}

void Md5::update(const uint8_t *data, size_t size) {
  begin_update(data, size);
  uint32_t *const state[1] = {state_};
  for (; size >= 64; data += 64, size -= 64) {
    const uint8_t *const block[1] = {data};
    process_blocks<1>(state, block);
  }
  if (size != 0)
    std::memcpy(buffer_, data, size);
}

void Md5::update3(Md5 md5[3], const uint8_t *const data_in[3], const size_t size_in[3]) {
  const uint8_t *data[3];
  size_t size[3];
  for (int k = 0; k < 3; ++k) {
    data[k] = data_in[k];
    size[k] = size_in[k];
    md5[k].begin_update(data[k], size[k]);
  }
  // Whole blocks: three at once while each message has one, then two,
  // then one.
  for (;;) {
    int live[3];
    int n = 0;
    for (int k = 0; k < 3; ++k)
      if (size[k] >= 64)
        live[n++] = k;
    if (n == 0)
      break;
    uint32_t *state[3];
    const uint8_t *block[3];
    for (int j = 0; j < n; ++j) {
      state[j] = md5[live[j]].state_;
      block[j] = data[live[j]];
    }
    if (n == 3)
      process_blocks<3>(state, block);
    else if (n == 2)
      process_blocks<2>(state, block);
    else
      process_blocks<1>(state, block);
    for (int j = 0; j < n; ++j) {
      data[live[j]] += 64;
      size[live[j]] -= 64;
    }
  }
  for (int k = 0; k < 3; ++k)
    if (size[k] != 0)
      std::memcpy(md5[k].buffer_, data[k], size[k]);
}

void Md5::finish(uint8_t digest[16]) {
  // RFC 1321 3.1-3.2: a 1 bit, zeros to 56 mod 64 bytes, the bit length.
  const uint64_t bit_length = length_ * 8;
  uint8_t pad[72] = {0x80};
  const size_t used = static_cast<size_t>(length_ & 63);
  const size_t pad_size = (used < 56 ? 56 : 120) - used;
  uint8_t length_bytes[8];
  for (int i = 0; i < 8; ++i)
    length_bytes[i] = static_cast<uint8_t>(bit_length >> (8 * i));
  update(pad, pad_size);
  update(length_bytes, 8);
  for (int i = 0; i < 4; ++i)
    store_le32(state_[i], digest + 4 * i);
  reset();
}

void md5_bytes(const uint8_t *data, size_t size, uint8_t digest[16]) {
  Md5 md5;
  md5.update(data, size);
  md5.finish(digest);
}

void md5_plane(const uint8_t *plane, ptrdiff_t stride, int width, int height, uint8_t digest[16]) {
  Md5 md5;
  for (int y = 0; y < height; ++y)
    md5.update(plane + y * stride, static_cast<size_t>(width));
  md5.finish(digest);
}

} // namespace quad::hevc
