// The scalar transform kernels of H.265 8.6.4.2, written so that the
// compiler vectorises their lane loops: transform.cpp compiles them once as
// the reference, primitives_simd.cpp once per Highway target, so each target
// runs the same integer arithmetic with its own vector instructions.
// Included inside a namespace, after <algorithm>, <cstddef> and
// "transform_matrices.h"; hence no include guard.

constexpr int log2_size(int n) {
  return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : 5;
}

inline int16_t clip16(int32_t v) {
  return static_cast<int16_t>(std::clamp<int32_t>(v, -32768, 32767));
}

// One-dimensional inverse transform of L independent lanes at once, by
// partial butterflies (even/odd decomposition, recursively):
// out[i][l] = sum_k T_N[k][i] * in[k][l]. Input row k lives at
// in + k * in_stride; rows k >= nz are known to be zero. out is N x L. Inputs
// are 16-bit (8.6.4.2 clips the intermediate values), so the products are
// 16 x 16 -> 32-bit multiplies, which vectorise well.
template <int N, int L>
void inverse_butterfly(const int16_t *in, ptrdiff_t in_stride, int nz, int32_t *out) {
  if constexpr (N == 2) {
    // Rows 0 and 16 of the 32-point matrix: (64, 64) and (64, -64).
    for (int l = 0; l < L; ++l) {
      const int32_t a = nz > 0 ? in[l] : 0;
      const int32_t b = nz > 1 ? in[in_stride + l] : 0;
      out[l] = 64 * (a + b);
      out[L + l] = 64 * (a - b);
    }
  } else {
    constexpr int kHalf = N / 2;
    constexpr int kStep = 32 / N;
    alignas(32) int32_t even[kHalf * L];
    alignas(32) int32_t odd[kHalf * L];
    inverse_butterfly<kHalf, L>(in, 2 * in_stride, (nz + 1) / 2, even);
    std::fill(odd, odd + kHalf * L, 0);
    for (int j = 0; j < nz / 2; ++j) {
      const int16_t *row = in + (2 * j + 1) * in_stride;
      const int16_t *basis = kDct32.m[(2 * j + 1) * kStep];
      for (int k = 0; k < kHalf; ++k) {
        const int16_t c = basis[k];
        int32_t *acc = odd + k * L;
        for (int l = 0; l < L; ++l)
          acc[l] += c * row[l];
      }
    }
    for (int k = 0; k < kHalf; ++k) {
      const int32_t *e = even + k * L;
      const int32_t *o = odd + k * L;
      int32_t *lo = out + k * L;
      int32_t *hi = out + (N - 1 - k) * L;
      for (int l = 0; l < L; ++l) {
        lo[l] = e[l] + o[l];
        hi[l] = e[l] - o[l];
      }
    }
  }
}

// H.265 8.6.4.2 step 1 on the first L columns (the others are all zero):
// g[x][y] = Clip3(coeffMin, coeffMax, (e[x][y] + 64) >> 7), stored
// transposed (row x, lane y) for the second stage.
template <int N, int L> void inverse_first_stage(const int16_t *coeffs, int nz_rows, int16_t *g_t) {
  alignas(32) int32_t e[N * L];
  inverse_butterfly<N, L>(coeffs, N, nz_rows, e);
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < L; ++x)
      g_t[x * N + y] = clip16((e[y * L + x] + 64) >> 7);
}

// One-dimensional forward transform of L lanes: out[k][l] = sum_i T_N[k][i] *
// in[i][l]. in is N x L (stride L); output row k is written at out + k *
// out_stride.
template <int N, int L>
void forward_butterfly(const int32_t *in, int32_t *out, ptrdiff_t out_stride) {
  if constexpr (N == 2) {
    for (int l = 0; l < L; ++l) {
      out[l] = 64 * (in[l] + in[L + l]);
      out[out_stride + l] = 64 * (in[l] - in[L + l]);
    }
  } else {
    constexpr int kHalf = N / 2;
    constexpr int kStep = 32 / N;
    alignas(32) int32_t even[kHalf * L];
    alignas(32) int32_t odd[kHalf * L];
    for (int i = 0; i < kHalf; ++i) {
      const int32_t *a = in + i * L;
      const int32_t *b = in + (N - 1 - i) * L;
      for (int l = 0; l < L; ++l) {
        even[i * L + l] = a[l] + b[l];
        odd[i * L + l] = a[l] - b[l];
      }
    }
    // Even basis functions are symmetric: the half-size transform of the sums.
    forward_butterfly<kHalf, L>(even, out, 2 * out_stride);
    // Odd basis functions are antisymmetric: weights on the differences.
    for (int m = 0; m < kHalf; ++m) {
      const int16_t *basis = kDct32.m[(2 * m + 1) * kStep];
      int32_t *dst = out + (2 * m + 1) * out_stride;
      alignas(32) int32_t acc[L] = {};
      for (int i = 0; i < kHalf; ++i) {
        const int32_t c = basis[i];
        const int32_t *o = odd + i * L;
        for (int l = 0; l < L; ++l)
          acc[l] += c * o[l];
      }
      std::copy(acc, acc + L, dst);
    }
  }
}

