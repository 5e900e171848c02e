// The checksum of the decoded picture hash SEI (H.265 D.3.20, hash_type 2):
// far cheaper than MD5 and, being a sum, computed band by band on any
// thread in any order. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quad::hevc {

// D.3.20 picture_checksum over luma or chroma rows y_begin .. y_end - 1 of
// an 8-bit plane width samples wide: the sum, modulo 2^32, of every sample
// XORed with xorMask = (x & 0xFF) ^ (y & 0xFF) ^ (x >> 8) ^ (y >> 8). The
// sums of bands covering a plane add up (modulo 2^32) to its checksum.
uint32_t checksum_rows(const uint8_t *plane, ptrdiff_t stride, int width, int y_begin, int y_end);

} // namespace quad::hevc
