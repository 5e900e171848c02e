/**
 * SECTION:element-quadcapturesrc
 * @title: quadcapturesrc
 *
 * A live video source: synthetic scenes with known motion, or Y4M files.
 *
 * Without `location` it renders a natural-looking synthetic scene (textured
 * background with a global pan, moving textured objects, optional scene
 * cuts). With `ground-truth=true` each frame carries a GstQuadMotionMeta with
 * the true motion of every block, so motion estimation can be measured.
 *
 * With `location` it plays a Y4M file (8-bit 4:2:0, 4:2:2 or 4:4:4). The file
 * is memory-mapped and frames are handed downstream without a copy when the
 * layout and the alignment downstream asked for allow it. If the file is cut
 * while such a frame is still being read downstream, the lost part reads as
 * zeros instead of crashing the process (a SIGBUS handler maps zeros over
 * the pages the file lost), and the source stops with an error.
 *
 * With `is-live=false` and without `loop`, a Y4M file behaves like a file
 * source: it answers duration queries (time and frames) and seeks, forward,
 * to the first frame at or after the requested time. A file cut short while
 * it plays ends the stream with an error rather than a crash.
 *
 * With `is-live=true` (the default) frames are paced on the pipeline clock like
 * a camera: when downstream is late, frames are dropped (and counted in
 * `stats`) rather than delivered late. Every buffer carries a
 * GstReferenceTimestampMeta (`timestamp/x-unix`) with the wall-clock capture
 * time.
 *
 * Caps: a synthetic scene is progressive BT.601 limited range (`bt601`, 4:2:0
 * chroma MPEG-2 sited) or `sRGB` for BGRx, with any pixel aspect ratio
 * downstream asks for (1/1 by default). A Y4M file's caps come from its
 * header: frame rate (`F`, 30/1 when unknown; up to 1000 frames per second),
 * pixel aspect ratio (`A`), interlace mode and field order (`I`; `Im` gives
 * mixed caps with each interlaced frame flagged, `I?` plays as progressive),
 * chroma siting (`C420jpeg`, `C420mpeg2`, `C420paldv`, `C422`) and range
 * (`XCOLORRANGE`), with GStreamer's default matrix for the frame size.
 * Downstream that refuses one of these fails to negotiate with an error
 * naming the field.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc pan-x=2.5 ground-truth=true ! \
 *     video/x-raw,width=1920,height=1080,framerate=60/1 ! fakesink
 * ]|
 * |[
 * gst-launch-1.0 quadcapturesrc location=foreman.y4m is-live=false ! videoconvert ! \
 *     autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadcapturesrc.h"

#include <gst/video/video.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "dsp/dsp.h"
#include "quad/gstquadallocator.h"
#include "quad/gstquadblocksize.h"
#include "quad/gstquadbufferpool.h"
#include "quad/gstquadmotionmeta.h"
#include "scene.h"
#include "y4m.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_capture_src_debug);
#define GST_CAT_DEFAULT gst_quad_capture_src_debug

using quad::capture::BlockMotion;
using quad::capture::PixelFormat;
using quad::capture::SceneConfig;
using quad::capture::SceneGenerator;
using quad::capture::Y4mFile;

static constexpr gboolean DEFAULT_LOOP = FALSE;
static constexpr gboolean DEFAULT_IS_LIVE = TRUE;
static constexpr gdouble DEFAULT_PAN_X = 1.25;
static constexpr gdouble DEFAULT_PAN_Y = 0.5;
static constexpr guint DEFAULT_OBJECTS = 4;
static constexpr gdouble DEFAULT_OBJECT_SPEED = 3.0;
static constexpr guint DEFAULT_SCENE_CUT_INTERVAL = 0;
static constexpr guint DEFAULT_SEED = 1;
static constexpr gboolean DEFAULT_GROUND_TRUTH = FALSE;
static constexpr GstQuadBlockSize DEFAULT_BLOCK_SIZE = GST_QUAD_BLOCK_SIZE_16;
static constexpr gboolean DEFAULT_LOCK_MEMORY = FALSE;

static constexpr gdouble MAX_PAN = 256.0;
static constexpr guint MAX_OBJECTS = 64;
static constexpr gdouble MAX_OBJECT_SPEED = 64.0;
static constexpr gint FALLBACK_FPS_N = 30;
/* Buffers the source keeps in flight: one being filled, one downstream. */
static constexpr guint POOL_MIN_BUFFERS = 2;

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_LOOP,
  PROP_IS_LIVE,
  PROP_PAN_X,
  PROP_PAN_Y,
  PROP_OBJECTS,
  PROP_OBJECT_SPEED,
  PROP_SCENE_CUT_INTERVAL,
  PROP_SEED,
  PROP_GROUND_TRUTH,
  PROP_BLOCK_SIZE,
  PROP_LOCK_MEMORY,
  PROP_STATS,
};

/* What the scene renders: BT.601 limited range, 4:2:0 chroma MPEG-2 sited,
 * BGRx converted from it (scene.h). The pixel aspect ratio is a label only. */
#define PATTERN_COMMON                                                                             \
  "width = (int) [ 16, 7680 ], height = (int) [ 16, 4320 ], "                                      \
  "framerate = (fraction) [ 1/10000, 1000/1 ], "                                                   \
  "pixel-aspect-ratio = (fraction) [ 1/2147483647, 2147483647/1 ], "                               \
  "interlace-mode = (string) progressive"
#define PATTERN_CAPS                                                                               \
  "video/x-raw, format = (string) { I420, NV12 }, " PATTERN_COMMON ", "                            \
  "colorimetry = (string) bt601, chroma-site = (string) mpeg2; "                                   \
  "video/x-raw, format = (string) Y444, " PATTERN_COMMON ", colorimetry = (string) bt601; "        \
  "video/x-raw, format = (string) BGRx, " PATTERN_COMMON ", colorimetry = (string) sRGB"
