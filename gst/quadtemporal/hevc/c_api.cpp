// C API of the temporal compression kernel (quad/temporal_compression.h).
#include "quad/temporal_compression.h"

#include <cstring>
#include <new>
#include <vector>

#include "encoder.h"

struct TCEncoder {
  quad::hevc::Encoder encoder;
  quad::hevc::CodedPicture coded; // kept when the caller's buffer is short
  bool pending = false;           // coded holds an unread picture
  size_t required = 0;
  std::vector<uint8_t> chroma[2]; // NV12 input split into planes
  std::vector<quad::hevc::BlockMotion> hints;
};

namespace {

// Splits an NV12 CbCr plane into enc->chroma; in.planes[1..2] and
// in.strides[1..2] then point at them.
void split_nv12(TCEncoder *enc, const uint8_t *uv, ptrdiff_t uv_stride,
                quad::hevc::SourcePicture &in) {
  const int cw = enc->encoder.config().width / 2;
  const int ch = enc->encoder.config().height / 2;
  for (auto &p : enc->chroma)
    p.resize(static_cast<size_t>(cw) * ch);
  for (int row = 0; row < ch; ++row) {
    const uint8_t *s = uv + row * uv_stride;
    for (int col = 0; col < cw; ++col) {
      enc->chroma[0][static_cast<size_t>(row) * cw + col] = s[2 * col];
      enc->chroma[1][static_cast<size_t>(row) * cw + col] = s[2 * col + 1];
    }
  }
  for (int c = 1; c < 3; ++c) {
    in.planes[c] = enc->chroma[c - 1].data();
    in.strides[c] = cw;
  }
}

TCPictureType picture_type(quad::hevc::PictureType type) {
  switch (type) {
  case quad::hevc::PictureType::Idr:
    return TC_PICTURE_IDR;
  case quad::hevc::PictureType::I:
    return TC_PICTURE_I;
  case quad::hevc::PictureType::P:
    return TC_PICTURE_P;
  case quad::hevc::PictureType::B:
    return TC_PICTURE_B;
  }
  return TC_PICTURE_I;
}

// Describes enc->coded in out; returns 1 (a picture came out).
int describe_coded(const TCEncoder *enc, TCCodedPicture *out) {
  const quad::hevc::CodedPicture &coded = enc->coded;
  out->data = coded.access_unit.data();
  out->size = coded.access_unit.size();
  out->pts = coded.pts;
  out->opaque = coded.opaque;
  out->type = picture_type(coded.type);
  out->key_frame = coded.key_frame ? 1 : 0;
  out->qp = coded.qp;
  out->bits = coded.bits();
  return 1;
}

} // namespace

