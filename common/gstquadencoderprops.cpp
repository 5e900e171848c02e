/* The shared encoder property set: GTypes, pspecs and value plumbing. */
#include "quad/gstquadencoderprops.h"

#include <algorithm>

GType gst_quad_rate_control_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_RATE_CONTROL_CQP, "Constant quantiser (qp)", "cqp"},
      {GST_QUAD_RATE_CONTROL_CBR, "Constant bit rate (bitrate, vbv-buffer-ms)", "cbr"},
      {GST_QUAD_RATE_CONTROL_VBR, "Average bit rate, peaks bounded by the VBV", "vbr"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadRateControl", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_quad_speed_preset_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_SPEED_PRESET_ULTRAFAST, "Fastest, least compression", "ultrafast"},
      {GST_QUAD_SPEED_PRESET_SUPERFAST, "Superfast", "superfast"},
      {GST_QUAD_SPEED_PRESET_VERYFAST, "Veryfast", "veryfast"},
      {GST_QUAD_SPEED_PRESET_FASTER, "Faster", "faster"},
      {GST_QUAD_SPEED_PRESET_FAST, "Fast", "fast"},
      {GST_QUAD_SPEED_PRESET_MEDIUM, "Medium", "medium"},
      {GST_QUAD_SPEED_PRESET_SLOW, "Slowest, most compression", "slow"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadSpeedPreset", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}

static constexpr gdouble GUARD_SMOOTHING = 0.1;
static constexpr guint GUARD_OVERRUN_FRAMES = 8;
static constexpr guint GUARD_HEADROOM_FRAMES = 60;

gint gst_quad_realtime_guard_update(GstQuadRealtimeGuard *guard, gdouble encode_us,
                                    gdouble budget_us, gint current, gint ceiling,
                                    const gchar **reason) {
  guard->smoothed_us = guard->smoothed_us == 0.0
                           ? encode_us
                           : guard->smoothed_us + GUARD_SMOOTHING * (encode_us - guard->smoothed_us);
  guard->over = guard->smoothed_us > budget_us ? guard->over + 1 : 0;
  guard->under = guard->smoothed_us < budget_us / 2 ? guard->under + 1 : 0;
  *reason = nullptr;
  gint target = current;
  if (guard->over >= GUARD_OVERRUN_FRAMES && current > 0) {
    target = current - 1;
    *reason = "overrun";
  } else if (guard->under >= GUARD_HEADROOM_FRAMES && current < ceiling) {
    target = current + 1;
    *reason = "headroom";
  }
  if (*reason)
    guard->over = guard->under = 0;
  return target;
}

void gst_quad_realtime_guard_post(GstElement *element, const GstQuadRealtimeGuard *guard,
                                  const gchar *reason, gint from, gint to, gdouble budget_us) {
  gst_element_post_message(
      element,
      gst_message_new_element(
          GST_OBJECT(element),
          gst_structure_new("quad-realtime-preset", "reason", G_TYPE_STRING, reason, "from",
                            G_TYPE_STRING,
                            gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(from)), "to",
                            G_TYPE_STRING,
                            gst_quad_speed_preset_nick(static_cast<GstQuadSpeedPreset>(to)),
                            "encode-us", G_TYPE_DOUBLE, guard->smoothed_us, "budget-us",
                            G_TYPE_DOUBLE, budget_us, nullptr)));
}

const gchar *gst_quad_speed_preset_nick(GstQuadSpeedPreset preset) {
  GEnumClass *klass = static_cast<GEnumClass *>(g_type_class_ref(GST_TYPE_QUAD_SPEED_PRESET));
  GEnumValue *value = g_enum_get_value(klass, preset);
  /* Enum classes of static types are never finalised: the nick stays valid. */
  const gchar *nick = value ? value->value_nick : "veryfast";
  g_type_class_unref(klass);
  return nick;
}

void gst_quad_encoder_settings_init(GstQuadEncoderSettings *s) {
  s->bitrate = GST_QUAD_ENCODER_DEFAULT_BITRATE;
  s->rate_control = GST_QUAD_ENCODER_DEFAULT_RATE_CONTROL;
  s->qp = GST_QUAD_ENCODER_DEFAULT_QP;
  s->vbv_buffer_ms = GST_QUAD_ENCODER_DEFAULT_VBV_BUFFER_MS;
  s->key_int_max = GST_QUAD_ENCODER_DEFAULT_KEY_INT_MAX;
  s->speed_preset = GST_QUAD_ENCODER_DEFAULT_SPEED_PRESET;
  s->threads = GST_QUAD_ENCODER_DEFAULT_THREADS;
  s->intra_refresh = GST_QUAD_ENCODER_DEFAULT_INTRA_REFRESH;
}

gboolean gst_quad_encoder_prop_is_rate(guint id) {
  return id == GST_QUAD_ENCODER_PROP_BITRATE || id == GST_QUAD_ENCODER_PROP_QP ||
         id == GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS || id == GST_QUAD_ENCODER_PROP_KEY_INT_MAX ||
         id == GST_QUAD_ENCODER_PROP_SPEED_PRESET;
}

gint gst_quad_encoder_key_int_period(guint key_int_max) {
  return key_int_max == 0 ? GST_QUAD_ENCODER_AUTO_KEY_INT_MAX
                          : static_cast<gint>(std::min<guint>(key_int_max, G_MAXINT));
}

void gst_quad_encoder_install_properties(GObjectClass *klass, guint first_id, guint leave_out) {
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  /* As x264enc's bitrate: the next picture is coded with the new value. */
  const auto rate = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING);
  const auto install = [&](guint id, GParamSpec *pspec) {
    if (leave_out & GST_QUAD_ENCODER_PROP_BIT(id))
      g_param_spec_unref(g_param_spec_ref_sink(pspec));
    else
      g_object_class_install_property(klass, first_id + id, pspec);
  };
  install(GST_QUAD_ENCODER_PROP_BITRATE,
          g_param_spec_uint("bitrate", "Bit rate",
                            "Target bit rate in kbit/s (rate-control cbr and vbr)", 1, 2000000,
                            GST_QUAD_ENCODER_DEFAULT_BITRATE, rate));
  install(GST_QUAD_ENCODER_PROP_RATE_CONTROL,
          g_param_spec_enum("rate-control", "Rate control", "How the quantiser is chosen",
                            GST_TYPE_QUAD_RATE_CONTROL, GST_QUAD_ENCODER_DEFAULT_RATE_CONTROL, rw));
  install(GST_QUAD_ENCODER_PROP_QP,
          g_param_spec_uint("qp", "QP",
                            "Constant quantiser for rate-control cqp (0: finest, 51: coarsest)", 0,
                            51, GST_QUAD_ENCODER_DEFAULT_QP, rate));
  install(GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS,
          g_param_spec_uint("vbv-buffer-ms", "VBV buffer",
                            "Decoder buffer size in milliseconds of bitrate, bounding how far the "
                            "rate may swing (cbr, vbr; 0: one frame interval)",
                            0, 10000, GST_QUAD_ENCODER_DEFAULT_VBV_BUFFER_MS, rate));
  install(GST_QUAD_ENCODER_PROP_KEY_INT_MAX,
          g_param_spec_uint("key-int-max", "Key interval",
                            "Pictures from one IDR (or intra refresh cycle) to the next "
                            "(1: every picture; 0: automatic, 250 as in x264 and x265)",
                            0, G_MAXINT, GST_QUAD_ENCODER_DEFAULT_KEY_INT_MAX, rate));
  install(GST_QUAD_ENCODER_PROP_SPEED_PRESET,
          g_param_spec_enum("speed-preset", "Speed preset", "Trade compression for speed",
                            GST_TYPE_QUAD_SPEED_PRESET, GST_QUAD_ENCODER_DEFAULT_SPEED_PRESET,
                            rate));
  install(GST_QUAD_ENCODER_PROP_THREADS,
          g_param_spec_uint("threads", "Threads", "Encoding threads (0: one per core)", 0, 64,
                            GST_QUAD_ENCODER_DEFAULT_THREADS, rw));
  install(GST_QUAD_ENCODER_PROP_INTRA_REFRESH,
          g_param_spec_boolean("intra-refresh", "Intra refresh",
                               "Refresh with a moving column of intra blocks over key-int-max "
                               "pictures instead of IDR pictures (smoother bit rate)",
                               GST_QUAD_ENCODER_DEFAULT_INTRA_REFRESH, rw));
}

