#include "scene_texture.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "dsp/hsv.h"

namespace quad::capture::detail {

uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rng::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix64(state_);
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
}

int64_t Rng::integer(int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(next() % span);
}

namespace {

constexpr double kTwoPi = 6.283185307179586;

int wrap_index(int64_t i, int n) {
  const int64_t r = i % n;
  return static_cast<int>(r < 0 ? r + n : r);
}

// floor() as an integer without a libm call; |x| < 2^62.
int64_t floor_int(double x) {
  const int64_t i = static_cast<int64_t>(x);
  return i - (static_cast<double>(i) > x);
}

// Branch-free: these run per texel.
float clamp01(float x) {
  return std::min(std::max(x, 0.0f), 1.0f);
}

float smooth_step(float e0, float e1, float x) {
  const float t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3.0f - 2.0f * t);
}

float mix(float a, float b, float t) {
  return a + (b - a) * t;
}

struct Yuv {
  float y, u, v;
};

Yuv mix(const Yuv &a, const Yuv &b, float t) {
  return {mix(a.y, b.y, t), mix(a.u, b.u, t), mix(a.v, b.v, t)};
}

// BT.601, limited range.
Yuv rgb_to_yuv(double r, double g, double b) {
  return {static_cast<float>(16.0 + 65.481 * r + 128.553 * g + 24.966 * b),
          static_cast<float>(128.0 - 37.797 * r - 74.203 * g + 112.0 * b),
          static_cast<float>(128.0 + 112.0 * r - 93.786 * g - 18.214 * b)};
}

Yuv random_colour(Rng &rng, double sat_lo, double sat_hi, double val_lo, double val_hi) {
  const double hue = rng.uniform(0.0, 360.0);
  const double s = rng.uniform(sat_lo, sat_hi);
  const double v = rng.uniform(val_lo, val_hi);
  const dsp::RgbUnit c = dsp::rgb_from_hsv(hue, s, v);
  return rgb_to_yuv(c.r, c.g, c.b);
}

// A periodic lattice of values under a cubic B-spline: C2-smooth, with
// little energy near Nyquist, so sub-pel shifts of it interpolate well.
struct Lattice {
  int cells_x = 0, cells_y = 0;
  int period_x = 0, period_y = 0;
  std::vector<float> values; // cells_y rows of cells_x

  Lattice(int px, int py, double spacing)
      : cells_x(std::max(2, static_cast<int>(std::lround(px / spacing)))),
        cells_y(std::max(2, static_cast<int>(std::lround(py / spacing)))), period_x(px),
        period_y(py), values(static_cast<size_t>(cells_x) * cells_y) {}
};

// Cubic B-spline taps of each sample of an axis: first lattice index
// (wrapped) and four weights.
struct AxisTaps {
  std::vector<int> first;
  std::vector<float> weight;

  AxisTaps(const SampleAxis &axis, int cells, int period)
      : first(axis.count), weight(4 * static_cast<size_t>(axis.count)) {
    const double scale = static_cast<double>(cells) / period;
    for (int i = 0; i < axis.count; ++i) {
      const double x = (axis.origin + axis.step * i) * scale;
      const int64_t f = floor_int(x);
      const float t = static_cast<float>(x - static_cast<double>(f));
      const float s = 1.0f - t, t2 = t * t, t3 = t2 * t;
      float *w = &weight[4 * static_cast<size_t>(i)];
      w[0] = s * s * s / 6.0f;
      w[1] = (3.0f * t3 - 6.0f * t2 + 4.0f) / 6.0f;
      w[2] = (-3.0f * t3 + 3.0f * t2 + 3.0f * t + 1.0f) / 6.0f;
      w[3] = t3 / 6.0f;
      first[i] = wrap_index(f - 1, cells);
    }
  }
};

// Samples a lattice on a grid one row at a time: a vertical pass over the
// lattice columns, then a horizontal pass over the row's samples.
class LatticeSampler {
public:
  LatticeSampler(const Lattice &l, const SampleAxis &ax, const SampleAxis &ay)
      : l_(l), x_(ax, l.cells_x, l.period_x), y_(ay, l.cells_y, l.period_y),
        column_(l.cells_x + 3) {}

