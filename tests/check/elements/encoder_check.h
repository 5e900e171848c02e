/* Helpers shared by the encoder element tests: run a pipeline and keep what
 * its sink received, parse Annex B, and decode with FFmpeg and GStreamer. */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <cstdint>
#include <string>
#include <vector>

struct OutputBuffer {
  GstClockTime pts;
  GstClockTime dts;
  bool delta; /* GST_BUFFER_FLAG_DELTA_UNIT */
  std::vector<uint8_t> data;
};

struct PipelineRun {
  bool eos = false;
  std::string error;
  std::vector<OutputBuffer> out;
  std::vector<GstStructure *> element_messages; /* owned */

  ~PipelineRun() {
    for (GstStructure *s : element_messages)
      gst_structure_free(s);
  }
  /* The element messages named name. */
  std::vector<const GstStructure *> messages(const char *name) const {
    std::vector<const GstStructure *> found;
    for (const GstStructure *s : element_messages)
      if (gst_structure_has_name(s, name))
        found.push_back(s);
    return found;
  }
  std::vector<uint8_t> stream() const {
    std::vector<uint8_t> all;
    for (const OutputBuffer &b : out)
      all.insert(all.end(), b.data.begin(), b.data.end());
    return all;
  }
};

inline void keep_buffer(GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  static_cast<PipelineRun *>(data)->out.push_back(
      {GST_BUFFER_PTS(buffer), GST_BUFFER_DTS(buffer),
       GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT),
       std::vector<uint8_t>(map.data, map.data + map.size)});
  gst_buffer_unmap(buffer, &map);
}

/* Runs a pipeline whose sink is "fakesink name=sink" to EOS or error. When
 * element is named, *stats_out receives its "stats" property at the end. */
inline void run_pipeline(const std::string &description, PipelineRun &run,
                         const char *element = nullptr, GstStructure **stats_out = nullptr) {
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &err);
  fail_unless(pipeline != nullptr, "%s: %s", description.c_str(), err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
  g_signal_connect(sink, "handoff", G_CALLBACK(keep_buffer), &run);
  gst_object_unref(sink);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 120 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    fail_unless(msg != nullptr, "pipeline hung: %s", description.c_str());
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
      run.element_messages.push_back(gst_structure_copy(gst_message_get_structure(msg)));
      gst_message_unref(msg);
      continue;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError *e = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg, &e, &debug);
      run.error = std::string(e->message) + " | " + (debug ? debug : "");
      g_clear_error(&e);
      g_free(debug);
    } else {
      run.eos = true;
    }
    gst_message_unref(msg);
    break;
  }
  gst_object_unref(bus);
  if (element && stats_out) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element);
    g_object_get(e, "stats", stats_out, nullptr);
    gst_object_unref(e);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

/* ---- Annex B ---- */

enum class Codec { H264, H265 };

/* nal_unit_type of every NAL unit in an access unit. */
inline std::vector<int> nal_types(const std::vector<uint8_t> &au, Codec codec) {
  std::vector<int> types;
  for (size_t i = 0; i + 3 < au.size(); i++) {
    if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1) {
      const uint8_t h = au[i + 3];
      types.push_back(codec == Codec::H264 ? (h & 0x1f) : ((h >> 1) & 0x3f));
      i += 2;
    }
  }
  return types;
}

inline bool is_idr(const std::vector<uint8_t> &au, Codec codec) {
  for (int t : nal_types(au, codec))
    if (codec == Codec::H264 ? t == 5 : (t == 19 || t == 20))
      return true;
  return false;
}

/* ---- decoding ---- */

struct TempDir {
  std::string path;
  TempDir() {
    gchar *dir = g_dir_make_tmp("quadenc-XXXXXX", nullptr);
    path = dir;
    g_free(dir);
  }
  ~TempDir() {
    GDir *d = g_dir_open(path.c_str(), 0, nullptr);
    if (d) {
      while (const gchar *name = g_dir_read_name(d))
        g_remove((path + "/" + name).c_str());
      g_dir_close(d);
    }
    g_rmdir(path.c_str());
  }
  std::string write(const char *name, const std::vector<uint8_t> &data) const {
    const std::string file = path + "/" + name;
    fail_unless(g_file_set_contents(file.c_str(), reinterpret_cast<const gchar *>(data.data()),
                                    static_cast<gssize>(data.size()), nullptr));
    return file;
  }
};

/* Runs ffmpeg on an elementary stream with -err_detect explode, so any
 * decoding error fails; output_args say what to write. */
