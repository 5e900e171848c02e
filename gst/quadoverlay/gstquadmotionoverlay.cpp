/**
 * SECTION:element-quadmotionoverlay
 * @title: quadmotionoverlay
 *
 * Draws what gst-quad's metas say about a frame onto the frame, for a person
 * to see: the motion vectors of one GstQuadMotionMeta (chosen by `source`)
 * as arrows or as an optical-flow colour wheel (direction as hue, length as
 * saturation, white for no motion), a heat map of the GstQuadAnalysisMeta's
 * block variance or edge energy (blue low, red high), outlines on the
 * blocks flagged INTRA_BETTER (yellow) or OCCLUDED (magenta), and a red
 * border on frames the analysis marks as a scene cut.
 *
 * An arrow starts where the block's content was in the reference frame and
 * ends, with its head, at the block's centre; blocks that did not move get
 * none, and blocks without a reference get neither arrow nor colour. The
 * grid is read from the meta itself, so metas scaled with the frame (by
 * videoscale or quadpreproc) still line up. Frames without metas pass
 * unchanged.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc ! quadpreproc analysis=true ! quadmotion !
 *     quadmotionoverlay ! videoconvert ! autovideosink
 * gst-launch-1.0 quadcapturesrc ground-truth=true ! quadmotionoverlay source=ground-truth
 *     vectors=color-wheel heatmap=edges ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadmotionoverlay.h"

#include <gst/video/video.h>

#include <algorithm>
#include <cmath>

#include "canvas.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadmotionmeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_motion_overlay_debug);
#define GST_CAT_DEFAULT gst_quad_motion_overlay_debug

static constexpr GstQuadMotionOverlaySource DEFAULT_SOURCE = GST_QUAD_MOTION_OVERLAY_SOURCE_FIRST;
static constexpr GstQuadMotionOverlayVectors DEFAULT_VECTORS =
    GST_QUAD_MOTION_OVERLAY_VECTORS_ARROWS;
static constexpr GstQuadMotionOverlayHeatmap DEFAULT_HEATMAP = GST_QUAD_MOTION_OVERLAY_HEATMAP_NONE;
static constexpr gboolean DEFAULT_SHOW_FLAGS = TRUE;
static constexpr gboolean DEFAULT_SHOW_SCENE_CUTS = TRUE;
static constexpr gdouble DEFAULT_ARROW_SCALE = 1.0;
static constexpr gdouble MIN_ARROW_SCALE = 0.25;
static constexpr gdouble MAX_ARROW_SCALE = 16.0;
static constexpr gdouble DEFAULT_WHEEL_RANGE = 16.0;
static constexpr gdouble MIN_WHEEL_RANGE = 0.25;
static constexpr gdouble MAX_WHEEL_RANGE = 1024.0;
static constexpr gdouble DEFAULT_OPACITY = 0.5;

/* Heat map scales: variance on a log scale up to a 64-level spread, edge
 * energy linear up to a strong edge. */
static constexpr double HEAT_VARIANCE_FULL = 4096.0;
static constexpr double HEAT_EDGES_FULL = 256.0;
static constexpr int SCENE_CUT_BORDER = 8;
static constexpr int FLAG_OUTLINE = 2;
static constexpr quad::overlay::Rgb ARROW_COLOUR{0, 255, 0};
static constexpr quad::overlay::Rgb INTRA_COLOUR{255, 255, 0};
static constexpr quad::overlay::Rgb OCCLUDED_COLOUR{255, 0, 255};
static constexpr quad::overlay::Rgb SCENE_CUT_COLOUR{255, 0, 0};

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_VECTORS,
  PROP_HEATMAP,
  PROP_SHOW_FLAGS,
  PROP_SHOW_SCENE_CUTS,
  PROP_ARROW_SCALE,
  PROP_WHEEL_RANGE,
  PROP_OPACITY,
};

#define OVERLAY_CAPS GST_VIDEO_CAPS_MAKE("{ I420, NV12, BGRx }")

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(OVERLAY_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(OVERLAY_CAPS));

