// The HEVC encoder core: configuration, the picture loop (decisions, CABAC
// slice data, deblocking, picture hash) and the access units it returns.
// GStreamer-free; the C API in c_api.cpp and the quadh265enc element wrap it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "cabac.h"
#include "coding_tree.h"
#include "ctu_encoder.h"
#include "deblock.h"
#include "md5.h"
#include "motion_vector_prediction.h"
#include "parameter_sets.h"
#include "picture.h"
#include "rate_control.h"
#include "scene_cut.h"

namespace quad::hevc {

// The decoded picture hash SEI (D.2.20) after every picture, which lets a
// decoder check its output. MD5 is strongest but serial: with many threads
// on large pictures it bounds the picture rate (about 70 ms a 7680x4320
// picture). The checksum is a sum, computed row band by row band in
// parallel; None writes no SEI.
enum class PictureHash : uint8_t { Md5, Checksum, None };

struct EncoderConfig {
  int width = 0; // display size, even, 16..8192
  int height = 0;
  int fps_n = 30;
  int fps_d = 1;
  int qp = 32;         // 0..51
  int key_int_max = 1; // IDR period in pictures; 0: only the first is IDR
  int ctu_size = 0;    // 16, 32 or 64; 0: default_ctu_size(speed_preset)
  bool deblocking = true;
  int speed_preset = 1; // 0 (fastest) .. 6 (slowest), see search_params()
  // Wavefront parallel processing (entropy_coding_sync_enabled_flag): a
  // CABAC substream per CTU row, so rows can be coded in parallel. The
  // stream is the same for any thread count.
  bool wavefront = false;
  // Workers coding CTU rows (wavefront) and pictures (frame threads); 0:
  // one per core.
  int threads = 1;
  // Pictures coded at once: 1 codes each picture before the next (no
  // latency); N > 1 starts a P picture's rows while the pictures before it
  // finish theirs, holding N - 1 pictures back, and keeps motion within
  // reach of finished rows (reference_reach), so the stream depends on N
  // but never on the thread count.
  int frame_threads = 1;
  int64_t bitrate = 0;     // bit/s; 0: constant QP (qp above)
  int vbv_buffer_ms = 500; // with a bitrate: the buffer the stream must fit
  // Low-delay P: pictures between IDRs predict from up to ref_frames
  // earlier ones (1..4); otherwise every picture is intra.
  bool low_delay_p = false;
  int ref_frames = 1;
  bool scene_cut_detection = true; // low-delay P: the encoder's own test
  PictureHash picture_hash = PictureHash::Md5;
};

// Intra pictures of a low-delay P stream at constant QP are coded this
// much finer than the P pictures that predict from them.
inline constexpr int kIntraQpOffset = 3;

// H.265 picture kinds as the encoder's output names them.
enum class PictureType : uint8_t { Idr, I, P, B };

// One picture handed to the encoder: 4:2:0 planes of the configured display
// size, and what the caller wants back with its coded picture.
struct SourcePicture {
  const uint8_t *planes[3] = {nullptr, nullptr, nullptr};
  ptrdiff_t strides[3] = {0, 0, 0};
  int64_t pts = 0;
  void *opaque = nullptr; // the caller's handle, returned untouched
  bool force_idr = false; // this picture is coded as an IDR
  // Low-delay P: 1 a scene cut (coded as an IDR), -1 known not to be one,
  // 0 the encoder's own test decides.
  int scene_cut = 0;
  // Low-delay P: motion found before the encoder (e.g. quadmotion's),
  // where the motion search starts as well; blocks nullptr: none.
  MotionHints motion_hints;
};

// One coded picture: its access unit (parameter sets before each IDR, the
// slice, the picture hash SEI) and what it is.
struct CodedPicture {
  std::vector<uint8_t> access_unit;
  int64_t pts = 0;
  void *opaque = nullptr;
  PictureType type = PictureType::Idr;
  bool key_frame = true; // a decoder can start here (IDR with parameter sets)
  int qp = 0;
  int poc = 0;
  int64_t bits() const { return static_cast<int64_t>(access_unit.size()) * 8; }
};


// What one thread codes CTUs with: a CTU encoder set up for one picture
// at a time and, without wavefront, the CABAC writer of the picture's
// substream.
struct CtuWorker {
  CtuEncoder ctu;
  CabacWriter cabac;
  int64_t picture = -1; // the picture ctu is set up for
};

// Wavefront: a CTU row's coding state, which any worker may carry on: its
// substream and CABAC writer, the contexts after its second CTU (9.3.2.2
// storage) and how many of its CTUs are coded. A row waiting for the row
// above is parked, not waited on: its worker codes another row meanwhile.
struct RowState {
  BitWriter substream;
  CabacWriter cabac;
  ContextSet synced;
  std::atomic<int> coded{0};
  std::atomic<bool> parked{false};
  int waits_for = 0; // CTUs of the row above it needs, while parked
};

// How far a wavefront row's finishing has gone (Encoder::finish_wavefront_row).
enum class FinishStage : uint8_t {
  Coding,            // not coded yet
  VerticalDone,      // bS derived, vertical edges deblocked, motion stored
  HorizontalClaimed, // a thread is deblocking its horizontal edges
  HorizontalDone,
};

// A picture from encode() taking it until its access unit is written: its
// source, the decisions made for it when it was taken, and its coding
// state. With frame threads several are coded at once.
struct PictureInFlight {
  PictureSamples source;
  std::vector<BlockMotion> hint_blocks; // a copy of the caller's hints
  MotionHints hints;
  int64_t number = -1; // in the order taken
  int64_t pts = 0;
  void *opaque = nullptr;
  bool idr = false;
  bool intra = false;
  int qp = 0;
  int poc = 0;
  SliceHeader sh;
  DecisionParams search;
  InterSliceContext inter; // P pictures
  DecodedPicture *recon = nullptr;
  // Its reconstruction and references: used (not recycled) until returned.
  std::vector<DecodedPicture *> held;
  BlockInfoMap info;
  DeblockMap deblock_map;
  std::vector<std::unique_ptr<RowState>> rows; // wavefront
  BitWriter slice_data;                        // without wavefront
  // The last line of each CTU row (Y, Cb, Cr: a plane's width per row) as
  // coded, before deblocking: the row below predicts from it while the
  // row itself is deblocked.
  std::vector<uint8_t> row_bottoms[3];
  int final_rows = 0;                          // luma rows with margin and hash done
  Md5 md5[3];                                  // the picture hash, row by row
  std::vector<std::array<uint32_t, 3>> band_checksums; // per CTU row, Y Cb Cr
  // Wavefront rows' finishing, on whichever threads get there: each row's
  // stage, the next row whose lines are to be made final and whether a
  // thread is making them so.
  std::mutex finishing;
  std::vector<FinishStage> row_stage;
  int next_final_row = 0;
  bool making_final = false;
};

// The decision knobs of a speed preset at a QP.
DecisionParams search_params(int speed_preset, int qp, int ctb_log2);

// The CTU size of a speed preset: 64 where its CUs are 32 or smaller (the
// same decisions as in CTUs of 32, with half the wavefront rows, whose
// substreams cost bits, and fewer split flags), 32 where it would search
// 64x64 CUs (slower by a fifth for under 1% of bits).
int default_ctu_size(int speed_preset);

class Encoder {
public:
  Encoder() = default;
  Encoder(const Encoder &) = delete;
  Encoder &operator=(const Encoder &) = delete;
  // Waits for the workers still coding pictures nobody drained.
  ~Encoder();

