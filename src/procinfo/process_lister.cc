#include "procinfo/process_lister.h"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "daemon/control_client.h"

namespace omx::procinfo {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSupPrefix = "@omx/sup/";

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    pid_t p = 0;
    std::string_view n = e->d_name;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), p);
    if (ec == std::errc() && end == n.data() + n.size() && p > 0) out.push_back(p);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

double wall_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Home supervisors' "list" replies: pid -> entry.
std::map<pid_t, json> ask_supervisors(const ListOptions& opts, ProcessListing& out) {
  std::map<pid_t, json> home;
  std::ifstream in("/proc/net/unix");
  std::stringstream ss;
  ss << in.rdbuf();
  for (pid_t sup : supervisor_pids(ss.str())) {
    auto r = daemon::control_request({{"op", "list"}}, fmt::format("{}{}", kSupPrefix, sup),
                                     opts.supervisor_timeout);
    if (!r.ok() || !r->value("ok", false) || !r->contains("processes")) {
      ++out.silent_supervisors;
      continue;
    }
    for (const json& p : (*r)["processes"]) {
      if (!p.is_object() || !p.contains("pid")) continue;
      home[p["pid"].get<pid_t>()] = p;
      if (!out.self && p.contains("home")) out.self = p["home"].get<uint32_t>();
    }
  }
  return home;
}

}  // namespace

std::vector<pid_t> supervisor_pids(std::string_view net_unix) {
  std::vector<pid_t> out;
  size_t pos = 0;
  while ((pos = net_unix.find(kSupPrefix, pos)) != std::string_view::npos) {
    pos += kSupPrefix.size();
    pid_t p = 0;
    auto [end, ec] = std::from_chars(net_unix.data() + pos, net_unix.data() + net_unix.size(), p);
    bool at_end = end == net_unix.data() + net_unix.size() || *end == '\n' || *end == ' ';
    if (ec == std::errc() && at_end && p > 0) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void apply_home_info(ProcRow& r, const json& p) {
  r.migratable = true;
  r.home = p.value("home", 0u);
  r.home_pid = r.pid;
  r.where = p.value("where", r.home);
  r.lock = p.value("lock", false);
  r.nmigs = p.value("nmigs", uint64_t{0});
  r.cantmove = p.value("cantmove", "");
  // Time used away is reported by the guests; /proc here has only the home side's.
  double away_s = p.value("cpu_away_s", 0.0);
  r.cpu_s += away_s;
  if (double elapsed = static_cast<double>(std::time(nullptr) - r.start_time); away_s > 0 && elapsed > 0)
    r.pcpu = std::min(999.9, 100.0 * r.cpu_s / elapsed);
  r.cpu_source = away_s > 0 || r.where != r.home ? "home+away" : "native";
  if (uint64_t rss = p.value("rss_bytes", uint64_t{0}); rss > 0) r.rss_kib = rss / 1024;
  if (p.contains("home_wait")) r.home_wait = p.value("home_wait", 0.0);
  if (p.contains("fwd_calls_s")) r.fwd_calls_s = p.value("fwd_calls_s", 0.0);
  // A deputy's memory (and so its /proc cmdline) is gone; the supervisor kept the arguments.
  if (std::string c = p.value("cmdline", ""); !c.empty()) r.cmdline = c;
}

void apply_guest_info(ProcRow& r, const json& g, uint32_t self) {
  r.migratable = true;
  r.guest = true;
  r.home = g.value("home", 0u);
  r.home_pid = g.value("home_pid", 0);
  r.where = self;
  r.lock = g.value("lock", false);
  r.cpu_source = "guest";
}

ProcessListing list_processes(const ListOptions& opts) {
  ProcessListing out;
  std::map<pid_t, json> guests;
  auto procs = daemon::control_request({{"op", "procs"}}, opts.control_address, opts.omxd_timeout);
  if (procs.ok() && procs->value("ok", false)) {
    out.omxd_up = true;
    out.self = (*procs).value("node", 0u);
    for (const json& g : (*procs).value("guests", json::array()))
      if (g.is_object() && g.contains("pid")) guests[g["pid"].get<pid_t>()] = g;
  } else {
    out.omxd_error = procs.ok() ? procs->value("error", "omxd refused the request")
                                : procs.error().message();
  }
  std::map<pid_t, json> home = ask_supervisors(opts, out);
  auto boot = read_boot_time();
  double now = wall_now();
  for (pid_t pid : all_pids()) {
    auto h = home.find(pid);
    auto g = guests.find(pid);
    bool omx = h != home.end() || g != guests.end();
    if (opts.omx_only && !omx) continue;
    auto row = read_proc_row(pid, boot.ok() ? *boot : 0, now);
    if (!row.ok()) continue;  // gone meanwhile
    row->where = out.self;
    if (h != home.end()) apply_home_info(*row, h->second);
    else if (g != guests.end()) apply_guest_info(*row, g->second, out.self);
    out.rows.push_back(std::move(*row));
  }
  return out;
}

json to_json(const ProcessListing& l) {
  json rows = json::array();
  for (const ProcRow& r : l.rows) rows.push_back(to_json(r));
  json j = {{"node", l.self}, {"omxd", l.omxd_up}, {"silent_supervisors", l.silent_supervisors},
            {"processes", rows}};
  if (!l.omxd_up) j["omxd_error"] = l.omxd_error;
  return j;
}

}  // namespace omx::procinfo
