// The encoder's own scene-cut test for low-delay P streams, used when no
// analysis upstream says where cuts are: a picture is a cut when most of
// it is predicted better from itself (a flat block) than from the previous
// picture with a small motion search, both on a 4:1 decimated luma plane.
// GStreamer-free.
#pragma once

#include <cstdint>
#include <vector>

#include "picture.h"

namespace quad::hevc {

class SceneCutDetector {
public:
  // Takes the next source picture; true when it starts a new scene. The
  // first picture after reset() is never a cut.
  bool next(const PictureSamples &source);
  void reset() { previous_.clear(); }

private:
  int width_ = 0; // of the decimated plane
  int height_ = 0;
  std::vector<uint8_t> previous_;
  std::vector<uint8_t> current_;
  std::vector<uint16_t> column_sums_; // of one decimated row
};

} // namespace quad::hevc
