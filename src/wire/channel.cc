#include "wire/channel.h"
#include "wire/channel_handoff.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::wire {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPeerClosedErrno = ECONNRESET;
constexpr const char* kPeerClosedWhat = "peer closed the connection";

Status set_socket_options(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return sys_error("wire: getsockopt(SO_TYPE) on the channel fd");
  }
  if (type != SOCK_STREAM) {
    return make_error(ErrorCode::kInvalid, "wire: channel fd is not a stream socket");
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return sys_error("wire: fcntl(O_NONBLOCK)");
  }
  sockaddr_storage ss;
  len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 &&
      (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
      return sys_error("wire: setsockopt(TCP_NODELAY)");
    }
  }
  return ok_status();
}

}  // namespace

// An absolute deadline; kForever (or anything beyond a century) never expires.
class Channel::Deadline {
 public:
  explicit Deadline(Duration d) : forever_(d >= std::chrono::hours(24 * 365 * 100)) {
    if (!forever_) at_ = Clock::now() + std::max(d, Duration::zero());
  }
  // Milliseconds for poll(): -1 forever, 0 once expired, rounded up so we never spin early.
  int poll_ms() const {
    if (forever_) return -1;
    auto left = at_ - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }
  bool expired() const { return !forever_ && Clock::now() >= at_; }

 private:
  bool forever_;
  Clock::time_point at_{};
};

namespace {

// Waits until fd is ready for `events`; kTimeout once the deadline passes. Errors and hangups
// count as ready: the following read/write reports them.
template <typename DL>
Status wait_fd(int fd, short events, const DL& dl, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = dl.poll_ms();
    int r = ::poll(&p, 1, ms);
    if (r > 0) return ok_status();
    if (r == 0) {
      if (dl.expired()) return make_error(ErrorCode::kTimeout, what);
      continue;
    }
    if (errno != EINTR) return sys_error("poll: " + what);
  }
}

template <typename DL>
Result<ScopedFd> tcp_connect(const std::string& host, uint16_t port, const DL& dl) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("wire: resolve {}: {}", host, ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  Error last = make_error(ErrorCode::kInvalid, "wire: no address for " + host);
  std::string what = fmt::format("wire: connect to {} port {}", host, port);
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    ScopedFd fd(::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
      last = sys_error("wire: socket");
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last = sys_error(what);
      continue;
    }
    auto w = wait_fd(fd.get(), POLLOUT, dl, what);
    if (!w.ok()) return w.error();
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd;
    last = sys_error(what, 0, err);
  }
  return last;
}

}  // namespace

bool is_peer_closed(const Error& e) {
  return e.code == ErrorCode::kSys && e.err == kPeerClosedErrno &&
         e.what.find(kPeerClosedWhat) != std::string::npos;
}

Channel::Channel(ScopedFd fd, uint32_t my_node) : fd_(std::move(fd)), node_(my_node) {
  rx_.resize(kReadAheadSize);
}

Channel::Channel(Channel&&) noexcept = default;
Channel& Channel::operator=(Channel&&) noexcept = default;
Channel::~Channel() = default;

Result<Channel> Channel::connect(const std::string& host, uint16_t port, const Key& key,
                                 uint32_t my_node, Duration timeout,
                                 const SessionOptions& options) {
  Deadline dl(timeout);
  OMX_ASSIGN(ScopedFd fd, tcp_connect(host, port, dl));
  return establish(std::move(fd), Role::kInitiator, key, my_node,
                   timeout == kForever ? kForever : Duration(std::max(dl.poll_ms(), 0)), options);
}

Result<Channel> Channel::accept(ScopedFd fd, const Key& key, uint32_t my_node, Duration timeout,
                                const SessionOptions& options) {
  return establish(std::move(fd), Role::kResponder, key, my_node, timeout, options);
}

Result<Channel> Channel::establish(ScopedFd fd, Role role, const Key& key, uint32_t my_node,
                                   Duration timeout, const SessionOptions& options) {
  Deadline dl(timeout);
  OMX_TRY(set_socket_options(fd.get()));
  Channel ch(std::move(fd), my_node);
  Handshake hs(key, role, my_node, options);
  // Any failure (timeouts included) is logged once and ends this connection attempt.
  if (auto st = ch.handshake(hs, dl); !st.ok()) return ch.fail(st.error());
  return ch;
}

