// Sign data hiding on the encoder side (H.265 7.3.8.11, 7.4.9.11): where a
// decoder infers the first coefficient's sign of a 4x4 sub-block from the
// parity of its levels, the quantiser makes the parity right. GStreamer-free.
#pragma once

#include <cstdint>

namespace quad::hevc {

// Adjusts one level by +-1 in each sub-block of the n x n block (levels
// from coeffs at qp) whose parity must carry the hidden sign, where the
// added quantisation error is smallest. Returns the non-zero level count.
int hide_signs(const int16_t *coeffs, int16_t *levels, int log2_size, int qp, int scan_idx);

} // namespace quad::hevc
