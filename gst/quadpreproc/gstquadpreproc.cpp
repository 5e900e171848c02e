/**
 * SECTION:element-quadpreproc
 * @title: quadpreproc
 *
 * The stage between capture and compression: converts any of I420, NV12,
 * Y42B, Y444, BGRx, RGBx, BGRA, RGBA and xRGB to I420 or NV12, scales down
 * or up (`method`), optionally denoises (`denoise`), and with
 * `analysis=true` measures each frame for the stages after it.
 *
 * Conversion honours the caps' colorimetry (BT.601, BT.709 or BT.2020
 * matrix, limited or full range) and the output's chroma siting. A YUV input
 * keeps its colorimetry: converting between YUV colorimetries is left to
 * videoconvert. Sizes are chosen as videoconvertscale chooses them: what
 * downstream leaves open (pixel aspect ratio, then width or height) keeps
 * the input's display aspect ratio, and where downstream fixes all of them
 * the picture is centred between black borders (`add-borders`, default) or
 * stretched. When the caps on both sides are equal and neither analysis nor
 * denoise is asked for, buffers pass through untouched; analysis alone adds
 * its meta without copying.
 *
 * With `analysis=true` every buffer carries a GstQuadAnalysisMeta: per block
 * of `block-size` luma samples the mean, variance and Sobel edge energy, the
 * frame's complexity, a scene-change score against the previous frame and a
 * scene-cut flag (score above `scene-threshold`; the first frame counts as
 * a cut). With `pyramid-levels` > 0 the meta also holds the 2:1 luma pyramid
 * that quadmotion would otherwise compute.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc scene-cut-interval=30 !
 * video/x-raw,format=BGRx,width=1920,height=1080 ! quadpreproc analysis=true pyramid-levels=3 !
 * video/x-raw,format=NV12,width=1280,height=720 ! fakesink gst-launch-1.0 videotestsrc !
 * video/x-raw,format=Y444 ! quadpreproc denoise=20 ! video/x-raw,format=I420 ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadpreproc.h"

#include "quad/gstquadblocksize.h"

#include <gst/video/video.h>

#include <algorithm>
#include <exception>
#include <memory>

#include "analysis.h"
#include "convert.h"
#include "denoise.h"
#include "parallel.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/gstquadbufferpool.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_preproc_debug);
#define GST_CAT_DEFAULT gst_quad_preproc_debug

using quad::preproc::BlockGrid;
using quad::preproc::ChromaSiting;
using quad::preproc::ConstPicture;
using quad::preproc::ConvertConfig;
using quad::preproc::FrameConverter;
using quad::preproc::Matrix;
using quad::preproc::Picture;
using quad::preproc::PixelFormat;
using quad::preproc::Range;
using quad::preproc::RowParallel;
using quad::preproc::ScaleMethod;
using quad::preproc::SceneChangeDetector;
using quad::preproc::TemporalDenoiser;

static constexpr GstQuadPreprocMethod DEFAULT_METHOD = GST_QUAD_PREPROC_METHOD_BILINEAR;
static constexpr guint DEFAULT_N_THREADS = 0;
static constexpr gboolean DEFAULT_ANALYSIS = FALSE;
static constexpr GstQuadBlockSize DEFAULT_BLOCK_SIZE = GST_QUAD_BLOCK_SIZE_16;
static constexpr gdouble DEFAULT_SCENE_THRESHOLD = 0.5;
static constexpr guint DEFAULT_PYRAMID_LEVELS = 0;
static constexpr guint DEFAULT_DENOISE = 0;
static constexpr gboolean DEFAULT_ADD_BORDERS = TRUE;

static constexpr guint MAX_N_THREADS = 256;
static constexpr guint MAX_PYRAMID_LEVELS = 4;
static constexpr guint MAX_DENOISE = 100;
/* Output buffers in flight: one being written, one downstream. */
static constexpr guint POOL_MIN_BUFFERS = 2;

enum {
  PROP_0,
  PROP_METHOD,
  PROP_N_THREADS,
  PROP_ANALYSIS,
  PROP_BLOCK_SIZE,
  PROP_SCENE_THRESHOLD,
  PROP_PYRAMID_LEVELS,
  PROP_DENOISE,
  PROP_ADD_BORDERS,
};

#define SINK_CAPS                                                                                  \
  "video/x-raw, format = (string) { I420, NV12, Y42B, Y444, BGRx, RGBx, BGRA, RGBA, xRGB }, "      \
  "width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ], "                                      \
  "framerate = (fraction) [ 0/1, MAX ]"
#define SRC_CAPS                                                                                   \
  "video/x-raw, format = (string) { I420, NV12 }, "                                                \
  "width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ], "                                      \
  "framerate = (fraction) [ 0/1, MAX ]"

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(SINK_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(SRC_CAPS));

