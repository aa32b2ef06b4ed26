// Small whole-file helpers for the harness's files (cluster.json, the map, the key, registry
// entries). Thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace omx::cluster {

// Reads a whole file of at most max_bytes.
Result<std::string> read_text_file(const std::string& path, size_t max_bytes = 1 << 20);

// Writes data to path through a temporary file in the same directory, fsync-free rename, so a
// reader sees the old or the new contents, never half. The file gets `mode`.
Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode = 0644);

// mkdir -p with `mode` for the directories it creates.
Status make_dirs(const std::string& path, mode_t mode = 0755);

}  // namespace omx::cluster
