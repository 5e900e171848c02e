/* Reads quadmotion's vectors and quadpreproc's analysis from an application:
 * for each frame, the mean motion of the blocks that have a reference and
 * the fraction of blocks an intra prediction codes better.
 *
 *   motion_stats [FRAMES]     (default 60)
 *
 * Build against the installed library:
 *   cc motion_stats.c $(pkg-config --cflags --libs gstquadcommon-1.0 gstreamer-app-1.0) -lm
 *
 * Exits non-zero when a frame carries no estimate, or when no frame moved. */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <quad/gstquadanalysismeta.h>
#include <quad/gstquadmotionmeta.h>

/* Mean vector length in luma samples over blocks with a reference, and the
 * INTRA_BETTER fraction over all blocks. FALSE when no block has one. */
static gboolean frame_stats(const GstQuadMotionMeta *m, double *mean_px, double *intra_fraction) {
  const guint n = gst_quad_motion_meta_get_n_blocks(m);
  guint with_reference = 0, intra = 0;
  double sum = 0.0;
  for (guint i = 0; i < n; i++) {
    const GstQuadMotionFlags flags = gst_quad_motion_meta_get_flags(m, i);
    if (flags & GST_QUAD_MOTION_FLAG_INTRA_BETTER)
      intra++;
    if (flags & GST_QUAD_MOTION_FLAG_NO_REFERENCE)
      continue;
    gint x = 0, y = 0;
    gst_quad_motion_meta_get_mv(m, i, &x, &y);
    sum += hypot(x / 4.0, y / 4.0);
    with_reference++;
  }
  *mean_px = with_reference ? sum / with_reference : 0.0;
  *intra_fraction = n ? (double)intra / n : 0.0;
  return with_reference > 0;
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const int frames = argc > 1 ? atoi(argv[1]) : 60;
  if (frames <= 0) {
    fprintf(stderr, "usage: motion_stats [FRAMES]\n");
    return 2;
  }
  gchar *description =
      g_strdup_printf("quadcapturesrc is-live=false num-buffers=%d ! "
                      "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
                      "quadpreproc analysis=true ! quadmotion ! appsink name=sink sync=false",
                      frames);
  GError *error = NULL;
  /* Fatal errors: a missing element gives no pipeline, not a partial one. */
  GstElement *pipeline =
      gst_parse_launch_full(description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_free(description);
  if (!pipeline) {
    fprintf(stderr, "motion_stats: %s (is GST_PLUGIN_PATH set to gst-quad's plugins?)\n",
            error ? error->message : "cannot build the pipeline");
    g_clear_error(&error);
    return 1;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  int status = 0, seen = 0, moved = 0;
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstQuadMotionMeta *m =
        gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_ESTIMATE);
    GstQuadAnalysisMeta *a = gst_buffer_get_quad_analysis_meta(buf);
    if (!m) {
      fprintf(stderr, "motion_stats: frame %d has no motion estimate\n", seen);
      status = 1;
    } else {
      double mean_px, intra_fraction;
      const gboolean has_reference = frame_stats(m, &mean_px, &intra_fraction);
      printf("frame %3d: mean motion %6.2f px, intra-better %5.1f %%, complexity %7.1f%s\n", seen,
             mean_px, 100.0 * intra_fraction, a ? a->complexity : 0.0,
             has_reference ? "" : " (no reference)");
      if (mean_px > 0.0)
        moved++;
    }
    seen++;
    gst_sample_unref(sample);
  }
  GstMessage *msg = gst_bus_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_MESSAGE_ERROR);
  if (msg) {
    gst_message_parse_error(msg, &error, NULL);
    fprintf(stderr, "motion_stats: %s\n", error->message);
    g_clear_error(&error);
    gst_message_unref(msg);
    status = 1;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  if (seen != frames || moved == 0) {
    fprintf(stderr, "motion_stats: %d of %d frames, %d with motion\n", seen, frames, moved);
    status = 1;
  }
  return status;
}
