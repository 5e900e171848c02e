#include "parameter_sets.h"

#include <algorithm>
#include <cmath>

namespace quad::hevc {
namespace {

// 7.3.3 profile_tier_level(1, 0) for Main profile, Main tier.
void write_profile_tier_level(BitWriter &bw, int level_idc) {
  bw.put_bits(0, 2);  // general_profile_space
  bw.put_flag(false); // general_tier_flag: Main tier
  bw.put_bits(1, 5);  // general_profile_idc: Main
  // general_profile_compatibility_flag[j]: Main (1) streams also conform to
  // Main 10 (2).
  bw.put_bits((1u << 30) | (1u << 29), 32);
  bw.put_flag(true);  // general_progressive_source_flag
  bw.put_flag(false); // general_interlaced_source_flag
  bw.put_flag(false); // general_non_packed_constraint_flag
  bw.put_flag(true);  // general_frame_only_constraint_flag
  bw.put_bits(0, 32); // general_reserved_zero_43bits
  bw.put_bits(0, 11);
  bw.put_flag(false); // general_inbld_flag / reserved
  bw.put_bits(static_cast<uint32_t>(level_idc), 8);
}

} // namespace

int derive_level_idc(int width, int height, int fps_n, int fps_d) {
  struct Level {
    int idc;
    int64_t max_luma_ps;
    int64_t max_luma_sr;
  };
  // Table A.8: MaxLumaPs and MaxLumaSr per level.
  static constexpr Level kLevels[] = {
      {30, 36864, 552960},         {60, 122880, 3686400},       {63, 245760, 7372800},
      {90, 552960, 16588800},      {93, 983040, 33177600},      {120, 2228224, 66846720},
      {123, 2228224, 133693440},   {150, 8912896, 267386880},   {153, 8912896, 534773760},
      {156, 8912896, 1069547520},  {180, 35651584, 1069547520}, {183, 35651584, 2139095040},
      {186, 35651584, 4278190080},
  };
  const int64_t ps = static_cast<int64_t>(width) * height;
  const double rate = fps_d > 0 ? static_cast<double>(fps_n) / fps_d : 0.0;
  const double sr = static_cast<double>(ps) * rate;
  for (const Level &l : kLevels) {
    // A.4.1: width and height each at most Sqrt(MaxLumaPs * 8).
    const double max_dim = std::sqrt(static_cast<double>(l.max_luma_ps) * 8);
    if (ps <= l.max_luma_ps && width <= max_dim && height <= max_dim &&
        sr <= static_cast<double>(l.max_luma_sr))
      return l.idc;
  }
  return 255; // level 8.5: no limits
}

bool derive_sequence_params(int display_width, int display_height, int ctb_size, int fps_n,
                            int fps_d, SequenceParams &p) {
  if (display_width < 16 || display_height < 16 || display_width > 8192 || display_height > 8192 ||
      (display_width & 1) || (display_height & 1))
    return false;
  int ctb_log2 = 0;
  if (ctb_size == 16)
    ctb_log2 = 4;
  else if (ctb_size == 32)
    ctb_log2 = 5;
  else if (ctb_size == 64)
    ctb_log2 = 6;
  else
    return false;
  p.display_width = display_width;
  p.display_height = display_height;
  // 7.4.3.2.1: the coded size is a multiple of MinCbSizeY; the conformance
  // window crops the rest.
  p.width = (display_width + 7) & ~7;
  p.height = (display_height + 7) & ~7;
  p.ctb_log2 = ctb_log2;
  p.min_cb_log2 = 3;
  p.max_tb_log2 = std::min(ctb_log2, 5);
  p.min_tb_log2 = 2;
  p.level_idc = derive_level_idc(p.width, p.height, fps_n > 0 ? fps_n : 30, fps_d > 0 ? fps_d : 1);
  return true;
}

void write_vps(BitWriter &bw, const VideoParams &vps) {
  bw.put_bits(0, 4);       // vps_video_parameter_set_id
  bw.put_flag(true);       // vps_base_layer_internal_flag
  bw.put_flag(true);       // vps_base_layer_available_flag
  bw.put_bits(0, 6);       // vps_max_layers_minus1
  bw.put_bits(0, 3);       // vps_max_sub_layers_minus1
  bw.put_flag(true);       // vps_temporal_id_nesting_flag
  bw.put_bits(0xffff, 16); // vps_reserved_0xffff_16bits
  write_profile_tier_level(bw, vps.level_idc);
  bw.put_flag(true);                                 // vps_sub_layer_ordering_info_present_flag
  bw.put_ue(vps.max_dec_pic_buffering - 1);          // vps_max_dec_pic_buffering_minus1
  bw.put_ue(0);                                      // vps_max_num_reorder_pics
  bw.put_ue(0);                                      // vps_max_latency_increase_plus1
  bw.put_bits(0, 6);                                 // vps_max_layer_id
  bw.put_ue(0);                                      // vps_num_layer_sets_minus1
  bw.put_flag(true);                                 // vps_timing_info_present_flag
  bw.put_bits(static_cast<uint32_t>(vps.fps_d), 32); // vps_num_units_in_tick
  bw.put_bits(static_cast<uint32_t>(vps.fps_n), 32); // vps_time_scale
  bw.put_flag(false);                                // vps_poc_proportional_to_timing_flag
  bw.put_ue(0);                                      // vps_num_hrd_parameters
  bw.put_flag(false);                                // vps_extension_flag
  bw.put_trailing_bits();
}

void write_sps(BitWriter &bw, const SequenceParams &sps) {
  bw.put_bits(0, 4); // sps_video_parameter_set_id
  bw.put_bits(0, 3); // sps_max_sub_layers_minus1
  bw.put_flag(true); // sps_temporal_id_nesting_flag
  write_profile_tier_level(bw, sps.level_idc);
  bw.put_ue(0); // sps_seq_parameter_set_id
  bw.put_ue(1); // chroma_format_idc: 4:2:0
  bw.put_ue(static_cast<uint32_t>(sps.width));
  bw.put_ue(static_cast<uint32_t>(sps.height));
  const int crop_right = sps.width - sps.display_width;
  const int crop_bottom = sps.height - sps.display_height;
  const bool window = crop_right > 0 || crop_bottom > 0;
  bw.put_flag(window); // conformance_window_flag
  if (window) {
    // Offsets are in chroma samples (SubWidthC = SubHeightC = 2).
    bw.put_ue(0);
    bw.put_ue(static_cast<uint32_t>(crop_right / 2));
    bw.put_ue(0);
    bw.put_ue(static_cast<uint32_t>(crop_bottom / 2));
  }
  bw.put_ue(0); // bit_depth_luma_minus8
  bw.put_ue(0); // bit_depth_chroma_minus8
  bw.put_ue(static_cast<uint32_t>(sps.log2_max_poc_lsb - 4));
  bw.put_flag(true); // sps_sub_layer_ordering_info_present_flag
  bw.put_ue(static_cast<uint32_t>(sps.max_dec_pic_buffering - 1));
  bw.put_ue(0); // sps_max_num_reorder_pics
  bw.put_ue(0); // sps_max_latency_increase_plus1
  bw.put_ue(static_cast<uint32_t>(sps.min_cb_log2 - 3));
  bw.put_ue(static_cast<uint32_t>(sps.ctb_log2 - sps.min_cb_log2));
  bw.put_ue(static_cast<uint32_t>(sps.min_tb_log2 - 2));
  bw.put_ue(static_cast<uint32_t>(sps.max_tb_log2 - sps.min_tb_log2));
  bw.put_ue(static_cast<uint32_t>(sps.max_transform_hierarchy_depth_inter));
  bw.put_ue(static_cast<uint32_t>(sps.max_transform_hierarchy_depth_intra));
  bw.put_flag(false);            // scaling_list_enabled_flag
  bw.put_flag(false);            // amp_enabled_flag
  bw.put_flag(false);            // sample_adaptive_offset_enabled_flag
  bw.put_flag(false);            // pcm_enabled_flag
  bw.put_ue(0);                  // num_short_term_ref_pic_sets
  bw.put_flag(false);            // long_term_ref_pics_present_flag
  bw.put_flag(sps.temporal_mvp); // sps_temporal_mvp_enabled_flag
  bw.put_flag(sps.strong_intra_smoothing);
  bw.put_flag(false); // vui_parameters_present_flag
  bw.put_flag(false); // sps_extension_present_flag
  bw.put_trailing_bits();
}

void write_pps(BitWriter &bw, const PictureParams &pps) {
  bw.put_ue(0);                      // pps_pic_parameter_set_id
  bw.put_ue(0);                      // pps_seq_parameter_set_id
  bw.put_flag(false);                // dependent_slice_segments_enabled_flag
  bw.put_flag(false);                // output_flag_present_flag
  bw.put_bits(0, 3);                 // num_extra_slice_header_bits
  bw.put_flag(pps.sign_data_hiding); // sign_data_hiding_enabled_flag
  bw.put_flag(false);                // cabac_init_present_flag
  bw.put_ue(static_cast<uint32_t>(pps.num_ref_idx_l0_default_active - 1));
  bw.put_ue(0);                // num_ref_idx_l1_default_active_minus1
  bw.put_se(pps.init_qp - 26); // init_qp_minus26
  bw.put_flag(false);          // constrained_intra_pred_flag
  bw.put_flag(false);          // transform_skip_enabled_flag
  bw.put_flag(false);          // cu_qp_delta_enabled_flag
  bw.put_se(0);                // pps_cb_qp_offset
  bw.put_se(0);                // pps_cr_qp_offset
  bw.put_flag(false);          // pps_slice_chroma_qp_offsets_present_flag
  bw.put_flag(false);          // weighted_pred_flag
  bw.put_flag(false);          // weighted_bipred_flag
  bw.put_flag(false);          // transquant_bypass_enabled_flag
  bw.put_flag(false);          // tiles_enabled_flag
  bw.put_flag(pps.entropy_coding_sync);
  bw.put_flag(false);           // pps_loop_filter_across_slices_enabled_flag
  bw.put_flag(true);            // deblocking_filter_control_present_flag
  bw.put_flag(false);           // deblocking_filter_override_enabled_flag
  bw.put_flag(!pps.deblocking); // pps_deblocking_filter_disabled_flag
  if (pps.deblocking) {
    bw.put_se(0); // pps_beta_offset_div2
    bw.put_se(0); // pps_tc_offset_div2
  }
  bw.put_flag(false); // pps_scaling_list_data_present_flag
  bw.put_flag(false); // lists_modification_present_flag
  bw.put_ue(0);       // log2_parallel_merge_level_minus2
  bw.put_flag(false); // slice_segment_header_extension_present_flag
  bw.put_flag(false); // pps_extension_present_flag
  bw.put_trailing_bits();
}

namespace {

// 7.3.7 st_ref_pic_set(stRpsIdx) with stRpsIdx = num_short_term_ref_pic_sets
// (0): no inter_ref_pic_set_prediction_flag.
void write_short_term_rps(BitWriter &bw, const ShortTermRps &rps) {
  bw.put_ue(static_cast<uint32_t>(rps.num_negative));
  bw.put_ue(static_cast<uint32_t>(rps.num_positive));
  int prev = 0;
  for (int i = 0; i < rps.num_negative; ++i) {
    bw.put_ue(static_cast<uint32_t>(prev - rps.delta_poc_s0[i] - 1)); // delta_poc_s0_minus1
    bw.put_flag(rps.used_by_curr_s0[i]);
    prev = rps.delta_poc_s0[i];
  }
  prev = 0;
  for (int i = 0; i < rps.num_positive; ++i) {
    bw.put_ue(static_cast<uint32_t>(rps.delta_poc_s1[i] - prev - 1)); // delta_poc_s1_minus1
    bw.put_flag(rps.used_by_curr_s1[i]);
    prev = rps.delta_poc_s1[i];
  }
}

} // namespace

void write_slice_header(BitWriter &bw, const SequenceParams &sps, const PictureParams &pps,
                        const SliceHeader &sh) {
  const int nal = static_cast<int>(sh.nal_type);
  const bool idr = sh.nal_type == NalUnitType::IdrWRadl || sh.nal_type == NalUnitType::IdrNLp;
  bw.put_flag(true); // first_slice_segment_in_pic_flag
  if (nal >= 16 && nal <= 23)
    bw.put_flag(false); // no_output_of_prior_pics_flag
  bw.put_ue(0);         // slice_pic_parameter_set_id
  bw.put_ue(static_cast<uint32_t>(sh.slice_type));
  if (!idr) {
    bw.put_bits(static_cast<uint32_t>(sh.pic_order_cnt_lsb), sps.log2_max_poc_lsb);
    bw.put_flag(false); // short_term_ref_pic_set_sps_flag
    write_short_term_rps(bw, sh.rps);
    if (sps.temporal_mvp)
      bw.put_flag(sh.temporal_mvp); // slice_temporal_mvp_enabled_flag
  }
  if (sh.slice_type == SliceType::P) {
    const bool override = sh.num_ref_idx_l0_active != pps.num_ref_idx_l0_default_active;
    bw.put_flag(override); // num_ref_idx_active_override_flag
    if (override)
      bw.put_ue(static_cast<uint32_t>(sh.num_ref_idx_l0_active - 1));
    if (sh.temporal_mvp && sh.num_ref_idx_l0_active > 1)
      bw.put_ue(static_cast<uint32_t>(sh.collocated_ref_idx));
    bw.put_ue(static_cast<uint32_t>(5 - sh.max_num_merge_cand)); // five_minus_max_num_merge_cand
  }
  bw.put_se(sh.slice_qp - pps.init_qp); // slice_qp_delta
  if (pps.entropy_coding_sync) {
    bw.put_ue(static_cast<uint32_t>(sh.entry_point_offsets.size())); // num_entry_point_offsets
    if (!sh.entry_point_offsets.empty()) {
      uint32_t largest = 1;
      for (const uint32_t offset : sh.entry_point_offsets)
        largest = std::max(largest, offset);
      int bits = 1;
      while (bits < 32 && ((largest - 1) >> bits) != 0)
        ++bits;
      bw.put_ue(static_cast<uint32_t>(bits - 1)); // offset_len_minus1
      for (const uint32_t offset : sh.entry_point_offsets)
        bw.put_bits(offset - 1, bits); // entry_point_offset_minus1
    }
  }
  bw.put_byte_alignment();
}

void write_picture_hash_sei(BitWriter &bw, const uint8_t md5[3][16]) {
  bw.put_byte(132);        // payloadType: decoded_picture_hash
  bw.put_byte(1 + 3 * 16); // payloadSize
  bw.put_byte(0);          // hash_type: MD5
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 16; ++i)
      bw.put_byte(md5[c][i]);
  bw.put_trailing_bits();
}

void write_picture_checksum_sei(BitWriter &bw, const uint32_t checksum[3]) {
  bw.put_byte(132);       // payloadType: decoded_picture_hash
  bw.put_byte(1 + 3 * 4); // payloadSize
  bw.put_byte(2);         // hash_type: checksum
  for (int c = 0; c < 3; ++c)
    bw.put_bits(checksum[c], 32);
  bw.put_trailing_bits();
}

} // namespace quad::hevc
