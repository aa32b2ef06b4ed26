// relay::run_as with real processes: the whitelist (nothing else is ever executed), the
// credential drop (a program run as 65534 is 65534 and cannot signal root's process), the
// timeout (process group killed, the call returns in time, also when a background process keeps
// the output pipes open), the output cap and the exit status. The omx binary is a stand-in
// script (set_omx_binary) whose subcommands do what each case needs. Tests that change
// credentials exit 77 (skipped) without root.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "relay/run_as.h"

namespace omx::relay {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void need_root() {
  if (::geteuid() != 0) {
    // ctest counts a GTEST_SKIP as a pass; exit 77 is reported as skipped (SKIP_RETURN_CODE).
    std::fprintf(stderr, "skipped: needs root (changes credentials)\n");
    std::fflush(nullptr);
    _exit(77);
  }
}

// A directory everyone may read, holding a stand-in `omx` script.
class FakeOmx : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/omx-run-as-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    std::ofstream(dir_ + "/omx") << "#!/bin/sh\n"
                                    "case \"$1\" in\n"
                                    "  ps) id -u; id -g; id -G; pwd ;;\n"
                                    "  status) sleep 30 ;;\n"
                                    "  showmap) echo $$; sleep 30 & echo started ;;\n"
                                    "  mps) head -c 3000000 /dev/zero; echo err >&2 ;;\n"
                                    "  where) echo \"$2\" >&2; exit 7 ;;\n"
                                    "  lock) kill -TERM $$ ;;\n"
                                    "esac\n";
    ::chmod((dir_ + "/omx").c_str(), 0755);
    set_omx_binary(dir_ + "/omx");
  }
  void TearDown() override {
    set_omx_binary("");
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST(RunAsWhitelist, RefusesEverythingElseWithoutRunningIt) {
  std::string marker = "/tmp/omx-run-as-marker-" + std::to_string(::getpid());
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"touch", marker}, {"sh", "-c", "touch " + marker},
        {"/bin/kill", "-0", "1"}, {"/usr/bin/touch", marker}, {"omx"}, {"omx", "cluster", "down"},
        {"omx", "run", "touch", marker}, {"omx", "--help"}, {"kill2"}, {""}}) {
    auto r = run_as({0, 0}, argv, 5s);
    ASSERT_FALSE(r.ok()) << argv[0];
    EXPECT_EQ(r.error().code, ErrorCode::kRefused) << r.error().message();
    EXPECT_NE(r.error().message().find("may not be run"), std::string::npos) << r.error().message();
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
  auto empty = run_as({0, 0}, {}, 5s);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalid);
  auto nul = run_as({0, 0}, {"kill", std::string("-0\0 1", 5)}, 5s);
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().code, ErrorCode::kInvalid);
}

TEST(RunAsWhitelist, ResolvesToAbsolutePaths) {
  auto k = resolve_command({"kill", "-0", "1"});
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_TRUE(*k == "/bin/kill" || *k == "/usr/bin/kill") << *k;
  auto r = resolve_command({"renice", "-n", "1", "-p", "1"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->front(), '/');
}

TEST_F(FakeOmx, RunsAsTheGivenUserWithItsGroupsOnly) {
  need_root();
  auto r = run_as({65534, 65534}, {"omx", "ps"}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_FALSE(r->timed_out);
  // uid, gid, groups (no group 0 left over from root), cwd /.
  std::istringstream lines(r->out);
  std::string uid, gid, groups, cwd;
  std::getline(lines, uid);
  std::getline(lines, gid);
  std::getline(lines, groups);
  std::getline(lines, cwd);
  EXPECT_EQ(uid, "65534");
  EXPECT_EQ(gid, "65534");
  EXPECT_EQ(groups.find(" 0"), std::string::npos) << groups;
  EXPECT_NE(groups.substr(0, 2), "0 ") << groups;
  EXPECT_EQ(cwd, "/");
}

TEST(RunAs, NobodyCannotSignalRootsProcess) {
  need_root();
  pid_t victim = ::fork();
  ASSERT_GE(victim, 0);
  if (victim == 0) {
    ::pause();
    _exit(0);
  }
  auto as_nobody = run_as({65534, 65534}, {"kill", "-STOP", std::to_string(victim)}, 10s);
  auto as_root = run_as({0, 0}, {"kill", "-0", std::to_string(victim)}, 10s);
  ::kill(victim, SIGKILL);
  int status;
  ::waitpid(victim, &status, 0);
  ASSERT_TRUE(as_nobody.ok()) << as_nobody.error().message();
  EXPECT_NE(as_nobody->exit_code, 0);
  EXPECT_NE(as_nobody->err.find("not permitted"), std::string::npos) << as_nobody->err;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the victim was stopped?";
  ASSERT_TRUE(as_root.ok()) << as_root.error().message();
  EXPECT_EQ(as_root->exit_code, 0) << as_root->err;
}

TEST_F(FakeOmx, TimeoutKillsTheProgramAndReturnsInTime) {
  auto t0 = Clock::now();
  auto r = run_as({::geteuid(), ::getegid()}, {"omx", "status"}, 300ms);
  auto took = Clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -SIGKILL);
  EXPECT_LT(took, 3s);
}

TEST_F(FakeOmx, BackgroundProcessHoldingThePipesDoesNotBlock) {
  auto t0 = Clock::now();
  auto r = run_as({::geteuid(), ::getegid()}, {"omx", "showmap"}, 20s);
  auto took = Clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error().message();
  pid_t group = std::atoi(r->out.c_str());
  if (group > 1) ::kill(-group, SIGKILL);  // the background sleep
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->out.find("started\n"), std::string::npos) << r->out;
  EXPECT_LT(took, 5s);
}

TEST_F(FakeOmx, OutputIsCappedAndTheRestDropped) {
  auto r = run_as({::geteuid(), ::getegid()}, {"omx", "mps"}, 20s, 1 << 20);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 1u << 20);
  EXPECT_TRUE(r->out_truncated);
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->err_truncated);
}

TEST_F(FakeOmx, ExitStatusAndSignalAreReported) {
  auto r = run_as({::geteuid(), ::getegid()}, {"omx", "where", "42"}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->err, "42\n");
  auto s = run_as({::geteuid(), ::getegid()}, {"omx", "lock"}, 10s);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->exit_code, -SIGTERM);
}

TEST_F(FakeOmx, MissingBinaryIsAnErrorNotARun) {
  set_omx_binary(dir_ + "/nonexistent");
  auto r = run_as({::geteuid(), ::getegid()}, {"omx", "ps"}, 5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, ENOENT);
}

}  // namespace
}  // namespace omx::relay
