#include "mtop_source.h"

#include <time.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "daemon/control_client.h"
#include "procinfo/process_lister.h"

namespace omx::cli::mtop {
namespace {

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double monotonic_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

SystemSample read_system() {
  SystemSample s;
  s.now = std::time(nullptr);
  std::string up = slurp("/proc/uptime");
  s.uptime_s = up.empty() ? 0 : std::strtod(up.c_str(), nullptr);
  parse_loadavg(slurp("/proc/loadavg"), s.load);
  if (auto cpu = parse_proc_stat(slurp("/proc/stat"))) s.cpu = *cpu;
  s.mem = parse_meminfo(slurp("/proc/meminfo"));
  return s;
}

ClusterInfo read_cluster() {
  auto r = daemon::control_request({{"op", "nodes"}}, daemon::default_control_address(),
                                   std::chrono::milliseconds(1000));
  return r.ok() ? parse_nodes_reply(*r) : ClusterInfo{};
}

}  // namespace

Proc from_proc_row(const procinfo::ProcRow& r, long clk_tck) {
  Proc p;
  p.pid = r.pid;
  p.uid = r.uid;
  p.user = r.user;
  p.priority = r.priority;
  p.nice = r.nice;
  p.virt_kib = r.vsz_kib;
  p.res_kib = r.rss_kib;
  p.state = r.state;
  p.cpu_ticks = static_cast<uint64_t>(std::llround(r.cpu_s * static_cast<double>(clk_tck)));
  p.command = r.comm;
  p.node = r.where;
  p.migratable = r.migratable;
  p.home = r.home;
  p.lock = r.lock;
  p.nmigs = static_cast<uint32_t>(r.nmigs);
  return p;
}

Snapshot take_snapshot() {
  Snapshot s;
  long tck = sysconf(_SC_CLK_TCK);
  s.clk_tck = tck > 0 ? tck : 100;
  s.sys = read_system();
  procinfo::ProcessListing l = procinfo::list_processes();
  s.self = l.self;
  s.procs.reserve(l.rows.size());
  for (const auto& r : l.rows) s.procs.push_back(from_proc_row(r, s.clk_tck));
  s.cluster = read_cluster();
  if (!s.self) s.self = s.cluster.self;
  s.mono_s = monotonic_s();
  return s;
}

Frame make_frame(const Snapshot& prev, const Snapshot& now) {
  Frame f;
  double elapsed = prev.mono_s > 0 ? now.mono_s - prev.mono_s : 0;
  f.rows = make_rows(now.procs, tick_map(prev.procs), elapsed, now.clk_tck, now.sys.mem.total);
  ClusterInfo c = now.cluster;
  if (!c.self) c.self = now.self;
  f.summary = summary_lines(now.sys, prev.mono_s > 0 ? &prev.sys : nullptr, count_tasks(now.procs), c);
  f.self = now.self;
  return f;
}

std::vector<Column> view_columns(const ViewState& v) { return columns(v.omx_view); }

std::vector<Row> view_rows(const std::vector<Row>& all, const ViewState& v) {
  Filter f = v.filter;
  f.omx_only = f.omx_only || v.omx_view;
  std::vector<Row> rows = filtered(all, f);
  sort_rows(rows, v.sort, v.reverse);
  return rows;
}

}  // namespace omx::cli::mtop
