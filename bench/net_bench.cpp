/* net_bench: quadnetsink against tcpserversink on loopback, same stream,
 * same clients, alternating runs.
 *
 *   latency: one client, 1080p60 at 8 Mbit/s; time from the push into the
 *            sink (render) to the client holding the whole access unit.
 *   fan-out: 100 clients, 1080p30 at 8 Mbit/s; every client must get every
 *            access unit; the sink process's CPU time is printed.
 *   glass:   capture stamp to decode in headless Chromium (the browser test
 *            script), when node, chromium and playwright-core are present.
 *
 * Clients run in a child process so their CPU is not counted as the sink's.
 * The stream is synthetic Annex B access units of realistic sizes (a key
 * frame every second); neither sink looks inside them beyond NAL headers.
 *
 *   net_bench [--plot-data FILE]
 *
 * --plot-data writes every latency sample of client 0 as CSV (case, sink,
 * run, latency_us) for `bench/figures/plot.py net-latency`.
 */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kRuns = 5;
constexpr size_t kMaxUnits = 1024;
constexpr int kMaxClients = 128;

gint64 now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Shared with the client process. */
struct Shared {
  gint64 pushed_ns[kMaxUnits];   /* when the unit went into the sink */
  gint64 received_ns[kMaxUnits]; /* when client 0 held all of it */
  guint32 complete[kMaxClients]; /* units each client received whole */
  guint32 ready;                 /* clients connected */
  guint32 done;
};

struct StreamShape {
  int fps;
  int units;
  std::vector<size_t> sizes; /* bytes per access unit */
};

StreamShape make_shape(int fps, int seconds, double mbit) {
  StreamShape s;
  s.fps = fps;
  s.units = fps * seconds;
  const double per_second = mbit * 1e6 / 8;
  const size_t key = static_cast<size_t>(per_second * 0.15);
  const size_t delta = static_cast<size_t>((per_second - key) / (fps - 1));
  for (int i = 0; i < s.units; ++i)
    s.sizes.push_back(i % fps == 0 ? key : delta);
  return s;
}

GstBuffer *make_unit(int index, size_t size, bool key) {
  static const guint8 sps[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78};
  static const guint8 pps[] = {0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb};
  std::vector<guint8> bytes;
  if (key) {
    bytes.insert(bytes.end(), sps, sps + sizeof(sps));
    bytes.insert(bytes.end(), pps, pps + sizeof(pps));
  }
  const guint8 slice[] = {0, 0, 0, 1, static_cast<guint8>(key ? 0x65 : 0x41)};
  bytes.insert(bytes.end(), slice, slice + sizeof(slice));
  bytes.resize(size, 0x55);
  GstBuffer *buf = gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(buf) = index * GST_SECOND / 60;
  if (!key)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

/* ---- client process ---- */

struct Conn {
  int fd;
  std::vector<guint8> buf;
  size_t consumed_total = 0; /* raw TCP: bytes so far */
  int next_unit = 0;
};

int connect_to(guint port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0)
    return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

/* Returns leftover bytes after the HTTP 101 response, or false. */
bool websocket_upgrade(int fd, std::vector<guint8> &rest) {
  const char *req = "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n";
  if (send(fd, req, strlen(req), 0) < 0)
    return false;
  std::string head;
  char c[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = recv(fd, c, sizeof(c), 0);
    if (n <= 0)
      return false;
    head.append(c, static_cast<size_t>(n));
  }
  const size_t end = head.find("\r\n\r\n") + 4;
  rest.assign(head.begin() + static_cast<std::ptrdiff_t>(end), head.end());
  return head.compare(0, 12, "HTTP/1.1 101") == 0;
}

/* Consumes whole WebSocket messages; counts access units. */
void parse_ws(Conn &c, int client, Shared *sh, const StreamShape &shape) {
  size_t pos = 0;
  for (;;) {
    if (c.buf.size() - pos < 2)
      break;
    size_t len = c.buf[pos + 1] & 0x7f, hdr = 2;
    if (len == 126) {
      if (c.buf.size() - pos < 4)
        break;
      len = (size_t(c.buf[pos + 2]) << 8) | c.buf[pos + 3];
      hdr = 4;
    } else if (len == 127) {
      if (c.buf.size() - pos < 10)
        break;
      len = 0;
      for (int i = 0; i < 8; ++i)
        len = (len << 8) | c.buf[pos + 2 + i];
      hdr = 10;
    }
    if (c.buf.size() - pos < hdr + len)
      break;
    const guint8 *m = &c.buf[pos + hdr];
    if (len >= 28 && m[2] == 0) {
      const guint32 seq = (guint32(m[4]) << 24) | (m[5] << 16) | (m[6] << 8) | m[7];
      if (client == 0 && seq < kMaxUnits)
        sh->received_ns[seq] = now_ns();
      if (static_cast<int>(seq) == c.next_unit)
        sh->complete[client]++;
      c.next_unit = static_cast<int>(seq) + 1;
    }
    pos += hdr + len;
  }
  c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(pos));
  (void)shape;
}

