#include "mfs/session_pool.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::mfs {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> log() { return omx::log::get("mfs"); }

auto key_of(uint32_t node, const wire::SessionOwner& o) {
  return std::make_tuple(node, o.uid, o.gid, o.groups);
}

}  // namespace

struct SessionPool::Session {
  uint64_t id = 0;
  uint32_t node = 0;
  wire::SessionOwner owner;
  std::optional<wire::Channel> ch;
  wire::Frame rx;  // reused: a large reply's buffer is not allocated (and faulted in) anew
  bool busy = false;
  bool dead = false;    // channel failed; kept only while handles > 0
  bool reused = false;  // the current lease is not the session's first
  int handles = 0;
  Clock::time_point last = Clock::now();
  Clock::time_point born = Clock::now();
};

Error errno_error(int err, std::string what) { return sys_error(std::move(what), 0, err); }

int error_errno(const Error& e) {
  if (e.code == ErrorCode::kSys && e.err > 0 && !wire::is_peer_closed(e)) return e.err;
  if (e.code == ErrorCode::kTimeout) return ETIMEDOUT;
  return EIO;
}

SessionPool::Lease::~Lease() {
  if (s_) pool_->release(s_, failed_);
}
uint64_t SessionPool::Lease::session_id() const { return s_->id; }
uint32_t SessionPool::Lease::node() const { return s_->node; }
bool SessionPool::Lease::reused() const { return s_->reused; }
wire::Channel& SessionPool::Lease::channel() { return *s_->ch; }
wire::Frame& SessionPool::Lease::rx() { return s_->rx; }
void SessionPool::Lease::add_handle(int delta) {
  std::lock_guard lock(pool_->mu_);
  s_->handles += delta;
}

SessionPool::SessionPool(uint32_t self, wire::Key key, NodeLookup lookup)
    : self_(self), key_(key), lookup_(std::move(lookup)) {}

SessionPool::~SessionPool() {
  std::lock_guard lock(mu_);
  sessions_.clear();
}

Result<wire::Channel> SessionPool::connect(uint32_t node, const wire::SessionOwner& owner) {
  auto where = lookup_(node);
  if (!where || !where->up)
    return errno_error(EHOSTDOWN, fmt::format("node {} is {}", node, where ? "down" : "unknown"));
  wire::SessionOptions opts;
  opts.app_features = kFeatureMfs;
  auto ch = wire::Channel::connect(where->addr, where->port, key_, self_, kConnectTimeout, opts);
  if (!ch.ok()) {
    if (ch.error().code == ErrorCode::kTimeout) suspect(node);
    log()->info("node {} ({}:{}): {}", node, where->addr, where->port, ch.error().message());
    return errno_error(EHOSTDOWN, fmt::format("connect to node {}", node));
  }
  // A request the peer's kernel does not acknowledge within 2 s (node gone, link cut) aborts
  // the connection, rather than waiting for membership to call the node down.
  int user_timeout_ms = static_cast<int>(kUnackedTimeout.count());
  ::setsockopt(ch->fd(), IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  if (!(ch->features() & kFeatureMfs))
    return errno_error(EPROTONOSUPPORT, fmt::format("node {} does not serve /mfs", node));
  if (auto st = ch->send(wire::MsgType::kSessionOwner, wire::encode_owner(owner)); !st.ok())
    return errno_error(EHOSTDOWN, fmt::format("node {}: {}", node, st.error().message()));
  return ch;
}

void SessionPool::suspect(uint32_t node) {
  {
    std::lock_guard lock(mu_);
    unreachable_until_[node] = Clock::now() + kSuspectFor;
  }
  mark_down(node);  // its other sessions would hang the same way
}

Result<SessionPool::Lease> SessionPool::get(uint32_t node, const wire::SessionOwner& owner) {
  if (auto where = lookup_(node); !where || !where->up)
    return errno_error(EHOSTDOWN, fmt::format("node {} is {}", node, where ? "down" : "unknown"));
  auto key = key_of(node, owner);
  std::unique_lock lock(mu_);
  if (auto it = unreachable_until_.find(node); it != unreachable_until_.end()) {
    if (Clock::now() < it->second) return errno_error(EHOSTDOWN, fmt::format("node {} unreachable", node));
    unreachable_until_.erase(it);
  }
  auto deadline = Clock::now() + kWaitForLease;
  for (;;) {
    size_t of_key = connecting_[key];
    Session* idle = nullptr;
    for (auto& [id, s] : sessions_) {
      if (s->dead || s->node != node || s->owner != owner) continue;
      ++of_key;
      if (!s->busy && (!idle || s->handles < idle->handles)) idle = s.get();
    }
    if (idle) {
      idle->busy = true;
      idle->reused = true;
      return Lease(this, idle);
    }
    if (of_key < kPerKey && sessions_.size() + connecting_total_ < kMaxOpen) break;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
      return errno_error(EAGAIN, fmt::format("no free session to node {}", node));
  }
  ++connecting_[key];
  ++connecting_total_;
  lock.unlock();
  auto ch = connect(node, owner);
  lock.lock();
  if (--connecting_[key] == 0) connecting_.erase(key);
  --connecting_total_;
  cv_.notify_all();
  if (!ch.ok()) return ch.error();
  auto s = std::make_unique<Session>();
  s->id = next_id_++;
  s->node = node;
  s->owner = owner;
  s->ch = std::move(*ch);
  s->busy = true;
  Session* raw = s.get();
  sessions_.emplace(raw->id, std::move(s));
  return Lease(this, raw);
}

Result<SessionPool::Lease> SessionPool::get_session(uint64_t id) {
  std::unique_lock lock(mu_);
  auto deadline = Clock::now() + kWaitForLease;
  for (;;) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->dead)
      return errno_error(EIO, fmt::format("session {} was lost", id));
    if (!it->second->busy) {
      it->second->busy = true;
      it->second->reused = true;
      return Lease(this, it->second.get());
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
      return errno_error(EAGAIN, fmt::format("session {} stays busy", id));
  }
}

