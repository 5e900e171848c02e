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
    first_bit_ = true;
    outstanding_ = 0;
  }

  // 9.3.4.3.2 / 9.3.5.2: one context-coded bin.
  void encode_bin(int ctx, int bin) {
    uint8_t &s = contexts.state[ctx];
    const uint32_t lps = cabac_tables::kRangeTabLps[s >> 1][(range_ >> 6) & 3];
    range_ -= lps;
    if (bin != (s & 1)) {
      low_ += range_;
      range_ = lps;
      s = cabac_tables::kNextStateLps[s];
    } else {
      s = cabac_tables::kNextStateMps[s];
    }
    renormalize();
  }

  // 9.3.5.4: one bypass bin.
  void encode_bypass(int bin) {
    low_ <<= 1;
    if (bin)
      low_ += range_;
    if (low_ >= 1024) {
      put_bit(1);
      low_ -= 1024;
    } else if (low_ < 512) {
      put_bit(0);
    } else {
      low_ -= 512;
      ++outstanding_;
    }
  }
  // n bypass bins, most significant first.
  void encode_bypass_bits(uint32_t value, int n) {
    while (n > 0)
      encode_bypass((value >> --n) & 1);
  }

  // 9.3.5.5: a terminating bin; a one flushes the engine (9.3.5.6), whose
  // final bit is the rbsp_stop_one_bit of the slice data.
  void encode_terminate(int bin) {
    range_ -= 2;
    if (bin) {
      low_ += range_;
      range_ = 2;
      renormalize();
      put_bit((low_ >> 9) & 1);
      out_->put_bits(((low_ >> 7) & 3) | 1, 2);
    } else {
      renormalize();
    }
  }

private:
  // 9.3.5.3 RenormE.
  void renormalize() {
    while (range_ < 256) {
      if (low_ < 256) {
        put_bit(0);
      } else if (low_ >= 512) {
        low_ -= 512;
        put_bit(1);
      } else {
        low_ -= 256;
        ++outstanding_;
      }
      range_ <<= 1;
      low_ <<= 1;
    }
  }
  // 9.3.5.3 PutBit: the bit, then the outstanding opposite bits.
  void put_bit(int bit) {
    if (first_bit_)
      first_bit_ = false;
    else
      out_->put_bits(bit, 1);
    const uint32_t fill = bit ? 0u : 0xffffffffu;
    while (outstanding_ > 0) {
      const int n = outstanding_ > 24 ? 24 : outstanding_;
      out_->put_bits(fill, n);
      outstanding_ -= n;
    }
  }

  BitWriter *out_ = nullptr;
  uint32_t low_ = 0;
  uint32_t range_ = 510;
  bool first_bit_ = true;
  int outstanding_ = 0;
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
