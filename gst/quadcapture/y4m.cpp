#include "y4m.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <optional>
#include <system_error>

namespace quad::capture {
namespace {

constexpr std::string_view kMagic = "YUV4MPEG2";
constexpr std::string_view kFrameMarker = "FRAME";
constexpr std::string_view kBareFrameHeader = "FRAME\n";
constexpr size_t kMaxQuotedToken = 32;

Y4mError fail(std::string message) {
  return Y4mError{std::move(message)};
}

// Messages quote bytes from the file: keep them short and printable.
std::string quote(std::string_view token) {
  std::string out;
  const size_t n = std::min(token.size(), kMaxQuotedToken);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (token.size() > n)
    out += "...";
  return out;
}

std::optional<uint32_t> parse_u32(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > UINT32_MAX)
      return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

std::optional<Y4mRatio> parse_ratio(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  const auto num = parse_u32(s.substr(0, colon));
  const auto den = parse_u32(s.substr(colon + 1));
  if (!num || !den)
    return std::nullopt;
  return Y4mRatio{*num, *den};
}

// num:den in lowest terms (0:0 stays 0:0).
Y4mRatio reduced(Y4mRatio r) {
  const uint32_t g = std::gcd(r.num, r.den);
  return g > 1 ? Y4mRatio{r.num / g, r.den / g} : r;
}

bool fits_terms(Y4mRatio r) {
  return r.num <= kY4mMaxRatioTerm && r.den <= kY4mMaxRatioTerm;
}

struct Colourspace {
  std::string_view tag;
  Y4mSubsampling subsampling;
  Y4mChromaSiting siting;
};

constexpr Colourspace kColourspaces[] = {
    {"420jpeg", Y4mSubsampling::k420, Y4mChromaSiting::kCentre},
    {"420mpeg2", Y4mSubsampling::k420, Y4mChromaSiting::kLeft},
    {"420paldv", Y4mSubsampling::k420, Y4mChromaSiting::kPalDv},
    {"420", Y4mSubsampling::k420, Y4mChromaSiting::kCentre},
    {"422", Y4mSubsampling::k422, Y4mChromaSiting::kLeft},
    {"444", Y4mSubsampling::k444, Y4mChromaSiting::kUnspecified},
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Tags other writers use (mjpegtools, FFmpeg) for formats we do not read:
// deeper samples, alpha, monochrome and other subsamplings.
bool is_known_unsupported(std::string_view tag) {
  if (tag.starts_with("mono"))
    return true;
  for (std::string_view base : {"410", "411", "420", "422", "440", "444"}) {
    if (!tag.starts_with(base))
      continue;
    const std::string_view rest = tag.substr(base.size());
    if (rest.empty() || rest == "alpha")
      return true;
    if (rest[0] == 'p' && all_digits(rest.substr(1)))
      return true;
  }
  return false;
}

std::optional<Y4mInterlace> parse_interlace(std::string_view v) {
  if (v.size() != 1)
    return std::nullopt;
  switch (v[0]) {
  case 'p':
    return Y4mInterlace::kProgressive;
  case 't':
    return Y4mInterlace::kTopFieldFirst;
  case 'b':
    return Y4mInterlace::kBottomFieldFirst;
  case 'm':
    return Y4mInterlace::kMixed;
  case '?':
    return Y4mInterlace::kUnknown;
  default:
    return std::nullopt;
  }
}

// Per-frame "Ixyz" (mjpegtools): x is presentation (t/T top field first,
// b/B bottom field first, 1/2/3 a progressive frame shown that many times),
// y is temporal sampling (p progressive, i interlaced).
Y4mInterlace frame_interlace(std::string_view params, Y4mInterlace stream) {
  while (!params.empty()) {
    const size_t space = params.find(' ');
    const std::string_view token = params.substr(0, space);
    params = space == std::string_view::npos ? std::string_view() : params.substr(space + 1);
    if (token.size() < 2 || token[0] != 'I')
      continue;
    const char x = token[1];
    const char y = token.size() > 2 ? token[2] : '\0';
    if (y == 'p')
      return Y4mInterlace::kProgressive;
    if (x == 't' || x == 'T')
      return Y4mInterlace::kTopFieldFirst;
    if (x == 'b' || x == 'B')
      return Y4mInterlace::kBottomFieldFirst;
    if ((x == '1' || x == '2' || x == '3') && y != 'i')
      return Y4mInterlace::kProgressive;
  }
  return stream;
}

std::string dims_text(uint32_t w, uint32_t h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

Y4mTail truncated_tail(size_t index, size_t have, size_t need) {
  return {Y4mEnd::kTruncatedFrame, index, have, need,
          "truncated frame " + std::to_string(index) + " (" + std::to_string(have) + " of " +
              std::to_string(need) + " bytes)"};
}

Y4mTail bad_tail(size_t index, std::string_view reason) {
  return {Y4mEnd::kBadFrame, index, 0, 0,
          "frame " + std::to_string(index) + ": " + std::string(reason)};
}

std::string missing_marker(size_t index) {
  return "frame " + std::to_string(index) + ": missing FRAME marker";
}

} // namespace

uint32_t Y4mHeader::chroma_width() const {
  return subsampling == Y4mSubsampling::k444 ? width : (width + 1) / 2;
}

uint32_t Y4mHeader::chroma_height() const {
  return subsampling == Y4mSubsampling::k420 ? (height + 1) / 2 : height;
}

size_t Y4mHeader::luma_size() const {
  return size_t{width} * height;
}

size_t Y4mHeader::chroma_size() const {
  return size_t{chroma_width()} * chroma_height();
}

// At most 3 * 16384 * 16384 bytes, which fits even a 32-bit size_t.
size_t Y4mHeader::frame_size() const {
  return luma_size() + 2 * chroma_size();
}

size_t y4m_alignment_of(const void *p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  const uintptr_t lowest = a & (~a + 1);
  return lowest == 0 || lowest > kY4mMaxReportedAlignment ? kY4mMaxReportedAlignment
                                                          : static_cast<size_t>(lowest);
}

Y4mResult<Y4mHeader> parse_y4m_header(std::span<const uint8_t> data) {
  if (data.empty())
    return fail("not a Y4M file (empty)");
  const std::string_view head(reinterpret_cast<const char *>(data.data()),
                              std::min(data.size(), kY4mMaxHeaderLine));
  if (!head.starts_with(kMagic) ||
      (head.size() > kMagic.size() && head[kMagic.size()] != ' ' && head[kMagic.size()] != '\n'))
    return fail("not a Y4M file (bad magic)");
  const size_t newline = head.find('\n');
  if (newline == std::string_view::npos) {
    if (data.size() < kY4mMaxHeaderLine)
      return fail("truncated stream header (no newline before end of data)");
    return fail("stream header too long (no newline in the first " +
                std::to_string(kY4mMaxHeaderLine) + " bytes)");
  }

  Y4mHeader h;
  h.header_size = newline + 1;
  bool have_width = false;
  bool have_height = false;
  std::string_view rest = head.substr(kMagic.size(), newline - kMagic.size());
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    const std::string_view token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (token.empty())
      continue;
    const std::string_view value = token.substr(1);
    switch (token[0]) {
    case 'W': {
      const auto w = parse_u32(value);
      if (!w)
        return fail("bad width W" + quote(value));
      h.width = *w;
      have_width = true;
      break;
    }
    case 'H': {
      const auto v = parse_u32(value);
      if (!v)
        return fail("bad height H" + quote(value));
      h.height = *v;
      have_height = true;
      break;
    }
    case 'F': {
      const auto r = parse_ratio(value);
      // 0:0 is the conventional "unknown"; any other zero is nonsense.
      if (!r || (r->num == 0) != (r->den == 0))
        return fail("bad frame rate F" + quote(value) + " (expected F<num>:<den>)");
      h.frame_rate = reduced(*r);
      if (!fits_terms(h.frame_rate))
        return fail("frame rate F" + quote(value) + " out of range (terms up to " +
                    std::to_string(kY4mMaxRatioTerm) + " once reduced)");
      if (uint64_t{h.frame_rate.num} > uint64_t{kY4mMaxFrameRate} * h.frame_rate.den)
        return fail("frame rate F" + quote(value) + " above " + std::to_string(kY4mMaxFrameRate) +
                    " frames per second");
      break;
    }
    case 'A': {
      const auto r = parse_ratio(value);
      if (!r)
        return fail("bad pixel aspect ratio A" + quote(value) + " (expected A<num>:<den>)");
      // The aspect ratio is only advice: any zero, or terms too large to
      // pass on, mean "unknown".
      const Y4mRatio par = reduced(*r);
      h.pixel_aspect = par.known() && fits_terms(par) ? par : Y4mRatio{};
      break;
    }
    case 'I': {
      const auto mode = parse_interlace(value);
      if (!mode)
        return fail("bad interlace mode I" + quote(value) + " (expected Ip, It, Ib, Im or I?)");
      h.interlace = *mode;
      break;
    }
    case 'C': {
      const auto it = std::find_if(std::begin(kColourspaces), std::end(kColourspaces),
                                   [&](const Colourspace &c) { return c.tag == value; });
      if (it == std::end(kColourspaces)) {
        return fail(
            (is_known_unsupported(value) ? "unsupported colourspace C" : "unknown colourspace C") +
            quote(value) + " (only 8-bit 4:2:0, 4:2:2, 4:4:4)");
      }
      h.colourspace = std::string(it->tag);
      h.subsampling = it->subsampling;
      h.chroma_siting = it->siting;
      break;
    }
    case 'X': {
      if (value.starts_with("COLORRANGE=")) {
        const std::string_view range = value.substr(11);
        if (range == "FULL")
          h.colour_range = Y4mColourRange::kFull;
        else if (range == "LIMITED")
          h.colour_range = Y4mColourRange::kLimited;
      }
      h.extensions.emplace_back(value);
      break;
    }
    default:
      // Unknown tokens are reserved for future use: skip them.
      break;
    }
  }

  if (!have_width)
    return fail("missing width");
  if (!have_height)
    return fail("missing height");
  if (h.width < 1 || h.height < 1 || h.width > kY4mMaxDimension || h.height > kY4mMaxDimension)
    return fail("absurd dimensions " + dims_text(h.width, h.height) + " (max " +
                dims_text(kY4mMaxDimension, kY4mMaxDimension) + ", min 1x1)");
  return h;
}

Y4mResult<Y4mStream> Y4mStream::parse(std::span<const uint8_t> data) {
  auto header = parse_y4m_header(data);
  if (!header)
    return fail(header.error());
  Y4mStream s;
  s.data_ = data;
  s.header_ = std::move(header).value();
  s.frame_size_ = s.header_.frame_size();
  if (!s.index_fixed_stride())
    s.index_by_scanning();
  return s;
}

bool Y4mStream::bare_marker_at(size_t offset) const {
  return offset <= data_.size() && data_.size() - offset >= kBareFrameHeader.size() &&
         std::memcmp(data_.data() + offset, kBareFrameHeader.data(), kBareFrameHeader.size()) == 0;
}

// Trusts the stride only if the first frame, the last complete one and any
// partial one after it all start with a bare "FRAME\n" where predicted.
bool Y4mStream::index_fixed_stride() {
  const size_t start = header_.header_size;
  const size_t stride = kBareFrameHeader.size() + frame_size_;
  const size_t body = data_.size() - start;
  const size_t count = body / stride;
  const size_t rest = body % stride;
  Y4mTail tail;
  if (body > 0 && !bare_marker_at(start))
    return false;
  if (count > 0 && !bare_marker_at(start + (count - 1) * stride))
    return false;
  if (rest > 0) {
    const size_t at = start + count * stride;
    if (rest >= kBareFrameHeader.size()) {
      if (!bare_marker_at(at))
        return false;
      tail = truncated_tail(count, rest - kBareFrameHeader.size(), frame_size_);
    } else {
      if (std::memcmp(data_.data() + at, kBareFrameHeader.data(), rest) != 0)
        return false;
      tail = truncated_tail(count, 0, frame_size_);
    }
  }
  fixed_ = true;
  count_ = count;
  entries_.clear();
  tail_ = std::move(tail);
  return true;
}

void Y4mStream::index_by_scanning() {
  fixed_ = false;
  entries_.clear();
  tail_ = {};
  const uint8_t *bytes = data_.data();
  const size_t size = data_.size();
  size_t pos = header_.header_size;
  while (pos < size) {
    const size_t index = entries_.size();
    const size_t left = size - pos;
    if (std::memcmp(bytes + pos, kFrameMarker.data(), std::min(left, kFrameMarker.size())) != 0) {
      tail_ = bad_tail(index, "missing FRAME marker");
      break;
    }
    if (left <= kFrameMarker.size()) {
      tail_ = truncated_tail(index, 0, frame_size_);
      break;
    }
    const uint8_t after = bytes[pos + kFrameMarker.size()];
    if (after != '\n' && after != ' ') {
      tail_ = bad_tail(index, "missing FRAME marker");
      break;
    }
    const auto *newline = static_cast<const uint8_t *>(
        std::memchr(bytes + pos, '\n', std::min(left, kY4mMaxHeaderLine)));
    if (newline == nullptr) {
      if (left < kY4mMaxHeaderLine)
        tail_ = truncated_tail(index, 0, frame_size_);
      else
        tail_ = bad_tail(index, "FRAME header too long (no newline in " +
                                    std::to_string(kY4mMaxHeaderLine) + " bytes)");
      break;
    }
    const auto payload = static_cast<size_t>(newline - bytes) + 1;
    if (size - payload < frame_size_) {
      tail_ = truncated_tail(index, size - payload, frame_size_);
      break;
    }
    entries_.push_back({pos, payload});
    pos = payload + frame_size_;
  }
  count_ = entries_.size();
}

Y4mResult<Y4mFrame> Y4mStream::beyond_end(size_t index) const {
  if (index == count_ && tail_.kind != Y4mEnd::kClean)
    return fail(tail_.message);
  return fail("frame " + std::to_string(index) + " out of range (" + std::to_string(count_) +
              " frames)");
}

Y4mResult<Y4mFrame> Y4mStream::frame(size_t index) {
  if (index >= count_)
    return beyond_end(index);
  if (fixed_) {
    const size_t marker = header_.header_size + index * (kBareFrameHeader.size() + frame_size_);
    if (bare_marker_at(marker))
      return make_frame(index, marker, marker + kBareFrameHeader.size());
    // The stride guess was wrong (or the data changed): index for real.
    index_by_scanning();
    return frame(index);
  }
  const Entry &e = entries_[index];
  // Checked again on access: the memory may be a file others can rewrite.
  if (std::memcmp(data_.data() + e.marker, kFrameMarker.data(), kFrameMarker.size()) != 0 ||
      data_[e.payload - 1] != '\n')
    return fail(missing_marker(index));
  return make_frame(index, e.marker, e.payload);
}

Y4mFrame Y4mStream::make_frame(size_t index, size_t marker, size_t payload) const {
  Y4mFrame f;
  f.index = index;
  f.payload = data_.data() + payload;
  f.payload_size = frame_size_;
  f.payload_offset = payload;
  f.alignment = y4m_alignment_of(f.payload);
  const size_t params = marker + kFrameMarker.size() + 1;
  if (payload > params + 1)
    f.parameters = std::string_view(reinterpret_cast<const char *>(data_.data() + params),
                                    payload - 1 - params);
  f.interlace = frame_interlace(f.parameters, header_.interlace);

  const uint32_t widths[3] = {header_.width, header_.chroma_width(), header_.chroma_width()};
  const uint32_t heights[3] = {header_.height, header_.chroma_height(), header_.chroma_height()};
  const uint8_t *p = f.payload;
  for (int i = 0; i < 3; ++i) {
    Y4mPlane &plane = f.planes[i];
    plane.data = p;
    plane.width = widths[i];
    plane.height = heights[i];
    plane.size = size_t{widths[i]} * heights[i];
    plane.alignment = y4m_alignment_of(p);
    p += plane.size;
  }
  return f;
}

Y4mFile::Y4mFile(int fd, void *map, size_t size, TruncationGuard guard, std::string path,
                 Y4mStream stream)
    : fd_(fd), map_(map), map_size_(size), guard_(std::move(guard)), path_(std::move(path)),
      stream_(std::move(stream)) {}

Y4mFile::Y4mFile(Y4mFile &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)), guard_(std::move(other.guard_)),
      path_(std::move(other.path_)), stream_(std::move(other.stream_)) {}

Y4mFile &Y4mFile::operator=(Y4mFile &&other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::exchange(other.fd_, -1);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    guard_ = std::move(other.guard_);
    path_ = std::move(other.path_);
    stream_ = std::move(other.stream_);
  }
  return *this;
}