Result<Channel> Channel::adopt(ScopedFd fd, const ChannelHandoff& h) {
  OMX_TRY(set_socket_options(fd.get()));
  Channel ch(std::move(fd), h.node);
  ch.peer_node_ = h.peer_node;
  ch.features_ = h.features;
  ch.crypto_.emplace(h.secrets);
  ch.established_ = true;
  return ch;
}

Result<std::pair<ScopedFd, ChannelHandoff>> Channel::release() {
  OMX_TRY(check_open());
  if (!established_) return make_error(ErrorCode::kInvalid, "wire: release of a channel without a session");
  if (rx_avail() || in_big_) {
    close();
    return make_error(ErrorCode::kInvalid, "wire: release with received bytes still buffered");
  }
  ChannelHandoff h;
  h.node = node_;
  h.peer_node = peer_node_;
  h.features = features_;
  auto secrets = crypto_->export_secrets();
  if (!secrets.ok()) return fail(secrets.error());
  h.secrets = *secrets;
  ScopedFd fd = std::move(fd_);
  close();
  return std::pair{std::move(fd), std::move(h)};
}

Status Channel::handshake(Handshake& hs, const Deadline& dl) {
  auto hello = hs.hello_frame();
  OMX_TRY(write_all(hello.data(), hello.size(), dl));
  OMX_ASSIGN(auto peer_hello, read_handshake_frame(hs, dl));
  if (auto st = hs.on_peer_hello(peer_hello); !st.ok()) return fail(st.error());
  peer_node_ = hs.peer_node();
  auto auth = hs.auth_frame();
  OMX_TRY(write_all(auth.data(), auth.size(), dl));
  OMX_ASSIGN(auto peer_auth, read_handshake_frame(hs, dl));
  auto session = hs.on_peer_auth(peer_auth);
  if (!session.ok()) return fail(session.error());
  features_ = session->features;
  crypto_.emplace(std::move(session->crypto));
  established_ = true;
  log::get("wire")->debug("node {}: session with node {} established ({} via {}, features 0x{:x})",
                          node_, peer_node_, aead_name(crypto_->algorithm()),
                          backend_name(crypto_->backend()), features_);
  return ok_status();
}

// Reads one clear handshake frame through the read-ahead buffer. Bytes after it (the peer's
// first sealed frames) stay buffered for recv().
Result<std::vector<uint8_t>> Channel::read_handshake_frame(const Handshake& hs,
                                                           const Deadline& dl) {
  while (rx_avail() < kHeaderSize) OMX_TRY(fill(dl));
  auto len = hs.next_payload_size(std::span<const uint8_t, kHeaderSize>(&rx_[rx_begin_], kHeaderSize));
  if (!len.ok()) return fail(len.error());
  size_t total = kHeaderSize + *len;  // small: next_payload_size allows only hello/auth sizes
  while (rx_avail() < total) OMX_TRY(fill(dl));
  std::vector<uint8_t> frame(rx_.begin() + rx_begin_, rx_.begin() + rx_begin_ + total);
  rx_begin_ += total;
  return frame;
}

std::string Channel::peer_name() const {
  return established_ || peer_node_ ? fmt::format("node {}", peer_node_) : std::string("peer");
}

Error Channel::fail(Error e) {
  if (!failure_) {
    e.what = fmt::format("wire: node {} <-> {}: {}", node_, peer_name(), e.what);
    failure_ = e;
    auto lg = log::get("wire");
    if (is_peer_closed(e)) {
      lg->debug("{}", e.message());
    } else {
      lg->warn("{}; closing the connection", e.message());
    }
    fd_.reset();
  }
  return *failure_;
}

Status Channel::check_open() const {
  if (failure_) return *failure_;
  if (!fd_.valid()) return make_error(ErrorCode::kInvalid, "wire: channel is closed");
  return ok_status();
}

void Channel::close() {
  fd_.reset();
  if (!failure_) failure_ = make_error(ErrorCode::kInvalid, "wire: channel was closed locally");
}

