/* quadnetsrc: receives what quadnetsink serves (from a real encoder, in
 * byte-stream and avc), reconnects and resumes at a key frame, gives up with
 * a reason, and survives a server that sends garbage. */
#include "quadnet_check.h"

/* x264enc (byte-stream or avc) to quadnetsink to quadnetsrc to a decoder. */
static void check_encoded_loop(const char *stream_format) {
  if (!have_x264()) {
    GST_INFO("x264enc missing");
    return;
  }
  const int frames = 90;
  const std::string send_desc =
      std::string("quadcapturesrc num-buffers=90 ! video/x-raw,width=320,height=240,"
                  "framerate=30/1 ! x264enc tune=zerolatency key-int-max=30 ! "
                  "video/x-h264,stream-format=") +
      stream_format + " ! quadnetsink name=sink port=0";
  GstElement *send = gst_parse_launch(send_desc.c_str(), nullptr);
  fail_unless(send != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(send), "sink");
  /* Paused: the server listens, the live source produces nothing yet. */
  gst_element_set_state(send, GST_STATE_PAUSED);
  const guint port = current_port(sink);
  fail_unless(port > 0);

  const std::string recv_desc =
      "quadnetsrc name=src location=ws://127.0.0.1:" + std::to_string(port) +
      "/stream ! h264parse ! avdec_h264 ! fakesink name=out";
  GstElement *recv = gst_parse_launch(recv_desc.c_str(), nullptr);
  fail_unless(recv != nullptr);
  GstElement *src = gst_bin_get_by_name(GST_BIN(recv), "src");
  GstElement *out = gst_bin_get_by_name(GST_BIN(recv), "out");
  Received got;
  GstPad *pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &got, nullptr);
  gst_object_unref(pad);
  int decoded = 0;
  g_object_set(out, "signal-handoffs", TRUE, nullptr);
  g_signal_connect(out, "handoff", G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer d) {
                     (*static_cast<int *>(d))++;
                   }),
                   &decoded);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  for (int i = 0; i < 1000; ++i) {
    GstStructure *s = nullptr;
    g_object_get(sink, "stats", &s, nullptr);
    guint clients = 0;
    gst_structure_get_uint(s, "clients", &clients);
    gst_structure_free(s);
    if (clients == 1)
      break;
    g_usleep(5000);
  }
  gst_element_set_state(send, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(send);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_object_unref(bus);
  for (int i = 0; i < 1000 && static_cast<int>(got.offsets.size()) < frames; ++i)
    g_usleep(5000);
  gst_element_set_state(recv, GST_STATE_NULL);
  gst_element_set_state(send, GST_STATE_NULL);

  fail_unless_equals_int(static_cast<int>(got.offsets.size()), frames);
  for (int i = 0; i < frames; ++i)
    fail_unless_equals_uint64(got.offsets[i], static_cast<guint64>(i));
  fail_unless_equals_int(got.discont, 1); /* only the first */
  fail_unless_equals_int(got.with_capture, frames);
  fail_unless(got.key >= 3, "%d key frames", got.key);
  fail_unless(decoded >= frames - 2, "decoded %d", decoded);

  gst_object_unref(src);
  gst_object_unref(out);
  gst_object_unref(sink);
  gst_object_unref(recv);
  gst_object_unref(send);
}

GST_START_TEST(test_src_receives_every_unit_decodable) {
  check_encoded_loop("byte-stream");
}
GST_END_TEST;

/* avc input is converted to Annex B, parameter sets from codec_data. */
GST_START_TEST(test_avc_input) {
  check_encoded_loop("avc");
}
GST_END_TEST;

