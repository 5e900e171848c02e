/* Encodes a synthetic clip (a bright square crossing a gradient) to H.265
 * with the C API of quad/temporal_compression.h: no GStreamer, no files in.
 *
 *   hevc_encode [OUT.265] [--frames N] [--width W] [--height H] [--qp N]
 *
 * Prints each coded picture's type, QP and size; writes the Annex B stream
 * to OUT.265 when given (any H.265 decoder plays it: ffplay OUT.265).
 *
 * Build against the installed library:
 *   cc hevc_encode.c $(pkg-config --cflags --libs quad-temporal-compression-1.0)
 *
 * Exits non-zero on an encoder error, or when the stream does not start with
 * a parameter set after an Annex B start code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quad/temporal_compression.h>

/* Luma: a diagonal gradient with a bright square moving 3 samples right
 * and 2 down per picture; chroma: flat grey. */
static void draw(uint8_t *y, uint8_t *cb, uint8_t *cr, int w, int h, int t) {
  const int size = h / 4, x0 = (3 * t) % (w - size), y0 = (2 * t) % (h - size);
  for (int r = 0; r < h; r++)
    for (int c = 0; c < w; c++) {
      const int inside = c >= x0 && c < x0 + size && r >= y0 && r < y0 + size;
      y[r * w + c] = inside ? 235 : (uint8_t)(16 + (c + r) * 128 / (w + h));
    }
  memset(cb, 128, (size_t)(w / 2) * (h / 2));
  memset(cr, 128, (size_t)(w / 2) * (h / 2));
}

static const char *type_name(TCPictureType type) {
  switch (type) {
  case TC_PICTURE_IDR:
    return "IDR";
  case TC_PICTURE_I:
    return "I";
  case TC_PICTURE_P:
    return "P";
  default:
    return "B";
  }
}

struct Stream {
  FILE *out; /* NULL: print only */
  long long bytes;
  int status;
};

static void emit(struct Stream *stream, const TCCodedPicture *coded) {
  /* The first access unit opens with a start code and a VPS (type 32). */
  if (stream->bytes == 0 && (coded->size < 5 || memcmp(coded->data, "\0\0\0\1", 4) != 0 ||
                             ((coded->data[4] >> 1) & 0x3f) != 32)) {
    fprintf(stderr, "hevc_encode: the stream does not open with a VPS\n");
    stream->status = 1;
  }
  printf("picture %3lld: %-3s qp %2d %7zu bytes\n", (long long)coded->pts, type_name(coded->type),
         coded->qp, coded->size);
  stream->bytes += (long long)coded->size;
  if (stream->out)
    fwrite(coded->data, 1, coded->size, stream->out);
}

int main(int argc, char **argv) {
  TCConfig cfg;
  tc_config_default(&cfg);
  cfg.width = 320;
  cfg.height = 192;
  cfg.key_int_max = 30;
  int frames = 10;
  const char *out_path = NULL;
  for (int i = 1; i < argc; i++) {
    const int has_value = i + 1 < argc;
    if (!strcmp(argv[i], "--frames") && has_value)
      frames = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--width") && has_value)
      cfg.width = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--height") && has_value)
      cfg.height = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--qp") && has_value)
      cfg.qp = atoi(argv[++i]);
    else if (argv[i][0] != '-' && !out_path)
      out_path = argv[i];
    else {
      fprintf(stderr,
              "usage: hevc_encode [OUT.265] [--frames N] [--width W] [--height H] [--qp N]\n");
      return 2;
    }
  }
  if (frames <= 0 || cfg.width < 64 || cfg.height < 64) {
    fprintf(stderr, "hevc_encode: need frames > 0 and at least 64x64\n");
    return 2;
  }

  TCEncoder *enc = NULL;
  int rc = tc_init(&cfg, &enc);
  if (rc != TC_OK) {
    fprintf(stderr, "hevc_encode: tc_init refused %dx%d qp %d (error %d)\n", cfg.width, cfg.height,
            cfg.qp, rc);
    return 1;
  }
  rc = tc_set_gop_structure(enc, TC_GOP_LOW_DELAY_P, cfg.key_int_max);
  if (rc != TC_OK) {
    fprintf(stderr, "hevc_encode: low-delay P refused (error %d)\n", rc);
    tc_destroy(enc);
    return 1;
  }

  FILE *out = out_path ? fopen(out_path, "wb") : NULL;
  if (out_path && !out) {
    perror(out_path);
    tc_destroy(enc);
    return 1;
  }
  const size_t luma = (size_t)cfg.width * cfg.height;
  uint8_t *planes = malloc(luma * 3 / 2);
  struct Stream stream = {out, 0, planes ? 0 : 1};
  TCCodedPicture coded;
  for (int t = 0; t < frames && stream.status == 0; t++) {
    uint8_t *y = planes, *cb = planes + luma, *cr = cb + luma / 4;
    draw(y, cb, cr, cfg.width, cfg.height, t);
    TCPicture in = {.planes = {y, cb, cr},
                    .strides = {cfg.width, cfg.width / 2, cfg.width / 2},
                    .format = TC_FORMAT_I420,
                    .pts = t};
    rc = tc_encode(enc, &in, &coded);
    if (rc == 1)
      emit(&stream, &coded);
    else if (rc < 0) {
      fprintf(stderr, "hevc_encode: picture %d failed (error %d)\n", t, rc);
      stream.status = 1;
    }
  }
  while ((rc = tc_drain(enc, &coded)) == 1)
    emit(&stream, &coded);
  if (rc < 0) {
    fprintf(stderr, "hevc_encode: drain failed (error %d)\n", rc);
    stream.status = 1;
  }
  const long long total = stream.bytes;
  int status = stream.status;
  printf("%d pictures, %lld bytes\n", frames, total);
  free(planes);
  if (out && fclose(out) != 0) {
    perror(out_path);
    status = 1;
  }
  tc_destroy(enc);
  return status;
}
