#include "resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace quad::preproc {

namespace {

constexpr int kWeightBits = 14;
constexpr int kWeightOne = 1 << kWeightBits;
// The vertical pass keeps 6 fractional bits: the horizontal pass then rounds
// once, so two passes lose no more than one.
constexpr int kMidBits = 6;

double cubic(double x) {
  // Catmull-Rom: interpolates (passes through the samples) and is sharper
  // than the Mitchell filter videoscale uses.
  x = std::fabs(x);
  if (x < 1.0)
    return 1.5 * x * x * x - 2.5 * x * x + 1.0;
  if (x < 2.0)
    return -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0;
  return 0.0;
}

// Weight of input sample k (its centre at k + 0.5) for output i, before
// normalisation. scale = in / out, in input samples per output sample.
double raw_weight(ScaleMethod method, double scale, int i, int k) {
  switch (method) {
  case ScaleMethod::Area: {
    // Overlap of output i's footprint [i*scale, (i+1)*scale) with input k's.
    const double lo = std::max(i * scale, double(k));
    const double hi = std::min((i + 1) * scale, double(k + 1));
    return std::max(0.0, hi - lo);
  }
  case ScaleMethod::Bilinear:
  case ScaleMethod::Bicubic: {
    const double centre = (i + 0.5) * scale - 0.5;
    const double widen = std::max(1.0, scale); // reductions: a low-pass at the output rate
    const double x = (k - centre) / widen;
    return method == ScaleMethod::Bilinear ? std::max(0.0, 1.0 - std::fabs(x)) : cubic(x);
  }
  }
  return 0.0;
}

double radius(ScaleMethod method, double scale) {
  switch (method) {
  case ScaleMethod::Area:
    return std::max(1.0, scale);
  case ScaleMethod::Bilinear:
    return std::max(1.0, scale);
  case ScaleMethod::Bicubic:
    return 2.0 * std::max(1.0, scale);
  }
  return 1.0;
}

void check_sizes(int in_size, int out_size) {
  if (in_size < 1 || out_size < 1 || in_size > (1 << 16) || out_size > (1 << 16))
    throw std::invalid_argument("resample: sizes must be 1..65536");
}

} // namespace

std::vector<double> reference_filter(ScaleMethod method, int in_size, int out_size) {
  check_sizes(in_size, out_size);
  const double scale = double(in_size) / out_size;
  const double r = radius(method, scale);
  std::vector<double> w(size_t(out_size) * in_size, 0.0);
  for (int i = 0; i < out_size; i++) {
    const double centre = (i + 0.5) * scale - 0.5;
    double sum = 0.0;
    // Extend the edges: a tap beyond the plane reads the edge sample.
    for (int k = int(std::floor(centre - r)) - 1; k <= int(std::ceil(centre + r)) + 1; k++) {
      const double v = raw_weight(method, scale, i, k);
      w[size_t(i) * in_size + std::clamp(k, 0, in_size - 1)] += v;
      sum += v;
    }
    for (int k = 0; k < in_size; k++)
      w[size_t(i) * in_size + k] /= sum;
  }
  return w;
}

FilterTaps make_filter_taps(ScaleMethod method, int in_size, int out_size) {
  const std::vector<double> ref = reference_filter(method, in_size, out_size);
  FilterTaps taps;
  std::vector<int> first(out_size), last(out_size);
  for (int i = 0; i < out_size; i++) {
    const double *row = &ref[size_t(i) * in_size];
    int a = 0, b = in_size - 1;
    while (a < b && row[a] == 0.0)
      a++;
    while (b > a && row[b] == 0.0)
      b--;
    first[i] = a;
    last[i] = b;
    taps.support = std::max(taps.support, b - a + 1);
  }
  taps.start.resize(out_size);
  taps.weights.assign(size_t(out_size) * taps.support, 0);
  for (int i = 0; i < out_size; i++) {
    const double *row = &ref[size_t(i) * in_size];
    const int start = std::clamp(first[i], 0, in_size - taps.support);
    taps.start[i] = start;
    int16_t *w = &taps.weights[size_t(i) * taps.support];
    int sum = 0, peak = 0;
    for (int k = 0; k < taps.support; k++) {
      w[k] = int16_t(std::lround(row[start + k] * kWeightOne));
      sum += w[k];
      if (w[k] > w[peak])
        peak = k;
    }
    // Rounding must not change the sum: a flat plane stays flat.
    w[peak] = int16_t(w[peak] + kWeightOne - sum);
  }
  return taps;
}

