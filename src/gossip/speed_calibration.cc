#include "gossip/speed_calibration.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

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

namespace {

// Most chunks completed within any span of `period` starting at or after index `from`.
uint64_t best_span(const std::vector<std::chrono::steady_clock::time_point>& t, size_t from,
                   std::chrono::nanoseconds period) {
  uint64_t best = 0;
  size_t j = from;
  for (size_t i = from; i < t.size(); ++i) {
    if (t.back() - t[i] < period) break;  // no whole span left
    while (j + 1 < t.size() && t[j + 1] - t[i] <= period) ++j;
    best = std::max<uint64_t>(best, j - i);
  }
  return best;
}

}  // namespace

// Raises the calling thread to nice -20 for its lifetime, when permitted (Linux setpriority
// with PRIO_PROCESS and a thread id acts on that thread only).
class NiceBoost {
 public:
  explicit NiceBoost(bool on) {
    if (!on) return;
    errno = 0;
    int old = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    if (errno == 0 && setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -20) == 0) old_ = old;
  }
  ~NiceBoost() {
    if (old_) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), *old_);
  }
  NiceBoost(const NiceBoost&) = delete;
  NiceBoost& operator=(const NiceBoost&) = delete;

 private:
  std::optional<int> old_;
};

Calibration calibrate_speed(const CalibrationOptions& options) {
  using Clock = std::chrono::steady_clock;
  NiceBoost boost(options.boost_priority);
  uint64_t x = 0x243F6A8885A308D3ull;
  auto warm_end = Clock::now() + options.warmup;
  while (Clock::now() < warm_end) x = work_chunk(x);
  std::vector<Clock::time_point> done;
  done.reserve(65536);
  Calibration c;
  auto start = Clock::now();
  auto end = start + std::max(options.window, options.period);
  Clock::time_point now = start, prev = start;
  // The resumption after the longest pause that still leaves a whole period: under a quota
  // that is a throttling pause (tens of ms), which ends at a period boundary; preemption by
  // other tenants makes shorter pauses.
  std::optional<size_t> resume;
  Clock::duration longest{0};
  do {
    x = work_chunk(x);
    now = Clock::now();
    if (now - prev >= kThrottleGap) {
      ++c.resumptions;
      if (now - prev > longest && end - now >= options.period) {
        longest = now - prev;
        resume = done.size();
      }
    }
    done.push_back(now);
    prev = now;
  } while (now < end);
  g_sink = x;
  done.insert(done.begin(), start);  // span boundaries: the window start counts as a completion
  c.chunks = best_span(done, resume ? *resume + 1 : 0, options.period);
  c.wall = options.period;
  c.chunks_per_second =
      static_cast<double>(c.chunks) / std::chrono::duration<double>(c.wall).count();
  c.speed = speed_from_rate(c.chunks_per_second);
  return c;
}

}  // namespace omx::gossip
