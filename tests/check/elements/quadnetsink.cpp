/* quadnetsink on 127.0.0.1: every access unit reaches a healthy viewer, a
 * viewer that never reads is skipped forward without hurting others, bad
 * requests get the right answer, no client leaks, TLS, H.265. */
#include <memory>
#include <mutex>

#include <sys/resource.h>

#include "quadnet_check.h"

#include <gio/gio.h>

/* ---- tests ---- */

GST_START_TEST(test_healthy_client_gets_every_unit) {
  AppSink app;
  RawClient c;
  upgrade_ok(c, app.port);
  fail_unless(app.wait_stat("clients", 1));
  const guint n = 300, gop = 30;
  for (guint i = 0; i < n; ++i)
    app.push(i, gop, 2000 + i * 37);
  /* The first message the client gets is the stream info, once caps are
   * known; then every unit in order. */
  expect_stream_info(c);
  for (guint i = 0; i < n; ++i) {
    const Frame f = c.read_frame();
    fail_unless_equals_int(f.opcode, 2);
    const Unit u = parse_unit(f);
    fail_unless_equals_int(u.kind, 0);
    fail_unless_equals_int(u.sequence, i);
    fail_unless_equals_int(u.skipped, 0);
    fail_unless_equals_int(u.flags & 4, 0);
    fail_unless_equals_int((u.flags & 1) != 0, i % gop == 0);
    fail_unless_equals_int((u.flags & 2) != 0, i % gop == 0);
    fail_unless(u.flags & 8);
    fail_unless_equals_uint64(u.capture_us, (1700000000ull * GST_SECOND + i) / 1000);
    fail_unless(u.payload_size >= 2000 + i * 37);
  }
  fail_unless_equals_uint64(app.stat("skips"), 0);
}
GST_END_TEST;

GST_START_TEST(test_never_reading_client_is_skipped_others_keep_everything) {
  AppSink app("max-lag=50");
  RawClient stuck, healthy;
  /* A small receive window makes the stuck viewer's socket fill fast. */
  fail_unless(stuck.connect_to(app.port, 4096));
  fail_unless_equals_int(stuck.upgrade("/stream"), 101);
  upgrade_ok(healthy, app.port);
  fail_unless(app.wait_stat("clients", 2));

  const guint n = 400, gop = 20;
  std::atomic<guint> received{0};
  std::atomic<bool> ordered{true};
  std::thread reader([&] {
    expect_stream_info(healthy);
    for (guint i = 0; i < n; ++i) {
      const Frame f = healthy.read_frame(20000);
      if (f.opcode != 2 || parse_unit(f).sequence != i || parse_unit(f).flags & 4) {
        ordered = false;
        return;
      }
      received++;
    }
  });
  /* 100 KB units every 2 ms: 400 Mbit/s, far more than the stuck client's
   * window, never more than the healthy one reads. */
  const gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < n; ++i) {
    app.push(i, gop, 100000);
    g_usleep(2000);
  }
  const gint64 push_us = g_get_monotonic_time() - start;
  reader.join();
  fail_unless(ordered, "healthy client lost or reordered units (got %u)", received.load());
  fail_unless_equals_int(received.load(), n);
  /* The streaming thread never waited for the stuck viewer. */
  fail_unless(push_us < 10 * G_USEC_PER_SEC, "pushing took %" G_GINT64_FORMAT " us", push_us);

  GstStructure *s = nullptr;
  g_object_get(app.sink, "stats", &s, nullptr);
  guint64 skips = 0, skipped = 0;
  gst_structure_get_uint64(s, "skips", &skips);
  gst_structure_get_uint64(s, "skipped-units", &skipped);
  fail_unless(skips >= 1, "the stuck client was never skipped: %" GST_PTR_FORMAT, s);
  fail_unless(skipped >= 100, "%" GST_PTR_FORMAT, s);
  gst_structure_free(s);

  /* The stuck viewer, once it reads, sees a consistent stream: units in
   * order, and after a gap a key frame flagged discont that counts the gap.
   * The next group of pictures starts at unit n. */
  for (guint i = n; i < n + 3; ++i)
    app.push(i, gop, 1000);
  expect_stream_info(stuck);
  guint64 expected = 0, gaps = 0;
  for (;;) {
    const Frame f = stuck.read_frame(500);
    if (f.opcode < 0)
      break;
    const Unit u = parse_unit(f);
    if (u.sequence != expected) {
      fail_unless(u.flags & 4, "gap at %u without discont", u.sequence);
      fail_unless(u.flags & 1, "resumed at %u, not a key frame", u.sequence);
      fail_unless_equals_uint64(u.skipped, u.sequence - expected);
      gaps++;
    }
    expected = u.sequence + 1;
  }
  fail_unless_equals_uint64(expected, n + 3);
  fail_unless(gaps >= 1, "no gap in what the stuck client got (last %" G_GUINT64_FORMAT ")",
              expected);
}
GST_END_TEST;

