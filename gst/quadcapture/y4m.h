// Reader for YUV4MPEG2 (Y4M) streams: the stream header, a frame index and
// zero-copy access to each frame's planes, from memory or from an mmap'd
// file. GStreamer-free; quadcapturesrc's location mode sits on top of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "truncation_guard.h"

namespace quad::capture {

// The reader's own limit on width and height. quadcapturesrc enforces the
// narrower range its caps allow (16..7680 x 16..4320) on top of this.
inline constexpr uint32_t kY4mMaxDimension = 16384;

// Frame rates the reader accepts: above kY4mMaxFrameRate frames per second,
// or with a term above kY4mMaxRatioTerm once reduced, F is refused.
// quadcapturesrc's caps template states the same range.
inline constexpr uint32_t kY4mMaxFrameRate = 1000;
inline constexpr uint32_t kY4mMaxRatioTerm = 2147483647; // fits a signed 32-bit int

// Longest stream or FRAME header line accepted, newline included.
inline constexpr size_t kY4mMaxHeaderLine = 4096;

// Alignments are reported up to this (a page): more never changes a decision.
inline constexpr size_t kY4mMaxReportedAlignment = 4096;

struct Y4mError {
  std::string message;
};

// A value or the reason there is none. Check ok() before value().
template <typename T> class Y4mResult {
public:
  Y4mResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Y4mResult(Y4mError error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  // Empty when ok().
  const std::string &error() const {
    static const std::string none;
    return ok() ? none : std::get<1>(v_).message;
  }

private:
  std::variant<T, Y4mError> v_;
};

enum class Y4mSubsampling : uint8_t { k420, k422, k444 };

// Where subsampled chroma samples sit relative to luma.
enum class Y4mChromaSiting : uint8_t {
  kUnspecified, // 4:4:4
  kCentre,      // C420jpeg, and plain C420 as common readers take it
  kLeft,        // C420mpeg2 (centred vertically) and C422: co-sited horizontally
  kPalDv,       // C420paldv
};

enum class Y4mInterlace : uint8_t {
  kProgressive,      // Ip, and the default
  kTopFieldFirst,    // It
  kBottomFieldFirst, // Ib
  kMixed,            // Im: each frame says in its own I parameter
  kUnknown,          // I?
};

enum class Y4mColourRange : uint8_t { kUnspecified, kLimited, kFull };

struct Y4mRatio {
  uint32_t num = 0;
  uint32_t den = 0;

  // 0:0 stands for "unknown" in both F and A. Known ratios are kept reduced.
  bool known() const { return num != 0 && den != 0; }
  friend bool operator==(const Y4mRatio &, const Y4mRatio &) = default;
};

struct Y4mHeader {
  uint32_t width = 0;
  uint32_t height = 0;
  Y4mRatio frame_rate;   // 0:0 when F is absent or F0:0
  Y4mRatio pixel_aspect; // 0:0 when A is absent or unknown (A0:0)
  Y4mInterlace interlace = Y4mInterlace::kProgressive;
  Y4mSubsampling subsampling = Y4mSubsampling::k420;
  Y4mChromaSiting chroma_siting = Y4mChromaSiting::kCentre;
  std::string colourspace = "420jpeg";                        // C token's value, or the default
  Y4mColourRange colour_range = Y4mColourRange::kUnspecified; // XCOLORRANGE
  std::vector<std::string> extensions;                        // X tokens without the X, in order
  size_t header_size = 0; // stream header bytes, newline included

  uint32_t chroma_width() const;  // ceil(w/2) for 4:2:0 and 4:2:2
  uint32_t chroma_height() const; // ceil(h/2) for 4:2:0
  size_t luma_size() const;
  size_t chroma_size() const; // one chroma plane
  size_t frame_size() const;  // payload bytes of one frame: Y, U, V
};

// Parses the stream header line at the start of data.
Y4mResult<Y4mHeader> parse_y4m_header(std::span<const uint8_t> data);

// Largest power of two, up to kY4mMaxReportedAlignment, dividing the address.
size_t y4m_alignment_of(const void *p);

struct Y4mPlane {
  const uint8_t *data = nullptr;
  size_t size = 0;
  uint32_t width = 0; // samples per row; rows are packed: stride == width
  uint32_t height = 0;
  size_t alignment = 0; // of data, see y4m_alignment_of
};

struct Y4mFrame {
  size_t index = 0;
  Y4mPlane planes[3];               // Y, U (Cb), V (Cr), back to back
  const uint8_t *payload = nullptr; // == planes[0].data
  size_t payload_size = 0;          // == header.frame_size()
  size_t payload_offset = 0;        // from the start of the stream
  size_t alignment = 0;             // of payload, see y4m_alignment_of
  std::string_view parameters;      // FRAME header after "FRAME ", or empty
  // The frame's own I parameter where it has one (Im streams), else the
  // stream's mode.
  Y4mInterlace interlace = Y4mInterlace::kProgressive;
};

// What follows the last complete frame.
enum class Y4mEnd : uint8_t { kClean, kTruncatedFrame, kBadFrame };

struct Y4mTail {
  Y4mEnd kind = Y4mEnd::kClean;
  size_t frame = 0;    // index of the truncated or bad frame
  size_t have = 0;     // kTruncatedFrame: payload bytes present ...
  size_t need = 0;     // ... of these
  std::string message; // empty for kClean
};

// A Y4M stream in memory the caller owns and keeps alive and unchanged while
// the stream and its frames are in use. Frames point into that memory.
//
// Indexing is lazy when the stream looks fixed-stride (the first and the last
// frame headers are a bare "FRAME\n"): frame positions are computed, not
// scanned, so opening a large file touches only a few pages. Every access
// checks its FRAME marker; if one turns out not to be bare, the stream is
// rescanned once and frame_count() and tail() may change. Otherwise (FRAME
// parameters) frame headers are scanned at parse time. Not thread-safe.
class Y4mStream {
public:
  // Fails only when the stream header is unusable; problems further on show
  // up in tail() and in frame().
  static Y4mResult<Y4mStream> parse(std::span<const uint8_t> data);

  const Y4mHeader &header() const { return header_; }
  std::span<const uint8_t> data() const { return data_; }

  // Complete frames, as far as known now (see the class comment).
  size_t frame_count() const { return count_; }
  const Y4mTail &tail() const { return tail_; }
  bool last_frame_truncated() const { return tail_.kind == Y4mEnd::kTruncatedFrame; }
  bool fixed_stride() const { return fixed_; }

  // Errors: "frame N: missing FRAME marker", "truncated frame N (H of M
  // bytes)", "frame N out of range (C frames)".
  Y4mResult<Y4mFrame> frame(size_t index);

private:
  struct Entry {
    size_t marker;  // offset of "FRAME"
    size_t payload; // offset of the first Y sample
  };

  Y4mStream() = default;
  bool index_fixed_stride();
  void index_by_scanning();
  bool bare_marker_at(size_t offset) const;
  Y4mResult<Y4mFrame> beyond_end(size_t index) const;
  Y4mFrame make_frame(size_t index, size_t marker, size_t payload) const;

  std::span<const uint8_t> data_;
  Y4mHeader header_;
  size_t frame_size_ = 0;
  size_t count_ = 0;
  bool fixed_ = false;
  std::vector<Entry> entries_; // empty in fixed-stride mode
  Y4mTail tail_;
};

// A Y4M file mapped read-only (MAP_PRIVATE, MADV_SEQUENTIAL); frames point
// into the mapping, which lives as long as this object. The mapping is under
// a TruncationGuard: if the file is cut while a frame is read, the lost pages
// read as zeros instead of raising SIGBUS, and shrunk() says so. Callers
// check shrunk() before handing out a frame and copy with read_payload(),
// which fails on a cut file. Without a guard (guarded() false: no slot was
// free) a frame handed out is not safe from a cut.
class Y4mFile {
public:
  // Errors: "cannot open PATH: REASON", "cannot map PATH: REASON", and those
  // of Y4mStream::parse.
  static Y4mResult<Y4mFile> open(const std::string &path);

  Y4mFile(Y4mFile &&other) noexcept;
  Y4mFile &operator=(Y4mFile &&other) noexcept;
  Y4mFile(const Y4mFile &) = delete;
  Y4mFile &operator=(const Y4mFile &) = delete;
  ~Y4mFile();

  const std::string &path() const { return path_; }
  Y4mStream &stream() { return stream_; }
  const Y4mStream &stream() const { return stream_; }

  const Y4mHeader &header() const { return stream_.header(); }
  size_t frame_count() const { return stream_.frame_count(); }
  const Y4mTail &tail() const { return stream_.tail(); }
  bool last_frame_truncated() const { return stream_.last_frame_truncated(); }
  Y4mResult<Y4mFrame> frame(size_t index) { return stream_.frame(index); }

  bool guarded() const { return guard_.active(); }

  // Why the mapping no longer shows the file: "PATH shrank to N bytes (was
  // M)", "PATH was cut while mapped (pages read as zeros)" or "cannot stat
  // PATH: REASON"; empty while the file on disk still covers the whole
  // mapping and no page was lost.
  std::string shrunk() const;

  // Copies a frame's payload with pread(): a file cut short meanwhile gives
  // an error ("PATH: short read of frame N"), never a signal.
  Y4mResult<bool> read_payload(const Y4mFrame &frame, uint8_t *dst) const;

private:
  Y4mFile(int fd, void *map, size_t size, TruncationGuard guard, std::string path,
          Y4mStream stream);
  void unmap();

  int fd_ = -1; // kept open to check and read the file the mapping shows
  void *map_ = nullptr;
  size_t map_size_ = 0;
  TruncationGuard guard_;
  std::string path_;
  Y4mStream stream_;
};

} // namespace quad::capture