/* Y4M files add 4:2:2, interlacing and any size and frame rate the reader
 * accepts (y4m.h: kY4mMaxDimension, kY4mMaxFrameRate, kY4mMaxRatioTerm). */
#define SRC_CAPS                                                                                   \
  PATTERN_CAPS "; video/x-raw, format = (string) { I420, Y42B, Y444 }, "                           \
               "width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ], "                         \
               "framerate = (fraction) [ 1/2147483647, 1000/1 ], "                                 \
               "interlace-mode = (string) { progressive, interleaved, mixed }"

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(SRC_CAPS));

struct CaptureCounters {
  guint64 frames = 0;    /* pushed */
  guint64 dropped = 0;   /* skipped because downstream was late */
  guint64 zero_copy = 0; /* Y4M frames wrapped without a copy */
  guint64 copied = 0;    /* Y4M frames copied into a pool buffer */
};

/* Streaming state, made in start() and dropped in stop(). */
struct CaptureState {
  std::unique_ptr<SceneGenerator> scene;
  std::shared_ptr<Y4mFile> file; /* shared with the buffers that wrap it */
  GstCaps *file_caps = nullptr;
  bool warned_truncated = false; /* about a bad end, once per run */

  GstVideoInfo info;
  PixelFormat format = PixelFormat::I420;
  GstCaps *timestamp_caps = nullptr;

  /* Negotiated with downstream in decide_allocation. */
  bool downstream_video_meta = false;
  gsize downstream_align = 0; /* alignment mask downstream asked for */

  guint64 tick = 0;          /* frame interval of the next buffer since start */
  guint64 file_position = 0; /* next Y4M frame */
  guint64 last_pattern_frame = G_MAXUINT64;
  std::vector<BlockMotion> truth;
  std::vector<uint8_t> scratch; /* a Y4M frame read for copying */
};

struct _GstQuadCaptureSrc {
  GstPushSrc parent;

  /* Properties, under the object lock. */
  gchar *location;
  gboolean loop;
  gboolean is_live;
  SceneConfig scene_config;
  gboolean ground_truth;
  GstQuadBlockSize block_size;
  gboolean lock_memory;

  /* Under the object lock too: stats is read from any thread. */
  CaptureCounters counters;

  CaptureState *state;
  GstAllocator *allocator;
  GstClockID clock_id;
};

#define gst_quad_capture_src_parent_class parent_class
G_DEFINE_TYPE(GstQuadCaptureSrc, gst_quad_capture_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE(quadcapturesrc, "quadcapturesrc", GST_RANK_NONE,
                            GST_TYPE_QUAD_CAPTURE_SRC);

static GstStructure *capture_stats(GstQuadCaptureSrc *self) {
  GstQuadAllocatorStats alloc = {};
  if (self->allocator)
    gst_quad_allocator_get_stats(GST_QUAD_ALLOCATOR(self->allocator), &alloc);
  GST_OBJECT_LOCK(self);
  const CaptureCounters c = self->counters;
  GST_OBJECT_UNLOCK(self);
  return gst_structure_new("quadcapturesrc-stats", "frames", G_TYPE_UINT64, c.frames, "dropped",
                           G_TYPE_UINT64, c.dropped, "zero-copy", G_TYPE_UINT64, c.zero_copy,
                           "copied", G_TYPE_UINT64, c.copied, "locked-blocks", G_TYPE_UINT64,
                           alloc.locked, "lock-refused", G_TYPE_UINT64, alloc.lock_refused,
                           nullptr);
}

/* ---- Y4M ---- */

static GstVideoFormat y4m_video_format(quad::capture::Y4mSubsampling s) {
  switch (s) {
  case quad::capture::Y4mSubsampling::k420:
    return GST_VIDEO_FORMAT_I420;
  case quad::capture::Y4mSubsampling::k422:
    return GST_VIDEO_FORMAT_Y42B;
  case quad::capture::Y4mSubsampling::k444:
    return GST_VIDEO_FORMAT_Y444;
  }
  return GST_VIDEO_FORMAT_UNKNOWN;
}

static GstCaps *y4m_caps(GstQuadCaptureSrc *self, const quad::capture::Y4mHeader &h) {
  using namespace quad::capture;
  GstVideoInfo info;
  gst_video_info_set_format(&info, y4m_video_format(h.subsampling), h.width, h.height);
  if (h.frame_rate.known()) {
    GST_VIDEO_INFO_FPS_N(&info) = static_cast<gint>(h.frame_rate.num);
    GST_VIDEO_INFO_FPS_D(&info) = static_cast<gint>(h.frame_rate.den);
  } else {
    GST_WARNING_OBJECT(self, "%s has no frame rate, assuming %d/1", self->location, FALLBACK_FPS_N);
    GST_VIDEO_INFO_FPS_N(&info) = FALLBACK_FPS_N;
    GST_VIDEO_INFO_FPS_D(&info) = 1;
  }
  if (h.pixel_aspect.known()) {
    GST_VIDEO_INFO_PAR_N(&info) = static_cast<gint>(h.pixel_aspect.num);
    GST_VIDEO_INFO_PAR_D(&info) = static_cast<gint>(h.pixel_aspect.den);
  }
  /* I? has no GStreamer counterpart: frames play as they are, progressive. */
  switch (h.interlace) {
  case Y4mInterlace::kTopFieldFirst:
  case Y4mInterlace::kBottomFieldFirst:
    GST_VIDEO_INFO_INTERLACE_MODE(&info) = GST_VIDEO_INTERLACE_MODE_INTERLEAVED;
    GST_VIDEO_INFO_FIELD_ORDER(&info) = h.interlace == Y4mInterlace::kTopFieldFirst
                                            ? GST_VIDEO_FIELD_ORDER_TOP_FIELD_FIRST
                                            : GST_VIDEO_FIELD_ORDER_BOTTOM_FIELD_FIRST;
    break;
  case Y4mInterlace::kMixed:
    GST_VIDEO_INFO_INTERLACE_MODE(&info) = GST_VIDEO_INTERLACE_MODE_MIXED;
    break;
  default:
    break;
  }
  switch (h.chroma_siting) {
  case Y4mChromaSiting::kCentre:
    GST_VIDEO_INFO_CHROMA_SITE(&info) = GST_VIDEO_CHROMA_SITE_JPEG;
    break;
  case Y4mChromaSiting::kLeft:
    GST_VIDEO_INFO_CHROMA_SITE(&info) = GST_VIDEO_CHROMA_SITE_MPEG2;
    break;
  case Y4mChromaSiting::kPalDv:
    GST_VIDEO_INFO_CHROMA_SITE(&info) = GST_VIDEO_CHROMA_SITE_DV;
    break;
  case Y4mChromaSiting::kUnspecified:
    break;
  }
  if (h.colour_range == Y4mColourRange::kFull)
    info.colorimetry.range = GST_VIDEO_COLOR_RANGE_0_255;
  else if (h.colour_range == Y4mColourRange::kLimited)
    info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
  return gst_video_info_to_caps(&info);
}

static gboolean open_file(GstQuadCaptureSrc *self, CaptureState &state) {
  auto opened = Y4mFile::open(self->location);
  if (!opened) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("Could not read Y4M file \"%s\".", self->location),
                      ("%s", opened.error().c_str()));
    return FALSE;
  }
  state.file = std::make_shared<Y4mFile>(std::move(opened.value()));
  if (state.file->frame_count() == 0) {
    const std::string &why = state.file->tail().message;
    GST_ELEMENT_ERROR(self, STREAM, DECODE,
                      ("Y4M file \"%s\" holds no complete frame.", self->location),
                      ("%s", why.empty() ? "no frames" : why.c_str()));
    return FALSE;
  }
  state.file_caps = y4m_caps(self, state.file->header());
  GST_INFO_OBJECT(self, "%s: %" G_GSIZE_FORMAT " frames, caps %" GST_PTR_FORMAT, self->location,
                  state.file->frame_count(), state.file_caps);
  return TRUE;
}