namespace {

// The vertical pass of one output row into Q6: a fixed tap count unrolls
// the taps, so each column's sum stays in a register.
template <int kTaps>
void vertical_fixed(const uint8_t *src, ptrdiff_t stride, const int16_t *w, int width,
                    int16_t *__restrict mid) {
  const uint8_t *rows[kTaps];
  int32_t weights[kTaps];
  for (int k = 0; k < kTaps; k++) {
    rows[k] = src + ptrdiff_t(k) * stride;
    weights[k] = w[k];
  }
  constexpr int shift = kWeightBits - kMidBits;
  for (int x = 0; x < width; x++) {
    int32_t sum = 1 << (shift - 1);
    for (int k = 0; k < kTaps; k++)
      sum += weights[k] * rows[k][x];
    mid[x] = int16_t(sum >> shift);
  }
}

// Any tap count, and strided input (one half of NV12's chroma).
void vertical_any(const uint8_t *src, ptrdiff_t stride, int step, const int16_t *w, int taps,
                  int width, int32_t *__restrict acc, int16_t *__restrict mid) {
  for (int x = 0; x < width; x++)
    acc[x] = 0;
  for (int k = 0; k < taps; k++) {
    const int32_t wk = w[k];
    const uint8_t *__restrict row = src + ptrdiff_t(k) * stride;
    for (int x = 0; x < width; x++)
      acc[x] += wk * row[ptrdiff_t(x) * step];
  }
  constexpr int shift = kWeightBits - kMidBits;
  for (int x = 0; x < width; x++)
    mid[x] = int16_t((acc[x] + (1 << (shift - 1))) >> shift);
}

// The horizontal pass of one row from Q6 to 8 bits.
template <int kTaps>
void horizontal_fixed(const int16_t *__restrict mid, const int16_t *__restrict weights,
                      const int *__restrict start, int taps, int width, uint8_t *dst, int step) {
  constexpr int out_shift = kWeightBits + kMidBits;
  const int n = kTaps > 0 ? kTaps : taps;
  for (int x = 0; x < width; x++) {
    const int16_t *hw = weights + size_t(x) * n;
    const int16_t *m = mid + start[x];
    int32_t sum = 1 << (out_shift - 1);
    for (int k = 0; k < n; k++)
      sum += int32_t(hw[k]) * m[k];
    dst[ptrdiff_t(x) * step] = uint8_t(std::clamp(sum >> out_shift, 0, 255));
  }
}

} // namespace

PlaneScaler::PlaneScaler(ScaleMethod method, int in_w, int in_h, int out_w, int out_h)
    : in_w_(in_w), in_h_(in_h), out_w_(out_w), out_h_(out_h),
      h_(make_filter_taps(method, in_w, out_w)), v_(make_filter_taps(method, in_h, out_h)) {}

void PlaneScaler::scale_rows(const uint8_t *in, ptrdiff_t in_stride, int in_step, uint8_t *out,
                             ptrdiff_t out_stride, int out_step, int row_begin, int row_end) const {
  const int in_w = in_w_, out_w = out_w_, vs = v_.support, hs = h_.support;
  std::vector<int16_t> mid(static_cast<size_t>(in_w));
  std::vector<int32_t> acc(static_cast<size_t>(in_w));
  for (int y = row_begin; y < row_end; y++) {
    const int16_t *vw = &v_.weights[size_t(y) * vs];
    const uint8_t *src = in + ptrdiff_t(v_.start[y]) * in_stride;
    switch (in_step == 1 ? vs : 0) {
    case 1:
      vertical_fixed<1>(src, in_stride, vw, in_w, mid.data());
      break;
    case 2:
      vertical_fixed<2>(src, in_stride, vw, in_w, mid.data());
      break;
    case 3:
      vertical_fixed<3>(src, in_stride, vw, in_w, mid.data());
      break;
    case 4:
      vertical_fixed<4>(src, in_stride, vw, in_w, mid.data());
      break;
    case 5:
      vertical_fixed<5>(src, in_stride, vw, in_w, mid.data());
      break;
    case 6:
      vertical_fixed<6>(src, in_stride, vw, in_w, mid.data());
      break;
    default:
      vertical_any(src, in_stride, in_step, vw, vs, in_w, acc.data(), mid.data());
      break;
    }
    uint8_t *dst = out + ptrdiff_t(y) * out_stride;
    const int16_t *hw = h_.weights.data();
    const int *hs_start = h_.start.data();
    switch (hs) {
    case 1:
      horizontal_fixed<1>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    case 2:
      horizontal_fixed<2>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    case 3:
      horizontal_fixed<3>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    case 4:
      horizontal_fixed<4>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    case 5:
      horizontal_fixed<5>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    case 6:
      horizontal_fixed<6>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    default:
      horizontal_fixed<0>(mid.data(), hw, hs_start, hs, out_w, dst, out_step);
      break;
    }
  }
}

} // namespace quad::preproc
