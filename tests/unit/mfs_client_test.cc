// Unit tests of the /mfs client pieces that need no FUSE mount: the session pool (against a fake
// server on loopback that answers getattr by hand) and omxd's magic-path table (MfsContext,
// against real forked processes for the "selected is inherited at fork" rule).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "daemon/mfs_context.h"
#include "daemon/process_registry.h"
#include "mfs/protocol.h"
#include "mfs/session_pool.h"
#include "wire/channel.h"
#include "wire/key.h"

namespace omx::mfs {
namespace {

using namespace std::chrono_literals;

// A TCP listener on 127.0.0.1 whose every connection is a session answering getattr with
// attr.ino = the session's number and attr.uid = the owner's uid.
class FakeServer {
 public:
  explicit FakeServer(const wire::Key& key) : key_(key) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    for (auto& t : sessions_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      int n = ++accepted_;
      sessions_.emplace_back([this, c, n] { serve(ScopedFd(c), n); });
    }
  }
  void serve(ScopedFd fd, int n) {
    wire::SessionOptions o;
    o.app_features = kFeatureMfs;
    auto ch = wire::Channel::accept(std::move(fd), key_, 9, 2s, o);
    if (!ch.ok()) return;
    auto owner_frame = ch->recv(2s);
    if (!owner_frame.ok()) return;
    auto owner = wire::decode_owner(owner_frame->payload);
    while (!stop_) {
      auto f = ch->recv(200ms);
      if (!f.ok()) {
        if (f.error().code == ErrorCode::kTimeout) continue;
        return;
      }
      auto req = decode_request(f->payload);
      ASSERT_TRUE(req.ok());
      Reply r;
      r.id = req->id;
      r.attr.ino = static_cast<uint64_t>(n);
      r.attr.uid = owner.ok() ? owner->uid : 0;
      if (!ch->send(wire::MsgType::kMfsReply, encode_reply(req->op, r)).ok()) return;
    }
  }
  wire::Key key_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> sessions_;
};

Request getattr() {
  Request r;
  r.op = Op::kGetattr;
  r.path = "/";
  return r;
}

TEST(SessionPool, UnknownAndDownNodesAreHostDownAtOnce) {
  SessionPool pool(1, wire::generate_key(), [](uint32_t n) -> std::optional<NodeAddress> {
    if (n == 2) return NodeAddress{"127.0.0.1", 1, false};
    return std::nullopt;
  });
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t n : {2u, 3u}) {
    auto r = pool.call(n, wire::SessionOwner{1000, 1000, {}}, getattr());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(error_errno(r.error()), EHOSTDOWN) << r.error().message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
}

TEST(SessionPool, NobodyListeningIsHostDownWithinTheConnectTimeout) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);  // a port that is surely closed: bound, no listen
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  uint16_t port = ntohs(a.sin_port);
  SessionPool pool(1, wire::generate_key(), [port](uint32_t) -> std::optional<NodeAddress> {
    return NodeAddress{"127.0.0.1", port, true};
  });
  auto t0 = std::chrono::steady_clock::now();
  auto r = pool.call(2, wire::SessionOwner{0, 0, {}}, getattr());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error_errno(r.error()), EHOSTDOWN);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  ::close(s);
}

TEST(SessionPool, SessionsPerCredentialsReusedAndPinned) {
  wire::Key key = wire::generate_key();
  FakeServer server(key);
  uint16_t port = server.port();
  SessionPool pool(1, key, [port](uint32_t) -> std::optional<NodeAddress> {
    return NodeAddress{"127.0.0.1", port, true};
  });
  wire::SessionOwner alice{1000, 1000, {1000, 24}}, bob{1001, 1001, {}};
  auto a1 = pool.call(2, alice, getattr());
  ASSERT_TRUE(a1.ok()) << a1.error().message();
  EXPECT_EQ(a1->attr.uid, 1000u);
  auto a2 = pool.call(2, alice, getattr());
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(a2->attr.ino, a1->attr.ino) << "an idle session of the same owner is reused";
  auto b = pool.call(2, bob, getattr());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->attr.uid, 1001u);
  EXPECT_NE(b->attr.ino, a1->attr.ino) << "another owner gets its own session";
  EXPECT_EQ(pool.open_sessions(), 2u);

  // A lease is exclusive: a second concurrent get opens another session of the key.
  auto l1 = pool.get(2, alice);
  ASSERT_TRUE(l1.ok());
  uint64_t pinned = l1->session_id();
  l1->add_handle(1);
  {
    auto l2 = pool.get(2, alice);
    ASSERT_TRUE(l2.ok());
    EXPECT_NE(l2->session_id(), pinned);
  }
  { auto drop = std::move(*l1); }
  auto again = pool.get_session(pinned);
  ASSERT_TRUE(again.ok());
  auto r = pool.call(*again, getattr());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attr.ino, a1->attr.ino);
}

