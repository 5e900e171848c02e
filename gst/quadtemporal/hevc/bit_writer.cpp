#include "bit_writer.h"

namespace quad::hevc {

namespace {

// 7.4.2: the bytes of rbsp with an emulation_prevention_three_byte (0x03)
// before any 0x00..0x03 that follows two zero bytes, each passed to emit.
template <class Emit> void escape_rbsp(const std::vector<uint8_t> &rbsp, Emit &&emit) {
  int zeros = 0;
  for (uint8_t byte : rbsp) {
    if (zeros >= 2 && byte <= 3) {
      emit(uint8_t{3});
      zeros = 0;
    }
    emit(byte);
    zeros = byte == 0 ? zeros + 1 : 0;
  }
}

} // namespace

size_t emulation_prevention_bytes(const std::vector<uint8_t> &rbsp) {
  size_t bytes = 0;
  escape_rbsp(rbsp, [&](uint8_t) { ++bytes; });
  return bytes - rbsp.size();
}

void append_nal_unit(std::vector<uint8_t> &out, NalUnitType type, const std::vector<uint8_t> &rbsp,
                     int temporal_id) {
  out.reserve(out.size() + rbsp.size() + rbsp.size() / 64 + 8);
  // B.2: a zero_byte before the start code prefix keeps every NAL unit
  // findable by the 4-byte pattern.
  out.insert(out.end(), {0, 0, 0, 1});
  // forbidden_zero_bit, nal_unit_type (6), nuh_layer_id (6) = 0,
  // nuh_temporal_id_plus1 (3).
  out.push_back(static_cast<uint8_t>(static_cast<int>(type) << 1));
  out.push_back(static_cast<uint8_t>(temporal_id + 1));
  escape_rbsp(rbsp, [&](uint8_t byte) { out.push_back(byte); });
  // 7.4.2: an RBSP whose last byte is 0x00 gets a final 0x03 byte.
  if (!rbsp.empty() && rbsp.back() == 0)
    out.push_back(3);
}

} // namespace quad::hevc