/* What the properties ask for, read once per frame. */
struct PreprocSettings {
  GstQuadPreprocMethod method = DEFAULT_METHOD;
  guint n_threads = DEFAULT_N_THREADS;
  gboolean analysis = DEFAULT_ANALYSIS;
  GstQuadBlockSize block_size = DEFAULT_BLOCK_SIZE;
  gdouble scene_threshold = DEFAULT_SCENE_THRESHOLD;
  guint pyramid_levels = DEFAULT_PYRAMID_LEVELS;
  guint denoise = DEFAULT_DENOISE;
  gboolean add_borders = DEFAULT_ADD_BORDERS;
};

/* Streaming state: made in set_info, used by the streaming thread. */
struct PreprocState {
  ConvertConfig config;
  std::unique_ptr<FrameConverter> converter;
  std::unique_ptr<RowParallel> parallel;
  std::unique_ptr<TemporalDenoiser> denoiser;
  guint denoise_strength = 0;
  SceneChangeDetector scenes;
  BlockGrid grid;
};

struct _GstQuadPreproc {
  GstVideoFilter parent;

  PreprocSettings settings; /* under the object lock */
  gboolean same_caps;       /* input and output caps equal; under the object lock */
  PreprocState *state;
};

G_DEFINE_TYPE(GstQuadPreproc, gst_quad_preproc, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(quadpreproc, "quadpreproc", GST_RANK_NONE, GST_TYPE_QUAD_PREPROC);

GType gst_quad_preproc_method_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_PREPROC_METHOD_BILINEAR, "Bilinear (triangle filter)", "bilinear"},
      {GST_QUAD_PREPROC_METHOD_BICUBIC, "Bicubic (Catmull-Rom)", "bicubic"},
      {GST_QUAD_PREPROC_METHOD_AREA, "Area average (for 2:1 and larger reductions)", "area"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstQuadPreprocMethod", values));
  return type;
}

static PreprocSettings read_settings(GstQuadPreproc *self) {
  GST_OBJECT_LOCK(self);
  const PreprocSettings s = self->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

static ScaleMethod to_core(GstQuadPreprocMethod method) {
  switch (method) {
  case GST_QUAD_PREPROC_METHOD_BICUBIC:
    return ScaleMethod::Bicubic;
  case GST_QUAD_PREPROC_METHOD_AREA:
    return ScaleMethod::Area;
  default:
    return ScaleMethod::Bilinear;
  }
}

static bool to_core(GstVideoFormat format, PixelFormat *out) {
  switch (format) {
  case GST_VIDEO_FORMAT_I420:
    *out = PixelFormat::I420;
    return true;
  case GST_VIDEO_FORMAT_NV12:
    *out = PixelFormat::NV12;
    return true;
  case GST_VIDEO_FORMAT_Y42B:
    *out = PixelFormat::Y42B;
    return true;
  case GST_VIDEO_FORMAT_Y444:
    *out = PixelFormat::Y444;
    return true;
  case GST_VIDEO_FORMAT_BGRx:
    *out = PixelFormat::BGRx;
    return true;
  case GST_VIDEO_FORMAT_RGBx:
    *out = PixelFormat::RGBx;
    return true;
  case GST_VIDEO_FORMAT_BGRA:
    *out = PixelFormat::BGRA;
    return true;
  case GST_VIDEO_FORMAT_RGBA:
    *out = PixelFormat::RGBA;
    return true;
  case GST_VIDEO_FORMAT_xRGB:
    *out = PixelFormat::xRGB;
    return true;
  default:
    return false;
  }
}

static bool to_core(GstVideoColorMatrix matrix, Matrix *out) {
  switch (matrix) {
  case GST_VIDEO_COLOR_MATRIX_BT601:
    *out = Matrix::BT601;
    return true;
  case GST_VIDEO_COLOR_MATRIX_BT709:
    *out = Matrix::BT709;
    return true;
  case GST_VIDEO_COLOR_MATRIX_BT2020:
    *out = Matrix::BT2020;
    return true;
  default:
    return false;
  }
}

static ConstPicture picture_of(const GstVideoFrame *frame, PixelFormat format) {
  ConstPicture p;
  p.format = format;
  p.width = GST_VIDEO_FRAME_WIDTH(frame);
  p.height = GST_VIDEO_FRAME_HEIGHT(frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame) && i < 3; i++)
    p.planes[i] = {static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, i)),
                   GST_VIDEO_FRAME_PLANE_STRIDE(frame, i)};
  return p;
}

static Picture writable_picture_of(GstVideoFrame *frame, PixelFormat format) {
  Picture p;
  p.format = format;
  p.width = GST_VIDEO_FRAME_WIDTH(frame);
  p.height = GST_VIDEO_FRAME_HEIGHT(frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame) && i < 3; i++)
    p.planes[i] = {static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, i)),
                   GST_VIDEO_FRAME_PLANE_STRIDE(frame, i)};
  return p;
}

/* Passthrough when nothing would change; in place when only meta is added. */
static void update_mode(GstQuadPreproc *self, const PreprocSettings &s) {
  auto *trans = GST_BASE_TRANSFORM(self);
  GST_OBJECT_LOCK(self);
  const bool same = self->same_caps;
  GST_OBJECT_UNLOCK(self);
  const bool in_place = same && s.denoise == 0;
  const bool passthrough = in_place && !s.analysis;
  const bool changed = gst_base_transform_is_in_place(trans) != in_place ||
                       gst_base_transform_is_passthrough(trans) != passthrough;
  gst_base_transform_set_in_place(trans, in_place);
  gst_base_transform_set_passthrough(trans, passthrough);
  /* Writing into its own buffers or not changes what to ask downstream for. */
  if (changed)
    gst_base_transform_reconfigure_src(trans);
}