inline bool run_ffmpeg(const std::string &file, Codec codec, std::vector<std::string> output_args,
                       std::string *stdout_text) {
  std::vector<std::string> args = {"ffmpeg",      "-nostdin",
                                   "-v",          "error",
                                   "-err_detect", "crccheck+explode",
                                   "-f",          codec == Codec::H264 ? "h264" : "hevc",
                                   "-i",          file};
  /* Every decoded frame, none dropped or repeated to fit a frame rate. */
  args.insert(args.end(), {"-fps_mode", "passthrough"});
  args.insert(args.end(), output_args.begin(), output_args.end());
  std::vector<gchar *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  gchar *out = nullptr;
  gchar *err = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                           &out, &err, &status, nullptr));
  const bool ok = g_spawn_check_wait_status(status, nullptr) && (!err || !*err);
  if (!ok)
    GST_ERROR("ffmpeg on %s: %s", file.c_str(), err ? err : "");
  if (stdout_text)
    *stdout_text = out ? out : "";
  g_free(out);
  g_free(err);
  return ok;
}

/* Frames FFmpeg decodes, or -1 when it reports an error. */
inline int ffmpeg_frames(const std::string &file, Codec codec) {
  std::string text;
  if (!run_ffmpeg(file, codec, {"-f", "framemd5", "-"}, &text))
    return -1;
  int frames = 0;
  gchar **lines = g_strsplit(text.c_str(), "\n", -1);
  for (gchar **l = lines; *l; l++)
    frames += (**l && **l != '#') ? 1 : 0;
  g_strfreev(lines);
  return frames;
}

/* The decoded luma planes, one after another; empty on a decoding error. */
inline std::vector<uint8_t> ffmpeg_luma(const std::string &file, Codec codec) {
  const std::string raw = file + ".gray";
  std::vector<uint8_t> luma;
  if (!run_ffmpeg(file, codec, {"-f", "rawvideo", "-pix_fmt", "gray", "-y", raw}, nullptr))
    return luma;
  gchar *data = nullptr;
  gsize size = 0;
  if (g_file_get_contents(raw.c_str(), &data, &size, nullptr))
    luma.assign(data, data + size);
  g_free(data);
  return luma;
}

/* Frames GStreamer's libav decoder (avdec_h264 / avdec_h265) outputs. */
inline int avdec_frames(const std::string &file, Codec codec) {
  const std::string parse =
      codec == Codec::H264 ? "h264parse ! avdec_h264" : "h265parse ! avdec_h265";
  PipelineRun run;
  run_pipeline("filesrc location=" + file + " ! " + parse + " ! fakesink name=sink", run);
  return run.eos ? static_cast<int>(run.out.size()) : -1;
}

/* Plays a parsed pipeline to EOS or an error for at most `timeout`, then
 * releases it. Returns empty at EOS, "pipeline hung" on timeout, else the
 * error's message, followed by " | " and its debug text with_debug. */
inline std::string play_to_end(GstElement *pipeline, GstClockTime timeout, bool with_debug) {
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string error = msg ? "" : "pipeline hung";
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &e, &debug);
    error = e->message;
    if (with_debug)
      error += std::string(" | ") + (debug ? debug : "");
    g_clear_error(&e);
    g_free(debug);
  }
  if (msg)
    gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return error;
}

/* Runs a pipeline that ends in a file (no fakesink) to EOS; the error text
 * when it fails, empty when it reached EOS. */
inline std::string run_to_eos(const std::string &description) {
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &err);
  if (!pipeline) {
    std::string text = err ? err->message : "parse failed";
    g_clear_error(&err);
    return text;
  }
  return play_to_end(pipeline, 120 * GST_SECOND, true);
}

/* ffprobe's value of stream entry (e.g. "pix_fmt", "profile", "nb_read_frames"
 * with every frame decoded) for the first video stream of a container file. */
inline std::string ffprobe_entry(const std::string &file, const char *entry) {
  const std::string entries = std::string("stream=") + entry;
  const gchar *argv[] = {"ffprobe",
                         "-v",
                         "error",
                         "-count_frames",
                         "-select_streams",
                         "v:0",
                         "-show_entries",
                         entries.c_str(),
                         "-of",
                         "csv=p=0",
                         file.c_str(),
                         nullptr};
  gchar *out = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH,
                           nullptr, nullptr, &out, nullptr, &status, nullptr));
  std::string value = out ? g_strstrip(out) : "";
  g_free(out);
  return value;
}

/* Frames FFmpeg decodes from a container file, or -1 on a decoding error. */
inline int ffmpeg_container_frames(const std::string &file) {
  const gchar *argv[] = {
      "ffmpeg", "-nostdin",   "-v",        "error",       "-err_detect", "crccheck+explode",
      "-i",     file.c_str(), "-fps_mode", "passthrough", "-f",          "framemd5",
      "-",      nullptr};
  gchar *out = nullptr;
  gchar *err = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH,
                           nullptr, nullptr, &out, &err, &status, nullptr));
  int frames = -1;
  if (g_spawn_check_wait_status(status, nullptr) && (!err || !*err)) {
    frames = 0;
    gchar **lines = g_strsplit(out ? out : "", "\n", -1);
    for (gchar **l = lines; *l; l++)
      frames += (**l && **l != '#') ? 1 : 0;
    g_strfreev(lines);
  } else {
    GST_ERROR("ffmpeg on %s: %s", file.c_str(), err ? err : "");
  }
  g_free(out);
  g_free(err);
  return frames;
}
