// Motion vector prediction of P slices, the decoder's derivations (H.265
// 8.5.3.2): the merge candidate list (8.5.3.2.2-8.5.3.2.5), the AMVP
// candidates (8.5.3.2.6-8.5.3.2.7) and the temporal candidate from the
// collocated picture (8.5.3.2.8-8.5.3.2.9). The encoder's search lives
// elsewhere and only asks these. GStreamer-free.
#pragma once

#include "coding_tree.h"
#include "parameter_sets.h"
#include "picture.h"

namespace quad::hevc {

// What the derivations read besides the current picture's block info.
struct InterSliceContext {
  const SequenceParams *sps = nullptr;
  const BlockInfoMap *info = nullptr;
  int poc = 0;                        // PicOrderCntVal of the current picture
  int num_ref_idx = 1;                // num_ref_idx_l0_active_minus1 + 1
  int ref_poc[16] = {};               // RefPicList0 as POCs
  const DecodedPicture *ref[16] = {}; // RefPicList0
  // ColPic (collocated_ref_idx of list 0); nullptr when
  // slice_temporal_mvp_enabled_flag is 0.
  const DecodedPicture *collocated = nullptr;
  int max_num_merge_cand = 5; // MaxNumMergeCand
  // Frame threads (an encoder's choice, not the standard's): the lines of
  // a reference a CTU row may read end this far below the row, where the
  // references are finished while this picture is coded; 0: no limit.
  int reference_reach = 0;
};

// A prediction block of a coding block.
struct PredictionBlock {
  int x_cb, y_cb, cb_size; // the coding block
  int x, y, w, h;          // the prediction block
  PartMode part = PartMode::Part2Nx2N;
  int part_idx = 0;
};

// Prediction block part_idx of a coding block split by part (Table 7-10
// without AMP and inter NxN, which the encoder does not use: 2Nx2N one
// block, 2NxN two above each other, Nx2N two side by side).
inline PredictionBlock prediction_block(int x_cb, int y_cb, int cb_size, PartMode part,
                                        int part_idx) {
  const int half = cb_size / 2;
  switch (part) {
  case PartMode::Part2NxN:
    return {x_cb, y_cb, cb_size, x_cb, y_cb + part_idx * half, cb_size, half, part, part_idx};
  case PartMode::PartNx2N:
    return {x_cb, y_cb, cb_size, x_cb + part_idx * half, y_cb, half, cb_size, part, part_idx};
  default:
    return {x_cb, y_cb, cb_size, x_cb, y_cb, cb_size, cb_size, part, 0};
  }
}

inline constexpr int kMaxMergeCandidates = 5;

// 8.5.3.2.2: fills the first MaxNumMergeCand entries of mergeCandList.
void derive_merge_candidates(const InterSliceContext &ctx, const PredictionBlock &pb,
                             PredictionMotion list[kMaxMergeCandidates]);

// 8.5.3.2.6: mvpListL0 for reference index ref_idx (two candidates).
void derive_mvp_candidates(const InterSliceContext &ctx, const PredictionBlock &pb, int ref_idx,
                           MotionVector list[2]);

// 8.5.3.2.1: mvLX = mvpLX + mvdLX wrapped to 16 bits (uLX modulo 2^16).
inline MotionVector add_mvd(MotionVector mvp, MotionVector mvd) {
  return {static_cast<int16_t>(static_cast<uint16_t>(mvp.x + mvd.x)),
          static_cast<int16_t>(static_cast<uint16_t>(mvp.y + mvd.y))};
}

inline bool operator==(MotionVector a, MotionVector b) {
  return a.x == b.x && a.y == b.y;
}
inline bool operator!=(MotionVector a, MotionVector b) {
  return !(a == b);
}

} // namespace quad::hevc
