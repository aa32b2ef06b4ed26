#include "mtop_view.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>

namespace omx::cli::mtop {
namespace {

struct FieldInfo {
  Field field;
  const char* name;
  int width;
  bool left;
  const char* aliases;  // space-separated, lower case
};

// PID is 7 wide: pid_max is 4194304 on 64-bit kernels.
const FieldInfo kFields[] = {
    {Field::kPid, "PID", 7, false, "pid"},
    {Field::kUser, "USER", 8, true, "user"},
    {Field::kPr, "PR", 3, false, "pr priority"},
    {Field::kNi, "NI", 3, false, "ni nice"},
    {Field::kVirt, "VIRT", 7, false, "virt vsz"},
    {Field::kRes, "RES", 6, false, "res rss"},
    {Field::kState, "S", 1, false, "s state"},
    {Field::kCpu, "%CPU", 5, false, "%cpu cpu pcpu"},
    {Field::kMem, "%MEM", 5, false, "%mem mem pmem"},
    {Field::kTime, "TIME+", 9, false, "time+ time"},
    {Field::kNode, "NODE", 4, false, "node where"},
    {Field::kHome, "HOME", 4, false, "home"},
    {Field::kLock, "LOCK", 4, false, "lock"},
    {Field::kNmigs, "NMIGS", 5, false, "nmigs"},
    {Field::kCommand, "COMMAND", 0, true, "command comm args"},
};

const FieldInfo& info(Field f) { return kFields[static_cast<int>(f)]; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// -1, 0, 1 comparing a and b by f (natural order: low first).
int compare(const Row& a, const Row& b, Field f) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (f) {
    case Field::kPid: return cmp(a.p.pid, b.p.pid);
    case Field::kUser: return cmp(a.p.user, b.p.user);
    case Field::kPr: return cmp(a.p.priority, b.p.priority);
    case Field::kNi: return cmp(a.p.nice, b.p.nice);
    case Field::kVirt: return cmp(a.p.virt_kib, b.p.virt_kib);
    case Field::kRes: return cmp(a.p.res_kib, b.p.res_kib);
    case Field::kState: return cmp(a.p.state, b.p.state);
    case Field::kCpu: return cmp(a.cpu, b.cpu);
    case Field::kMem: return cmp(a.p.res_kib, b.p.res_kib);
    case Field::kTime: return cmp(a.p.cpu_ticks, b.p.cpu_ticks);
    case Field::kNode: return cmp(a.p.node, b.p.node);
    case Field::kHome: return cmp(a.p.home, b.p.home);
    case Field::kLock: return cmp(a.p.lock, b.p.lock);
    case Field::kNmigs: return cmp(a.p.nmigs, b.p.nmigs);
    case Field::kCommand: return cmp(a.p.command, b.p.command);
  }
  return 0;
}

std::string pad(const std::string& s, int width, bool left) {
  if (width <= 0 || static_cast<int>(s.size()) >= width) return s;
  std::string fill(width - s.size(), ' ');
  return left ? s + fill : fill + s;
}

// USER is cut to its width with '+' as the last character, as top does.
std::string fit_user(const std::string& user, int width) {
  if (static_cast<int>(user.size()) <= width) return user;
  return user.substr(0, width - 1) + "+";
}

std::string cut(std::string s, int width) {
  if (width > 0 && static_cast<int>(s.size()) > width) s.resize(width);
  return s;
}

}  // namespace

std::vector<Column> columns(bool omx_view) {
  std::vector<Column> cols;
  for (const auto& f : kFields) {
    bool omx_only = f.field == Field::kHome || f.field == Field::kLock || f.field == Field::kNmigs;
    if (omx_only && !omx_view) continue;
    cols.push_back({f.field, f.name, f.width, f.left});
  }
  return cols;
}

std::optional<Field> field_by_name(std::string_view name) {
  std::string want = lower(name);
  for (const auto& f : kFields) {
    std::string aliases = std::string(" ") + f.aliases + " ";
    if (!want.empty() && aliases.find(" " + want + " ") != std::string::npos) return f.field;
  }
  return std::nullopt;
}

const char* field_name(Field f) { return info(f).name; }

TickMap tick_map(const std::vector<Proc>& procs) {
  TickMap m;
  m.reserve(procs.size());
  for (const auto& p : procs) m[p.pid] = p.cpu_ticks;
  return m;
}

std::vector<Row> make_rows(const std::vector<Proc>& now, const TickMap& prev, double elapsed_s,
                           long clk_tck, uint64_t mem_total_kib) {
  std::vector<Row> rows;
  rows.reserve(now.size());
  double budget = elapsed_s * static_cast<double>(clk_tck);
  for (const auto& p : now) {
    Row r{p};
    r.clk_tck = clk_tck;
    if (budget > 0) {
      auto it = prev.find(p.pid);
      uint64_t before = it == prev.end() ? 0 : it->second;
      uint64_t used = p.cpu_ticks >= before ? p.cpu_ticks - before : 0;  // pid reused: 0
      r.cpu = static_cast<double>(used) * 100.0 / budget;
    }
    if (mem_total_kib) r.mem = static_cast<double>(p.res_kib) * 100.0 / static_cast<double>(mem_total_kib);
    rows.push_back(std::move(r));
  }
  return rows;
}

bool matches(const Row& r, const Filter& f) {
  if (f.omx_only && !r.p.migratable) return false;
  if (!f.user.empty() && f.user != r.p.user && f.user != std::to_string(r.p.uid)) return false;
  if (!f.pids.empty() && std::find(f.pids.begin(), f.pids.end(), r.p.pid) == f.pids.end())
    return false;
  return true;
}

std::vector<Row> filtered(std::vector<Row> rows, const Filter& f) {
  std::erase_if(rows, [&](const Row& r) { return !matches(r, f); });
  return rows;
}

void sort_rows(std::vector<Row>& rows, Field key, bool reverse) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    int c = compare(a, b, key);
    if (c != 0) return reverse ? c < 0 : c > 0;
    return a.p.pid < b.p.pid;
  });
}