  // Returns false when the configuration cannot be encoded.
  bool init(const EncoderConfig &config);

  // Takes one picture. Returns true when a coded picture is ready in out
  // (its access unit replaced), in decoding order; false while the encoder
  // holds pictures back (held_pictures() of them at most).
  bool encode(const SourcePicture &in, CodedPicture &out);

  // After the last picture: returns the held pictures one per call, then
  // false.
  bool drain(CodedPicture &out);

  // Pictures taken but not yet returned, at most: the encoder's latency in
  // pictures, frame_threads - 1.
  int held_pictures() const { return std::max(0, static_cast<int>(pictures_.size()) - 1); }

  // QP of the next picture (0..51), from then on.
  void set_qp(int qp);

  // Speed preset of the next picture, from then on (a real-time guard
  // stepping down and up). The parameter sets keep the first preset's
  // transform depth, so a faster preset still searches that deep.
  void set_speed_preset(int preset);

  // Bit rate (bit/s) and VBV buffer of the next picture, from then on; the
  // rate controller keeps what it learnt. From constant QP it starts at
  // qp; bitrate 0 returns to constant QP.
  void set_bitrate(int64_t bitrate, int vbv_buffer_ms);

  // IDR period from the next picture on (0: no more periodic IDRs); a
  // period shorter than the pictures since the last IDR makes the next
  // one an IDR.
  void set_key_int_max(int key_int_max);

