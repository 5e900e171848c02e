/* GstQuadBlockSize's GType. */
#include "quad/gstquadblocksize.h"

GType gst_quad_block_size_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_QUAD_BLOCK_SIZE_8, "8x8 luma samples", "8"},
      {GST_QUAD_BLOCK_SIZE_16, "16x16 luma samples", "16"},
      {GST_QUAD_BLOCK_SIZE_32, "32x32 luma samples", "32"},
      {GST_QUAD_BLOCK_SIZE_64, "64x64 luma samples", "64"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstQuadBlockSize", values);
    gst_type_mark_as_plugin_api(t, static_cast<GstPluginAPIFlags>(0));
    g_once_init_leave(&type, t);
  }
  return type;
}
