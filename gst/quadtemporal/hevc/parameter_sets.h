// Parameter sets, slice segment header and SEI of an H.265 Main profile
// stream (7.3.2, 7.3.6, D.2.20). GStreamer-free.
#pragma once

#include <cstdint>

#include "bitstream.h"
#include "contexts.h"

namespace quad::hevc {

// Everything the VPS, SPS and PPS say, derived once from the configuration.
struct SequenceParams {
  int width = 0;  // pic_width_in_luma_samples: a multiple of MinCbSizeY
  int height = 0; // pic_height_in_luma_samples
  int display_width = 0;
  int display_height = 0;
  int ctb_log2 = 6;    // CtbLog2SizeY: 4, 5 or 6
  int min_cb_log2 = 3; // MinCbLog2SizeY
  int max_tb_log2 = 5; // MaxTbLog2SizeY = Min(CtbLog2SizeY, 5)
  int min_tb_log2 = 2;
  int max_transform_hierarchy_depth_intra = 1;
  int max_transform_hierarchy_depth_inter = 1;
  bool strong_intra_smoothing = true;
  bool sign_data_hiding = true;
  bool deblocking = true;
  int init_qp = 26;
  int fps_n = 30;
  int fps_d = 1;
  int level_idc = 0;        // general_level_idc (30 x level number)
  int log2_max_poc_lsb = 8; // log2_max_pic_order_cnt_lsb
  int max_dec_pic_buffering = 1;

  int ctb_size() const { return 1 << ctb_log2; }
  int ctb_cols() const { return (width + ctb_size() - 1) >> ctb_log2; }
  int ctb_rows() const { return (height + ctb_size() - 1) >> ctb_log2; }
};

// Fills the derived fields (coded size, conformance window, transform sizes,
// level) of params from the display size, CTU size and frame rate.
// Returns false for sizes or CTU sizes Main profile cannot carry.
bool derive_sequence_params(int display_width, int display_height, int ctb_size, int fps_n,
                            int fps_d, SequenceParams &params);

// Annex A, Table A.8: the lowest level whose picture size and luma sample
// rate limits hold (general_level_idc, e.g. 93 for level 3.1).
int derive_level_idc(int width, int height, int fps_n, int fps_d);

void write_vps(BitWriter &bw, const SequenceParams &sps);
void write_sps(BitWriter &bw, const SequenceParams &sps);
void write_pps(BitWriter &bw, const SequenceParams &sps);

struct SliceHeader {
  NalUnitType nal_type = NalUnitType::IdrWRadl;
  SliceType slice_type = SliceType::I;
  int pic_order_cnt_lsb = 0;
  int slice_qp = 26;
};

// 7.3.6.1 slice_segment_header() for the first (and only) slice segment of
// a picture, ending with byte_alignment().
void write_slice_header(BitWriter &bw, const SequenceParams &sps, const SliceHeader &sh);

// D.2.20 decoded picture hash SEI message (hash_type 0, MD5) in a complete
// sei_rbsp(), for a suffix SEI NAL unit.
void write_picture_hash_sei(BitWriter &bw, const uint8_t md5[3][16]);

} // namespace quad::hevc