/* ---- caps ---- */

/* True when the structure may describe an RGB format. */
static bool may_be_rgb(const GstStructure *s) {
  const GValue *v = gst_structure_get_value(s, "format");
  if (!v)
    return true;
  auto rgb = [](const GValue *f) {
    if (!G_VALUE_HOLDS_STRING(f))
      return true;
    return GST_VIDEO_FORMAT_INFO_IS_RGB(
               gst_video_format_get_info(gst_video_format_from_string(g_value_get_string(f)))) != 0;
  };
  if (GST_VALUE_HOLDS_LIST(v)) {
    for (guint i = 0; i < gst_value_list_get_size(v); i++)
      if (rgb(gst_value_list_get_value(v, i)))
        return true;
    return false;
  }
  return rgb(v);
}

static GstCaps *gst_quad_preproc_transform_caps(GstBaseTransform *trans, GstPadDirection direction,
                                                GstCaps *caps, GstCaps *filter) {
  /* The unchanged caps first, so that fixation prefers passthrough. */
  GstCaps *result = gst_caps_copy(caps);
  GstCaps *other = gst_caps_new_empty();
  for (guint i = 0; i < gst_caps_get_size(caps); i++) {
    const GstStructure *s = gst_caps_get_structure(caps, i);
    GstStructure *o = gst_structure_copy(s);
    GValue formats = G_VALUE_INIT;
    gst_value_list_init(&formats, 9);
    const gchar *names[] = {"I420", "NV12", "Y42B", "Y444", "BGRx", "RGBx", "BGRA", "RGBA", "xRGB"};
    const guint count = direction == GST_PAD_SINK ? 2 : G_N_ELEMENTS(names);
    for (guint f = 0; f < count; f++) {
      GValue v = G_VALUE_INIT;
      g_value_init(&v, G_TYPE_STRING);
      g_value_set_string(&v, names[f]);
      gst_value_list_append_and_take_value(&formats, &v);
    }
    gst_structure_take_value(o, "format", &formats);
    /* Any size either way, and any pixel aspect ratio where one is given:
     * fixation keeps the display aspect ratio. A YUV input keeps its
     * colorimetry. */
    gst_structure_set(o, "width", GST_TYPE_INT_RANGE, 1, 16384, "height", GST_TYPE_INT_RANGE, 1,
                      16384, nullptr);
    if (gst_structure_has_field(o, "pixel-aspect-ratio"))
      gst_structure_set(o, "pixel-aspect-ratio", GST_TYPE_FRACTION_RANGE, 1, G_MAXINT, G_MAXINT, 1,
                        nullptr);
    if (direction != GST_PAD_SINK || may_be_rgb(s))
      gst_structure_remove_fields(o, "colorimetry", "chroma-site", nullptr);
    gst_caps_append_structure(other, o);
  }
  result = gst_caps_merge(result, other);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = tmp;
  }
  GST_DEBUG_OBJECT(trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
                   direction == GST_PAD_SINK ? "sink" : "src", caps, result);
  return result;
}

/* n/d of a display size (w x h samples of aspect par_n/par_d); false when
 * it does not fit a fraction. */
static bool display_ratio(gint w, gint h, gint par_n, gint par_d, gint *n, gint *d) {
  return gst_util_fraction_multiply(w, h, par_n, par_d, n, d);
}

/* The pixel aspect ratio that shows w x h samples at display ratio dar. */
static void fixate_par_for(GstStructure *s, gint dar_n, gint dar_d, gint w, gint h) {
  gint n = 0, d = 0;
  if (gst_util_fraction_multiply(dar_n, dar_d, h, w, &n, &d))
    gst_structure_fixate_field_nearest_fraction(s, "pixel-aspect-ratio", n, d);
}

/* Fixes width, height and pixel-aspect-ratio as videoconvertscale does: the
 * sizes stay as near the input's as downstream allows and the input's
 * display aspect ratio is kept by the pixel aspect ratio when downstream
 * leaves it open, else by the size it leaves open (the input's height
 * first when both are). When downstream fixes all three, set_info adds
 * borders (add-borders) or stretches. */
