// Helpers for the wire tests: socketpairs, blocking raw I/O, a hand-driven peer (Handshake +
// SessionCrypto over a plain fd, so tests can write replayed, modified or truncated frames), and a
// temporary directory. Single-threaded use per helper object.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/scoped_fd.h"
#include "wire/channel.h"
#include "wire/handshake.h"
#include "wire/session_crypto.h"

namespace omx::wire::testing {

using namespace std::chrono_literals;

inline std::pair<ScopedFd, ScopedFd> socket_pair() {
  int sv[2];
  OMX_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  return {ScopedFd(sv[0]), ScopedFd(sv[1])};
}

inline void write_raw(int fd, std::span<const uint8_t> b) {
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::send(fd, b.data() + done, b.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the other side closed: fine for tests that expect a failure
    done += static_cast<size_t>(n);
  }
}

inline bool read_raw(int fd, uint8_t* p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, p + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// Reads one clear handshake frame as `hs` expects it.
inline Result<std::vector<uint8_t>> read_handshake_frame(int fd, const Handshake& hs) {
  std::vector<uint8_t> f(kHeaderSize);
  if (!read_raw(fd, f.data(), kHeaderSize)) return make_error(ErrorCode::kProtocol, "eof");
  OMX_ASSIGN(uint32_t len, hs.next_payload_size(std::span<const uint8_t, kHeaderSize>(f.data(), kHeaderSize)));
  f.resize(kHeaderSize + len);
  if (!read_raw(fd, f.data() + kHeaderSize, len)) return make_error(ErrorCode::kProtocol, "eof");
  return f;
}

// Runs the handshake by hand over a blocking fd; returns the session (or the error).
inline Result<Session> raw_handshake(int fd, const Key& key, Role role, uint32_t node,
                                     const SessionOptions& opts = {}) {
  Handshake hs(key, role, node, opts);
  write_raw(fd, hs.hello_frame());
  OMX_ASSIGN(auto hello, read_handshake_frame(fd, hs));
  OMX_TRY(hs.on_peer_hello(hello));
  write_raw(fd, hs.auth_frame());
  OMX_ASSIGN(auto auth, read_handshake_frame(fd, hs));
  return hs.on_peer_auth(auth);
}

// A Channel (responder, node 2) talking to a hand-driven peer (initiator, node 1) on a socketpair.
struct RawPeerFixture {
  ScopedFd raw;                   // the hand-driven side's fd (blocking)
  std::optional<Session> peer;    // its session
  std::optional<Channel> channel;

  static RawPeerFixture make(const Key& key) {
    auto [a, b] = socket_pair();
    RawPeerFixture f;
    int raw_fd = a.get();
    auto peer = std::async(std::launch::async, [&key, raw_fd] {
      return raw_handshake(raw_fd, key, Role::kInitiator, 1);
    });
    auto ch = Channel::establish(std::move(b), Role::kResponder, key, 2, 5s);
    auto s = peer.get();
    OMX_CHECK(ch.ok() && s.ok(), "RawPeerFixture handshake failed");
    f.raw = std::move(a);
    f.peer.emplace(std::move(*s));
    f.channel.emplace(std::move(*ch));
    return f;
  }

  std::vector<uint8_t> seal(MsgType type, std::span<const uint8_t> payload) {
    std::vector<uint8_t> out(SessionCrypto::sealed_size(payload.size()));
    OMX_CHECK(peer->crypto.seal(type, payload, out).ok(), "seal");
    return out;
  }
};

// Two Channels on a socketpair (or any connected pair of fds): a = initiator node 1, b = node 2.
inline std::pair<Result<Channel>, Result<Channel>> channel_pair(
    const Key& ka, const Key& kb, const SessionOptions& oa = {}, const SessionOptions& ob = {}) {
  auto [x, y] = socket_pair();
  auto fut = std::async(std::launch::async, [&, fd = std::move(x)]() mutable {
    return Channel::establish(std::move(fd), Role::kInitiator, ka, 1, 5s, oa);
  });
  auto b = Channel::establish(std::move(y), Role::kResponder, kb, 2, 5s, ob);
  return {fut.get(), std::move(b)};
}

inline std::vector<uint8_t> pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "omx-wire-test-XXXXXX").string();
    OMX_CHECK(::mkdtemp(t.data()) != nullptr, "mkdtemp");
    path_ = t;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace omx::wire::testing
