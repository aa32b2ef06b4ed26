// mps command line (BSD letters with or without '-', pid lists, --sort, refused letters) and
// the ps tables (columns, alignment, selection, order).
#include <gtest/gtest.h>

#include <sys/sysmacros.h>

#include "mps_options.h"
#include "ps_table.h"

namespace omx::cli {
namespace {

using procinfo::ProcRow;

Result<MpsOptions> parse(std::vector<std::string> a) { return parse_mps_args(a); }

TEST(MpsOptions, LettersWithOrWithoutDash) {
  auto o = parse({"aux"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->all_users && o->user_format && o->no_tty);
  auto d = parse({"-a", "-x", "hrnwc"});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->all_users && d->no_tty && d->no_header && d->running && d->numeric && d->wide &&
              d->command_name);
  auto l = parse({"-l"});
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->long_format);
  auto none = parse({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->all_users || none->no_tty || none->ominfo || none->json);
}

TEST(MpsOptions, PidsLongOptionsAndSort) {
  auto o = parse({"--ominfo", "12", "34,56", "--sort", "-rss,+pid", "--json"});
  ASSERT_TRUE(o.ok()) << o.error().what;
  EXPECT_TRUE(o->ominfo && o->json);
  EXPECT_EQ(o->pids, (std::vector<pid_t>{12, 34, 56}));
  ASSERT_EQ(o->sort.size(), 2u);
  EXPECT_EQ(o->sort[0].key, "rss");
  EXPECT_TRUE(o->sort[0].descending);
  EXPECT_EQ(o->sort[1].key, "pid");
  EXPECT_FALSE(o->sort[1].descending);
  auto eq = parse({"--sort=node"});
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(eq->sort[0].key, "node");
  EXPECT_TRUE(parse({"--help"})->help);
  EXPECT_TRUE(parse({"--version"})->version);
}

TEST(MpsOptions, RefusesWhatItDoesNotSupport) {
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"j"}, {"-e"}, {"auxj"}, {"v"}, {"S"}, {"--sort"}, {"--sort", "bogus"}, {"--sort", "pid,"},
           {"--frob"}, {"-"}, {"u", "l"}, {"0"}, {"12,,3"}}) {
    auto o = parse(bad);
    ASSERT_FALSE(o.ok()) << bad[0];
    EXPECT_EQ(o.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(o.error().what.find('\n'), std::string::npos) << o.error().what;
  }
  auto j = parse({"aj"});
  EXPECT_NE(j.error().what.find("option 'j' is not supported"), std::string::npos) << j.error().what;
  auto k = parse({"--sort", "bogus"});
  EXPECT_NE(k.error().what.find("unknown sort key 'bogus'"), std::string::npos) << k.error().what;
}

ProcRow row(pid_t pid, uint32_t where, std::string cmd, uid_t uid = 0, uint32_t tty = 0) {
  ProcRow r;
  r.pid = pid;
  r.where = where;
  r.cmdline = std::move(cmd);
  r.comm = "c" + std::to_string(pid);
  r.uid = uid;
  r.user = uid ? "user" : "root";
  r.tty_nr = tty;
  r.tty = procinfo::tty_name(tty);
  r.state = 'S';
  r.stat = "S";
  return r;
}

TEST(PsTable, DefaultMpsColumnsAndAlignment) {
  MpsOptions o;
  std::vector<ProcRow> rows = {row(7, 1, "sleep 1"), row(12345, 2, "sleep 2  ")};
  rows[1].cpu_s = 61;
  std::string t = render_table(mps_columns(o), rows, true);
  EXPECT_EQ(t,
            "  PID TTY NODE STAT TIME COMMAND\n"
            "    7 ?      1 S    0:00 sleep 1\n"
            "12345 ?      2 S    1:01 sleep 2\n");
  EXPECT_EQ(render_table(mps_columns(o), rows, false, 12), "    7 ? 1 S\n12345 ? 2 S\n");
}

TEST(PsTable, OminfoAndOmxPsColumns) {
  MpsOptions o;
  o.ominfo = true;
  o.command_name = true;
  ProcRow r = row(5, 0, "x y");
  std::string t = render_table(mps_columns(o), {r}, true);
  EXPECT_EQ(t, "PID TTY NODE STAT TIME HOME LOCK NMIGS CANTMOVE COMMAND\n"
               "  5 ?      - S    0:00    -    -     - -        c5\n");
  r.migratable = true;
  r.home = 1;
  r.home_pid = 5;
  r.where = 2;
  r.lock = true;
  r.nmigs = 3;
  r.cantmove = "clone_vm";
  r.rss_kib = 2048;
  std::string p = render_table(omx_ps_columns(), {r}, true);
  EXPECT_EQ(p, "PID HOME HPID WHERE LOCK NMIGS CANTMOVE  CPU  MEM COMMAND\n"
               "  5    1    5     2    1     3 clone_vm 0:00 2.0M x y\n");
  std::vector<Column> u = mps_columns(parse({"u"}).value());
  EXPECT_EQ(u.front().header, "USER");
  EXPECT_EQ(u[7].header, "NODE");
  std::vector<Column> l = mps_columns(parse({"l"}).value());
  EXPECT_EQ(l[2].header, "PPID");
}

TEST(PsTable, SelectsLikeBsdPs) {
  ProcRow mine_tty = row(1, 1, "a", 1000, makedev(136, 1));
  ProcRow mine_none = row(2, 1, "b", 1000, 0);
  ProcRow other_tty = row(3, 1, "c", 0, makedev(136, 2));
  MpsOptions o;
  EXPECT_TRUE(select_row(mine_tty, o, 1000));
  EXPECT_FALSE(select_row(mine_none, o, 1000));
  EXPECT_FALSE(select_row(other_tty, o, 1000));
  o.all_users = true;
  EXPECT_TRUE(select_row(other_tty, o, 1000));
  o.no_tty = true;
  EXPECT_TRUE(select_row(mine_none, o, 1000));
  o.running = true;
  EXPECT_FALSE(select_row(mine_none, o, 1000));
  MpsOptions p;
  p.pids = {2};
  EXPECT_TRUE(select_row(mine_none, p, 0));
  EXPECT_FALSE(select_row(mine_tty, p, 1000));
}

TEST(PsTable, SortsByKeys) {
  std::vector<ProcRow> rows = {row(3, 2, "a"), row(1, 1, "b"), row(2, 2, "c")};
  rows[0].rss_kib = 5;
  rows[1].rss_kib = 9;
  rows[2].rss_kib = 5;
  sort_rows(rows, {});
  EXPECT_EQ(rows[0].pid, 1);
  sort_rows(rows, parse_sort_keys("-node,-pid").value());
  EXPECT_EQ((std::vector<pid_t>{rows[0].pid, rows[1].pid, rows[2].pid}), (std::vector<pid_t>{3, 2, 1}));
  sort_rows(rows, parse_sort_keys("rss").value());
  EXPECT_EQ((std::vector<pid_t>{rows[0].pid, rows[1].pid, rows[2].pid}), (std::vector<pid_t>{2, 3, 1}));
}

TEST(PsTable, HumanSizes) {
  EXPECT_EQ(human_kib(0), "0K");
  EXPECT_EQ(human_kib(1023), "1023K");
  EXPECT_EQ(human_kib(1536), "1.5M");
  EXPECT_EQ(human_kib(3 * 1024 * 1024), "3.0G");
}

}  // namespace
}  // namespace omx::cli
