/* Live software encoders behind one interface: libx264 (H.264) and libx265
 * (H.265), configured for low delay (no B-frames; with the zero-latency tune,
 * no lookahead and sliced threads or WPP). GStreamer-free: the elements and
 * the C API are both thin layers over this.
 *
 * Pictures are read in place from the caller's planes; the libraries copy
 * them into their own reference pictures during encode(), so the caller's
 * memory is free again when encode() returns.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace quad::fallback {

enum class Codec { H264, H265 };
enum class RateControl { ConstantQp, ConstantBitrate, VariableBitrate };
/* I420_10: planar 4:2:0 with 10-bit samples in 16-bit little-endian words. */
enum class ChromaLayout { I420, NV12, I420_10 };

/* Tunings by x264's and x265's --tune names; psnr and ssim exclude each
 * other (both are psycho-visual tunings). */
enum Tune : unsigned {
  kTuneZeroLatency = 1u << 0,
  kTunePsnr = 1u << 1,
  kTuneSsim = 1u << 2,
  kTuneFastDecode = 1u << 3,
};

/* x264's and x265's preset names, fastest first. */
inline constexpr const char *kPresetNames[] = {"ultrafast", "superfast", "veryfast", "faster",
                                               "fast",      "medium",    "slow"};
inline constexpr int kPresetCount = 7;

struct EncoderConfig {
  Codec codec = Codec::H264;
  int width = 0;
  int height = 0;
  int fps_n = 30;
  int fps_d = 1;
  ChromaLayout layout = ChromaLayout::I420;
  RateControl rate_control = RateControl::ConstantBitrate;
  int bitrate_kbps = 2048;
  int qp = 32;
  int vbv_buffer_ms = 500; /* 0: one frame interval */
  int key_int_max = 60;    /* 0: only the first picture is an IDR */
  int preset = 2;          /* index into kPresetNames */
  int threads = 0;         /* 0: the library's choice (one per core) */
  bool intra_refresh = false;
  unsigned tune = kTuneZeroLatency; /* Tune flags */
  /* The library's profile name (x264: baseline, main, high, high10; x265:
   * main, main10); empty: the highest the input allows. */
  std::string profile;
  /* Library options as "name=value:name=value", applied over everything else. */
  std::string options;
  bool repeat_headers = true; /* parameter sets before every IDR */
};

struct SourceFrame {
  const uint8_t *planes[3] = {}; /* Y, U, V; NV12: Y, UV */
  std::ptrdiff_t strides[3] = {};
  int64_t pts = 0; /* returned with the packet */
  bool force_idr = false;
  /* Optional, quant_offset_cols() x quant_offset_rows() QP offsets in raster
   * order over 16x16 luma blocks; added to the library's own adaptive
   * quantisation (which needs rate control other than constant QP). */
  const float *quant_offsets = nullptr;
};

struct Packet {
  std::span<const uint8_t> data; /* one access unit, Annex B; valid until the next call */
  int64_t pts = 0;
  bool keyframe = false; /* an IDR (or an intra refresh recovery point) */
};

enum class EncodeResult { Error = -1, NoPacket = 0, Packet = 1 };

class Encoder {
public:
  virtual ~Encoder() = default;

  /* Encodes picture (nullptr drains a held picture) and returns at most one
   * access unit in out. */
  virtual EncodeResult encode(const SourceFrame *picture, Packet &out) = 0;

  /* Upper bound on pictures held inside the library between encode() and
   * its packet, as the library reports it after applying its settings. */
  virtual int delayed_frames() const = 0;

  /* Applies bitrate, vbv-buffer-ms, qp, key_int_max and preset from config
   * to the next picture: rate settings and the preset through the library's
   * reconfigure call (x265's rate through restart_needed()), a changed
   * constant QP as a per-picture quantiser, the key interval by forcing IDRs
   * here. Other fields are ignored. False (and error()) when the library
   * refused. */
  bool reconfigure(const EncoderConfig &config);
  const EncoderConfig &config() const { return config_; }

  /* True when reconfigure() took settings the running library cannot apply
   * (x265's rate): the caller drains this encoder and starts a new one with
   * config(), which begins with an IDR, before the next picture. */
  bool restart_needed() const { return restart_needed_; }

  /* Switches the speed preset while running; false when the library refused. */
  bool set_preset(int preset);
  int preset() const { return config_.preset; }

  /* The parameter sets (VPS, SPS, PPS) the stream starts with, Annex B. */
  virtual std::span<const uint8_t> headers() = 0;

  /* The last error as text (for messages). */
  const std::string &error() const { return error_; }

  int quant_offset_cols() const { return (width_ + 15) / 16; }
  int quant_offset_rows() const { return (height_ + 15) / 16; }

protected:
  /* The library's own reconfigure call for rate settings and preset. */
  virtual bool apply_reconfig(const EncoderConfig &config) = 0;

  /* Whether the library places IDRs by itself (intra refresh cycles need
   * its key interval) rather than this class counting key_int_max. */
  static bool library_keyint(const EncoderConfig &config) { return config.intra_refresh; }
  /* Per picture: true when this picture must be an IDR to keep key_int_max. */
  bool idr_due();
  /* Per packet: counts from a key picture the library placed itself. */
  void note_output(bool keyframe);

  EncoderConfig config_;
  int width_ = 0;
  int height_ = 0;
  std::string error_;
  bool restart_needed_ = false;

private:
  int since_key_ = 0; /* pictures from the last key picture, counting it */
  int64_t pictures_in_ = 0;
  int64_t pictures_out_ = 0;
};

/* An option string, "name=value:name=value", as (name, value) pairs; a bare
 * name means "1", as the libraries' command lines take it. */
std::vector<std::pair<std::string, std::string>> split_options(const std::string &options);

/* nullptr and *error set when the library refuses the configuration. */
std::unique_ptr<Encoder> create_encoder(const EncoderConfig &config, std::string *error);

/* The VBV both libraries get for cbr and vbr: the peak rate (the bit rate for
 * cbr, twice it for vbr) and a buffer of vbv_buffer_ms at that rate (one
 * frame interval when 0), in kbit/s and kbit. */
struct VbvSettings {
  int max_bitrate_kbps;
  int buffer_kbit;
};
VbvSettings vbv_settings(const EncoderConfig &config);

/* Per-block QP offsets from luma variance (grid of block_w x block_h blocks,
 * raster order) resampled onto the 16x16 grid of out (out_cols x out_rows):
 * strength * (log2(1 + variance) - frame mean of it), clamped to +-12. Flat
 * blocks get finer quantisation, busy ones coarser, as in x264's AQ. */
void quant_offsets_from_variance(const uint16_t *variance, int cols, int rows, int block_w,
                                 int block_h, float strength, int out_cols, int out_rows,
                                 float *out);

} // namespace quad::fallback
