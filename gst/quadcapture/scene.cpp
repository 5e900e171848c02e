#include "scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "scene_texture.h"

namespace quad::capture {

using detail::LayerTextures;
using detail::PhaseTexture;
using detail::PlaneKind;
using detail::PlaneKindInfo;
using detail::Rng;

namespace {

constexpr int kMinWidth = 16, kMinHeight = 16;
constexpr int kMaxWidth = 7680, kMaxHeight = 4320;
constexpr int kMaxObjects = 64;
constexpr double kMaxSpeed = 1024.0;
constexpr int kMaxBlockSize = 256;
// Object textures are square tiles shared by all objects of a scene.
constexpr int kObjectTextureSide = 256;
constexpr int kMaxObjectSide = 2048;
// The background is one tile repeated; up to ~1080p it covers the picture.
constexpr int kMinTileSide = 256;
constexpr int64_t kMaxTileArea = 1920 * 1088;
// Bytes the background tile may take in one format with every phase the
// pan reaches built; keeps fractional pans at a few tens of MiB.
constexpr double kBackgroundBudget = 48.0 * 1024 * 1024;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

int64_t floor_mod(int64_t a, int64_t m) {
  const int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// (a * b) mod m without overflow for m < 2^31.
int64_t mul_mod(int64_t a, uint64_t b, int64_t m) {
  return floor_mod(a, m) * static_cast<int64_t>(b % static_cast<uint64_t>(m)) % m;
}

int16_t clamp16(int64_t v) {
  return static_cast<int16_t>(std::clamp<int64_t>(v, std::numeric_limits<int16_t>::min(),
                                                  std::numeric_limits<int16_t>::max()));
}

// One axis of the global pan: quarter-pel position round(4 * pan * t).
struct PanAxis {
  bool exact = true; // 4 * pan is an integer: modular arithmetic, any t
  int64_t step4 = 0;
  double rate4 = 0.0;

  explicit PanAxis(double pan) : rate4(4.0 * pan) {
    exact = rate4 == std::floor(rate4);
    step4 = exact ? static_cast<int64_t>(rate4) : 0;
  }
  // Position modulo `period4` (a multiple of 8).
  int64_t position(uint64_t t, int64_t period4) const {
    if (exact)
      return mul_mod(step4, t, period4);
    return floor_mod(std::llround(rate4 * static_cast<double>(t)), period4);
  }
  int64_t displacement(uint64_t t) const {
    if (exact)
      return step4;
    return std::llround(rate4 * static_cast<double>(t)) -
           std::llround(rate4 * static_cast<double>(t - 1));
  }
  // Sub-pel phases the position visits modulo `modulus` (4 or 8).
  int phases(int modulus) const {
    if (!exact)
      return modulus;
    return modulus / std::gcd(static_cast<int>(std::abs(step4) % modulus) + modulus, modulus);
  }
};

enum class Shape { Rectangle, Ellipse, RoundedRectangle };

struct ObjectSpec {
  int size[2]; // width, height in pixels
  int texture; // index into the scene's object textures
  int tex_offset[2];
  bool bounce; // else wraps around through the picture's outside
  int64_t start4[2];
  int64_t velocity4[2];
  // Covered quarter-pel columns [lo, hi] of quarter-pel row V, 0 <= V < 4h,
  // in object coordinates (0 at the object's left edge).
  std::vector<int16_t> span_lo, span_hi;
};

struct SceneLayout {
  uint64_t scene = std::numeric_limits<uint64_t>::max();
  uint64_t first_frame = 0;
  int64_t bg_start4[2] = {0, 0};
  std::vector<ObjectSpec> objects;
};

// Quarter-pel positions of every layer at one frame.
struct FramePositions {
  int64_t bg4[2];                              // modulo 4 * tile size
  std::vector<std::array<int64_t, 2>> object4; // object's top-left corner
};

void build_spans(ObjectSpec &o, Shape shape) {
  const int w4 = 4 * o.size[0], h4 = 4 * o.size[1];
  o.span_lo.resize(h4);
  o.span_hi.resize(h4);
  const double cx = (w4 - 1) / 2.0, cy = (h4 - 1) / 2.0;
  const double radius = std::min(w4, h4) / 4.0;
  for (int v = 0; v < h4; ++v) {
    double inset = 0.0;
    if (shape == Shape::Ellipse) {
      const double dy = (v - cy) / (h4 / 2.0);
      inset = dy * dy >= 1.0 ? w4 : cx - (w4 / 2.0) * std::sqrt(1.0 - dy * dy);
    } else if (shape == Shape::RoundedRectangle) {
      const double edge = std::min<double>(v, h4 - 1 - v);
      if (edge < radius) {
        const double dy = radius - edge;
        inset = radius - std::sqrt(std::max(0.0, radius * radius - dy * dy));
      }
    }
    const int lo = static_cast<int>(std::ceil(inset));
    const int hi = w4 - 1 - lo;
    o.span_lo[v] = static_cast<int16_t>(std::min(lo, w4));
    o.span_hi[v] = static_cast<int16_t>(std::max(hi, -1));
  }
}

// Texture plane i of each destination plane, per format.
struct PlaneSource {
  PlaneKind kind;
  int texture_plane;
};

int sources_of(PixelFormat format, PlaneSource out[3]) {
  switch (format) {
  case PixelFormat::I420:
    out[0] = {PlaneKind::Luma, 0};
    out[1] = {PlaneKind::Chroma420, 0};
    out[2] = {PlaneKind::Chroma420, 1};
    return 3;
  case PixelFormat::NV12:
    out[0] = {PlaneKind::Luma, 0};
    out[1] = {PlaneKind::Chroma420Interleaved, 0};
    return 2;
  case PixelFormat::Y444:
    out[0] = {PlaneKind::Luma, 0};
    out[1] = {PlaneKind::Chroma444, 0};
    out[2] = {PlaneKind::Chroma444, 1};
    return 3;
  case PixelFormat::BGRx:
    out[0] = {PlaneKind::Bgrx, 0};
    return 1;
  }
  return 0;
}

// Copies `count` texels of a periodic texture row starting at texel `start`.
inline void copy_wrapped(uint8_t *dst, const uint8_t *row, int width, int start, int count,
                         int bpp) {
  while (count > 0) {
    const int n = std::min(count, width - start);
    std::memcpy(dst, row + static_cast<size_t>(start) * bpp, static_cast<size_t>(n) * bpp);
    dst += static_cast<size_t>(n) * bpp;
    count -= n;
    start = 0;
  }
}

// Luma footprint of an object at a frame, for ground truth.
struct PlacedObject {
  const ObjectSpec *spec;
  int64_t p4[2];
  int64_t x0, x1, y0, y1; // inclusive pixel bounds of its samples
};

PlacedObject place(const ObjectSpec &o, const std::array<int64_t, 2> &p4) {
  PlacedObject p{&o, {p4[0], p4[1]}, 0, 0, 0, 0};
  p.x0 = ceil_div(p4[0], 4);
  p.x1 = floor_div(p4[0] + 4 * o.size[0] - 1, 4);
  p.y0 = ceil_div(p4[1], 4);
  p.y1 = floor_div(p4[1] + 4 * o.size[1] - 1, 4);
  return p;
}

bool overlaps(const PlacedObject &p, int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  return p.x0 <= x1 && p.x1 >= x0 && p.y0 <= y1 && p.y1 >= y0;
}

// Whether the object's shape holds every pixel of the inclusive rectangle.
bool covers(const PlacedObject &p, int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  if (p.x0 > x0 || p.x1 < x1 || p.y0 > y0 || p.y1 < y1)
    return false;
  for (int64_t y = y0; y <= y1; ++y) {
    const int64_t v = 4 * y - p.p4[1];
    if (ceil_div(p.spec->span_lo[v] + p.p4[0], 4) > x0 ||
        floor_div(p.spec->span_hi[v] + p.p4[0], 4) < x1)
      return false;
  }
  return true;
}

// Topmost layer (0 = background, k + 1 = object k) of each pixel of the
// inclusive rectangle; `cand` lists object indices bottom to top.
void paint_labels(const std::vector<PlacedObject> &objs, const std::vector<int> &cand, int64_t x0,
                  int64_t y0, int64_t x1, int64_t y1, std::vector<uint8_t> &labels) {
  const int64_t w = x1 - x0 + 1;
  labels.assign(static_cast<size_t>(w * (y1 - y0 + 1)), 0);
  for (int k : cand) {
    const PlacedObject &p = objs[k];
    const int64_t ya = std::max(y0, p.y0), yb = std::min(y1, p.y1);
    for (int64_t y = ya; y <= yb; ++y) {
      const int64_t v = 4 * y - p.p4[1];
      const int lo = p.spec->span_lo[v], hi = p.spec->span_hi[v];
      if (lo > hi)
        continue;
      const int64_t a = std::max(x0, ceil_div(lo + p.p4[0], 4));
      const int64_t b = std::min(x1, floor_div(hi + p.p4[0], 4));
      if (a <= b)
        std::fill_n(labels.begin() + (y - y0) * w + (a - x0), b - a + 1,
                    static_cast<uint8_t>(k + 1));
    }
  }
}

} // namespace

int plane_count(PixelFormat format) {
  PlaneSource s[3];
  return sources_of(format, s);
}

PlaneSize plane_size(PixelFormat format, int plane, int width, int height) {
  PlaneSource s[3];
  if (plane < 0 || plane >= sources_of(format, s))
    return {0, 0};
  const PlaneKindInfo info = detail::plane_kind_info(s[plane].kind);
  const int sub = info.subsampling;
  const int bpp = info.planes == 1 ? info.bytes_per_pixel : 1;
  return {(width + sub - 1) / sub * bpp, (height + sub - 1) / sub};
}

struct SceneGenerator::Impl {
  SceneConfig config;
  PanAxis pan[2];
  int tile[2];

