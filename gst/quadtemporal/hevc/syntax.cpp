#include "syntax.h"

#include <algorithm>

#include "cabac.h"
#include "intra_pred.h"
#include "scan_order.h"

namespace quad::hevc {
namespace {

// 9.3.4.2.5: sigCtx of the positions of a 4x4 transform block.
constexpr uint8_t kCtxIdxMap4x4[16] = {0, 1, 4, 5, 2, 3, 4, 5, 6, 6, 8, 8, 7, 7, 8, 8};

// 9.3.4.2.5: sigCtx of the 16 positions of a 4x4 sub-block in each scan
// order, before the offsets of block size, component and sub-block: by the
// coded sub-blocks right and below (prevCsbf 0..3), or ctxIdxMap for 4x4
// transform blocks (index 4).
struct SigCtxPatterns {
  uint8_t ctx[3][5][16]; // [scanIdx][prevCsbf, or 4][n]
};

SigCtxPatterns make_sig_ctx_patterns() {
  SigCtxPatterns t{};
  for (int scan = 0; scan < 3; ++scan) {
    const ScanPosition *pos = scan_order(2, scan);
    for (int n = 0; n < 16; ++n) {
      const int x = pos[n].x;
      const int y = pos[n].y;
      t.ctx[scan][0][n] = static_cast<uint8_t>(x + y == 0 ? 2 : x + y < 3 ? 1 : 0);
      t.ctx[scan][1][n] = static_cast<uint8_t>(y == 0 ? 2 : y == 1 ? 1 : 0);
      t.ctx[scan][2][n] = static_cast<uint8_t>(x == 0 ? 2 : x == 1 ? 1 : 0);
      t.ctx[scan][3][n] = 2;
      t.ctx[scan][4][n] = kCtxIdxMap4x4[(y << 2) + x];
    }
  }
  return t;
}

const SigCtxPatterns &sig_ctx_patterns() {
  static const SigCtxPatterns patterns = make_sig_ctx_patterns();
  return patterns;
}

// 7.4.9.11 / 9.3.3: last_sig_coeff_{x,y}_prefix of a position and the first
// position of each prefix.
constexpr uint8_t kLastPrefix[32] = {0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7,
                                     8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9};
constexpr uint8_t kLastPrefixMin[10] = {0, 1, 2, 3, 4, 6, 8, 12, 16, 24};

template <class Coder>
void write_last_prefix(Coder &c, int ctx_first, int prefix, int log2_size, int c_idx) {
  // 9.3.4.2.3: context offset and shift by block size and component.
  int offset;
  int shift;
  if (c_idx == 0) {
    offset = 3 * (log2_size - 2) + ((log2_size - 1) >> 2);
    shift = (log2_size + 1) >> 2;
  } else {
    offset = 15;
    shift = log2_size - 2;
  }
  // TR binarisation, cMax = (log2_size << 1) - 1.
  const int c_max = (log2_size << 1) - 1;
  for (int i = 0; i < prefix; ++i)
    c.encode_bin(ctx_first + offset + (i >> shift), 1);
  if (prefix < c_max)
    c.encode_bin(ctx_first + offset + (prefix >> shift), 0);
}

// 9.3.3.11: coeff_abs_level_remaining, a Rice prefix of at most four ones
// followed by an Exp-Golomb order cRiceParam + 1 suffix.
template <class Coder> void write_abs_level_remaining(Coder &c, uint32_t value, int rice) {
  if (value < (4u << rice)) {
    const int prefix = static_cast<int>(value >> rice);
    c.encode_bypass_bits((1u << (prefix + 1)) - 2, prefix + 1);
    c.encode_bypass_bits(value & ((1u << rice) - 1), rice);
    return;
  }
  uint32_t v = value - (4u << rice);
  int k = rice + 1;
  int ones = 4;
  while (v >= (1u << k)) {
    v -= 1u << k;
    ++k;
    ++ones;
  }
  for (int i = 0; i < ones; ++i)
    c.encode_bypass(1);
  c.encode_bypass(0);
  c.encode_bypass_bits(v, k);
}

} // namespace

template <class Coder>
void write_residual_coding(Coder &c, const int16_t *levels, int log2_size, int c_idx, int scan_idx,
                           bool sign_data_hiding) {
  const int size = 1 << log2_size;
  const int log2_sb = log2_size - 2;
  const int sb_width = 1 << log2_sb;
  const int num_sb = sb_width * sb_width;
  const ScanPosition *sb_scan = scan_order(log2_sb, scan_idx);
  const ScanPosition *pos_scan = scan_order(2, scan_idx);

  // Levels of every sub-block in scan order, and their significance masks.
  int16_t sb_levels[64][16];
  uint16_t sig_mask[64];
  int last_sb = -1;
  for (int i = 0; i < num_sb; ++i) {
    const int x_s = sb_scan[i].x;
    const int y_s = sb_scan[i].y;
    const int16_t *base = levels + (y_s * 4) * size + x_s * 4;
    if (sub_block_is_zero(base, size)) {
      sig_mask[i] = 0;
      continue;
    }
    uint16_t mask = 0;
    for (int n = 0; n < 16; ++n) {
      const int16_t v = base[pos_scan[n].y * size + pos_scan[n].x];
      sb_levels[i][n] = v;
      mask |= static_cast<uint16_t>((v != 0) << n);
    }
    sig_mask[i] = mask;
    if (mask)
      last_sb = i;
  }
  const int last_pos = 31 - __builtin_clz(sig_mask[last_sb]);

  // last_sig_coeff_{x,y}_{prefix,suffix}; swapped for the vertical scan
  // (7.4.9.11).
  int last_x = sb_scan[last_sb].x * 4 + pos_scan[last_pos].x;
  int last_y = sb_scan[last_sb].y * 4 + pos_scan[last_pos].y;
  if (scan_idx == kScanVertical)
    std::swap(last_x, last_y);
  const int prefix_x = kLastPrefix[last_x];
  const int prefix_y = kLastPrefix[last_y];
  write_last_prefix(c, kCtxLastSigCoeffXPrefix, prefix_x, log2_size, c_idx);
  write_last_prefix(c, kCtxLastSigCoeffYPrefix, prefix_y, log2_size, c_idx);
  if (prefix_x > 3)
    c.encode_bypass_bits(last_x - kLastPrefixMin[prefix_x], (prefix_x >> 1) - 1);
  if (prefix_y > 3)
    c.encode_bypass_bits(last_y - kLastPrefixMin[prefix_y], (prefix_y >> 1) - 1);

  uint8_t coded_sb[8][8] = {}; // coded_sub_block_flag[xS][yS]
  int greater1_state = 1;      // greater1Ctx after the previous sub-block
  const int csbf_ctx = kCtxCodedSubBlockFlag + (c_idx ? 2 : 0);
  const int g1_ctx = kCtxCoeffAbsLevelGreater1 + (c_idx ? 16 : 0);
  const int g2_ctx = kCtxCoeffAbsLevelGreater2 + (c_idx ? 4 : 0);
  const int sig_ctx = kCtxSigCoeffFlag + (c_idx ? 27 : 0);
  const SigCtxPatterns &patterns = sig_ctx_patterns();

  for (int i = last_sb; i >= 0; --i) {
    const int x_s = sb_scan[i].x;
    const int y_s = sb_scan[i].y;
    const uint16_t mask = sig_mask[i];
    const int right = x_s + 1 < sb_width ? coded_sb[x_s + 1][y_s] : 0;
    const int below = y_s + 1 < sb_width ? coded_sb[x_s][y_s + 1] : 0;

    // coded_sub_block_flag: inferred 1 for the first and last sub-blocks.
    bool infer_dc = false;
    if (i < last_sb && i > 0) {
      const int flag = mask != 0;
      c.encode_bin(csbf_ctx + std::min(right + below, 1), flag);
      coded_sb[x_s][y_s] = static_cast<uint8_t>(flag);
      if (!flag)
        continue;
      infer_dc = true;
    } else {
      coded_sb[x_s][y_s] = 1;
    }

    // sig_coeff_flag (9.3.4.2.5); the DC of the first sub-block (in scan
    // order, (0, 0) of both) has sigCtx 0.
    const int prev_csbf = right + (below << 1);
    const uint8_t *pattern = patterns.ctx[scan_idx][log2_size == 2 ? 4 : prev_csbf];
    int offset = 0;
    if (log2_size > 2 && c_idx == 0)
      offset = (i > 0 ? 3 : 0) + (log2_size == 3 ? (scan_idx == 0 ? 9 : 15) : 21);
    else if (log2_size > 2)
      offset = log2_size == 3 ? 9 : 12;
    const int first_n = i == last_sb ? last_pos - 1 : 15;
    for (int n = first_n; n >= 0; --n) {
      if (n == 0 && infer_dc)
        break; // inferred significant
      const int ctx = n == 0 && i == 0 ? 0 : pattern[n] + offset;
      const int sig = (mask >> n) & 1;
      c.encode_bin(sig_ctx + ctx, sig);
      if (sig)
        infer_dc = false;
    }

    // The first sub-block is coded even when all its levels are zero.
    if (mask == 0)
      continue;

    // The significant levels of the sub-block in coding order (n = 15..0).
    int abs_level[16];
    int num_sig = 0;
    uint32_t signs = 0;
    for (int n = 15; n >= 0; --n) {
      if ((mask >> n) & 1) {
        const int v = sb_levels[i][n];
        abs_level[num_sig++] = v < 0 ? -v : v;
        signs = (signs << 1) | (v < 0 ? 1u : 0u);
      }
    }
    const int last_sig_n = 31 - __builtin_clz(mask);
    const int first_sig_n = __builtin_ctz(mask);

    // coeff_abs_level_greater1_flag (9.3.4.2.6) for the first eight.
    int ctx_set = (i == 0 || c_idx > 0) ? 0 : 2;
    if (greater1_state == 0)
      ++ctx_set;
    int greater1_ctx = 1;
    int first_g1 = -1;
    const int num_g1 = std::min(num_sig, 8);
    for (int k = 0; k < num_g1; ++k) {
      const int flag = abs_level[k] > 1;
      c.encode_bin(g1_ctx + ctx_set * 4 + std::min(greater1_ctx, 3), flag);
      if (flag) {
        greater1_ctx = 0;
        if (first_g1 < 0)
          first_g1 = k;
      } else if (greater1_ctx > 0) {
        ++greater1_ctx;
      }
    }
    greater1_state = greater1_ctx;
    // coeff_abs_level_greater2_flag (9.3.4.2.7) for the first greater1.
    if (first_g1 >= 0)
      c.encode_bin(g2_ctx + ctx_set, abs_level[first_g1] > 2);

    // coeff_sign_flag, without the first coefficient's (the last in coding
    // order) when its sign is hidden in the parity (7.3.8.11).
    const bool sign_hidden = sign_data_hiding && last_sig_n - first_sig_n > 3;
    if (sign_hidden)
      c.encode_bypass_bits(signs >> 1, num_sig - 1);
    else
      c.encode_bypass_bits(signs, num_sig);

    // coeff_abs_level_remaining with the cRiceParam adaptation (9.3.3.11).
    int rice = 0;
    for (int k = 0; k < num_sig; ++k) {
      const int abs = abs_level[k];
      int base = 1;
      int threshold = 1;
      if (k < 8) {
        base += abs > 1;
        threshold = 2;
        if (k == first_g1) {
          base += abs > 2;
          threshold = 3;
        }
      }
      if (base == threshold) {
        write_abs_level_remaining(c, static_cast<uint32_t>(abs - base), rice);
        if (abs > 3 * (1 << rice))
          rice = std::min(rice + 1, 4);
      }
    }
  }
}

template <class Coder>
void write_intra_luma_mode(Coder &c, const MostProbableModes &mpm, int mode) {
  const int idx = mpm.index_of(mode);
  c.encode_bin(kCtxPrevIntraLumaPredFlag, idx >= 0);
  if (idx >= 0) {
    // mpm_idx: TR, cMax = 2, bypass.
    c.encode_bypass(idx > 0);
    if (idx > 0)
      c.encode_bypass(idx > 1);
  } else {
    c.encode_bypass_bits(static_cast<uint32_t>(mpm.rem_of(mode)), 5);
  }
}

template <class Coder>
void write_split_cu_flag(Coder &c, const SyntaxContext &sc, int x0, int y0, int ct_depth,
                         bool split) {
  // 9.3.4.2.2: one context increment per available neighbour (left, above)
  // with a deeper coding tree.
  const SequenceParams &sps = *sc.sps;
  int inc = 0;
  if (x0 > 0 && sps.ctb_log2 - sc.info->at(x0 - 1, y0).cu_log2_size > ct_depth)
    ++inc;
  if (y0 > 0 && sps.ctb_log2 - sc.info->at(x0, y0 - 1).cu_log2_size > ct_depth)
    ++inc;
  c.encode_bin(kCtxSplitCuFlag + inc, split);
}

namespace {

// cu_skip_flag (9.3.4.2.2: one context increment per available skipped
// neighbour, left and above).
template <class Coder>
void write_cu_skip_flag(Coder &c, const SyntaxContext &sc, int x0, int y0, bool skip) {
  int inc = 0;
  if (x0 > 0 && sc.info->at(x0 - 1, y0).pred_mode == PredMode::Skip)
    ++inc;
  if (y0 > 0 && sc.info->at(x0, y0 - 1).pred_mode == PredMode::Skip)
    ++inc;
  c.encode_bin(kCtxCuSkipFlag + inc, skip);
}

// 7.3.8.6 prediction_unit() of a P slice as recorded in the block info of
// its first 4x4 block; a skipped CU codes merge_idx only.
template <class Coder>
void write_prediction_unit(Coder &c, const SyntaxContext &sc, const BlockInfo &b) {
  if (b.pred_mode != PredMode::Skip)
    c.encode_bin(kCtxMergeFlag, b.merge_flag);
  if (b.pred_mode == PredMode::Skip || b.merge_flag) {
    if (sc.max_num_merge_cand > 1)
      write_merge_idx(c, sc.max_num_merge_cand, b.merge_idx);
    return;
  }
  if (sc.num_ref_idx_l0 > 1)
    write_ref_idx(c, sc.num_ref_idx_l0, b.motion.ref_idx[0]);
  write_mvd(c, b.mvd);
  c.encode_bin(kCtxMvpFlag, b.mvp_idx); // mvp_l0_flag
}

struct TransformTreeArgs {
  const SyntaxContext *sc;
  const CtuCoefficients *coeffs;
  int ctb_mask;
  int max_trafo_depth;
  bool intra;
  bool intra_split;
  bool inter_split; // interSplitFlag's condition, trafoDepth aside
  int chroma_mode;  // IntraPredModeC of an intra CU
};

// Non-zero chroma levels anywhere in the leaves of a transform tree node.
uint8_t chroma_cbf_of_node(const BlockInfoMap &info, int x0, int y0, int size) {
  uint8_t cbf = 0;
  for (int y = y0; y < y0 + size; y += 4)
    for (int x = x0; x < x0 + size; x += 4)
      cbf |= info.at(x, y).cbf;
  return cbf & (kCbfCb | kCbfCr);
}

// 7.3.8.8 transform_tree() and 7.3.8.10 transform_unit().
template <class Coder>
void write_transform_tree(Coder &c, const TransformTreeArgs &a, int x0, int y0, int x_base,
                          int y_base, int log2_size, int depth, int blk_idx,
                          uint8_t parent_chroma_cbf) {
  const SequenceParams &sps = *a.sc->sps;
  const BlockInfoMap &info = *a.sc->info;
  const BlockInfo &b = info.at(x0, y0);

  const TransformSplitRule rule =
      transform_split_rule(sps, log2_size, depth, a.max_trafo_depth, a.intra_split, a.inter_split);
  bool split = rule.inferred_split;
  if (rule.coded) {
    split = b.tu_log2_size < log2_size;
    write_split_transform_flag(c, log2_size, split);
  }

  uint8_t chroma_cbf = 0;
  if (log2_size > 2) {
    const uint8_t node_cbf = chroma_cbf_of_node(info, x0, y0, 1 << log2_size);
    for (const uint8_t bit : {kCbfCb, kCbfCr}) {
      if (depth == 0 || (parent_chroma_cbf & bit)) {
        write_cbf_chroma(c, depth, (node_cbf & bit) != 0);
        chroma_cbf |= node_cbf & bit;
      }
    }
  }

  if (split) {
    const int half = 1 << (log2_size - 1);
    write_transform_tree(c, a, x0, y0, x0, y0, log2_size - 1, depth + 1, 0, chroma_cbf);
    write_transform_tree(c, a, x0 + half, y0, x0, y0, log2_size - 1, depth + 1, 1, chroma_cbf);
    write_transform_tree(c, a, x0, y0 + half, x0, y0, log2_size - 1, depth + 1, 2, chroma_cbf);
    write_transform_tree(c, a, x0 + half, y0 + half, x0, y0, log2_size - 1, depth + 1, 3,
                         chroma_cbf);
    return;
  }

  const bool cbf_luma = (b.cbf & kCbfLuma) != 0;
  if (cbf_luma_coded(a.intra ? PredMode::Intra : PredMode::Inter, depth, chroma_cbf))
    write_cbf_luma(c, depth, cbf_luma);

  // 7.3.8.10: 4x4 luma blocks carry their chroma with blkIdx 3, using the
  // parent's cbf_cb / cbf_cr.
  const uint8_t tu_chroma = log2_size == 2 ? parent_chroma_cbf : chroma_cbf;
  if (!cbf_luma && !tu_chroma)
    return;
  const int mask = a.ctb_mask;
  if (cbf_luma) {
    const int z = z_index(x0 & mask, y0 & mask);
    // 7.4.9.11: only intra blocks choose their scan by mode.
    write_residual_coding(c, a.coeffs->luma + 16 * z, log2_size, 0,
                          a.intra ? intra_scan_idx(log2_size, 0, b.intra_luma_mode) : kScanDiagonal,
                          a.sc->pps->sign_data_hiding);
  }
  int chroma_log2;
  int z_chroma;
  if (log2_size > 2) {
    chroma_log2 = log2_size - 1;
    z_chroma = z_index(x0 & mask, y0 & mask);
  } else if (blk_idx == 3) {
    chroma_log2 = 2;
    z_chroma = z_index(x_base & mask, y_base & mask);
  } else {
    return;
  }
  const int scan = a.intra ? intra_scan_idx(chroma_log2, 1, a.chroma_mode) : kScanDiagonal;
  if (tu_chroma & kCbfCb)
    write_residual_coding(c, a.coeffs->cb + 4 * z_chroma, chroma_log2, 1, scan,
                          a.sc->pps->sign_data_hiding);
  if (tu_chroma & kCbfCr)
    write_residual_coding(c, a.coeffs->cr + 4 * z_chroma, chroma_log2, 2, scan,
                          a.sc->pps->sign_data_hiding);
}

} // namespace

template <class Coder>
void write_coding_unit(Coder &c, const SyntaxContext &sc, const CtuCoefficients &coeffs, int x0,
                       int y0, int log2_cb_size) {
  const SequenceParams &sps = *sc.sps;
  const BlockInfoMap &info = *sc.info;
  const BlockInfo &b = info.at(x0, y0);
  const bool nxn = b.part_mode == PartMode::PartNxN;
  TransformTreeArgs a;
  a.sc = &sc;
  a.coeffs = &coeffs;
  a.ctb_mask = (1 << sps.ctb_log2) - 1;

  if (sc.slice_type != SliceType::I) {
    write_cu_skip_flag(c, sc, x0, y0, b.pred_mode == PredMode::Skip);
    if (b.pred_mode == PredMode::Skip) {
      write_prediction_unit(c, sc, b);
      return;
    }
    c.encode_bin(kCtxPredModeFlag, b.pred_mode == PredMode::Intra); // pred_mode_flag
  }
  write_part_mode(c, sps, log2_cb_size, b.pred_mode, b.part_mode);

  if (b.pred_mode == PredMode::Inter) {
    const int size = 1 << log2_cb_size;
    const bool two_parts = b.part_mode != PartMode::Part2Nx2N;
    write_prediction_unit(c, sc, b);
    if (two_parts) {
      const bool horizontal = b.part_mode == PartMode::Part2NxN;
      write_prediction_unit(
          c, sc, info.at(x0 + (horizontal ? 0 : size / 2), y0 + (horizontal ? size / 2 : 0)));
    }
    uint8_t cbf = 0;
    info.fill_read(x0, y0, size, [&](const BlockInfo &blk) { cbf |= blk.cbf; });
    // rqt_root_cbf, inferred 1 for 2Nx2N merge (such a CU without residual
    // is a skipped one).
    if (two_parts || !b.merge_flag)
      c.encode_bin(kCtxRqtRootCbf, cbf != 0);
    if (cbf == 0)
      return;
    a.intra = false;
    a.intra_split = false;
    a.max_trafo_depth = sps.max_transform_hierarchy_depth_inter;
    a.inter_split = sps.max_transform_hierarchy_depth_inter == 0 && two_parts;
    a.chroma_mode = 0;
    write_transform_tree(c, a, x0, y0, x0, y0, log2_cb_size, 0, 0, 0);
    return;
  }

  // 7.3.8.5: all prev_intra_luma_pred_flags first, then the indices.
  const int half = 1 << (log2_cb_size - 1);
  const int num_pb = nxn ? 4 : 1;
  MostProbableModes mpm[4];
  int mode[4];
  int mpm_idx[4];
  for (int p = 0; p < num_pb; ++p) {
    const int x = x0 + (p & 1) * half;
    const int y = y0 + (p >> 1) * half;
    mpm[p] = derive_most_probable_modes(info, x, y, sps.ctb_log2);
    mode[p] = info.at(x, y).intra_luma_mode;
    mpm_idx[p] = mpm[p].index_of(mode[p]);
    c.encode_bin(kCtxPrevIntraLumaPredFlag, mpm_idx[p] >= 0);
  }
  for (int p = 0; p < num_pb; ++p) {
    if (mpm_idx[p] >= 0) {
      c.encode_bypass(mpm_idx[p] > 0);
      if (mpm_idx[p] > 0)
        c.encode_bypass(mpm_idx[p] > 1);
    } else {
      c.encode_bypass_bits(static_cast<uint32_t>(mpm[p].rem_of(mode[p])), 5);
    }
  }
  const int chroma_syntax = b.intra_chroma_syntax;
  write_intra_chroma_pred_mode(c, chroma_syntax);

  a.intra = true;
  a.intra_split = nxn;
  a.inter_split = false;
  a.max_trafo_depth = sps.max_transform_hierarchy_depth_intra + (nxn ? 1 : 0);
  a.chroma_mode = chroma_intra_mode(chroma_syntax, b.intra_luma_mode);
  write_transform_tree(c, a, x0, y0, x0, y0, log2_cb_size, 0, 0, 0);
}

namespace {

template <class Coder>
void write_coding_quadtree(Coder &c, const SyntaxContext &sc, const CtuCoefficients &coeffs, int x0,
                           int y0, int log2_size, int depth) {
  const SequenceParams &sps = *sc.sps;
  const int size = 1 << log2_size;
  bool split;
  if (x0 + size <= sps.width && y0 + size <= sps.height && log2_size > sps.min_cb_log2) {
    split = sc.info->at(x0, y0).cu_log2_size < log2_size;
    write_split_cu_flag(c, sc, x0, y0, depth, split);
  } else {
    split = log2_size > sps.min_cb_log2;
  }
  if (!split) {
    write_coding_unit(c, sc, coeffs, x0, y0, log2_size);
    return;
  }
  const int half = size >> 1;
  for (int k = 0; k < 4; ++k) {
    const int x = x0 + (k & 1) * half;
    const int y = y0 + (k >> 1) * half;
    if (x < sps.width && y < sps.height)
      write_coding_quadtree(c, sc, coeffs, x, y, log2_size - 1, depth + 1);
  }
}

} // namespace

template <class Coder>
void write_coding_tree_unit(Coder &c, const SyntaxContext &sc, const CtuCoefficients &coeffs,
                            int x_ctb, int y_ctb) {
  write_coding_quadtree(c, sc, coeffs, x_ctb, y_ctb, sc.sps->ctb_log2, 0);
}

#define QUAD_HEVC_INSTANTIATE_SYNTAX(Coder)                                                        \
  template void write_coding_tree_unit<Coder>(Coder &, const SyntaxContext &,                      \
                                              const CtuCoefficients &, int, int);                  \
  template void write_split_cu_flag<Coder>(Coder &, const SyntaxContext &, int, int, int, bool);   \
  template void write_coding_unit<Coder>(Coder &, const SyntaxContext &, const CtuCoefficients &,  \
                                         int, int, int);                                           \
  template void write_intra_luma_mode<Coder>(Coder &, const MostProbableModes &, int);             \
  template void write_residual_coding<Coder>(Coder &, const int16_t *, int, int, int, bool);

QUAD_HEVC_INSTANTIATE_SYNTAX(CabacWriter)
QUAD_HEVC_INSTANTIATE_SYNTAX(CabacBitCounter)

} // namespace quad::hevc
