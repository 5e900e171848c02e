#include "ctu_encoder.h"
#include "syntax.h"

namespace quad::hevc {

double CtuEncoder::decide_intra_cu(int x, int y, int log2_size, int depth) {
  const int size = 1 << log2_size;
  const ContextSet start = counter_.contexts;
  const uint64_t start_bits = counter_.frac_bits;
  const int8_t qp = static_cast<int8_t>(params_.qp);
  info_->fill(x, y, size, [&](BlockInfo &b) {
    b.cu_log2_size = static_cast<uint8_t>(log2_size);
    b.pred_mode = PredMode::Intra;
    b.part_mode = PartMode::Part2Nx2N;
    b.intra_chroma_syntax = 4;
    b.cbf = 0;
    b.qp_y = qp;
  });

  const int max_trafo_depth = sps_.max_transform_hierarchy_depth_intra;
  tu_search_min_log2_ =
      std::max(2, std::min(log2_size, sps_.max_tb_log2) - params_.max_tu_split_depth);
  const bool try_nxn = log2_size == sps_.min_cb_log2 && params_.try_nxn;
  const RdCost two_n =
      decide_intra_luma(x, y, log2_size, 0, max_trafo_depth, false, try_nxn, start);

  if (try_nxn) {
    // part_mode (9.3.3.7): "1" for 2Nx2N, "0" for NxN.
    const uint8_t part_state = start.state[kCtxPartMode];
    const double lambda_bit = params_.lambda / kFracBitsPerBit;
    const double cost_2n =
        two_n.cost(params_.lambda) + lambda_bit * cabac_tables::kEntropyBits[part_state ^ 1];
    save_region(part_snapshot_, x, y, size, true, false);
    info_->fill(x, y, size, [](BlockInfo &b) { b.part_mode = PartMode::PartNxN; });
    tu_search_min_log2_ = 2;
    double cost_nxn = lambda_bit * cabac_tables::kEntropyBits[part_state];
    const int half = size >> 1;
    for (int k = 0; k < 4 && cost_nxn < cost_2n; ++k)
      cost_nxn += decide_intra_luma(x + (k & 1) * half, y + (k >> 1) * half, log2_size - 1, 1,
                                    max_trafo_depth + 1, true, true, start)
                      .cost(params_.lambda);
    if (cost_nxn >= cost_2n)
      restore_region(part_snapshot_, x, y, size, true, false);
  }

  decide_intra_chroma(x, y, log2_size, start);

  // The exact cost of the CU: its whole syntax from the contexts it starts
  // with, which also leaves counter_ in the state after it.
  counter_.contexts = start;
  counter_.frac_bits = start_bits;
  const SyntaxContext sc{&sps_, info_, SliceType::I};
  if (x + size <= sps_.width && y + size <= sps_.height && log2_size > sps_.min_cb_log2)
    write_split_cu_flag(counter_, sc, x, y, depth, false);
  write_coding_unit(counter_, sc, coeffs_, x, y, log2_size);
  const uint64_t distortion = region_sse(x, y, size, true, true);
  return static_cast<double>(distortion) +
         params_.lambda * static_cast<double>(counter_.frac_bits - start_bits) / kFracBitsPerBit;
}

} // namespace quad::hevc
