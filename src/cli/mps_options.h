// mps command line (openMosix mps: BSD-style ps with a NODE column; reference §1.6):
//   mps [-][acdhlnruwx] [--ominfo] [--sort [+|-]KEY[,...]] [--json] [PID...] | --help | --version
// BSD letters may come in any number of words, with or without a leading '-' ("aux", "-a x").
// A letter mps does not support is a usage error naming it (never silently ignored).
//
// Pure; thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace omx::cli {

struct SortKey {
  std::string key;
  bool descending = false;
};

struct MpsOptions {
  bool all_users = false;     // a: every user's processes (with a terminal unless x)
  bool no_tty = false;        // x: processes without a terminal too
  bool user_format = false;   // u: USER PID %CPU %MEM VSZ RSS TTY NODE STAT START TIME COMMAND
  bool long_format = false;   // l: UID PID PPID PRI NI VSZ RSS STAT TTY NODE TIME COMMAND
  bool wide = false;          // w: never cut lines to the terminal's width
  bool no_header = false;     // h
  bool running = false;       // r: running processes only (state R)
  bool numeric = false;       // n: USER as a number
  bool command_name = false;  // c: COMMAND is the executable name, not the arguments
  bool ominfo = false;        // --ominfo: HOME LOCK NMIGS CANTMOVE before COMMAND
  bool json = false;
  bool help = false, version = false;
  std::vector<pid_t> pids;    // only these (filters a/x do not apply; r does)
  std::vector<SortKey> sort;  // empty: by pid
};

// The letters mps accepts, for messages and --help.
inline constexpr std::string_view kMpsLetters = "achlnruwx";
// The keys --sort accepts.
const std::vector<std::string>& mps_sort_keys();

// `args` excludes the program name. Errors (kInvalid) are one line, e.g. "option 'j' is not
// supported (mps takes a c h l n r u w x; see mps --help)".
Result<MpsOptions> parse_mps_args(const std::vector<std::string>& args);
Result<std::vector<SortKey>> parse_sort_keys(std::string_view spec);

std::string mps_usage(const std::string& prog);

}  // namespace omx::cli
