/* quad_fallback: live H.264 (libx264) and H.265 (libx265) encoding for
 * programs without GStreamer. GPL, as the libraries are.
 *
 *   QFEncoder *enc = qf_encoder_create(QF_CODEC_H265, 1280, 720, 30, 1);
 *   QFPacket pkt;
 *   if (qf_encoder_encode(enc, planes, strides, pts, 0, &pkt) == 1)
 *     for (int i = 0; i < pkt.nal_count; i++) send(pkt.nals[i].data, pkt.nals[i].size);
 *   while (qf_encoder_flush(enc, &pkt) == 1) ...;
 *   qf_encoder_destroy(enc);
 *
 * Input is 8-bit I420 read in place. Defaults are the elements' live
 * defaults: no B-frames, no lookahead, zero-latency tuning, CBR 2048 kbit/s,
 * veryfast, an IDR every 60 pictures with parameter sets repeated.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QFEncoder QFEncoder;

typedef enum { QF_CODEC_H264 = 0, QF_CODEC_H265 = 1 } QFCodec;
typedef enum { QF_RC_CQP = 0, QF_RC_CBR = 1, QF_RC_VBR = 2 } QFRateControl;

typedef struct {
  QFCodec codec;
  int width;  /* even, >= 16 */
  int height; /* even, >= 16 */
  int fps_n;
  int fps_d;
  QFRateControl rate_control;
  int bitrate_kbps;
  int qp;            /* 0..51, for QF_RC_CQP */
  int vbv_buffer_ms; /* 0: one frame interval */
  int key_int_max;   /* 0: only the first picture is an IDR */
  int preset;        /* 0 ultrafast .. 6 slow */
  int threads;       /* 0: one per core */
  int intra_refresh;
} QFConfig;

typedef struct {
  const uint8_t *data; /* with its start code */
  size_t size;
  int type; /* nal_unit_type of the codec */
} QFNal;

typedef struct {
  const uint8_t *data; /* the whole access unit, Annex B */
  size_t size;
  const QFNal *nals;
  int nal_count;
  int64_t pts; /* as given to qf_encoder_encode */
  int keyframe;
} QFPacket; /* valid until the next call on the same encoder */

/* Fills config with the live defaults for codec, size and frame rate. */
void qf_config_default(QFConfig *config, QFCodec codec, int width, int height, int fps_n,
                       int fps_d);

/* NULL when the size, rate or settings are refused (qf_last_error says why). */
QFEncoder *qf_encoder_create(QFCodec codec, int width, int height, int fps_n, int fps_d);
QFEncoder *qf_encoder_create_with_config(const QFConfig *config);

/* Encodes one I420 picture. Returns 1 with a packet in out, 0 when the
 * encoder holds the picture for now, -1 on error. */
int qf_encoder_encode(QFEncoder *encoder, const uint8_t *const planes[3],
                      const ptrdiff_t strides[3], int64_t pts, int force_idr, QFPacket *out);

/* Returns held pictures at the end of a stream: 1 per packet, 0 when none
 * is left, -1 on error. */
int qf_encoder_flush(QFEncoder *encoder, QFPacket *out);

/* Upper bound on pictures held between encode and packet. */
int qf_encoder_delayed_frames(const QFEncoder *encoder);

/* The reason for the last failure on this thread (create) or encoder. */
const char *qf_last_error(void);
const char *qf_encoder_error(const QFEncoder *encoder);

void qf_encoder_destroy(QFEncoder *encoder);

#ifdef __cplusplus
}
#endif
