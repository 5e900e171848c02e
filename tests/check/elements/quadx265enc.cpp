/* quadx265enc: decoding, timestamps, latency, pool, AQ and scene cuts from
 * the analysis meta, the real-time guard, bad input, and the C API. */
#include <gst/check/gstcheck.h>

#include "encoder_check.h"
#include "quad/quad_fallback.h"

static const char *const kEncoder = "quadx265enc";
static constexpr Codec kCodec = Codec::H265;
static constexpr QFCodec kCodecApi = QF_CODEC_H265;

#include "fallbackenc_tests.h"

static Suite *quadx265enc_suite(void) {
  Suite *s = suite_create("quadx265enc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  add_fallback_tests(tc);
  return s;
}

GST_CHECK_MAIN(quadx265enc);
