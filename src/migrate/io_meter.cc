#include "migrate/io_meter.h"

#include <algorithm>
#include <cmath>

namespace omx::migrate {

void IoMeter::advance(Clock::time_point to) {
  if (to <= last_) return;
  double k = std::exp(-Duration(to - last_).count() / tau_);
  wait_ *= k;
  calls_ *= k;
  bytes_ *= k;
  local_ *= k;
  last_ = to;
}

void IoMeter::on_forward(Clock::time_point end, Duration waited, uint64_t out_bytes, uint64_t in_bytes) {
  advance(end);
  // The call may have ended before the last event (clock read earlier): count it at last_.
  double d = std::clamp(waited.count(), 0.0, Duration(last_ - start_).count());
  wait_ += tau_ * (1 - std::exp(-d / tau_));  // the interval [end - d, end] under the decay
  calls_ += 1;
  bytes_ += static_cast<double>(out_bytes + in_bytes);
}

void IoMeter::on_local(Clock::time_point when) {
  advance(when);
  local_ += 1;
}

IoMeter::Snapshot IoMeter::window(Clock::time_point now) const {
  if (now < last_) now = last_;
  double k = std::exp(-Duration(now - last_).count() / tau_);
  // The decayed length of [start, now]: the integral of exp(-(now - s) / tau).
  double span = tau_ * (1 - std::exp(-Duration(now - start_).count() / tau_));
  Snapshot s;
  if (span <= 0) return s;
  s.wait = std::clamp(wait_ * k / span, 0.0, 1.0);
  s.calls_per_s = calls_ * k / span;
  s.bytes_per_s = bytes_ * k / span;
  s.local_per_s = local_ * k / span;
  return s;
}

double remembered_wait(double wait, double seconds_home, double half_life_s) {
  if (seconds_home <= 0) return wait;
  return wait * std::exp2(-seconds_home / half_life_s);
}

}  // namespace omx::migrate
