// omx_bench_cpu ITERS [--now]: a fixed integer workload (a dependent chain of multiply, add,
// xor-shift: no memory traffic, no system calls) timed with the vDSO's CLOCK_MONOTONIC.
// Without --now it prints "ready <pid>" and waits for SIGUSR1 first (go_signal.h), so it can be
// migrated before the timed part. The work runs as kChunks equal chunks, each timed:
//   ns         wall time of the whole run (what a user sees; includes time lost to other
//              processes on a shared machine)
//   steady_ns  kChunks x the median chunk time: the speed of the CPU while this process runs,
//              insensitive to bursts of preemption by other tenants (a real slowdown of the
//              process, e.g. from the remote environment, shows in every chunk)
// Prints one JSON line {"iters":N,"ns":T,"steady_ns":S,"result":X}.
// omx_bench_cpu --calibrate SECONDS prints the ITERS that take about SECONDS here.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "go_signal.h"

namespace {

constexpr uint64_t kChunks = 200;

// noinline + the result printed: the compiler can neither hoist nor drop the chain.
__attribute__((noinline)) uint64_t work(uint64_t iters, uint64_t x) {
  for (uint64_t i = 0; i < iters; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  using omx::bench::now_ns;
  if (argc >= 3 && strcmp(argv[1], "--calibrate") == 0) {
    double want_s = atof(argv[2]);
    uint64_t iters = 1 << 22;
    for (;;) {
      uint64_t t0 = now_ns();
      uint64_t r = work(iters, 1);
      double s = static_cast<double>(now_ns() - t0) / 1e9;
      asm volatile("" : : "r"(r));
      if (s > 0.25 || iters > (1ull << 40)) {
        printf("%llu\n", static_cast<unsigned long long>(static_cast<double>(iters) * (want_s / s)));
        return 0;
      }
      iters *= 4;
    }
  }
  if (argc < 2) {
    fprintf(stderr, "usage: %s ITERS [--now] | --calibrate SECONDS\n", argv[0]);
    return 2;
  }
  uint64_t iters = strtoull(argv[1], nullptr, 10);
  bool now = argc > 2 && strcmp(argv[2], "--now") == 0;
  if (!now) {
    omx::bench::arm_go_signal();
    omx::bench::say_ready();
    omx::bench::wait_for_go();
  }
  std::vector<uint64_t> chunk(kChunks);
  uint64_t per = iters / kChunks, r = 1;
  uint64_t t0 = now_ns(), prev = t0;
  for (uint64_t c = 0; c < kChunks; ++c) {
    r = work(c + 1 < kChunks ? per : iters - per * (kChunks - 1), r);
    uint64_t t = now_ns();
    chunk[c] = t - prev;
    prev = t;
  }
  uint64_t total = prev - t0;
  std::sort(chunk.begin(), chunk.end());
  uint64_t steady = chunk[kChunks / 2] * kChunks;
  printf("{\"iters\":%llu,\"ns\":%llu,\"steady_ns\":%llu,\"result\":%llu}\n",
         static_cast<unsigned long long>(iters), static_cast<unsigned long long>(total),
         static_cast<unsigned long long>(steady), static_cast<unsigned long long>(r));
  return 0;
}
