// A candidate of an encoder decision (x265's Mode, libde265's
// CodingOption): what it reconstructs and codes over a square area of the
// CTU, the CABAC state after its syntax and its cost, all its own. A
// decision codes each alternative, keeps each in its own Candidate, picks
// the best by pointer and commits only that one to the picture.
// GStreamer-free.
#pragma once

#include <cstdint>

#include "cabac.h"
#include "coding_tree.h"

namespace quad::hevc {

// Decision cost: distortion (SSE), rate (1/32768 bit) and their sum.
struct RdCost {
  uint64_t distortion = 0;
  uint64_t frac_bits = 0;
  double cost(double lambda) const {
    return static_cast<double>(distortion) +
           lambda * static_cast<double>(frac_bits) / kFracBitsPerBit;
  }
  RdCost &operator+=(const RdCost &o) {
    distortion += o.distortion;
    frac_bits += o.frac_bits;
    return *this;
  }
};

// The planes a decision covers.
enum class Planes : uint8_t { Luma = 1, Chroma = 2, All = 3 };

inline bool has_luma(Planes p) {
  return (static_cast<int>(p) & 1) != 0;
}
inline bool has_chroma(Planes p) {
  return (static_cast<int>(p) & 2) != 0;
}

struct Candidate {
  // Reconstruction (n x n luma, n/2 x n/2 chroma, stride n and n/2), levels
  // in the CTU's z-order layout from the area's first block, and the block
  // info of its 4x4 luma blocks (row-major, n/4 per row).
  alignas(64) uint8_t rec[3][64 * 64];
  int16_t levels[3][64 * 64];
  BlockInfo info[16 * 16];
  CabacBitCounter cabac; // contexts and bits after the candidate's syntax
  RdCost rd;
};

} // namespace quad::hevc
