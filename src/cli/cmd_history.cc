// `omx history`: the collector's database without a browser (openMosixanalyzer and
// openMosixhistory in text, openMosixcollector's -n mark). The collector itself runs in the
// dashboard server (omx_history's Collector); this command reads the file it writes.
//
//   omx history [--db FILE] load [--from T] [--to T] [--node N] [--points N] [--json]
//   omx history [--db FILE] procs --at T [--json]
//   omx history [--db FILE] mark [LABEL...]
//   omx history [--db FILE] info [--json]
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.h"
#include "history/store.h"
#include "history_view.h"

namespace omx::cli {
namespace {

using nlohmann::json;

constexpr const char kUsage[] =
    "usage: omx history [--db FILE] load [--from TIME] [--to TIME] [--node N] [--points N] [--json]\n"
    "       omx history [--db FILE] procs --at TIME [--json]\n"
    "       omx history [--db FILE] mark [LABEL...]\n"
    "       omx history [--db FILE] info [--json]\n"
    "The collector's records (openMosixanalyzer/openMosixhistory in text):\n"
    "  load   average load and memory per node and for the cluster over time (default: the\n"
    "         last hour in 24 rows; --json: the dashboard's LoadHistory, 300 points)\n"
    "  procs  the cluster's process list as recorded at or before TIME\n"
    "  mark   write a checkpoint mark now (openMosixcollector -n), drawn on the charts\n"
    "  info   the time range and number of samples the database holds\n"
    "--db FILE: the collector's database (default $OMX_HISTORY_DB, else /var/lib/omx/history.db).\n"
    "TIME: epoch ms, now, -10m / -2h / -1d (ago), or 2026-11-21T22:00:00 (local time; Z: UTC).\n"
    "Exit status: 0, 1 no such record or database error, 2 usage, 3 permission denied.\n";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string default_db() {
  const char* e = std::getenv("OMX_HISTORY_DB");
  return e && *e ? e : history::kDefaultDbPath;
}

size_t output_width() {
  if (!::isatty(STDOUT_FILENO)) return 0;
  winsize ws{};
  return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 0;
}

// Exit status for a database error: 3 when the file's permissions refused us.
int failed(const std::string& me, const Error& e) {
  print_error(me, e.message());
  bool denied = (e.code == ErrorCode::kSys && (e.err == EACCES || e.err == EPERM)) ||
                e.what.find("readonly database") != std::string::npos;
  return denied ? kExitRefused : kExitFailed;
}

// --from/--to/--at: parsed now so a bad one is a usage error naming the flag.
bool time_opt(const std::string& me, const char* flag, const std::string& text, int64_t now, int64_t& out) {
  auto t = parse_time_arg(text, now);
  if (!t.ok()) {
    print_error(me, fmt::format("{}: {} (--help for usage)", flag, t.error().what));
    return false;
  }
  out = *t;
  return true;
}

int load_cmd(const Args& args, std::string db) {
  CLI::App app("average load and memory per node and for the cluster over time", args[0]);
  std::string from_s, to_s = "now";
  std::optional<uint32_t> node;
  std::optional<int> points;
  bool as_json = false;
  app.add_option("--db", db, "the collector's database")->capture_default_str();
  app.add_option("--from", from_s, "start (default: 1 h before --to)");
  app.add_option("--to", to_s, "end")->capture_default_str();
  app.add_option("--node", node, "only this node's series (the cluster's is always shown)");
  app.add_option("--points", points, "at most this many rows/points (2..2000; default 24, --json 300)");
  app.add_flag("--json", as_json, "print the dashboard's LoadHistory JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  const std::string me = app.get_name();
  int64_t now = now_ms();
  history::LoadQuery q;
  if (!time_opt(me, "--to", to_s, now, q.to_ms)) return kExitUsage;
  q.from_ms = q.to_ms - 3'600'000;
  if (!from_s.empty() && !time_opt(me, "--from", from_s, now, q.from_ms)) return kExitUsage;
  q.node = node;
  q.points = points.value_or(as_json ? 300 : 24);
  if (q.from_ms >= q.to_ms || q.from_ms < 0) {
    print_error(me, fmt::format("--from ({}) must be before --to ({}) (--help for usage)",
                                format_time_ms(q.from_ms), format_time_ms(q.to_ms)));
    return kExitUsage;
  }
  if (q.points < history::kMinPoints || q.points > history::kMaxPoints) {
    print_error(me, fmt::format("--points must be {}..{}, not {}", history::kMinPoints, history::kMaxPoints, q.points));
    return kExitUsage;
  }
  auto store = history::Store::open_readonly(db);
  if (!store.ok()) return failed(me, store.error());
  auto h = (*store)->load(q);
  if (!h.ok()) return failed(me, h.error());
  if (as_json) std::printf("%s\n", h->dump().c_str());
  else std::fputs(render_load_table(*h).c_str(), stdout);
  return kExitOk;
}

int procs_cmd(const Args& args, std::string db) {
  CLI::App app("the cluster's process list as recorded at or before a moment", args[0]);
  std::string at_s;
  bool as_json = false;
  app.add_option("--db", db, "the collector's database")->capture_default_str();
  app.add_option("--at", at_s, "the moment (TIME)")->required();
  app.add_flag("--json", as_json, "print the dashboard's Processes JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  const std::string me = app.get_name();
  int64_t at = 0;
  if (!time_opt(me, "--at", at_s, now_ms(), at)) return kExitUsage;
  auto store = history::Store::open_readonly(db);
  if (!store.ok()) return failed(me, store.error());
  auto p = (*store)->processes_at(at);
  if (!p.ok()) return failed(me, p.error());
  if (as_json) {
    std::printf("%s\n", p->dump().c_str());
    return kExitOk;
  }
  std::printf("processes at %s (recorded %s): %zu\n", format_time_ms(at).c_str(),
              format_time_ms((*p)["time"]).c_str(), (*p)["processes"].size());
  std::fputs(render_process_table(*p, output_width()).c_str(), stdout);
  return kExitOk;
}

int mark_cmd(const Args& args, std::string db) {
  CLI::App app("write a checkpoint mark now (openMosixcollector -n)", args[0]);
  std::vector<std::string> words;
  app.add_option("--db", db, "the collector's database")->capture_default_str();
  app.add_option("label", words, "the mark's label (at most 200 bytes)");
  if (int rc = parse(app, args); rc >= 0) return rc;
  const std::string me = app.get_name();
  std::string label;
  for (const auto& w : words) label += (label.empty() ? "" : " ") + w;
  if (label.size() > history::kMaxMarkLabel) {
    print_error(me, fmt::format("the label is at most {} bytes, this one has {}", history::kMaxMarkLabel, label.size()));
    return kExitUsage;
  }
  if (::access(db.c_str(), F_OK) != 0) {
    print_error(me, fmt::format("{}: no such database (is the collector running? --db FILE names another)", db));
    return kExitFailed;
  }
  auto store = history::Store::open(db);
  if (!store.ok()) return failed(me, store.error());
  int64_t t = now_ms();
  if (Status st = (*store)->add_mark(t, label); !st.ok()) return failed(me, st.error());
  std::printf("mark at %s%s%s\n", format_time_ms(t).c_str(), label.empty() ? "" : ": ", label.c_str());
  return kExitOk;
}

int info_cmd(const Args& args, std::string db) {
  CLI::App app("the time range and number of samples the collector's database holds", args[0]);
  bool as_json = false;
  app.add_option("--db", db, "the collector's database")->capture_default_str();
  app.add_flag("--json", as_json, "print it as JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  const std::string me = app.get_name();
  auto store = history::Store::open_readonly(db);
  if (!store.ok()) return failed(me, store.error());
  json i = (*store)->info();
  i["path"] = db;
  if (as_json) {
    std::printf("%s\n", i.dump().c_str());
    return kExitOk;
  }
  std::printf("database   %s\n", db.c_str());
  std::printf("samples    %lld\n", i["samples"].get<long long>());
  std::printf("first      %s\n", i["first"].is_null() ? "-" : format_time_ms(i["first"]).c_str());
  std::printf("last       %s\n", i["last"].is_null() ? "-" : format_time_ms(i["last"]).c_str());
  std::printf("retention  %.1f days\n", static_cast<double>(i["retention_ms"].get<int64_t>()) / 86'400'000.0);
  return kExitOk;
}

}  // namespace

int cmd_history(const Args& args) {
  const std::string& me = args[0];
  std::string db = default_db();
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h" || a == "help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (a == "--db" && i + 1 < args.size()) {
      db = args[++i];
    } else if (a.rfind("--db=", 0) == 0) {
      db = a.substr(5);
    } else if (!a.empty() && a[0] == '-') {
      print_error(me, fmt::format("unknown option '{}' (--help for usage)", a));
      return kExitUsage;
    } else {
      break;
    }
  }
  if (i == args.size()) {
    print_error(me, "which one: load, procs, mark or info? (--help for usage)");
    return kExitUsage;
  }
  const std::string sub = args[i];
  Args rest(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  rest[0] = me + " " + sub;
  if (sub == "load") return load_cmd(rest, db);
  if (sub == "procs") return procs_cmd(rest, db);
  if (sub == "mark") return mark_cmd(rest, db);
  if (sub == "info") return info_cmd(rest, db);
  print_error(me, fmt::format("unknown subcommand '{}': load, procs, mark or info (--help for usage)", sub));
  return kExitUsage;
}

}  // namespace omx::cli
