#include "migrate/balance_inputs.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace omx::migrate {

std::vector<balance::NodeView> node_views(const nlohmann::json& reply) {
  std::vector<balance::NodeView> out;
  for (const auto& n : reply.value("nodes", nlohmann::json::array())) {
    balance::NodeView v;
    v.id = n.value("id", 0u);
    v.up = n.value("state", std::string()) == "up" && n.contains("load");
    v.load = n.value("load_now", n.value("load", 0u));  // this node: its own, current view
    v.speed = n.value("speed", balance::kStdSpeed);
    v.cpus = n.value("ncpus", uint16_t{1});
    v.mem_free = n.value("mem_free", uint64_t{0});
    v.mem_total = n.value("mem_total", uint64_t{0});
    auto st = n.value("status", nlohmann::json::object());
    v.stay = st.value("stay", false);
    v.lstay = st.value("lstay", false);
    v.block = st.value("block", false);
    v.quiet = st.value("quiet", false);
    out.push_back(v);
  }
  return out;
}

std::optional<balance::ProcView> proc_view(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream f(text.substr(paren + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && f >> field; ++i) {  // fields 14 and 15: utime, stime (in ticks)
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  std::ifstream statm(fmt::format("/proc/{}/statm", pid));
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  balance::ProcView v;
  v.pid = pid;
  v.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  v.rss = resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return v;
}

}  // namespace omx::migrate