Y4mFile::~Y4mFile() {
  unmap();
}

void Y4mFile::unmap() {
  guard_ = TruncationGuard();
  if (map_ != nullptr)
    munmap(map_, map_size_);
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  map_ = nullptr;
  map_size_ = 0;
}

std::string Y4mFile::shrunk() const {
  struct stat st {};
  if (fstat(fd_, &st) != 0)
    return "cannot stat " + path_ + ": " + std::generic_category().message(errno);
  if (static_cast<uint64_t>(st.st_size) >= map_size_) {
    if (guard_.faulted())
      return path_ + " was cut while mapped (pages read as zeros)";
    return {};
  }
  return path_ + " shrank to " + std::to_string(st.st_size) + " bytes (was " +
         std::to_string(map_size_) + ")";
}

Y4mResult<bool> Y4mFile::read_payload(const Y4mFrame &frame, uint8_t *dst) const {
  size_t done = 0;
  while (done < frame.payload_size) {
    const ssize_t n = pread(fd_, dst + done, frame.payload_size - done,
                            static_cast<off_t>(frame.payload_offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(path_ + ": cannot read frame " + std::to_string(frame.index) + ": " +
                  std::generic_category().message(errno));
    if (n == 0)
      return fail(path_ + ": short read of frame " + std::to_string(frame.index));
    done += static_cast<size_t>(n);
  }
  return true;
}

Y4mResult<Y4mFile> Y4mFile::open(const std::string &path) {
  const auto reason = [](int err) { return std::generic_category().message(err); };
  // O_NONBLOCK so that a FIFO is refused below instead of blocking here.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail("cannot open " + path + ": " + reason(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return fail("cannot open " + path + ": " + reason(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("cannot open " + path + ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return fail("not a Y4M file (empty)");
  }
  if (static_cast<uint64_t>(st.st_size) > SIZE_MAX) {
    ::close(fd);
    return fail("cannot map " + path + ": file too large");
  }
  const auto size = static_cast<size_t>(st.st_size);
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_err = errno;
  if (map == MAP_FAILED) {
    ::close(fd);
    return fail("cannot map " + path + ": " + reason(map_err));
  }
  // Advice only: playback reads front to back.
  madvise(map, size, MADV_SEQUENTIAL);

  // Parsing reads the mapping too.
  TruncationGuard guard(map, size);
  auto stream = Y4mStream::parse(std::span(static_cast<const uint8_t *>(map), size));
  if (!stream) {
    guard = TruncationGuard();
    munmap(map, size);
    ::close(fd);
    return fail(stream.error());
  }
  return Y4mFile(fd, map, size, std::move(guard), path, std::move(stream).value());
}

} // namespace quad::capture