/* Raw TCP carries no framing: units end at known byte offsets. */
void parse_raw(Conn &c, int client, Shared *sh, const StreamShape &shape) {
  c.consumed_total += c.buf.size();
  c.buf.clear();
  size_t boundary = 0;
  for (int i = 0; i <= c.next_unit && i < shape.units; ++i)
    boundary += shape.sizes[i];
  while (c.next_unit < shape.units && c.consumed_total >= boundary) {
    if (client == 0)
      sh->received_ns[c.next_unit] = now_ns();
    sh->complete[client]++;
    c.next_unit++;
    if (c.next_unit < shape.units)
      boundary += shape.sizes[c.next_unit];
  }
}

[[noreturn]] void run_clients(guint port, bool ws, int clients, Shared *sh,
                              const StreamShape &shape) {
  std::vector<Conn> conns;
  const int ep = epoll_create1(0);
  for (int i = 0; i < clients; ++i) {
    Conn c;
    c.fd = connect_to(port);
    if (c.fd < 0 || (ws && !websocket_upgrade(c.fd, c.buf)))
      _exit(2);
    conns.push_back(std::move(c));
  }
  for (int i = 0; i < clients; ++i) {
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<guint32>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    if (ws)
      parse_ws(conns[i], i, sh, shape);
  }
  __atomic_store_n(&sh->ready, static_cast<guint32>(clients), __ATOMIC_SEQ_CST);
  std::vector<guint8> tmp(1 << 20);
  epoll_event events[64];
  for (;;) {
    int finished = 0;
    for (int i = 0; i < clients; ++i)
      finished +=
          static_cast<int>(__atomic_load_n(&sh->complete[i], __ATOMIC_RELAXED)) >= shape.units;
    if (finished == clients || __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST))
      break;
    const int n = epoll_wait(ep, events, 64, 100);
    for (int k = 0; k < n; ++k) {
      Conn &c = conns[events[k].data.u32];
      const ssize_t got = recv(c.fd, tmp.data(), tmp.size(), MSG_DONTWAIT);
      if (got <= 0)
        continue;
      c.buf.insert(c.buf.end(), tmp.begin(), tmp.begin() + got);
      if (ws)
        parse_ws(c, static_cast<int>(events[k].data.u32), sh, shape);
      else
        parse_raw(c, static_cast<int>(events[k].data.u32), sh, shape);
    }
  }
  _exit(0);
}

/* ---- one run ---- */

struct RunResult {
  bool ok = false;
  std::vector<double> latencies_us; /* client 0's, one per unit it got */
  double p50_us = 0, p99_us = 0;
  double cpu_s = 0;
  int clients_complete = 0;
  int known_at_start = 0; /* clients the sink had accepted when the stream began */
};

double cpu_seconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

