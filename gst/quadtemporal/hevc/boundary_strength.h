// Boundary filtering strength of the deblocking filter (H.265 8.7.2.3,
// 8.7.2.4) from the coding tree the encoder decided. GStreamer-free.
#pragma once

#include "coding_tree.h"
#include "deblock.h"

namespace quad::hevc {

// Sizes map to info's picture, zeroed, unless it already is. Bands derived
// on several threads need it done before them.
void size_deblock_map(const BlockInfoMap &info, DeblockMap &map);

// Fills map's bS of every transform and prediction block edge on the 8x8
// grid, and the QpY of each 4x4 block, for the 4x4 blocks of luma rows
// y_begin .. y_end - 1 (multiples of 4; the map is sized first if it is
// not). Writes only those blocks' entries.
// ref_poc: RefPicList0 as POCs (the picture a reference index stands for);
// nullptr in intra pictures.
void derive_boundary_strengths(const BlockInfoMap &info, const int *ref_poc, DeblockMap &map,
                               int y_begin, int y_end);

} // namespace quad::hevc
