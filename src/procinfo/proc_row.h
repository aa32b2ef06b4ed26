// ProcRow: one process as a listing shows it: the usual ps fields, read from /proc/PID/{stat,
// status,cmdline}, plus what omx knows about it (filled in by process_lister.h). Shared by every
// listing command (omx ps, mps) and the dashboard, which reads rows as JSON (to_json).
//
// The /proc parsing is split into pure functions on the file text (parse_stat, ...) so tests
// feed them fixed strings. Pure functions and plain values; thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace omx::procinfo {

struct ProcRow {
  // ps fields
  pid_t pid = 0, ppid = 0, pgrp = 0, session = 0, tpgid = -1;
  uid_t uid = 0;
  std::string user;          // name, or the number when unknown
  uint32_t tty_nr = 0;       // 0: no controlling terminal
  std::string tty;           // "pts/3", "tty1", "?" for none
  char state = '?';          // R S D T t Z X I ...
  std::string stat;          // BSD STAT: state plus < N s l + (see bsd_stat)
  int nice = 0;
  int priority = 0;
  int threads = 1;
  double cpu_s = 0;          // user + system CPU seconds
  double pcpu = 0;           // %CPU over its lifetime (cpu_s / elapsed), as ps computes it
  uint64_t rss_kib = 0, vsz_kib = 0;
  int64_t start_time = 0;    // seconds since the epoch
  std::string comm;          // /proc/PID/comm (stat's name field)
  std::string cmdline;       // arguments joined by spaces; "[comm]" for kernel threads
  bool kernel_thread = false;
  // omx fields
  bool migratable = false;   // started by mosrun / omx run (has a home supervisor), or a guest
  uint32_t home = 0;         // home node id (0: not migratable)
  pid_t home_pid = 0;        // its pid on the home node
  uint32_t where = 0;        // node id it runs on now (this node for ordinary processes; 0: unknown)
  bool lock = false;         // automatic balancing leaves it where it is
  uint64_t nmigs = 0;        // completed moves
  std::string cantmove;      // why it cannot move ("" = it can, or unknown)
  bool guest = false;        // runs here for another node (pid is the local body's)
  std::string cpu_source;    // "native", "home+away" (home's /proc + reported away), "guest"
  // Away only (the body's I/O meter as its guest last reported; -1 = not known): the fraction
  // of its time spent waiting for home, and forwarded calls per second.
  double home_wait = -1;
  double fwd_calls_s = -1;
};

// Fields of /proc/PID/stat (text after "pid (comm) " is parsed from the last ')').
struct StatFields {
  std::string comm;
  char state = '?';
  pid_t ppid = 0, pgrp = 0, session = 0, tpgid = -1;
  uint32_t tty_nr = 0;
  uint32_t flags = 0;
  uint64_t utime = 0, stime = 0;  // clock ticks
  int priority = 0, nice = 0, threads = 1;
  uint64_t starttime = 0;         // ticks after boot
  uint64_t vsize = 0;             // bytes
  int64_t rss_pages = 0;
};
Result<StatFields> parse_stat(std::string_view text);

// "pts/N", "ttyN", "ttySN", ... for a tty_nr (dev_t encoding of /proc/PID/stat); "?" for 0.
std::string tty_name(uint32_t tty_nr);
// BSD ps STAT: the state letter, then '<' (nice < 0), 'N' (nice > 0), 's' (session leader),
// 'l' (multi-threaded), '+' (in the foreground process group of its terminal).
std::string bsd_stat(const ProcRow& r);
// "M:SS" CPU time (minutes unbounded), as BSD ps prints TIME.
std::string format_cpu_time(double seconds);
// /proc/PID/cmdline (NUL-separated) as one line.
std::string join_cmdline(std::string_view raw);

// Reads one process from /proc; kVanished when it is gone. `boot_time` is /proc/stat's btime,
// `now` the wall clock (seconds), both for start_time and pcpu.
Result<ProcRow> read_proc_row(pid_t pid, int64_t boot_time, double now);
// /proc/stat btime (seconds since the epoch).
Result<int64_t> read_boot_time();

nlohmann::json to_json(const ProcRow& r);

}  // namespace omx::procinfo
