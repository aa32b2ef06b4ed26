// mtop's data: one Snapshot per refresh — the system figures top shows (/proc/uptime, loadavg,
// stat, meminfo), every process of this node with its omx fields (the shared listing,
// omx::procinfo::list_processes: /proc plus the home supervisors and omxd), and the cluster
// (omxd's `nodes` control op). Nothing here fails: a part that cannot be read is left empty
// and the screen says so (the cluster line reads "omxd does not answer").
// Frame turns two snapshots into what the screen shows (%CPU between them).
//
// Blocking (reads /proc, connects to local sockets with short timeouts); single-threaded use.
#pragma once

#include <string>
#include <vector>

#include "mtop_summary.h"
#include "mtop_view.h"

namespace omx::procinfo {
struct ProcRow;
}

namespace omx::cli::mtop {

struct Snapshot {
  double mono_s = 0;   // CLOCK_MONOTONIC when taken
  long clk_tck = 100;
  SystemSample sys;
  std::vector<Proc> procs;
  ClusterInfo cluster;
  uint32_t self = 0;   // this node's id (0: unknown)
};

// A shared-listing row as mtop shows it (CPU seconds back to clock ticks).
Proc from_proc_row(const procinfo::ProcRow& r, long clk_tck);

Snapshot take_snapshot();

// What one refresh shows: every process with %CPU since `prev`, and the summary lines.
struct Frame {
  std::vector<Row> rows;  // all processes, unsorted
  std::vector<std::string> summary;
  uint32_t self = 0;
};
Frame make_frame(const Snapshot& prev, const Snapshot& now);

// What the user chose to see (keys and flags).
struct ViewState {
  Field sort = Field::kCpu;
  bool reverse = false;
  Filter filter;
  bool omx_view = false;  // 'o': migratable processes only, with HOME LOCK NMIGS
  int scroll = 0;
  double delay_s = 3.0;
};
std::vector<Column> view_columns(const ViewState& v);
// The rows `v` selects, in its order.
std::vector<Row> view_rows(const std::vector<Row>& all, const ViewState& v);

}  // namespace omx::cli::mtop