struct _GstQuadMotionOverlay {
  GstVideoFilter parent;

  /* Properties, under the object lock. */
  GstQuadMotionOverlaySource source;
  GstQuadMotionOverlayVectors vectors;
  GstQuadMotionOverlayHeatmap heatmap;
  gboolean show_flags;
  gboolean show_scene_cuts;
  gdouble arrow_scale;
  gdouble wheel_range;
  gdouble opacity;
};

G_DEFINE_TYPE(GstQuadMotionOverlay, gst_quad_motion_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(quadmotionoverlay, "quadmotionoverlay", GST_RANK_NONE,
                            GST_TYPE_QUAD_MOTION_OVERLAY);

GType gst_quad_motion_overlay_source_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_MOTION_OVERLAY_SOURCE_FIRST, "The first motion meta, whatever its source", "first"},
      {GST_QUAD_MOTION_OVERLAY_SOURCE_GROUND_TRUTH, "Ground truth (quadcapturesrc)",
       "ground-truth"},
      {GST_QUAD_MOTION_OVERLAY_SOURCE_ESTIMATE, "Estimate (quadmotion)", "estimate"},
      {GST_QUAD_MOTION_OVERLAY_SOURCE_ENCODER, "An encoder's vectors", "encoder"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstQuadMotionOverlaySource", values));
  return type;
}

GType gst_quad_motion_overlay_vectors_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_MOTION_OVERLAY_VECTORS_NONE, "Vectors not drawn", "none"},
      {GST_QUAD_MOTION_OVERLAY_VECTORS_ARROWS, "An arrow per moving block", "arrows"},
      {GST_QUAD_MOTION_OVERLAY_VECTORS_COLOR_WHEEL,
       "Blocks tinted by direction (hue) and length (saturation)", "color-wheel"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstQuadMotionOverlayVectors", values));
  return type;
}

GType gst_quad_motion_overlay_heatmap_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_MOTION_OVERLAY_HEATMAP_NONE, "No heat map", "none"},
      {GST_QUAD_MOTION_OVERLAY_HEATMAP_VARIANCE, "Block luma variance", "variance"},
      {GST_QUAD_MOTION_OVERLAY_HEATMAP_EDGES, "Block edge energy (Sobel)", "edges"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstQuadMotionOverlayHeatmap", values));
  return type;
}

namespace {

struct Settings {
  GstQuadMotionOverlaySource source;
  GstQuadMotionOverlayVectors vectors;
  GstQuadMotionOverlayHeatmap heatmap;
  bool show_flags;
  bool show_scene_cuts;
  double arrow_scale;
  double wheel_range;
  int alpha; /* 0..256 */
};

GstQuadMotionMeta *find_motion(GstBuffer *buf, GstQuadMotionOverlaySource source) {
  switch (source) {
  case GST_QUAD_MOTION_OVERLAY_SOURCE_GROUND_TRUTH:
    return gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_GROUND_TRUTH);
  case GST_QUAD_MOTION_OVERLAY_SOURCE_ESTIMATE:
    return gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_ESTIMATE);
  case GST_QUAD_MOTION_OVERLAY_SOURCE_ENCODER:
    return gst_buffer_get_quad_motion_meta_by_source(buf, GST_QUAD_MOTION_SOURCE_ENCODER);
  default:
    return gst_buffer_get_quad_motion_meta(buf);
  }
}

/* A block of a meta's grid in frame samples (may reach past the frame; the
 * canvas clips). */
struct Block {
  int x, y, w, h;
  int centre_x() const { return x + w / 2; }
  int centre_y() const { return y + h / 2; }
};

Block block_at(guint block_width, guint block_height, guint col, guint row) {
  return {static_cast<int>(col * block_width), static_cast<int>(row * block_height),
          static_cast<int>(block_width), static_cast<int>(block_height)};
}

/* Grids whose blocks start past the frame draw nothing there. */
guint visible(guint count, guint block_size, int frame_size) {
  return std::min<guint>(count, (static_cast<guint>(frame_size) + block_size - 1) / block_size);
}