/* The Y4M layout (planes back to back, packed rows) as a GstVideoMeta could
 * describe it, and whether it equals GStreamer's default layout. */
static bool y4m_layout(const quad::capture::Y4mFrame &frame, const GstVideoInfo &info,
                       gsize offsets[3], gint strides[3]) {
  bool is_default = true;
  for (int p = 0; p < 3; p++) {
    offsets[p] = static_cast<gsize>(frame.planes[p].data - frame.payload);
    strides[p] = static_cast<gint>(frame.planes[p].width);
    is_default &= offsets[p] == GST_VIDEO_INFO_PLANE_OFFSET(&info, p) &&
                  strides[p] == GST_VIDEO_INFO_PLANE_STRIDE(&info, p);
  }
  return is_default;
}

static void release_file_ref(gpointer data) {
  delete static_cast<std::shared_ptr<Y4mFile> *>(data);
}

/* The end of the file: say why if it ended badly, then loop or finish. */
static GstFlowReturn file_end(GstQuadCaptureSrc *self, CaptureState &state) {
  const auto &tail = state.file->tail();
  if (tail.kind != quad::capture::Y4mEnd::kClean && !state.warned_truncated) {
    state.warned_truncated = true;
    GST_ELEMENT_WARNING(self, STREAM, DECODE,
                        ("Y4M file \"%s\" ends in a bad or truncated frame.", self->location),
                        ("%s", tail.message.c_str()));
  }
  if (!self->loop)
    return GST_FLOW_EOS;
  state.file_position = 0;
  return GST_FLOW_OK;
}

