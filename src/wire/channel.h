// Channel: an authenticated, encrypted session over one connected stream socket, with a blocking
// API for the supervisors and daemons that talk to one peer from a single thread.
//
//   auto ch = Channel::connect("198.18.0.2", 4660, key, my_node, 5s);
//   OMX_TRY(ch->send(MsgType::kMigrateOffer, offer));
//   OMX_ASSIGN(Frame f, ch->recv(30s));
//
// Establishing runs the handshake (handshake.h); a peer without the cluster key fails it and no
// frame is ever accepted from it. There is no unauthenticated mode. After the handshake every
// frame is sealed by SessionCrypto (session_crypto.h, which also says which AEAD is used and why).
//
// Errors: any malformed, replayed, reordered, truncated or forged frame, an I/O error, the peer
// closing, or a send timeout ends the channel: the error is logged once (logger "wire"), the
// socket is closed, and every later call returns that error. A recv timeout does not end the
// channel: a frame arriving in pieces is kept and completed by the next recv (so recv with a
// zero timeout after poll() on fd() is fine).
//
// I/O: the socket is switched to non-blocking; every wait is a poll() with the caller's timeout,
// EINTR is retried. Frames up to 64 KiB are read through a read-ahead buffer (several small frames
// per read() syscall, decrypted straight into the Frame); larger frames are read directly into
// their final buffer and decrypted in place. Because of the read-ahead, after a recv another
// complete frame may already be buffered: check frame_ready() before sleeping in poll() on fd().
//
// Sending: send() seals from the caller's buffer into the channel's frame buffer (the encryption
// is the only copy) and writes the frame with one send() call; send_iov() gathers into that buffer
// and seals in place (one copy per iovec beyond the first); prepare()/send_prepared() let a
// producer (e.g. process_vm_readv of pages) fill the frame buffer directly: zero extra copies.
//
// Threading: not thread-safe; one thread (or one caller at a time) per Channel. The pieces are
// separable for an event loop: Handshake + SessionCrypto do everything here except the I/O.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/key.h"
#include "wire/session_crypto.h"

namespace omx::wire {

using Duration = std::chrono::milliseconds;
inline constexpr Duration kForever = Duration::max();
inline constexpr Duration kDefaultSendTimeout = std::chrono::seconds(60);
// Frames whose header + body fit here go through the read-ahead buffer.
inline constexpr size_t kReadAheadSize = 64 << 10;

struct Frame {
  MsgType type = MsgType::kPing;
  std::vector<uint8_t> payload;
};

// True for the error recv returns when the peer closed the connection between two frames.
bool is_peer_closed(const Error& e);

struct ChannelHandoff;  // channel_handoff.h

class Channel {
 public:
  // Resolves `host` (name or IPv4/IPv6 literal), connects with TCP_NODELAY, runs the handshake as
  // initiator. `timeout` covers connecting and the handshake. `options`: see handshake.h.
  static Result<Channel> connect(const std::string& host, uint16_t port, const Key& key,
                                 uint32_t my_node, Duration timeout,
                                 const SessionOptions& options = {});
  // Runs the handshake as responder on an accepted connection.
  static Result<Channel> accept(ScopedFd fd, const Key& key, uint32_t my_node, Duration timeout,
                                const SessionOptions& options = {});
  // Runs the handshake on any connected stream socket (TCP, socketpair) in the given role.
  static Result<Channel> establish(ScopedFd fd, Role role, const Key& key, uint32_t my_node,
                                   Duration timeout, const SessionOptions& options = {});

  // Goes on with a session another process established and handed over (channel_handoff.h).
  static Result<Channel> adopt(ScopedFd fd, const ChannelHandoff& handoff);
  // Gives up the connected socket and the session's secrets for another process to adopt.
  // Refused (kInvalid) while received bytes are buffered or the channel failed: the adopter
  // could not see them. The channel is closed afterwards either way.
  Result<std::pair<ScopedFd, ChannelHandoff>> release();

  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) noexcept;
  ~Channel();

  // Sends one frame. Payload at most SessionCrypto::kMaxMessage bytes (else kInvalid, channel
  // stays open). Waits at most the send timeout for the socket to take the frame.
  Status send(MsgType type, std::span<const uint8_t> payload);
  Status send_iov(MsgType type, std::span<const struct iovec> iov);
  // Zero-copy send: returns a writable span of exactly n bytes inside the frame buffer; fill it,
  // then call send_prepared(). Valid until the next call on this Channel.
  Result<std::span<uint8_t>> prepare(size_t n);
  Status send_prepared(MsgType type);

  // Receives the next frame, waiting at most `timeout` (kTimeout error if none completed; the
  // channel stays open). The second form reuses out.payload's capacity; on error `out` holds
  // unspecified data.
  Result<Frame> recv(Duration timeout);
  Status recv(Frame& out, Duration timeout);
  // A complete frame (or a malformed header) is already buffered: recv() returns without I/O.
  bool frame_ready() const;

  void set_send_timeout(Duration d) { send_timeout_ = d; }
  // Closes the socket; later calls fail.
  void close();
  bool is_open() const { return fd_.valid(); }

  int fd() const { return fd_.get(); }
  uint32_t node() const { return node_; }
  uint32_t peer_node() const { return peer_node_; }
  // Negotiated features (both hellos' intersection), transport bits included.
  uint64_t features() const { return features_; }
  AeadAlgorithm algorithm() const { return crypto_->algorithm(); }
  // The error that ended the channel, if it ended.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  class Deadline;
  Channel(ScopedFd fd, uint32_t my_node);

  Status handshake(Handshake& hs, const Deadline& dl);
  Result<std::vector<uint8_t>> read_handshake_frame(const Handshake& hs, const Deadline& dl);
  Status check_open() const;
  Error fail(Error e);
  std::string peer_name() const;

  Status write_all(const uint8_t* p, size_t n, const Deadline& dl);
  Status write_frame(size_t n);
  std::span<uint8_t> tx_frame(size_t n);
  Status fill(const Deadline& dl);
  Result<bool> try_assemble(Frame& out);
  Status open_into(Frame& out, const uint8_t* header, std::span<const uint8_t> body);
  size_t rx_avail() const { return rx_end_ - rx_begin_; }

  ScopedFd fd_;
  uint32_t node_ = 0;
  uint32_t peer_node_ = 0;
  bool established_ = false;
  uint64_t features_ = 0;
  std::optional<SessionCrypto> crypto_;
  std::optional<Error> failure_;
  Duration send_timeout_ = kDefaultSendTimeout;

  std::vector<uint8_t> tx_;  // frame buffer; grows, never shrinks (no re-zeroing)
  size_t prepared_ = 0;
  bool has_prepared_ = false;

  std::vector<uint8_t> rx_;  // read-ahead buffer, kReadAheadSize
  size_t rx_begin_ = 0;
  size_t rx_end_ = 0;
  bool in_big_ = false;  // a frame larger than the read-ahead buffer is being read into big_
  uint8_t big_header_[kHeaderSize] = {};
  std::vector<uint8_t> big_;
  size_t big_filled_ = 0;
};

}  // namespace omx::wire
