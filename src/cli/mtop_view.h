// mtop's view model (openMosix `mtop`, reference §1.6: `top` with a NODE column), as pure
// functions so unit tests can check them with concrete numbers: %CPU between two samples,
// filtering (user, pids, omx-only), sorting (top's P M N T keys, < > to move the sort column,
// R to reverse), top's cell formats (VIRT/RES in KiB, scaled to 1.1g / 512.0m when they do not
// fit; TIME+ as m:ss.hh) and the layout of a screen of a given width and height into lines.
// Reading /proc and omxd is mtop_source.h's job; drawing with ncurses is cmd_mtop.cc's.
//
// Threading: plain values and functions; no shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace omx::cli::mtop {

// One process as mtop shows it (filled from omx::procinfo rows by mtop_source.cc).
struct Proc {
  pid_t pid = 0;
  uid_t uid = 0;
  std::string user;
  int priority = 0;      // PR as in /proc/PID/stat (20 + nice for normal tasks; < 0 real-time)
  int nice = 0;
  uint64_t virt_kib = 0;
  uint64_t res_kib = 0;
  char state = '?';      // R S D T t Z I ...
  uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
  std::string command;
  uint32_t node = 0;     // the node it runs on now; 0 = unknown
  // omx (migratable processes): started with mosrun / omx run.
  bool migratable = false;
  uint32_t home = 0;
  bool lock = false;
  uint32_t nmigs = 0;
};

// A process with the figures computed between two samples.
struct Row {
  Proc p;
  double cpu = 0;  // %CPU since the previous sample (100 = one CPU busy)
  double mem = 0;  // %MEM: resident / total memory
  long clk_tck = 100;  // ticks per second of p.cpu_ticks
};

// The columns (and sort keys). kHome, kLock and kNmigs are shown in the omx view only.
enum class Field : uint8_t {
  kPid, kUser, kPr, kNi, kVirt, kRes, kState, kCpu, kMem, kTime, kNode, kHome, kLock, kNmigs,
  kCommand,
};

struct Column {
  Field field;
  const char* name;  // header text, as top spells it
  int width;         // 0: the rest of the line (COMMAND)
  bool left;         // left-aligned (USER, COMMAND)
};

// The columns shown: top's PID USER PR NI VIRT RES S %CPU %MEM TIME+ NODE COMMAND, and with
// the omx view HOME LOCK NMIGS before COMMAND.
std::vector<Column> columns(bool omx_view);
// The field a column header or `-o` name means ("%CPU", "cpu", "TIME+", "time", "pid", ...;
// case does not matter); nullopt if none.
std::optional<Field> field_by_name(std::string_view name);
const char* field_name(Field f);

// Per-process CPU ticks of a sample, for the next %CPU.
using TickMap = std::unordered_map<pid_t, uint64_t>;
TickMap tick_map(const std::vector<Proc>& procs);

// %CPU = ticks used since `prev` / (elapsed_s * clk_tck) * 100; a process not in `prev` (new
// since) counts all its ticks. elapsed_s <= 0 (no previous sample) gives 0. %MEM = res / total.
std::vector<Row> make_rows(const std::vector<Proc>& now, const TickMap& prev, double elapsed_s,
                           long clk_tck, uint64_t mem_total_kib);

struct Filter {
  std::string user;           // name or numeric uid; empty: all
  std::vector<pid_t> pids;    // empty: all
  bool omx_only = false;      // only migratable processes
};
bool matches(const Row& r, const Filter& f);
std::vector<Row> filtered(std::vector<Row> rows, const Filter& f);

// Sorts high to low by `key` (as top does by default), or low to high if `reverse`; ties by
// pid, low first.
void sort_rows(std::vector<Row>& rows, Field key, bool reverse);
// The key `dir` (-1 for '<', +1 for '>') columns from `key` among `cols`, stopping at the ends.
// A key that is not among them moves from the first column.
Field move_sort(Field key, int dir, const std::vector<Column>& cols);

// top's memory cell: KiB as an integer when it fits `width`, else the first of m, g, t, p, e
// (1024 steps) where "%.1f" plus the suffix fits: 1258291 KiB in 6 is "1.2g".
std::string scale_kib(uint64_t kib, int width);
// top's TIME+: minutes:seconds.hundredths ("2:38.76"); if that does not fit `width`,
// minutes:seconds, then hours,minutes ("27,46"), then whole hours, days or weeks ("33h").
std::string format_time_plus(uint64_t ticks, long clk_tck, int width);
// One cell, not padded.
std::string format_cell(const Row& r, Field f, int width);
// A row or the header: cells padded to their widths, one space apart, COMMAND last and cut so
// the line is at most `width` characters (width <= 0: no limit).
std::string format_row(const Row& r, const std::vector<Column>& cols, int width);
std::string format_header(const std::vector<Column>& cols, int width);
// Where column `f` is in a formatted header: [start, start + len); len 0 if not shown.
std::pair<int, int> column_span(const std::vector<Column>& cols, Field f);

// A screen: the summary lines, a message/prompt line, the column header, then as many rows
// as fit, starting at `scroll`.
struct Screen {
  std::vector<std::string> summary;
  std::string message;
  std::vector<Column> cols;
  std::vector<Row> rows;  // filtered and sorted
  int width = 80;
  int height = 24;
  int scroll = 0;         // index of the first row shown
};
struct Layout {
  std::vector<std::string> lines;  // at most height lines, each at most width characters
  int header = -1;                 // index in lines of the column header; -1 if it did not fit
  int first_row = 0;               // the scroll actually used (clamped)
  int rows_shown = 0;
};
// Rows that fit below the header on a screen of this height with `summary_lines` lines above.
int visible_rows(int height, int summary_lines);
// `scroll` clamped to [0, max(0, nrows - visible)].
int clamp_scroll(int scroll, int nrows, int visible);
Layout layout(const Screen& s);

}  // namespace omx::cli::mtop
