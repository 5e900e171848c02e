// Bit-level writers: an RBSP bit writer (H.265 7.2 descriptors u(n), ue(v),
// se(v)) and the Annex B byte stream with emulation prevention (7.4.2).
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::hevc {

// H.265 Table 7-1: the NAL unit types this encoder writes.
enum class NalUnitType : uint8_t {
  TrailR = 1,
  IdrWRadl = 19,
  IdrNLp = 20,
  Vps = 32,
  Sps = 33,
  Pps = 34,
  FillerData = 38,
  PrefixSei = 39,
  SuffixSei = 40,
};

// Appends bits MSB first to a growing byte vector. The vector is kept across
// pictures so that writing allocates only while it grows.
class BitWriter {
public:
  void clear() {
    bytes_.clear();
    cache_ = 0;
    cache_bits_ = 0;
  }

  // u(n) for n in 0..32.
  void put_bits(uint32_t value, int n) {
    if (n == 0)
      return;
    if (n > 24) {
      put_bits(value >> 16, n - 16);
      put_bits(value & 0xffff, 16);
      return;
    }
    cache_ = (cache_ << n) | (value & ((1u << n) - 1));
    cache_bits_ += n;
    while (cache_bits_ >= 8) {
      cache_bits_ -= 8;
      bytes_.push_back(static_cast<uint8_t>(cache_ >> cache_bits_));
    }
  }
  void put_flag(bool flag) { put_bits(flag ? 1 : 0, 1); }

  // ue(v): 9.2 Exp-Golomb.
  void put_ue(uint32_t value) {
    const uint64_t code = static_cast<uint64_t>(value) + 1;
    int len = 0;
    while ((code >> len) > 1)
      ++len;
    put_bits(0, len);
    if (len + 1 > 32) {
      put_bits(static_cast<uint32_t>(code >> 32), len + 1 - 32);
      put_bits(static_cast<uint32_t>(code), 32);
    } else {
      put_bits(static_cast<uint32_t>(code), len + 1);
    }
  }
  // se(v): 9.2.2 mapping k > 0 -> 2k - 1, k <= 0 -> -2k.
  void put_se(int32_t value) {
    put_ue(value > 0 ? 2u * static_cast<uint32_t>(value) - 1 : 2u * static_cast<uint32_t>(-value));
  }

  bool byte_aligned() const { return cache_bits_ == 0; }
  // 7.3.2.11 rbsp_trailing_bits(): a one bit, then zero bits to alignment.
  void put_trailing_bits() {
    put_bits(1, 1);
    align_zero();
  }
  // 7.3.2.12 byte_alignment(): alignment_bit_equal_to_one, then zeros.
  void put_byte_alignment() { put_trailing_bits(); }
  void align_zero() {
    if (cache_bits_ > 0)
      put_bits(0, 8 - cache_bits_);
  }
  // Whole bytes, when aligned.
  void put_byte(uint8_t byte) { put_bits(byte, 8); }

  size_t bit_count() const { return bytes_.size() * 8 + cache_bits_; }
  const std::vector<uint8_t> &bytes() const { return bytes_; }
  std::vector<uint8_t> &bytes() { return bytes_; }

private:
  std::vector<uint8_t> bytes_;
  uint32_t cache_ = 0;
  int cache_bits_ = 0;
};

// The emulation_prevention_three_bytes append_nal_unit() inserts into rbsp
// (after a byte that is not zero).
size_t emulation_prevention_bytes(const std::vector<uint8_t> &rbsp);

// Appends one NAL unit in Annex B form to out: a four-byte start code, the
// two-byte NAL unit header (7.3.1.2) and the RBSP with emulation prevention
// bytes inserted (7.4.2: no 0x000000..0x000003 inside the payload).
void append_nal_unit(std::vector<uint8_t> &out, NalUnitType type, const std::vector<uint8_t> &rbsp,
                     int temporal_id = 0);

} // namespace quad::hevc
