// Unit tests of what makes a picture usable as a reference: its memory
// (aligned, zeroed), the margin filled from the picture's edges, the
// decoded picture buffer's marking by the RPS (H.265 8.3.2), and the slice
// header fields of P slices (7.3.6.1, 7.3.7) read back with an independent
// Exp-Golomb reader.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bit_writer.h"
#include "parameter_sets.h"
#include "picture.h"
#include "scene_cut.h"

namespace quad::hevc {
namespace {

TEST(LargeAllocator, AlignsToCacheLinesAndHugePages) {
  std::vector<uint8_t, LargeAllocator<uint8_t>> small(1000, 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % 64, 0u);
  std::vector<uint8_t, LargeAllocator<uint8_t>> large(size_t{1} << 20, 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large.data()) % (size_t{2} << 20), 0u);
  EXPECT_EQ(large.back(), 1);
}

TEST(PictureSamples, LargePictureStartsZeroedAndAligned) {
  PictureSamples pic;
  pic.allocate(1920, 1080, kPictureMargin);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pic.planes[c]) % 64, 0u);
    const int m = c ? kPictureMargin / 2 : kPictureMargin;
    for (int y = -m; y < pic.plane_height(c) + m; y += 7)
      for (int x = -m; x < pic.plane_width(c) + m; x += 5)
        ASSERT_EQ(pic.planes[c][y * pic.stride[c] + x], 0) << "plane " << c;
  }
}

TEST(PictureSamples, MarginRepeatsTheEdges) {
  PictureSamples pic;
  pic.allocate(24, 16, kPictureMargin);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pic.planes[c]) % 64, 0u);
    for (int y = 0; y < pic.plane_height(c); ++y)
      for (int x = 0; x < pic.plane_width(c); ++x)
        pic.planes[c][y * pic.stride[c] + x] = static_cast<uint8_t>(c * 100 + 7 * x + 3 * y);
  }
  pic.extend_borders();
  for (int c = 0; c < 3; ++c) {
    const int m = c ? kPictureMargin / 2 : kPictureMargin;
    const int w = pic.plane_width(c);
    const int h = pic.plane_height(c);
    for (int y = -m; y < h + m; ++y) {
      for (int x = -m; x < w + m; ++x) {
        const int cx = x < 0 ? 0 : x >= w ? w - 1 : x;
        const int cy = y < 0 ? 0 : y >= h ? h - 1 : y;
        ASSERT_EQ(pic.planes[c][y * pic.stride[c] + x], pic.planes[c][cy * pic.stride[c] + cx])
            << "plane " << c << " at (" << x << ", " << y << ")";
      }
    }
  }
}

TEST(DecodedPictureBuffer, KeepsWhatTheRpsNames) {
  DecodedPictureBuffer dpb;
  dpb.configure(16, 16, 2);
  for (int poc = 0; poc < 3; ++poc) {
    ShortTermRps rps;
    if (poc > 0) {
      rps.num_negative = poc;
      for (int i = 0; i < poc; ++i) {
        rps.delta_poc_s0[i] = -(i + 1);
        rps.used_by_curr_s0[i] = true;
      }
    }
    dpb.apply_rps(poc == 0, rps, poc);
    DecodedPicture *pic = dpb.acquire(poc, false);
    ASSERT_NE(pic, nullptr);
    for (int i = 0; i < poc; ++i)
      EXPECT_NE(dpb.find_reference(i), nullptr) << "POC " << i << " before POC " << poc;
    pic->is_reference = true;
  }
  // The RPS of POC 3 names POC 2 only: POC 0 and 1 are no longer references
  // and their storage is recycled.
  ShortTermRps rps;
  rps.num_negative = 1;
  rps.delta_poc_s0[0] = -1;
  dpb.apply_rps(false, rps, 3);
  EXPECT_EQ(dpb.find_reference(0), nullptr);
  EXPECT_EQ(dpb.find_reference(1), nullptr);
  DecodedPicture *kept = dpb.find_reference(2);
  ASSERT_NE(kept, nullptr);
  DecodedPicture *cur = dpb.acquire(3, true);
  EXPECT_NE(cur, kept);
  EXPECT_TRUE(cur->is_reference);
  // An IDR drops every reference; a picture still in use (frame threads:
  // being coded, or predicted from) keeps its storage.
  cur->users = 1;
  dpb.apply_rps(true, ShortTermRps{}, 0);
  EXPECT_EQ(dpb.find_reference(2), nullptr);
  EXPECT_EQ(dpb.find_reference(3), nullptr);
  EXPECT_NE(dpb.acquire(0, true), cur);
}

