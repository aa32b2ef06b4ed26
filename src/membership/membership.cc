#include "membership/membership.h"

#include "base/log.h"

namespace omx::membership {
namespace {

auto log() { return log::get("membership"); }

using Kind = MembershipEvent::Kind;

}  // namespace

const char* source_name(NodeSource s) {
  switch (s) {
    case NodeSource::kSelf: return "self";
    case NodeSource::kMap: return "map";
    case NodeSource::kDiscovered: return "discovered";
  }
  return "?";
}

const char* state_name(NodeState s) { return s == NodeState::kUp ? "up" : "down"; }

const char* event_name(Kind k) {
  switch (k) {
    case Kind::kJoined: return "joined";
    case Kind::kUp: return "up";
    case Kind::kDown: return "down";
    case Kind::kLeft: return "left";
  }
  return "?";
}

Membership::Membership(cluster::NodeId self, cluster::Ipv4 self_addr, uint16_t self_port,
                       int64_t down_after_ms)
    : self_(self), down_after_ms_(down_after_ms) {
  members_[self] = Member{self, self_addr, self_port, NodeSource::kSelf, NodeState::kUp, 0, 0};
}

std::vector<MembershipEvent> Membership::set_map(const cluster::NodeMap& map, uint16_t port) {
  std::vector<MembershipEvent> ev;
  for (auto it = members_.begin(); it != members_.end();) {
    if (it->second.source == NodeSource::kMap && !map.find(it->first)) {
      log()->info("node {} left (removed from the map)", it->first);
      ev.push_back({Kind::kLeft, it->first});
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, entry] : map.nodes()) {
    if (id == self_) continue;
    auto it = members_.find(id);
    if (it != members_.end()) {  // known (from the map or discovery): the map's address wins
      it->second.source = NodeSource::kMap;
      it->second.addr = entry.addr;
      it->second.port = port;
      continue;
    }
    members_[id] = Member{id, entry.addr, port, NodeSource::kMap, NodeState::kDown, -1, 0};
    ev.push_back({Kind::kJoined, id});
  }
  return ev;
}

void Membership::mark_up(Member& m, int64_t heard_ms, std::vector<MembershipEvent>& ev) {
  if (heard_ms > m.last_heard_ms) m.last_heard_ms = heard_ms;
  if (m.state == NodeState::kUp || m.last_heard_ms < 0) return;
  m.state = NodeState::kUp;
  ev.push_back({Kind::kUp, m.id});
}

std::vector<MembershipEvent> Membership::on_announce(int64_t now_ms, cluster::NodeId id,
                                                     const Announce& a) {
  std::vector<MembershipEvent> ev;
  if (id == self_ || id < cluster::kMinNodeId || id > cluster::kMaxNodeId) return ev;
  auto it = members_.find(id);
  if (it == members_.end()) {
    if (a.leaving()) return ev;
    Member m{id, a.addr, a.port, NodeSource::kDiscovered, NodeState::kDown, -1, a.incarnation};
    it = members_.emplace(id, m).first;
    log()->info("node {} joined at {}:{} (discovered)", id, a.addr.to_string(), a.port);
    ev.push_back({Kind::kJoined, id});
  } else if (it->second.addr != a.addr) {
    Member& m = it->second;
    if (m.source == NodeSource::kMap || m.state == NodeState::kUp) {
      if (++conflicts_ % 100 == 1)
        log()->warn("node id {} is claimed by {} but belongs to {} ({})", id, a.addr.to_string(),
                    m.addr.to_string(), source_name(m.source));
      return ev;
    }
    log()->info("node {} moved from {} to {}", id, m.addr.to_string(), a.addr.to_string());
    m.addr = a.addr;
  }
  Member& m = it->second;
  if (m.source == NodeSource::kDiscovered) m.port = a.port;
  m.incarnation = a.incarnation;
  if (a.leaving()) {
    if (m.state == NodeState::kUp) {
      m.state = NodeState::kDown;
      log()->info("node {} is down (it announced it is leaving)", id);
      ev.push_back({Kind::kDown, id});
    }
    return ev;
  }
  mark_up(m, now_ms, ev);
  return ev;
}

std::vector<MembershipEvent> Membership::on_heard(int64_t now_ms, cluster::NodeId id,
                                                  int64_t age_ms) {
  std::vector<MembershipEvent> ev;
  auto it = members_.find(id);
  if (it == members_.end() || id == self_) return ev;
  int64_t heard = now_ms - (age_ms > 0 ? age_ms : 0);
  if (now_ms - heard >= down_after_ms_) return ev;
  mark_up(it->second, heard, ev);
  return ev;
}

std::vector<MembershipEvent> Membership::tick(int64_t now_ms) {
  std::vector<MembershipEvent> ev;
  for (auto it = members_.begin(); it != members_.end();) {
    Member& m = it->second;
    if (m.source != NodeSource::kSelf && m.state == NodeState::kUp &&
        now_ms - m.last_heard_ms >= down_after_ms_) {
      m.state = NodeState::kDown;
      log()->info("node {} is down (silent for {} ms)", m.id, now_ms - m.last_heard_ms);
      ev.push_back({Kind::kDown, m.id});
    }
    if (m.source == NodeSource::kDiscovered && m.state == NodeState::kDown &&
        now_ms - m.last_heard_ms >= kForgetAfterMs) {
      log()->info("node {} left (down for {} s)", m.id, (now_ms - m.last_heard_ms) / 1000);
      ev.push_back({Kind::kLeft, m.id});
      it = members_.erase(it);
      continue;
    }
    ++it;
  }
  return ev;
}

const Member* Membership::find(cluster::NodeId id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<cluster::NodeId> Membership::up_peers() const {
  std::vector<cluster::NodeId> out;
  for (const auto& [id, m] : members_)
    if (id != self_ && m.state == NodeState::kUp) out.push_back(id);
  return out;
}

}  // namespace omx::membership
