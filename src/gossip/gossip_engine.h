// GossipEngine: one node's side of the load-information exchange (MOSIX infod, reference §4.2).
// A pure state machine: no sockets, no timers, no clock reads. The caller passes the time, hands
// over received payloads and sends what tick() returns. The same code runs in omxd and in the
// simulator (sim/), which is why it must never do I/O itself.
//
// Protocol. Every step (default 500 ms, jittered ±25 % so nodes do not synchronise) the node
// sends one message to one peer: its own fresh record (seq + 1, age 0) followed by a window of
// the youngest records it holds about other nodes (default 16; never the destination's own
// record; never records older than forward_max_age, so a dead node's record stops travelling;
// capped so the payload fits max_payload). A receiver merges each record that is strictly newer
// (generation, seq) than what it holds; an older or equal one is dropped. A record about the
// receiver itself is never taken: a node is the only authority on itself.
//
// Ages. A record's age is carried hop by hop: the holder converts the received age to a local
// "origin time" (now - age) and sends now - origin time when forwarding. Network transit time is
// not added (unknown without synchronised clocks), so ages are slight underestimates: by one
// one-way latency per hop.
//
// Push-pull (push_pull, default on; MOSIX infod's `pushpull`): the step's message asks for a
// reply (header flag kWantReply), and the receiver answers at once with its own record and window
// (a reply never asks for one). Each node then hears from someone at least once per step, not
// only when chosen by chance: with push alone a node receives Poisson(1) messages per step and
// sometimes none for seconds. Costs twice the messages.
//
// Peer choice (PeerChoice::kMinDead, MOSIX's default `mindead`): with probability
// stalest_probability the live member whose record is oldest here (the push-pull reply then
// refreshes that record directly, which trims the tail of the age distribution; simulator:
// 1,000 nodes p99 79 s -> 67 s, 16 nodes max 2.7 s -> 2.3 s); otherwise the next node not
// considered down in a freshly shuffled order of all members (each live node once per round, as
// SWIM probes: random, yet no node goes many steps without a message, which matters for the
// oldest record more than for the median); and with probability dead_probe_probability instead a
// uniformly random member, dead or not, so a node that comes back is noticed. kUniform (MOSIX
// `reg`): always a uniformly random member.
//
// Freshness (bench/gossip_sim): 16 nodes at the default 500 ms step hold records of median age
// 0.73 s, p99 1.6 s, max ~2.3 s over minutes; a 400 ms step keeps the maximum under 2 s (issue 3's
// bound for the 16-node cluster). At 1,000 nodes the median is ~13 s: each node learns about
// 2 x 16 others per step, so a given record reaches a given holder every ~N / 32 steps.
//
// Down detection: a node is down when no record younger than down_after() is held about it (a
// node just added gets that much grace from the moment it was added). down_after() is the
// configured down_after (5 s), raised for large clusters to down_scale times the expected
// interval between two updates of one record at one holder (members * step / (window * messages
// received per step)): with window 16 and a 0.5 s step, a 1,000-node cluster refreshes a given
// record at a given holder only every ~16 s on average, so 5 s would call most nodes dead.
//
// Membership: add_node/remove_node (from the map or from discovery). With learn_from_gossip, a
// record about an unknown node adds it; a node removed with remove_node stays out (records about
// it are ignored) until add_node is called for it again.
//
// Integration with omxd (asio), one engine per daemon:
//  * Construct with GossipConfig{.self = this node's id, .generation = wall_clock_ms() at start}
//    and the steady clock in ms; add_node() each node of the map and of discovery; remove_node()
//    when the map drops one (setpe) or discovery expires it.
//  * One steady_timer armed at next_tick(). On expiry: if (auto out = tick(now)), seal
//    out->payload as a wire datagram (seal_datagram(key, MsgType::kGossipLoad, self,
//    wall_clock_ms(), counter++, payload)) and send it to out->to's map address on the gossip UDP
//    port; then re-arm at next_tick(). Nothing else is periodic in the engine.
//  * For each datagram received: open_datagram + ReplayWindow::check, type kGossipLoad, then
//    on_message(now, d.sender, d.payload). An error is a malformed or spoofed payload: log it
//    (rate-limited) and drop it. If the result carries a reply, seal and send it to reply->to now.
//  * A 100 ms timer samples LoadProbe::read_nr_running() into a LoadMeter; when a period (1 s)
//    completes, set_local() with load = normalized_load(meter.upper_load(), speed, effective CPUs),
//    memory and util from LoadProbe::read(), speed from NodeSpeed, the mosctl status bits, and
//    the process counts.
//  * mosctl: stay/lstay/block/quiet set status bits through set_local(); setspeed N sets the
//    NodeSpeed override; getload/getspeed/getmem/getfree/getutil/status N read record(N, now);
//    isup N is !is_down(N, now).
//
// Threading: not thread-safe; one engine is owned by one event loop (or one simulator).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/result.h"
#include "gossip/load_record.h"

