// procinfo: /proc text parsing (stat, tty numbers, BSD STAT, CPU time, cmdline), the
// supervisor names in /proc/net/unix, merging omx information into rows; omxd's ring of
// recent migrations (daemon/process_registry.h).
#include <gtest/gtest.h>

#include <sys/sysmacros.h>

#include "daemon/process_registry.h"
#include "procinfo/process_lister.h"
#include "procinfo/proc_row.h"

namespace omx::procinfo {
namespace {

TEST(ProcInfo, ParsesStatWithSpacesAndParensInComm) {
  std::string text =
      "4242 (my (odd) prog) S 1 4242 4242 34816 4242 4194560 100 0 0 0 250 50 0 0 20 -5 3 0 "
      "12345 104857600 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto f = parse_stat(text);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->comm, "my (odd) prog");
  EXPECT_EQ(f->state, 'S');
  EXPECT_EQ(f->ppid, 1);
  EXPECT_EQ(f->pgrp, 4242);
  EXPECT_EQ(f->session, 4242);
  EXPECT_EQ(f->tty_nr, 34816u);
  EXPECT_EQ(f->tpgid, 4242);
  EXPECT_EQ(f->utime, 250u);
  EXPECT_EQ(f->stime, 50u);
  EXPECT_EQ(f->priority, 20);
  EXPECT_EQ(f->nice, -5);
  EXPECT_EQ(f->threads, 3);
  EXPECT_EQ(f->starttime, 12345u);
  EXPECT_EQ(f->vsize, 104857600u);
  EXPECT_EQ(f->rss_pages, 512);
}

TEST(ProcInfo, RejectsBrokenStat) {
  EXPECT_FALSE(parse_stat("").ok());
  EXPECT_FALSE(parse_stat("12 (x").ok());
  EXPECT_FALSE(parse_stat("12 (x) S 1 2").ok());
}

TEST(ProcInfo, NamesTerminals) {
  EXPECT_EQ(tty_name(0), "?");
  EXPECT_EQ(tty_name(makedev(136, 3)), "pts/3");
  EXPECT_EQ(tty_name(makedev(137, 1)), "pts/257");
  EXPECT_EQ(tty_name(makedev(4, 1)), "tty1");
  EXPECT_EQ(tty_name(makedev(4, 65)), "ttyS1");
  EXPECT_EQ(tty_name(makedev(5, 1)), "console");
}

TEST(ProcInfo, BsdStatFlags) {
  ProcRow r;
  r.pid = 10;
  r.state = 'S';
  EXPECT_EQ(bsd_stat(r), "S");
  r.session = 10;
  r.nice = -5;
  r.threads = 4;
  r.tty_nr = makedev(136, 0);
  r.pgrp = 10;
  r.tpgid = 10;
  EXPECT_EQ(bsd_stat(r), "S<sl+");
  r.nice = 19;
  r.tpgid = 11;
  r.state = 'R';
  EXPECT_EQ(bsd_stat(r), "RNsl");
}

TEST(ProcInfo, CpuTimeAndCmdline) {
  EXPECT_EQ(format_cpu_time(0), "0:00");
  EXPECT_EQ(format_cpu_time(59.9), "0:59");
  EXPECT_EQ(format_cpu_time(3725), "62:05");
  EXPECT_EQ(join_cmdline(std::string_view("sleep\0" "60\0", 9)), "sleep 60");
  EXPECT_EQ(join_cmdline(""), "");
}

TEST(ProcInfo, FindsSupervisorsInNetUnix) {
  std::string net =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 1234 @omx/sup/4711\n"
      "0000000000000000: 00000003 00000000 00000000 0001 03 1235 @omx/sup/4711\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 1236 @omx/omxd\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 1237 @omx/sup/12x\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 1238 /run/x@omx/sup/99 \n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 1239 @omx/sup/815";
  EXPECT_EQ(supervisor_pids(net), (std::vector<pid_t>{99, 815, 4711}));
  EXPECT_TRUE(supervisor_pids("").empty());
}

TEST(ProcInfo, MergesHomeAndGuestInformation) {
  ProcRow r;
  r.pid = 500;
  r.cmdline = "[sleep]";
  apply_home_info(r, {{"pid", 500}, {"home", 1}, {"where", 3}, {"nmigs", 2}, {"lock", true},
                      {"cantmove", ""}, {"cpu_away_s", 2.5}, {"rss_bytes", 4 << 20},
                      {"cmdline", "sleep 60"}, {"home_wait", 0.875}, {"fwd_calls_s", 4000}});
  EXPECT_TRUE(r.migratable);
  EXPECT_FALSE(r.guest);
  EXPECT_EQ(r.home, 1u);
  EXPECT_EQ(r.home_pid, 500);
  EXPECT_EQ(r.where, 3u);
  EXPECT_EQ(r.nmigs, 2u);
  EXPECT_TRUE(r.lock);
  EXPECT_EQ(r.cpu_source, "home+away");
  EXPECT_DOUBLE_EQ(r.cpu_s, 2.5);  // the row had none at home
  EXPECT_EQ(r.rss_kib, 4096u);
  EXPECT_EQ(r.cmdline, "sleep 60");
  EXPECT_DOUBLE_EQ(r.home_wait, 0.875);
  EXPECT_DOUBLE_EQ(r.fwd_calls_s, 4000);
  EXPECT_DOUBLE_EQ(to_json(r)["home_wait"].get<double>(), 0.875);
  ProcRow g;
  g.pid = 77;
  apply_guest_info(g, {{"pid", 77}, {"home", 4}, {"home_pid", 9000}, {"lock", false}}, 2);
  EXPECT_TRUE(g.migratable && g.guest);
  EXPECT_EQ(g.home, 4u);
  EXPECT_EQ(g.home_pid, 9000);
  EXPECT_EQ(g.where, 2u);
  auto j = to_json(g);
  EXPECT_EQ(j["home_pid"], 9000);
  EXPECT_EQ(j["guest"], true);
  EXPECT_EQ(j["cpu_source"], "guest");
  EXPECT_FALSE(j.contains("home_wait"));  // not known (reported at home only)
}

TEST(ProcInfo, ReadsItsOwnRow) {
  auto boot = read_boot_time();
  ASSERT_TRUE(boot.ok());
  auto r = read_proc_row(getpid(), *boot, static_cast<double>(time(nullptr)));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->pid, getpid());
  EXPECT_EQ(r->ppid, getppid());
  EXPECT_EQ(r->uid, geteuid());
  EXPECT_GT(r->rss_kib, 0u);
  EXPECT_NE(r->cmdline.find("procinfo_test"), std::string::npos) << r->cmdline;
  auto gone = read_proc_row(0x3fffffff, *boot, 0);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kVanished);
}

}  // namespace
}  // namespace omx::procinfo