static GstFlowReturn file_frame(GstQuadCaptureSrc *self, CaptureState &state, GstBuffer **out) {
  Y4mFile &file = *state.file;
  /* Touching a page the file lost raises SIGBUS: look first. */
  if (const std::string why = file.shrunk(); !why.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("Y4M file \"%s\" was cut short while playing.", self->location),
                      ("%s", why.c_str()));
    return GST_FLOW_ERROR;
  }
  if (state.file_position >= file.frame_count()) {
    GstFlowReturn ret = file_end(self, state);
    if (ret != GST_FLOW_OK)
      return ret;
    state.file_position %= file.frame_count();
  }

  auto frame = file.frame(state.file_position);
  /* A FRAME marker found bad on access shortens the stream (see Y4mStream). */
  if (!frame && state.file_position >= file.frame_count() && file.frame_count() > 0) {
    GstFlowReturn ret = file_end(self, state);
    if (ret != GST_FLOW_OK)
      return ret;
    frame = file.frame(state.file_position);
  }
  if (!frame) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Bad frame in Y4M file \"%s\".", self->location),
                      ("%s", frame.error().c_str()));
    return GST_FLOW_ERROR;
  }

  gsize offsets[3];
  gint strides[3];
  const bool is_default = y4m_layout(*frame, state.info, offsets, strides);
  size_t alignment = frame->alignment;
  for (const auto &plane : frame->planes)
    alignment = MIN(alignment, plane.alignment);
  /* Unguarded, a frame downstream would crash the process if the file were
   * cut while it is read: copy. */
  if (file.guarded() && (is_default || state.downstream_video_meta) &&
      alignment > state.downstream_align) {
    GstBuffer *buf = gst_buffer_new_wrapped_full(
        GST_MEMORY_FLAG_READONLY, const_cast<guint8 *>(frame->payload), frame->payload_size, 0,
        frame->payload_size, new std::shared_ptr<Y4mFile>(state.file), release_file_ref);
    if (!is_default)
      gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
                                     GST_VIDEO_INFO_FORMAT(&state.info),
                                     GST_VIDEO_INFO_WIDTH(&state.info),
                                     GST_VIDEO_INFO_HEIGHT(&state.info), 3, offsets, strides);
    GST_OBJECT_LOCK(self);
    self->counters.zero_copy++;
    GST_OBJECT_UNLOCK(self);
    *out = buf;
  } else {
    GstBuffer *buf = nullptr;
    GstFlowReturn ret = GST_BASE_SRC_CLASS(parent_class)
                            ->alloc(GST_BASE_SRC(self), 0, GST_VIDEO_INFO_SIZE(&state.info), &buf);
    if (ret != GST_FLOW_OK)
      return ret;
    GstVideoFrame vframe;
    if (!gst_video_frame_map(&vframe, &state.info, buf, GST_MAP_WRITE)) {
      gst_buffer_unref(buf);
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not map an output buffer."), (nullptr));
      return GST_FLOW_ERROR;
    }
    /* Read, not copied from the mapping: a file cut meanwhile fails the
     * read instead of raising SIGBUS here. */
    state.scratch.resize(frame->payload_size);
    const auto read = file.read_payload(*frame, state.scratch.data());
    if (!read) {
      gst_video_frame_unmap(&vframe);
      gst_buffer_unref(buf);
      GST_ELEMENT_ERROR(self, RESOURCE, READ,
                        ("Y4M file \"%s\" was cut short while playing.", self->location),
                        ("%s", read.error().c_str()));
      return GST_FLOW_ERROR;
    }
    const auto &copy_plane = quad::dsp::kernels().copy_plane;
    for (int p = 0; p < 3; p++) {
      const auto &plane = frame->planes[p];
      const uint8_t *src = state.scratch.data() + (plane.data - frame->payload);
      copy_plane(static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p)),
                 GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p), src, plane.width,
                 static_cast<int>(plane.width), static_cast<int>(plane.height));
    }
    gst_video_frame_unmap(&vframe);
    GST_OBJECT_LOCK(self);
    self->counters.copied++;
    GST_OBJECT_UNLOCK(self);
    *out = buf;
  }
  /* Interleaved caps give the field order; mixed caps need it per frame. */
  if (frame->interlace == quad::capture::Y4mInterlace::kTopFieldFirst)
    GST_BUFFER_FLAG_SET(*out, GST_VIDEO_BUFFER_FLAG_INTERLACED | GST_VIDEO_BUFFER_FLAG_TFF);
  else if (frame->interlace == quad::capture::Y4mInterlace::kBottomFieldFirst)
    GST_BUFFER_FLAG_SET(*out, GST_VIDEO_BUFFER_FLAG_INTERLACED);
  state.file_position++;
  return GST_FLOW_OK;
}

/* ---- Synthetic scenes ---- */

static PixelFormat pattern_format(GstVideoFormat f) {
  switch (f) {
  case GST_VIDEO_FORMAT_NV12:
    return PixelFormat::NV12;
  case GST_VIDEO_FORMAT_Y444:
    return PixelFormat::Y444;
  case GST_VIDEO_FORMAT_BGRx:
    return PixelFormat::BGRx;
  default:
    return PixelFormat::I420;
  }
}

static void attach_ground_truth(GstQuadCaptureSrc *self, CaptureState &state, GstBuffer *buf,
                                guint64 index) {
  const auto bs = static_cast<guint>(self->block_size);
  const guint cols = (GST_VIDEO_INFO_WIDTH(&state.info) + bs - 1) / bs;
  const guint rows = (GST_VIDEO_INFO_HEIGHT(&state.info) + bs - 1) / bs;
  /* The truth is against the previous frame of the scene; after a drop that
   * frame was never delivered, so there is no reference to speak of. */
  const bool continuous =
      index > 0 && state.last_pattern_frame == index - 1 && !state.scene->is_scene_cut(index);
  GstQuadMotionMeta *meta =
      gst_buffer_add_quad_motion_meta(buf, bs, bs, cols, rows, continuous ? 1 : 0);
  if (!meta)
    return;
  if (!continuous) {
    for (guint i = 0; i < cols * rows; i++)
      meta->vectors[i].flags =
          GST_QUAD_MOTION_FLAG_GROUND_TRUTH | GST_QUAD_MOTION_FLAG_NO_REFERENCE;
    return;
  }
  state.scene->ground_truth(index, static_cast<int>(bs), state.truth);
  for (guint i = 0; i < cols * rows && i < state.truth.size(); i++) {
    const BlockMotion &m = state.truth[i];
    GstQuadMotionVector &v = meta->vectors[i];
    v.mv_x = m.mv_x;
    v.mv_y = m.mv_y;
    v.flags = GST_QUAD_MOTION_FLAG_GROUND_TRUTH;
    if (m.flags & quad::capture::motion_flags::kOccluded)
      v.flags |= GST_QUAD_MOTION_FLAG_OCCLUDED;
  }
}

static GstFlowReturn pattern_frame(GstQuadCaptureSrc *self, CaptureState &state, GstBuffer **out) {
  GstBuffer *buf = nullptr;
  GstFlowReturn ret = GST_BASE_SRC_CLASS(parent_class)
                          ->alloc(GST_BASE_SRC(self), 0, GST_VIDEO_INFO_SIZE(&state.info), &buf);
  if (ret != GST_FLOW_OK)
    return ret;

  GstVideoFrame vframe;
  if (!gst_video_frame_map(&vframe, &state.info, buf, GST_MAP_WRITE)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not map an output buffer."), (nullptr));
    return GST_FLOW_ERROR;
  }
  quad::capture::PlaneView planes[3] = {};
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vframe); p++)
    planes[p] = {static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p)),
                 GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p)};
  const guint64 index = state.tick;
  state.scene->render(index, state.format, planes);
  gst_video_frame_unmap(&vframe);

  if (self->ground_truth)
    attach_ground_truth(self, state, buf, index);
  state.last_pattern_frame = index;
  *out = buf;
  return GST_FLOW_OK;
}

