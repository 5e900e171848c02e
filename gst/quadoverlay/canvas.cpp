#include "canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dsp/hsv.h"

namespace quad::overlay {

namespace {

uint8_t blend(uint8_t under, int over, int alpha) {
  return static_cast<uint8_t>((under * (256 - alpha) + over * alpha + 128) >> 8);
}

/* BT.601, limited range. */
struct Ycc {
  int y, cb, cr;
};
Ycc to_ycc(Rgb c) {
  const double r = c.r, g = c.g, b = c.b;
  return {static_cast<int>(std::lround(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255)),
          static_cast<int>(std::lround(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255)),
          static_cast<int>(std::lround(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255))};
}

} // namespace

Rgb rgb_from_hsv(double hue_degrees, double saturation, double value) {
  const dsp::RgbUnit c = dsp::rgb_from_hsv(hue_degrees, saturation, value);
  auto byte = [](double u) { return static_cast<uint8_t>(std::lround(u * 255)); };
  return {byte(c.r), byte(c.g), byte(c.b)};
}

Canvas::Canvas(PixelFormat format, uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
               int height)
    : format_(format), width_(width), height_(height), cells_x_((width + 1) / 2),
      cells_y_((height + 1) / 2) {
  for (int i = 0; i < 3; i++) {
    planes_[i] = planes[i];
    strides_[i] = strides[i];
  }
}

void Canvas::blend_cell(int cx, int cy, Rgb colour, int alpha) {
  if (cx < 0 || cy < 0 || cx >= cells_x_ || cy >= cells_y_)
    return;
  const int x0 = 2 * cx, y0 = 2 * cy;
  const int x1 = std::min(x0 + 2, width_), y1 = std::min(y0 + 2, height_);
  if (format_ == PixelFormat::BGRx) {
    for (int y = y0; y < y1; y++) {
      uint8_t *p = planes_[0] + y * strides_[0] + 4 * x0;
      for (int x = x0; x < x1; x++, p += 4) {
        p[0] = blend(p[0], colour.b, alpha);
        p[1] = blend(p[1], colour.g, alpha);
        p[2] = blend(p[2], colour.r, alpha);
      }
    }
    return;
  }
  const Ycc c = to_ycc(colour);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      uint8_t &luma = planes_[0][y * strides_[0] + x];
      luma = blend(luma, c.y, alpha);
    }
  if (format_ == PixelFormat::I420) {
    uint8_t &cb = planes_[1][cy * strides_[1] + cx];
    uint8_t &cr = planes_[2][cy * strides_[2] + cx];
    cb = blend(cb, c.cb, alpha);
    cr = blend(cr, c.cr, alpha);
  } else {
    uint8_t *uv = planes_[1] + cy * strides_[1] + 2 * cx;
    uv[0] = blend(uv[0], c.cb, alpha);
    uv[1] = blend(uv[1], c.cr, alpha);
  }
}

void Canvas::blend_cells(int cx0, int cy0, int cx1, int cy1, Rgb colour, int alpha) {
  cx0 = std::max(cx0, 0);
  cy0 = std::max(cy0, 0);
  cx1 = std::min(cx1, cells_x_);
  cy1 = std::min(cy1, cells_y_);
  for (int cy = cy0; cy < cy1; cy++)
    for (int cx = cx0; cx < cx1; cx++)
      blend_cell(cx, cy, colour, alpha);
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb colour, int alpha) {
  if (w <= 0 || h <= 0)
    return;
  /* Cells wholly or partly inside the rectangle. */
  blend_cells(x >> 1, y >> 1, (x + w + 1) >> 1, (y + h + 1) >> 1, colour, alpha);
}

void Canvas::outline_rect(int x, int y, int w, int h, int thickness, Rgb colour, int alpha) {
  const int t = std::max(1, std::min({thickness, w / 2, h / 2}));
  fill_rect(x, y, w, t, colour, alpha);
  fill_rect(x, y + h - t, w, t, colour, alpha);
  fill_rect(x, y + t, t, h - 2 * t, colour, alpha);
  fill_rect(x + w - t, y + t, t, h - 2 * t, colour, alpha);
}

void Canvas::line(int x0, int y0, int x1, int y1, Rgb colour, int alpha) {
  /* Bresenham over cells, so no cell is blended twice. */
  int cx = x0 >> 1, cy = y0 >> 1;
  const int ex = x1 >> 1, ey = y1 >> 1;
  const int dx = std::abs(ex - cx), dy = -std::abs(ey - cy);
  const int sx = cx < ex ? 1 : -1, sy = cy < ey ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    blend_cell(cx, cy, colour, alpha);
    if (cx == ex && cy == ey)
      break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      cx += sx;
    }
    if (e2 <= dx) {
      err += dx;
      cy += sy;
    }
  }
}

void Canvas::arrow(int x0, int y0, int x1, int y1, Rgb colour, int alpha) {
  line(x0, y0, x1, y1, colour, alpha);
  const double dx = x1 - x0, dy = y1 - y0, length = std::hypot(dx, dy);
  if (length < 1.0)
    return;
  /* Two barbs at +-30 degrees, a third of the shaft long (at least 3 samples). */
  const double head = std::max(3.0, length / 3.0), ux = dx / length, uy = dy / length;
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  for (const double sign : {1.0, -1.0}) {
    const double bx = -(ux * c - sign * uy * s), by = -(sign * ux * s + uy * c);
    line(x1, y1, x1 + static_cast<int>(std::lround(bx * head)),
         y1 + static_cast<int>(std::lround(by * head)), colour, alpha);
  }
}

} // namespace quad::overlay
