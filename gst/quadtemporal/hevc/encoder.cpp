#include "encoder.h"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "boundary_strength.h"
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
    // P pictures: 16x16 CUs only, merge or a short diamond search refined
    // to quarter samples, intra only where it predicts better.
    p.min_cu_log2_inter = 4;
    p.max_cu_log2_inter = 4;
    p.intra_in_inter = 1;
    p.max_num_merge_cand = 3;
    p.search_range = 16;
    p.search_iterations = 4;
    p.subpel_diamond = true;
    p.inter_rd = false;
    p.rect_partitions = false;
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
    p.max_cu_log2_inter = std::min(ctb_log2, 5);
    p.intra_in_inter = 1;
    p.max_num_merge_cand = 3;
    p.search_range = 16;
    p.search_iterations = 8;
    p.subpel_diamond = true;
    p.inter_rd = false;
    p.rect_partitions = false;
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
    p.max_cu_log2_inter = std::min(ctb_log2, 5);
    p.intra_in_inter = 1;
    p.max_num_merge_cand = 4;
    p.search_range = 32;
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
  // The current picture and the references of a low-delay P stream.
  if (config.low_delay_p && (config.ref_frames < 1 || config.ref_frames > 4))
    return false;
  sps_.max_dec_pic_buffering = config.low_delay_p ? config.ref_frames + 1 : 1;
  sps_.temporal_mvp = config.low_delay_p;
  vps_.level_idc = sps_.level_idc;
  vps_.fps_n = config.fps_n > 0 ? config.fps_n : 30;
  vps_.fps_d = config.fps_d > 0 ? config.fps_d : 1;
  vps_.max_dec_pic_buffering = sps_.max_dec_pic_buffering;
  pps_.init_qp = config.qp;
  pps_.deblocking = config.deblocking;
  pps_.sign_data_hiding = search_.sign_data_hiding;
  pps_.num_ref_idx_l0_default_active = config.low_delay_p ? config.ref_frames : 1;
  source_.allocate(sps_.width, sps_.height, 0);
  dpb_.configure(sps_.width, sps_.height, sps_.max_dec_pic_buffering);
  info_.resize(sps_.width, sps_.height);
  // Wavefront rows go to as many workers as there are threads (no more
  // than cores or rows); without it one worker codes the slice.
  pps_.entropy_coding_sync = config.wavefront;
  int workers = 1;
  if (config.wavefront) {
    const int cores = oneapi::tbb::info::default_concurrency();
    workers = config.threads > 0 ? std::min(config.threads, cores) : cores;
    workers = std::clamp(workers, 1, sps_.ctb_rows());
  }
  workers_.clear();
  for (int i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<CtuWorker>());
    workers_.back()->ctu.configure(sps_, pps_, search_);
  }
  arena_.reset(workers > 1 ? new oneapi::tbb::task_arena(workers) : nullptr);
  rows_.clear();
  for (int r = 0; config.wavefront && r < sps_.ctb_rows(); ++r)
    rows_.push_back(std::make_unique<RowState>());
  picture_count_ = 0;
  pictures_since_idr_ = 0;
  scene_cut_.reset();
  if (config.bitrate > 0)
    rate_.configure(config.bitrate, config.fps_n, config.fps_d, config.vbv_buffer_ms, config.qp);
  return true;
}

void Encoder::set_qp(int qp) {
  config_.qp = std::clamp(qp, 0, 51);
}

void Encoder::set_speed_preset(int preset) {
  config_.speed_preset = std::clamp(preset, 0, 6);
  search_.qp = -1; // the next use_qp() derives the decisions again
}

void Encoder::set_bitrate(int64_t bitrate, int vbv_buffer_ms) {
  if (bitrate > 0 && config_.bitrate > 0)
    rate_.set_rate(bitrate, config_.fps_n, config_.fps_d, vbv_buffer_ms);
  else if (bitrate > 0)
    rate_.configure(bitrate, config_.fps_n, config_.fps_d, vbv_buffer_ms, config_.qp);
  config_.bitrate = std::max<int64_t>(bitrate, 0);
  config_.vbv_buffer_ms = vbv_buffer_ms;
}

void Encoder::set_key_int_max(int key_int_max) {
  config_.key_int_max = std::max(key_int_max, 0);
  if (key_int_max > 0 && pictures_since_idr_ >= key_int_max)
    idr_requested_ = true;
}

void Encoder::use_qp(int qp) {
  if (search_.qp == qp)
    return;
  // Only lambda and the quantiser follow QP: the parameter sets stay valid.
  search_ = search_params(config_.speed_preset, qp, sps_.ctb_log2);
  for (auto &worker : workers_)
    worker->ctu.configure(sps_, pps_, search_);
}