  // Object layout of the scene used last; const methods refresh it.
  mutable SceneLayout layout;

  uint64_t texture_scene = std::numeric_limits<uint64_t>::max();
  std::unique_ptr<LayerTextures> background;
  std::vector<std::unique_ptr<LayerTextures>> object_textures;

  explicit Impl(const SceneConfig &c) : config(c), pan{PanAxis(c.pan_x), PanAxis(c.pan_y)} {
    choose_tile();
  }

  uint64_t scene_of(uint64_t index) const {
    return config.scene_cut_interval > 0 ? index / static_cast<uint64_t>(config.scene_cut_interval)
                                         : 0;
  }

  uint64_t scene_seed(uint64_t scene) const {
    return detail::mix64((static_cast<uint64_t>(config.seed) << 32) ^ detail::mix64(scene));
  }

  // Tile as large as the picture (up to kMaxTileArea), shrunk so that the
  // phases the pan visits fit the budget in the hungriest format.
  void choose_tile() {
    const int lx = pan[0].phases(4), ly = pan[1].phases(4);
    const int cx = pan[0].phases(8), cy = pan[1].phases(8);
    const double bytes_per_texel =
        std::max({4.0 * lx * ly, 3.0 * lx * ly, lx * ly + cx * cy / 2.0});
    const double cap = std::min<double>(kMaxTileArea, kBackgroundBudget / bytes_per_texel);
    double w = std::max(config.width, kMinTileSide);
    double h = std::max(config.height, kMinTileSide);
    if (w * h > cap) {
      const double s = std::sqrt(cap / (w * h));
      w = std::max(64.0, w * s);
      h = std::max(64.0, h * s);
    }
    tile[0] = (static_cast<int>(std::ceil(w)) + 1) & ~1;
    tile[1] = (static_cast<int>(std::ceil(h)) + 1) & ~1;
  }