GST_START_TEST(test_src_reconnects_and_resumes_at_key_frame) {
  AppSink *app = new AppSink();
  const guint port = app->port;
  const std::string desc = "quadnetsrc name=src retry=50 retry-delay=20 location=ws://127.0.0.1:" +
                           std::to_string(port) + "/stream ! fakesink name=out";
  GstElement *recv = gst_parse_launch(desc.c_str(), nullptr);
  GstElement *src = gst_bin_get_by_name(GST_BIN(recv), "src");
  Received got;
  GstPad *pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &got, nullptr);
  gst_object_unref(pad);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  fail_unless(app->wait_stat("clients", 1));
  for (guint i = 0; i < 10; ++i)
    app->push(i, 5, 300);
  for (int i = 0; i < 1000 && got.offsets.size() < 10; ++i)
    g_usleep(5000);
  fail_unless_equals_int(static_cast<int>(got.offsets.size()), 10);

  /* The server goes away and comes back on the same port. */
  delete app;
  app = new AppSink("port=" + std::to_string(port));
  fail_unless_equals_int(app->port, port);
  fail_unless(app->wait_stat("clients", 1));
  for (guint i = 0; i < 10; ++i)
    app->push(i, 5, 300);
  for (int i = 0; i < 1000 && got.offsets.size() < 20; ++i)
    g_usleep(5000);
  fail_unless_equals_int(static_cast<int>(got.offsets.size()), 20);
  fail_unless_equals_int(got.discont, 2);
  GstStructure *s = nullptr;
  g_object_get(src, "stats", &s, nullptr);
  guint64 connects = 0;
  gst_structure_get_uint64(s, "connects", &connects);
  gst_structure_free(s);
  fail_unless_equals_uint64(connects, 2);
  gst_element_set_state(recv, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(recv);
  delete app;
}
GST_END_TEST;

GST_START_TEST(test_src_gives_up_with_reason) {
  /* Nothing listens on this port once the sink is gone. */
  guint port;
  {
    AppSink app;
    port = app.port;
  }
  const std::string desc =
      "quadnetsrc retry=2 retry-delay=10 location=ws://127.0.0.1:" + std::to_string(port) +
      "/stream ! fakesink";
  GstElement *recv = gst_parse_launch(desc.c_str(), nullptr);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(recv);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless(msg != nullptr);
  GError *err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  fail_unless(strstr(err->message, "cannot connect") && strstr(err->message, "gave up"), "%s",
              err->message);
  g_error_free(err);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(recv, GST_STATE_NULL);
  gst_object_unref(recv);
}
GST_END_TEST;

/* ---- quadnetsrc against a server that misbehaves ---- */

