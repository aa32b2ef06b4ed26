// The guest's view of a migrated body's descriptors under DFSA (docs/mfs-dfsa-design.md §3.2):
// every fd number is allocated at home (the deputy's table is the truth); an fd the guest has
// asked home about is either kept at home (its calls are forwarded) or *lent*: the body holds
// the same file at the same number, opened here under a shared directory, and data calls on it
// run on this node's kernel. Unknown fds have not been asked about yet.
//
// Single-threaded (the guest supervisor's thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace omx::migrate {

enum class FdState : uint8_t { kUnknown = 0, kHome = 1, kLent = 2 };

struct LentFd {
  std::string path;
  uint32_t flags = 0;  // the open flags used in the body
  // Opened by the body here (a local open; home holds an O_PATH placeholder at the number),
  // rather than lent from an fd home opened: going home reopens it there by path.
  bool opened_here = false;
  // `path` is home's /mfs/<this node>/X, the body's file is X (DFSA on /mfs).
  bool via_mfs = false;
};

class FdTable {
 public:
  FdState state(int fd) const;
  const LentFd* lent(int fd) const;
  // Every lent fd, ascending.
  std::vector<int> lent_fds() const;
  void set_home(int fd);
  void set_lent(int fd, LentFd l);
  void forget(int fd);                 // closed or replaced at home: ask again next time
  void forget_range(int lo, int hi);   // close_range
  size_t size() const { return fds_.size(); }

 private:
  struct Entry {
    FdState state = FdState::kUnknown;
    LentFd lent;
  };
  std::map<int, Entry> fds_;
};

}  // namespace omx::migrate