void SessionPool::release(Session* s, bool failed) {
  std::lock_guard lock(mu_);
  s->busy = false;
  s->last = Clock::now();
  if (failed || !s->ch->is_open()) {
    s->ch->close();
    s->dead = true;
  }
  if (s->dead && s->handles <= 0) sessions_.erase(s->id);
  cv_.notify_all();
}

Error SessionPool::lost(Lease& lease, Error e) {
  lease.fail();
  auto where = lookup_(lease.node());
  bool unacked = e.code == ErrorCode::kSys && e.err == ETIMEDOUT;  // TCP_USER_TIMEOUT
  if (unacked) suspect(lease.node());
  if (!where || !where->up || unacked)  // cut by mark_down, the node left, or unreachable
    return errno_error(EHOSTDOWN, fmt::format("node {} went down: {}", lease.node(), e.message()));
  return e;
}

uint64_t SessionPool::next_request() {
  std::lock_guard lock(mu_);
  return next_request_++;
}

Result<Reply> SessionPool::await_reply(Lease& lease, const Request& r,
                                       std::span<const uint8_t>* data) {
  wire::Frame& f = lease.rx();
  // A late reply would be taken for the next one's: a failed recv ends the session.
  if (auto st = lease.channel().recv(f, kReplyTimeout); !st.ok()) return lost(lease, st.error());
  if (f.type != wire::MsgType::kMfsReply) {
    lease.fail();
    return make_error(ErrorCode::kProtocol, fmt::format("mfs: frame 0x{:04x} instead of a reply",
                                                        static_cast<unsigned>(f.type)));
  }
  auto reply = decode_reply(r.op, f.payload, data);
  if (!reply.ok() || reply->id != r.id) {
    lease.fail();
    return reply.ok() ? make_error(ErrorCode::kProtocol, "mfs: reply to another request")
                      : reply.error();
  }
  return reply;
}

Result<Reply> SessionPool::call(Lease& lease, Request r) {
  r.id = next_request();
  if (auto st = lease.channel().send(wire::MsgType::kMfsRequest, encode_request(r)); !st.ok())
    return lost(lease, st.error());
  return await_reply(lease, r, nullptr);
}

namespace {

// Collects the replies of pieces sent back to back: bytes done up to the first short or failed
// piece.
struct Pieces {
  std::vector<Request> sent;
  std::vector<size_t> size;
  uint64_t done = 0;
  bool stopped = false;
  int err = 0;
};

}  // namespace

