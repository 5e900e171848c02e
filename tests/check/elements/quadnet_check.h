/* Shared by the quadnetsink and quadnetsrc element tests: a raw WebSocket
 * client, a sink fed by appsrc with synthetic access units, buffer recording
 * on a pad, quadnetsrc runs. */
#pragma once

/* Standard headers first: gstcheck's macros clash with names inside them. */
#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

/* ---- a raw WebSocket client, so tests control every byte ---- */

struct Frame {
  int opcode = -1;
  std::vector<guint8> payload;
};

/* What the protocol header says (docs/quadnet-protocol.md). */
struct Unit {
  int kind = -1;
  int flags = 0;
  guint32 sequence = 0;
  guint64 capture_us = 0;
  guint32 skipped = 0;
  size_t payload_size = 0;
};

inline guint64 be(const guint8 *p, int n) {
  guint64 v = 0;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  return v;
}

inline Unit parse_unit(const Frame &f) {
  Unit u;
  fail_unless(f.payload.size() >= 28, "message of %zu bytes", f.payload.size());
  fail_unless_equals_int(f.payload[0], 1);
  fail_unless_equals_int(f.payload[1], 28);
  u.kind = f.payload[2];
  u.flags = f.payload[3];
  u.sequence = static_cast<guint32>(be(&f.payload[4], 4));
  u.capture_us = be(&f.payload[16], 8);
  u.skipped = static_cast<guint32>(be(&f.payload[24], 4));
  u.payload_size = f.payload.size() - 28;
  return u;
}

class RawClient {
public:
  RawClient() = default;
  RawClient(const RawClient &) = delete;
  ~RawClient() { close_socket(); }

  bool connect_to(guint port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
  }

  void close_socket() {
    if (fd_ >= 0)
      close(fd_);
    fd_ = -1;
  }

  bool send_all(const void *data, size_t size) {
    const auto *p = static_cast<const char *>(data);
    while (size > 0) {
      const ssize_t n = send(fd_, p, size, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      p += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  /* Sends a request and returns the response's status code (0: none). */
  int request(const std::string &text) {
    if (!send_all(text.data(), text.size()))
      return 0;
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!fill(5000))
        break;
      head.assign(buffer_.begin(), buffer_.end());
    }
    const size_t end = head.find("\r\n\r\n");
    if (end == std::string::npos || head.compare(0, 9, "HTTP/1.1 ") != 0)
      return 0;
    response_headers_ = head.substr(0, end);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(end + 4));
    return atoi(head.c_str() + 9);
  }

  int upgrade(const std::string &path, const std::string &extra = "") {
    return request("GET " + path +
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                   extra + "\r\n");
  }

  /* A client frame, masked unless told otherwise. */
  bool send_frame(int opcode, const std::vector<guint8> &payload, bool masked = true,
                  int first_byte = -1) {
    std::vector<guint8> f;
    f.push_back(first_byte >= 0 ? static_cast<guint8>(first_byte)
                                : static_cast<guint8>(0x80 | opcode));
    const guint8 mask_bit = masked ? 0x80 : 0;
    const size_t n = payload.size();
    if (n < 126) {
      f.push_back(static_cast<guint8>(mask_bit | n));
    } else if (n <= 0xffff) {
      f.push_back(mask_bit | 126);
      f.push_back(static_cast<guint8>(n >> 8));
      f.push_back(static_cast<guint8>(n));
    } else {
      f.push_back(mask_bit | 127);
      for (int i = 7; i >= 0; --i)
        f.push_back(static_cast<guint8>(static_cast<guint64>(n) >> (8 * i)));
    }
    const guint8 mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked)
      f.insert(f.end(), mask, mask + 4);
    for (size_t i = 0; i < n; ++i)
      f.push_back(masked ? payload[i] ^ mask[i & 3] : payload[i]);
    return send_all(f.data(), f.size());
  }

  /* The next server frame; opcode -1 on timeout or a closed connection. */
  Frame read_frame(int timeout_ms = 5000) {
    Frame f;
    for (;;) {
      if (buffer_.size() >= 2) {
        size_t len = buffer_[1] & 0x7f, pos = 2;
        fail_if(buffer_[1] & 0x80, "server frames must not be masked");
        if (len == 126 && buffer_.size() >= 4) {
          len = static_cast<size_t>(be(&buffer_[2], 2));
          pos = 4;
        } else if (len == 127 && buffer_.size() >= 10) {
          len = static_cast<size_t>(be(&buffer_[2], 8));
          pos = 10;
        } else if (len >= 126) {
          pos = 0;
        }
        if (pos && buffer_.size() >= pos + len) {
          f.opcode = buffer_[0] & 0x0f;
          f.payload.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(pos),
                           buffer_.begin() + static_cast<std::ptrdiff_t>(pos + len));
          buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos + len));
          return f;
        }
      }
      if (!fill(timeout_ms))
        return f;
    }
  }

  /* Reads until the server closes the TCP connection. */
  bool wait_eof(int timeout_ms = 5000) {
    while (fill(timeout_ms))
      buffer_.clear();
    return eof_;
  }

  const std::string &response_headers() const { return response_headers_; }

private:
  bool fill(int timeout_ms) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
      return false;
    guint8 buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.insert(buffer_.end(), buf, buf + n);
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::vector<guint8> buffer_;
  std::string response_headers_;
};

/* ---- a sink fed by appsrc with synthetic access units ---- */

/* An H.264 SPS (High profile, level 3.1), enough for the codec string. */
inline constexpr guint8 kSps[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50};
inline constexpr guint8 kPps[] = {0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb};

