// HEVC deblocking filter (H.265 8.7.2) for a whole 8-bit 4:2:0 picture,
// driven by boundary strengths the encoder derived. GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::hevc {

// Per 4x4 luma block of the picture, row-major, width4 x height4 entries.
struct DeblockMap {
  int width4, height4;          // ceil(pic_width / 4), ceil(pic_height / 4)
  std::vector<uint8_t> bs_left; // bS 0..2 of the vertical edge on the block's left side
  std::vector<uint8_t> bs_top;  // bS 0..2 of the horizontal edge on its top side
  std::vector<int8_t> qp_y;     // QpY of the CU covering the block
  std::vector<uint8_t> bypass;  // 1: pcm (with pcm_loop_filter_disabled_flag) or
                                // cu_transquant_bypass, samples stay unmodified
};

// Slice / PPS parameters of the filter. cb_qp_offset and cr_qp_offset are
// pps_cb_qp_offset and pps_cr_qp_offset (8.7.2.5.5 uses the picture-level
// offsets only).
struct DeblockParams {
  int beta_offset_div2 = 0, tc_offset_div2 = 0, cb_qp_offset = 0, cr_qp_offset = 0;
};

// H.265 8.7.2: deblocks the reconstructed picture in place: every vertical
// edge of the picture first, then every horizontal edge on the result.
// Luma edges are filtered on the 8x8 luma grid where bS > 0; chroma edges
// where bS == 2 on the 8x8 chroma grid (16 luma samples in 4:2:0), each
// 4-sample chroma segment taking the bS and QpY at its first sample. Edges at
// x == 0 / y == 0 are never filtered.
// planes: Y, Cb, Cr; width / height: the coded picture size in luma samples
// (multiples of 8).
void deblock_picture(uint8_t *const planes[3], const ptrdiff_t strides[3], int width, int height,
                     const DeblockMap &map, const DeblockParams &params);

// The same process a band of luma rows y_begin .. y_end - 1 (multiples of
// 16) at a time, in two passes, for bands deblocked on several threads.
// The vertical edges of a band read and write only the band's rows, so
// bands take that pass in any order. The horizontal edges of a band, the
// one at y_begin included, read and write 4 rows either side: they need the
// vertical pass done on the band and on the band above, not the band
// above's horizontal pass (their rows do not overlap), and never reach the
// band below. Once both passes are done on a band and the bands above,
// deblock_picture()'s result stands above y_begin - 3.
void deblock_vertical_edges(uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
                            int height, const DeblockMap &map, const DeblockParams &params,
                            int y_begin, int y_end);
void deblock_horizontal_edges(uint8_t *const planes[3], const ptrdiff_t strides[3], int width,
                              int height, const DeblockMap &map, const DeblockParams &params,
                              int y_begin, int y_end);

} // namespace quad::hevc
