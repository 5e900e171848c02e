/* Length-prefixed NAL units and decoder configuration records. */
#include "nal_units.h"

#include <algorithm>
#include <optional>

namespace quad::nal {
namespace {

constexpr int kH264Sps = 7;
constexpr int kH264Pps = 8;
constexpr int kH265Vps = 32;
constexpr int kH265Sps = 33;
constexpr int kH265Pps = 34;

/* Reads an RBSP: emulation prevention bytes (H.264 7.4.1, H.265 7.4.2)
 * are skipped as they come. */
class RbspReader {
public:
  explicit RbspReader(std::span<const uint8_t> nal) : nal_(nal) {}

  std::optional<uint32_t> bits(int n) {
    uint32_t value = 0;
    for (int i = 0; i < n; i++) {
      const std::optional<uint32_t> bit = next_bit();
      if (!bit)
        return std::nullopt;
      value = (value << 1) | *bit;
    }
    return value;
  }

  /* ue(v), H.264 9.1 and H.265 9.2. */
  std::optional<uint32_t> exp_golomb() {
    int zeros = 0;
    for (;;) {
      const std::optional<uint32_t> bit = next_bit();
      if (!bit || zeros > 31)
        return std::nullopt;
      if (*bit)
        break;
      zeros++;
    }
    const std::optional<uint32_t> rest = bits(zeros);
    if (!rest)
      return std::nullopt;
    return (uint32_t{1} << zeros) - 1 + *rest;
  }

private:
  std::optional<uint32_t> next_bit() {
    if (bit_ == 0) {
      if (pos_ >= nal_.size())
        return std::nullopt;
      if (zeros_ == 2 && nal_[pos_] == 3) {
        pos_++;
        zeros_ = 0;
        if (pos_ >= nal_.size())
          return std::nullopt;
      }
      zeros_ = nal_[pos_] == 0 ? zeros_ + 1 : 0;
      byte_ = nal_[pos_++];
      bit_ = 8;
    }
    bit_--;
    return (byte_ >> bit_) & 1u;
  }