/* A one-connection WebSocket server on a raw socket, sending what it is told. */
struct RawServer {
  int listen_fd = -1;
  guint port = 0;
  RawServer() {
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fail_unless(bind(listen_fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0);
    fail_unless(listen(listen_fd, 4) == 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd, reinterpret_cast<sockaddr *>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~RawServer() { close(listen_fd); }

  /* Accepts one client and completes its handshake; returns the socket. */
  int accept_client() {
    const int fd = accept(listen_fd, nullptr, nullptr);
    fail_unless(fd >= 0);
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      fail_unless(n > 0);
      head.append(buf, static_cast<size_t>(n));
    }
    const size_t k = head.find("Sec-WebSocket-Key: ");
    fail_unless(k != std::string::npos);
    const std::string key = head.substr(k + 19, head.find("\r\n", k) - k - 19);
    /* RFC 6455 4.2.2: base64(SHA-1(key + GUID)). */
    GChecksum *sha = g_checksum_new(G_CHECKSUM_SHA1);
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    g_checksum_update(sha, reinterpret_cast<const guchar *>(input.data()),
                      static_cast<gssize>(input.size()));
    guint8 digest[20];
    gsize digest_len = sizeof(digest);
    g_checksum_get_digest(sha, digest, &digest_len);
    g_checksum_free(sha);
    gchar *accept_key = g_base64_encode(digest, digest_len);
    const std::string resp =
        std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: ") +
        accept_key + "\r\n\r\n";
    g_free(accept_key);
    fail_unless(send(fd, resp.data(), resp.size(), MSG_NOSIGNAL) > 0);
    return fd;
  }
};

static void send_message(int fd, const std::vector<guint8> &payload) {
  std::vector<guint8> f = {0x82};
  if (payload.size() < 126) {
    f.push_back(static_cast<guint8>(payload.size()));
  } else {
    f.push_back(126);
    f.push_back(static_cast<guint8>(payload.size() >> 8));
    f.push_back(static_cast<guint8>(payload.size()));
  }
  f.insert(f.end(), payload.begin(), payload.end());
  fail_unless(send(fd, f.data(), f.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(f.size()));
}

static std::vector<guint8> header(int version, int kind, int flags, guint32 seq) {
  std::vector<guint8> h(28, 0);
  h[0] = static_cast<guint8>(version);
  h[1] = 28;
  h[2] = static_cast<guint8>(kind);
  h[3] = static_cast<guint8>(flags);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<guint8>(seq >> (24 - 8 * i));
  return h;
}

static std::vector<guint8> unit_message(guint32 seq, bool key) {
  auto m = header(1, 0, key ? 1 : 0, seq);
  const guint8 nal[] = {0, 0, 0, 1, static_cast<guint8>(key ? 0x65 : 0x41), 0x88};
  m.insert(m.end(), nal, nal + sizeof(nal));
  return m;
}

GST_START_TEST(test_src_survives_garbage_from_server) {
  RawServer server;
  const std::string desc =
      "quadnetsrc name=src retry=0 location=ws://127.0.0.1:" + std::to_string(server.port) +
      "/stream ! fakesink";
  GstElement *recv = gst_parse_launch(desc.c_str(), nullptr);
  GstElement *src = gst_bin_get_by_name(GST_BIN(recv), "src");
  Received got;
  GstPad *pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &got, nullptr);
  gst_object_unref(pad);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  const int fd = server.accept_client();

  auto info = header(1, 1, 0, 0);
  const std::string text = "format=h264\ncodec=avc1.42c01e\nwidth=64\nheight=48\nframerate=30/1\n";
  info.insert(info.end(), text.begin(), text.end());
  send_message(fd, info);
  send_message(fd, unit_message(0, false)); /* before any key frame: dropped */
  send_message(fd, unit_message(1, true));
  send_message(fd, unit_message(2, false));
  send_message(fd, {1, 28, 0});             /* truncated header */
  send_message(fd, unit_message(3, false)); /* skipped: waiting for a key frame */
  send_message(fd, header(1, 9, 1, 4));     /* unknown kind */
  auto small = header(1, 0, 1, 5);
  small[1] = 8; /* header size below version 1's */
  send_message(fd, small);
  send_message(fd, unit_message(6, true));
  send_message(fd, unit_message(7, false));
  for (int i = 0; i < 1000 && got.offsets.size() < 4; ++i)
    g_usleep(5000);
  fail_unless(got.offsets == std::vector<guint64>({1, 2, 6, 7}), "got %zu units",
              got.offsets.size());
  fail_unless_equals_int(got.discont, 2); /* the first and the one after the skip */
  GstStructure *s = nullptr;
  g_object_get(src, "stats", &s, nullptr);
  guint64 bad = 0;
  gst_structure_get_uint64(s, "bad-messages", &bad);
  gst_structure_free(s);
  fail_unless_equals_uint64(bad, 3);

  /* An unknown version is an error that says why. */
  send_message(fd, header(7, 0, 1, 8));
  GstBus *bus = gst_element_get_bus(recv);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless(msg != nullptr);
  GError *err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  fail_unless(strstr(err->message, "unsupported protocol version 7"), "%s", err->message);
  g_error_free(err);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(recv, GST_STATE_NULL);
  close(fd);
  gst_object_unref(src);
  gst_object_unref(recv);
}
GST_END_TEST;

/* Runs quadnetsrc against port until it posts an error; returns it. */
static std::string error_from(guint port, const std::string &props, guint64 *connects) {
  const std::string desc = "quadnetsrc name=src " + props +
                           " location=ws://127.0.0.1:" + std::to_string(port) +
                           "/stream ! fakesink";
  GstElement *recv = gst_parse_launch(desc.c_str(), nullptr);
  fail_unless(recv != nullptr);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(recv);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  std::string error = "(none)";
  if (msg) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    error = err->message;
    g_error_free(err);
    gst_message_unref(msg);
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(recv), "src");
  GstStructure *stats = nullptr;
  g_object_get(src, "stats", &stats, nullptr);
  *connects = 0;
  gst_structure_get_uint64(stats, "connects", connects);
  gst_structure_free(stats);
  gst_object_unref(src);
  gst_object_unref(bus);
  gst_element_set_state(recv, GST_STATE_NULL);
  gst_object_unref(recv);
  return error;
}

/* A server that accepts the TCP connection and never answers. */
GST_START_TEST(test_src_gives_up_on_a_silent_server) {
  RawServer server; /* listens; the kernel completes TCP, nobody reads */
  guint64 connects = 0;
  const gint64 start = g_get_monotonic_time();
  const std::string error =
      error_from(server.port, "retry=2 retry-delay=10 connect-timeout=200", &connects);
  fail_unless(error.find("no answer within 200 ms") != std::string::npos, "%s", error.c_str());
  fail_unless(error.find("gave up after 2 retries") != std::string::npos, "%s", error.c_str());
  fail_unless(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
}
GST_END_TEST;

/* A server that completes every handshake and drops the connection at once:
 * the handshakes do not reset the count of failed attempts. */
GST_START_TEST(test_src_gives_up_on_a_server_that_drops_after_handshake) {
  RawServer server;
  std::atomic<bool> stop{false};
  std::thread dropper([&] {
    while (!stop) {
      pollfd p = {server.listen_fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0)
        continue;
      close(server.accept_client());
    }
  });
  guint64 connects = 0;
  const std::string error = error_from(server.port, "retry=2 retry-delay=10", &connects);
  stop = true;
  dropper.join();
  fail_unless(error.find("gave up after 2 retries") != std::string::npos, "%s", error.c_str());
  fail_unless_equals_uint64(connects, 3);
}
GST_END_TEST;

/* The URI handler: ws:// and wss:// find quadnetsrc, other schemes do not
 * set its location. */
GST_START_TEST(test_uri_handler) {
  GError *err = nullptr;
  GstElement *src =
      gst_element_make_from_uri(GST_URI_SRC, "wss://127.0.0.1:8443/stream?token=t", nullptr, &err);
  fail_unless(src != nullptr, "%s", err ? err->message : "");
  fail_unless_equals_string(G_OBJECT_TYPE_NAME(src), "GstQuadNetSrc");
  gchar *location = nullptr;
  g_object_get(src, "location", &location, nullptr);
  fail_unless_equals_string(location, "wss://127.0.0.1:8443/stream?token=t");
  g_free(location);
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(src), "http://127.0.0.1:8080/stream", &err));
  g_clear_error(&err);
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(src), "ws:///stream", &err));
  fail_unless(err && strstr(err->message, "with a host"), "%s", err ? err->message : "no error");
  g_clear_error(&err);
  gchar *uri = gst_uri_handler_get_uri(GST_URI_HANDLER(src));
  fail_unless_equals_string(uri, "wss://127.0.0.1:8443/stream?token=t");
  g_free(uri);
  gst_object_unref(src);
}
GST_END_TEST;

