/**
 * SECTION:element-quadmotion
 * @title: quadmotion
 *
 * Hierarchical block motion estimation. Each frame gets a GstQuadMotionMeta
 * with one vector per block against the previous frame (quarter luma
 * samples), its matching cost, and the INTRA_BETTER flag where a DC
 * prediction beats every vector. The frame itself passes through untouched
 * and uncopied.
 *
 * The search (see gst/quadtemporal/me/): a luma pyramid of up to four levels
 * (quadpreproc's, when the frame carries it in a GstQuadAnalysisMeta), an
 * exhaustive search at the coarsest level, candidates and a hexagon or
 * diamond pattern on each finer level, and quarter-sample refinement with
 * H.265's interpolation filters at full resolution. It runs on the CPU (SIMD,
 * rows in parallel), or on a CUDA or HIP device where the build has one and
 * a device answers. `backend=cuda` or `hip` without a usable device posts a
 * warning message and searches on the CPU.
 *
 * The first frame, a frame after a discontinuity, a flush or a caps change,
 * and a frame its GstQuadAnalysisMeta marks as a scene cut have no
 * reference: their vectors are zero and flagged NO_REFERENCE.
 *
 * quadcapturesrc with `ground-truth=true` attaches its own meta holding the
 * true motion (flag GROUND_TRUTH); quadmotion adds its estimate after it.
 * gst_buffer_get_quad_motion_meta() returns the first one added, so a reader
 * that wants the estimate takes the last GstQuadMotionMeta of the buffer
 * (gst_buffer_iterate_meta_filtered() walks them in the order added).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 quadcapturesrc ground-truth=true ! quadmotion block-size=16 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadmotion.h"

#include <gst/video/video.h>

#include <exception>
#include <memory>
#include <string>

#include "motion_search.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadblocksize.h"
#include "quad/gstquadmotionmeta.h"
#include "quadmotion_config.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_motion_debug);
#define GST_CAT_DEFAULT gst_quad_motion_debug

static constexpr GstQuadBlockSize DEFAULT_BLOCK_SIZE = GST_QUAD_BLOCK_SIZE_16;
static constexpr guint DEFAULT_SEARCH_RANGE = 64;
static constexpr guint MIN_SEARCH_RANGE = 4;
static constexpr guint MAX_SEARCH_RANGE = 256;
static constexpr GstQuadMotionPattern DEFAULT_PATTERN = GST_QUAD_MOTION_PATTERN_HEXAGON;
static constexpr gboolean DEFAULT_SUBPEL = TRUE;
static constexpr GstQuadMotionBackend DEFAULT_BACKEND = GST_QUAD_MOTION_BACKEND_AUTO;
static constexpr guint DEFAULT_QP = 32;
static constexpr guint MAX_QP = 51;
/* A negative lambda means "derive it from qp". */
static constexpr gdouble DEFAULT_LAMBDA = -1.0;
static constexpr gdouble MAX_LAMBDA = 16384.0;
static constexpr guint DEFAULT_PYRAMID_LEVELS = 4;

enum {
  PROP_0,
  PROP_BLOCK_SIZE,
  PROP_SEARCH_RANGE,
  PROP_PATTERN,
  PROP_SUBPEL,
  PROP_BACKEND,
  PROP_QP,
  PROP_LAMBDA,
  PROP_PYRAMID_LEVELS,
  PROP_STATS,
};

#define VIDEO_FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8 }"
#define SYSTEM_CAPS                                                                                \
  "video/x-raw, format = (string) " VIDEO_FORMATS ", "                                             \
  "width = (int) [ 8, 16384 ], height = (int) [ 8, 16384 ], "                                      \
  "framerate = (fraction) [ 0/1, MAX ]"
#ifdef QUAD_MOTION_CUDA_MEMORY
/* Mapping a CUDA buffer for reading gives its host copy. */
#define MOTION_CAPS                                                                                \
  SYSTEM_CAPS "; video/x-raw(memory:CUDAMemory), format = (string) " VIDEO_FORMATS ", "            \
              "width = (int) [ 8, 16384 ], height = (int) [ 8, 16384 ], "                          \
              "framerate = (fraction) [ 0/1, MAX ]"
