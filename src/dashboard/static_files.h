// Static files of the dashboard's front-end (the web root, built into ${build}/web or installed
// in /usr/share/omx/web): URL path -> file, with no way out of the root.
//
// A path is refused (nothing) when any segment is "..", ".", empty in the middle, or contains a
// NUL or a backslash; the resolved file must still lie under the root after symlinks are
// followed (realpath). "/" and directories mean their index.html.
//
// Thread-safe (reads the file system only).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace omx::dashboard {

// --web-root default: <dir of /proc/self/exe>/../web when it exists, else /usr/share/omx/web.
std::string default_web_root();

// The file to serve for url_path (already percent-decoded), or nothing (404).
std::optional<std::string> resolve_static(const std::string& root, std::string_view url_path);

// Content-Type by extension (application/octet-stream when unknown).
std::string mime_type(std::string_view path);

}  // namespace omx::dashboard