struct PlaybinRun {
  std::atomic<int> frames{0};
  std::atomic<int> caps_events{0};
  GstCaps *caps = nullptr; /* what reached the video sink */
};

/* playbin uri=ws://... plays a quadnetsink's H.265 stream, and viewers
 * coming and going (a new stream description each time) do not renegotiate
 * it. */
GST_START_TEST(test_playbin_plays_ws_uri) {
  GstElement *send =
      gst_parse_launch("quadcapturesrc ! video/x-raw,width=128,height=96,framerate=30/1 ! "
                       "quadh265enc key-int-max=30 ! quadnetsink name=sink port=0 stats-interval=0",
                       nullptr);
  fail_unless(send != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(send), "sink");
  gst_element_set_state(send, GST_STATE_PLAYING);
  const guint port = current_port(sink);
  fail_unless(port > 0);

  GstElement *playbin = gst_element_factory_make("playbin", nullptr);
  fail_unless(playbin != nullptr);
  GstElement *video = gst_element_factory_make("fakesink", nullptr);
  g_object_set(video, "signal-handoffs", TRUE, nullptr);
  PlaybinRun run;
  g_signal_connect(video, "handoff",
                   G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *pad, gpointer d) {
                     auto *r = static_cast<PlaybinRun *>(d);
                     if (r->frames++ == 0)
                       r->caps = gst_pad_get_current_caps(pad);
                   }),
                   &run);
  g_signal_connect(playbin, "source-setup",
                   G_CALLBACK(+[](GstElement *, GstElement *source, gpointer d) {
                     GstPad *pad = gst_element_get_static_pad(source, "src");
                     gst_pad_add_probe(
                         pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                         +[](GstPad *, GstPadProbeInfo *info, gpointer d) -> GstPadProbeReturn {
                           if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS)
                             static_cast<PlaybinRun *>(d)->caps_events++;
                           return GST_PAD_PROBE_OK;
                         },
                         d, nullptr);
                     gst_object_unref(pad);
                   }),
                   &run);
  const std::string uri = "ws://127.0.0.1:" + std::to_string(port) + "/stream";
  g_object_set(playbin, "uri", uri.c_str(), "video-sink", video, nullptr);
  gst_element_set_state(playbin, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(playbin);
  auto play_until = [&](int frames) {
    const gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
    while (run.frames < frames && g_get_monotonic_time() < deadline) {
      GstMessage *msg = gst_bus_timed_pop_filtered(bus, 10 * GST_MSECOND, GST_MESSAGE_ERROR);
      if (msg) {
        GError *e = nullptr;
        gst_message_parse_error(msg, &e, nullptr);
        fail("playbin: %s", e->message);
      }
    }
    fail_unless(run.frames >= frames, "%d frames played", run.frames.load());
  };
  play_until(10);
  {
    RawClient other;
    upgrade_ok(other, port);
    g_usleep(100000);
  }
  const int before = run.frames;
  play_until(before + 10);
  gst_object_unref(bus);
  gst_element_set_state(playbin, GST_STATE_NULL);
  gst_element_set_state(send, GST_STATE_NULL);

  const GstStructure *st = gst_caps_get_structure(run.caps, 0);
  fail_unless(gst_structure_has_name(st, "video/x-raw"), "%" GST_PTR_FORMAT, run.caps);
  int width = 0, height = 0;
  gst_structure_get_int(st, "width", &width);
  gst_structure_get_int(st, "height", &height);
  fail_unless_equals_int(width, 128);
  fail_unless_equals_int(height, 96);
  fail_unless_equals_int(run.caps_events.load(), 1);
  gst_caps_unref(run.caps);
  gst_object_unref(playbin);
  gst_object_unref(sink);
  gst_object_unref(send);
}
GST_END_TEST;

static Suite *quadnetsrc_suite(void) {
  Suite *s = suite_create("quadnetsrc");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_src_receives_every_unit_decodable);
  tcase_add_test(tc, test_avc_input);
  tcase_add_test(tc, test_src_reconnects_and_resumes_at_key_frame);
  tcase_add_test(tc, test_src_gives_up_with_reason);
  tcase_add_test(tc, test_src_survives_garbage_from_server);
  tcase_add_test(tc, test_src_gives_up_on_a_silent_server);
  tcase_add_test(tc, test_src_gives_up_on_a_server_that_drops_after_handshake);
  tcase_add_test(tc, test_uri_handler);
  tcase_add_test(tc, test_playbin_plays_ws_uri);
  return s;
}

GST_CHECK_MAIN(quadnetsrc);