void draw_heatmap(quad::overlay::Canvas &canvas, const GstQuadAnalysisMeta *a, const Settings &s) {
  const guint cols = visible(a->cols, a->block_width, canvas.width());
  const guint rows = visible(a->rows, a->block_height, canvas.height());
  for (guint r = 0; r < rows; r++)
    for (guint c = 0; c < cols; c++) {
      const GstQuadBlockStats &b = a->blocks[r * a->cols + c];
      const double t = s.heatmap == GST_QUAD_MOTION_OVERLAY_HEATMAP_VARIANCE
                           ? std::log1p(b.variance) / std::log1p(HEAT_VARIANCE_FULL)
                           : b.edge_energy / HEAT_EDGES_FULL;
      const Block k = block_at(a->block_width, a->block_height, c, r);
      canvas.fill_rect(k.x, k.y, k.w, k.h,
                       quad::overlay::rgb_from_hsv(240.0 * (1.0 - std::min(t, 1.0)), 1.0, 1.0),
                       s.alpha);
    }
}

void draw_motion(quad::overlay::Canvas &canvas, const GstQuadMotionMeta *m, const Settings &s) {
  const guint cols = visible(m->cols, m->block_width, canvas.width());
  const guint rows = visible(m->rows, m->block_height, canvas.height());
  for (guint r = 0; r < rows; r++)
    for (guint c = 0; c < cols; c++) {
      const GstQuadMotionVector &v = m->vectors[r * m->cols + c];
      const Block k = block_at(m->block_width, m->block_height, c, r);
      if (s.show_flags && (v.flags & GST_QUAD_MOTION_FLAG_INTRA_BETTER))
        canvas.outline_rect(k.x, k.y, k.w, k.h, FLAG_OUTLINE, INTRA_COLOUR, 256);
      if (s.show_flags && (v.flags & GST_QUAD_MOTION_FLAG_OCCLUDED))
        canvas.outline_rect(k.x + FLAG_OUTLINE, k.y + FLAG_OUTLINE, k.w - 2 * FLAG_OUTLINE,
                            k.h - 2 * FLAG_OUTLINE, FLAG_OUTLINE, OCCLUDED_COLOUR, 256);
      if (v.flags & GST_QUAD_MOTION_FLAG_NO_REFERENCE)
        continue;
      const double dx = v.mv_x / 4.0, dy = v.mv_y / 4.0;
      if (s.vectors == GST_QUAD_MOTION_OVERLAY_VECTORS_COLOR_WHEEL) {
        /* Image y grows downwards; the hue turns anticlockwise on screen. */
        const double hue = std::atan2(-dy, dx) * 180.0 / M_PI;
        const double saturation = std::hypot(dx, dy) / s.wheel_range;
        canvas.fill_rect(k.x, k.y, k.w, k.h, quad::overlay::rgb_from_hsv(hue, saturation, 1.0),
                         s.alpha);
      } else if (s.vectors == GST_QUAD_MOTION_OVERLAY_VECTORS_ARROWS &&
                 (v.mv_x != 0 || v.mv_y != 0)) {
        const int x1 = k.centre_x(), y1 = k.centre_y();
        const int x0 = x1 - static_cast<int>(std::lround(dx * s.arrow_scale));
        const int y0 = y1 - static_cast<int>(std::lround(dy * s.arrow_scale));
        canvas.arrow(x0, y0, x1, y1, ARROW_COLOUR, 256);
      }
    }
}

bool canvas_format(GstVideoFormat format, quad::overlay::PixelFormat &out) {
  switch (format) {
  case GST_VIDEO_FORMAT_I420:
    out = quad::overlay::PixelFormat::I420;
    return true;
  case GST_VIDEO_FORMAT_NV12:
    out = quad::overlay::PixelFormat::NV12;
    return true;
  case GST_VIDEO_FORMAT_BGRx:
    out = quad::overlay::PixelFormat::BGRx;
    return true;
  default:
    return false;
  }
}

} // namespace

