// Parameter sets, slice segment header and SEI of an H.265 Main profile
// stream (7.3.2, 7.3.6, D.2.20). GStreamer-free.
#pragma once

#include <cstdint>
#include <vector>

#include "bit_writer.h"
#include "contexts.h"
#include "picture.h"

namespace quad::hevc {

// 7.3.2.1 video_parameter_set_rbsp(): one layer, one sub-layer.
struct VideoParams {
  int level_idc = 0; // general_level_idc of the profile_tier_level
  int fps_n = 30;    // vps_time_scale / vps_num_units_in_tick
  int fps_d = 1;
  int max_dec_pic_buffering = 1;
};

// 7.3.2.2 seq_parameter_set_rbsp(), with the sizes derived from it.
struct SequenceParams {
  int width = 0;         // pic_width_in_luma_samples: a multiple of MinCbSizeY
  int height = 0;        // pic_height_in_luma_samples
  int display_width = 0; // the conformance window's size
  int display_height = 0;
  int ctb_log2 = 6;    // CtbLog2SizeY: 4, 5 or 6
  int min_cb_log2 = 3; // MinCbLog2SizeY
  int max_tb_log2 = 5; // MaxTbLog2SizeY = Min(CtbLog2SizeY, 5)
  int min_tb_log2 = 2;
  int max_transform_hierarchy_depth_intra = 1;
  int max_transform_hierarchy_depth_inter = 1;
  bool strong_intra_smoothing = true;
  bool temporal_mvp = false; // sps_temporal_mvp_enabled_flag
  int level_idc = 0;         // general_level_idc (30 x level number)
  int log2_max_poc_lsb = 8;  // log2_max_pic_order_cnt_lsb
  int max_dec_pic_buffering = 1;

  int ctb_size() const { return 1 << ctb_log2; }
  int ctb_cols() const { return (width + ctb_size() - 1) >> ctb_log2; }
  int ctb_rows() const { return (height + ctb_size() - 1) >> ctb_log2; }
};

// 7.3.2.3 pic_parameter_set_rbsp().
struct PictureParams {
  int init_qp = 26;
  bool sign_data_hiding = true;
  bool deblocking = true; // !pps_deblocking_filter_disabled_flag
  int num_ref_idx_l0_default_active = 1;
  bool entropy_coding_sync = false; // entropy_coding_sync_enabled_flag (WPP)
};

// Fills the derived fields (coded size, conformance window, transform sizes,
// level) of params from the display size, CTU size and frame rate.
// Returns false for sizes or CTU sizes Main profile cannot carry.
bool derive_sequence_params(int display_width, int display_height, int ctb_size, int fps_n,
                            int fps_d, SequenceParams &params);

// Annex A, Table A.8: the lowest level whose picture size and luma sample
// rate limits hold (general_level_idc, e.g. 93 for level 3.1).
int derive_level_idc(int width, int height, int fps_n, int fps_d);

void write_vps(BitWriter &bw, const VideoParams &vps);
void write_sps(BitWriter &bw, const SequenceParams &sps);
void write_pps(BitWriter &bw, const PictureParams &pps);

// 7.3.6.1 slice_segment_header() of the first (and only) slice segment of a
// picture.
struct SliceHeader {
  NalUnitType nal_type = NalUnitType::IdrWRadl;
  SliceType slice_type = SliceType::I;
  int pic_order_cnt_lsb = 0;
  ShortTermRps rps;              // coded in the header (short_term_ref_pic_set_sps_flag 0)
  bool temporal_mvp = false;     // slice_temporal_mvp_enabled_flag
  int num_ref_idx_l0_active = 1; // P slices
  int collocated_ref_idx = 0;    // with temporal_mvp
  int max_num_merge_cand = 5;    // P slices: MaxNumMergeCand
  int slice_qp = 26;
  // With entropy_coding_sync: the byte size of each substream but the last
  // (entry_point_offset_minus1 + 1).
  std::vector<uint32_t> entry_point_offsets;
};

// Writes the header, ending with byte_alignment().
void write_slice_header(BitWriter &bw, const SequenceParams &sps, const PictureParams &pps,
                        const SliceHeader &sh);

// D.2.20 decoded picture hash SEI message in a complete sei_rbsp(), for a
// suffix SEI NAL unit: hash_type 0 (picture_md5 per plane) or hash_type 2
// (picture_checksum per plane).
void write_picture_hash_sei(BitWriter &bw, const uint8_t md5[3][16]);
void write_picture_checksum_sei(BitWriter &bw, const uint32_t checksum[3]);

} // namespace quad::hevc
