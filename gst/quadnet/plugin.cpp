#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadnetsink.h"
#include "gstquadnetsrc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(quadnetsink, plugin);
  ok |= GST_ELEMENT_REGISTER(quadnetsrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadnet,
                  "Kernel D: live video to browsers (WebCodecs) and GStreamer receivers over "
                  "WebSocket",
                  plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
