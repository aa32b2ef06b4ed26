// FrameTransport: what the MFS server and client need of a connection — send one typed frame,
// receive the next one with a timeout. ChannelTransport adapts an authenticated wire::Channel
// (the normal case: a TCP session to another node's omxd); tests and a later same-node
// optimisation can drive mfs::run_server over anything else (a socketpair, an in-memory queue).
//
// Errors: as the underlying channel's. recv returns ErrorCode::kTimeout when nothing complete
// arrived in time (the transport stays usable), and wire::is_peer_closed(e) when the peer closed.
//
// Threading: not thread-safe; one user at a time, like wire::Channel.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "wire/channel.h"
#include "wire/frame.h"

namespace omx::mfs {

class FrameTransport {
 public:
  virtual ~FrameTransport() = default;
  virtual Status send(wire::MsgType type, std::span<const uint8_t> payload) = 0;
  virtual Result<wire::Frame> recv(wire::Duration timeout) = 0;
  // recv into `out`, reusing its buffer: a large frame is not allocated (and faulted in) anew.
  virtual Status recv_into(wire::Frame& out, wire::Duration timeout) {
    auto f = recv(timeout);
    if (!f.ok()) return f.error();
    out = std::move(*f);
    return ok_status();
  }
  // A payload of n bytes built in the transport's buffer, then sent with send_prepared (valid
  // until the next call on the transport).
  virtual Result<std::span<uint8_t>> prepare(size_t n) {
    prepared_.resize(n);
    return std::span<uint8_t>(prepared_);
  }
  virtual Status send_prepared(wire::MsgType type) { return send(type, prepared_); }

 private:
  std::vector<uint8_t> prepared_;
};

// Borrows a Channel; the channel must outlive the adapter.
class ChannelTransport final : public FrameTransport {
 public:
  explicit ChannelTransport(wire::Channel& ch) : ch_(ch) {}
  Status send(wire::MsgType type, std::span<const uint8_t> payload) override {
    return ch_.send(type, payload);
  }
  Result<wire::Frame> recv(wire::Duration timeout) override { return ch_.recv(timeout); }
  Status recv_into(wire::Frame& out, wire::Duration timeout) override {
    return ch_.recv(out, timeout);
  }
  // Straight into the channel's frame buffer, sealed in place: no copy of the payload.
  Result<std::span<uint8_t>> prepare(size_t n) override { return ch_.prepare(n); }
  Status send_prepared(wire::MsgType type) override { return ch_.send_prepared(type); }
  wire::Channel& channel() { return ch_; }

 private:
  wire::Channel& ch_;
};

}  // namespace omx::mfs
