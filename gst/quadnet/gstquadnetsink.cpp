/**
 * SECTION:element-quadnetsink
 * @title: quadnetsink
 *
 * Serves a live H.264 or H.265 stream over HTTP and WebSocket (libsoup 3),
 * to browsers and to `quadnetsrc`.
 *
 * `GET /` answers a built-in player page that decodes with WebCodecs and
 * shows latency, frame rate, bitrate and drops. `GET /stream` upgrades to a
 * WebSocket on which every binary message is one access unit behind a small
 * versioned header (docs/quadnet-protocol.md). A viewer that joins gets the
 * stream description and starts at a key frame; one that falls more than
 * `max-lag` behind is skipped forward to the next key frame, and the
 * streaming thread never waits for any viewer.
 *
 * The server runs on its own thread and GLib main context. Buffers are
 * handed over as soon as they arrive (`sync` is off by default).
 *
 * As on tcpserversink, `current-port` says which port `port=0` picked, and
 * `client-added` / `client-removed` tell when a viewer comes and goes, with
 * its address. The stream description every viewer gets carries the number
 * of viewers, and is sent again when it changes.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 quadcapturesrc ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
 *     x264enc tune=zerolatency ! quadnetsink port=8080
 * gst-launch-1.0 ... ! x264enc tune=zerolatency ! quadnetsink auth-token=secret \
 *     tls-certificate=cert.pem tls-key=key.pem
 * ]|
 * Then open http://127.0.0.1:8080/ (with `?token=secret` when a token is set).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstquadnetsink.h"

#include <gio/gio.h>
#include <gst/video/video.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bitstream.h"
#include "client_queue.h"
#include "player_page.h"
#include "protocol.h"
#include "websocket.h"

GST_DEBUG_CATEGORY_STATIC(gst_quad_net_sink_debug);
#define GST_CAT_DEFAULT gst_quad_net_sink_debug

using quad::net::AccessUnit;
using quad::net::ClientEvent;
using quad::net::ClientFrameReader;
using quad::net::ClientQueue;
using quad::net::Codec;
using quad::net::StreamInfo;
namespace qflags = quad::net::flags;
namespace ws = quad::net::ws;

static constexpr const char *DEFAULT_ADDRESS = "127.0.0.1";
static constexpr guint DEFAULT_PORT = 8080;
static constexpr guint DEFAULT_MAX_LAG = 500;
static constexpr guint DEFAULT_MAX_CLIENTS = 100;
static constexpr guint DEFAULT_KEY_REQUEST_INTERVAL = 1000;
static constexpr guint DEFAULT_STATS_INTERVAL = 1000;
static constexpr guint DEFAULT_MAX_CLIENT_MESSAGE = 4096;
static constexpr guint DEFAULT_MAX_CONNECTIONS = 200;
static constexpr guint DEFAULT_REQUEST_TIMEOUT = 10000;

static constexpr guint MAX_MAX_LAG = 60000;
static constexpr guint MAX_MAX_CLIENTS = 10000;
static constexpr guint MAX_INTERVAL = 600000;
static constexpr guint MAX_MAX_CLIENT_MESSAGE = 1 << 20;
static constexpr guint MAX_MAX_CONNECTIONS = 60000;
static constexpr guint MIN_REQUEST_TIMEOUT = 50;
/* After accept() fails (no file descriptor left, say), it is tried again
 * this much later rather than in a busy loop or never. */
static constexpr guint ACCEPT_RETRY_MS = 100;
/* Connections taken from the backlog per wake-up, so others get a turn. */
static constexpr int ACCEPT_BATCH = 16;
/* New connections wait for the work of those already served (reads, a
 * viewer leaving): a burst of joins cannot starve it. */
static constexpr gint ACCEPT_PRIORITY = G_PRIORITY_DEFAULT + 10;
static constexpr int LISTEN_BACKLOG = 128;
/* A viewer closing the connection gets this long to take the close frame. */
static constexpr gint64 CLOSE_TIMEOUT_US = 2 * G_USEC_PER_SEC;
/* Joins are served the cached group of pictures; this bounds its memory. */
static constexpr size_t MAX_GOP_UNITS = 1024;
static constexpr size_t WRITE_VECTORS = 32;

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_MAX_LAG,
  PROP_MAX_CLIENTS,
  PROP_AUTH_TOKEN,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_KEY_REQUEST_INTERVAL,
  PROP_STATS_INTERVAL,
  PROP_MAX_CLIENT_MESSAGE,
  PROP_MAX_CONNECTIONS,
  PROP_REQUEST_TIMEOUT,
  PROP_CURRENT_PORT,
  PROP_STATS,
};

enum {
  SIGNAL_CLIENT_ADDED,
  SIGNAL_CLIENT_REMOVED,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h264, stream-format = (string) { byte-stream, avc }, "
                    "alignment = (string) au; "
                    "video/x-h265, stream-format = (string) byte-stream, alignment = (string) au"));

/* Settings copied at start(), read by the server thread without locks. */
struct SinkSettings {
  std::string address;
  guint port = DEFAULT_PORT;
  guint64 max_lag_us = DEFAULT_MAX_LAG * 1000ull;
  guint max_clients = DEFAULT_MAX_CLIENTS;
  std::string auth_token;
  std::string tls_certificate;
  std::string tls_key;
  gint64 key_request_interval_us = DEFAULT_KEY_REQUEST_INTERVAL * 1000ll;
  guint stats_interval_ms = DEFAULT_STATS_INTERVAL;
  guint max_client_message = DEFAULT_MAX_CLIENT_MESSAGE;
  guint max_connections = DEFAULT_MAX_CONNECTIONS;
  gint64 request_timeout_us = DEFAULT_REQUEST_TIMEOUT * 1000ll;
};

struct NetServer;

struct NetClient {
  NetClient(NetServer *s, guint64 max_lag_us, size_t max_message)
      : server(s), queue(max_lag_us), reader(max_message) {}
  NetClient(const NetClient &) = delete;
  NetClient &operator=(const NetClient &) = delete;
  ~NetClient() { g_clear_object(&remote); }
  NetServer *server;
  guint id = 0;
  std::string peer;
  GSocketAddress *remote = nullptr; /* what client-added and client-removed carry */
  GIOStream *stream = nullptr;
  GPollableInputStream *in = nullptr;
  GPollableOutputStream *out = nullptr;
  GSource *read_source = nullptr;
  GSource *write_source = nullptr;
  ClientQueue queue;
  ClientFrameReader reader;
  guint64 info_generation = 0; /* stream info this viewer has been sent */
  bool closing = false;        /* close frame queued: the stream ends once it is out */
  bool dead = false;
  gint64 close_deadline = 0;
};

/* Totals over the sink's run; per-client figures are added when read. */
struct ServerCounters {
  guint64 accepted = 0;
  guint64 closed = 0;
  guint64 rejected_auth = 0;
  guint64 rejected_not_found = 0;
  guint64 rejected_full = 0;
  guint64 rejected_bad_request = 0;
  guint64 rejected_forbidden = 0;
  guint64 rejected_connections = 0; /* over max-connections, closed at accept */
  guint64 timed_out = 0;            /* requests not complete within request-timeout */
  guint64 accept_errors = 0;
  guint64 protocol_errors = 0;
  guint64 closed_bytes = 0; /* bytes sent to clients that have gone */
  guint64 closed_skips = 0;
  guint64 closed_skipped_units = 0;
  guint64 key_requests = 0;
  guint64 units_in = 0;
};

/* A viewer come or gone, for a signal emitted without clients_mutex held
 * (a handler may read the stats). */
struct ClientNotice {
  bool added = false;
  GSocketAddress *peer = nullptr; /* owned */
  std::string reason;             /* why it went */
};

/* What render() hands to the server thread. */
struct Handoff {
  std::mutex mutex;
  std::deque<std::shared_ptr<const AccessUnit>> units;
  std::optional<StreamInfo> info; /* newer than what the server thread has */
};

struct NetServer {
  GstQuadNetSink *sink = nullptr;
  SinkSettings settings;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  GThread *thread = nullptr;
  SoupServer *soup = nullptr;
  GSource *wake = nullptr;
  GSource *stats_source = nullptr;
  GTlsCertificate *certificate = nullptr;

  /* Our own listening socket: libsoup's stops accepting for good after one
   * failed accept(), and it has no cap on connections. */
  GSocket *listener = nullptr;
  GSource *accept_source = nullptr;
  GSource *accept_retry = nullptr;
  GSource *deadline_source = nullptr;
  /* Open TCP connections (HTTP and viewers) and the time by which each must
   * have become a viewer or be gone; 0 for viewers. Server thread only. */
  std::unordered_map<GSocketConnection *, gint64> connections;
  std::atomic<guint> open_connections{0};

  /* Start-up result, for start(). */
  std::mutex start_mutex;
  std::condition_variable start_cond;
  bool started = false;
  std::string start_error;
  guint bound_port = 0;

  Handoff handoff;

