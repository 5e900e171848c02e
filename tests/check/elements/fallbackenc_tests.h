/* The tests quadx264enc and quadx265enc share. The including file defines
 * kEncoder (the element name), kCodec and kCodecApi (QF_CODEC_*) first. */
#pragma once

#include <gst/check/gstharness.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <span>

#include "encoder_check.h"
#include "quad/gstquadanalysismeta.h"
#include "quad/quad_fallback.h"

static std::string source(int frames, int width, int height, const char *format = "I420",
                          const char *rate = "30/1") {
  return "quadcapturesrc is-live=false num-buffers=" + std::to_string(frames) +
         " ! video/x-raw,format=" + format + ",width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + ",framerate=" + rate;
}

/* Streams from both input formats decode with FFmpeg and avdec, with every
 * frame and its timestamp kept. */
GST_START_TEST(test_decodes_with_timestamps) {
  for (const char *format : {"I420", "NV12"}) {
    const int frames = 45;
    PipelineRun run;
    run_pipeline(source(frames, 352, 288, format) + " ! " + kEncoder +
                     " key-int-max=20 ! fakesink name=sink",
                 run);
    fail_unless(run.eos, "%s: %s", format, run.error.c_str());
    fail_unless_equals_int(static_cast<int>(run.out.size()), frames);
    for (int i = 0; i < frames; i++) {
      const GstClockTime expected = gst_util_uint64_scale(i, GST_SECOND, 30);
      fail_unless_equals_uint64(run.out[i].pts, expected);
      fail_unless(run.out[i].dts == expected, "dts %d", i);
      /* Live defaults: an IDR every key-int-max pictures and nowhere else. */
      const bool idr = is_idr(run.out[i].data, kCodec);
      fail_unless(idr == (i % 20 == 0), "%s frame %d idr %d", format, i, idr);
      fail_unless(run.out[i].delta == !idr, "frame %d flags", i);
    }
    TempDir dir;
    const std::string file = dir.write("out.es", run.stream());
    fail_unless_equals_int(ffmpeg_frames(file, kCodec), frames);
    fail_unless_equals_int(avdec_frames(file, kCodec), frames);
  }
}
GST_END_TEST;

static GstHarness *live_harness(const char *props, int width, int height, const char *rate) {
  GstHarness *h = gst_harness_new(kEncoder);
  gchar **pairs = g_strsplit(props, " ", -1);
  for (gchar **p = pairs; *p; p++) {
    gchar **kv = g_strsplit(*p, "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg(G_OBJECT(h->element), kv[0], kv[1]);
    g_strfreev(kv);
  }
  g_strfreev(pairs);
  gst_harness_set_src_caps_str(h, ("video/x-raw,format=I420,width=" + std::to_string(width) +
                                   ",height=" + std::to_string(height) + ",framerate=" + rate)
                                      .c_str());
  return h;
}

static GstBuffer *gray_frame(int width, int height, int index, std::mt19937 &rng) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, width, height);
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  /* Detail at several scales, moving a little each frame, and a little
   * noise: content whose decoded error follows the QP. */
  std::uniform_int_distribution<int> noise(-2, 2);
  for (gsize i = 0; i < map.size; i++) {
    const double x = static_cast<double>(i % width) + index, y = static_cast<double>(i / width);
    const double detail =
        128 + 30 * std::sin(x / 3.1) + 30 * std::sin(y / 2.3) + 30 * std::sin((x + y) / 5.7);
    map.data[i] = i < static_cast<gsize>(width * height)
                      ? static_cast<guint8>(std::clamp(detail + noise(rng), 0.0, 255.0))
                      : 128;
  }
  gst_buffer_unmap(buffer, &map);
  GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(index, GST_SECOND, 30);
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(1, GST_SECOND, 30);
  return buffer;
}

/* Live defaults hold nothing: each picture's access unit leaves with it, the
 * latency query answers 0, and the stats agree. */
