/**
 * SECTION:element-quadnetsrc
 * @title: quadnetsrc
 *
 * Receives the stream a `quadnetsink` serves (ws:// or wss://) and outputs
 * its H.264 or H.265 access units, byte-stream, one per buffer, with caps
 * from the stream, timestamps mapped to this pipeline's running time and the
 * sender's capture time restored as a GstReferenceTimestampMeta
 * (`timestamp/x-unix`).
 *
 * When the server goes away it reconnects with back-off (`retry`,
 * `retry-delay`) and resumes at the next key frame. An attempt fails when
 * the server does not complete the handshake within `connect-timeout`, and
 * stays counted until the server sends a valid message: after `retry`
 * failed attempts in a row the element posts an error. A message it cannot
 * parse is skipped along with everything up to the next key frame; a
 * protocol version it does not know is an error.
 *
 * It handles ws:// and wss:// URIs, so playbin and uridecodebin play such
 * a stream as they would a file.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadnetsrc location=ws://127.0.0.1:8080/stream ! h264parse ! avdec_h264 ! \
 *     autovideosink
 * gst-launch-1.0 quadnetsrc location="wss://host:8443/stream?token=secret" ! fakesink
 * gst-launch-1.0 playbin uri=ws://127.0.0.1:8080/stream
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadnetsrc.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <string>

#include "protocol.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_net_src_debug);
#define GST_CAT_DEFAULT gst_quad_net_src_debug

using quad::net::Codec;
using quad::net::MessageKind;
using quad::net::StreamInfo;
namespace qflags = quad::net::flags;

static constexpr gint DEFAULT_RETRY = 5;
static constexpr guint DEFAULT_RETRY_DELAY = 500;
static constexpr guint DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024;
static constexpr gboolean DEFAULT_TLS_VALIDATION = TRUE;
static constexpr guint MAX_RETRY_DELAY = 60000;
static constexpr guint DEFAULT_CONNECT_TIMEOUT = 10000;
static constexpr guint MAX_CONNECT_TIMEOUT = 600000;
/* Back-off doubles the delay per failed attempt, up to this many times the first. */
static constexpr guint MAX_BACKOFF_FACTOR = 16;
/* Access units waiting for downstream; past this the queue is skipped to
 * the next key frame, as the sink does for a slow viewer. */
static constexpr size_t MAX_QUEUED = 256;

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_RETRY,
  PROP_RETRY_DELAY,
  PROP_MAX_MESSAGE_SIZE,
  PROP_TLS_VALIDATION,
  PROP_CONNECT_TIMEOUT,
  PROP_STATS,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h264, stream-format = (string) byte-stream, alignment = (string) au; "
                    "video/x-h265, stream-format = (string) byte-stream, alignment = (string) au"));

struct SrcCounters {
  guint64 units = 0; /* access units pushed downstream */
  guint64 bytes = 0; /* message bytes received */
  guint64 bad_messages = 0;
  guint64 skipped = 0; /* units lost: the sender's skips, gaps, and local drops */
  guint64 connects = 0;
  guint64 disconnects = 0;
};

/* One thing for create() to do, in arrival order. */
struct Pending {
  enum Kind { kUnit, kInfo, kError } kind = kUnit;
  GstBuffer *buffer = nullptr; /* kUnit */
  quad::net::MessageHeader header;
  bool discont = false;
  StreamInfo info;   /* kInfo */
  std::string error; /* kError */
};

struct _GstQuadNetSrc {
  GstPushSrc parent;

  /* Properties, under the object lock. */
  gchar *location;
  gint retry;
  guint retry_delay;
  guint max_message_size;
  gboolean tls_validation;
  guint connect_timeout;

  /* Shared between the connection thread and create(), under lock. */
  GMutex lock;
  GCond cond;
  std::deque<Pending> *queue;
  bool flushing;
  SrcCounters counters;

  /* Connection thread. */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupSession *session;
  SoupWebsocketConnection *conn;
  GCancellable *cancellable;
  GSource *retry_source;
  GCancellable *attempt;  /* the connection attempt under way */
  GSource *attempt_timer; /* ends it after connect-timeout */
  bool attempt_timed_out;
  guint attempts; /* failed in a row: a handshake alone does not end the row */
  bool wait_key;  /* after a connect, a bad message or a local drop */
  bool discont_next;

