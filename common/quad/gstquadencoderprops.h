/* The property set every gst-quad video encoder shares (quadx264enc,
 * quadx265enc, quadh265enc, quadenc), so that quadenc can move a stream from
 * one encoder to another without changing how it is coded.
 *
 * | name          | type               | range         | default  |
 * |---------------|--------------------|---------------|----------|
 * | bitrate       | guint, kbit/s      | 1 .. 2000000  | 2048     |
 * | rate-control  | GstQuadRateControl | cqp, cbr, vbr | cbr      |
 * | qp            | guint              | 0 .. 51       | 32       |
 * | vbv-buffer-ms | guint, ms          | 0 .. 10000    | 500      |
 * | key-int-max   | guint, pictures    | 0 .. G_MAXINT | 60       |
 * | speed-preset  | GstQuadSpeedPreset | ultrafast..slow | veryfast |
 * | threads       | guint              | 0 .. 64       | 0        |
 * | intra-refresh | gboolean           |               | FALSE    |
 *
 * An element installs them with gst_quad_encoder_install_properties() at
 * property ids first_id .. first_id + GST_QUAD_ENCODER_N_PROPS - 1 and
 * forwards those ids to gst_quad_encoder_settings_set/get(). An element that
 * cannot honour some of them yet leaves those out, or installs its own pspec
 * at the same id (a rate-control enum with fewer modes, same values). As on
 * x264enc, key-int-max 0 is automatic (250 pictures) and the rate settings
 * (bitrate, qp, vbv-buffer-ms, key-int-max, speed-preset) may change while
 * PLAYING: each encoder codes the next picture with them.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GST_QUAD_RATE_CONTROL_CQP = 0, /* constant quantiser: qp */
  GST_QUAD_RATE_CONTROL_CBR = 1, /* constant bit rate: bitrate, vbv-buffer-ms */
  GST_QUAD_RATE_CONTROL_VBR = 2, /* average bit rate, peaks bounded by the VBV */
} GstQuadRateControl;

/* Same names and order as x264's and x265's presets (and quadh265enc's). */
typedef enum {
  GST_QUAD_SPEED_PRESET_ULTRAFAST = 0,
  GST_QUAD_SPEED_PRESET_SUPERFAST = 1,
  GST_QUAD_SPEED_PRESET_VERYFAST = 2,
  GST_QUAD_SPEED_PRESET_FASTER = 3,
  GST_QUAD_SPEED_PRESET_FAST = 4,
  GST_QUAD_SPEED_PRESET_MEDIUM = 5,
  GST_QUAD_SPEED_PRESET_SLOW = 6,
} GstQuadSpeedPreset;

#define GST_TYPE_QUAD_RATE_CONTROL (gst_quad_rate_control_get_type())
#define GST_TYPE_QUAD_SPEED_PRESET (gst_quad_speed_preset_get_type())
GType gst_quad_rate_control_get_type(void);
GType gst_quad_speed_preset_get_type(void);

/* The preset's nick ("veryfast"), as x264 and x265 name it. */
const gchar *gst_quad_speed_preset_nick(GstQuadSpeedPreset preset);

typedef struct {
  guint bitrate; /* kbit/s */
  GstQuadRateControl rate_control;
  guint qp;
  guint vbv_buffer_ms;
  guint key_int_max; /* 0: automatic, GST_QUAD_ENCODER_AUTO_KEY_INT_MAX */
  GstQuadSpeedPreset speed_preset;
  guint threads; /* 0: one per core */
  gboolean intra_refresh;
} GstQuadEncoderSettings;

enum {
  GST_QUAD_ENCODER_PROP_BITRATE,
  GST_QUAD_ENCODER_PROP_RATE_CONTROL,
  GST_QUAD_ENCODER_PROP_QP,
  GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS,
  GST_QUAD_ENCODER_PROP_KEY_INT_MAX,
  GST_QUAD_ENCODER_PROP_SPEED_PRESET,
  GST_QUAD_ENCODER_PROP_THREADS,
  GST_QUAD_ENCODER_PROP_INTRA_REFRESH,
  GST_QUAD_ENCODER_N_PROPS
};

#define GST_QUAD_ENCODER_DEFAULT_BITRATE 2048
#define GST_QUAD_ENCODER_DEFAULT_RATE_CONTROL GST_QUAD_RATE_CONTROL_CBR
#define GST_QUAD_ENCODER_DEFAULT_QP 32
#define GST_QUAD_ENCODER_DEFAULT_VBV_BUFFER_MS 500
#define GST_QUAD_ENCODER_DEFAULT_KEY_INT_MAX 60
#define GST_QUAD_ENCODER_DEFAULT_SPEED_PRESET GST_QUAD_SPEED_PRESET_VERYFAST
#define GST_QUAD_ENCODER_DEFAULT_THREADS 0
#define GST_QUAD_ENCODER_DEFAULT_INTRA_REFRESH FALSE

/* key-int-max 0: x264's and x265's own default interval. */
#define GST_QUAD_ENCODER_AUTO_KEY_INT_MAX 250

void gst_quad_encoder_settings_init(GstQuadEncoderSettings *settings);

/* The bit of a GST_QUAD_ENCODER_PROP_* id in a leave_out mask. */
#define GST_QUAD_ENCODER_PROP_BIT(id) (1u << (id))

/* Installs the shared properties at ids first_id + GST_QUAD_ENCODER_PROP_*,
 * less those whose GST_QUAD_ENCODER_PROP_BIT is set in leave_out. The rate
 * settings are GST_PARAM_MUTABLE_PLAYING, the others
 * GST_PARAM_MUTABLE_READY. */
void gst_quad_encoder_install_properties(GObjectClass *klass, guint first_id, guint leave_out);

/* Whether the shared property id (relative to first_id) is a rate setting,
 * one that may change in PLAYING. */
gboolean gst_quad_encoder_prop_is_rate(guint id);

/* The IDR period in pictures key-int-max asks for (0: automatic). */
gint gst_quad_encoder_key_int_period(guint key_int_max);

/* The real-time guard of the encoders' `realtime` property: encode time
 * smoothed over about ten pictures; the preset steps down after 8 pictures
 * over the frame interval in a row, and back up (never above the configured
 * preset) after 60 under half of it. Zero-initialise it at each start. */
typedef struct {
  gdouble smoothed_us;
  guint over;
  guint under;
} GstQuadRealtimeGuard;

/* Feeds one picture's encode time. Returns the preset to step to and sets
 * *reason ("overrun" or "headroom"), or returns current with *reason NULL. */
gint gst_quad_realtime_guard_update(GstQuadRealtimeGuard *guard, gdouble encode_us,
                                    gdouble budget_us, gint current, gint ceiling,
                                    const gchar **reason);

/* Posts a step as the quad-realtime-preset element message. */
void gst_quad_realtime_guard_post(GstElement *element, const GstQuadRealtimeGuard *guard,
                                  const gchar *reason, gint from, gint to, gdouble budget_us);

/* Property ids relative to first_id: FALSE when id is not a shared one. */
gboolean gst_quad_encoder_settings_set(GstQuadEncoderSettings *settings, guint id,
                                       const GValue *value);
gboolean gst_quad_encoder_settings_get(const GstQuadEncoderSettings *settings, guint id,
                                       GValue *value);

G_END_DECLS