  /* Server thread state; clients_mutex guards it against stats readers. */
  std::mutex clients_mutex;
  std::list<std::unique_ptr<NetClient>> clients;
  guint pending_upgrades = 0;
  guint pending_closes = 0; /* server thread only */
  guint next_client_id = 1;
  ServerCounters counters;
  std::optional<StreamInfo> stream_info;
  std::vector<uint8_t> info_frame; /* stream_info with the viewer count, as a WebSocket frame */
  guint64 info_generation = 0;
  int viewers_described = -1; /* the viewer count info_frame carries */
  std::vector<ClientNotice> notices;
  GSource *notify = nullptr;                         /* emits the notices on the server thread */
  std::deque<std::shared_ptr<const AccessUnit>> gop; /* latest key frame and what followed */
  gint64 last_key_request = 0;
};

struct _GstQuadNetSink {
  GstBaseSink parent;

  /* Properties, under the object lock. */
  SinkSettings settings;

  NetServer *server;
  GMutex server_lock; /* held while stats read the server and while stop() frees it */

  /* Streaming thread only. */
  Codec codec;
  bool avc;
  int avc_length_size;
  std::vector<uint8_t> parameter_sets; /* latest, Annex B */
  std::string codec_string;
  StreamInfo info;
  guint32 sequence;
  GstCaps *unix_caps;
};

#define gst_quad_net_sink_parent_class parent_class
G_DEFINE_TYPE(GstQuadNetSink, gst_quad_net_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE(quadnetsink, "quadnetsink", GST_RANK_NONE, GST_TYPE_QUAD_NET_SINK);

/* ---- stats ---- */

static GstStructure *server_stats(NetServer *srv) {
  GstStructure *s = gst_structure_new_empty("quadnetsink-stats");
  GValue list = G_VALUE_INIT;
  gst_value_list_init(&list, 0);
  std::lock_guard lock(srv->clients_mutex);
  const gint64 now = g_get_monotonic_time();
  ServerCounters c = srv->counters;
  guint64 bytes = c.closed_bytes, skips = c.closed_skips, skipped = c.closed_skipped_units;
  guint64 max_lag_us = 0;
  guint live = 0;
  for (const auto &client : srv->clients) {
    if (client->dead)
      continue;
    live++;
    const auto &qc = client->queue.counters();
    const guint64 lag = client->queue.lag_us(static_cast<guint64>(now));
    bytes += qc.sent_bytes;
    skips += qc.skips;
    skipped += qc.skipped_units;
    max_lag_us = std::max(max_lag_us, lag);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure *cs = gst_structure_new(
        "client", "id", G_TYPE_UINT, client->id, "peer", G_TYPE_STRING, client->peer.c_str(),
        "lag-ms", G_TYPE_DOUBLE, lag / 1000.0, "queued", G_TYPE_UINT,
        static_cast<guint>(client->queue.queued_units()), "bytes", G_TYPE_UINT64, qc.sent_bytes,
        "units", G_TYPE_UINT64, qc.sent_units, "skips", G_TYPE_UINT64, qc.skips, "skipped-units",
        G_TYPE_UINT64, qc.skipped_units, nullptr);
    g_value_take_boxed(&v, cs);
    gst_value_list_append_and_take_value(&list, &v);
  }
  gst_structure_set(
      s, "clients", G_TYPE_UINT, live, "accepted", G_TYPE_UINT64, c.accepted, "closed",
      G_TYPE_UINT64, c.closed, "bytes", G_TYPE_UINT64, bytes, "skips", G_TYPE_UINT64, skips,
      "skipped-units", G_TYPE_UINT64, skipped, "max-lag-ms", G_TYPE_DOUBLE, max_lag_us / 1000.0,
      "units-in", G_TYPE_UINT64, c.units_in, "key-requests", G_TYPE_UINT64, c.key_requests,
      "rejected-auth", G_TYPE_UINT64, c.rejected_auth, "rejected-not-found", G_TYPE_UINT64,
      c.rejected_not_found, "rejected-full", G_TYPE_UINT64, c.rejected_full, "rejected-bad-request",
      G_TYPE_UINT64, c.rejected_bad_request, "rejected-forbidden", G_TYPE_UINT64,
      c.rejected_forbidden, "rejected-connections", G_TYPE_UINT64, c.rejected_connections,
      "timed-out", G_TYPE_UINT64, c.timed_out, "accept-errors", G_TYPE_UINT64, c.accept_errors,
      "connections", G_TYPE_UINT, srv->open_connections.load(), "protocol-errors", G_TYPE_UINT64,
      c.protocol_errors, nullptr);
  gst_structure_take_value(s, "per-client", &list);
  return s;
}

static GstStructure *idle_stats() {
  return gst_structure_new("quadnetsink-stats", "clients", G_TYPE_UINT, 0u, nullptr);
}

/* ---- clients (server thread) ---- */

static void flush_client(NetClient *client);

static void request_key_frame(NetServer *srv) {
  const gint64 now = g_get_monotonic_time();
  if (srv->settings.key_request_interval_us <= 0)
    return;
  if (srv->last_key_request && now - srv->last_key_request < srv->settings.key_request_interval_us)
    return;
  srv->last_key_request = now;
  srv->counters.key_requests++;
  GST_DEBUG_OBJECT(srv->sink, "asking upstream for a key frame");
  /* Upstream events may be sent from any thread; the encoder only notes it. */
  gst_pad_push_event(GST_BASE_SINK_PAD(srv->sink),
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

static void close_stream_done(GObject *stream, GAsyncResult *res, gpointer data) {
  g_io_stream_close_finish(G_IO_STREAM(stream), res, nullptr);
  g_object_unref(stream);
  static_cast<NetServer *>(data)->pending_closes--;
}

/* Marks a client gone and releases its connection; the list is swept later. */
static void drop_client(NetClient *client, const char *why) {
  if (client->dead)
    return;
  GST_DEBUG_OBJECT(client->server->sink, "client %u (%s) gone: %s", client->id,
                   client->peer.c_str(), why);
  client->dead = true;
  if (client->remote) {
    client->server->notices.push_back({false, G_SOCKET_ADDRESS(g_object_ref(client->remote)), why});
    g_source_set_ready_time(client->server->notify, 0);
  }
  if (client->read_source) {
    g_source_destroy(client->read_source);
    g_source_unref(client->read_source);
    client->read_source = nullptr;
  }
  if (client->write_source) {
    g_source_destroy(client->write_source);
    g_source_unref(client->write_source);
    client->write_source = nullptr;
  }
  auto &c = client->server->counters;
  const auto &qc = client->queue.counters();
  c.closed++;
  c.closed_bytes += qc.sent_bytes;
  c.closed_skips += qc.skips;
  c.closed_skipped_units += qc.skipped_units;
  if (client->stream) {
    client->server->pending_closes++;
    g_io_stream_close_async(client->stream, G_PRIORITY_DEFAULT, nullptr, close_stream_done,
                            client->server);
  }
  client->stream = nullptr;
}

static std::vector<uint8_t> make_info_frame(const StreamInfo &info);

static int count_viewers(const NetServer *srv) {
  int viewers = 0;
  for (const auto &c : srv->clients)
    viewers += !c->dead && !c->closing;
  return viewers;
}

/* Describes the stream again when the number of viewers changed; a viewer
 * that has not read the last description gets it replaced, not another. */
static void update_viewers(NetServer *srv) {
  const int viewers = count_viewers(srv);
  if (viewers == srv->viewers_described || !srv->stream_info)
    return;
  StreamInfo info = *srv->stream_info;
  info.viewers = viewers;
  srv->info_frame = make_info_frame(info);
  srv->info_generation++;
  srv->viewers_described = viewers;
  const gint64 now = g_get_monotonic_time();
  for (auto &client : srv->clients) {
    if (client->dead || client->closing || client->info_generation == 0)
      continue;
    client->queue.refresh_description(srv->info_frame, now);
    client->info_generation = srv->info_generation;
    flush_client(client.get());
  }
}

static void sweep_clients(NetServer *srv) {
  srv->clients.remove_if([](const std::unique_ptr<NetClient> &c) { return c->dead; });
  update_viewers(srv);
}

static void start_close(NetClient *client, guint16 code, const std::string &reason) {
  if (client->closing || client->dead)
    return;
  client->closing = true;
  client->close_deadline = g_get_monotonic_time() + CLOSE_TIMEOUT_US;
  if (client->read_source) {
    g_source_destroy(client->read_source);
    g_source_unref(client->read_source);
    client->read_source = nullptr;
  }
  client->queue.drop_unstarted();
  client->queue.push_frame(quad::net::close_frame(code, reason), g_get_monotonic_time());
  flush_client(client);
}

static gboolean on_writable(GObject *, gpointer data) {
  auto *client = static_cast<NetClient *>(data);
  std::lock_guard lock(client->server->clients_mutex);
  g_source_unref(client->write_source);
  client->write_source = nullptr;
  flush_client(client);
  sweep_clients(client->server);
  return G_SOURCE_REMOVE;
}

/* Writes what the client's socket takes now; waits for POLLOUT otherwise. */
static void flush_client(NetClient *client) {
  if (client->dead || client->write_source)
    return;
  std::array<std::span<const uint8_t>, WRITE_VECTORS> pieces;
  std::array<GOutputVector, WRITE_VECTORS> vectors;
  while (!client->queue.empty()) {
    const size_t n = client->queue.gather(pieces);
    for (size_t i = 0; i < n; ++i)
      vectors[i] = {pieces[i].data(), pieces[i].size()};
    gsize written = 0;
    GError *err = nullptr;
    const GPollableReturn r = g_pollable_output_stream_writev_nonblocking(
        client->out, vectors.data(), n, &written, nullptr, &err);
    if (r == G_POLLABLE_RETURN_FAILED) {
      drop_client(client, err ? err->message : "write failed");
      g_clear_error(&err);
      return;
    }
    client->queue.consume(written);
    if (r == G_POLLABLE_RETURN_WOULD_BLOCK) {
      if (client->closing && g_get_monotonic_time() > client->close_deadline) {
        drop_client(client, "did not take the close frame");
        return;
      }
      client->write_source = g_pollable_output_stream_create_source(client->out, nullptr);
      g_source_set_callback(client->write_source, G_SOURCE_FUNC(on_writable), client, nullptr);
      g_source_attach(client->write_source, client->server->context);
      return;
    }
  }
  if (client->closing)
    drop_client(client, "closed");
}

static void handle_client_event(NetClient *client, const ClientEvent &ev) {
  switch (ev.kind) {
  case ClientEvent::kPing:
    /* RFC 6455 5.5.3: while a pong waits, later pings need none; a client
     * that pings without reading cannot grow its queue. */
    if (!client->queue.has_unsent_frame()) {
      client->queue.push_frame(quad::net::control_frame(ws::kOpPong, ev.payload),
                               g_get_monotonic_time());
      flush_client(client);
    }
    break;
  case ClientEvent::kClose:
    start_close(client, ws::kCloseNormal, "");
    break;
  case ClientEvent::kData:
    client->server->counters.protocol_errors++;
    start_close(client, ws::kCloseUnsupportedData, "this stream takes no client messages");
    break;
  case ClientEvent::kError:
    client->server->counters.protocol_errors++;
    GST_INFO_OBJECT(client->server->sink, "client %u: %s", client->id, ev.reason.c_str());
    start_close(client, ev.code, ev.reason);
    break;
  default:
    break;
  }
}

static gboolean on_readable(GObject *, gpointer data) {
  auto *client = static_cast<NetClient *>(data);
  NetServer *srv = client->server;
  std::lock_guard lock(srv->clients_mutex);
  uint8_t buf[4096];
  for (;;) {
    GError *err = nullptr;
    const gssize n =
        g_pollable_input_stream_read_nonblocking(client->in, buf, sizeof(buf), nullptr, &err);
    if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error(&err);
      break;
    }
    if (n <= 0) {
      drop_client(client, n == 0 ? "peer closed the connection" : err->message);
      g_clear_error(&err);
      break;
    }
    client->reader.feed({buf, static_cast<size_t>(n)});
    for (;;) {
      const ClientEvent ev = client->reader.next();
      if (ev.kind == ClientEvent::kNone)
        break;
      handle_client_event(client, ev);
      if (client->closing || client->dead)
        break;
    }
    if (client->closing || client->dead)
      break;
  }
  /* drop_client and start_close already destroyed the source when they ran. */
  const bool source_gone = client->dead || client->closing;
  sweep_clients(srv);
  return source_gone ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void queue_stream_info(NetServer *srv, NetClient *client) {
  if (srv->info_frame.empty() || client->info_generation == srv->info_generation)
    return;
  client->queue.push_frame(srv->info_frame, g_get_monotonic_time(), true);
  client->info_generation = srv->info_generation;
}

/* A viewer joining gets the stream info, then the current group of pictures
 * when it is recent enough to catch up from; otherwise it waits for the next
 * key frame, which is asked for. */
static void start_client(NetServer *srv, NetClient *client) {
  const gint64 now = g_get_monotonic_time();
  queue_stream_info(srv, client);
  if (!srv->gop.empty() &&
      static_cast<guint64>(now) - srv->gop.front()->arrival_us <= srv->settings.max_lag_us) {
    for (const auto &au : srv->gop)
      client->queue.offer(au, static_cast<guint64>(now));
  } else {
    request_key_frame(srv);
  }
  flush_client(client);
}

static void mark_viewer(NetServer *srv, SoupServerMessage *msg);

static void on_upgraded(SoupServerMessage *msg, gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  std::lock_guard lock(srv->clients_mutex);
  srv->pending_upgrades--;
  g_object_set_data(G_OBJECT(msg), "quadnet-upgraded", GINT_TO_POINTER(1));
  mark_viewer(srv, msg);
  GIOStream *stream = soup_server_message_steal_connection(msg);
  if (!stream)
    return;
  if (!G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream)) ||
      !G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream))) {
    GST_ERROR_OBJECT(srv->sink, "connection streams are not pollable");
    g_io_stream_close(stream, nullptr, nullptr);
    g_object_unref(stream);
    return;
  }
  /* Small messages must not wait for Nagle. */
  if (auto *socket = static_cast<GSocket *>(g_object_get_data(G_OBJECT(stream), "GSocket")))
    g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);

  auto client =
      std::make_unique<NetClient>(srv, srv->settings.max_lag_us, srv->settings.max_client_message);
  client->id = srv->next_client_id++;
  if (GSocketAddress *remote = soup_server_message_get_remote_address(msg)) {
    client->remote = G_SOCKET_ADDRESS(g_object_ref(remote));
    srv->notices.push_back({true, G_SOCKET_ADDRESS(g_object_ref(remote)), {}});
    g_source_set_ready_time(srv->notify, 0);
    if (G_IS_INET_SOCKET_ADDRESS(remote)) {
      gchar *host = g_inet_address_to_string(
          g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
      client->peer = std::string(host) + ":" +
                     std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote)));
      g_free(host);
    }
  }
  client->stream = stream;
  client->in = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream));
  client->out = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));
  client->read_source = g_pollable_input_stream_create_source(client->in, nullptr);
  g_source_set_callback(client->read_source, G_SOURCE_FUNC(on_readable), client.get(), nullptr);
  g_source_attach(client->read_source, srv->context);
  srv->counters.accepted++;
  GST_DEBUG_OBJECT(srv->sink, "client %u joined from %s", client->id, client->peer.c_str());
  NetClient *raw = client.get();
  srv->clients.push_back(std::move(client));
  /* Its first description counts it already. */
  update_viewers(srv);
  start_client(srv, raw);
  sweep_clients(srv);
}

