#include "encoder.h"

#include <algorithm>
#include <cmath>

#include "md5.h"
#include "syntax.h"

namespace quad::hevc {

DecisionParams search_params(int speed_preset, int qp, int ctb_log2) {
  DecisionParams p;
  p.qp = qp;
  // HM's intra lambda: 0.57 * 2^((QP - 12) / 3).
  p.lambda = 0.57 * std::pow(2.0, (qp - 12) / 3.0);
  p.sqrt_lambda = std::sqrt(p.lambda);
  p.rounding_offset_q10 = 341;
  p.max_cu_log2 = ctb_log2;
  const int preset = std::clamp(speed_preset, 0, 6);
  switch (preset) {
  case 0:
    p.coarse_mode_step = 8;
    p.luma_rd_candidates_large = 1;
    p.luma_rd_candidates_small = 1;
    p.add_mpm_candidates = false;
    p.chroma_rd_candidates = 1;
    p.try_nxn = false;
    p.max_tu_split_depth = 0;
    p.max_cu_log2 = std::min(ctb_log2, 4);
    p.split_rate_floor_bits = 128;
    break;
  case 1:
    p.coarse_mode_step = 8;
    p.luma_rd_candidates_large = 1;
    p.luma_rd_candidates_small = 2;
    p.add_mpm_candidates = false;
    p.chroma_rd_candidates = 1;
    p.try_nxn = false;
    p.max_tu_split_depth = 0;
    p.max_cu_log2 = std::min(ctb_log2, 5);
    p.split_rate_floor_bits = 64;
    break;
  case 2:
    p.luma_rd_candidates_large = 2;
    p.luma_rd_candidates_small = 2;
    p.chroma_rd_candidates = 1;
    p.try_nxn = true;
    p.max_tu_split_depth = 0;
    p.max_cu_log2 = std::min(ctb_log2, 5);
    p.split_rate_floor_bits = 32;
    break;
  case 3:
    p.luma_rd_candidates_large = 2;
    p.luma_rd_candidates_small = 3;
    p.chroma_rd_candidates = 2;
    p.try_nxn = true;
    p.max_tu_split_depth = 1;
    break;
  case 4:
    p.luma_rd_candidates_large = 3;
    p.luma_rd_candidates_small = 3;
    p.chroma_rd_candidates = 3;
    p.max_tu_split_depth = 1;
    p.skip_split_without_residual = false;
    break;
  default:
    p.coarse_mode_step = 1;
    p.luma_rd_candidates_large = 4;
    p.luma_rd_candidates_small = 4;
    p.chroma_rd_candidates = 5;
    p.max_tu_split_depth = preset == 5 ? 2 : 3;
    p.skip_split_without_residual = false;
    break;
  }
  return p;
}

bool Encoder::init(const EncoderConfig &config) {
  if (config.qp < 0 || config.qp > 51 || config.key_int_max < 0)
    return false;
  if (!derive_sequence_params(config.width, config.height, config.ctu_size, config.fps_n,
                              config.fps_d, sps_))
    return false;
  config_ = config;
  search_ = search_params(config.speed_preset, config.qp, sps_.ctb_log2);
  // The transform tree may split as deep below a CU as the search tries
  // (64x64 CUs spend one level on the inferred split to 32x32).
  sps_.max_transform_hierarchy_depth_intra =
      std::clamp(search_.max_tu_split_depth, 0, sps_.ctb_log2 - 2);
  sps_.max_transform_hierarchy_depth_inter = sps_.max_transform_hierarchy_depth_intra;
  // All-intra coding keeps no reference: the current picture is the only
  // one in the buffer.
  sps_.max_dec_pic_buffering = 1;
  vps_.level_idc = sps_.level_idc;
  vps_.fps_n = config.fps_n > 0 ? config.fps_n : 30;
  vps_.fps_d = config.fps_d > 0 ? config.fps_d : 1;
  vps_.max_dec_pic_buffering = sps_.max_dec_pic_buffering;
  pps_.init_qp = config.qp;
  pps_.deblocking = config.deblocking;
  pps_.sign_data_hiding = search_.sign_data_hiding;
  source_.allocate(sps_.width, sps_.height, 0);
  dpb_.configure(sps_.width, sps_.height, sps_.max_dec_pic_buffering);
  info_.resize(sps_.width, sps_.height);
  ctu_.configure(sps_, pps_, search_);
  picture_count_ = 0;
  pictures_since_idr_ = 0;
  if (config.bitrate > 0)
    rate_.configure(config.bitrate, config.fps_n, config.fps_d, config.vbv_buffer_ms, config.qp);
  return true;
}

void Encoder::set_qp(int qp) {
  config_.qp = std::clamp(qp, 0, 51);
  // Only lambda and the quantiser follow QP: the SPS stays valid.
  search_ = search_params(config_.speed_preset, config_.qp, sps_.ctb_log2);
  ctu_.configure(sps_, pps_, search_);
}

void Encoder::write_slice_data(BitWriter &bw, const SliceHeader &sh) {
  // 9.3.2.2: contexts initialised at the start of the slice.
  cabac_.contexts.init(cabac_init_type(sh.slice_type, false), sh.slice_qp);
  cabac_.start(&bw);
  const SyntaxContext sc{&sps_, &pps_, &info_, sh.slice_type};
  const int ctb = sps_.ctb_size();
  const int cols = sps_.ctb_cols();
  const int rows = sps_.ctb_rows();
  for (int ry = 0; ry < rows; ++ry) {
    for (int rx = 0; rx < cols; ++rx) {
      const int x = rx * ctb;
      const int y = ry * ctb;
      ctu_.encode_ctu(x, y, cabac_.contexts);
      write_coding_tree_unit(cabac_, sc, ctu_.coefficients(), x, y);
      // end_of_slice_segment_flag
      cabac_.encode_terminate(rx == cols - 1 && ry == rows - 1);
    }
  }
  // 7.3.2.11: the flush wrote rbsp_stop_one_bit; zero bits to alignment.
  bw.align_zero();
}

void Encoder::deblock() {
  // 8.7.2.3 / 8.7.2.4: in intra pictures every transform block edge on the
  // 8x8 grid has bS 2; the picture edges are not filtered.
  DeblockMap &map = deblock_map_;
  map.width4 = info_.width4();
  map.height4 = info_.height4();
  const size_t count = static_cast<size_t>(map.width4) * map.height4;
  map.bs_left.assign(count, 0);
  map.bs_top.assign(count, 0);
  map.qp_y.assign(count, 0);
  map.bypass.assign(count, 0);
  for (int by = 0; by < map.height4; ++by) {
    for (int bx = 0; bx < map.width4; ++bx) {
      const BlockInfo &b = info_.at(bx * 4, by * 4);
      const size_t i = static_cast<size_t>(by) * map.width4 + bx;
      const int tu_mask = (1 << b.tu_log2_size) - 1;
      const int x = bx * 4;
      const int y = by * 4;
      if (x > 0 && (x & 7) == 0 && (x & tu_mask) == 0)
        map.bs_left[i] = 2;
      if (y > 0 && (y & 7) == 0 && (y & tu_mask) == 0)
        map.bs_top[i] = 2;
      map.qp_y[i] = b.qp_y;
    }
  }
  DeblockParams params;
  deblock_picture(recon_->samples.planes, recon_->samples.stride, sps_.width, sps_.height, map,
                  params);
}

bool Encoder::drain(CodedPicture &) {
  return false;
}

bool Encoder::encode(const SourcePicture &in, CodedPicture &coded) {
  if (config_.bitrate > 0 && rate_.next_qp() != config_.qp)
    set_qp(rate_.next_qp());
  std::vector<uint8_t> &out = coded.access_unit;
  out.clear();
  const bool idr = in.force_idr || idr_requested_ ||
                   (config_.key_int_max == 0 ? picture_count_ == 0
                                             : pictures_since_idr_ % config_.key_int_max == 0);
  idr_requested_ = false;
  if (idr)
    pictures_since_idr_ = 0;
  const int poc = static_cast<int>(pictures_since_idr_);

  source_.import(in.planes, in.strides, sps_.display_width, sps_.display_height);

  SliceHeader sh;
  sh.nal_type = idr ? NalUnitType::IdrWRadl : NalUnitType::TrailR;
  sh.slice_type = SliceType::I;
  sh.pic_order_cnt_lsb = poc & ((1 << sps_.log2_max_poc_lsb) - 1);
  sh.slice_qp = config_.qp;
  // 8.3.2: the RPS (empty: intra pictures reference nothing) decides which
  // earlier pictures stay in the buffer.
  dpb_.apply_rps(idr, sh.rps, poc);
  recon_ = dpb_.acquire(poc);
  ctu_.begin_picture(&source_, &recon_->samples, &info_);

  if (idr) {
    rbsp_.clear();
    write_vps(rbsp_, vps_);
    append_nal_unit(out, NalUnitType::Vps, rbsp_.bytes());
    rbsp_.clear();
    write_sps(rbsp_, sps_);
    append_nal_unit(out, NalUnitType::Sps, rbsp_.bytes());
    rbsp_.clear();
    write_pps(rbsp_, pps_);
    append_nal_unit(out, NalUnitType::Pps, rbsp_.bytes());
  }

  rbsp_.clear();
  write_slice_header(rbsp_, sps_, pps_, sh);
  write_slice_data(rbsp_, sh);
  append_nal_unit(out, sh.nal_type, rbsp_.bytes());

  if (pps_.deblocking)
    deblock();
  recon_->motion.set_intra();
  // A picture later ones predict from gets its margin filled.
  if (recon_->is_reference)
    recon_->samples.extend_borders();

  // D.3.20: MD5 of each decoded sample array at the coded size.
  uint8_t md5[3][16];
  const PictureSamples &rec = recon_->samples;
  for (int c = 0; c < 3; ++c)
    md5_plane(rec.planes[c], rec.stride[c], rec.plane_width(c), rec.plane_height(c), md5[c]);
  rbsp_.clear();
  write_picture_hash_sei(rbsp_, md5);
  append_nal_unit(out, NalUnitType::SuffixSei, rbsp_.bytes());

  coded.pts = in.pts;
  coded.opaque = in.opaque;
  coded.type = idr ? PictureType::Idr : PictureType::I;
  coded.key_frame = idr;
  coded.qp = config_.qp;
  coded.poc = poc;
  ++picture_count_;
  ++pictures_since_idr_;
  if (config_.bitrate > 0)
    rate_.picture_coded(coded.bits(), config_.qp);
  return true;
}

} // namespace quad::hevc
