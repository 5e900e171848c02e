// Frames as quadpreproc's core sees them: a pixel format, a size, and up to
// three planes of the caller's memory. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quad::preproc {

enum class PixelFormat {
  I420, // Y, U, V; chroma ceil(w/2) x ceil(h/2)
  NV12, // Y, interleaved UV; chroma ceil(w/2) x ceil(h/2)
  Y42B, // Y, U, V; chroma ceil(w/2) x h
  Y444, // Y, U, V at full size
  BGRx, // packed 4 bytes per pixel, in memory order
  RGBx,
  BGRA,
  RGBA,
  xRGB,
};

bool is_rgb(PixelFormat format);
bool is_420(PixelFormat format);
int plane_count(PixelFormat format);

// The YUV matrix (ITU-R BT.601, BT.709, BT.2020 non-constant luminance).
enum class Matrix { BT601, BT709, BT2020 };

// Limited: Y 16..235, chroma 16..240. Full: 0..255 for both.
enum class Range { Limited, Full };

// Where a 4:2:0 chroma sample sits relative to the luma samples it covers:
// cosited with the top-left one, or centred between them, per axis. MPEG-2
// (GStreamer's "mpeg2") is cosited horizontally and centred vertically.
struct ChromaSiting {
  bool h_cosited = false;
  bool v_cosited = false;
};

struct Plane {
  uint8_t *data = nullptr;
  ptrdiff_t stride = 0;
};

struct ConstPlane {
  const uint8_t *data = nullptr;
  ptrdiff_t stride = 0;
};

// A frame to write. Planes follow the format's order (see PixelFormat).
struct Picture {
  PixelFormat format = PixelFormat::I420;
  int width = 0;
  int height = 0;
  Plane planes[3];
};

// A frame to read.
struct ConstPicture {
  PixelFormat format = PixelFormat::I420;
  int width = 0;
  int height = 0;
  ConstPlane planes[3];
};

} // namespace quad::preproc