  // Makes the next picture an IDR (a receiver joining, a scene cut); the
  // IDR period counts again from there.
  void request_idr() { idr_requested_ = true; }

  // The reconstruction of the last picture returned (coded size; the
  // display size is the top-left corner), equal to what a decoder outputs.
  const PictureSamples &reconstruction() const { return returned_->recon->samples; }
  const SequenceParams &sequence() const { return sps_; }
  const EncoderConfig &config() const { return config_; }
  // Pictures returned so far.
  int64_t pictures_encoded() const { return pictures_returned_; }
  // The motion of the last picture returned on an 8x8 grid over the
  // display size (cols x rows, raster order).
  void motion_grid(std::vector<BlockMotion> &grid, int &cols, int &rows) const;
  // Pictures coded as IDRs because they started a new scene.
  int64_t scene_cuts() const { return scene_cuts_; }

private:
  // Decides what the next picture is (IDR, QP, references) and hands its
  // rows to the workers.
  void take_picture(const SourcePicture &in);
  // With one frame thread a picture is coded before encode() returns, while
  // the caller's samples are still there: they are read in place unless the
  // coded size pads them.
  bool reads_source_in_place() const {
    return config_.frame_threads == 1 && sps_.display_width == sps_.width &&
           sps_.display_height == sps_.height;
  }
  // Codes rows (of any picture taken) until picture `number` is finished,
  // then writes its access unit into out.
  void return_picture(int64_t number, CodedPicture &out);
  PictureInFlight &in_flight(int64_t number) {
    return *pictures_[static_cast<size_t>(number % static_cast<int64_t>(pictures_.size()))];
  }
  // The P slice's reference list, predictors and collocated picture.
  void prepare_inter_slice(PictureInFlight &pic, int num_refs);

  // Jobs, numbered in the order pictures are taken: a CTU row each with
  // wavefront, a whole picture without. A job waits only for jobs of lower
  // number and jobs are claimed in order, so the lowest unfinished job is
  // always being coded or queued to resume; a thread waiting for another
  // picture's rows runs queued rows meanwhile (wait_helping()).
  // claim_job(): the next job, once the row above has coded the CTUs a
  // row starts from (can_start()).
  bool claim_job(int64_t &job);
  bool can_start(int64_t job);
  // The CTUs of the row above a wavefront row starts from: the second
  // one's contexts (9.3.1), when the picture has two columns.
  int row_start_ctus() const { return std::min(2, sps_.ctb_cols()); }
  // A parked row the row above has caught up with, else the next job.
  bool take_work(int64_t &job);
  bool pop_resumable(int64_t &job);
  bool work_available();
  // Codes (or carries on) a job; a row that parks is left to whoever
  // resumes it.
  void run_job(CtuWorker &worker, int64_t job);
  // Work was added: resumable rows, a row that may start, a finished row.
  // Starts idle helpers and wakes the threads in wait_helping().
  void post_work();
  // Waits until counter reaches value, running resumable rows meanwhile.
  void wait_helping(CtuWorker &worker, const std::atomic<int> &counter, int value);
  // A helper: workers_[index] on a thread of the arena, taking work
  // until none is left.
  void help(int index);
  // Starts the helpers that are idle.
  void wake_helpers();
  // Every job taken done and every helper gone.
  void stop_workers();