template <int N> void transpose(const int32_t *src, int32_t *dst) {
  for (int r = 0; r < N; ++r)
    for (int c = 0; c < N; ++c)
      dst[c * N + r] = src[r * N + c];
}

// H.265 8.6.4.2 with trType 0 for nTbS = N.
template <int N> void inverse_dct(const int16_t *coeffs, int16_t *residual) {
  // Rows (vertical frequencies) and columns beyond the last non-zero one
  // contribute nothing; skipping them is exact.
  int nz_rows = 0;
  int nz_cols = 0;
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x)
      if (coeffs[y * N + x] != 0) {
        nz_rows = y + 1;
        nz_cols = std::max(nz_cols, x + 1);
      }
  if (nz_rows == 0) {
    std::fill(residual, residual + N * N, int16_t{0});
    return;
  }
  if (nz_rows == 1 && nz_cols == 1) {
    // DC only: both stages reduce to multiplications by 64.
    const int32_t g = clip16((64 * coeffs[0] + 64) >> 7);
    const auto r = static_cast<int16_t>((64 * g + 2048) >> 12);
    std::fill(residual, residual + N * N, r);
    return;
  }

  // First stage (8.6.4.2 step 1): each column, as many lanes as there are
  // columns up to the last non-zero one (rounded up to 4, 8, 16 or 32).
  alignas(32) int16_t g_t[N * N];
  if (N >= 32 && nz_cols > 16)
    inverse_first_stage<N, N>(coeffs, nz_rows, g_t);
  else if (N >= 16 && nz_cols > 8)
    inverse_first_stage<N, (N < 16 ? N : 16)>(coeffs, nz_rows, g_t);
  else if (N >= 8 && nz_cols > 4)
    inverse_first_stage<N, (N < 8 ? N : 8)>(coeffs, nz_rows, g_t);
  else
    inverse_first_stage<N, 4>(coeffs, nz_rows, g_t);
  // Second stage (step 2): each row; rows of g_t beyond nz_cols are zero.
  alignas(32) int32_t r[N * N];
  inverse_butterfly<N, N>(g_t, N, nz_cols, r);
  // r[x][y]; bdShift = 20 - BitDepth = 12.
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x)
      residual[y * N + x] = static_cast<int16_t>((r[x * N + y] + 2048) >> 12);
}

// H.265 8.6.4.2 with trType 1 (4x4 DST-VII).
void inverse_dst4(const int16_t *coeffs, int16_t *residual) {
  int32_t g[4][4];
  for (int x = 0; x < 4; ++x)
    for (int i = 0; i < 4; ++i) {
      int32_t s = 0;
      for (int k = 0; k < 4; ++k)
        s += kDst4[k][i] * coeffs[k * 4 + x];
      g[i][x] = clip16((s + 64) >> 7);
    }
  for (int y = 0; y < 4; ++y)
    for (int i = 0; i < 4; ++i) {
      int32_t s = 0;
      for (int k = 0; k < 4; ++k)
        s += kDst4[k][i] * g[y][k];
      residual[y * 4 + i] = static_cast<int16_t>((s + 2048) >> 12);
    }
}

template <int N> void forward_dct(const int16_t *residual, int16_t *coeffs) {
  constexpr int kShift1 = log2_size(N) - 1; // log2(n) + BitDepth - 9
  constexpr int kShift2 = log2_size(N) + 6;
  alignas(32) int32_t a[N * N];
  alignas(32) int32_t b[N * N];
  // Horizontal pass: lanes are the rows, so transpose the input first.
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x)
      a[x * N + y] = residual[y * N + x];
  forward_butterfly<N, N>(a, b, N); // b[kx][y]
  for (int i = 0; i < N * N; ++i)
    b[i] = (b[i] + (1 << (kShift1 - 1))) >> kShift1;
  // Vertical pass: lanes are the horizontal frequencies.
  transpose<N>(b, a);               // a[y][kx]
  forward_butterfly<N, N>(a, b, N); // b[ky][kx]
  for (int i = 0; i < N * N; ++i)
    coeffs[i] = clip16((b[i] + (1 << (kShift2 - 1))) >> kShift2);
}

void forward_dst4(const int16_t *residual, int16_t *coeffs) {
  constexpr int kShift1 = 1;
  constexpr int kShift2 = 8;
  int32_t t[4][4]; // t[y][kx]
  for (int y = 0; y < 4; ++y)
    for (int k = 0; k < 4; ++k) {
      int32_t s = 0;
      for (int i = 0; i < 4; ++i)
        s += kDst4[k][i] * residual[y * 4 + i];
      t[y][k] = (s + (1 << (kShift1 - 1))) >> kShift1;
    }
  for (int k = 0; k < 4; ++k)
    for (int x = 0; x < 4; ++x) {
      int32_t s = 0;
      for (int i = 0; i < 4; ++i)
        s += kDst4[k][i] * t[i][x];
      coeffs[k * 4 + x] = clip16((s + (1 << (kShift2 - 1))) >> kShift2);
    }
}