/* ---- Live pacing ---- */

/* Waits until frame `state.tick` is due on the pipeline clock. When more
 * than a frame late, skips the frames whose time has passed, as a camera
 * does: the scene moves on and a file's frames are passed over. */
static GstFlowReturn wait_for_frame(GstQuadCaptureSrc *self, CaptureState &state) {
  const GstClockTime duration =
      GST_VIDEO_INFO_FPS_N(&state.info) > 0
          ? gst_util_uint64_scale_int(GST_SECOND, GST_VIDEO_INFO_FPS_D(&state.info),
                                      GST_VIDEO_INFO_FPS_N(&state.info))
          : 0;
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock || duration == 0) {
    if (clock)
      gst_object_unref(clock);
    return GST_FLOW_OK;
  }
  const GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(self));
  const GstClockTime now = gst_clock_get_time(clock) - base_time;
  const guint64 due = now / duration; /* the frame being captured now */
  if (due > state.tick + 1) {
    const guint64 skipped = due - state.tick;
    GST_OBJECT_LOCK(self);
    self->counters.dropped += skipped;
    GST_OBJECT_UNLOCK(self);
    GST_DEBUG_OBJECT(self, "late by %" G_GUINT64_FORMAT " frames", skipped);
    state.tick = due;
    state.file_position += skipped;
  }

  const GstClockTime frame_time = state.tick * duration;
  GstFlowReturn ret = GST_FLOW_OK;
  if (frame_time > now) {
    GstClockID id = gst_clock_new_single_shot_id(clock, base_time + frame_time);
    GST_OBJECT_LOCK(self);
    self->clock_id = id;
    GST_OBJECT_UNLOCK(self);
    const GstClockReturn cret = gst_clock_id_wait(id, nullptr);
    GST_OBJECT_LOCK(self);
    self->clock_id = nullptr;
    GST_OBJECT_UNLOCK(self);
    gst_clock_id_unref(id);
    if (cret == GST_CLOCK_UNSCHEDULED)
      ret = GST_FLOW_FLUSHING;
  }
  gst_object_unref(clock);
  return ret;
}

/* ---- GstBaseSrc ---- */

/* A file that is not played live nor looped is a file source: it has a
 * duration and seeks to any frame. */
static bool file_playback(GstQuadCaptureSrc *self) {
  GST_OBJECT_LOCK(self);
  const bool yes = self->state && self->state->file && !self->is_live && !self->loop;
  GST_OBJECT_UNLOCK(self);
  return yes;
}

static void file_frame_rate(const CaptureState &state, gint *n, gint *d) {
  const auto &rate = state.file->header().frame_rate;
  *n = rate.known() ? static_cast<gint>(rate.num) : FALLBACK_FPS_N;
  *d = rate.known() ? static_cast<gint>(rate.den) : 1;
}

static GstFlowReturn gst_quad_capture_src_create(GstPushSrc *src, GstBuffer **out) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  CaptureState &state = *self->state;

  if (self->is_live) {
    GstFlowReturn ret = wait_for_frame(self, state);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  const guint64 position = state.tick;
  GstFlowReturn ret = state.file ? file_frame(self, state, out) : pattern_frame(self, state, out);
  if (ret != GST_FLOW_OK)
    return ret;

  GstBuffer *buf = *out;
  const gint fps_n = GST_VIDEO_INFO_FPS_N(&state.info), fps_d = GST_VIDEO_INFO_FPS_D(&state.info);
  if (fps_n > 0) {
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale_int(position * GST_SECOND, fps_d, fps_n);
    GST_BUFFER_DURATION(buf) =
        gst_util_uint64_scale_int((position + 1) * GST_SECOND, fps_d, fps_n) - GST_BUFFER_PTS(buf);
  }
  GST_BUFFER_OFFSET(buf) = position;
  GST_BUFFER_OFFSET_END(buf) = position + 1;
  state.tick++;
  gst_buffer_add_reference_timestamp_meta(
      buf, state.timestamp_caps, static_cast<GstClockTime>(g_get_real_time()) * GST_USECOND,
      GST_CLOCK_TIME_NONE);
  GST_OBJECT_LOCK(self);
  self->counters.frames++;
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

static GstCaps *gst_quad_capture_src_get_caps(GstBaseSrc *src, GstCaps *filter) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  GstCaps *caps = nullptr;
  GST_OBJECT_LOCK(self);
  if (self->state && self->state->file_caps)
    caps = gst_caps_ref(self->state->file_caps);
  const bool have_location = self->location != nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!caps)
    caps = gst_caps_from_string(have_location ? SRC_CAPS : PATTERN_CAPS);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = tmp;
  }
  return caps;
}

static GstCaps *gst_quad_capture_src_fixate(GstBaseSrc *src, GstCaps *caps) {
  caps = gst_caps_make_writable(caps);
  caps = gst_caps_truncate(caps);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  gst_structure_fixate_field_nearest_int(s, "width", 1280);
  gst_structure_fixate_field_nearest_int(s, "height", 720);
  gst_structure_fixate_field_nearest_fraction(s, "framerate", 30, 1);
  gst_structure_fixate_field_nearest_fraction(s, "pixel-aspect-ratio", 1, 1);
  gst_structure_fixate_field_string(s, "format", "I420");
  return GST_BASE_SRC_CLASS(parent_class)->fixate(src, caps);
}

/* The first field of the file's caps that downstream refuses on its own, as
 * "name=value"; empty when only a combination is refused. */
