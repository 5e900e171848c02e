// The scalar intra prediction kernels of H.265 8.4.4.2.4-8.4.4.2.6, written
// so that the compiler vectorises their row loops: intra_pred.cpp compiles
// them once as the reference, primitives_simd.cpp once per Highway target,
// so each target runs the same integer arithmetic with its own vector
// instructions. Included inside a namespace, after <algorithm>, <cstring>
// and "intra_pred.h"; hence no include guard.

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
template <int N> void predict_planar(const RefView &p, uint8_t *pred) {
  constexpr int n = N;
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
template <int N> void predict_dc(const RefView &p, bool edge_filters, uint8_t *pred) {
  constexpr int n = N;
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
template <int N>
void predict_angular(const RefView &p, int mode, bool boundary_filter, uint8_t *pred) {
  constexpr int n = N;
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

template <int N> void intra(const uint8_t *line, int mode, bool edge_filters, uint8_t *pred) {
  const RefView p{line, N};
  if (mode == kIntraPlanar)
    predict_planar<N>(p, pred);
  else if (mode == kIntraDc)
    predict_dc<N>(p, edge_filters, pred);
  else
    predict_angular<N>(p, mode, edge_filters, pred);
}
