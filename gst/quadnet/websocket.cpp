#include "websocket.h"

namespace quad::net {

size_t write_frame_header(uint8_t opcode, uint64_t size, uint8_t out[ws::kMaxFrameHeader]) {
  out[0] = static_cast<uint8_t>(0x80 | opcode);
  if (size < 126) {
    out[1] = static_cast<uint8_t>(size);
    return 2;
  }
  if (size <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(size >> 8);
    out[3] = static_cast<uint8_t>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<uint8_t>(size >> (56 - 8 * i));
  return 10;
}

std::vector<uint8_t> control_frame(uint8_t opcode, std::span<const uint8_t> payload) {
  // RFC 6455 5.5: control payloads are at most 125 bytes.
  const size_t size = payload.size() < 125 ? payload.size() : 125;
  std::vector<uint8_t> frame(ws::kMaxFrameHeader);
  frame.resize(write_frame_header(opcode, size, frame.data()));
  frame.insert(frame.end(), payload.begin(), payload.begin() + size);
  return frame;
}

std::vector<uint8_t> close_frame(uint16_t code, const std::string &reason) {
  std::vector<uint8_t> payload = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  payload.insert(payload.end(), reason.begin(), reason.end());
  return control_frame(ws::kOpClose, payload);
}

ClientEvent ClientFrameReader::next() {
  ClientEvent ev;
  if (failed_ || buffer_.size() < 2)
    return ev;
  auto fail = [&](uint16_t code, const char *why) {
    failed_ = true;
    buffer_.clear();
    ev.kind = ClientEvent::kError;
    ev.code = code;
    ev.reason = why;
    return ev;
  };
  const uint8_t b0 = buffer_[0], b1 = buffer_[1];
  const bool fin = b0 & 0x80;
  const uint8_t opcode = b0 & 0x0f;
  if (b0 & 0x70)
    return fail(ws::kCloseProtocolError, "reserved bits set (no extension was negotiated)");
  if (!(b1 & 0x80))
    return fail(ws::kCloseProtocolError, "client frame is not masked");
  const bool control = opcode & 0x8;
  if (opcode != 0 && opcode != ws::kOpText && opcode != ws::kOpBinary && opcode != ws::kOpClose &&
      opcode != ws::kOpPing && opcode != ws::kOpPong)
    return fail(ws::kCloseProtocolError, "unknown opcode");
  uint64_t size = b1 & 0x7f;
  size_t pos = 2;
  if (control && (!fin || size > 125))
    return fail(ws::kCloseProtocolError, "fragmented or oversized control frame");
  if (size == 126) {
    if (buffer_.size() < 4)
      return ev;
    size = (uint64_t(buffer_[2]) << 8) | buffer_[3];
    pos = 4;
  } else if (size == 127) {
    if (buffer_.size() < 10)
      return ev;
    size = 0;
    for (int i = 0; i < 8; ++i)
      size = (size << 8) | buffer_[2 + i];
    pos = 10;
  }
  // Checked before waiting for the payload, so an oversized frame is never buffered.
  if (size > max_payload_)
    return fail(ws::kCloseTooBig, "client message too big");
  if (buffer_.size() < pos + 4 + size)
    return ev;
  const uint8_t *mask = &buffer_[pos];
  pos += 4;
  std::vector<uint8_t> payload(size);
  for (size_t i = 0; i < size; ++i)
    payload[i] = buffer_[pos + i] ^ mask[i & 3];
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos + size));

  switch (opcode) {
  case ws::kOpPing:
    ev.kind = ClientEvent::kPing;
    ev.payload = std::move(payload);
    return ev;
  case ws::kOpPong:
    ev.kind = ClientEvent::kPong;
    return ev;
  case ws::kOpClose:
    if (payload.size() == 1)
      return fail(ws::kCloseProtocolError, "close frame with a one-byte payload");
    ev.kind = ClientEvent::kClose;
    ev.code = payload.size() >= 2 ? static_cast<uint16_t>((payload[0] << 8) | payload[1])
                                  : ws::kCloseNormal;
    return ev;
  default:
    ev.kind = ClientEvent::kData;
    return ev;
  }
}

} // namespace quad::net
