// MD5 (RFC 1321), for the decoded picture hash SEI (H.265 D.3.20).
// GStreamer-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quad::hevc {

// Incremental MD5 over a byte stream.
class Md5 {
public:
  Md5();
  void update(const uint8_t *data, size_t size);
  // Pads, writes the 16-byte digest and starts over for a new message.
  void finish(uint8_t digest[16]);
  void reset();

  // Each of three digests takes its own message's next bytes. Their block
  // functions run interleaved: MD5's 64 steps are one dependency chain,
  // which leaves a core room for two more (the three planes of a picture
  // hash in about two thirds of the time).
  static void update3(Md5 md5[3], const uint8_t *const data[3], const size_t size[3]);

private:
  // Adds the bytes that complete a block begun by an earlier update (and
  // hashes it), or buffers them all; advances data and size past them.
  void begin_update(const uint8_t *&data, size_t &size);

  uint32_t state_[4];
  uint64_t length_ = 0; // bytes hashed so far
  uint8_t buffer_[64];
};

// MD5 of size bytes.
void md5_bytes(const uint8_t *data, size_t size, uint8_t digest[16]);

// D.3.20 picture_md5: MD5 of a plane of width x height 8-bit samples, rows
// concatenated without padding.
void md5_plane(const uint8_t *plane, ptrdiff_t stride, int width, int height, uint8_t digest[16]);

} // namespace quad::hevc
