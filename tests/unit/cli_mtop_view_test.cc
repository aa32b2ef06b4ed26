// mtop's view model (cli/mtop_view.h), summary (cli/mtop_summary.h) and command line
// (cli/mtop_options.h), with concrete numbers.
#include <gtest/gtest.h>

#include "procinfo/proc_row.h"

#include "mtop_options.h"
#include "mtop_source.h"
#include "mtop_summary.h"
#include "mtop_view.h"

namespace omx::cli::mtop {
namespace {

Proc proc(pid_t pid, uint64_t ticks, uint64_t res_kib = 1000, std::string user = "root",
          uint32_t node = 1) {
  Proc p;
  p.pid = pid;
  p.cpu_ticks = ticks;
  p.res_kib = res_kib;
  p.virt_kib = res_kib * 2;
  p.user = std::move(user);
  p.uid = p.user == "root" ? 0 : 1000;
  p.priority = 20;
  p.state = 'S';
  p.command = "prog" + std::to_string(pid);
  p.node = node;
  return p;
}

std::vector<pid_t> pids(const std::vector<Row>& rows) {
  std::vector<pid_t> out;
  for (const auto& r : rows) out.push_back(r.p.pid);
  return out;
}

TEST(MtopView, CpuBetweenTwoSamples) {
  TickMap prev{{10, 500}, {11, 100}, {12, 900}};
  // 2 s at 100 ticks/s = 200 ticks of one CPU: pid 10 used 150 -> 75 %, pid 11 used 400 on
  // two CPUs -> 200 %, pid 13 is new and used 20 -> 10 %, pid 12 went backwards (reused) -> 0.
  std::vector<Proc> now{proc(10, 650), proc(11, 500), proc(13, 20), proc(12, 5)};
  auto rows = make_rows(now, prev, 2.0, 100, 8000);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_DOUBLE_EQ(rows[0].cpu, 75.0);
  EXPECT_DOUBLE_EQ(rows[1].cpu, 200.0);
  EXPECT_DOUBLE_EQ(rows[2].cpu, 10.0);
  EXPECT_DOUBLE_EQ(rows[3].cpu, 0.0);
  EXPECT_DOUBLE_EQ(rows[0].mem, 12.5);  // 1000 of 8000 KiB
  // No previous sample: 0, not the ticks since the start.
  EXPECT_DOUBLE_EQ(make_rows(now, {}, 0.0, 100, 8000)[0].cpu, 0.0);
  EXPECT_EQ(tick_map(now).at(11), 500u);
}

TEST(MtopView, SortKeysAndReverse) {
  std::vector<Proc> now{proc(3, 30, 100), proc(1, 10, 300), proc(2, 20, 200), proc(4, 20, 50)};
  auto rows = make_rows(now, {{3, 0}, {1, 0}, {2, 0}, {4, 0}}, 1.0, 100, 1000);
  sort_rows(rows, Field::kCpu, false);
  EXPECT_EQ(pids(rows), (std::vector<pid_t>{3, 2, 4, 1}));  // high first; tie 2/4 by pid
  sort_rows(rows, Field::kCpu, true);
  EXPECT_EQ(pids(rows), (std::vector<pid_t>{1, 2, 4, 3}));
  sort_rows(rows, Field::kMem, false);
  EXPECT_EQ(pids(rows), (std::vector<pid_t>{1, 2, 3, 4}));
  sort_rows(rows, Field::kPid, false);
  EXPECT_EQ(pids(rows), (std::vector<pid_t>{4, 3, 2, 1}));
  sort_rows(rows, Field::kTime, false);
  EXPECT_EQ(pids(rows), (std::vector<pid_t>{3, 2, 4, 1}));
}

TEST(MtopView, MoveSortColumnStopsAtTheEnds) {
  auto cols = columns(false);
  EXPECT_EQ(move_sort(Field::kCpu, -1, cols), Field::kState);
  EXPECT_EQ(move_sort(Field::kCpu, +1, cols), Field::kMem);
  EXPECT_EQ(move_sort(Field::kTime, +1, cols), Field::kNode);
  EXPECT_EQ(move_sort(Field::kPid, -1, cols), Field::kPid);
  EXPECT_EQ(move_sort(Field::kCommand, +1, cols), Field::kCommand);
  EXPECT_EQ(move_sort(Field::kNmigs, +1, cols), Field::kPid);  // not shown: from the first
  EXPECT_EQ(move_sort(Field::kNode, +1, columns(true)), Field::kHome);
}

TEST(MtopView, Filters) {
  std::vector<Proc> now{proc(1, 0, 1, "root"), proc(2, 0, 1, "alice"), proc(3, 0, 1, "alice")};
  now[2].migratable = true;
  auto rows = make_rows(now, {}, 0, 100, 100);
  EXPECT_EQ(pids(filtered(rows, {.user = "alice"})), (std::vector<pid_t>{2, 3}));
  EXPECT_EQ(pids(filtered(rows, {.user = "1000"})), (std::vector<pid_t>{2, 3}));
  EXPECT_EQ(pids(filtered(rows, {.pids = {3, 1}})), (std::vector<pid_t>{1, 3}));
  EXPECT_EQ(pids(filtered(rows, {.omx_only = true})), (std::vector<pid_t>{3}));
  EXPECT_EQ(pids(filtered(rows, {.user = "bob"})), (std::vector<pid_t>{}));
}

TEST(MtopView, MemoryUnitsAsTop) {
  EXPECT_EQ(scale_kib(870236, 6), "870236");
  EXPECT_EQ(scale_kib(1316568, 7), "1316568");
  EXPECT_EQ(scale_kib(1150000, 6), "1.1g");     // 1123.0m is 7 wide
  EXPECT_EQ(scale_kib(12016000, 7), "11.5g");   // top: VIRT 11.5g
  EXPECT_EQ(scale_kib(524288, 5), "0.5g");      // 512.0m is 6 wide
  EXPECT_EQ(scale_kib(524288, 6), "524288");
  EXPECT_EQ(scale_kib(1258291, 6), "1.2g");
  EXPECT_EQ(scale_kib(9000000, 4), "8.6g");
  EXPECT_EQ(scale_kib(0, 6), "0");
}

TEST(MtopView, TimePlus) {
  EXPECT_EQ(format_time_plus(15876, 100, 9), "2:38.76");
  EXPECT_EQ(format_time_plus(1, 100, 9), "0:00.01");
  EXPECT_EQ(format_time_plus(250, 250, 9), "0:01.00");  // CLK_TCK 250
  // 99 min 59.99 s still fits 9; 1000 min needs mm:ss; then hours,minutes; then hours.
  EXPECT_EQ(format_time_plus(599999, 100, 9), "99:59.99");
  EXPECT_EQ(format_time_plus(6000000, 100, 9), "1000:00");
  EXPECT_EQ(format_time_plus(100000000ull, 100, 9), "16666:40");
  EXPECT_EQ(format_time_plus(10000000000ull, 100, 9), "27777,46");
  EXPECT_EQ(format_time_plus(10000000000ull, 100, 5), "1157d");
}

TEST(MtopView, RowAndHeaderColumns) {
  auto cols = columns(false);
  std::string header = format_header(cols, 0);
  EXPECT_EQ(header,
            "    PID USER      PR  NI    VIRT    RES S  %CPU  %MEM     TIME+ NODE COMMAND");
  Proc p = proc(4242, 15876, 870236, "averyverylongname", 2);
  p.virt_kib = 12016000;
  p.state = 'R';
  p.nice = -5;
  p.priority = 15;
  auto rows = make_rows({p}, {{4242, 15876 - 150}}, 1.5, 100, 8 * 1024 * 1024);
  EXPECT_EQ(format_row(rows[0], cols, 0),
            "   4242 averyve+  15  -5   11.5g 870236 R 100.0  10.4   2:38.76    2 prog4242");
  EXPECT_EQ(format_row(rows[0], cols, 20), "   4242 averyve+  15");
  auto [start, len] = column_span(cols, Field::kCpu);
  EXPECT_EQ(header.substr(start, len), " %CPU");
  auto [nstart, nlen] = column_span(cols, Field::kNode);
  EXPECT_EQ(header.substr(nstart, nlen), "NODE");
}

TEST(MtopView, OmxViewColumns) {
  auto cols = columns(true);
  EXPECT_EQ(format_header(cols, 0).substr(64),
            "NODE HOME LOCK NMIGS COMMAND");
  Proc p = proc(7, 0, 10, "root", 2);
  p.migratable = true;
  p.home = 1;
  p.lock = true;
  p.nmigs = 3;
  auto rows = make_rows({p, proc(8, 0, 10)}, {}, 0, 100, 100);
  EXPECT_EQ(format_row(rows[0], cols, 0).substr(64), "   2    1  yes     3 prog7");
  EXPECT_EQ(format_row(rows[1], cols, 0).substr(64), "   1    -    -     - prog8");
}

TEST(MtopView, LayoutScrollsAndFitsTheScreen) {
  Screen s;
  s.summary = {"line one is long enough to be cut", "two"};
  s.message = "msg";
  s.cols = columns(false);
  for (pid_t i = 1; i <= 10; ++i) s.rows.push_back(make_rows({proc(i, 0)}, {}, 0, 100, 100)[0]);
  s.width = 20;
  s.height = 8;  // 2 summary + message + header + 4 rows
  s.scroll = 3;
  Layout l = layout(s);
  ASSERT_EQ(l.lines.size(), 8u);
  EXPECT_EQ(l.lines[0], "line one is long eno");
  EXPECT_EQ(l.lines[2], "msg");
  EXPECT_EQ(l.header, 3);
  EXPECT_EQ(l.first_row, 3);
  EXPECT_EQ(l.rows_shown, 4);
  EXPECT_EQ(l.lines[4], "      4 root      20");
  s.scroll = 100;  // clamped: the last 4 rows
  l = layout(s);
  EXPECT_EQ(l.first_row, 6);
  EXPECT_EQ(l.lines[7], "     10 root      20");
  s.height = 3;  // no room for the header
  l = layout(s);
  EXPECT_EQ(l.lines.size(), 3u);
  EXPECT_EQ(l.header, -1);
  EXPECT_EQ(visible_rows(30, 6), 22);
  EXPECT_EQ(visible_rows(5, 6), 0);
  EXPECT_EQ(clamp_scroll(-4, 10, 4), 0);
  EXPECT_EQ(clamp_scroll(9, 3, 4), 0);
}

TEST(MtopView, FieldNames) {
  EXPECT_EQ(field_by_name("%CPU"), Field::kCpu);
  EXPECT_EQ(field_by_name("time+"), Field::kTime);
  EXPECT_EQ(field_by_name("NODE"), Field::kNode);
  EXPECT_EQ(field_by_name("rss"), Field::kRes);
  EXPECT_FALSE(field_by_name("bogus"));
  EXPECT_FALSE(field_by_name(""));
  EXPECT_STREQ(field_name(Field::kNmigs), "NMIGS");
}

TEST(MtopSummary, ParsesProcFiles) {
  auto cpu = parse_proc_stat("cpu  100 5 50 800 40 1 2 3 0 0\ncpu0 1 2 3 4\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->user, 100u);
  EXPECT_EQ(cpu->steal, 3u);
  EXPECT_EQ(cpu->total(), 1001u);
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3"));
  MemInfo m = parse_meminfo(
      "MemTotal:       24684134 kB\nMemFree:        22055731 kB\nMemAvailable:   24227840 kB\n"
      "Buffers:          100000 kB\nCached:          2000000 kB\nSwapCached:            5 kB\n"
      "SReclaimable:     396134 kB\nSwapTotal:       1024 kB\nSwapFree:        512 kB\n");
  EXPECT_EQ(m.total, 24684134u);
  EXPECT_EQ(m.available, 24227840u);
  EXPECT_EQ(m.buff_cache, 2496134u);  // Buffers + Cached + SReclaimable, not SwapCached
  EXPECT_EQ(m.swap_free, 512u);
  double load[3];
  ASSERT_TRUE(parse_loadavg("0.62 0.35 0.64 1/96 11700\n", load));
  EXPECT_DOUBLE_EQ(load[1], 0.35);
}

TEST(MtopSummary, CpuLineBetweenSamples) {
  CpuTimes a{100, 0, 100, 800, 0, 0, 0, 0};
  CpuTimes b{150, 0, 200, 850, 0, 0, 0, 0};  // +50 us +100 sy +50 id of 200
  EXPECT_EQ(cpu_line(b, &a),
            "%Cpu(s): 25.0 us, 50.0 sy,  0.0 ni, 25.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st");
  EXPECT_EQ(cpu_line(a, &a).substr(0, 40), "%Cpu(s):  0.0 us,  0.0 sy,  0.0 ni, 100.");
}

TEST(MtopSummary, TasksUptimeAndMemory) {
  std::vector<Proc> ps{proc(1, 0), proc(2, 0), proc(3, 0), proc(4, 0), proc(5, 0)};
  ps[0].state = 'R';
  ps[1].state = 'T';
  ps[2].state = 'Z';
  ps[3].state = 'I';
  TaskCounts t = count_tasks(ps);
  EXPECT_EQ(t.total, 5);
  EXPECT_EQ(t.running, 1);
  EXPECT_EQ(t.sleeping, 2);
  EXPECT_EQ(t.stopped, 1);
  EXPECT_EQ(t.zombie, 1);
  EXPECT_EQ(format_uptime(31140), "up  8:39");
  EXPECT_EQ(format_uptime(300), "up 5 min");
  EXPECT_EQ(format_uptime(3 * 86400 + 8 * 3600 + 39 * 60), "up 3 days,  8:39");
  EXPECT_EQ(format_uptime(86400 + 120), "up 1 day, 2 min");
  SystemSample s;
  s.mem = {24684134, 22055731, 24227840, 2496134, 0, 0};
  auto lines = summary_lines(s, nullptr, t, {});
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1], "Tasks:   5 total,   1 running,   2 sleeping,   1 stopped,   1 zombie");
  EXPECT_EQ(lines[3], "MiB Mem :   24105.6 total,   21538.8 free,     445.6 used,    2437.6 buff/cache");
  EXPECT_NE(lines[0].find("node ?"), std::string::npos);
  EXPECT_EQ(lines[5], "Cluster: omxd does not answer (this node only)");
}

TEST(MtopSummary, ClusterFromNodesReply) {
  auto reply = nlohmann::json::parse(R"({"ok":true,"node":1,"nodes":[
    {"id":1,"state":"up","self":true,"load":3,"ncpus":2,"mem_total":2147483648,"mem_free":1073741824},
    {"id":2,"state":"up","self":false,"load":100,"ncpus":2,"mem_total":2147483648,"mem_free":536870912},
    {"id":3,"state":"down","self":false}]})");
  ClusterInfo c = parse_nodes_reply(reply);
  ASSERT_TRUE(c.answered);
  EXPECT_EQ(c.self, 1u);
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_TRUE(c.nodes[0].self);
  EXPECT_FALSE(c.nodes[2].up);
  EXPECT_FALSE(c.nodes[2].load);
  EXPECT_EQ(cluster_line(c),
            "Cluster: 2 of 3 nodes up, 4 CPUs, load 1.03 (1: 0.03, 2: 1.00), 1.5 of 4.0 GiB free");
  EXPECT_FALSE(parse_nodes_reply(nlohmann::json::parse(R"({"ok":false})")).answered);
  EXPECT_FALSE(parse_nodes_reply(nlohmann::json("x")).answered);
}

