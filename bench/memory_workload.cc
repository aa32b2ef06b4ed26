// omx_bench_memory MB: a process whose resident set is MB MiB of touched, non-zero,
// incompressible-looking memory (one xorshift64* word per 8 bytes), for migration timing.
//
// Fills the memory, prints "ready <pid>", then sleeps until SIGUSR1 (go_signal.h). The script
// migrates it back and forth meanwhile; on SIGUSR1 the process checks every word against the
// same sequence and prints one JSON line {"mb":MB,"ok":true|false}. Exit 0 only if all words
// survived every move.
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "go_signal.h"

namespace {

struct XorShift64Star {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MB\n", argv[0]);
    return 2;
  }
  size_t mb = strtoul(argv[1], nullptr, 10);
  size_t words = (mb << 20) / sizeof(uint64_t);
  void* p = mmap(nullptr, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("omx_bench_memory: mmap");
    return 2;
  }
  auto* a = static_cast<uint64_t*>(p);
  XorShift64Star g{kSeed};
  for (size_t i = 0; i < words; ++i) a[i] = g.next() | 1;  // never a zero page
  omx::bench::arm_go_signal();
  omx::bench::say_ready();
  omx::bench::wait_for_go();
  XorShift64Star v{kSeed};
  bool ok = true;
  for (size_t i = 0; i < words && ok; ++i) ok = a[i] == (v.next() | 1);
  printf("{\"mb\":%zu,\"ok\":%s}\n", mb, ok ? "true" : "false");
  return ok ? 0 : 1;
}
