// IoMeter: how much a body away from home waits for home (design mfs-dfsa §4; reference §4.6).
// The guest supervisor records each forwarded call (the time between sending the request and its
// reply, and the bytes both ways); the meter keeps exponentially decayed sums over about the
// last `tau` seconds (default 2 s) and gives:
//   * wait  — the fraction of wall time spent waiting for home, 0..1. A call that waited d
//     seconds and ended at t counts as the interval [t - d, t], integrated under the decay, so a
//     long blocking call counts as what it is (waiting) and never above 1;
//   * calls_per_s, bytes_per_s — forwarded calls and their bytes (out + in) per second;
//   * local_per_s — calls served on this node instead (DFSA), for the statistics.
// Each is a decayed sum over the decayed elapsed time since the meter started, so the first
// seconds are not diluted by time before the start.
//
// Pure: the caller passes the time (steady clock); tests use a fake one. Not thread-safe (the
// guest supervisor is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>

namespace omx::migrate {

class IoMeter {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::duration<double>;

  struct Snapshot {
    double wait = 0;  // fraction of wall time waiting for home, 0..1
    double calls_per_s = 0;
    double bytes_per_s = 0;
    double local_per_s = 0;
  };

  explicit IoMeter(Clock::time_point start, Duration tau = std::chrono::seconds(2))
      : tau_(tau.count()), start_(start), last_(start) {}

  // A forwarded call ended at `end` after waiting `waited` for home's reply.
  void on_forward(Clock::time_point end, Duration waited, uint64_t out_bytes, uint64_t in_bytes);
  // A call served on this node that would otherwise have gone home (DFSA).
  void on_local(Clock::time_point when);
  // The decayed figures as of `now` (not before the last recorded event).
  Snapshot window(Clock::time_point now) const;

 private:
  void advance(Clock::time_point to);  // decays the sums to `to`

  double tau_;
  Clock::time_point start_, last_;
  double wait_ = 0, calls_ = 0, bytes_ = 0, local_ = 0;  // decayed as of last_
};

// What home keeps of a process's last measured wait once it is back: the value decays with a
// half-life of `half_life_s` seconds spent at home, so a process that came home for its I/O is
// not sent straight out again, yet one whose I/O phase ended may leave again later.
double remembered_wait(double wait, double seconds_home, double half_life_s = 60.0);

}  // namespace omx::migrate