GST_START_TEST(test_zero_latency) {
  GstHarness *h = live_harness("", 320, 240, "30/1");
  std::mt19937 rng(1);
  for (int i = 0; i < 12; i++) {
    fail_unless_equals_int(gst_harness_push(h, gray_frame(320, 240, i, rng)), GST_FLOW_OK);
    fail_unless_equals_int(static_cast<int>(gst_harness_buffers_received(h)), i + 1);
  }
  fail_unless_equals_uint64(gst_harness_query_latency(h), 0);
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  gint max_delayed = -1;
  fail_unless(gst_structure_get_int(stats, "max-delayed", &max_delayed));
  fail_unless_equals_int(max_delayed, 0);
  gst_structure_free(stats);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A flush (a seek) drops held pictures and restarts at an IDR. */
GST_START_TEST(test_flush_restarts_at_idr) {
  GstHarness *h = live_harness("key-int-max=0", 320, 240, "30/1");
  std::mt19937 rng(2);
  for (int i = 0; i < 5; i++)
    fail_unless_equals_int(gst_harness_push(h, gray_frame(320, 240, i, rng)), GST_FLOW_OK);
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  while (GstBuffer *old = gst_harness_try_pull(h))
    gst_buffer_unref(old);
  for (int i = 5; i < 8; i++)
    fail_unless_equals_int(gst_harness_push(h, gray_frame(320, 240, i, rng)), GST_FLOW_OK);
  for (int i = 5; i < 8; i++) {
    GstBuffer *out = gst_harness_pull(h);
    GstMapInfo map;
    gst_buffer_map(out, &map, GST_MAP_READ);
    const bool idr = is_idr(std::vector<uint8_t>(map.data, map.data + map.size), kCodec);
    gst_buffer_unmap(out, &map);
    fail_unless(idr == (i == 5), "frame %d idr %d", i, idr);
    fail_unless_equals_uint64(GST_BUFFER_PTS(out), gst_util_uint64_scale(i, GST_SECOND, 30));
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* The encoder offers a pool that covers what it holds, with video meta. */
GST_START_TEST(test_proposes_pool) {
  GstHarness *h = live_harness("", 320, 240, "30/1");
  std::mt19937 rng(1);
  gst_harness_push(h, gray_frame(320, 240, 0, rng));
  GstCaps *caps =
      gst_caps_from_string("video/x-raw,format=I420,width=320,height=240,framerate=30/1");
  GstQuery *query = gst_query_new_allocation(caps, TRUE);
  fail_unless(gst_pad_peer_query(h->srcpad, query));
  fail_unless(gst_query_get_n_allocation_pools(query) > 0);
  GstBufferPool *pool = nullptr;
  guint size = 0, min = 0, max = 0;
  gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
  fail_unless(pool != nullptr);
  fail_unless(min >= 1, "min %u", min);
  fail_unless(gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr));
  for (guint i = 0; i < gst_query_get_n_allocation_params(query); i++) {
    GstAllocationParams params;
    gst_query_parse_nth_allocation_param(query, i, nullptr, &params);
    fail_unless_equals_uint64(params.align, 0);
  }
  gst_object_unref(pool);
  gst_query_unref(query);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A Y4M file's frames reach the encoder without a copy: the source wraps
 * its mapping because the encoder asks for no alignment. */
GST_START_TEST(test_y4m_input_not_copied) {
  TempDir dir;
  const int w = 160, h = 128, frames = 6;
  std::vector<uint8_t> file;
  const std::string header = "YUV4MPEG2 W160 H128 F30:1 Ip A1:1 C420jpeg\n";
  file.insert(file.end(), header.begin(), header.end());
  for (int f = 0; f < frames; f++) {
    const std::string tag = "FRAME\n";
    file.insert(file.end(), tag.begin(), tag.end());
    for (int i = 0; i < w * h * 3 / 2; i++)
      file.push_back(static_cast<uint8_t>(i * 7 + f));
  }
  const std::string path = dir.write("in.y4m", file);
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline("quadcapturesrc name=src is-live=false location=" + path + " ! " + kEncoder +
                   " ! fakesink name=sink",
               run, "src", &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  fail_unless_equals_int(static_cast<int>(run.out.size()), frames);
  guint64 zero_copy = 0, copied = 0;
  gst_structure_get_uint64(stats, "zero-copy", &zero_copy);
  gst_structure_get_uint64(stats, "copied", &copied);
  gst_structure_free(stats);
  fail_unless_equals_uint64(zero_copy, frames);
  fail_unless_equals_uint64(copied, 0);
}
GST_END_TEST;

/* Mean squared luma error of the left and right halves over all frames. */
static void half_errors(const std::vector<uint8_t> &decoded, const std::vector<uint8_t> &source,
                        int width, int height, double *left, double *right) {
  double l = 0, r = 0;
  const size_t plane = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < decoded.size() && i < source.size(); i++) {
    const double d = static_cast<double>(decoded[i]) - source[i];
    ((i % plane) % width < static_cast<size_t>(width) / 2 ? l : r) += d * d;
  }
  *left = l;
  *right = r;
}

/* Per-block quant offsets from the analysis meta: blocks the meta calls flat
 * get a finer QP, busy ones a coarser QP, on identical pixels. Without the
 * meta both halves come out alike. */
GST_START_TEST(test_aq_from_meta) {
  const int w = 320, h = 256, frames = 8;
  double ratio[2] = {};
  /* x265 follows the offsets more weakly than x264 (left/right error 0.95
   * against 0.48 at strength 1 on this content); strength 3 makes both
   * clear. */
  for (int with_meta = 0; with_meta < 2; with_meta++) {
    GstHarness *harness =
        live_harness("rate-control=cbr bitrate=400 key-int-max=1 aq-strength=3", w, h, "30/1");
    std::mt19937 rng(7);
    std::vector<uint8_t> luma;
    for (int i = 0; i < frames; i++) {
      GstBuffer *buffer = gray_frame(w, h, i, rng);
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_READ);
      luma.insert(luma.end(), map.data, map.data + w * h);
      gst_buffer_unmap(buffer, &map);
      if (with_meta) {
        GstQuadAnalysisMeta *meta =
            gst_buffer_add_quad_analysis_meta(buffer, 16, 16, w / 16, h / 16);
        for (guint b = 0; b < meta->cols * meta->rows; b++)
          meta->blocks[b].variance = (b % meta->cols) < meta->cols / 2 ? 20 : 5000;
      }
      fail_unless_equals_int(gst_harness_push(harness, buffer), GST_FLOW_OK);
    }
    gst_harness_push_event(harness, gst_event_new_eos());
    std::vector<uint8_t> stream;
    while (GstBuffer *out = gst_harness_try_pull(harness)) {
      GstMapInfo map;
      gst_buffer_map(out, &map, GST_MAP_READ);
      stream.insert(stream.end(), map.data, map.data + map.size);
      gst_buffer_unmap(out, &map);
      gst_buffer_unref(out);
    }
    GstStructure *stats = nullptr;
    g_object_get(harness->element, "stats", &stats, nullptr);
    guint64 aq_frames = 0;
    gst_structure_get_uint64(stats, "aq-frames", &aq_frames);
    gst_structure_free(stats);
    fail_unless_equals_uint64(aq_frames, with_meta ? frames : 0);
    gst_harness_teardown(harness);

    TempDir dir;
    const std::vector<uint8_t> decoded = ffmpeg_luma(dir.write("aq.es", stream), kCodec);
    fail_unless_equals_int(static_cast<int>(decoded.size()), w * h * frames);
    double left = 0, right = 0;
    half_errors(decoded, luma, w, h, &left, &right);
    ratio[with_meta] = left / right;
  }
  GST_INFO("left/right error: without meta %.3f, with meta %.3f", ratio[0], ratio[1]);
  fail_unless(ratio[0] > 0.8 && ratio[0] < 1.25, "without meta %.3f", ratio[0]);
  fail_unless(ratio[1] < 0.7 * ratio[0], "with meta %.3f, without %.3f", ratio[1], ratio[0]);
}
GST_END_TEST;

/* A scene cut in the meta makes that picture an IDR. */
GST_START_TEST(test_scene_cut_forces_idr) {
  GstHarness *h = live_harness("key-int-max=0", 320, 240, "30/1");
  std::mt19937 rng(3);
  const int frames = 24, cut = 13;
  for (int i = 0; i < frames; i++) {
    GstBuffer *buffer = gray_frame(320, 240, i, rng);
    GstQuadAnalysisMeta *meta = gst_buffer_add_quad_analysis_meta(buffer, 16, 16, 20, 15);
    for (guint b = 0; b < 20 * 15; b++)
      meta->blocks[b].variance = 100;
    meta->scene_cut = i == cut;
    fail_unless_equals_int(gst_harness_push(h, buffer), GST_FLOW_OK);
  }
  for (int i = 0; i < frames; i++) {
    GstBuffer *out = gst_harness_pull(h);
    GstMapInfo map;
    gst_buffer_map(out, &map, GST_MAP_READ);
    const bool idr = is_idr(std::vector<uint8_t>(map.data, map.data + map.size), kCodec);
    gst_buffer_unmap(out, &map);
    fail_unless(idr == (i == 0 || i == cut), "frame %d idr %d", i, idr);
    fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT) == !idr);
    gst_buffer_unref(out);
  }
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  guint64 forced = 0;
  gst_structure_get_uint64(stats, "forced-idr", &forced);
  gst_structure_free(stats);
  fail_unless_equals_uint64(forced, 1);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* With a frame interval no encoder can meet (1 ms at 1000 fps), the guard
 * steps the preset down and says so on the bus and in stats. */
GST_START_TEST(test_realtime_guard_steps_down) {
  PipelineRun run;
  GstStructure *stats = nullptr;
  run_pipeline(source(40, 640, 360, "I420", "1000/1") + " ! " + kEncoder +
                   " name=enc realtime=true speed-preset=medium ! fakesink name=sink",
               run, "enc", &stats);
  fail_unless(run.eos, "%s", run.error.c_str());
  fail_unless_equals_int(static_cast<int>(run.out.size()), 40);
  const auto steps = run.messages("quad-realtime-preset");
  fail_unless(!steps.empty());
  fail_unless_equals_string(gst_structure_get_string(steps[0], "from"), "medium");
  fail_unless_equals_string(gst_structure_get_string(steps[0], "to"), "fast");
  fail_unless_equals_string(gst_structure_get_string(steps[0], "reason"), "overrun");
  guint64 down = 0;
  gst_structure_get_uint64(stats, "preset-down", &down);
  fail_unless_equals_uint64(down, steps.size());
  fail_unless(g_strcmp0(gst_structure_get_string(stats, "preset"), "medium") != 0);
  gst_structure_free(stats);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("rt.es", run.stream()), kCodec), 40);
}
GST_END_TEST;