namespace omx::gossip {

// Monotonic milliseconds since an arbitrary origin (steady_clock in omxd; virtual in simulation).
using Time = std::chrono::milliseconds;

enum class PeerChoice : uint8_t {
  kUniform = 0,  // MOSIX `reg`
  kMinDead = 1,  // MOSIX `mindead` (default)
};

struct GossipConfig {
  NodeId self = 0;
  uint64_t generation = 0;  // this run of the daemon; wall-clock ms at start is a good choice
  Time step{500};
  double jitter = 0.5;  // each interval is uniform in step * [1 - jitter/2, 1 + jitter/2]
  size_t window = 16;   // records about others per message
  size_t max_payload = kDefaultMaxPayload;
  Time down_after{5000};
  double down_scale = 6;  // see down_after() above
  Time forward_max_age{5000};
  PeerChoice peer_choice = PeerChoice::kMinDead;
  double dead_probe_probability = 0.1;
  double stalest_probability = 0.5;  // kMinDead: chance to push to the live node held oldest
  bool learn_from_gossip = true;
  bool push_pull = true;
  uint64_t seed = 1;  // the engine's RNG (peer choice, jitter)
};

// What the local node reports about itself; node, generation, seq and age are the engine's.
struct LocalState {
  uint32_t load = 0;
  uint32_t speed = kStdSpeed;
  uint16_t ncpus = 1;
  uint8_t util = 100;
  uint16_t status = 0;
  uint32_t free_mem_mib = 0;
  uint32_t total_mem_mib = 0;
  uint16_t local_procs = 0;
  uint16_t guests = 0;
  uint16_t migrations_1m = 0;
};

struct Outgoing {
  NodeId to = 0;
  std::vector<uint8_t> payload;  // gossip payload; seal it as a kGossipLoad datagram
  size_t records = 0;            // records in payload (1 + window actually sent)
};

struct HeldRecord {
  LoadRecord record;  // record.age_ms is the age now, as this node knows it
  Time age{0};
  bool down = false;
};

struct MergeStats {
  size_t accepted = 0;            // newer than what we held (or first record about the node)
  size_t stale = 0;               // older than or equal to what we held
  size_t about_self = 0;          // records about this node (never taken)
  size_t ignored = 0;             // unknown (learn_from_gossip off) or removed nodes
  std::optional<Outgoing> reply;  // push-pull: send this back to the sender now
};

struct GossipCounters {
  uint64_t sent = 0, sent_bytes = 0, sent_records = 0;  // replies included
  uint64_t replies = 0;
  uint64_t received = 0, rejected = 0;
  uint64_t accepted = 0, stale = 0, ignored = 0;
  uint64_t self_conflicts = 0;  // a record about us newer than ours: another node uses our id?
};

class GossipEngine {
 public:
  // `now` seeds the first tick: somewhere in [now, now + step), so nodes started together spread.
  GossipEngine(GossipConfig config, Time now);