static std::string refused_field(GstCaps *file_caps, GstCaps *peer) {
  const GstStructure *s = gst_caps_get_structure(file_caps, 0);
  for (gint i = 0; i < gst_structure_n_fields(s); i++) {
    const gchar *name = gst_structure_nth_field_name(s, i);
    const GValue *value = gst_structure_get_value(s, name);
    GstCaps *one = gst_caps_new_empty_simple(gst_structure_get_name(s));
    gst_caps_set_value(one, name, value);
    const bool accepted = gst_caps_can_intersect(one, peer);
    gst_caps_unref(one);
    if (accepted)
      continue;
    gchar *text = gst_value_serialize(value);
    std::string field = std::string(name) + "=" + (text ? text : "?");
    g_free(text);
    return field;
  }
  return {};
}

/* A file's caps are fixed: when downstream refuses them, say which field of
 * the file it refuses rather than a bare not-negotiated. */
static gboolean gst_quad_capture_src_negotiate(GstBaseSrc *src) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  if (GST_BASE_SRC_CLASS(parent_class)->negotiate(src))
    return TRUE;
  GST_OBJECT_LOCK(self);
  GstCaps *file_caps =
      self->state && self->state->file_caps ? gst_caps_ref(self->state->file_caps) : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (!file_caps)
    return FALSE;
  GstCaps *peer = gst_pad_peer_query_caps(GST_BASE_SRC_PAD(src), nullptr);
  if (peer && !gst_caps_can_intersect(file_caps, peer)) {
    const std::string field = refused_field(file_caps, peer);
    if (field.empty())
      GST_ELEMENT_ERROR(
          self, CORE, NEGOTIATION,
          ("Downstream does not accept Y4M file \"%s\" as it is.", self->location),
          ("file caps %" GST_PTR_FORMAT ", downstream accepts %" GST_PTR_FORMAT, file_caps, peer));
    else
      GST_ELEMENT_ERROR(
          self, CORE, NEGOTIATION,
          ("Downstream does not accept %s of Y4M file \"%s\".", field.c_str(), self->location),
          ("file caps %" GST_PTR_FORMAT ", downstream accepts %" GST_PTR_FORMAT, file_caps, peer));
  }
  gst_clear_caps(&peer);
  gst_caps_unref(file_caps);
  return FALSE;
}

static gboolean gst_quad_capture_src_set_caps(GstBaseSrc *src, GstCaps *caps) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  CaptureState &state = *self->state;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Unusable caps."), ("%" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (self->is_live && GST_VIDEO_INFO_FPS_N(&info) == 0) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("A live source needs a frame rate."),
                      ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  state.info = info;
  state.format = pattern_format(GST_VIDEO_INFO_FORMAT(&info));
  if (!state.file) {
    GST_OBJECT_LOCK(self);
    SceneConfig config = self->scene_config;
    GST_OBJECT_UNLOCK(self);
    config.width = GST_VIDEO_INFO_WIDTH(&info);
    config.height = GST_VIDEO_INFO_HEIGHT(&info);
    try {
      state.scene = std::make_unique<SceneGenerator>(config);
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cannot make a scene for these caps."),
                        ("%s (caps %" GST_PTR_FORMAT ")", e.what(), caps));
      return FALSE;
    }
    state.last_pattern_frame = G_MAXUINT64;
  }
  GST_INFO_OBJECT(self, "producing %" GST_PTR_FORMAT, caps);
  return TRUE;
}

static gboolean gst_quad_capture_src_decide_allocation(GstBaseSrc *src, GstQuery *query) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  CaptureState &state = *self->state;

  state.downstream_video_meta =
      gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  state.downstream_align = 0;
  for (guint i = 0; i < gst_query_get_n_allocation_params(query); i++) {
    GstAllocationParams params;
    gst_query_parse_nth_allocation_param(query, i, nullptr, &params);
    state.downstream_align |= params.align;
  }

  if (!gst_quad_decide_video_allocation(query, POOL_MIN_BUFFERS, self->allocator))
    return FALSE;
  return GST_BASE_SRC_CLASS(parent_class)->decide_allocation(src, query);
}

static gboolean gst_quad_capture_src_query(GstBaseSrc *src, GstQuery *query) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY && self->state &&
      GST_VIDEO_INFO_FPS_N(&self->state->info) > 0) {
    /* A frame is available one frame interval after its capture began. */
    const GstClockTime latency =
        gst_util_uint64_scale_int(GST_SECOND, GST_VIDEO_INFO_FPS_D(&self->state->info),
                                  GST_VIDEO_INFO_FPS_N(&self->state->info));
    gst_query_set_latency(query, self->is_live, self->is_live ? latency : 0,
                          self->is_live ? latency : GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_DURATION && file_playback(self)) {
    GstFormat format;
    gst_query_parse_duration(query, &format, nullptr);
    const guint64 frames = self->state->file->frame_count();
    gint n, d;
    file_frame_rate(*self->state, &n, &d);
    if (format == GST_FORMAT_DEFAULT) {
      gst_query_set_duration(query, format, static_cast<gint64>(frames));
      return TRUE;
    }
    if (format == GST_FORMAT_TIME) {
      gst_query_set_duration(
          query, format,
          static_cast<gint64>(gst_util_uint64_scale(frames, static_cast<guint64>(d) * GST_SECOND,
                                                    static_cast<guint64>(n))));
      return TRUE;
    }
  }
  return GST_BASE_SRC_CLASS(parent_class)->query(src, query);
}

