// Rate-distortion decisions and reconstruction for one CTU of an I or P
// slice: the coding quadtree, skip, merge, AMVP with motion search, the
// intra modes, the transform tree and the quantised residual, all measured with J = D + lambda * R
// where R comes from the CABAC state (CabacBitCounter). Each decision lives in its own file; this
// class holds the working state they share (the picture's reconstruction and block info, the CTU's
// levels) and the candidates they keep alternatives in. GStreamer-free.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>

#include "availability.h"
#include "cabac.h"
#include "candidate.h"
#include "coding_tree.h"
#include "intra_pred.h"
#include "large_allocator.h"
#include "motion_vector_prediction.h"
#include "parameter_sets.h"
#include "picture.h"
#include "syntax.h"

namespace quad::hevc {

// Knobs of the decisions, chosen by the speed preset.
struct DecisionParams {
  int qp = 32;
  double lambda = 1.0;      // for SSE + lambda * bits
  double sqrt_lambda = 1.0; // for SATD + sqrt_lambda * bits
  int rounding_offset_q10 = 341;
  int luma_rd_candidates_large = 2;        // prediction blocks of 16x16 and up
  int luma_rd_candidates_small = 3;        // 8x8 and 4x4
  bool add_mpm_candidates = true;          // MPMs not among the best SATD modes
  int coarse_mode_step = 4;                // SATD pass: angles this far apart, then
                                           // refined; 1 tries all 35 modes
  int chroma_rd_candidates = 1;            // 1: DM only, up to 5
  bool try_nxn = true;                     // 4x4 prediction blocks in 8x8 CUs
  int max_tu_split_depth = 1;              // transform tree levels searched below the CU
  int min_cu_log2 = 3;                     // smallest CU searched
  int max_cu_log2 = 6;                     // largest CU searched (leaf)
  bool skip_split_without_residual = true; // early termination
  double split_rate_floor_bits = 0;        // keep leaves cheaper than this rate
  bool sign_data_hiding = true;
  // P pictures.
  int rounding_offset_inter_q10 = 171;
  int max_cu_log2_inter = 6;   // largest CU searched in P pictures
  int min_cu_log2_inter = 3;   // smallest CU searched in P pictures
  int max_num_merge_cand = 5;  // MaxNumMergeCand
  int search_range = 64;       // integer samples around the search start
  int search_iterations = 16;  // steps of the pattern search
  int subpel_refine = 2;       // 0 integer, 1 half, 2 quarter samples
  bool subpel_diamond = false; // 4 neighbours per sub-sample step instead of 8
  bool early_skip = true;      // a merge CU without residual ends the CU decision
  bool inter_rd = true;        // AMVP coded even when its SATD cost loses to merge
  // 2NxN and Nx2N prediction blocks in CUs of 16x16 and up, each with its
  // own motion (coded, without inter RD, when their SATD cost wins).
  bool rect_partitions = true;
  // Intra CUs in P pictures: 0 never, 1 when a few intra predictions beat
  // the inter SATD cost, 2 always.
  int intra_in_inter = 2;
};

// The prediction of the inter CU being coded, from the CU's top-left
// sample (luma stride 64, chroma 32).
struct InterPrediction {
  int x0 = 0; // luma position of the CU
  int y0 = 0;
  alignas(64) uint8_t planes[3][64 * 64];
  static ptrdiff_t stride(int c) { return c ? 32 : 64; }
  // Sample (x, y) of plane c (in that plane's coordinates).
  const uint8_t *at(int c, int x, int y) const {
    const int sh = c ? 1 : 0;
    return planes[c] + (y - (y0 >> sh)) * stride(c) + (x - (x0 >> sh));
  }
};

// Frame threads: the first reference line a block in the CTU row of luma
// line y may not read; INT_MAX when it may read them all (the row's reach
// ends below the picture, so it waits for the whole reference).
inline int reference_line_limit(const InterSliceContext &ctx, int y) {
  if (ctx.reference_reach == 0)
    return std::numeric_limits<int>::max();
  const int ctb_log2 = ctx.sps->ctb_log2;
  const int limit = (((y >> ctb_log2) + 1) << ctb_log2) + ctx.reference_reach;
  return limit >= ctx.sps->height ? std::numeric_limits<int>::max() : limit;
}

// Whether motion mv of a prediction block reads only reference lines
// above that limit: the luma filter reads 4 lines below a fractional
// position (8.5.3.3.3.1), chroma's 2 chroma lines (within the same).
inline bool within_reference_reach(const InterSliceContext &ctx, const PredictionBlock &pb,
                                   MotionVector mv) {
  const int limit = reference_line_limit(ctx, pb.y);
  return limit == std::numeric_limits<int>::max() || pb.y + pb.h + (mv.y >> 2) + 4 <= limit;
}

// Vectors a motion search may start from besides the predictors.
inline constexpr int kMaxSearchSeeds = 4;

// Motion found before the encoder (quadmotion's estimate): a grid of
// block_width x block_height luma blocks over the picture, raster order.
// Its vectors are where the search starts, never what it must choose.
struct MotionHints {
  const BlockMotion *blocks = nullptr;
  int block_width = 0;
  int block_height = 0;
  int cols = 0;
  int rows = 0;
};

// A prediction block's motion and how the syntax will signal it.
struct MotionChoice {
  PredictionMotion motion;
  bool merge = false;
  int merge_idx = 0;
  int mvp_idx = 0;
  MotionVector mvd;
  double satd_cost = 0; // SATD of the luma prediction + sqrt(lambda) x estimated bits
};

// The prediction units of an inter CU: one for 2Nx2N, two for 2NxN and
// Nx2N.
struct InterPartition {
  PartMode part = PartMode::Part2Nx2N;
  MotionChoice pu[2];
  int count() const { return part == PartMode::Part2Nx2N ? 1 : 2; }
};

// How a transform tree is searched, passed down the tree.
struct TreeSearch {
  bool measure_rate = true; // count the tree's bits (a lone candidate is only coded)
  int min_split_log2 = 2;   // smallest luma transform block a split may produce
  bool inter_split = false; // interSplitFlag's condition (7.4.9.8) without trafoDepth
};

class CtuEncoder {
public:
  void configure(const SequenceParams &sps, const PictureParams &pps, const DecisionParams &params);
  // inter: the P slice's references and predictors; nullptr for I slices.
  // hints: motion the search starts from too (nullptr: none).
  void begin_picture(const PictureSamples *source, PictureSamples *recon, BlockInfoMap *info,
                     const InterSliceContext *inter, const MotionHints *hints = nullptr);
  // The line above the CTU row about to be coded (Y, Cb, Cr), as it was
  // before deblocking, for intra prediction (8.4.4.2.1 reads the samples
  // before the in-loop filters): the row above may be deblocked meanwhile.
  // nullptr: read the reconstruction.
  void set_above_lines(const uint8_t *const lines[3]) {
    for (int c = 0; c < 3; ++c)
      above_lines_[c] = lines ? lines[c] : nullptr;
  }

