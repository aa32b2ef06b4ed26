// Logging: one named spdlog logger per component ("migrate", "ptrace", "wire", ...).
// OMX_LOG=migrate:debug,wire:info (or just OMX_LOG=debug) selects levels; default is "info"
// for daemons and "warn" for command-line tools. Output goes to stderr. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace omx::log {

// Returns the logger for a component, creating it on first use with the level OMX_LOG asks for.
std::shared_ptr<spdlog::logger> get(std::string_view component);

// Sets the default level for components OMX_LOG does not name ("info", "warn", ...).
void set_default_level(std::string_view level);

// Prefixes every line with a tag (e.g. "node2" or "sup 1234"), for multi-process logs.
void set_process_tag(std::string_view tag);

}  // namespace omx::log