// ---- sending ----

std::span<uint8_t> Channel::tx_frame(size_t n) {
  if (tx_.size() < n) tx_.resize(n);
  return {tx_.data(), n};
}

Status Channel::write_all(const uint8_t* p, size_t n, const Deadline& dl) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::send(fd_.get(), p + done, n - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto st = wait_fd(fd_.get(), POLLOUT, dl,
                        fmt::format("send to {} ({} of {} bytes written)", peer_name(), done, n));
      if (!st.ok()) return fail(st.error());
      continue;
    }
    return fail(sys_error(fmt::format("send to {}", peer_name())));
  }
  return ok_status();
}

Status Channel::write_frame(size_t n) { return write_all(tx_.data(), n, Deadline(send_timeout_)); }

Status Channel::send(MsgType type, std::span<const uint8_t> payload) {
  OMX_TRY(check_open());
  has_prepared_ = false;
  if (payload.size() > SessionCrypto::kMaxMessage) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("{} message of {} bytes exceeds the frame limit of {}",
                                  msg_type_name(type), payload.size(), SessionCrypto::kMaxMessage));
  }
  size_t n = SessionCrypto::sealed_size(payload.size());
  auto st = crypto_->seal(type, payload, tx_frame(n));
  if (!st.ok()) return st.error().code == ErrorCode::kInvalid ? st : fail(st.error());
  return write_frame(n);
}

Status Channel::send_iov(MsgType type, std::span<const struct iovec> iov) {
  if (iov.size() == 1) {
    return send(type, {static_cast<const uint8_t*>(iov[0].iov_base), iov[0].iov_len});
  }
  size_t total = 0;
  for (const auto& v : iov) {
    total += v.iov_len;
    if (v.iov_len > SessionCrypto::kMaxMessage || total > SessionCrypto::kMaxMessage) {
      return make_error(ErrorCode::kInvalid,
                        fmt::format("{} message exceeds the frame limit of {} bytes",
                                    msg_type_name(type), SessionCrypto::kMaxMessage));
    }
  }
  OMX_ASSIGN(auto body, prepare(total));
  uint8_t* p = body.data();
  for (const auto& v : iov) {
    if (v.iov_len) std::memcpy(p, v.iov_base, v.iov_len);
    p += v.iov_len;
  }
  return send_prepared(type);
}

Result<std::span<uint8_t>> Channel::prepare(size_t n) {
  OMX_TRY(check_open());
  if (n > SessionCrypto::kMaxMessage) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("message of {} bytes exceeds the frame limit of {}", n,
                                  SessionCrypto::kMaxMessage));
  }
  auto frame = tx_frame(SessionCrypto::sealed_size(n));
  prepared_ = n;
  has_prepared_ = true;
  return frame.subspan(kHeaderSize, n);
}

Status Channel::send_prepared(MsgType type) {
  OMX_TRY(check_open());
  OMX_CHECK(has_prepared_, "Channel::send_prepared without prepare");
  has_prepared_ = false;
  size_t n = SessionCrypto::sealed_size(prepared_);
  auto st = crypto_->seal_in_place(type, {tx_.data(), n});
  if (!st.ok()) return fail(st.error());
  return write_frame(n);
}

// ---- receiving ----

