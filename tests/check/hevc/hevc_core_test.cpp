// Unit tests of the HEVC core's bitstream layer: bit writer, NAL emulation
// prevention, the CABAC engine against an independent decoder written from
// H.265 9.3.4.3, context initialisation, MPM derivation, level derivation
// and the C API: its contract, tc_encode and tc_drain, and the settings
// that change mid-stream.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "bit_writer.h"
#include "cabac.h"
#include "contexts.h"
#include "intra_mode_syntax.h"
#include "parameter_sets.h"
#include "quad/temporal_compression.h"

namespace quad::hevc {
namespace {

TEST(BitWriter, ExpGolomb) {
  BitWriter bw;
  bw.put_ue(0);  // 1
  bw.put_ue(1);  // 010
  bw.put_ue(4);  // 00101
  bw.put_se(-1); // ue(2) = 011
  bw.put_bits(0, 4);
  bw.put_trailing_bits();
  // 1 010 00101 011 0000 1 + 0000000 -> 1010 0010 1011 0000 1000 0000
  ASSERT_EQ(bw.bytes().size(), 3u);
  EXPECT_EQ(bw.bytes()[0], 0xa2);
  EXPECT_EQ(bw.bytes()[1], 0xb0);
  EXPECT_EQ(bw.bytes()[2], 0x80);
}

TEST(NalUnit, EmulationPrevention) {
  std::vector<uint8_t> out;
  append_nal_unit(out, NalUnitType::Sps, {0, 0, 1, 0, 0, 0, 0, 0, 3, 0x80});
  const std::vector<uint8_t> want = {0, 0, 0, 1, 0x42, 0x01, 0, 0, 3,   1,
                                     0, 0, 3, 0, 0,    3,    0, 3, 0x80};
  EXPECT_EQ(out, want);
}

// H.265 9.3.4.3: the arithmetic decoding engine, independent of the
// encoder's code.
class SpecCabacDecoder {
public:
  explicit SpecCabacDecoder(const std::vector<uint8_t> &data) : data_(data) {
    range_ = 510;
    offset_ = read_bits(9);
  }
  int decode_bin(uint8_t &state) {
    const int p = state >> 1;
    int mps = state & 1;
    const uint32_t lps = cabac_tables::kRangeTabLps[p][(range_ >> 6) & 3];
    range_ -= lps;
    int bin;
    if (offset_ >= range_) {
      bin = 1 - mps;
      offset_ -= range_;
      range_ = lps;
      state = cabac_tables::kNextStateLps[state];
    } else {
      bin = mps;
      state = cabac_tables::kNextStateMps[state];
    }
    while (range_ < 256) {
      range_ <<= 1;
      offset_ = (offset_ << 1) | read_bits(1);
    }
    return bin;
  }
  int decode_bypass() {
    offset_ = (offset_ << 1) | read_bits(1);
    if (offset_ >= range_) {
      offset_ -= range_;
      return 1;
    }
    return 0;
  }
  int decode_terminate() {
    range_ -= 2;
    if (offset_ >= range_)
      return 1;
    while (range_ < 256) {
      range_ <<= 1;
      offset_ = (offset_ << 1) | read_bits(1);
    }
    return 0;
  }

private:
  uint32_t read_bits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const size_t byte = pos_ >> 3;
      const int bit = byte < data_.size() ? (data_[byte] >> (7 - (pos_ & 7))) & 1 : 0;
      v = (v << 1) | static_cast<uint32_t>(bit);
      ++pos_;
    }
    return v;
  }
  const std::vector<uint8_t> &data_;
  size_t pos_ = 0;
  uint32_t range_ = 0;
  uint32_t offset_ = 0;
};

