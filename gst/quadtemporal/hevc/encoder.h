// The HEVC encoder core: configuration, the picture loop (decisions, CABAC
// slice data, deblocking, picture hash) and the access units it returns.
// GStreamer-free; the C API in c_api.cpp and the quadh265enc element wrap it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
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

struct EncoderConfig {
  int width = 0; // display size, even, 16..8192
  int height = 0;
  int fps_n = 30;
  int fps_d = 1;
  int qp = 32;         // 0..51
  int key_int_max = 1; // IDR period in pictures; 0: only the first is IDR
  int ctu_size = 32;   // 16, 32 or 64
  bool deblocking = true;
  int speed_preset = 1; // 0 (fastest) .. 6 (slowest), see search_params()
  // Wavefront parallel processing (entropy_coding_sync_enabled_flag): a
  // CABAC substream per CTU row, so rows can be coded in parallel. The
  // stream is the same for any thread count.
  bool wavefront = false;
  int threads = 1; // workers coding CTU rows (wavefront); 0: one per core
  int64_t bitrate = 0;     // bit/s; 0: constant QP (qp above)
  int vbv_buffer_ms = 500; // with a bitrate: the buffer the stream must fit
  // Low-delay P: pictures between IDRs predict from up to ref_frames
  // earlier ones (1..4); otherwise every picture is intra.
  bool low_delay_p = false;
  int ref_frames = 1;
  bool scene_cut_detection = true; // low-delay P: the encoder's own test
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


struct CtuWorker {
  CtuEncoder ctu;
  CabacWriter cabac;
};

struct RowState {
  BitWriter substream;
  ContextSet synced;
  std::atomic<int> coded{0};
};

// The decision knobs of a speed preset at a QP.
DecisionParams search_params(int speed_preset, int qp, int ctb_log2);

class Encoder {
public:
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
  // pictures. Low-delay coding returns every picture with its call.
  int held_pictures() const { return 0; }

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

  // The last reconstructed picture (coded size; the display size is the
  // top-left corner), equal to what a decoder outputs.
  const PictureSamples &reconstruction() const { return recon_->samples; }
  const SequenceParams &sequence() const { return sps_; }
  const EncoderConfig &config() const { return config_; }
  int64_t pictures_encoded() const { return picture_count_; }
  // The motion of the last coded picture on an 8x8 grid over the display
  // size (cols x rows, raster order).
  void motion_grid(std::vector<BlockMotion> &grid, int &cols, int &rows) const;
  // Pictures coded as IDRs because they started a new scene.
  int64_t scene_cuts() const { return scene_cuts_; }

private:
  void write_slice_data(BitWriter &bw, const SliceHeader &sh);
  // Wavefront: codes the CTU rows into substreams_ (on the workers) and
  // sets the slice header's entry points.
  void code_wavefront_rows(SliceHeader &sh);
  void code_row(CtuWorker &worker, int row, const SliceHeader &sh);
  // Deblocks CTU row `row` (the row below it coded, the rows above
  // finished), then fills the margin and hashes the rows no later filtering
  // changes.
  void finish_row(int row, const SliceHeader &sh);
  // The decisions for the QP of the next picture.
  void use_qp(int qp);
  // The P slice's reference list, predictors and collocated picture.
  void prepare_inter_slice(SliceHeader &sh, int poc, int num_refs);
  // What later pictures' temporal candidates read of this one.
  void store_motion_field(const SliceHeader &sh);

  EncoderConfig config_;
  VideoParams vps_;
  SequenceParams sps_;
  PictureParams pps_;
  DecisionParams search_;
  PictureSamples source_;
  DecodedPicture *recon_ = nullptr;
  DecodedPictureBuffer dpb_;
  BlockInfoMap info_;
  DeblockMap deblock_map_; // kept between pictures: no per-picture allocation
  // What one thread codes CTUs with; workers_[0] codes every slice
  // without wavefront.
  std::vector<std::unique_ptr<CtuWorker>> workers_;
  // Wavefront: per CTU row its substream, the contexts after its second
  // CTU (9.3.2.2 storage) and how many of its CTUs are coded.
  std::vector<std::unique_ptr<RowState>> rows_;
  std::unique_ptr<oneapi::tbb::task_arena> arena_;
  std::atomic<int> finished_rows_{0}; // rows deblocked, in order
  int final_rows_ = 0;                // luma rows with margin and hash done
  Md5 md5_[3];                        // the picture hash, row by row
  BitWriter rbsp_;
  int64_t picture_count_ = 0;
  int64_t pictures_since_idr_ = 0;
  bool idr_requested_ = false;
  RateController rate_;
  InterSliceContext inter_;
  SceneCutDetector scene_cut_;
  bool last_intra_ = true;
  int64_t scene_cuts_ = 0;
};

} // namespace quad::hevc