void Encoder::prepare_inter_slice(SliceHeader &sh, int poc, int num_refs) {
  // Low-delay P: the num_refs previous pictures, closest first, all used
  // by the current one (8.3.2); RefPicList0 is their order (8.3.4).
  sh.slice_type = SliceType::P;
  sh.rps.num_negative = num_refs;
  inter_ = InterSliceContext{};
  inter_.sps = &sps_;
  inter_.info = &info_;
  inter_.poc = poc;
  inter_.num_ref_idx = num_refs;
  for (int i = 0; i < num_refs; ++i) {
    sh.rps.delta_poc_s0[i] = -(i + 1);
    sh.rps.used_by_curr_s0[i] = true;
    inter_.ref_poc[i] = poc - (i + 1);
  }
  sh.num_ref_idx_l0_active = num_refs;
  sh.temporal_mvp = sps_.temporal_mvp;
  sh.collocated_ref_idx = 0;
  sh.max_num_merge_cand = search_.max_num_merge_cand;
  inter_.max_num_merge_cand = sh.max_num_merge_cand;
}

void Encoder::store_motion_field(const SliceHeader &sh) {
  MotionField &field = recon_->motion;
  if (sh.slice_type == SliceType::I) {
    field.set_intra();
    return;
  }
  for (int i = 0; i < inter_.num_ref_idx; ++i)
    field.ref_poc[0][i] = inter_.ref_poc[i];
  // 8.5.3.2.8: the motion at the top-left of each 16x16 block is kept.
  for (int y = 0; y < sps_.height; y += 16)
    for (int x = 0; x < sps_.width; x += 16) {
      const BlockInfo &b = info_.at(x, y);
      field.at(x, y) = b.pred_mode == PredMode::Intra ? PredictionMotion{} : b.motion;
    }
}

void Encoder::write_slice_data(BitWriter &bw, const SliceHeader &sh) {
  CtuEncoder &ctu = workers_[0]->ctu;
  CabacWriter &cabac = workers_[0]->cabac;
  // 9.3.2.2: contexts initialised at the start of the slice.
  cabac.contexts.init(cabac_init_type(sh.slice_type, false), sh.slice_qp);
  cabac.start(&bw);
  const SyntaxContext sc = ctu.syntax_context();
  const int ctb = sps_.ctb_size();
  const int cols = sps_.ctb_cols();
  const int rows = sps_.ctb_rows();
  for (int ry = 0; ry < rows; ++ry) {
    for (int rx = 0; rx < cols; ++rx) {
      const int x = rx * ctb;
      const int y = ry * ctb;
      ctu.encode_ctu(x, y, cabac.contexts);
      write_coding_tree_unit(cabac, sc, ctu.coefficients(), x, y);
      // end_of_slice_segment_flag
      cabac.encode_terminate(rx == cols - 1 && ry == rows - 1);
    }
  }
  // 7.3.2.11: the flush wrote rbsp_stop_one_bit; zero bits to alignment.
  bw.align_zero();
}

void Encoder::code_row(CtuWorker &worker, int row, const SliceHeader &sh) {
  RowState &state = *rows_[row];
  const RowState *above = row > 0 ? rows_[row - 1].get() : nullptr;
  const int cols = sps_.ctb_cols();
  const int ctb = sps_.ctb_size();
  // A CTU is coded once the row above has coded the one above and to its
  // right: its neighbours (intra references, merge and AMVP candidates,
  // contexts) are then what a decoder sees, whatever the thread count.
  auto wait_above = [&](int count) {
    if (!above)
      return;
    for (int done = above->coded.load(std::memory_order_acquire); done < count;
         done = above->coded.load(std::memory_order_acquire))
      above->coded.wait(done, std::memory_order_acquire);
  };
  CabacWriter &cabac = worker.cabac;
  state.substream.clear();
  // 9.3.1: a row starts from the contexts stored after the second CTU of
  // the row above when that CTU exists (availableFlagT), else initialised.
  if (above && cols > 1) {
    wait_above(2);
    cabac.contexts = above->synced;
  } else {
    cabac.contexts.init(cabac_init_type(sh.slice_type, false), sh.slice_qp);
  }
  cabac.start(&state.substream);
  const SyntaxContext sc = worker.ctu.syntax_context();
  const bool last_row = row == sps_.ctb_rows() - 1;
  for (int rx = 0; rx < cols; ++rx) {
    wait_above(std::min(rx + 2, cols));
    worker.ctu.encode_ctu(rx * ctb, row * ctb, cabac.contexts);
    write_coding_tree_unit(cabac, sc, worker.ctu.coefficients(), rx * ctb, row * ctb);
    // 9.3.2.2: storage after the row's second CTU.
    if (rx == 1)
      state.synced = cabac.contexts;
    // end_of_slice_segment_flag; a row but the last ends its substream
    // with end_of_subset_one_bit (7.3.8.1).
    cabac.encode_terminate(last_row && rx == cols - 1);
    if (rx == cols - 1 && !last_row)
      cabac.encode_terminate(1);
    state.coded.store(rx + 1, std::memory_order_release);
    state.coded.notify_all();
  }
  // The flush wrote the stop bit (alignment_bit_equal_to_one of
  // byte_alignment(), or rbsp_stop_one_bit); zero bits to alignment.
  state.substream.align_zero();
}

