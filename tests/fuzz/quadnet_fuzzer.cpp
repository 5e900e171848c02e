// libFuzzer target for everything quadnet parses from the network: message
// headers and stream descriptions (quadnetsrc reads them from a server),
// client WebSocket frames (quadnetsink reads them from viewers), and
// H.264/H.265 access units and avcC records (from upstream).
//   quadnet_fuzzer -max_total_time=60 tests/fuzz/corpus
#include "gst/quadnet/bitstream.h"
#include "gst/quadnet/protocol.h"
#include "gst/quadnet/websocket.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace quad::net;

void require(bool condition) {
  if (!condition)
    __builtin_trap();
}

void fuzz_message(std::span<const uint8_t> input) {
  auto parsed = parse_message(input);
  if (!parsed) {
    require(!parsed.error().empty());
    return;
  }
  require(parsed->header.header_size >= kHeaderSize);
  require(parsed->payload.data() == input.data() + parsed->header.header_size);
  require(parsed->payload.size() == input.size() - parsed->header.header_size);
  // What parses re-encodes to the same header bytes.
  uint8_t again[kHeaderSize];
  write_header(parsed->header, again);
  if (parsed->header.header_size == kHeaderSize)
    for (size_t i = 0; i < kHeaderSize; ++i)
      require(again[i] == input[i]);
  if (parsed->header.kind == MessageKind::kStreamInfo) {
    if (auto info = parse_stream_info(parsed->payload)) {
      auto text = encode_stream_info(*info);
      auto back = parse_stream_info({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
      require(back && back->codec == info->codec && back->width == info->width &&
              back->height == info->height && back->fps_n == info->fps_n);
    }
  }
}

void fuzz_client_frames(std::span<const uint8_t> input) {
  ClientFrameReader reader(1000);
  // Fed in two pieces, as a socket might deliver it.
  const size_t half = input.size() / 2;
  reader.feed(input.first(half));
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 1000; ++i) {
      ClientEvent ev = reader.next();
      if (ev.kind == ClientEvent::kNone)
        break;
      if (ev.kind == ClientEvent::kError) {
        require(ev.code == ws::kCloseProtocolError || ev.code == ws::kCloseTooBig);
        require(reader.next().kind == ClientEvent::kNone);
        return;
      }
      if (ev.kind == ClientEvent::kPing)
        require(ev.payload.size() <= 125);
    }
    if (round == 0)
      reader.feed(input.subspan(half));
  }
}

void fuzz_bitstream(std::span<const uint8_t> input) {
  for (Codec codec : {Codec::kH264, Codec::kH265}) {
    auto info = inspect_annexb(codec, input);
    if (info.codec_string)
      require(info.codec_string->size() > 5);
    auto ps = extract_parameter_sets(codec, input);
    require(ps.size() <= input.size() + input.size() / 2 + 4);
  }
  if (auto config = parse_avcc(input)) {
    require(config->length_size == 1 || config->length_size == 2 || config->length_size == 4);
    std::vector<uint8_t> out;
    if (avc_to_annexb(input, config->length_size, out))
      require(out.size() <= input.size() * 5);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  fuzz_message(input);
  fuzz_client_frames(input);
  fuzz_bitstream(input);
  return 0;
}
