// The luma pyramid motion search runs on: level 0 is the picture, each next
// level halves it (2x2 mean, rounded). Every level is held with a border of
// replicated edge samples, as a decoder extends its reference pictures, so a
// search may point outside the picture without bounds checks. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::me {

class FramePyramid {
public:
  // Border on every side of every level, in samples of that level: a 64x64
  // block may sit wholly outside the picture with room for 8-tap filters.
  static constexpr int kPad = 80;
  static constexpr int kMaxLevels = 4;
  // A level is kept only while both of its sides have this many samples.
  static constexpr int kMinLevelSide = 32;

  // A level computed elsewhere (quadpreproc's pyramid), copied in as is.
  struct ExternalLevel {
    const uint8_t *data = nullptr;
    ptrdiff_t stride = 0;
    int width = 0;
    int height = 0;
  };

  // Side of level `level` of a picture side `side`: ceil(side / 2^level).
  static int level_side(int side, int level);
  // Levels a width x height picture gets when at most max_levels are wanted.
  static int level_count(int width, int height, int max_levels);

  // Builds `levels` levels (clamped by level_count) from an 8-bit luma plane.
  // external, when not null, holds levels 1 .. levels - 1 already computed;
  // one whose size is not level_side() of the picture makes build() compute
  // that level instead. Returns the number of levels built.
  int build(const uint8_t *luma, ptrdiff_t stride, int width, int height, int levels,
            const ExternalLevel *external = nullptr);

  int levels() const { return levels_; }
  int width(int level) const { return geometry_[level].width; }
  int height(int level) const { return geometry_[level].height; }
  ptrdiff_t stride(int level) const { return geometry_[level].stride; }
  // Sample (0, 0) of a level; rows and columns -kPad .. side + kPad - 1 are
  // readable.
  const uint8_t *origin(int level) const { return storage_.data() + geometry_[level].offset; }
  // The whole padded storage, levels at origin(l) - storage(): what a GPU
  // backend copies in one transfer.
  const uint8_t *storage() const { return storage_.data(); }
  size_t storage_bytes() const { return storage_bytes_; }
  // Changes on every build, so a backend can tell a picture it already holds.
  uint64_t generation() const { return generation_; }
  // Same picture size and levels.
  bool same_geometry(const FramePyramid &other) const;

private:
  struct Geometry {
    int width = 0;
    int height = 0;
    ptrdiff_t stride = 0;
    size_t offset = 0;
  };
  uint8_t *mutable_origin(int level) { return storage_.data() + geometry_[level].offset; }
  void pad_level(int level);

  std::vector<uint8_t> storage_;
  Geometry geometry_[kMaxLevels];
  int levels_ = 0;
  size_t storage_bytes_ = 0;
  uint64_t generation_ = 0;
};

} // namespace quad::me