// Reads what is available (waiting until the deadline for something): into the large frame in
// progress, else into the read-ahead buffer.
Status Channel::fill(const Deadline& dl) {
  if (!in_big_ && rx_begin_ > 0) {  // keep the partial frame at the front
    std::memmove(rx_.data(), rx_.data() + rx_begin_, rx_avail());
    rx_end_ -= rx_begin_;
    rx_begin_ = 0;
  }
  for (;;) {
    uint8_t* dst = in_big_ ? big_.data() + big_filled_ : rx_.data() + rx_end_;
    size_t room = in_big_ ? big_.size() - big_filled_ : rx_.size() - rx_end_;
    OMX_CHECK(room > 0, "wire: fill without room");
    ssize_t n = ::read(fd_.get(), dst, room);
    if (n > 0) {
      (in_big_ ? big_filled_ : rx_end_) += static_cast<size_t>(n);
      return ok_status();
    }
    if (n == 0) {
      if (!in_big_ && rx_avail() == 0) {
        return fail(sys_error(fmt::format("recv from {}: {}", peer_name(), kPeerClosedWhat), 0,
                              kPeerClosedErrno));
      }
      size_t have = in_big_ ? kHeaderSize + big_filled_ : rx_avail();
      return fail(make_error(ErrorCode::kProtocol,
                             fmt::format("recv from {}: connection closed inside a frame "
                                         "({} bytes of it received)",
                                         peer_name(), have)));
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(sys_error(fmt::format("recv from {}", peer_name())));
    }
    auto st = wait_fd(fd_.get(), POLLIN, dl, fmt::format("recv from {}", peer_name()));
    if (!st.ok()) {
      if (st.error().code == ErrorCode::kTimeout) return st;  // channel stays usable
      return fail(st.error());
    }
  }
}

Status Channel::open_into(Frame& out, const uint8_t* header, std::span<const uint8_t> body) {
  out.payload.resize(body.size() - kAeadTagSize);
  auto type = crypto_->open(std::span<const uint8_t, kHeaderSize>(header, kHeaderSize), body,
                            out.payload);
  if (!type.ok()) return fail(type.error());
  out.type = *type;
  return ok_status();
}

// Produces a frame from buffered bytes if a whole one is there. A header is validated as soon as
// its 24 bytes are in, so a bad or oversized frame is rejected before its body is read or any
// memory is reserved for it.
Result<bool> Channel::try_assemble(Frame& out) {
  if (!in_big_) {
    if (rx_avail() < kHeaderSize) return false;
    const uint8_t* hp = rx_.data() + rx_begin_;
    auto h = decode_header(std::span<const uint8_t, kHeaderSize>(hp, kHeaderSize));
    if (!h.ok()) return fail(h.error());
    if (h->length < kAeadTagSize) {
      return fail(make_error(ErrorCode::kProtocol,
                             fmt::format("frame rejected: {} with a {}-byte body cannot be sealed",
                                         msg_type_name(h->type), h->length)));
    }
    size_t total = kHeaderSize + h->length;
    if (rx_avail() >= total) {
      OMX_TRY(open_into(out, hp, {hp + kHeaderSize, h->length}));
      rx_begin_ += total;
      if (rx_begin_ == rx_end_) rx_begin_ = rx_end_ = 0;
      return true;
    }
    if (total <= rx_.size()) return false;  // fits the read-ahead buffer: read more
    // Large frame: its body goes straight into its own buffer (the caller's old payload).
    std::memcpy(big_header_, hp, kHeaderSize);
    big_.swap(out.payload);
    big_.resize(h->length);
    big_filled_ = rx_avail() - kHeaderSize;
    std::memcpy(big_.data(), hp + kHeaderSize, big_filled_);
    rx_begin_ = rx_end_ = 0;
    in_big_ = true;
  }
  if (big_filled_ < big_.size()) return false;
  in_big_ = false;
  auto type = crypto_->open(std::span<const uint8_t, kHeaderSize>(big_header_), big_, big_);
  if (!type.ok()) return fail(type.error());
  big_.resize(big_.size() - kAeadTagSize);
  out.payload.swap(big_);
  out.type = *type;
  return true;
}

Status Channel::recv(Frame& out, Duration timeout) {
  OMX_TRY(check_open());
  Deadline dl(timeout);
  for (;;) {
    OMX_ASSIGN(bool done, try_assemble(out));
    if (done) return ok_status();
    OMX_TRY(fill(dl));
  }
}

Result<Frame> Channel::recv(Duration timeout) {
  Frame f;
  OMX_TRY(recv(f, timeout));
  return f;
}

bool Channel::frame_ready() const {
  if (!fd_.valid() || in_big_ || rx_avail() < kHeaderSize) return false;
  const uint8_t* hp = rx_.data() + rx_begin_;
  auto h = decode_header(std::span<const uint8_t, kHeaderSize>(hp, kHeaderSize));
  return !h.ok() || rx_avail() >= kHeaderSize + h->length;
}

}  // namespace omx::wire
