// wire_bench: what the wire protocol costs, as ratios to baselines measured in the same run
// (these machines are shared and noisy; absolute GB/s vary from run to run).
//
//   AEAD/<algorithm>/<backend>/{seal,open}  1 MiB messages   counter x_memcpy = time / memcpy time
//   Memcpy                                  1 MiB             the baseline for the above
//   RawTcp                                  64 MiB over loopback TCP in 1 MiB writes, receiver
//                                           thread reads into a 1 MiB buffer and acks
//   Channel/<algorithm>/<backend>           the same 64 MiB through Channel (1 MiB frames),
//                                           counter x_raw_tcp = time / time of the same transfer
//                                           over raw TCP, interleaved iteration by iteration
//                                           (migration target: <= 1.5)
//   RoundTrip64                             64-byte request + reply through a Channel,
//                                           counter x_raw_rtt against raw TCP, interleaved
//
// Run: build/bench/wire_bench [--benchmark_filter=Channel] [--benchmark_repetitions=3]
// Threading: each transfer benchmark runs one receiver thread beside the benchmark thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include "base/check.h"
#include "wire/aead.h"
#include "wire/channel.h"
#include "wire/key.h"
#include "base/result.h"

namespace omx::wire {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr size_t kMsg = 1 << 20;
constexpr size_t kTransfer = 64 << 20;

std::vector<uint8_t> filled(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
  return v;
}

// ---- single-core baselines and AEADs ----

double g_memcpy_ns = 0;  // per 1 MiB, best seen in this run

void bm_memcpy(benchmark::State& state) {
  auto src = filled(kMsg);
  std::vector<uint8_t> dst(kMsg);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), kMsg);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kMsg));
}

double time_memcpy_ns() {
  if (g_memcpy_ns > 0) return g_memcpy_ns;
  auto src = filled(kMsg);
  std::vector<uint8_t> dst(kMsg);
  double best = 1e18;
  for (int r = 0; r < 200; ++r) {
    auto t0 = Clock::now();
    std::memcpy(dst.data(), src.data(), kMsg);
    benchmark::DoNotOptimize(dst.data());
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  return g_memcpy_ns = best;
}

// Counter x_memcpy = time per message / memcpy time per message (both 1 MiB, hot cache).
void bm_aead(benchmark::State& state, AeadAlgorithm algo, AeadBackend be, bool open) {
  auto key = filled(32);
  Aead aead(algo, be, std::span<const uint8_t, 32>(key.data(), 32));
  std::array<uint8_t, kAeadNonceSize> nonce{};
  uint8_t ad[24] = {1}, tag[kAeadTagSize];
  auto msg = filled(kMsg);
  std::vector<uint8_t> buf(kMsg);
  aead.seal(nonce, ad, msg.data(), kMsg, buf.data(), tag);
  std::vector<uint8_t> sealed = buf;
  double base = time_memcpy_ns();
  auto t0 = Clock::now();
  for (auto _ : state) {
    if (open) {
      bool ok = aead.open(nonce, ad, sealed.data(), kMsg, buf.data(), tag);
      OMX_CHECK(ok, "bench: open failed");
    } else {
      aead.seal(nonce, ad, msg.data(), kMsg, buf.data(), tag);
    }
    benchmark::ClobberMemory();
  }
  double per = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() /
               static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kMsg));
  state.counters["x_memcpy"] = per / base;
}

void bm_xchacha_seal(benchmark::State& state) {
  auto key = filled(32);
  uint8_t nonce[24] = {}, tag[16];
  auto msg = filled(kMsg);
  std::vector<uint8_t> out(kMsg);
  for (auto _ : state) {
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out.data(), tag, nullptr, msg.data(), kMsg,
                                                        nullptr, 0, nullptr, nonce, key.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kMsg));
}

// ---- loopback TCP transfers ----