  // Wavefront: codes CTU row `row` into its substream, from where it
  // stopped; false when it parked before its end.
  bool code_row(CtuWorker &worker, PictureInFlight &pic, int row);
  // Parks state until the row above has coded `needed` CTUs; false when
  // the row above got there meanwhile (the caller codes on).
  bool park(RowState &state, const RowState &above, int needed);
  // After CTU row `row` has coded `coded` CTUs: the row below resumes if
  // it was parked waiting for them.
  void resume_below(PictureInFlight &pic, int row, int coded);
  // Sets worker's CTU encoder up for picture pic.
  void prepare_worker(CtuWorker &worker, PictureInFlight &pic);
  // Without wavefront: codes the picture as one substream.
  void code_slice(CtuWorker &worker, PictureInFlight &pic);
  // Frame threads: waits until the references have finished the rows that
  // CTU row `row` may read.
  void wait_for_references(CtuWorker &worker, const PictureInFlight &pic, int row);
  // Keeps the last line of the CTU at luma column x of CTU row `row`
  // before deblocking changes it.
  void keep_bottom_line(PictureInFlight &pic, int row, int x);
  // Points worker's CTU encoder at the lines kept of the row above `row`.
  void use_lines_above(CtuWorker &worker, PictureInFlight &pic, int row);
  // A coded CTU row's deblocking and what follows it, in three steps.
  // deblock_band_vertical(): its bS, its vertical edges and its motion for
  // later pictures, touching no other row's samples. deblock_band_horizontal():
  // its horizontal edges, once the row above has had its vertical ones.
  // make_lines_final(): margin and hash of the lines no later filtering
  // changes, in row order; then the row counts finished.
  void deblock_band_vertical(PictureInFlight &pic, int row);
  void deblock_band_horizontal(PictureInFlight &pic, int row);
  void make_lines_final(PictureInFlight &pic, int row);
  // The luma line above which deblocking leaves nothing to change once CTU
  // row `row` and the rows above have had their horizontal edges.
  int final_line_end(int row) const;
  // PictureHash::Checksum: the checksum of the lines row's horizontal edges
  // made final (from 4 above the row to 4 above the next), on any thread.
  void checksum_band(PictureInFlight &pic, int row);
  // Without wavefront: the three steps of a row, rows in order.
  void finish_row(PictureInFlight &pic, int row);
  // Wavefront: the steps of CTU row `row` once coded, and those of other
  // rows it unblocks, on this thread; a step still waiting for another row
  // is left to the thread finishing that row, so no thread waits.
  void finish_wavefront_row(PictureInFlight &pic, int row);
  // After row's horizontal edges: makes lines final, row after row, unless
  // another thread is already doing so.
  void horizontal_done(PictureInFlight &pic, int row);
  // What later pictures' temporal candidates read of luma rows
  // y_begin .. y_end - 1.
  void store_motion_rows(PictureInFlight &pic, int y_begin, int y_end);

  EncoderConfig config_;
  VideoParams vps_;
  SequenceParams sps_;
  PictureParams pps_;
  DecodedPictureBuffer dpb_;
  // frame_threads pictures, picture n in pictures_[n % frame_threads].
  std::vector<std::unique_ptr<PictureInFlight>> pictures_;
  int64_t pictures_taken_ = 0;
  int64_t pictures_returned_ = 0;
  const PictureInFlight *returned_ = nullptr;
  // One per thread: workers_[0] for the caller's thread, the others for
  // helpers on the arena (oneTBB's one pool, shared by every encoder).
  std::vector<std::unique_ptr<CtuWorker>> workers_;
  std::unique_ptr<oneapi::tbb::task_arena> arena_;
  std::vector<std::atomic<bool>> helper_busy_; // by worker index
  std::mutex helpers_mutex_;
  std::condition_variable helpers_gone_;
  int helpers_running_ = 0;
  int jobs_per_picture_ = 1;
  std::atomic<int64_t> jobs_taken_{0}; // jobs of the pictures taken
  std::atomic<int64_t> next_job_{0};   // the next job to claim
  // Wavefront rows resumed after parking, oldest first, as job numbers.
  std::mutex resumable_mutex_;
  std::deque<int64_t> resumable_;
  std::atomic<int> resumable_count_{0};
  // Counts post_work(): what threads out of work sleep on.
  std::atomic<int> work_posted_{0};
  BitWriter rbsp_;
  int64_t pictures_since_idr_ = 0;
  bool idr_requested_ = false;
  RateController rate_;
  SceneCutDetector scene_cut_;
  int64_t scene_cuts_ = 0;
};

} // namespace quad::hevc