TEST(Cabac, RoundTripAgainstSpecDecoder) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    struct Symbol {
      int kind; // 0 context, 1 bypass, 2 terminate 0
      int ctx;
      int bin;
    };
    std::vector<Symbol> symbols;
    const int count = 200 + static_cast<int>(rng() % 5000);
    for (int i = 0; i < count; ++i) {
      const int kind = rng() % 10 < 7 ? 0 : (rng() % 10 < 9 ? 1 : 2);
      const int ctx = static_cast<int>(rng() % 8);
      // Skewed bins so that states move far from equiprobable.
      const int bin = kind == 2 ? 0 : (static_cast<int>(rng() % 100) < 10 + 10 * ctx ? 1 : 0);
      symbols.push_back({kind, ctx, bin});
    }
    BitWriter bw;
    CabacWriter enc;
    enc.contexts.init(0, 26 + trial);
    ContextSet start = enc.contexts;
    enc.start(&bw);
    for (const Symbol &s : symbols) {
      if (s.kind == 0)
        enc.encode_bin(kCtxSigCoeffFlag + s.ctx, s.bin);
      else if (s.kind == 1)
        enc.encode_bypass(s.bin);
      else
        enc.encode_terminate(0);
    }
    enc.encode_terminate(1);
    bw.align_zero();

    SpecCabacDecoder dec(bw.bytes());
    ContextSet states = start;
    for (size_t i = 0; i < symbols.size(); ++i) {
      const Symbol &s = symbols[i];
      int bin;
      if (s.kind == 0)
        bin = dec.decode_bin(states.state[kCtxSigCoeffFlag + s.ctx]);
      else if (s.kind == 1)
        bin = dec.decode_bypass();
      else
        bin = dec.decode_terminate();
      ASSERT_EQ(bin, s.bin) << "trial " << trial << " symbol " << i;
    }
    EXPECT_EQ(dec.decode_terminate(), 1);
    EXPECT_EQ(states.state, enc.contexts.state);
  }
}

TEST(Cabac, BitCounterTracksContexts) {
  CabacWriter writer;
  CabacBitCounter counter;
  writer.contexts.init(0, 32);
  counter.contexts = writer.contexts;
  BitWriter bw;
  writer.start(&bw);
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const int bin = rng() % 100 < 15;
    writer.encode_bin(kCtxCbfLuma, bin);
    counter.encode_bin(kCtxCbfLuma, bin);
  }
  writer.encode_terminate(1);
  EXPECT_EQ(writer.contexts.state, counter.contexts.state);
  // The estimate is within a few percent of the real size.
  const double estimated = static_cast<double>(counter.frac_bits) / kFracBitsPerBit;
  const double actual = static_cast<double>(bw.bit_count());
  EXPECT_NEAR(estimated / actual, 1.0, 0.05);
}

TEST(Contexts, Initialisation) {
  ContextSet set;
  set.init(0, 26);
  // initValue 154 is the equiprobable state at every QP.
  EXPECT_EQ(set.state[kCtxCuTransquantBypassFlag], 1);
  // split_cu_flag ctx 0, initValue 139, QP 26 (9.3.2.2): m = -5, n = 72,
  // preCtxState = ((-5 * 26) >> 4) + 72 = 63 -> pStateIdx 0, valMps 0.
  EXPECT_EQ(set.state[kCtxSplitCuFlag], 0);
}

TEST(MostProbableModes, Derivation) {
  BlockInfoMap info;
  info.resize(64, 64);
  // No neighbours: planar, DC, vertical.
  MostProbableModes m = derive_most_probable_modes(info, 0, 0, 6);
  EXPECT_EQ(m.cand[0], 0);
  EXPECT_EQ(m.cand[1], 1);
  EXPECT_EQ(m.cand[2], 26);
  // Left angular 10, above the same: 10 and its two neighbours.
  info.fill(0, 8, 8, [](BlockInfo &b) { b.intra_luma_mode = 10; });
  info.fill(8, 0, 8, [](BlockInfo &b) { b.intra_luma_mode = 10; });
  m = derive_most_probable_modes(info, 8, 8, 6);
  EXPECT_EQ(m.cand[0], 10);
  EXPECT_EQ(m.cand[1], 9);
  EXPECT_EQ(m.cand[2], 11);
  EXPECT_EQ(m.rem_of(12), 9);
  // Different left (2) and above (0): third is DC.
  info.fill(0, 8, 8, [](BlockInfo &b) { b.intra_luma_mode = 2; });
  info.fill(8, 0, 8, [](BlockInfo &b) { b.intra_luma_mode = 0; });
  m = derive_most_probable_modes(info, 8, 8, 6);
  EXPECT_EQ(m.cand[2], 1);
  // The above neighbour in the CTU row above counts as DC.
  m = derive_most_probable_modes(info, 8, 8, 3);
  EXPECT_EQ(m.cand[1], 1);
}