/* Bad input is an error message, never a crash: an odd size 4:2:0 cannot
 * take is outside the template (refused before any frame), and a buffer
 * shorter than its caps say is an error. */
GST_START_TEST(test_bad_input_errors) {
  {
    GstElement *enc = gst_element_factory_make(kEncoder, nullptr);
    GstPad *sink = gst_element_get_static_pad(enc, "sink");
    GstCaps *odd =
        gst_caps_from_string("video/x-raw,format=I420,width=33,height=32,framerate=30/1");
    GstCaps *even =
        gst_caps_from_string("video/x-raw,format=I420,width=34,height=32,framerate=30/1");
    fail_unless(!gst_pad_query_accept_caps(sink, odd));
    fail_unless(gst_pad_query_accept_caps(sink, even));
    gst_caps_unref(odd);
    gst_caps_unref(even);
    gst_object_unref(sink);
    gst_object_unref(enc);
  }
  {
    GstHarness *h = live_harness("", 320, 240, "30/1");
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    GstBuffer *shorter = gst_buffer_new_allocate(nullptr, 1000, nullptr);
    fail_unless_equals_int(gst_harness_push(h, shorter), GST_FLOW_ERROR);
    GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    fail_unless(msg != nullptr);
    gst_message_unref(msg);
    gst_element_set_bus(h->element, nullptr);
    gst_object_unref(bus);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

/* The smallest size the template claims codes and decodes, as does a size
 * that is no multiple of 16 (x265 picks a CTU that fits the picture). */
GST_START_TEST(test_smallest_sizes_work) {
  for (const auto &[w, h] : {std::pair{16, 16}, std::pair{34, 18}, std::pair{48, 32}}) {
    PipelineRun run;
    run_pipeline(source(4, w, h) + " ! " + kEncoder + " ! fakesink name=sink", run);
    fail_unless(run.eos, "%dx%d: %s", w, h, run.error.c_str());
    TempDir dir;
    fail_unless_equals_int(ffmpeg_frames(dir.write("small.es", run.stream()), kCodec), 4);
  }
}
GST_END_TEST;

/* Settings the library refuses stop the start with its reason in the
 * error: lossless (qp 0) in a profile without it, a crop x264 cannot take,
 * a CTU larger than the picture for x265. */
GST_START_TEST(test_library_refusals_name_the_reason) {
  const std::pair<std::string, const char *> h264[] = {
      {source(3, 320, 240) + " ! quadx264enc rate-control=cqp qp=0", "doesn't support lossless"},
      {source(3, 320, 240) + " ! quadx264enc option-string=crop-rect=1,0,0,0", "crop-rect"}};
  const std::pair<std::string, const char *> h265[] = {
      {source(3, 32, 32) + " ! quadx265enc option-string=ctu=64", "at least one CTU (64x64)"}};
  for (const auto &[description, reason] :
       kCodec == Codec::H264 ? std::span<const std::pair<std::string, const char *>>(h264)
                             : std::span<const std::pair<std::string, const char *>>(h265)) {
    PipelineRun run;
    run_pipeline(description + " ! fakesink name=sink", run);
    fail_unless(!run.eos, "%s accepted", description.c_str());
    fail_unless(run.error.find("Could not start the encoder") != std::string::npos, "%s",
                run.error.c_str());
    fail_unless(run.error.find(reason) != std::string::npos, "%s: %s", description.c_str(),
                run.error.c_str());
  }
}
GST_END_TEST;

/* The C API: parameter sets and an IDR first, pts returned, a stream FFmpeg
 * decodes; bad settings refused with a reason. */
GST_START_TEST(test_c_api) {
  const int w = 176, h = 144, frames = 10;
  QFEncoder *encoder = qf_encoder_create(kCodecApi, w, h, 25, 1);
  fail_unless(encoder != nullptr, "%s", qf_last_error());
  fail_unless_equals_int(qf_encoder_delayed_frames(encoder), 0);
  std::vector<uint8_t> y(w * h), u(w * h / 4, 128), v(w * h / 4, 128);
  std::vector<uint8_t> stream;
  for (int i = 0; i < frames; i++) {
    for (int p = 0; p < w * h; p++)
      y[p] = static_cast<uint8_t>((p % w) * 2 + i * 3 + p / w);
    const uint8_t *planes[3] = {y.data(), u.data(), v.data()};
    const ptrdiff_t strides[3] = {w, w / 2, w / 2};
    QFPacket packet;
    fail_unless_equals_int(qf_encoder_encode(encoder, planes, strides, 1000 + i, 0, &packet), 1);
    fail_unless_equals_int64(packet.pts, 1000 + i);
    fail_unless(packet.nal_count > 0);
    size_t total = 0;
    for (int n = 0; n < packet.nal_count; n++)
      total += packet.nals[n].size;
    fail_unless_equals_uint64(total, packet.size);
    if (i == 0) {
      fail_unless(packet.keyframe);
      std::vector<int> types;
      for (int n = 0; n < packet.nal_count; n++)
        types.push_back(packet.nals[n].type);
      const std::vector<int> want =
          kCodec == Codec::H264 ? std::vector<int>{7, 8, 5} : std::vector<int>{32, 33, 34};
      for (int t : want)
        fail_unless(std::find(types.begin(), types.end(), t) != types.end(), "nal %d missing", t);
    }
    stream.insert(stream.end(), packet.data, packet.data + packet.size);
  }
  QFPacket packet;
  fail_unless_equals_int(qf_encoder_flush(encoder, &packet), 0);
  qf_encoder_destroy(encoder);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("capi.es", stream), kCodec), frames);

  fail_unless(qf_encoder_create(kCodecApi, 175, 144, 25, 1) == nullptr);
  fail_unless(std::string(qf_last_error()).find("even") != std::string::npos, "%s",
              qf_last_error());
  fail_unless(qf_encoder_create(kCodecApi, 176, 144, 0, 1) == nullptr);
}
GST_END_TEST;

