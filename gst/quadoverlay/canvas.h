/* Canvas: translucent drawing on a video frame's planes (8-bit I420, NV12 or
 * BGRx), with no GStreamer. Colours are given in RGB and converted to BT.601
 * limited-range YCbCr for the YUV formats.
 *
 * Drawing works in 2x2 cells, the chroma sample of 4:2:0, so luma and chroma
 * always change together and a one-sample line still shows its colour. */
#pragma once

#include <cstddef>
#include <cstdint>

namespace quad::overlay {

enum class PixelFormat { I420, NV12, BGRx };

struct Rgb {
  uint8_t r, g, b;
};

/* Hue in degrees (0 = red, 120 = green, 240 = blue), saturation and value 0..1. */
Rgb rgb_from_hsv(double hue_degrees, double saturation, double value);

class Canvas {
public:
  /* planes/strides as the format lays them out (BGRx: plane 0 only; NV12:
   * planes 0 and 1). width and height in pixels. */
  Canvas(PixelFormat format, uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
         int height);

  int width() const { return width_; }
  int height() const { return height_; }

  /* alpha 0 (nothing) .. 256 (opaque). Everything clips to the frame. */
  void fill_rect(int x, int y, int w, int h, Rgb colour, int alpha);
  void outline_rect(int x, int y, int w, int h, int thickness, Rgb colour, int alpha);
  void line(int x0, int y0, int x1, int y1, Rgb colour, int alpha);
  /* A line from (x0, y0) with a head at (x1, y1). */
  void arrow(int x0, int y0, int x1, int y1, Rgb colour, int alpha);

private:
  void blend_cell(int cx, int cy, Rgb colour, int alpha); /* cell coordinates */
  void blend_cells(int cx0, int cy0, int cx1, int cy1, Rgb colour, int alpha);

  PixelFormat format_;
  uint8_t *planes_[3];
  ptrdiff_t strides_[3];
  int width_, height_;
  int cells_x_, cells_y_;
};

} // namespace quad::overlay