  void row(int r, float *out) {
    const int cx = l_.cells_x;
    const float *w = &y_.weight[4 * static_cast<size_t>(r)];
    const float *rows[4];
    for (int m = 0; m < 4; ++m)
      rows[m] = &l_.values[static_cast<size_t>(wrap_index(y_.first[r] + m, l_.cells_y)) * cx];
    for (int i = 0; i < cx; ++i)
      column_[i] = w[0] * rows[0][i] + w[1] * rows[1][i] + w[2] * rows[2][i] + w[3] * rows[3][i];
    // Wrapped copies so that four consecutive reads never wrap.
    for (int e = 0; e < 3; ++e)
      column_[cx + e] = column_[e % cx];
    const int n = static_cast<int>(x_.first.size());
    const float *c = column_.data();
    for (int i = 0; i < n; ++i) {
      const float *p = c + x_.first[i];
      const float *wx = &x_.weight[4 * static_cast<size_t>(i)];
      out[i] = wx[0] * p[0] + wx[1] * p[1] + wx[2] * p[2] + wx[3] * p[3];
    }
  }

private:
  const Lattice &l_;
  AxisTaps x_, y_;
  std::vector<float> column_;
};

// A smooth periodic 1-D curve (B-spline over random values), roughly unit
// standard deviation, sampled along an axis.
std::vector<float> smooth_curve(int period, double spacing, uint64_t seed, const SampleAxis &axis) {
  const int cells = std::max(2, static_cast<int>(std::lround(period / spacing)));
  std::vector<float> values(cells + 3);
  Rng rng(seed);
  for (int i = 0; i < cells; ++i)
    values[i] = static_cast<float>(rng.uniform(-2.5, 2.5));
  for (int e = 0; e < 3; ++e)
    values[cells + e] = values[e % cells];
  const AxisTaps taps(axis, cells, period);
  std::vector<float> out(axis.count);
  for (int i = 0; i < axis.count; ++i) {
    const float *p = &values[taps.first[i]];
    const float *w = &taps.weight[4 * static_cast<size_t>(i)];
    out[i] = w[0] * p[0] + w[1] * p[1] + w[2] * p[2] + w[3] * p[3];
  }
  return out;
}

// Standard deviation of one lattice of uniform [-1, 1] values under the
// B-spline, for scaling sums of octaves to a chosen contrast.
constexpr float kOctaveStd = 0.28f;

Lattice random_lattice(int px, int py, double spacing, float amplitude, uint64_t seed) {
  Lattice l(px, py, spacing);
  Rng rng(seed);
  for (float &v : l.values)
    v = amplitude * static_cast<float>(rng.uniform(-1.0, 1.0));
  return l;
}

// Multi-octave noise from `coarse` down to `fine` pixels, amplitudes falling
// as spacing^roughness, unit standard deviation. The coarser octaves are
// folded into the finest lattice (sampled at its control points), so the
// sum costs one B-spline evaluation per sample.
Lattice fbm(int px, int py, double coarse, double fine, double roughness, uint64_t seed) {
  // Coarse to fine; the finest is exactly `fine`.
  std::vector<double> spacings;
  for (double s = fine; s <= coarse * 1.01 || spacings.empty(); s *= 2.0)
    spacings.insert(spacings.begin(), s);
  double energy = 0;
  for (double s : spacings)
    energy += std::pow(s / coarse, 2.0 * roughness);
  const double norm = 1.0 / (kOctaveStd * std::sqrt(energy));
  const auto amplitude = [&](size_t k) {
    return static_cast<float>(norm * std::pow(spacings[k] / coarse, roughness));
  };
  const size_t last = spacings.size() - 1;
  Lattice out = random_lattice(px, py, spacings[last], amplitude(last), mix64(seed + last));
  const SampleAxis ax{0.0, static_cast<double>(px) / out.cells_x, out.cells_x};
  const SampleAxis ay{0.0, static_cast<double>(py) / out.cells_y, out.cells_y};
  std::vector<float> row(out.cells_x);
  for (size_t k = 0; k < last; ++k) {
    const Lattice octave = random_lattice(px, py, spacings[k], amplitude(k), mix64(seed + k));
    LatticeSampler sampler(octave, ax, ay);
    for (int r = 0; r < out.cells_y; ++r) {
      sampler.row(r, row.data());
      float *dst = &out.values[static_cast<size_t>(r) * out.cells_x];
      for (int i = 0; i < out.cells_x; ++i)
        dst[i] += row[i];
    }
  }
  return out;
}

