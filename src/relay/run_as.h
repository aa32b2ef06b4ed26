// run_as: runs one whitelisted command as a given user and collects its output, so that a root
// process acting for a user (the web dashboard, omxd serving `omx on`) gets exactly the rights
// the CLI gives that user: the command itself (omx mosctl, kill, renice, ...) decides, with the
// user's credentials, what is allowed. Nothing here judges rights; it only makes sure the command
// runs as nobody but that user and that only the commands below can run at all.
//
// The whitelist (argv[0] must be one of these bare names; anything else is an error Result and
// is never executed):
//   omx      the omx binary (omx_binary() below), argv[1] one of kOmxSubcommands
//   kill     /bin/kill or /usr/bin/kill
//   renice   /usr/bin/renice (or /bin/renice)
// Arguments must not contain NUL bytes (exec would cut them silently).
//
// The child: its own process group, stdin /dev/null, stdout/stderr pipes, every other fd
// closed, signals reset to default and unblocked, cwd /, umask 022, a fresh environment (PATH,
// HOME, USER, LOGNAME, plus OMX_CONTROL and OMX_LOG when the caller has them: they say which
// omxd to talk to), groups = the user's groups from the passwd/group databases (initgroups) or
// just `gid` when the uid has no passwd entry, then setresgid and setresuid, and the drop is
// verified (getres[ug]id, and setuid(0) must fail for a non-root uid) before exec. Everything
// the child does between fork and exec is async-signal-safe (the user/group lookups and the
// argv/environment arrays are prepared before fork), so run_as may be called from any thread of
// a multi-threaded process.
//
// Bounds: stdout and stderr are each kept up to max_output bytes; the rest is read and dropped
// (out_truncated/err_truncated say so). At the timeout the whole process group gets SIGKILL and
// timed_out is set; run_as returns at most about the timeout plus a short grace after it was
// called, also when a program left a background process holding its output pipes (reading then
// stops). A program that leaves its process group (setsid) escapes the kill, not the bound.
//
// Requirements on the caller: SIGCHLD must not be ignored (SIG_IGN would reap the child before
// its status could be read: run_as refuses), and nothing else may reap the child (waitpid(-1)).
//
// Threading: run_as and resolve_command are thread-safe; set_omx_binary is meant for start-up.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace omx::relay {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct RunResult {
  int exit_code = 0;  // the exit status, or -signal when the program was killed by a signal
  std::string out, err;
  bool timed_out = false;  // killed at the timeout (exit_code is then -SIGKILL)
  bool out_truncated = false;  // more than max_output bytes were written; the rest was dropped
  bool err_truncated = false;
};

inline constexpr size_t kDefaultMaxOutput = 1 << 20;  // 1 MiB per stream

// The omx subcommands run_as accepts (read-only views and the actions a user may take on their
// own processes; each checks the caller's rights itself).
inline constexpr std::array<std::string_view, 9> kOmxSubcommands = {
    "migrate", "where", "lock", "unlock", "ps", "mps", "mosctl", "status", "showmap"};

// Checks argv against the whitelist; returns the absolute path to exec (kRefused for a command
// or omx subcommand not on it, kInvalid for an empty argv or a NUL byte, kSys/ENOENT when the
// program is not installed).
Result<std::string> resolve_command(const std::vector<std::string>& argv);

// The omx binary: the one set_omx_binary() named, else `omx` beside /proc/self/exe, in
// ../bin from it (omxd in /usr/sbin, omx in /usr/bin), /usr/bin/omx, /usr/local/bin/omx.
Result<std::string> omx_binary();
// Use this omx binary from now on (an absolute path; empty: back to the search above).
void set_omx_binary(std::string path);

// Runs argv (whitelisted) as `as`, waits at most `timeout`. An error Result means the command
// was not run (refused, or fork/pipe/credential setup failed, or exec failed); once it ran,
// its outcome, whatever it is, is in RunResult.
Result<RunResult> run_as(const RunAs& as, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout,
                         size_t max_output = kDefaultMaxOutput);

}  // namespace omx::relay
