#include "daemon/guest_drain.h"

#include <fmt/format.h>

#include "base/log.h"

namespace omx::daemon {
namespace {

constexpr auto kCheckEvery = std::chrono::milliseconds(100);

std::shared_ptr<spdlog::logger> logger() { return log::get("omxd"); }

}  // namespace

void GuestDrain::start(std::function<void()> done) {
  done_ = std::move(done);
  started_ = Clock::now();
  hooks_.refuse_new();
  sent_ = hooks_.send_away();
  if (sent_ == 0)
    logger()->info("no guests here; new ones are refused");
  else
    logger()->info("sending {} guest{} away (home); new ones are refused; waiting at most {} s",
                   sent_, sent_ == 1 ? "" : "s", timeout_.count());
  check();
}

void GuestDrain::check() {
  if (finished_) return;
  std::vector<std::string> left = hooks_.remaining();
  double secs = std::chrono::duration<double>(Clock::now() - started_).count();
  bool timed_out = Clock::now() - started_ >= timeout_;
  if (left.empty() || timed_out) {
    finished_ = true;
    if (left.empty() && sent_ > 0)
      logger()->info("all guests left in {:.1f} s", secs);
    else if (!left.empty())
      log_left_behind(fmt::format("did not leave within {} s", timeout_.count()));
    done_();
    return;
  }
  timer_.expires_after(kCheckEvery);
  timer_.async_wait([this](asio::error_code ec) {
    if (!ec) check();
  });
}

void GuestDrain::cut_short(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  log_left_behind(fmt::format("still here at the second signal ({})", why));
}

void GuestDrain::log_left_behind(const std::string& why) {
  for (const std::string& g : hooks_.remaining())
    logger()->warn("guest {} {}: left running without omxd (it goes on here and its home can "
                   "still call it back: migrate PID home)", g, why);
}

}  // namespace omx::daemon