/* mp4mux and matroskamux take the output directly (avc / hvc1 with
 * codec_data), and FFmpeg reads every frame back. */
GST_START_TEST(test_muxers_take_output) {
  TempDir dir;
  const int frames = 40;
  for (const char *mux : {"mp4mux", "matroskamux"}) {
    const std::string file = dir.path + "/out." + mux;
    const std::string error =
        run_to_eos(source(frames, 320, 240) + " ! " + kEncoder + " key-int-max=15 ! " + mux +
                   " ! filesink location=" + file);
    fail_unless(error.empty(), "%s: %s", mux, error.c_str());
    fail_unless_equals_int(ffmpeg_container_frames(file), frames);
    const std::string pix_fmt = ffprobe_entry(file, "pix_fmt");
    fail_unless_equals_string(pix_fmt.c_str(), "yuv420p");
  }
}
GST_END_TEST;

/* The encoder's output caps when downstream asks for filter. */
static GstCaps *negotiated_caps(const std::string &filter, std::string *error) {
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
      (source(3, 320, 240) + " ! " + kEncoder + " name=enc ! " + filter + " ! fakesink").c_str(),
      &err);
  fail_unless(pipeline != nullptr, "%s", err ? err->message : "");
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  GstPad *src = gst_element_get_static_pad(enc, "src");
  GstCaps *caps = nullptr;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    *error = e->message;
    g_clear_error(&e);
  } else {
    caps = gst_pad_get_current_caps(src);
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(enc);
  gst_object_unref(pipeline);
  return caps;
}

