// The relay session over real TCP on loopback, without omxd: a forked server does what omxd's
// connection child does (relay/server.h after the handshake and the owner frame) and
// relay_run is the client. Checks: a command runs and its output and status come back; the
// server enforces the whitelist itself (a raw request the client would have refused); a server
// that does not offer the relay feature, a wrong key and a closed port give clear errors; the
// command's timeout comes back as a timed-out result within the caller's bound.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "relay/client.h"
#include "relay/protocol.h"
#include "relay/server.h"
#include "relay_test_util.h"
#include "wire/channel.h"
#include "wire/handshake.h"
#include "wire/session_owner.h"

namespace omx::relay {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Listener {
  ScopedFd fd;
  uint16_t port = 0;
};

Listener listen_loopback() {
  Listener l;
  l.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(l.fd.get(), 4) != 0 ||
      ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return {};
  l.port = ntohs(a.sin_port);
  return l;
}

// One connection served as omxd's child would: handshake offering `features`, owner, request.
pid_t serve_one(Listener& l, const wire::Key& key, uint64_t features) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::alarm(30);
  ScopedFd c(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  wire::SessionOptions so;
  so.app_features = features;
  auto ch = wire::Channel::accept(std::move(c), key, 2, 5000ms, so);
  if (!ch.ok()) _exit(3);
  auto owner_frame = ch->recv(5000ms);
  if (!owner_frame.ok()) _exit(3);
  auto owner = wire::decode_owner(owner_frame->payload);
  auto first = ch->recv(5000ms);
  if (!owner.ok() || !first.ok()) _exit(3);
  std::string refuse = ch->features() & wire::kFeatureRelay ? "" : "relay request without the relay feature";
  _exit(serve_relay(*ch, *first, *owner, refuse));
}

int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class RelaySession : public ::testing::Test {
 protected:
  void SetUp() override {
    l_ = listen_loopback();
    ASSERT_NE(l_.port, 0);
  }
  RunAs me() const { return {::geteuid(), ::getegid()}; }
  // Inherited by the forked server.
  FakeOmxBinary omx_{"  ps) echo \"ps as $(id -u) $2\"; echo warn >&2; exit 3 ;;\n"
                     "  status) sleep 30 ;;\n"};
  const std::string& dir_ = omx_.dir();
  Listener l_;
  wire::Key key_ = wire::generate_key();
};

TEST_F(RelaySession, RunsTheCommandAndReturnsItsOutcome) {
  pid_t server = serve_one(l_, key_, wire::kFeatureRelay);
  auto r = relay_run("127.0.0.1", l_.port, key_, me(), {"omx", "ps", "--json"}, 10s, 1);
  EXPECT_EQ(reap(server), 0);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->out, "ps as " + std::to_string(::geteuid()) + " --json\n");
  EXPECT_EQ(r->err, "warn\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
}

TEST_F(RelaySession, TheServerEnforcesTheWhitelistItself) {
  pid_t server = serve_one(l_, key_, wire::kFeatureRelay);
  wire::SessionOptions so;
  so.app_features = wire::kFeatureRelay;
  auto ch = wire::Channel::connect("127.0.0.1", l_.port, key_, 1, 5000ms, so);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  ASSERT_TRUE(ch->send(wire::MsgType::kSessionOwner, wire::encode_owner({0, 0, {}})).ok());
  std::string marker = dir_ + "/ran";
  ASSERT_TRUE(ch->send(wire::MsgType::kRelayRequest,
                       encode_request({5000, {"sh", "-c", "touch " + marker}})).ok());
  auto f = ch->recv(10000ms);
  EXPECT_EQ(reap(server), 2);
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_EQ(f->type, wire::MsgType::kError);
  auto why = decode_refusal(f->payload);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->find("may not be run"), std::string::npos) << *why;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(RelaySession, ANodeWithoutTheRelayFeatureRefuses) {
  pid_t server = serve_one(l_, key_, wire::kFeatureMfs);
  auto r = relay_run("127.0.0.1", l_.port, key_, me(), {"omx", "ps"}, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_NE(r.error().message().find("does not run commands for others"), std::string::npos)
      << r.error().message();
  ::kill(server, SIGKILL);  // it waits for an owner frame that will not come
  reap(server);
}

TEST_F(RelaySession, AWrongKeyFailsTheHandshake) {
  pid_t server = serve_one(l_, key_, wire::kFeatureRelay);
  auto r = relay_run("127.0.0.1", l_.port, wire::generate_key(), me(), {"omx", "ps"}, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("127.0.0.1"), std::string::npos) << r.error().message();
  EXPECT_EQ(reap(server), 3);  // the server never got past the handshake
}

TEST_F(RelaySession, AClosedPortFailsAtOnce) {
  uint16_t port = l_.port;
  l_.fd.reset();
  auto t0 = Clock::now();
  auto r = relay_run("127.0.0.1", port, key_, me(), {"omx", "ps"}, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_NE(r.error().message().find("omxd at 127.0.0.1"), std::string::npos) << r.error().message();
}

TEST_F(RelaySession, TheCommandsTimeoutComesBackWithinTheCallersBound) {
  pid_t server = serve_one(l_, key_, wire::kFeatureRelay);
  auto t0 = Clock::now();
  auto r = relay_run("127.0.0.1", l_.port, key_, me(), {"omx", "status"}, 1500ms);
  auto took = Clock::now() - t0;
  EXPECT_EQ(reap(server), 0);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(took, 1700ms);
}

}  // namespace
}  // namespace omx::relay
