/* Temporal compression kernel: the gst-quad HEVC encoder behind a plain C
 * API, usable without GStreamer. Input is 8-bit 4:2:0 (I420 planes or NV12);
 * output is an H.265 Main profile Annex B byte stream, one access unit per
 * coded picture.
 *
 *   TCConfig cfg;
 *   tc_config_default(&cfg);
 *   cfg.width = 1280; cfg.height = 720;
 *   TCEncoder *enc = NULL;
 *   if (tc_init(&cfg, &enc) != TC_OK) ...
 *   TCPicture in = {0};
 *   in.planes[0] = y; in.planes[1] = cb; in.planes[2] = cr;
 *   in.strides[0] = 1280; in.strides[1] = in.strides[2] = 640;
 *   in.pts = pts; in.opaque = my_frame;
 *   TCCodedPicture out;
 *   if (tc_encode(enc, &in, &out) == 1) fwrite(out.data, 1, out.size, f);
 *   ... at the end of the stream:
 *   while (tc_drain(enc, &out) == 1) fwrite(out.data, 1, out.size, f);
 *   tc_destroy(enc);
 *
 * tc_encode may hold pictures back (tc_held_pictures() of them at most) and
 * returns them later in decoding order, each with its pts and opaque handle.
 * This version holds none: every picture comes out of the call that takes
 * it. The older tc_process_frame() calls write into the caller's buffer
 * instead; use one family or the other on an encoder.
 */
#ifndef QUAD_TEMPORAL_COMPRESSION_H
#define QUAD_TEMPORAL_COMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct TCEncoder TCEncoder;

/* Return codes: a non-negative value is a byte count. */
enum {
  TC_OK = 0,
  TC_ERROR_INVALID_ARGUMENT = -1,
  TC_ERROR_UNSUPPORTED = -2,
  /* The access unit did not fit: nothing was written and the picture was
   * not consumed; tc_last_required_size() gives the capacity needed. Call
   * again with the same picture and a larger buffer. */
  TC_ERROR_BUFFER_TOO_SMALL = -3,
  TC_ERROR_OUT_OF_MEMORY = -4,
};

/* Speed presets, fastest first. */
enum {
  TC_PRESET_ULTRAFAST = 0,
  TC_PRESET_SUPERFAST = 1,
  TC_PRESET_VERYFAST = 2,
  TC_PRESET_FASTER = 3,
  TC_PRESET_FAST = 4,
  TC_PRESET_MEDIUM = 5,
  TC_PRESET_SLOW = 6,
};

typedef struct TCConfig {
  int width;        /* even, 16..8192 */
  int height;       /* even, 16..8192 (4320 for the levels up to 6.2) */
  int fps_n;        /* frame rate numerator, > 0 */
  int fps_d;        /* frame rate denominator, > 0 */
  int qp;           /* QP 0..51: every picture's, or the first with a bit rate */
  int key_int_max;  /* IDR period in pictures; 1 = every picture is IDR,
                       0 = only the first */
  int ctu_size;     /* 16, 32 or 64; 0 (the default): the speed preset's,
                       64 up to TC_PRESET_VERYFAST (CUs of 32 at most:
                       fewer wavefront rows and split flags), 32 slower */
  int deblocking;   /* 0 or 1 */
  int speed_preset; /* TC_PRESET_* */
  int threads;      /* with wavefront: threads coding CTU rows (0: one per
                       core), from one oneTBB pool every encoder of the
                       process shares; without it the calling thread codes
                       the picture */
  int bitrate_kbps;  /* > 0: constant bit rate, QP chosen per picture (qp is
                        the first picture's); 0: constant QP */
  int vbv_buffer_ms; /* with bitrate_kbps: the buffer the stream fits, > 0 */
  int ref_frames;    /* TC_GOP_LOW_DELAY_P: pictures a P picture may predict
                        from, 1..4 */
  int gop;           /* a TCGopStructure: TC_GOP_ALL_INTRA (0) or
                        TC_GOP_LOW_DELAY_P */
  int wavefront;     /* non-zero: wavefront parallel processing (a CABAC
                        substream per CTU row, entry points in the slice
                        header), the same stream for every thread count */
  int frame_threads; /* pictures coded at once, 1..16: 1 codes each picture
                        before the next; N > 1 starts a P picture's rows while
                        the pictures before it finish theirs (more throughput
                        from threads), holds N - 1 pictures back
                        (tc_held_pictures) and keeps motion vectors within 64
                        luma rows below their CTU row; the stream depends on
                        N, never on threads */
  int picture_hash;  /* a TCPictureHash: the decoded picture hash SEI after
                        each picture, for decoders to check their output */
} TCConfig;

