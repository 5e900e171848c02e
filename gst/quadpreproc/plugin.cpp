#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadpreproc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(quadpreproc, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadpreproc,
                  "Kernel B: colour conversion, scaling, denoise and frame analysis", plugin_init,
                  VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