void Encoder::finish_row(int row, const SliceHeader &sh) {
  const int ctb = sps_.ctb_size();
  const int y_begin = row * ctb;
  const int y_end = std::min(sps_.height, y_begin + ctb);
  PictureSamples &rec = recon_->samples;
  if (pps_.deblocking) {
    derive_boundary_strengths(info_, sh.slice_type == SliceType::I ? nullptr : inter_.ref_poc,
                              deblock_map_, y_begin, y_end);
    deblock_rows(rec.planes, rec.stride, sps_.width, sps_.height, deblock_map_, DeblockParams{},
                 y_begin, y_end);
  }
  // Deblocking this row still changed the three rows above it; what lies
  // above those is final: its margin and its part of the picture hash.
  const int final_end = row == sps_.ctb_rows() - 1 ? sps_.height : std::max(0, y_begin - 4);
  if (final_end <= final_rows_)
    return;
  if (config_.low_delay_p)
    rec.extend_borders(final_rows_, final_end);
  for (int c = 0; c < 3; ++c) {
    const int sh_c = c ? 1 : 0;
    for (int y = final_rows_ >> sh_c; y < final_end >> sh_c; ++y)
      md5_[c].update(rec.planes[c] + y * rec.stride[c], static_cast<size_t>(rec.plane_width(c)));
  }
  final_rows_ = final_end;
}

void Encoder::code_wavefront_rows(SliceHeader &sh) {
  const int rows = sps_.ctb_rows();
  for (auto &row : rows_)
    row->coded.store(0, std::memory_order_relaxed);
  finished_rows_.store(0, std::memory_order_relaxed);
  // Row r is deblocked once row r + 1 is coded (which predicts from its
  // samples before the filter), after row r - 1, by the worker that coded
  // row r + 1; the last row right after it is coded.
  auto finish_in_order = [&](int row) {
    for (int done = finished_rows_.load(std::memory_order_acquire); done < row;
         done = finished_rows_.load(std::memory_order_acquire))
      finished_rows_.wait(done, std::memory_order_acquire);
    finish_row(row, sh);
    finished_rows_.store(row + 1, std::memory_order_release);
    finished_rows_.notify_all();
  };
  // Rows are claimed in order, so the row a worker waits for is always being
  // coded or finished by another: no worker waits for one nobody holds.
  std::atomic<int> next_row{0};
  auto work = [&](CtuWorker &worker) {
    for (int row = next_row++; row < rows; row = next_row++) {
      code_row(worker, row, sh);
      if (row > 0)
        finish_in_order(row - 1);
      if (row == rows - 1)
        finish_in_order(row);
    }
  };
  if (!arena_) {
    work(*workers_[0]);
  } else {
    arena_->execute([&] {
      oneapi::tbb::parallel_for(0, static_cast<int>(workers_.size()),
                                [&](int w) { work(*workers_[w]); });
    });
  }
  // 7.4.7.1: entry points count the substreams' bytes as the NAL unit
  // carries them, emulation prevention included. Every substream and the
  // slice header end in a byte holding a one bit, so no run of zeros
  // crosses a boundary and each substream's count is its own.
  sh.entry_point_offsets.clear();
  for (int r = 0; r + 1 < rows; ++r)
    sh.entry_point_offsets.push_back(static_cast<uint32_t>(
        rows_[r]->substream.bytes().size() +
        emulation_prevention_bytes(rows_[r]->substream.bytes())));
}

void Encoder::motion_grid(std::vector<BlockMotion> &grid, int &cols, int &rows) const {
  cols = (sps_.display_width + 7) / 8;
  rows = (sps_.display_height + 7) / 8;
  grid.assign(static_cast<size_t>(cols) * rows, BlockMotion{});
  if (last_intra_)
    return;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const BlockInfo &b = info_.at(c * 8, r * 8);
      if (b.pred_mode == PredMode::Intra || b.motion.ref_idx[0] < 0)
        continue;
      BlockMotion &m = grid[static_cast<size_t>(r) * cols + c];
      m.mv = b.motion.mv[0];
      m.ref_distance = inter_.poc - inter_.ref_poc[b.motion.ref_idx[0]];
    }
}

