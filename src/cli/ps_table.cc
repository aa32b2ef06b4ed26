#include "ps_table.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace omx::cli {
namespace {

using procinfo::ProcRow;

std::string node_text(uint32_t n) { return n ? std::to_string(n) : "-"; }

Column col(std::string h, bool left, std::function<std::string(const ProcRow&)> f) {
  return Column{std::move(h), left, std::move(f)};
}

std::vector<Column> ominfo_columns() {
  return {col("HOME", false, [](const ProcRow& r) { return r.migratable ? node_text(r.home) : "-"; }),
          col("LOCK", false, [](const ProcRow& r) { return r.migratable ? (r.lock ? "1" : "0") : "-"; }),
          col("NMIGS", false, [](const ProcRow& r) { return r.migratable ? std::to_string(r.nmigs) : "-"; }),
          col("CANTMOVE", true, [](const ProcRow& r) {
            if (!r.migratable) return std::string("-");
            return r.cantmove.empty() ? std::string("-") : r.cantmove;
          })};
}

// Compares a and b by one key: <0, 0, >0.
int compare_by(const ProcRow& a, const ProcRow& b, const std::string& k) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (k == "pid") return cmp(a.pid, b.pid);
  if (k == "ppid") return cmp(a.ppid, b.ppid);
  if (k == "uid") return cmp(a.uid, b.uid);
  if (k == "user") return cmp(a.user, b.user);
  if (k == "tty") return cmp(a.tty, b.tty);
  if (k == "stat") return cmp(a.stat, b.stat);
  if (k == "nice") return cmp(a.nice, b.nice);
  if (k == "time") return cmp(a.cpu_s, b.cpu_s);
  if (k == "pcpu") return cmp(a.pcpu, b.pcpu);
  if (k == "rss") return cmp(a.rss_kib, b.rss_kib);
  if (k == "vsz") return cmp(a.vsz_kib, b.vsz_kib);
  if (k == "start") return cmp(a.start_time, b.start_time);
  if (k == "comm") return cmp(a.comm, b.comm);
  if (k == "cmd") return cmp(a.cmdline, b.cmdline);
  if (k == "node") return cmp(a.where, b.where);
  if (k == "home") return cmp(a.home, b.home);
  if (k == "nmigs") return cmp(a.nmigs, b.nmigs);
  if (k == "lock") return cmp(a.lock, b.lock);
  return 0;
}

}  // namespace

std::string human_kib(uint64_t kib) {
  if (kib < 1024) return fmt::format("{}K", kib);
  if (kib < 1024 * 1024) return fmt::format("{:.1f}M", static_cast<double>(kib) / 1024);
  return fmt::format("{:.1f}G", static_cast<double>(kib) / (1024 * 1024));
}

std::string format_start(int64_t start, int64_t now) {
  time_t t = static_cast<time_t>(start);
  tm lt{};
  localtime_r(&t, &lt);
  char buf[16];
  std::strftime(buf, sizeof buf, now - start < 24 * 3600 ? "%H:%M" : "%b %d", &lt);
  return buf;
}

std::vector<Column> omx_ps_columns() {
  std::vector<Column> c = {
      col("PID", false, [](const ProcRow& r) { return std::to_string(r.pid); }),
      col("HOME", false, [](const ProcRow& r) { return node_text(r.home); }),
      col("HPID", false, [](const ProcRow& r) { return std::to_string(r.home_pid); }),
      col("WHERE", false, [](const ProcRow& r) { return node_text(r.where); }),
      col("LOCK", false, [](const ProcRow& r) { return r.lock ? "1" : "0"; }),
      col("NMIGS", false, [](const ProcRow& r) { return r.guest ? "-" : std::to_string(r.nmigs); }),
      col("CANTMOVE", true, [](const ProcRow& r) { return r.cantmove.empty() ? "-" : r.cantmove; }),
      col("CPU", false, [](const ProcRow& r) { return procinfo::format_cpu_time(r.cpu_s); }),
      col("MEM", false, [](const ProcRow& r) { return human_kib(r.rss_kib); }),
      col("COMMAND", true, [](const ProcRow& r) { return r.cmdline; })};
  return c;
}