std::pair<ScopedFd, ScopedFd> tcp_pair() {
  ScopedFd l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  OMX_CHECK(::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0, "bind");
  OMX_CHECK(::listen(l.get(), 1) == 0, "listen");
  socklen_t len = sizeof(a);
  ::getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len);
  ScopedFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  OMX_CHECK(::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0, "connect");
  ScopedFd s(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
  int one = 1;
  ::setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return {std::move(c), std::move(s)};
}

void write_all(int fd, const uint8_t* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    OMX_CHECK(w > 0 || errno == EINTR, "bench: write failed");
    if (w > 0) p += w, n -= static_cast<size_t>(w);
  }
}

// One raw TCP connection reused across iterations: send kTransfer bytes, wait for a 1-byte ack.
class RawTcp {
 public:
  RawTcp() : src_(filled(kMsg)) {
    auto [c, s] = tcp_pair();
    tx_ = std::move(c);
    rx_ = std::move(s);
    receiver_ = std::thread([this] { receive_loop(); });
  }
  ~RawTcp() {
    tx_.reset();
    receiver_.join();
  }
  void transfer() {
    for (size_t sent = 0; sent < kTransfer; sent += kMsg) write_all(tx_.get(), src_.data(), kMsg);
    uint8_t ack;
    OMX_CHECK(::read(tx_.get(), &ack, 1) == 1, "bench: no ack");
  }

 private:
  void receive_loop() {
    std::vector<uint8_t> buf(kMsg);
    size_t got = 0;
    for (;;) {
      ssize_t r = ::read(rx_.get(), buf.data(), buf.size());
      if (r <= 0) return;
      got += static_cast<size_t>(r);
      if (got == kTransfer) {
        got = 0;
        uint8_t ack = 1;
        write_all(rx_.get(), &ack, 1);
      }
    }
  }
  std::vector<uint8_t> src_;
  ScopedFd tx_, rx_;
  std::thread receiver_;
};

void bm_raw_tcp(benchmark::State& state) {
  RawTcp t;
  for (auto _ : state) t.transfer();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kTransfer));
}

Result<std::pair<Channel, Channel>> channel_pair(const SessionOptions& opts) {
  auto [c, s] = tcp_pair();
  Key key = generate_key();
  auto server_fut = std::async(std::launch::async, [&, fd = std::move(s)]() mutable {
    return Channel::accept(std::move(fd), key, 2, 5s, opts);
  });
  auto client = Channel::establish(std::move(c), Role::kInitiator, key, 1, 5s, opts);
  auto server = server_fut.get();
  OMX_TRY(client.ok() ? server.ok() ? Status() : server.error() : client.error());
  return std::make_pair(std::move(*client), std::move(*server));
}

double since_ns(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// The same bytes through a Channel pair; the receiver recv()s into a reused Frame and acks.
// Each iteration first moves the same bytes over a raw TCP connection (untimed), so x_raw_tcp
// compares runs that saw the same machine load.
void bm_channel(benchmark::State& state, bool aes, AeadBackend be) {
  auto pair = channel_pair({.offer_aes256gcm = aes, .backend = be});
  OMX_CHECK(pair.ok(), "bench: handshake failed: %s", pair.error().message().c_str());
  auto& [client, server] = *pair;
  std::thread receiver([&server = server] {
    Frame f;
    size_t got = 0;
    while (server.recv(f, kForever).ok()) {
      got += f.payload.size();
      if (got == kTransfer) {
        got = 0;
        OMX_CHECK(server.send(MsgType::kMigrateAck, {}).ok(), "bench: ack");
      }
    }
  });
  RawTcp raw;
  auto src = filled(kMsg);
  double raw_ns = 0, channel_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto t0 = Clock::now();
    raw.transfer();
    raw_ns += since_ns(t0);
    state.ResumeTiming();
    auto t1 = Clock::now();
    for (size_t sent = 0; sent < kTransfer; sent += kMsg) {
      OMX_CHECK(client.send(MsgType::kMigrateImageChunk, src).ok(), "bench: send");
    }
    auto ack = client.recv(30s);
    OMX_CHECK(ack.ok() && ack->type == MsgType::kMigrateAck, "bench: no ack");
    channel_ns += since_ns(t1);
  }
  state.SetLabel(std::string(aead_name(client.algorithm())));
  client.close();
  receiver.join();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kTransfer));
  state.counters["x_raw_tcp"] = channel_ns / raw_ns;
}

