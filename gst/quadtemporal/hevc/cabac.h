// CABAC arithmetic coding (H.265 9.3.4.3 and the encoder side of 9.3.5):
// CabacWriter produces the slice data bits; CabacBitCounter has the same
// interface but only adds up the cost of each bin from the context state in
// fractional bits, which is how mode decision measures rate. The syntax
// writer is a template over either. GStreamer-free.
#pragma once

#include <cstdint>

#include "bit_writer.h"
#include "contexts.h"

namespace quad::hevc {

// Rates are counted in 1/32768 bit.
inline constexpr int kFracBitsShift = 15;
inline constexpr uint32_t kFracBitsPerBit = 1u << kFracBitsShift;

namespace cabac_tables {
// 9.3.4.3.2, Table 9-46: rangeTabLps[pStateIdx][qRangeIdx].
extern const uint8_t kRangeTabLps[64][4];
// Table 9-47 applied to the (pStateIdx << 1) | valMps state byte.
extern const uint8_t kNextStateMps[128];
extern const uint8_t kNextStateLps[128];
// Cost of coding a bin: kEntropyBits[state ^ bin], in 1/32768 bit (state's
// low bit is valMps, so index bit 0 is set for the LPS).
extern const uint32_t kEntropyBits[128];
} // namespace cabac_tables

class CabacWriter {
public:
  ContextSet contexts;

  // 9.3.2.5: initialisation of the arithmetic encoding engine.
  void start(BitWriter *out) {
    out_ = out;
    low_ = 0;
    range_ = 510;
    // low_ carries up to 32 bits; bytes leave from its top. The first bit
    // the engine produces is not written (9.3.5.3 firstBitFlag), hence 23.
    bits_left_ = 23;
    buffered_ = 0;
    buffered_byte_ = 0xff;
  }

  // 9.3.4.3.2 / 9.3.5.2: one context-coded bin.
  void encode_bin(int ctx, int bin) {
    uint8_t &s = contexts.state[ctx];
    const uint32_t lps = cabac_tables::kRangeTabLps[s >> 1][(range_ >> 6) & 3];
    range_ -= lps;
    if (bin != (s & 1)) {
      // RenormE in one step: as many doublings as bring lps to 256.
      const int shift = __builtin_clz(lps) - 23;
      low_ = (low_ + range_) << shift;
      range_ = lps << shift;
      bits_left_ -= shift;
      s = cabac_tables::kNextStateLps[s];
    } else {
      s = cabac_tables::kNextStateMps[s];
      if (range_ >= 256)
        return;
      low_ <<= 1;
      range_ <<= 1;
      --bits_left_;
    }
    flush_bytes();
  }

  // 9.3.5.4: one bypass bin.
  void encode_bypass(int bin) {
    low_ <<= 1;
    if (bin)
      low_ += range_;
    --bits_left_;
    flush_bytes();
  }
  // n bypass bins, most significant first.
  void encode_bypass_bits(uint32_t value, int n) {
    while (n > 8) {
      n -= 8;
      low_ = (low_ << 8) + range_ * ((value >> n) & 0xff);
      bits_left_ -= 8;
      flush_bytes();
    }
    low_ = (low_ << n) + range_ * (value & ((1u << n) - 1));
    bits_left_ -= n;
    flush_bytes();
  }

  // 9.3.5.5: a terminating bin; a one flushes the engine (9.3.5.6), whose
  // final bit is the rbsp_stop_one_bit of the slice data.
  void encode_terminate(int bin) {
    range_ -= 2;
    if (bin) {
      low_ = (low_ + range_) << 7;
      range_ = 2 << 7;
      bits_left_ -= 7;
      flush_bytes();
      finish();
      // The two bits of ((low >> 7) & 3) went out with low_; then the stop
      // bit.
      out_->put_bits(1, 1);
      return;
    }
    if (range_ >= 256)
      return;
    low_ <<= 1;
    range_ <<= 1;
    --bits_left_;
    flush_bytes();
  }

private:
  // Bytes leave low_ once 8 more than needed are there. A byte of 0xff may
  // still take a carry from later arithmetic, so runs of them wait in
  // buffered_ behind buffered_byte_.
  void flush_bytes() {
    if (bits_left_ >= 12)
      return;
    const uint32_t lead = low_ >> (24 - bits_left_);
    bits_left_ += 8;
    low_ &= 0xffffffffu >> bits_left_;
    if (lead == 0xff) {
      ++buffered_;
    } else if (buffered_ > 0) {
      const uint32_t carry = lead >> 8;
      out_->put_byte(static_cast<uint8_t>(buffered_byte_ + carry));
      const uint8_t run = static_cast<uint8_t>(0xff + carry);
      for (; buffered_ > 1; --buffered_)
        out_->put_byte(run);
      buffered_byte_ = lead & 0xff;
    } else {
      buffered_ = 1;
      buffered_byte_ = lead;
    }
  }
  // Writes what low_ and the buffered bytes still hold.
  void finish() {
    if (low_ >> (32 - bits_left_)) {
      out_->put_byte(static_cast<uint8_t>(buffered_byte_ + 1));
      for (; buffered_ > 1; --buffered_)
        out_->put_byte(0x00);
      low_ -= 1u << (32 - bits_left_);
    } else {
      if (buffered_ > 0)
        out_->put_byte(static_cast<uint8_t>(buffered_byte_));
      for (; buffered_ > 1; --buffered_)
        out_->put_byte(0xff);
    }
    out_->put_bits(low_ >> 8, 24 - bits_left_);
  }

  BitWriter *out_ = nullptr;
  uint32_t low_ = 0;
  uint32_t range_ = 510;
  int bits_left_ = 23;
  uint32_t buffered_ = 0; // bytes waiting for a possible carry
  uint32_t buffered_byte_ = 0xff;
};

// Same interface as CabacWriter; adapts the contexts exactly as coding would
// and counts fractional bits instead of producing them.
class CabacBitCounter {
public:
  ContextSet contexts;
  uint64_t frac_bits = 0;

  void encode_bin(int ctx, int bin) {
    uint8_t &s = contexts.state[ctx];
    frac_bits += cabac_tables::kEntropyBits[s ^ bin];
    s = bin == (s & 1) ? cabac_tables::kNextStateMps[s] : cabac_tables::kNextStateLps[s];
  }
  void encode_bypass(int) { frac_bits += kFracBitsPerBit; }
  void encode_bypass_bits(uint32_t, int n) {
    frac_bits += static_cast<uint64_t>(n) << kFracBitsShift;
  }
  void encode_terminate(int) { frac_bits += 7; }
};

} // namespace quad::hevc