/* A handshake whose 101 never went out (the peer left) frees its slot. */
static void on_upgrade_finished(SoupServerMessage *msg, gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  if (g_object_get_data(G_OBJECT(msg), "quadnet-upgraded"))
    return;
  std::lock_guard lock(srv->clients_mutex);
  srv->pending_upgrades--;
}

/* ---- HTTP ---- */

/* Exact, in a time that depends only on the expected token's length. */
static bool token_matches(const std::string &want, std::string_view given) {
  unsigned diff = given.size() != want.size();
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned>(want[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

/* The first token= of the raw query, decoded byte for byte: "%00" inside it
 * must not cut it short, as a C string would. */
static std::optional<std::string> query_token(SoupServerMessage *msg) {
  const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
  if (!query)
    return std::nullopt;
  std::optional<std::string> token;
  gchar **pairs = g_strsplit(query, "&", -1);
  for (gchar **pair = pairs; *pair && !token; ++pair) {
    if (!g_str_has_prefix(*pair, "token="))
      continue;
    std::string value(*pair + 6);
    std::replace(value.begin(), value.end(), '+', ' ');
    GBytes *bytes = g_uri_unescape_bytes(value.c_str(), -1, nullptr, nullptr);
    token.emplace();
    if (bytes) {
      gsize n = 0;
      const auto *data = static_cast<const char *>(g_bytes_get_data(bytes, &n));
      token->assign(data, n);
      g_bytes_unref(bytes);
    }
  }
  g_strfreev(pairs);
  return token;
}

static bool authorized(NetServer *srv, SoupServerMessage *msg) {
  const std::string &want = srv->settings.auth_token;
  if (want.empty())
    return true;
  bool ok = false;
  if (const auto token = query_token(msg))
    ok |= token_matches(want, *token);
  const char *header =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  /* RFC 9110 11.1: the scheme is case-insensitive. */
  if (header && g_ascii_strncasecmp(header, "Bearer ", 7) == 0) {
    const char *given = header + 7;
    while (*given == ' ')
      ++given;
    ok |= token_matches(want, given);
  }
  return ok;
}

/* Host names an address or this machine. Any other name may be a DNS
 * rebinding of an attacker's domain to this machine. */
static bool host_is_local_name(const char *host) {
  if (!host || !*host)
    return false;
  std::string name(host);
  if (name[0] == '[')
    return name.find(']') != std::string::npos;
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos)
    name.resize(colon);
  return g_ascii_strcasecmp(name.c_str(), "localhost") == 0 ||
         g_hostname_is_ip_address(name.c_str());
}

/* Origin is "scheme://host[:port]"; a page of the same origin names Host. */
static bool origin_matches_host(const char *origin, const char *host) {
  const char *sep = origin ? strstr(origin, "://") : nullptr;
  return sep && host && g_ascii_strcasecmp(sep + 3, host) == 0;
}

static bool has_body(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  switch (soup_message_headers_get_encoding(h)) {
  case SOUP_ENCODING_NONE:
    return false;
  case SOUP_ENCODING_CONTENT_LENGTH:
    return soup_message_headers_get_content_length(h) > 0;
  default:
    return true;
  }
}

struct Refusal {
  guint status = 0;
  const char *text = nullptr;
  const char *header = nullptr; /* one extra response header, or none */
  const char *value = nullptr;
};

/* Why a request is refused, from its headers alone; status 0: it is not.
 * Called with clients_mutex held (counters). */
static Refusal refusal(NetServer *srv, SoupServerMessage *msg, const char *path) {
  auto &c = srv->counters;
  const char *method = soup_server_message_get_method(msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  const bool is_page = !strcmp(path, "/") || !strcmp(path, "/index.html");
  const bool is_stream = !strcmp(path, "/stream");
  if (!is_page && !is_stream) {
    c.rejected_not_found++;
    return {SOUP_STATUS_NOT_FOUND, "not found\n"};
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    c.rejected_bad_request++;
    return {SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n", "Allow", "GET, HEAD"};
  }
  if (has_body(msg)) {
    c.rejected_bad_request++;
    return {SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "requests carry no body here\n"};
  }
  if (!authorized(srv, msg)) {
    c.rejected_auth++;
    return {SOUP_STATUS_UNAUTHORIZED, "a valid token is needed\n", "WWW-Authenticate",
            "Bearer realm=\"quadnetsink\""};
  }
  /* Without a token, only pages served from this sink, reached by address
   * or as localhost, may open the stream: a page from elsewhere must not
   * watch a camera it has no token for. */
  if (srv->settings.auth_token.empty()) {
    const char *host = soup_message_headers_get_one(h, "Host");
    const char *origin = soup_message_headers_get_one(h, "Origin");
    if (!host_is_local_name(host) || (origin && !origin_matches_host(origin, host))) {
      c.rejected_forbidden++;
      return {SOUP_STATUS_FORBIDDEN,
              "this origin or host name needs a token (set auth-token on the sink)\n"};
    }
  }
  return {};
}

static void respond_text(SoupServerMessage *msg, guint status, const char *text) {
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
                                   strlen(text));
}

/* Answers and closes the connection without reading the request body,
 * which libsoup would otherwise read whole into memory first. */
static void refuse_unread(NetServer *srv, SoupServerMessage *msg, const Refusal &r) {
  GIOStream *stream = soup_server_message_steal_connection(msg);
  if (!stream)
    return;
  std::string head =
      "HTTP/1.1 " + std::to_string(r.status) + " " + soup_status_get_phrase(r.status) + "\r\n";
  if (r.header)
    head += std::string(r.header) + ": " + r.value + "\r\n";
  head += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
          std::to_string(strlen(r.text)) + "\r\nConnection: close\r\n\r\n" + r.text;
  GOutputStream *out = g_io_stream_get_output_stream(stream);
  /* Best effort: a short answer fits in any socket buffer. */
  if (G_IS_POLLABLE_OUTPUT_STREAM(out))
    g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out), head.data(),
                                               head.size(), nullptr, nullptr);
  srv->pending_closes++;
  g_io_stream_close_async(stream, G_PRIORITY_DEFAULT, nullptr, close_stream_done, srv);
}

/* Runs once the headers are in, before libsoup reads any body. */
static void early_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                          gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  Refusal r;
  {
    std::lock_guard lock(srv->clients_mutex);
    r = refusal(srv, msg, path);
  }
  if (r.status == 0)
    return;
  GST_DEBUG_OBJECT(srv->sink, "%s %s refused: %u", soup_server_message_get_method(msg), path,
                   r.status);
  if (has_body(msg)) {
    refuse_unread(srv, msg, r);
    return;
  }
  if (r.header)
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), r.header, r.value);
  respond_text(msg, r.status, r.text);
}