TEST(Levels, DerivedFromSizeAndRate) {
  EXPECT_EQ(derive_level_idc(176, 144, 15, 1), 30);
  EXPECT_EQ(derive_level_idc(1920, 1080, 30, 1), 120);
  EXPECT_EQ(derive_level_idc(1920, 1080, 60, 1), 123);
  EXPECT_EQ(derive_level_idc(3840, 2160, 60, 1), 153);
  EXPECT_EQ(derive_level_idc(8192, 4320, 30, 1), 180);
}

TEST(SequenceParams, ConformanceWindow) {
  SequenceParams p;
  ASSERT_TRUE(derive_sequence_params(1366, 768, 64, 30, 1, p));
  EXPECT_EQ(p.width, 1368);
  EXPECT_EQ(p.height, 768);
  EXPECT_FALSE(derive_sequence_params(15, 16, 64, 30, 1, p));
  EXPECT_FALSE(derive_sequence_params(18, 16, 8, 30, 1, p));
}

TEST(CApi, Contract) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 64;
  cfg.height = 48;
  TCEncoder *enc = nullptr;
  cfg.ctu_size = 8;
  EXPECT_EQ(tc_init(&cfg, &enc), TC_ERROR_INVALID_ARGUMENT);
  cfg.ctu_size = 16;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  EXPECT_EQ(tc_set_gop_structure(enc, TC_GOP_LOW_DELAY_B, 30), TC_ERROR_UNSUPPORTED);
  EXPECT_EQ(tc_set_gop_structure(enc, TC_GOP_LOW_DELAY_P, 30), TC_OK);
  EXPECT_EQ(tc_set_gop_structure(enc, TC_GOP_ALL_INTRA, 10), TC_OK);

  std::vector<uint8_t> y(64 * 48, 90), u(32 * 24, 120), v(32 * 24, 140);
  const uint8_t *planes[3] = {y.data(), u.data(), v.data()};
  const ptrdiff_t strides[3] = {64, 32, 32};
  uint8_t small[8];
  EXPECT_EQ(tc_process_frame(enc, planes, strides, small, sizeof small), TC_ERROR_BUFFER_TOO_SMALL);
  const size_t need = tc_last_required_size(enc);
  ASSERT_GT(need, sizeof small);
  std::vector<uint8_t> out(need);
  const int n = tc_process_frame(enc, planes, strides, out.data(), out.size());
  ASSERT_EQ(n, static_cast<int>(need));
  // Annex B: a start code and a VPS first.
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[3], 1);
  EXPECT_EQ(out[4] >> 1, 32);

  const uint8_t *rec[3];
  ptrdiff_t rec_stride[3];
  ASSERT_EQ(tc_get_reconstruction(enc, rec, rec_stride), TC_OK);
  // A flat picture reconstructs closely at QP 32.
  EXPECT_NEAR(rec[0][0], 90, 2);
  tc_destroy(enc);
}

