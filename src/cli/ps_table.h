// Tables of processes for `omx ps` and `mps`: which rows (select_row), in which order
// (sort_rows), which columns (omx_ps_columns, mps_columns) and the text (render_table). The
// last column (COMMAND) is left-aligned and not padded; cut at `width` when width > 0.
//
// Pure; thread-safe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "mps_options.h"
#include "procinfo/proc_row.h"

namespace omx::cli {

struct Column {
  std::string header;
  bool left = false;  // left-aligned (else right)
  std::function<std::string(const procinfo::ProcRow&)> value;
};

// PID HOME HPID WHERE LOCK NMIGS CANTMOVE CPU MEM COMMAND
std::vector<Column> omx_ps_columns();
// See MpsOptions; mem_total_kib for %MEM (0: shown as 0.0).
std::vector<Column> mps_columns(const MpsOptions& o, uint64_t mem_total_kib = 0);

// mps selection: PIDs if given, else by a/x against the caller's euid `me`; r keeps state R.
bool select_row(const procinfo::ProcRow& r, const MpsOptions& o, uid_t me);
// Stable sort by the keys in order (empty: by pid).
void sort_rows(std::vector<procinfo::ProcRow>& rows, const std::vector<SortKey>& keys);

std::string render_table(const std::vector<Column>& cols, const std::vector<procinfo::ProcRow>& rows,
                         bool header, size_t width = 0);

// "12K", "3.4M", "1.2G" (KiB in).
std::string human_kib(uint64_t kib);
// START column: "HH:MM" when it started within the last 24 h of `now`, else "Mon DD".
std::string format_start(int64_t start, int64_t now);

}  // namespace omx::cli