static void fixate_size(GstStructure *s, gint in_w, gint in_h, gint in_par_n, gint in_par_d) {
  gint dar_n = 0, dar_d = 0;
  if (!display_ratio(in_w, in_h, in_par_n, in_par_d, &dar_n, &dar_d)) {
    gst_structure_fixate_field_nearest_int(s, "width", in_w);
    gst_structure_fixate_field_nearest_int(s, "height", in_h);
    gst_structure_fixate_field_nearest_fraction(s, "pixel-aspect-ratio", in_par_n, in_par_d);
    return;
  }
  const GValue *par = gst_structure_get_value(s, "pixel-aspect-ratio");
  if (!par) {
    gst_structure_set(s, "pixel-aspect-ratio", GST_TYPE_FRACTION_RANGE, 1, G_MAXINT, G_MAXINT, 1,
                      nullptr);
    par = gst_structure_get_value(s, "pixel-aspect-ratio");
  }
  if (!GST_VALUE_HOLDS_FRACTION(par)) {
    gst_structure_fixate_field_nearest_int(s, "width", in_w);
    gst_structure_fixate_field_nearest_int(s, "height", in_h);
    gint w = 0, h = 0;
    gst_structure_get_int(s, "width", &w);
    gst_structure_get_int(s, "height", &h);
    fixate_par_for(s, dar_n, dar_d, w, h);
    return;
  }
  gint par_n = 0, par_d = 0, w = 0, h = 0;
  gst_structure_get_fraction(s, "pixel-aspect-ratio", &par_n, &par_d);
  /* n/d: width / height in samples that shows the input's shape at par. */
  gint n = 0, d = 0;
  if (!gst_util_fraction_multiply(dar_n, dar_d, par_d, par_n, &n, &d)) {
    gst_structure_fixate_field_nearest_int(s, "width", in_w);
    gst_structure_fixate_field_nearest_int(s, "height", in_h);
    return;
  }
  const bool w_fixed = gst_structure_get_int(s, "width", &w);
  const bool h_fixed = gst_structure_get_int(s, "height", &h);
  if (w_fixed && h_fixed)
    return;
  if (h_fixed) {
    gst_structure_fixate_field_nearest_int(s, "width",
                                           gint(gst_util_uint64_scale_int_round(h, n, d)));
    return;
  }
  if (w_fixed) {
    gst_structure_fixate_field_nearest_int(s, "height",
                                           gint(gst_util_uint64_scale_int_round(w, d, n)));
    return;
  }
  /* Neither: the input's height if the width it needs is allowed, else its
   * width. (videoconvertscale 1.22 multiplies by the pixel aspect ratio
   * here where it divides elsewhere, and so does not keep the ratio.) */
  const gint for_height = gint(gst_util_uint64_scale_int_round(in_h, n, d));
  GstStructure *tmp = gst_structure_copy(s);
  gst_structure_fixate_field_nearest_int(tmp, "width", for_height);
  gint got = 0;
  gst_structure_get_int(tmp, "width", &got);
  gst_structure_free(tmp);
  if (got == for_height) {
    gst_structure_fixate_field_nearest_int(s, "height", in_h);
    gst_structure_fixate_field_nearest_int(s, "width", for_height);
    return;
  }
  gst_structure_fixate_field_nearest_int(s, "width", in_w);
  gst_structure_fixate_field_nearest_int(s, "height",
                                         gint(gst_util_uint64_scale_int_round(in_w, d, n)));
}

static GstCaps *gst_quad_preproc_fixate_caps(GstBaseTransform *trans, GstPadDirection direction,
                                             GstCaps *caps, GstCaps *othercaps) {
  othercaps = gst_caps_truncate(gst_caps_make_writable(othercaps));
  if (direction != GST_PAD_SINK)
    return gst_caps_fixate(othercaps);
  GstVideoInfo in;
  if (!gst_video_info_from_caps(&in, caps))
    return gst_caps_fixate(othercaps);
  GstStructure *s = gst_caps_get_structure(othercaps, 0);
  /* As close to the input as downstream allows: its format, and its display
   * aspect ratio. */
  const gchar *format = gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&in));
  if (GST_VIDEO_INFO_FORMAT(&in) != GST_VIDEO_FORMAT_NV12)
    format = "I420";
  gst_structure_fixate_field_string(s, "format", format);
  fixate_size(s, GST_VIDEO_INFO_WIDTH(&in), GST_VIDEO_INFO_HEIGHT(&in), GST_VIDEO_INFO_PAR_N(&in),
              GST_VIDEO_INFO_PAR_D(&in));
  if (!GST_VIDEO_INFO_IS_RGB(&in) && !gst_structure_has_field(s, "colorimetry")) {
    gchar *c = gst_video_colorimetry_to_string(&in.colorimetry);
    if (c)
      gst_structure_set(s, "colorimetry", G_TYPE_STRING, c, nullptr);
    g_free(c);
  }
  if (!gst_structure_has_field(s, "chroma-site") && GST_VIDEO_INFO_IS_YUV(&in) &&
      in.chroma_site != GST_VIDEO_CHROMA_SITE_UNKNOWN) {
    gchar *c = gst_video_chroma_site_to_string(in.chroma_site);
    if (c)
      gst_structure_set(s, "chroma-site", G_TYPE_STRING, c, nullptr);
    g_free(c);
  }
  othercaps = gst_caps_fixate(othercaps);
  GST_DEBUG_OBJECT(trans, "fixated to %" GST_PTR_FORMAT, othercaps);
  return othercaps;
}

/* Where the picture goes in the output so that it keeps its display aspect
 * ratio: centred, at even coordinates (4:2:0 chroma), the rest borders;
 * the whole output when the ratios agree. */