TEST(MtopSource, ProcRowToProc) {
  procinfo::ProcRow r;
  r.pid = 1742;
  r.uid = 1000;
  r.user = "alice";
  r.priority = 25;
  r.nice = 5;
  r.vsz_kib = 17408;
  r.rss_kib = 40;
  r.state = 'S';
  r.cpu_s = 1.57;
  r.comm = "sh";
  r.cmdline = "sh -c loop";
  r.migratable = true;
  r.home = 1;
  r.where = 2;
  r.lock = true;
  r.nmigs = 3;
  Proc p = from_proc_row(r, 100);
  EXPECT_EQ(p.pid, 1742);
  EXPECT_EQ(p.user, "alice");
  EXPECT_EQ(p.cpu_ticks, 157u);
  EXPECT_EQ(from_proc_row(r, 250).cpu_ticks, 393u);  // 392.5 rounded
  EXPECT_EQ(p.command, "sh");
  EXPECT_EQ(p.node, 2u);
  EXPECT_EQ(p.home, 1u);
  EXPECT_TRUE(p.lock && p.migratable);
  EXPECT_EQ(p.nmigs, 3u);
  EXPECT_EQ(p.virt_kib, 17408u);
}

TEST(MtopSource, FrameBetweenSnapshotsAndView) {
  Snapshot a, b;
  a.mono_s = 100.0;
  b.mono_s = 102.0;
  a.sys.mem.total = b.sys.mem.total = 4000;
  a.sys.cpu = {100, 0, 0, 100, 0, 0, 0, 0};
  b.sys.cpu = {150, 0, 0, 250, 0, 0, 0, 0};
  a.procs = {proc(1, 100, 400), proc(2, 0, 100)};
  b.procs = {proc(1, 150, 400), proc(2, 200, 100), proc(3, 10, 100)};
  b.procs[2].migratable = true;
  b.self = 1;
  Frame f = make_frame(a, b);
  ASSERT_EQ(f.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(f.rows[0].cpu, 25.0);   // 50 ticks in 2 s
  EXPECT_DOUBLE_EQ(f.rows[1].cpu, 100.0);  // 200 ticks in 2 s
  EXPECT_DOUBLE_EQ(f.rows[2].cpu, 5.0);    // new: all its 10 ticks
  EXPECT_DOUBLE_EQ(f.rows[0].mem, 10.0);
  ASSERT_EQ(f.summary.size(), 6u);
  EXPECT_NE(f.summary[0].find("node 1,"), std::string::npos);
  EXPECT_EQ(f.summary[2].substr(0, 24), "%Cpu(s): 25.0 us,  0.0 s");
  ViewState v;
  EXPECT_EQ(pids(view_rows(f.rows, v)), (std::vector<pid_t>{2, 1, 3}));
  v.omx_view = true;
  EXPECT_EQ(pids(view_rows(f.rows, v)), (std::vector<pid_t>{3}));
  EXPECT_EQ(view_columns(v).size(), 15u);
  v = {};
  v.sort = Field::kPid;
  v.reverse = true;
  v.filter.pids = {3, 1};
  EXPECT_EQ(pids(view_rows(f.rows, v)), (std::vector<pid_t>{1, 3}));
  // No previous snapshot: no %CPU yet.
  EXPECT_DOUBLE_EQ(make_frame(Snapshot{}, b).rows[1].cpu, 0.0);
}

Options opts(std::vector<std::string> a) {
  a.insert(a.begin(), "mtop");
  auto r = parse_options(a);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().what);
  return r.ok() ? *r : Options{};
}

