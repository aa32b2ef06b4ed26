#include "mps_options.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace omx::cli {
namespace {

Error usage_error(std::string what) { return make_error(ErrorCode::kInvalid, std::move(what)); }

bool parse_pid(std::string_view s, pid_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out > 0;
}

// PID or PID,PID,...
bool parse_pid_list(std::string_view s, std::vector<pid_t>& out) {
  if (s.empty() || s.find_first_not_of("0123456789,") != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string_view part = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    pid_t p = 0;
    if (!parse_pid(part, p)) return false;
    out.push_back(p);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

Status apply_letter(char c, MpsOptions& o) {
  switch (c) {
    case 'a': o.all_users = true; break;
    case 'x': o.no_tty = true; break;
    case 'u': o.user_format = true; break;
    case 'l': o.long_format = true; break;
    case 'w': o.wide = true; break;
    case 'h': o.no_header = true; break;
    case 'r': o.running = true; break;
    case 'n': o.numeric = true; break;
    case 'c': o.command_name = true; break;
    default: {
      std::string letters;
      for (char l : kMpsLetters) letters += fmt::format("{}{}", letters.empty() ? "" : " ", l);
      bool printable = c > ' ' && c < 127;
      return usage_error(fmt::format("option '{}' is not supported (mps takes {}; see mps --help)",
                                     printable ? std::string(1, c) : fmt::format("\\x{:02x}", c),
                                     letters));
    }
  }
  return ok_status();
}

Status apply_long(const std::vector<std::string>& args, size_t& i, MpsOptions& o) {
  const std::string& a = args[i];
  if (a == "--ominfo") o.ominfo = true;
  else if (a == "--json") o.json = true;
  else if (a == "--help") o.help = true;
  else if (a == "--version") o.version = true;
  else if (a == "--sort" || a.rfind("--sort=", 0) == 0) {
    std::string spec;
    if (a == "--sort") {
      if (i + 1 >= args.size()) return usage_error("--sort needs KEY[,KEY...] (see mps --help)");
      spec = args[++i];
    } else {
      spec = a.substr(7);
    }
    OMX_ASSIGN(o.sort, parse_sort_keys(spec));
  } else {
    return usage_error(fmt::format("unknown option '{}' (see mps --help)", a));
  }
  return ok_status();
}

}  // namespace

const std::vector<std::string>& mps_sort_keys() {
  static const std::vector<std::string> keys = {"pid",  "ppid", "uid",   "user",  "tty", "stat",
                                                "nice", "time", "pcpu",  "rss",   "vsz", "start",
                                                "comm", "cmd",  "node",  "home",  "nmigs", "lock"};
  return keys;
}

Result<std::vector<SortKey>> parse_sort_keys(std::string_view spec) {
  std::vector<SortKey> out;
  size_t start = 0;
  for (;;) {
    size_t comma = spec.find(',', start);
    std::string_view part = spec.substr(start, comma == std::string_view::npos ? spec.npos : comma - start);
    SortKey k;
    if (!part.empty() && (part[0] == '+' || part[0] == '-')) {
      k.descending = part[0] == '-';
      part.remove_prefix(1);
    }
    k.key = std::string(part);
    const auto& keys = mps_sort_keys();
    if (std::find(keys.begin(), keys.end(), k.key) == keys.end()) {
      std::string all;
      for (const auto& x : keys) all += (all.empty() ? "" : ",") + x;
      return usage_error(fmt::format("unknown sort key '{}' (keys: {})", k.key, all));
    }
    out.push_back(std::move(k));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<MpsOptions> parse_mps_args(const std::vector<std::string>& args) {
  MpsOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      OMX_TRY(apply_long(args, i, o));
      continue;
    }
    if (parse_pid_list(a, o.pids)) continue;
    std::string_view letters = a;
    if (!letters.empty() && letters[0] == '-') letters.remove_prefix(1);
    if (letters.empty()) return usage_error(fmt::format("empty option '{}' (see mps --help)", a));
    for (char c : letters) OMX_TRY(apply_letter(c, o));
  }
  if (o.user_format && o.long_format) return usage_error("options 'u' and 'l' choose different formats: give one");
  return o;
}

std::string mps_usage(const std::string& prog) {
  return fmt::format(
      "usage: {0} [-][achlnruwx] [--ominfo] [--sort [+|-]KEY[,...]] [--json] [PID...]\n"
      "BSD-style ps with a NODE column: the id of the node each process runs on now. A process\n"
      "started with mosrun that moved away shows the node it moved to (its pid here is its\n"
      "deputy); every other process runs here and shows this node's id (openMosix printed 0\n"
      "for \"here\"; omx prints the id itself, so columns from several nodes compare). NODE is\n"
      "'-' when no omxd runs on this node. Without options: your processes that have a terminal.\n"
      "  a   every user's processes (with a terminal, unless x)\n"
      "  x   processes without a terminal too (ax: every process)\n"
      "  u   user format: USER PID %CPU %MEM VSZ RSS TTY NODE STAT START TIME COMMAND\n"
      "  l   long format: UID PID PPID PRI NI VSZ RSS STAT TTY NODE TIME COMMAND\n"
      "  c   COMMAND is the executable's name, not its arguments\n"
      "  w   wide: never cut lines to the terminal's width\n"
      "  h   no header line\n"
      "  r   running processes only\n"
      "  n   numeric: user ids, not names\n"
      "  PID[,PID...]      only these processes\n"
      "  --ominfo          add HOME LOCK NMIGS CANTMOVE (openMosix: home node, no automatic\n"
      "                    migration, moves so far, why it cannot move)\n"
      "  --sort [+|-]KEY[,...]  order by KEY (- descending); keys: pid ppid uid user tty stat\n"
      "                    nice time pcpu rss vsz start comm cmd node home nmigs lock\n"
      "  --json            the rows as JSON (all fields, the selection applied)\n"
      "  --help, --version\n"
      "Other ps letters (e j m s v S t O ...) are refused with exit status 2.\n"
      "Exit status: 0 ok, 1 none of the PIDs exists, 2 usage error.\n",
      prog);
}

}  // namespace omx::cli
