#include "dashboard/static_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace omx::dashboard {
namespace {

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::optional<std::string> real(const std::string& p) {
  char buf[PATH_MAX];
  if (!::realpath(p.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string default_web_root() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    std::string web = self.substr(0, self.rfind('/')) + "/../web";
    if (auto r = real(web); r && is_dir(*r)) return *r;
  }
  return "/usr/share/omx/web";
}

std::optional<std::string> resolve_static(const std::string& root, std::string_view url_path) {
  if (url_path.empty() || url_path[0] != '/') return std::nullopt;
  std::string rel;
  std::string_view rest = url_path.substr(1);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (seg.empty() && !last) return std::nullopt;  // "//"
    if (seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos ||
        seg.find('\\') != std::string_view::npos)
      return std::nullopt;
    if (!seg.empty()) rel += "/" + std::string(seg);
    if (last) break;
    rest.remove_prefix(slash + 1);
    if (rest.empty()) break;  // trailing slash
  }
  auto real_root = real(root);
  if (!real_root) return std::nullopt;
  std::string path = *real_root + rel;
  if (is_dir(path)) path += "/index.html";
  auto resolved = real(path);
  if (!resolved || !is_file(*resolved)) return std::nullopt;
  if (resolved->compare(0, real_root->size() + 1, *real_root + "/") != 0) return std::nullopt;
  return resolved;
}

std::string mime_type(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".map", "application/json"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
      {".woff2", "font/woff2"}, {".woff", "font/woff"}, {".txt", "text/plain; charset=utf-8"},
      {".yaml", "application/yaml"}, {".yml", "application/yaml"}, {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [ext, type] : kTypes)
    if (ends_with(path, ext)) return std::string(type);
  return "application/octet-stream";
}

}  // namespace omx::dashboard
