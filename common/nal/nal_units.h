/* What a container needs from an Annex B stream: NAL units with 4-byte
 * length prefixes in place of start codes, and the decoder configuration
 * record (ISO/IEC 14496-15 avcC for H.264, hvcC for H.265) built from the
 * parameter sets. GStreamer-free: the fallback encoders' core, quadh265enc
 * and quadenc use it. */
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace quad::nal {

enum class Codec { H264, H265 };

/* nal_unit_type of a NAL unit without its start code; -1 when empty. */
int nal_type(std::span<const uint8_t> nal, Codec codec);

/* Whether a nal_unit_type is a parameter set (SPS, PPS; VPS for H.265). */
bool is_parameter_set(int type, Codec codec);

/* The NAL units of an Annex B byte string, without their start codes. */
std::vector<std::span<const uint8_t>> split_annex_b(std::span<const uint8_t> data);

/* An Annex B access unit as 4-byte big-endian length-prefixed NAL units in
 * out; parameter sets (VPS, SPS, PPS) are left out when drop_parameter_sets. */
void to_length_prefixed(std::span<const uint8_t> access_unit, Codec codec, bool drop_parameter_sets,
                        std::vector<uint8_t> &out);

/* The avcC or hvcC record for the parameter sets in headers (Annex B), with
 * 4-byte lengths; empty when an SPS or PPS (or VPS) is missing or unreadable.
 * complete: the record holds every parameter set of the stream, none come in
 * band (hvcC's array_completeness, as hvc1 requires; hev1 may carry them in
 * band). */
std::vector<uint8_t> decoder_configuration(std::span<const uint8_t> headers, Codec codec,
                                           bool complete);

} // namespace quad::nal
