#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadx264enc.h"
#include "gstquadx265enc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(quadx264enc, plugin);
  ok |= GST_ELEMENT_REGISTER(quadx265enc, plugin);
  return ok;
}

/* GPL: the plugin links libx264 and libx265. */
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, quadfallback,
                  "Software fallback encoders on libx264 and libx265", plugin_init, VERSION, "GPL",
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
