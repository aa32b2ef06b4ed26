#include "daemon/process_registry.h"

#include <signal.h>

#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

std::string read_comm(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/comm", pid));
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

void MigrationRing::add(MigrationEvent e) {
  events_.push_back(std::move(e));
  ++total_;
  while (events_.size() > kMaxEvents) events_.pop_front();
}

size_t MigrationRing::count_since(Clock::time_point now, std::chrono::seconds window) const {
  size_t n = 0;
  for (auto it = events_.rbegin(); it != events_.rend() && it->at >= now - window; ++it) ++n;
  return n;
}

void ProcessRegistry::add_ops(ControlServer& server) {
  server.add_op("home_procs", [this](const ControlRequest& r) { return on_home_procs(r.body, r.caller); });
  server.add_op("migrated", [this](const ControlRequest& r) { return on_migrated(r.body, r.caller); });
  server.add_op("migrations", [this](const ControlRequest&) { return on_migrations(); });
  server.add_op("guest_started",
                [this](const ControlRequest& r) { return on_guest_started(r.body, r.caller); });
  server.add_op("procs", [this](const ControlRequest&) { return on_procs(); });
}

void ProcessRegistry::prune() {
  std::erase_if(home_here_, [](const auto& e) { return !alive(e.first); });
  std::erase_if(guests_, [this](const auto& e) {
    return !alive(e.first) || (is_guest_ && !is_guest_(e.first));
  });
}

size_t ProcessRegistry::local_procs() {
  prune();
  size_t n = 0;
  for (const auto& [pid, here] : home_here_) n += here;
  return n;
}

json ProcessRegistry::on_home_procs(const json& req, const Caller& c) {
  uint32_t here = req.at("here").get<uint32_t>();
  if (c.pid <= 0) return error_reply("home_procs: caller unknown");
  if (here == 0) {
    home_here_.erase(c.pid);
  } else {
    if (home_here_.size() >= kMaxSupervisors && !home_here_.count(c.pid)) prune();
    if (home_here_.size() >= kMaxSupervisors) return error_reply("home_procs: too many supervisors");
    home_here_[c.pid] = here;
  }
  return ok_reply();
}

json ProcessRegistry::on_migrated(const json& req, const Caller& c) {
  MigrationEvent e;
  e.at = Clock::now();
  e.pid = req.at("pid").get<pid_t>();
  e.from = req.at("from").get<uint32_t>();
  e.to = req.at("to").get<uint32_t>();
  e.ms = req.value("ms", 0.0);
  e.bytes = req.value("bytes", uint64_t{0});
  e.reason = req.value("reason", "");
  if (e.reason.size() > 200) e.reason.resize(200);
  e.uid = c.uid;
  ++(e.to == self_ ? moved_home_ : moved_out_);
  if (e.to == self_) {
    away_.erase(e.pid);
  } else if (away_.size() < kMaxSupervisors || away_.count(e.pid)) {
    away_[e.pid] = e.to;
  }
  ring_.add(std::move(e));
  return ok_reply();
}

json ProcessRegistry::on_migrations() const {
  auto now = Clock::now();
  json events = json::array();
  for (const MigrationEvent& e : ring_.events()) {
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.at).count();
    events.push_back({{"pid", e.pid}, {"from", e.from}, {"to", e.to}, {"ms", e.ms},
                      {"bytes", e.bytes}, {"reason", e.reason}, {"uid", e.uid}, {"age_ms", age}});
  }
  return ok_reply({{"events", events}, {"last_1m", ring_.count_since(now)}, {"total", ring_.total()},
                   {"by_direction", {{"out", moved_out_}, {"home", moved_home_}, {"in", guests_in_}}}});
}

json ProcessRegistry::on_guest_started(const json& req, const Caller& c) {
  if (!is_guest_ || !is_guest_(c.pid))
    return error_reply(fmt::format("guest_started: pid {} is not a guest supervisor of this node", c.pid));
  GuestBody g;
  g.body = req.at("body").get<pid_t>();
  g.home = req.at("home").get<uint32_t>();
  g.home_pid = req.at("home_pid").get<pid_t>();
  g.uid = req.at("uid").get<uid_t>();
  g.lock = req.value("lock", false);
  guests_[c.pid] = g;
  ++guests_in_;
  return ok_reply();
}

json ProcessRegistry::on_procs() {
  prune();
  json guests = json::array();
  for (const auto& [sup, g] : guests_) {
    if (!alive(g.body)) continue;
    guests.push_back({{"pid", g.body}, {"home", g.home}, {"home_pid", g.home_pid}, {"uid", g.uid},
                      {"comm", read_comm(g.body)}, {"lock", g.lock}, {"supervisor", sup}});
  }
  size_t here = 0;
  for (const auto& [pid, n] : home_here_) here += n;
  return ok_reply({{"node", self_}, {"local_procs", here}, {"guests", guests}});
}

std::optional<uint32_t> ProcessRegistry::away_node(pid_t pid) {
  std::erase_if(away_, [](const auto& e) { return !alive(e.first); });
  auto it = away_.find(pid);
  if (it == away_.end()) return std::nullopt;
  return it->second;
}

std::optional<GuestBody> ProcessRegistry::find_body(pid_t body) {
  prune();
  for (const auto& [sup, g] : guests_)
    if (g.body == body) return g;
  return std::nullopt;
}

}  // namespace omx::daemon
