// libFuzzer target for the Y4M reader: any input must parse or fail cleanly,
// and every frame it hands out must lie inside the input.
// With clang, meson builds it as build/tests/fuzz/y4m_fuzzer (CXX=clang++):
//   y4m_fuzzer -max_total_time=60 tests/fuzz/corpus
#include "gst/quadcapture/y4m.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using quad::capture::Y4mEnd;
using quad::capture::Y4mStream;

// Keeps the plane reads below from being optimised away.
volatile uint8_t g_sink;

void require(bool condition) {
  if (!condition)
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto parsed = Y4mStream::parse(input);
  if (!parsed) {
    require(!parsed.error().empty());
    return 0;
  }
  Y4mStream &stream = *parsed;
  const auto &header = stream.header();
  require(header.header_size >= 1 && header.header_size <= size);
  require(data[header.header_size - 1] == '\n');
  const size_t frame_size = header.frame_size();

  // The first pass may rescan a wrong stride guess; the second must then
  // read every listed frame.
  for (int pass = 0; pass < 2; ++pass) {
    size_t previous_end = header.header_size;
    for (size_t i = 0; i < stream.frame_count() + 2; ++i) {
      auto frame = stream.frame(i);
      if (!frame) {
        require(!frame.error().empty());
        require(pass == 0 || i >= stream.frame_count());
        continue;
      }
      require(i < stream.frame_count());
      require(frame->payload_size == frame_size);
      require(frame->payload_offset >= previous_end + 6);
      require(frame->payload_offset <= size && size - frame->payload_offset >= frame_size);
      require(frame->payload == data + frame->payload_offset);
      for (const auto &plane : frame->planes) {
        require(plane.data >= frame->payload);
        require(plane.data + plane.size <= frame->payload + frame_size);
        g_sink = plane.data[0] ^ plane.data[plane.size - 1];
      }
      for (char c : frame->parameters)
        require(c != '\n');
      previous_end = frame->payload_offset + frame_size;
    }
  }

  const auto &tail = stream.tail();
  if (tail.kind == Y4mEnd::kClean) {
    require(tail.message.empty());
  } else {
    require(tail.frame == stream.frame_count());
    require(stream.frame(tail.frame).error() == tail.message);
  }
  if (tail.kind == Y4mEnd::kTruncatedFrame)
    require(tail.have < tail.need && tail.need == frame_size);
  return 0;
}
