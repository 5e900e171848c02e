/* Encodes a 4:2:0 8-bit Y4M file to an H.265 Annex B file with the C API of
 * quad/temporal_compression.h.
 *
 *   tc_encode_y4m in.y4m out.265 [--qp N] [--ctu 16|32|64] [--preset 0..6]
 *                 [--keyint N] [--no-deblock] [--frames N] [--recon rec.yuv]
 *                 [--gop intra|p] [--refs 1..4] [--wpp] [--threads N]
 *                 [--frame-threads N]
 *
 * --gop p codes low-delay P pictures predicting from up to --refs earlier
 * ones (IDR every --keyint pictures, 0: only the first).
 * --wpp codes each CTU row as its own substream, --threads N rows at once
 * (0: one per core); the stream does not depend on N.
 * --frame-threads N codes N pictures at once (P pictures start while the
 * ones before them finish), holding N - 1 back.
 * --recon writes the encoder's reconstruction (raw I420), which every
 * conforming decoder reproduces exactly. */
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
            "[--frame-threads N]\n",
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
  uint8_t *frame = malloc(frame_size);
  long frames = 0;
  long long total = 0;
  TCPicture pic = {0};
  pic.planes[0] = frame;
  pic.planes[1] = frame + luma;
  pic.planes[2] = frame + luma + luma / 4;
  pic.strides[0] = cfg.width;
  pic.strides[1] = pic.strides[2] = cfg.width / 2;
  TCCodedPicture coded;
  const clock_t start = clock();
  while ((max_frames < 0 || frames < max_frames) && read_frame(in, frame, frame_size)) {
    pic.pts = frames++;
    rc = tc_encode(enc, &pic, &coded);
    if (rc < 0) {
      fprintf(stderr, "tc_encode failed (%d)\n", rc);
      return 1;
    }
    if (rc == 1)
      total += write_coded(enc, &cfg, &coded, out, rec);
  }
  while (tc_drain(enc, &coded) == 1)
    total += write_coded(enc, &cfg, &coded, out, rec);
  const double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
  fprintf(stderr, "%ld frames, %lld bytes, %.2f fps\n", frames, total,
          seconds > 0 ? frames / seconds : 0.0);
  tc_destroy(enc);
  free(frame);
  fclose(in);
  fclose(out);
  if (rec)
    fclose(rec);
  return 0;
}
