// DFSA decisions that need no process: which paths lie under a shared directory, which
// directories are shared by both ends of a move, whether a home fd may be lent to the body,
// and which system calls on a lent fd run on the body's kernel (docs/mfs-dfsa-design.md
// §3.2-3.3). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/protocol.h"

namespace omx::migrate {

// Lexical normalisation of an absolute path: `//` and `.` removed, no trailing `/` (but "/"
// stays). Returns nullopt for a relative path or one with a `..` component (a `..` through a
// symlink could leave a shared tree: such paths are never local).
std::optional<std::string> normalize_path(std::string_view path);

// Whether `path` (absolute) is `dir` or lies beneath it, at a component boundary.
bool path_under(std::string_view path, const std::vector<std::string>& dirs);

// Directories configured on this node: each normalised; relative or `..` entries dropped.
std::vector<std::string> clean_dirs(const std::vector<std::string>& dirs);
// "a:b:c" (OMX_DFSA_DIRS) as a list.
std::vector<std::string> split_dir_list(std::string_view list);

// The effective shared directories of a move: those configured at home (the offer) that this
// node configures too. A mismatch degrades to forwarding, never to a wrong file.
std::vector<std::string> effective_dirs(const std::vector<std::string>& home,
                                        const std::vector<std::string>& here);

// /mfs of the node the body runs on (design §3.3 "/mfs paths"): `path` (absolute, as the
// process passed it) names, through home's /mfs mounted at `mount`, a file X of node `here`
// when it is `<mount>/<here>/X` or `<mount>/here/X` (home answers /mfs/here for a deputy with
// the node its body runs on). Returns where X begins in `path`, so that path.substr(offset) is
// X, still absolute ("/mfs/2//tmp/x" -> 6, X = "//tmp/x"): a call can be pointed at X inside
// the process's own string. nullopt for anything else: another node, a `..` anywhere, the node
// directory itself (nothing after "/mfs/2" to point at: forwarded), and an X the /mfs server
// refuses lexically (/proc, /sys, /dev) or under `mount` (the node's own /mfs shows empty).
std::optional<size_t> mfs_local_offset(std::string_view path, std::string_view mount, uint32_t here);

// Why the home fd described by `info` must stay at home, or "" when it may be lent (regular
// file under a shared dir, description not shared with another fd or process, no lock).
// `mfs_here`: its path names a file of this node through /mfs (mfs_local_offset), which
// counts as a shared path.
std::string promotion_refusal(const FdInfo& info, const std::vector<std::string>& dirs,
                              bool mfs_here = false);

// The flags to reopen a lent file with in the body: creation flags dropped, status flags and
// close-on-exec kept.
uint32_t reopen_flags(uint32_t fdinfo_flags);

// How a call treats its fd arguments under DFSA.
enum class FdCall : uint8_t {
  kNoFd = 0,     // no fd argument (or not one DFSA cares about)
  kData = 1,     // data call on args[0]: runs on the body's kernel when that fd is lent
  kOther = 2,    // names fds otherwise: a lent fd among them is demoted first
};
// `empty_path`: for newfstatat/statx, whether the path argument is "" (with AT_EMPTY_PATH the
// call works on the fd itself).
FdCall classify_fd_call(int64_t nr, const uint64_t args[6], bool empty_path);

// Whether `nr` is a call by path that leaves nothing at home (stat, access, readlink, mkdir,
// unlink, rename, chmod, utimes, statfs, ...: design §3.3 "by path, nothing at home"): when
// every path argument is absolute and under a shared directory it runs on the body's kernel.
bool is_path_only_call(int64_t nr);

}  // namespace omx::migrate
