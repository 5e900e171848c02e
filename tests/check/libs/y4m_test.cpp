// Y4M reader: header tokens, frame indexing, errors, real clips, and a seeded
// mutation run that must stay in bounds and agree with a plain reference scan.
#include "gst/quadcapture/y4m.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace quad::capture {
namespace {

std::span<const uint8_t> bytes_of(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

// Payload bytes that differ per frame and per position.
std::string payload(size_t frame, size_t size) {
  std::string p(size, '\0');
  for (size_t i = 0; i < size; ++i)
    p[i] = static_cast<char>((frame * 37 + i * 11 + 5) & 0xff);
  return p;
}

// header_line has no newline; frame_header(i) returns the line after "FRAME"
// (e.g. "" or " Ixyz") so that FRAME parameters can be tested.
std::string make_stream(const std::string &header_line, size_t frame_size, size_t frames,
                        std::string (*frame_header)(size_t) = nullptr) {
  std::string s = header_line + "\n";
  for (size_t i = 0; i < frames; ++i) {
    s += "FRAME" + (frame_header ? frame_header(i) : std::string()) + "\n";
    s += payload(i, frame_size);
  }
  return s;
}

Y4mHeader header_of(const std::string &line) {
  const std::string s = line + "\n";
  auto h = parse_y4m_header(bytes_of(s));
  EXPECT_TRUE(h.ok()) << line << ": " << h.error();
  return h.ok() ? h.value() : Y4mHeader{};
}

std::string header_error(const std::string &s) {
  auto h = parse_y4m_header(bytes_of(s));
  EXPECT_FALSE(h.ok()) << "accepted: " << s.substr(0, 80);
  return h.error();
}

// ---- stream header ----

TEST(Y4mHeader, MinimalDefaults) {
  const Y4mHeader h = header_of("YUV4MPEG2 W4 H2");
  EXPECT_EQ(h.width, 4u);
  EXPECT_EQ(h.height, 2u);
  EXPECT_EQ(h.colourspace, "420jpeg");
  EXPECT_EQ(h.subsampling, Y4mSubsampling::k420);
  EXPECT_EQ(h.chroma_siting, Y4mChromaSiting::kCentre);
  EXPECT_EQ(h.interlace, Y4mInterlace::kProgressive);
  EXPECT_FALSE(h.frame_rate.known());
  EXPECT_FALSE(h.pixel_aspect.known());
  EXPECT_EQ(h.colour_range, Y4mColourRange::kUnspecified);
  EXPECT_TRUE(h.extensions.empty());
  EXPECT_EQ(h.header_size, 16u);
}

TEST(Y4mHeader, EveryColourspaceAndItsPlaneSizes) {
  struct Case {
    const char *c;
    Y4mSubsampling sub;
    Y4mChromaSiting siting;
    uint32_t cw, ch;
  };
  // 5x3 makes every ceil() visible.
  const Case cases[] = {
      {"420jpeg", Y4mSubsampling::k420, Y4mChromaSiting::kCentre, 3, 2},
      {"420mpeg2", Y4mSubsampling::k420, Y4mChromaSiting::kLeft, 3, 2},
      {"420paldv", Y4mSubsampling::k420, Y4mChromaSiting::kPalDv, 3, 2},
      {"420", Y4mSubsampling::k420, Y4mChromaSiting::kCentre, 3, 2},
      {"422", Y4mSubsampling::k422, Y4mChromaSiting::kLeft, 3, 3},
      {"444", Y4mSubsampling::k444, Y4mChromaSiting::kUnspecified, 5, 3},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.c);
    const Y4mHeader h = header_of(std::string("YUV4MPEG2 W5 H3 C") + c.c);
    EXPECT_EQ(h.colourspace, c.c);
    EXPECT_EQ(h.subsampling, c.sub);
    EXPECT_EQ(h.chroma_siting, c.siting);
    EXPECT_EQ(h.chroma_width(), c.cw);
    EXPECT_EQ(h.chroma_height(), c.ch);
    EXPECT_EQ(h.luma_size(), 15u);
    EXPECT_EQ(h.chroma_size(), size_t{c.cw} * c.ch);
    EXPECT_EQ(h.frame_size(), 15u + 2 * c.cw * c.ch);
  }
}

TEST(Y4mHeader, InterlaceModes) {
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 Ip").interlace, Y4mInterlace::kProgressive);
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 It").interlace, Y4mInterlace::kTopFieldFirst);
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 Ib").interlace, Y4mInterlace::kBottomFieldFirst);
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 Im").interlace, Y4mInterlace::kMixed);
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 I?").interlace, Y4mInterlace::kUnknown);
}

TEST(Y4mHeader, RatesAndAspects) {
  const Y4mHeader h = header_of("YUV4MPEG2 W4 H4 F30000:1001 A128:117");
  EXPECT_EQ(h.frame_rate, (Y4mRatio{30000, 1001}));
  EXPECT_EQ(h.pixel_aspect, (Y4mRatio{128, 117}));
  EXPECT_FALSE(header_of("YUV4MPEG2 W4 H4 F0:0").frame_rate.known());
  EXPECT_FALSE(header_of("YUV4MPEG2 W4 H4 A0:0").pixel_aspect.known());
  // Aspect is advice only: a half-zero ratio reads as unknown.
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 A1:0").pixel_aspect, Y4mRatio{});
}

// Ratios are kept in lowest terms, so each term fits a signed 32-bit int
// where it can; an aspect that cannot is dropped (it is advice).
TEST(Y4mHeader, RatiosAreReduced) {
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 F60:2 A32:22").frame_rate, (Y4mRatio{30, 1}));
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 F60:2 A32:22").pixel_aspect, (Y4mRatio{16, 11}));
  // 4294967295 = 3 * 1431655765.
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 F3:4294967295").frame_rate, (Y4mRatio{1, 1431655765}));
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 F1000:1").frame_rate, (Y4mRatio{1000, 1}));
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 F4000:4").frame_rate, (Y4mRatio{1000, 1}));
  EXPECT_FALSE(header_of("YUV4MPEG2 W4 H4 A4294967295:2").pixel_aspect.known());
  EXPECT_EQ(header_of("YUV4MPEG2 W4 H4 A2147483647:1").pixel_aspect, (Y4mRatio{2147483647, 1}));
}

// The token sets FFmpeg writes for the project's clips.
TEST(Y4mHeader, RealFileTokenSets) {
  {
    const Y4mHeader h =
        header_of("YUV4MPEG2 W352 H288 F30000:1001 Ip A0:0 C420jpeg XYSCSS=420JPEG");
    EXPECT_EQ(h.width, 352u);
    EXPECT_EQ(h.height, 288u);
    EXPECT_EQ(h.frame_rate, (Y4mRatio{30000, 1001}));
    EXPECT_FALSE(h.pixel_aspect.known());
    EXPECT_EQ(h.chroma_siting, Y4mChromaSiting::kCentre);
    EXPECT_EQ(h.extensions, std::vector<std::string>{"YSCSS=420JPEG"});
    EXPECT_EQ(h.colour_range, Y4mColourRange::kUnspecified);
  }
  {
    const Y4mHeader h = header_of("YUV4MPEG2 W176 H144 F30000:1001 Ip A128:117 C420mpeg2 "
                                  "XYSCSS=420MPEG2");
    EXPECT_EQ(h.pixel_aspect, (Y4mRatio{128, 117}));
    EXPECT_EQ(h.chroma_siting, Y4mChromaSiting::kLeft);
    EXPECT_EQ(h.frame_size(), 176u * 144 * 3 / 2);
  }
  {
    const Y4mHeader h = header_of("YUV4MPEG2 W1280 H720 F50:1 Ip A0:0 C420jpeg "
                                  "XYSCSS=420JPEG XCOLORRANGE=LIMITED");
    EXPECT_EQ(h.frame_rate, (Y4mRatio{50, 1}));
    EXPECT_EQ(h.colour_range, Y4mColourRange::kLimited);
    EXPECT_EQ(h.extensions, (std::vector<std::string>{"YSCSS=420JPEG", "COLORRANGE=LIMITED"}));
  }
  {
    const Y4mHeader h = header_of("YUV4MPEG2 W1920 H1080 F25:1 Ip A0:0 C420mpeg2 "
                                  "XYSCSS=420MPEG2 XCOLORRANGE=LIMITED");
    EXPECT_EQ(h.frame_size(), 1920u * 1080 * 3 / 2);
    EXPECT_EQ(h.colour_range, Y4mColourRange::kLimited);
  }
  EXPECT_EQ(header_of("YUV4MPEG2 W8 H6 XCOLORRANGE=FULL").colour_range, Y4mColourRange::kFull);
  EXPECT_EQ(header_of("YUV4MPEG2 W8 H6 XCOLORRANGE=weird").colour_range,
            Y4mColourRange::kUnspecified);
}

TEST(Y4mHeader, UnknownTokensAndExtraSpacesAreIgnored) {
  const Y4mHeader h = header_of("YUV4MPEG2  W8   H6 Zzz Q 7 w99 C444 ");
  EXPECT_EQ(h.width, 8u);
  EXPECT_EQ(h.height, 6u);
  EXPECT_EQ(h.subsampling, Y4mSubsampling::k444);
}

TEST(Y4mHeader, TokenOrderDoesNotMatter) {
  const Y4mHeader h = header_of("YUV4MPEG2 C422 F25:1 H6 W8");
  EXPECT_EQ(h.width, 8u);
  EXPECT_EQ(h.height, 6u);
  EXPECT_EQ(h.subsampling, Y4mSubsampling::k422);
}

TEST(Y4mHeader, LimitsAreInclusive) {
  EXPECT_EQ(header_of("YUV4MPEG2 W1 H1").frame_size(), 3u);
  EXPECT_EQ(header_of("YUV4MPEG2 W16384 H16384 C444").frame_size(), size_t{3} * 16384 * 16384);
}

// ---- stream header errors ----

TEST(Y4mHeaderError, BadMagic) {
  EXPECT_EQ(header_error(""), "not a Y4M file (empty)");
  EXPECT_EQ(header_error("RIFF\x10\0\0\0WAVE"), "not a Y4M file (bad magic)");
  EXPECT_EQ(header_error("YUV4MPEG W4 H4\n"), "not a Y4M file (bad magic)");
  EXPECT_EQ(header_error("YUV4MPEG2X W4 H4\n"), "not a Y4M file (bad magic)");
  EXPECT_EQ(header_error("YUV4"), "not a Y4M file (bad magic)");
}

TEST(Y4mHeaderError, HeaderLineBounds) {
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4"),
            "truncated stream header (no newline before end of data)");
  EXPECT_EQ(header_error("YUV4MPEG2"), "truncated stream header (no newline before end of data)");
  const std::string long_line = "YUV4MPEG2 W4 H4 X" + std::string(kY4mMaxHeaderLine, 'a') + "\n";
  EXPECT_EQ(header_error(long_line), "stream header too long (no newline in the first 4096 bytes)");
  // Exactly the limit, newline included, is fine.
  std::string at_limit = "YUV4MPEG2 W4 H4 X";
  at_limit += std::string(kY4mMaxHeaderLine - at_limit.size() - 1, 'a') + "\n";
  ASSERT_EQ(at_limit.size(), kY4mMaxHeaderLine);
  EXPECT_TRUE(parse_y4m_header(bytes_of(at_limit)).ok());
}