// A random texture of 8x8 cells (so that a block is not its own mean) at
// a brightness level, moved by (dx, dy).
void fill_texture(PictureSamples &pic, uint32_t seed, int dx, int dy, int level = 0) {
  auto noise = [seed](int x, int y) {
    uint32_t h =
        seed ^ (static_cast<uint32_t>(x) * 73856093u) ^ (static_cast<uint32_t>(y) * 19349663u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    return static_cast<int>((h ^ (h >> 15)) & 255);
  };
  for (int y = 0; y < pic.height; ++y)
    for (int x = 0; x < pic.width; ++x) {
      const int sx = (x + dx) / 8;
      const int sy = (y + dy) / 8;
      pic.planes[0][y * pic.stride[0] + x] = static_cast<uint8_t>(
          level +
          (noise(sx, sy) + noise(sx + 1, sy) + noise(sx, sy + 1) + noise(sx + 1, sy + 1)) / 8);
    }
}

TEST(SceneCutDetector, CutsButNotPans) {
  PictureSamples pic;
  pic.allocate(320, 192, 0);
  SceneCutDetector detector;
  fill_texture(pic, 1, 0, 0);
  EXPECT_FALSE(detector.next(pic)); // the first picture
  fill_texture(pic, 1, 6, 3);
  EXPECT_FALSE(detector.next(pic)); // a pan
  fill_texture(pic, 1, 12, 6);
  EXPECT_FALSE(detector.next(pic));
  fill_texture(pic, 2, 0, 0, 100);
  EXPECT_TRUE(detector.next(pic));  // another scene, brighter
  EXPECT_FALSE(detector.next(pic)); // the same picture again
}

// Reads u(n) and ue(v) MSB first (7.2, 9.2).
class BitReader {
public:
  explicit BitReader(const std::vector<uint8_t> &b) : bytes_(b) {}
  uint32_t u(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i, ++pos_)
      v = (v << 1) | ((bytes_.at(pos_ >> 3) >> (7 - (pos_ & 7))) & 1);
    return v;
  }
  uint32_t ue() {
    int zeros = 0;
    while (u(1) == 0)
      ++zeros;
    return (1u << zeros) - 1 + u(zeros);
  }
  int32_t se() {
    const uint32_t k = ue();
    return k & 1 ? static_cast<int32_t>((k + 1) / 2) : -static_cast<int32_t>(k / 2);
  }

private:
  const std::vector<uint8_t> &bytes_;
  size_t pos_ = 0;
};

TEST(SliceHeader, PSliceWithShortTermRps) {
  SequenceParams sps;
  ASSERT_TRUE(derive_sequence_params(64, 64, 32, 30, 1, sps));
  sps.temporal_mvp = true;
  PictureParams pps;
  pps.init_qp = 30;
  pps.entropy_coding_sync = true;
  SliceHeader sh;
  sh.nal_type = NalUnitType::TrailR;
  sh.slice_type = SliceType::P;
  sh.pic_order_cnt_lsb = 9;
  sh.rps.num_negative = 3;
  const int deltas[3] = {-1, -2, -4};
  for (int i = 0; i < 3; ++i) {
    sh.rps.delta_poc_s0[i] = deltas[i];
    sh.rps.used_by_curr_s0[i] = i != 1;
  }
  sh.temporal_mvp = true;
  sh.num_ref_idx_l0_active = 2;
  sh.collocated_ref_idx = 1;
  sh.max_num_merge_cand = 3;
  sh.slice_qp = 27;
  sh.entry_point_offsets = {5, 300};
  BitWriter bw;
  write_slice_header(bw, sps, pps, sh);

  BitReader r(bw.bytes());
  EXPECT_EQ(r.u(1), 1u);                    // first_slice_segment_in_pic_flag
  EXPECT_EQ(r.ue(), 0u);                    // slice_pic_parameter_set_id
  EXPECT_EQ(r.ue(), 1u);                    // slice_type P
  EXPECT_EQ(r.u(sps.log2_max_poc_lsb), 9u); // slice_pic_order_cnt_lsb
  EXPECT_EQ(r.u(1), 0u);                    // short_term_ref_pic_set_sps_flag
  EXPECT_EQ(r.ue(), 3u);                    // num_negative_pics
  EXPECT_EQ(r.ue(), 0u);                    // num_positive_pics
  int poc = 0;
  for (int i = 0; i < 3; ++i) {
    poc -= static_cast<int>(r.ue()) + 1; // delta_poc_s0_minus1
    EXPECT_EQ(poc, deltas[i]);
    EXPECT_EQ(r.u(1), i != 1 ? 1u : 0u); // used_by_curr_pic_s0_flag
  }
  EXPECT_EQ(r.u(1), 1u);           // slice_temporal_mvp_enabled_flag
  EXPECT_EQ(r.u(1), 1u);           // num_ref_idx_active_override_flag
  EXPECT_EQ(r.ue(), 1u);           // num_ref_idx_l0_active_minus1
  EXPECT_EQ(r.ue(), 1u);           // collocated_ref_idx
  EXPECT_EQ(r.ue(), 2u);           // five_minus_max_num_merge_cand
  EXPECT_EQ(r.se(), -3);           // slice_qp_delta
  EXPECT_EQ(r.ue(), 2u);           // num_entry_point_offsets
  const uint32_t len = r.ue() + 1; // offset_len_minus1
  EXPECT_EQ(len, 9u);
  EXPECT_EQ(r.u(static_cast<int>(len)) + 1, 5u);
  EXPECT_EQ(r.u(static_cast<int>(len)) + 1, 300u);
}

} // namespace
} // namespace quad::hevc
