/* Encodes a 4:2:0 8-bit Y4M file to an H.265 Annex B file with the C API of
 * quad/temporal_compression.h.
 *
 *   tc_encode_y4m in.y4m out.265 [--qp N] [--ctu 16|32|64] [--preset 0..6]
 *                 [--keyint N] [--no-deblock] [--frames N] [--recon rec.yuv]
 *                 [--gop intra|p] [--refs 1..4] [--wpp] [--threads N]
 *                 [--frame-threads N] [--hash md5|checksum|none]
 *
 * --gop p codes low-delay P pictures predicting from up to --refs earlier
 * ones (IDR every --keyint pictures, 0: only the first).
 * --wpp codes each CTU row as its own substream, --threads N rows at once
 * (0: one per core); the stream does not depend on N.
 * --frame-threads N codes N pictures at once (P pictures start while the
 * ones before them finish), holding N - 1 back.
 * --hash picks the decoded picture hash SEI (MD5 by default).
 * --recon writes the encoder's reconstruction (raw I420), which every
 * conforming decoder reproduces exactly.
 * The file is read a picture ahead on a thread of its own (as x265's
 * command line reads), so reading is not among the encoder's serial work. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quad/temporal_compression.h"

static int parse_header(FILE *f, int *w, int *h, int *fps_n, int *fps_d) {
  char line[512];
  if (!fgets(line, sizeof line, f) || strncmp(line, "YUV4MPEG2", 9) != 0)
    return 0;
  *fps_n = 30;
  *fps_d = 1;
  for (char *tok = strtok(line + 9, " \n"); tok; tok = strtok(NULL, " \n")) {
    if (tok[0] == 'W')
      *w = atoi(tok + 1);
    else if (tok[0] == 'H')
      *h = atoi(tok + 1);
    else if (tok[0] == 'F')
      sscanf(tok + 1, "%d:%d", fps_n, fps_d);
    else if (tok[0] == 'C' && strncmp(tok + 1, "420", 3) != 0)
      return 0; /* only 4:2:0 */
  }
  return *w > 0 && *h > 0;
}

static int read_frame(FILE *f, uint8_t *buf, size_t size) {
  char line[256];
  if (!fgets(line, sizeof line, f) || strncmp(line, "FRAME", 5) != 0)
    return 0;
  return fread(buf, 1, size, f) == size;
}

/* Two frame buffers: the reader thread fills one while the encoder takes
 * the other. state[i] is 0 (free), 1 (holds a frame) or -1 (no more). */
typedef struct {
  FILE *f;
  size_t frame_size;
  long max_frames;
  uint8_t *frame[2];
  int state[2];
  pthread_mutex_t lock;
  pthread_cond_t changed;
} Reader;

static void set_state(Reader *r, int slot, int state) {
  pthread_mutex_lock(&r->lock);
  r->state[slot] = state;
  pthread_cond_broadcast(&r->changed);
  pthread_mutex_unlock(&r->lock);
}

/* Waits until slot is free (want_frame 0) or no longer free (1). */
static int wait_state(Reader *r, int slot, int want_frame) {
  pthread_mutex_lock(&r->lock);
  while ((r->state[slot] != 0) != want_frame)
    pthread_cond_wait(&r->changed, &r->lock);
  const int state = r->state[slot];
  pthread_mutex_unlock(&r->lock);
  return state;
}

static void *read_frames(void *arg) {
  Reader *r = arg;
  for (long n = 0;; ++n) {
    const int slot = (int)(n & 1);
    wait_state(r, slot, 0);
    const int ok = (r->max_frames < 0 || n < r->max_frames) &&
                   read_frame(r->f, r->frame[slot], r->frame_size);
    set_state(r, slot, ok ? 1 : -1);
    if (!ok)
      return NULL;
  }
}

/* Writes a coded picture and, with rec, its reconstruction (the encoder
 * holds no pictures in this version: the last one encoded is the one
 * returned). Returns its size. */