TEST(Y4mHeaderError, MissingOrBadDimensions) {
  EXPECT_EQ(header_error("YUV4MPEG2 H4\n"), "missing width");
  EXPECT_EQ(header_error("YUV4MPEG2\n"), "missing width");
  EXPECT_EQ(header_error("YUV4MPEG2 W4\n"), "missing height");
  EXPECT_EQ(header_error("YUV4MPEG2 W4a H4\n"), "bad width W4a");
  EXPECT_EQ(header_error("YUV4MPEG2 W H4\n"), "bad width W");
  EXPECT_EQ(header_error("YUV4MPEG2 W-4 H4\n"), "bad width W-4");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H99999999999\n"), "bad height H99999999999");
  EXPECT_EQ(header_error("YUV4MPEG2 W100000 H5\n"),
            "absurd dimensions 100000x5 (max 16384x16384, min 1x1)");
  EXPECT_EQ(header_error("YUV4MPEG2 W0 H5\n"), "absurd dimensions 0x5 (max 16384x16384, min 1x1)");
  EXPECT_EQ(header_error("YUV4MPEG2 W16384 H16385\n"),
            "absurd dimensions 16384x16385 (max 16384x16384, min 1x1)");
}

TEST(Y4mHeaderError, BadFrameRate) {
  for (const char *f :
       {"F30", "F:1", "F30:", "F1:0", "F0:1", "Fabc:1", "F1:2:3", "F99999999999:1", "F"}) {
    SCOPED_TRACE(f);
    const std::string msg = header_error(std::string("YUV4MPEG2 W4 H4 ") + f + "\n");
    EXPECT_EQ(msg, std::string("bad frame rate ") + f + " (expected F<num>:<den>)");
  }
}

