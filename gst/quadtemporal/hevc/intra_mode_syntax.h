// Intra luma mode signalling (H.265 8.4.2): the three most probable modes
// of a prediction block from its left and above neighbours, and the mapping
// of a mode to mpm_idx or rem_intra_luma_pred_mode. GStreamer-free.
#pragma once

#include "coding_tree.h"

namespace quad::hevc {

struct MostProbableModes {
  int cand[3];

  // mpm_idx of mode, or -1 when mode is not a candidate.
  int index_of(int mode) const {
    for (int i = 0; i < 3; ++i)
      if (cand[i] == mode)
        return i;
    return -1;
  }
  // rem_intra_luma_pred_mode of a mode that is not a candidate: its rank
  // among the 32 others (the inverse of 8.4.2 step 4).
  int rem_of(int mode) const {
    int rem = mode;
    for (int i = 0; i < 3; ++i)
      rem -= cand[i] < mode ? 1 : 0;
    return rem;
  }
};

// 8.4.2: candModeList of the prediction block at luma (x_pb, y_pb).
MostProbableModes derive_most_probable_modes(const BlockInfoMap &info, int x_pb, int y_pb,
                                             int ctb_log2);

} // namespace quad::hevc