std::vector<Column> mps_columns(const MpsOptions& o, uint64_t mem_total_kib) {
  auto pid = col("PID", false, [](const ProcRow& r) { return std::to_string(r.pid); });
  auto tty = col("TTY", true, [](const ProcRow& r) { return r.tty; });
  auto node = col("NODE", false, [](const ProcRow& r) { return node_text(r.where); });
  auto stat = col("STAT", true, [](const ProcRow& r) { return r.stat; });
  auto time = col("TIME", false, [](const ProcRow& r) { return procinfo::format_cpu_time(r.cpu_s); });
  auto vsz = col("VSZ", false, [](const ProcRow& r) { return std::to_string(r.vsz_kib); });
  auto rss = col("RSS", false, [](const ProcRow& r) { return std::to_string(r.rss_kib); });
  bool numeric = o.numeric, name_only = o.command_name;
  std::vector<Column> c;
  if (o.user_format) {
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    c = {col("USER", true, [numeric](const ProcRow& r) { return numeric ? std::to_string(r.uid) : r.user; }),
         pid,
         col("%CPU", false, [](const ProcRow& r) { return fmt::format("{:.1f}", r.pcpu); }),
         col("%MEM", false, [mem_total_kib](const ProcRow& r) {
           double m = mem_total_kib ? 100.0 * static_cast<double>(r.rss_kib) / static_cast<double>(mem_total_kib) : 0;
           return fmt::format("{:.1f}", m);
         }),
         vsz, rss, tty, node, stat,
         col("START", false, [now](const ProcRow& r) { return format_start(r.start_time, now); }),
         time};
  } else if (o.long_format) {
    c = {col("UID", false, [](const ProcRow& r) { return std::to_string(r.uid); }), pid,
         col("PPID", false, [](const ProcRow& r) { return std::to_string(r.ppid); }),
         col("PRI", false, [](const ProcRow& r) { return std::to_string(r.priority); }),
         col("NI", false, [](const ProcRow& r) { return std::to_string(r.nice); }),
         vsz, rss, stat, tty, node, time};
  } else {
    c = {pid, tty, node, stat, time};
  }
  if (o.ominfo)
    for (Column& x : ominfo_columns()) c.push_back(std::move(x));
  c.push_back(col("COMMAND", true, [name_only](const ProcRow& r) { return name_only ? r.comm : r.cmdline; }));
  return c;
}

bool select_row(const ProcRow& r, const MpsOptions& o, uid_t me) {
  if (o.running && r.state != 'R') return false;
  if (!o.pids.empty()) return std::find(o.pids.begin(), o.pids.end(), r.pid) != o.pids.end();
  if (!o.all_users && r.uid != me) return false;
  if (!o.no_tty && r.tty_nr == 0) return false;
  return true;
}

void sort_rows(std::vector<ProcRow>& rows, const std::vector<SortKey>& keys) {
  std::stable_sort(rows.begin(), rows.end(), [&](const ProcRow& a, const ProcRow& b) {
    for (const SortKey& k : keys) {
      int c = compare_by(a, b, k.key);
      if (c != 0) return k.descending ? c > 0 : c < 0;
    }
    return a.pid < b.pid;
  });
}

std::string render_table(const std::vector<Column>& cols, const std::vector<ProcRow>& rows,
                         bool header, size_t width) {
  std::vector<std::vector<std::string>> cells;
  if (header) {
    cells.emplace_back();
    for (const Column& c : cols) cells.back().push_back(c.header);
  }
  for (const ProcRow& r : rows) {
    cells.emplace_back();
    for (const Column& c : cols) cells.back().push_back(c.value(r));
  }
  std::vector<size_t> w(cols.size(), 0);
  for (const auto& line : cells)
    for (size_t i = 0; i + 1 < cols.size(); ++i) w[i] = std::max(w[i], line[i].size());
  std::string out;
  for (const auto& line : cells) {
    std::string s;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) s += ' ';
      if (i + 1 == cols.size()) s += line[i];
      else if (cols[i].left) s += fmt::format("{:<{}}", line[i], w[i]);
      else s += fmt::format("{:>{}}", line[i], w[i]);
    }
    if (width && s.size() > width) s.resize(width);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out += s + '\n';
  }
  return out;
}

}  // namespace omx::cli
