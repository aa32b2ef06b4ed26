// Subcommands of `omx`. Each lives in its own cmd_<name>.cc and takes the arguments after the
// subcommand name (args[0] is the program name to print in messages, e.g. "omx migrate" or
// "migrate"). Returns the process exit status. Exit codes (docs/exit-codes.md): 0 ok,
// 1 operation failed, 2 usage error, 3 refused (cantmove, permission), 4 no daemon / node down.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace omx::cli {

using Args = std::vector<std::string>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;
inline constexpr int kExitUnavailable = 4;

// Shared by the commands (cli_util.cc).
// "PROG: MSG" on stderr.
void print_error(const std::string& prog, const std::string& msg);
// Parses args[1..] with app; returns -1 to go on, or the exit status (help printed: 0; bad
// usage, reported in one line: 2).
int parse(CLI::App& app, const Args& args);
// One request to omxd's control socket at `address`. On failure prints one line "PROG: ..."
// and sets rc: 4 when no omxd answers (the message says how to start it), 3 when omxd refused
// for lack of rights ("only root", "only it or root", "permission"), else `refused_rc`.
std::optional<nlohmann::json> ask_omxd(const std::string& prog, const nlohmann::json& req,
                                       const std::string& address, int& rc,
                                       int refused_rc = kExitFailed);

int cmd_cluster(const Args& args);  // cmd_cluster.cc: omx cluster up|exec|down|status
int cmd_control(const Args& args);  // cmd_control.cc: one raw request to omxd's control socket
int cmd_run(const Args& args);      // cmd_run.cc: omx run
int cmd_mosrun(const Args& args);   // cmd_run.cc: openMosix mosrun
int cmd_migrate(const Args& args);  // cmd_migrate.cc: migrate PID NODE|home|balance
int cmd_where(const Args& args);    // cmd_migrate.cc: omx where PID
int cmd_lock(const Args& args);     // cmd_migrate.cc: omx lock|unlock PID
int cmd_showmap(const Args& args);  // cmd_showmap.cc: the node table in openMosix map rows
int cmd_mosctl(const Args& args);   // cmd_mosctl.cc: openMosix mosctl
int cmd_keygen(const Args& args);   // cmd_keygen.cc: a new cluster key file
int cmd_omdiscd(const Args& args);  // cmd_omdiscd.cc: omxd --discovery, openMosix style
int cmd_setpe(const Args& args);    // cmd_setpe.cc: setpe -w|-c|-r|-off|-p (the cluster map)
int cmd_ps(const Args& args);       // cmd_ps.cc: omx ps (migratable processes of this node)
int cmd_mps(const Args& args);      // cmd_ps.cc: openMosix mps (BSD ps with a NODE column)
int cmd_mtop(const Args& args);     // cmd_mtop.cc: openMosix mtop (top with a NODE column)
int cmd_mosmon(const Args& args);   // cmd_mosmon.cc: openMosix mosmon, the bar-chart monitor
int cmd_status(const Args& args);   // cmd_status.cc: omx status, a one-screen cluster summary
int cmd_mfs(const Args& args);      // cmd_mfs.cc: omx mfs serve|mount|umount|status (/mfs)
int cmd_select(const Args& args);   // cmd_mfs.cc: omx select NODE [PID] (/mfs/selected)
int cmd_dashboard(const Args& args);  // cmd_dashboard.cc: omx dashboard serve|url (web dashboard)
int cmd_on(const Args& args);       // cmd_on.cc: omx on NODE [--user U] -- COMMAND (via omxd there)

}  // namespace omx::cli