inline GstBuffer *make_unit(guint index, guint gop, size_t size) {
  std::vector<guint8> bytes;
  const bool key = index % gop == 0;
  if (key) {
    bytes.insert(bytes.end(), kSps, kSps + sizeof(kSps));
    bytes.insert(bytes.end(), kPps, kPps + sizeof(kPps));
  }
  const guint8 slice[] = {0, 0, 0, 1, static_cast<guint8>(key ? 0x65 : 0x41)};
  bytes.insert(bytes.end(), slice, slice + sizeof(slice));
  bytes.resize(std::max(bytes.size(), size), static_cast<guint8>(index));
  GstBuffer *buf = gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(buf) = index * GST_MSECOND;
  if (!key)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GstCaps *unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  gst_buffer_add_reference_timestamp_meta(buf, unix_caps, 1700000000ull * GST_SECOND + index,
                                          GST_CLOCK_TIME_NONE);
  gst_caps_unref(unix_caps);
  return buf;
}

struct AppSink {
  GstElement *pipeline = nullptr;
  GstElement *appsrc = nullptr;
  GstElement *sink = nullptr;
  guint port = 0;

  explicit AppSink(const std::string &sink_props = "") {
    const std::string desc =
        "appsrc name=src format=time caps=video/x-h264,stream-format=byte-stream,alignment=au,"
        "width=64,height=64,framerate=1000/1 ! quadnetsink name=sink port=0 stats-interval=0 " +
        sink_props;
    GError *err = nullptr;
    pipeline = gst_parse_launch(desc.c_str(), &err);
    fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
    appsrc = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_ASYNC);
    g_object_get(sink, "port", &port, nullptr);
    fail_unless(port > 0);
  }
  ~AppSink() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(appsrc);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
  }
  void push(guint index, guint gop, size_t size) {
    fail_unless_equals_int(
        gst_app_src_push_buffer(GST_APP_SRC(appsrc), make_unit(index, gop, size)), GST_FLOW_OK);
  }
  guint64 stat(const char *field) {
    GstStructure *s = nullptr;
    g_object_get(sink, "stats", &s, nullptr);
    guint64 v = 0;
    if (!gst_structure_get_uint64(s, field, &v)) {
      guint u = 0;
      gst_structure_get_uint(s, field, &u);
      v = u;
    }
    gst_structure_free(s);
    return v;
  }
  /* Waits until the stats field reaches want. */
  bool wait_stat(const char *field, guint64 want, int timeout_ms = 10000) {
    for (int waited = 0; waited < timeout_ms; waited += 5) {
      if (stat(field) == want)
        return true;
      g_usleep(5000);
    }
    return false;
  }
};

inline std::string upgrade_ok(RawClient &c, guint port, const std::string &path = "/stream") {
  fail_unless(c.connect_to(port));
  const int status = c.upgrade(path);
  fail_unless_equals_int(status, 101);
  fail_if(c.response_headers().find("permessage-deflate") != std::string::npos,
          "no extension may be negotiated");
  return c.response_headers();
}

/* Reads the stream info message a joining viewer gets first. */
inline void expect_stream_info(RawClient &c) {
  const Frame f = c.read_frame();
  fail_unless_equals_int(f.opcode, 2);
  const Unit u = parse_unit(f);
  fail_unless_equals_int(u.kind, 1);
  const std::string text(f.payload.begin() + 28, f.payload.end());
  fail_unless(text.find("format=h264\n") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("codec=avc1.64001f\n") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("width=64\n") != std::string::npos, "%s", text.c_str());
}

struct Received {
  std::vector<guint64> offsets;
  int discont = 0;
  int with_capture = 0;
  int key = 0;
};

inline GstPadProbeReturn record_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *r = static_cast<Received *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  r->offsets.push_back(GST_BUFFER_OFFSET(buf));
  r->discont += GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT);
  r->key += !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GstCaps *unix_caps = gst_caps_new_empty_simple("timestamp/x-unix");
  r->with_capture += gst_buffer_get_reference_timestamp_meta(buf, unix_caps) != nullptr;
  gst_caps_unref(unix_caps);
  return GST_PAD_PROBE_OK;
}

inline bool have_x264() {
  GstElementFactory *f = gst_element_factory_find("x264enc");
  if (f)
    gst_object_unref(f);
  return f != nullptr;
}

/* Runs quadnetsrc against location until it has `want` units or errors. */
inline std::string receive(const std::string &location, const std::string &props, int want,
                           int *got_units) {
  const std::string desc = "quadnetsrc name=src " + props + " location=" + location + " ! fakesink";
  GstElement *recv = gst_parse_launch(desc.c_str(), nullptr);
  GstElement *src = gst_bin_get_by_name(GST_BIN(recv), "src");
  Received got;
  GstPad *pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &got, nullptr);
  gst_object_unref(pad);
  gst_element_set_state(recv, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(recv);
  std::string error;
  /* A deadline, not a count of polls: a TLS handshake in a sanitizer build
   * on a busy machine takes seconds. */
  const gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
  while (static_cast<int>(got.offsets.size()) < want && g_get_monotonic_time() < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, 5 * GST_MSECOND, GST_MESSAGE_ERROR);
    if (msg) {
      GError *err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      error = err->message;
      g_error_free(err);
      gst_message_unref(msg);
      break;
    }
  }
  gst_object_unref(bus);
  gst_element_set_state(recv, GST_STATE_NULL);
  *got_units = static_cast<int>(got.offsets.size());
  gst_object_unref(src);
  gst_object_unref(recv);
  return error;
}
