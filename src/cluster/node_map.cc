#include "cluster/node_map.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "base/scoped_fd.h"

namespace omx::cluster {

std::string Ipv4::to_string() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                     value & 0xff);
}

std::optional<Ipv4> Ipv4::parse(std::string_view s) {
  uint32_t v = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) return std::nullopt;  // no octal look-alikes
    unsigned octet = 0;
    std::from_chars(s.data(), s.data() + n, octet);
    if (octet > 255) return std::nullopt;
    v = (v << 8) | octet;
    s.remove_prefix(n);
  }
  if (!s.empty()) return std::nullopt;
  return Ipv4{v};
}

Result<Ipv4> resolve_host_ipv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("cannot resolve host '{}': {}", host, gai_strerror(rc)));
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(res->ai_addr);
  Ipv4 a{ntohl(sin->sin_addr.s_addr)};
  freeaddrinfo(res);
  return a;
}

bool NodeEntry::same_node(const NodeEntry& other) const {
  if (id != other.id || addr != other.addr || aliases.size() != other.aliases.size()) return false;
  std::vector<Ipv4> a = aliases, b = other.aliases;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

bool NodeMap::same_table(const NodeMap& other) const {
  return std::equal(nodes_.begin(), nodes_.end(), other.nodes_.begin(), other.nodes_.end(),
                    [](const auto& x, const auto& y) { return x.second.same_node(y.second); });
}

NodeMapDiff diff_node_maps(const NodeMap& from, const NodeMap& to) {
  NodeMapDiff d;
  for (const auto& [id, node] : from.nodes()) {
    const NodeEntry* now = to.find(id);
    if (!now)
      d.removed.push_back(id);
    else if (!now->same_node(node))
      d.changed.push_back(id);
  }
  for (const auto& [id, node] : to.nodes())
    if (!from.find(id)) d.added.push_back(id);
  return d;
}

std::string format_id_list(const std::vector<NodeId>& ids) {
  if (ids.empty()) return "-";
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", ids[i]) : fmt::format("{}-{}", ids[i], ids[j]);
    i = j + 1;
  }
  return out;
}

const NodeEntry* NodeMap::find(NodeId id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const NodeEntry* NodeMap::find_by_addr(Ipv4 addr) const {
  auto it = by_addr_.find(addr);
  return it == by_addr_.end() ? nullptr : find(it->second);
}

std::string NodeMap::format() const {
  std::string out;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    auto run_end = std::next(it);
    uint32_t count = 1;
    while (run_end != nodes_.end() && run_end->first == it->first + count &&
           run_end->second.addr.value == it->second.addr.value + count) {
      ++run_end;
      ++count;
    }
    out += fmt::format("{} {} {}\n", it->first, it->second.addr.to_string(), count);
    it = run_end;
  }
  for (const auto& [id, node] : nodes_)
    for (const auto& alias : node.aliases) out += fmt::format("{} {} ALIAS\n", id, alias.to_string());
  return out;
}

// Builds a NodeMap line by line; every check that needs the whole file runs in finish().
class NodeMapBuilder {
 public:
  NodeMapBuilder(std::string_view source, const HostResolver& resolve)
      : source_(source), resolve_(resolve) {}

  Status add_line(std::string_view line, int lineno);
  Result<NodeMap> finish();

 private:
  Error fail(int lineno, const std::string& reason) const {
    return make_error(ErrorCode::kInvalid, fmt::format("{}:{}: {}", source_, lineno, reason));
  }
  Result<NodeId> parse_id(std::string_view tok, int lineno) const;
  Result<Ipv4> parse_host(std::string_view tok, int lineno) const;
  Status add_range(NodeId first, Ipv4 addr, std::string_view count_tok, int lineno);
  Status claim_addr(Ipv4 addr, NodeId id, int lineno);

  struct PendingAlias {
    NodeId id;
    Ipv4 addr;
    int line;
  };
  std::string source_;
  const HostResolver& resolve_;
  NodeMap map_;
  std::vector<PendingAlias> aliases_;
};

namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Strict unsigned decimal: digits only, no sign, no trailing characters.
std::optional<uint64_t> parse_decimal(std::string_view tok) {
  if (tok.empty() || tok.size() > 19) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || p != tok.data() + tok.size()) return std::nullopt;
  return v;
}

