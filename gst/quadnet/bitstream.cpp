#include "bitstream.h"

#include <cstdio>

namespace quad::net {

namespace {

constexpr uint8_t kStartCode[4] = {0, 0, 0, 1};

// Calls fn(nal) for every NAL unit between Annex B start codes.
template <typename Fn> void for_each_nal(std::span<const uint8_t> au, Fn fn) {
  const size_t n = au.size();
  size_t i = 0;
  auto next_start = [&](size_t from, size_t &code_len) -> size_t {
    for (size_t k = from; k + 2 < n; ++k) {
      if (au[k] == 0 && au[k + 1] == 0 && au[k + 2] == 1) {
        code_len = 3;
        if (k > from && au[k - 1] == 0) {
          code_len = 4;
          return k - 1;
        }
        return k;
      }
    }
    code_len = 0;
    return n;
  };
  size_t code_len = 0;
  i = next_start(0, code_len);
  while (i < n) {
    const size_t begin = i + code_len;
    size_t next_len = 0;
    const size_t end = next_start(begin, next_len);
    if (end > begin)
      fn(au.subspan(begin, end - begin));
    i = end;
    code_len = next_len;
  }
}

// Emulation prevention bytes removed (H.264 7.4.1, H.265 7.4.2), up to limit.
std::vector<uint8_t> unescape(std::span<const uint8_t> nal, size_t limit) {
  std::vector<uint8_t> out;
  int zeros = 0;
  for (size_t i = 0; i < nal.size() && out.size() < limit; ++i) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    out.push_back(nal[i]);
  }
  return out;
}

std::string hex_upper(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%X", v);
  return buf;
}

} // namespace

AccessUnitInfo inspect_annexb(Codec codec, std::span<const uint8_t> au) {
  AccessUnitInfo info;
  for_each_nal(au, [&](std::span<const uint8_t> nal) {
    if (codec == Codec::kH264) {
      const int type = nal[0] & 0x1f;
      if (type == 5)
        info.key = true;
      if (type == 7) {
        info.parameter_sets = true;
        if (!info.codec_string)
          info.codec_string = codec_string_from_sps(codec, nal);
      }
    } else {
      const int type = (nal[0] >> 1) & 0x3f;
      if (type >= 16 && type <= 23) // H.265 Table 7-1: IRAP pictures
        info.key = true;
      if (type == 33) {
        info.parameter_sets = true;
        if (!info.codec_string)
          info.codec_string = codec_string_from_sps(codec, nal);
      }
    }
  });
  return info;
}

std::optional<std::string> codec_string_from_sps(Codec codec, std::span<const uint8_t> sps) {
  if (codec == Codec::kH264) {
    // H.264 7.3.2.1.1: profile_idc, constraint flags, level_idc follow the NAL header.
    const auto rbsp = unescape(sps, 4);
    if (rbsp.size() < 4)
      return std::nullopt;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "avc1.%02x%02x%02x", rbsp[1], rbsp[2], rbsp[3]);
    return std::string(buf);
  }
  // H.265 7.3.2.2: 2-byte NAL header, one byte of ids, then profile_tier_level
  // (7.3.3): 1 byte space/tier/profile, 4 compatibility bytes, 6 constraint
  // bytes, 1 level byte.
  const auto rbsp = unescape(sps, 15);
  if (rbsp.size() < 15)
    return std::nullopt;
  const uint8_t *ptl = &rbsp[3];
  const int space = ptl[0] >> 6, tier = (ptl[0] >> 5) & 1, profile = ptl[0] & 0x1f;
  uint32_t compat = 0;
  for (int i = 0; i < 4; ++i)
    compat = (compat << 8) | ptl[1 + i];
  // ISO/IEC 14496-15 E.3: the compatibility flags in reverse bit order.
  uint32_t reversed = 0;
  for (int i = 0; i < 32; ++i)
    if (compat & (1u << i))
      reversed |= 1u << (31 - i);
  std::string s = "hvc1.";
  if (space > 0)
    s += static_cast<char>('A' + space - 1);
  s += std::to_string(profile) + "." + hex_upper(reversed) + "." + (tier ? "H" : "L") +
       std::to_string(ptl[11]);
  int last = 5; // trailing zero constraint bytes are left out
  while (last >= 0 && ptl[5 + last] == 0)
    --last;
  for (int i = 0; i <= last; ++i)
    s += "." + hex_upper(ptl[5 + i]);
  return s;
}

std::vector<uint8_t> extract_parameter_sets(Codec codec, std::span<const uint8_t> au) {
  std::vector<uint8_t> out;
  for_each_nal(au, [&](std::span<const uint8_t> nal) {
    const int type = codec == Codec::kH264 ? (nal[0] & 0x1f) : ((nal[0] >> 1) & 0x3f);
    const bool is_ps =
        codec == Codec::kH264 ? (type == 7 || type == 8) : (type >= 32 && type <= 34);
    if (!is_ps)
      return;
    out.insert(out.end(), kStartCode, kStartCode + 4);
    out.insert(out.end(), nal.begin(), nal.end());
  });
  return out;
}

std::optional<AvcConfig> parse_avcc(std::span<const uint8_t> r) {
  if (r.size() < 7 || r[0] != 1)
    return std::nullopt;
  AvcConfig config;
  config.length_size = (r[4] & 3) + 1;
  if (config.length_size == 3)
    return std::nullopt;
  size_t pos = 5;
  for (int list = 0; list < 2; ++list) {
    if (pos >= r.size())
      return std::nullopt;
    const int count = list == 0 ? (r[pos] & 0x1f) : r[pos];
    ++pos;
    for (int i = 0; i < count; ++i) {
      if (pos + 2 > r.size())
        return std::nullopt;
      const size_t len = (size_t(r[pos]) << 8) | r[pos + 1];
      pos += 2;
      if (len == 0 || pos + len > r.size())
        return std::nullopt;
      config.parameter_sets_annexb.insert(config.parameter_sets_annexb.end(), kStartCode,
                                          kStartCode + 4);
      config.parameter_sets_annexb.insert(config.parameter_sets_annexb.end(), r.begin() + pos,
                                          r.begin() + pos + len);
      pos += len;
    }
  }
  return config;
}

bool avc_to_annexb(std::span<const uint8_t> au, int length_size, std::vector<uint8_t> &out) {
  size_t pos = 0;
  while (pos < au.size()) {
    if (pos + length_size > au.size())
      return false;
    size_t len = 0;
    for (int i = 0; i < length_size; ++i)
      len = (len << 8) | au[pos + i];
    pos += length_size;
    if (len > au.size() - pos)
      return false;
    out.insert(out.end(), kStartCode, kStartCode + 4);
    out.insert(out.end(), au.begin() + pos, au.begin() + pos + len);
    pos += len;
  }
  return true;
}

} // namespace quad::net
