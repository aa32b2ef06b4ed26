// What the home supervisor needs from its surroundings: the node table and its own node id
// (asked of the local omxd), authenticated channels to other nodes, and a small JSON-lines
// control socket of its own (one request per connection, used by `omx migrate`/`omx where`).
//
// Channels are authenticated with the cluster key, which only root can read. So omxd makes the
// handshake and hands over the connected socket and the session keys (channel_broker.h); the
// guest runs the process as the caller the kernel names to omxd. A root process may instead
// hold the key itself ($OMX_KEY names the key file) and connect directly.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "migrate/protocol.h"
#include "wire/channel.h"

namespace omx::migrate {

class NodeDirectory {
 public:
  // control_address "" = the default one (daemon/control_address.h).
  Status load(const std::string& control_address);
  const std::string& control_address() const { return control_; }  // resolved
  uint32_t home() const { return home_; }
  const std::vector<uint32_t>& ids() const { return ids_; }
  bool known(uint32_t id) const;
  Result<wire::Channel> connect(uint32_t node) const;

 private:
  struct Node {
    uint32_t id;
    std::string addr;
    uint16_t port;
  };
  uint32_t home_ = 0;
  std::vector<uint32_t> ids_;
  std::vector<Node> nodes_;
  std::string control_;
};

// The bitmap of a kMigrateAccept as the set of paths the target has.
Result<std::set<std::string>> decode_accept(std::span<const uint8_t> payload, const Offer& offer);

// A listening unix socket at `address` ("@name" = abstract, else a path).
Result<ScopedFd> listen_control(const std::string& address);
std::string read_request_line(int fd);
void write_reply_line(int fd, const std::string& line);

}  // namespace omx::migrate