// What the reader accepts is what quadcapturesrc's template says: up to 1000
// frames per second, terms up to 2^31 - 1 once reduced.
TEST(Y4mHeaderError, FrameRateOutOfRange) {
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 F1001:1\n"),
            "frame rate F1001:1 above 1000 frames per second");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 F4294967295:4294967294\n"),
            "frame rate F4294967295:4294967294 out of range (terms up to 2147483647 once reduced)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 F1:4294967294\n"),
            "frame rate F1:4294967294 out of range (terms up to 2147483647 once reduced)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 F2000001:2000\n"),
            "frame rate F2000001:2000 above 1000 frames per second");
}

TEST(Y4mHeaderError, BadAspectAndInterlace) {
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 A1\n"),
            "bad pixel aspect ratio A1 (expected A<num>:<den>)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 Ix\n"),
            "bad interlace mode Ix (expected Ip, It, Ib, Im or I?)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 Ipp\n"),
            "bad interlace mode Ipp (expected Ip, It, Ib, Im or I?)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 I\n"),
            "bad interlace mode I (expected Ip, It, Ib, Im or I?)");
}

TEST(Y4mHeaderError, UnsupportedColourspaces) {
  for (const char *c :
       {"420p10", "422p12", "444p16", "420p9", "444alpha", "mono", "mono16", "411", "440", "410"}) {
    SCOPED_TRACE(c);
    EXPECT_EQ(header_error(std::string("YUV4MPEG2 W4 H4 C") + c + "\n"),
              std::string("unsupported colourspace C") + c + " (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
  }
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 Cfoo\n"),
            "unknown colourspace Cfoo (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
  EXPECT_EQ(header_error("YUV4MPEG2 W4 H4 C\n"),
            "unknown colourspace C (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
}

TEST(Y4mHeaderError, QuotedBytesAreShortAndPrintable) {
  const std::string msg = header_error("YUV4MPEG2 W4 H4 C\x01\xff" + std::string(100, 'z') + "\n");
  EXPECT_EQ(msg, "unknown colourspace C\\x01\\xff" + std::string(30, 'z') +
                     "... (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
}

// ---- frames ----

void expect_frame_matches(const Y4mFrame &f, const std::string &s, size_t i, const Y4mHeader &h) {
  const auto *base = reinterpret_cast<const uint8_t *>(s.data());
  EXPECT_EQ(f.index, i);
  EXPECT_EQ(f.payload_size, h.frame_size());
  EXPECT_EQ(f.payload, base + f.payload_offset);
  EXPECT_EQ(f.planes[0].data, f.payload);
  EXPECT_EQ(f.planes[0].size, h.luma_size());
  EXPECT_EQ(f.planes[1].data, f.payload + h.luma_size());
  EXPECT_EQ(f.planes[2].data, f.payload + h.luma_size() + h.chroma_size());
  EXPECT_EQ(f.planes[1].width, h.chroma_width());
  EXPECT_EQ(f.planes[2].height, h.chroma_height());
  EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(f.payload), f.payload_size),
            payload(i, h.frame_size()));
}

TEST(Y4mStream, FixedStrideFrames) {
  const std::string hl = "YUV4MPEG2 W8 H6 F25:1 C420jpeg";
  const std::string s = make_stream(hl, 72, 5);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok()) << r.error();
  Y4mStream &st = *r;
  EXPECT_TRUE(st.fixed_stride());
  EXPECT_EQ(st.frame_count(), 5u);
  EXPECT_FALSE(st.last_frame_truncated());
  EXPECT_EQ(st.tail().kind, Y4mEnd::kClean);
  for (size_t i = 0; i < 5; ++i) {
    auto f = st.frame(i);
    ASSERT_TRUE(f.ok()) << f.error();
    expect_frame_matches(*f, s, i, st.header());
    EXPECT_EQ(f->payload_offset, hl.size() + 1 + i * 78 + 6);
    EXPECT_TRUE(f->parameters.empty());
  }
  EXPECT_EQ(st.frame(5).error(), "frame 5 out of range (5 frames)");
  EXPECT_EQ(st.frame(SIZE_MAX).error(),
            "frame " + std::to_string(SIZE_MAX) + " out of range (5 frames)");
}

TEST(Y4mStream, HeaderOnlyHasNoFrames) {
  const std::string s = "YUV4MPEG2 W8 H6\n";
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->frame_count(), 0u);
  EXPECT_EQ(r->tail().kind, Y4mEnd::kClean);
  EXPECT_EQ(r->frame(0).error(), "frame 0 out of range (0 frames)");
}

TEST(Y4mStream, SubsampledLayouts) {
  for (const char *c : {"422", "444", "420mpeg2"}) {
    SCOPED_TRACE(c);
    const Y4mHeader h = header_of(std::string("YUV4MPEG2 W5 H3 C") + c);
    const std::string s = make_stream(std::string("YUV4MPEG2 W5 H3 C") + c, h.frame_size(), 3);
    auto r = Y4mStream::parse(bytes_of(s));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->frame_count(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      auto f = r->frame(i);
      ASSERT_TRUE(f.ok()) << f.error();
      expect_frame_matches(*f, s, i, h);
    }
  }
}

std::string with_parameters(size_t i) {
  return i % 2 ? " Ibp Xfoo=" + std::to_string(i) : std::string();
}

