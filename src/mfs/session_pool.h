// SessionPool: the FUSE client's authenticated channels to the MFS servers of other nodes
// (docs/mfs-dfsa-design.md §1.2), keyed by (node, caller's uid/gid/groups). Each session is one
// wire::Channel to the node's omxd, opened with the cluster key, kFeatureMfs required and a
// kSessionOwner frame naming the caller: the server worker runs as that user.
//
// Leases are exclusive (a Channel is blocking and not thread-safe): get() hands out an idle
// session of the key or opens a new one (up to kPerKey per key, kMaxOpen in all), else waits.
// A server's file handles belong to the worker of one session, so an open file pins its
// session: get_session(id) leases exactly that one (waiting while it is busy); close_idle()
// closes sessions idle for kIdle or older than kMaxAge, but never one with handles. A session
// whose channel failed is closed; if it still had handles it stays as a dead entry and
// get_session() answers EIO until they are released.
//
// Nodes come from `lookup` (the client's copy of omxd's node table): unknown or down ->
// EHOSTDOWN at once, no connect attempted; connect + handshake time out after 1 s (then
// EHOSTDOWN too); a sent request the peer's kernel leaves unacknowledged for 2 s
// (TCP_USER_TIMEOUT: node gone or link cut) ends the session with EHOSTDOWN, and the node
// then answers EHOSTDOWN at once for 3 s (kSuspectFor) without a connect. mark_down(node)
// shuts the sockets of every session to a node that went down, so threads blocked in a recv on
// it return at once (with EHOSTDOWN).
//
// call(): one request/reply round trip on a lease (ids checked; a stale idle session whose peer
// has gone is retried once on a fresh one, before anything reached a server).
//
// Threading: thread-safe (one mutex; no I/O under it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "base/result.h"
#include "mfs/protocol.h"
#include "wire/channel.h"
#include "wire/key.h"
#include "wire/session_owner.h"

namespace omx::mfs {

struct NodeAddress {
  std::string addr;
  uint16_t port = 0;
  bool up = true;
};
using NodeLookup = std::function<std::optional<NodeAddress>(uint32_t node)>;

// An Error carrying errno `err` (kSys), for answers that become FUSE error codes.
Error errno_error(int err, std::string what);
// The errno a FUSE op should return for an error (kSys with err: err; kTimeout: ETIMEDOUT; else EIO).
int error_errno(const Error& e);

class SessionPool {
 public:
  static constexpr size_t kPerKey = 4;
  static constexpr size_t kMaxOpen = 128;
  static constexpr std::chrono::seconds kIdle{30};
  // A session without open handles is also closed at this age, so a server-side state fixed at
  // session start (mosctl nomfs / mfs of the serving node) reaches busy users too.
  static constexpr std::chrono::seconds kMaxAge{60};
  static constexpr std::chrono::milliseconds kConnectTimeout{1000};
  static constexpr std::chrono::milliseconds kUnackedTimeout{2000};  // TCP_USER_TIMEOUT
  static constexpr std::chrono::seconds kSuspectFor{3};  // EHOSTDOWN at once after that
  static constexpr std::chrono::seconds kReplyTimeout{60};
  static constexpr std::chrono::seconds kWaitForLease{30};

  struct Session;
  class Lease {
   public:
    Lease(SessionPool* pool, Session* s) : pool_(pool), s_(s) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), s_(o.s_), failed_(o.failed_) { o.s_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    uint64_t session_id() const;
    uint32_t node() const;
    bool reused() const;
    wire::Channel& channel();
    wire::Frame& rx();  // the session's receive buffer, reused from one reply to the next
    // The channel is broken: the session is closed when the lease ends.
    void fail() { failed_ = true; }
    // An open file/dir handle now lives in (or left) this session.
    void add_handle(int delta);

   private:
    SessionPool* pool_;
    Session* s_;
    bool failed_ = false;
  };

  SessionPool(uint32_t self, wire::Key key, NodeLookup lookup);
  ~SessionPool();

  Result<Lease> get(uint32_t node, const wire::SessionOwner& owner);
  Result<Lease> get_session(uint64_t id);
  // Sends r on the lease and waits for its reply (r.id is set here).
  Result<Reply> call(Lease& lease, Request r);
  // A read (r: fh, off) into `out` / a write (r: fh, off) of `data`, the data going straight
  // between the caller's span and the channel's frame buffers (a write is encoded into
  // Channel::prepare's buffer; a read reply's data is copied once, from the session's reused
  // receive frame). The span is cut into requests of at most kPipelineChunk bytes, all sent
  // before the replies are read (in order), so the two ends' encryption, copies and disk work
  // overlap instead of taking turns. Reply::written: bytes done up to the first
  // short or failed piece; Reply::err: that piece's error when nothing was done. Every reply is
  // drained, so the session stays in step.
  static constexpr size_t kPipelineChunk = 256u << 10;
  Result<Reply> read_pipelined(Lease& lease, const Request& r, std::span<uint8_t> out);
  Result<Reply> write_pipelined(Lease& lease, const Request& r, std::span<const uint8_t> data);
  // get() + call(), retrying once on a fresh session when a reused one turned out closed.
  Result<Reply> call(uint32_t node, const wire::SessionOwner& owner, const Request& r);

  // A handle of session `id` was released (the session may close once it has none).
  void release_handle(uint64_t id);
  void close_idle();
  void mark_down(uint32_t node);
  size_t open_sessions();

 private:
  Result<wire::Channel> connect(uint32_t node, const wire::SessionOwner& owner);
  void release(Session* s, bool failed);
  // A lease's channel broke: fail it; EHOSTDOWN when its node is now down, else e.
  Error lost(Lease& lease, Error e);
  // The reply to request `r` (just sent on the lease), received into the session's reused frame
  // buffer; data (read) as a view into that buffer when `data` is given.
  Result<Reply> await_reply(Lease& lease, const Request& r, std::span<const uint8_t>* data);
  uint64_t next_request();
  // node did not answer (connect or TCP_USER_TIMEOUT): EHOSTDOWN at once for kSuspectFor, its
  // sessions cut.
  void suspect(uint32_t node);

  uint32_t self_;
  wire::Key key_;
  NodeLookup lookup_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t, std::vector<uint32_t>>, size_t> connecting_;
  size_t connecting_total_ = 0;
  std::map<uint32_t, std::chrono::steady_clock::time_point> unreachable_until_;
  uint64_t next_id_ = 1;
  uint64_t next_request_ = 1;
};

}  // namespace omx::mfs