// tc_encode: every picture comes out of its call (nothing held in this
// version) with its pts and opaque handle, its type and key-frame flag, and
// the same bytes tc_process_frame writes.
TEST(CApi, EncodeReturnsEachPictureWithWhatItIs) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 64;
  cfg.height = 48;
  cfg.ctu_size = 16;
  cfg.key_int_max = 3;
  TCEncoder *enc = nullptr, *reference = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  ASSERT_EQ(tc_init(&cfg, &reference), TC_OK);
  EXPECT_EQ(tc_held_pictures(enc), 0);
  EXPECT_EQ(tc_held_pictures(nullptr), TC_ERROR_INVALID_ARGUMENT);

  std::vector<uint8_t> y(64 * 48), u(32 * 24, 120), v(32 * 24, 140);
  int handles[6];
  for (int i = 0; i < 6; ++i) {
    for (size_t k = 0; k < y.size(); ++k)
      y[k] = static_cast<uint8_t>(k * 7 + i * 13);
    TCPicture in = {};
    in.planes[0] = y.data();
    in.planes[1] = u.data();
    in.planes[2] = v.data();
    in.strides[0] = 64;
    in.strides[1] = in.strides[2] = 32;
    in.pts = 1000 * i + 7;
    in.opaque = &handles[i];
    in.force_idr = i == 4;
    if (i == 4) {
      ASSERT_EQ(tc_request_idr(reference), TC_OK);
    }
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1) << "picture " << i;
    EXPECT_EQ(out.pts, 1000 * i + 7);
    EXPECT_EQ(out.opaque, &handles[i]);
    // IDR every key_int_max pictures, and on request.
    const bool idr = i == 0 || i == 3 || i == 4;
    EXPECT_EQ(out.type, idr ? TC_PICTURE_IDR : TC_PICTURE_I) << "picture " << i;
    EXPECT_EQ(out.key_frame != 0, idr) << "picture " << i;
    EXPECT_EQ(out.qp, cfg.qp);
    EXPECT_EQ(out.bits, static_cast<int64_t>(out.size) * 8);
    EXPECT_EQ(tc_held_pictures(enc), 0);

    std::vector<uint8_t> expected(1 << 16);
    const int n =
        tc_process_frame(reference, in.planes, in.strides, expected.data(), expected.size());
    ASSERT_GT(n, 0);
    expected.resize(static_cast<size_t>(n));
    EXPECT_EQ(std::vector<uint8_t>(out.data, out.data + out.size), expected) << "picture " << i;
  }
  TCCodedPicture out;
  EXPECT_EQ(tc_drain(enc, &out), 0);
  tc_destroy(enc);
  tc_destroy(reference);
}

// NV12 through tc_encode codes what the same picture as I420 codes.
TEST(CApi, EncodeTakesNv12) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 32;
  cfg.height = 16;
  cfg.ctu_size = 16;
  TCEncoder *i420 = nullptr, *nv12 = nullptr;
  ASSERT_EQ(tc_init(&cfg, &i420), TC_OK);
  ASSERT_EQ(tc_init(&cfg, &nv12), TC_OK);
  std::vector<uint8_t> y(32 * 16), u(16 * 8), v(16 * 8), uv(32 * 8);
  for (size_t k = 0; k < y.size(); ++k)
    y[k] = static_cast<uint8_t>(k * 5);
  for (size_t k = 0; k < u.size(); ++k) {
    u[k] = static_cast<uint8_t>(100 + k);
    v[k] = static_cast<uint8_t>(200 - k);
    uv[2 * k] = u[k];
    uv[2 * k + 1] = v[k];
  }
  TCPicture a = {};
  a.planes[0] = y.data();
  a.planes[1] = u.data();
  a.planes[2] = v.data();
  a.strides[0] = 32;
  a.strides[1] = a.strides[2] = 16;
  TCPicture b = {};
  b.format = TC_FORMAT_NV12;
  b.planes[0] = y.data();
  b.planes[1] = uv.data();
  b.strides[0] = b.strides[1] = 32;
  TCCodedPicture out_a, out_b;
  ASSERT_EQ(tc_encode(i420, &a, &out_a), 1);
  ASSERT_EQ(tc_encode(nv12, &b, &out_b), 1);
  EXPECT_EQ(std::vector<uint8_t>(out_a.data, out_a.data + out_a.size),
            std::vector<uint8_t>(out_b.data, out_b.data + out_b.size));
  tc_destroy(i420);
  tc_destroy(nv12);
}

