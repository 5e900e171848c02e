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
  const PictureParams *pps = nullptr;
  const BlockInfoMap *info = nullptr;
  SliceType slice_type = SliceType::I;
  int max_num_merge_cand = 5; // P slices: MaxNumMergeCand
  int num_ref_idx_l0 = 1;     // P slices: num_ref_idx_l0_active_minus1 + 1
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

// part_mode (7.3.8.5, binarisation 9.3.3.7, AMP disabled): intra CUs code
// it only at the minimum CU size, one bin ("1" 2Nx2N, "0" NxN); inter CUs
// "1" 2Nx2N, "01" 2NxN, "00" Nx2N (8x8 CUs have no inter NxN).
template <class Coder>
void write_part_mode(Coder &c, const SequenceParams &sps, int log2_cb_size, PredMode pred_mode,
                     PartMode part) {
  if (pred_mode == PredMode::Intra) {
    if (log2_cb_size == sps.min_cb_log2)
      c.encode_bin(kCtxPartMode, part == PartMode::PartNxN ? 0 : 1);
    return;
  }
  c.encode_bin(kCtxPartMode, part == PartMode::Part2Nx2N);
  if (part == PartMode::Part2Nx2N)
    return;
  c.encode_bin(kCtxPartMode + 1, part == PartMode::Part2NxN);
  if (part != PartMode::Part2NxN && log2_cb_size == sps.min_cb_log2 && log2_cb_size > 3)
    c.encode_bin(kCtxPartMode + 2, part == PartMode::PartNx2N);
}

// merge_idx (9.3.3.1 TR, cMax = MaxNumMergeCand - 1): the first bin with
// a context, the rest bypass.
template <class Coder> void write_merge_idx(Coder &c, int max_num_merge_cand, int merge_idx) {
  const int c_max = max_num_merge_cand - 1;
  for (int i = 0; i < c_max; ++i) {
    const int bin = i < merge_idx;
    if (i == 0)
      c.encode_bin(kCtxMergeIdx, bin);
    else
      c.encode_bypass(bin);
    if (!bin)
      break;
  }
}

// ref_idx_l0 (TR, cMax = num_ref_idx_l0_active_minus1): two context bins,
// then bypass.
template <class Coder> void write_ref_idx(Coder &c, int num_ref_idx, int ref_idx) {
  const int c_max = num_ref_idx - 1;
  for (int i = 0; i < c_max; ++i) {
    const int bin = i < ref_idx;
    if (i < 2)
      c.encode_bin(kCtxRefIdx + i, bin);
    else
      c.encode_bypass(bin);
    if (!bin)
      break;
  }
}

// 7.3.8.9 mvd_coding(): greater0 and greater1 flags with contexts,
// abs_mvd_minus2 as first-order Exp-Golomb (9.3.3.5) and the signs bypass.
template <class Coder> void write_mvd(Coder &c, MotionVector mvd) {
  const int v[2] = {mvd.x, mvd.y};
  const int a[2] = {v[0] < 0 ? -v[0] : v[0], v[1] < 0 ? -v[1] : v[1]};
  c.encode_bin(kCtxAbsMvdGreater0Flag, a[0] > 0);
  c.encode_bin(kCtxAbsMvdGreater0Flag, a[1] > 0);
  for (int i = 0; i < 2; ++i)
    if (a[i] > 0)
      c.encode_bin(kCtxAbsMvdGreater1Flag, a[i] > 1);
  for (int i = 0; i < 2; ++i) {
    if (a[i] == 0)
      continue;
    if (a[i] > 1) {
      uint32_t value = static_cast<uint32_t>(a[i] - 2);
      int k = 1;
      while (value >= (1u << k)) {
        c.encode_bypass(1);
        value -= 1u << k;
        ++k;
      }
      c.encode_bypass(0);
      c.encode_bypass_bits(value, k);
    }
    c.encode_bypass(v[i] < 0); // mvd_sign_flag
  }
}

// intra_chroma_pred_mode (9.3.3.8): "0" for 4 (DM), else "1" and the value
// in two bypass bins.
template <class Coder> void write_intra_chroma_pred_mode(Coder &c, int syntax) {
  c.encode_bin(kCtxIntraChromaPredMode, syntax != 4);
  if (syntax != 4)
    c.encode_bypass_bits(static_cast<uint32_t>(syntax), 2);
}

// 7.3.8.8: whether a transform tree node codes split_transform_flag, and
// the value inferred when it does not (7.4.9.8).
struct TransformSplitRule {
  bool coded;
  bool inferred_split;
};
// inter_split: interSplitFlag's condition without trafoDepth (an inter CU
// of two partitions with max_transform_hierarchy_depth_inter 0).
inline TransformSplitRule transform_split_rule(const SequenceParams &sps, int log2_size, int depth,
                                               int max_depth, bool intra_split,
                                               bool inter_split = false) {
  const bool intra_split_here = intra_split && depth == 0;
  return {log2_size <= sps.max_tb_log2 && log2_size > sps.min_tb_log2 && depth < max_depth &&
              !intra_split_here,
          log2_size > sps.max_tb_log2 || intra_split_here || (inter_split && depth == 0)};
}

template <class Coder> void write_split_transform_flag(Coder &c, int log2_size, bool split) {
  c.encode_bin(kCtxSplitTransformFlag + 5 - log2_size, split);
}

// cbf_cb / cbf_cr of a transform tree node at trafoDepth (9.3.4.2: context
// trafoDepth).
template <class Coder> void write_cbf_chroma(Coder &c, int trafo_depth, bool cbf) {
  c.encode_bin(kCtxCbfChroma + trafo_depth, cbf);
}

// cbf_luma of a transform unit (9.3.4.2: context 1 at trafoDepth 0).
template <class Coder> void write_cbf_luma(Coder &c, int trafo_depth, bool cbf) {
  c.encode_bin(kCtxCbfLuma + (trafo_depth == 0 ? 1 : 0), cbf);
}

// 7.3.8.8: intra CUs always code cbf_luma; an inter CU's root transform
// unit without chroma residual infers it to be 1 (rqt_root_cbf said there
// is residual).
inline bool cbf_luma_coded(PredMode pred_mode, int trafo_depth, uint8_t chroma_cbf) {
  return pred_mode == PredMode::Intra || trafo_depth != 0 || chroma_cbf != 0;
}

// 7.3.8.11 residual_coding() of an n x n block of levels (row-major), with
// at least one non-zero level.
template <class Coder>
void write_residual_coding(Coder &c, const int16_t *levels, int log2_size, int c_idx, int scan_idx,
                           bool sign_data_hiding);

} // namespace quad::hevc