static ConvertConfig::Rect placement(const GstVideoInfo *in, const GstVideoInfo *out) {
  const gint ow = GST_VIDEO_INFO_WIDTH(out), oh = GST_VIDEO_INFO_HEIGHT(out);
  gint dar_n = 0, dar_d = 0, n = 0, d = 0;
  /* n/d: the width/height in output samples that shows the input's shape. */
  if (!display_ratio(GST_VIDEO_INFO_WIDTH(in), GST_VIDEO_INFO_HEIGHT(in), GST_VIDEO_INFO_PAR_N(in),
                     GST_VIDEO_INFO_PAR_D(in), &dar_n, &dar_d) ||
      !gst_util_fraction_multiply(dar_n, dar_d, GST_VIDEO_INFO_PAR_D(out),
                                  GST_VIDEO_INFO_PAR_N(out), &n, &d) ||
      gst_util_fraction_compare(n, d, ow, oh) == 0)
    return {};
  ConvertConfig::Rect r{0, 0, ow, oh};
  if (gst_util_fraction_compare(n, d, ow, oh) < 0)
    r.width = std::max(2, gint(gst_util_uint64_scale_int_round(oh, n, d)));
  else
    r.height = std::max(2, gint(gst_util_uint64_scale_int_round(ow, d, n)));
  r.width = std::min(r.width, ow);
  r.height = std::min(r.height, oh);
  r.x = (ow - r.width) / 2 & ~1;
  r.y = (oh - r.height) / 2 & ~1;
  return r;
}

