/* quadx264enc: decoding, timestamps, latency, pool, AQ and scene cuts from
 * the analysis meta, the real-time guard, bad input, and the C API. */
#include <gst/check/gstcheck.h>

#include "encoder_check.h"
#include "quad/quad_fallback.h"

static const char *const kEncoder = "quadx264enc";
static constexpr Codec kCodec = Codec::H264;
static constexpr QFCodec kCodecApi = QF_CODEC_H264;

#include "fallbackenc_tests.h"

static Suite *quadx264enc_suite(void) {
  Suite *s = suite_create("quadx264enc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  add_fallback_tests(tc);
  return s;
}

GST_CHECK_MAIN(quadx264enc);
