// The built-in player page served at "/": WebCodecs VideoDecoder on a canvas
// with live latency, fps, bitrate and drop figures. No GStreamer.
#pragma once

#include <string_view>

namespace quad::net {

std::string_view player_page();

} // namespace quad::net
