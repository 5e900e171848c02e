// Tileable textures for the scene generator: continuous periodic colour
// fields, and their samplings at every sub-pel phase a plane can be drawn at,
// so that drawing a frame is copying texture rows. Internal to scene.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace quad::capture::detail {

// Deterministic 64-bit generator (SplitMix64): textures and layouts depend
// only on the seed, never on the order things are built in.
uint64_t mix64(uint64_t z);

class Rng {
public:
  explicit Rng(uint64_t seed) : state_(mix64(seed)) {}
  uint64_t next();
  double uniform(double lo, double hi);
  // Uniform integer in [lo, hi].
  int64_t integer(int64_t lo, int64_t hi);

private:
  uint64_t state_;
};

// Sample positions along one axis, in luma pixels of the texture:
// origin + step * i for 0 <= i < count.
struct SampleAxis {
  double origin;
  double step;
  int count;
};

// Receives one sampled row: count values per channel asked for, null for
// the others.
using RowSink = std::function<void(int row, const float *y, const float *u, const float *v)>;

// A periodic colour field F(u, v) -> (Y, U, V), limited-range BT.601 values
// before rounding. Period in luma pixels, even in both axes.
class TextureField {
public:
  TextureField(int period_x, int period_y) : period_x_(period_x), period_y_(period_y) {}
  virtual ~TextureField() = default;
  int period_x() const { return period_x_; }
  int period_y() const { return period_y_; }
  // Samples the field at (ax.origin + ax.step * i, ay.origin + ay.step * j),
  // row by row. Y is the same whether or not U and V are asked for.
  virtual void evaluate(const SampleAxis &ax, const SampleAxis &ay, bool want_y, bool want_uv,
                        const RowSink &sink) const = 0;

private:
  int period_x_, period_y_;
};

// Natural-looking background: soft-edged regions of different colour and
// roughness, a slow illumination gradient and multi-octave detail.
std::unique_ptr<TextureField> make_background_field(int period_x, int period_y, uint64_t seed);

// Object textures, one look per kind (stripes, bricks, spots, marble);
// square with side `period`.
constexpr int kObjectTextureKinds = 4;
std::unique_ptr<TextureField> make_object_field(int kind, int period, uint64_t seed);

// How a destination plane samples a field. A plane with subsampling s and
// siting (site4_x, site4_y) quarter pels has its pixel (i, j) at luma
// position (s * i + site4_x / 4, s * j + site4_y / 4). Positions are
// quantised to quarter pels, so a plane needs 4 * s phases per axis.
enum class PlaneKind { Luma, Chroma444, Chroma420, Chroma420Interleaved, Bgrx };
constexpr int kPlaneKinds = 5;

struct PlaneKindInfo {
  int subsampling;     // 1 or 2
  int planes;          // separate planes held (U and V: 2)
  int bytes_per_pixel; // per held plane
  int site4_x, site4_y;
};
PlaneKindInfo plane_kind_info(PlaneKind kind);

// One field sampled for one plane kind at one phase: texel k of phase r is
// F(s * k + site - r / 4) along each axis. Rows are tightly packed.
struct PhaseTexture {
  int width = 0, height = 0; // texels per row, rows
  int bytes_per_pixel = 1;
  std::vector<uint8_t> data; // held planes one after the other

  const uint8_t *row(int plane, int y) const {
    return data.data() +
           (static_cast<size_t>(plane) * height + y) * static_cast<size_t>(width) * bytes_per_pixel;
  }
};

// The phase textures of one field, built on first use.
class LayerTextures {
public:
  explicit LayerTextures(std::unique_ptr<TextureField> field);
  const PhaseTexture &get(PlaneKind kind, int phase_x, int phase_y);
  int period_x() const { return field_->period_x(); }
  int period_y() const { return field_->period_y(); }
  size_t bytes() const { return bytes_; }

private:
  std::unique_ptr<TextureField> field_;
  std::array<std::vector<std::unique_ptr<PhaseTexture>>, kPlaneKinds> cache_;
  size_t bytes_ = 0;
};

} // namespace quad::capture::detail
