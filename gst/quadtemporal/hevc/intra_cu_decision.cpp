#include "ctu_encoder.h"
#include "syntax.h"

namespace quad::hevc {

double CtuEncoder::decide_intra_cu(int x, int y, int log2_size, int depth) {
  const int size = 1 << log2_size;
  const CabacBitCounter start = counter_;
  const int8_t qp = static_cast<int8_t>(params_.qp);
  info_->fill(x, y, size, [&](BlockInfo &b) {
    b.cu_log2_size = static_cast<uint8_t>(log2_size);
    b.pred_mode = PredMode::Intra;
    b.part_mode = PartMode::Part2Nx2N;
    b.intra_chroma_syntax = 4;
    b.cbf = 0;
    b.qp_y = qp;
    b.motion = PredictionMotion{};
    b.merge_flag = false;
  });

  const int max_trafo_depth = sps_.max_transform_hierarchy_depth_intra;
  TreeSearch search;
  search.min_split_log2 =
      std::max(2, std::min(log2_size, sps_.max_tb_log2) - params_.max_tu_split_depth);
  const bool try_nxn = log2_size == sps_.min_cb_log2 && params_.try_nxn;
  const RdCost two_n = decide_intra_luma(x, y, log2_size, 0, max_trafo_depth, false, try_nxn,
                                         search, start.contexts);

  if (try_nxn) {
    const double lambda_bit = params_.lambda / kFracBitsPerBit;
    auto part_mode_bits = [&](PartMode part) {
      CabacBitCounter c;
      c.contexts = start.contexts;
      write_part_mode(c, sps_, log2_size, PredMode::Intra, part);
      return c.frac_bits;
    };
    const double cost_2n =
        two_n.cost(params_.lambda) + lambda_bit * part_mode_bits(PartMode::Part2Nx2N);
    Candidate &two_n_luma = candidates_->intra_2nx2n[depth];
    capture(two_n_luma, x, y, size, Planes::Luma);
    info_->fill(x, y, size, [](BlockInfo &b) { b.part_mode = PartMode::PartNxN; });
    // NxN prediction blocks search their transform trees down to 4x4.
    search.min_split_log2 = 2;
    double cost_nxn = lambda_bit * part_mode_bits(PartMode::PartNxN);
    const int half = size >> 1;
    for (int k = 0; k < 4 && cost_nxn < cost_2n; ++k)
      cost_nxn += decide_intra_luma(x + (k & 1) * half, y + (k >> 1) * half, log2_size - 1, 1,
                                    max_trafo_depth + 1, true, true, search, start.contexts)
                      .cost(params_.lambda);
    // NxN is the working state; 2Nx2N comes back unless NxN won.
    if (cost_nxn >= cost_2n)
      commit(two_n_luma, x, y, size, Planes::Luma);
  }

  decide_intra_chroma(x, y, log2_size, start.contexts);

  return cu_cost(x, y, log2_size, depth, start);
}

} // namespace quad::hevc
