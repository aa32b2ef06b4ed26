// RemotePtr<T>: an address in another process's address space. Never dereferenced here;
// only passed to ptrace, process_vm_* or /proc/PID/mem. Arithmetic is in units of T like a
// pointer (rr's remote_ptr).
#pragma once

#include <cstdint>
#include <type_traits>

namespace omx {

template <typename T>
class RemotePtr {
 public:
  constexpr RemotePtr() = default;
  constexpr explicit RemotePtr(uint64_t addr) : addr_(addr) {}
  constexpr uint64_t addr() const { return addr_; }
  constexpr bool null() const { return addr_ == 0; }
  template <typename U>
  constexpr RemotePtr<U> cast() const { return RemotePtr<U>(addr_); }
  constexpr RemotePtr operator+(int64_t n) const { return RemotePtr(addr_ + n * stride()); }
  constexpr RemotePtr operator-(int64_t n) const { return RemotePtr(addr_ - n * stride()); }
  constexpr auto operator<=>(const RemotePtr&) const = default;

 private:
  static constexpr uint64_t stride() {
    if constexpr (std::is_void_v<T>) return 1;
    else return sizeof(T);
  }
  uint64_t addr_ = 0;
};

}  // namespace omx
