#include "daemon/mfs_context.h"

#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

using json = nlohmann::json;

uint64_t now_ticks() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<uint64_t>(ts.tv_sec) * hz + static_cast<uint64_t>(ts.tv_nsec) * hz / 1000000000;
}

// ppid and start time from /proc/PID/stat (fields 4 and 22; comm may hold spaces).
bool read_stat(pid_t pid, ProcFacts& f) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && (rest >> field); ++i) {
    if (i == 4) f.ppid = static_cast<pid_t>(std::stol(field));
    if (i == 22) {
      f.start = std::stoull(field);
      return true;
    }
  }
  return false;
}

bool read_status(pid_t pid, ProcFacts& f) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  bool tgid = false, uid = false;
  while (std::getline(in, line)) {
    if (line.rfind("Tgid:", 0) == 0) f.tgid = static_cast<pid_t>(std::stol(line.substr(5))), tgid = true;
    if (line.rfind("Uid:", 0) == 0) f.uid = static_cast<uid_t>(std::stoul(line.substr(4))), uid = true;
  }
  return tgid && uid;
}

}  // namespace

std::optional<ProcFacts> proc_facts(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  ProcFacts f;
  try {
    if (!read_status(pid, f) || !read_stat(f.tgid, f)) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return f;
}

void MfsContext::add_ops(ControlServer& server) {
  server.add_op("mfs_whois", [this](const ControlRequest& r) {
    auto pid = r.body.find("pid");
    if (pid == r.body.end() || !pid->is_number_integer()) return error_reply("mfs_whois needs \"pid\"");
    auto w = whois(pid->get<pid_t>());
    if (!w.ok()) return error_reply(w.error().message());
    return ok_reply({{"here", w->here}, {"home", w->home}, {"lastexec", w->lastexec},
                     {"selected", w->selected}, {"magic", w->magic}});
  });
  server.add_op("select", [this](const ControlRequest& r) {
    auto pid = r.body.find("pid");
    auto node = r.body.find("node");
    if (pid == r.body.end() || !pid->is_number_integer() || node == r.body.end() ||
        !node->is_number_unsigned())
      return error_reply("select needs \"pid\" and \"node\"");
    auto st = select(pid->get<pid_t>(), node->get<uint32_t>(), r.caller);
    if (!st.ok()) return error_reply(st.error().message());
    return ok_reply();
  });
  server.add_op("mfs_magic", [this](const ControlRequest& r) {
    auto st = set_magic(r.body.value("pid", 0), r.body.value("node", 0u), r.caller);
    return st.ok() ? ok_reply() : error_reply(st.error().message());
  });
}

Result<MfsWhois> MfsContext::whois(pid_t pid) {
  auto f = proc_facts(pid);
  if (!f) return make_error(ErrorCode::kVanished, fmt::format("no process {}", pid));
  MfsWhois w{self_, self_, self_, 0, 0};
  if (auto body = registry_.find_body(f->tgid)) {
    w.home = body->home;
  } else if (auto away = registry_.away_node(f->tgid)) {
    w.here = *away;
  }
  w.lastexec = w.home;
  w.magic = w.here;
  if (auto it = magic_.find(f->tgid); it != magic_.end() && it->second.start == f->start)
    w.magic = it->second.node;
  w.selected = selected_for(*f).value_or(w.home);
  return w;
}

std::optional<uint32_t> MfsContext::selected_for(const ProcFacts& caller) {
  ProcFacts cur = caller;
  uint64_t child_start = 0;  // start time of the previous process on the chain (0: none yet)
  for (int depth = 0; depth < 256 && cur.tgid > 0; ++depth) {
    auto it = selections_.find(cur.tgid);
    if (it != selections_.end() && it->second.start == cur.start &&
        (depth == 0 || it->second.set_at < child_start))
      return it->second.node == 0 ? std::nullopt : std::optional<uint32_t>(it->second.node);
    if (cur.ppid <= 0) break;
    child_start = cur.start;
    auto parent = proc_facts(cur.ppid);
    if (!parent) break;
    cur = *parent;
  }
  return std::nullopt;
}

Status MfsContext::select(pid_t pid, uint32_t node, const Caller& caller) {
  auto f = proc_facts(pid);
  if (!f) return make_error(ErrorCode::kVanished, fmt::format("no process {}", pid));
  if (caller.uid != 0 && caller.uid != f->uid)
    return make_error(ErrorCode::kRefused,
                      fmt::format("process {} belongs to uid {}: only it or root may select", pid, f->uid));
  if (selections_.size() >= kMaxSelections) prune();
  if (selections_.size() >= kMaxSelections && !selections_.count(f->tgid))
    return make_error(ErrorCode::kInvalid, "too many selections");
  selections_[f->tgid] = Selection{node, f->start, now_ticks()};
  return ok_status();
}

Status MfsContext::set_magic(pid_t pid, uint32_t node, const Caller& caller) {
  if (caller.uid != 0) return make_error(ErrorCode::kRefused, "mfs_magic: only the /mfs client (root)");
  auto f = proc_facts(pid);
  if (!f || node == 0) return make_error(ErrorCode::kInvalid, "mfs_magic needs a live pid and a node");
  if (magic_.size() >= kMaxSelections) prune();
  if (magic_.size() >= kMaxSelections && !magic_.count(f->tgid))
    return make_error(ErrorCode::kInvalid, "too many magic entries");
  magic_[f->tgid] = Selection{node, f->start, 0};
  return ok_status();
}

void MfsContext::prune() {
  auto stale = [](const auto& e) {
    auto f = proc_facts(e.first);
    return !f || f->start != e.second.start;
  };
  std::erase_if(selections_, stale);
  std::erase_if(magic_, stale);
}

}  // namespace omx::daemon
