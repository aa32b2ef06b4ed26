// GuestDrain: what omxd's clean shutdown waits for (mosctl shutdown, SIGTERM, SIGINT; MOSIX
// `mosctl shutdown`). start() refuses new guests and asks every guest to leave (the expel path:
// each guest supervisor sends its process home), then checks every 100 ms until none is left
// or the timeout has passed. Each guest still here then is logged, one line each, and left
// running: its supervisor needs no omxd, so the process goes on and its home can still call
// it back (`migrate PID home`). Processes whose home is this node and that run elsewhere are
// not touched: their supervisors at home are not omxd's children.
//
// The daemon library knows nothing of the migration engine: the guests are reached through
// GuestDrainHooks (omxd's main wires them to migrate::GuestAcceptor).
//
// Threading: omxd's event loop.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "daemon/daemon.h"

namespace omx::daemon {

struct GuestDrainHooks {
  std::function<void()> refuse_new;                      // no more guests from now on
  std::function<size_t()> send_away;                     // asks every guest to leave; how many
  std::function<std::vector<std::string>()> remaining;   // one description per guest still here
};

class GuestDrain final : public ShutdownDrain {
 public:
  GuestDrain(asio::io_context& io, GuestDrainHooks hooks, std::chrono::seconds timeout)
      : timer_(io), hooks_(std::move(hooks)), timeout_(timeout) {}
  void start(std::function<void()> done) override;
  void cut_short(const std::string& why) override;

 private:
  using Clock = std::chrono::steady_clock;
  void check();
  void log_left_behind(const std::string& why);

  asio::steady_timer timer_;
  GuestDrainHooks hooks_;
  std::chrono::seconds timeout_;
  std::function<void()> done_;
  Clock::time_point started_{};
  size_t sent_ = 0;
  bool finished_ = false;
};

}  // namespace omx::daemon