/* Requests early_request let through: the page, or a viewer joining. */
static void handle_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                           gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  std::lock_guard lock(srv->clients_mutex);
  if (strcmp(path, "/stream") != 0) {
    const std::string_view page = quad::net::player_page();
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                 "no-store");
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                     page.data(), page.size());
    return;
  }
  guint live = 0;
  for (const auto &c : srv->clients)
    live += !c->dead;
  if (live + srv->pending_upgrades >= srv->settings.max_clients) {
    srv->counters.rejected_full++;
    respond_text(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "too many clients\n");
    return;
  }
  /* No extensions offered: permessage-deflate would cost latency and CPU
   * on already-compressed video. */
  if (!soup_websocket_server_process_handshake(msg, nullptr, nullptr, nullptr, nullptr)) {
    srv->counters.rejected_bad_request++;
    if (soup_server_message_get_status(msg) == 0)
      respond_text(msg, SOUP_STATUS_BAD_REQUEST, "WebSocket upgrade expected\n");
    return;
  }
  srv->pending_upgrades++;
  g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_upgraded), srv);
  g_signal_connect(msg, "finished", G_CALLBACK(on_upgrade_finished), srv);
}

/* ---- connections ---- */

static const char *const CONNECTION_KEY = "quadnet-connection";

static void connection_gone(gpointer data, GObject *where) {
  auto *srv = static_cast<NetServer *>(data);
  srv->connections.erase(reinterpret_cast<GSocketConnection *>(where));
  srv->open_connections = static_cast<guint>(srv->connections.size());
}

/* The connection a request came on; its remote address carries the key. */
static void mark_viewer(NetServer *srv, SoupServerMessage *msg) {
  GSocketAddress *remote = soup_server_message_get_remote_address(msg);
  if (!remote)
    return;
  auto it = srv->connections.find(
      static_cast<GSocketConnection *>(g_object_get_data(G_OBJECT(remote), CONNECTION_KEY)));
  if (it != srv->connections.end())
    it->second = 0;
}

/* Shuts down connections that did not finish a request in time; libsoup
 * (or the TLS handshake) then sees the end of the stream and lets go. */
static gboolean expire_connections(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  const gint64 now = g_get_monotonic_time();
  guint expired = 0;
  for (auto &[conn, deadline] : srv->connections) {
    if (deadline == 0 || now < deadline)
      continue;
    deadline = 0;
    expired++;
    g_socket_shutdown(g_socket_connection_get_socket(conn), TRUE, TRUE, nullptr);
  }
  if (expired) {
    GST_DEBUG_OBJECT(srv->sink, "%u connections timed out", expired);
    std::lock_guard lock(srv->clients_mutex);
    srv->counters.timed_out += expired;
  }
  return G_SOURCE_CONTINUE;
}

struct Handshake {
  NetServer *server;
  GSocketAddress *local;
  GSocketAddress *remote;
};

static void hand_to_soup(NetServer *srv, GIOStream *stream, GSocketAddress *local,
                         GSocketAddress *remote) {
  GError *err = nullptr;
  if (srv->soup && !soup_server_accept_iostream(srv->soup, stream, local, remote, &err)) {
    GST_DEBUG_OBJECT(srv->sink, "connection refused by the HTTP server: %s", err->message);
    g_clear_error(&err);
  }
}

static void handshake_done(GObject *source, GAsyncResult *res, gpointer data) {
  auto *h = static_cast<Handshake *>(data);
  GError *err = nullptr;
  if (g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, &err))
    hand_to_soup(h->server, G_IO_STREAM(source), h->local, h->remote);
  else
    GST_DEBUG_OBJECT(h->server->sink, "TLS handshake failed: %s", err->message);
  g_clear_error(&err);
  g_object_unref(source);
  g_object_unref(h->local);
  g_object_unref(h->remote);
  delete h;
}