bool Encoder::drain(CodedPicture &) {
  return false;
}

bool Encoder::encode(const SourcePicture &in, CodedPicture &coded) {
  std::vector<uint8_t> &out = coded.access_unit;
  out.clear();
  source_.import(in.planes, in.strides, sps_.display_width, sps_.display_height);
  bool scene_cut = false;
  if (config_.low_delay_p && in.scene_cut != 0)
    scene_cut = in.scene_cut > 0;
  else if (config_.low_delay_p && config_.scene_cut_detection)
    scene_cut = scene_cut_.next(source_);
  const bool periodic = config_.key_int_max == 0 ? picture_count_ == 0
                                                 : pictures_since_idr_ % config_.key_int_max == 0;
  const bool idr = in.force_idr || idr_requested_ || periodic || scene_cut;
  if (scene_cut && !(in.force_idr || idr_requested_ || periodic))
    ++scene_cuts_;
  idr_requested_ = false;
  if (idr)
    pictures_since_idr_ = 0;
  const int poc = static_cast<int>(pictures_since_idr_);
  const bool intra = idr || !config_.low_delay_p;
  int qp = config_.qp;
  if (config_.bitrate > 0)
    qp = rate_.next_qp(intra);
  else if (config_.low_delay_p && intra)
    qp = std::max(0, qp - kIntraQpOffset);
  use_qp(qp);

  SliceHeader sh;
  sh.nal_type = idr ? NalUnitType::IdrWRadl : NalUnitType::TrailR;
  sh.slice_type = SliceType::I;
  sh.pic_order_cnt_lsb = poc & ((1 << sps_.log2_max_poc_lsb) - 1);
  sh.slice_qp = qp;
  if (!intra)
    prepare_inter_slice(sh, poc, std::min<int>(config_.ref_frames, poc));
  // 8.3.2: the RPS decides which earlier pictures stay in the buffer.
  dpb_.apply_rps(idr, sh.rps, poc);
  for (int i = 0; i < sh.rps.num_negative && !intra; ++i)
    inter_.ref[i] = dpb_.find_reference(inter_.ref_poc[i]);
  if (!intra)
    inter_.collocated = inter_.ref[sh.collocated_ref_idx];
  recon_ = dpb_.acquire(poc);
  for (auto &worker : workers_)
    worker->ctu.begin_picture(&source_, &recon_->samples, &info_, intra ? nullptr : &inter_,
                              &in.motion_hints);

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
  final_rows_ = 0;
  if (pps_.entropy_coding_sync) {
    code_wavefront_rows(sh);
    write_slice_header(rbsp_, sps_, pps_, sh);
    for (const auto &row : rows_)
      rbsp_.bytes().insert(rbsp_.bytes().end(), row->substream.bytes().begin(),
                           row->substream.bytes().end());
  } else {
    write_slice_header(rbsp_, sps_, pps_, sh);
    write_slice_data(rbsp_, sh);
    for (int row = 0; row < sps_.ctb_rows(); ++row)
      finish_row(row, sh);
  }
  append_nal_unit(out, sh.nal_type, rbsp_.bytes());

  // D.3.20: MD5 of each decoded sample array at the coded size, fed row by
  // row as finish_row() made the rows final.
  uint8_t md5[3][16];
  for (int c = 0; c < 3; ++c)
    md5_[c].finish(md5[c]);
  recon_->is_reference = config_.low_delay_p;
  store_motion_field(sh);
  last_intra_ = intra;
  rbsp_.clear();
  write_picture_hash_sei(rbsp_, md5);
  append_nal_unit(out, NalUnitType::SuffixSei, rbsp_.bytes());
  if (config_.bitrate > 0) {
    // 7.3.2.8 filler_data_rbsp(): 0xFF bytes, then the trailing bits.
    const int64_t filler = rate_.filler_bits(static_cast<int64_t>(out.size()) * 8);
    if (filler > 0) {
      rbsp_.clear();
      rbsp_.bytes().assign(static_cast<size_t>((filler + 7) / 8), 0xff);
      rbsp_.put_trailing_bits();
      append_nal_unit(out, NalUnitType::FillerData, rbsp_.bytes());
    }
  }

  coded.pts = in.pts;
  coded.opaque = in.opaque;
  coded.type = idr ? PictureType::Idr : intra ? PictureType::I : PictureType::P;
  coded.key_frame = idr;
  coded.qp = qp;
  coded.poc = poc;
  ++picture_count_;
  ++pictures_since_idr_;
  if (config_.bitrate > 0)
    rate_.picture_coded(coded.bits(), qp, intra);
  return true;
}

} // namespace quad::hevc
