// H.264 / H.265 access-unit inspection the sink needs to serve a stream:
// key frames, parameter sets, the RFC 6381 codec string, and avc (length
// prefixed) to Annex B conversion. No GStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol.h"

namespace quad::net {

struct AccessUnitInfo {
  bool key = false;                        // H.264 IDR, H.265 IRAP
  bool parameter_sets = false;             // SPS (and friends) in band
  std::optional<std::string> codec_string; // from an SPS, when there is one
};

// Walks the NAL units of an Annex B access unit.
AccessUnitInfo inspect_annexb(Codec codec, std::span<const uint8_t> au);

// RFC 6381 string from one SPS NAL unit (with its NAL header, without a
// start code); nullopt when the SPS is too short to tell.
std::optional<std::string> codec_string_from_sps(Codec codec, std::span<const uint8_t> sps);

// H.264 avcC (ISO/IEC 14496-15 5.2.4.1): NAL length size and the parameter
// sets as Annex B; nullopt when the record is malformed.
struct AvcConfig {
  int length_size = 4;
  std::vector<uint8_t> parameter_sets_annexb;
};
std::optional<AvcConfig> parse_avcc(std::span<const uint8_t> record);

// The parameter-set NAL units (H.264 SPS/PPS, H.265 VPS/SPS/PPS) of an
// Annex B access unit, as Annex B; empty when it has none.
std::vector<uint8_t> extract_parameter_sets(Codec codec, std::span<const uint8_t> au);

// Length-prefixed NAL units to Annex B; false on a length past the end.
bool avc_to_annexb(std::span<const uint8_t> au, int length_size, std::vector<uint8_t> &out);

} // namespace quad::net
