#include <cstdlib>

#include <gtest/gtest.h>

#include "arch/x86_64/regs.h"
#include "base/fault.h"
#include "base/result.h"

namespace omx {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(ErrorCode::kInvalid, "odd number");
  return x / 2;
}

Result<int> quarter(int x) {
  OMX_ASSIGN(int h, half(x));
  return half(h);
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(r.error().message(), "odd number");
}

TEST(Result, SysErrorNamesCallPidAndErrno) {
  Error e = sys_error("ptrace(GETREGS)", 42, EPERM);
  EXPECT_EQ(e.message(), "ptrace(GETREGS) (pid 42): Operation not permitted");
  EXPECT_EQ(sys_error("ptrace", 42, ESRCH).code, ErrorCode::kVanished);
}

TEST(Fault, FiresOnNthHit) {
  setenv("OMX_FAULT", "a.b@2,c", 1);
  EXPECT_FALSE(fault::hit("a.b"));
  EXPECT_TRUE(fault::hit("a.b"));
  EXPECT_FALSE(fault::hit("a.b"));
  EXPECT_TRUE(fault::hit("c"));
  EXPECT_FALSE(fault::hit("unarmed"));
}

TEST(Registers, InterruptedSleepResumesWithTheTimeLeft) {
  arch::Registers r;
  r.raw().orig_rax = 230;  // clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem)
  r.raw().rax = static_cast<uint64_t>(arch::kERestartRestartBlock);
  r.raw().rdi = 1;
  r.raw().rsi = 0;
  r.raw().rdx = 0x1000;  // req
  r.raw().r10 = 0x2000;  // rem: the kernel wrote the time left here
  r.raw().rip = 0x4002;
  EXPECT_TRUE(r.rewind_interrupted_syscall());
  EXPECT_EQ(r.raw().rdx, 0x2000u);
  EXPECT_EQ(r.raw().rip, 0x4000u);
  arch::Registers abs = r;
  abs.raw().orig_rax = 230;
  abs.raw().rax = static_cast<uint64_t>(arch::kERestartRestartBlock);
  abs.raw().rsi = 1;  // TIMER_ABSTIME: the deadline is absolute, keep it
  abs.raw().rdx = 0x1000;
  abs.raw().rip = 0x4002;
  EXPECT_TRUE(abs.rewind_interrupted_syscall());
  EXPECT_EQ(abs.raw().rdx, 0x1000u);
  arch::Registers ns;
  ns.raw().orig_rax = 35;  // nanosleep(req, rem)
  ns.raw().rax = static_cast<uint64_t>(arch::kERestartRestartBlock);
  ns.raw().rdi = 0x1000;
  ns.raw().rsi = 0x2000;
  ns.raw().rip = 0x4002;
  EXPECT_TRUE(ns.rewind_interrupted_syscall());
  EXPECT_EQ(ns.raw().rdi, 0x2000u);
}

TEST(Registers, RewindsInterruptedSyscall) {
  arch::Registers r;
  r.raw().orig_rax = 0;  // read
  r.raw().rax = static_cast<uint64_t>(arch::kERestartSys);
  r.raw().rip = 0x1002;
  EXPECT_TRUE(r.rewind_interrupted_syscall());
  EXPECT_EQ(r.raw().rip, 0x1000u);
  EXPECT_EQ(r.raw().rax, 0u);
  arch::Registers done;
  done.raw().orig_rax = 0;
  done.raw().rax = 5;  // completed read of 5 bytes
  EXPECT_FALSE(done.rewind_interrupted_syscall());
}

}  // namespace
}  // namespace omx