static gboolean gst_quad_preproc_set_info(GstVideoFilter *filter, GstCaps *incaps,
                                          GstVideoInfo *in_info, GstCaps *outcaps,
                                          GstVideoInfo *out_info) {
  auto *self = GST_QUAD_PREPROC(filter);
  const PreprocSettings s = read_settings(self);
  ConvertConfig c;
  if (!to_core(GST_VIDEO_INFO_FORMAT(in_info), &c.in_format) ||
      !to_core(GST_VIDEO_INFO_FORMAT(out_info), &c.out_format)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Unsupported formats"),
                      ("%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps, outcaps));
    return FALSE;
  }
  if (GST_VIDEO_INFO_IS_INTERLACED(in_info)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Interlaced video is not supported"),
                      ("%" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  const GstVideoColorimetry &oc = out_info->colorimetry;
  const GstVideoColorimetry &ic = in_info->colorimetry;
  if (!to_core(oc.matrix, &c.matrix)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Output colour matrix must be BT.601, BT.709 or BT.2020"),
                      ("%" GST_PTR_FORMAT, outcaps));
    return FALSE;
  }
  if (GST_VIDEO_INFO_IS_YUV(in_info) && (ic.matrix != oc.matrix || ic.range != oc.range)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Conversion between YUV colorimetries is not supported"),
                      ("%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps, outcaps));
    return FALSE;
  }
  c.range = oc.range == GST_VIDEO_COLOR_RANGE_0_255 ? Range::Full : Range::Limited;
  c.siting.h_cosited = (out_info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED) != 0;
  c.siting.v_cosited = (out_info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED) != 0;
  c.in_width = GST_VIDEO_INFO_WIDTH(in_info);
  c.in_height = GST_VIDEO_INFO_HEIGHT(in_info);
  c.out_width = GST_VIDEO_INFO_WIDTH(out_info);
  c.out_height = GST_VIDEO_INFO_HEIGHT(out_info);
  c.method = to_core(s.method);
  c.threads = gint(s.n_threads);
  if (s.add_borders)
    c.placement = placement(in_info, out_info);

  auto state = std::make_unique<PreprocState>();
  try {
    state->converter = std::make_unique<FrameConverter>(c);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cannot convert these caps"),
                      ("%s: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, e.what(), incaps, outcaps));
    return FALSE;
  }
  state->config = c;
  state->parallel = std::make_unique<RowParallel>(c.threads);
  const bool same_caps = gst_video_info_is_equal(in_info, out_info);
  GST_OBJECT_LOCK(self);
  self->same_caps = same_caps;
  GST_OBJECT_UNLOCK(self);
  delete self->state;
  self->state = state.release();
  if (c.placement.width > 0)
    GST_INFO_OBJECT(self, "picture at %d,%d size %dx%d, borders around it", c.placement.x,
                    c.placement.y, c.placement.width, c.placement.height);
  GST_INFO_OBJECT(self, "%s %dx%d -> %s %dx%d, %d threads%s",
                  gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(in_info)), c.in_width,
                  c.in_height, gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(out_info)),
                  c.out_width, c.out_height, self->state->parallel->threads(),
                  same_caps ? ", same caps" : "");
  update_mode(self, s);
  return TRUE;
}

/* ---- allocation ---- */

static gboolean gst_quad_preproc_propose_allocation(GstBaseTransform *trans, GstQuery *decide_query,
                                                    GstQuery *query) {
  /* In place the upstream buffer comes back out: downstream decides. */
  if (gst_base_transform_is_passthrough(trans) || gst_base_transform_is_in_place(trans))
    return GST_BASE_TRANSFORM_CLASS(gst_quad_preproc_parent_class)
        ->propose_allocation(trans, decide_query, query);
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  return gst_quad_propose_video_allocation(query, POOL_MIN_BUFFERS);
}

static gboolean gst_quad_preproc_decide_allocation(GstBaseTransform *trans, GstQuery *query) {
  if (!gst_quad_decide_video_allocation(query, POOL_MIN_BUFFERS, nullptr))
    return FALSE;
  return GST_BASE_TRANSFORM_CLASS(gst_quad_preproc_parent_class)->decide_allocation(trans, query);
}

/* ---- per frame ---- */

static void attach_pyramid(GstQuadAnalysisMeta *meta, const quad::preproc::ConstPlane &luma,
                           gint width, gint height, guint levels) {
  const auto layout = quad::preproc::pyramid_layout(width, height, gint(levels));
  GstAllocationParams params;
  gst_allocation_params_init(&params);
  params.align = 63;
  GstBuffer *pyramid = gst_buffer_new_allocate(nullptr, layout.size, &params);
  GstMapInfo map;
  gst_buffer_map(pyramid, &map, GST_MAP_WRITE);
  quad::preproc::build_pyramid(luma.data, luma.stride, width, height, layout, map.data);
  gst_buffer_unmap(pyramid, &map);
  for (guint l = 0; l < levels; l++) {
    const auto &level = layout.levels[l];
    gsize offset[GST_VIDEO_MAX_PLANES] = {level.offset};
    gint stride[GST_VIDEO_MAX_PLANES] = {gint(level.stride)};
    GstVideoMeta *vmeta =
        gst_buffer_add_video_meta_full(pyramid, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_GRAY8,
                                       guint(level.width), guint(level.height), 1, offset, stride);
    vmeta->id = gint(l + 1);
  }
  gst_quad_analysis_meta_set_pyramid(meta, pyramid, levels);
  gst_buffer_unref(pyramid);
}

/* Scene detection (before denoise, which must not blend across a cut),
 * denoise, then the block statistics of what goes downstream. */
static void process_output(GstQuadPreproc *self, const PreprocSettings &s, GstBuffer *buffer,
                           const Picture &picture) {
  PreprocState &state = *self->state;
  bool cut = false;
  double score = 0.0;
  const uint8_t *luma = picture.planes[0].data;
  const ptrdiff_t stride = picture.planes[0].stride;
  if (s.analysis) {
    score = state.scenes.score(luma, stride, picture.width, picture.height);
    cut = score > s.scene_threshold;
  }
  if (s.denoise == 0) {
    state.denoiser.reset();
  } else {
    if (!state.denoiser || state.denoise_strength != s.denoise) {
      state.denoiser = std::make_unique<TemporalDenoiser>(gint(s.denoise));
      state.denoise_strength = s.denoise;
    }
    if (cut)
      state.denoiser->reset();
    state.denoiser->process(picture, *state.parallel);
  }
  if (!s.analysis)
    return;
  quad::preproc::measure_blocks(luma, stride, picture.width, picture.height, gint(s.block_size),
                                *state.parallel, state.grid);
  GstQuadAnalysisMeta *meta = gst_buffer_add_quad_analysis_meta(
      buffer, s.block_size, s.block_size, guint(state.grid.cols), guint(state.grid.rows));
  if (!meta)
    return;
  for (size_t i = 0; i < state.grid.blocks.size(); i++) {
    const auto &b = state.grid.blocks[i];
    meta->blocks[i].mean = b.mean;
    meta->blocks[i].variance = b.variance;
    meta->blocks[i].edge_energy = b.edge_energy;
  }
  meta->complexity = state.grid.complexity;
  meta->scene_change_score = score;
  meta->scene_cut = cut;
  if (s.pyramid_levels > 0)
    attach_pyramid(meta, {luma, stride}, picture.width, picture.height, s.pyramid_levels);
  GST_LOG_OBJECT(self, "complexity %.1f, scene score %.3f%s", meta->complexity, score,
                 cut ? " (cut)" : "");
}

/* Rebuilds the converter when method or n-threads changed while streaming. */
static void follow_settings(GstQuadPreproc *self, const PreprocSettings &s) {
  PreprocState &state = *self->state;
  ConvertConfig c = state.config;
  c.method = to_core(s.method);
  c.threads = gint(s.n_threads);
  if (c.method == state.config.method && c.threads == state.config.threads)
    return;
  state.converter = std::make_unique<FrameConverter>(c);
  state.parallel = std::make_unique<RowParallel>(c.threads);
  state.config = c;
}

static GstFlowReturn gst_quad_preproc_transform_frame(GstVideoFilter *filter,
                                                      GstVideoFrame *inframe,
                                                      GstVideoFrame *outframe) {
  auto *self = GST_QUAD_PREPROC(filter);
  if (!self->state)
    return GST_FLOW_NOT_NEGOTIATED;
  const PreprocSettings s = read_settings(self);
  try {
    follow_settings(self, s);
    PreprocState &state = *self->state;
    const Picture out = writable_picture_of(outframe, state.config.out_format);
    state.converter->convert(picture_of(inframe, state.config.in_format), out);
    process_output(self, s, outframe->buffer, out);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Frame processing failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* GstVideoFilter only warns about a buffer too small for the caps and then
 * pushes an output frame it never wrote: refuse it instead. */
static GstFlowReturn gst_quad_preproc_transform(GstBaseTransform *trans, GstBuffer *inbuf,
                                                GstBuffer *outbuf) {
  auto *filter = GST_VIDEO_FILTER(trans);
  GstVideoFrame frame;
  const auto flags =
      static_cast<GstMapFlags>(int(GST_MAP_READ) | int(GST_VIDEO_FRAME_MAP_FLAG_NO_REF));
  if (!gst_video_frame_map(&frame, &filter->in_info, inbuf, flags)) {
    GST_ELEMENT_ERROR(trans, STREAM, FORMAT, ("Input buffer does not hold a frame of its caps"),
                      ("%" GST_PTR_FORMAT ", %" G_GSIZE_FORMAT " bytes expected", inbuf,
                       GST_VIDEO_INFO_SIZE(&filter->in_info)));
    return GST_FLOW_ERROR;
  }
  gst_video_frame_unmap(&frame);
  return GST_BASE_TRANSFORM_CLASS(gst_quad_preproc_parent_class)->transform(trans, inbuf, outbuf);
}

/* In place: only analysis, so the frame is mapped for reading and the
 * buffer's memory is never copied. */
static GstFlowReturn gst_quad_preproc_transform_ip(GstBaseTransform *trans, GstBuffer *buffer) {
  auto *self = GST_QUAD_PREPROC(trans);
  auto *filter = GST_VIDEO_FILTER(trans);
  if (!self->state)
    return GST_FLOW_NOT_NEGOTIATED;
  const PreprocSettings s = read_settings(self);
  GstVideoFrame frame;
  /* NO_REF: a mapped frame's own reference would make the buffer read-only. */
  const auto flags =
      static_cast<GstMapFlags>(int(GST_MAP_READ) | int(GST_VIDEO_FRAME_MAP_FLAG_NO_REF));
  if (!gst_video_frame_map(&frame, &filter->in_info, buffer, flags)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Cannot map the input frame"),
                      ("%" GST_PTR_FORMAT, buffer));
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  try {
    /* Denoise is off here (update_mode), so the frame is only read. */
    PreprocSettings analysis_only = s;
    analysis_only.denoise = 0;
    const ConstPicture in = picture_of(&frame, self->state->config.in_format);
    Picture view;
    view.format = in.format;
    view.width = in.width;
    view.height = in.height;
    view.planes[0] = {const_cast<uint8_t *>(in.planes[0].data), in.planes[0].stride};
    process_output(self, analysis_only, buffer, view);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Frame analysis failed"), ("%s", e.what()));
    ret = GST_FLOW_ERROR;
  }
  gst_video_frame_unmap(&frame);
  return ret;
}

static gboolean gst_quad_preproc_sink_event(GstBaseTransform *trans, GstEvent *event) {
  auto *self = GST_QUAD_PREPROC(trans);
  /* After a flush the next frame has no predecessor to compare or blend. */
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP && self->state) {
    self->state->scenes.reset();
    if (self->state->denoiser)
      self->state->denoiser->reset();
  }
  return GST_BASE_TRANSFORM_CLASS(gst_quad_preproc_parent_class)->sink_event(trans, event);
}

static gboolean gst_quad_preproc_stop(GstBaseTransform *trans) {
  auto *self = GST_QUAD_PREPROC(trans);
  delete self->state;
  self->state = nullptr;
  return TRUE;
}

/* ---- properties ---- */

static void gst_quad_preproc_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec) {
  auto *self = GST_QUAD_PREPROC(object);
  GST_OBJECT_LOCK(self);
  PreprocSettings &s = self->settings;
  switch (prop_id) {
  case PROP_METHOD:
    s.method = static_cast<GstQuadPreprocMethod>(g_value_get_enum(value));
    break;
  case PROP_N_THREADS:
    s.n_threads = g_value_get_uint(value);
    break;
  case PROP_ANALYSIS:
    s.analysis = g_value_get_boolean(value);
    break;
  case PROP_BLOCK_SIZE:
    s.block_size = static_cast<GstQuadBlockSize>(g_value_get_enum(value));
    break;
  case PROP_ADD_BORDERS:
    s.add_borders = g_value_get_boolean(value);
    break;
  case PROP_SCENE_THRESHOLD:
    s.scene_threshold = g_value_get_double(value);
    break;
  case PROP_PYRAMID_LEVELS:
    s.pyramid_levels = g_value_get_uint(value);
    break;
  case PROP_DENOISE:
    s.denoise = g_value_get_uint(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  const PreprocSettings now = s;
  GST_OBJECT_UNLOCK(self);
  if (prop_id == PROP_ANALYSIS || prop_id == PROP_DENOISE)
    update_mode(self, now);
}

static void gst_quad_preproc_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec) {
  auto *self = GST_QUAD_PREPROC(object);
  GST_OBJECT_LOCK(self);
  const PreprocSettings &s = self->settings;
  switch (prop_id) {
  case PROP_METHOD:
    g_value_set_enum(value, s.method);
    break;
  case PROP_N_THREADS:
    g_value_set_uint(value, s.n_threads);
    break;
  case PROP_ANALYSIS:
    g_value_set_boolean(value, s.analysis);
    break;
  case PROP_BLOCK_SIZE:
    g_value_set_enum(value, s.block_size);
    break;
  case PROP_ADD_BORDERS:
    g_value_set_boolean(value, s.add_borders);
    break;
  case PROP_SCENE_THRESHOLD:
    g_value_set_double(value, s.scene_threshold);
    break;
  case PROP_PYRAMID_LEVELS:
    g_value_set_uint(value, s.pyramid_levels);
    break;
  case PROP_DENOISE:
    g_value_set_uint(value, s.denoise);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_preproc_finalize(GObject *object) {
  auto *self = GST_QUAD_PREPROC(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(gst_quad_preproc_parent_class)->finalize(object);
}

static void gst_quad_preproc_class_init(GstQuadPreprocClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_quad_preproc_set_property;
  gobject_class->get_property = gst_quad_preproc_get_property;
  gobject_class->finalize = gst_quad_preproc_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_METHOD,
      g_param_spec_enum("method", "Method", "Scaling filter (area: for 2:1 and larger reductions)",
                        GST_TYPE_QUAD_PREPROC_METHOD, DEFAULT_METHOD, rw));
  g_object_class_install_property(
      gobject_class, PROP_N_THREADS,
      g_param_spec_uint("n-threads", "Threads",
                        "Threads that convert, scale and analyse rows in parallel (0: one per "
                        "core)",
                        0, MAX_N_THREADS, DEFAULT_N_THREADS, rw));
  g_object_class_install_property(
      gobject_class, PROP_ANALYSIS,
      g_param_spec_boolean("analysis", "Analysis",
                           "Attach GstQuadAnalysisMeta: block statistics, complexity, "
                           "scene-change score and scene cut",
                           DEFAULT_ANALYSIS, rw));
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_enum("block-size", "Block size", "Side of the analysis blocks in luma samples",
                        GST_TYPE_QUAD_BLOCK_SIZE, DEFAULT_BLOCK_SIZE, rw));
  g_object_class_install_property(
      gobject_class, PROP_SCENE_THRESHOLD,
      g_param_spec_double("scene-threshold", "Scene threshold",
                          "Scene-change score (0: same picture .. 1: unrelated) above which a "
                          "frame is flagged as a scene cut",
                          0.0, 1.0, DEFAULT_SCENE_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_PYRAMID_LEVELS,
      g_param_spec_uint("pyramid-levels", "Pyramid levels",
                        "2:1 luma reductions attached to the analysis meta for motion search "
                        "(0: none; needs analysis=true)",
                        0, MAX_PYRAMID_LEVELS, DEFAULT_PYRAMID_LEVELS, rw));
  g_object_class_install_property(
      gobject_class, PROP_DENOISE,
      g_param_spec_uint("denoise", "Denoise",
                        "Temporal denoise strength, about 4x the noise standard deviation in "
                        "code values it removes (0: off)",
                        0, MAX_DENOISE, DEFAULT_DENOISE, rw));

  g_object_class_install_property(
      gobject_class, PROP_ADD_BORDERS,
      g_param_spec_boolean("add-borders", "Add borders",
                           "Keep the display aspect ratio with black borders when the output "
                           "size and pixel aspect ratio cannot keep it (else stretch), as "
                           "videoconvertscale does",
                           DEFAULT_ADD_BORDERS,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_READY)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Quad pre-processor", "Filter/Converter/Video/Scaler/Analyzer",
      "Converts to I420 or NV12, scales, denoises, and measures frames for encoders "
      "(block statistics, scene cuts, luma pyramid)",
      "gst-quad");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_quad_preproc_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR(gst_quad_preproc_fixate_caps);
  trans_class->propose_allocation = GST_DEBUG_FUNCPTR(gst_quad_preproc_propose_allocation);
  trans_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_quad_preproc_decide_allocation);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_quad_preproc_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_quad_preproc_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_quad_preproc_sink_event);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_quad_preproc_stop);
  /* Passthrough means nothing to do: not even analysis. */
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_quad_preproc_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR(gst_quad_preproc_transform_frame);

  GST_DEBUG_CATEGORY_INIT(gst_quad_preproc_debug, "quadpreproc", 0,
                          "quadpreproc: conversion, scaling, denoise, analysis");
  gst_type_mark_as_plugin_api(GST_TYPE_QUAD_PREPROC_METHOD, static_cast<GstPluginAPIFlags>(0));
}

static void gst_quad_preproc_init(GstQuadPreproc *self) {
  self->settings = PreprocSettings();
  self->same_caps = FALSE;
  self->state = nullptr;
}