static const char BUSY_ANSWER[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";

/* Takes one accepted socket: refused at once beyond max-connections,
 * otherwise given a deadline and handed to libsoup (after TLS). */
static void admit(NetServer *srv, GSocket *socket) {
  if (srv->connections.size() >= srv->settings.max_connections) {
    {
      std::lock_guard lock(srv->clients_mutex);
      srv->counters.rejected_connections++;
    }
    if (!srv->certificate)
      g_socket_send(socket, BUSY_ANSWER, sizeof(BUSY_ANSWER) - 1, nullptr, nullptr);
    g_socket_close(socket, nullptr);
    return;
  }
  GSocketAddress *local = g_socket_get_local_address(socket, nullptr);
  GSocketAddress *remote = g_socket_get_remote_address(socket, nullptr);
  if (!local || !remote) {
    g_clear_object(&local);
    g_clear_object(&remote);
    g_socket_close(socket, nullptr);
    return;
  }
  g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
  GSocketConnection *conn = g_socket_connection_factory_create_connection(socket);
  srv->connections[conn] = g_get_monotonic_time() + srv->settings.request_timeout_us;
  srv->open_connections = static_cast<guint>(srv->connections.size());
  g_object_weak_ref(G_OBJECT(conn), connection_gone, srv);
  g_object_set_data(G_OBJECT(remote), CONNECTION_KEY, conn);
  if (srv->certificate) {
    GError *err = nullptr;
    GIOStream *tls = g_tls_server_connection_new(G_IO_STREAM(conn), srv->certificate, &err);
    if (tls) {
      g_object_set(tls, "require-close-notify", FALSE, nullptr);
      g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, nullptr,
                                       handshake_done, new Handshake{srv, local, remote});
      g_object_unref(conn);
      return;
    }
    GST_WARNING_OBJECT(srv->sink, "cannot start TLS: %s", err->message);
    g_clear_error(&err);
  } else {
    hand_to_soup(srv, G_IO_STREAM(conn), local, remote);
  }
  g_object_unref(conn);
  g_object_unref(local);
  g_object_unref(remote);
}

static gboolean on_incoming(GSocket *, GIOCondition, gpointer data);

static void start_accepting(NetServer *srv) {
  srv->accept_source = g_socket_create_source(srv->listener, G_IO_IN, nullptr);
  g_source_set_priority(srv->accept_source, ACCEPT_PRIORITY);
  g_source_set_callback(srv->accept_source, G_SOURCE_FUNC(on_incoming), srv, nullptr);
  g_source_attach(srv->accept_source, srv->context);
}

static gboolean resume_accepting(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  g_source_unref(srv->accept_retry);
  srv->accept_retry = nullptr;
  start_accepting(srv);
  return G_SOURCE_REMOVE;
}

static gboolean on_incoming(GSocket *, GIOCondition, gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  for (int i = 0; i < ACCEPT_BATCH; ++i) {
    GError *err = nullptr;
    GSocket *socket = g_socket_accept(srv->listener, nullptr, &err);
    if (socket) {
      admit(srv, socket);
      g_object_unref(socket);
      continue;
    }
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error(&err);
      return G_SOURCE_CONTINUE;
    }
    /* Out of descriptors, or memory: pause instead of spinning, and come
     * back; connections in the backlog wait there meanwhile. */
    GST_WARNING_OBJECT(srv->sink, "cannot accept a connection: %s; trying again in %u ms",
                       err->message, ACCEPT_RETRY_MS);
    g_clear_error(&err);
    {
      std::lock_guard lock(srv->clients_mutex);
      srv->counters.accept_errors++;
    }
    g_source_unref(srv->accept_source);
    srv->accept_source = nullptr;
    srv->accept_retry = g_timeout_source_new(ACCEPT_RETRY_MS);
    g_source_set_callback(srv->accept_retry, resume_accepting, srv, nullptr);
    g_source_attach(srv->accept_retry, srv->context);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the server thread ---- */

static std::vector<uint8_t> make_info_frame(const StreamInfo &info) {
  const std::string text = quad::net::encode_stream_info(info);
  quad::net::MessageHeader h;
  h.kind = quad::net::MessageKind::kStreamInfo;
  std::vector<uint8_t> frame(ws::kMaxFrameHeader + quad::net::kHeaderSize + text.size());
  size_t pos = quad::net::write_frame_header(ws::kOpBinary, quad::net::kHeaderSize + text.size(),
                                             frame.data());
  quad::net::write_header(h, frame.data() + pos);
  pos += quad::net::kHeaderSize;
  memcpy(frame.data() + pos, text.data(), text.size());
  frame.resize(pos + text.size());
  return frame;
}

/* Takes what render() handed over and queues it for every viewer. */
static gboolean on_wake(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  g_source_set_ready_time(srv->wake, -1);
  std::deque<std::shared_ptr<const AccessUnit>> units;
  std::optional<StreamInfo> info;
  {
    std::lock_guard lock(srv->handoff.mutex);
    units.swap(srv->handoff.units);
    info.swap(srv->handoff.info);
  }
  std::lock_guard lock(srv->clients_mutex);
  if (info) {
    srv->stream_info = *info;
    srv->stream_info->viewers = count_viewers(srv);
    srv->viewers_described = srv->stream_info->viewers;
    srv->info_frame = make_info_frame(*srv->stream_info);
    srv->info_generation++;
    for (auto &client : srv->clients)
      if (!client->dead && !client->closing)
        queue_stream_info(srv, client.get());
  }
  bool someone_waits = false;
  for (auto &au : units) {
    srv->counters.units_in++;
    if (au->header.flags & qflags::kKeyFrame)
      srv->gop.clear();
    if (!srv->gop.empty() || (au->header.flags & qflags::kKeyFrame))
      srv->gop.push_back(au);
    if (srv->gop.size() > MAX_GOP_UNITS)
      srv->gop.clear();
    for (auto &client : srv->clients)
      if (!client->dead && !client->closing)
        client->queue.offer(au, au->arrival_us);
  }
  for (auto &client : srv->clients) {
    flush_client(client.get());
    /* Only a viewer that has not started yet asks for a key frame: one
     * that never reads must not make the encoder send key frames for all. */
    someone_waits |= !client->dead && !client->queue.started();
  }
  if (someone_waits)
    request_key_frame(srv);
  sweep_clients(srv);
  return G_SOURCE_CONTINUE;
}

static gboolean wake_dispatch(GSource *source, GSourceFunc callback, gpointer data) {
  (void)source;
  return callback(data);
}

static GSourceFuncs wake_funcs = {nullptr, nullptr, wake_dispatch, nullptr, nullptr, nullptr};

static void emit_notices(NetServer *srv) {
  std::vector<ClientNotice> notices;
  {
    std::lock_guard lock(srv->clients_mutex);
    notices.swap(srv->notices);
  }
  for (auto &n : notices) {
    if (n.added)
      g_signal_emit(srv->sink, signals[SIGNAL_CLIENT_ADDED], 0, n.peer);
    else
      g_signal_emit(srv->sink, signals[SIGNAL_CLIENT_REMOVED], 0, n.peer, n.reason.c_str());
    g_object_unref(n.peer);
  }
}

static gboolean on_notify(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  g_source_set_ready_time(srv->notify, -1);
  emit_notices(srv);
  return G_SOURCE_CONTINUE;
}

static gboolean post_stats(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  GstStructure *s = server_stats(srv);
  gst_element_post_message(GST_ELEMENT(srv->sink),
                           gst_message_new_element(GST_OBJECT(srv->sink), s));
  return G_SOURCE_CONTINUE;
}

/* The certificate and its key, or why they cannot serve. */
static GTlsCertificate *load_certificate(const SinkSettings &st, std::string &error) {
  GError *err = nullptr;
  /* Without tls-key, the certificate file holds the key too. */
  GTlsCertificate *cert =
      st.tls_key.empty()
          ? g_tls_certificate_new_from_file(st.tls_certificate.c_str(), &err)
          : g_tls_certificate_new_from_files(st.tls_certificate.c_str(), st.tls_key.c_str(), &err);
  if (!cert) {
    error = "cannot load the TLS certificate " + st.tls_certificate +
            (st.tls_key.empty() ? "" : " with key " + st.tls_key) + ": " +
            (err ? err->message : "unknown error");
    g_clear_error(&err);
    return nullptr;
  }
  gchar *key_pem = nullptr, *key_uri = nullptr;
  g_object_get(cert, "private-key-pem", &key_pem, "private-key-pkcs11-uri", &key_uri, nullptr);
  const bool has_key = key_pem || key_uri;
  g_free(key_pem);
  g_free(key_uri);
  if (!has_key) {
    error = "the TLS certificate " + st.tls_certificate +
            " comes without a private key: put it in the same file or set tls-key";
    g_object_unref(cert);
    return nullptr;
  }
  return cert;
}

struct TestHandshake {
  int pending = 2;
  GError *server_error = nullptr;
  GError *client_error = nullptr;
};

static void test_handshake_done(GObject *source, GAsyncResult *res, gpointer data) {
  auto *t = static_cast<TestHandshake *>(data);
  GError **err = G_IS_TLS_SERVER_CONNECTION(source) ? &t->server_error : &t->client_error;
  g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, err);
  t->pending--;
}

/* GIO loads a certificate and a key that do not belong together without a
 * word, and then every viewer's handshake fails. A handshake with ourselves
 * over a socket pair tells at start: the client's check of the server's
 * signature fails. Runs on the server thread's context. */
