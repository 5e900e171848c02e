#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadcapturesrc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(quadcapturesrc, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadcapture,
                  "Kernel A: live capture of synthetic scenes and Y4M files", plugin_init, VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