#else
#define MOTION_CAPS SYSTEM_CAPS
#endif

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(MOTION_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(MOTION_CAPS));

struct MotionCounters {
  guint64 frames = 0;
  guint64 no_reference = 0;
  guint64 external_pyramids = 0; /* frames whose pyramid came from quadpreproc */
  quad::me::SearchCounters search;
};

/* Streaming state: the reference picture and its field. */
struct MotionState {
  std::unique_ptr<quad::me::MotionSearch> search;
  quad::me::SearchParams params; /* those `search` was made with */
  GstQuadMotionBackend backend = DEFAULT_BACKEND;
  bool warned = false; /* that `backend` has no device */
  quad::me::FramePyramid pyramids[2];
  int current = 0; /* index of the pyramid being built */
  bool have_reference = false;
  bool have_field = false; /* `field` belongs to the reference picture */
  quad::me::MotionField field;
  quad::me::MotionField next_field;

  void reset() {
    have_reference = false;
    have_field = false;
  }
};

struct _GstQuadMotion {
  GstBaseTransform parent;

  /* Properties, under the object lock. */
  GstQuadBlockSize block_size;
  guint search_range;
  GstQuadMotionPattern pattern;
  gboolean subpel;
  GstQuadMotionBackend backend;
  guint qp;
  gdouble lambda;
  guint pyramid_levels;
  MotionCounters counters; /* read from any thread */
  gchar *active_backend;   /* name of the backend that ran last */

  GstVideoInfo info;
  MotionState *state;
};

#define gst_quad_motion_parent_class parent_class
G_DEFINE_TYPE(GstQuadMotion, gst_quad_motion, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(quadmotion, "quadmotion", GST_RANK_NONE, GST_TYPE_QUAD_MOTION);

GType gst_quad_motion_pattern_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_MOTION_PATTERN_DIAMOND, "Small diamond, step 1", "diamond"},
      {GST_QUAD_MOTION_PATTERN_HEXAGON, "Hexagon, step 2, then a small diamond", "hexagon"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstQuadMotionPattern", values));
  }
  return type;
}

GType gst_quad_motion_backend_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_MOTION_BACKEND_AUTO, "A GPU when one answers, else the CPU", "auto"},
      {GST_QUAD_MOTION_BACKEND_CPU, "CPU (SIMD, rows in parallel)", "cpu"},
      {GST_QUAD_MOTION_BACKEND_CUDA, "CUDA device, else the CPU", "cuda"},
      {GST_QUAD_MOTION_BACKEND_HIP, "HIP device, else the CPU", "hip"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstQuadMotionBackend", values));
  }
  return type;
}

static quad::me::Backend core_backend(GstQuadMotionBackend b) {
  switch (b) {
  case GST_QUAD_MOTION_BACKEND_CPU:
    return quad::me::Backend::kCpu;
  case GST_QUAD_MOTION_BACKEND_CUDA:
    return quad::me::Backend::kCuda;
  case GST_QUAD_MOTION_BACKEND_HIP:
    return quad::me::Backend::kHip;
  case GST_QUAD_MOTION_BACKEND_AUTO:
    break;
  }
  return quad::me::Backend::kAuto;
}

/* The search parameters the properties ask for; call under the object lock. */
static quad::me::SearchParams wanted_params(GstQuadMotion *self) {
  quad::me::SearchParams p;
  p.block_size = static_cast<int>(self->block_size);
  p.search_range = static_cast<int>(self->search_range);
  p.pattern = self->pattern == GST_QUAD_MOTION_PATTERN_DIAMOND ? quad::me::SearchPattern::kDiamond
                                                               : quad::me::SearchPattern::kHexagon;
  p.subpel = self->subpel;
  p.lambda_q8 = self->lambda < 0 ? quad::me::lambda_q8_for_qp(static_cast<int>(self->qp))
                                 : static_cast<int>(self->lambda * 256.0 + 0.5);
  p.max_levels = static_cast<int>(self->pyramid_levels);
  return p;
}

static bool same_params(const quad::me::SearchParams &a, const quad::me::SearchParams &b) {
  return a.block_size == b.block_size && a.search_range == b.search_range &&
         a.pattern == b.pattern && a.subpel == b.subpel && a.lambda_q8 == b.lambda_q8 &&
         a.max_levels == b.max_levels;
}

