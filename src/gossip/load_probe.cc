#include "gossip/load_probe.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace omx::gossip {
namespace {

Error bad(std::string what) { return make_error(ErrorCode::kInvalid, std::move(what)); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

template <typename T>
std::optional<T> to_num(std::string_view s) {
  s = trim(s);
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The value after "key" at the start of a line, up to the end of the line.
std::optional<std::string_view> line_value(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.substr(0, key.size()) == key) return line.substr(key.size());
    pos = end + 1;
  }
  return std::nullopt;
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) return sys_error("open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Result<uint32_t> parse_procs_running(std::string_view proc_stat) {
  auto v = line_value(proc_stat, "procs_running ");
  if (!v) return bad("/proc/stat: no procs_running line");
  auto n = to_num<uint32_t>(*v);
  if (!n) return bad("/proc/stat: bad procs_running value");
  return *n;
}

Result<uint32_t> parse_loadavg_running(std::string_view s) {
  // "1.43 1.30 1.22 4/105 17700": the fourth field's numerator.
  std::istringstream in{std::string(s)};
  std::string a, b, c, d;
  if (!(in >> a >> b >> c >> d)) return bad("/proc/loadavg: too few fields");
  auto slash = d.find('/');
  if (slash == std::string::npos) return bad("/proc/loadavg: no running/total field");
  auto n = to_num<uint32_t>(std::string_view(d).substr(0, slash));
  if (!n) return bad("/proc/loadavg: bad running count");
  return *n;
}

Result<MemInfo> parse_meminfo(std::string_view text) {
  auto kib = [&](std::string_view key) -> std::optional<uint64_t> {
    auto v = line_value(text, key);
    if (!v) return std::nullopt;
    std::string_view s = trim(*v);
    if (s.size() > 3 && s.substr(s.size() - 3) == " kB") s.remove_suffix(3);
    return to_num<uint64_t>(s);
  };
  auto total = kib("MemTotal:");
  auto avail = kib("MemAvailable:");
  if (!avail) avail = kib("MemFree:");
  if (!total || !avail) return bad("/proc/meminfo: MemTotal or MemAvailable missing or bad");
  return MemInfo{*total, std::min(*avail, *total)};
}

Result<std::optional<double>> parse_cpu_max(std::string_view s) {
  std::istringstream in{std::string(trim(s))};
  std::string q, p;
  if (!(in >> q >> p)) return bad("cpu.max: expected 'QUOTA PERIOD'");
  auto period = to_num<uint64_t>(p);
  if (!period || *period == 0) return bad("cpu.max: bad period");
  if (q == "max") return std::optional<double>();
  auto quota = to_num<uint64_t>(q);
  if (!quota) return bad("cpu.max: bad quota");
  return std::optional<double>(static_cast<double>(*quota) / static_cast<double>(*period));
}

Result<std::optional<double>> parse_cfs_quota(std::string_view quota, std::string_view period) {
  auto q = to_num<int64_t>(quota);
  auto p = to_num<int64_t>(period);
  if (!q || !p || *p <= 0) return bad("cpu.cfs_quota_us/cpu.cfs_period_us: bad values");
  if (*q < 0) return std::optional<double>();
  return std::optional<double>(static_cast<double>(*q) / static_cast<double>(*p));
}

Result<uint8_t> parse_memory_pressure_util(std::string_view s) {
  auto v = line_value(s, "full ");
  if (!v) return bad("memory pressure: no 'full' line");
  auto at = v->find("avg10=");
  if (at == std::string_view::npos) return bad("memory pressure: no avg10");
  std::string_view num = v->substr(at + 6);
  num = num.substr(0, num.find(' '));
  double stalled = 0;
  try {
    stalled = std::stod(std::string(num));
  } catch (...) {
    return bad("memory pressure: bad avg10");
  }
  return static_cast<uint8_t>(std::clamp(100.0 - std::round(stalled), 0.0, 100.0));
}

std::optional<std::string> parse_own_cgroup(std::string_view text, bool v2) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view ctrls = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    if (v2 && line.substr(0, c1) == "0" && ctrls.empty()) return std::string(path);
    if (!v2) {
      std::string list = "," + std::string(ctrls) + ",";
      if (list.find(",cpu,") != std::string::npos) return std::string(path);
    }
  }
  return std::nullopt;
}

std::string LoadProbe::path(std::string_view p) const {
  std::string r = root_;
  if (!r.empty() && r.back() == '/') r.pop_back();
  return r + std::string(p);
}