TEST(Y4mStream, FrameParametersAreScanned) {
  const std::string s = make_stream("YUV4MPEG2 W4 H4 Im", 24, 5, with_parameters);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->fixed_stride());
  ASSERT_EQ(r->frame_count(), 5u);
  EXPECT_EQ(r->tail().kind, Y4mEnd::kClean);
  for (size_t i = 0; i < 5; ++i) {
    auto f = r->frame(i);
    ASSERT_TRUE(f.ok()) << f.error();
    expect_frame_matches(*f, s, i, r->header());
    EXPECT_EQ(f->parameters, i % 2 ? "Ibp Xfoo=" + std::to_string(i) : std::string());
  }
}

std::string per_frame_interlace(size_t i) {
  static const char *const kParams[] = {" Itiy", " Ibiy", " I1py", " Ix", "", " ", " I2"};
  return kParams[i];
}

TEST(Y4mStream, PerFrameInterlace) {
  const std::string s = make_stream("YUV4MPEG2 W4 H4 Im", 24, 7, per_frame_interlace);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->frame_count(), 7u);
  const Y4mInterlace want[] = {Y4mInterlace::kTopFieldFirst, Y4mInterlace::kBottomFieldFirst,
                               Y4mInterlace::kProgressive,   Y4mInterlace::kMixed,
                               Y4mInterlace::kMixed,         Y4mInterlace::kMixed,
                               Y4mInterlace::kProgressive};
  for (size_t i = 0; i < 7; ++i) {
    auto f = r->frame(i);
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_EQ(f->interlace, want[i]) << i;
  }
  EXPECT_EQ(r->frame(5)->parameters, "");
}

TEST(Y4mStream, StreamInterlaceAppliesToBareFrames) {
  const std::string s = make_stream("YUV4MPEG2 W4 H4 Ib", 24, 2);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->frame(1)->interlace, Y4mInterlace::kBottomFieldFirst);
}

TEST(Y4mStream, TruncatedLastFrame) {
  const std::string full = make_stream("YUV4MPEG2 W4 H4", 24, 3);
  const std::string s = full.substr(0, full.size() - 14);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fixed_stride());
  EXPECT_EQ(r->frame_count(), 2u);
  EXPECT_TRUE(r->last_frame_truncated());
  EXPECT_EQ(r->tail().frame, 2u);
  EXPECT_EQ(r->tail().have, 10u);
  EXPECT_EQ(r->tail().need, 24u);
  EXPECT_EQ(r->tail().message, "truncated frame 2 (10 of 24 bytes)");
  EXPECT_EQ(r->frame(2).error(), "truncated frame 2 (10 of 24 bytes)");
  EXPECT_EQ(r->frame(3).error(), "frame 3 out of range (2 frames)");
  EXPECT_TRUE(r->frame(1).ok());
}

TEST(Y4mStream, TruncatedInsideFrameHeader) {
  const std::string two = make_stream("YUV4MPEG2 W4 H4", 24, 2);
  for (const char *cut : {"F", "FRA", "FRAME", "FRAME\n", "FRAME Ixy"}) {
    SCOPED_TRACE(cut);
    const std::string s = two + cut;
    auto r = Y4mStream::parse(bytes_of(s));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->frame_count(), 2u);
    EXPECT_EQ(r->tail().message, "truncated frame 2 (0 of 24 bytes)");
  }
}

TEST(Y4mStream, TruncatedWithFrameParameters) {
  const std::string full = make_stream("YUV4MPEG2 W4 H4", 24, 4, with_parameters);
  const std::string s = full.substr(0, full.size() - 1);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fixed_stride());
  EXPECT_EQ(r->frame_count(), 3u);
  EXPECT_EQ(r->frame(3).error(), "truncated frame 3 (23 of 24 bytes)");
}

TEST(Y4mStream, MissingFrameMarker) {
  const std::string good = make_stream("YUV4MPEG2 W4 H4", 24, 12);
  for (const char *junk : {"JUNK", "FRAMX\n", "FRAMEX\n", "frame\n", "\n"}) {
    SCOPED_TRACE(junk);
    const std::string s = good + junk + payload(0, 24) + "FRAME\n" + payload(1, 24);
    auto r = Y4mStream::parse(bytes_of(s));
    ASSERT_TRUE(r.ok());
    // Some junk keeps a fixed-stride guess alive until frame 12 is read.
    EXPECT_EQ(r->frame(12).error(), "frame 12: missing FRAME marker");
    EXPECT_EQ(r->frame_count(), 12u);
    EXPECT_EQ(r->tail().kind, Y4mEnd::kBadFrame);
    EXPECT_EQ(r->tail().frame, 12u);
    EXPECT_EQ(r->tail().message, "frame 12: missing FRAME marker");
    EXPECT_EQ(r->frame(13).error(), "frame 13 out of range (12 frames)");
  }
}

TEST(Y4mStream, MissingFirstFrameMarker) {
  const std::string s = "YUV4MPEG2 W4 H4\n" + payload(0, 30);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->frame_count(), 0u);
  EXPECT_EQ(r->frame(0).error(), "frame 0: missing FRAME marker");
}

TEST(Y4mStream, FrameHeaderTooLong) {
  std::string s = make_stream("YUV4MPEG2 W4 H4", 24, 1);
  s += "FRAME " + std::string(kY4mMaxHeaderLine, 'x') + "\n" + payload(1, 24);
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->frame_count(), 1u);
  EXPECT_EQ(r->frame(1).error(), "frame 1: FRAME header too long (no newline in 4096 bytes)");
}

