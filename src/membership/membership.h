// Membership: which nodes this node knows and which of them are up. Pure (no I/O, no clock):
// the daemon feeds it the map, discovery announcements and signs of life (gossip), each with the
// current steady-clock time in ms, and acts on the events it returns.
//
// Nodes come from three sources: this node itself (always up), the static map (listed even
// while down; removed only by a new map), and discovery (added by an announcement; forgotten
// kForgetAfter after they went down). A node is up while something was heard from or about it
// within down_after (default 3 s: discovery announces every 0.5 s, so a stopped node is marked
// down within 3.5 s; a clean stop announces "leaving" and is down at once).
//
// Id conflicts: a map entry's address wins over an announcement claiming its id from elsewhere
// (the announcement is ignored and counted in conflicts()); between two discovered claims the
// live one is kept until it goes down.
//
// Threading: one thread (omxd's event loop).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/node_map.h"
#include "membership/announce.h"

namespace omx::membership {

enum class NodeSource : uint8_t { kSelf = 0, kMap = 1, kDiscovered = 2 };
enum class NodeState : uint8_t { kUp = 0, kDown = 1 };

const char* source_name(NodeSource s);
const char* state_name(NodeState s);

struct Member {
  cluster::NodeId id = 0;
  cluster::Ipv4 addr;
  uint16_t port = 0;
  NodeSource source = NodeSource::kMap;
  NodeState state = NodeState::kDown;
  int64_t last_heard_ms = -1;  // steady clock; -1: never
  uint64_t incarnation = 0;    // from its announcements; 0: unknown
};

struct MembershipEvent {
  enum class Kind : uint8_t { kJoined = 0, kUp = 1, kDown = 2, kLeft = 3 };
  Kind kind;
  cluster::NodeId id;
  bool operator==(const MembershipEvent&) const = default;
};
const char* event_name(MembershipEvent::Kind k);

class Membership {
 public:
  static constexpr int64_t kDefaultDownAfterMs = 3000;
  static constexpr int64_t kForgetAfterMs = 60000;

  Membership(cluster::NodeId self, cluster::Ipv4 self_addr, uint16_t self_port,
             int64_t down_after_ms = kDefaultDownAfterMs);

  // Replaces the map nodes: new ones join (down until heard from), vanished ones leave (a node
  // that still announces itself comes back as a discovered node). Self is never removed.
  std::vector<MembershipEvent> set_map(const cluster::NodeMap& map, uint16_t port);
  // A verified announcement from node `id`.
  std::vector<MembershipEvent> on_announce(int64_t now_ms, cluster::NodeId id, const Announce& a);
  // Node `id` was heard from, or a record about it that old: age_ms before now.
  std::vector<MembershipEvent> on_heard(int64_t now_ms, cluster::NodeId id, int64_t age_ms = 0);
  // Marks silent nodes down, forgets long-dead discovered ones.
  std::vector<MembershipEvent> tick(int64_t now_ms);

  void set_down_after(int64_t ms) { down_after_ms_ = ms; }
  int64_t down_after() const { return down_after_ms_; }

  const Member* find(cluster::NodeId id) const;
  const std::map<cluster::NodeId, Member>& members() const { return members_; }
  std::vector<cluster::NodeId> up_peers() const;  // up nodes other than self
  cluster::NodeId self() const { return self_; }
  uint64_t conflicts() const { return conflicts_; }

 private:
  void mark_up(Member& m, int64_t heard_ms, std::vector<MembershipEvent>& ev);

  cluster::NodeId self_;
  int64_t down_after_ms_;
  std::map<cluster::NodeId, Member> members_;
  uint64_t conflicts_ = 0;
};

}  // namespace omx::membership