GST_START_TEST(test_late_joiner_starts_at_key_frame) {
  AppSink app("max-lag=60000 key-request-interval=0");
  for (guint i = 0; i < 25; ++i)
    app.push(i, 10, 500);
  fail_unless(app.wait_stat("units-in", 25));
  RawClient c;
  upgrade_ok(c, app.port);
  /* Joined after unit 24: served the cached group of pictures from key 20. */
  expect_stream_info(c);
  for (guint i = 20; i < 25; ++i) {
    const Unit u = parse_unit(c.read_frame());
    fail_unless_equals_int(u.sequence, i);
    fail_unless_equals_int((u.flags & 1) != 0, i == 20);
    fail_unless_equals_int(u.flags & 4, 0);
  }
  app.push(25, 10, 500);
  fail_unless_equals_int(parse_unit(c.read_frame()).sequence, 25);
}
GST_END_TEST;

GST_START_TEST(test_http_answers) {
  AppSink app;
  app.push(0, 10, 500);
  auto status_of = [&](const std::string &req) {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    return c.request(req);
  };
  fail_unless_equals_int(status_of("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
  fail_unless_equals_int(status_of("GET /nothing/here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 404);
  fail_unless_equals_int(status_of("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 400);
  fail_unless_equals_int(
      status_of("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"), 405);
  /* Garbage instead of HTTP gets an error answer or a closed socket. */
  {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    static const char garbage[] = "\x01\x02 garbage \xff\r\n\r\n";
    const int status = c.request(std::string(garbage, sizeof(garbage) - 1));
    fail_unless(status == 0 || status == 400, "status %d", status);
  }
  /* Bad WebSocket version. */
  fail_unless_equals_int(
      status_of("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: abc\r\n"
                "Sec-WebSocket-Version: 7\r\n\r\n"),
      400);
  /* The page is the player. */
  {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    fail_unless_equals_int(c.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
    fail_unless(c.response_headers().find("text/html") != std::string::npos);
  }
  fail_unless_equals_uint64(app.stat("rejected-not-found"), 1);
  /* And the sink still serves. */
  RawClient c;
  upgrade_ok(c, app.port);
  expect_stream_info(c);
  fail_unless_equals_int(parse_unit(c.read_frame()).sequence, 0);
}
GST_END_TEST;

GST_START_TEST(test_auth_token) {
  AppSink app("auth-token=s3cret");
  app.push(0, 10, 500);
  auto upgrade_status = [&](const std::string &path, const std::string &extra = "") {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    return c.upgrade(path, extra);
  };
  fail_unless_equals_int(upgrade_status("/stream"), 401);
  fail_unless_equals_int(upgrade_status("/stream?token=wrong"), 401);
  fail_unless_equals_int(upgrade_status("/stream?token=s3cre"), 401);
  fail_unless_equals_int(upgrade_status("/stream?token=s3cret0"), 401);
  fail_unless_equals_int(upgrade_status("/stream", "Authorization: Bearer nope\r\n"), 401);
  {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    fail_unless_equals_int(c.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 401);
  }
  fail_unless_equals_uint64(app.stat("rejected-auth"), 6);
  fail_unless_equals_int(upgrade_status("/stream", "Authorization: Bearer s3cret\r\n"), 101);
  RawClient c;
  upgrade_ok(c, app.port, "/stream?token=s3cret");
  expect_stream_info(c);
  fail_unless_equals_int(parse_unit(c.read_frame()).sequence, 0);
}
GST_END_TEST;

/* Each bad client message closes that connection with the right code. */
static void expect_close(AppSink &app, int code, const std::function<void(RawClient &)> &send) {
  RawClient c;
  upgrade_ok(c, app.port);
  expect_stream_info(c);
  send(c);
  for (;;) {
    const Frame f = c.read_frame();
    fail_unless(f.opcode >= 0, "no close frame for code %d", code);
    if (f.opcode != 8)
      continue;
    fail_unless(f.payload.size() >= 2);
    fail_unless_equals_int(static_cast<int>(be(f.payload.data(), 2)), code);
    break;
  }
  fail_unless(c.wait_eof(), "connection left open after close %d", code);
}

GST_START_TEST(test_bad_client_messages) {
  AppSink app("max-client-message=1000");
  app.push(0, 10, 500);
  expect_close(app, 1002, [](RawClient &c) { c.send_frame(2, {1, 2, 3}, false); });
  expect_close(app, 1002, [](RawClient &c) { c.send_frame(2, {1}, true, 0x80 | 0x40 | 2); });
  expect_close(app, 1002, [](RawClient &c) { c.send_frame(3, {1}); });
  expect_close(app, 1002, [](RawClient &c) { c.send_frame(9, {}, true, 0x09); });
  expect_close(app, 1009, [](RawClient &c) { c.send_frame(2, std::vector<guint8>(5000)); });
  expect_close(app, 1003, [](RawClient &c) { c.send_frame(1, {'h', 'i'}); });
  expect_close(app, 1000, [](RawClient &c) { c.send_frame(8, {0x03, 0xe8}); });
  /* Garbage bytes after the handshake. */
  expect_close(app, 1002, [](RawClient &c) { c.send_all("\x07\x00garbage", 9); });
  fail_unless_equals_uint64(app.stat("protocol-errors"), 7);

  /* A ping is answered with a pong carrying the same payload. */
  RawClient c;
  upgrade_ok(c, app.port);
  expect_stream_info(c);
  fail_unless_equals_int(parse_unit(c.read_frame()).sequence, 0);
  c.send_frame(9, {'a', 'b'});
  const Frame pong = c.read_frame();
  fail_unless_equals_int(pong.opcode, 10);
  fail_unless(pong.payload == std::vector<guint8>({'a', 'b'}));
  /* The sink kept serving through all of it. */
  app.push(1, 10, 500);
  fail_unless_equals_int(parse_unit(c.read_frame()).sequence, 1);
  fail_unless(app.wait_stat("clients", 1));
}
GST_END_TEST;

/* The stream description says how many viewers watch, again whenever it
 * changes (docs/quadnet-protocol.md). */
GST_START_TEST(test_viewer_count_in_stream_description) {
  AppSink app;
  app.push(0, 1000, 500);
  fail_unless(app.wait_stat("units-in", 1));
  auto viewers = [](const std::string &text) {
    const size_t at = text.find("viewers=");
    fail_unless(at != std::string::npos, "%s", text.c_str());
    return atoi(text.c_str() + at + 8);
  };
  RawClient a;
  upgrade_ok(a, app.port);
  fail_unless_equals_int(viewers(expect_stream_info(a)), 1);
  fail_unless_equals_int(parse_unit(a.read_frame()).sequence, 0);
  {
    RawClient b;
    upgrade_ok(b, app.port);
    fail_unless_equals_int(viewers(expect_stream_info(b)), 2);
    fail_unless_equals_int(viewers(read_description(a)), 2);
    b.say_goodbye();
  }
  fail_unless_equals_int(viewers(read_description(a)), 1);
  {
    /* One that leaves without a word counts as gone too. */
    RawClient c;
    upgrade_ok(c, app.port);
    fail_unless_equals_int(viewers(read_description(a)), 2);
  }
  fail_unless_equals_int(viewers(read_description(a)), 1);
  app.push(1, 1000, 500);
  fail_unless_equals_int(parse_unit(a.read_frame()).sequence, 1);

  /* A viewer that does not read gets its waiting description replaced:
   * 30 others coming and going leave it at most one more to read. */
  RawClient stuck;
  fail_unless(stuck.connect_to(app.port, 4096));
  fail_unless_equals_int(stuck.upgrade("/stream"), 101);
  fail_unless(app.wait_stat("clients", 2));
  /* Units until the kernel's buffers are full and its queue holds some. */
  const std::string stuck_peer = "127.0.0.1:" + std::to_string(stuck.local_port());
  auto stuck_queued = [&] {
    GstStructure *st = nullptr;
    g_object_get(app.sink, "stats", &st, nullptr);
    const GValue *list = gst_structure_get_value(st, "per-client");
    guint queued = 0;
    for (guint i = 0; i < gst_value_list_get_size(list); ++i) {
      const GstStructure *c = gst_value_get_structure(gst_value_list_get_value(list, i));
      if (stuck_peer == gst_structure_get_string(c, "peer"))
        gst_structure_get_uint(c, "queued", &queued);
    }
    gst_structure_free(st);
    return queued;
  };
  for (guint i = 2; i < 400 && stuck_queued() == 0; ++i) {
    app.push(i, 1000, 100000);
    fail_unless(app.wait_stat("units-in", i + 1));
  }
  fail_unless(stuck_queued() > 0);
  for (int i = 0; i < 30; ++i) {
    RawClient other;
    upgrade_ok(other, app.port);
    fail_unless(app.wait_stat("clients", 3));
    other.close_socket();
    fail_unless(app.wait_stat("clients", 2));
  }
  int descriptions = 0, last = -1;
  for (;;) {
    const Frame f = stuck.read_frame(500);
    if (f.opcode < 0)
      break;
    if (parse_unit(f).kind == 1) {
      descriptions++;
      last = viewers(std::string(f.payload.begin() + 28, f.payload.end()));
    }
  }
  fail_unless(descriptions >= 1 && descriptions <= 3, "%d descriptions", descriptions);
  fail_unless_equals_int(last, 2);
}
GST_END_TEST;

struct ClientEvents {
  std::mutex mutex;
  std::vector<guint> added, removed; /* peer ports */
  std::vector<std::string> reasons;
  bool all_local = true;

  size_t removed_count() {
    std::lock_guard lock(mutex);
    return removed.size();
  }
  size_t added_count() {
    std::lock_guard lock(mutex);
    return added.size();
  }
};

static guint peer_port(GSocketAddress *peer, ClientEvents *ev) {
  fail_unless(G_IS_INET_SOCKET_ADDRESS(peer));
  auto *inet = G_INET_SOCKET_ADDRESS(peer);
  gchar *host = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
  ev->all_local &= g_strcmp0(host, "127.0.0.1") == 0;
  g_free(host);
  return g_inet_socket_address_get_port(inet);
}

static bool wait_for(const std::function<bool()> &done) {
  for (int i = 0; i < 2000 && !done(); ++i)
    g_usleep(5000);
  return done();
}

/* current-port and the client signals, as tcpserversink has them. */
GST_START_TEST(test_current_port_and_client_signals) {
  AppSink app;
  guint port = 1;
  g_object_get(app.sink, "port", &port, nullptr);
  fail_unless_equals_int(port, 0); /* what was asked stays */
  fail_unless(app.port > 0);

  ClientEvents ev;
  g_signal_connect(app.sink, "client-added",
                   G_CALLBACK(+[](GstElement *, GSocketAddress *peer, gpointer d) {
                     auto *e = static_cast<ClientEvents *>(d);
                     std::lock_guard lock(e->mutex);
                     e->added.push_back(peer_port(peer, e));
                   }),
                   &ev);
  g_signal_connect(
      app.sink, "client-removed",
      G_CALLBACK(+[](GstElement *sink, GSocketAddress *peer, const gchar *reason, gpointer d) {
        auto *e = static_cast<ClientEvents *>(d);
        /* A handler may read the stats: no lock of the sink's is held. */
        GstStructure *s = nullptr;
        g_object_get(sink, "stats", &s, nullptr);
        gst_structure_free(s);
        std::lock_guard lock(e->mutex);
        e->removed.push_back(peer_port(peer, e));
        e->reasons.push_back(reason ? reason : "");
      }),
      &ev);
  RawClient a;
  upgrade_ok(a, app.port);
  fail_unless(wait_for([&] { return ev.added_count() == 1; }));
  guint b_port = 0;
  {
    RawClient b;
    upgrade_ok(b, app.port);
    b_port = b.local_port();
    fail_unless(wait_for([&] { return ev.added_count() == 2; }));
  }
  fail_unless(wait_for([&] { return ev.removed_count() == 1; }));
  /* A page request is no viewer. */
  RawClient page;
  fail_unless(page.connect_to(app.port));
  fail_unless_equals_int(page.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
  {
    std::lock_guard lock(ev.mutex);
    fail_unless_equals_int(ev.added[0], a.local_port());
    fail_unless_equals_int(ev.added[1], b_port);
    fail_unless_equals_int(ev.removed[0], b_port);
    fail_unless_equals_string(ev.reasons[0].c_str(), "peer closed the connection");
  }
  /* Viewers still there when the sink stops are removed too. */
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  std::lock_guard lock(ev.mutex);
  fail_unless_equals_int(ev.added.size(), 2);
  fail_unless_equals_int(ev.removed.size(), 2);
  fail_unless_equals_int(ev.removed[1], a.local_port());
  fail_unless_equals_string(ev.reasons[1].c_str(), "sink stopped");
  fail_unless(ev.all_local);
  fail_unless_equals_int(current_port(app.sink), 0);
}
GST_END_TEST;

GST_START_TEST(test_max_clients) {
  AppSink app("max-clients=2");
  RawClient a, b, c;
  upgrade_ok(a, app.port);
  upgrade_ok(b, app.port);
  fail_unless(c.connect_to(app.port));
  fail_unless_equals_int(c.upgrade("/stream"), 503);
  a.close_socket();
  fail_unless(app.wait_stat("clients", 1));
  RawClient d;
  upgrade_ok(d, app.port);
}
GST_END_TEST;

GST_START_TEST(test_connect_cycles_leak_nothing) {
  AppSink app("max-connections=60000");
  app.push(0, 10, 500);
  const int cycles = 1000;
  for (int i = 0; i < cycles; ++i) {
    RawClient c;
    upgrade_ok(c, app.port);
    /* Half leave abruptly, half say goodbye properly. */
    if (i % 2)
      c.send_frame(8, {0x03, 0xe8});
  }
  fail_unless(app.wait_stat("closed", cycles), "closed %" G_GUINT64_FORMAT, app.stat("closed"));
  fail_unless_equals_uint64(app.stat("accepted"), cycles);
  fail_unless_equals_uint64(app.stat("clients"), 0);
  fail_unless(app.wait_stat("connections", 0), "%" G_GUINT64_FORMAT " connections left open",
              app.stat("connections"));
}
GST_END_TEST;

/* Bodies are refused from the headers alone: the client below never sends
 * the 200 MB it announces, so an answer proves nothing was waited for. */
GST_START_TEST(test_request_bodies_refused_unread) {
  AppSink app("auth-token=s3cret");
  auto status_of = [&](const std::string &req) {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    const int status = c.request(req);
    fail_unless(c.wait_eof(), "connection kept open with an unread body");
    return status;
  };
  const std::string big = "Content-Length: 200000000\r\n\r\n";
  fail_unless_equals_int(status_of("POST /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big), 404);
  fail_unless_equals_int(status_of("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big), 405);
  fail_unless_equals_int(status_of("PUT /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big), 405);
  fail_unless_equals_int(
      status_of("POST /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
      405);
  fail_unless_equals_int(status_of("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big), 413);
  fail_unless_equals_int(
      status_of("GET /stream?token=s3cret HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big), 413);
  /* The sink still serves. */
  RawClient c;
  fail_unless(c.connect_to(app.port));
  fail_unless_equals_int(c.request("GET /?token=s3cret HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
}
GST_END_TEST;

GST_START_TEST(test_incomplete_and_idle_requests_time_out) {
  AppSink app("request-timeout=300");
  const gint64 start = g_get_monotonic_time();
  RawClient idle, partial, slow_body;
  fail_unless(idle.connect_to(app.port));
  fail_unless(partial.connect_to(app.port));
  fail_unless(partial.send_all("GET / HTTP/1.1\r\nHo", 19));
  fail_unless(idle.wait_eof(3000), "an idle connection was kept");
  fail_unless(partial.wait_eof(3000), "a half-sent request was kept");
  fail_unless(g_get_monotonic_time() - start < 2 * G_USEC_PER_SEC);
  fail_unless(app.wait_stat("connections", 0));
  fail_unless(app.stat("timed-out") >= 2);
  /* A viewer is not a request: it stays. */
  RawClient viewer;
  upgrade_ok(viewer, app.port);
  g_usleep(600 * 1000);
  app.push(0, 10, 500);
  expect_stream_info(viewer);
  fail_unless_equals_int(parse_unit(viewer.read_frame()).sequence, 0);
}
GST_END_TEST;

GST_START_TEST(test_connections_beyond_the_cap_are_refused_early) {
  AppSink app("max-connections=4 request-timeout=60000");
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>());
    fail_unless(held.back()->connect_to(app.port));
  }
  fail_unless(app.wait_stat("connections", 4));
  RawClient over;
  fail_unless(over.connect_to(app.port));
  fail_unless_equals_int(over.request(""), 503);
  fail_unless(over.wait_eof(2000));
  fail_unless_equals_uint64(app.stat("rejected-connections"), 1);
  held.clear();
  fail_unless(app.wait_stat("connections", 0));
  RawClient after;
  fail_unless(after.connect_to(app.port));
  fail_unless_equals_int(after.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
}
GST_END_TEST;

/* A burst that takes every file descriptor must not stop the server for
 * good: once they are free again, it accepts again. */
GST_START_TEST(test_accepts_again_after_running_out_of_descriptors) {
  AppSink app("request-timeout=60000");
  rlimit old_limit;
  fail_unless(getrlimit(RLIMIT_NOFILE, &old_limit) == 0);
  guint open_fds = 0;
  if (GDir *dir = g_dir_open("/proc/self/fd", 0, nullptr)) {
    while (g_dir_read_name(dir))
      open_fds++;
    g_dir_close(dir);
  }
  rlimit low = old_limit;
  low.rlim_cur = open_fds + 64;
  fail_unless(setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<std::unique_ptr<RawClient>> burst;
  for (int i = 0; i < 200; ++i) {
    auto c = std::make_unique<RawClient>();
    if (!c->connect_to(app.port))
      break;
    burst.push_back(std::move(c));
  }
  /* The server tries its backlog meanwhile, and finds no descriptor. */
  g_usleep(300 * 1000);
  burst.clear();
  fail_unless(setrlimit(RLIMIT_NOFILE, &old_limit) == 0);
  RawClient after;
  fail_unless(after.connect_to(app.port));
  fail_unless_equals_int(after.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
  fail_unless(app.stat("accept-errors") > 0, "the burst never ran the server out of descriptors");
}
GST_END_TEST;

GST_START_TEST(test_origin_and_host_checked_without_token) {
  AppSink app;
  app.push(0, 10, 500);
  auto upgrade_status = [&](const std::string &headers) {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    return c.request("GET /stream HTTP/1.1\r\n" + headers +
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "\r\n");
  };
  const std::string port = std::to_string(app.port);
  /* A page of another site, and DNS rebinding (a foreign name for us). */
  fail_unless_equals_int(
      upgrade_status("Host: 127.0.0.1:" + port + "\r\nOrigin: http://evil.example\r\n"), 403);
  fail_unless_equals_int(upgrade_status("Host: 127.0.0.1:" + port + "\r\nOrigin: null\r\n"), 403);
  fail_unless_equals_int(upgrade_status("Host: evil.example:" + port +
                                        "\r\nOrigin: http://evil.example:" + port + "\r\n"),
                         403);
  fail_unless_equals_int(upgrade_status("Host: rebind.example\r\n"), 403);
  fail_unless_equals_uint64(app.stat("rejected-forbidden"), 4);
  /* The sink's own page, by address or as localhost, and clients that send no Origin. */
  fail_unless_equals_int(
      upgrade_status("Host: 127.0.0.1:" + port + "\r\nOrigin: http://127.0.0.1:" + port + "\r\n"),
      101);
  fail_unless_equals_int(
      upgrade_status("Host: LocalHost:" + port + "\r\nOrigin: http://localhost:" + port + "\r\n"),
      101);
  fail_unless_equals_int(upgrade_status("Host: [::1]:" + port + "\r\n"), 101);
  fail_unless_equals_int(upgrade_status("Host: 127.0.0.1\r\n"), 101);
}
GST_END_TEST;

GST_START_TEST(test_token_exact_scheme_case_insensitive) {
  AppSink app("auth-token=s3cret");
  app.push(0, 10, 500);
  auto upgrade_status = [&](const std::string &path, const std::string &extra = "") {
    RawClient c;
    fail_unless(c.connect_to(app.port));
    return c.upgrade(path, extra);
  };
  fail_unless_equals_int(upgrade_status("/stream?token=s3cret%00tail"), 401);
  fail_unless_equals_int(upgrade_status("/stream?token=s3cre%74"), 101);
  fail_unless_equals_int(upgrade_status("/stream", "Authorization: bearer s3cret\r\n"), 101);
  fail_unless_equals_int(upgrade_status("/stream", "Authorization: BEARER s3cret\r\n"), 101);
  fail_unless_equals_int(upgrade_status("/stream", "Authorization: Basic s3cret\r\n"), 401);
  /* With a token, a page from elsewhere that has it may watch. */
  fail_unless_equals_int(
      upgrade_status("/stream?token=s3cret", "Origin: http://viewer.example\r\n"), 101);
}
GST_END_TEST;

GST_START_TEST(test_port_in_use_is_an_error) {
  AppSink app;
  GstElement *sink = gst_element_factory_make("quadnetsink", nullptr);
  g_object_set(sink, "port", app.port, nullptr);
  fail_unless_equals_int(gst_element_set_state(sink, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(sink, GST_STATE_NULL);
  gst_object_unref(sink);
}
GST_END_TEST;

/* ---- TLS ---- */

/* A self-signed P-256 certificate for 127.0.0.1, valid until 2126. */
static const char kCertificate[] = R"(-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUJ6qlYZSZenkawqC++5cnriS4I/UwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMTIwMzAzN1oYDzIxMjYxMDI4
MjAzMDM3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ2bafydAA1W5DG0CtmF/mYUPEn70il5N2FUREesrCOGMpps1k68IGm
zEn0vHHdS8P/d4prbGXHeN+BLFdle13bo1MwUTAdBgNVHQ4EFgQUJkwTOZIgGfZJ
mLUlYTcSWLDVxaYwHwYDVR0jBBgwFoAUJkwTOZIgGfZJmLUlYTcSWLDVxaYwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAoCE1tqIFmXYDOdsbgnLc
R4eOHWR1xB87cwppOuRDNNwCICsoLlBhMaHmPMl2vOwuPv6oNhMvIDIx2P8gjP5x
aOO/
-----END CERTIFICATE-----
)";
static const char kKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggYwUgKyeXGW8Gy4V
4QqtsKfutrsHN6cf8zZsHhAtMDehRANCAAQ2bafydAA1W5DG0CtmF/mYUPEn70il
5N2FUREesrCOGMpps1k68IGmzEn0vHHdS8P/d4prbGXHeN+BLFdle13b
-----END PRIVATE KEY-----
)";

/* Another P-256 key: not the certificate's. */
static const char kOtherKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBBbcobeAyypAiKFI
wmzMFbeFSPLS21KtY5G5hSTeYRShRANCAATqIs5FvUuaKxFvxTEoNprSskLg3Sih
G8axjqbMGYy3qzcO/CgYnDxxu2z+RotKZpdMTxNpowqsABPPjU9dQx7+
-----END PRIVATE KEY-----
)";

/* Starting a sink with these properties fails with an error naming want. */
static void expect_start_error(const std::string &props, const std::string &want) {
  const std::string desc = "fakesrc ! quadnetsink name=sink port=0 " + props;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(msg != nullptr, "no error message for %s", props.c_str());
  GError *err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  fail_unless(strstr(err->message, want.c_str()) != nullptr, "'%s' does not name '%s'",
              err->message, want.c_str());
  g_error_free(err);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

static std::string temp_file(const char *text) {
  gchar *path = nullptr;
  const gint fd = g_file_open_tmp("quadnet-XXXXXX.pem", &path, nullptr);
  fail_unless(fd >= 0);
  close(fd);
  fail_unless(g_file_set_contents(path, text, -1, nullptr));
  std::string p(path);
  g_free(path);
  return p;
}

GST_START_TEST(test_tls) {
  const std::string cert = temp_file(kCertificate), key = temp_file(kKey);
  {
    /* A TLS handshake in a sanitizer build on a busy machine takes seconds:
     * the cached group of pictures must still be served after it. */
    AppSink app("max-lag=60000 tls-certificate=" + cert + " tls-key=" + key);
    for (guint i = 0; i < 5; ++i)
      app.push(i, 5, 400);
    fail_unless(app.wait_stat("units-in", 5));
    const std::string wss = "wss://127.0.0.1:" + std::to_string(app.port) + "/stream";
    int units = 0;
    /* The GOP cache gives a joiner units 0-4 at once. */
    std::string error = receive(wss, "tls-validation=false", 5, &units);
    fail_unless(error.empty(), "%s", error.c_str());
    fail_unless_equals_int(units, 5);
    /* A self-signed certificate is refused when validating. */
    error = receive(wss, "retry=0", 1, &units);
    fail_unless(error.find("cannot connect") != std::string::npos, "%s", error.c_str());
    fail_unless_equals_int(units, 0);
    /* Plain HTTP on the TLS port gets no answer. */
    RawClient c;
    fail_unless(c.connect_to(app.port));
    fail_unless_equals_int(c.request("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 0);
  }
  /* A missing key file is an error at start. */
  expect_start_error("tls-certificate=" + cert + " tls-key=/nonexistent.pem", "/nonexistent.pem");
  g_unlink(cert.c_str());
  g_unlink(key.c_str());
}
GST_END_TEST;

/* tls-certificate alone: the file holds the key too, or start fails. */
GST_START_TEST(test_tls_certificate_without_key_property) {
  const std::string both = temp_file((std::string(kCertificate) + kKey).c_str());
  {
    AppSink app("max-lag=60000 tls-certificate=" + both);
    app.push(0, 5, 400);
    fail_unless(app.wait_stat("units-in", 1));
    int units = 0;
    const std::string error = receive("wss://127.0.0.1:" + std::to_string(app.port) + "/stream",
                                      "tls-validation=false", 1, &units);
    fail_unless(error.empty(), "%s", error.c_str());
    fail_unless_equals_int(units, 1);
  }
  const std::string cert_only = temp_file(kCertificate);
  expect_start_error("tls-certificate=" + cert_only, "private key");
  g_unlink(both.c_str());
  g_unlink(cert_only.c_str());
}
GST_END_TEST;

GST_START_TEST(test_tls_misconfiguration_fails_at_start) {
  const std::string cert = temp_file(kCertificate), key = temp_file(kKey);
  expect_start_error("tls-certificate=/nonexistent-cert.pem", "/nonexistent-cert.pem");
  expect_start_error("tls-key=" + key, "tls-certificate");
  /* A key file that holds no key. */
  expect_start_error("tls-certificate=" + cert + " tls-key=" + cert, cert);
  if (getuid() != 0) {
    g_chmod(key.c_str(), 0);
    expect_start_error("tls-certificate=" + cert + " tls-key=" + key, key);
  }
  /* A key of another pair, in its own file or beside the certificate. */
  const std::string other = temp_file(kOtherKey);
  expect_start_error("tls-certificate=" + cert + " tls-key=" + other,
                     "the TLS key " + other + " does not match the certificate " + cert);
  const std::string both = temp_file((std::string(kCertificate) + kOtherKey).c_str());
  expect_start_error("tls-certificate=" + both, "the TLS key " + both + " does not match");
  g_unlink(cert.c_str());
  g_unlink(key.c_str());
  g_unlink(other.c_str());
  g_unlink(both.c_str());
}
GST_END_TEST;

GST_START_TEST(test_stats_messages_and_key_requests) {
  AppSink app("stats-interval=20 max-lag=20 key-request-interval=60000");
  GstPad *srcpad = gst_element_get_static_pad(app.appsrc, "src");
  std::atomic<int> key_requests{0};
  gst_pad_add_probe(
      srcpad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      +[](GstPad *, GstPadProbeInfo *info, gpointer d) -> GstPadProbeReturn {
        if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info)))
          (*static_cast<std::atomic<int> *>(d))++;
        return GST_PAD_PROBE_OK;
      },
      &key_requests, nullptr);
  gst_object_unref(srcpad);
  app.push(0, 100, 500);
  fail_unless(app.wait_stat("units-in", 1));
  g_usleep(50000);
  /* The cached key frame is now older than max-lag: two joiners wait for the
   * next one, and upstream is asked once (rate limited). */
  RawClient a, b;
  upgrade_ok(a, app.port);
  upgrade_ok(b, app.port);
  fail_unless(app.wait_stat("clients", 2));
  for (int i = 0; i < 200 && key_requests.load() == 0; ++i)
    g_usleep(5000);
  fail_unless_equals_int(key_requests.load(), 1);
  fail_unless_equals_uint64(app.stat("key-requests"), 1);
  expect_stream_info(a);
  /* b's arrival is told to a. */
  const std::string again = read_description(a);
  fail_unless(again.find("viewers=2\n") != std::string::npos, "%s", again.c_str());
  app.push(1, 100, 500); /* a delta: not for a viewer that waits */
  app.push(2, 1, 500);   /* the key frame that was asked for */
  const Unit u = parse_unit(a.read_frame());
  fail_unless_equals_int(u.sequence, 2);
  fail_unless(u.flags & 1);
  fail_unless_equals_int(u.flags & 4, 0);

  /* Element messages carry the stats, every 20 ms: the latest ones see both
   * viewers. */
  GstBus *bus = gst_element_get_bus(app.pipeline);
  guint clients = 0, messages = 0, per_client_size = 0;
  while (clients != 2) {
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_ELEMENT);
    fail_unless(msg != nullptr, "stats messages stopped after %u", messages);
    const GstStructure *st = gst_message_get_structure(msg);
    fail_unless(gst_structure_has_name(st, "quadnetsink-stats"));
    fail_unless(gst_structure_get_uint(st, "clients", &clients));
    const GValue *per_client = gst_structure_get_value(st, "per-client");
    fail_unless(per_client != nullptr);
    per_client_size = gst_value_list_get_size(per_client);
    messages++;
    gst_message_unref(msg);
  }
  fail_unless_equals_int(per_client_size, 2);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_h265_stream) {
  GstElementFactory *f = gst_element_factory_find("x265enc");
  if (!f) {
    GST_INFO("x265enc missing");
    return;
  }
  gst_object_unref(f);
  GstElement *send = gst_parse_launch(
      "quadcapturesrc num-buffers=30 ! video/x-raw,width=160,height=128,framerate=30/1 ! "
      "x265enc tune=zerolatency key-int-max=10 ! video/x-h265,stream-format=byte-stream ! "
      "quadnetsink name=sink port=0 stats-interval=0",
      nullptr);
  fail_unless(send != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(send), "sink");
  gst_element_set_state(send, GST_STATE_PAUSED);
  const guint port = current_port(sink);
  RawClient c;
  upgrade_ok(c, port);
  for (int i = 0; i < 1000; ++i) {
    GstStructure *st = nullptr;
    g_object_get(sink, "stats", &st, nullptr);
    guint clients = 0;
    gst_structure_get_uint(st, "clients", &clients);
    gst_structure_free(st);
    if (clients == 1)
      break;
    g_usleep(5000);
  }
  gst_element_set_state(send, GST_STATE_PLAYING);
  const Frame info = c.read_frame(20000);
  fail_unless_equals_int(parse_unit(info).kind, 1);
  const std::string text(info.payload.begin() + 28, info.payload.end());
  fail_unless(text.find("format=h265\n") != std::string::npos, "%s", text.c_str());
  /* Main profile, compatible with Main (and Main 10): hvc1.1.6.L<level>.<constraints> */
  fail_unless(text.find("codec=hvc1.1.6.L") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("width=160\nheight=128\n") != std::string::npos, "%s", text.c_str());
  for (guint i = 0; i < 30; ++i) {
    const Unit u = parse_unit(c.read_frame(20000));
    fail_unless_equals_int(u.sequence, i);
    fail_unless_equals_int((u.flags & 1) != 0, i % 10 == 0);
    fail_unless(u.flags & 8);
  }
  gst_element_set_state(send, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(send);
}
GST_END_TEST;

static Suite *quadnetsink_suite(void) {
  Suite *s = suite_create("quadnetsink");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_healthy_client_gets_every_unit);
  tcase_add_test(tc, test_never_reading_client_is_skipped_others_keep_everything);
  tcase_add_test(tc, test_late_joiner_starts_at_key_frame);
  tcase_add_test(tc, test_http_answers);
  tcase_add_test(tc, test_auth_token);
  tcase_add_test(tc, test_bad_client_messages);
  tcase_add_test(tc, test_viewer_count_in_stream_description);
  tcase_add_test(tc, test_current_port_and_client_signals);
  tcase_add_test(tc, test_max_clients);
  tcase_add_test(tc, test_connect_cycles_leak_nothing);
  tcase_add_test(tc, test_request_bodies_refused_unread);
  tcase_add_test(tc, test_incomplete_and_idle_requests_time_out);
  tcase_add_test(tc, test_connections_beyond_the_cap_are_refused_early);
  tcase_add_test(tc, test_accepts_again_after_running_out_of_descriptors);
  tcase_add_test(tc, test_origin_and_host_checked_without_token);
  tcase_add_test(tc, test_token_exact_scheme_case_insensitive);
  tcase_add_test(tc, test_port_in_use_is_an_error);
  tcase_add_test(tc, test_tls);
  tcase_add_test(tc, test_tls_certificate_without_key_property);
  tcase_add_test(tc, test_tls_misconfiguration_fails_at_start);
  tcase_add_test(tc, test_stats_messages_and_key_requests);
  tcase_add_test(tc, test_h265_stream);
  return s;
}

GST_CHECK_MAIN(quadnetsink);