static bool key_fits_certificate(NetServer *srv, std::string &error) {
  const SinkSettings &st = srv->settings;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    error = std::string("cannot check the TLS certificate: ") + g_strerror(errno);
    return false;
  }
  GSocketConnection *ends[2] = {};
  for (int i = 0; i < 2; ++i) {
    GSocket *socket = g_socket_new_from_fd(fds[i], nullptr);
    if (!socket) {
      close(fds[i]);
      continue;
    }
    ends[i] = g_socket_connection_factory_create_connection(socket);
    g_object_unref(socket);
  }
  GIOStream *server =
      ends[0] ? g_tls_server_connection_new(G_IO_STREAM(ends[0]), srv->certificate, nullptr)
              : nullptr;
  GIOStream *client =
      ends[1] ? g_tls_client_connection_new(G_IO_STREAM(ends[1]), nullptr, nullptr) : nullptr;
  bool ok = false;
  if (server && client) {
    g_signal_connect(client, "accept-certificate",
                     G_CALLBACK(+[](GTlsConnection *, GTlsCertificate *, GTlsCertificateFlags,
                                    gpointer) -> gboolean { return TRUE; }),
                     nullptr);
    TestHandshake t;
    GCancellable *cancel = g_cancellable_new();
    g_tls_connection_handshake_async(G_TLS_CONNECTION(server), G_PRIORITY_DEFAULT, cancel,
                                     test_handshake_done, &t);
    g_tls_connection_handshake_async(G_TLS_CONNECTION(client), G_PRIORITY_DEFAULT, cancel,
                                     test_handshake_done, &t);
    /* A side that failed closes its end, so the other one ends too; the
     * deadline is for a TLS library that would not. */
    GSource *timer = g_timeout_source_new_seconds(10);
    g_source_set_callback(
        timer,
        +[](gpointer c) -> gboolean {
          g_cancellable_cancel(static_cast<GCancellable *>(c));
          return G_SOURCE_REMOVE;
        },
        cancel, nullptr);
    g_source_attach(timer, srv->context);
    while (t.pending > 0) {
      g_main_context_iteration(srv->context, TRUE);
      if (t.pending == 1 && (t.server_error || t.client_error))
        g_socket_shutdown(g_socket_connection_get_socket(ends[t.server_error ? 0 : 1]), TRUE, TRUE,
                          nullptr);
    }
    g_source_destroy(timer);
    g_source_unref(timer);
    g_object_unref(cancel);
    ok = !t.server_error && !t.client_error;
    if (!ok) {
      const std::string key = st.tls_key.empty() ? st.tls_certificate : st.tls_key;
      error = "the TLS key " + key + " does not match the certificate " + st.tls_certificate +
              ": a handshake with them fails (" +
              (t.client_error ? t.client_error : t.server_error)->message + ")";
    }
    g_clear_error(&t.server_error);
    g_clear_error(&t.client_error);
  } else {
    error = "cannot check the TLS certificate " + st.tls_certificate;
  }
  if (server)
    g_io_stream_close(server, nullptr, nullptr);
  if (client)
    g_io_stream_close(client, nullptr, nullptr);
  g_clear_object(&server);
  g_clear_object(&client);
  g_clear_object(&ends[0]);
  g_clear_object(&ends[1]);
  return ok;
}

static bool listen_server(NetServer *srv, std::string &error) {
  const SinkSettings &st = srv->settings;
  if (!st.tls_certificate.empty()) {
    srv->certificate = load_certificate(st, error);
    if (!srv->certificate || !key_fits_certificate(srv, error))
      return false;
  }
  GSocketAddress *addr = g_inet_socket_address_new_from_string(st.address.c_str(), st.port);
  if (!addr) {
    error = "address '" + st.address + "' is not an IP address";
    return false;
  }
  GError *err = nullptr;
  srv->listener = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &err);
  bool ok = srv->listener != nullptr;
  if (ok) {
    g_socket_set_blocking(srv->listener, FALSE);
    g_socket_set_listen_backlog(srv->listener, LISTEN_BACKLOG);
    ok = g_socket_bind(srv->listener, addr, TRUE, &err) && g_socket_listen(srv->listener, &err);
  }
  g_object_unref(addr);
  if (!ok) {
    error = "cannot listen on " + st.address + ":" + std::to_string(st.port) + ": " + err->message;
    g_clear_error(&err);
    return false;
  }
  if (GSocketAddress *local = g_socket_get_local_address(srv->listener, nullptr)) {
    srv->bound_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
  }
  srv->soup = soup_server_new("server-header", "quadnetsink", nullptr);
  soup_server_add_early_handler(srv->soup, nullptr, early_request, srv, nullptr);
  soup_server_add_handler(srv->soup, nullptr, handle_request, srv, nullptr);
  start_accepting(srv);
  /* A quarter of the timeout between checks: no request outlives it by
   * more than that. */
  const auto timeout_ms = static_cast<guint>(st.request_timeout_us / 1000);
  srv->deadline_source = g_timeout_source_new(std::max(10u, timeout_ms / 4));
  g_source_set_callback(srv->deadline_source, expire_connections, srv, nullptr);
  g_source_attach(srv->deadline_source, srv->context);
  return true;
}

static gpointer server_thread(gpointer data) {
  auto *srv = static_cast<NetServer *>(data);
  g_main_context_push_thread_default(srv->context);
  srv->notify = g_source_new(&wake_funcs, sizeof(GSource));
  g_source_set_callback(srv->notify, on_notify, srv, nullptr);
  g_source_attach(srv->notify, srv->context);
  std::string error;
  const bool ok = listen_server(srv, error);
  if (ok) {
    srv->wake = g_source_new(&wake_funcs, sizeof(GSource));
    g_source_set_callback(srv->wake, on_wake, srv, nullptr);
    g_source_attach(srv->wake, srv->context);
    if (srv->settings.stats_interval_ms > 0) {
      srv->stats_source = g_timeout_source_new(srv->settings.stats_interval_ms);
      g_source_set_callback(srv->stats_source, post_stats, srv, nullptr);
      g_source_attach(srv->stats_source, srv->context);
    }
  }
  {
    std::lock_guard lock(srv->start_mutex);
    srv->started = true;
    srv->start_error = error;
    srv->start_cond.notify_all();
  }
  if (ok)
    g_main_loop_run(srv->loop);

  /* Shutdown, on the thread that owns the server. */
  {
    std::lock_guard lock(srv->clients_mutex);
    for (auto &client : srv->clients)
      drop_client(client.get(), "sink stopped");
    srv->clients.clear();
  }
  emit_notices(srv);
  g_source_destroy(srv->notify);
  g_source_unref(srv->notify);
  for (GSource **source : {&srv->accept_source, &srv->accept_retry, &srv->deadline_source}) {
    if (*source) {
      g_source_destroy(*source);
      g_source_unref(*source);
      *source = nullptr;
    }
  }
  if (srv->listener) {
    g_socket_close(srv->listener, nullptr);
    g_clear_object(&srv->listener);
  }
  if (srv->soup) {
    soup_server_disconnect(srv->soup);
    g_clear_object(&srv->soup);
  }
  if (srv->wake) {
    g_source_destroy(srv->wake);
    g_source_unref(srv->wake);
  }
  if (srv->stats_source) {
    g_source_destroy(srv->stats_source);
    g_source_unref(srv->stats_source);
  }
  /* Closes finish on this context (TLS ones send close_notify): wait for
   * them, a bounded time, then let libsoup's own teardown run. */
  const gint64 deadline = g_get_monotonic_time() + CLOSE_TIMEOUT_US;
  while (srv->pending_closes > 0 && g_get_monotonic_time() < deadline) {
    GSource *tick = g_timeout_source_new(10);
    g_source_set_callback(tick, G_SOURCE_FUNC(+[](gpointer) { return G_SOURCE_REMOVE; }), nullptr,
                          nullptr);
    g_source_attach(tick, srv->context);
    g_main_context_iteration(srv->context, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
  }
  while (g_main_context_iteration(srv->context, FALSE))
    ;
  /* Whatever still holds a connection must not call back into srv. */
  for (auto &entry : srv->connections)
    g_object_weak_unref(G_OBJECT(entry.first), connection_gone, srv);
  srv->connections.clear();
  g_clear_object(&srv->certificate);
  g_main_context_pop_thread_default(srv->context);
  return nullptr;
}

/* ---- GstBaseSink ---- */

static gboolean quit_loop(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop *>(loop));
  return G_SOURCE_REMOVE;
}

/* Quits from inside the loop: a quit before g_main_loop_run() starts would
 * be lost. */
static void quit_from_loop(GMainContext *context, GMainLoop *loop) {
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, quit_loop, loop, nullptr);
  g_source_attach(source, context);
  g_source_unref(source);
}

