/* A blocking WebSocket client on 127.0.0.1 that writes and reads raw
 * frames, so the quadnet tests control every byte and the soak benchmark
 * reads what a viewer reads. No GStreamer, no test framework. */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace quadnet_test {

/* A server frame; opcode -1: none (timeout, the connection ended, or a
 * frame the server must not send). */
struct Frame {
  int opcode = -1;
  std::vector<uint8_t> payload;
};

inline uint64_t be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  return v;
}

class RawClient {
public:
  RawClient() = default;
  RawClient(const RawClient &) = delete;
  RawClient &operator=(const RawClient &) = delete;
  ~RawClient() { close_socket(); }

  /* A small receive buffer makes a client that stops reading fall behind
   * soon. */
  bool connect_to(unsigned port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      return false;
    if (rcvbuf > 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
  }

  /* The port this end of the connection has. */
  unsigned local_port() const {
    sockaddr_in addr = {};
    socklen_t len = sizeof(addr);
    if (getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
      return 0;
    return ntohs(addr.sin_port);
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
  bool send_frame(int opcode, const std::vector<uint8_t> &payload, bool masked = true,
                  int first_byte = -1) {
    std::vector<uint8_t> f;
    f.push_back(first_byte >= 0 ? static_cast<uint8_t>(first_byte)
                                : static_cast<uint8_t>(0x80 | opcode));
    const uint8_t mask_bit = masked ? 0x80 : 0;
    const size_t n = payload.size();
    if (n < 126) {
      f.push_back(static_cast<uint8_t>(mask_bit | n));
    } else if (n <= 0xffff) {
      f.push_back(mask_bit | 126);
      f.push_back(static_cast<uint8_t>(n >> 8));
      f.push_back(static_cast<uint8_t>(n));
    } else {
      f.push_back(mask_bit | 127);
      for (int i = 7; i >= 0; --i)
        f.push_back(static_cast<uint8_t>(static_cast<uint64_t>(n) >> (8 * i)));
    }
    const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked)
      f.insert(f.end(), mask, mask + 4);
    for (size_t i = 0; i < n; ++i)
      f.push_back(masked ? payload[i] ^ mask[i & 3] : payload[i]);
    return send_all(f.data(), f.size());
  }

  /* A close frame with code 1000. */
  bool say_goodbye() { return send_frame(8, {0x03, 0xe8}); }

  /* The next server frame, waiting at most timeout_ms for each read. A
   * masked server frame (RFC 6455 5.1) sets masked_frame() and ends the
   * reading. */
  Frame read_frame(int timeout_ms = 5000) {
    Frame f;
    for (;;) {
      if (buffer_.size() >= 2) {
        if (buffer_[1] & 0x80) {
          masked_frame_ = true;
          return f;
        }
        size_t len = buffer_[1] & 0x7f, pos = 2;
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

  /* The server closed the connection (rather than a read timing out). */
  bool ended() const { return eof_; }
  bool masked_frame() const { return masked_frame_; }
  const std::string &response_headers() const { return response_headers_; }

private:
  bool fill(int timeout_ms) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
      return false;
    uint8_t buf[65536];
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
  bool masked_frame_ = false;
  std::vector<uint8_t> buffer_;
  std::string response_headers_;
};

} // namespace quadnet_test