// Monotone C1 step from 0 at x = -1 to 1 at x = 1.
float edge_step(float x) {
  const float t = clamp01(0.5f + 0.5f * x);
  return t * t * (3.0f - 2.0f * t);
}

// sin() by a short polynomial: the textures need smoothness, not ulps.
float fast_sin(double x) {
  const double k = static_cast<double>(floor_int(x / kTwoPi + 0.5));
  const float r = static_cast<float>(x - k * kTwoPi); // [-pi, pi]
  // Fold to [-pi/2, pi/2] where the odd polynomial is accurate.
  const float h = 1.5707964f;
  const float a = r > h ? 3.1415927f - r : (r < -h ? -3.1415927f - r : r);
  const float a2 = a * a;
  return a * (1.0f + a2 * (-0.16666667f +
                           a2 * (0.008333331f + a2 * (-0.00019840874f + a2 * 2.7525562e-6f))));
}

class BackgroundField final : public TextureField {
public:
  BackgroundField(int period_x, int period_y, uint64_t seed)
      : TextureField(period_x, period_y), seed_(seed),
        region_(fbm(period_x, period_y, 220 * scale(), 40 * scale(), 0.9, mix64(seed + 2))),
        blob_(fbm(period_x, period_y, 70 * scale(), 18 * scale(), 0.7, mix64(seed + 3))),
        detail_(fbm(period_x, period_y, 32 * scale(), 2.5, 0.25, mix64(seed + 4))) {
    Rng rng(seed);
    region_gain_ = static_cast<float>(rng.uniform(10, 20));
    region_bias_ = static_cast<float>(rng.uniform(-0.3, 0.3));
    blob_gain_ = static_cast<float>(rng.uniform(4, 8));
    blob_bias_ = static_cast<float>(rng.uniform(1.1, 1.6));
    illum_amp_ = static_cast<float>(rng.uniform(6, 16));
    colour_[0] = random_colour(rng, 0.2, 0.65, 0.25, 0.8);
    colour_[1] = random_colour(rng, 0.2, 0.65, 0.35, 0.9);
    colour_[2] = random_colour(rng, 0.3, 0.8, 0.15, 0.95);
    detail_amp_[0] = static_cast<float>(rng.uniform(5, 12));
    detail_amp_[1] = static_cast<float>(rng.uniform(12, 26));
    detail_amp_[2] = static_cast<float>(rng.uniform(6, 16));
    chroma_amp_ = static_cast<float>(rng.uniform(3, 8));
  }

