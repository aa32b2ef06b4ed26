#include "history_view.h"

#include <cctype>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "procinfo/proc_row.h"
#include "ps_table.h"

namespace omx::cli {
namespace {

using nlohmann::json;

Error bad_time(const std::string& text) {
  return make_error(ErrorCode::kInvalid,
                    fmt::format("bad time '{}': want epoch ms, now, -10m/-2h/-1d (ago), or "
                                "2026-11-21T22:00:00 (local; Z for UTC)", text));
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "-10m" -> 600000: a number and one of ms, s, m, h, d, w.
std::optional<int64_t> parse_ago(const std::string& s) {
  size_t i = 1;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 1 || i - 1 > 12) return std::nullopt;
  int64_t n = std::stoll(s.substr(1, i - 1));
  std::string unit = s.substr(i);
  int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000
                : unit == "d" ? 86'400'000 : unit == "w" ? 604'800'000 : 0;
  if (!scale) return std::nullopt;
  return n * scale;
}

std::optional<int64_t> parse_iso(std::string s) {
  bool utc = !s.empty() && (s.back() == 'Z' || s.back() == 'z');
  if (utc) s.pop_back();
  for (char& c : s)
    if (c == 'T' || c == 't') c = ' ';
  tm tm{};
  const char* end = nullptr;
  for (const char* f : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    tm = {};
    end = ::strptime(s.c_str(), f, &tm);
    if (end && *end == '\0') break;
    end = nullptr;
  }
  if (!end) return std::nullopt;
  tm.tm_isdst = -1;
  time_t t = utc ? ::timegm(&tm) : std::mktime(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(t) * 1000;
}

std::string opt_num(const json& v, int decimals = 0) {
  if (!v.is_number()) return "-";
  return fmt::format("{:.{}f}", v.get<double>(), decimals);
}

// "load mem" cells of series `s` at bucket b: {load, mem%}.
std::pair<std::string, std::string> cells(const json& s, size_t b) {
  const json& up = s["up"][b];
  if (up.is_null()) return {"-", "-"};
  if (up.get<double>() == 0) return {"down", ""};
  const json& used = s["mem_used"][b];
  const json& total = s["mem_total"][b];
  std::string mem = "-";
  if (used.is_number() && total.is_number() && total.get<double>() > 0)
    mem = fmt::format("{:.0f}%", 100.0 * used.get<double>() / total.get<double>());
  return {opt_num(s["load"][b]), mem};
}

std::string step_text(int64_t ms) {
  if (ms % 86'400'000 == 0) return fmt::format("{}d", ms / 86'400'000);
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

procinfo::ProcRow row_of(const json& p) {
  procinfo::ProcRow r;
  r.pid = p.value("pid", 0);
  r.home = p.value("home", 0u);
  r.home_pid = p.value("home_pid", 0);
  r.where = p.value("where", 0u);
  r.uid = p.value("uid", 0u);
  r.user = p.value("user", std::string(p.contains("uid") ? std::to_string(r.uid) : "-"));
  r.lock = p.value("lock", false);
  r.nmigs = p.value("nmigs", uint64_t{0});
  r.cantmove = p.value("cantmove", std::string());
  r.guest = p.value("guest", false);
  r.cpu_s = p.value("cpu_s", 0.0);
  r.rss_kib = p.value("rss_kib", uint64_t{0});
  r.comm = p.value("comm", std::string());
  r.cmdline = p.value("cmdline", std::string());
  if (r.cmdline.empty()) r.cmdline = r.comm;
  return r;
}

std::string node_text(uint32_t n) { return n ? std::to_string(n) : "-"; }

}  // namespace

Result<int64_t> parse_time_arg(const std::string& text, int64_t now_ms) {
  if (text == "now") return now_ms;
  if (all_digits(text)) {
    if (text.size() > 15) return bad_time(text);
    return std::stoll(text);
  }
  if (text.size() > 1 && text[0] == '-') {
    auto ago = parse_ago(text);
    if (!ago) return bad_time(text);
    return now_ms - *ago;
  }
  auto iso = parse_iso(text);
  if (!iso) return bad_time(text);
  return *iso;
}

std::string format_time_ms(int64_t t_ms) {
  time_t t = static_cast<time_t>(t_ms >= 0 ? t_ms / 1000 : (t_ms - 999) / 1000);
  tm lt{};
  localtime_r(&t, &lt);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &lt);
  int64_t ms = ((t_ms % 1000) + 1000) % 1000;
  return ms ? fmt::format("{}.{:03}", buf, ms) : std::string(buf);
}

std::string render_load_table(const json& h) {
  std::vector<const json*> series = {&h["cluster"]};
  std::vector<std::string> names = {"cluster"};
  for (const json& n : h["nodes"]) {
    series.push_back(&n);
    names.push_back(fmt::format("node {}", n.value("node", 0)));
  }
  std::string out = fmt::format("{} .. {}, one row per {} (load: 100 = one standard CPU; mem: % used)\n",
                                format_time_ms(h["from"]), format_time_ms(h["to"]),
                                step_text(h["step_ms"]));
  constexpr int kTimeW = 19, kCellW = 13;
  out += fmt::format("{:<{}}", "", kTimeW);
  for (const auto& n : names) out += fmt::format(" {:>{}}", n, kCellW);
  out += fmt::format("\n{:<{}}", "TIME", kTimeW);
  for (size_t i = 0; i < names.size(); ++i) out += fmt::format(" {:>7} {:>5}", "LOAD", "MEM");
  out += '\n';
  const json& times = h["cluster"]["t"];
  for (size_t b = 0; b < times.size(); ++b) {
    std::string line = fmt::format("{:<{}}", format_time_ms(times[b]), kTimeW);
    for (const json* s : series) {
      auto [load, mem] = cells(*s, b);
      line += fmt::format(" {:>7} {:>5}", load, mem);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  if (h.contains("marks") && !h["marks"].empty()) {
    out += "marks:\n";
    for (const json& m : h["marks"])
      out += fmt::format("  {}  {}\n", format_time_ms(m["t"]), m.value("label", std::string()));
  }
  return out;
}

std::string render_process_table(const json& p, size_t width) {
  std::vector<procinfo::ProcRow> rows;
  std::vector<uint32_t> listed_by;  // each row's NODE (the node that listed it)
  for (const json& x : p["processes"]) {
    rows.push_back(row_of(x));
    listed_by.push_back(x.value("node", 0u));
  }
  const procinfo::ProcRow* base = rows.data();
  auto col = [](std::string h, bool left, std::function<std::string(const procinfo::ProcRow&)> f) {
    return Column{std::move(h), left, std::move(f)};
  };
  std::vector<Column> cols = {
      col("NODE", false, [&](const procinfo::ProcRow& r) { return node_text(listed_by[&r - base]); }),
      col("PID", false, [](const procinfo::ProcRow& r) { return std::to_string(r.pid); }),
      col("HOME", false, [](const procinfo::ProcRow& r) { return node_text(r.home); }),
      col("HPID", false, [](const procinfo::ProcRow& r) { return std::to_string(r.home_pid); }),
      col("WHERE", false, [](const procinfo::ProcRow& r) { return node_text(r.where); }),
      col("USER", true, [](const procinfo::ProcRow& r) { return r.user; }),
      col("LOCK", false, [](const procinfo::ProcRow& r) { return r.lock ? "1" : "0"; }),
      col("NMIGS", false, [](const procinfo::ProcRow& r) { return r.guest ? "-" : std::to_string(r.nmigs); }),
      col("CANTMOVE", true, [](const procinfo::ProcRow& r) { return r.cantmove.empty() ? "-" : r.cantmove; }),
      col("CPU", false, [](const procinfo::ProcRow& r) { return procinfo::format_cpu_time(r.cpu_s); }),
      col("MEM", false, [](const procinfo::ProcRow& r) { return human_kib(r.rss_kib); }),
      col("COMMAND", true, [](const procinfo::ProcRow& r) { return r.cmdline; })};
  std::string out = render_table(cols, rows, true, width);
  if (p.contains("errors"))
    for (const json& e : p["errors"])
      out += fmt::format("node {} did not answer: {}\n", e.value("node", 0), e.value("error", std::string("?")));
  return out;
}

}  // namespace omx::cli