  /* Streaming thread. */
  bool have_offset;
  GstClockTimeDiff pts_offset; /* running time minus the sender's pts */
  GstCaps *unix_caps;
};

static void gst_quad_net_src_uri_handler_init(gpointer iface, gpointer data);

#define gst_quad_net_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstQuadNetSrc, gst_quad_net_src, GST_TYPE_PUSH_SRC,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER,
                                              gst_quad_net_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE(quadnetsrc, "quadnetsrc", GST_RANK_NONE, GST_TYPE_QUAD_NET_SRC);

static void clear_pending(Pending &p) {
  if (p.buffer)
    gst_buffer_unref(p.buffer);
  p.buffer = nullptr;
}

static void push_pending(GstQuadNetSrc *self, Pending p) {
  g_mutex_lock(&self->lock);
  if (p.kind == Pending::kUnit) {
    self->counters.skipped += p.header.skipped;
    if (self->queue->size() >= MAX_QUEUED) {
      /* Downstream is too slow: drop what waits and resume at a key frame. */
      guint64 dropped = 0;
      std::erase_if(*self->queue, [&](Pending &q) {
        if (q.kind != Pending::kUnit)
          return false;
        clear_pending(q);
        dropped++;
        return true;
      });
      self->counters.skipped += dropped;
      self->wait_key = true;
      self->discont_next = true;
      GST_WARNING_OBJECT(self, "downstream too slow: %" G_GUINT64_FORMAT " access units dropped",
                         dropped);
    }
    if (self->wait_key && !(p.header.flags & qflags::kKeyFrame)) {
      self->counters.skipped++;
      g_mutex_unlock(&self->lock);
      clear_pending(p);
      return;
    }
    self->wait_key = false;
    p.discont = self->discont_next || (p.header.flags & qflags::kDiscont);
    self->discont_next = false;
  }
  self->queue->push_back(std::move(p));
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

static void push_error(GstQuadNetSrc *self, std::string error) {
  Pending p;
  p.kind = Pending::kError;
  p.error = std::move(error);
  push_pending(self, std::move(p));
}

/* ---- connection thread ---- */

static void connect_now(GstQuadNetSrc *self);

static void on_message(SoupWebsocketConnection *, gint type, GBytes *message, gpointer data) {
  auto *self = GST_QUAD_NET_SRC(data);
  gsize size = 0;
  const auto *bytes = static_cast<const uint8_t *>(g_bytes_get_data(message, &size));
  g_mutex_lock(&self->lock);
  self->counters.bytes += size;
  g_mutex_unlock(&self->lock);
  const auto parsed = quad::net::parse_message({bytes, size});
  if (type != SOUP_WEBSOCKET_DATA_BINARY || !parsed) {
    const std::string why = type != SOUP_WEBSOCKET_DATA_BINARY ? "text message" : parsed.error();
    if (parsed || size < 1 || bytes[0] == quad::net::kProtocolVersion) {
      GST_WARNING_OBJECT(self, "bad message skipped, waiting for a key frame: %s", why.c_str());
      g_mutex_lock(&self->lock);
      self->counters.bad_messages++;
      self->wait_key = true;
      self->discont_next = true;
      g_mutex_unlock(&self->lock);
      return;
    }
    push_error(self, "server speaks an unknown protocol: " + why);
    return;
  }
  /* The server speaks: a later loss starts a new row of attempts. */
  self->attempts = 0;
  Pending p;
  p.header = parsed->header;
  if (parsed->header.kind == MessageKind::kStreamInfo) {
    auto info = quad::net::parse_stream_info(parsed->payload);
    if (!info) {
      g_mutex_lock(&self->lock);
      self->counters.bad_messages++;
      g_mutex_unlock(&self->lock);
      push_error(self, "malformed stream description from the server");
      return;
    }
    p.kind = Pending::kInfo;
    p.info = *info;
  } else {
    /* Wraps libsoup's bytes: no copy of the access unit. */
    p.buffer = gst_buffer_new_wrapped_bytes(message);
    gst_buffer_resize(p.buffer, parsed->header.header_size, -1);
  }
  push_pending(self, std::move(p));
}

static gboolean retry_now(gpointer data) {
  auto *self = GST_QUAD_NET_SRC(data);
  g_source_unref(self->retry_source);
  self->retry_source = nullptr;
  connect_now(self);
  return G_SOURCE_REMOVE;
}

/* Schedules the next attempt, or gives up with an error. */
static void connection_lost(GstQuadNetSrc *self, const std::string &why) {
  GST_OBJECT_LOCK(self);
  const gint retry = self->retry;
  const guint delay = self->retry_delay;
  GST_OBJECT_UNLOCK(self);
  self->attempts++;
  if (retry >= 0 && self->attempts > static_cast<guint>(retry)) {
    push_error(self, why + (retry > 0 ? " (gave up after " + std::to_string(retry) + " retries)"
                                      : std::string()));
    return;
  }
  const guint factor =
      std::min<guint>(1u << std::min<guint>(self->attempts - 1, 16), MAX_BACKOFF_FACTOR);
  GST_INFO_OBJECT(self, "%s; retrying in %u ms", why.c_str(), delay * factor);
  self->retry_source = g_timeout_source_new(delay * factor);
  g_source_set_callback(self->retry_source, retry_now, self, nullptr);
  g_source_attach(self->retry_source, self->context);
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data) {
  auto *self = GST_QUAD_NET_SRC(data);
  if (conn != self->conn)
    return;
  const gushort code = soup_websocket_connection_get_close_code(conn);
  g_signal_handlers_disconnect_by_data(conn, self);
  g_clear_object(&self->conn);
  g_mutex_lock(&self->lock);
  self->counters.disconnects++;
  self->wait_key = true;
  self->discont_next = true;
  g_mutex_unlock(&self->lock);
  connection_lost(self, "server closed the connection (code " + std::to_string(code) + ")");
}

static void end_attempt(GstQuadNetSrc *self) {
  if (self->attempt_timer) {
    g_source_destroy(self->attempt_timer);
    g_source_unref(self->attempt_timer);
    self->attempt_timer = nullptr;
  }
  g_clear_object(&self->attempt);
}

static void on_connected(GObject *session, GAsyncResult *res, gpointer data) {
  auto *self = GST_QUAD_NET_SRC(data);
  GError *err = nullptr;
  SoupWebsocketConnection *conn =
      soup_session_websocket_connect_finish(SOUP_SESSION(session), res, &err);
  const bool timed_out = self->attempt_timed_out;
  end_attempt(self);
  if (!conn) {
    const bool cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    GST_OBJECT_LOCK(self);
    const guint timeout = self->connect_timeout;
    GST_OBJECT_UNLOCK(self);
    const std::string why =
        timed_out ? "cannot connect: no answer within " + std::to_string(timeout) + " ms"
                  : std::string("cannot connect: ") + err->message;
    g_clear_error(&err);
    if (!cancelled || timed_out)
      connection_lost(self, why);
    return;
  }
  GST_OBJECT_LOCK(self);
  const guint max_size = self->max_message_size;
  GST_OBJECT_UNLOCK(self);
  soup_websocket_connection_set_max_incoming_payload_size(conn, max_size);
  /* The server sends no pings; keepalive pings would only cost bandwidth. */
  soup_websocket_connection_set_keepalive_interval(conn, 0);
  self->conn = conn;
  g_mutex_lock(&self->lock);
  self->counters.connects++;
  self->wait_key = true;
  g_mutex_unlock(&self->lock);
  g_signal_connect(conn, "message", G_CALLBACK(on_message), self);
  g_signal_connect(conn, "closed", G_CALLBACK(on_closed), self);
  GST_INFO_OBJECT(self, "connected");
}

static gboolean accept_any_certificate(SoupMessage *, GTlsCertificate *, GTlsCertificateFlags,
                                       gpointer) {
  return TRUE;
}

static void connect_now(GstQuadNetSrc *self) {
  GST_OBJECT_LOCK(self);
  const std::string location = self->location ? self->location : "";
  const gboolean validate = self->tls_validation;
  GST_OBJECT_UNLOCK(self);
  SoupMessage *msg = soup_message_new(SOUP_METHOD_GET, location.c_str());
  if (!msg) {
    push_error(self, "'" + location + "' is not a ws:// or wss:// URI");
    return;
  }
  if (!validate)
    g_signal_connect(msg, "accept-certificate", G_CALLBACK(accept_any_certificate), nullptr);
  GST_OBJECT_LOCK(self);
  const guint timeout = self->connect_timeout;
  GST_OBJECT_UNLOCK(self);
  self->attempt = g_cancellable_new();
  self->attempt_timed_out = false;
  self->attempt_timer = g_timeout_source_new(timeout);
  g_source_set_callback(
      self->attempt_timer,
      +[](gpointer data) -> gboolean {
        auto *src = GST_QUAD_NET_SRC(data);
        src->attempt_timed_out = true;
        g_cancellable_cancel(src->attempt);
        return G_SOURCE_CONTINUE; /* end_attempt removes it */
      },
      self, nullptr);
  g_source_attach(self->attempt_timer, self->context);
  soup_session_websocket_connect_async(self->session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT,
                                       self->attempt, on_connected, self);
  g_object_unref(msg);
}

static gboolean start_connecting(gpointer data) {
  connect_now(GST_QUAD_NET_SRC(data));
  return G_SOURCE_REMOVE;
}

static gpointer connection_thread(gpointer data) {
  auto *self = GST_QUAD_NET_SRC(data);
  g_main_context_push_thread_default(self->context);
  /* No permessage-deflate: video does not compress and it costs latency. */
  self->session = soup_session_new();
  soup_session_remove_feature_by_type(self->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  GSource *start = g_idle_source_new();
  g_source_set_callback(start, start_connecting, self, nullptr);
  g_source_attach(start, self->context);
  g_source_unref(start);
  g_main_loop_run(self->loop);

  g_cancellable_cancel(self->cancellable);
  if (self->attempt)
    g_cancellable_cancel(self->attempt);
  if (self->attempt_timer) {
    g_source_destroy(self->attempt_timer);
    g_source_unref(self->attempt_timer);
    self->attempt_timer = nullptr;
  }
  if (self->retry_source) {
    g_source_destroy(self->retry_source);
    g_source_unref(self->retry_source);
    self->retry_source = nullptr;
  }
  if (self->conn) {
    g_signal_handlers_disconnect_by_data(self->conn, self);
    if (soup_websocket_connection_get_state(self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(self->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    g_clear_object(&self->conn);
  }
  soup_session_abort(self->session);
  g_clear_object(&self->session);
  while (g_main_context_iteration(self->context, FALSE))
    ;
  g_main_context_pop_thread_default(self->context);
  return nullptr;
}

/* ---- GstBaseSrc ---- */

static gboolean gst_quad_net_src_start(GstBaseSrc *bsrc) {
  auto *self = GST_QUAD_NET_SRC(bsrc);
  GST_OBJECT_LOCK(self);
  const bool have_location = self->location && *self->location;
  GST_OBJECT_UNLOCK(self);
  if (!have_location) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("no location set"), (nullptr));
    return FALSE;
  }
  g_mutex_lock(&self->lock);
  self->counters = SrcCounters();
  self->flushing = false;
  self->wait_key = true;
  self->discont_next = true;
  g_mutex_unlock(&self->lock);
  self->have_offset = false;
  self->attempts = 0;
  self->context = g_main_context_new();
  self->loop = g_main_loop_new(self->context, FALSE);
  self->cancellable = g_cancellable_new();
  self->thread = g_thread_new("quadnetsrc", connection_thread, self);
  return TRUE;
}

static gboolean quit_loop(gpointer data) {
  g_main_loop_quit(static_cast<GMainLoop *>(data));
  return G_SOURCE_REMOVE;
}

/* Quits from inside the loop: a quit before g_main_loop_run() starts would
 * be lost (g_main_context_invoke() could run it here, at once). */
static void quit_from_loop(GMainContext *context, GMainLoop *loop) {
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, quit_loop, loop, nullptr);
  g_source_attach(source, context);
  g_source_unref(source);
}

static gboolean gst_quad_net_src_stop(GstBaseSrc *bsrc) {
  auto *self = GST_QUAD_NET_SRC(bsrc);
  if (!self->thread)
    return TRUE;
  quit_from_loop(self->context, self->loop);
  g_thread_join(self->thread);
  self->thread = nullptr;
  g_clear_object(&self->attempt);
  g_main_loop_unref(self->loop);
  g_main_context_unref(self->context);
  g_clear_object(&self->cancellable);
  g_mutex_lock(&self->lock);
  for (auto &p : *self->queue)
    clear_pending(p);
  self->queue->clear();
  g_mutex_unlock(&self->lock);
  return TRUE;
}

static gboolean gst_quad_net_src_unlock(GstBaseSrc *bsrc) {
  auto *self = GST_QUAD_NET_SRC(bsrc);
  g_mutex_lock(&self->lock);
  self->flushing = true;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  return TRUE;
}

static gboolean gst_quad_net_src_unlock_stop(GstBaseSrc *bsrc) {
  auto *self = GST_QUAD_NET_SRC(bsrc);
  g_mutex_lock(&self->lock);
  self->flushing = false;
  g_mutex_unlock(&self->lock);
  return TRUE;
}

/* Caps come from the stream's description, not from negotiation. */
static gboolean gst_quad_net_src_negotiate(GstBaseSrc *) {
  return TRUE;
}

static GstCaps *caps_for(const StreamInfo &info) {
  GstCaps *caps = gst_caps_new_simple(info.codec == Codec::kH265 ? "video/x-h265" : "video/x-h264",
                                      "stream-format", G_TYPE_STRING, "byte-stream", "alignment",
                                      G_TYPE_STRING, "au", nullptr);
  if (info.width > 0 && info.height > 0)
    gst_caps_set_simple(caps, "width", G_TYPE_INT, info.width, "height", G_TYPE_INT, info.height,
                        nullptr);
  if (info.fps_n > 0)
    gst_caps_set_simple(caps, "framerate", GST_TYPE_FRACTION, info.fps_n, info.fps_d, nullptr);
  return caps;
}

static GstClockTime running_time_now(GstElement *element) {
  GstClock *clock = gst_element_get_clock(element);
  if (!clock)
    return 0;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(element);
  return now > base ? now - base : 0;
}

static GstFlowReturn gst_quad_net_src_create(GstPushSrc *psrc, GstBuffer **out) {
  auto *self = GST_QUAD_NET_SRC(psrc);
  for (;;) {
    g_mutex_lock(&self->lock);
    while (self->queue->empty() && !self->flushing)
      g_cond_wait(&self->cond, &self->lock);
    if (self->flushing) {
      g_mutex_unlock(&self->lock);
      return GST_FLOW_FLUSHING;
    }
    Pending p = std::move(self->queue->front());
    self->queue->pop_front();
    if (p.kind == Pending::kUnit)
      self->counters.units++;
    g_mutex_unlock(&self->lock);

    if (p.kind == Pending::kError) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("%s", p.error.c_str()), (nullptr));
      return GST_FLOW_ERROR;
    }
    if (p.kind == Pending::kInfo) {
      GstCaps *caps = caps_for(p.info);
      GST_INFO_OBJECT(self, "stream: %" GST_PTR_FORMAT " (%s)", caps, p.info.codec_string.c_str());
      const gboolean ok = gst_base_src_set_caps(GST_BASE_SRC(self), caps);
      gst_caps_unref(caps);
      if (!ok) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("downstream refused the stream's caps"),
                          (nullptr));
        return GST_FLOW_NOT_NEGOTIATED;
      }
      continue;
    }

    GstBuffer *buf = p.buffer;
    const auto &h = p.header;
    const GstClockTime sender_pts = h.pts_us * 1000;
    /* The sender's timeline is placed on ours at the first unit after a
     * (re)connect or a gap, so spacing between frames is kept. */
    if (!self->have_offset || p.discont) {
      self->pts_offset = static_cast<GstClockTimeDiff>(running_time_now(GST_ELEMENT(self))) -
                         static_cast<GstClockTimeDiff>(sender_pts);
      self->have_offset = true;
    }
    const GstClockTimeDiff pts = static_cast<GstClockTimeDiff>(sender_pts) + self->pts_offset;
    GST_BUFFER_PTS(buf) = pts >= 0 ? static_cast<GstClockTime>(pts) : 0;
    GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    if (!(h.flags & qflags::kKeyFrame))
      GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (p.discont)
      GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    if (h.flags & qflags::kCodecConfig)
      GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_HEADER);
    GST_BUFFER_OFFSET(buf) = h.sequence;
    if (h.flags & qflags::kCaptureTime)
      gst_buffer_add_reference_timestamp_meta(buf, self->unix_caps, h.capture_us * 1000,
                                              GST_CLOCK_TIME_NONE);
    *out = buf;
    return GST_FLOW_OK;
  }
}

