/* Shared by the quadnetsink and quadnetsrc element tests: the raw WebSocket
 * client (quadnet_client.h), a sink fed by appsrc with synthetic access
 * units, buffer recording on a pad, quadnetsrc runs. */
#pragma once

/* Standard headers first: gstcheck's macros clash with names inside them. */
#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "quadnet_client.h"

#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

/* ---- a raw WebSocket client, so tests control every byte ---- */

using quadnet_test::be;
using quadnet_test::Frame;

/* The shared client, failing the test on a masked server frame. */
class RawClient : public quadnet_test::RawClient {
public:
  Frame read_frame(int timeout_ms = 5000) {
    Frame f = quadnet_test::RawClient::read_frame(timeout_ms);
    fail_if(masked_frame(), "server frames must not be masked");
    return f;
  }
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

/* ---- a sink fed by appsrc with synthetic access units ---- */

/* The port a started quadnetsink listens on. */
inline guint current_port(GstElement *sink) {
  gint port = 0;
  g_object_get(sink, "current-port", &port, nullptr);
  return static_cast<guint>(port);
}

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
    port = current_port(sink);
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

/* The text of the next message, which must be a stream description. */
inline std::string read_description(RawClient &c) {
  const Frame f = c.read_frame();
  fail_unless_equals_int(f.opcode, 2);
  fail_unless_equals_int(parse_unit(f).kind, 1);
  return std::string(f.payload.begin() + 28, f.payload.end());
}

/* Reads the stream info message a joining viewer gets first. */
inline std::string expect_stream_info(RawClient &c) {
  const std::string text = read_description(c);
  fail_unless(text.find("format=h264\n") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("codec=avc1.64001f\n") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("width=64\n") != std::string::npos, "%s", text.c_str());
  return text;
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
