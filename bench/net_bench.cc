// omx_bench_net: the network baselines of ./run bench, run between two cluster nodes.
//
//   rtt-server PORT                    echo server (one connection at a time, forever)
//   rtt-client HOST PORT N ROUNDS      1-byte ping-pong with TCP_NODELAY; after 200 warm-up
//                                      exchanges, ROUNDS rounds of N; prints
//                                      {"rtt_ns":[mean ns per round trip, one per round]}
//   sink PORT [--key FILE]             receives transfers (one connection at a time, forever):
//                                      raw: an 8-byte count, then that many bytes read into a
//                                      1 MiB buffer, then a 1-byte ack; with --key: a wire::Channel
//                                      (cluster key FILE) carrying kMigratePages frames until
//                                      kMigratePagesEnd, then a kMigrateAck frame
//   source HOST PORT BYTES [--key FILE]
//                                      sends BYTES from a BYTES-sized, fully touched buffer of
//                                      non-zero data in 1 MiB writes (with --key: 8-byte address
//                                      + 1 MiB run per frame, exactly as migration's page sink
//                                      sends pages); prints {"bytes":B,"ns":T,"connect_ns":C,
//                                      "aead":"..."}: T from before connect() (and, with a key,
//                                      the handshake) until the ack arrived
//
// The plain-socket side uses default kernel socket buffers (autotuned) and 1 MiB user buffers.
// Single-threaded; exits 2 on usage errors, 1 on I/O errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "go_signal.h"
#include "wire/channel.h"
#include "wire/codec.h"
#include "wire/key.h"

namespace {

using omx::ScopedFd;
using omx::bench::now_ns;
namespace wire = omx::wire;

constexpr size_t kChunk = 1 << 20;  // = migration's page run size

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "omx_bench_net: %s: %s\n", what, strerror(errno));
  exit(1);
}
[[noreturn]] void die_msg(const std::string& what) {
  fprintf(stderr, "omx_bench_net: %s\n", what.c_str());
  exit(1);
}

void set_nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("TCP_NODELAY");
}

ScopedFd listen_on(uint16_t port) {
  ScopedFd l(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (listen(l.get(), 4) != 0) die("listen");
  return l;
}

ScopedFd connect_to(const char* host, uint16_t port) {
  ScopedFd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die_msg(std::string("bad IPv4 address ") + host);
  if (connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
  return c;
}

bool read_full(int fd, void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  while (n) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    b += r, n -= static_cast<size_t>(r);
  }
  return true;
}

void write_full(int fd, const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write");
    b += w, n -= static_cast<size_t>(w);
  }
}

int rtt_server(uint16_t port) {
  ScopedFd l = listen_on(port);
  for (;;) {
    ScopedFd c(accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) continue;
    set_nodelay(c.get());
    uint8_t b[64];
    for (;;) {
      ssize_t r = read(c.get(), b, sizeof b);
      if (r <= 0) break;
      write_full(c.get(), b, static_cast<size_t>(r));
    }
  }
}

int rtt_client(const char* host, uint16_t port, long n, long rounds) {
  ScopedFd c = connect_to(host, port);
  set_nodelay(c.get());
  uint8_t b = 1;
  auto one = [&] {
    write_full(c.get(), &b, 1);
    if (!read_full(c.get(), &b, 1)) die_msg("echo server closed");
  };
  for (int i = 0; i < 200; ++i) one();
  printf("{\"rtt_ns\":[");
  for (long r = 0; r < rounds; ++r) {
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; ++i) one();
    printf("%s%.1f", r ? "," : "", static_cast<double>(now_ns() - t0) / static_cast<double>(n));
  }
  printf("]}\n");
  return 0;
}