Result<Reply> SessionPool::read_pipelined(Lease& lease, const Request& r, std::span<uint8_t> out) {
  Pieces p;
  for (size_t at = 0; at < out.size() || at == 0; at += kPipelineChunk) {
    Request q = r;
    q.op = Op::kRead;
    q.id = next_request();
    q.off = r.off + at;
    q.size = std::min(kPipelineChunk, out.size() - at);
    if (auto st = lease.channel().send(wire::MsgType::kMfsRequest, encode_request(q)); !st.ok())
      return lost(lease, st.error());
    p.sent.push_back(q);
    if (out.empty()) break;
  }
  for (size_t i = 0; i < p.sent.size(); ++i) {
    std::span<const uint8_t> data;
    auto reply = await_reply(lease, p.sent[i], &data);
    if (!reply.ok()) return reply;  // the session is failed: no later reply to drain
    if (p.stopped) continue;
    if (reply->err) {
      p.err = reply->err;
      p.stopped = true;
      continue;
    }
    size_t at = p.sent[i].off - r.off;
    size_t n = std::min(data.size(), static_cast<size_t>(p.sent[i].size));
    if (n) std::memcpy(out.data() + at, data.data(), n);
    p.done += n;
    if (n < p.sent[i].size) p.stopped = true;
  }
  Reply rep;
  rep.id = p.sent.back().id;
  rep.err = p.done ? 0 : p.err;
  rep.written = static_cast<uint32_t>(p.done);
  return rep;
}

Result<Reply> SessionPool::write_pipelined(Lease& lease, const Request& r,
                                           std::span<const uint8_t> data) {
  Pieces p;
  wire::Channel& ch = lease.channel();
  for (size_t at = 0; at < data.size() || at == 0; at += kPipelineChunk) {
    Request q = r;
    q.op = Op::kWrite;
    q.id = next_request();
    q.off = r.off + at;
    auto piece = data.subspan(at, std::min(kPipelineChunk, data.size() - at));
    auto body = ch.prepare(encoded_write_size(piece.size()));
    if (!body.ok()) return ch.is_open() ? body.error() : lost(lease, body.error());
    encode_write_into(q, piece, *body);
    if (auto st = ch.send_prepared(wire::MsgType::kMfsRequest); !st.ok())
      return lost(lease, st.error());
    p.sent.push_back(q);
    p.size.push_back(piece.size());
    if (data.empty()) break;
  }
  for (size_t i = 0; i < p.sent.size(); ++i) {
    auto reply = await_reply(lease, p.sent[i], nullptr);
    if (!reply.ok()) return reply;
    if (p.stopped) continue;
    if (reply->err) {
      p.err = reply->err;
      p.stopped = true;
      continue;
    }
    p.done += std::min<size_t>(reply->written, p.size[i]);
    if (reply->written < p.size[i]) p.stopped = true;
  }
  Reply rep;
  rep.id = p.sent.back().id;
  rep.err = p.done ? 0 : p.err;
  rep.written = static_cast<uint32_t>(p.done);
  return rep;
}

Result<Reply> SessionPool::call(uint32_t node, const wire::SessionOwner& owner, const Request& r) {
  for (int attempt = 0;; ++attempt) {
    OMX_ASSIGN(Lease lease, get(node, owner));
    bool reused = lease.reused();
    auto reply = call(lease, r);
    if (reply.ok() || attempt > 0 || !reused || !wire::is_peer_closed(reply.error()))
      return reply;
    // A reused session whose server had gone (idle timeout, restart): try a fresh one.
  }
}

void SessionPool::release_handle(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  if (--s.handles <= 0 && s.dead && !s.busy) sessions_.erase(it);
}

void SessionPool::close_idle() {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  std::erase_if(sessions_, [&](const auto& e) {
    const Session& s = *e.second;
    if (s.busy || s.handles > 0) return false;
    if (s.dead || now - s.last > kIdle || now - s.born > kMaxAge) return true;
    auto where = lookup_(s.node);
    return !where || !where->up;
  });
}

void SessionPool::mark_down(uint32_t node) {
  std::lock_guard lock(mu_);
  for (auto& [id, s] : sessions_)
    if (s->node == node && s->ch->is_open()) ::shutdown(s->ch->fd(), SHUT_RDWR);
}

size_t SessionPool::open_sessions() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace omx::mfs
