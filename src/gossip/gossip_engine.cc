#include "gossip/gossip_engine.h"

#include <fmt/format.h>

#include <algorithm>

namespace omx::gossip {

GossipEngine::GossipEngine(GossipConfig config, Time now)
    : config_(config), rng_(config.seed ^ 0x9E3779B97F4A7C15ull) {
  OMX_CHECK(config_.self >= kMinNodeId && config_.self <= kMaxNodeId, "gossip: self id %u",
            config_.self);
  OMX_CHECK(config_.step.count() > 0, "gossip: step must be positive");
  OMX_CHECK(records_that_fit(config_.max_payload) >= 1, "gossip: max_payload %zu too small",
            config_.max_payload);
  window_ = std::min(config_.window, records_that_fit(config_.max_payload) - 1);
  auto first = static_cast<int64_t>(uniform01() * static_cast<double>(config_.step.count()));
  next_tick_ = now + Time(first);
}

// splitmix64: small, fast, good enough for peer choice and jitter; deterministic per seed.
uint64_t GossipEngine::next_random() {
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double GossipEngine::uniform01() {
  return static_cast<double>(next_random() >> 11) * (1.0 / 9007199254740992.0);
}

Time GossipEngine::next_interval() {
  double j = std::clamp(config_.jitter, 0.0, 1.9);
  double f = 1.0 - j / 2 + j * uniform01();
  auto ms = static_cast<int64_t>(static_cast<double>(config_.step.count()) * f);
  return Time(std::max<int64_t>(ms, 1));
}

GossipEngine::Entry* GossipEngine::find(NodeId id) {
  if (id >= index_.size() || index_[id] == 0) return nullptr;
  return &entries_[index_[id] - 1];
}

const GossipEngine::Entry* GossipEngine::find(NodeId id) const {
  if (id >= index_.size() || index_[id] == 0) return nullptr;
  return &entries_[index_[id] - 1];
}

GossipEngine::Entry& GossipEngine::slot(NodeId id) {
  if (Entry* e = find(id)) return *e;
  if (id >= index_.size()) index_.resize(std::max<size_t>(id + 1, index_.size() * 3 / 2), 0);
  entries_.emplace_back();
  entries_.back().rec.node = id;
  index_[id] = static_cast<uint32_t>(entries_.size());
  return entries_.back();
}

void GossipEngine::add_member(Entry& e, Time now) {
  e.member = true;
  e.removed = false;
  e.added_at = now;
  e.member_pos = static_cast<uint32_t>(members_.size());
  members_.push_back(e.rec.node);
}

void GossipEngine::add_node(NodeId id, Time now) {
  if (id == config_.self || id < kMinNodeId || id > kMaxNodeId) return;
  Entry& e = slot(id);
  if (!e.member) add_member(e, now);
}

void GossipEngine::remove_node(NodeId id) {
  Entry* e = find(id);
  if (e == nullptr || e->removed) return;
  if (e->member) {
    NodeId last = members_.back();
    members_[e->member_pos] = last;
    find(last)->member_pos = e->member_pos;
    members_.pop_back();
  }
  bool was_young = false;
  if (e->has_record) {
    --with_record_;
    was_young = std::any_of(young_.begin(), young_.end(), [&](auto& y) { return y.second == id; });
  }
  *e = Entry{};
  e->rec.node = id;
  e->removed = true;
  if (was_young) rebuild_young();
}

bool GossipEngine::is_member(NodeId id) const {
  const Entry* e = find(id);
  return e != nullptr && e->member;
}

LoadRecord GossipEngine::own_record() const {
  LoadRecord r;
  r.node = config_.self;
  r.generation = config_.generation;
  r.seq = seq_;
  r.age_ms = 0;
  r.load = local_.load;
  r.speed = std::max<uint32_t>(local_.speed, 1);
  r.ncpus = std::max<uint16_t>(local_.ncpus, 1);
  r.util = std::min<uint8_t>(local_.util, 100);
  r.status = local_.status & kKnownStatusMask;
  r.total_mem_mib = local_.total_mem_mib;
  r.free_mem_mib = std::min(local_.free_mem_mib, local_.total_mem_mib);
  r.local_procs = local_.local_procs;
  r.guests = local_.guests;
  r.migrations_1m = local_.migrations_1m;
  return r;
}

Time GossipEngine::down_after() const {
  // Expected interval between updates of one record at one holder: each node receives about
  // (push_pull ? 2 : 1) messages per step, each carrying `window_` records about others.
  double per_step = static_cast<double>(window_) * (config_.push_pull ? 2.0 : 1.0);
  double refresh_ms = static_cast<double>(members_.size()) *
                      static_cast<double>(config_.step.count()) / std::max(per_step, 1.0);
  auto scaled = static_cast<int64_t>(config_.down_scale * refresh_ms);
  return std::max(config_.down_after, Time(scaled));
}

bool GossipEngine::down_entry(const Entry& e, Time now) const {
  Time last = e.added_at;
  if (e.has_record) last = std::max(last, e.origin_time);
  return now - last > down_after();
}

std::optional<NodeId> GossipEngine::choose_peer(Time now) {
  if (members_.empty()) return std::nullopt;
  auto any = [&] { return members_[next_random() % members_.size()]; };
  if (config_.peer_choice == PeerChoice::kUniform || uniform01() < config_.dead_probe_probability) {
    return any();
  }
  if (uniform01() < config_.stalest_probability) {
    // The live member whose record is oldest here: its reply refreshes it directly.
    const Entry* stalest = nullptr;
    for (NodeId id : members_) {
      const Entry* e = find(id);
      if (down_entry(*e, now)) continue;
      Time t = e->has_record ? e->origin_time : e->added_at;
      if (stalest == nullptr ||
          t < (stalest->has_record ? stalest->origin_time : stalest->added_at))
        stalest = e;
    }
    if (stalest != nullptr) return stalest->rec.node;
  }
  // Next live member of the shuffled deck; a new shuffle once it is used up. A member added
  // meanwhile joins at the next shuffle; one removed is skipped.
  for (size_t tries = 0; tries < 2; ++tries) {
    while (deck_pos_ < deck_.size()) {
      NodeId id = deck_[deck_pos_++];
      const Entry* e = find(id);
      if (e != nullptr && e->member && !down_entry(*e, now)) return id;
    }
    deck_ = members_;
    for (size_t i = deck_.size(); i > 1; --i) std::swap(deck_[i - 1], deck_[next_random() % i]);
    deck_pos_ = 0;
  }
  return any();  // every member is down: keep probing
}

void GossipEngine::note_young(NodeId id, Time origin) {
  auto it = std::find_if(young_.begin(), young_.end(), [&](auto& y) { return y.second == id; });
  if (it != young_.end()) {
    it->first = origin;
    return;
  }
  if (young_.size() < window_ + 1) {
    young_.push_back({origin, id});
    return;
  }
  auto oldest = std::min_element(young_.begin(), young_.end());
  if (origin > oldest->first) *oldest = {origin, id};
}

void GossipEngine::rebuild_young() {
  young_.clear();
  for (const Entry& e : entries_) {
    if (e.has_record) note_young(e.rec.node, e.origin_time);
  }
}

std::vector<LoadRecord> GossipEngine::build_window(NodeId dest, Time now) const {
  std::vector<std::pair<Time, NodeId>> young = young_;
  std::sort(young.begin(), young.end(), std::greater<>());
  std::vector<LoadRecord> out;
  out.reserve(window_ + 1);
  out.push_back(own_record());
  for (const auto& [origin, id] : young) {
    if (out.size() > window_) break;
    if (now - origin > config_.forward_max_age) break;  // the rest are older still
    if (id == dest) continue;
    LoadRecord r = find(id)->rec;
    r.age_ms = static_cast<uint32_t>(std::clamp<int64_t>((now - origin).count(), 0, kMaxAgeMs));
    out.push_back(r);
  }
  return out;
}

std::optional<Outgoing> GossipEngine::tick(Time now) {
  if (now < next_tick_) return std::nullopt;
  next_tick_ = now + next_interval();
  if ((local_.status & bit(StatusBit::kQuiet)) != 0) return std::nullopt;
  std::optional<NodeId> peer = choose_peer(now);
  if (!peer) return std::nullopt;
  return make_message(*peer, now, config_.push_pull ? kWantReply : 0);
}

Outgoing GossipEngine::make_message(NodeId dest, Time now, uint8_t flags) {
  ++seq_;
  std::vector<LoadRecord> recs = build_window(dest, now);
  Outgoing out{dest, encode_gossip(recs, flags), recs.size()};
  ++counters_.sent;
  counters_.sent_bytes += out.payload.size();
  counters_.sent_records += out.records;
  return out;
}

void GossipEngine::merge_one(const LoadRecord& r, Time now, MergeStats& st) {
  if (r.node == config_.self) {
    ++st.about_self;
    if (r.generation == config_.generation && r.seq > seq_) ++counters_.self_conflicts;
    return;
  }
  Entry* e = find(r.node);
  if (e == nullptr) {
    if (!config_.learn_from_gossip) {
      ++st.ignored;
      return;
    }
    e = &slot(r.node);
    add_member(*e, now);
  }
  if (e->removed || !e->member) {
    ++st.ignored;
    return;
  }
  if (e->has_record && !r.newer_than(e->rec)) {
    ++st.stale;
    return;
  }
  // A newer version was made no earlier than the one held: origin times never go back.
  Time origin = now - Time(r.age_ms);
  if (e->has_record) {
    origin = std::max(origin, e->origin_time);
  } else {
    ++with_record_;
  }
  e->has_record = true;
  e->origin_time = origin;
  e->rec = r;
  e->rec.age_ms = 0;
  note_young(r.node, origin);
  ++st.accepted;
}

Result<MergeStats> GossipEngine::on_message(Time now, NodeId from,
                                            std::span<const uint8_t> payload) {
  ++counters_.received;
  auto decoded = decode_gossip(payload);
  if (!decoded.ok()) {
    ++counters_.rejected;
    return decoded.error();
  }
  const std::vector<LoadRecord>& recs = decoded->records;
  if (recs.front().node != from) {
    ++counters_.rejected;
    return make_error(
        ErrorCode::kProtocol,
        fmt::format("gossip from node {}: first record is about node {}", from, recs.front().node));
  }
  MergeStats st;
  for (const LoadRecord& r : recs) merge_one(r, now, st);
  counters_.accepted += st.accepted;
  counters_.stale += st.stale;
  counters_.ignored += st.ignored;
  bool quiet = (local_.status & bit(StatusBit::kQuiet)) != 0;
  if ((decoded->flags & kWantReply) != 0 && !quiet && is_member(from)) {
    st.reply = make_message(from, now, 0);
    ++counters_.replies;
  }
  return st;
}

std::optional<HeldRecord> GossipEngine::record(NodeId id, Time now) const {
  if (id == config_.self) return HeldRecord{own_record(), Time(0), false};
  const Entry* e = find(id);
  if (e == nullptr || !e->has_record) return std::nullopt;
  HeldRecord h{e->rec, std::max(now - e->origin_time, Time(0)), down_entry(*e, now)};
  h.record.age_ms = static_cast<uint32_t>(std::min<int64_t>(h.age.count(), kMaxAgeMs));
  return h;
}

std::vector<HeldRecord> GossipEngine::records(Time now) const {
  std::vector<HeldRecord> out;
  out.reserve(with_record_ + 1);
  out.push_back(*record(config_.self, now));
  for (const Entry& e : entries_) {
    if (e.has_record) out.push_back(*record(e.rec.node, now));
  }
  return out;
}

bool GossipEngine::is_down(NodeId id, Time now) const {
  if (id == config_.self) return false;
  const Entry* e = find(id);
  if (e == nullptr || !e->member) return true;
  return down_entry(*e, now);
}

std::vector<NodeId> GossipEngine::down_nodes(Time now) const {
  std::vector<NodeId> out;
  for (NodeId id : members_) {
    if (down_entry(*find(id), now)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace omx::gossip