static long long write_coded(const TCEncoder *enc, const TCConfig *cfg, const TCCodedPicture *coded,
                             FILE *out, FILE *rec) {
  fwrite(coded->data, 1, coded->size, out);
  if (rec) {
    const uint8_t *planes[3];
    ptrdiff_t strides[3];
    tc_get_reconstruction(enc, planes, strides);
    for (int c = 0; c < 3; ++c) {
      const int w = c ? cfg->width / 2 : cfg->width;
      const int h = c ? cfg->height / 2 : cfg->height;
      for (int y = 0; y < h; ++y)
        fwrite(planes[c] + y * strides[c], 1, (size_t)w, rec);
    }
  }
  return (long long)coded->size;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s in.y4m out.265 [--qp N] [--ctu 16|32|64] [--preset "
            "0..6] [--keyint N] [--no-deblock] [--frames N] [--recon "
            "rec.yuv] [--gop intra|p] [--refs 1..4] [--wpp] [--threads N] "
            "[--frame-threads N] [--hash md5|checksum|none]\n",
            argv[0]);
    return 2;
  }
  TCConfig cfg;
  tc_config_default(&cfg);
  long max_frames = -1;
  const char *recon_path = NULL;
  for (int i = 3; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "0";
    if (!strcmp(a, "--qp"))
      cfg.qp = atoi(v), ++i;
    else if (!strcmp(a, "--ctu"))
      cfg.ctu_size = atoi(v), ++i;
    else if (!strcmp(a, "--preset"))
      cfg.speed_preset = atoi(v), ++i;
    else if (!strcmp(a, "--keyint"))
      cfg.key_int_max = atoi(v), ++i;
    else if (!strcmp(a, "--frames"))
      max_frames = atol(v), ++i;
    else if (!strcmp(a, "--recon"))
      recon_path = v, ++i;
    else if (!strcmp(a, "--no-deblock"))
      cfg.deblocking = 0;
    else if (!strcmp(a, "--gop"))
      cfg.gop = !strcmp(v, "p") ? TC_GOP_LOW_DELAY_P : TC_GOP_ALL_INTRA, ++i;
    else if (!strcmp(a, "--refs"))
      cfg.ref_frames = atoi(v), ++i;
    else if (!strcmp(a, "--wpp"))
      cfg.wavefront = 1;
    else if (!strcmp(a, "--threads"))
      cfg.threads = atoi(v), ++i;
    else if (!strcmp(a, "--frame-threads"))
      cfg.frame_threads = atoi(v), ++i;
    else if (!strcmp(a, "--hash"))
      cfg.picture_hash = !strcmp(v, "md5")        ? TC_PICTURE_HASH_MD5
                         : !strcmp(v, "checksum") ? TC_PICTURE_HASH_CHECKSUM
                         : !strcmp(v, "none")     ? TC_PICTURE_HASH_NONE
                                                  : -1,
      ++i;
    else {
      fprintf(stderr, "unknown option %s\n", a);
      return 2;
    }
  }
  FILE *in = fopen(argv[1], "rb");
  if (!in || !parse_header(in, &cfg.width, &cfg.height, &cfg.fps_n, &cfg.fps_d)) {
    fprintf(stderr, "%s: not a 4:2:0 Y4M file\n", argv[1]);
    return 1;
  }
  FILE *out = fopen(argv[2], "wb");
  FILE *rec = recon_path ? fopen(recon_path, "wb") : NULL;
  if (!out || (recon_path && !rec)) {
    fprintf(stderr, "cannot open the output files\n");
    return 1;
  }
  TCEncoder *enc = NULL;
  int rc = tc_init(&cfg, &enc);
  if (rc != TC_OK) {
    fprintf(stderr, "tc_init failed (%d)\n", rc);
    return 1;
  }
  const size_t luma = (size_t)cfg.width * cfg.height;
  const size_t frame_size = luma + luma / 2;
  Reader reader = {.f = in,
                   .frame_size = frame_size,
                   .max_frames = max_frames,
                   .frame = {malloc(frame_size), malloc(frame_size)}};
  pthread_mutex_init(&reader.lock, NULL);
  pthread_cond_init(&reader.changed, NULL);
  pthread_t reader_thread;
  if (!reader.frame[0] || !reader.frame[1] ||
      pthread_create(&reader_thread, NULL, read_frames, &reader) != 0) {
    fprintf(stderr, "cannot start reading\n");
    return 1;
  }
  long frames = 0;
  long long total = 0;
  TCPicture pic = {0};
  pic.strides[0] = cfg.width;
  pic.strides[1] = pic.strides[2] = cfg.width / 2;
  TCCodedPicture coded;
  /* Wall-clock time: with threads, CPU time would count each core. */
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;; ++frames) {
    const int slot = (int)(frames & 1);
    if (wait_state(&reader, slot, 1) < 0)
      break;
    uint8_t *frame = reader.frame[slot];
    pic.planes[0] = frame;
    pic.planes[1] = frame + luma;
    pic.planes[2] = frame + luma + luma / 4;
    pic.pts = frames;
    rc = tc_encode(enc, &pic, &coded);
    if (rc < 0) {
      fprintf(stderr, "tc_encode failed (%d)\n", rc);
      return 1;
    }
    /* The encoder copied the picture: the reader may refill the buffer. */
    set_state(&reader, slot, 0);
    if (rc == 1)
      total += write_coded(enc, &cfg, &coded, out, rec);
  }
  pthread_join(reader_thread, NULL);
  while (tc_drain(enc, &coded) == 1)
    total += write_coded(enc, &cfg, &coded, out, rec);
  clock_gettime(CLOCK_MONOTONIC, &end);
  const double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) * 1e-9;
  fprintf(stderr, "%ld frames, %lld bytes, %.2f fps\n", frames, total,
          seconds > 0 ? frames / seconds : 0.0);
  tc_destroy(enc);
  free(reader.frame[0]);
  free(reader.frame[1]);
  pthread_mutex_destroy(&reader.lock);
  pthread_cond_destroy(&reader.changed);
  fclose(in);
  fclose(out);
  if (rec)
    fclose(rec);
  return 0;
}
