#include "gossip/speed_calibration.h"

#include <algorithm>
#include <cmath>

#include "gossip/load_record.h"

namespace omx::gossip {
namespace {

constexpr int kChunkIterations = 4096;  // ~ a few microseconds per chunk

// One chunk of dependent integer work. noinline + the volatile sink keep the compiler from
// folding or hoisting it; the dependency chain keeps it from vectorising.
[[gnu::noinline]] uint64_t work_chunk(uint64_t x) {
  for (int i = 0; i < kChunkIterations; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
  }
  return x;
}

volatile uint64_t g_sink;

}  // namespace

uint32_t speed_from_rate(double chunks_per_second) {
  double s = std::round(kStdSpeed * chunks_per_second / kReferenceChunksPerSecond);
  return static_cast<uint32_t>(std::clamp(s, 1.0, 4294967295.0));
}

Calibration calibrate_speed(const CalibrationOptions& options) {
  using Clock = std::chrono::steady_clock;
  uint64_t x = 0x243F6A8885A308D3ull;
  auto warm_end = Clock::now() + options.warmup;
  while (Clock::now() < warm_end) x = work_chunk(x);
  Calibration c;
  auto start = Clock::now();
  auto end = start + options.window;
  Clock::time_point now;
  do {
    x = work_chunk(x);
    ++c.chunks;
    now = Clock::now();
  } while (now < end);
  g_sink = x;
  c.wall = now - start;
  c.chunks_per_second = static_cast<double>(c.chunks) / std::chrono::duration<double>(c.wall).count();
  c.speed = speed_from_rate(c.chunks_per_second);
  return c;
}

}  // namespace omx::gossip