/* Downstream caps decide the stream format and the profile; a profile the
 * encoder cannot code is a negotiation error, never another profile. */
GST_START_TEST(test_caps_decide_format_and_profile) {
  const bool h264 = kCodec == Codec::H264;
  const char *media = h264 ? "video/x-h264" : "video/x-h265";
  std::string error;
  for (const char *format : h264 ? std::vector<const char *>{"byte-stream", "avc"}
                                 : std::vector<const char *>{"byte-stream", "hvc1", "hev1"}) {
    GstCaps *caps = negotiated_caps(std::string(media) + ",stream-format=" + format, &error);
    fail_unless(caps != nullptr, "%s: %s", format, error.c_str());
    GstStructure *st = gst_caps_get_structure(caps, 0);
    fail_unless_equals_string(gst_structure_get_string(st, "stream-format"), format);
    fail_unless(gst_structure_has_field(st, "codec_data") == !g_str_equal(format, "byte-stream"),
                "%s codec_data", format);
    gst_caps_unref(caps);
  }
  const char *low = h264 ? "constrained-baseline" : "main";
  GstCaps *caps = negotiated_caps(std::string(media) + ",profile=" + low, &error);
  fail_unless(caps != nullptr, "%s", error.c_str());
  fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(caps, 0), "profile"),
                            low);
  gst_caps_unref(caps);
  /* The SPS says so too: profile_idc 66 with constraint_set1 (H.264 A.2.1.1). */
  if (h264) {
    PipelineRun run;
    run_pipeline(source(2, 320, 240) + " ! " + kEncoder +
                     " ! video/x-h264,profile=constrained-baseline ! fakesink name=sink",
                 run);
    fail_unless(run.eos, "%s", run.error.c_str());
    const std::vector<uint8_t> &au = run.out[0].data;
    bool seen = false;
    for (size_t i = 0; i + 5 < au.size(); i++)
      if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1 && (au[i + 3] & 0x1f) == 7) {
        fail_unless_equals_int(au[i + 4], 66);
        fail_unless(au[i + 5] & 0x40, "constraint_set1_flag");
        seen = true;
        break;
      }
    fail_unless(seen, "no SPS");
  }
  /* A 10-bit profile for 8-bit input: the encoder names what it can code. */
  error.clear();
  caps = negotiated_caps(std::string(media) + ",profile=" + (h264 ? "high-10" : "main-10"), &error);
  fail_unless(caps == nullptr);
  fail_unless(error.find("profiles") != std::string::npos, "%s", error.c_str());
  /* A profile outside the template fails negotiation before any frame. */
  error.clear();
  caps =
      negotiated_caps(std::string(media) + ",profile=" + (h264 ? "high-4:4:4" : "main-12"), &error);
  fail_unless(caps == nullptr);
  fail_unless(!error.empty());
}
GST_END_TEST;

