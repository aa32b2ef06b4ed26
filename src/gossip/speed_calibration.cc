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

using TimePoint = std::chrono::steady_clock::time_point;

// Chunks completed in [from, from + period) (t is sorted).
uint64_t work_in(const std::vector<TimePoint>& t, TimePoint from, std::chrono::nanoseconds period) {
  auto lo = std::lower_bound(t.begin(), t.end(), from);
  auto hi = std::lower_bound(t.begin(), t.end(), from + period);
  return static_cast<uint64_t>(hi - lo);
}

// Most chunks completed within any span of `period` (t[0] is the window start).
uint64_t best_span(const std::vector<TimePoint>& t, std::chrono::nanoseconds period) {
  uint64_t best = 0;
  size_t j = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.back() - t[i] < period) break;  // no whole span left
    while (j + 1 < t.size() && t[j + 1] - t[i] <= period) ++j;
    best = std::max<uint64_t>(best, j - i);
  }
  return best;
}

// Most chunks in a whole period aligned on `anchor` (a period boundary), inside the window.
uint64_t best_aligned(const std::vector<TimePoint>& t, TimePoint anchor,
                      std::chrono::nanoseconds period) {
  while (anchor - period >= t.front()) anchor -= period;
  uint64_t best = 0;
  for (TimePoint a = anchor; a + period <= t.back(); a += period) {
    best = std::max(best, work_in(t, a, period));
  }
  return best;
}

// A period boundary: a resumption after a pause that recurs a whole number of periods later
// (within 1 ms), or else the resumption after the longest pause of at least period / 10.
std::optional<TimePoint> find_boundary(
    const std::vector<std::pair<TimePoint, std::chrono::nanoseconds>>& resumed,
    std::chrono::nanoseconds period) {
  using std::chrono::milliseconds;
  for (size_t i = 0; i < resumed.size(); ++i) {
    for (size_t j = i + 1; j < resumed.size(); ++j) {
      auto off = (resumed[j].first - resumed[i].first) % period;
      if (resumed[j].first - resumed[i].first >= period - milliseconds(1) &&
          (off < milliseconds(1) || off > period - milliseconds(1))) {
        return resumed[i].first;
      }
    }
  }
  std::optional<TimePoint> best;
  std::chrono::nanoseconds longest{0};
  for (const auto& [when, gap] : resumed) {
    if (gap >= period / 10 && gap > longest) {
      longest = gap;
      best = when;
    }
  }
  return best;
}

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

}  // namespace

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
  auto end = start + std::max(options.window, options.period * 2);
  done.push_back(start);  // the window start counts as a completion (span boundary)
  std::vector<std::pair<Clock::time_point, std::chrono::nanoseconds>> resumed;
  Clock::time_point now = start, prev = start;
  do {
    x = work_chunk(x);
    now = Clock::now();
    if (now - prev >= kThrottleGap) resumed.push_back({now, now - prev});
    done.push_back(now);
    prev = now;
  } while (now < end);
  g_sink = x;
  c.resumptions = static_cast<int>(resumed.size());
  std::optional<Clock::time_point> boundary = find_boundary(resumed, options.period);
  c.chunks =
      boundary ? best_aligned(done, *boundary, options.period) : best_span(done, options.period);
  c.wall = options.period;
  c.chunks_per_second =
      static_cast<double>(c.chunks) / std::chrono::duration<double>(c.wall).count();
  c.speed = speed_from_rate(c.chunks_per_second);
  return c;
}

}  // namespace omx::gossip
