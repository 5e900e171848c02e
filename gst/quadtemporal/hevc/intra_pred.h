// HEVC intra sample prediction (H.265 8.4.4.2) for 8-bit samples: reference
// sample substitution, reference filtering (with strong intra smoothing),
// planar, DC and the 33 angular modes. GStreamer-free.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace quad::hevc {

inline constexpr int kIntraPlanar = 0;
inline constexpr int kIntraDc = 1;
inline constexpr int kIntraAngularHorizontal = 10;
inline constexpr int kIntraAngularVertical = 26;

// Availability of the neighbouring samples of an n x n block, in samples of
// its own plane, following the decoding order.
struct IntraAvailability {
  int below_left;  // 0..n samples of p[-1][n..2n-1] available (a prefix from the top)
  bool left;       // p[-1][0..n-1]
  bool top_left;   // p[-1][-1]
  bool top;        // p[0..n-1][-1]
  int above_right; // 0..n samples of p[n..2n-1][-1] available (a prefix from the left)
};

// The neighbouring samples of one block after substitution (8.4.4.2.2), and
// their filtered version (8.4.4.2.3) where a mode may use it. Both arrays
// hold the 4n + 1 samples in one line: index 0 is p[-1][2n-1] (bottom of the
// left column), index 2n - 1 - y is p[-1][y], index 2n is p[-1][-1] and
// index 2n + 1 + x is p[x][-1].
struct IntraReferences {
  static constexpr int kMaxSamples = 4 * 32 + 1;
  int n = 0;
  int c_idx = 0;
  bool has_filtered = false; // luma with n >= 8: some modes use `filtered`
  std::array<uint8_t, kMaxSamples> unfiltered{};
  std::array<uint8_t, kMaxSamples> filtered{};
};

// H.265 8.4.4.2.1-8.4.4.2.3: gathers the neighbouring samples of the n x n
// block at (x, y) of `plane`, substitutes unavailable ones and, for luma,
// filters them ([1 2 1], or the bilinear strong intra smoothing for 32x32
// when strong_intra_smoothing is set and the edges are flat enough).
// c_idx 0 = luma, 1/2 = chroma 4:2:0 (never filtered). top_line, when
// given, holds the line above the block (sample x at top_line[x]) instead
// of plane.
void build_intra_references(const uint8_t *plane, ptrdiff_t stride, int x, int y, int n, int c_idx,
                            const IntraAvailability &avail, bool strong_intra_smoothing,
                            IntraReferences &refs, const uint8_t *top_line = nullptr);

// Whether mode uses the filtered references for this block (8.4.4.2.3
// filterFlag): luma only, never for DC or 4x4, else when the mode is far
// enough from horizontal and vertical for the block size.
bool intra_uses_filtered_references(int n, int c_idx, int mode);

// H.265 8.4.4.2.4-8.4.4.2.6: predicts the block for intra mode 0..34 (0
// planar, 1 DC, 2..34 angular) from prepared references, choosing filtered
// or unfiltered samples by the 8.4.4.2.3 rule. The DC and the horizontal /
// vertical boundary filters apply to luma blocks smaller than 32x32.
// Writes n x n samples to pred (stride n).
void predict_intra(const IntraReferences &refs, int mode, uint8_t *pred);

// build_intra_references() followed by predict_intra().
void predict_intra(const uint8_t *plane, ptrdiff_t stride, int x, int y, int n, int c_idx, int mode,
                   const IntraAvailability &avail, bool strong_intra_smoothing, uint8_t *pred);

// H.265 8.4.3, Table 8-2 (ChromaArrayType 1): the chroma intra mode for
// intra_chroma_pred_mode 0..3 (planar, vertical, horizontal, DC; replaced by
// mode 34 when equal to the luma mode) and 4 (DM: the luma mode).
int chroma_intra_mode(int intra_chroma_pred_mode, int luma_mode);

} // namespace quad::hevc
