#include "migrate/balance_inputs.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "daemon/control_client.h"

namespace omx::migrate {

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

bool claim_target(const std::string& control, const std::vector<balance::NodeView>& nodes,
                  balance::NodeId self, balance::NodeId to) {
  // One process, in each node's normalised units; and the load the decision saw on `to`.
  int64_t seen = 0;
  for (const balance::NodeView& n : nodes)
    if (n.id == to) seen = n.load;
  auto claimed = daemon::control_request({{"op", "claim"},
                                          {"to", to},
                                          {"load", balance::one_process_load(nodes, to)},
                                          {"self_load", balance::one_process_load(nodes, self)},
                                          {"seen", seen}},
                                         control, std::chrono::milliseconds(500));
  return claimed.ok() && claimed->value("ok", false);
}

}  // namespace omx::migrate