static gboolean gst_quad_capture_src_start(GstBaseSrc *src) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  auto *state = new CaptureState();
  gst_video_info_init(&state->info);
  state->timestamp_caps = gst_caps_new_empty_simple("timestamp/x-unix");

  GST_OBJECT_LOCK(self);
  self->counters = CaptureCounters();
  const gboolean lock_memory = self->lock_memory;
  const bool have_location = self->location != nullptr;
  GST_OBJECT_UNLOCK(self);

  if (have_location && !open_file(self, *state)) {
    gst_caps_unref(state->timestamp_caps);
    gst_clear_caps(&state->file_caps);
    delete state;
    return FALSE;
  }
  gst_object_replace(reinterpret_cast<GstObject **>(&self->allocator), nullptr);
  self->allocator = lock_memory ? gst_quad_allocator_new(TRUE)
                                : GST_ALLOCATOR(gst_object_ref(gst_quad_allocator_get_default()));
  GST_OBJECT_LOCK(self);
  self->state = state;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_quad_capture_src_stop(GstBaseSrc *src) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  GST_OBJECT_LOCK(self);
  CaptureState *state = self->state;
  self->state = nullptr;
  GST_OBJECT_UNLOCK(self);
  if (state) {
    gst_caps_unref(state->timestamp_caps);
    gst_clear_caps(&state->file_caps);
    delete state;
  }
  return TRUE;
}

static gboolean gst_quad_capture_src_unlock(GstBaseSrc *src) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  GST_OBJECT_LOCK(self);
  if (self->clock_id)
    gst_clock_id_unschedule(self->clock_id);
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_quad_capture_src_is_seekable(GstBaseSrc *src) {
  return file_playback(GST_QUAD_CAPTURE_SRC(src));
}

/* Seeks to the first frame that starts at or after the segment's start. */
static gboolean gst_quad_capture_src_do_seek(GstBaseSrc *src, GstSegment *segment) {
  auto *self = GST_QUAD_CAPTURE_SRC(src);
  if (!file_playback(self))
    return GST_BASE_SRC_CLASS(parent_class)->do_seek(src, segment);
  if (segment->format != GST_FORMAT_TIME || segment->rate < 0) {
    GST_DEBUG_OBJECT(self, "only forward seeks in time");
    return FALSE;
  }
  CaptureState &state = *self->state;
  gint n, d;
  file_frame_rate(state, &n, &d);
  const guint64 frames = state.file->frame_count();
  const guint64 index =
      MIN(frames, gst_util_uint64_scale_ceil(segment->start, static_cast<guint64>(n),
                                             static_cast<guint64>(d) * GST_SECOND));
  GST_DEBUG_OBJECT(self, "seek to %" GST_TIME_FORMAT ": frame %" G_GUINT64_FORMAT,
                   GST_TIME_ARGS(segment->start), index);
  state.tick = index;
  state.file_position = index;
  segment->position = segment->start;
  segment->time = segment->start;
  return TRUE;
}

/* ---- GObject ---- */

