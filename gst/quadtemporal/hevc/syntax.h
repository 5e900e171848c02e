// The CTU syntax of H.265 7.3.8 (coding_quadtree, coding_unit,
// transform_tree, transform_unit, residual_coding) with the binarisations of
// 9.3.3 and the context selection of 9.3.4.2. Every function is a template
// over the entropy coder: CabacWriter writes the slice data, CabacBitCounter
// measures the same syntax for rate-distortion decisions.
// GStreamer-free.
#pragma once

#include <cstdint>

#include "coding_tree.h"
#include "contexts.h"
#include "intra_mode_syntax.h"
#include "parameter_sets.h"

namespace quad::hevc {

// What the syntax of one slice reads besides the coefficients.
struct SyntaxContext {
  const SequenceParams *sps = nullptr;
  const BlockInfoMap *info = nullptr;
  SliceType slice_type = SliceType::I;
};

// 7.3.8.2 coding_tree_unit() (no SAO) for the CTU at luma (x_ctb, y_ctb).
template <class Coder>
void write_coding_tree_unit(Coder &c, const SyntaxContext &sc, const CtuCoefficients &coeffs,
                            int x_ctb, int y_ctb);

// 7.3.8.4 / 9.3.4.2.2: split_cu_flag of the CU at (x0, y0) of depth
// ct_depth, when the syntax has it (the CU lies inside the picture and is
// larger than the minimum).
template <class Coder>
void write_split_cu_flag(Coder &c, const SyntaxContext &sc, int x0, int y0, int ct_depth,
                         bool split);

// 7.3.8.5 coding_unit() of the CU at (x0, y0) as recorded in sc.info.
template <class Coder>
void write_coding_unit(Coder &c, const SyntaxContext &sc, const CtuCoefficients &coeffs, int x0,
                       int y0, int log2_cb_size);

// prev_intra_luma_pred_flag followed by mpm_idx or rem_intra_luma_pred_mode
// of one prediction block (what a 2Nx2N CU codes for its luma mode).
template <class Coder> void write_intra_luma_mode(Coder &c, const MostProbableModes &mpm, int mode);

// 7.3.8.11 residual_coding() of an n x n block of levels (row-major), with
// at least one non-zero level.
template <class Coder>
void write_residual_coding(Coder &c, const int16_t *levels, int log2_size, int c_idx, int scan_idx,
                           bool sign_data_hiding);

} // namespace quad::hevc
