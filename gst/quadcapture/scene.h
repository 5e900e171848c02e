// Synthetic scene generator behind quadcapturesrc's pattern mode: natural-
// looking video (textured background under a global pan, textured objects
// moving at constant velocities, optional scene cuts) with exact ground-truth
// motion. GStreamer-free.
//
// Colour: limited-range BT.601 YUV (Y 16..235, U and V 16..240). 4:2:0 chroma
// is MPEG-2 sited: co-sited with even luma columns, halfway between luma rows.
// BGRx is the BT.601 limited-range conversion of the Y444 frame, x = 255.
//
// Motion: every layer (the background, each object) sits at a quarter-pel
// position that is an exact function of the frame index; frame n shows each
// layer displaced by a quarter-pel vector from frame n-1, and ground_truth()
// reports exactly that vector. Objects keep a constant velocity, bouncing
// off the picture edges or wrapping around through the outside; later
// objects pass in front of earlier ones.
//
// Rendering copies rows of precomputed textures: tileable fields sampled at
// every quarter-pel phase (eighth-pel for 4:2:0 chroma), so a layer at any
// position is a shifted copy of the same continuous texture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace quad::capture {

enum class PixelFormat { I420, NV12, Y444, BGRx };

struct SceneConfig {
  // Any size from 16x16 to 7680x4320, odd sizes included. 4:2:0 chroma
  // planes are ceil(width / 2) x ceil(height / 2).
  int width = 1280, height = 720;
  // Global pan in pixels per frame, |pan| <= 1024. Positions are quantised
  // to quarter pels: at frame n of a scene the background has moved
  // round(4 * n * pan) / 4 pixels from where the scene started it.
  double pan_x = 0.0, pan_y = 0.0;
  // Moving textured objects, 0..64.
  int objects = 4;
  // Maximum object speed in pixels per frame, 0..1024. Each object gets its
  // own constant velocity, a multiple of a quarter pel per axis.
  double object_speed = 2.0;
  // A new scene (new textures, new objects) every N frames; 0 = never.
  int scene_cut_interval = 0;
  uint32_t seed = 1;
};

// One plane of the caller's memory; stride >= the plane's row size in bytes.
struct PlaneView {
  uint8_t *data;
  ptrdiff_t stride;
};

// Planes per format: I420: Y, U, V. NV12: Y, UV. Y444: Y, U, V. BGRx: one.
int plane_count(PixelFormat format);

// Row size in bytes and row count of plane `plane` of a width x height frame.
struct PlaneSize {
  int row_bytes;
  int rows;
};
PlaneSize plane_size(PixelFormat format, int plane, int width, int height);

namespace motion_flags {
// The block's content cannot be predicted from the previous frame with one
// motion vector (see SceneGenerator::ground_truth).
constexpr uint8_t kOccluded = 1 << 0;
// First frame, or the first frame of a new scene: there is no reference.
constexpr uint8_t kSceneCut = 1 << 1;
} // namespace motion_flags

// Motion of one luma block, in quarter pels. Sign convention: the vector
// points from where the content was in the PREVIOUS frame to where it is now,
//   current(x, y) == previous(x - mv_x / 4.0, y - mv_y / 4.0),
// so content moving right or down has positive mv_x or mv_y. (A motion
// search that reports "where in the reference did this block come from"
// finds the negated vector.)
struct BlockMotion {
  int16_t mv_x, mv_y;
  uint8_t flags;
};

// Not thread-safe: one generator per thread (the const methods share a
// cache of the current scene's layout).
class SceneGenerator {
public:
  // Throws std::invalid_argument when a field is out of its documented range.
  explicit SceneGenerator(const SceneConfig &config);
  ~SceneGenerator();
  SceneGenerator(SceneGenerator &&) noexcept;
  SceneGenerator &operator=(SceneGenerator &&) noexcept;

  const SceneConfig &config() const;

  // Renders frame `index` into `planes` (plane_count(format) of them). The
  // bytes depend only on the config, the index and the format: any order of
  // calls gives the same frames. Writes exactly plane_size() bytes per row
  // and nothing outside them. Rendering copies rows of textures that are
  // built on first use (tens of ms for a 1080p scene) and kept for the
  // current scene; prepare() builds them ahead of time.
  void render(uint64_t index, PixelFormat format, const PlaneView *planes);

  // Builds the textures that rendering frames [first, first + count) in
  // `format` needs, so those renders do no texture work. Stops at the end
  // of the scene that `first` is in.
  void prepare(uint64_t first, uint64_t count, PixelFormat format);

  // Ground truth for frame `index` relative to frame index - 1, for a grid
  // of block_size x block_size luma blocks (1..256): cols =
  // ceil(width / block_size), rows = ceil(height / block_size), row-major;
  // edge blocks cover only the pixels inside the frame.
  //
  // Each block gets the vector of the layer (background or object) that
  // covers most of its pixels. It is kOccluded unless its content, displaced
  // back by that vector, is inside the previous frame and shown there by
  // the same layers: either one layer covers the whole block and the whole
  // source area, including the 8-tap sub-pel interpolation support (3
  // pixels before, 4 after) when a component is fractional; or, for an
  // integer vector, every layer in the block moves by it and each pixel's
  // source shows the pixel's layer. So every block without kOccluded is
  // reproduced exactly by integer motion compensation and by sub-pel
  // interpolation up to the filter's own error. Object boundaries, covered
  // and uncovered content and content entering at a picture edge are
  // kOccluded. Frame 0 and scene-cut frames: all vectors zero, flags
  // kSceneCut. Vectors are clamped to the int16 range (only an object
  // wrapping around the picture jumps further, and its blocks are then
  // kOccluded).
  void ground_truth(uint64_t index, int block_size, std::vector<BlockMotion> &out) const;

  // True for frame 0 and for every multiple of scene_cut_interval.
  bool is_scene_cut(uint64_t index) const;

  // Bytes of textures held now (grows as formats and sub-pel phases are
  // first used; bounded by a few tens of MiB per format).
  size_t texture_bytes() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace quad::capture
