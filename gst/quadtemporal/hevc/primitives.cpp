// The reference table: the scalar kernels of transform.cpp, quant.cpp,
// intra_pred.cpp, inter_prediction.cpp and deblock.cpp, the block metrics
// and luma interpolation of common/dsp, and the bi-prediction average,
// residual and reconstruction below.
#include "primitives.h"

#include <algorithm>

namespace quad::hevc {

namespace reference {

void avg_bipred(const int16_t *a, ptrdiff_t a_stride, const int16_t *b, ptrdiff_t b_stride,
                uint8_t *dst, ptrdiff_t dst_stride, int w, int h) {
  // H.265 8.5.3.3.4.2: shift2 = 15 - BitDepth, offset2 = 1 << (shift2 - 1).
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      dst[y * dst_stride + x] = static_cast<uint8_t>(
          std::clamp((a[y * a_stride + x] + b[y * b_stride + x] + 64) >> 7, 0, 255));
}

template <int N>
void residual(const uint8_t *src, ptrdiff_t src_stride, const uint8_t *pred, ptrdiff_t pred_stride,
              int16_t *res) {
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x)
      res[y * N + x] = static_cast<int16_t>(src[y * src_stride + x] - pred[y * pred_stride + x]);
}

template <int N>
void reconstruct(const uint8_t *pred, ptrdiff_t pred_stride, const int16_t *res, uint8_t *rec,
                 ptrdiff_t rec_stride) {
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x)
      rec[y * rec_stride + x] =
          static_cast<uint8_t>(std::clamp(pred[y * pred_stride + x] + res[y * N + x], 0, 255));
}

} // namespace reference

const Primitives &reference_primitives() {
  static const Primitives kReference = {
      "scalar",
      {reference::forward_dct<4>, reference::forward_dct<8>, reference::forward_dct<16>,
       reference::forward_dct<32>},
      {reference::inverse_dct<4>, reference::inverse_dct<8>, reference::inverse_dct<16>,
       reference::inverse_dct<32>},
      reference::forward_dst4,
      reference::inverse_dst4,
      reference::quant,
      reference::dequant,
      {reference::intra<4>, reference::intra<8>, reference::intra<16>, reference::intra<32>},
      {reference::residual<4>, reference::residual<8>, reference::residual<16>,
       reference::residual<32>},
      {reference::reconstruct<4>, reference::reconstruct<8>, reference::reconstruct<16>,
       reference::reconstruct<32>},
      dsp::reference_kernels().sad,
      dsp::reference_kernels().satd,
      dsp::reference_kernels().sse,
      dsp::reference_interp_kernels().luma,
      reference::interp_chroma_block,
      reference::avg_bipred,
      {reference::deblock_luma<true>, reference::deblock_luma<false>},
  };
  return kReference;
}

} // namespace quad::hevc
