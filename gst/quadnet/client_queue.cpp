#include "client_queue.h"

#include <algorithm>

namespace quad::net {

uint64_t ClientQueue::lag_us(uint64_t now_us) const {
  for (const auto &item : items_)
    if (item.au && item.written == 0)
      return now_us > item.queued_us ? now_us - item.queued_us : 0;
  return 0;
}

size_t ClientQueue::queued_units() const {
  return static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Item &i) { return i.au != nullptr; }));
}

void ClientQueue::offer(std::shared_ptr<const AccessUnit> au, uint64_t queued_us) {
  if (started_ && !waiting_for_key_ && lag_us(queued_us) > max_lag_us_) {
    // A frame already partly on the wire must be finished, or the
    // WebSocket stream would be corrupt.
    uint32_t dropped = 0;
    uint32_t carried = 0; // a dropped key frame's report of an earlier skip
    std::erase_if(items_, [&](const Item &i) {
      const bool drop = i.au && i.written == 0;
      dropped += drop;
      carried += drop ? i.carried_skipped : 0;
      return drop;
    });
    waiting_for_key_ = true;
    pending_skipped_ += dropped + carried;
    counters_.skips++;
    counters_.skipped_units += dropped;
  }
  const bool key = au->header.flags & flags::kKeyFrame;
  if (waiting_for_key_ && !key) {
    if (started_) {
      pending_skipped_++;
      counters_.skipped_units++;
    }
    return;
  }
  waiting_for_key_ = false;
  started_ = true;

  MessageHeader header = au->header;
  Item item;
  if (pending_skipped_ > 0) {
    header.flags |= flags::kDiscont;
    header.skipped = pending_skipped_;
    item.carried_skipped = pending_skipped_;
    pending_skipped_ = 0;
  }
  item.prefix_size = write_frame_header(ws::kOpBinary, kHeaderSize + au->bytes.size(), item.prefix);
  write_header(header, item.prefix + item.prefix_size);
  item.prefix_size += kHeaderSize;
  item.au = std::move(au);
  item.queued_us = queued_us;
  items_.push_back(std::move(item));
}

bool ClientQueue::has_unsent_frame() const {
  return std::any_of(items_.begin(), items_.end(), [](const Item &i) { return !i.au; });
}

void ClientQueue::drop_unstarted() {
  std::erase_if(items_, [](const Item &i) { return i.au && i.written == 0; });
}

void ClientQueue::push_frame(std::vector<uint8_t> frame, uint64_t queued_us, bool description) {
  Item item;
  item.raw = std::move(frame);
  item.queued_us = queued_us;
  item.description = description;
  items_.push_back(std::move(item));
}

void ClientQueue::refresh_description(std::vector<uint8_t> frame, uint64_t queued_us) {
  const auto latest =
      std::find_if(items_.rbegin(), items_.rend(), [](const Item &i) { return i.description; });
  if (latest != items_.rend() && latest->written == 0) {
    latest->raw = std::move(frame);
    return;
  }
  push_frame(std::move(frame), queued_us, true);
}

size_t ClientQueue::gather(std::span<std::span<const uint8_t>> out) const {
  size_t n = 0;
  for (const auto &item : items_) {
    size_t skip = item.written;
    auto add = [&](std::span<const uint8_t> piece) {
      if (skip >= piece.size()) {
        skip -= piece.size();
        return;
      }
      if (n < out.size())
        out[n++] = piece.subspan(skip);
      skip = 0;
    };
    add(std::span<const uint8_t>(item.prefix, item.prefix_size));
    add(item.au ? item.au->bytes : std::span<const uint8_t>(item.raw));
    if (n >= out.size())
      break;
  }
  return n;
}

void ClientQueue::consume(size_t bytes) {
  counters_.sent_bytes += bytes;
  while (bytes > 0 && !items_.empty()) {
    Item &item = items_.front();
    const size_t left = item.size() - item.written;
    if (bytes < left) {
      item.written += bytes;
      return;
    }
    bytes -= left;
    if (item.au)
      counters_.sent_units++;
    items_.pop_front();
  }
}

} // namespace quad::net