TEST(CApi, EncodeRefusesBadInput) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 32;
  cfg.height = 16;
  cfg.ctu_size = 16;
  TCEncoder *enc = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  std::vector<uint8_t> plane(32 * 16, 128);
  TCPicture in = {};
  in.planes[0] = in.planes[1] = plane.data();
  in.strides[0] = in.strides[1] = in.strides[2] = 32;
  TCCodedPicture out;
  // I420 needs its Cr plane.
  EXPECT_EQ(tc_encode(enc, &in, &out), TC_ERROR_INVALID_ARGUMENT);
  in.planes[2] = plane.data();
  in.format = static_cast<TCPixelFormat>(7);
  EXPECT_EQ(tc_encode(enc, &in, &out), TC_ERROR_INVALID_ARGUMENT);
  in.format = TC_FORMAT_I420;
  EXPECT_EQ(tc_encode(nullptr, &in, &out), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_encode(enc, &in, nullptr), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_drain(nullptr, &out), TC_ERROR_INVALID_ARGUMENT);

  // A tc_process_frame picture waiting for a larger buffer is not dropped.
  uint8_t small[4];
  ASSERT_EQ(tc_process_frame(enc, in.planes, in.strides, small, sizeof small),
            TC_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(tc_encode(enc, &in, &out), TC_ERROR_INVALID_ARGUMENT);
  std::vector<uint8_t> big(tc_last_required_size(enc));
  EXPECT_GT(tc_process_frame(enc, in.planes, in.strides, big.data(), big.size()), 0);
  EXPECT_EQ(tc_encode(enc, &in, &out), 1);
  tc_destroy(enc);
}

// A moving textured picture of 176x144 for the rate tests.
struct MovingPicture {
  std::vector<uint8_t> y = std::vector<uint8_t>(176 * 144);
  std::vector<uint8_t> u = std::vector<uint8_t>(88 * 72, 110);
  std::vector<uint8_t> v = std::vector<uint8_t>(88 * 72, 150);
  TCPicture at(int index) {
    std::mt19937 rng(7);
    for (int row = 0; row < 144; ++row)
      for (int col = 0; col < 176; ++col)
        y[row * 176 + col] =
            static_cast<uint8_t>(((col + 2 * index) * 9 ^ (row + index) * 5) + (rng() & 15));
    TCPicture in = {};
    in.planes[0] = y.data();
    in.planes[1] = u.data();
    in.planes[2] = v.data();
    in.strides[0] = 176;
    in.strides[1] = in.strides[2] = 88;
    return in;
  }
};

TCConfig moving_config() {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 176;
  cfg.height = 144;
  cfg.ctu_size = 16;
  cfg.key_int_max = 0;
  cfg.gop = TC_GOP_LOW_DELAY_P;
  return cfg;
}

// Setters with the values the encoder has change nothing: the stream is the
// one an untouched encoder writes.
TEST(CApi, SettersKeepTheStreamWhenNothingChanges) {
  TCConfig cfg = moving_config();
  cfg.bitrate_kbps = 300;
  TCEncoder *touched = nullptr, *reference = nullptr;
  ASSERT_EQ(tc_init(&cfg, &touched), TC_OK);
  ASSERT_EQ(tc_init(&cfg, &reference), TC_OK);
  MovingPicture picture;
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(tc_set_qp(touched, cfg.qp), TC_OK);
    ASSERT_EQ(tc_set_key_int_max(touched, cfg.key_int_max), TC_OK);
    ASSERT_EQ(tc_set_speed_preset(touched, cfg.speed_preset), TC_OK);
    const TCPicture in = picture.at(i);
    TCCodedPicture a, b;
    ASSERT_EQ(tc_encode(touched, &in, &a), 1);
    ASSERT_EQ(tc_encode(reference, &in, &b), 1);
    EXPECT_EQ(std::vector<uint8_t>(a.data, a.data + a.size),
              std::vector<uint8_t>(b.data, b.data + b.size))
        << "picture " << i;
  }
  tc_destroy(touched);
  tc_destroy(reference);
}

TEST(CApi, SettersRefuseBadArguments) {
  TCConfig cfg = moving_config();
  TCEncoder *enc = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  EXPECT_EQ(tc_set_qp(nullptr, 30), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_qp(enc, -1), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_qp(enc, 52), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_bitrate(nullptr, 300, 500), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_bitrate(enc, -1, 500), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_bitrate(enc, 300, 0), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_bitrate(enc, 0, 0), TC_OK);
  EXPECT_EQ(tc_set_key_int_max(nullptr, 30), TC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tc_set_key_int_max(enc, -1), TC_ERROR_INVALID_ARGUMENT);
  tc_destroy(enc);
}

