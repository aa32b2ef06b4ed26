// Text for `omx history` (openMosixanalyzer / openMosixhistory without a browser): the TIME
// arguments it accepts, the load table of a LoadHistory object and the process table of a
// Processes object (both as docs/api/openapi.yaml describes them).
//
// Pure functions; thread-safe. Times are shown in local time, like date(1).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace omx::cli {

// A moment in ms since the epoch: "now"; epoch milliseconds ("1795000000000"); relative to now
// ("-10m", "-2h", "-30s", "-1d", "-500ms"); ISO 8601 local time "2026-11-21T22:00:00" (or with a
// space, without seconds, or with a trailing "Z" for UTC). kInvalid with a one-line reason.
Result<int64_t> parse_time_arg(const std::string& text, int64_t now_ms);

// "2026-11-21 22:00:00" (local time; with ".123" when ms is not a whole second).
std::string format_time_ms(int64_t t_ms);

// One row per bucket: TIME, then load and memory (% used) of the cluster and of each node;
// "down" where a node was down throughout the bucket, "-" where nothing was recorded. Marks
// follow the table.
std::string render_load_table(const nlohmann::json& load_history);

// NODE PID HOME HPID WHERE USER LOCK NMIGS CANTMOVE CPU MEM COMMAND, like `omx ps`, one row per
// process of a Processes object; then the nodes that did not answer. Cut at `width` (> 0).
std::string render_process_table(const nlohmann::json& processes, size_t width = 0);

}  // namespace omx::cli