/* Decoded picture hashes (H.265 D.3.20). MD5 is computed in picture order
 * on one thread at a time, about 70 ms of a 7680x4320 picture: with many
 * threads it bounds the picture rate. The checksum is summed in parallel
 * by CTU row and costs little. */
typedef enum TCPictureHash {
  TC_PICTURE_HASH_MD5 = 0,
  TC_PICTURE_HASH_CHECKSUM = 1,
  TC_PICTURE_HASH_NONE = 2, /* no SEI */
} TCPictureHash;

/* GOP structures for tc_set_gop_structure(). */
typedef enum TCGopStructure {
  TC_GOP_ALL_INTRA = 0, /* every picture intra; IDR every key_int_max */
  TC_GOP_LOW_DELAY_P = 1,
  TC_GOP_LOW_DELAY_B = 2,
} TCGopStructure;

/* Layouts of a TCPicture's planes. */
typedef enum TCPixelFormat {
  TC_FORMAT_I420 = 0, /* planes 0..2: Y, Cb, Cr */
  TC_FORMAT_NV12 = 1, /* planes 0..1: Y, interleaved CbCr */
} TCPixelFormat;

/* The motion of a luma block: predicted from the picture ref_distance
 * pictures earlier at (x + mv_x / 4, y + mv_y / 4) for the block at (x, y);
 * ref_distance 0: no reference (intra, or no motion known). */
typedef struct TCMotionVector {
  int16_t mv_x; /* quarter luma samples */
  int16_t mv_y;
  int32_t ref_distance;
} TCMotionVector;

/* One picture for tc_encode(): width x height luma, chroma halved in both
 * directions, strides in bytes. */
typedef struct TCPicture {
  const uint8_t *planes[3];
  ptrdiff_t strides[3];
  TCPixelFormat format;
  int64_t pts;   /* returned with the coded picture */
  void *opaque;  /* the caller's handle, returned untouched */
  int force_idr; /* non-zero: this picture is an IDR with parameter sets */
  int scene_cut; /* TC_GOP_LOW_DELAY_P: 1 a scene cut (coded as an IDR),
                    -1 known not to be one, 0 the encoder's own test decides */
  /* TC_GOP_LOW_DELAY_P, optional: motion found before the encoder (e.g. by
   * quadmotion) on a grid of hint_cols x hint_rows blocks of
   * hint_block_width x hint_block_height luma samples, raster order. The
   * motion search starts from these vectors as well as its own predictors;
   * they never force a choice. NULL: none. */
  const TCMotionVector *motion_hints;
  int hint_block_width;
  int hint_block_height;
  int hint_cols;
  int hint_rows;
} TCPicture;

/* H.265 picture types of a coded picture. */
typedef enum TCPictureType {
  TC_PICTURE_IDR = 0,
  TC_PICTURE_I = 1,
  TC_PICTURE_P = 2,
  TC_PICTURE_B = 3,
} TCPictureType;

/* One coded picture from tc_encode() or tc_drain(). */
typedef struct TCCodedPicture {
  const uint8_t *data; /* the access unit (VPS/SPS/PPS before every IDR, the
                          slice, a decoded picture hash SEI); owned by the
                          encoder, valid until the next call on it */
  size_t size;         /* bytes at data */
  int64_t pts;         /* the TCPicture's pts and opaque */
  void *opaque;
  TCPictureType type;
  int key_frame; /* non-zero: a decoder can start here */
  int qp;        /* the picture's QP, 0..51 */
  int64_t bits;  /* size * 8 */
} TCCodedPicture;

/* Fills cfg with the defaults: 1280x720 at 30/1, QP 32, key_int_max 1,
 * the preset's CTU size, deblocking on, TC_PRESET_SUPERFAST, 1 thread,
 * constant QP (vbv_buffer_ms 500 for when a bit rate is set), 1 reference
 * frame, TC_GOP_ALL_INTRA, no wavefront, 1 frame thread, MD5 picture
 * hashes. */
void tc_config_default(TCConfig *cfg);

/* Creates an encoder; *out receives it. Returns TC_OK or an error. */
int tc_init(const TCConfig *cfg, TCEncoder **out);

/* Takes one picture. Returns 1 when a coded picture was written to *out
 * (not necessarily this one: pictures come out in decoding order), 0 when
 * the encoder holds it back, or a negative TC_ERROR_*. The picture's
 * samples are read during the call only (a picture held back is copied):
 * its buffers may be reused once tc_encode returns. */
int tc_encode(TCEncoder *enc, const TCPicture *in, TCCodedPicture *out);

/* After the last picture: returns 1 with each held picture in *out, one
 * per call, then 0. */
int tc_drain(TCEncoder *enc, TCCodedPicture *out);

