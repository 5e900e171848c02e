// The motion estimation core: pyramid, determinism, accuracy against the
// synthetic scenes' ground truth, and efficiency against an exhaustive
// search on real clips (when QUAD_CLIPS_Y4M_DIR names the decoded clips).
#include <gtest/gtest.h>

#include <tbb/global_control.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "motion_search.h"
#include "pyramid.h"
#include "scene.h"
#include "y4m.h"

namespace quad::me {
namespace {

using capture::BlockMotion;
using capture::PixelFormat;
using capture::SceneConfig;
using capture::SceneGenerator;

// Luma of frame `index` of a scene.
std::vector<uint8_t> RenderLuma(SceneGenerator &scene, uint64_t index) {
  const SceneConfig &c = scene.config();
  std::vector<uint8_t> y(static_cast<size_t>(c.width * c.height));
  std::vector<uint8_t> u(static_cast<size_t>(((c.width + 1) / 2) * ((c.height + 1) / 2)));
  std::vector<uint8_t> v(u.size());
  const capture::PlaneView planes[3] = {
      {y.data(), c.width}, {u.data(), (c.width + 1) / 2}, {v.data(), (c.width + 1) / 2}};
  scene.render(index, PixelFormat::I420, planes);
  return y;
}

SearchParams Params(int block, bool subpel, int lambda_q8) {
  SearchParams p;
  p.block_size = block;
  p.subpel = subpel;
  p.lambda_q8 = lambda_q8;
  return p;
}

TEST(Pyramid, LevelsSizesAndBorder) {
  EXPECT_EQ(FramePyramid::level_count(1920, 1080, 4), 4);
  EXPECT_EQ(FramePyramid::level_count(352, 288, 4), 4);
  EXPECT_EQ(FramePyramid::level_count(176, 144, 4), 3);
  EXPECT_EQ(FramePyramid::level_count(16, 16, 4), 1);
  EXPECT_EQ(FramePyramid::level_count(1920, 1080, 2), 2);

  const int w = 131, h = 75;
  std::vector<uint8_t> luma(static_cast<size_t>(w * h));
  std::mt19937 rng(3);
  for (auto &s : luma) {
    s = static_cast<uint8_t>(rng());
  }
  FramePyramid p;
  ASSERT_EQ(p.build(luma.data(), w, w, h, 4), 2); // level 2 would be 33x19
  EXPECT_EQ(p.width(1), 66);
  EXPECT_EQ(p.height(1), 38);
  const uint8_t *o = p.origin(0);
  const ptrdiff_t s = p.stride(0);
  EXPECT_EQ(o[5 * s + 7], luma[5 * w + 7]);
  // The border replicates the nearest edge sample, corners included.
  EXPECT_EQ(o[-FramePyramid::kPad * s - FramePyramid::kPad], luma[0]);
  EXPECT_EQ(o[(h + 10) * s + w + 20], luma[(h - 1) * w + w - 1]);
  EXPECT_EQ(o[3 * s - 50], luma[3 * w]);
  // Level 1 is the rounded 2x2 mean; the odd last column pairs with itself.
  const uint8_t *o1 = p.origin(1);
  EXPECT_EQ(o1[2 * p.stride(1) + 3],
            (luma[4 * w + 6] + luma[4 * w + 7] + luma[5 * w + 6] + luma[5 * w + 7] + 2) >> 2);
  EXPECT_EQ(o1[65], (2 * luma[130] + 2 * luma[w + 130] + 2) >> 2);
  // Levels computed elsewhere are taken as they are when their size fits.
  std::vector<uint8_t> level1(66 * 38, 42);
  const FramePyramid::ExternalLevel ext[] = {{level1.data(), 66, 66, 38}};
  p.build(luma.data(), w, w, h, 4, ext);
  EXPECT_EQ(p.origin(1)[10 * p.stride(1) + 10], 42);
  const FramePyramid::ExternalLevel wrong[] = {{level1.data(), 66, 65, 38}};
  p.build(luma.data(), w, w, h, 4, wrong);
  EXPECT_NE(p.origin(1)[0], 42);
}

TEST(Params, OutOfRangeIsRefused) {
  SearchParams p;
  p.block_size = 12;
  EXPECT_THROW(make_cpu_motion_search(p), std::invalid_argument);
  p = SearchParams();
  p.search_range = 300;
  EXPECT_THROW(make_cpu_motion_search(p), std::invalid_argument);
  p = SearchParams();
  p.max_levels = 0;
  EXPECT_THROW(make_motion_search(Backend::kAuto, p), std::invalid_argument);
}

TEST(Lambda, FollowsQp) {
  // sqrt(0.57 * 2^((qp - 12) / 3)): 0.755 at qp 12, doubling every 6.
  EXPECT_EQ(lambda_q8_for_qp(12), 193);
  EXPECT_NEAR(lambda_q8_for_qp(18) / static_cast<double>(lambda_q8_for_qp(12)), 2.0, 0.02);
  EXPECT_LT(lambda_q8_for_qp(22), lambda_q8_for_qp(37));
}

// The fraction of non-occluded blocks whose vector is within half a sample
// of the truth, per component, over frames 1..frames-1 of a scene.
struct Accuracy {
  int good = 0;
  int total = 0;
  double fraction() const { return total ? static_cast<double>(good) / total : 0.0; }
};

Accuracy MeasurePan(double pan_x, double pan_y, int objects, int block, bool subpel,
                    SearchPattern pattern, int frames, SearchCounters *counters = nullptr) {
  SceneConfig config;
  config.width = 640;
  config.height = 360;
  config.pan_x = pan_x;
  config.pan_y = pan_y;
  config.objects = objects;
  config.object_speed = 6.0;
  SceneGenerator scene(config);
  SearchParams params = Params(block, subpel, lambda_q8_for_qp(27));
  params.pattern = pattern;
  auto search = make_cpu_motion_search(params);
  FramePyramid pyr[2];
  MotionField fields[2];
  Accuracy acc;
  std::vector<BlockMotion> truth;
  for (int f = 0; f < frames; ++f) {
    const std::vector<uint8_t> luma = RenderLuma(scene, static_cast<uint64_t>(f));
    FramePyramid &cur = pyr[f % 2];
    cur.build(luma.data(), config.width, config.width, config.height, 4);
    if (f == 0) {
      continue;
    }
    MotionField &out = fields[f % 2];
    search->estimate(cur, pyr[(f + 1) % 2], f > 1 ? &fields[(f + 1) % 2] : nullptr, out, counters);
    scene.ground_truth(static_cast<uint64_t>(f), block, truth);
    EXPECT_EQ(truth.size(), out.blocks.size());
    for (size_t i = 0; i < truth.size(); ++i) {
      if (truth[i].flags != 0) {
        continue;
      }
      // The truth points from the reference to the picture; the search's
      // vector from the picture into the reference.
      const int ex = std::abs(out.blocks[i].mv.x + truth[i].mv_x);
      const int ey = std::abs(out.blocks[i].mv.y + truth[i].mv_y);
      acc.total++;
      acc.good += (ex <= 2 && ey <= 2) ? 1 : 0;
    }
  }
  return acc;
}

struct PanCase {
  double x, y;
};

class PanAccuracy : public ::testing::TestWithParam<PanCase> {};

TEST_P(PanAccuracy, NinetyFivePercentWithinHalfASample) {
  const PanCase c = GetParam();
  for (SearchPattern pattern : {SearchPattern::kHexagon, SearchPattern::kDiamond}) {
    const Accuracy acc = MeasurePan(c.x, c.y, 4, 16, true, pattern, 4);
    std::printf("pan %.2f,%.2f %s: %d of %d blocks within half a sample (%.1f%%)\n", c.x, c.y,
                pattern == SearchPattern::kHexagon ? "hexagon" : "diamond", acc.good, acc.total,
                100.0 * acc.fraction());
    ASSERT_GT(acc.total, 500);
    EXPECT_GE(acc.fraction(), 0.95) << "pan " << c.x << "," << c.y;
  }
}

INSTANTIATE_TEST_SUITE_P(Pans, PanAccuracy,
                         ::testing::Values(PanCase{0, 0}, PanCase{0.25, 0}, PanCase{1, -1},
                                           PanCase{2.5, 0.75}, PanCase{-3.75, 1.25}, PanCase{7, 3},
                                           PanCase{12.5, -9.25}, PanCase{-23.75, 17.5},
                                           PanCase{31, -31}, PanCase{-40.25, 0.5},
                                           PanCase{48.75, 20.25}, PanCase{64, 0}, PanCase{0, -64},
                                           PanCase{-63.5, 45}));

TEST(Accuracy, EveryBlockSize) {
  for (int block : {8, 16, 32, 64}) {
    const Accuracy acc = MeasurePan(5.25, -2.5, 2, block, true, SearchPattern::kHexagon, 3);
    std::printf("block %d: %.1f%% of %d blocks within half a sample\n", block,
                100.0 * acc.fraction(), acc.total);
    ASSERT_GT(acc.total, 20);
    EXPECT_GE(acc.fraction(), 0.95) << "block " << block;
  }
}

TEST(Accuracy, IntegerPansAreExactWithoutSubpel) {
  SearchCounters counters;
  const Accuracy acc = MeasurePan(6, -4, 0, 16, false, SearchPattern::kHexagon, 3, &counters);
  EXPECT_GE(acc.fraction(), 0.99);
  EXPECT_EQ(counters.satd_evaluations, 0u);
  EXPECT_GT(counters.sad_evaluations, counters.blocks);
}

// The same input gives the same field whatever the number of threads: what
// lets the GPU backends be held to the CPU's vectors.
TEST(Determinism, ThreadCountDoesNotMatter) {
  SceneConfig config;
  config.width = 320;
  config.height = 240;
  config.pan_x = 3.25;
  config.pan_y = -1.5;
  config.objects = 6;
  SceneGenerator scene(config);
  const auto a = RenderLuma(scene, 4);
  const auto b = RenderLuma(scene, 5);
  FramePyramid pa, pb;
  pa.build(a.data(), config.width, config.width, config.height, 4);
  pb.build(b.data(), config.width, config.width, config.height, 4);
  auto search = make_cpu_motion_search(Params(16, true, lambda_q8_for_qp(32)));
  MotionField many, one;
  search->estimate(pb, pa, nullptr, many, nullptr);
  {
    tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
    search->estimate(pb, pa, nullptr, one, nullptr);
  }
  ASSERT_EQ(many.blocks.size(), one.blocks.size());
  for (size_t i = 0; i < many.blocks.size(); ++i) {
    EXPECT_EQ(many.blocks[i].mv.x, one.blocks[i].mv.x);
    EXPECT_EQ(many.blocks[i].mv.y, one.blocks[i].mv.y);
    EXPECT_EQ(many.blocks[i].cost, one.blocks[i].cost);
  }
}

// Odd and tiny pictures, every block size, the largest range: vectors stay
// inside the range and the padded reference, and nothing reads outside it
// (the ASan suite runs this).
TEST(Edges, TinyAndOddPictures) {
  std::mt19937 rng(9);
  for (auto [w, h] : {std::pair{16, 16}, {17, 9}, {8, 8}, {33, 130}, {200, 31}}) {
    std::vector<uint8_t> a(static_cast<size_t>(w * h)), b(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = static_cast<uint8_t>(rng());
      b[i] = static_cast<uint8_t>(rng());
    }
    FramePyramid pa, pb;
    pa.build(a.data(), w, w, h, 4);
    pb.build(b.data(), w, w, h, 4);
    for (int block : {8, 16, 32, 64}) {
      SearchParams p = Params(block, true, 0);
      p.search_range = 256;
      auto search = make_cpu_motion_search(p);
      MotionField out;
      search->estimate(pb, pa, nullptr, out, nullptr);
      EXPECT_EQ(out.cols, (w + block - 1) / block);
      EXPECT_EQ(out.rows, (h + block - 1) / block);
      for (int by = 0; by < out.rows; ++by) {
        for (int bx = 0; bx < out.cols; ++bx) {
          // The predicted block, filter taps included, lies in the border.
          const BlockEstimate &e = out.blocks[static_cast<size_t>(by * out.cols + bx)];
          const int x = bx * block + (e.mv.x >> 2), y = by * block + (e.mv.y >> 2);
          EXPECT_GE(x - 3, -FramePyramid::kPad);
          EXPECT_GE(y - 3, -FramePyramid::kPad);
          EXPECT_LE(x + block + 4, w + FramePyramid::kPad);
          EXPECT_LE(y + block + 4, h + FramePyramid::kPad);
          EXPECT_LE(std::abs(e.mv.x), 4 * 256 + 3);
          EXPECT_LE(std::abs(e.mv.y), 4 * 256 + 3);
        }
      }
    }
  }
}

TEST(Intra, FlatBlocksAgainstNoiseAreIntraBetter) {
  // A flat picture against a noisy reference: no vector beats DC.
  const int w = 128, h = 128;
  std::vector<uint8_t> flat(static_cast<size_t>(w * h), 100), noise(flat.size());
  std::mt19937 rng(5);
  for (auto &s : noise) {
    s = static_cast<uint8_t>(rng());
  }
  FramePyramid cur, ref;
  cur.build(flat.data(), w, w, h, 4);
  ref.build(noise.data(), w, w, h, 4);
  auto search = make_cpu_motion_search(Params(16, true, lambda_q8_for_qp(32)));
  MotionField out;
  search->estimate(cur, ref, nullptr, out, nullptr);
  for (const BlockEstimate &e : out.blocks) {
    EXPECT_TRUE(e.intra_better);
    EXPECT_EQ(e.intra_cost, 0u);
  }
  // The picture against itself: zero vectors, zero cost, inter wins.
  search->estimate(ref, ref, nullptr, out, nullptr);
  for (const BlockEstimate &e : out.blocks) {
    EXPECT_EQ(e.mv.x, 0);
    EXPECT_EQ(e.mv.y, 0);
    EXPECT_EQ(e.distortion, 0u);
    EXPECT_FALSE(e.intra_better);
  }
}

TEST(FullSearch, CountsEveryPosition) {
  const int w = 256, h = 256;
  std::vector<uint8_t> a(static_cast<size_t>(w * h));
  std::mt19937 rng(1);
  for (auto &s : a) {
    s = static_cast<uint8_t>(rng());
  }
  FramePyramid p;
  p.build(a.data(), w, w, h, 1);
  SearchCounters counters;
  std::vector<MotionVector> mvs;
  EXPECT_EQ(full_search(p, p, 16, 8, &mvs, &counters), 0u);
  // +-8 never reaches the border limit here: 17 x 17 positions per block.
  EXPECT_EQ(counters.sad_evaluations, 256u * 17u * 17u);
  for (const MotionVector &v : mvs) {
    EXPECT_EQ(v.x, 0);
    EXPECT_EQ(v.y, 0);
  }
}

// Real clips: the hierarchical search's SAD after compensation against an
// exhaustive +-64 search, and the evaluations each needed.
TEST(Clips, NearFullSearchAtAFractionOfTheWork) {
  const char *dir = std::getenv("QUAD_CLIPS_Y4M_DIR");
  if (dir == nullptr) {
    GTEST_SKIP() << "QUAD_CLIPS_Y4M_DIR is not set (./quad test sets it)";
  }
  struct Clip {
    const char *name;
    int pairs;
  };
  const Clip clips[] = {{"foreman_cif_300f", 6},        {"bus_cif_17f_raw", 4},
                        {"carphone_qcif_120f", 6},      {"two_people_320x192_9f_raw", 4},
                        {"presenter_960x544_43f", 2},   {"crowd_run_720p50_10f", 1},
                        {"street_drive_1080p25_45f", 1}};
  constexpr int kRange = 64;
  uint64_t total_ours = 0, total_full = 0, evals_ours = 0, evals_full = 0, blocks = 0;
  int found = 0;
  for (const Clip &clip : clips) {
    auto file = capture::Y4mFile::open(std::string(dir) + "/" + clip.name + ".y4m");
    if (!file) {
      continue;
    }
    found++;
    const int w = static_cast<int>(file->header().width);
    const int h = static_cast<int>(file->header().height);
    // Integer vectors on plain SAD: the quantity the exhaustive search
    // minimises, so the ratio measures the search and nothing else.
    auto search = make_cpu_motion_search(Params(16, false, 0));
    FramePyramid pyr[2];
    MotionField fields[2];
    uint64_t ours = 0, full = 0;
    SearchCounters oc, fc;
    for (int f = 0; f <= clip.pairs && static_cast<size_t>(f) < file->frame_count(); ++f) {
      auto frame = file->frame(static_cast<size_t>(f));
      ASSERT_TRUE(frame.ok());
      FramePyramid &cur = pyr[f % 2];
      cur.build(frame->planes[0].data, w, w, h, 4);
      if (f == 0) {
        continue;
      }
      const FramePyramid &ref = pyr[(f + 1) % 2];
      MotionField &out = fields[f % 2];
      search->estimate(cur, ref, f > 1 ? &fields[(f + 1) % 2] : nullptr, out, &oc);
      for (const BlockEstimate &e : out.blocks) {
        ours += e.distortion;
      }
      full += full_search(cur, ref, 16, kRange, nullptr, &fc);
    }
    const double ratio = static_cast<double>(ours) / static_cast<double>(full);
    const double per_block = static_cast<double>(oc.sad_evaluations + oc.satd_evaluations) /
                             static_cast<double>(oc.blocks);
    const double full_per_block =
        static_cast<double>(fc.sad_evaluations) / static_cast<double>(fc.blocks);
    std::printf("%-28s SAD ratio %.4f, %.1f evaluations per block (full search %.0f: %.0fx "
                "fewer)\n",
                clip.name, ratio, per_block, full_per_block, full_per_block / per_block);
    total_ours += ours;
    total_full += full;
    evals_ours += oc.sad_evaluations + oc.satd_evaluations;
    evals_full += fc.sad_evaluations;
    blocks += oc.blocks;
    EXPECT_LE(ratio, 1.05) << clip.name;
    EXPECT_GE(full_per_block / per_block, 20.0) << clip.name;
  }
  if (found == 0) {
    GTEST_SKIP() << "no clips in " << dir;
  }
  std::printf("all clips: SAD ratio %.4f, %.1f evaluations per block, %.0fx fewer than full "
              "search\n",
              static_cast<double>(total_ours) / static_cast<double>(total_full),
              static_cast<double>(evals_ours) / static_cast<double>(blocks),
              static_cast<double>(evals_full) / static_cast<double>(evals_ours));
}

} // namespace
} // namespace quad::me