// Digits and dots only: meant as an address (valid or not), never a host name to resolve.
bool is_address_like(std::string_view tok) {
  return !tok.empty() && std::isdigit(static_cast<unsigned char>(tok.front())) &&
         tok.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

Result<NodeId> NodeMapBuilder::parse_id(std::string_view tok, int lineno) const {
  auto v = parse_decimal(tok);
  if (!v) return fail(lineno, fmt::format("node id '{}' is not a number", tok));
  if (*v < kMinNodeId || *v > kMaxNodeId)
    return fail(lineno, fmt::format("node id {} is out of range {}..{}", *v, kMinNodeId, kMaxNodeId));
  return static_cast<NodeId>(*v);
}

Result<Ipv4> NodeMapBuilder::parse_host(std::string_view tok, int lineno) const {
  Ipv4 addr;
  if (auto a = Ipv4::parse(tok)) {
    addr = *a;
  } else if (is_address_like(tok)) {
    return fail(lineno, fmt::format("'{}' is not a valid IPv4 address", tok));
  } else {
    auto r = resolve_(std::string(tok));
    if (!r.ok()) return fail(lineno, r.error().message());
    addr = *r;
  }
  if (addr.value == 0 || addr.value == 0xffffffffu || (addr.value >> 28) == 0xe)
    return fail(lineno, fmt::format("{} cannot be a node address", addr.to_string()));
  return addr;
}

Status NodeMapBuilder::claim_addr(Ipv4 addr, NodeId id, int lineno) {
  auto [it, inserted] = map_.by_addr_.emplace(addr, id);
  if (!inserted) {
    const NodeEntry* owner = map_.find(it->second);
    return fail(lineno, fmt::format("address {} already belongs to node {} (line {})",
                                    addr.to_string(), it->second, owner ? owner->line : 0));
  }
  return ok_status();
}

Status NodeMapBuilder::add_range(NodeId first, Ipv4 addr, std::string_view count_tok,
                                 int lineno) {
  auto count = parse_decimal(count_tok);
  if (!count || *count == 0)
    return fail(lineno, fmt::format("count '{}' must be a positive number (or the word ALIAS)",
                                    count_tok));
  if (first + *count - 1 > kMaxNodeId)
    return fail(lineno, fmt::format("ids {}..{} go past the largest node id {}", first,
                                    first + *count - 1, kMaxNodeId));
  if (uint64_t{addr.value} + *count - 1 >= 0xffffffffu)
    return fail(lineno, fmt::format("{} addresses from {} run past 255.255.255.254", *count,
                                    addr.to_string()));
  for (uint64_t k = 0; k < *count; ++k) {
    NodeId id = static_cast<NodeId>(first + k);
    if (const NodeEntry* prev = map_.find(id))
      return fail(lineno, fmt::format("node {} is already defined at line {}", id, prev->line));
    Ipv4 a{static_cast<uint32_t>(addr.value + k)};
    OMX_TRY(claim_addr(a, id, lineno));
    map_.nodes_.emplace(id, NodeEntry{id, a, {}, lineno});
  }
  return ok_status();
}

Status NodeMapBuilder::add_line(std::string_view line, int lineno) {
  auto f = split_fields(line);
  if (f.empty()) return ok_status();
  if (f.size() != 3)
    return fail(lineno, fmt::format("expected 'first-id host count' or 'id address ALIAS', "
                                    "found {} field{}",
                                    f.size(), f.size() == 1 ? "" : "s"));
  OMX_ASSIGN(NodeId id, parse_id(f[0], lineno));
  bool alias = f[2] == "ALIAS" || f[2] == "alias";
  // openMosix: a range counts up from an address; a name stands for one node only. Checked
  // before resolving, so a bad line never costs a lookup.
  if (auto count = parse_decimal(f[2]); !alias && count && *count > 1 && !is_address_like(f[1]))
    return fail(lineno, fmt::format("a range of {} nodes must start at an IPv4 address, not at "
                                    "the host name '{}'",
                                    *count, f[1]));
  OMX_ASSIGN(Ipv4 addr, parse_host(f[1], lineno));
  if (alias) {
    aliases_.push_back({id, addr, lineno});
    return ok_status();
  }
  return add_range(id, addr, f[2], lineno);
}

Result<NodeMap> NodeMapBuilder::finish() {
  for (const auto& a : aliases_) {
    auto it = map_.nodes_.find(a.id);
    if (it == map_.nodes_.end())
      return fail(a.line, fmt::format("ALIAS for node {}, which the map does not define", a.id));
    OMX_TRY(claim_addr(a.addr, a.id, a.line));
    it->second.aliases.push_back(a.addr);
  }
  return std::move(map_);
}

Result<NodeMap> parse_node_map(std::string_view text, std::string_view source,
                               const HostResolver& resolve) {
  NodeMapBuilder b(source, resolve);
  int lineno = 0;
  while (!text.empty()) {
    ++lineno;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    OMX_TRY(b.add_line(line, lineno));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return b.finish();
}

Result<NodeMap> load_node_map(const std::string& path, const HostResolver& resolve) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open map file {}", path));
  constexpr size_t kMaxMapBytes = 4 << 20;
  std::string text;
  char buf[8192];
  while (text.size() <= kMaxMapBytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("read map file {}", path));
    }
    if (n == 0) return parse_node_map(text, path, resolve);
    text.append(buf, static_cast<size_t>(n));
  }
  return make_error(ErrorCode::kInvalid, fmt::format("{}: larger than 4 MiB, not a map", path));
}

Result<std::string> find_map_file(std::span<const std::string_view> candidates) {
  std::string tried;
  for (std::string_view c : candidates) {
    std::string path(c);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) return path;
    tried += tried.empty() ? path : ", " + path;
  }
  return make_error(ErrorCode::kInvalid, fmt::format("no map file: none of {} exists", tried));
}

}  // namespace omx::cluster
