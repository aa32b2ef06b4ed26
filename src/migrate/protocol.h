// The migration protocol between a home supervisor and a guest supervisor: one authenticated
// wire::Channel per migrated process. Message payloads are encoded with wire::Writer.
//
// Moving out (home -> guest), a two-phase transaction: nothing is given up at home until the
// guest has rebuilt the process and said so.
//   home  kMigrateOffer  {owner uid, gid, groups; files: path, size, mtime_ns}
//   guest kMigrateAccept {bitmap: which files it has identical}
//   home  kMigrateImage  {encode_image()}  then kMigratePages* {addr, bytes}, kMigratePagesEnd
//   guest kMigrateAck    {ok u8, error str}      (body rebuilt, stopped)
//   home  kMigrateCommit {}                      (deputy takes over; the body starts running)
// Any error or a closed connection before kMigrateCommit: the guest kills what it built, the
// process keeps running at home.
//
// Running (guest -> home): kSyscallRequest / kSyscallReply; home -> guest kSignal {siginfo};
// guest -> home kExit {kind u8 (0 exit, 1 signal), code i32} ends it.
//
// Coming back (guest -> home), requested (home kMigrateHome) or because the body made a call
// only home can make (fork, execve, ...): guest kGoHome {reason str}, kMigrateImage,
// kMigratePages*, kMigratePagesEnd; home kMigrateAck {ok, error}. On a failed return the body
// keeps running at the guest.
//
// Automatic balancing of a process that is away: the offer carries its BalancePolicy; home
// sends kBalancePolicy {balance u8, locked u8} when it changes (omx lock/unlock). The guest's
// balancer (every ~1 s, on the node where the body runs) may send kBalanceMove {to u32, reason
// str}; home, unless the process is locked meanwhile, moves it there as `migrate` does (home
// first: kMigrateHome, then out again unless `to` is home).
//
// While away the guest reports the body's figures about once a second, kBodyStats {cpu_ms u64:
// CPU time the body used on this node in this stay, rss_bytes u64, home_wait_permille u16,
// fwd_calls_per_s u32, fwd_bytes_per_s u64, local_calls_per_s u32}, so that home's listings
// (omx ps, mps, mtop) show the process's CPU and memory rather than its deputy's, and home's
// balancer knows how much the process waits for home (migrate/io_meter.h). The last four
// fields came later: a payload of the first 16-byte form decodes with them 0.
//
// renice at home reaches the body: at each kBodyStats home compares the deputy's nice
// (getpriority; `renice -p PID` at home changes the deputy, which is the process's pid) with
// what it last sent in this stay and, when it differs, sends kBodyNice {nice i32 as u32,
// -20..19}; the guest applies it to the body with setpriority. Gated by wire::kFeatureBodyNice
// (an older guest would reject the unknown frame and lose the process). A kBodyNice that
// crosses the guest's kGoHome is dropped: at home the deputy's own nice applies.
//
// DFSA (docs/mfs-dfsa-design.md §3): the offer may end with the home node's shared directories
// (omxd --dfsa-dir; absent when none, so the offer is unchanged without DFSA). While away the
// guest may ask kFdQuery {fd i32} about one of the deputy's descriptors; home answers at once
// with kFdInfo (FdInfo below), read from /proc without touching the deputy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "wire/channel.h"

namespace omx::migrate {

struct FileIdentity {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// How the balancer may treat a process (mosrun flags, omx lock).
struct BalancePolicy {
  bool balance = false;     // automatic balancing on (mosrun default; omx run --balance)
  bool locked = false;      // mosrun -L / omx lock: automatic balancing leaves it where it is
  uint8_t hint = 0;         // balance::Hint (mosrun -c / -i)
  uint64_t cpu_ms = 0;      // CPU time it used before this move (the balancer's age estimate)
};

struct Offer {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
  std::vector<FileIdentity> files;
  BalancePolicy policy;
  // DFSA: directories identical on every node that configures them (omxd --dfsa-dir). Encoded
  // only when non-empty (a trailing count + strings).
  std::vector<std::string> shared_dirs;
  // Where home's /mfs is mounted ("" none): a body's calls on `<mfs_mount>/<its node>/X` may
  // run on X where it runs (DFSA, dfsa_paths.h mfs_local_offset). Encoded after shared_dirs
  // (whose count may then be 0) only when non-empty.
  std::string mfs_mount;
};

std::vector<uint8_t> encode(const Offer& o);
Result<Offer> decode_offer(std::span<const uint8_t> b);

std::vector<uint8_t> encode_policy(bool balance, bool locked);

// kBodyStats payload: what the body used where it runs (this stay).
struct BodyStats {
  uint64_t cpu_ms = 0;
  uint64_t rss_bytes = 0;
  // The I/O meter's window (about the last 2 s): fraction of wall time the body waited for home
  // (0..1000), forwarded calls and their bytes per second, calls served locally (DFSA) per second.
  uint16_t home_wait_permille = 0;
  uint32_t fwd_calls_per_s = 0;
  uint64_t fwd_bytes_per_s = 0;
  uint32_t local_calls_per_s = 0;
};
std::vector<uint8_t> encode(const BodyStats& s);
Result<BodyStats> decode_body_stats(std::span<const uint8_t> b);
Status decode_policy(std::span<const uint8_t> b, BalancePolicy& into);

// kBodyNice payload: the nice value, -20..19.
std::vector<uint8_t> encode_body_nice(int nice);
Result<int> decode_body_nice(std::span<const uint8_t> b);

// DFSA: the guest asks home about the deputy's fd (kFdQuery); home answers kFdInfo.
struct FdInfo {
  int32_t fd = -1;
  int32_t err = 0;          // 0, or the errno of looking at it (EBADF: not open)
  std::string path;         // readlink of /proc/<deputy>/fd/N
  uint32_t mode = 0;        // st_mode of the open file
  uint64_t ino = 0, size = 0;
  uint32_t flags = 0;       // fdinfo "flags:" (access mode, O_APPEND, O_CLOEXEC, ...)
  uint64_t pos = 0;         // fdinfo "pos:"
  bool shared = false;      // another process holds the same open file description
  bool locked = false;      // fdinfo lists a lock on it
};
std::vector<uint8_t> encode_fd_query(int32_t fd);
Result<int32_t> decode_fd_query(std::span<const uint8_t> b);
std::vector<uint8_t> encode(const FdInfo& i);
Result<FdInfo> decode_fd_info(std::span<const uint8_t> b);

// Whether this node has the file exactly as described (same size and modification time).
bool have_identical_file(const FileIdentity& f);
Result<FileIdentity> identify_file(const std::string& path);

// Ack payload helpers.
std::vector<uint8_t> encode_ack(const Status& s);
Status decode_ack(std::span<const uint8_t> b);

// Exit payload.
struct ExitInfo {
  bool by_signal = false;
  int code = 0;  // exit status or signal number
};
std::vector<uint8_t> encode(const ExitInfo& e);
Result<ExitInfo> decode_exit(std::span<const uint8_t> b);

// Receives the next frame of type `want`; any other type is a protocol error, kError carries
// the peer's reason. Frames of type `skip` (if set) are dropped (each recv waits up to timeout).
Result<wire::Frame> expect(wire::Channel& ch, wire::MsgType want, wire::Duration timeout,
                           std::optional<wire::MsgType> skip = std::nullopt);

}  // namespace omx::migrate