static GstStructure *motion_stats(GstQuadMotion *self) {
  GST_OBJECT_LOCK(self);
  const MotionCounters c = self->counters;
  const std::string backend = self->active_backend ? self->active_backend : "none";
  GST_OBJECT_UNLOCK(self);
  const double blocks = c.search.blocks ? static_cast<double>(c.search.blocks) : 1.0;
  return gst_structure_new(
      "quadmotion-stats", "backend", G_TYPE_STRING, backend.c_str(), "frames", G_TYPE_UINT64,
      c.frames, "no-reference", G_TYPE_UINT64, c.no_reference, "external-pyramids", G_TYPE_UINT64,
      c.external_pyramids, "blocks", G_TYPE_UINT64, c.search.blocks, "sad-evaluations",
      G_TYPE_UINT64, c.search.sad_evaluations, "satd-evaluations", G_TYPE_UINT64,
      c.search.satd_evaluations, "evaluations-per-block", G_TYPE_DOUBLE,
      static_cast<double>(c.search.sad_evaluations + c.search.satd_evaluations) / blocks, nullptr);
}

/* Makes (or remakes, after a property change) the search backend. */
static bool ensure_search(GstQuadMotion *self) {
  MotionState *st = self->state;
  GST_OBJECT_LOCK(self);
  const quad::me::SearchParams params = wanted_params(self);
  const GstQuadMotionBackend backend = self->backend;
  GST_OBJECT_UNLOCK(self);
  if (st->search && same_params(params, st->params) && backend == st->backend) {
    return true;
  }
  std::string note;
  try {
    st->search = quad::me::make_motion_search(core_backend(backend), params, &note);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid motion search settings"),
                      ("%s", e.what()));
    return false;
  }
  /* A GPU asked for by name and not there: the user should hear of it, once
   * per choice of backend rather than on every parameter change. */
  if (!note.empty() && !(st->warned && backend == st->backend)) {
    GST_ELEMENT_WARNING(self, RESOURCE, NOT_FOUND,
                        ("backend=%s has no usable device: searching on the CPU.",
                         backend == GST_QUAD_MOTION_BACKEND_CUDA ? "cuda" : "hip"),
                        ("%s", note.c_str()));
  }
  st->warned = !note.empty();
  const char *name = quad::me::backend_name(st->search->backend());
  GST_INFO_OBJECT(self, "motion search on %s", name);
  GST_OBJECT_LOCK(self);
  g_free(self->active_backend);
  self->active_backend = g_strdup(name);
  GST_OBJECT_UNLOCK(self);
  st->params = params;
  st->backend = backend;
  /* A new block grid makes the old field useless as temporal candidates. */
  st->have_field = false;
  return true;
}

/* Builds the current picture's pyramid, from quadpreproc's levels when the
 * frame carries them. Returns whether it did. */
static bool build_pyramid(GstQuadMotion *self, GstBuffer *buf, const GstVideoFrame *frame,
                          quad::me::FramePyramid &pyramid, int levels) {
  quad::me::FramePyramid::ExternalLevel external[quad::me::FramePyramid::kMaxLevels - 1];
  GstMapInfo maps[quad::me::FramePyramid::kMaxLevels - 1];
  GstVideoMeta *metas[quad::me::FramePyramid::kMaxLevels - 1] = {};
  bool any = false;
  GstQuadAnalysisMeta *analysis = gst_buffer_get_quad_analysis_meta(buf);
  if (analysis && analysis->pyramid) {
    for (int l = 1; l < levels && l <= static_cast<int>(analysis->pyramid_levels); ++l) {
      GstVideoMeta *vm = gst_buffer_get_video_meta_id(analysis->pyramid, l);
      if (!vm || vm->format != GST_VIDEO_FORMAT_GRAY8) {
        continue;
      }
      gpointer data = nullptr;
      gint stride = 0;
      if (!gst_video_meta_map(vm, 0, &maps[l - 1], &data, &stride, GST_MAP_READ)) {
        continue;
      }
      metas[l - 1] = vm;
      external[l - 1] = {static_cast<const uint8_t *>(data), stride, static_cast<int>(vm->width),
                         static_cast<int>(vm->height)};
      any = true;
    }
  }
  pyramid.build(static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
                GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), GST_VIDEO_FRAME_WIDTH(frame),
                GST_VIDEO_FRAME_HEIGHT(frame), levels, any ? external : nullptr);
  for (int l = 1; l < quad::me::FramePyramid::kMaxLevels; ++l) {
    if (metas[l - 1]) {
      gst_video_meta_unmap(metas[l - 1], 0, &maps[l - 1]);
    }
  }
  GST_LOG_OBJECT(self, "pyramid of %d levels%s", pyramid.levels(),
                 any ? " from the analysis meta" : "");
  return any;
}

