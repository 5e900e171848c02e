/* soak_bench: the demo chain into quadnetsink for a long run while loopback
 * WebSocket clients come and go at random.
 *
 *   quadcapturesrc 640x360p30 ! quadpreproc analysis=true ! quadmotion !
 *   quadenc codec=h264 backends=quadx264enc ! quadnetsink
 *
 * SOAK_SECONDS (default 600) long, SOAK_CLIENTS (default 50) client threads,
 * each running one session after another until the end. A session is
 * healthy (reads everything), a staller (reads, stops reading for 1-8 s,
 * reads again) or a leaver (reads 0.5-5 s, then closes, half of them
 * abruptly); each lasts 2-30 s. Printed: RSS after the warm-up and at the
 * end, units lost by healthy sessions (sequence gaps), accept latency
 * (connect to the whole 101 answer), what the sink counted, and whether
 * every connection was released once the clients were gone. Clients only
 * ever connect to 127.0.0.1.
 */
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "quadnet_client.h"

namespace {

constexpr int kDefaultSeconds = 600;
constexpr int kDefaultClients = 50;
constexpr int kWarmupSeconds = 5;
constexpr size_t kHeaderSize = 28; /* docs/quadnet-protocol.md */
constexpr int kStallerReceiveBuffer = 16384;

gint64 now_us() {
  return g_get_monotonic_time();
}

int env_int(const char *name, int fallback) {
  const char *v = g_getenv(name);
  return v && *v ? std::max(1, atoi(v)) : fallback;
}

/* Resident and peak resident set of this process, in MiB. */
void memory_mib(double *rss, double *peak) {
  *rss = *peak = 0;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return;
  char line[256];
  while (fgets(line, sizeof(line), f)) {
    long kb = 0;
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      *rss = kb / 1024.0;
    else if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      *peak = kb / 1024.0;
  }
  fclose(f);
}

bool have(const char *factory) {
  GstElementFactory *f = gst_element_factory_find(factory);
  if (f)
    gst_object_unref(f);
  return f != nullptr;
}

using quadnet_test::RawClient;

/* The next access unit or stream description's header fields: 1, or 0 on
 * timeout, -1 when the connection ended. */
int next_message(RawClient &c, int timeout_ms, int *kind, guint32 *sequence) {
  for (;;) {
    const quadnet_test::Frame f = c.read_frame(timeout_ms);
    if (f.opcode < 0)
      return c.ended() || c.masked_frame() ? -1 : 0;
    if (f.opcode == 8)
      return -1;
    if (f.opcode != 2 || f.payload.size() < kHeaderSize)
      continue;
    *kind = f.payload[2];
    *sequence = static_cast<guint32>(quadnet_test::be(&f.payload[4], 4));
    return 1;
  }
}

struct Totals {
  std::mutex mutex;
  std::vector<double> accept_ms;
  guint64 sessions[3] = {};
  guint64 refused = 0;
  guint64 healthy_units = 0;
  guint64 healthy_lost = 0;
  guint64 healthy_broken = 0; /* healthy sessions the server ended */
  guint64 stalls_recovered = 0;
};

enum Kind { kHealthy, kStaller, kLeaver };

/* Reads units until `until`; adds sequence gaps to *lost. False when the
 * connection ended first. */
bool read_until(RawClient &c, gint64 until, guint64 *units, guint64 *lost, guint32 *last,
                bool *have_last) {
  while (now_us() < until) {
    int kind = -1;
    guint32 seq = 0;
    const int got = next_message(
        c, static_cast<int>(std::max<gint64>(1, (until - now_us()) / 1000)), &kind, &seq);
    if (got < 0)
      return false;
    if (got == 0 || kind != 0)
      continue;
    if (*have_last && seq != *last + 1)
      *lost += seq - *last - 1;
    *last = seq;
    *have_last = true;
    ++*units;
  }
  return true;
}

void client_loop(int index, guint port, gint64 deadline, Totals *totals) {
  std::mt19937 rng(1000 + index);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  while (now_us() < deadline - 1000000) {
    const Kind kind = uniform(0, 3) < 2 ? kHealthy : (uniform(0, 1) ? kStaller : kLeaver);
    const gint64 length = std::min<gint64>(uniform(2000, 30000) * 1000ll, deadline - now_us());
    RawClient c;
    const gint64 t0 = now_us();
    const int status =
        c.connect_to(port, kind == kStaller ? kStallerReceiveBuffer : 0) ? c.upgrade("/stream") : 0;
    const double accept_ms = (now_us() - t0) / 1000.0;
    if (status != 101) {
      std::lock_guard lock(totals->mutex);
      totals->refused++;
      g_usleep(200000);
      continue;
    }
    const gint64 end = now_us() + length;
    guint64 units = 0, lost = 0;
    guint32 last = 0;
    bool have_last = false, whole = true, recovered = false;
    switch (kind) {
    case kHealthy:
      whole = read_until(c, end, &units, &lost, &last, &have_last);
      break;
    case kStaller: {
      read_until(c, now_us() + uniform(500, 3000) * 1000ll, &units, &lost, &last, &have_last);
      g_usleep(static_cast<gulong>(uniform(1000, 8000)) * 1000);
      const guint64 before = units;
      read_until(c, std::max(end, now_us() + 2000000), &units, &lost, &last, &have_last);
      recovered = units > before;
      break;
    }
    case kLeaver:
      read_until(c, now_us() + uniform(500, 5000) * 1000ll, &units, &lost, &last, &have_last);
      if (uniform(0, 1))
        c.say_goodbye();
      break;
    }
    c.close_socket();
    std::lock_guard lock(totals->mutex);
    totals->accept_ms.push_back(accept_ms);
    totals->sessions[kind]++;
    if (kind == kHealthy) {
      totals->healthy_units += units;
      totals->healthy_lost += lost;
      totals->healthy_broken += !whole;
    }
    totals->stalls_recovered += recovered;
  }
}

guint64 stat_of(GstElement *sink, const char *field) {
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

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

} // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const int seconds = env_int("SOAK_SECONDS", kDefaultSeconds);
  const int clients = env_int("SOAK_CLIENTS", kDefaultClients);
  if (!have("quadx264enc") || !have("quadenc") || !have("quadnetsink")) {
    printf("soak: needs quadx264enc (-Dgpl), quadenc and quadnetsink; skipped\n");
    return 0;
  }
  std::string desc = "quadcapturesrc name=src ! "
                     "video/x-raw,format=I420,width=640,height=360,framerate=30/1";
  if (have("quadpreproc"))
    desc += " ! quadpreproc analysis=true";
  if (have("quadmotion"))
    desc += " ! quadmotion";
  desc += " ! quadenc name=enc codec=h264 backends=quadx264enc key-int-max=60 bitrate=1500"
          " ! quadnetsink name=sink address=127.0.0.1 port=0 stats-interval=0";
  GError *err = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline) {
    fprintf(stderr, "soak: %s\n", err ? err->message : "cannot build the pipeline");
    return 1;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gint port = 0;
  g_object_get(sink, "current-port", &port, nullptr);
  printf("soak: %d s, %d clients, port %u\n  %s\n", seconds, clients, port, desc.c_str());
  fflush(stdout);

  g_usleep(kWarmupSeconds * G_USEC_PER_SEC);
  double rss_start, peak_start;
  memory_mib(&rss_start, &peak_start);
  const gint64 deadline = now_us() + static_cast<gint64>(seconds) * G_USEC_PER_SEC;
  Totals totals;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; i++)
    threads.emplace_back(client_loop, i, port, deadline, &totals);
  GstBus *bus = gst_element_get_bus(pipeline);
  std::string error;
  while (now_us() < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, GST_SECOND, GST_MESSAGE_ERROR);
    if (msg) {
      GError *e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      error = e->message;
      g_error_free(e);
      gst_message_unref(msg);
      break;
    }
  }
  for (auto &t : threads)
    t.join();
  double rss_end, peak_end;
  memory_mib(&rss_end, &peak_end);
  /* Every connection is released once the clients are gone. */
  guint64 open_after = 0;
  for (int i = 0; i < 50; i++) {
    open_after = stat_of(sink, "connections");
    if (open_after == 0)
      break;
    g_usleep(100000);
  }

  printf("pipeline error: %s\n", error.empty() ? "none" : error.c_str());
  printf("RSS after warm-up %.1f MiB, at the end %.1f MiB (peak %.1f MiB)\n", rss_start, rss_end,
         peak_end);
  printf("sessions: %" G_GUINT64_FORMAT " healthy, %" G_GUINT64_FORMAT
         " stallers (%" G_GUINT64_FORMAT " read again after the stall), %" G_GUINT64_FORMAT
         " leavers, %" G_GUINT64_FORMAT " refused\n",
         totals.sessions[kHealthy], totals.sessions[kStaller], totals.stalls_recovered,
         totals.sessions[kLeaver], totals.refused);
  printf("healthy sessions: %" G_GUINT64_FORMAT " units received, %" G_GUINT64_FORMAT
         " lost, %" G_GUINT64_FORMAT " ended by the server\n",
         totals.healthy_units, totals.healthy_lost, totals.healthy_broken);
  printf("accept latency (connect to 101): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu\n",
         percentile(totals.accept_ms, 0.5), percentile(totals.accept_ms, 0.99),
         percentile(totals.accept_ms, 1.0), totals.accept_ms.size());
  printf("sink: accepted %" G_GUINT64_FORMAT ", closed %" G_GUINT64_FORMAT
         ", units-in %" G_GUINT64_FORMAT ", skips %" G_GUINT64_FORMAT
         ", rejected-full %" G_GUINT64_FORMAT ", timed-out %" G_GUINT64_FORMAT
         ", connections open after the clients left %" G_GUINT64_FORMAT "\n",
         stat_of(sink, "accepted"), stat_of(sink, "closed"), stat_of(sink, "units-in"),
         stat_of(sink, "skips"), stat_of(sink, "rejected-full"), stat_of(sink, "timed-out"),
         open_after);
  fflush(stdout);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  const bool ok = error.empty() && totals.healthy_lost == 0 && open_after == 0;
  return ok ? 0 : 1;
}
