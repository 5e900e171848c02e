// The coding tree of a picture as decided by the encoder: per 4x4 luma block
// the coding unit, prediction and transform unit it belongs to (enough for
// the syntax writer, the neighbour-dependent contexts, MPM derivation and
// deblocking), and per CTU the coefficient levels of its transform blocks.
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "large_allocator.h"
#include "picture.h"

namespace quad::hevc {

enum class PredMode : uint8_t { Inter = 0, Intra = 1, Skip = 2 };

// 7.4.9.5, Table 7-10 (AMP modes are not used).
enum class PartMode : uint8_t {
  Part2Nx2N = 0,
  Part2NxN = 1,
  PartNx2N = 2,
  PartNxN = 3,
};

inline constexpr uint8_t kCbfLuma = 1;
inline constexpr uint8_t kCbfCb = 2;
inline constexpr uint8_t kCbfCr = 4;

// One 4x4 luma block (the minimum transform block) of the picture.
struct BlockInfo {
  uint8_t cu_log2_size = 0; // log2CbSize of the coding unit
  PredMode pred_mode = PredMode::Intra;
  PartMode part_mode = PartMode::Part2Nx2N;
  uint8_t intra_luma_mode = 1;     // IntraPredModeY of its prediction unit
  uint8_t intra_chroma_syntax = 4; // intra_chroma_pred_mode of its CU
  uint8_t tu_log2_size = 0;        // log2 size of its luma transform block
  // cbf of its leaf transform unit; for 4x4 luma blocks the chroma bits are
  // those of the 4x4 chroma blocks coded with the fourth one (7.3.8.10).
  uint8_t cbf = 0;
  int8_t qp_y = 0;
  // Inter prediction units: the motion (8.5.3.2) and how the syntax
  // signals it (7.3.8.6): merge_idx when merge_flag, else ref_idx_l0,
  // the motion vector difference and mvp_l0_flag.
  PredictionMotion motion;
  bool merge_flag = false;
  uint8_t merge_idx = 0;
  uint8_t mvp_idx = 0;
  MotionVector mvd;
};

class BlockInfoMap {
public:
  void resize(int width, int height) {
    width4_ = width >> 2;
    height4_ = height >> 2;
    blocks_.assign(static_cast<size_t>(width4_) * height4_, BlockInfo{});
  }
  int width4() const { return width4_; }
  int height4() const { return height4_; }
  // Luma sample coordinates.
  BlockInfo &at(int x, int y) { return blocks_[static_cast<size_t>(y >> 2) * width4_ + (x >> 2)]; }
  const BlockInfo &at(int x, int y) const {
    return blocks_[static_cast<size_t>(y >> 2) * width4_ + (x >> 2)];
  }
  // Sets fields of every 4x4 block of a square luma area.
  template <class F> void fill(int x, int y, int size, F &&f) { fill(x, y, size, size, f); }
  // The same for a w x h luma area.
  template <class F> void fill(int x, int y, int w, int h, F &&f) {
    for (int by = y >> 2; by < (y + h) >> 2; ++by) {
      BlockInfo *row = &blocks_[static_cast<size_t>(by) * width4_];
      for (int bx = x >> 2; bx < (x + w) >> 2; ++bx)
        f(row[bx]);
    }
  }

  template <class F> void fill_read(int x, int y, int size, F &&f) const {
    for (int by = y >> 2; by < (y + size) >> 2; ++by) {
      const BlockInfo *row = &blocks_[static_cast<size_t>(by) * width4_];
      for (int bx = x >> 2; bx < (x + size) >> 2; ++bx)
        f(row[bx]);
    }
  }

private:
  int width4_ = 0;
  int height4_ = 0;
  std::vector<BlockInfo, LargeAllocator<BlockInfo>> blocks_;
};

// Z-order (Morton) index of a 4x4 block inside its CTU, from luma sample
// offsets within the CTU (6.5.2 MinTbAddrZs restricted to one CTU).
inline int z_index(int x_in_ctu, int y_in_ctu) {
  int z = 0;
  const int bx = x_in_ctu >> 2;
  const int by = y_in_ctu >> 2;
  for (int b = 0; b < 4; ++b)
    z |= (((bx >> b) & 1) << (2 * b)) | (((by >> b) & 1) << (2 * b + 1));
  return z;
}

// Coefficient levels of one CTU. A transform block whose top-left 4x4 luma
// block has z-order index z stores its n x n levels (row-major) from
// luma[16 z], and its chroma blocks from cb[4 z] / cr[4 z]: each block of the
// tree owns a disjoint, contiguous range, so alternatives of the decision
// can be saved and restored with plain copies.
struct CtuCoefficients {
  int16_t luma[64 * 64];
  int16_t cb[32 * 32];
  int16_t cr[32 * 32];

  int16_t *plane(int c_idx) { return c_idx == 0 ? luma : c_idx == 1 ? cb : cr; }
  const int16_t *plane(int c_idx) const { return c_idx == 0 ? luma : c_idx == 1 ? cb : cr; }
};

} // namespace quad::hevc