  void evaluate(const SampleAxis &ax, const SampleAxis &ay, bool want_y, bool want_uv,
                const RowSink &sink) const override {
    const int n = ax.count;
    LatticeSampler region(region_, ax, ay), blob(blob_, ax, ay);
    std::vector<float> reg(n), blb(n), det, y, u, v;
    std::optional<LatticeSampler> detail;
    // Illumination and chroma drift are separable: smooth, and cheap.
    const auto drift = [&](int k, double spacing, const SampleAxis &axis) {
      return smooth_curve(k % 2 ? period_y() : period_x(), spacing, mix64(seed_ + 16 + k), axis);
    };
    const double illum_spacing = std::max(period_x(), period_y()) / 3.0;
    const double chroma_spacing = 200 * scale();
    std::vector<float> illum_x, illum_y, u_x, u_y, v_x, v_y;
    if (want_y) {
      detail.emplace(detail_, ax, ay);
      det.resize(n);
      y.resize(n);
      illum_x = drift(0, illum_spacing, ax);
      illum_y = drift(1, illum_spacing, ay);
    }
    if (want_uv) {
      u.resize(n);
      v.resize(n);
      u_x = drift(2, chroma_spacing, ax);
      u_y = drift(3, chroma_spacing, ay);
      v_x = drift(4, chroma_spacing, ax);
      v_y = drift(5, chroma_spacing, ay);
    }
    for (int r = 0; r < ay.count; ++r) {
      region.row(r, reg.data());
      blob.row(r, blb.data());
      for (int i = 0; i < n; ++i) {
        reg[i] = edge_step(region_gain_ * (reg[i] - region_bias_));
        blb[i] = edge_step(blob_gain_ * (blb[i] - blob_bias_));
      }
      if (want_y) {
        detail->row(r, det.data());
        const float light = illum_amp_ * illum_y[r];
        for (int i = 0; i < n; ++i) {
          const float base = mix(mix(colour_[0].y, colour_[1].y, reg[i]), colour_[2].y, blb[i]);
          const float amp =
              mix(mix(detail_amp_[0], detail_amp_[1], reg[i]), detail_amp_[2], blb[i]);
          y[i] = base + light + illum_amp_ * illum_x[i] + amp * det[i];
        }
      }
      if (want_uv) {
        const float du = chroma_amp_ * u_y[r], dv = chroma_amp_ * v_y[r];
        for (int i = 0; i < n; ++i) {
          u[i] = mix(mix(colour_[0].u, colour_[1].u, reg[i]), colour_[2].u, blb[i]) + du +
                 chroma_amp_ * u_x[i];
          v[i] = mix(mix(colour_[0].v, colour_[1].v, reg[i]), colour_[2].v, blb[i]) + dv +
                 chroma_amp_ * v_x[i];
        }
      }
      sink(r, want_y ? y.data() : nullptr, want_uv ? u.data() : nullptr,
           want_uv ? v.data() : nullptr);
    }
  }

private:
  // Feature sizes follow the tile, which follows the picture up to ~1080p.
  double scale() const { return std::clamp(std::min(period_x(), period_y()) / 720.0, 0.35, 1.5); }

  uint64_t seed_;
  Lattice region_, blob_, detail_;
  float region_gain_, region_bias_, blob_gain_, blob_bias_, illum_amp_;
  Yuv colour_[3];
  float detail_amp_[3];
  float chroma_amp_;
};

// One row of an object pattern: sample positions and outputs.
struct PatternRow {
  const double *x; // count positions
  double y;
  const float *aux; // low-frequency noise at the samples, or null
  int count;
  Yuv *out;
  float *detail_weight; // how much fine detail shows, per sample
};

// Shared parts of the object textures: fine detail so that motion search has
// texture to lock onto inside an object, and a pattern drawn row by row.
class ObjectField : public TextureField {
public:
  ObjectField(int period, uint64_t seed)
      : TextureField(period, period),
        detail_(fbm(period, period, period / 16.0, 2.5, 0.3, mix64(seed))), rng_(seed) {
    detail_amp_ = static_cast<float>(rng_.uniform(5, 12));
  }

  void evaluate(const SampleAxis &ax, const SampleAxis &ay, bool want_y, bool want_uv,
                const RowSink &sink) const final {
    const int n = ax.count;
    std::vector<double> xs(n);
    for (int i = 0; i < n; ++i)
      xs[i] = ax.origin + ax.step * i;
    std::vector<Yuv> pat(n);
    std::vector<float> weight(n), aux, detail, y, u, v;
    std::optional<LatticeSampler> aux_sampler, detail_sampler;
    if (aux_) {
      aux_sampler.emplace(*aux_, ax, ay);
      aux.resize(n);
    }
    if (want_y) {
      detail_sampler.emplace(detail_, ax, ay);
      detail.resize(n);
      y.resize(n);
    }
    if (want_uv) {
      u.resize(n);
      v.resize(n);
    }
    for (int r = 0; r < ay.count; ++r) {
      if (aux_sampler)
        aux_sampler->row(r, aux.data());
      pattern({xs.data(), ay.origin + ay.step * r, aux.empty() ? nullptr : aux.data(), n,
               pat.data(), weight.data()});
      if (want_y) {
        detail_sampler->row(r, detail.data());
        for (int i = 0; i < n; ++i)
          y[i] = pat[i].y + detail_amp_ * weight[i] * detail[i];
      }
      if (want_uv) {
        for (int i = 0; i < n; ++i) {
          u[i] = pat[i].u;
          v[i] = pat[i].v;
        }
      }
      sink(r, want_y ? y.data() : nullptr, want_uv ? u.data() : nullptr,
           want_uv ? v.data() : nullptr);
    }
  }

protected:
  virtual void pattern(const PatternRow &row) const = 0;
  Rng &rng() { return rng_; }
  // Low-frequency noise the pattern bends with.
  void set_aux(Lattice l) { aux_ = std::make_unique<Lattice>(std::move(l)); }

private:
  Lattice detail_;
  std::unique_ptr<Lattice> aux_;
  float detail_amp_;
  Rng rng_;
};

