#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadh265enc.h"
#include "gstquadmotion.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(quadh265enc, plugin);
  ok &= GST_ELEMENT_REGISTER(quadmotion, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadtemporal,
                  "Kernel C: temporal compression (the gst-quad HEVC encoder)", plugin_init,
                  VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
