#include "gossip/load_meter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gossip/load_record.h"

namespace omx::gossip {

uint64_t next_mean_load(uint64_t old_scaled, uint64_t new_scaled) {
  if (new_scaled > old_scaled) return (5 * old_scaled + 3 * new_scaled) / 8;
  return new_scaled;
}

uint64_t next_upper_load(uint64_t old_load, uint64_t new_load) {
  if (new_load >= old_load) return new_load;
  return (7 * old_load + new_load) / 8;
}

uint64_t next_process_load(uint64_t old_load, uint64_t new_load) {
  return (5 * old_load + 3 * new_load) / 8;
}

uint64_t next_cpu_use(uint64_t old_use, uint64_t new_use) {
  return (3 * old_use + new_use + 3) / 4;
}

uint32_t normalized_load(uint64_t load, uint32_t speed, double effective_cpus) {
  double capacity =
      static_cast<double>(std::max<uint32_t>(speed, 1)) * std::max(1.0, effective_cpus);
  double v = std::round(static_cast<double>(load) * kStdSpeed / capacity);
  if (v >= static_cast<double>(std::numeric_limits<uint32_t>::max())) {
    return std::numeric_limits<uint32_t>::max();
  }
  return static_cast<uint32_t>(v);
}

bool LoadMeter::sample(uint32_t nr_running) {
  accum_ += nr_running;
  ++samples_;
  if (samples_ < samples_per_period_) return false;
  return finish_period();
}

bool LoadMeter::finish_period() {
  if (samples_ == 0) return false;
  period_load_ = accum_ * kLoadPerProcess / samples_;
  mean_scaled_ = next_mean_load(mean_scaled_, period_load_ * kMeanLoadScale);
  upper_ = next_upper_load(upper_, period_load_);
  accum_ = 0;
  samples_ = 0;
  ++periods_;
  return true;
}

}  // namespace omx::gossip