  std::span<const uint8_t> nal_;
  size_t pos_ = 0;
  int zeros_ = 0;
  uint8_t byte_ = 0;
  int bit_ = 0;
};

void put16(std::vector<uint8_t> &out, size_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

struct ChromaFormat {
  uint32_t chroma_format_idc = 1;
  uint32_t bit_depth_luma_minus8 = 0;
  uint32_t bit_depth_chroma_minus8 = 0;
};

/* H.264 7.3.2.1.1: the fields after seq_parameter_set_id in the profiles
 * that carry them (High and above); 4:2:0 8-bit for the others. */
std::optional<ChromaFormat> h264_chroma_format(std::span<const uint8_t> sps) {
  RbspReader r(sps.subspan(1));
  const std::optional<uint32_t> profile_idc = r.bits(8);
  if (!profile_idc || !r.bits(16) || !r.exp_golomb())
    return std::nullopt;
  ChromaFormat f;
  static constexpr uint32_t kHighProfiles[] = {100, 110, 122, 244, 44,  83, 86,
                                               118, 128, 138, 139, 134, 135};
  bool high = false;
  for (uint32_t p : kHighProfiles)
    high |= p == *profile_idc;
  if (!high)
    return f;
  const std::optional<uint32_t> chroma = r.exp_golomb();
  if (!chroma || (*chroma == 3 && !r.bits(1)))
    return std::nullopt;
  const std::optional<uint32_t> luma = r.exp_golomb();
  const std::optional<uint32_t> chroma_depth = r.exp_golomb();
  if (!luma || !chroma_depth)
    return std::nullopt;
  return ChromaFormat{*chroma, *luma, *chroma_depth};
}

/* ISO/IEC 14496-15 5.3.3.1 AVCDecoderConfigurationRecord. */
std::vector<uint8_t> avc_configuration(const std::vector<std::span<const uint8_t>> &sps,
                                       const std::vector<std::span<const uint8_t>> &pps) {
  std::vector<uint8_t> out;
  if (sps.empty() || pps.empty() || sps[0].size() < 4)
    return out;
  const std::optional<ChromaFormat> format = h264_chroma_format(sps[0]);
  if (!format)
    return out;
  out = {1, sps[0][1], sps[0][2], sps[0][3], 0xfc | 3, static_cast<uint8_t>(0xe0 | sps.size())};
  for (const auto &nal : sps) {
    put16(out, nal.size());
    out.insert(out.end(), nal.begin(), nal.end());
  }
  out.push_back(static_cast<uint8_t>(pps.size()));
  for (const auto &nal : pps) {
    put16(out, nal.size());
    out.insert(out.end(), nal.begin(), nal.end());
  }
  const uint8_t profile = sps[0][1];
  if (profile == 100 || profile == 110 || profile == 122 || profile == 144) {
    out.push_back(static_cast<uint8_t>(0xfc | format->chroma_format_idc));
    out.push_back(static_cast<uint8_t>(0xf8 | format->bit_depth_luma_minus8));
    out.push_back(static_cast<uint8_t>(0xf8 | format->bit_depth_chroma_minus8));
    out.push_back(0); /* numOfSequenceParameterSetExt */
  }
  return out;
}

/* The hvcC fields an SPS gives (H.265 7.3.2.2.1 and 7.3.3). */
struct HevcSpsFields {
  uint8_t profile_tier_level[12]; /* general_profile_space .. general_level_idc */
  uint32_t max_sub_layers_minus1 = 0;
  uint32_t temporal_id_nesting = 0;
  ChromaFormat format;
};

std::optional<HevcSpsFields> hevc_sps_fields(std::span<const uint8_t> sps) {
  RbspReader r(sps.subspan(2));
  HevcSpsFields f;
  const std::optional<uint32_t> head =
      r.bits(8); /* vps id (4), max_sub_layers_minus1 (3), nesting (1) */
  if (!head)
    return std::nullopt;
  f.max_sub_layers_minus1 = (*head >> 1) & 7;
  f.temporal_id_nesting = *head & 1;
  for (uint8_t &byte : f.profile_tier_level) {
    const std::optional<uint32_t> b = r.bits(8);
    if (!b)
      return std::nullopt;
    byte = static_cast<uint8_t>(*b);
  }
  /* Sub-layer profile and level presence, then what they announce. */
  bool profile_present[8] = {};
  bool level_present[8] = {};
  for (uint32_t i = 0; i < f.max_sub_layers_minus1; i++) {
    const std::optional<uint32_t> flags = r.bits(2);
    if (!flags)
      return std::nullopt;
    profile_present[i] = *flags & 2;
    level_present[i] = *flags & 1;
  }
  if (f.max_sub_layers_minus1 > 0 && !r.bits(2 * (8 - static_cast<int>(f.max_sub_layers_minus1))))
    return std::nullopt;
  for (uint32_t i = 0; i < f.max_sub_layers_minus1; i++) {
    if (profile_present[i] && (!r.bits(32) || !r.bits(32) || !r.bits(24)))
      return std::nullopt;
    if (level_present[i] && !r.bits(8))
      return std::nullopt;
  }
  const std::optional<uint32_t> sps_id = r.exp_golomb();
  const std::optional<uint32_t> chroma = r.exp_golomb();
  if (!sps_id || !chroma || (*chroma == 3 && !r.bits(1)))
    return std::nullopt;
  const std::optional<uint32_t> width = r.exp_golomb();
  const std::optional<uint32_t> height = r.exp_golomb();
  const std::optional<uint32_t> window = r.bits(1);
  if (!width || !height || !window)
    return std::nullopt;
  if (*window)
    for (int i = 0; i < 4; i++)
      if (!r.exp_golomb())
        return std::nullopt;
  const std::optional<uint32_t> luma = r.exp_golomb();
  const std::optional<uint32_t> chroma_depth = r.exp_golomb();
  if (!luma || !chroma_depth)
    return std::nullopt;
  f.format = ChromaFormat{*chroma, *luma, *chroma_depth};
  return f;
}

/* ISO/IEC 14496-15 8.3.3.1 HEVCDecoderConfigurationRecord. */
std::vector<uint8_t> hevc_configuration(const std::vector<std::span<const uint8_t>> &vps,
                                        const std::vector<std::span<const uint8_t>> &sps,
                                        const std::vector<std::span<const uint8_t>> &pps,
                                        bool complete) {
  std::vector<uint8_t> out;
  if (vps.empty() || sps.empty() || pps.empty() || sps[0].size() < 3)
    return out;
  const std::optional<HevcSpsFields> f = hevc_sps_fields(sps[0]);
  if (!f)
    return out;
  uint8_t head[23] = {1};
  std::copy(std::begin(f->profile_tier_level), std::end(f->profile_tier_level), head + 1);
  head[13] = 0xf0; /* min_spatial_segmentation_idc 0 */
  head[14] = 0x00;
  head[15] = 0xfc; /* parallelismType 0: unknown */
  head[16] = static_cast<uint8_t>(0xfc | f->format.chroma_format_idc);
  head[17] = static_cast<uint8_t>(0xf8 | f->format.bit_depth_luma_minus8);
  head[18] = static_cast<uint8_t>(0xf8 | f->format.bit_depth_chroma_minus8);
  head[19] = head[20] = 0; /* avgFrameRate unknown */
  /* constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3. */
  head[21] = static_cast<uint8_t>(((f->max_sub_layers_minus1 + 1) << 3) |
                                  (f->temporal_id_nesting << 2) | 3);
  head[22] = 3; /* numOfArrays */
  out.assign(std::begin(head), std::end(head));
  const std::pair<int, const std::vector<std::span<const uint8_t>> *> arrays[] = {
      {kH265Vps, &vps}, {kH265Sps, &sps}, {kH265Pps, &pps}};
  for (const auto &[type, nals] : arrays) {
    out.push_back(static_cast<uint8_t>((complete ? 0x80 : 0) | type)); /* array_completeness */
    put16(out, nals->size());
    for (const auto &nal : *nals) {
      put16(out, nal.size());
      out.insert(out.end(), nal.begin(), nal.end());
    }
  }
  return out;
}

} // namespace

int nal_type(std::span<const uint8_t> nal, Codec codec) {
  if (nal.empty())
    return -1;
  return codec == Codec::H264 ? (nal[0] & 0x1f) : ((nal[0] >> 1) & 0x3f);
}

bool is_parameter_set(int type, Codec codec) {
  return codec == Codec::H264 ? (type == kH264Sps || type == kH264Pps)
                              : (type == kH265Vps || type == kH265Sps || type == kH265Pps);
}

std::vector<std::span<const uint8_t>> split_annex_b(std::span<const uint8_t> data) {
  std::vector<std::span<const uint8_t>> nals;
  const size_t n = data.size();
  size_t start = n; /* first byte of the NAL unit being read */
  for (size_t i = 0; i + 3 <= n; i++) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
      continue;
    if (start < n) {
      size_t end = i;
      while (end > start && data[end - 1] == 0) /* trailing zeros and a 4-byte code's first */
        end--;
      nals.push_back(data.subspan(start, end - start));
    }
    start = i + 3;
    i += 2;
  }
  if (start < n)
    nals.push_back(data.subspan(start));
  return nals;
}

void to_length_prefixed(std::span<const uint8_t> access_unit, Codec codec, bool drop_parameter_sets,
                        std::vector<uint8_t> &out) {
  out.clear();
  for (std::span<const uint8_t> nal : split_annex_b(access_unit)) {
    if (drop_parameter_sets && is_parameter_set(nal_type(nal, codec), codec))
      continue;
    const size_t size = nal.size();
    out.push_back(static_cast<uint8_t>(size >> 24));
    out.push_back(static_cast<uint8_t>(size >> 16));
    out.push_back(static_cast<uint8_t>(size >> 8));
    out.push_back(static_cast<uint8_t>(size));
    out.insert(out.end(), nal.begin(), nal.end());
  }
}

std::vector<uint8_t> decoder_configuration(std::span<const uint8_t> headers, Codec codec,
                                           bool complete) {
  std::vector<std::span<const uint8_t>> vps, sps, pps;
  for (std::span<const uint8_t> nal : split_annex_b(headers)) {
    const int type = nal_type(nal, codec);
    if (type == (codec == Codec::H264 ? kH264Sps : kH265Sps))
      sps.push_back(nal);
    else if (type == (codec == Codec::H264 ? kH264Pps : kH265Pps))
      pps.push_back(nal);
    else if (codec == Codec::H265 && type == kH265Vps)
      vps.push_back(nal);
  }
  return codec == Codec::H264 ? avc_configuration(sps, pps)
                              : hevc_configuration(vps, sps, pps, complete);
}

} // namespace quad::nal