class StripesField final : public ObjectField {
public:
  StripesField(int period, uint64_t seed) : ObjectField(period, seed) {
    fx_ = static_cast<int>(rng().integer(1, 5));
    fy_ = static_cast<int>(rng().integer(-4, 4));
    set_aux(random_lattice(period, period, period / 4.0, 1.0f, rng().next()));
    warp_amp_ = rng().uniform(1.0, 3.0);
    gain_ = static_cast<float>(rng().uniform(2.5, 6.0));
    colour_[0] = random_colour(rng(), 0.4, 0.9, 0.2, 0.6);
    colour_[1] = random_colour(rng(), 0.3, 0.9, 0.6, 1.0);
  }

protected:
  void pattern(const PatternRow &row) const override {
    for (int i = 0; i < row.count; ++i) {
      const double phase =
          kTwoPi * (fx_ * row.x[i] + fy_ * row.y) / period_x() + warp_amp_ * row.aux[i];
      row.out[i] = mix(colour_[0], colour_[1], edge_step(gain_ * fast_sin(phase)));
      row.detail_weight[i] = 1.0f;
    }
  }

private:
  int fx_, fy_;
  double warp_amp_;
  float gain_;
  Yuv colour_[2];
};

class BricksField final : public ObjectField {
public:
  BricksField(int period, uint64_t seed) : ObjectField(period, seed) {
    rows_ = rng().integer(0, 1) ? 8 : 4;
    cols_ = rng().integer(0, 1) ? 4 : 2;
    mortar_ = static_cast<float>(rng().uniform(1.2, 3.0));
    const Yuv brick = random_colour(rng(), 0.3, 0.8, 0.3, 0.8);
    joint_ = random_colour(rng(), 0.0, 0.2, 0.5, 0.95);
    for (int i = 0; i < rows_ * cols_; ++i) {
      Yuv b = brick;
      b.y += static_cast<float>(rng().uniform(-18, 18));
      b.u += static_cast<float>(rng().uniform(-6, 6));
      b.v += static_cast<float>(rng().uniform(-6, 6));
      tint_.push_back(b);
    }
  }

protected:
  void pattern(const PatternRow &row) const override {
    const double bh = static_cast<double>(period_y()) / rows_;
    const double bw = static_cast<double>(period_x()) / cols_;
    const int64_t band_i = floor_int(row.y / bh);
    const double band = static_cast<double>(band_i);
    const double shift = (band_i & 1) ? bw / 2 : 0.0;
    const double fy = row.y - band * bh;
    const double dy = std::min(fy, bh - fy);
    const Yuv *tints = &tint_[static_cast<size_t>(wrap_index(band_i, rows_)) * cols_];
    for (int i = 0; i < row.count; ++i) {
      const double xs = row.x[i] + shift;
      const int64_t col_i = floor_int(xs / bw);
      const double fx = xs - static_cast<double>(col_i) * bw;
      const double d = std::min(std::min(fx, bw - fx), dy);
      // Joint weight 1 near edges: the tint changes only under the joint.
      const float joint = 1.0f - smooth_step(mortar_, mortar_ + 1.5f, static_cast<float>(d));
      row.out[i] = mix(tints[wrap_index(col_i, cols_)], joint_, joint);
      row.detail_weight[i] = mix(1.0f, 0.4f, joint);
    }
  }

private:
  int rows_, cols_;
  float mortar_;
  Yuv joint_;
  std::vector<Yuv> tint_;
};

