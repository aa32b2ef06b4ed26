// omx ps: the migratable processes of this node (homed here, or guests running here) with
// their omx columns; and mps (openMosix): BSD-style ps with a NODE column (mps_options.h).
// Both read the listing of procinfo/process_lister.h.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "cluster/file_util.h"
#include "mps_options.h"
#include "mtop_summary.h"
#include "procinfo/process_lister.h"
#include "ps_table.h"

namespace omx::cli {
namespace {

// The width to cut lines at: the terminal's when stdout is one (else $COLUMNS), 0 = no cut.
size_t output_width() {
  if (!::isatty(STDOUT_FILENO)) return 0;
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  const char* c = std::getenv("COLUMNS");
  return c && std::atoi(c) > 0 ? static_cast<size_t>(std::atoi(c)) : 80;
}

uint64_t mem_total_kib() {
  auto text = cluster::read_text_file("/proc/meminfo", 1 << 16);
  return text.ok() ? mtop::parse_meminfo(*text).total : 0;
}

void warn_silent(const std::string& me, const procinfo::ProcessListing& l) {
  if (l.silent_supervisors)
    std::fprintf(stderr, "%s: %zu supervisor(s) did not answer in time (busy moving a process?); "
                 "their processes are shown without omx columns\n", me.c_str(), l.silent_supervisors);
}

}  // namespace

int cmd_ps(const Args& args) {
  const std::string& me = args[0];
  bool as_json = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--json") {
      as_json = true;
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::printf("usage: %s [--json]\nThe migratable processes of this node: started here (mosrun, "
                  "omx run), wherever they run now, and guests running here for other nodes.\n"
                  "  PID       pid on this node (a guest's local pid; a process away: its deputy)\n"
                  "  HOME      home node; HPID its pid there\n"
                  "  WHERE     node it runs on now\n"
                  "  LOCK      1: automatic balancing leaves it where it is (mosrun -L, omx lock)\n"
                  "  NMIGS     moves so far ('-' for guests: home knows)\n"
                  "  CANTMOVE  why it cannot move now (clone_vm, monkey, mmap_dev, ...), '-' if it can\n"
                  "  CPU       CPU time on this node (of a process away: its deputy's, not the body's)\n"
                  "  MEM       resident memory on this node\n"
                  "--json prints every field (see omx-ps(1)). Exit status: 0, 2 usage, 4 no omxd.\n",
                  me.c_str());
      return kExitOk;
    } else {
      print_error(me, fmt::format("unknown argument '{}' (usage: {} [--json])", args[i], me));
      return kExitUsage;
    }
  }
  procinfo::ListOptions opts;
  opts.omx_only = true;
  procinfo::ProcessListing l = procinfo::list_processes(opts);
  if (!l.omxd_up) {
    print_error(me, fmt::format("cannot ask this node's omxd: {}", l.omxd_error));
    return kExitUnavailable;
  }
  warn_silent(me, l);
  sort_rows(l.rows, {});
  if (as_json) std::printf("%s\n", procinfo::to_json(l).dump().c_str());
  else std::fputs(render_table(omx_ps_columns(), l.rows, true, output_width()).c_str(), stdout);
  return kExitOk;
}

int cmd_mps(const Args& args) {
  std::string me = args[0];
  auto opts = parse_mps_args(Args(args.begin() + 1, args.end()));
  if (!opts.ok()) {
    print_error(me, opts.error().what);
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(mps_usage(me).c_str(), stdout);
    return kExitOk;
  }
  if (opts->version) {
    std::printf("%s (omx %s)\n", me.c_str(), OMX_VERSION);
    return kExitOk;
  }
  procinfo::ProcessListing l = procinfo::list_processes();
  warn_silent(me, l);
  std::vector<procinfo::ProcRow> rows;
  uid_t uid = ::geteuid();
  for (procinfo::ProcRow& r : l.rows)
    if (select_row(r, *opts, uid)) rows.push_back(std::move(r));
  sort_rows(rows, opts->sort);
  if (opts->json) {
    l.rows = std::move(rows);
    std::printf("%s\n", procinfo::to_json(l).dump().c_str());
    return !opts->pids.empty() && l.rows.empty() ? kExitFailed : kExitOk;
  }
  std::fputs(render_table(mps_columns(*opts, mem_total_kib()), rows, !opts->no_header,
                          opts->wide ? 0 : output_width()).c_str(), stdout);
  return !opts->pids.empty() && rows.empty() ? kExitFailed : kExitOk;
}

}  // namespace omx::cli