/* ---- GstURIHandler: playbin and uridecodebin find us for ws:// and wss:// ---- */

static GstURIType gst_quad_net_src_uri_get_type(GType) {
  return GST_URI_SRC;
}

static const gchar *const *gst_quad_net_src_uri_get_protocols(GType) {
  static const gchar *const protocols[] = {"ws", "wss", nullptr};
  return protocols;
}

static gchar *gst_quad_net_src_uri_get_uri(GstURIHandler *handler) {
  auto *self = GST_QUAD_NET_SRC(handler);
  GST_OBJECT_LOCK(self);
  gchar *uri = g_strdup(self->location);
  GST_OBJECT_UNLOCK(self);
  return uri;
}

static gboolean gst_quad_net_src_uri_set_uri(GstURIHandler *handler, const gchar *uri,
                                             GError **error) {
  auto *self = GST_QUAD_NET_SRC(handler);
  if (GST_STATE(self) != GST_STATE_NULL && GST_STATE(self) != GST_STATE_READY) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
                "the location can only change in the NULL or READY state");
    return FALSE;
  }
  GUri *parsed = g_uri_parse(uri, G_URI_FLAGS_ENCODED, nullptr);
  const char *scheme = parsed ? g_uri_get_scheme(parsed) : nullptr;
  const bool ok = scheme &&
                  (!g_ascii_strcasecmp(scheme, "ws") || !g_ascii_strcasecmp(scheme, "wss")) &&
                  g_uri_get_host(parsed) && *g_uri_get_host(parsed);
  if (parsed)
    g_uri_unref(parsed);
  if (!ok) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                "'%s' is not a ws:// or wss:// URI with a host", uri);
    return FALSE;
  }
  g_object_set(self, "location", uri, nullptr);
  return TRUE;
}

