#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadmotionoverlay.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(quadmotionoverlay, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadoverlay,
                  "Draws gst-quad's motion and analysis metas on the video", plugin_init, VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