class SpotsField final : public ObjectField {
public:
  SpotsField(int period, uint64_t seed) : ObjectField(period, seed) {
    cells_ = rng().integer(0, 1) ? 8 : 4;
    const double c = static_cast<double>(period) / cells_;
    base_ = random_colour(rng(), 0.2, 0.7, 0.2, 0.7);
    ink_[0] = random_colour(rng(), 0.5, 1.0, 0.5, 1.0);
    ink_[1] = random_colour(rng(), 0.5, 1.0, 0.3, 1.0);
    for (int i = 0; i < cells_ * cells_; ++i) {
      Spot s;
      s.r = rng().uniform(0.18, 0.38) * c;
      s.cx = rng().uniform(s.r + 1.5, c - s.r - 1.5);
      s.cy = rng().uniform(s.r + 1.5, c - s.r - 1.5);
      s.ink = static_cast<int>(rng().integer(0, 1));
      spots_.push_back(s);
    }
  }

protected:
  void pattern(const PatternRow &row) const override {
    const double c = static_cast<double>(period_x()) / cells_;
    const int64_t gy_i = floor_int(row.y / c);
    const double gy = static_cast<double>(gy_i);
    const Spot *line = &spots_[static_cast<size_t>(wrap_index(gy_i, cells_)) * cells_];
    for (int i = 0; i < row.count; ++i) {
      const int64_t gx_i = floor_int(row.x[i] / c);
      const double gx = static_cast<double>(gx_i);
      const Spot &s = line[wrap_index(gx_i, cells_)];
      const double dx = row.x[i] - gx * c - s.cx, dy = row.y - gy * c - s.cy;
      const float d = static_cast<float>(std::sqrt(dx * dx + dy * dy));
      const float t = smooth_step(static_cast<float>(s.r + 1.2), static_cast<float>(s.r - 1.2), d);
      row.out[i] = mix(base_, ink_[s.ink], t);
      row.detail_weight[i] = mix(1.0f, 0.5f, t);
    }
  }

private:
  struct Spot {
    double cx, cy, r;
    int ink;
  };
  int cells_;
  Yuv base_, ink_[2];
  std::vector<Spot> spots_;
};

class MarbleField final : public ObjectField {
public:
  MarbleField(int period, uint64_t seed) : ObjectField(period, seed) {
    set_aux(fbm(period, period, period / 4.0, period / 16.0, 0.8, rng().next()));
    fx_ = static_cast<int>(rng().integer(1, 3));
    fy_ = static_cast<int>(rng().integer(-1, 1));
    turb_ = rng().uniform(1.5, 3.0);
    colour_[0] = random_colour(rng(), 0.3, 0.9, 0.15, 0.5);
    colour_[1] = random_colour(rng(), 0.1, 0.6, 0.7, 1.0);
  }

protected:
  void pattern(const PatternRow &row) const override {
    for (int i = 0; i < row.count; ++i) {
      const double phase =
          kTwoPi * (fx_ * row.x[i] + fy_ * row.y) / period_x() + turb_ * row.aux[i];
      const float t = 0.5f + 0.5f * fast_sin(phase);
      row.out[i] = mix(colour_[0], colour_[1], t * t * t);
      row.detail_weight[i] = 1.0f;
    }
  }

private:
  int fx_, fy_;
  double turb_;
  Yuv colour_[2];
};

// Round to nearest after clamping (non-negative, so truncation rounds).
uint8_t quantise(float x, float lo, float hi) {
  return static_cast<uint8_t>(static_cast<int>(std::min(std::max(x, lo), hi) + 0.5f));
}

} // namespace

std::unique_ptr<TextureField> make_background_field(int period_x, int period_y, uint64_t seed) {
  return std::make_unique<BackgroundField>(period_x, period_y, seed);
}

std::unique_ptr<TextureField> make_object_field(int kind, int period, uint64_t seed) {
  switch (kind % kObjectTextureKinds) {
  case 0:
    return std::make_unique<StripesField>(period, seed);
  case 1:
    return std::make_unique<BricksField>(period, seed);
  case 2:
    return std::make_unique<SpotsField>(period, seed);
  default:
    return std::make_unique<MarbleField>(period, seed);
  }
}