static void gst_quad_capture_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec) {
  auto *self = GST_QUAD_CAPTURE_SRC(object);
  if (prop_id == PROP_IS_LIVE) {
    /* GstBaseSrc reads the live flag before start() on READY->PAUSED, so it
     * is set here; the setter takes the object lock itself. */
    const gboolean live = g_value_get_boolean(value);
    GST_OBJECT_LOCK(self);
    self->is_live = live;
    GST_OBJECT_UNLOCK(self);
    gst_base_src_set_live(GST_BASE_SRC(self), live);
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_free(self->location);
    self->location = g_value_dup_string(value);
    break;
  case PROP_LOOP:
    self->loop = g_value_get_boolean(value);
    break;
  case PROP_PAN_X:
    self->scene_config.pan_x = g_value_get_double(value);
    break;
  case PROP_PAN_Y:
    self->scene_config.pan_y = g_value_get_double(value);
    break;
  case PROP_OBJECTS:
    self->scene_config.objects = static_cast<int>(g_value_get_uint(value));
    break;
  case PROP_OBJECT_SPEED:
    self->scene_config.object_speed = g_value_get_double(value);
    break;
  case PROP_SCENE_CUT_INTERVAL:
    self->scene_config.scene_cut_interval = static_cast<int>(g_value_get_uint(value));
    break;
  case PROP_SEED:
    self->scene_config.seed = g_value_get_uint(value);
    break;
  case PROP_GROUND_TRUTH:
    self->ground_truth = g_value_get_boolean(value);
    break;
  case PROP_BLOCK_SIZE:
    self->block_size = static_cast<GstQuadBlockSize>(g_value_get_enum(value));
    break;
  case PROP_LOCK_MEMORY:
    self->lock_memory = g_value_get_boolean(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_capture_src_get_property(GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec) {
  auto *self = GST_QUAD_CAPTURE_SRC(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, capture_stats(self));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string(value, self->location);
    break;
  case PROP_LOOP:
    g_value_set_boolean(value, self->loop);
    break;
  case PROP_IS_LIVE:
    g_value_set_boolean(value, self->is_live);
    break;
  case PROP_PAN_X:
    g_value_set_double(value, self->scene_config.pan_x);
    break;
  case PROP_PAN_Y:
    g_value_set_double(value, self->scene_config.pan_y);
    break;
  case PROP_OBJECTS:
    g_value_set_uint(value, static_cast<guint>(self->scene_config.objects));
    break;
  case PROP_OBJECT_SPEED:
    g_value_set_double(value, self->scene_config.object_speed);
    break;
  case PROP_SCENE_CUT_INTERVAL:
    g_value_set_uint(value, static_cast<guint>(self->scene_config.scene_cut_interval));
    break;
  case PROP_SEED:
    g_value_set_uint(value, self->scene_config.seed);
    break;
  case PROP_GROUND_TRUTH:
    g_value_set_boolean(value, self->ground_truth);
    break;
  case PROP_BLOCK_SIZE:
    g_value_set_enum(value, self->block_size);
    break;
  case PROP_LOCK_MEMORY:
    g_value_set_boolean(value, self->lock_memory);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_capture_src_finalize(GObject *object) {
  auto *self = GST_QUAD_CAPTURE_SRC(object);
  g_free(self->location);
  gst_object_replace(reinterpret_cast<GstObject **>(&self->allocator), nullptr);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_capture_src_class_init(GstQuadCaptureSrcClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *basesrc_class = GST_BASE_SRC_CLASS(klass);
  auto *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_quad_capture_src_set_property;
  gobject_class->get_property = gst_quad_capture_src_get_property;
  gobject_class->finalize = gst_quad_capture_src_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "Y4M file to play (8-bit 4:2:0, 4:2:2 or 4:4:4); unset for a "
                          "synthetic scene",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_LOOP,
      g_param_spec_boolean("loop", "Loop", "Play the file again from its first frame at its end",
                           DEFAULT_LOOP, rw));
  g_object_class_install_property(
      gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean("is-live", "Is live",
                           "Pace frames on the clock like a camera, dropping frames when "
                           "downstream is late; false: produce as fast as downstream takes",
                           DEFAULT_IS_LIVE, rw));
  g_object_class_install_property(
      gobject_class, PROP_PAN_X,
      g_param_spec_double("pan-x", "Pan X",
                          "Global pan of the scene, luma pixels per frame (positive: content "
                          "moves right); quarter-pel precision",
                          -MAX_PAN, MAX_PAN, DEFAULT_PAN_X, rw));
  g_object_class_install_property(
      gobject_class, PROP_PAN_Y,
      g_param_spec_double("pan-y", "Pan Y",
                          "Global pan of the scene, luma pixels per frame (positive: content "
                          "moves down); quarter-pel precision",
                          -MAX_PAN, MAX_PAN, DEFAULT_PAN_Y, rw));
  g_object_class_install_property(gobject_class, PROP_OBJECTS,
                                  g_param_spec_uint("objects", "Objects",
                                                    "Number of moving textured objects", 0,
                                                    MAX_OBJECTS, DEFAULT_OBJECTS, rw));
  g_object_class_install_property(
      gobject_class, PROP_OBJECT_SPEED,
      g_param_spec_double("object-speed", "Object speed",
                          "Largest object speed, luma pixels per frame (each object gets its "
                          "own velocity up to this)",
                          0.0, MAX_OBJECT_SPEED, DEFAULT_OBJECT_SPEED, rw));
  g_object_class_install_property(gobject_class, PROP_SCENE_CUT_INTERVAL,
                                  g_param_spec_uint("scene-cut-interval", "Scene cut interval",
                                                    "Start a new scene every N frames (0: never)",
                                                    0, G_MAXINT, DEFAULT_SCENE_CUT_INTERVAL, rw));
  g_object_class_install_property(gobject_class, PROP_SEED,
                                  g_param_spec_uint("seed", "Seed",
                                                    "Seed of the scene's textures and motion", 0,
                                                    G_MAXUINT, DEFAULT_SEED, rw));
  g_object_class_install_property(
      gobject_class, PROP_GROUND_TRUTH,
      g_param_spec_boolean("ground-truth", "Ground truth",
                           "Attach GstQuadMotionMeta with the true motion of every block "
                           "(synthetic scenes only)",
                           DEFAULT_GROUND_TRUTH, rw));
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_enum("block-size", "Block size",
                        "Side of the square blocks of the ground-truth grid, in luma samples",
                        GST_TYPE_QUAD_BLOCK_SIZE, DEFAULT_BLOCK_SIZE, rw));
  g_object_class_install_property(
      gobject_class, PROP_LOCK_MEMORY,
      g_param_spec_boolean("lock-memory", "Lock memory",
                           "mlock() frame memory so it is never paged out; where the limit "
                           "refuses, memory is used unlocked and counted in stats",
                           DEFAULT_LOCK_MEMORY, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames, dropped (late downstream), zero-copy and copied (Y4M), "
                         "locked-blocks and lock-refused (lock-memory)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata(
      element_class, "Quad capture source", "Source/Video",
      "Live synthetic scenes with ground-truth motion, or Y4M files, zero-copy and "
      "stamped with capture time",
      "gst-quad developers");
  gst_element_class_add_static_pad_template(element_class, &src_template);

  basesrc_class->get_caps = gst_quad_capture_src_get_caps;
  basesrc_class->fixate = gst_quad_capture_src_fixate;
  basesrc_class->negotiate = gst_quad_capture_src_negotiate;
  basesrc_class->set_caps = gst_quad_capture_src_set_caps;
  basesrc_class->decide_allocation = gst_quad_capture_src_decide_allocation;
  basesrc_class->query = gst_quad_capture_src_query;
  basesrc_class->start = gst_quad_capture_src_start;
  basesrc_class->stop = gst_quad_capture_src_stop;
  basesrc_class->unlock = gst_quad_capture_src_unlock;
  basesrc_class->is_seekable = gst_quad_capture_src_is_seekable;
  basesrc_class->do_seek = gst_quad_capture_src_do_seek;
  pushsrc_class->create = gst_quad_capture_src_create;

  GST_DEBUG_CATEGORY_INIT(gst_quad_capture_src_debug, "quadcapturesrc", 0, "quad capture source");
}

static void gst_quad_capture_src_init(GstQuadCaptureSrc *self) {
  self->loop = DEFAULT_LOOP;
  self->is_live = DEFAULT_IS_LIVE;
  self->scene_config = SceneConfig();
  self->scene_config.pan_x = DEFAULT_PAN_X;
  self->scene_config.pan_y = DEFAULT_PAN_Y;
  self->scene_config.objects = DEFAULT_OBJECTS;
  self->scene_config.object_speed = DEFAULT_OBJECT_SPEED;
  self->scene_config.scene_cut_interval = DEFAULT_SCENE_CUT_INTERVAL;
  self->scene_config.seed = DEFAULT_SEED;
  self->ground_truth = DEFAULT_GROUND_TRUTH;
  self->block_size = DEFAULT_BLOCK_SIZE;
  self->lock_memory = DEFAULT_LOCK_MEMORY;
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), DEFAULT_IS_LIVE);
}