std::string bad_opts(std::vector<std::string> a) {
  a.insert(a.begin(), "mtop");
  auto r = parse_options(a);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().what;
}

TEST(MtopOptions, TopFlags) {
  Options o = opts({"-b", "-n", "2", "-d", "0.5", "-p", "12,34", "-u", "alice", "-o", "TIME+"});
  EXPECT_TRUE(o.batch);
  EXPECT_EQ(o.iterations, 2);
  EXPECT_DOUBLE_EQ(o.delay_s, 0.5);
  EXPECT_EQ(o.pids, (std::vector<pid_t>{12, 34}));
  EXPECT_EQ(o.user, "alice");
  EXPECT_EQ(o.sort, Field::kTime);
  EXPECT_FALSE(o.reverse);
  o = opts({"-bn1", "-d0.25", "-o-%MEM", "--json"});
  EXPECT_TRUE(o.batch);
  EXPECT_EQ(o.iterations, 1);
  EXPECT_DOUBLE_EQ(o.delay_s, 0.25);
  EXPECT_EQ(o.sort, Field::kMem);
  EXPECT_TRUE(o.reverse);
  EXPECT_TRUE(o.json);
  EXPECT_TRUE(opts({"--help"}).help);
  EXPECT_EQ(opts({}).sort, Field::kCpu);
  EXPECT_DOUBLE_EQ(opts({}).delay_s, 3.0);
}

TEST(MtopOptions, BadFlagsAreOneLine) {
  EXPECT_EQ(bad_opts({"-x"}), "unknown flag -x (--help for usage)");
  EXPECT_EQ(bad_opts({"-n", "0"}), "-n: '0' is not a positive number of iterations");
  EXPECT_EQ(bad_opts({"-d", "soon"}), "-d: 'soon' is not a delay in seconds");
  EXPECT_EQ(bad_opts({"-d", "-1"}), "-d: '-1' is not a delay in seconds");
  EXPECT_EQ(bad_opts({"-p", "12,x"}), "-p: 'x' is not a process id");
  EXPECT_EQ(bad_opts({"-o", "bogus"}), "-o: unknown field 'bogus' (one of the column names)");
  EXPECT_EQ(bad_opts({"-n"}), "-n needs a value (--help for usage)");
  EXPECT_EQ(bad_opts({"--frobnicate"}), "unexpected argument '--frobnicate' (--help for usage)");
  EXPECT_EQ(bad_opts({"stray"}), "unexpected argument 'stray' (--help for usage)");
}

}  // namespace
}  // namespace omx::cli::mtop