static GstFlowReturn gst_quad_motion_overlay_transform_frame_ip(GstVideoFilter *filter,
                                                                GstVideoFrame *frame) {
  auto *self = GST_QUAD_MOTION_OVERLAY(filter);
  quad::overlay::PixelFormat format;
  if (!canvas_format(GST_VIDEO_FRAME_FORMAT(frame), format)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Unsupported video format"),
                      ("%s", gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame))));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GST_OBJECT_LOCK(self);
  const Settings s{self->source,
                   self->vectors,
                   self->heatmap,
                   self->show_flags != FALSE,
                   self->show_scene_cuts != FALSE,
                   self->arrow_scale,
                   self->wheel_range,
                   static_cast<int>(std::lround(self->opacity * 256))};
  GST_OBJECT_UNLOCK(self);

  GstBuffer *buf = frame->buffer;
  const GstQuadMotionMeta *motion = find_motion(buf, s.source);
  const GstQuadAnalysisMeta *analysis = gst_buffer_get_quad_analysis_meta(buf);
  GST_LOG_OBJECT(self, "frame %" GST_TIME_FORMAT ": motion %s, analysis %s",
                 GST_TIME_ARGS(GST_BUFFER_PTS(buf)), motion ? "yes" : "no",
                 analysis ? "yes" : "no");
  if (!motion && !analysis)
    return GST_FLOW_OK;

  uint8_t *planes[3] = {};
  ptrdiff_t strides[3] = {};
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame); i++) {
    planes[i] = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, i));
    strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE(frame, i);
  }
  quad::overlay::Canvas canvas(format, planes, strides, GST_VIDEO_FRAME_WIDTH(frame),
                               GST_VIDEO_FRAME_HEIGHT(frame));

  if (analysis && s.heatmap != GST_QUAD_MOTION_OVERLAY_HEATMAP_NONE)
    draw_heatmap(canvas, analysis, s);
  if (motion)
    draw_motion(canvas, motion, s);
  if (analysis && analysis->scene_cut && s.show_scene_cuts)
    canvas.outline_rect(0, 0, canvas.width(), canvas.height(), SCENE_CUT_BORDER, SCENE_CUT_COLOUR,
                        256);
  return GST_FLOW_OK;
}

