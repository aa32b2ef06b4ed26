// `omx status`'s summary as pure functions (status_summary.h).
#include "status_summary.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace omx::cli {
namespace {

using nlohmann::json;

constexpr uint64_t kMiB = 1024 * 1024;

uint64_t num(const json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number()) return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

StatusNode node_of(const json& j) {
  StatusNode n;
  n.id = static_cast<uint32_t>(num(j, "id"));
  n.up = j.value("state", std::string()) == "up";
  n.self = j.value("self", false);
  n.load = num(j, "load");
  n.speed = num(j, "speed");
  n.ncpus = num(j, "ncpus");
  n.mem_total = num(j, "mem_total");
  n.mem_used = j.contains("mem_used") ? num(j, "mem_used") : n.mem_total - std::min(n.mem_total, num(j, "mem_free"));
  n.guests = num(j, "guests");
  n.local_procs = num(j, "local_procs");
  n.migrations_1m = num(j, "migrations_1m");
  json st = j.value("status", json::object());
  n.stay = st.value("stay", false);
  n.lstay = st.value("lstay", false);
  n.block = st.value("block", false);
  n.quiet = st.value("quiet", false);
  return n;
}

std::string ids(const std::vector<uint32_t>& v) {
  if (v.empty()) return "none";
  std::string out;
  for (uint32_t id : v) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

template <class Pred>
std::vector<uint32_t> which(const StatusSummary& s, Pred pred) {
  std::vector<uint32_t> out;
  for (const auto& n : s.nodes)
    if (n.up && pred(n)) out.push_back(n.id);
  return out;
}

std::string mib(uint64_t bytes) { return std::to_string(bytes / kMiB); }

const char* yn(bool b) { return b ? "yes" : "no"; }

}  // namespace

StatusSummary make_status_summary(const json& nodes_reply, const json& settings) {
  StatusSummary s;
  s.self = static_cast<uint32_t>(num(nodes_reply, "node"));
  for (const auto& j : nodes_reply.value("nodes", json::array())) s.nodes.push_back(node_of(j));
  std::sort(s.nodes.begin(), s.nodes.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& n : s.nodes) {
    (n.up ? s.up : s.down).push_back(n.id);
    s.migrations_1m += n.migrations_1m;
    if (n.self) s.stay = n.stay, s.lstay = n.lstay, s.block = n.block, s.quiet = n.quiet;
    if (!n.up) continue;
    s.load += n.load;
    s.ncpus += n.ncpus;
    s.mem_used += n.mem_used;
    s.mem_total += n.mem_total;
    s.guests += n.guests;
    s.local_procs += n.local_procs;
  }
  if (settings.is_object() && settings.contains("stay")) {
    s.stay = settings.value("stay", false);
    s.lstay = settings.value("lstay", false);
    s.block = settings.value("block", false);
    s.quiet = settings.value("quiet", false);
  }
  return s;
}

json status_json(const StatusSummary& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes)
    nodes.push_back({{"id", n.id}, {"state", n.up ? "up" : "down"}, {"self", n.self}, {"load", n.load},
                     {"speed", n.speed}, {"ncpus", n.ncpus}, {"mem_used", n.mem_used},
                     {"mem_total", n.mem_total}, {"guests", n.guests}, {"local_procs", n.local_procs},
                     {"migrations_1m", n.migrations_1m},
                     {"status", {{"stay", n.stay}, {"lstay", n.lstay}, {"block", n.block}, {"quiet", n.quiet}}}});
  return {{"node", s.self},
          {"up", s.up},
          {"down", s.down},
          {"nodes", std::move(nodes)},
          {"totals", {{"load", s.load}, {"ncpus", s.ncpus}, {"mem_used", s.mem_used}, {"mem_total", s.mem_total},
                      {"guests", s.guests}, {"local_procs", s.local_procs}}},
          {"migrations_1m", s.migrations_1m},
          {"balancer", {{"this_node", {{"stay", s.stay}, {"lstay", s.lstay}, {"block", s.block}, {"quiet", s.quiet}}},
                        {"blocking", which(s, [](auto& n) { return n.block; })},
                        {"staying", which(s, [](auto& n) { return n.stay; })},
                        {"lstaying", which(s, [](auto& n) { return n.lstay; })},
                        {"quiet", which(s, [](auto& n) { return n.quiet; })}}}};
}

std::string status_text(const StatusSummary& s) {
  std::string out = fmt::format("cluster seen from node {}: {} up ({}), {} down ({})\n", s.self, s.up.size(),
                                ids(s.up), s.down.size(), ids(s.down));
  out += fmt::format("{:>6} {:<5} {:>6} {:>6} {:>4} {:>21} {:>6} {:>6} {:>5}\n", "node", "state", "load",
                     "speed", "cpus", "memory MiB used/total", "guests", "local", "mig1m");
  for (const auto& n : s.nodes) {
    std::string mem = n.up ? mib(n.mem_used) + "/" + mib(n.mem_total) : "-";
    out += fmt::format("{:>5}{} {:<5} {:>6} {:>6} {:>4} {:>21} {:>6} {:>6} {:>5}\n", n.id, n.self ? "*" : " ",
                       n.up ? "up" : "down", n.load, n.speed, n.ncpus, mem, n.guests, n.local_procs,
                       n.migrations_1m);
  }
  out += fmt::format("{:>6} {:<5} {:>6} {:>6} {:>4} {:>21} {:>6} {:>6} {:>5}\n", "total", "", s.load, "",
                     s.ncpus, mib(s.mem_used) + "/" + mib(s.mem_total), s.guests, s.local_procs,
                     s.migrations_1m);
  out += fmt::format("migrations in the last minute: {}\n", s.migrations_1m);
  out += fmt::format("balancer on node {}: stay {}, lstay {}, block {}, quiet {}\n", s.self, yn(s.stay),
                     yn(s.lstay), yn(s.block), yn(s.quiet));
  out += fmt::format("nodes blocking guests: {}; staying: {}; lstaying: {}; quiet: {}\n",
                     ids(which(s, [](auto& n) { return n.block; })), ids(which(s, [](auto& n) { return n.stay; })),
                     ids(which(s, [](auto& n) { return n.lstay; })), ids(which(s, [](auto& n) { return n.quiet; })));
  return out;
}

std::string no_omxd(const std::string& address, const Error& e) {
  std::string why = e.err ? std::strerror(e.err) : e.message();
  return fmt::format("no omxd on this node: start it with `omxd` (or `systemctl start omxd`); {}: {}", address, why);
}

}  // namespace omx::cli
