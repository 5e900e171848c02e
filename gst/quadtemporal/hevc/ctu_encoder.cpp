#include "ctu_encoder.h"

#include <cstring>

#include "dsp/dsp.h"
#include "syntax.h"

namespace quad::hevc {

void CtuEncoder::configure(const SequenceParams &sps, const PictureParams &pps,
                           const DecisionParams &params) {
  sps_ = sps;
  pps_ = pps;
  params_ = params;
  ctb_mask_ = (1 << sps.ctb_log2) - 1;
  qp_chroma_ = chroma_qp(params.qp);
  // 1.1 MB, first touched by the first CTU coded: in huge pages, one page
  // fault instead of some 280 (3-4 ms before a new worker's first CTUs).
  if (!candidates_)
    candidates_.reset(new (LargeAllocator<Candidates>().allocate(1)) Candidates());
}

void CtuEncoder::begin_picture(const PictureSamples *source, PictureSamples *recon,
                               BlockInfoMap *info, const InterSliceContext *inter,
                               const MotionHints *hints) {
  src_ = source;
  rec_ = recon;
  info_ = info;
  inter_ = inter;
  hints_ = hints ? *hints : MotionHints{};
}

void CtuEncoder::intra_references(int x, int y, int n, int c_idx) {
  const IntraAvailability avail = intra_availability(sps_, x, y, n, c_idx);
  const bool at_top = ((c_idx ? y << 1 : y) & ctb_mask_) == 0;
  build_intra_references(rec_->planes[c_idx], rec_->stride[c_idx], x, y, n, c_idx, avail,
                         sps_.strong_intra_smoothing, refs_,
                         at_top ? above_lines_[c_idx] : nullptr);
}

SyntaxContext CtuEncoder::syntax_context() const {
  SyntaxContext sc{&sps_, &pps_, info_, inter_ ? SliceType::P : SliceType::I};
  if (inter_) {
    sc.max_num_merge_cand = inter_->max_num_merge_cand;
    sc.num_ref_idx_l0 = inter_->num_ref_idx;
  }
  return sc;
}

void CtuEncoder::encode_ctu(int x_ctb, int y_ctb, const ContextSet &contexts) {
  counter_.contexts = contexts;
  counter_.frac_bits = 0;
  decide_coding_quadtree(x_ctb, y_ctb, sps_.ctb_log2, 0, false);
}

void CtuEncoder::capture(Candidate &cand, int x, int y, int size, Planes planes) const {
  const int z = z_index(x & ctb_mask_, y & ctb_mask_);
  for (int c = has_luma(planes) ? 0 : 1; c < (has_chroma(planes) ? 3 : 1); ++c) {
    const int sh = c ? 1 : 0;
    const int n = size >> sh;
    const uint8_t *r = rec_->planes[c] + (y >> sh) * rec_->stride[c] + (x >> sh);
    for (int row = 0; row < n; ++row)
      std::memcpy(cand.rec[c] + row * n, r + row * rec_->stride[c], n);
    const int16_t *lv = coeffs_.plane(c) + (c ? 4 * z : 16 * z);
    std::memcpy(cand.levels[c], lv, sizeof(int16_t) * n * n);
  }
  const int n4 = size >> 2;
  for (int row = 0; row < n4; ++row)
    std::memcpy(&cand.info[row * n4], &info_->at(x, y + 4 * row), sizeof(BlockInfo) * n4);
}

void CtuEncoder::commit(const Candidate &cand, int x, int y, int size, Planes planes) {
  const int z = z_index(x & ctb_mask_, y & ctb_mask_);
  for (int c = has_luma(planes) ? 0 : 1; c < (has_chroma(planes) ? 3 : 1); ++c) {
    const int sh = c ? 1 : 0;
    const int n = size >> sh;
    uint8_t *r = rec_->planes[c] + (y >> sh) * rec_->stride[c] + (x >> sh);
    for (int row = 0; row < n; ++row)
      std::memcpy(r + row * rec_->stride[c], cand.rec[c] + row * n, n);
    int16_t *lv = coeffs_.plane(c) + (c ? 4 * z : 16 * z);
    std::memcpy(lv, cand.levels[c], sizeof(int16_t) * n * n);
  }
  const int n4 = size >> 2;
  for (int row = 0; row < n4; ++row)
    std::memcpy(&info_->at(x, y + 4 * row), &cand.info[row * n4], sizeof(BlockInfo) * n4);
}

uint64_t CtuEncoder::area_sse(int x, int y, int size, Planes planes) const {
  const dsp::Kernels &k = dsp::kernels();
  uint64_t sse = 0;
  for (int c = has_luma(planes) ? 0 : 1; c < (has_chroma(planes) ? 3 : 1); ++c) {
    const int sh = c ? 1 : 0;
    const int n = size >> sh;
    const ptrdiff_t off_s = (y >> sh) * src_->stride[c] + (x >> sh);
    const ptrdiff_t off_r = (y >> sh) * rec_->stride[c] + (x >> sh);
    sse += k.sse(src_->planes[c] + off_s, src_->stride[c], rec_->planes[c] + off_r, rec_->stride[c],
                 n, n);
  }
  return sse;
}

// The exact cost of a CU: its whole syntax from the contexts it starts
// with, which also leaves counter_ in the state after it.
double CtuEncoder::cu_cost(int x, int y, int log2_size, int depth, const CabacBitCounter &start) {
  const int size = 1 << log2_size;
  counter_ = start;
  const SyntaxContext sc = syntax_context();
  if (x + size <= sps_.width && y + size <= sps_.height && log2_size > sps_.min_cb_log2)
    write_split_cu_flag(counter_, sc, x, y, depth, false);
  write_coding_unit(counter_, sc, coeffs_, x, y, log2_size);
  const uint64_t distortion = area_sse(x, y, size, Planes::All);
  return static_cast<double>(distortion) +
         params_.lambda * static_cast<double>(counter_.frac_bits - start.frac_bits) /
             kFracBitsPerBit;
}

int chroma_qp(int qpi) {
  static constexpr int kTable[14] = {29, 30, 31, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37, 37};
  if (qpi < 30)
    return qpi;
  if (qpi > 43)
    return qpi - 6;
  return kTable[qpi - 30];
}

} // namespace quad::hevc
