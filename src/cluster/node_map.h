// NodeMap: the static cluster map in the openMosix grammar (/etc/openmosix.map, MOSIX-1
// /etc/mosix.map; see shared/reference/openmosix-interface.md §3.1), expanded to a table
// node id -> IPv4 address.
//
//   # comment (a '#' starts a comment anywhere on a line); blank lines are ignored
//   first-id  host-or-IP  count     ids first..first+count-1 get consecutive addresses from host
//   id        alternate-IP  ALIAS   an extra address of node id (multi-homed nodes, gateways)
//
// Ids are 1..65535. A node id or an address may appear only once (a main address or an alias).
// Host names are resolved by a HostResolver the caller passes (the default asks getaddrinfo for
// IPv4), so the parser itself is pure and testable. As in openMosix, a range (count > 1) must
// start at an IPv4 address: only a single node may be given by name (the thesis in
// shared/seeds/004_*, §2.3.1). openMosix's limit of 256 entry lines was a kernel table size and
// is not kept.
//
// Which file: the one given, else the first of kDefaultMapFiles that exists (the HOWTO's order,
// with omx's own /etc/omx/openmosix.map first).
//
// Parsing is all-or-nothing: the first bad line yields an error "file:line: reason" and no map.
// Plain data; not thread-affine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace omx::cluster {

using NodeId = uint32_t;
inline constexpr std::array<std::string_view, 4> kDefaultMapFiles = {
    "/etc/omx/openmosix.map", "/etc/openmosix.map", "/etc/mosix.map", "/etc/hpc.map"};
inline constexpr NodeId kMinNodeId = 1;
inline constexpr NodeId kMaxNodeId = 65535;

// An IPv4 address in host byte order (so that consecutive addresses are consecutive integers).
struct Ipv4 {
  uint32_t value = 0;
  auto operator<=>(const Ipv4&) const = default;
  std::string to_string() const;
  static std::optional<Ipv4> parse(std::string_view dotted);  // strict dotted quad
};

struct NodeEntry {
  NodeId id = 0;
  Ipv4 addr;
  std::vector<Ipv4> aliases;  // from ALIAS lines
  int line = 0;               // line of the map that defined it (for messages)

  // Same id, address and aliases (in any order); the line does not count.
  bool same_node(const NodeEntry& other) const;
};

// Resolves a host name to one IPv4 address, or an error saying why not.
using HostResolver = std::function<Result<Ipv4>(const std::string& host)>;

// getaddrinfo(AF_INET); the first address returned.
Result<Ipv4> resolve_host_ipv4(const std::string& host);

class NodeMap {
 public:
  const std::map<NodeId, NodeEntry>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  const NodeEntry* find(NodeId id) const;
  // The node owning addr, as main address or alias.
  const NodeEntry* find_by_addr(Ipv4 addr) const;

  // Text in map grammar, one line per run of consecutive ids with consecutive addresses, plus
  // one line per alias. parse(format()) gives back the same table.
  std::string format() const;

  // Same table: the same ids with the same addresses and aliases, however the files were
  // written (ranges or single lines, names or addresses, line order).
  bool same_table(const NodeMap& other) const;

 private:
  friend class NodeMapBuilder;
  std::map<NodeId, NodeEntry> nodes_;
  std::map<Ipv4, NodeId> by_addr_;
};

// Parses map text. `source` names it in messages (usually the file path).
Result<NodeMap> parse_node_map(std::string_view text, std::string_view source,
                               const HostResolver& resolve = resolve_host_ipv4);

// Reads and parses a map file.
Result<NodeMap> load_node_map(const std::string& path,
                              const HostResolver& resolve = resolve_host_ipv4);

// The first of `candidates` that exists (an existing but unreadable file is still chosen, so
// that loading it says why it cannot be read), or an error naming every candidate.
Result<std::string> find_map_file(
    std::span<const std::string_view> candidates = kDefaultMapFiles);

// How a table changed: ids only in `to` (added), only in `from` (removed), and in both with a
// different address or aliases (changed). Each list ascending.
struct NodeMapDiff {
  std::vector<NodeId> added;
  std::vector<NodeId> removed;
  std::vector<NodeId> changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
NodeMapDiff diff_node_maps(const NodeMap& from, const NodeMap& to);

// "1-3,7": ascending ids with consecutive runs folded (mosrun -j style); "-" when empty.
std::string format_id_list(const std::vector<NodeId>& ids);

}  // namespace omx::cluster
