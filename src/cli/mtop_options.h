// mtop's command line, top's flags where they exist, parsed without side effects so unit tests
// can check it:
//   mtop [-b] [-n N] [-d SECS] [-p PID[,PID...]] [-u USER] [-o [+|-]FIELD] [-w COLS] [--json]
//        [--help]
// Short flags combine as top's do (-bn1, -d0.5). -o FIELD sorts by a column name (%CPU, TIME+,
// NODE, ...; "+" high to low as default, "-" low to high). --json prints one snapshot.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "mtop_view.h"

namespace omx::cli::mtop {

struct Options {
  bool batch = false;
  int iterations = 0;     // -n; 0 = until quit (interactive) / forever (batch)
  double delay_s = 3.0;   // -d, as top
  std::vector<pid_t> pids;
  std::string user;
  Field sort = Field::kCpu;
  bool reverse = false;   // -o -FIELD
  int width = 0;          // -w (batch): cut lines to this many columns; 0 = no limit
  bool json = false;
  bool help = false;
};

// args[0] is the command name. Errors are one line, for "mtop: <message>".
Result<Options> parse_options(const std::vector<std::string>& args);
std::string usage_text(const std::string& prog);

}  // namespace omx::cli::mtop