RunResult run_once(bool quadnet, int clients, const StreamShape &shape) {
  RunResult r;
  const std::string sink_desc = quadnet
                                    ? "quadnetsink name=sink port=0 stats-interval=0"
                                    : "tcpserversink name=sink host=127.0.0.1 port=0 sync=false";
  const std::string desc =
      "appsrc name=src format=time is-live=true caps=video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=1920,height=1080,framerate=" +
      std::to_string(shape.fps) + "/1 ! " + sink_desc;
  GError *err = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline) {
    fprintf(stderr, "net: %s: %s\n", desc.c_str(), err ? err->message : "cannot build it");
    exit(1);
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gst_element_get_state(pipeline, nullptr, nullptr, 5 * GST_SECOND);
  /* Both sinks say which port port=0 picked. */
  gint port = 0;
  g_object_get(sink, "current-port", &port, nullptr);

  auto *sh = static_cast<Shared *>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  memset(sh, 0, sizeof(Shared));
  const pid_t child = fork();
  if (child == 0)
    run_clients(static_cast<guint>(port), quadnet, clients, sh, shape);

  /* Wait for every client to be connected and known to the sink. */
  guint known = 0;
  for (int i = 0; i < 1000; ++i) {
    if (quadnet) {
      GstStructure *s = nullptr;
      g_object_get(sink, "stats", &s, nullptr);
      gst_structure_get_uint(s, "clients", &known);
      gst_structure_free(s);
    } else {
      gint handles = 0;
      g_object_get(sink, "num-handles", &handles, nullptr);
      known = static_cast<guint>(handles);
    }
    if (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) == static_cast<guint32>(clients) &&
        known == static_cast<guint>(clients))
      break;
    g_usleep(10000);
  }

  r.known_at_start = static_cast<int>(known);
  const double cpu0 = cpu_seconds();
  const gint64 start = now_ns();
  const gint64 interval = 1000000000ll / shape.fps;
  for (int i = 0; i < shape.units; ++i) {
    const gint64 due = start + i * interval;
    timespec ts = {static_cast<time_t>(due / 1000000000ll), static_cast<long>(due % 1000000000ll)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    GstBuffer *buf = make_unit(i, shape.sizes[i], i % shape.fps == 0);
    sh->pushed_ns[i] = now_ns();
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
  }
  /* Up to two seconds for the last units to arrive. */
  for (int w = 0; w < 200; ++w) {
    int finished = 0;
    for (int i = 0; i < clients; ++i)
      finished += static_cast<int>(sh->complete[i]) >= shape.units;
    if (finished == clients)
      break;
    g_usleep(10000);
  }
  r.cpu_s = cpu_seconds() - cpu0;
  __atomic_store_n(&sh->done, 1u, __ATOMIC_SEQ_CST);
  int status = 0;
  waitpid(child, &status, 0);

  std::vector<double> lat;
  for (int i = 0; i < shape.units; ++i)
    if (sh->received_ns[i] > 0)
      lat.push_back((sh->received_ns[i] - sh->pushed_ns[i]) / 1000.0);
  r.latencies_us = lat;
  std::sort(lat.begin(), lat.end());
  for (int i = 0; i < clients; ++i)
    r.clients_complete += static_cast<int>(sh->complete[i]) >= shape.units;
  if (!lat.empty()) {
    r.p50_us = lat[lat.size() / 2];
    r.p99_us = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  }
  r.ok =
      WIFEXITED(status) && WEXITSTATUS(status) == 0 && static_cast<int>(lat.size()) == shape.units;
  munmap(sh, sizeof(Shared));
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/* Latency samples for the figure, when asked for: case, sink, run, us. */
struct Sample {
  std::string case_name;
  const char *sink;
  int run;
  double us;
};
std::vector<Sample> *plot_samples = nullptr;

void compare(const char *title, const char *case_name, int clients, const StreamShape &shape) {
  std::vector<double> q50, q99, qcpu, t50, t99, tcpu;
  int q_complete = clients, t_complete = clients, q_known = clients, t_known = clients;
  bool ok = true;
  for (int run = 0; run < kRuns; ++run) {
    for (bool quadnet : {true, false}) {
      const RunResult r = run_once(quadnet, clients, shape);
      ok &= r.ok;
      if (plot_samples)
        for (double us : r.latencies_us)
          plot_samples->push_back(
              {case_name, quadnet ? "quadnetsink" : "tcpserversink", run + 1, us});
      (quadnet ? q50 : t50).push_back(r.p50_us);
      (quadnet ? q99 : t99).push_back(r.p99_us);
      (quadnet ? qcpu : tcpu).push_back(r.cpu_s);
      (quadnet ? q_complete : t_complete) =
          std::min(quadnet ? q_complete : t_complete, r.clients_complete);
      (quadnet ? q_known : t_known) = std::min(quadnet ? q_known : t_known, r.known_at_start);
    }
  }
  const double seconds = static_cast<double>(shape.units) / shape.fps;
  printf("%s (%d client%s, %d units, median of %d alternating runs%s)\n", title, clients,
         clients > 1 ? "s" : "", shape.units, kRuns, ok ? "" : "; SOME RUNS INCOMPLETE");
  /* Worst run: clients accepted before the first unit, and clients that got every unit. */
  printf("  %-14s  p50 %8.1f us  p99 %8.1f us  cpu %5.1f%%  accepted %d/%d  every unit %d/%d\n",
         "quadnetsink", median(q50), median(q99), 100 * median(qcpu) / seconds, q_known, clients,
         q_complete, clients);
  printf("  %-14s  p50 %8.1f us  p99 %8.1f us  cpu %5.1f%%  accepted %d/%d  every unit %d/%d\n",
         "tcpserversink", median(t50), median(t99), 100 * median(tcpu) / seconds, t_known, clients,
         t_complete, clients);
  printf("  ratio (quadnetsink / tcpserversink): p50 %.2f, p99 %.2f, cpu %.2f\n",
         median(q50) / median(t50), median(q99) / median(t99), median(qcpu) / median(tcpu));
}

void glass_to_glass() {
  const std::string script = std::string(QUAD_SOURCE_ROOT) + "/tests/browser/player_test.cjs";
  gchar *out = nullptr;
  gint status = 0;
  const gchar *argv[] = {"node", script.c_str(), "--frames", "300", nullptr};
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                    nullptr, &out, nullptr, &status, nullptr)) {
    printf("glass to glass: node not found, skipped\n");
    return;
  }
  printf("glass to glass, quadcapturesrc 640x360p30 ! x264enc tune=zerolatency "
         "speed-preset=ultrafast ! quadnetsink ! headless Chromium WebCodecs, 300 frames:\n  %s",
         out ? out : "");
  g_free(out);
}

