#include "mosrun_options.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace omx::cli {
namespace {

Result<uint32_t> node_id(std::string_view s, std::string_view what) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0)
    return make_error(ErrorCode::kInvalid, fmt::format("'{}' is not a node id (in {})", s, what));
  return v;
}

}  // namespace

const char* const kMosrunUsage =
    "usage: mosrun [-h | -ID | -jLIST [-F]] [-b] [-L | -l] [-c | -i] [--] PROG [ARGS...]\n"
    "Runs PROG as a migratable process; the cluster moves it to where it finishes soonest.\n"
    "  -h       start at home and stay there (locked)\n"
    "  -ID      start on node ID (locked unless -l)\n"
    "  -jLIST   start on a random available node of LIST, e.g. -j1-3,7 (locked unless -l)\n"
    "  -F       with -ID or -j: if the node is not available, start anywhere instead of failing\n"
    "  -b       start on the best node now\n"
    "  -L / -l  lock (no automatic migration; migrate still works) / unlock\n"
    "  -c / -i  CPU-bound (move early) / I/O-bound (move only for memory) hint\n"
    "  -n -s -f -t TT -d DEC   openMosix decay options: accepted, no effect\n"
    "  --stats-json FILE       at exit, write the tree's move counts (as omx run)\n";

Result<std::vector<uint32_t>> parse_node_list(const std::string& text) {
  std::vector<uint32_t> out;
  if (text.empty()) return make_error(ErrorCode::kInvalid, "empty node list after -j");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t dash = item.find('-');
    OMX_ASSIGN(uint32_t lo, node_id(item.substr(0, dash), text));
    uint32_t hi = lo;
    if (dash != std::string::npos) {
      OMX_ASSIGN(hi, node_id(item.substr(dash + 1), text));
    }
    if (hi < lo) return make_error(ErrorCode::kInvalid, fmt::format("range '{}' runs backwards", item));
    if (hi - lo >= 65536 || out.size() + (hi - lo) >= 65536)
      return make_error(ErrorCode::kInvalid, fmt::format("node list '{}' is too long", text));
    for (uint32_t id = lo; id <= hi; ++id)
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

Result<MosrunOptions> parse_mosrun(const std::vector<std::string>& args) {
  MosrunOptions o;
  int lock = -1;  // -1 default, 0 -l, 1 -L
  bool placed = false;
  auto place = [&](MosrunOptions::Where w, const std::string& flag) -> Status {
    if (placed) return make_error(ErrorCode::kInvalid, fmt::format("{}: only one of -h, -ID, -j, -b", flag));
    placed = true;
    o.where = w;
    return ok_status();
  };
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& f = args[i];
    if (f == "--") { ++i; break; }
    if (f.size() < 2 || f[0] != '-') break;  // the program
    if (f == "--help") { o.help = true; return o; }
    if (f == "--stats-json") {
      if (++i >= args.size()) return make_error(ErrorCode::kInvalid, "--stats-json needs a file");
      o.stats_json = args[i];
      continue;
    }
    char c = f[1];
    if (c >= '0' && c <= '9') {
      OMX_TRY(place(MosrunOptions::Where::kNode, f));
      OMX_ASSIGN(o.node, node_id(f.substr(1), f));
      continue;
    }
    if (c == 'j') {
      OMX_TRY(place(MosrunOptions::Where::kList, f));
      OMX_ASSIGN(o.list, parse_node_list(f.substr(2)));
      continue;
    }
    if (c == 't' || c == 'd') {  // decay parameters: -t TT / -tTT
      if (f.size() == 2 && ++i >= args.size())
        return make_error(ErrorCode::kInvalid, fmt::format("{} needs a value", f));
      continue;
    }
    if (f.size() != 2) return make_error(ErrorCode::kInvalid, fmt::format("unknown option '{}' (see --help)", f));
    switch (c) {
      case 'h': OMX_TRY(place(MosrunOptions::Where::kHome, f)); break;
      case 'b': OMX_TRY(place(MosrunOptions::Where::kBest, f)); break;
      case 'F': o.fallback_anywhere = true; break;
      case 'L': lock = 1; break;
      case 'l': lock = 0; break;
      case 'c': o.hint = 1; break;
      case 'i': o.hint = 2; break;
      case 'n': case 's': case 'f': break;  // decay: no effect (see the header)
      default: return make_error(ErrorCode::kInvalid, fmt::format("unknown option '{}' (see --help)", f));
    }
  }
  o.argv.assign(args.begin() + static_cast<long>(std::min(i, args.size())), args.end());
  if (o.argv.empty()) return make_error(ErrorCode::kInvalid, "no program given (see --help)");
  if (o.fallback_anywhere && o.where != MosrunOptions::Where::kNode && o.where != MosrunOptions::Where::kList)
    return make_error(ErrorCode::kInvalid, "-F goes with -ID or -jLIST");
  bool pinned = o.where == MosrunOptions::Where::kHome || o.where == MosrunOptions::Where::kNode ||
                o.where == MosrunOptions::Where::kList;
  o.locked = lock == 1 || (lock == -1 && pinned);
  return o;
}

}  // namespace omx::cli
