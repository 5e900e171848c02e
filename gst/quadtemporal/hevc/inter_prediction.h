// Inter sample prediction of one prediction block from one reference
// picture (H.265 8.5.3.3): luma 8-tap quarter-sample and chroma 4-tap
// eighth-sample interpolation (8.5.3.3.3) followed by default weighted
// uni-prediction (8.5.3.3.4.2), as a decoder does it. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include "picture.h"

namespace quad::hevc {

// Predicts the w x h luma block at (x, y) of the current picture moved by
// mv (quarter samples) in ref, into pred[0] (stride pred_stride[0]), and
// its w/2 x h/2 chroma blocks into pred[1] and pred[2]. w is 8..64 (a
// multiple of 4 ... as the prediction block sizes of 4:2:0 allow); samples
// outside the reference picture are its nearest edge samples (8-228,
// 8-229), read from the margin where it reaches and clamped otherwise.
void predict_inter(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                   uint8_t *const pred[3], const ptrdiff_t pred_stride[3]);

// The luma or the chroma part of predict_inter() alone.
void predict_inter_luma(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                        uint8_t *pred, ptrdiff_t pred_stride);
void predict_inter_chroma(const PictureSamples &ref, int x, int y, int w, int h, MotionVector mv,
                          uint8_t *const pred[3], const ptrdiff_t pred_stride[3]);

// H.265 Table 8-13: fC[frac][i], the chroma filter for eighth-sample
// phase frac, applied to the sample at offset i - 1.
inline constexpr int8_t kChromaFilter[8][4] = {
    {0, 64, 0, 0},    {-2, 58, 10, -2}, {-4, 54, 16, -2}, {-6, 46, 28, -4},
    {-4, 36, 36, -4}, {-4, 28, 46, -6}, {-2, 16, 54, -4}, {-2, 10, 58, -2},
};

} // namespace quad::hevc
