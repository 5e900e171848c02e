#include "transform.h"

#include <algorithm>
#include <cstddef>

#include "primitives.h"
#include "transform_matrices.h"

namespace quad::hevc {
namespace reference {

#include "transform_kernels-inl.h"

template void forward_dct<4>(const int16_t *, int16_t *);
template void forward_dct<8>(const int16_t *, int16_t *);
template void forward_dct<16>(const int16_t *, int16_t *);
template void forward_dct<32>(const int16_t *, int16_t *);
template void inverse_dct<4>(const int16_t *, int16_t *);
template void inverse_dct<8>(const int16_t *, int16_t *);
template void inverse_dct<16>(const int16_t *, int16_t *);
template void inverse_dct<32>(const int16_t *, int16_t *);

} // namespace reference

using reference::clip16;
using reference::log2_size;

void inverse_transform(const int16_t *coeffs, int16_t *residual, int n, bool dst4x4) {
  const Primitives &p = primitives();
  if (dst4x4 && n == 4)
    p.idst4(coeffs, residual);
  else
    p.idct[log2_size(n) - 2](coeffs, residual);
}

void forward_transform(const int16_t *residual, int16_t *coeffs, int n, bool dst4x4) {
  const Primitives &p = primitives();
  if (dst4x4 && n == 4)
    p.fdst4(residual, coeffs);
  else
    p.fdct[log2_size(n) - 2](residual, coeffs);
}

void inverse_transform_skip(const int16_t *coeffs, int16_t *residual, int n) {
  // tsShift = 5 + log2(n) (7 for 4x4), then bdShift = 20 - BitDepth.
  const int ts_shift = 5 + log2_size(n);
  for (int i = 0; i < n * n; ++i)
    residual[i] = static_cast<int16_t>(((coeffs[i] * (1 << ts_shift)) + 2048) >> 12);
}

void forward_transform_skip(const int16_t *residual, int16_t *coeffs, int n) {
  // The inverse divides by 2^(12 - tsShift) = 2^(7 - log2(n)).
  const int shift = 7 - log2_size(n);
  for (int i = 0; i < n * n; ++i)
    coeffs[i] = clip16(residual[i] * (1 << shift));
}

int transform_matrix_coefficient(int n, int k, int i, bool dst4x4) {
  if (dst4x4 && n == 4)
    return kDst4[k][i];
  return kDct32.m[k * (32 / n)][i];
}

} // namespace quad::hevc
