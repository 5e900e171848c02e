#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadh265enc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(quadh265enc, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadtemporal,
                  "Kernel C: temporal compression (the gst-quad HEVC encoder)", plugin_init,
                  VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