static GstFlowReturn gst_quad_motion_transform_ip(GstBaseTransform *trans, GstBuffer *buf) {
  GstQuadMotion *self = GST_QUAD_MOTION(trans);
  MotionState *st = self->state;
  if (!ensure_search(self)) {
    return GST_FLOW_ERROR;
  }

  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &self->info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read the frame"),
                      ("buffer of %" G_GSIZE_FORMAT " bytes does not hold a %dx%d %s frame",
                       gst_buffer_get_size(buf), GST_VIDEO_INFO_WIDTH(&self->info),
                       GST_VIDEO_INFO_HEIGHT(&self->info), GST_VIDEO_INFO_NAME(&self->info)));
    return GST_FLOW_ERROR;
  }

  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT) && st->have_reference) {
    GST_DEBUG_OBJECT(self, "discontinuity: dropping the reference");
    st->reset();
  }
  const GstQuadAnalysisMeta *analysis = gst_buffer_get_quad_analysis_meta(buf);
  if (analysis && analysis->scene_cut && st->have_reference) {
    GST_DEBUG_OBJECT(self, "scene cut: dropping the reference");
    st->reset();
  }

  quad::me::FramePyramid &cur = st->pyramids[st->current];
  const quad::me::FramePyramid &ref = st->pyramids[1 - st->current];
  const bool external = build_pyramid(self, buf, &frame, cur, st->params.max_levels);
  gst_video_frame_unmap(&frame);

  const bool searched = st->have_reference && cur.same_geometry(ref);
  quad::me::SearchCounters counters;
  if (searched) {
    try {
      st->search->estimate(cur, ref, st->have_field ? &st->field : nullptr, st->next_field,
                           &counters);
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Motion search failed"), ("%s", e.what()));
      return GST_FLOW_ERROR;
    }
  }

  const int bs = st->params.block_size;
  const guint cols = static_cast<guint>((GST_VIDEO_INFO_WIDTH(&self->info) + bs - 1) / bs);
  const guint rows = static_cast<guint>((GST_VIDEO_INFO_HEIGHT(&self->info) + bs - 1) / bs);
  GstQuadMotionMeta *meta = gst_buffer_add_quad_motion_meta(
      buf, static_cast<guint>(bs), static_cast<guint>(bs), cols, rows, searched ? 1 : 0);
  if (!meta) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not attach motion vectors"),
                      ("a %ux%u grid is out of the meta's range", cols, rows));
    return GST_FLOW_ERROR;
  }
  for (guint i = 0; i < cols * rows; ++i) {
    GstQuadMotionVector &v = meta->vectors[i];
    if (!searched) {
      v.flags = GST_QUAD_MOTION_FLAG_NO_REFERENCE;
      continue;
    }
    /* The meta points from the reference to the current picture. */
    const quad::me::BlockEstimate &e = st->next_field.blocks[i];
    v.mv_x = static_cast<gint16>(-e.mv.x);
    v.mv_y = static_cast<gint16>(-e.mv.y);
    v.cost = e.cost;
    v.flags = e.intra_better ? GST_QUAD_MOTION_FLAG_INTRA_BETTER : GST_QUAD_MOTION_FLAG_NONE;
  }

  if (searched) {
    std::swap(st->field, st->next_field);
  }
  st->have_field = searched;
  st->have_reference = true;
  st->current = 1 - st->current;

  GST_OBJECT_LOCK(self);
  MotionCounters &c = self->counters;
  c.frames++;
  c.no_reference += searched ? 0 : 1;
  c.external_pyramids += external ? 1 : 0;
  c.search.sad_evaluations += counters.sad_evaluations;
  c.search.satd_evaluations += counters.satd_evaluations;
  c.search.sad_samples += counters.sad_samples;
  c.search.satd_samples += counters.satd_samples;
  c.search.blocks += counters.blocks;
  c.search.transfer_ns += counters.transfer_ns;
  c.search.kernel_ns += counters.kernel_ns;
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