/* Pushes count frames from first and returns each output's size and whether
 * it is an IDR; every frame must come out. */
static void push_and_pull(GstHarness *h, int first, int count, std::mt19937 &rng,
                          std::vector<std::pair<gsize, bool>> &out) {
  for (int i = first; i < first + count; i++) {
    fail_unless_equals_int(gst_harness_push(h, gray_frame(320, 240, i, rng)), GST_FLOW_OK);
    GstBuffer *buffer = gst_harness_pull(h);
    fail_unless(buffer != nullptr, "frame %d", i);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_READ);
    out.emplace_back(map.size, is_idr(std::vector<uint8_t>(map.data, map.data + map.size), kCodec));
    gst_buffer_unmap(buffer, &map);
    gst_buffer_unref(buffer);
  }
}

static gsize total_size(const std::vector<std::pair<gsize, bool>> &out, size_t from, size_t to) {
  gsize sum = 0;
  for (size_t i = from; i < to; i++)
    sum += out[i].first;
  return sum;
}

/* Bytes of frames 35..59 with the bitrate changed from 150 kbit/s to `to`
 * after frame 30 (0: unchanged); *idrs gets the IDRs after frame 0. */
static gsize bytes_after_bitrate_change(guint to, std::vector<size_t> *idrs) {
  GstHarness *h = live_harness("bitrate=150 vbv-buffer-ms=200 key-int-max=0", 320, 240, "30/1");
  std::mt19937 rng(3);
  std::vector<std::pair<gsize, bool>> out;
  push_and_pull(h, 0, 30, rng, out);
  if (to)
    g_object_set(h->element, "bitrate", to, nullptr);
  push_and_pull(h, 30, 30, rng, out);
  fail_unless_equals_int(static_cast<int>(out.size()), 60);
  for (size_t i = 1; i < out.size(); i++)
    if (out[i].second)
      idrs->push_back(i);
  gst_harness_teardown(h);
  return total_size(out, 35, 60);
}

