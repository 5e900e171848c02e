#include "intra_mode_syntax.h"

#include "intra_pred.h"

namespace quad::hevc {

MostProbableModes derive_most_probable_modes(const BlockInfoMap &info, int x_pb, int y_pb,
                                             int ctb_log2) {
  // 8.4.2 steps 1-2: candIntraPredModeA (left) and B (above). An unavailable
  // or non-intra neighbour gives DC, and so does an above neighbour outside
  // the current CTU row (no line buffer of modes is needed).
  int cand_a = kIntraDc;
  if (x_pb > 0) {
    const BlockInfo &a = info.at(x_pb - 1, y_pb);
    if (a.pred_mode == PredMode::Intra)
      cand_a = a.intra_luma_mode;
  }
  int cand_b = kIntraDc;
  if (y_pb > 0 && ((y_pb - 1) >> ctb_log2) == (y_pb >> ctb_log2)) {
    const BlockInfo &b = info.at(x_pb, y_pb - 1);
    if (b.pred_mode == PredMode::Intra)
      cand_b = b.intra_luma_mode;
  }
  // Step 3: candModeList.
  MostProbableModes m;
  if (cand_a == cand_b) {
    if (cand_a < 2) {
      m.cand[0] = kIntraPlanar;
      m.cand[1] = kIntraDc;
      m.cand[2] = kIntraAngularVertical;
    } else {
      m.cand[0] = cand_a;
      m.cand[1] = 2 + ((cand_a + 29) % 32);
      m.cand[2] = 2 + ((cand_a - 2 + 1) % 32);
    }
  } else {
    m.cand[0] = cand_a;
    m.cand[1] = cand_b;
    if (cand_a != kIntraPlanar && cand_b != kIntraPlanar)
      m.cand[2] = kIntraPlanar;
    else if (cand_a != kIntraDc && cand_b != kIntraDc)
      m.cand[2] = kIntraDc;
    else
      m.cand[2] = kIntraAngularVertical;
  }
  return m;
}

} // namespace quad::hevc
