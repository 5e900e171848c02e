/* The C API over quad::fallback::Encoder. */
#include "quad/quad_fallback.h"

#include <string>
#include <vector>

#include "fallback_encoder.h"

using quad::fallback::EncodeResult;

struct QFEncoder {
  std::unique_ptr<quad::fallback::Encoder> encoder;
  QFCodec codec;
  std::vector<QFNal> nals;
};

static thread_local std::string last_error;

void qf_config_default(QFConfig *config, QFCodec codec, int width, int height, int fps_n,
                       int fps_d) {
  const quad::fallback::EncoderConfig d;
  config->codec = codec;
  config->width = width;
  config->height = height;
  config->fps_n = fps_n;
  config->fps_d = fps_d;
  config->rate_control = QF_RC_CBR;
  config->bitrate_kbps = d.bitrate_kbps;
  config->qp = d.qp;
  config->vbv_buffer_ms = d.vbv_buffer_ms;
  config->key_int_max = d.key_int_max;
  config->preset = d.preset;
  config->threads = d.threads;
  config->intra_refresh = d.intra_refresh;
}

QFEncoder *qf_encoder_create(QFCodec codec, int width, int height, int fps_n, int fps_d) {
  QFConfig config;
  qf_config_default(&config, codec, width, height, fps_n, fps_d);
  return qf_encoder_create_with_config(&config);
}

QFEncoder *qf_encoder_create_with_config(const QFConfig *config) {
  if (!config || (config->codec != QF_CODEC_H264 && config->codec != QF_CODEC_H265) ||
      config->rate_control < QF_RC_CQP || config->rate_control > QF_RC_VBR) {
    last_error = "invalid configuration";
    return nullptr;
  }
  quad::fallback::EncoderConfig c;
  c.codec =
      config->codec == QF_CODEC_H264 ? quad::fallback::Codec::H264 : quad::fallback::Codec::H265;
  c.width = config->width;
  c.height = config->height;
  c.fps_n = config->fps_n;
  c.fps_d = config->fps_d;
  c.rate_control = static_cast<quad::fallback::RateControl>(config->rate_control);
  c.bitrate_kbps = config->bitrate_kbps;
  c.qp = config->qp;
  c.vbv_buffer_ms = config->vbv_buffer_ms;
  c.key_int_max = config->key_int_max;
  c.preset = config->preset;
  c.threads = config->threads;
  c.intra_refresh = config->intra_refresh != 0;
  std::string error;
  auto encoder = quad::fallback::create_encoder(c, &error);
  if (!encoder) {
    last_error = error;
    return nullptr;
  }
  return new QFEncoder{std::move(encoder), config->codec, {}};
}

/* Splits an Annex B access unit at its start codes. */
static void fill_packet(QFEncoder *e, const quad::fallback::Packet &p, QFPacket *out) {
  e->nals.clear();
  const uint8_t *d = p.data.data();
  const size_t n = p.data.size();
  size_t start = n;
  for (size_t i = 0; i + 3 <= n; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      const size_t begin = (i > 0 && d[i - 1] == 0) ? i - 1 : i;
      if (start < n)
        e->nals.back().size = begin - start;
      start = begin;
      const uint8_t header = i + 3 < n ? d[i + 3] : 0;
      const int type = e->codec == QF_CODEC_H264 ? (header & 0x1f) : ((header >> 1) & 0x3f);
      e->nals.push_back(QFNal{d + begin, 0, type});
      i += 2;
    }
  }
  if (start < n)
    e->nals.back().size = n - start;
  out->data = d;
  out->size = n;
  out->nals = e->nals.data();
  out->nal_count = static_cast<int>(e->nals.size());
  out->pts = p.pts;
  out->keyframe = p.keyframe;
}

static int finish(QFEncoder *encoder, EncodeResult result, const quad::fallback::Packet &packet,
                  QFPacket *out) {
  if (result == EncodeResult::Error)
    return -1;
  if (result == EncodeResult::NoPacket)
    return 0;
  fill_packet(encoder, packet, out);
  return 1;
}

int qf_encoder_encode(QFEncoder *encoder, const uint8_t *const planes[3],
                      const ptrdiff_t strides[3], int64_t pts, int force_idr, QFPacket *out) {
  if (!encoder || !planes || !strides || !out)
    return -1;
  quad::fallback::SourceFrame picture;
  for (int p = 0; p < 3; p++) {
    picture.planes[p] = planes[p];
    picture.strides[p] = strides[p];
  }
  picture.pts = pts;
  picture.force_idr = force_idr != 0;
  quad::fallback::Packet packet;
  return finish(encoder, encoder->encoder->encode(&picture, packet), packet, out);
}

int qf_encoder_flush(QFEncoder *encoder, QFPacket *out) {
  if (!encoder || !out)
    return -1;
  quad::fallback::Packet packet;
  return finish(encoder, encoder->encoder->encode(nullptr, packet), packet, out);
}

int qf_encoder_delayed_frames(const QFEncoder *encoder) {
  return encoder ? encoder->encoder->delayed_frames() : 0;
}

const char *qf_last_error(void) {
  return last_error.c_str();
}

const char *qf_encoder_error(const QFEncoder *encoder) {
  return encoder ? encoder->encoder->error().c_str() : "";
}

void qf_encoder_destroy(QFEncoder *encoder) {
  delete encoder;
}