/* bitrate changes in PLAYING: the next pictures follow it, no frame lost
 * (compared with the same pictures at the old bitrate), within the level
 * and across it (2 -> 2.1 at 2000 kbit/s here). x264 takes it in place,
 * without an IDR; x265's reconfigure call keeps the old rate, so a new x265
 * starts with it at an IDR on the next picture. */
GST_START_TEST(test_bitrate_changes_in_playing) {
  const std::vector<size_t> expected_idrs =
      kCodec == Codec::H264 ? std::vector<size_t>{} : std::vector<size_t>{30};
  std::vector<size_t> idrs;
  const gsize unchanged = bytes_after_bitrate_change(0, &idrs);
  fail_unless(idrs.empty());
  const gsize raised = bytes_after_bitrate_change(400, &idrs);
  fail_unless(idrs == expected_idrs, "%zu IDRs, first at %zu", idrs.size(),
              idrs.empty() ? 0 : idrs[0]);
  fail_unless(raised > 3 * unchanged / 2, "%zu bytes at 150 kbit/s, %zu after 400", unchanged,
              raised);
  idrs.clear();
  const gsize across = bytes_after_bitrate_change(2000, &idrs);
  fail_unless(idrs == expected_idrs, "%zu IDRs, first at %zu", idrs.size(),
              idrs.empty() ? 0 : idrs[0]);
  fail_unless(across > 3 * raised / 2, "%zu bytes after 400 kbit/s, %zu after 2000", raised,
              across);
}
GST_END_TEST;