void sink_raw(int fd, std::vector<uint8_t>& buf) {
  uint64_t count = 0;
  if (!read_full(fd, &count, sizeof count)) return;
  while (count) {
    ssize_t r = read(fd, buf.data(), std::min<uint64_t>(count, buf.size()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    count -= static_cast<uint64_t>(r);
  }
  uint8_t ack = 1;
  write_full(fd, &ack, 1);
}

void sink_channel(ScopedFd fd, const wire::Key& key) {
  auto ch = wire::Channel::accept(std::move(fd), key, 2, std::chrono::seconds(10));
  if (!ch.ok()) {
    fprintf(stderr, "omx_bench_net: sink handshake: %s\n", ch.error().message().c_str());
    return;
  }
  wire::Frame f;
  for (;;) {
    if (!ch->recv(f, std::chrono::seconds(60)).ok()) return;
    if (f.type == wire::MsgType::kMigratePagesEnd) break;
  }
  (void)ch->send(wire::MsgType::kMigrateAck, {});
  (void)ch->recv(f, std::chrono::seconds(10));  // until the source closes
}

int sink(uint16_t port, const std::optional<wire::Key>& key) {
  ScopedFd l = listen_on(port);
  std::vector<uint8_t> buf(kChunk);
  for (;;) {
    ScopedFd c(accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) continue;
    if (key) sink_channel(std::move(c), *key);
    else sink_raw(c.get(), buf);
  }
}

int source(const char* host, uint16_t port, uint64_t bytes, const std::optional<wire::Key>& key) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  auto* src = static_cast<uint8_t*>(p);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint64_t i = 0; i + 8 <= bytes; i += 8) {
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    uint64_t v = x * 0x2545F4914F6CDD1Dull | 1;
    memcpy(src + i, &v, 8);
  }
  uint64_t t0 = now_ns(), t_conn = 0;
  std::string aead = "none";
  if (!key) {
    ScopedFd c = connect_to(host, port);
    t_conn = now_ns();
    write_full(c.get(), &bytes, sizeof bytes);
    for (uint64_t off = 0; off < bytes; off += kChunk)
      write_full(c.get(), src + off, std::min<uint64_t>(kChunk, bytes - off));
    uint8_t ack;
    if (!read_full(c.get(), &ack, 1)) die_msg("no ack from sink");
  } else {
    auto ch = wire::Channel::connect(host, port, *key, 1, std::chrono::seconds(10));
    if (!ch.ok()) die_msg("connect: " + ch.error().message());
    t_conn = now_ns();
    aead = std::string(wire::aead_name(ch->algorithm()));
    for (uint64_t off = 0; off < bytes; off += kChunk) {
      uint8_t head[8];
      wire::store_le64(head, reinterpret_cast<uint64_t>(src + off));
      iovec iov[2] = {{head, sizeof head}, {src + off, std::min<uint64_t>(kChunk, bytes - off)}};
      auto st = ch->send_iov(wire::MsgType::kMigratePages, iov);
      if (!st.ok()) die_msg("send: " + st.error().message());
    }
    if (!ch->send(wire::MsgType::kMigratePagesEnd, {}).ok()) die_msg("send end");
    auto ack = ch->recv(std::chrono::seconds(60));
    if (!ack.ok() || ack->type != wire::MsgType::kMigrateAck) die_msg("no ack from sink");
  }
  uint64_t t1 = now_ns();
  printf("{\"bytes\":%llu,\"ns\":%llu,\"connect_ns\":%llu,\"aead\":\"%s\"}\n",
         static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(t1 - t0),
         static_cast<unsigned long long>(t_conn - t0), aead.c_str());
  return 0;
}

std::optional<wire::Key> key_option(int argc, char** argv, int at) {
  if (argc == at) return std::nullopt;
  if (argc != at + 2 || strcmp(argv[at], "--key") != 0) {
    fprintf(stderr, "omx_bench_net: expected --key FILE\n");
    exit(2);
  }
  auto k = wire::load_key(argv[at + 1]);
  if (!k.ok()) die_msg(k.error().message());
  return *k;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "rtt-server" && argc == 3) return rtt_server(static_cast<uint16_t>(atoi(argv[2])));
  if (cmd == "rtt-client" && argc == 6)
    return rtt_client(argv[2], static_cast<uint16_t>(atoi(argv[3])), atol(argv[4]), atol(argv[5]));
  if (cmd == "sink" && argc >= 3)
    return sink(static_cast<uint16_t>(atoi(argv[2])), key_option(argc, argv, 3));
  if (cmd == "source" && argc >= 5)
    return source(argv[2], static_cast<uint16_t>(atoi(argv[3])), strtoull(argv[4], nullptr, 10),
                  key_option(argc, argv, 5));
  fprintf(stderr,
          "usage: omx_bench_net rtt-server PORT | rtt-client HOST PORT N ROUNDS |\n"
          "       sink PORT [--key FILE] | source HOST PORT BYTES [--key FILE]\n");
  return 2;
}
