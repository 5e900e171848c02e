// quadnet wire format: one WebSocket binary message per access unit, each
// behind a small versioned header (docs/quadnet-protocol.md). No GStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace quad::net {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 28;

enum class MessageKind : uint8_t {
  kAccessUnit = 0, // payload: one Annex B access unit
  kStreamInfo = 1, // payload: "key=value" lines describing the stream
};

namespace flags {
inline constexpr uint8_t kKeyFrame = 0x01;    // decoding can start here
inline constexpr uint8_t kCodecConfig = 0x02; // the AU carries parameter sets
inline constexpr uint8_t kDiscont = 0x04;     // AUs were skipped before this one
inline constexpr uint8_t kCaptureTime = 0x08; // capture_us is valid
} // namespace flags

struct MessageHeader {
  uint8_t version = kProtocolVersion;
  uint8_t header_size = kHeaderSize;
  MessageKind kind = MessageKind::kAccessUnit;
  uint8_t flags = 0;
  uint32_t sequence = 0;   // AU counter of the sender; gaps only where kDiscont says
  uint64_t pts_us = 0;     // presentation time, microseconds of the sender's running time
  uint64_t capture_us = 0; // capture wall-clock time, microseconds since the Unix epoch
  uint32_t skipped = 0;    // AUs this receiver missed just before this one
};

void write_header(const MessageHeader &header, uint8_t out[kHeaderSize]);

struct ParsedMessage {
  MessageHeader header;
  std::span<const uint8_t> payload;
};

// A parse result: the message or why it was refused.
class ParseResult {
public:
  ParseResult(ParsedMessage m) : v_(m) {}
  ParseResult(std::string error) : v_(std::move(error)) {}
  explicit operator bool() const { return v_.index() == 0; }
  const ParsedMessage &operator*() const { return std::get<0>(v_); }
  const ParsedMessage *operator->() const { return &std::get<0>(v_); }
  const std::string &error() const { return std::get<1>(v_); }

private:
  std::variant<ParsedMessage, std::string> v_;
};

// Refuses short input, an unknown version, a header size below this
// version's, an unknown kind; a longer header (a later minor revision) is
// skipped.
ParseResult parse_message(std::span<const uint8_t> message);

enum class Codec : uint8_t { kH264, kH265 };

struct StreamInfo {
  Codec codec = Codec::kH264;
  std::string codec_string; // RFC 6381, as WebCodecs wants it ("avc1.64001f")
  int width = 0;
  int height = 0;
  int fps_n = 0; // 0/1: unknown
  int fps_d = 1;
  int viewers = -1; // WebSocket viewers of the sink; -1: not said
};

std::string encode_stream_info(const StreamInfo &info);
// Unknown keys are ignored; a missing or bad "format" is refused.
std::optional<StreamInfo> parse_stream_info(std::span<const uint8_t> payload);

} // namespace quad::net
