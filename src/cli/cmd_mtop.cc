// omx mtop / mtop (openMosix mtop, reference §1.6): top with a NODE column. Full-screen
// (mtop_tui.cc) on a terminal; -b prints frames as plain text, --json one snapshot. The first
// frame's %CPU is measured over a short priming interval, as top does.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "mtop_options.h"
#include "mtop_source.h"
#include "mtop_tui.h"

namespace omx::cli {
namespace {

using namespace mtop;

void sleep_s(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

// Two snapshots a short while apart, so the first frame has a %CPU.
Snapshot prime(double delay_s, Snapshot& first) {
  first = take_snapshot();
  sleep_s(std::clamp(delay_s, 0.1, 0.5));
  return take_snapshot();
}

ViewState initial_view(const Options& o) {
  ViewState v;
  v.sort = o.sort;
  v.reverse = o.reverse;
  v.filter.user = o.user;
  v.filter.pids = o.pids;
  v.delay_s = o.delay_s;
  return v;
}

void print_frame(const Frame& f, const ViewState& v, int width) {
  for (const auto& l : f.summary) std::printf("%s\n", l.substr(0, width > 0 ? width : l.size()).c_str());
  std::printf("\n");
  auto cols = view_columns(v);
  std::printf("%s\n", format_header(cols, width).c_str());
  for (const auto& r : view_rows(f.rows, v)) std::printf("%s\n", format_row(r, cols, width).c_str());
  std::printf("\n");
  std::fflush(stdout);
}

int run_batch(const Options& o) {
  ViewState v = initial_view(o);
  Snapshot prev;
  Snapshot now = prime(o.delay_s, prev);
  for (int i = 0;; ++i) {
    print_frame(make_frame(prev, now), v, o.width);
    if (o.iterations && i + 1 >= o.iterations) return kExitOk;
    sleep_s(o.delay_s);
    prev = std::move(now);
    now = take_snapshot();
  }
}

nlohmann::json row_json(const Row& r) {
  const Proc& p = r.p;
  return {{"pid", p.pid},         {"user", p.user},         {"uid", p.uid},
          {"pr", p.priority},     {"ni", p.nice},           {"virt_kib", p.virt_kib},
          {"res_kib", p.res_kib}, {"state", std::string(1, p.state)},
          {"cpu", r.cpu},         {"mem", r.mem},
          {"time_s", static_cast<double>(p.cpu_ticks) / static_cast<double>(r.clk_tck)},
          {"node", p.node},       {"command", p.command},   {"migratable", p.migratable},
          {"home", p.home},       {"lock", p.lock},         {"nmigs", p.nmigs}};
}

nlohmann::json cluster_json(const ClusterInfo& c) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : c.nodes) {
    nlohmann::json j{{"id", n.id}, {"up", n.up}, {"ncpus", n.ncpus}, {"mem_total", n.mem_total},
                     {"mem_free", n.mem_free}};
    if (n.load) j["load"] = *n.load;
    nodes.push_back(std::move(j));
  }
  return {{"omxd", c.answered}, {"nodes", nodes}};
}

int run_json(const Options& o) {
  ViewState v = initial_view(o);
  Snapshot prev;
  Snapshot now = prime(o.delay_s, prev);
  Frame f = make_frame(prev, now);
  TaskCounts t = count_tasks(now.procs);
  const MemInfo& m = now.sys.mem;
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& r : view_rows(f.rows, v)) procs.push_back(row_json(r));
  nlohmann::json out{
      {"node", now.self},
      {"time", now.sys.now},
      {"uptime_s", now.sys.uptime_s},
      {"load", {now.sys.load[0], now.sys.load[1], now.sys.load[2]}},
      {"tasks", {{"total", t.total}, {"running", t.running}, {"sleeping", t.sleeping},
                 {"stopped", t.stopped}, {"zombie", t.zombie}}},
      {"mem_kib", {{"total", m.total}, {"free", m.free}, {"available", m.available},
                   {"buff_cache", m.buff_cache}, {"swap_total", m.swap_total},
                   {"swap_free", m.swap_free}}},
      {"cluster", cluster_json(now.cluster)},
      {"sort", field_name(v.sort)},
      {"procs", procs}};
  std::printf("%s\n", out.dump().c_str());
  return kExitOk;
}

}  // namespace

int cmd_mtop(const Args& args) {
  const std::string& me = args[0];
  auto parsed = parse_options(args);
  if (!parsed.ok()) {
    print_error(me, parsed.error().what);
    return kExitUsage;
  }
  const Options& o = *parsed;
  if (o.help) {
    std::fputs(usage_text(me).c_str(), stdout);
    return kExitOk;
  }
  if (o.json) return run_json(o);
  if (o.batch) return run_batch(o);
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    print_error(me, "not a terminal (use -b for batch mode, or --json)");
    return kExitFailed;
  }
  ViewState v = initial_view(o);
  return run_tui(me, v, o.iterations);
}

}  // namespace omx::cli