  // Decides and reconstructs the CTU at luma (x_ctb, y_ctb); contexts is
  // the CABAC state before it. Afterwards coefficients() holds its levels
  // and the block info map its coding tree.
  void encode_ctu(int x_ctb, int y_ctb, const ContextSet &contexts);
  const CtuCoefficients &coefficients() const { return coeffs_; }
  // What the syntax of the current slice reads besides the coefficients.
  SyntaxContext syntax_context() const;

private:
  // cu_split_decision.cpp: split_cu_flag, bottom-up with early termination.
  // need_cost: the caller compares the returned cost.
  double decide_coding_quadtree(int x, int y, int log2_size, int depth, bool need_cost);
  // inter_cu_decision.cpp: one CU of a P slice: skip or merge, AMVP with
  // the searched motion, or intra, whichever costs least.
  // need_cost: the caller compares the returned cost (else 0 may come back
  // when only one alternative was coded).
  double decide_inter_cu(int x, int y, int log2_size, int depth, bool need_cost);
  // inter_cu_decision.cpp: codes the CU as the given prediction units with
  // their residual (start: the CABAC state before it).
  void code_inter_cu(int x, int y, int log2_size, const InterPartition &partition,
                     const InterPrediction &pred, const CabacBitCounter &start);
  // inter_cu_decision.cpp: the merge candidate of a prediction block whose
  // luma prediction is closest to the source (SATD and merge_idx bits);
  // scratch receives predictions.
  MotionChoice choose_merge_candidate(const PredictionBlock &pb, const PredictionMotion *merge_list,
                                      InterPrediction &scratch);
  // inter_cu_decision.cpp: the motion of each prediction block of a 2NxN
  // or Nx2N CU (merge, or searched near the whole CU's motion, by SATD);
  // returns their SATD cost.
  double choose_partition_motion(int x, int y, int size, const PredictionMotion &whole,
                                 InterPartition &partition, InterPrediction &scratch);
  // The exact cost of the CU in the working state, from its syntax; leaves
  // counter_ after it.
  double cu_cost(int x, int y, int log2_size, int depth, const CabacBitCounter &start);
  // motion_search.cpp: the AMVP motion of a prediction block: predictors
  // (and the seeds given, e.g. the motion already found for a larger
  // block), a pattern search, then half and quarter samples. local: only
  // the seeds' reference pictures, and no star steps, just refinement
  // around the best start.
  MotionChoice search_motion(const PredictionBlock &pb, const PredictionMotion *merge_list,
                             int merge_count, const PredictionMotion *seeds = nullptr,
                             int seed_count = 0, bool local = false);
  // motion_search.cpp: the hint at the centre of a prediction block as a
  // search seed; returns the seeds written (0 or 1).
  int hint_seed(const PredictionBlock &pb, PredictionMotion &seed) const;
  // inter_cu_decision.cpp: the SATD cost of planar, DC, horizontal and
  // vertical prediction of a CU: whether intra is worth deciding.
  double intra_satd_estimate(int x, int y, int log2_size);
  // build_intra_references() for the n x n block at (x, y) of plane c_idx
  // (its own coordinates), the line above the CTU from above_lines_.
  void intra_references(int x, int y, int n, int c_idx);
  // The prediction of a block into the CU's buffers; luma only for
  // comparing candidates.
  void predict(const PredictionBlock &pb, const PredictionMotion &motion, InterPrediction &pred,
               bool luma_only = false);

