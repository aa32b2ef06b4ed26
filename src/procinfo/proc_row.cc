#include "procinfo/proc_row.h"

#include <pwd.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace omx::procinfo {
namespace {

Result<std::string> read_file(const std::string& path, pid_t pid) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ESRCH) return make_error(ErrorCode::kVanished, "read " + path, pid);
    return sys_error("open " + path, pid);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string user_name(uid_t uid) {
  static std::map<uid_t, std::string> cache;
  if (auto it = cache.find(uid); it != cache.end()) return it->second;
  passwd pw{}, *res = nullptr;
  char buf[4096];
  std::string name = getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res ? pw.pw_name
                                                                           : std::to_string(uid);
  cache[uid] = name;
  return name;
}

// The effective uid from /proc/PID/status ("Uid:\treal\teffective\t...").
uid_t status_euid(const std::string& status) {
  auto pos = status.find("\nUid:");
  if (pos == std::string::npos) return 0;
  std::istringstream in(status.substr(pos + 5));
  uid_t real = 0, eff = 0;
  in >> real >> eff;
  return eff;
}

}  // namespace

Result<StatFields> parse_stat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return make_error(ErrorCode::kInvalid, "stat: no (comm)");
  StatFields f;
  f.comm = std::string(text.substr(open + 1, close - open - 1));
  std::istringstream in{std::string(text.substr(close + 1))};
  std::vector<std::string> v;
  for (std::string t; in >> t;) v.push_back(t);
  // v[0] is field 3 (state); field N is v[N - 3].
  if (v.size() < 22) return make_error(ErrorCode::kInvalid, fmt::format("stat: {} fields", v.size() + 2));
  auto num = [&](int field) -> int64_t {
    int64_t x = 0;
    const std::string& s = v[field - 3];
    std::from_chars(s.data(), s.data() + s.size(), x);
    return x;
  };
  f.state = v[0].empty() ? '?' : v[0][0];
  f.ppid = static_cast<pid_t>(num(4));
  f.pgrp = static_cast<pid_t>(num(5));
  f.session = static_cast<pid_t>(num(6));
  f.tty_nr = static_cast<uint32_t>(num(7));
  f.tpgid = static_cast<pid_t>(num(8));
  f.flags = static_cast<uint32_t>(num(9));
  f.utime = static_cast<uint64_t>(num(14));
  f.stime = static_cast<uint64_t>(num(15));
  f.priority = static_cast<int>(num(18));
  f.nice = static_cast<int>(num(19));
  f.threads = static_cast<int>(num(20));
  f.starttime = static_cast<uint64_t>(num(22));
  f.vsize = static_cast<uint64_t>(num(23));
  f.rss_pages = num(24);
  return f;
}

std::string tty_name(uint32_t tty_nr) {
  if (tty_nr == 0) return "?";
  unsigned maj = major(tty_nr), min = minor(tty_nr);
  if (maj >= 136 && maj <= 143) return fmt::format("pts/{}", (maj - 136) * 256 + min);
  if (maj == 4 && min < 64) return fmt::format("tty{}", min);
  if (maj == 4) return fmt::format("ttyS{}", min - 64);
  if (maj == 5 && min == 1) return "console";
  if (maj == 5 && min == 0) return "tty";
  return fmt::format("{}:{}", maj, min);
}

std::string bsd_stat(const ProcRow& r) {
  std::string s(1, r.state);
  if (r.nice < 0) s += '<';
  else if (r.nice > 0) s += 'N';
  if (r.session == r.pid) s += 's';
  if (r.threads > 1) s += 'l';
  if (r.tty_nr != 0 && r.tpgid == r.pgrp) s += '+';
  return s;
}

std::string format_cpu_time(double seconds) {
  auto t = static_cast<uint64_t>(seconds < 0 ? 0 : seconds);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

std::string join_cmdline(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string s(raw);
  for (char& c : s)
    if (c == '\0' || c == '\n' || c == '\t') c = ' ';
  return s;
}

Result<int64_t> read_boot_time() {
  OMX_ASSIGN(std::string text, read_file("/proc/stat", 0));
  auto pos = text.find("\nbtime ");
  if (pos == std::string::npos) return make_error(ErrorCode::kInvalid, "/proc/stat has no btime");
  return std::stoll(text.substr(pos + 7));
}

Result<ProcRow> read_proc_row(pid_t pid, int64_t boot_time, double now) {
  static const double kHz = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const uint64_t kPageKib = static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
  std::string dir = fmt::format("/proc/{}/", pid);
  OMX_ASSIGN(std::string stat_text, read_file(dir + "stat", pid));
  OMX_ASSIGN(StatFields f, parse_stat(stat_text));
  ProcRow r;
  r.pid = pid;
  r.ppid = f.ppid;
  r.pgrp = f.pgrp;
  r.session = f.session;
  r.tpgid = f.tpgid;
  r.tty_nr = f.tty_nr;
  r.tty = tty_name(f.tty_nr);
  r.state = f.state;
  r.nice = f.nice;
  r.priority = f.priority;
  r.threads = f.threads;
  r.cpu_s = static_cast<double>(f.utime + f.stime) / kHz;
  r.start_time = boot_time + static_cast<int64_t>(static_cast<double>(f.starttime) / kHz);
  double elapsed = now - (static_cast<double>(boot_time) + static_cast<double>(f.starttime) / kHz);
  r.pcpu = elapsed > 0 ? std::min(999.9, 100.0 * r.cpu_s / elapsed) : 0;
  r.vsz_kib = f.vsize / 1024;
  r.rss_kib = f.rss_pages > 0 ? static_cast<uint64_t>(f.rss_pages) * kPageKib : 0;
  r.comm = f.comm;
  r.kernel_thread = (f.flags & 0x00200000) != 0;  // PF_KTHREAD
  auto status = read_file(dir + "status", pid);
  if (status.ok()) r.uid = status_euid(*status);
  r.user = user_name(r.uid);
  auto cmd = read_file(dir + "cmdline", pid);
  r.cmdline = cmd.ok() ? join_cmdline(*cmd) : "";
  if (r.cmdline.empty()) r.cmdline = "[" + r.comm + "]";
  r.stat = bsd_stat(r);
  return r;
}

nlohmann::json to_json(const ProcRow& r) {
  nlohmann::json j{{"pid", r.pid},         {"ppid", r.ppid},       {"uid", r.uid},
                   {"user", r.user},       {"tty", r.tty},         {"stat", r.stat},
                   {"nice", r.nice},       {"cpu_s", r.cpu_s},     {"pcpu", r.pcpu},
                   {"rss_kib", r.rss_kib}, {"vsz_kib", r.vsz_kib}, {"start", r.start_time},
                   {"comm", r.comm},       {"cmdline", r.cmdline}, {"migratable", r.migratable},
                   {"home", r.home},       {"home_pid", r.home_pid}, {"where", r.where},
                   {"lock", r.lock},       {"nmigs", r.nmigs},     {"cantmove", r.cantmove},
                   {"guest", r.guest},     {"cpu_source", r.cpu_source}};
  if (r.home_wait >= 0) j["home_wait"] = r.home_wait;
  if (r.fwd_calls_s >= 0) j["fwd_calls_s"] = r.fwd_calls_s;
  return j;
}

}  // namespace omx::procinfo
