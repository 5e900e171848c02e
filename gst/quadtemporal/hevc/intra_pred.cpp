#include "intra_pred.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "primitives.h"

namespace quad::hevc {
namespace reference {

#include "intra_kernels-inl.h"

template void intra<4>(const uint8_t *, int, bool, uint8_t *);
template void intra<8>(const uint8_t *, int, bool, uint8_t *);
template void intra<16>(const uint8_t *, int, bool, uint8_t *);
template void intra<32>(const uint8_t *, int, bool, uint8_t *);

} // namespace reference

namespace {

using reference::kBitDepth;
using reference::log2_size;
using reference::RefView;

// H.265 8.4.4.2.3: [1 2 1] filtering of the whole line, or the bilinear
// interpolation between the corners (strong intra smoothing, 32x32 only).
void filter_references(IntraReferences &refs, bool strong_intra_smoothing) {
  const int n = refs.n;
  const int total = 4 * n + 1;
  const uint8_t *a = refs.unfiltered.data();
  uint8_t *f = refs.filtered.data();
  const RefView p{a, n};
  const int corner = p.top(-1);
  const int bottom = p.left(2 * n - 1);
  const int right = p.top(2 * n - 1);
  const int threshold = 1 << (kBitDepth - 5);
  // biIntFlag: both edges close to a straight line between their ends.
  if (strong_intra_smoothing && n == 32 &&
      std::abs(corner + right - 2 * p.top(n - 1)) < threshold &&
      std::abs(corner + bottom - 2 * p.left(n - 1)) < threshold) {
    f[2 * n] = static_cast<uint8_t>(corner);
    f[0] = static_cast<uint8_t>(bottom);
    f[total - 1] = static_cast<uint8_t>(right);
    for (int i = 0; i < 63; ++i) {
      // p[-1][i] and p[i][-1], i = 0..62.
      f[2 * n - 1 - i] = static_cast<uint8_t>(((63 - i) * corner + (i + 1) * bottom + 32) >> 6);
      f[2 * n + 1 + i] = static_cast<uint8_t>(((63 - i) * corner + (i + 1) * right + 32) >> 6);
    }
    return;
  }
  f[0] = a[0];
  f[total - 1] = a[total - 1];
  for (int i = 1; i < total - 1; ++i)
    f[i] = static_cast<uint8_t>((a[i - 1] + 2 * a[i] + a[i + 1] + 2) >> 2);
}

} // namespace

bool intra_uses_filtered_references(int n, int c_idx, int mode) {
  // H.265 8.4.4.2.3: filterFlag.
  if (c_idx != 0 || mode == kIntraDc || n == 4)
    return false;
  const int min_dist_ver_hor =
      std::min(std::abs(mode - kIntraAngularVertical), std::abs(mode - kIntraAngularHorizontal));
  const int threshold = n == 8 ? 7 : n == 16 ? 1 : 0; // intraHorVerDistThres
  return min_dist_ver_hor > threshold;
}

void build_intra_references(const uint8_t *plane, ptrdiff_t stride, int x, int y, int n, int c_idx,
                            const IntraAvailability &avail, bool strong_intra_smoothing,
                            IntraReferences &refs, const uint8_t *top_line) {
  refs.n = n;
  refs.c_idx = c_idx;
  const int total = 4 * n + 1;
  uint8_t *a = refs.unfiltered.data();
  bool available[IntraReferences::kMaxSamples];
  std::fill(available, available + total, false);

  const uint8_t *left_col = plane + y * stride + (x - 1);
  const uint8_t *top_row = (top_line ? top_line : plane + (y - 1) * stride) + x;
  const int below_left = std::clamp(avail.below_left, 0, n);
  const int above_right = std::clamp(avail.above_right, 0, n);
  // Left column, p[-1][0..2n-1], stored bottom-up.
  const int left_count = avail.left ? n + below_left : 0;
  for (int i = 0; i < left_count; ++i) {
    a[2 * n - 1 - i] = left_col[i * stride];
    available[2 * n - 1 - i] = true;
  }
  if (avail.top_left) {
    a[2 * n] = top_row[-1];
    available[2 * n] = true;
  }
  const int top_count = avail.top ? n + above_right : 0;
  for (int i = 0; i < top_count; ++i) {
    a[2 * n + 1 + i] = top_row[i];
    available[2 * n + 1 + i] = true;
  }

  // H.265 8.4.4.2.2: substitution process for intra sample prediction.
  int first = 0;
  while (first < total && !available[first])
    ++first;
  if (first == total) {
    std::fill(a, a + total, static_cast<uint8_t>(1 << (kBitDepth - 1)));
  } else {
    // The search starts at p[-1][2n-1], goes up the left column, then along
    // the top row; the first available sample fills p[-1][2n-1], and every
    // other missing sample copies its predecessor in that order.
    if (first != 0)
      a[0] = a[first];
    for (int i = 1; i < total; ++i)
      if (!available[i])
        a[i] = a[i - 1];
  }

  refs.has_filtered = c_idx == 0 && n >= 8;
  if (refs.has_filtered)
    filter_references(refs, strong_intra_smoothing);
}

void predict_intra(const IntraReferences &refs, int mode, uint8_t *pred) {
  const int n = refs.n;
  const bool filtered = refs.has_filtered && intra_uses_filtered_references(n, refs.c_idx, mode);
  const uint8_t *line = filtered ? refs.filtered.data() : refs.unfiltered.data();
  const bool luma_edges = refs.c_idx == 0 && n < 32;
  primitives().intra[log2_size(n) - 2](line, mode, luma_edges, pred);
}

void predict_intra(const uint8_t *plane, ptrdiff_t stride, int x, int y, int n, int c_idx, int mode,
                   const IntraAvailability &avail, bool strong_intra_smoothing, uint8_t *pred) {
  IntraReferences refs;
  build_intra_references(plane, stride, x, y, n, c_idx, avail, strong_intra_smoothing, refs);
  predict_intra(refs, mode, pred);
}

int chroma_intra_mode(int intra_chroma_pred_mode, int luma_mode) {
  // H.265 8.4.3, Table 8-2.
  constexpr int kCandidates[4] = {kIntraPlanar, kIntraAngularVertical, kIntraAngularHorizontal,
                                  kIntraDc};
  if (intra_chroma_pred_mode == 4)
    return luma_mode;
  const int mode = kCandidates[intra_chroma_pred_mode];
  return mode == luma_mode ? 34 : mode;
}

} // namespace quad::hevc
