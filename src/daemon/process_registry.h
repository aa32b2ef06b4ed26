// ProcessRegistry: what omxd knows about the migratable processes of its node, told by the
// supervisors themselves (omxd never asks them: its event loop must not wait on a process).
//
//  * Home supervisors (migrate/home.h) report how many of their processes run here now
//    ({"op":"home_procs","here":N}, sent whenever the number changes) and every move they
//    completed ({"op":"migrated",...}). The sum over live supervisors is the gossip record's
//    local_procs; the moves of the last 60 s its migrations_1m.
//  * Guest supervisors (migrate/guest.h) report the body they run once the move committed
//    ({"op":"guest_started",...}); only a guest supervisor omxd forked may (is_guest check).
//
// Ops (added to omxd's control table by add_ops; see also daemon/control_ops.h):
//   {"op":"home_procs","here":N}        -> {"ok":true}  (from a home supervisor: caller pid)
//   {"op":"migrated","pid":P,"from":A,"to":B,"ms":M,"bytes":N,"reason":R}
//                                       -> {"ok":true}  (from a home supervisor; fire and forget)
//   {"op":"migrations"}                 -> {"ok":true,"events":[{"pid","from","to","ms","bytes",
//                                           "reason","uid","age_ms"},...] (oldest first, at most
//                                           kMaxEvents),"last_1m":N,"total":N,
//                                           "by_direction":{"out":N,"home":N,"in":N}}
//   {"op":"guest_started","body":P,"home":N,"home_pid":P,"uid":U,"lock":B}
//                                       -> {"ok":true}  (from a guest supervisor of this omxd)
//   {"op":"procs"}                      -> {"ok":true,"node":SELF,"local_procs":N,"guests":[
//                                           {"pid":BODY,"home":N,"home_pid":P,"uid":U,
//                                            "comm":C,"lock":B,"supervisor":S},...]}
//
// A supervisor whose process is gone is forgotten at the next look (kill(pid, 0)).
// Threading: omxd's event loop only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/control_server.h"

namespace omx::daemon {

struct MigrationEvent {
  std::chrono::steady_clock::time_point at;
  pid_t pid = 0;  // home pid
  uint32_t from = 0, to = 0;
  double ms = 0;
  uint64_t bytes = 0;
  std::string reason;
  uid_t uid = 0;
};

// The recent moves, oldest first, at most kMaxEvents. Pure (time is passed in).
class MigrationRing {
 public:
  static constexpr size_t kMaxEvents = 256;
  void add(MigrationEvent e);
  // Events at or after now - window.
  size_t count_since(std::chrono::steady_clock::time_point now,
                     std::chrono::seconds window = std::chrono::seconds(60)) const;
  uint64_t total() const { return total_; }
  const std::deque<MigrationEvent>& events() const { return events_; }

 private:
  std::deque<MigrationEvent> events_;
  uint64_t total_ = 0;
};

struct GuestBody {
  pid_t body = 0;  // local pid of the body
  uint32_t home = 0;
  pid_t home_pid = 0;
  uid_t uid = 0;
  bool lock = false;
};

class ProcessRegistry {
 public:
  static constexpr size_t kMaxSupervisors = 65536;
  explicit ProcessRegistry(uint32_t self) : self_(self) {}
  // is_guest(pid): pid is a guest supervisor this omxd forked (and still runs).
  void set_guest_check(std::function<bool(pid_t)> f) { is_guest_ = std::move(f); }
  void add_ops(ControlServer& server);

  // Processes homed here that run here (sum of the live home supervisors' reports).
  size_t local_procs();
  size_t migrations_1m() const { return ring_.count_since(std::chrono::steady_clock::now()); }

  nlohmann::json on_home_procs(const nlohmann::json& req, const Caller& c);
  nlohmann::json on_migrated(const nlohmann::json& req, const Caller& c);
  nlohmann::json on_migrations() const;
  nlohmann::json on_guest_started(const nlohmann::json& req, const Caller& c);
  nlohmann::json on_procs();

  // For /mfs magic paths (daemon/mfs_context.h): the node a process homed here runs on now, by
  // the last "migrated" report for it (nullopt: here); and the guest body with local pid `body`.
  std::optional<uint32_t> away_node(pid_t pid);
  std::optional<GuestBody> find_body(pid_t body);

 private:
  void prune();

  uint32_t self_;
  std::function<bool(pid_t)> is_guest_;
  std::map<pid_t, uint32_t> home_here_;  // home supervisor pid -> its processes running here
  std::map<pid_t, GuestBody> guests_;    // guest supervisor pid -> its body
  MigrationRing ring_;
  std::map<pid_t, uint32_t> away_;       // home pid -> node its body runs on (not here)
  // Since omxd started: moves of processes homed here away (to another node) and back home,
  // and guests received (the dashboard's omx_migrations_total{direction}).
  uint64_t moved_out_ = 0, moved_home_ = 0, guests_in_ = 0;
};

}  // namespace omx::daemon
