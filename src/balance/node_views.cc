#include "balance/node_views.h"

namespace omx::balance {

std::vector<NodeView> node_views(const nlohmann::json& reply) {
  std::vector<NodeView> out;
  for (const auto& n : reply.value("nodes", nlohmann::json::array())) {
    NodeView v;
    v.id = n.value("id", 0u);
    v.up = n.value("state", std::string()) == "up" && n.contains("load");
    v.load = n.value("load_now", n.value("load", 0u));  // this node: its own, current view
    v.speed = n.value("speed", kStdSpeed);
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

}  // namespace omx::balance