extern "C" {

void tc_config_default(TCConfig *cfg) {
  if (!cfg)
    return;
  cfg->width = 1280;
  cfg->height = 720;
  cfg->fps_n = 30;
  cfg->fps_d = 1;
  cfg->qp = 32;
  cfg->key_int_max = 1;
  cfg->ctu_size = 0;
  cfg->deblocking = 1;
  cfg->speed_preset = TC_PRESET_SUPERFAST;
  cfg->threads = 1;
  cfg->bitrate_kbps = 0;
  cfg->vbv_buffer_ms = 500;
  cfg->ref_frames = 1;
  cfg->gop = TC_GOP_ALL_INTRA;
  cfg->wavefront = 0;
  cfg->frame_threads = 1;
  cfg->picture_hash = TC_PICTURE_HASH_MD5;
}

int tc_init(const TCConfig *cfg, TCEncoder **out) {
  if (!cfg || !out || cfg->fps_n <= 0 || cfg->fps_d <= 0 || cfg->threads < 0 ||
      cfg->frame_threads < 1 || cfg->frame_threads > 16 ||
      cfg->bitrate_kbps < 0 || (cfg->bitrate_kbps > 0 && cfg->vbv_buffer_ms <= 0) ||
      cfg->speed_preset < TC_PRESET_ULTRAFAST || cfg->speed_preset > TC_PRESET_SLOW ||
      (cfg->gop != TC_GOP_ALL_INTRA && cfg->gop != TC_GOP_LOW_DELAY_P) ||
      cfg->picture_hash < TC_PICTURE_HASH_MD5 || cfg->picture_hash > TC_PICTURE_HASH_NONE)
    return TC_ERROR_INVALID_ARGUMENT;
  quad::hevc::EncoderConfig c;
  c.width = cfg->width;
  c.height = cfg->height;
  c.fps_n = cfg->fps_n;
  c.fps_d = cfg->fps_d;
  c.qp = cfg->qp;
  c.key_int_max = cfg->key_int_max;
  c.ctu_size = cfg->ctu_size;
  c.deblocking = cfg->deblocking != 0;
  c.speed_preset = cfg->speed_preset;
  c.threads = cfg->threads;
  c.wavefront = cfg->wavefront != 0;
  c.frame_threads = cfg->frame_threads;
  c.bitrate = static_cast<int64_t>(cfg->bitrate_kbps) * 1000;
  c.vbv_buffer_ms = cfg->vbv_buffer_ms;
  c.ref_frames = cfg->ref_frames;
  c.low_delay_p = cfg->gop == TC_GOP_LOW_DELAY_P;
  c.picture_hash = cfg->picture_hash == TC_PICTURE_HASH_CHECKSUM ? quad::hevc::PictureHash::Checksum
                   : cfg->picture_hash == TC_PICTURE_HASH_NONE   ? quad::hevc::PictureHash::None
                                                                 : quad::hevc::PictureHash::Md5;
  TCEncoder *enc = new (std::nothrow) TCEncoder;
  if (!enc)
    return TC_ERROR_OUT_OF_MEMORY;
  if (!enc->encoder.init(c)) {
    delete enc;
    return TC_ERROR_INVALID_ARGUMENT;
  }
  *out = enc;
  return TC_OK;
}

int tc_encode(TCEncoder *enc, const TCPicture *in, TCCodedPicture *out) {
  if (!enc || !in || !out || !in->planes[0] || !in->planes[1] ||
      (in->format == TC_FORMAT_I420 && !in->planes[2]) ||
      (in->format != TC_FORMAT_I420 && in->format != TC_FORMAT_NV12))
    return TC_ERROR_INVALID_ARGUMENT;
  // A tc_process_frame picture still waits for a larger buffer.
  if (enc->pending)
    return TC_ERROR_INVALID_ARGUMENT;
  quad::hevc::SourcePicture source;
  for (int c = 0; c < 3; ++c) {
    source.planes[c] = in->planes[c];
    source.strides[c] = in->strides[c];
  }
  if (in->format == TC_FORMAT_NV12)
    split_nv12(enc, in->planes[1], in->strides[1], source);
  source.pts = in->pts;
  source.opaque = in->opaque;
  source.force_idr = in->force_idr != 0;
  source.scene_cut = in->scene_cut;
  if (in->motion_hints) {
    // A grid no larger than one hint per luma sample of the picture.
    const quad::hevc::EncoderConfig &cfg = enc->encoder.config();
    if (in->hint_block_width <= 0 || in->hint_block_height <= 0 || in->hint_cols <= 0 ||
        in->hint_rows <= 0 || in->hint_cols > cfg.width || in->hint_rows > cfg.height)
      return TC_ERROR_INVALID_ARGUMENT;
    enc->hints.resize(static_cast<size_t>(in->hint_cols) * in->hint_rows);
    for (size_t i = 0; i < enc->hints.size(); ++i) {
      const TCMotionVector &v = in->motion_hints[i];
      enc->hints[i].mv = {v.mv_x, v.mv_y};
      enc->hints[i].ref_distance = v.ref_distance;
    }
    source.motion_hints = {enc->hints.data(), in->hint_block_width, in->hint_block_height,
                           in->hint_cols, in->hint_rows};
  }
  return enc->encoder.encode(source, enc->coded) ? describe_coded(enc, out) : 0;
}

int tc_drain(TCEncoder *enc, TCCodedPicture *out) {
  if (!enc || !out || enc->pending)
    return TC_ERROR_INVALID_ARGUMENT;
  return enc->encoder.drain(enc->coded) ? describe_coded(enc, out) : 0;
}

int tc_held_pictures(const TCEncoder *enc) {
  return enc ? enc->encoder.held_pictures() : TC_ERROR_INVALID_ARGUMENT;
}

int tc_process_frame(TCEncoder *enc, const uint8_t *const planes[3], const ptrdiff_t strides[3],
                     uint8_t *out, size_t capacity) {
  if (!enc || !planes || !strides || !planes[0] || !planes[1] || !planes[2])
    return TC_ERROR_INVALID_ARGUMENT;
  // A picture whose access unit did not fit last time is not encoded twice.
  if (!enc->pending) {
    quad::hevc::SourcePicture in;
    for (int c = 0; c < 3; ++c) {
      in.planes[c] = planes[c];
      in.strides[c] = strides[c];
    }
    enc->pending = enc->encoder.encode(in, enc->coded);
  }
  const size_t size = enc->coded.access_unit.size();
  if (!out || capacity < size) {
    enc->required = size;
    return TC_ERROR_BUFFER_TOO_SMALL;
  }
  if (size > static_cast<size_t>(INT32_MAX))
    return TC_ERROR_UNSUPPORTED;
  std::memcpy(out, enc->coded.access_unit.data(), size);
  enc->pending = false;
  return static_cast<int>(size);
}

int tc_process_frame_nv12(TCEncoder *enc, const uint8_t *y, ptrdiff_t y_stride, const uint8_t *uv,
                          ptrdiff_t uv_stride, uint8_t *out, size_t capacity) {
  if (!enc || !y || !uv)
    return TC_ERROR_INVALID_ARGUMENT;
  quad::hevc::SourcePicture in;
  in.planes[0] = y;
  in.strides[0] = y_stride;
  split_nv12(enc, uv, uv_stride, in);
  return tc_process_frame(enc, in.planes, in.strides, out, capacity);
}

size_t tc_last_required_size(const TCEncoder *enc) {
  return enc ? enc->required : 0;
}

int tc_set_gop_structure(TCEncoder *enc, TCGopStructure gop, int key_int_max) {
  if (!enc || key_int_max < 0)
    return TC_ERROR_INVALID_ARGUMENT;
  if (gop != TC_GOP_ALL_INTRA && gop != TC_GOP_LOW_DELAY_P)
    return TC_ERROR_UNSUPPORTED;
  quad::hevc::EncoderConfig c = enc->encoder.config();
  c.key_int_max = key_int_max;
  c.low_delay_p = gop == TC_GOP_LOW_DELAY_P;
  return enc->encoder.init(c) ? TC_OK : TC_ERROR_INVALID_ARGUMENT;
}

int tc_set_speed_preset(TCEncoder *enc, int preset) {
  if (!enc || preset < TC_PRESET_ULTRAFAST || preset > TC_PRESET_SLOW)
    return TC_ERROR_INVALID_ARGUMENT;
  enc->encoder.set_speed_preset(preset);
  return TC_OK;
}

int tc_set_qp(TCEncoder *enc, int qp) {
  if (!enc || qp < 0 || qp > 51)
    return TC_ERROR_INVALID_ARGUMENT;
  enc->encoder.set_qp(qp);
  return TC_OK;
}

int tc_set_bitrate(TCEncoder *enc, int kbps, int vbv_buffer_ms) {
  if (!enc || kbps < 0 || (kbps > 0 && vbv_buffer_ms <= 0))
    return TC_ERROR_INVALID_ARGUMENT;
  enc->encoder.set_bitrate(static_cast<int64_t>(kbps) * 1000,
                           kbps > 0 ? vbv_buffer_ms : enc->encoder.config().vbv_buffer_ms);
  return TC_OK;
}

int tc_set_key_int_max(TCEncoder *enc, int key_int_max) {
  if (!enc || key_int_max < 0)
    return TC_ERROR_INVALID_ARGUMENT;
  enc->encoder.set_key_int_max(key_int_max);
  return TC_OK;
}

int tc_request_idr(TCEncoder *enc) {
  if (!enc)
    return TC_ERROR_INVALID_ARGUMENT;
  enc->encoder.request_idr();
  return TC_OK;
}

int tc_get_reconstruction(const TCEncoder *enc, const uint8_t *planes[3], ptrdiff_t strides[3]) {
  if (!enc || !planes || !strides || enc->encoder.pictures_encoded() == 0)
    return TC_ERROR_INVALID_ARGUMENT;
  const quad::hevc::PictureSamples &rec = enc->encoder.reconstruction();
  for (int c = 0; c < 3; ++c) {
    planes[c] = rec.planes[c];
    strides[c] = rec.stride[c];
  }
  return TC_OK;
}

int tc_get_motion_vectors(const TCEncoder *enc, TCMotionVector *vectors, size_t capacity, int *cols,
                          int *rows) {
  if (!enc || !cols || !rows || enc->encoder.pictures_encoded() == 0)
    return TC_ERROR_INVALID_ARGUMENT;
  std::vector<quad::hevc::BlockMotion> grid;
  enc->encoder.motion_grid(grid, *cols, *rows);
  if (!vectors || capacity < grid.size())
    return TC_ERROR_BUFFER_TOO_SMALL;
  for (size_t i = 0; i < grid.size(); ++i)
    vectors[i] = {grid[i].mv.x, grid[i].mv.y, grid[i].ref_distance};
  return static_cast<int>(grid.size());
}

void tc_destroy(TCEncoder *enc) {
  delete enc;
}

} // extern "C"