  // intra_cu_decision.cpp: one intra CU (2Nx2N or NxN, then chroma) and
  // its exact cost from the CU syntax.
  double decide_intra_cu(int x, int y, int log2_size, int depth);
  // intra_luma_decision.cpp: the luma mode of one prediction block (SATD
  // pre-selection, then RD), leaving the winner coded. need_rate: the
  // caller compares the returned cost.
  RdCost decide_intra_luma(int x, int y, int log2_size, int tu_depth, int max_tu_depth,
                           bool intra_split, bool need_rate, const TreeSearch &search,
                           const ContextSet &contexts);
  // tu_split_decision.cpp: split_transform_flag and cbf_luma for one luma
  // transform tree with a fixed mode.
  // inter: the prediction of an inter CU (mode unused), nullptr for intra.
  RdCost code_luma_tree(int x, int y, int log2_size, int depth, int max_depth, bool intra_split,
                        int mode, const TreeSearch &search, CabacBitCounter &counter,
                        const InterPrediction *inter = nullptr);
  // intra_chroma_decision.cpp: intra_chroma_pred_mode of a CU whose luma
  // tree is decided, leaving the chroma blocks coded.
  RdCost decide_intra_chroma(int x, int y, int log2_size, const ContextSet &contexts);
  RdCost code_chroma_tree(int x, int y, int log2_size, int depth, int mode, bool measure_rate,
                          CabacBitCounter &counter, const InterPrediction *inter = nullptr);
  // transform_block.cpp: prediction, residual, transform, quantisation
  // (with sign data hiding) and reconstruction of one block; returns the
  // number of non-zero levels.
  int code_transform_block(int c_idx, int x, int y, int log2_size, int mode, int16_t *levels,
                           const InterPrediction *inter = nullptr);

  // The working state of a square luma area (and its chroma) into a
  // candidate, and a candidate back into the working state.
  void capture(Candidate &cand, int x, int y, int size, Planes planes) const;
  void commit(const Candidate &cand, int x, int y, int size, Planes planes);
  uint64_t area_sse(int x, int y, int size, Planes planes) const;
  int16_t *levels_at(int c_idx, int x, int y) {
    const int z = z_index(x & ctb_mask_, y & ctb_mask_);
    return coeffs_.plane(c_idx) + (c_idx ? 4 * z : 16 * z);
  }

  SequenceParams sps_;
  PictureParams pps_;
  DecisionParams params_;
  int ctb_mask_ = 63;
  int qp_chroma_ = 32;
  const PictureSamples *src_ = nullptr;
  PictureSamples *rec_ = nullptr;
  const uint8_t *above_lines_[3] = {nullptr, nullptr, nullptr};
  BlockInfoMap *info_ = nullptr;
  const InterSliceContext *inter_ = nullptr;
  MotionHints hints_;

  CabacBitCounter counter_; // contexts as of the decisions made so far
  CtuCoefficients coeffs_;

  // The candidates each decision keeps while it tries another, allocated
  // once per CTU encoder.
  struct Candidates {
    Candidate cu_leaf[4];     // by CU depth: the unsplit CU
    Candidate intra_2nx2n[4]; // by CU depth: the 2Nx2N luma while NxN is tried
    Candidate luma_mode[7];   // by prediction block log2 size: the best mode so far
    Candidate tu_leaf[6];     // by transform block log2 size: the unsplit block
    Candidate chroma_mode;    // the best chroma mode so far
    Candidate cu_mode[4];     // by CU depth: the best prediction of the CU so far
    InterPrediction merge_pred;
    InterPrediction amvp_pred;
  };
  struct CandidatesDelete {
    void operator()(Candidates *c) const {
      c->~Candidates();
      LargeAllocator<Candidates>().deallocate(c, 1);
    }
  };
  std::unique_ptr<Candidates, CandidatesDelete> candidates_;
  alignas(64) uint8_t pred_[32 * 32];
  alignas(64) int16_t residual_[32 * 32];
  alignas(64) int16_t coeff_buf_[32 * 32];
  IntraReferences refs_;
};

// H.265 8.6.1, Table 8-10: QpC for ChromaArrayType 1 from qPi.
int chroma_qp(int qpi);

} // namespace quad::hevc