  const GossipConfig& config() const { return config_; }
  NodeId self() const { return config_.self; }

  // Local state; picked up by the next tick. Setting StatusBit::kQuiet stops sending.
  void set_local(const LocalState& s) { local_ = s; }
  const LocalState& local() const { return local_; }

  void add_node(NodeId id, Time now);
  void remove_node(NodeId id);
  bool is_member(NodeId id) const;
  const std::vector<NodeId>& members() const { return members_; }  // without self, any order

  // When tick() next wants to run. Arm a timer for this.
  Time next_tick() const { return next_tick_; }
  // Returns the message to send if a step is due (and the node is not quiet, and has a peer).
  std::optional<Outgoing> tick(Time now);

  // Merges a payload received from node `from` (the authenticated datagram sender). kProtocol if
  // it is malformed or its first record is not about `from`; nothing is merged then. With
  // push-pull, the result may carry a reply to send to `from` right away.
  Result<MergeStats> on_message(Time now, NodeId from, std::span<const uint8_t> payload);

  // Queries. record(self) is the local record, age 0.
  std::optional<HeldRecord> record(NodeId id, Time now) const;
  std::vector<HeldRecord> records(Time now) const;  // every node with a record, self included
  bool is_down(NodeId id, Time now) const;
  Time down_after() const;                       // the effective threshold (see above)
  size_t known() const { return with_record_; }  // nodes with a record, self excluded
  // Calls f(record, age) for every held record about another node, without building a vector
  // (record.age_ms is not filled in). For the simulator's statistics.
  template <typename F>
  void for_each_record(Time now, F&& f) const {
    for (const Entry& e : entries_) {
      if (e.has_record) f(e.rec, now - e.origin_time);
    }
  }
  std::vector<NodeId> down_nodes(Time now) const;  // members considered down
  const GossipCounters& counters() const { return counters_; }

 private:
  // Table storage is dense (a vector indexed through a small id -> slot vector, no per-entry
  // allocation) because the simulator holds thousands of engines with thousands of entries each.
  struct Entry {
    LoadRecord rec;       // rec.node is the entry's id even before a record arrived
    Time origin_time{0};  // local estimate of when the origin made rec
    Time added_at{0};
    uint32_t member_pos = 0;  // position in members_ while a member
    bool member = false;
    bool removed = false;
    bool has_record = false;
  };

  Entry* find(NodeId id);
  const Entry* find(NodeId id) const;
  Entry& slot(NodeId id);
  LoadRecord own_record() const;
  Time next_interval();
  uint64_t next_random();
  double uniform01();
  std::optional<NodeId> choose_peer(Time now);
  std::vector<LoadRecord> build_window(NodeId dest, Time now) const;
  Outgoing make_message(NodeId dest, Time now, uint8_t flags);
  void merge_one(const LoadRecord& r, Time now, MergeStats& st);
  bool down_entry(const Entry& e, Time now) const;
  void add_member(Entry& e, Time now);
  void note_young(NodeId id, Time origin);
  void rebuild_young();

  GossipConfig config_;
  size_t window_;  // config window capped by what fits in max_payload
  LocalState local_;
  uint32_t seq_ = 0;
  Time next_tick_{0};
  uint64_t rng_;
  std::vector<uint32_t> index_;  // node id -> slot + 1 in entries_ (0: unknown)
  std::vector<Entry> entries_;
  std::vector<NodeId> members_;  // for O(1) random choice
  std::vector<NodeId> deck_;     // shuffled round of members for kMinDead
  size_t deck_pos_ = 0;
  size_t with_record_ = 0;
  // The window_ + 1 youngest records (by origin time), unordered. Exact without scanning: an
  // entry's origin time only grows, so an entry outside this set can enter it only when it is
  // updated, which note_young() checks. Rebuilt by a scan only when a member is removed.
  std::vector<std::pair<Time, NodeId>> young_;
  GossipCounters counters_;
};

}  // namespace omx::gossip