  const SceneLayout &layout_for(uint64_t scene) const {
    if (layout.scene == scene)
      return layout;
    SceneLayout l;
    l.scene = scene;
    l.first_frame = scene * static_cast<uint64_t>(std::max(config.scene_cut_interval, 0));
    Rng rng(scene_seed(scene) ^ 0x1a7e);
    l.bg_start4[0] = rng.integer(0, 4 * tile[0] - 1);
    l.bg_start4[1] = rng.integer(0, 4 * tile[1] - 1);
    const int frame[2] = {config.width, config.height};
    const int base = std::min(config.width, config.height);
    const int min_side = std::max(4, base / 12);
    const int max_side = std::min(kMaxObjectSide, std::max(8, base / 3));
    const int64_t speed4 = static_cast<int64_t>(4.0 * config.object_speed);
    for (int k = 0; k < config.objects; ++k) {
      ObjectSpec o;
      o.size[0] = static_cast<int>(rng.integer(min_side, max_side));
      o.size[1] = static_cast<int>(rng.integer(min_side, max_side));
      o.texture = static_cast<int>(rng.integer(0, detail::kObjectTextureKinds - 1));
      o.tex_offset[0] = static_cast<int>(rng.integer(0, kObjectTextureSide - 1));
      o.tex_offset[1] = static_cast<int>(rng.integer(0, kObjectTextureSide - 1));
      const bool fits = o.size[0] < frame[0] && o.size[1] < frame[1];
      o.bounce = fits && rng.integer(0, 2) != 0;
      // Velocity: uniform in the disc of radius object_speed, quarter pels.
      do {
        o.velocity4[0] = rng.integer(-speed4, speed4);
        o.velocity4[1] = rng.integer(-speed4, speed4);
      } while (o.velocity4[0] * o.velocity4[0] + o.velocity4[1] * o.velocity4[1] > speed4 * speed4);
      for (int a = 0; a < 2; ++a) {
        const int64_t range = o.bounce ? 4 * (frame[a] - o.size[a]) : 4 * (frame[a] + o.size[a]);
        o.start4[a] = rng.integer(0, range - 1 + (o.bounce ? 1 : 0));
      }
      build_spans(o, static_cast<Shape>(rng.integer(0, 2)));
      l.objects.push_back(std::move(o));
    }
    layout = std::move(l);
    return layout;
  }