// Runnable threads listed in our CPU cgroup (v1 "tasks", v2 "cgroup.threads"), from each one's
// /proc/TID/stat state; the reader (running) is not counted.
Result<uint32_t> LoadProbe::read_cgroup_running() const {
  OMX_ASSIGN(std::string self, read_text(path("/proc/self/cgroup")));
  std::string list;
  if (auto cg = parse_own_cgroup(self, false)) {
    for (const char* m : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"})
      if (auto t = read_text(path(std::string(m) + *cg + "/tasks")); t.ok()) {
        list = *t;
        break;
      }
  }
  if (list.empty()) {
    if (auto cg = parse_own_cgroup(self, true)) {
      OMX_ASSIGN(list, read_text(path("/sys/fs/cgroup" + *cg + "/cgroup.threads")));
    }
  }
  uint32_t n = 0;
  pid_t me = static_cast<pid_t>(::syscall(SYS_gettid));
  std::istringstream in(list);
  for (pid_t tid; in >> tid;) {
    if (tid == me) continue;
    auto st = read_text(path("/proc/" + std::to_string(tid) + "/stat"));
    if (!st.ok()) continue;  // gone meanwhile
    size_t paren = st->rfind(')');
    if (paren != std::string::npos && paren + 2 < st->size() && (*st)[paren + 2] == 'R') ++n;
  }
  return n;
}

Result<uint32_t> LoadProbe::read_nr_running() const {
  if (own_cgroup_) return read_cgroup_running();
  uint32_t n = 0;
  if (auto stat = read_text(path("/proc/stat")); stat.ok()) {
    OMX_ASSIGN(n, parse_procs_running(*stat));
  } else {
    OMX_ASSIGN(std::string la, read_text(path("/proc/loadavg")));
    OMX_ASSIGN(n, parse_loadavg_running(la));
  }
  return n > 0 ? n - 1 : 0;  // the reader itself was running
}

// Tightest quota on the path mount/cg and its ancestors.
std::optional<double> LoadProbe::quota_along(const std::string& mount, const std::string& cg,
                                             bool v2) const {
  std::optional<double> best;
  std::string dir = cg;
  while (true) {
    std::string base = path(mount + (dir == "/" ? "" : dir));
    std::optional<double> q;
    if (v2) {
      if (auto t = read_text(base + "/cpu.max"); t.ok()) {
        if (auto r = parse_cpu_max(*t); r.ok()) q = *r;
      }
    } else {
      auto qt = read_text(base + "/cpu.cfs_quota_us");
      auto pt = read_text(base + "/cpu.cfs_period_us");
      if (qt.ok() && pt.ok()) {
        if (auto r = parse_cfs_quota(*qt, *pt); r.ok()) q = *r;
      }
    }
    if (q && (!best || *q < *best)) best = q;
    if (dir.empty() || dir == "/") break;
    size_t slash = dir.find_last_of('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  return best;
}

std::optional<double> LoadProbe::read_cpu_quota() const {
  auto self = read_text(path("/proc/self/cgroup"));
  if (!self.ok()) return std::nullopt;
  std::optional<double> best;
  auto take = [&](std::optional<double> q) {
    if (q && (!best || *q < *best)) best = q;
  };
  if (auto cg = parse_own_cgroup(*self, true)) {
    take(quota_along("/sys/fs/cgroup", *cg, true));
    take(quota_along("/sys/fs/cgroup/unified", *cg, true));
  }
  if (auto cg = parse_own_cgroup(*self, false)) {
    take(quota_along("/sys/fs/cgroup/cpu", *cg, false));
    take(quota_along("/sys/fs/cgroup/cpu,cpuacct", *cg, false));
  }
  return best;
}

Result<LoadInputs> LoadProbe::read() const {
  LoadInputs in;
  OMX_ASSIGN(in.nr_running, read_nr_running());
  OMX_ASSIGN(std::string mem, read_text(path("/proc/meminfo")));
  OMX_ASSIGN(in.mem, parse_meminfo(mem));
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) in.online_cpus = CPU_COUNT(&set);
  in.quota = read_cpu_quota();
  in.effective_cpus = in.quota ? std::min(in.online_cpus, *in.quota) : in.online_cpus;
  if (auto p = read_text(path("/proc/pressure/memory")); p.ok()) {
    if (auto u = parse_memory_pressure_util(*p); u.ok()) in.util = *u;
  }
  return in;
}

}  // namespace omx::gossip