// A stream whose first, last and partial frame headers are bare where a
// fixed stride predicts them, though frame 1 carries parameters: the lazy
// index must notice on access and rescan.
TEST(Y4mStream, StrideGuessCorrectedOnAccess) {
  const std::string hl = "YUV4MPEG2 W4 H4";
  std::string s = hl + "\n";
  std::vector<size_t> payload_at;
  for (size_t i = 0; i < 5; ++i) {
    s += i == 1 ? "FRAME Xabcdefghi\n" : "FRAME\n";
    payload_at.push_back(s.size());
    s += payload(i, 24);
  }
  // Plant bare markers where a 30-byte stride predicts the last complete
  // frame (offset 120 in the body) and the partial one after it (150).
  const size_t start = hl.size() + 1;
  ASSERT_EQ(s.size() - start, 161u);
  s.replace(start + 120, 6, "FRAME\n");
  s.replace(start + 150, 6, "FRAME\n");
  auto r = Y4mStream::parse(bytes_of(s));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fixed_stride());
  EXPECT_EQ(r->frame_count(), 5u);
  EXPECT_TRUE(r->last_frame_truncated());
  ASSERT_TRUE(r->frame(0).ok());
  EXPECT_TRUE(r->fixed_stride());

  auto f1 = r->frame(1);
  ASSERT_TRUE(f1.ok()) << f1.error();
  EXPECT_FALSE(r->fixed_stride());
  EXPECT_EQ(f1->parameters, "Xabcdefghi");
  EXPECT_EQ(f1->payload_offset, payload_at[1]);
  EXPECT_EQ(r->frame_count(), 5u);
  EXPECT_FALSE(r->last_frame_truncated());
  for (size_t i = 0; i < 5; ++i) {
    auto f = r->frame(i);
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_EQ(f->payload_offset, payload_at[i]);
  }
}

// Markers are checked on every access, not just at indexing time.
TEST(Y4mStream, MarkerVerifiedOnAccess) {
  {
    std::string s = make_stream("YUV4MPEG2 W4 H4", 24, 4);
    auto r = Y4mStream::parse(bytes_of(s));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->fixed_stride());
    s[16 + 2 * 30] = 'X';
    EXPECT_EQ(r->frame(2).error(), "frame 2: missing FRAME marker");
    EXPECT_EQ(r->frame_count(), 2u);
    EXPECT_TRUE(r->frame(1).ok());
  }
  {
    std::string s = make_stream("YUV4MPEG2 W4 H4", 24, 4, with_parameters);
    auto r = Y4mStream::parse(bytes_of(s));
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->fixed_stride());
    const size_t marker = s.rfind("FRAME", r->frame(3)->payload_offset);
    ASSERT_EQ(r->frame(3)->parameters, "Ibp Xfoo=3");
    s[marker + 1] = 'r';
    EXPECT_EQ(r->frame(3).error(), "frame 3: missing FRAME marker");
    EXPECT_TRUE(r->frame(2).ok());
  }
}

TEST(Y4mStream, AlignmentOfPayloadAndPlanes) {
  EXPECT_EQ(y4m_alignment_of(reinterpret_cast<const void *>(uintptr_t{0x1000})), 4096u);
  EXPECT_EQ(y4m_alignment_of(reinterpret_cast<const void *>(uintptr_t{0x30})), 16u);
  EXPECT_EQ(y4m_alignment_of(reinterpret_cast<const void *>(uintptr_t{0x7})), 1u);
  EXPECT_EQ(y4m_alignment_of(nullptr), kY4mMaxReportedAlignment);

  // Header padded with an X token so that the payload lands on 64 bytes.
  std::string hl = "YUV4MPEG2 W8 H8 X";
  hl += std::string(64 - 6 - 1 - hl.size(), 'p');
  const std::string s = make_stream(hl, 96, 2);
  ASSERT_EQ((hl.size() + 1 + 6) % 64, 0u);
  auto buf = std::make_unique<uint8_t[]>(s.size() + 64);
  uint8_t *aligned = buf.get() + (64 - reinterpret_cast<uintptr_t>(buf.get()) % 64);
  std::memcpy(aligned, s.data(), s.size());
  auto r = Y4mStream::parse(std::span<const uint8_t>(aligned, s.size()));
  ASSERT_TRUE(r.ok());
  auto f0 = r->frame(0);
  ASSERT_TRUE(f0.ok());
  EXPECT_GE(f0->alignment, 64u);
  EXPECT_EQ(f0->alignment, y4m_alignment_of(f0->payload));
  EXPECT_EQ(f0->planes[0].alignment, f0->alignment);
  EXPECT_GE(f0->planes[1].alignment, 64u); // 8x8 luma is 64 bytes
  EXPECT_EQ(f0->planes[2].alignment, y4m_alignment_of(f0->payload + 80));
  auto f1 = r->frame(1);
  ASSERT_TRUE(f1.ok());
  EXPECT_EQ(f1->alignment, y4m_alignment_of(f1->payload)); // 64 + 102
  EXPECT_EQ(f1->alignment, 2u);
}

// ---- files ----

class Y4mFileTest : public ::testing::Test {
protected:
  std::string write_temp(const std::string &name, const std::string &data) {
    const std::string path = ::testing::TempDir() + "y4m_test_" + name;
    std::ofstream(path, std::ios::binary) << data;
    written_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string &p : written_)
      std::remove(p.c_str());
  }
  std::vector<std::string> written_;
};

TEST_F(Y4mFileTest, OpensAndMapsFrames) {
  const std::string s = make_stream("YUV4MPEG2 W8 H6 F25:1 C420mpeg2", 72, 4);
  auto r = Y4mFile::open(write_temp("plain.y4m", s));
  ASSERT_TRUE(r.ok()) << r.error();
  Y4mFile file = std::move(r).value();
  EXPECT_EQ(file.header().chroma_siting, Y4mChromaSiting::kLeft);
  EXPECT_EQ(file.frame_count(), 4u);
  EXPECT_FALSE(file.last_frame_truncated());
  const auto begin = file.stream().data().data();
  for (size_t i = 0; i < 4; ++i) {
    auto f = file.frame(i);
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_EQ(f->payload, begin + f->payload_offset);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(f->payload), f->payload_size),
              payload(i, 72));
  }
  // Moving keeps the mapping, and the frames, valid.
  Y4mFile moved = std::move(file);
  auto f3 = moved.frame(3);
  ASSERT_TRUE(f3.ok());
  EXPECT_EQ(f3->payload[0], static_cast<uint8_t>(payload(3, 1)[0]));
  EXPECT_EQ(moved.stream().data().data(), begin);

  // Move-assignment releases the old mapping and takes the new one.
  auto other = Y4mFile::open(write_temp("other.y4m", make_stream("YUV4MPEG2 W2 H2 C444", 12, 1)));
  ASSERT_TRUE(other.ok()) << other.error();
  moved = std::move(other).value();
  EXPECT_EQ(moved.header().subsampling, Y4mSubsampling::k444);
  EXPECT_EQ(moved.frame_count(), 1u);
  EXPECT_EQ(moved.frame(0)->payload_size, 12u);
  EXPECT_EQ(moved.path(), ::testing::TempDir() + "y4m_test_other.y4m");
}