  static int64_t object_axis(const ObjectSpec &o, int a, int frame_side, uint64_t t) {
    if (o.bounce) {
      // Triangle wave over [0, range]: reflects off the picture edges.
      const int64_t range = 4 * static_cast<int64_t>(frame_side - o.size[a]);
      if (range == 0)
        return 0;
      const int64_t m = floor_mod(o.start4[a] + mul_mod(o.velocity4[a], t, 2 * range), 2 * range);
      return m <= range ? m : 2 * range - m;
    }
    const int64_t range = 4 * static_cast<int64_t>(frame_side + o.size[a]);
    return floor_mod(o.start4[a] + mul_mod(o.velocity4[a], t, range), range) - 4 * o.size[a];
  }

  FramePositions positions(const SceneLayout &l, uint64_t t) const {
    FramePositions f;
    for (int a = 0; a < 2; ++a) {
      const int64_t period4 = 4 * static_cast<int64_t>(tile[a]);
      f.bg4[a] = floor_mod(l.bg_start4[a] + pan[a].position(t, period4), period4);
    }
    f.object4.reserve(l.objects.size());
    for (const ObjectSpec &o : l.objects)
      f.object4.push_back(
          {object_axis(o, 0, config.width, t), object_axis(o, 1, config.height, t)});
    return f;
  }

  void ensure_textures(uint64_t scene) {
    if (texture_scene == scene)
      return;
    background.reset();
    object_textures.clear();
    const uint64_t seed = scene_seed(scene);
    background = std::make_unique<LayerTextures>(
        detail::make_background_field(tile[0], tile[1], detail::mix64(seed ^ 1)));
    for (int k = 0; k < detail::kObjectTextureKinds; ++k)
      object_textures.push_back(std::make_unique<LayerTextures>(
          detail::make_object_field(k, kObjectTextureSide, detail::mix64(seed ^ (16 + k)))));
    texture_scene = scene;
  }

  // One layer as a plane samples it: the phase texture and the texel shift.
  struct PlaneLayer {
    const PhaseTexture *tex;
    int64_t shift[2]; // plane pixel i shows texel (i - shift) mod size
  };

  PlaneLayer plane_layer(LayerTextures &lt, PlaneKind kind, const int64_t tex4[2]) {
    const int sub = detail::plane_kind_info(kind).subsampling;
    const int64_t unit = 4 * sub;
    const PhaseTexture &tex = lt.get(kind, static_cast<int>(floor_mod(tex4[0], unit)),
                                     static_cast<int>(floor_mod(tex4[1], unit)));
    return {&tex, {floor_div(tex4[0], unit), floor_div(tex4[1], unit)}};
  }

