// NodeSettings: this node's policy switches, as mosctl sets them (reference §1.1):
//   stay   no automatic migration out of this node      lstay  local processes stay (guests may go)
//   block  no guests arrive                             quiet  no load information sent to others
//   nomfs  this node's files not served through /mfs    speed  an override of the measured speed
// SettingsStore keeps them in the daemon's state directory (settings.json, written atomically:
// temp file + rename) so they survive a restart, and serves the control ops
//   {"op":"settings"}                  -> {"ok":true,"stay":false,...,"speed":null}
//   {"op":"set","block":true,...}      -> the new settings (root only; unknown keys refused)
// Listeners hear every change (the balancer, gossip and guest acceptor read them).
//
// Threading: omxd's event loop.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "daemon/control_server.h"

namespace omx::daemon {

struct NodeSettings {
  bool stay = false;
  bool lstay = false;
  bool block = false;
  bool quiet = false;
  bool nomfs = false;
  std::optional<uint32_t> speed;  // mosctl setspeed; empty: the measured speed
  bool operator==(const NodeSettings&) const = default;
};

nlohmann::json settings_json(const NodeSettings& s);
// Applies the keys of `changes` (a subset of settings_json's) to `s`; kInvalid names a bad key
// or value and leaves `s` unchanged.
Status apply_settings(NodeSettings& s, const nlohmann::json& changes);

class SettingsStore {
 public:
  using Listener = std::function<void(const NodeSettings&)>;

  // dir_fd: the state directory (-1: none, settings then live in memory only).
  Status load(int dir_fd);
  const NodeSettings& get() const { return settings_; }
  Status update(const nlohmann::json& changes);
  void on_change(Listener f) { listeners_.push_back(std::move(f)); }
  void add_ops(ControlServer& server);

 private:
  Status save() const;

  int dir_fd_ = -1;
  NodeSettings settings_;
  std::vector<Listener> listeners_;
};

}  // namespace omx::daemon
