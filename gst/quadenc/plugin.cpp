#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadenc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(quadenc, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadenc,
                  "Encoder bin that picks the best available encoder and fails over live",
                  plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
