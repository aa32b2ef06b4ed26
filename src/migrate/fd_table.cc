#include "migrate/fd_table.h"

namespace omx::migrate {

FdState FdTable::state(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? FdState::kUnknown : it->second.state;
}

const LentFd* FdTable::lent(int fd) const {
  auto it = fds_.find(fd);
  return it != fds_.end() && it->second.state == FdState::kLent ? &it->second.lent : nullptr;
}

std::vector<int> FdTable::lent_fds() const {
  std::vector<int> out;
  for (const auto& [fd, e] : fds_)
    if (e.state == FdState::kLent) out.push_back(fd);
  return out;
}

void FdTable::set_home(int fd) { fds_[fd] = Entry{FdState::kHome, {}}; }

void FdTable::set_lent(int fd, LentFd l) { fds_[fd] = Entry{FdState::kLent, std::move(l)}; }

void FdTable::forget(int fd) { fds_.erase(fd); }

void FdTable::forget_range(int lo, int hi) {
  if (hi < lo) return;
  fds_.erase(fds_.lower_bound(lo), fds_.upper_bound(hi));
}

}  // namespace omx::migrate