static gboolean gst_quad_net_sink_start(GstBaseSink *bsink) {
  auto *self = GST_QUAD_NET_SINK(bsink);
  auto *srv = new NetServer();
  srv->sink = self;
  GST_OBJECT_LOCK(self);
  srv->settings = self->settings;
  GST_OBJECT_UNLOCK(self);
  if (!srv->settings.tls_key.empty() && srv->settings.tls_certificate.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("tls-key is set but tls-certificate is not"),
                      (nullptr));
    delete srv;
    return FALSE;
  }
  srv->context = g_main_context_new();
  srv->loop = g_main_loop_new(srv->context, FALSE);
  srv->thread = g_thread_new("quadnetsink", server_thread, srv);
  {
    std::unique_lock lock(srv->start_mutex);
    srv->start_cond.wait(lock, [srv] { return srv->started; });
  }
  if (!srv->start_error.empty()) {
    g_thread_join(srv->thread);
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", srv->start_error.c_str()), (nullptr));
    g_main_loop_unref(srv->loop);
    g_main_context_unref(srv->context);
    delete srv;
    return FALSE;
  }
  GST_INFO_OBJECT(self, "serving on %s://%s:%u/",
                  srv->settings.tls_certificate.empty() ? "http" : "https",
                  srv->settings.address.c_str(), srv->bound_port);
  g_mutex_lock(&self->server_lock);
  GST_OBJECT_LOCK(self);
  self->server = srv;
  GST_OBJECT_UNLOCK(self);
  g_mutex_unlock(&self->server_lock);
  self->sequence = 0;
  self->parameter_sets.clear();
  self->codec_string.clear();
  g_object_notify(G_OBJECT(self), "current-port");
  return TRUE;
}

static gboolean gst_quad_net_sink_stop(GstBaseSink *bsink) {
  auto *self = GST_QUAD_NET_SINK(bsink);
  GST_OBJECT_LOCK(self);
  NetServer *srv = self->server;
  GST_OBJECT_UNLOCK(self);
  if (!srv)
    return TRUE;
  quit_from_loop(srv->context, srv->loop);
  g_thread_join(srv->thread);
  g_mutex_lock(&self->server_lock);
  GST_OBJECT_LOCK(self);
  self->server = nullptr;
  GST_OBJECT_UNLOCK(self);
  g_mutex_unlock(&self->server_lock);
  g_main_loop_unref(srv->loop);
  g_main_context_unref(srv->context);
  delete srv;
  return TRUE;
}

static void hand_off_info(GstQuadNetSink *self) {
  std::lock_guard lock(self->server->handoff.mutex);
  self->server->handoff.info = self->info;
}

static gboolean gst_quad_net_sink_set_caps(GstBaseSink *bsink, GstCaps *caps) {
  auto *self = GST_QUAD_NET_SINK(bsink);
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  self->codec = gst_structure_has_name(s, "video/x-h265") ? Codec::kH265 : Codec::kH264;
  self->avc = !g_strcmp0(gst_structure_get_string(s, "stream-format"), "avc");
  self->avc_length_size = 4;
  if (self->avc) {
    const GValue *v = gst_structure_get_value(s, "codec_data");
    GstBuffer *cd = v ? gst_value_get_buffer(v) : nullptr;
    GstMapInfo map;
    if (!cd || !gst_buffer_map(cd, &map, GST_MAP_READ)) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("avc stream without codec_data"), (nullptr));
      return FALSE;
    }
    auto config = quad::net::parse_avcc({map.data, map.size});
    gst_buffer_unmap(cd, &map);
    if (!config) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("malformed avcC codec_data"), (nullptr));
      return FALSE;
    }
    self->avc_length_size = config->length_size;
    self->parameter_sets = config->parameter_sets_annexb;
    const auto info = quad::net::inspect_annexb(Codec::kH264, self->parameter_sets);
    if (info.codec_string)
      self->codec_string = *info.codec_string;
  }
  StreamInfo info;
  info.codec = self->codec;
  info.codec_string = self->codec_string;
  gst_structure_get_int(s, "width", &info.width);
  gst_structure_get_int(s, "height", &info.height);
  if (!gst_structure_get_fraction(s, "framerate", &info.fps_n, &info.fps_d)) {
    info.fps_n = 0;
    info.fps_d = 1;
  }
  self->info = info;
  if (!self->codec_string.empty())
    hand_off_info(self);
  return TRUE;
}

/* Keeps a mapped buffer alive for as long as any viewer's queue holds it. */
struct MappedBuffer {
  MappedBuffer(GstBuffer *b, const GstMapInfo &m) : buffer(b), map(m) {}
  MappedBuffer(const MappedBuffer &) = delete;
  MappedBuffer &operator=(const MappedBuffer &) = delete;
  GstBuffer *buffer;
  GstMapInfo map;
  ~MappedBuffer() {
    gst_buffer_unmap(buffer, &map);
    gst_buffer_unref(buffer);
  }
};

static GstFlowReturn gst_quad_net_sink_render(GstBaseSink *bsink, GstBuffer *buf) {
  auto *self = GST_QUAD_NET_SINK(bsink);
  NetServer *srv = self->server;
  auto au = std::make_shared<AccessUnit>();
  au->arrival_us = static_cast<guint64>(g_get_monotonic_time());

  std::span<const uint8_t> bytes;
  std::shared_ptr<std::vector<uint8_t>> converted;
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("cannot map buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  auto mapped = std::make_shared<MappedBuffer>(gst_buffer_ref(buf), map);
  if (self->avc) {
    converted = std::make_shared<std::vector<uint8_t>>();
    if (!quad::net::avc_to_annexb({mapped->map.data, mapped->map.size}, self->avc_length_size,
                                  *converted)) {
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("malformed avc access unit dropped"), (nullptr));
      return GST_FLOW_OK;
    }
    mapped.reset();
  }
  bytes = converted ? std::span<const uint8_t>(*converted)
                    : std::span<const uint8_t>(mapped->map.data, mapped->map.size);

  const auto info = quad::net::inspect_annexb(self->codec, bytes);
  bool config = info.parameter_sets;
  if (info.parameter_sets && !self->avc)
    self->parameter_sets = quad::net::extract_parameter_sets(self->codec, bytes);
  if (info.key && !info.parameter_sets && !self->parameter_sets.empty()) {
    /* A viewer starting here needs the parameter sets in the same message. */
    auto with_ps = std::make_shared<std::vector<uint8_t>>(self->parameter_sets);
    with_ps->insert(with_ps->end(), bytes.begin(), bytes.end());
    converted = with_ps;
    mapped.reset();
    bytes = *converted;
    config = true;
  }
  if (converted)
    au->owner = converted;
  else
    au->owner = mapped;
  au->bytes = bytes;
  if (info.codec_string && *info.codec_string != self->codec_string) {
    self->codec_string = *info.codec_string;
    self->info.codec_string = self->codec_string;
    hand_off_info(self);
  }

  auto &h = au->header;
  h.sequence = self->sequence++;
  guint64 running =
      GST_BUFFER_PTS_IS_VALID(buf)
          ? gst_segment_to_running_time(&bsink->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf))
          : GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID(running)) {
    GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
    running = clock ? gst_clock_get_time(clock) - gst_element_get_base_time(GST_ELEMENT(self)) : 0;
    if (clock)
      gst_object_unref(clock);
  }
  h.pts_us = running / 1000;
  if (info.key)
    h.flags |= qflags::kKeyFrame;
  if (config)
    h.flags |= qflags::kCodecConfig;
  if (GstReferenceTimestampMeta *meta =
          gst_buffer_get_reference_timestamp_meta(buf, self->unix_caps)) {
    h.capture_us = meta->timestamp / 1000;
    h.flags |= qflags::kCaptureTime;
  }
  if (self->codec_string.empty()) {
    GST_WARNING_OBJECT(self, "no parameter sets seen yet: access unit %u dropped", h.sequence);
    return GST_FLOW_OK;
  }
  {
    std::lock_guard lock(srv->handoff.mutex);
    srv->handoff.units.push_back(std::move(au));
  }
  /* Thread-safe wake-up of the server thread; nothing here waits for it. */
  g_source_set_ready_time(srv->wake, 0);
  return GST_FLOW_OK;
}

/* ---- GObject ---- */

static void set_string(std::string &field, const GValue *value) {
  const gchar *s = g_value_get_string(value);
  field = s ? s : "";
}