/* qp changes in PLAYING (rate-control cqp): the next picture is coded with it. */
GST_START_TEST(test_qp_changes_in_playing) {
  GstHarness *h = live_harness("rate-control=cqp qp=44 key-int-max=0", 320, 240, "30/1");
  std::mt19937 rng(4);
  std::vector<std::pair<gsize, bool>> out;
  push_and_pull(h, 0, 10, rng, out);
  g_object_set(h->element, "qp", 18u, nullptr);
  push_and_pull(h, 10, 10, rng, out);
  for (size_t i = 1; i < out.size(); i++)
    fail_unless(!out[i].second, "IDR at %zu", i);
  const gsize coarse = total_size(out, 1, 10), fine = total_size(out, 11, 20);
  fail_unless(fine > 3 * coarse, "%zu bytes at qp 44, %zu at qp 18", coarse, fine);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* key-int-max changes in PLAYING: IDRs follow the new interval from the next
 * picture; 0 means automatic (x264's and x265's 250), as on x264enc. */
GST_START_TEST(test_key_int_changes_in_playing) {
  GstHarness *h = live_harness("key-int-max=0", 320, 240, "30/1");
  std::mt19937 rng(5);
  std::vector<std::pair<gsize, bool>> out;
  push_and_pull(h, 0, 20, rng, out);
  g_object_set(h->element, "key-int-max", 8u, nullptr);
  push_and_pull(h, 20, 20, rng, out);
  for (size_t i = 0; i < out.size(); i++) {
    /* 20 pictures since the IDR at 0 already exceed 8: the next is an IDR. */
    const bool expected = i == 0 || (i >= 20 && (i - 20) % 8 == 0);
    fail_unless(out[i].second == expected, "frame %zu idr %d", i, out[i].second);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* key-int-max=0 is automatic, as on x264enc: an IDR every 250 pictures
 * (x264's and x265's default), counted over a stream long enough to see
 * two of them. */
GST_START_TEST(test_key_int_max_zero_is_automatic) {
  GstHarness *h = live_harness("key-int-max=0 speed-preset=ultrafast", 96, 64, "30/1");
  std::mt19937 rng(8);
  for (int i = 0; i < 502; i++) {
    fail_unless_equals_int(gst_harness_push(h, gray_frame(96, 64, i, rng)), GST_FLOW_OK);
    GstBuffer *buffer = gst_harness_pull(h);
    fail_unless(buffer != nullptr, "frame %d", i);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_READ);
    const bool idr = is_idr(std::vector<uint8_t>(map.data, map.data + map.size), kCodec);
    gst_buffer_unmap(buffer, &map);
    fail_unless(idr == (i % 250 == 0), "frame %d idr %d", i, idr);
    fail_unless(GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT) == !idr, "frame %d", i);
    gst_buffer_unref(buffer);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

/* speed-preset changes in PLAYING through the library's reconfigure call. */
GST_START_TEST(test_speed_preset_changes_in_playing) {
  GstHarness *h = live_harness("speed-preset=ultrafast", 320, 240, "30/1");
  std::mt19937 rng(6);
  std::vector<std::pair<gsize, bool>> out;
  push_and_pull(h, 0, 5, rng, out);
  gst_util_set_object_arg(G_OBJECT(h->element), "speed-preset", "veryfast");
  push_and_pull(h, 5, 5, rng, out);
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  fail_unless_equals_string(gst_structure_get_string(stats, "preset"), "veryfast");
  gst_structure_free(stats);
  GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "bitrate");
  fail_unless(pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* tune and option-string reach the library; what it refuses stops the start
 * with the property named. */
GST_START_TEST(test_tune_and_option_string) {
  PipelineRun ok;
  run_pipeline(source(10, 320, 240) + " ! " + kEncoder +
                   " tune=zerolatency+fastdecode option-string=ref=2:aq-mode=1 "
                   "! fakesink name=sink",
               ok);
  fail_unless(ok.eos, "%s", ok.error.c_str());
  fail_unless_equals_int(static_cast<int>(ok.out.size()), 10);
  TempDir dir;
  fail_unless_equals_int(ffmpeg_frames(dir.write("t.es", ok.stream()), kCodec), 10);

  const std::pair<const char *, const char *> bad[] = {
      {"option-string=no-such-option=1", "option-string"},
      {"option-string=ref=abc", "option-string"},
      {"tune=psnr+ssim", "tune"}};
  for (const auto &[props, property] : bad) {
    PipelineRun run;
    run_pipeline(source(3, 320, 240) + " ! " + kEncoder + " " + props + " ! fakesink name=sink",
                 run);
    fail_unless(!run.eos, "%s accepted", props);
    fail_unless(run.error.find(property) != std::string::npos, "%s: %s", props, run.error.c_str());
  }
}
GST_END_TEST;

/* 10-bit input codes High 10 / Main 10, muxed and read back by FFmpeg. */
GST_START_TEST(test_ten_bit_input) {
  TempDir dir;
  const std::string file = dir.path + "/ten.mkv";
  const std::string error =
      run_to_eos(source(12, 320, 240) + " ! videoconvert ! video/x-raw,format=I420_10LE ! " +
                 kEncoder + " ! matroskamux ! filesink location=" + file);
  fail_unless(error.empty(), "%s", error.c_str());
  fail_unless_equals_int(ffmpeg_container_frames(file), 12);
  const std::string pix_fmt = ffprobe_entry(file, "pix_fmt");
  const std::string profile = ffprobe_entry(file, "profile");
  fail_unless_equals_string(pix_fmt.c_str(), "yuv420p10le");
  fail_unless_equals_string(profile.c_str(), kCodec == Codec::H264 ? "High 10" : "Main 10");
}
GST_END_TEST;

static void add_fallback_tests(TCase *tc) {
  tcase_add_test(tc, test_decodes_with_timestamps);
  tcase_add_test(tc, test_zero_latency);
  tcase_add_test(tc, test_proposes_pool);
  tcase_add_test(tc, test_flush_restarts_at_idr);
  tcase_add_test(tc, test_y4m_input_not_copied);
  tcase_add_test(tc, test_aq_from_meta);
  tcase_add_test(tc, test_scene_cut_forces_idr);
  tcase_add_test(tc, test_realtime_guard_steps_down);
  tcase_add_test(tc, test_bad_input_errors);
  tcase_add_test(tc, test_smallest_sizes_work);
  tcase_add_test(tc, test_library_refusals_name_the_reason);
  tcase_add_test(tc, test_c_api);
  tcase_add_test(tc, test_muxers_take_output);
  tcase_add_test(tc, test_caps_decide_format_and_profile);
  tcase_add_test(tc, test_bitrate_changes_in_playing);
  tcase_add_test(tc, test_qp_changes_in_playing);
  tcase_add_test(tc, test_key_int_changes_in_playing);
  tcase_add_test(tc, test_key_int_max_zero_is_automatic);
  tcase_add_test(tc, test_speed_preset_changes_in_playing);
  tcase_add_test(tc, test_tune_and_option_string);
  tcase_add_test(tc, test_ten_bit_input);
}
