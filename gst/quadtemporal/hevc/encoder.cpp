#include "encoder.h"

#include <oneapi/tbb/info.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "boundary_strength.h"
#include "md5.h"
#include "picture_checksum.h"
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

int default_ctu_size(int speed_preset) {
  // What the preset searches in CTUs of 64.
  const DecisionParams p = search_params(speed_preset, 32, 6);
  return std::max(p.max_cu_log2, p.max_cu_log2_inter) <= 5 ? 64 : 32;
}

namespace {

// Frame threads: how far below its own CTU row a row's motion may read a
// reference (the default search reaches 64 samples); the reference rows
// down there are finished before the row starts.
constexpr int kFrameThreadReach = 64;

} // namespace

Encoder::~Encoder() {
  stop_workers();
}

bool Encoder::init(const EncoderConfig &config) {
  stop_workers();
  if (config.qp < 0 || config.qp > 51 || config.key_int_max < 0 || config.frame_threads < 1 ||
      config.frame_threads > 16)
    return false;
  const int ctu_size = config.ctu_size ? config.ctu_size : default_ctu_size(config.speed_preset);
  if (!derive_sequence_params(config.width, config.height, ctu_size, config.fps_n, config.fps_d,
                              sps_))
    return false;
  config_ = config;
  config_.ctu_size = ctu_size;
  const DecisionParams search = search_params(config.speed_preset, config.qp, sps_.ctb_log2);
  // The transform tree may split as deep below a CU as the search tries
  // (64x64 CUs spend one level on the inferred split to 32x32).
  sps_.max_transform_hierarchy_depth_intra =
      std::clamp(search.max_tu_split_depth, 0, sps_.ctb_log2 - 2);
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
  pps_.sign_data_hiding = search.sign_data_hiding;
  pps_.num_ref_idx_l0_default_active = config.low_delay_p ? config.ref_frames : 1;
  pps_.entropy_coding_sync = config.wavefront;
  // Pictures being coded hold their buffers beyond the RPS.
  dpb_.configure(sps_.width, sps_.height, sps_.max_dec_pic_buffering + config.frame_threads - 1);
  pictures_.clear();
  for (int i = 0; i < config.frame_threads; ++i) {
    auto pic = std::make_unique<PictureInFlight>();
    // A source read in place needs no samples of its own.
    if (reads_source_in_place()) {
      pic->source.width = sps_.width;
      pic->source.height = sps_.height;
    } else {
      pic->source.allocate(sps_.width, sps_.height, 0);
    }
    pic->info.resize(sps_.width, sps_.height);
    for (int c = 0; c < 3; ++c)
      pic->row_bottoms[c].resize(static_cast<size_t>(sps_.ctb_rows()) *
                                 static_cast<size_t>(pic->source.plane_width(c)));
    for (int r = 0; config.wavefront && r < sps_.ctb_rows(); ++r)
      pic->rows.push_back(std::make_unique<RowState>());
    pic->row_stage.resize(pic->rows.size());
    pic->band_checksums.resize(static_cast<size_t>(sps_.ctb_rows()));
    // Before rows derive their bS on several threads.
    size_deblock_map(pic->info, pic->deblock_map);
    pictures_.push_back(std::move(pic));
  }
  // As many workers as threads (no more than cores, or jobs that can run
  // at once): a CTU row each with wavefront, a picture each without. Each
  // row runs two CTUs behind the row above, so a picture keeps no more
  // than one row per two CTU columns busy.
  jobs_per_picture_ = config.wavefront ? sps_.ctb_rows() : 1;
  const int rows_at_once =
      config.wavefront ? std::min(jobs_per_picture_, std::max(1, sps_.ctb_cols() / 2)) : 1;
  const int cores = oneapi::tbb::info::default_concurrency();
  int workers = config.threads > 0 ? std::min(config.threads, cores) : cores;
  workers = std::clamp(workers, 1, rows_at_once * config.frame_threads);
  workers_.clear();
  for (int i = 0; i < workers; ++i)
    workers_.push_back(std::make_unique<CtuWorker>());
  arena_.reset(workers > 1 ? new oneapi::tbb::task_arena(workers) : nullptr);
  helper_busy_ = std::vector<std::atomic<bool>>(workers_.size());
  jobs_taken_.store(0);
  next_job_.store(0);
  resumable_.clear();
  resumable_count_.store(0);
  pictures_taken_ = 0;
  pictures_returned_ = 0;
  returned_ = nullptr;
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

void Encoder::prepare_inter_slice(PictureInFlight &pic, int num_refs) {
  // Low-delay P: the num_refs previous pictures, closest first, all used
  // by the current one (8.3.2); RefPicList0 is their order (8.3.4).
  SliceHeader &sh = pic.sh;
  InterSliceContext &inter = pic.inter;
  sh.slice_type = SliceType::P;
  sh.rps.num_negative = num_refs;
  inter = InterSliceContext{};
  inter.sps = &sps_;
  inter.info = &pic.info;
  inter.poc = pic.poc;
  inter.num_ref_idx = num_refs;
  for (int i = 0; i < num_refs; ++i) {
    sh.rps.delta_poc_s0[i] = -(i + 1);
    sh.rps.used_by_curr_s0[i] = true;
    inter.ref_poc[i] = pic.poc - (i + 1);
  }
  sh.num_ref_idx_l0_active = num_refs;
  sh.temporal_mvp = sps_.temporal_mvp;
  sh.collocated_ref_idx = 0;
  sh.max_num_merge_cand = pic.search.max_num_merge_cand;
  inter.max_num_merge_cand = sh.max_num_merge_cand;
  inter.reference_reach = pictures_.size() > 1 ? kFrameThreadReach : 0;
}

void Encoder::store_motion_rows(PictureInFlight &pic, int y_begin, int y_end) {
  MotionField &field = pic.recon->motion;
  // 8.5.3.2.8: the motion at the top-left of each 16x16 block is kept.
  for (int y = y_begin; y < y_end; y += 16)
    for (int x = 0; x < sps_.width; x += 16) {
      const BlockInfo &b = pic.info.at(x, y);
      field.at(x, y) =
          pic.intra || b.pred_mode == PredMode::Intra ? PredictionMotion{} : b.motion;
    }
}

void Encoder::take_picture(const SourcePicture &in) {
  PictureInFlight &pic = in_flight(pictures_taken_);
  pic.number = pictures_taken_;
  pic.pts = in.pts;
  pic.opaque = in.opaque;
  if (reads_source_in_place())
    pic.source.borrow(in.planes, in.strides);
  else
    pic.source.import(in.planes, in.strides, sps_.display_width, sps_.display_height);
  pic.hints = in.motion_hints;
  if (in.motion_hints.blocks) {
    pic.hint_blocks.assign(in.motion_hints.blocks,
                           in.motion_hints.blocks +
                               static_cast<size_t>(in.motion_hints.cols) * in.motion_hints.rows);
    pic.hints.blocks = pic.hint_blocks.data();
  }

  bool scene_cut = false;
  if (config_.low_delay_p && in.scene_cut != 0)
    scene_cut = in.scene_cut > 0;
  else if (config_.low_delay_p && config_.scene_cut_detection)
    scene_cut = scene_cut_.next(pic.source);
  const bool periodic = config_.key_int_max == 0 ? pictures_taken_ == 0
                                                 : pictures_since_idr_ % config_.key_int_max == 0;
  pic.idr = in.force_idr || idr_requested_ || periodic || scene_cut;
  if (scene_cut && !(in.force_idr || idr_requested_ || periodic))
    ++scene_cuts_;
  idr_requested_ = false;
  if (pic.idr)
    pictures_since_idr_ = 0;
  pic.poc = static_cast<int>(pictures_since_idr_);
  pic.intra = pic.idr || !config_.low_delay_p;
  // With frame threads the rate controller has seen the pictures returned
  // so far: frame_threads - 1 fewer than without, whatever the timing.
  pic.qp = config_.qp;
  if (config_.bitrate > 0)
    pic.qp = rate_.next_qp(pic.intra);
  else if (config_.low_delay_p && pic.intra)
    pic.qp = std::max(0, pic.qp - kIntraQpOffset);
  // Only lambda and the quantiser follow QP: the parameter sets stay valid.
  pic.search = search_params(config_.speed_preset, pic.qp, sps_.ctb_log2);

  SliceHeader &sh = pic.sh;
  sh = SliceHeader{};
  sh.nal_type = pic.idr ? NalUnitType::IdrWRadl : NalUnitType::TrailR;
  sh.slice_type = SliceType::I;
  sh.pic_order_cnt_lsb = pic.poc & ((1 << sps_.log2_max_poc_lsb) - 1);
  sh.slice_qp = pic.qp;
  if (!pic.intra)
    prepare_inter_slice(pic, std::min<int>(config_.ref_frames, pic.poc));
  // 8.3.2: the RPS decides which earlier pictures stay in the buffer.
  dpb_.apply_rps(pic.idr, sh.rps, pic.poc);
  pic.held.clear();
  for (int i = 0; i < sh.rps.num_negative && !pic.intra; ++i) {
    DecodedPicture *ref = dpb_.find_reference(pic.inter.ref_poc[i]);
    pic.inter.ref[i] = ref;
    pic.held.push_back(ref);
  }
  if (!pic.intra)
    pic.inter.collocated = pic.inter.ref[sh.collocated_ref_idx];
  pic.recon = dpb_.acquire(pic.poc, config_.low_delay_p);
  pic.held.push_back(pic.recon);
  for (DecodedPicture *used : pic.held)
    ++used->users;
  if (!pic.intra) {
    MotionField &field = pic.recon->motion;
    for (int i = 0; i < pic.inter.num_ref_idx; ++i)
      field.ref_poc[0][i] = pic.inter.ref_poc[i];
  }
  pic.final_rows = 0;
  std::fill(pic.row_stage.begin(), pic.row_stage.end(), FinishStage::Coding);
  pic.next_final_row = 0;
  pic.making_final = false;
  for (auto &row : pic.rows) {
    row->coded.store(0, std::memory_order_relaxed);
    row->parked.store(false, std::memory_order_relaxed);
  }
  ++pictures_taken_;
  ++pictures_since_idr_;
  // Published: a claimed job sees everything above.
  jobs_taken_.fetch_add(jobs_per_picture_);
  wake_helpers();
}

bool Encoder::can_start(int64_t job) {
  if (!pps_.entropy_coding_sync)
    return true;
  const int row = static_cast<int>(job % jobs_per_picture_);
  if (row == 0)
    return true;
  const PictureInFlight &pic = in_flight(job / jobs_per_picture_);
  return pic.rows[static_cast<size_t>(row) - 1]->coded.load() >= row_start_ctus();
}

bool Encoder::claim_job(int64_t &job) {
  int64_t next = next_job_.load();
  do {
    if (next >= jobs_taken_.load() || !can_start(next))
      return false;
  } while (!next_job_.compare_exchange_weak(next, next + 1));
  job = next;
  return true;
}

bool Encoder::pop_resumable(int64_t &job) {
  if (resumable_count_.load() == 0)
    return false;
  std::lock_guard<std::mutex> lock(resumable_mutex_);
  if (resumable_.empty())
    return false;
  job = resumable_.front();
  resumable_.pop_front();
  resumable_count_.fetch_sub(1);
  return true;
}

bool Encoder::take_work(int64_t &job) {
  return pop_resumable(job) || claim_job(job);
}

bool Encoder::work_available() {
  const int64_t next = next_job_.load();
  return resumable_count_.load() > 0 || (next < jobs_taken_.load() && can_start(next));
}

void Encoder::post_work() {
  wake_helpers();
  work_posted_.fetch_add(1);
  work_posted_.notify_all();
}

void Encoder::wait_helping(CtuWorker &worker, const std::atomic<int> &counter, int value) {
  for (;;) {
    const int posted = work_posted_.load();
    if (counter.load(std::memory_order_acquire) >= value)
      return;
    int64_t job;
    if (pop_resumable(job))
      run_job(worker, job);
    else
      work_posted_.wait(posted);
  }
}

void Encoder::prepare_worker(CtuWorker &worker, PictureInFlight &pic) {
  if (worker.picture == pic.number)
    return;
  worker.ctu.configure(sps_, pps_, pic.search);
  worker.ctu.begin_picture(&pic.source, &pic.recon->samples, &pic.info,
                           pic.intra ? nullptr : &pic.inter, &pic.hints);
  worker.picture = pic.number;
}

void Encoder::run_job(CtuWorker &worker, int64_t job) {
  PictureInFlight &pic = in_flight(job / jobs_per_picture_);
  if (!pps_.entropy_coding_sync) {
    prepare_worker(worker, pic);
    code_slice(worker, pic);
    return;
  }
  const int row = static_cast<int>(job % jobs_per_picture_);
  if (code_row(worker, pic, row))
    finish_wavefront_row(pic, row);
}

void Encoder::help(int index) {
  CtuWorker &worker = *workers_[static_cast<size_t>(index)];
  for (;;) {
    int64_t job;
    while (take_work(job))
      run_job(worker, job);
    // Either this helper sees the work added after its last take, or the
    // thread adding it sees it idle and starts it again.
    helper_busy_[index].store(false);
    if (!work_available())
      break;
    bool idle = false;
    if (!helper_busy_[index].compare_exchange_strong(idle, true))
      break;
  }
  std::lock_guard<std::mutex> lock(helpers_mutex_);
  if (--helpers_running_ == 0)
    helpers_gone_.notify_all();
}

void Encoder::wake_helpers() {
  for (size_t i = 1; i < workers_.size(); ++i) {
    bool idle = false;
    if (!helper_busy_[i].compare_exchange_strong(idle, true))
      continue;
    {
      std::lock_guard<std::mutex> lock(helpers_mutex_);
      ++helpers_running_;
    }
    const int index = static_cast<int>(i);
    arena_->enqueue([this, index] { help(index); });
  }
}

void Encoder::stop_workers() {
  // What this thread cannot take yet, the helpers still running finish.
  int64_t job;
  while (!workers_.empty() && take_work(job))
    run_job(*workers_[0], job);
  std::unique_lock<std::mutex> lock(helpers_mutex_);
  helpers_gone_.wait(lock, [this] { return helpers_running_ == 0; });
}

void Encoder::wait_for_references(CtuWorker &worker, const PictureInFlight &pic, int row) {
  if (pic.intra || pic.inter.reference_reach == 0)
    return;
  // The rows holding every line above the limit, finished: row j counts
  // finished once make_lines_final(j) has made the lines above
  // (j + 1) * CtbSizeY - 4 final.
  const int ctb = sps_.ctb_size();
  const int rows = sps_.ctb_rows();
  const int limit = reference_line_limit(pic.inter, row * ctb);
  const int needed = limit == INT_MAX ? rows : std::min(rows, (limit + 4 + ctb - 1) / ctb);
  // The rows waited for may be parked: this thread runs them meanwhile.
  for (int i = 0; i < pic.inter.num_ref_idx; ++i)
    wait_helping(worker, pic.inter.ref[i]->finished_rows, needed);
}

void Encoder::keep_bottom_line(PictureInFlight &pic, int row, int x) {
  const int ctb = sps_.ctb_size();
  const PictureSamples &rec = pic.recon->samples;
  for (int c = 0; c < 3; ++c) {
    const int sh = c ? 1 : 0;
    const int width = rec.plane_width(c);
    const int x0 = x >> sh;
    const int n = std::min(ctb >> sh, width - x0);
    const int y = (((row + 1) * ctb) >> sh) - 1;
    std::memcpy(pic.row_bottoms[c].data() + static_cast<size_t>(row) * width + x0,
                rec.planes[c] + y * rec.stride[c] + x0, static_cast<size_t>(n));
  }
}

void Encoder::use_lines_above(CtuWorker &worker, PictureInFlight &pic, int row) {
  if (row == 0) {
    worker.ctu.set_above_lines(nullptr);
    return;
  }
  const uint8_t *lines[3];
  for (int c = 0; c < 3; ++c)
    lines[c] = pic.row_bottoms[c].data() +
               static_cast<size_t>(row - 1) * pic.recon->samples.plane_width(c);
  worker.ctu.set_above_lines(lines);
}

void Encoder::code_slice(CtuWorker &worker, PictureInFlight &pic) {
  CtuEncoder &ctu = worker.ctu;
  CabacWriter &cabac = worker.cabac;
  BitWriter &bw = pic.slice_data;
  bw.clear();
  // 9.3.2.2: contexts initialised at the start of the slice.
  cabac.contexts.init(cabac_init_type(pic.sh.slice_type, false), pic.sh.slice_qp);
  cabac.start(&bw);
  const SyntaxContext sc = ctu.syntax_context();
  const int ctb = sps_.ctb_size();
  const int cols = sps_.ctb_cols();
  const int rows = sps_.ctb_rows();
  for (int ry = 0; ry < rows; ++ry) {
    wait_for_references(worker, pic, ry);
    use_lines_above(worker, pic, ry);
    for (int rx = 0; rx < cols; ++rx) {
      const int x = rx * ctb;
      const int y = ry * ctb;
      ctu.encode_ctu(x, y, cabac.contexts);
      write_coding_tree_unit(cabac, sc, ctu.coefficients(), x, y);
      // end_of_slice_segment_flag
      cabac.encode_terminate(rx == cols - 1 && ry == rows - 1);
      if (ry + 1 < rows)
        keep_bottom_line(pic, ry, x);
    }
    if (ry + 1 < rows)
      finish_row(pic, ry);
  }
  // 7.3.2.11: the flush wrote rbsp_stop_one_bit; zero bits to alignment.
  // Before the last row counts finished: then the slice data is read.
  bw.align_zero();
  finish_row(pic, rows - 1);
}

bool Encoder::code_row(CtuWorker &worker, PictureInFlight &pic, int row) {
  RowState &state = *pic.rows[static_cast<size_t>(row)];
  const RowState *above = row > 0 ? pic.rows[static_cast<size_t>(row) - 1].get() : nullptr;
  const SliceHeader &sh = pic.sh;
  const int cols = sps_.ctb_cols();
  const int ctb = sps_.ctb_size();
  // Only this thread codes the row until it parks.
  int rx = state.coded.load(std::memory_order_relaxed);
  if (rx == 0)
    wait_for_references(worker, pic, row);
  prepare_worker(worker, pic);
  use_lines_above(worker, pic, row);
  CabacWriter &cabac = state.cabac;
  const SyntaxContext sc = worker.ctu.syntax_context();
  const bool last_row = row == sps_.ctb_rows() - 1;
  for (; rx < cols; ++rx) {
    // A CTU is coded once the row above has coded the one above and to its
    // right: its neighbours (intra references, merge and AMVP candidates,
    // contexts) are then what a decoder sees, whatever the thread count.
    const int needed = std::min(rx + 2, cols);
    if (above && above->coded.load() < needed && park(state, *above, needed))
      return false;
    if (rx == 0) {
      // 9.3.1: a row starts from the contexts stored after the second CTU
      // of the row above when that CTU exists (availableFlagT), else
      // initialised.
      if (above && cols > 1)
        cabac.contexts = above->synced;
      else
        cabac.contexts.init(cabac_init_type(sh.slice_type, false), sh.slice_qp);
      state.substream.clear();
      cabac.start(&state.substream);
    }
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
    if (!last_row)
      keep_bottom_line(pic, row, rx * ctb);
    state.coded.store(rx + 1);
    resume_below(pic, row, rx + 1);
    // The row below may start.
    if (rx + 1 == row_start_ctus() && !last_row)
      post_work();
  }
  // The flush wrote the stop bit (alignment_bit_equal_to_one of
  // byte_alignment(), or rbsp_stop_one_bit); zero bits to alignment.
  state.substream.align_zero();
  return true;
}

bool Encoder::park(RowState &state, const RowState &above, int needed) {
  state.waits_for = needed;
  state.parked.store(true);
  // Either this thread sees the row above's last count, or that row's
  // thread sees the row parked (both sequentially consistent).
  if (above.coded.load() < needed)
    return true;
  bool parked = true;
  return !state.parked.compare_exchange_strong(parked, false);
}

void Encoder::resume_below(PictureInFlight &pic, int row, int coded) {
  if (row + 1 >= sps_.ctb_rows())
    return;
  RowState &below = *pic.rows[static_cast<size_t>(row) + 1];
  if (!below.parked.load() || coded < below.waits_for)
    return;
  bool parked = true;
  if (!below.parked.compare_exchange_strong(parked, false))
    return;
  {
    std::lock_guard<std::mutex> lock(resumable_mutex_);
    resumable_.push_back(pic.number * jobs_per_picture_ + row + 1);
    resumable_count_.fetch_add(1);
  }
  post_work();
}

void Encoder::deblock_band_vertical(PictureInFlight &pic, int row) {
  const int y_begin = row * sps_.ctb_size();
  const int y_end = std::min(sps_.height, y_begin + sps_.ctb_size());
  if (pps_.deblocking) {
    derive_boundary_strengths(pic.info, pic.intra ? nullptr : pic.inter.ref_poc, pic.deblock_map,
                              y_begin, y_end);
    PictureSamples &rec = pic.recon->samples;
    deblock_vertical_edges(rec.planes, rec.stride, sps_.width, sps_.height, pic.deblock_map,
                           DeblockParams{}, y_begin, y_end);
  }
  if (config_.low_delay_p)
    store_motion_rows(pic, y_begin, y_end);
}

void Encoder::deblock_band_horizontal(PictureInFlight &pic, int row) {
  if (!pps_.deblocking)
    return;
  const int y_begin = row * sps_.ctb_size();
  const int y_end = std::min(sps_.height, y_begin + sps_.ctb_size());
  PictureSamples &rec = pic.recon->samples;
  deblock_horizontal_edges(rec.planes, rec.stride, sps_.width, sps_.height, pic.deblock_map,
                           DeblockParams{}, y_begin, y_end);
}

int Encoder::final_line_end(int row) const {
  // Only the row below's top edge still changes lines, the three above it
  // (one in chroma).
  return row == sps_.ctb_rows() - 1 ? sps_.height : (row + 1) * sps_.ctb_size() - 4;
}

void Encoder::make_lines_final(PictureInFlight &pic, int row) {
  PictureSamples &rec = pic.recon->samples;
  // Rows up to this one have had their horizontal edges: the lines above
  // final_line_end(row) are final, and so their margin and their part of
  // the picture hash.
  const int final_end = final_line_end(row);
  if (final_end > pic.final_rows) {
    if (config_.low_delay_p)
      rec.extend_borders(pic.final_rows, final_end);
    if (config_.picture_hash == PictureHash::Md5) {
      // A chroma line and the first of its two luma lines hash side by
      // side (Md5::update3); final_rows and final_end are even.
      size_t width[3];
      for (int c = 0; c < 3; ++c)
        width[c] = static_cast<size_t>(rec.plane_width(c));
      for (int y = pic.final_rows >> 1; y < final_end >> 1; ++y) {
        const uint8_t *const lines[3] = {rec.planes[0] + 2 * y * rec.stride[0],
                                         rec.planes[1] + y * rec.stride[1],
                                         rec.planes[2] + y * rec.stride[2]};
        Md5::update3(pic.md5, lines, width);
        pic.md5[0].update(lines[0] + rec.stride[0], width[0]);
      }
    }
    pic.final_rows = final_end;
  }
  // After the store the caller may take the next picture into pic, so the
  // counter is reached through a copy of the pointer.
  std::atomic<int> &finished = pic.recon->finished_rows;
  finished.store(row + 1, std::memory_order_release);
  finished.notify_all();
  post_work();
}

void Encoder::checksum_band(PictureInFlight &pic, int row) {
  if (config_.picture_hash != PictureHash::Checksum)
    return;
  // The lines this row's horizontal edges made final, whatever the order
  // rows get there in.
  const int y_begin = row == 0 ? 0 : final_line_end(row - 1);
  const int y_end = final_line_end(row);
  const PictureSamples &rec = pic.recon->samples;
  for (int c = 0; c < 3; ++c) {
    const int sh_c = c ? 1 : 0;
    pic.band_checksums[static_cast<size_t>(row)][static_cast<size_t>(c)] =
        checksum_rows(rec.planes[c], rec.stride[c], rec.plane_width(c), y_begin >> sh_c,
                      y_end >> sh_c);
  }
}

void Encoder::finish_row(PictureInFlight &pic, int row) {
  deblock_band_vertical(pic, row);
  deblock_band_horizontal(pic, row);
  checksum_band(pic, row);
  make_lines_final(pic, row);
}

void Encoder::finish_wavefront_row(PictureInFlight &pic, int row) {
  deblock_band_vertical(pic, row);
  // This row's horizontal edges wait for the row above's vertical ones;
  // the row below's may have been waiting for this row's.
  const int rows = sps_.ctb_rows();
  int ready[2];
  int count = 0;
  {
    std::lock_guard<std::mutex> lock(pic.finishing);
    pic.row_stage[static_cast<size_t>(row)] = FinishStage::VerticalDone;
    for (int r = row; r <= std::min(row + 1, rows - 1); ++r) {
      FinishStage &stage = pic.row_stage[static_cast<size_t>(r)];
      if (stage == FinishStage::VerticalDone &&
          (r == 0 || pic.row_stage[static_cast<size_t>(r) - 1] != FinishStage::Coding)) {
        stage = FinishStage::HorizontalClaimed;
        ready[count++] = r;
      }
    }
  }
  for (int i = 0; i < count; ++i) {
    deblock_band_horizontal(pic, ready[i]);
    checksum_band(pic, ready[i]);
    horizontal_done(pic, ready[i]);
  }
}

void Encoder::horizontal_done(PictureInFlight &pic, int row) {
  const int rows = sps_.ctb_rows();
  int next;
  {
    std::lock_guard<std::mutex> lock(pic.finishing);
    pic.row_stage[static_cast<size_t>(row)] = FinishStage::HorizontalDone;
    next = pic.next_final_row;
    if (pic.making_final || pic.row_stage[static_cast<size_t>(next)] != FinishStage::HorizontalDone)
      return;
    pic.making_final = true;
  }
  // Rows whose horizontal edges are done meanwhile are seen below, under
  // the lock, by this thread: it is the only one making lines final. Once
  // the last row counts finished the caller may take the next picture into
  // pic: nothing of pic is touched after that.
  for (;;) {
    make_lines_final(pic, next);
    if (next == rows - 1)
      return;
    std::lock_guard<std::mutex> lock(pic.finishing);
    next = ++pic.next_final_row;
    if (pic.row_stage[static_cast<size_t>(next)] != FinishStage::HorizontalDone) {
      pic.making_final = false;
      return;
    }
  }
}

void Encoder::motion_grid(std::vector<BlockMotion> &grid, int &cols, int &rows) const {
  cols = (sps_.display_width + 7) / 8;
  rows = (sps_.display_height + 7) / 8;
  grid.assign(static_cast<size_t>(cols) * rows, BlockMotion{});
  if (!returned_ || returned_->intra)
    return;
  const PictureInFlight &pic = *returned_;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const BlockInfo &b = pic.info.at(c * 8, r * 8);
      if (b.pred_mode == PredMode::Intra || b.motion.ref_idx[0] < 0)
        continue;
      BlockMotion &m = grid[static_cast<size_t>(r) * cols + c];
      m.mv = b.motion.mv[0];
      m.ref_distance = pic.inter.poc - pic.inter.ref_poc[b.motion.ref_idx[0]];
    }
}