/* Pictures tc_encode may hold at most: the encoder's latency in pictures
 * (frame_threads - 1), or a negative TC_ERROR_*. */
int tc_held_pictures(const TCEncoder *enc);

/* Encodes one picture into the caller's buffer: planes[0..2] are Y, Cb, Cr
 * of width x height (chroma halved in both directions) with the given
 * strides in bytes. Writes the access unit (VPS/SPS/PPS before every IDR,
 * the slice, a decoded picture hash SEI) to out. Returns the bytes written
 * (0 while frame threads hold the picture back: tc_drain returns the last
 * ones) or a negative TC_ERROR_*. */
int tc_process_frame(TCEncoder *enc, const uint8_t *const planes[3], const ptrdiff_t strides[3],
                     uint8_t *out, size_t capacity);

/* The same for NV12 input (Y plane, interleaved CbCr plane). */
int tc_process_frame_nv12(TCEncoder *enc, const uint8_t *y, ptrdiff_t y_stride, const uint8_t *uv,
                          ptrdiff_t uv_stride, uint8_t *out, size_t capacity);

/* Capacity the last TC_ERROR_BUFFER_TOO_SMALL call needed. */
size_t tc_last_required_size(const TCEncoder *enc);

/* Chooses the GOP structure and the IDR period (key_int_max as in
 * TCConfig); the next picture starts a new IDR period. TC_GOP_ALL_INTRA
 * and TC_GOP_LOW_DELAY_P (P pictures predicting from up to ref_frames
 * earlier ones, none held back); TC_GOP_LOW_DELAY_B returns
 * TC_ERROR_UNSUPPORTED. With low-delay P at constant QP, IDR pictures are
 * coded 3 QP finer than qp. */
int tc_set_gop_structure(TCEncoder *enc, TCGopStructure gop, int key_int_max);

/* Speed preset (TC_PRESET_*) of the next picture, from then on: a real-time
 * guard stepping down when encoding falls behind. Returns TC_OK or
 * TC_ERROR_INVALID_ARGUMENT. */
int tc_set_speed_preset(TCEncoder *enc, int preset);

/* QP (0..51) from the next picture on, without a new stream: every
 * picture's at constant QP (a low-delay P stream's IDRs 3 finer), the
 * first one's when tc_set_bitrate() later leaves constant QP. The parameter
 * sets keep the first QP as their init_qp. Returns TC_OK or
 * TC_ERROR_INVALID_ARGUMENT. */
int tc_set_qp(TCEncoder *enc, int qp);

/* Bit rate and VBV buffer (as TCConfig's bitrate_kbps and vbv_buffer_ms)
 * from the next picture on, without a new stream. At a bit rate already,
 * the rate control keeps what it learnt of the pictures' cost and the
 * buffer's fill, and QP moves towards the new rate by at most 4 a picture;
 * from constant QP it starts at qp; kbps 0 returns to constant QP
 * (vbv_buffer_ms is then not read). Returns TC_OK or
 * TC_ERROR_INVALID_ARGUMENT (kbps < 0, or vbv_buffer_ms <= 0 with a rate). */
int tc_set_bitrate(TCEncoder *enc, int kbps, int vbv_buffer_ms);

/* IDR period (as TCConfig's key_int_max, >= 0) from the next picture on,
 * without a new stream (tc_set_gop_structure() starts one): the next IDR
 * comes key_int_max pictures after the last, or with the next picture when
 * that many have passed already. Returns TC_OK or
 * TC_ERROR_INVALID_ARGUMENT. */
int tc_set_key_int_max(TCEncoder *enc, int key_int_max);

/* Makes the next picture an IDR, with parameter sets before it (a receiver
 * joins, a scene cut); the IDR period counts again from there. */
int tc_request_idr(TCEncoder *enc);

/* The reconstruction of the last encoded picture, which every conforming
 * decoder reproduces bit for bit: plane pointers and strides of the display
 * size (width x height) area. Valid until the next call on enc. */
int tc_get_reconstruction(const TCEncoder *enc, const uint8_t *planes[3], ptrdiff_t strides[3]);

/* The motion of the last encoded picture, as its prediction used it, on a
 * grid of 8x8 blocks covering the display size, raster order: *cols x *rows
 * entries into vectors.
 * Returns the entry count, or TC_ERROR_BUFFER_TOO_SMALL (with *cols and
 * *rows set) when capacity is below it. */
int tc_get_motion_vectors(const TCEncoder *enc, TCMotionVector *vectors, size_t capacity,
                          int *cols, int *rows);

void tc_destroy(TCEncoder *enc);

#ifdef __cplusplus
}
#endif

#endif /* QUAD_TEMPORAL_COMPRESSION_H */
