#include "resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace quad::preproc {

namespace {

constexpr int kWeightBits = dsp::kScaleWeightBits;
constexpr int kWeightOne = 1 << kWeightBits;
constexpr int kMidBits = dsp::kScaleMidBits;

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
  // Enlarging, area coverage would only repeat samples: interpolate.
  if (method == ScaleMethod::Area && scale < 1.0)
    method = ScaleMethod::Bilinear;
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

// Any tap count, and strided input (one half of NV12's chroma).
void vertical_strided(const uint8_t *src, ptrdiff_t stride, int step, const int16_t *w, int taps,
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

} // namespace

PlaneScaler::PlaneScaler(ScaleMethod method, int in_w, int in_h, int out_w, int out_h)
    : in_w_(in_w), in_h_(in_h), out_w_(out_w), out_h_(out_h),
      v_(make_filter_taps(method, in_h, out_h)) {
  const FilterTaps h = make_filter_taps(method, in_w, out_w);
  h_ = dsp::scale_kernels().make_row_filter(in_w, out_w, h.support, h.start, h.weights);
}

void PlaneScaler::scale_rows(const uint8_t *in, ptrdiff_t in_stride, int in_step, uint8_t *out,
                             ptrdiff_t out_stride, int out_step, int row_begin, int row_end) const {
  const dsp::ScaleKernels &k = dsp::scale_kernels();
  const int in_w = in_w_, out_w = out_w_, vs = v_.support;
  std::vector<int16_t> mid(size_t(std::max(in_w, h_.mid_extent)));
  std::vector<int32_t> scratch(mid.size());
  std::vector<int32_t> acc(in_step == 1 ? 0 : size_t(in_w));
  std::vector<uint8_t> row(out_step == 1 ? 0 : size_t(out_w));
  for (int y = row_begin; y < row_end; y++) {
    const int16_t *vw = &v_.weights[size_t(y) * vs];
    const uint8_t *src = in + ptrdiff_t(v_.start[y]) * in_stride;
    if (in_step == 1)
      k.vertical(src, in_stride, vw, vs, in_w, mid.data());
    else
      vertical_strided(src, in_stride, in_step, vw, vs, in_w, acc.data(), mid.data());
    uint8_t *dst = out + ptrdiff_t(y) * out_stride;
    if (out_step == 1) {
      k.horizontal(mid.data(), h_, scratch.data(), dst);
    } else {
      k.horizontal(mid.data(), h_, scratch.data(), row.data());
      for (int x = 0; x < out_w; x++)
        dst[ptrdiff_t(x) * out_step] = row[size_t(x)];
    }
  }
}

} // namespace quad::preproc
