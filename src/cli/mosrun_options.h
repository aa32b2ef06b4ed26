// mosrun's openMosix command line (reference §1.3), parsed without side effects so unit tests
// can check it:
//   mosrun [-h | -ID | -jLIST [-F]] [-b] [-L | -l] [-c | -i] [-n|-s|-f|-t TT|-d DEC] [--] PROG ARGS...
// Placement: -h stays home; -ID starts on node ID; -jLIST on a random available node of LIST
// (comma-separated ids and a-b ranges); -F: if that node is unavailable, start anywhere
// instead of failing; -b starts on the best node now (omxd's "place"). Lock: -h, -ID and -j
// lock the process (no automatic migration; manual migrate still works) unless -l is given;
// -L locks. Hints: -c CPU-bound, -i I/O-bound (balance::Hint). Decay options (-n -s -f -t -d)
// are accepted for compatibility and have no effect: omx's balancer uses CPU time used, not
// decayed statistics. Unlike openMosix (which locked mosrun processes given no decay option,
// because every other process migrated anyway), a plain `mosrun prog` is balanced
// automatically, as in MOSIX-2/4 where only mosrun processes migrate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace omx::cli {

struct MosrunOptions {
  enum class Where { kAnywhere, kHome, kNode, kList, kBest };
  Where where = Where::kAnywhere;
  uint32_t node = 0;              // -ID
  std::vector<uint32_t> list;     // -jLIST, in the order given, without repeats
  bool fallback_anywhere = false;  // -F
  bool locked = false;
  uint8_t hint = 0;               // balance::Hint: 1 -c, 2 -i
  bool help = false;
  std::string stats_json;         // --stats-json FILE (omx's, as omx run): move counts at exit
  std::vector<std::string> argv;  // the program and its arguments
};

// args[0] is the command name. Errors are one line, for "mosrun: <message>".
Result<MosrunOptions> parse_mosrun(const std::vector<std::string>& args);
// "1-3,7" -> {1,2,3,7}. At most 65536 ids.
Result<std::vector<uint32_t>> parse_node_list(const std::string& text);

extern const char* const kMosrunUsage;

}  // namespace omx::cli