// tc_set_qp: the next P picture is at the new QP, with no new IDR.
TEST(CApi, QpChangesMidStream) {
  TCConfig cfg = moving_config();
  cfg.qp = 24;
  TCEncoder *enc = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  MovingPicture picture;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      ASSERT_EQ(tc_set_qp(enc, 38), TC_OK);
    }
    const TCPicture in = picture.at(i);
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1);
    EXPECT_EQ(out.key_frame != 0, i == 0);
    EXPECT_EQ(out.qp, i == 0 ? 24 - 3 : i < 3 ? 24 : 38) << "picture " << i;
  }
  tc_destroy(enc);
}

// tc_set_bitrate: the rate control moves to the new rate within the stream,
// from constant QP to a rate and back.
TEST(CApi, BitrateChangesMidStream) {
  TCConfig cfg = moving_config();
  cfg.bitrate_kbps = 400;
  cfg.vbv_buffer_ms = 500;
  TCEncoder *enc = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  MovingPicture picture;
  double bits[2] = {0, 0};
  for (int i = 0; i < 80; ++i) {
    if (i == 40) {
      ASSERT_EQ(tc_set_bitrate(enc, 100, 500), TC_OK);
    }
    const TCPicture in = picture.at(i);
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1);
    EXPECT_EQ(out.key_frame != 0, i == 0);
    if (i % 40 >= 20)
      bits[i / 40] += static_cast<double>(out.bits) / 20;
  }
  EXPECT_NEAR(bits[0], 400000 / 30.0, 0.2 * 400000 / 30.0);
  EXPECT_NEAR(bits[1], 100000 / 30.0, 0.2 * 100000 / 30.0);

  // Back to constant QP: every P picture at qp again.
  ASSERT_EQ(tc_set_bitrate(enc, 0, 0), TC_OK);
  for (int i = 80; i < 83; ++i) {
    const TCPicture in = picture.at(i);
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1);
    EXPECT_EQ(out.qp, cfg.qp);
  }
  // And to a rate from constant QP, starting from qp.
  ASSERT_EQ(tc_set_bitrate(enc, 100, 500), TC_OK);
  std::vector<int> qps;
  for (int i = 83; i < 90; ++i) {
    const TCPicture in = picture.at(i);
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1);
    qps.push_back(out.qp);
  }
  EXPECT_EQ(qps.front(), cfg.qp);
  EXPECT_GT(qps.back(), cfg.qp) << "100 kbit/s needs a coarser QP than " << cfg.qp;
  tc_destroy(enc);
}

// tc_set_key_int_max: the period counts from the last IDR; a period already
// passed makes the next picture an IDR; 0 ends periodic IDRs.
TEST(CApi, KeyIntMaxChangesMidStream) {
  TCConfig cfg = moving_config();
  cfg.key_int_max = 10;
  TCEncoder *enc = nullptr;
  ASSERT_EQ(tc_init(&cfg, &enc), TC_OK);
  MovingPicture picture;
  std::vector<int> idrs;
  for (int i = 0; i < 40; ++i) {
    if (i == 5) {
      ASSERT_EQ(tc_set_key_int_max(enc, 3), TC_OK);
    }
    if (i == 14) {
      ASSERT_EQ(tc_set_key_int_max(enc, 0), TC_OK);
    }
    const TCPicture in = picture.at(i);
    TCCodedPicture out;
    ASSERT_EQ(tc_encode(enc, &in, &out), 1);
    if (out.key_frame)
      idrs.push_back(i);
  }
  // 5 pictures since the IDR at 0 exceed 3: an IDR at 5, then 8 and 11.
  EXPECT_EQ(idrs, (std::vector<int>{0, 5, 8, 11}));
  tc_destroy(enc);
}

} // namespace
} // namespace quad::hevc
