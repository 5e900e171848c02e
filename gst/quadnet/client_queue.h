// One viewer's send queue and the policy that keeps a slow viewer from
// hurting anyone: bounded by age, and a viewer that falls behind is skipped
// forward to the next key frame. No GStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "protocol.h"
#include "websocket.h"

namespace quad::net {

// An encoded access unit shared by every viewer's queue; owner keeps the
// bytes alive (a mapped GstBuffer, or a converted copy).
struct AccessUnit {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> bytes;
  MessageHeader header; // sequence, pts, capture time, key/config flags
  uint64_t arrival_us = 0;
};

struct QueueCounters {
  uint64_t skips = 0;         // times the viewer was skipped forward
  uint64_t skipped_units = 0; // access units it never got because of that
  uint64_t sent_units = 0;    // access units fully written
  uint64_t sent_bytes = 0;
};

class ClientQueue {
public:
  explicit ClientQueue(uint64_t max_lag_us) : max_lag_us_(max_lag_us) {}

  // Offers the next AU of the stream, queued as if at queued_us. When the
  // oldest unsent AU is older than max-lag, every AU not yet started is
  // dropped and the viewer waits for the next key frame, which then carries
  // the discont flag and the number of AUs skipped.
  void offer(std::shared_ptr<const AccessUnit> au, uint64_t queued_us);
  // Drops every AU that has not started to go out (before a close frame).
  void drop_unstarted();
  // Always queued, in order (pong, close; a stream description that
  // describes the units after it).
  void push_frame(std::vector<uint8_t> frame, uint64_t queued_us, bool description = false);
  // The same stream described again with only its viewer count changed:
  // takes the place of the latest description when none of it has gone out
  // yet, so a viewer that does not read cannot pile them up.
  void refresh_description(std::vector<uint8_t> frame, uint64_t queued_us);

  bool empty() const { return items_.empty(); }
  // Age of the oldest AU that has not started to go out (0 when none).
  uint64_t lag_us(uint64_t now_us) const;
  bool waiting_for_key() const { return waiting_for_key_; }
  bool started() const { return started_; }
  size_t queued_units() const;
  // A pushed frame (not an AU) that has not gone out completely.
  bool has_unsent_frame() const;

  // Up to out.size() pieces of what is to be written next.
  size_t gather(std::span<std::span<const uint8_t>> out) const;
  // Marks bytes as written.
  void consume(size_t bytes);

  const QueueCounters &counters() const { return counters_; }

private:
  struct Item {
    uint8_t prefix[ws::kMaxFrameHeader + kHeaderSize];
    size_t prefix_size = 0;
    std::shared_ptr<const AccessUnit> au; // or raw
    std::vector<uint8_t> raw;
    size_t written = 0;
    uint64_t queued_us = 0;
    uint32_t carried_skipped = 0; // the skip count its header reports
    bool description = false;
    size_t size() const { return prefix_size + (au ? au->bytes.size() : raw.size()); }
  };

  uint64_t max_lag_us_;
  std::deque<Item> items_;
  bool waiting_for_key_ = true; // a new viewer starts at a key frame
  bool started_ = false;        // has had its first AU: later waits are skips
  uint32_t pending_skipped_ = 0;
  QueueCounters counters_;
};

} // namespace quad::net
