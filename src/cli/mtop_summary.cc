#include "mtop_summary.h"

#include <cstdio>

#include <fmt/format.h>

namespace omx::cli::mtop {
namespace {

constexpr double kMiB = 1024.0;  // KiB per MiB

// The value of "Key:   123 kB" in /proc/meminfo text, or 0.
uint64_t meminfo_value(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    bool at_line_start = pos == 0 || text[pos - 1] == '\n';
    if (at_line_start && pos + key.size() < text.size() && text[pos + key.size()] == ':') {
      unsigned long long v = 0;
      std::string rest(text.substr(pos + key.size() + 1, 40));
      if (std::sscanf(rest.c_str(), "%llu", &v) == 1) return v;
      return 0;
    }
    pos += key.size();
  }
  return 0;
}

std::string format_clock(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string first_line(const SystemSample& s, const ClusterInfo& c) {
  std::string node = c.self ? fmt::format("node {}", c.self) : "node ?";
  return fmt::format("mtop - {} {}, {},  load average: {:.2f}, {:.2f}, {:.2f}", format_clock(s.now),
                     format_uptime(s.uptime_s), node, s.load[0], s.load[1], s.load[2]);
}

std::vector<std::string> mem_lines(const MemInfo& m) {
  uint64_t used = m.total > m.available ? m.total - m.available : 0;
  uint64_t swap_used = m.swap_total > m.swap_free ? m.swap_total - m.swap_free : 0;
  return {
      fmt::format("MiB Mem : {:9.1f} total, {:9.1f} free, {:9.1f} used, {:9.1f} buff/cache",
                  m.total / kMiB, m.free / kMiB, used / kMiB, m.buff_cache / kMiB),
      fmt::format("MiB Swap: {:9.1f} total, {:9.1f} free, {:9.1f} used. {:9.1f} avail Mem",
                  m.swap_total / kMiB, m.swap_free / kMiB, swap_used / kMiB, m.available / kMiB),
  };
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  std::string line(text.substr(0, text.find('\n')));
  unsigned long long v[8] = {};
  int n = std::sscanf(line.c_str(), "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                      &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  if (n < 4) return std::nullopt;
  return CpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

MemInfo parse_meminfo(std::string_view text) {
  MemInfo m;
  m.total = meminfo_value(text, "MemTotal");
  m.free = meminfo_value(text, "MemFree");
  m.available = meminfo_value(text, "MemAvailable");
  m.buff_cache = meminfo_value(text, "Buffers") + meminfo_value(text, "Cached") +
                 meminfo_value(text, "SReclaimable");
  m.swap_total = meminfo_value(text, "SwapTotal");
  m.swap_free = meminfo_value(text, "SwapFree");
  return m;
}

bool parse_loadavg(std::string_view text, double load[3]) {
  std::string s(text.substr(0, 64));
  return std::sscanf(s.c_str(), "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3;
}

TaskCounts count_tasks(const std::vector<Proc>& procs) {
  TaskCounts t;
  for (const auto& p : procs) {
    ++t.total;
    switch (p.state) {
      case 'R': ++t.running; break;
      case 'T': case 't': ++t.stopped; break;
      case 'Z': ++t.zombie; break;
      default: ++t.sleeping; break;  // S D I and anything else
    }
  }
  return t;
}

ClusterInfo parse_nodes_reply(const nlohmann::json& reply) {
  ClusterInfo c;
  if (!reply.is_object() || !reply.value("ok", false)) return c;
  c.answered = true;
  c.self = reply.value("node", 0u);
  if (!reply.contains("nodes") || !reply["nodes"].is_array()) return c;
  for (const auto& j : reply["nodes"]) {
    if (!j.is_object()) continue;
    NodeInfo n;
    n.id = j.value("id", 0u);
    n.up = j.value("state", "") == "up";
    n.self = j.value("self", false) || (c.self && n.id == c.self);
    if (j.contains("load") && j["load"].is_number()) n.load = j["load"].get<int64_t>();
    n.ncpus = j.value("ncpus", 0u);
    n.mem_total = j.value("mem_total", uint64_t{0});
    n.mem_free = j.value("mem_free", uint64_t{0});
    c.nodes.push_back(n);
  }
  return c;
}

std::string format_uptime(double seconds) {
  auto s = static_cast<uint64_t>(seconds);
  uint64_t days = s / 86400, hours = s / 3600 % 24, mins = s / 60 % 60;
  std::string out = "up ";
  if (days) out += fmt::format("{} day{}, ", days, days == 1 ? "" : "s");
  if (hours) out += fmt::format("{:2}:{:02}", hours, mins);
  else out += fmt::format("{} min", mins);
  return out;
}

std::string cpu_line(const CpuTimes& now, const CpuTimes* prev) {
  CpuTimes d = now;
  if (prev) {
    auto sub = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
    d = {sub(now.user, prev->user),       sub(now.nice, prev->nice),     sub(now.system, prev->system),
         sub(now.idle, prev->idle),       sub(now.iowait, prev->iowait), sub(now.irq, prev->irq),
         sub(now.softirq, prev->softirq), sub(now.steal, prev->steal)};
  }
  double total = static_cast<double>(d.total());
  auto pct = [&](uint64_t v) { return total > 0 ? static_cast<double>(v) * 100.0 / total : 0.0; };
  if (total <= 0) d.idle = 1, total = 1;
  return fmt::format("%Cpu(s): {:4.1f} us, {:4.1f} sy, {:4.1f} ni, {:4.1f} id, {:4.1f} wa, {:4.1f} hi, "
                     "{:4.1f} si, {:4.1f} st",
                     pct(d.user), pct(d.system), pct(d.nice), pct(d.idle), pct(d.iowait), pct(d.irq),
                     pct(d.softirq), pct(d.steal));
}

std::string cluster_line(const ClusterInfo& c) {
  if (!c.answered) return "Cluster: omxd does not answer (this node only)";
  int up = 0, cpus = 0;
  int64_t load = 0;
  uint64_t mem_total = 0, mem_free = 0;
  std::string per_node;
  for (const auto& n : c.nodes) {
    if (!n.up) continue;
    ++up;
    cpus += static_cast<int>(n.ncpus);
    mem_total += n.mem_total;
    mem_free += n.mem_free;
    if (!n.load) continue;
    load += *n.load;
    per_node += fmt::format("{}{}: {:.2f}", per_node.empty() ? "" : ", ", n.id, *n.load / 100.0);
  }
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  return fmt::format("Cluster: {} of {} nodes up, {} CPUs, load {:.2f} ({}), {:.1f} of {:.1f} GiB free",
                     up, c.nodes.size(), cpus, load / 100.0, per_node, mem_free / kGiB,
                     mem_total / kGiB);
}

std::vector<std::string> summary_lines(const SystemSample& now, const SystemSample* prev,
                                       const TaskCounts& tasks, const ClusterInfo& cluster) {
  std::vector<std::string> lines;
  lines.push_back(first_line(now, cluster));
  lines.push_back(fmt::format("Tasks: {:3} total, {:3} running, {:3} sleeping, {:3} stopped, {:3} zombie",
                              tasks.total, tasks.running, tasks.sleeping, tasks.stopped, tasks.zombie));
  lines.push_back(cpu_line(now.cpu, prev ? &prev->cpu : nullptr));
  for (auto& l : mem_lines(now.mem)) lines.push_back(std::move(l));
  lines.push_back(cluster_line(cluster));
  return lines;
}

}  // namespace omx::cli::mtop
