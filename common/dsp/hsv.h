// HSV to RGB, for colours picked by hue: the scene generator's textures and
// quadmotionoverlay's direction wheel and heat map. GStreamer-free.
#pragma once

#include <algorithm>
#include <cmath>

namespace quad::dsp {

struct RgbUnit {
  double r, g, b; // 0..1
};

// Hue in degrees, any value (0 = red, 120 = green, 240 = blue); saturation
// and value are clamped to 0..1.
inline RgbUnit rgb_from_hsv(double hue_degrees, double saturation, double value) {
  double hue = std::fmod(hue_degrees, 360.0);
  if (hue < 0)
    hue += 360.0;
  const double h = hue / 60.0; // sextant and position in it
  const double s = std::clamp(saturation, 0.0, 1.0), v = std::clamp(value, 0.0, 1.0);
  const double c = v * s, x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1)), m = v - c;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
  case 0:
    r = c, g = x;
    break;
  case 1:
    r = x, g = c;
    break;
  case 2:
    g = c, b = x;
    break;
  case 3:
    g = x, b = c;
    break;
  case 4:
    r = x, b = c;
    break;
  default:
    r = c, b = x;
    break;
  }
  return {r + m, g + m, b + m};
}

} // namespace quad::dsp