TEST_F(Y4mFileTest, TruncatedFileWithParameters) {
  const std::string s = make_stream("YUV4MPEG2 W4 H4", 24, 3, with_parameters);
  auto r = Y4mFile::open(write_temp("params.y4m", s.substr(0, s.size() - 4)));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->frame_count(), 2u);
  EXPECT_TRUE(r->last_frame_truncated());
  EXPECT_EQ(r->tail().message, "truncated frame 2 (20 of 24 bytes)");
  EXPECT_EQ(r->frame(1)->parameters, "Ibp Xfoo=1");
}

TEST_F(Y4mFileTest, OpenErrors) {
  const std::string missing = ::testing::TempDir() + "y4m_test_no_such.y4m";
  EXPECT_EQ(Y4mFile::open(missing).error(),
            "cannot open " + missing + ": No such file or directory");
  EXPECT_EQ(Y4mFile::open(::testing::TempDir()).error(),
            "cannot open " + ::testing::TempDir() + ": not a regular file");
  EXPECT_EQ(Y4mFile::open(write_temp("empty.y4m", "")).error(), "not a Y4M file (empty)");
  EXPECT_EQ(Y4mFile::open(write_temp("text.y4m", "hello\n")).error(), "not a Y4M file (bad magic)");
  EXPECT_EQ(Y4mFile::open(write_temp("deep.y4m", "YUV4MPEG2 W4 H4 C420p10\n")).error(),
            "unsupported colourspace C420p10 (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
}

// A file cut while a frame is mapped: the lost pages read as zeros, not
// SIGBUS, and shrunk() says what happened, also once the file has grown back.
TEST_F(Y4mFileTest, CutWhileMappedReadsZeros) {
  const size_t frame_size = 64 * 64 * 3 / 2;
  const std::string path =
      write_temp("cut.y4m", make_stream("YUV4MPEG2 W64 H64 F25:1", frame_size, 8));
  auto r = Y4mFile::open(path);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_TRUE(r->guarded());
  auto last = r->frame(7);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(r->shrunk(), "");
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  EXPECT_EQ(r->shrunk(),
            path + " shrank to 100 bytes (was " + std::to_string(8 * (6 + frame_size) + 24) + ")");
  unsigned sum = 0;
  for (size_t i = 0; i < last->payload_size; ++i)
    sum += last->payload[i];
  EXPECT_EQ(sum, 0u);
  ASSERT_EQ(truncate(path.c_str(), 1 << 20), 0);
  EXPECT_EQ(r->shrunk(), path + " was cut while mapped (pages read as zeros)");
}

// Faults outside a guarded mapping still end the process.
TEST_F(Y4mFileTest, OtherFaultsStillKill) {
  const std::string path = write_temp("other_fault.y4m", std::string(3 * 4096, 'x'));
  auto guarded = Y4mFile::open(write_temp("guarded.y4m", make_stream("YUV4MPEG2 W4 H4", 24, 1)));
  ASSERT_TRUE(guarded.ok() && guarded->guarded());
  EXPECT_DEATH(
      {
        const int fd = open(path.c_str(), O_RDONLY);
        auto *p = static_cast<volatile const char *>(
            mmap(nullptr, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0));
        if (ftruncate(open(path.c_str(), O_WRONLY), 0) == 0)
          std::printf("%d\n", p[2 * 4096]);
      },
      "");
}

// Clip names carry their frame count as "_<frames>f" (foreman_cif_300f,
// bus_cif_17f_raw); 0 when a name does not.
size_t frames_in_name(std::string_view stem) {
  while (!stem.empty()) {
    const size_t cut = stem.find('_');
    const std::string_view part = stem.substr(0, cut);
    if (part.size() >= 2 && part.back() == 'f' &&
        part.find_first_not_of("0123456789") == part.size() - 1)
      return std::stoul(std::string(part));
    stem = cut == std::string_view::npos ? std::string_view() : stem.substr(cut + 1);
  }
  return 0;
}

// The project's clips, decoded by clips/decode.sh into QUAD_CLIPS_Y4M_DIR.
TEST(Y4mRealClips, EveryClipReadsCompletely) {
  const char *dir = std::getenv("QUAD_CLIPS_Y4M_DIR");
  if (dir == nullptr || *dir == '\0')
    GTEST_SKIP() << "QUAD_CLIPS_Y4M_DIR is not set";
  std::vector<std::filesystem::path> clips;
  std::error_code ec;
  for (const auto &e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".y4m")
      clips.push_back(e.path());
  if (clips.empty())
    GTEST_SKIP() << "no .y4m files in " << dir;
  std::sort(clips.begin(), clips.end());

  for (const auto &path : clips) {
    SCOPED_TRACE(path.string());
    auto r = Y4mFile::open(path.string());
    ASSERT_TRUE(r.ok()) << r.error();
    Y4mFile &file = *r;
    const Y4mHeader &h = file.header();
    EXPECT_EQ(h.subsampling, Y4mSubsampling::k420);
    EXPECT_TRUE(h.frame_rate.known());
    EXPECT_TRUE(file.stream().fixed_stride());
    EXPECT_EQ(file.tail().kind, Y4mEnd::kClean);
    const std::string stem = path.stem().string();
    if (const size_t named = frames_in_name(stem); named != 0) {
      EXPECT_EQ(file.frame_count(), named);
    }
    ASSERT_GT(file.frame_count(), 0u);

    const auto data = file.stream().data();
    size_t next = h.header_size;
    for (size_t i = 0; i < file.frame_count(); ++i) {
      auto f = file.frame(i);
      ASSERT_TRUE(f.ok()) << f.error();
      EXPECT_EQ(f->payload_offset, next + 6);
      EXPECT_EQ(f->payload_size, h.frame_size());
      EXPECT_LE(f->payload_offset + f->payload_size, data.size());
      next = f->payload_offset + f->payload_size;
    }
    EXPECT_EQ(next, data.size());

    if (stem.starts_with("carphone")) {
      EXPECT_EQ(h.pixel_aspect, (Y4mRatio{128, 117}));
      EXPECT_EQ(h.chroma_siting, Y4mChromaSiting::kLeft);
    }
    if (stem.starts_with("crowd_run")) {
      EXPECT_EQ(h.width, 1280u);
      EXPECT_EQ(h.height, 720u);
      EXPECT_EQ(h.frame_rate, (Y4mRatio{50, 1}));
      EXPECT_EQ(h.colour_range, Y4mColourRange::kLimited);
    }
  }
}

// ---- seeded mutation ----

// A plain re-statement of the format, to check the reader against.
struct ReferenceScan {
  std::vector<size_t> payloads;
  Y4mEnd end = Y4mEnd::kClean;
  size_t have = 0;
};

ReferenceScan reference_scan(std::string_view s, size_t pos, size_t size) {
  ReferenceScan out;
  while (pos < s.size()) {
    const std::string_view rest = s.substr(pos);
    const std::string_view marker = rest.substr(0, 5);
    if (std::string_view("FRAME").substr(0, marker.size()) != marker) {
      out.end = Y4mEnd::kBadFrame;
      return out;
    }
    if (rest.size() <= 5) {
      out.end = Y4mEnd::kTruncatedFrame;
      return out;
    }
    if (rest[5] != ' ' && rest[5] != '\n') {
      out.end = Y4mEnd::kBadFrame;
      return out;
    }
    const size_t nl = rest.substr(0, kY4mMaxHeaderLine).find('\n');
    if (nl == std::string_view::npos) {
      out.end = rest.size() < kY4mMaxHeaderLine ? Y4mEnd::kTruncatedFrame : Y4mEnd::kBadFrame;
      return out;
    }
    const size_t at = pos + nl + 1;
    if (s.size() - at < size) {
      out.end = Y4mEnd::kTruncatedFrame;
      out.have = s.size() - at;
      return out;
    }
    out.payloads.push_back(at);
    pos = at + size;
  }
  return out;
}

struct MutationStats {
  size_t parsed = 0;
  size_t rejected = 0;
  size_t frames = 0;
  size_t rescans = 0;
  size_t truncated = 0;
  size_t bad_frames = 0;
};

// Parses one buffer, reads every frame twice and checks every pointer.
void check_mutant(const std::string &s, MutationStats &stats) {
  // An exactly sized heap copy, so that AddressSanitizer sees any overread.
  auto buf = std::make_unique<uint8_t[]>(s.size());
  std::memcpy(buf.get(), s.data(), s.size());
  const std::span<const uint8_t> data(buf.get(), s.size());
  const uint8_t *const begin = data.data();
  const uint8_t *const end = begin + data.size();

  auto r = Y4mStream::parse(data);
  if (!r.ok()) {
    ++stats.rejected;
    ASSERT_FALSE(r.error().empty());
    return;
  }
  ++stats.parsed;
  Y4mStream &st = *r;
  const Y4mHeader &h = st.header();
  ASSERT_GE(h.width, 1u);
  ASSERT_GE(h.height, 1u);
  ASSERT_LE(h.width, kY4mMaxDimension);
  ASSERT_LE(h.height, kY4mMaxDimension);
  ASSERT_LE(h.header_size, data.size());
  ASSERT_LE(h.header_size, kY4mMaxHeaderLine);
  ASSERT_EQ(data[h.header_size - 1], '\n');
  const size_t frame_size = h.frame_size();
  ASSERT_LE(st.frame_count(), (data.size() - h.header_size) / (6 + frame_size));
  const bool was_fixed = st.fixed_stride();

  for (int pass = 0; pass < 2; ++pass) {
    size_t previous_end = h.header_size;
    for (size_t i = 0; i < st.frame_count() + 2; ++i) {
      auto f = st.frame(i);
      if (!f.ok()) {
        ASSERT_FALSE(f.error().empty());
        // After the first pass the index is final: all listed frames read.
        if (pass == 1) {
          ASSERT_GE(i, st.frame_count()) << f.error();
        }
        continue;
      }
      ASSERT_LT(i, st.frame_count());
      ASSERT_EQ(f->payload_size, frame_size);
      ASSERT_GE(f->payload, begin + previous_end + 6);
      ASSERT_LE(f->payload + f->payload_size, end);
      ASSERT_EQ(f->payload, begin + f->payload_offset);
      ASSERT_EQ(f->payload[-1], '\n');
      size_t sum = 0;
      for (const Y4mPlane &p : f->planes) {
        ASSERT_GE(p.data, f->payload);
        ASSERT_LE(p.data + p.size, f->payload + f->payload_size);
        ASSERT_EQ(p.size, size_t{p.width} * p.height);
        ASSERT_EQ(p.alignment, y4m_alignment_of(p.data));
        sum += p.size;
        // Touch both ends of every plane.
        volatile uint8_t first = p.data[0];
        volatile uint8_t last = p.data[p.size - 1];
        (void)first;
        (void)last;
      }
      ASSERT_EQ(sum, frame_size);
      if (!f->parameters.empty()) {
        const auto *pb = reinterpret_cast<const uint8_t *>(f->parameters.data());
        ASSERT_GE(pb, begin);
        ASSERT_LE(pb + f->parameters.size(), f->payload - 1);
        ASSERT_EQ(f->parameters.find('\n'), std::string_view::npos);
      }
      previous_end = f->payload_offset + f->payload_size;
      if (pass == 0)
        ++stats.frames;
    }
  }
  if (was_fixed && !st.fixed_stride())
    ++stats.rescans;

  // Once every frame has been read, the index must match a plain scan.
  const ReferenceScan ref = reference_scan(s, h.header_size, frame_size);
  ASSERT_EQ(st.frame_count(), ref.payloads.size());
  for (size_t i = 0; i < ref.payloads.size(); ++i)
    ASSERT_EQ(st.frame(i)->payload_offset, ref.payloads[i]);
  const Y4mTail &tail = st.tail();
  ASSERT_EQ(tail.kind, ref.end);
  if (tail.kind == Y4mEnd::kClean) {
    ASSERT_TRUE(tail.message.empty());
  } else {
    ASSERT_EQ(tail.frame, st.frame_count());
    ASSERT_FALSE(tail.message.empty());
    ASSERT_EQ(st.frame(tail.frame).error(), tail.message);
  }
  if (tail.kind == Y4mEnd::kTruncatedFrame) {
    ++stats.truncated;
    ASSERT_EQ(tail.have, ref.have);
    ASSERT_LT(tail.have, tail.need);
    ASSERT_EQ(tail.need, frame_size);
  }
  if (tail.kind == Y4mEnd::kBadFrame)
    ++stats.bad_frames;
}

class Mutator {
public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) { return n == 0 ? 0 : rng_() % n; }

  void mutate(std::string &s) {
    switch (below(8)) {
    case 0: // flip a bit
      if (!s.empty()) {
        const size_t at = below(s.size());
        s[at] = static_cast<char>(s[at] ^ (1 << below(8)));
      }
      break;
    case 1: { // insert random bytes
      // Draws in sequence so that every compiler mutates alike.
      const size_t at = below(s.size() + 1);
      s.insert(at, random_bytes(1 + below(16)));
      break;
    }
    case 2: // delete a range
      if (!s.empty()) {
        const size_t at = below(s.size());
        s.erase(at, 1 + below(16));
      }
      break;
    case 3: // truncate
      s.resize(below(s.size() + 1));
      break;
    case 4:
      change_header_digit(s);
      break;
    case 5: { // insert a fragment of the format's own vocabulary
      static const char *const kWords[] = {
          " W", " H0", " W16385", " F0:0", " F25:0", " A0:0",   " C420p10",
          " C", " Im", " It",     " X",    "FRAME ", "FRAME\n", "\n",
          ":",  " ",   " Itpp",   " C444", " C422",  " H1",     " W1"};
      const char *w = kWords[below(std::size(kWords))];
      const size_t newline = s.find('\n');
      const size_t limit = newline == std::string::npos ? s.size() : newline;
      s.insert(below(2) ? below(limit + 1) : below(s.size() + 1), w);
      break;
    }
    case 6: // duplicate a chunk elsewhere
      if (!s.empty()) {
        const size_t from = below(s.size());
        const std::string chunk = s.substr(from, 1 + below(64));
        s.insert(below(s.size() + 1), chunk);
      }
      break;
    default: // overwrite a byte with a random value
      if (!s.empty()) {
        const size_t at = below(s.size());
        s[at] = static_cast<char>(below(256));
      }
      break;
    }
  }

private:
  std::string random_bytes(size_t n) {
    std::string b(n, '\0');
    for (char &c : b)
      c = static_cast<char>(below(256));
    return b;
  }

  // Digits in the header line decide sizes and rates: change, add or drop one.
  void change_header_digit(std::string &s) {
    const size_t newline = s.find('\n');
    const size_t limit = newline == std::string::npos ? s.size() : newline;
    std::vector<size_t> digits;
    for (size_t i = 0; i < limit; ++i)
      if (s[i] >= '0' && s[i] <= '9')
        digits.push_back(i);
    if (digits.empty())
      return;
    const size_t at = digits[below(digits.size())];
    const char d = static_cast<char>('0' + below(10));
    switch (below(3)) {
    case 0:
      s[at] = d;
      break;
    case 1:
      s.insert(at, 1, d);
      break;
    default:
      s.erase(at, 1);
      break;
    }
  }

  std::mt19937 rng_;
};

