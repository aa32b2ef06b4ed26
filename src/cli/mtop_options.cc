#include "mtop_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace omx::cli::mtop {
namespace {

Error bad(std::string what) { return make_error(ErrorCode::kInvalid, std::move(what)); }

bool to_long(const std::string& s, long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtol(s.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

Status parse_pids(const std::string& text, std::vector<pid_t>& out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string one = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    long v = 0;
    if (!to_long(one, v) || v <= 0 || v > 0x7fffffff)
      return bad(fmt::format("-p: '{}' is not a process id", one));
    out.push_back(static_cast<pid_t>(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ok_status();
}

// Applies flag `f` with its value `v` (value flags only).
Status apply_value(Options& o, char f, const std::string& v) {
  long n = 0;
  switch (f) {
    case 'n':
      if (!to_long(v, n) || n <= 0 || n > 1000000000)
        return bad(fmt::format("-n: '{}' is not a positive number of iterations", v));
      o.iterations = static_cast<int>(n);
      return ok_status();
    case 'd': {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 86400)
        return bad(fmt::format("-d: '{}' is not a delay in seconds", v));
      o.delay_s = d;
      return ok_status();
    }
    case 'p': return parse_pids(v, o.pids);
    case 'u':
      if (v.empty()) return bad("-u: no user given");
      o.user = v;
      return ok_status();
    case 'w':
      if (!to_long(v, n) || n < 1 || n > 100000) return bad(fmt::format("-w: '{}' is not a width", v));
      o.width = static_cast<int>(n);
      return ok_status();
    case 'o': {
      std::string name = v;
      o.reverse = !name.empty() && name[0] == '-';
      if (!name.empty() && (name[0] == '-' || name[0] == '+')) name.erase(0, 1);
      auto field = field_by_name(name);
      if (!field) return bad(fmt::format("-o: unknown field '{}' (one of the column names)", v));
      o.sort = *field;
      return ok_status();
    }
  }
  return bad(fmt::format("unknown flag -{}", f));
}

// One "-xyz" token (and maybe the next argument as a value); advances i.
Status parse_short(Options& o, const std::vector<std::string>& args, size_t& i) {
  const std::string& a = args[i];
  for (size_t k = 1; k < a.size(); ++k) {
    char f = a[k];
    if (f == 'b') { o.batch = true; continue; }
    if (f == 'h') { o.help = true; continue; }
    if (std::string_view("ndpuwo").find(f) == std::string_view::npos)
      return bad(fmt::format("unknown flag -{} (--help for usage)", f));
    std::string v;
    if (k + 1 < a.size()) v = a.substr(k + 1);
    else if (i + 1 < args.size()) v = args[++i];
    else return bad(fmt::format("-{} needs a value (--help for usage)", f));
    return apply_value(o, f, v);
  }
  return ok_status();
}

}  // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help") o.help = true;
    else if (a == "--json") o.json = true;
    else if (a.size() > 1 && a[0] == '-' && a[1] != '-') OMX_TRY(parse_short(o, args, i));
    else return bad(fmt::format("unexpected argument '{}' (--help for usage)", a));
  }
  return o;
}

std::string usage_text(const std::string& prog) {
  return fmt::format(
      "usage: {} [-b] [-n N] [-d SECS] [-p PID[,PID...]] [-u USER] [-o [+|-]FIELD] [-w COLS] [--json]\n"
      "top with a NODE column: the processes of this node and where each runs now.\n"
      "  -b          batch mode: plain text on stdout, no terminal needed\n"
      "  -n N        stop after N refreshes\n"
      "  -d SECS     delay between refreshes (default 3; fractions allowed)\n"
      "  -p PIDS     only these processes (comma-separated)\n"
      "  -u USER     only processes of USER (name or uid)\n"
      "  -o FIELD    sort by FIELD (PID USER PR NI VIRT RES S %CPU %MEM TIME+ NODE HOME LOCK\n"
      "              NMIGS COMMAND); -FIELD low to high\n"
      "  -w COLS     batch mode: cut lines to COLS columns\n"
      "  --json      print one snapshot as JSON and exit\n"
      "Keys: q quit, h help, P M N T sort by CPU, memory, pid, time, < > move the sort column,\n"
      "R reverse, u user, k kill, r renice, d/s delay, space refresh, o omx processes only.\n"
      "Exit status: 0 ok, 1 failed, 2 usage error.\n",
      prog);
}

}  // namespace omx::cli::mtop
