// Captures a running test program and rebuilds it in a fresh process on this machine; the
// original is killed and the copy must finish and verify itself (exit 0). This exercises the
// whole image path (maps, pages, registers, xstate, signals, rseq, vDSO) without a network.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "proc/capture.h"
#include "proc/restore.h"

namespace omx::proc {
namespace {

std::string program(const char* name) {
  const char* build = std::getenv("OMX_BUILD");
  return std::string(build ? build : ".") + "/tests/programs/" + name;
}

// Starts `argv` with stdout on a pipe and waits for its first line ("ready ...").
pid_t start_program(std::vector<std::string> argv) {
  int out[2];
  if (pipe(out) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  char c = 0;
  while (read(out[0], &c, 1) == 1 && c != '\n') {}
  if (c != '\n') {  // it never got ready (e.g. exec failed)
    waitpid(pid, nullptr, 0);
    ADD_FAILURE() << argv[0] << " did not start";
    return -1;
  }
  // Leave the pipe's read end open (leaked on purpose) so the program never gets SIGPIPE.
  return pid;
}

// Moves the running process `pid` into a fresh process; returns the new pid (traced by us).
Result<Tracee> move_locally(pid_t pid, const CaptureOptions& opts, ProcessImage* out = nullptr) {
  OMX_ASSIGN(Tracee t, Tracee::seize(pid));
  std::vector<siginfo_t> deferred;
  OMX_TRY(t.stop(&deferred));
  OMX_ASSIGN(std::vector<Vma> vmas, read_vmas(pid));
  OMX_ASSIGN(ProcessMemory mem, ProcessMemory::open(pid));
  OMX_ASSIGN(arch::Registers regs, t.get_regs());
  OMX_ASSIGN(ScratchArea scratch, create_scratch(t, mem, vmas, regs, 1 << 16, &deferred));
  RemoteSyscaller rs(t, mem, scratch, regs);
  OMX_ASSIGN(CaptureResult cap, capture_state(t, rs, regs, vmas));
  PageBuffer pages;
  OMX_TRY(capture_pages(mem, cap.image, opts, pages));
  OMX_ASSIGN(RestoreHost host, spawn_restore_host(cap.image, 1 << 16));
  OMX_ASSIGN(ProcessMemory hmem, ProcessMemory::open(host.tracee.pid()));
  OMX_TRY(restore_into(host.tracee, hmem, host.scratch, host.regs, cap.image, pages, {}));
  if (out) *out = cap.image;
  t.release();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return std::move(host.tracee);
}

// Resumes a traced process and runs it to its end, passing its signals through.
int run_to_exit(Tracee& t) {
  int sig = 0;
  for (;;) {
    if (!t.cont(sig).ok()) return -1;
    auto e = t.wait();
    if (!e.ok()) return -1;
    if (e->kind == StopEvent::Kind::kExited) return e->exit_status;
    if (e->kind == StopEvent::Kind::kKilled) return 128 + e->sig;
    sig = e->kind == StopEvent::Kind::kSignal ? e->sig : 0;
    if (sig == SIGSEGV || sig == SIGILL || sig == SIGBUS) {
      auto r = t.get_regs();
      auto si = t.get_siginfo();
      if (r.ok() && si.ok())
        ADD_FAILURE() << "restored process got signal " << sig << " at rip=0x" << std::hex
                      << r->ip() << " addr=" << si->si_addr;
      if (std::getenv("OMX_TEST_DEBUG")) {
        system(("cat /proc/" + std::to_string(t.pid()) + "/maps").c_str());
      }
    }
  }
}

void expect_moves_and_finishes(std::vector<std::string> argv, const CaptureOptions& opts) {
  pid_t pid = start_program(argv);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  ProcessImage img;
  auto moved = move_locally(pid, opts, &img);
  ASSERT_TRUE(moved.ok()) << moved.error().message();
  EXPECT_NE(moved->pid(), pid);
  EXPECT_EQ(run_to_exit(*moved), 0) << "the restored copy failed its self-check";
}

CaptureOptions files_everywhere() {
  CaptureOptions o;
  o.file_available = [](const Vma&) { return true; };
  return o;
}

TEST(LocalRestore, DynamicProgramWithFilesAvailable) {
  expect_moves_and_finishes({program("zdtm_memory"), "16", "60"}, files_everywhere());
}

TEST(LocalRestore, DynamicProgramWithEveryPageSent) {
  expect_moves_and_finishes({program("zdtm_memory"), "16", "60"}, CaptureOptions{});
}

TEST(LocalRestore, StaticProgram) {
  expect_moves_and_finishes({program("zdtm_memory_static"), "16", "60"}, files_everywhere());
}

TEST(LocalRestore, NoLibcProgramInNanosleep) {
  expect_moves_and_finishes({program("zdtm_nolibc")}, files_everywhere());
}

TEST(LocalRestore, ZeroPagesAreNotSent) {
  pid_t pid = start_program({program("zdtm_memory"), "16", "60"});
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ProcessImage img;
  auto moved = move_locally(pid, files_everywhere(), &img);
  ASSERT_TRUE(moved.ok()) << moved.error().message();
  // The 16 MiB heap was written and must travel; the 1 MiB calloc'd block never was, so the
  // total stays well under heap + 4 MiB (code, libc data, stack).
  EXPECT_GT(img.pages_sent * 4096, 16u << 20);
  EXPECT_LT(img.pages_sent * 4096, (16u << 20) + (4u << 20)) << "sent far more than touched";
  EXPECT_EQ(run_to_exit(*moved), 0);
}

}  // namespace
}  // namespace omx::proc
