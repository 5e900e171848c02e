#include <cstring>

#include "ctu_encoder.h"
#include "primitives.h"
#include "quant.h"
#include "scan_order.h"
#include "sign_data_hiding.h"
#include "transform.h"

namespace quad::hevc {
namespace {

// An N x N block of samples; N known, so each row is a few vector moves
// rather than a call.
template <int N>
void copy_block(const uint8_t *src, ptrdiff_t src_stride, uint8_t *dst, ptrdiff_t dst_stride) {
  for (int row = 0; row < N; ++row)
    std::memcpy(dst + row * dst_stride, src + row * src_stride, N);
}

} // namespace

int CtuEncoder::code_transform_block(int c_idx, int x, int y, int log2_size, int mode,
                                     int16_t *levels, const InterPrediction *inter) {
  const int n = 1 << log2_size;
  const ptrdiff_t rec_stride = rec_->stride[c_idx];
  const ptrdiff_t src_stride = src_->stride[c_idx];
  uint8_t *rec = rec_->planes[c_idx] + y * rec_stride + x;
  const uint8_t *src = src_->planes[c_idx] + y * src_stride + x;

  // Intra: 8.4.4.2 prediction from the reconstruction decoded so far;
  // inter: the CU's motion-compensated prediction.
  const uint8_t *pred = pred_;
  ptrdiff_t pred_stride = n;
  if (inter) {
    pred = inter->at(c_idx, x, y);
    pred_stride = InterPrediction::stride(c_idx);
  } else {
    intra_references(x, y, n, c_idx);
    predict_intra(refs_, mode, pred_);
  }

  const Primitives &p = primitives();
  p.residual[log2_size - 2](src, src_stride, pred, pred_stride, residual_);

  // DST-VII for 4x4 intra luma (8.6.4.2, trType 1).
  const bool dst = !inter && c_idx == 0 && n == 4;
  const int qp = c_idx ? qp_chroma_ : params_.qp;
  const int rounding = inter ? params_.rounding_offset_inter_q10 : params_.rounding_offset_q10;
  forward_transform(residual_, coeff_buf_, n, dst);
  int nonzero = quantize(coeff_buf_, levels, n, qp, rounding);
  if (nonzero > 1 && params_.sign_data_hiding)
    nonzero = hide_signs(coeff_buf_, levels, log2_size, qp,
                         inter ? kScanDiagonal : intra_scan_idx(log2_size, c_idx, mode));

  if (nonzero == 0) {
    constexpr decltype(&copy_block<4>) kCopy[4] = {copy_block<4>, copy_block<8>, copy_block<16>,
                                                   copy_block<32>};
    kCopy[log2_size - 2](pred, pred_stride, rec, rec_stride);
    return 0;
  }
  // The decoder's path: 8.6.2 scaling, 8.6.4 transform, 8.6.7 picture
  // construction.
  dequantize(levels, coeff_buf_, n, qp);
  inverse_transform(coeff_buf_, residual_, n, dst);
  p.reconstruct[log2_size - 2](pred, pred_stride, residual_, rec, rec_stride);
  return nonzero;
}

} // namespace quad::hevc
