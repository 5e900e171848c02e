#include "deblock.h"

#include <algorithm>
#include <cstdlib>

#include "primitives.h"

namespace quad::hevc {
namespace {

// H.265 Table 8-12: beta' for Q = 0..51.
constexpr uint8_t kBetaTable[52] = {0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
                                    0,  0,  0,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38,
                                    40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64};

// H.265 Table 8-12: tC' for Q = 0..53.
constexpr uint8_t kTcTable[54] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0,  0,  0,  0,  0,  0,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 2,  2,  2,  2,  3,  3,  3,  3,  4,
                                  4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 22, 24};

// H.265 Table 8-10 (ChromaArrayType == 1): QpC for qPi = 30..43; below 30
// QpC = qPi, above 43 QpC = qPi - 6.
constexpr uint8_t kQpCTable[14] = {29, 30, 31, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37, 37};

int qpc_from_qpi(int qpi) {
  if (qpi < 30)
    return qpi;
  if (qpi > 43)
    return qpi - 6;
  return kQpCTable[qpi - 30];
}

inline uint8_t clip_pixel(int v) {
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

// One edge segment of 4 lines. q0 points at the first Q sample of line 0;
// across a vertical edge the samples are neighbours and the lines a stride
// apart, across a horizontal one the other way round (known at compile
// time, so that the compiler addresses them directly).
template <bool kVertical> struct Segment {
  uint8_t *q0;
  ptrdiff_t stride;
  uint8_t &at(int line, int i) const {
    return kVertical ? q0[line * stride + i] : q0[i * stride + line];
  }
  // p_i is at(line, -1 - i), q_i is at(line, i).
};

// H.265 8.7.2.5.3-8.7.2.5.7: decisions and filtering of one luma segment.
template <bool kVertical>
void filter_luma_segment(const Segment<kVertical> &s, const LumaEdgeSegment &edge) {
  const int tc = edge.tc, beta = edge.beta;
  const bool keep_p = edge.keep_p, keep_q = edge.keep_q;
  // beta == 0 makes dE 0; tC == 0 clips every change to nothing.
  if (tc == 0 || beta == 0)
    return;

  auto p = [&](int line, int i) -> int { return s.at(line, -1 - i); };
  auto q = [&](int line, int i) -> int { return s.at(line, i); };

  // 8.7.2.5.3: second-derivative activity on lines 0 and 3.
  const int dp0 = std::abs(p(0, 2) - 2 * p(0, 1) + p(0, 0));
  const int dp3 = std::abs(p(3, 2) - 2 * p(3, 1) + p(3, 0));
  const int dq0 = std::abs(q(0, 2) - 2 * q(0, 1) + q(0, 0));
  const int dq3 = std::abs(q(3, 2) - 2 * q(3, 1) + q(3, 0));
  const int dpq0 = dp0 + dq0;
  const int dpq3 = dp3 + dq3;
  const int dp = dp0 + dp3;
  const int dq = dq0 + dq3;
  const int d = dpq0 + dpq3;
  if (d >= beta)
    return; // dE = 0

  // 8.7.2.5.6: decision process for a luma sample (dSam).
  auto strong_line = [&](int line, int dpq) {
    return dpq < (beta >> 2) &&
           std::abs(p(line, 3) - p(line, 0)) + std::abs(q(line, 0) - q(line, 3)) < (beta >> 3) &&
           std::abs(p(line, 0) - q(line, 0)) < ((5 * tc + 1) >> 1);
  };
  const bool strong = strong_line(0, 2 * dpq0) && strong_line(3, 2 * dpq3);
  const int side_threshold = (beta + (beta >> 1)) >> 3;
  const bool dep = dp < side_threshold;
  const bool deq = dq < side_threshold;

  // 8.7.2.5.7: filtering process for a luma sample, per line.
  for (int k = 0; k < 4; ++k) {
    const int p0 = p(k, 0), p1 = p(k, 1), p2 = p(k, 2), p3 = p(k, 3);
    const int q0 = q(k, 0), q1 = q(k, 1), q2 = q(k, 2), q3 = q(k, 3);
    if (strong) {
      const int tc2 = 2 * tc;
      if (!keep_p) {
        s.at(k, -1) = static_cast<uint8_t>(
            std::clamp((p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3, p0 - tc2, p0 + tc2));
        s.at(k, -2) =
            static_cast<uint8_t>(std::clamp((p2 + p1 + p0 + q0 + 2) >> 2, p1 - tc2, p1 + tc2));
        s.at(k, -3) = static_cast<uint8_t>(
            std::clamp((2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3, p2 - tc2, p2 + tc2));
      }
      if (!keep_q) {
        s.at(k, 0) = static_cast<uint8_t>(
            std::clamp((p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3, q0 - tc2, q0 + tc2));
        s.at(k, 1) =
            static_cast<uint8_t>(std::clamp((p0 + q0 + q1 + q2 + 2) >> 2, q1 - tc2, q1 + tc2));
        s.at(k, 2) = static_cast<uint8_t>(
            std::clamp((p0 + q0 + q1 + 3 * q2 + 2 * q3 + 4) >> 3, q2 - tc2, q2 + tc2));
      }
      continue;
    }
    int delta = (9 * (q0 - p0) - 3 * (q1 - p1) + 8) >> 4;
    if (std::abs(delta) >= tc * 10)
      continue;
    delta = std::clamp(delta, -tc, tc);
    if (!keep_p) {
      s.at(k, -1) = clip_pixel(p0 + delta);
      if (dep) {
        const int delta_p =
            std::clamp((((p2 + p0 + 1) >> 1) - p1 + delta) >> 1, -(tc >> 1), tc >> 1);
        s.at(k, -2) = clip_pixel(p1 + delta_p);
      }
    }
    if (!keep_q) {
      s.at(k, 0) = clip_pixel(q0 - delta);
      if (deq) {
        const int delta_q =
            std::clamp((((q2 + q0 + 1) >> 1) - q1 - delta) >> 1, -(tc >> 1), tc >> 1);
        s.at(k, 1) = clip_pixel(q1 + delta_q);
      }
    }
  }
}

// H.265 8.7.2.5.5 and 8.7.2.5.8: one 4-line chroma segment (bS == 2).
template <bool kVertical>
void filter_chroma_segment(const Segment<kVertical> &s, int qp_p, int qp_q, int c_qp_pic_offset,
                           bool keep_p, bool keep_q, const DeblockParams &params) {
  const int qpi = ((qp_q + qp_p + 1) >> 1) + c_qp_pic_offset;
  const int qpc = qpc_from_qpi(qpi);
  constexpr int kBs = 2;
  const int tc = kTcTable[std::clamp(qpc + 2 * (kBs - 1) + (params.tc_offset_div2 << 1), 0, 53)];
  if (tc == 0)
    return;
  for (int k = 0; k < 4; ++k) {
    const int p0 = s.at(k, -1), p1 = s.at(k, -2);
    const int q0 = s.at(k, 0), q1 = s.at(k, 1);
    const int delta = std::clamp((((q0 - p0) * 4) + p1 - q1 + 4) >> 3, -tc, tc);
    if (!keep_p)
      s.at(k, -1) = clip_pixel(p0 + delta);
    if (!keep_q)
      s.at(k, 0) = clip_pixel(q0 - delta);
  }
}

// Filters every edge of one direction (8.7.2.1: EDGE_VER for the whole
// picture, then EDGE_HOR).
template <bool kVertical>
void filter_direction(uint8_t *const planes[3], const ptrdiff_t strides[3], int width, int height,
                      const DeblockMap &map, const DeblockParams &params, int y_begin, int y_end) {
  const int w4 = std::min(map.width4, (width + 3) / 4);
  const int h4 = std::min({map.height4, (height + 3) / 4, (y_end + 3) / 4});
  const int first4 = y_begin / 4;
  const std::vector<uint8_t> &bs_map = kVertical ? map.bs_left : map.bs_top;
  // The band's blocks and, for its top edge, the row of blocks above: the
  // only ones it reads (other bands may be in the works).
  const auto band_begin =
      map.bypass.begin() +
      static_cast<ptrdiff_t>(kVertical ? first4 : std::max(0, first4 - 1)) * map.width4;
  const auto band_end = map.bypass.begin() + static_cast<ptrdiff_t>(std::max(h4, 0)) * map.width4;
  const bool any_bypass =
      band_begin < band_end && std::any_of(band_begin, band_end, [](uint8_t b) { return b != 0; });
  auto bypass = [&](int idx) { return any_bypass && map.bypass[static_cast<size_t>(idx)] != 0; };
  // Index of the 4x4 block on the P side of the edge of block idx.
  const int p_offset = kVertical ? 1 : map.width4;

  // Luma: edges on the 8x8 grid, segments of 4 lines, handed to the kernel
  // a run along one edge at a time (the edges of one direction do not
  // overlap, so their order is free).
  {
    const ptrdiff_t stride = strides[0];
    const DeblockLumaFn filter = primitives().deblock_luma[kVertical ? 0 : 1];
    auto segment = [&](int bx, int by) {
      const int idx = by * map.width4 + bx;
      const int bs = bs_map[static_cast<size_t>(idx)];
      if (bs == 0)
        return LumaEdgeSegment{};
      const int qpl = (map.qp_y[static_cast<size_t>(idx - p_offset)] +
                       map.qp_y[static_cast<size_t>(idx)] + 1) >>
                      1;
      return LumaEdgeSegment{
          kTcTable[std::clamp(qpl + 2 * (bs - 1) + (params.tc_offset_div2 << 1), 0, 53)],
          kBetaTable[std::clamp(qpl + (params.beta_offset_div2 << 1), 0, 51)],
          bypass(idx - p_offset), bypass(idx)};
    };
    // A vertical edge runs down the band's rows of blocks, a horizontal one
    // across the picture; kRun segments at a time.
    constexpr int kRun = 64;
    LumaEdgeSegment run[kRun];
    const int edges_begin = kVertical ? 2 : std::max(2, (first4 + 1) & ~1);
    const int edges_end = kVertical ? w4 : h4;
    const int along_begin = kVertical ? first4 : 0;
    const int along_end = kVertical ? h4 : w4;
    for (int e = edges_begin; e < edges_end; e += 2)
      for (int a = along_begin; a < along_end; a += kRun) {
        const int count = std::min(kRun, along_end - a);
        bool any = false;
        for (int i = 0; i < count; ++i) {
          run[i] = kVertical ? segment(e, a + i) : segment(a + i, e);
          any |= run[i].tc != 0;
        }
        if (any)
          filter(planes[0] + 4 * (kVertical ? a * stride + e : e * stride + a), stride, run, count);
      }
  }

  // Chroma (4:2:0): edges on the 8x8 chroma grid (every 16 luma samples),
  // segments of 4 chroma lines, each using the bS and QpY found at the luma
  // position of its first sample (8.7.2.5.1 / 8.7.2.5.5).
  for (int c = 1; c <= 2; ++c) {
    const ptrdiff_t stride = strides[c];
    const int offset = c == 1 ? params.cb_qp_offset : params.cr_qp_offset;
    // In 4x4 luma units: edges every 4 blocks, segments every 2 blocks.
    for (int by = kVertical ? (first4 + 1) & ~1 : std::max(4, (first4 + 3) & ~3); by < h4;
         by += kVertical ? 2 : 4)
      for (int bx = kVertical ? 4 : 0; bx < w4; bx += kVertical ? 4 : 2) {
        const int idx = by * map.width4 + bx;
        if (bs_map[static_cast<size_t>(idx)] != 2)
          continue;
        const Segment<kVertical> seg{planes[c] + 2 * by * stride + 2 * bx, stride};
        filter_chroma_segment(seg, map.qp_y[static_cast<size_t>(idx - p_offset)],
                              map.qp_y[static_cast<size_t>(idx)], offset, bypass(idx - p_offset),
                              bypass(idx), params);
      }
  }
}

} // namespace

namespace reference {

template <bool kVertical>
void deblock_luma(uint8_t *q0, ptrdiff_t stride, const LumaEdgeSegment *segments, int count) {
  for (int i = 0; i < count; ++i)
    filter_luma_segment(Segment<kVertical>{q0 + 4 * i * (kVertical ? stride : 1), stride},
                        segments[i]);
}

template void deblock_luma<true>(uint8_t *, ptrdiff_t, const LumaEdgeSegment *, int);
template void deblock_luma<false>(uint8_t *, ptrdiff_t, const LumaEdgeSegment *, int);

} // namespace reference

void deblock_picture(uint8_t *const planes[3], const ptrdiff_t strides[3], int width, int height,
                     const DeblockMap &map, const DeblockParams &params) {
  filter_direction<true>(planes, strides, width, height, map, params, 0, height);
  filter_direction<false>(planes, strides, width, height, map, params, 0, height);
}

void deblock_vertical_edges(uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
                            int height, const DeblockMap &map, const DeblockParams &params,
                            int y_begin, int y_end) {
  filter_direction<true>(planes, strides, width, height, map, params, y_begin, y_end);
}

void deblock_horizontal_edges(uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
                              int height, const DeblockMap &map, const DeblockParams &params,
                              int y_begin, int y_end) {
  filter_direction<false>(planes, strides, width, height, map, params, y_begin, y_end);
}

} // namespace quad::hevc