// Small-message round trips (syscall forwarding): 64-byte request, 64-byte reply, compared with
// the same exchange over raw TCP in the same iterations.
void bm_round_trip(benchmark::State& state) {
  auto pair = channel_pair({});
  OMX_CHECK(pair.ok(), "bench: handshake failed");
  auto& [client, server] = *pair;
  std::thread echo([&server = server] {
    Frame f;
    while (server.recv(f, kForever).ok()) {
      if (!server.send(MsgType::kSyscallReply, f.payload).ok()) return;
    }
  });
  auto [rc, rs] = tcp_pair();
  std::thread raw_echo([fd = rs.get()] {
    uint8_t b[64];
    for (;;) {
      size_t got = 0;
      while (got < sizeof(b)) {
        ssize_t r = ::read(fd, b + got, sizeof(b) - got);
        if (r <= 0) return;
        got += static_cast<size_t>(r);
      }
      write_all(fd, b, sizeof(b));
    }
  });
  auto msg = filled(64);
  double raw_ns = 0, channel_ns = 0;
  Frame reply;
  for (auto _ : state) {
    state.PauseTiming();
    auto t0 = Clock::now();
    write_all(rc.get(), msg.data(), msg.size());
    uint8_t b[64];
    for (size_t got = 0; got < sizeof(b);) {
      ssize_t r = ::read(rc.get(), b + got, sizeof(b) - got);
      OMX_CHECK(r > 0, "bench: raw echo");
      got += static_cast<size_t>(r);
    }
    raw_ns += since_ns(t0);
    state.ResumeTiming();
    auto t1 = Clock::now();
    OMX_CHECK(client.send(MsgType::kSyscallRequest, msg).ok(), "bench: send");
    OMX_CHECK(client.recv(reply, 5s).ok(), "bench: recv");
    channel_ns += since_ns(t1);
  }
  client.close();
  ::shutdown(rc.get(), SHUT_RDWR);
  echo.join();
  raw_echo.join();
  state.counters["x_raw_rtt"] = channel_ns / raw_ns;
}

void register_all() {
  benchmark::RegisterBenchmark("Memcpy", bm_memcpy);
  for (auto algo : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    if (!aead_available(algo)) continue;
    for (auto be : {AeadBackend::kOpenSsl, AeadBackend::kSodium}) {
      if (!backend_available(be)) continue;
      for (bool open : {false, true}) {
        std::string name = "AEAD/" + std::string(aead_name(algo)) + "/" +
                           std::string(backend_name(be)) + (open ? "/open" : "/seal");
        benchmark::RegisterBenchmark(name.c_str(), bm_aead, algo, be, open);
      }
    }
  }
  benchmark::RegisterBenchmark("AEAD/xchacha20-poly1305/libsodium/seal", bm_xchacha_seal);
  benchmark::RegisterBenchmark("RawTcp", bm_raw_tcp)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (bool aes : {true, false}) {
    if (aes && !aead_available(AeadAlgorithm::kAes256Gcm)) continue;
    for (auto be : {AeadBackend::kOpenSsl, AeadBackend::kSodium}) {
      if (!backend_available(be)) continue;
      std::string name = "Channel/" + std::string(aes ? "aes-256-gcm" : "chacha20-poly1305") +
                         "/" + std::string(backend_name(be));
      benchmark::RegisterBenchmark(name.c_str(), bm_channel, aes, be)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  benchmark::RegisterBenchmark("RoundTrip64", bm_round_trip)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

}  // namespace
}  // namespace omx::wire

int main(int argc, char** argv) {
  omx::wire::init_crypto();
  benchmark::Initialize(&argc, argv);
  omx::wire::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
