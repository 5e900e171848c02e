#include "intra_pred.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace quad::hevc {
namespace {

constexpr int kBitDepth = 8;

// H.265 8.4.4.2.6: intraPredAngle for modes 2..34 (index = mode).
constexpr int kIntraPredAngle[35] = {0,  0,  32,  26,  21,  17,  13,  9,   5,   2,   0,   -2,
                                     -5, -9, -13, -17, -21, -26, -32, -26, -21, -17, -13, -9,
                                     -5, -2, 0,   2,   5,   9,   13,  17,  21,  26,  32};

// H.265 8.4.4.2.6: invAngle for modes 11..25 (index = mode).
constexpr int kInvAngle[35] = {0,    0,    0,     0,     0,    0,    0,     0,     0,
                               0,    0,    -4096, -1638, -910, -630, -482,  -390,  -315,
                               -256, -315, -390,  -482,  -630, -910, -1638, -4096, 0,
                               0,    0,    0,     0,     0,    0,    0,     0};

int log2_size(int n) {
  return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
}

inline uint8_t clip_pixel(int v) {
  return static_cast<uint8_t>(std::clamp(v, 0, (1 << kBitDepth) - 1));
}

// Views of the one-line reference array (see IntraReferences): left(y) is
// p[-1][y], top(x) is p[x][-1], both for -1..2n-1.
struct RefView {
  const uint8_t *a;
  int n;
  int left(int y) const { return a[2 * n - 1 - y]; }
  int top(int x) const { return a[2 * n + 1 + x]; }
};

// H.265 8.4.4.2.4: INTRA_PLANAR.
void predict_planar(const RefView &p, uint8_t *pred) {
  const int n = p.n;
  const int shift = log2_size(n) + 1;
  const int top_right = p.top(n);
  const int bottom_left = p.left(n);
  for (int y = 0; y < n; ++y) {
    const int left = p.left(y);
    uint8_t *row = pred + y * n;
    for (int x = 0; x < n; ++x)
      row[x] = static_cast<uint8_t>(((n - 1 - x) * left + (x + 1) * top_right +
                                     (n - 1 - y) * p.top(x) + (y + 1) * bottom_left + n) >>
                                    shift);
  }
}

// H.265 8.4.4.2.5: INTRA_DC, with the edge filters for luma below 32x32.
void predict_dc(const RefView &p, bool edge_filters, uint8_t *pred) {
  const int n = p.n;
  int sum = n;
  for (int i = 0; i < n; ++i)
    sum += p.top(i) + p.left(i);
  const int dc = sum >> (log2_size(n) + 1);
  std::memset(pred, dc, static_cast<size_t>(n) * n);
  if (!edge_filters)
    return;
  pred[0] = static_cast<uint8_t>((p.left(0) + 2 * dc + p.top(0) + 2) >> 2);
  for (int x = 1; x < n; ++x)
    pred[x] = static_cast<uint8_t>((p.top(x) + 3 * dc + 2) >> 2);
  for (int y = 1; y < n; ++y)
    pred[y * n] = static_cast<uint8_t>((p.left(y) + 3 * dc + 2) >> 2);
}

// H.265 8.4.4.2.6: INTRA_ANGULAR2..34. Vertical modes (>= 18) are computed
// directly; horizontal modes are the same process with the roles of the top
// row and left column swapped, computed transposed and transposed back.
void predict_angular(const RefView &p, int mode, bool boundary_filter, uint8_t *pred) {
  const int n = p.n;
  const bool vertical = mode >= 18;
  const int angle = kIntraPredAngle[mode];

  // main(i) / side(i): the reference line the mode projects onto, and the
  // other one, each for i = -1..2n-1 (main(-1) == side(-1) == p[-1][-1]).
  auto main_ref = [&](int i) { return vertical ? p.top(i) : p.left(i); };
  auto side_ref = [&](int i) { return vertical ? p.left(i) : p.top(i); };

  // ref[i] for i = -n..2n, stored at buf[i + n].
  uint8_t buf[3 * 32 + 1];
  uint8_t *ref = buf + n;
  for (int i = 0; i <= n; ++i)
    ref[i] = static_cast<uint8_t>(main_ref(i - 1));
  if (angle < 0) {
    const int last = (n * angle) >> 5;
    if (last < -1) {
      const int inv_angle = kInvAngle[mode];
      for (int i = last; i <= -1; ++i)
        ref[i] = static_cast<uint8_t>(side_ref(-1 + ((i * inv_angle + 128) >> 8)));
    }
  } else {
    for (int i = n + 1; i <= 2 * n; ++i)
      ref[i] = static_cast<uint8_t>(main_ref(i - 1));
  }

  uint8_t transposed[32 * 32];
  uint8_t *out = vertical ? pred : transposed;
  for (int r = 0; r < n; ++r) {
    const int pos = (r + 1) * angle;
    const int idx = pos >> 5;
    const int fact = pos & 31;
    const uint8_t *src = ref + idx + 1;
    uint8_t *row = out + r * n;
    if (fact != 0) {
      for (int c = 0; c < n; ++c)
        row[c] = static_cast<uint8_t>(((32 - fact) * src[c] + fact * src[c + 1] + 16) >> 5);
    } else {
      std::memcpy(row, src, static_cast<size_t>(n));
    }
  }

  // Modes 26 and 10 for luma below 32x32: the first column (vertical) or row
  // (horizontal) follows the gradient of the other reference line.
  if (boundary_filter && angle == 0) {
    const int corner = side_ref(-1);
    const int base = main_ref(0);
    for (int r = 0; r < n; ++r)
      out[r * n] = clip_pixel(base + ((side_ref(r) - corner) >> 1));
  }

  if (!vertical)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        pred[y * n + x] = transposed[x * n + y];
}

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
                            IntraReferences &refs) {
  refs.n = n;
  refs.c_idx = c_idx;
  const int total = 4 * n + 1;
  uint8_t *a = refs.unfiltered.data();
  bool available[IntraReferences::kMaxSamples];
  std::fill(available, available + total, false);

  const uint8_t *left_col = plane + y * stride + (x - 1);
  const uint8_t *top_row = plane + (y - 1) * stride + x;
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
  const RefView p{filtered ? refs.filtered.data() : refs.unfiltered.data(), n};
  const bool luma_edges = refs.c_idx == 0 && n < 32;
  if (mode == kIntraPlanar)
    predict_planar(p, pred);
  else if (mode == kIntraDc)
    predict_dc(p, luma_edges, pred);
  else
    predict_angular(p, mode, luma_edges, pred);
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