Field move_sort(Field key, int dir, const std::vector<Column>& cols) {
  if (cols.empty()) return key;
  auto it = std::find_if(cols.begin(), cols.end(), [&](const Column& c) { return c.field == key; });
  if (it == cols.end()) return cols.front().field;
  long i = (it - cols.begin()) + (dir < 0 ? -1 : 1);
  i = std::clamp<long>(i, 0, static_cast<long>(cols.size()) - 1);
  return cols[i].field;
}

std::string scale_kib(uint64_t kib, int width) {
  std::string s = std::to_string(kib);
  if (static_cast<int>(s.size()) <= width) return s;
  double v = static_cast<double>(kib);
  for (char suffix : std::string_view("mgtpe")) {
    v /= 1024.0;
    s = fmt::format("{:.1f}{}", v, suffix);
    if (static_cast<int>(s.size()) <= width) return s;
  }
  return s;
}

std::string format_time_plus(uint64_t ticks, long clk_tck, int width) {
  if (clk_tck <= 0) clk_tck = 100;
  uint64_t cs = ticks * 100 / static_cast<uint64_t>(clk_tck);  // hundredths of a second
  uint64_t secs = cs / 100, mins = secs / 60, hours = mins / 60;
  const std::string tries[] = {
      fmt::format("{}:{:02}.{:02}", mins, secs % 60, cs % 100),
      fmt::format("{}:{:02}", mins, secs % 60),
      fmt::format("{},{:02}", hours, mins % 60),
      fmt::format("{}h", hours),
      fmt::format("{}d", hours / 24),
  };
  for (const auto& t : tries)
    if (static_cast<int>(t.size()) <= width) return t;
  return fmt::format("{}w", hours / 24 / 7);
}

std::string format_cell(const Row& r, Field f, int width) {
  const Proc& p = r.p;
  switch (f) {
    case Field::kPid: return std::to_string(p.pid);
    case Field::kUser: return fit_user(p.user, width);
    case Field::kPr: return p.priority <= -100 ? "rt" : std::to_string(p.priority);
    case Field::kNi: return std::to_string(p.nice);
    case Field::kVirt: return scale_kib(p.virt_kib, width);
    case Field::kRes: return scale_kib(p.res_kib, width);
    case Field::kState: return std::string(1, p.state);
    case Field::kCpu: return fmt::format("{:.1f}", r.cpu);
    case Field::kMem: return fmt::format("{:.1f}", r.mem);
    case Field::kTime: return format_time_plus(p.cpu_ticks, r.clk_tck, width);
    case Field::kNode: return p.node ? std::to_string(p.node) : "-";
    case Field::kHome: return p.migratable && p.home ? std::to_string(p.home) : "-";
    case Field::kLock: return p.migratable ? (p.lock ? "yes" : "no") : "-";
    case Field::kNmigs: return p.migratable ? std::to_string(p.nmigs) : "-";
    case Field::kCommand: return p.command;
  }
  return "";
}

std::string format_row(const Row& r, const std::vector<Column>& cols, int width) {
  std::string line;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) line += ' ';
    line += pad(format_cell(r, cols[i].field, cols[i].width), cols[i].width, cols[i].left);
  }
  return cut(std::move(line), width);
}

std::string format_header(const std::vector<Column>& cols, int width) {
  std::string line;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) line += ' ';
    line += pad(cols[i].name, cols[i].width, cols[i].left);
  }
  return cut(std::move(line), width);
}

std::pair<int, int> column_span(const std::vector<Column>& cols, Field f) {
  int start = 0;
  for (const auto& c : cols) {
    int w = std::max<int>(c.width, static_cast<int>(std::string_view(c.name).size()));
    if (c.field == f) return {start, w};
    start += w + 1;
  }
  return {0, 0};
}

int visible_rows(int height, int summary_lines) {
  return std::max(0, height - summary_lines - 2);  // message line and column header
}

int clamp_scroll(int scroll, int nrows, int visible) {
  return std::clamp(scroll, 0, std::max(0, nrows - visible));
}

Layout layout(const Screen& s) {
  Layout out;
  if (s.height <= 0) return out;
  for (const auto& l : s.summary) {
    if (static_cast<int>(out.lines.size()) >= s.height) return out;
    out.lines.push_back(cut(l, s.width));
  }
  if (static_cast<int>(out.lines.size()) >= s.height) return out;
  out.lines.push_back(cut(s.message, s.width));
  if (static_cast<int>(out.lines.size()) >= s.height) return out;
  out.header = static_cast<int>(out.lines.size());
  out.lines.push_back(format_header(s.cols, s.width));
  int room = s.height - static_cast<int>(out.lines.size());
  int nrows = static_cast<int>(s.rows.size());
  out.first_row = clamp_scroll(s.scroll, nrows, room);
  for (int i = out.first_row; i < nrows && out.rows_shown < room; ++i, ++out.rows_shown)
    out.lines.push_back(format_row(s.rows[i], s.cols, s.width));
  return out;
}

}  // namespace omx::cli::mtop