std::vector<std::string> mutation_seeds() {
  std::vector<std::string> seeds;
  seeds.push_back(make_stream("YUV4MPEG2 W4 H4 F25:1 Ip A0:0 C420jpeg", 24, 3));
  seeds.push_back(make_stream("YUV4MPEG2 W8 H6 F30000:1001 C420mpeg2 "
                              "XYSCSS=420MPEG2 XCOLORRANGE=LIMITED",
                              72, 2));
  seeds.push_back(make_stream("YUV4MPEG2 W5 H3 C422 Ib", 27, 3));
  seeds.push_back(make_stream("YUV4MPEG2 W3 H2 C444 A1:1", 18, 4));
  seeds.push_back(make_stream("YUV4MPEG2 W4 H4 Im", 24, 4, with_parameters));
  seeds.push_back(make_stream("YUV4MPEG2 W2 H2 C420paldv", 6, 6, per_frame_interlace));
  std::string truncated = make_stream("YUV4MPEG2 W4 H2 F1:1", 12, 3);
  truncated.resize(truncated.size() - 5);
  seeds.push_back(truncated);
  return seeds;
}

TEST(Y4mMutation, SeededMutationsStayInBoundsAndAgreeWithReference) {
  const std::vector<std::string> seeds = mutation_seeds();
  for (const std::string &s : seeds) {
    MutationStats unused;
    check_mutant(s, unused);
    ASSERT_FALSE(HasFatalFailure());
  }

  Mutator m(0x5934d2u);
  MutationStats stats;
  constexpr int kCases = 30000;
  for (int c = 0; c < kCases; ++c) {
    std::string s = seeds[m.below(seeds.size())];
    const size_t mutations = 1 + m.below(4);
    for (size_t k = 0; k < mutations; ++k)
      m.mutate(s);
    check_mutant(s, stats);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "mutation case " << c << " failed";
      return;
    }
  }
  // The run must have reached every outcome, or it proves little.
  EXPECT_GT(stats.parsed, size_t{kCases / 10});
  EXPECT_GT(stats.rejected, size_t{kCases / 10});
  EXPECT_GT(stats.frames, size_t{kCases / 2});
  EXPECT_GT(stats.truncated, 100u);
  EXPECT_GT(stats.bad_frames, 100u);
  RecordProperty("parsed", static_cast<int>(stats.parsed));
  RecordProperty("rejected", static_cast<int>(stats.rejected));
  RecordProperty("frames", static_cast<int>(stats.frames));
  RecordProperty("rescans", static_cast<int>(stats.rescans));
  std::printf("mutation: %zu parsed, %zu rejected, %zu frames, %zu rescans, "
              "%zu truncated, %zu bad frame\n",
              stats.parsed, stats.rejected, stats.frames, stats.rescans, stats.truncated,
              stats.bad_frames);
}

} // namespace
} // namespace quad::capture
