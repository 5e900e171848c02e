// The server side of RFC 6455 framing after the handshake: unmasked frames
// out, masked client frames in. The handshake itself is libsoup's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace quad::net {

namespace ws {
inline constexpr uint8_t kOpText = 0x1;
inline constexpr uint8_t kOpBinary = 0x2;
inline constexpr uint8_t kOpClose = 0x8;
inline constexpr uint8_t kOpPing = 0x9;
inline constexpr uint8_t kOpPong = 0xA;

// RFC 6455 7.4.1 status codes.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseUnsupportedData = 1003;
inline constexpr uint16_t kCloseTooBig = 1009;

inline constexpr size_t kMaxFrameHeader = 10;
} // namespace ws

// Writes a FIN frame header for an unmasked server frame; returns its size.
size_t write_frame_header(uint8_t opcode, uint64_t payload_size, uint8_t out[ws::kMaxFrameHeader]);

// A whole control frame (close, pong) with its payload.
std::vector<uint8_t> control_frame(uint8_t opcode, std::span<const uint8_t> payload);
std::vector<uint8_t> close_frame(uint16_t code, const std::string &reason);

// What a client sent, one event per complete frame.
struct ClientEvent {
  enum Kind { kNone, kPing, kPong, kClose, kData, kError } kind = kNone;
  uint16_t code = 0;            // kClose: the client's code; kError: the code to close with
  std::string reason;           // kError: why
  std::vector<uint8_t> payload; // kPing: to echo in the pong
};

// Reads masked client frames from a byte stream. Client data frames are
// reported (the protocol has none); anything malformed is an error and the
// reader stops.
class ClientFrameReader {
public:
  explicit ClientFrameReader(size_t max_payload) : max_payload_(max_payload) {}
  void feed(std::span<const uint8_t> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }
  // The next complete frame's event, or kNone when more bytes are needed.
  ClientEvent next();
  size_t buffered() const { return buffer_.size(); }

private:
  size_t max_payload_;
  std::vector<uint8_t> buffer_;
  bool failed_ = false;
};

} // namespace quad::net