static gboolean gst_quad_motion_set_caps(GstBaseTransform *trans, GstCaps *incaps, GstCaps *) {
  GstQuadMotion *self = GST_QUAD_MOTION(trans);
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, incaps)) {
    GST_ERROR_OBJECT(self, "caps %" GST_PTR_FORMAT " are not video", incaps);
    return FALSE;
  }
  self->info = info;
  if (self->state) {
    GST_DEBUG_OBJECT(self, "new caps: dropping the reference");
    self->state->reset();
  }
  return TRUE;
}

static gboolean gst_quad_motion_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstQuadMotion *self = GST_QUAD_MOTION(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP && self->state) {
    GST_DEBUG_OBJECT(self, "flush: dropping the reference");
    self->state->reset();
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

static gboolean gst_quad_motion_propose_allocation(GstBaseTransform *trans, GstQuery *decide_query,
                                                   GstQuery *query) {
  if (!GST_BASE_TRANSFORM_CLASS(parent_class)->propose_allocation(trans, decide_query, query)) {
    return FALSE;
  }
  /* Any stride and plane layout is read through GstVideoMeta. */
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  return TRUE;
}

static gboolean gst_quad_motion_start(GstBaseTransform *trans) {
  GstQuadMotion *self = GST_QUAD_MOTION(trans);
  delete self->state;
  self->state = new MotionState();
  GST_OBJECT_LOCK(self);
  self->counters = MotionCounters();
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_quad_motion_stop(GstBaseTransform *trans) {
  GstQuadMotion *self = GST_QUAD_MOTION(trans);
  delete self->state;
  self->state = nullptr;
  return TRUE;
}

static void gst_quad_motion_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec) {
  GstQuadMotion *self = GST_QUAD_MOTION(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_BLOCK_SIZE:
    self->block_size = static_cast<GstQuadBlockSize>(g_value_get_enum(value));
    break;
  case PROP_SEARCH_RANGE:
    self->search_range = g_value_get_uint(value);
    break;
  case PROP_PATTERN:
    self->pattern = static_cast<GstQuadMotionPattern>(g_value_get_enum(value));
    break;
  case PROP_SUBPEL:
    self->subpel = g_value_get_boolean(value);
    break;
  case PROP_BACKEND:
    self->backend = static_cast<GstQuadMotionBackend>(g_value_get_enum(value));
    break;
  case PROP_QP:
    self->qp = g_value_get_uint(value);
    break;
  case PROP_LAMBDA:
    self->lambda = g_value_get_double(value);
    break;
  case PROP_PYRAMID_LEVELS:
    self->pyramid_levels = g_value_get_uint(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_motion_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec) {
  GstQuadMotion *self = GST_QUAD_MOTION(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, motion_stats(self));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_BLOCK_SIZE:
    g_value_set_enum(value, self->block_size);
    break;
  case PROP_SEARCH_RANGE:
    g_value_set_uint(value, self->search_range);
    break;
  case PROP_PATTERN:
    g_value_set_enum(value, self->pattern);
    break;
  case PROP_SUBPEL:
    g_value_set_boolean(value, self->subpel);
    break;
  case PROP_BACKEND:
    g_value_set_enum(value, self->backend);
    break;
  case PROP_QP:
    g_value_set_uint(value, self->qp);
    break;
  case PROP_LAMBDA:
    g_value_set_double(value, self->lambda);
    break;
  case PROP_PYRAMID_LEVELS:
    g_value_set_uint(value, self->pyramid_levels);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_motion_finalize(GObject *object) {
  GstQuadMotion *self = GST_QUAD_MOTION(object);
  delete self->state;
  g_free(self->active_backend);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_motion_class_init(GstQuadMotionClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_quad_motion_debug, "quadmotion", 0, "gst-quad motion estimation");

  gobject_class->set_property = gst_quad_motion_set_property;
  gobject_class->get_property = gst_quad_motion_get_property;
  gobject_class->finalize = gst_quad_motion_finalize;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_enum("block-size", "Block size",
                        "Side of the square blocks that get one vector each, in luma samples",
                        GST_TYPE_QUAD_BLOCK_SIZE, DEFAULT_BLOCK_SIZE, flags));
  g_object_class_install_property(
      gobject_class, PROP_SEARCH_RANGE,
      g_param_spec_uint("search-range", "Search range",
                        "Largest vector component searched, in full-resolution luma samples",
                        MIN_SEARCH_RANGE, MAX_SEARCH_RANGE, DEFAULT_SEARCH_RANGE, flags));
  g_object_class_install_property(
      gobject_class, PROP_PATTERN,
      g_param_spec_enum("pattern", "Pattern", "Search pattern on each pyramid level",
                        GST_TYPE_QUAD_MOTION_PATTERN, DEFAULT_PATTERN, flags));
  g_object_class_install_property(
      gobject_class, PROP_SUBPEL,
      g_param_spec_boolean("subpel", "Sub-pel",
                           "Refine vectors to quarter samples with H.265's interpolation "
                           "filters, the last step by SATD (else integer vectors with SAD)",
                           DEFAULT_SUBPEL, flags));
  g_object_class_install_property(
      gobject_class, PROP_BACKEND,
      g_param_spec_enum("backend", "Backend",
                        "Where the search runs; cuda or hip without a usable device posts a "
                        "warning and falls back to the CPU",
                        GST_TYPE_QUAD_MOTION_BACKEND, DEFAULT_BACKEND, flags));
  g_object_class_install_property(
      gobject_class, PROP_QP,
      g_param_spec_uint("qp", "QP",
                        "Quantiser the encoder will use: sets lambda the way an encoder's "
                        "motion decision does (ignored when lambda is set)",
                        0, MAX_QP, DEFAULT_QP, flags));
  g_object_class_install_property(
      gobject_class, PROP_LAMBDA,
      g_param_spec_double("lambda", "Lambda",
                          "Weight of estimated vector bits against SAD/SATD; -1 derives it "
                          "from qp",
                          -1.0, MAX_LAMBDA, DEFAULT_LAMBDA, flags));
  g_object_class_install_property(
      gobject_class, PROP_PYRAMID_LEVELS,
      g_param_spec_uint("pyramid-levels", "Pyramid levels",
                        "Pyramid levels searched, full resolution included (fewer on small "
                        "pictures)",
                        1, quad::me::FramePyramid::kMaxLevels, DEFAULT_PYRAMID_LEVELS, flags));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Backend, frames, frames without reference, blocks, SAD and SATD "
                         "evaluations and evaluations per block since start",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Quad motion estimation", "Filter/Analyzer/Video",
      "Hierarchical block motion estimation; attaches GstQuadMotionMeta (CPU, CUDA, HIP)",
      "gst-quad developers");

  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_quad_motion_transform_ip);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_quad_motion_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_quad_motion_sink_event);
  trans_class->propose_allocation = GST_DEBUG_FUNCPTR(gst_quad_motion_propose_allocation);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_quad_motion_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_quad_motion_stop);

  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_MOTION_PATTERN, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_MOTION_BACKEND, static_cast<GstPluginAPIFlags>(0));
}

static void gst_quad_motion_init(GstQuadMotion *self) {
  self->block_size = DEFAULT_BLOCK_SIZE;
  self->search_range = DEFAULT_SEARCH_RANGE;
  self->pattern = DEFAULT_PATTERN;
  self->subpel = DEFAULT_SUBPEL;
  self->backend = DEFAULT_BACKEND;
  self->qp = DEFAULT_QP;
  self->lambda = DEFAULT_LAMBDA;
  self->pyramid_levels = DEFAULT_PYRAMID_LEVELS;
  self->active_backend = nullptr;
  gst_video_info_init(&self->info);
  self->state = nullptr;
  self->counters = MotionCounters();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}