bool Encoder::encode(const SourcePicture &in, CodedPicture &out) {
  take_picture(in);
  if (pictures_taken_ - pictures_returned_ < static_cast<int64_t>(pictures_.size())) {
    out.access_unit.clear();
    return false;
  }
  return_picture(pictures_returned_, out);
  return true;
}

bool Encoder::drain(CodedPicture &out) {
  if (pictures_returned_ == pictures_taken_)
    return false;
  return_picture(pictures_returned_, out);
  return true;
}

void Encoder::return_picture(int64_t number, CodedPicture &coded) {
  PictureInFlight &pic = in_flight(number);
  // The caller's thread codes rows too (of later pictures as well, with
  // frame threads) until this picture is finished.
  const int rows = sps_.ctb_rows();
  for (;;) {
    const int posted = work_posted_.load();
    if (pic.recon->finished_rows.load(std::memory_order_acquire) >= rows)
      break;
    int64_t job;
    if (take_work(job))
      run_job(*workers_[0], job);
    else
      work_posted_.wait(posted);
  }

  std::vector<uint8_t> &out = coded.access_unit;
  out.clear();
  if (pic.idr) {
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
  SliceHeader &sh = pic.sh;
  rbsp_.clear();
  if (pps_.entropy_coding_sync) {
    // 7.4.7.1: entry points count the substreams' bytes as the NAL unit
    // carries them, emulation prevention included. Every substream and the
    // slice header end in a byte holding a one bit, so no run of zeros
    // crosses a boundary and each substream's count is its own.
    sh.entry_point_offsets.clear();
    for (int r = 0; r + 1 < rows; ++r) {
      const std::vector<uint8_t> &bytes = pic.rows[static_cast<size_t>(r)]->substream.bytes();
      sh.entry_point_offsets.push_back(
          static_cast<uint32_t>(bytes.size() + emulation_prevention_bytes(bytes)));
    }
    write_slice_header(rbsp_, sps_, pps_, sh);
    for (const auto &row : pic.rows)
      rbsp_.bytes().insert(rbsp_.bytes().end(), row->substream.bytes().begin(),
                           row->substream.bytes().end());
  } else {
    write_slice_header(rbsp_, sps_, pps_, sh);
    rbsp_.bytes().insert(rbsp_.bytes().end(), pic.slice_data.bytes().begin(),
                         pic.slice_data.bytes().end());
  }
  append_nal_unit(out, sh.nal_type, rbsp_.bytes());

  // D.3.20: the hash of each decoded sample array at the coded size, made
  // row by row as the rows became final.
  if (config_.picture_hash == PictureHash::Md5) {
    uint8_t md5[3][16];
    for (int c = 0; c < 3; ++c)
      pic.md5[c].finish(md5[c]);
    rbsp_.clear();
    write_picture_hash_sei(rbsp_, md5);
    append_nal_unit(out, NalUnitType::SuffixSei, rbsp_.bytes());
  } else if (config_.picture_hash == PictureHash::Checksum) {
    uint32_t checksum[3] = {0, 0, 0};
    for (const std::array<uint32_t, 3> &band : pic.band_checksums)
      for (int c = 0; c < 3; ++c)
        checksum[c] += band[static_cast<size_t>(c)];
    rbsp_.clear();
    write_picture_checksum_sei(rbsp_, checksum);
    append_nal_unit(out, NalUnitType::SuffixSei, rbsp_.bytes());
  }
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

  coded.pts = pic.pts;
  coded.opaque = pic.opaque;
  coded.type = pic.idr ? PictureType::Idr : pic.intra ? PictureType::I : PictureType::P;
  coded.key_frame = pic.idr;
  coded.qp = pic.qp;
  coded.poc = pic.poc;
  if (config_.bitrate > 0)
    rate_.picture_coded(coded.bits(), pic.qp, pic.intra);
  // Its buffer and its references' may be recycled once the RPS lets go.
  for (DecodedPicture *used : pic.held)
    --used->users;
  returned_ = &pic;
  ++pictures_returned_;
}

} // namespace quad::hevc