TEST(SessionPool, MarkDownCutsSessionsAndLostSessionsAnswerEio) {
  wire::Key key = wire::generate_key();
  FakeServer server(key);
  uint16_t port = server.port();
  std::atomic<bool> up{true};
  SessionPool pool(1, key, [port, &up](uint32_t) -> std::optional<NodeAddress> {
    return NodeAddress{"127.0.0.1", port, up.load()};
  });
  wire::SessionOwner o{1000, 1000, {}};
  uint64_t id = 0;
  {
    auto l = pool.get(2, o);
    ASSERT_TRUE(l.ok());
    id = l->session_id();
    l->add_handle(1);  // an open file pins it
  }
  up = false;
  pool.mark_down(2);
  {
    auto l = pool.get_session(id);
    ASSERT_TRUE(l.ok());
    auto r = pool.call(*l, getattr());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(error_errno(r.error()), EHOSTDOWN);
  }
  auto lost = pool.get_session(id);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(error_errno(lost.error()), EIO);
  pool.release_handle(id);
  EXPECT_EQ(pool.open_sessions(), 0u);
}

}  // namespace
}  // namespace omx::mfs

namespace omx::daemon {
namespace {

using namespace std::chrono_literals;

// A child that waits until killed; returns its pid.
pid_t sleeper() {
  pid_t p = ::fork();
  if (p == 0) {
    ::pause();
    _exit(0);
  }
  return p;
}

void reap(pid_t p) {
  ::kill(p, SIGKILL);
  ::waitpid(p, nullptr, 0);
}

TEST(MfsContext, OrdinaryProcessIsHereAndHome) {
  ProcessRegistry reg(4);
  MfsContext ctx(4, reg);
  auto w = ctx.whois(::getpid());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->here, 4u);
  EXPECT_EQ(w->home, 4u);
  EXPECT_EQ(w->selected, 4u);
  EXPECT_EQ(w->magic, 4u);
  EXPECT_FALSE(ctx.whois(0).ok());
}

TEST(MfsContext, SelectedIsInheritedByChildrenForkedAfterwardsOnly) {
  ProcessRegistry reg(1);
  MfsContext ctx(1, reg);
  pid_t before = sleeper();
  std::this_thread::sleep_for(50ms);  // start times have clock-tick (10 ms) resolution
  Caller root{::getpid(), 0, 0};
  ASSERT_TRUE(ctx.select(::getpid(), 3, root).ok());
  std::this_thread::sleep_for(50ms);
  pid_t after = sleeper();
  EXPECT_EQ(ctx.whois(::getpid())->selected, 3u);
  EXPECT_EQ(ctx.whois(after)->selected, 3u);
  EXPECT_EQ(ctx.whois(before)->selected, 1u);
  ASSERT_TRUE(ctx.select(::getpid(), 0, root).ok());  // cleared
  EXPECT_EQ(ctx.whois(after)->selected, 1u);
  reap(before);
  reap(after);
}

TEST(MfsContext, OnlyOwnerOrRootSelectsOnlyRootSetsMagic) {
  ProcessRegistry reg(1);
  MfsContext ctx(1, reg);
  Caller stranger{1, 12345, 12345};
  EXPECT_FALSE(ctx.select(::getpid(), 2, stranger).ok());  // we are not uid 12345
  EXPECT_FALSE(ctx.set_magic(::getpid(), 2, stranger).ok());
  Caller root{1, 0, 0};
  ASSERT_TRUE(ctx.set_magic(::getpid(), 2, root).ok());
  EXPECT_EQ(ctx.whois(::getpid())->magic, 2u);
  EXPECT_EQ(ctx.whois(::getpid())->here, 1u);
}

TEST(MfsContext, ADeputyIsWhereItsBodyRuns) {
  ProcessRegistry reg(1);
  MfsContext ctx(1, reg);
  pid_t p = sleeper();
  Caller sup{::getpid(), 0, 0};
  reg.on_migrated({{"pid", p}, {"from", 1}, {"to", 3}}, sup);
  EXPECT_EQ(ctx.whois(p)->here, 3u);
  EXPECT_EQ(ctx.whois(p)->home, 1u);
  reg.on_migrated({{"pid", p}, {"from", 3}, {"to", 1}}, sup);
  EXPECT_EQ(ctx.whois(p)->here, 1u);
  reap(p);
}

TEST(MfsContext, AGuestBodyIsHereWithItsOwnHome) {
  ProcessRegistry reg(1);
  MfsContext ctx(1, reg);
  reg.set_guest_check([](pid_t) { return true; });
  pid_t body = sleeper();
  Caller sup{::getpid(), 0, 0};
  auto r = reg.on_guest_started({{"body", body}, {"home", 5}, {"home_pid", 77}, {"uid", 0}}, sup);
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  auto w = ctx.whois(body);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->here, 1u);
  EXPECT_EQ(w->home, 5u);
  EXPECT_EQ(w->lastexec, 5u);
  EXPECT_EQ(w->selected, 5u);
  reap(body);
}

}  // namespace
}  // namespace omx::daemon
