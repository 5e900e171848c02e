#include "protocol.h"

#include <charconv>
#include <string_view>

namespace quad::net {

namespace {

void put_be(uint8_t *out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

uint64_t get_be(const uint8_t *in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value = (value << 8) | in[i];
  return value;
}

bool parse_int(std::string_view text, int &out) {
  const auto *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

} // namespace

void write_header(const MessageHeader &h, uint8_t out[kHeaderSize]) {
  out[0] = h.version;
  out[1] = kHeaderSize;
  out[2] = static_cast<uint8_t>(h.kind);
  out[3] = h.flags;
  put_be(out + 4, h.sequence, 4);
  put_be(out + 8, h.pts_us, 8);
  put_be(out + 16, h.capture_us, 8);
  put_be(out + 24, h.skipped, 4);
}

ParseResult parse_message(std::span<const uint8_t> m) {
  if (m.size() < 2)
    return std::string("message of " + std::to_string(m.size()) + " bytes has no header");
  if (m[0] != kProtocolVersion)
    return "unsupported protocol version " + std::to_string(m[0]);
  const size_t header_size = m[1];
  if (header_size < kHeaderSize)
    return "header size " + std::to_string(header_size) + " is below " +
           std::to_string(kHeaderSize);
  if (m.size() < header_size)
    return "message of " + std::to_string(m.size()) + " bytes is shorter than its header";
  if (m[2] > static_cast<uint8_t>(MessageKind::kStreamInfo))
    return "unknown message kind " + std::to_string(m[2]);
  ParsedMessage p;
  p.header.version = m[0];
  p.header.header_size = m[1];
  p.header.kind = static_cast<MessageKind>(m[2]);
  p.header.flags = m[3];
  p.header.sequence = static_cast<uint32_t>(get_be(&m[4], 4));
  p.header.pts_us = get_be(&m[8], 8);
  p.header.capture_us = get_be(&m[16], 8);
  p.header.skipped = static_cast<uint32_t>(get_be(&m[24], 4));
  p.payload = m.subspan(header_size);
  return p;
}

std::string encode_stream_info(const StreamInfo &info) {
  std::string s;
  s += "format=";
  s += info.codec == Codec::kH264 ? "h264" : "h265";
  s += "\ncodec=" + info.codec_string;
  s += "\nwidth=" + std::to_string(info.width);
  s += "\nheight=" + std::to_string(info.height);
  s += "\nframerate=" + std::to_string(info.fps_n) + "/" + std::to_string(info.fps_d);
  if (info.viewers >= 0)
    s += "\nviewers=" + std::to_string(info.viewers);
  s += "\n";
  return s;
}

std::optional<StreamInfo> parse_stream_info(std::span<const uint8_t> payload) {
  const std::string_view text(reinterpret_cast<const char *>(payload.data()), payload.size());
  StreamInfo info;
  bool have_format = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      continue;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "format") {
      if (value == "h264")
        info.codec = Codec::kH264;
      else if (value == "h265")
        info.codec = Codec::kH265;
      else
        return std::nullopt;
      have_format = true;
    } else if (key == "codec") {
      info.codec_string = std::string(value);
    } else if (key == "width") {
      if (!parse_int(value, info.width) || info.width < 0)
        return std::nullopt;
    } else if (key == "height") {
      if (!parse_int(value, info.height) || info.height < 0)
        return std::nullopt;
    } else if (key == "framerate") {
      const size_t slash = value.find('/');
      if (slash == std::string_view::npos || !parse_int(value.substr(0, slash), info.fps_n) ||
          !parse_int(value.substr(slash + 1), info.fps_d) || info.fps_n < 0 || info.fps_d <= 0)
        return std::nullopt;
    } else if (key == "viewers") {
      if (!parse_int(value, info.viewers) || info.viewers < 0)
        return std::nullopt;
    }
  }
  if (!have_format)
    return std::nullopt;
  return info;
}

} // namespace quad::net