static void gst_quad_motion_overlay_set_property(GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec) {
  auto *self = GST_QUAD_MOTION_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_SOURCE:
    self->source = static_cast<GstQuadMotionOverlaySource>(g_value_get_enum(value));
    break;
  case PROP_VECTORS:
    self->vectors = static_cast<GstQuadMotionOverlayVectors>(g_value_get_enum(value));
    break;
  case PROP_HEATMAP:
    self->heatmap = static_cast<GstQuadMotionOverlayHeatmap>(g_value_get_enum(value));
    break;
  case PROP_SHOW_FLAGS:
    self->show_flags = g_value_get_boolean(value);
    break;
  case PROP_SHOW_SCENE_CUTS:
    self->show_scene_cuts = g_value_get_boolean(value);
    break;
  case PROP_ARROW_SCALE:
    self->arrow_scale = g_value_get_double(value);
    break;
  case PROP_WHEEL_RANGE:
    self->wheel_range = g_value_get_double(value);
    break;
  case PROP_OPACITY:
    self->opacity = g_value_get_double(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_motion_overlay_get_property(GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec) {
  auto *self = GST_QUAD_MOTION_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_SOURCE:
    g_value_set_enum(value, self->source);
    break;
  case PROP_VECTORS:
    g_value_set_enum(value, self->vectors);
    break;
  case PROP_HEATMAP:
    g_value_set_enum(value, self->heatmap);
    break;
  case PROP_SHOW_FLAGS:
    g_value_set_boolean(value, self->show_flags);
    break;
  case PROP_SHOW_SCENE_CUTS:
    g_value_set_boolean(value, self->show_scene_cuts);
    break;
  case PROP_ARROW_SCALE:
    g_value_set_double(value, self->arrow_scale);
    break;
  case PROP_WHEEL_RANGE:
    g_value_set_double(value, self->wheel_range);
    break;
  case PROP_OPACITY:
    g_value_set_double(value, self->opacity);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_motion_overlay_class_init(GstQuadMotionOverlayClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *filter_class = GST_VIDEO_FILTER_CLASS(klass);
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                               GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_quad_motion_overlay_set_property;
  gobject_class->get_property = gst_quad_motion_overlay_get_property;

  g_object_class_install_property(gobject_class, PROP_SOURCE,
                                  g_param_spec_enum("source", "Source", "Which motion meta to draw",
                                                    GST_TYPE_QUAD_MOTION_OVERLAY_SOURCE,
                                                    DEFAULT_SOURCE, rw));
  g_object_class_install_property(
      gobject_class, PROP_VECTORS,
      g_param_spec_enum("vectors", "Vectors", "How motion vectors are drawn",
                        GST_TYPE_QUAD_MOTION_OVERLAY_VECTORS, DEFAULT_VECTORS, rw));
  g_object_class_install_property(
      gobject_class, PROP_HEATMAP,
      g_param_spec_enum("heatmap", "Heat map",
                        "Block statistic of the analysis meta shaded from blue (low) to red (high)",
                        GST_TYPE_QUAD_MOTION_OVERLAY_HEATMAP, DEFAULT_HEATMAP, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_FLAGS,
      g_param_spec_boolean("show-flags", "Show flags",
                           "Outline INTRA_BETTER (yellow) and OCCLUDED (magenta) blocks",
                           DEFAULT_SHOW_FLAGS, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_SCENE_CUTS,
      g_param_spec_boolean("show-scene-cuts", "Show scene cuts",
                           "A red border on frames the analysis marks as a scene cut",
                           DEFAULT_SHOW_SCENE_CUTS, rw));
  g_object_class_install_property(
      gobject_class, PROP_ARROW_SCALE,
      g_param_spec_double("arrow-scale", "Arrow scale", "Arrow length per sample of motion",
                          MIN_ARROW_SCALE, MAX_ARROW_SCALE, DEFAULT_ARROW_SCALE, rw));
  g_object_class_install_property(
      gobject_class, PROP_WHEEL_RANGE,
      g_param_spec_double("wheel-range", "Colour wheel range",
                          "Motion in luma samples drawn at full saturation (color-wheel)",
                          MIN_WHEEL_RANGE, MAX_WHEEL_RANGE, DEFAULT_WHEEL_RANGE, rw));
  g_object_class_install_property(
      gobject_class, PROP_OPACITY,
      g_param_spec_double("opacity", "Opacity", "Opacity of the heat map and the colour wheel", 0.0,
                          1.0, DEFAULT_OPACITY, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Motion overlay", "Filter/Effect/Video",
      "Draws motion vectors, block analysis and scene cuts from gst-quad's metas on the video",
      "gst-quad");

  filter_class->transform_frame_ip = gst_quad_motion_overlay_transform_frame_ip;

  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_MOTION_OVERLAY_SOURCE,
                              static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_MOTION_OVERLAY_VECTORS,
                              static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_MOTION_OVERLAY_HEATMAP,
                              static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_quad_motion_overlay_debug, "quadmotionoverlay", 0,
                          "gst-quad motion overlay");
}

static void gst_quad_motion_overlay_init(GstQuadMotionOverlay *self) {
  self->source = DEFAULT_SOURCE;
  self->vectors = DEFAULT_VECTORS;
  self->heatmap = DEFAULT_HEATMAP;
  self->show_flags = DEFAULT_SHOW_FLAGS;
  self->show_scene_cuts = DEFAULT_SHOW_SCENE_CUTS;
  self->arrow_scale = DEFAULT_ARROW_SCALE;
  self->wheel_range = DEFAULT_WHEEL_RANGE;
  self->opacity = DEFAULT_OPACITY;
}
