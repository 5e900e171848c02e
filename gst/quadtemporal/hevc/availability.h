// Which neighbouring blocks a block may use, following the decoding order
// (H.265 6.4): for intra sample prediction and for motion vector
// prediction. One slice and one tile per picture. GStreamer-free.
#pragma once

#include "intra_pred.h"
#include "parameter_sets.h"

namespace quad::hevc {

// 6.4.1: whether the luma sample (x_nb, y_nb) lies in the picture and is
// decoded before the block at (x_curr, y_curr) in z-scan order.
bool zscan_available(const SequenceParams &sps, int x_curr, int y_curr, int x_nb, int y_nb);

// 6.4.1 + 8.4.4.2.2: which neighbouring samples of the n x n block at
// (x, y) of plane c_idx are decoded before it.
IntraAvailability intra_availability(const SequenceParams &sps, int x, int y, int n, int c_idx);

} // namespace quad::hevc