static void gst_quad_net_src_uri_handler_init(gpointer iface, gpointer) {
  auto *handler = static_cast<GstURIHandlerInterface *>(iface);
  handler->get_type = gst_quad_net_src_uri_get_type;
  handler->get_protocols = gst_quad_net_src_uri_get_protocols;
  handler->get_uri = gst_quad_net_src_uri_get_uri;
  handler->set_uri = gst_quad_net_src_uri_set_uri;
}

/* ---- GObject ---- */

static GstStructure *src_stats(GstQuadNetSrc *self) {
  g_mutex_lock(&self->lock);
  const SrcCounters c = self->counters;
  g_mutex_unlock(&self->lock);
  return gst_structure_new("quadnetsrc-stats", "units", G_TYPE_UINT64, c.units, "bytes",
                           G_TYPE_UINT64, c.bytes, "bad-messages", G_TYPE_UINT64, c.bad_messages,
                           "skipped", G_TYPE_UINT64, c.skipped, "connects", G_TYPE_UINT64,
                           c.connects, "disconnects", G_TYPE_UINT64, c.disconnects, nullptr);
}

static void gst_quad_net_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec) {
  auto *self = GST_QUAD_NET_SRC(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_free(self->location);
    self->location = g_value_dup_string(value);
    break;
  case PROP_RETRY:
    self->retry = g_value_get_int(value);
    break;
  case PROP_RETRY_DELAY:
    self->retry_delay = g_value_get_uint(value);
    break;
  case PROP_CONNECT_TIMEOUT:
    self->connect_timeout = g_value_get_uint(value);
    break;
  case PROP_MAX_MESSAGE_SIZE:
    self->max_message_size = g_value_get_uint(value);
    break;
  case PROP_TLS_VALIDATION:
    self->tls_validation = g_value_get_boolean(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_net_src_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec) {
  auto *self = GST_QUAD_NET_SRC(object);
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, src_stats(self));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string(value, self->location);
    break;
  case PROP_RETRY:
    g_value_set_int(value, self->retry);
    break;
  case PROP_RETRY_DELAY:
    g_value_set_uint(value, self->retry_delay);
    break;
  case PROP_CONNECT_TIMEOUT:
    g_value_set_uint(value, self->connect_timeout);
    break;
  case PROP_MAX_MESSAGE_SIZE:
    g_value_set_uint(value, self->max_message_size);
    break;
  case PROP_TLS_VALIDATION:
    g_value_set_boolean(value, self->tls_validation);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_net_src_finalize(GObject *object) {
  auto *self = GST_QUAD_NET_SRC(object);
  g_free(self->location);
  for (auto &p : *self->queue)
    clear_pending(p);
  delete self->queue;
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
  gst_caps_unref(self->unix_caps);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_net_src_init(GstQuadNetSrc *self) {
  self->location = nullptr;
  self->retry = DEFAULT_RETRY;
  self->retry_delay = DEFAULT_RETRY_DELAY;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->attempt = nullptr;
  self->attempt_timer = nullptr;
  self->attempt_timed_out = false;
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->tls_validation = DEFAULT_TLS_VALIDATION;
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  self->queue = new std::deque<Pending>();
  self->flushing = false;
  self->counters = SrcCounters();
  self->context = nullptr;
  self->loop = nullptr;
  self->thread = nullptr;
  self->session = nullptr;
  self->conn = nullptr;
  self->cancellable = nullptr;
  self->retry_source = nullptr;
  self->attempts = 0;
  self->wait_key = true;
  self->discont_next = true;
  self->have_offset = false;
  self->pts_offset = 0;
  self->unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

static void gst_quad_net_src_class_init(GstQuadNetSrcClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *basesrc_class = GST_BASE_SRC_CLASS(klass);
  auto *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_quad_net_src_set_property;
  gobject_class->get_property = gst_quad_net_src_get_property;
  gobject_class->finalize = gst_quad_net_src_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "WebSocket URI of a quadnetsink stream, ws://host:port/stream or "
                          "wss://... (add ?token=... when the server wants one)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_RETRY,
      g_param_spec_int("retry", "Retry",
                       "Reconnect attempts in a row before giving up with an error; an attempt "
                       "counts as failed until the server has sent a valid message, so a server "
                       "that drops every connection after the handshake ends in an error too; "
                       "-1: forever",
                       -1, G_MAXINT, DEFAULT_RETRY, rw));
  g_object_class_install_property(
      gobject_class, PROP_RETRY_DELAY,
      g_param_spec_uint("retry-delay", "Retry delay",
                        "Milliseconds before the first reconnect attempt; each failed attempt "
                        "doubles it, up to 16 times this",
                        1, MAX_RETRY_DELAY, DEFAULT_RETRY_DELAY, rw));
  g_object_class_install_property(
      gobject_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint("connect-timeout", "Connect timeout",
                        "Milliseconds a connection attempt may take, TCP and TLS handshakes "
                        "and the WebSocket upgrade together; a server that accepts and then "
                        "says nothing counts as a failed attempt after this",
                        1, MAX_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint("max-message-size", "Maximum message size",
                        "Largest access unit accepted, in bytes; a larger one closes the "
                        "connection (and a reconnect follows)",
                        1024, G_MAXINT, DEFAULT_MAX_MESSAGE_SIZE, rw));
  g_object_class_install_property(
      gobject_class, PROP_TLS_VALIDATION,
      g_param_spec_boolean("tls-validation", "TLS validation",
                           "Check the server's certificate on wss://; false accepts any "
                           "(self-signed test servers)",
                           DEFAULT_TLS_VALIDATION, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "units (pushed), bytes (received), bad-messages, skipped (units lost "
                         "to skips, gaps and drops), connects, disconnects",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata(
      element_class, "Quad network source", "Source/Network/Video",
      "Receives H.264/H.265 from a quadnetsink over WebSocket, with capture times and "
      "reconnection",
      "gst-quad developers");
  gst_element_class_add_static_pad_template(element_class, &src_template);

  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_quad_net_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_quad_net_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR(gst_quad_net_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_quad_net_src_unlock_stop);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR(gst_quad_net_src_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR(gst_quad_net_src_create);

  GST_DEBUG_CATEGORY_INIT(gst_quad_net_src_debug, "quadnetsrc", 0,
                          "WebSocket client for quadnetsink streams");
}
