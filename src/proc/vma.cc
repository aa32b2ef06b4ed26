#include "proc/vma.h"

#include <sys/mman.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace omx::proc {
namespace {

bool parse_hex(std::string_view s, uint64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Splits off the next space-separated field.
std::string_view next_field(std::string_view& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(b);
  size_t e = s.find(' ');
  std::string_view f = s.substr(0, e);
  s = e == std::string_view::npos ? std::string_view{} : s.substr(e);
  return f;
}

}  // namespace

int Vma::prot() const {
  return (read ? PROT_READ : 0) | (write ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);
}

Result<Vma> parse_maps_line(std::string_view line) {
  Vma v;
  auto bad = [&](const char* why) {
    return make_error(ErrorCode::kProtocol, fmt::format("maps line '{}': {}", line, why));
  };
  std::string_view s = line;
  std::string_view range = next_field(s), perms = next_field(s), off = next_field(s),
                   dev = next_field(s), ino = next_field(s);
  auto dash = range.find('-');
  if (dash == std::string_view::npos || !parse_hex(range.substr(0, dash), v.start) ||
      !parse_hex(range.substr(dash + 1), v.end) || v.end <= v.start)
    return bad("bad range");
  if (perms.size() != 4) return bad("bad permissions");
  v.read = perms[0] == 'r';
  v.write = perms[1] == 'w';
  v.exec = perms[2] == 'x';
  v.shared = perms[3] == 's';
  if (!parse_hex(off, v.offset)) return bad("bad offset");
  auto colon = dev.find(':');
  uint64_t maj = 0, min = 0;
  if (colon == std::string_view::npos || !parse_hex(dev.substr(0, colon), maj) ||
      !parse_hex(dev.substr(colon + 1), min))
    return bad("bad device");
  v.dev_major = static_cast<uint32_t>(maj);
  v.dev_minor = static_cast<uint32_t>(min);
  auto r = std::from_chars(ino.data(), ino.data() + ino.size(), v.inode);
  if (r.ec != std::errc()) return bad("bad inode");
  size_t b = s.find_first_not_of(' ');
  if (b != std::string_view::npos) {
    std::string_view path = s.substr(b);
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() > kDeleted.size() && path.ends_with(kDeleted)) {
      v.deleted = true;
      path.remove_suffix(kDeleted.size());
    }
    v.path = std::string(path);
  }
  return v;
}

void apply_vm_flags(std::string_view flags_line, Vma& v) {
  std::string_view s = flags_line.substr(flags_line.find(':') + 1);
  for (std::string_view f = next_field(s); !f.empty(); f = next_field(s)) {
    if (f == "lo") v.locked = true;
    else if (f == "io" || f == "pf") v.io_or_pfn = true;
    else if (f == "gd") v.grows_down = true;
    else if (f == "dd") v.dont_dump = true;
    else if (f == "ht") v.hugetlb = true;
    else if (f == "mw") v.may_write = true;
  }
}

Result<std::vector<Vma>> read_vmas(pid_t pid) {
  std::string path = fmt::format("/proc/{}/smaps", pid);
  std::ifstream in(path);
  if (!in) return sys_error("open " + path, pid, errno == 0 ? ENOENT : errno);
  std::vector<Vma> out;
  std::string line;
  bool skipping = false;  // inside the attribute lines of a VMA we do not keep
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // VMA header lines start with a hex address followed by '-'; attribute lines with a Name:.
    size_t sp = line.find(' ');
    size_t colon = line.find(':');
    bool header = line.find('-') < sp && (colon == std::string::npos || colon > line.find('-'));
    if (header) {
      OMX_ASSIGN(Vma v, parse_maps_line(line));
      skipping = v.path == "[vsyscall]";
      if (!skipping) out.push_back(std::move(v));
    } else if (!skipping && line.rfind("VmFlags:", 0) == 0 && !out.empty()) {
      apply_vm_flags(line, out.back());
    }
  }
  if (out.empty()) return make_error(ErrorCode::kVanished, "read " + path, pid);
  return out;
}

}  // namespace omx::proc