namespace omx::daemon {
namespace {

TEST(MigrationRing, CountsTheLastMinuteAndStaysBounded) {
  using namespace std::chrono;
  MigrationRing ring;
  auto t0 = steady_clock::now();
  for (int i = 0; i < 5; ++i) ring.add({t0 + seconds(i * 20), 100 + i, 1, 2, 1.0, 4096, "out", 0});
  // Events at 0, 20, 40, 60, 80 s; at 90 s the last minute (30..90) holds 40, 60, 80.
  EXPECT_EQ(ring.count_since(t0 + seconds(90)), 3u);
  EXPECT_EQ(ring.count_since(t0 + seconds(200)), 0u);
  EXPECT_EQ(ring.total(), 5u);
  for (size_t i = 0; i < MigrationRing::kMaxEvents + 10; ++i) ring.add({t0 + seconds(100), 1, 1, 2, 0, 0, "", 0});
  EXPECT_EQ(ring.events().size(), MigrationRing::kMaxEvents);
  EXPECT_EQ(ring.total(), 5u + MigrationRing::kMaxEvents + 10);
  EXPECT_EQ(ring.count_since(t0 + seconds(100)), MigrationRing::kMaxEvents);
}

TEST(ProcessRegistry, OnlyGuestSupervisorsReportGuests) {
  ProcessRegistry reg(2);
  reg.set_guest_check([](pid_t p) { return p == getpid(); });
  Caller stranger{1, 0, 0}, me{getpid(), 0, 0};
  nlohmann::json g = {{"body", getpid()}, {"home", 1}, {"home_pid", 4321}, {"uid", 1000}};
  EXPECT_FALSE(reg.on_guest_started(g, stranger)["ok"].get<bool>());
  EXPECT_TRUE(reg.on_guest_started(g, me)["ok"].get<bool>());
  auto procs = reg.on_procs();
  ASSERT_EQ(procs["guests"].size(), 1u);
  EXPECT_EQ(procs["node"], 2);
  EXPECT_EQ(procs["guests"][0]["home_pid"], 4321);
  // home_procs by a live caller counts; zero removes it.
  EXPECT_TRUE(reg.on_home_procs({{"here", 3}}, me)["ok"].get<bool>());
  EXPECT_EQ(reg.local_procs(), 3u);
  reg.on_home_procs({{"here", 0}}, me);
  EXPECT_EQ(reg.local_procs(), 0u);
  reg.on_migrated({{"pid", 5}, {"from", 2}, {"to", 3}, {"ms", 4.5}, {"bytes", 100}}, me);
  EXPECT_EQ(reg.migrations_1m(), 1u);
  EXPECT_EQ(reg.on_migrations()["events"][0]["to"], 3);
}

}  // namespace
}  // namespace omx::daemon
