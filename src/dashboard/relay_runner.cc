// The production NodeRunner (node_runner.h): run_as on this node, relay_run through the other
// node's omxd elsewhere. The cluster key for relay_run comes from omxd's op "key" (root only:
// the dashboard runs as root) once, on the first remote call.
#include <memory>
#include <mutex>
#include <optional>

#include "dashboard/node_runner.h"
#include "relay/client.h"
#include "relay/run_as.h"

namespace omx::dashboard {

NodeRunner relay_runner(std::string control, uint32_t self_node) {
  struct KeyCache {
    std::mutex mu;
    std::optional<wire::Key> key;
  };
  auto cache = std::make_shared<KeyCache>();
  return [control = std::move(control), self_node, cache](
             const Target& t, const User& u, const std::vector<std::string>& argv,
             std::chrono::milliseconds timeout) -> Result<CommandResult> {
    relay::RunAs as{u.uid, u.gid};
    Result<relay::RunResult> r = [&]() -> Result<relay::RunResult> {
      if (t.self) return relay::run_as(as, argv, timeout);
      wire::Key key;
      {
        std::lock_guard lock(cache->mu);
        if (!cache->key) {
          OMX_ASSIGN(wire::Key k, relay::cluster_key(control));
          cache->key = k;
        }
        key = *cache->key;
      }
      return relay::relay_run(t.addr, t.port, key, as, argv, timeout, self_node);
    }();
    if (!r.ok()) return r.error();
    return CommandResult{r->exit_code, std::move(r->out), std::move(r->err), r->timed_out};
  };
}

}  // namespace omx::dashboard