bool write_samples(const char *path, const std::vector<Sample> &samples) {
  FILE *f = fopen(path, "w");
  if (!f)
    return false;
  fprintf(f, "case,sink,run,latency_us\n");
  for (const auto &s : samples)
    fprintf(f, "%s,%s,%d,%.0f\n", s.case_name.c_str(), s.sink, s.run, s.us);
  return fclose(f) == 0;
}

} // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const char *plot_data = nullptr;
  if (argc == 3 && !strcmp(argv[1], "--plot-data")) {
    plot_data = argv[2];
  } else if (argc != 1) {
    fprintf(stderr, "usage: net_bench [--plot-data FILE]\n");
    return 2;
  }
  std::vector<Sample> samples;
  if (plot_data)
    plot_samples = &samples;
  gchar *version = gst_version_string();
  printf("quadnetsink vs tcpserversink (%s), loopback, synthetic H.264 access units, "
         "key frame every second\n",
         version);
  g_free(version);
  compare("latency, 1080p60 8 Mbit/s, push into sink -> client has the whole unit",
          "1 client 1080p60", 1, make_shape(60, 3, 8.0));
  compare("fan-out, 1080p30 8 Mbit/s", "100 clients 1080p30 (client 0)", 100,
          make_shape(30, 5, 8.0));
  if (plot_data) {
    if (!write_samples(plot_data, samples)) {
      fprintf(stderr, "net_bench: cannot write %s\n", plot_data);
      return 1;
    }
    printf("latency samples: %s (%zu)\n", plot_data, samples.size());
  }
  glass_to_glass();
  return 0;
}