PlaneKindInfo plane_kind_info(PlaneKind kind) {
  switch (kind) {
  case PlaneKind::Luma:
    return {1, 1, 1, 0, 0};
  case PlaneKind::Chroma444:
    return {1, 2, 1, 0, 0};
  // MPEG-2 siting: co-sited horizontally, half a luma row down.
  case PlaneKind::Chroma420:
    return {2, 2, 1, 0, 2};
  case PlaneKind::Chroma420Interleaved:
    return {2, 1, 2, 0, 2};
  case PlaneKind::Bgrx:
    return {1, 1, 4, 0, 0};
  }
  return {1, 1, 1, 0, 0};
}

LayerTextures::LayerTextures(std::unique_ptr<TextureField> field) : field_(std::move(field)) {}

const PhaseTexture &LayerTextures::get(PlaneKind kind, int phase_x, int phase_y) {
  const PlaneKindInfo info = plane_kind_info(kind);
  const int phases = 4 * info.subsampling;
  auto &slots = cache_[static_cast<int>(kind)];
  if (slots.empty())
    slots.resize(static_cast<size_t>(phases) * phases);
  std::unique_ptr<PhaseTexture> &slot = slots[phase_y * phases + phase_x];
  if (slot)
    return *slot;

  auto tex = std::make_unique<PhaseTexture>();
  tex->width = field_->period_x() / info.subsampling;
  tex->height = field_->period_y() / info.subsampling;
  tex->bytes_per_pixel = info.bytes_per_pixel;
  const SampleAxis ax{(info.site4_x - phase_x) / 4.0, static_cast<double>(info.subsampling),
                      tex->width};
  const SampleAxis ay{(info.site4_y - phase_y) / 4.0, static_cast<double>(info.subsampling),
                      tex->height};
  const size_t w = static_cast<size_t>(tex->width);
  const size_t plane_bytes = w * tex->height * info.bytes_per_pixel;
  tex->data.resize(plane_bytes * info.planes);
  uint8_t *base = tex->data.data();
  const bool want_y = kind == PlaneKind::Luma || kind == PlaneKind::Bgrx;
  const bool want_uv = kind != PlaneKind::Luma;

  field_->evaluate(ax, ay, want_y, want_uv,
                   [&](int r, const float *y, const float *u, const float *v) {
                     uint8_t *d = base + r * w * info.bytes_per_pixel;
                     switch (kind) {
                     case PlaneKind::Luma:
                       for (size_t i = 0; i < w; ++i)
                         d[i] = quantise(y[i], 16, 235);
                       break;
                     case PlaneKind::Chroma444:
                     case PlaneKind::Chroma420:
                       for (size_t i = 0; i < w; ++i) {
                         d[i] = quantise(u[i], 16, 240);
                         d[plane_bytes + i] = quantise(v[i], 16, 240);
                       }
                       break;
                     case PlaneKind::Chroma420Interleaved:
                       for (size_t i = 0; i < w; ++i) {
                         d[2 * i] = quantise(u[i], 16, 240);
                         d[2 * i + 1] = quantise(v[i], 16, 240);
                       }
                       break;
                     case PlaneKind::Bgrx:
                       for (size_t i = 0; i < w; ++i) {
                         // The Y444 bytes, converted: BGRx is exactly the Y444 frame in RGB.
                         const float yy = 1.164383f * (quantise(y[i], 16, 235) - 16);
                         const float uu = static_cast<float>(quantise(u[i], 16, 240) - 128);
                         const float vv = static_cast<float>(quantise(v[i], 16, 240) - 128);
                         d[4 * i + 0] = quantise(yy + 2.017232f * uu, 0, 255);
                         d[4 * i + 1] = quantise(yy - 0.391762f * uu - 0.812968f * vv, 0, 255);
                         d[4 * i + 2] = quantise(yy + 1.596027f * vv, 0, 255);
                         d[4 * i + 3] = 255;
                       }
                       break;
                     }
                   });
  bytes_ += tex->data.size();
  slot = std::move(tex);
  return *slot;
}

} // namespace quad::capture::detail
