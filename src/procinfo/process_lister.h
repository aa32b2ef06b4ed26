// list_processes: every process of this node with its omx information (ProcRow), from three
// sources, none of which can hang the listing:
//  * /proc: the ps fields of every process;
//  * the home supervisors of this node: each listens on the abstract unix socket
//    "@omx/sup/<pid>" (migrate/home.h), so /proc/net/unix (this network namespace's) names
//    them all; each is asked {"op":"list"} with a short timeout, and one that does not answer
//    in time (busy moving a process, stopped) is skipped and counted;
//  * omxd's {"op":"procs"} (daemon/process_registry.h): this node's id and the guests it hosts
//    (local body pid, home node, home pid).
// Processes homed here that run elsewhere appear as their deputy (the home pid, where = the
// node the body runs on). Their CPU time is what /proc shows at home (their own there and the
// deputy's) plus what the guests reported for their stays away, cpu_source "home+away"; their
// memory while away is the body's as last reported (about once a second).
//
// Blocking (connects to local sockets); call from a CLI or a worker thread, not an event loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/control_address.h"
#include "procinfo/proc_row.h"

namespace omx::procinfo {

struct ListOptions {
  std::string control_address = daemon::default_control_address();
  std::chrono::milliseconds supervisor_timeout{300};  // per supervisor
  std::chrono::milliseconds omxd_timeout{1000};
  bool omx_only = false;  // only migratable processes (omx ps); else every process (mps)
};

struct ProcessListing {
  bool omxd_up = false;
  std::string omxd_error;       // why omxd's "procs" failed (omxd_up false)
  uint32_t self = 0;            // this node's id (0: unknown: no omxd and no supervisor)
  size_t silent_supervisors = 0;  // supervisors that did not answer in time (skipped)
  std::vector<ProcRow> rows;    // by pid
};

// Supervisor pids named by "@omx/sup/<pid>" in the text of /proc/net/unix (sorted, unique).
std::vector<pid_t> supervisor_pids(std::string_view net_unix);

// Applies one entry of a supervisor's "list" reply, or of omxd's "procs" guests, to a row.
void apply_home_info(ProcRow& r, const nlohmann::json& p);
void apply_guest_info(ProcRow& r, const nlohmann::json& g, uint32_t self);

ProcessListing list_processes(const ListOptions& opts = {});

nlohmann::json to_json(const ProcessListing& l);

}  // namespace omx::procinfo
