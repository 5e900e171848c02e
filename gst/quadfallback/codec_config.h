/* What a container needs from an Annex B stream: NAL units with 4-byte
 * length prefixes in place of start codes, and the decoder configuration
 * record (ISO/IEC 14496-15 avcC for H.264, hvcC for H.265) built from the
 * parameter sets. GStreamer-free, like the encoders. */
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fallback_encoder.h"

namespace quad::fallback {

/* The NAL units of an Annex B byte string, without their start codes. */
std::vector<std::span<const uint8_t>> split_annex_b(std::span<const uint8_t> data);

/* An Annex B access unit as 4-byte big-endian length-prefixed NAL units in
 * out; parameter sets (VPS, SPS, PPS) are left out when drop_parameter_sets. */
void to_length_prefixed(std::span<const uint8_t> access_unit, Codec codec, bool drop_parameter_sets,
                        std::vector<uint8_t> &out);

/* The avcC or hvcC record for the parameter sets in headers (Annex B), with
 * 4-byte lengths; empty when an SPS or PPS (or VPS) is missing or unreadable. */
std::vector<uint8_t> decoder_configuration(std::span<const uint8_t> headers, Codec codec);

} // namespace quad::fallback