static void gst_quad_net_sink_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_QUAD_NET_SINK(object);
  GST_OBJECT_LOCK(self);
  SinkSettings &st = self->settings;
  switch (prop_id) {
  case PROP_ADDRESS:
    set_string(st.address, value);
    if (st.address.empty())
      st.address = DEFAULT_ADDRESS;
    break;
  case PROP_PORT:
    st.port = g_value_get_uint(value);
    break;
  case PROP_MAX_LAG:
    st.max_lag_us = g_value_get_uint(value) * 1000ull;
    break;
  case PROP_MAX_CLIENTS:
    st.max_clients = g_value_get_uint(value);
    break;
  case PROP_AUTH_TOKEN:
    set_string(st.auth_token, value);
    break;
  case PROP_TLS_CERTIFICATE:
    set_string(st.tls_certificate, value);
    break;
  case PROP_TLS_KEY:
    set_string(st.tls_key, value);
    break;
  case PROP_KEY_REQUEST_INTERVAL:
    st.key_request_interval_us = g_value_get_uint(value) * 1000ll;
    break;
  case PROP_STATS_INTERVAL:
    st.stats_interval_ms = g_value_get_uint(value);
    break;
  case PROP_MAX_CLIENT_MESSAGE:
    st.max_client_message = g_value_get_uint(value);
    break;
  case PROP_MAX_CONNECTIONS:
    st.max_connections = g_value_get_uint(value);
    break;
  case PROP_REQUEST_TIMEOUT:
    st.request_timeout_us = g_value_get_uint(value) * 1000ll;
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_net_sink_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_QUAD_NET_SINK(object);
  if (prop_id == PROP_STATS) {
    g_mutex_lock(&self->server_lock);
    g_value_take_boxed(value, self->server ? server_stats(self->server) : idle_stats());
    g_mutex_unlock(&self->server_lock);
    return;
  }
  if (prop_id == PROP_CURRENT_PORT) {
    g_mutex_lock(&self->server_lock);
    g_value_set_int(value, self->server ? static_cast<gint>(self->server->bound_port) : 0);
    g_mutex_unlock(&self->server_lock);
    return;
  }
  GST_OBJECT_LOCK(self);
  const SinkSettings &st = self->settings;
  auto str = [](const std::string &s) { return s.empty() ? nullptr : s.c_str(); };
  switch (prop_id) {
  case PROP_ADDRESS:
    g_value_set_string(value, st.address.c_str());
    break;
  case PROP_PORT:
    g_value_set_uint(value, st.port);
    break;
  case PROP_MAX_LAG:
    g_value_set_uint(value, static_cast<guint>(st.max_lag_us / 1000));
    break;
  case PROP_MAX_CLIENTS:
    g_value_set_uint(value, st.max_clients);
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string(value, str(st.auth_token));
    break;
  case PROP_TLS_CERTIFICATE:
    g_value_set_string(value, str(st.tls_certificate));
    break;
  case PROP_TLS_KEY:
    g_value_set_string(value, str(st.tls_key));
    break;
  case PROP_KEY_REQUEST_INTERVAL:
    g_value_set_uint(value, static_cast<guint>(st.key_request_interval_us / 1000));
    break;
  case PROP_STATS_INTERVAL:
    g_value_set_uint(value, st.stats_interval_ms);
    break;
  case PROP_MAX_CLIENT_MESSAGE:
    g_value_set_uint(value, st.max_client_message);
    break;
  case PROP_MAX_CONNECTIONS:
    g_value_set_uint(value, st.max_connections);
    break;
  case PROP_REQUEST_TIMEOUT:
    g_value_set_uint(value, static_cast<guint>(st.request_timeout_us / 1000));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_quad_net_sink_finalize(GObject *object) {
  auto *self = GST_QUAD_NET_SINK(object);
  gst_caps_unref(self->unix_caps);
  g_mutex_clear(&self->server_lock);
  self->settings.~SinkSettings();
  self->parameter_sets.~vector();
  self->codec_string.~basic_string();
  self->info.~StreamInfo();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_quad_net_sink_init(GstQuadNetSink *self) {
  new (&self->settings) SinkSettings();
  self->settings.address = DEFAULT_ADDRESS;
  new (&self->parameter_sets) std::vector<uint8_t>();
  new (&self->codec_string) std::string();
  new (&self->info) StreamInfo();
  self->server = nullptr;
  g_mutex_init(&self->server_lock);
  self->codec = Codec::kH264;
  self->avc = false;
  self->avc_length_size = 4;
  self->sequence = 0;
  self->unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  /* Each access unit goes out when it arrives: waiting for the clock would
   * only add latency for viewers who buffer anyway. */
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}

static void gst_quad_net_sink_class_init(GstQuadNetSinkClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_quad_net_sink_set_property;
  gobject_class->get_property = gst_quad_net_sink_get_property;
  gobject_class->finalize = gst_quad_net_sink_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_ADDRESS,
      g_param_spec_string("address", "Address", "IP address to listen on", DEFAULT_ADDRESS, rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port to listen on; 0 picks a free one (current-port says which)", 0,
                        65535, DEFAULT_PORT, rw));
  g_object_class_install_property(
      gobject_class, PROP_CURRENT_PORT,
      g_param_spec_int("current-port", "Current port",
                       "The port the server listens on while started (the one picked when port "
                       "is 0); 0 when stopped",
                       0, 65535, 0,
                       static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_MAX_LAG,
      g_param_spec_uint("max-lag", "Maximum lag",
                        "Milliseconds a viewer's oldest unsent access unit may wait before the "
                        "viewer is skipped forward to the next key frame",
                        1, MAX_MAX_LAG, DEFAULT_MAX_LAG, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENTS,
      g_param_spec_uint("max-clients", "Maximum clients",
                        "WebSocket viewers served at once; more are answered 503", 1,
                        MAX_MAX_CLIENTS, DEFAULT_MAX_CLIENTS, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string("auth-token", "Authentication token",
                          "When set, requests must carry it (?token=... or 'Authorization: "
                          "Bearer ...'), otherwise they are answered 401. When unset, only "
                          "requests that name the host by address or as localhost, and pages "
                          "of the sink's own origin, are served (403 otherwise)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_TLS_CERTIFICATE,
      g_param_spec_string("tls-certificate", "TLS certificate",
                          "PEM file with the server certificate (and key, unless tls-key is "
                          "set); when set, the server speaks https and wss only",
                          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_TLS_KEY,
                                  g_param_spec_string("tls-key", "TLS key",
                                                      "PEM file with the certificate's private key",
                                                      nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_KEY_REQUEST_INTERVAL,
      g_param_spec_uint("key-request-interval", "Key request interval",
                        "Least milliseconds between two key-frame requests upstream (sent while "
                        "a joining viewer waits for its first key frame); 0: never ask",
                        0, MAX_INTERVAL, DEFAULT_KEY_REQUEST_INTERVAL, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats interval",
                        "Milliseconds between element messages carrying the stats; 0: none", 0,
                        MAX_INTERVAL, DEFAULT_STATS_INTERVAL, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENT_MESSAGE,
      g_param_spec_uint("max-client-message", "Maximum client message",
                        "Largest WebSocket frame a viewer may send, in bytes; a larger one "
                        "closes the connection with code 1009",
                        125, MAX_MAX_CLIENT_MESSAGE, DEFAULT_MAX_CLIENT_MESSAGE, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CONNECTIONS,
      g_param_spec_uint("max-connections", "Maximum connections",
                        "TCP connections open at once, viewers and HTTP requests together; "
                        "more are closed as soon as they are accepted (plain HTTP gets a 503 "
                        "first). Keeps a burst of connections from taking every file descriptor",
                        1, MAX_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, rw));
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint("request-timeout", "Request timeout",
                        "Milliseconds a connection has, from its accept, to complete its TLS "
                        "handshake and its HTTP request and get the answer (or become a viewer); "
                        "a connection idle or incomplete for longer is closed",
                        MIN_REQUEST_TIMEOUT, MAX_INTERVAL, DEFAULT_REQUEST_TIMEOUT, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "clients, accepted, closed, bytes, skips, skipped-units, max-lag-ms, "
                         "units-in, key-requests, rejected-* counts (auth, not-found, full, "
                         "bad-request, forbidden, connections), timed-out, accept-errors, "
                         "connections (open TCP), protocol-errors, and per-client (id, peer, "
                         "lag-ms, queued, bytes, units, skips)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstQuadNetSink::client-added:
   * @sink: the quadnetsink
   * @peer: the viewer's address (a #GInetSocketAddress)
   *
   * A WebSocket viewer joined. Emitted from the server thread.
   */
  signals[SIGNAL_CLIENT_ADDED] =
      g_signal_new("client-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                   nullptr, G_TYPE_NONE, 1, G_TYPE_SOCKET_ADDRESS);
  /**
   * GstQuadNetSink::client-removed:
   * @sink: the quadnetsink
   * @peer: the viewer's address, as client-added gave it
   * @reason: why it went ("peer closed the connection", "closed", "sink stopped", ...)
   *
   * A WebSocket viewer is gone. Emitted from the server thread, once for
   * every client-added, the last ones while the sink stops.
   */
  signals[SIGNAL_CLIENT_REMOVED] =
      g_signal_new("client-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                   nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_SOCKET_ADDRESS, G_TYPE_STRING);

  gst_element_class_set_static_metadata(
      element_class, "Quad network sink", "Sink/Network/Video",
      "Serves H.264/H.265 over WebSocket to browsers (built-in WebCodecs player) and "
      "quadnetsrc, skipping slow viewers to the next key frame",
      "gst-quad developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);

  basesink_class->start = GST_DEBUG_FUNCPTR(gst_quad_net_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_quad_net_sink_stop);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_quad_net_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_quad_net_sink_render);

  GST_DEBUG_CATEGORY_INIT(gst_quad_net_sink_debug, "quadnetsink", 0,
                          "HTTP + WebSocket live video server");
}