  // An object visible in the plane being drawn, and its rows there.
  struct ObjectDraw {
    const ObjectSpec *spec;
    PlaneLayer layer;
    int64_t p4[2];
    int64_t row0, row1;
  };
  std::vector<ObjectDraw> draws; // reused: no allocation per frame

  void draw_plane(const SceneLayout &l, const FramePositions &f, PlaneSource src,
                  const PlaneView &dst) {
    const PlaneKindInfo info = detail::plane_kind_info(src.kind);
    const int sub = info.subsampling;
    const int unit = 4 * sub;
    const int bpp = info.planes == 1 ? info.bytes_per_pixel : 1;
    const int pw = (config.width + sub - 1) / sub;
    const int ph = (config.height + sub - 1) / sub;

    const PlaneLayer bg = plane_layer(*background, src.kind, f.bg4);
    const int bg_w = bg.tex->width, bg_h = bg.tex->height;
    const int bg_x = static_cast<int>(floor_mod(-bg.shift[0], bg_w));

    draws.clear();
    for (size_t k = 0; k < l.objects.size(); ++k) {
      const ObjectSpec &o = l.objects[k];
      const int64_t *p4 = f.object4[k].data();
      // Plane rows j whose sample row V = unit * j + site - p4 is inside.
      const int64_t row0 = std::max<int64_t>(0, ceil_div(p4[1] - info.site4_y, unit));
      const int64_t row1 =
          std::min<int64_t>(ph - 1, floor_div(4 * o.size[1] - 1 + p4[1] - info.site4_y, unit));
      const int64_t col0 = ceil_div(p4[0] - info.site4_x, unit);
      const int64_t col1 = floor_div(4 * o.size[0] - 1 + p4[0] - info.site4_x, unit);
      if (row0 > row1 || col1 < 0 || col0 >= pw)
        continue;
      const int64_t tex4[2] = {p4[0] - 4 * int64_t{o.tex_offset[0]},
                               p4[1] - 4 * int64_t{o.tex_offset[1]}};
      draws.push_back({&o,
                       plane_layer(*object_textures[o.texture], src.kind, tex4),
                       {p4[0], p4[1]},
                       row0,
                       row1});
    }

    for (int j = 0; j < ph; ++j) {
      uint8_t *row = dst.data + dst.stride * j;
      const int bg_row = static_cast<int>(floor_mod(j - bg.shift[1], bg_h));
      copy_wrapped(row, bg.tex->row(src.texture_plane, bg_row), bg_w, bg_x, pw, bpp);
      for (const ObjectDraw &d : draws) {
        if (j < d.row0 || j > d.row1)
          continue;
        const int64_t v = int64_t{unit} * j + info.site4_y - d.p4[1];
        const int lo = d.spec->span_lo[v], hi = d.spec->span_hi[v];
        if (lo > hi)
          continue;
        const int64_t i0 = std::max<int64_t>(0, ceil_div(lo + d.p4[0] - info.site4_x, unit));
        const int64_t i1 = std::min<int64_t>(pw - 1, floor_div(hi + d.p4[0] - info.site4_x, unit));
        if (i0 > i1)
          continue;
        const PhaseTexture &t = *d.layer.tex;
        const int tr = static_cast<int>(floor_mod(j - d.layer.shift[1], t.height));
        copy_wrapped(row + i0 * bpp, t.row(src.texture_plane, tr), t.width,
                     static_cast<int>(floor_mod(i0 - d.layer.shift[0], t.width)),
                     static_cast<int>(i1 - i0 + 1), bpp);
      }
    }
  }
};

SceneGenerator::SceneGenerator(const SceneConfig &config) {
  const auto bad = [](const char *what) { throw std::invalid_argument(what); };
  if (config.width < kMinWidth || config.width > kMaxWidth || config.height < kMinHeight ||
      config.height > kMaxHeight)
    bad("SceneConfig: size out of range 16x16..7680x4320");
  if (!(std::fabs(config.pan_x) <= kMaxSpeed) || !(std::fabs(config.pan_y) <= kMaxSpeed))
    bad("SceneConfig: pan out of range -1024..1024");
  if (config.objects < 0 || config.objects > kMaxObjects)
    bad("SceneConfig: objects out of range 0..64");
  if (!(config.object_speed >= 0.0 && config.object_speed <= kMaxSpeed))
    bad("SceneConfig: object_speed out of range 0..1024");
  if (config.scene_cut_interval < 0)
    bad("SceneConfig: scene_cut_interval must not be negative");
  impl_ = std::make_unique<Impl>(config);
}

SceneGenerator::~SceneGenerator() = default;
SceneGenerator::SceneGenerator(SceneGenerator &&) noexcept = default;
SceneGenerator &SceneGenerator::operator=(SceneGenerator &&) noexcept = default;

const SceneConfig &SceneGenerator::config() const {
  return impl_->config;
}

bool SceneGenerator::is_scene_cut(uint64_t index) const {
  const int n = impl_->config.scene_cut_interval;
  return index == 0 || (n > 0 && index % static_cast<uint64_t>(n) == 0);
}

void SceneGenerator::render(uint64_t index, PixelFormat format, const PlaneView *planes) {
  Impl &m = *impl_;
  const uint64_t scene = m.scene_of(index);
  const SceneLayout &l = m.layout_for(scene);
  m.ensure_textures(scene);
  const FramePositions f = m.positions(l, index - l.first_frame);
  PlaneSource src[3];
  const int n = sources_of(format, src);
  for (int p = 0; p < n; ++p)
    m.draw_plane(l, f, src[p], planes[p]);
}

void SceneGenerator::prepare(uint64_t first, uint64_t count, PixelFormat format) {
  Impl &m = *impl_;
  const uint64_t scene = m.scene_of(first);
  const SceneLayout &l = m.layout_for(scene);
  m.ensure_textures(scene);
  PlaneSource src[3];
  const int n = sources_of(format, src);
  for (uint64_t i = first; i - first < count && m.scene_of(i) == scene; ++i) {
    const FramePositions f = m.positions(l, i - l.first_frame);
    for (int p = 0; p < n; ++p) {
      m.plane_layer(*m.background, src[p].kind, f.bg4);
      for (size_t k = 0; k < l.objects.size(); ++k) {
        const ObjectSpec &o = l.objects[k];
        const int64_t tex4[2] = {f.object4[k][0] - 4 * int64_t{o.tex_offset[0]},
                                 f.object4[k][1] - 4 * int64_t{o.tex_offset[1]}};
        m.plane_layer(*m.object_textures[o.texture], src[p].kind, tex4);
      }
    }
  }
}

size_t SceneGenerator::texture_bytes() const {
  size_t total = impl_->background ? impl_->background->bytes() : 0;
  for (const auto &t : impl_->object_textures)
    total += t->bytes();
  return total;
}

void SceneGenerator::ground_truth(uint64_t index, int block_size,
                                  std::vector<BlockMotion> &out) const {
  if (block_size < 1 || block_size > kMaxBlockSize)
    throw std::invalid_argument("ground_truth: block_size out of range 1..256");
  const Impl &m = *impl_;
  const int W = m.config.width, H = m.config.height;
  const int cols = (W + block_size - 1) / block_size;
  const int rows = (H + block_size - 1) / block_size;
  out.assign(static_cast<size_t>(cols) * rows, BlockMotion{0, 0, 0});
  if (is_scene_cut(index)) {
    for (BlockMotion &b : out)
      b.flags = motion_flags::kSceneCut;
    return;
  }

  const SceneLayout &l = m.layout_for(m.scene_of(index));
  const uint64_t t = index - l.first_frame;
  const FramePositions cur = m.positions(l, t);
  const FramePositions prev = m.positions(l, t - 1);
  const size_t nobj = l.objects.size();

  // Displacement of each layer (0 = background) and object footprints.
  std::vector<std::array<int64_t, 2>> disp(nobj + 1);
  disp[0] = {m.pan[0].displacement(t), m.pan[1].displacement(t)};
  std::vector<PlacedObject> now, before;
  int64_t reach = std::max(std::abs(disp[0][0]), std::abs(disp[0][1]));
  for (size_t k = 0; k < nobj; ++k) {
    now.push_back(place(l.objects[k], cur.object4[k]));
    before.push_back(place(l.objects[k], prev.object4[k]));
    disp[k + 1] = {cur.object4[k][0] - prev.object4[k][0], cur.object4[k][1] - prev.object4[k][1]};
    reach = std::max({reach, std::abs(disp[k + 1][0]), std::abs(disp[k + 1][1])});
  }
  // Source rows lie within `margin` rows of the block (4-tap reach + 1).
  const int64_t margin = reach / 4 + 5;

  std::vector<int> row_now, row_before, cand;
  std::vector<uint8_t> labels, source;
  int counts[kMaxObjects + 1];
  for (int by = 0; by < rows; ++by) {
    const int64_t y0 = int64_t{by} * block_size;
    const int64_t y1 = std::min<int64_t>(H, y0 + block_size) - 1;
    row_now.clear();
    row_before.clear();
    for (size_t k = 0; k < nobj; ++k) {
      if (now[k].y0 <= y1 && now[k].y1 >= y0)
        row_now.push_back(static_cast<int>(k));
      if (before[k].y0 <= y1 + margin && before[k].y1 >= y0 - margin)
        row_before.push_back(static_cast<int>(k));
    }
    for (int bx = 0; bx < cols; ++bx) {
      const int64_t x0 = int64_t{bx} * block_size;
      const int64_t x1 = std::min<int64_t>(W, x0 + block_size) - 1;
      BlockMotion &bm = out[static_cast<size_t>(by) * cols + bx];

      cand.clear();
      for (int k : row_now)
        if (overlaps(now[k], x0, y0, x1, y1))
          cand.push_back(k);
      int layer = 0;
      bool uniform = true, same_motion = true;
      if (!cand.empty() && covers(now[cand.back()], x0, y0, x1, y1)) {
        layer = cand.back() + 1; // inside the topmost object
      } else if (!cand.empty()) {
        paint_labels(now, cand, x0, y0, x1, y1, labels);
        std::fill_n(counts, nobj + 1, 0);
        for (uint8_t lb : labels)
          ++counts[lb];
        layer = static_cast<int>(std::max_element(counts, counts + nobj + 1) - counts);
        uniform = counts[layer] == static_cast<int>(labels.size());
        for (size_t k = 0; k <= nobj; ++k)
          same_motion = same_motion && (counts[k] == 0 || disp[k] == disp[layer]);
      }
      const std::array<int64_t, 2> &d = disp[layer];
      bm.mv_x = clamp16(d[0]);
      bm.mv_y = clamp16(d[1]);
      const bool integer = (d[0] & 3) == 0 && (d[1] & 3) == 0;
      // Layers moving alike predict together, but only an integer shift
      // keeps the edges between them intact.
      if (!same_motion || (!uniform && !integer)) {
        bm.flags = motion_flags::kOccluded;
        continue;
      }
      // Where the block's samples (and sub-pel filter support) come from.
      int64_t sx0 = floor_div(4 * x0 - d[0], 4), sx1 = floor_div(4 * x1 - d[0], 4);
      int64_t sy0 = floor_div(4 * y0 - d[1], 4), sy1 = floor_div(4 * y1 - d[1], 4);
      if (d[0] & 3)
        sx0 -= 3, sx1 += 4;
      if (d[1] & 3)
        sy0 -= 3, sy1 += 4;
      if (sx0 < 0 || sy0 < 0 || sx1 >= W || sy1 >= H) {
        bm.flags = motion_flags::kOccluded;
        continue;
      }
      cand.clear();
      for (int k : row_before)
        if (overlaps(before[k], sx0, sy0, sx1, sy1))
          cand.push_back(k);
      if (cand.empty()) {
        if (!uniform || layer != 0)
          bm.flags = motion_flags::kOccluded;
        continue;
      }
      if (uniform && layer > 0 && cand.back() == layer - 1 &&
          covers(before[layer - 1], sx0, sy0, sx1, sy1))
        continue; // the source lies inside the same object, nothing above
      paint_labels(before, cand, sx0, sy0, sx1, sy1, source);
      // One layer: all of the source (with sub-pel support) is that layer.
      // Several (integer only): each pixel's source has the pixel's layer.
      const bool same = uniform ? std::all_of(source.begin(), source.end(),
                                              [&](uint8_t lb) { return lb == layer; })
                                : source == labels;
      if (!same)
        bm.flags = motion_flags::kOccluded;
    }
  }
}

} // namespace quad::capture
