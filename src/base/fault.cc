#include "base/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "base/log.h"

namespace omx::fault {
namespace {

struct Armed {
  int fire_at = 1;
  int hits = 0;
};

std::mutex g_mu;
std::map<std::string, Armed, std::less<>>* g_points = nullptr;

void load_locked() {
  if (g_points) return;
  g_points = new std::map<std::string, Armed, std::less<>>();
  const char* env = std::getenv("OMX_FAULT");
  if (!env) return;
  std::string_view spec(env);
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    Armed a;
    auto at = item.find('@');
    if (at != std::string_view::npos) {
      a.fire_at = std::atoi(std::string(item.substr(at + 1)).c_str());
      item = item.substr(0, at);
    }
    if (!item.empty()) (*g_points)[std::string(item)] = a;
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
}

}  // namespace

bool hit(std::string_view name) {
  std::lock_guard<std::mutex> lock(g_mu);
  load_locked();
  auto it = g_points->find(name);
  if (it == g_points->end()) return false;
  if (++it->second.hits != it->second.fire_at) return false;
  log::get("fault")->warn("fault point '{}' fired (pid {})", name, getpid());
  return true;
}

Status check(std::string_view name) {
  if (hit(name)) return make_error(ErrorCode::kFault, "fault point " + std::string(name));
  return ok_status();
}

void hit_or_die(std::string_view name) {
  if (hit(name)) ::kill(getpid(), SIGKILL);
}

}  // namespace omx::fault