gboolean gst_quad_encoder_settings_set(GstQuadEncoderSettings *s, guint id, const GValue *value) {
  switch (id) {
  case GST_QUAD_ENCODER_PROP_BITRATE:
    s->bitrate = g_value_get_uint(value);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_RATE_CONTROL:
    s->rate_control = static_cast<GstQuadRateControl>(g_value_get_enum(value));
    return TRUE;
  case GST_QUAD_ENCODER_PROP_QP:
    s->qp = g_value_get_uint(value);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS:
    s->vbv_buffer_ms = g_value_get_uint(value);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_KEY_INT_MAX:
    s->key_int_max = g_value_get_uint(value);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_SPEED_PRESET:
    s->speed_preset = static_cast<GstQuadSpeedPreset>(g_value_get_enum(value));
    return TRUE;
  case GST_QUAD_ENCODER_PROP_THREADS:
    s->threads = g_value_get_uint(value);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_INTRA_REFRESH:
    s->intra_refresh = g_value_get_boolean(value);
    return TRUE;
  default:
    return FALSE;
  }
}

gboolean gst_quad_encoder_settings_get(const GstQuadEncoderSettings *s, guint id, GValue *value) {
  switch (id) {
  case GST_QUAD_ENCODER_PROP_BITRATE:
    g_value_set_uint(value, s->bitrate);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_RATE_CONTROL:
    g_value_set_enum(value, s->rate_control);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_QP:
    g_value_set_uint(value, s->qp);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_VBV_BUFFER_MS:
    g_value_set_uint(value, s->vbv_buffer_ms);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_KEY_INT_MAX:
    g_value_set_uint(value, s->key_int_max);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_SPEED_PRESET:
    g_value_set_enum(value, s->speed_preset);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_THREADS:
    g_value_set_uint(value, s->threads);
    return TRUE;
  case GST_QUAD_ENCODER_PROP_INTRA_REFRESH:
    g_value_set_boolean(value, s->intra_refresh);
    return TRUE;
  default:
    return FALSE;
  }
}
