// mosmon's pure view functions (cli/mosmon_view.h) and omx status's summary
// (cli/status_summary.h), with concrete numbers.
#include <gtest/gtest.h>

#include <cerrno>

#include "mosmon_view.h"
#include "status_summary.h"

namespace omx::cli {
namespace {

using nlohmann::json;
using L = MosmonLayout;
using V = MosmonValue;

constexpr uint64_t kMiB = 1024 * 1024;

json three_nodes() {
  return json::parse(R"({"ok":true,"node":1,"nodes":[
    {"id":2,"state":"up","self":false,"load":250,"speed":20000,"ncpus":4,"mem_total":4294967296,
     "mem_free":1073741824,"mem_used":3221225472,"util":100,"guests":2,"local_procs":1,
     "status":{"stay":false,"lstay":false,"block":true,"quiet":false},"migrations_1m":3},
    {"id":1,"state":"up","self":true,"load":100,"speed":10000,"ncpus":1,"mem_total":2147483648,
     "mem_free":1610612736,"util":90,"local_procs":5,
     "status":{"stay":true,"lstay":false,"block":false,"quiet":false}},
    {"id":3,"state":"down","self":false,"load":40,"speed":10000,"ncpus":2}]})");
}

TEST(MosmonView, ReadsNodesSortedWithDefaults) {
  auto n = mosmon_nodes(three_nodes());
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].id, 1u);
  EXPECT_TRUE(n[0].self);
  EXPECT_EQ(n[0].mem_total_mib, 2048u);
  EXPECT_EQ(n[0].mem_free_mib, 1536u);
  EXPECT_EQ(n[0].mem_raw_free_mib, 1536u);  // no mem_raw_free: the same as mem_free
  EXPECT_EQ(n[1].ncpus, 4u);
  EXPECT_FALSE(n[2].up);
  EXPECT_EQ(n[2].mem_total_mib, 0u);
}

TEST(MosmonView, BarCells) {
  EXPECT_EQ(mosmon_bar_cells(0, 100, 20), 0);
  EXPECT_EQ(mosmon_bar_cells(100, 100, 20), 20);
  EXPECT_EQ(mosmon_bar_cells(50, 100, 20), 10);
  EXPECT_EQ(mosmon_bar_cells(1, 1000, 20), 1);     // nonzero shows at least one cell
  EXPECT_EQ(mosmon_bar_cells(5000, 1000, 20), 20);  // clamped
  EXPECT_EQ(mosmon_bar_cells(249, 300, 12), 10);    // 9.96 rounds to 10
  // log scale: log10(1+99)/log10(1+999) = 2/3.0004 of 30 rows -> 20
  EXPECT_EQ(mosmon_bar_cells(99, 999, 30, true), 20);
  EXPECT_EQ(mosmon_bar_cells(999, 999, 30, true), 30);
}

TEST(MosmonView, AxisMax) {
  auto n = mosmon_nodes(three_nodes());
  EXPECT_EQ(mosmon_axis_max(V::kLoad, n), 300u);  // 250 up to a multiple of 100
  EXPECT_EQ(mosmon_axis_max(V::kLoad, {}), 100u);
  EXPECT_EQ(mosmon_axis_max(V::kLogLoad, n), 1000u);
  EXPECT_EQ(mosmon_axis_max(V::kSpeed, n), 20000u);
  EXPECT_EQ(mosmon_axis_max(V::kMemory, n), 4096u);
  EXPECT_EQ(mosmon_axis_max(V::kUtil, n), 100u);
  MosmonNode big;
  big.load = 12345;
  big.speed = 10001;
  EXPECT_EQ(mosmon_axis_max(V::kLogLoad, {big}), 100000u);
  EXPECT_EQ(mosmon_axis_max(V::kSpeed, {big}), 15000u);
}

TEST(MosmonView, LayoutGeometry) {
  EXPECT_EQ(mosmon_slot_width(L::kWide, 3), 3);      // 2-column bar + gap, number under it
  EXPECT_EQ(mosmon_slot_width(L::kWide, 12345), 6);  // 5 digits + gap
  EXPECT_EQ(mosmon_slot_width(L::kVertical, 12345), 3);
  EXPECT_EQ(mosmon_slot_width(L::kTight, 12345), 1);
  EXPECT_EQ(mosmon_bar_width(L::kWide, 12345), 5);
  EXPECT_EQ(mosmon_bar_width(L::kTight, 9), 1);
  // 80 columns less the 7-column axis: 73.
  EXPECT_EQ(mosmon_fit(L::kWide, 100, 80), 18u);  // 73 / 4
  EXPECT_EQ(mosmon_fit(L::kVertical, 100, 80), 24u);
  EXPECT_EQ(mosmon_fit(L::kTight, 100, 80), 73u);
  EXPECT_EQ(mosmon_fit(L::kTight, 100, 5), 0u);
  EXPECT_EQ(mosmon_resolve_layout(L::kAuto, 18, 100, 80), L::kWide);
  EXPECT_EQ(mosmon_resolve_layout(L::kAuto, 19, 100, 80), L::kVertical);
  EXPECT_EQ(mosmon_resolve_layout(L::kAuto, 25, 100, 80), L::kTight);
  EXPECT_EQ(mosmon_resolve_layout(L::kAuto, 500, 100, 80), L::kTight);
  EXPECT_EQ(mosmon_resolve_layout(L::kVertical, 1, 1, 80), L::kVertical);
}

TEST(MosmonView, KeysAndScroll) {
  MosmonState s;
  EXPECT_TRUE(mosmon_apply_key(s, 'm'));
  EXPECT_EQ(s.value, V::kMemory);
  EXPECT_TRUE(mosmon_apply_key(s, 'V'));
  EXPECT_EQ(s.layout, L::kTight);
  EXPECT_TRUE(mosmon_apply_key(s, 'd'));
  EXPECT_TRUE(s.show_dead);
  EXPECT_TRUE(mosmon_apply_key(s, 'h'));
  EXPECT_TRUE(s.help);
  EXPECT_TRUE(mosmon_apply_key(s, 'l'));  // a view key leaves help
  EXPECT_FALSE(s.help);
  EXPECT_FALSE(mosmon_apply_key(s, 'x'));
  mosmon_scroll(s, 5, 10, 4);
  EXPECT_EQ(s.first, 5u);
  mosmon_scroll(s, 5, 10, 4);
  EXPECT_EQ(s.first, 6u);  // the last page starts at 10 - 4
  mosmon_scroll(s, -100, 10, 4);
  EXPECT_EQ(s.first, 0u);
  mosmon_scroll(s, 3, 3, 10);
  EXPECT_EQ(s.first, 0u);
}

TEST(MosmonView, RenderLoadScreen) {
  auto n = mosmon_nodes(three_nodes());
  MosmonState s;
  auto g = mosmon_render(n, s, 70, 16, 1);
  ASSERT_EQ(g.size(), 16u);
  for (const auto& line : g) EXPECT_EQ(line.size(), 70u);
  EXPECT_EQ(g[0].rfind("mosmon: load", 0), 0u) << g[0];
  // 16 rows: title, 12 chart rows (1..12), axis line 13, numbers 14, footer 15. Axis max 300:
  // node 1 (load 100) is 4 cells, node 2 (250) 10 cells; wide slots of 3 from column 7.
  EXPECT_EQ(g[1].substr(0, 7), "   300|");
  EXPECT_EQ(g[7].substr(0, 7), "   150|");
  EXPECT_EQ(g[12].substr(7, 6), "## ## ");
  EXPECT_EQ(g[9].substr(7, 6), "## ## ");
  EXPECT_EQ(g[8].substr(7, 6), "   ## ");
  EXPECT_EQ(g[3].substr(7, 6), "   ## ");
  EXPECT_EQ(g[2].substr(7, 6), "      ");
  EXPECT_EQ(g[13].substr(0, 8), "     0+-");
  EXPECT_EQ(g[14].substr(7, 6), "1  2  ");  // node 3 is dead: hidden
  EXPECT_NE(g[15].find("nodes 1-2 of 2"), std::string::npos) << g[15];
  EXPECT_NE(g[15].find("dead: 3 (hidden"), std::string::npos) << g[15];
  s.show_dead = true;
  g = mosmon_render(n, s, 70, 16, 1);
  EXPECT_EQ(g[14].substr(7, 9), "1  2  3  ");
  EXPECT_EQ(g[9][13], 'd');
  EXPECT_EQ(g[12][13], 'd');
  EXPECT_NE(g[15].find("(shown)"), std::string::npos) << g[15];
}

TEST(MosmonView, RenderMemoryUsedAndFree) {
  auto n = mosmon_nodes(three_nodes());
  MosmonState s;
  s.value = V::kMemory;
  // 10 rows: 6 chart rows (1..6), axis max 4096. Node 1: used 512 -> 1 cell, total 2048 -> 3;
  // node 2: used 3072 -> 5 (4.5 rounds up), total 4096 -> 6.
  auto g = mosmon_render(n, s, 30, 10, 1);
  EXPECT_EQ(g[6].substr(7, 6), "## ## ");
  EXPECT_EQ(g[5].substr(7, 6), "++ ## ");
  EXPECT_EQ(g[4].substr(7, 6), "++ ## ");
  EXPECT_EQ(g[3].substr(7, 6), "   ## ");
  EXPECT_EQ(g[2].substr(7, 6), "   ## ");
  EXPECT_EQ(g[1].substr(7, 6), "   ++ ");
}

TEST(MosmonView, RenderScrollsWhenNodesDoNotFit) {
  std::vector<MosmonNode> n(30);
  for (uint32_t i = 0; i < 30; ++i) n[i] = MosmonNode{.id = i + 1, .up = true, .load = 100};
  MosmonState s;
  s.start_node = 12;
  auto g = mosmon_render(n, s, 20, 10, 1);  // tight: 13 columns -> 13 nodes
  EXPECT_EQ(s.first, 11u);
  EXPECT_EQ(g[9], "nodes 12-24 of 30 <-");  // cut at the window's width
  EXPECT_EQ(g[7].substr(7, 13), "1111111122222");  // tens digits, then units
  EXPECT_EQ(g[8].substr(7, 13), "2345678901234");
  s.start_node = 29;
  mosmon_render(n, s, 20, 10, 1);
  EXPECT_EQ(s.first, 17u);  // the last page
  EXPECT_FALSE(s.start_node);
  s.start_node = 40;  // not known yet: kept for a later draw
  mosmon_render(n, s, 20, 10, 1);
  EXPECT_EQ(s.start_node, 40u);
  EXPECT_EQ(s.first, 17u);
}

TEST(MosmonView, RenderErrorsAndSmallWindows) {
  MosmonState s;
  auto g = mosmon_render({}, s, 60, 6, 0, "no omxd on this node");
  EXPECT_EQ(g[2].rfind("no omxd on this node", 0), 0u);
  auto n = mosmon_nodes(three_nodes());
  g = mosmon_render(n, s, 60, 4, 1);
  EXPECT_EQ(g[1].rfind("window too small (60x4)", 0), 0u);
  s.help = true;
  g = mosmon_render(n, s, 90, 20, 1);
  EXPECT_EQ(g[0].rfind("mosmon help", 0), 0u);
}

TEST(MosmonView, ParseFlags) {
  auto o = parse_mosmon({"mosmon", "-m", "-d", "+7", "-t"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->state.value, V::kMemory);
  EXPECT_TRUE(o->state.show_dead);
  EXPECT_EQ(o->state.start_node, 7u);
  EXPECT_TRUE(o->text);
  o = parse_mosmon({"mosmon", "-LV", "--json"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->state.value, V::kLogLoad);
  EXPECT_EQ(o->state.layout, L::kTight);
  EXPECT_TRUE(o->json);
  EXPECT_TRUE(parse_mosmon({"mosmon", "-h"})->help);
  EXPECT_FALSE(parse_mosmon({"mosmon", "-x"}).ok());
  EXPECT_FALSE(parse_mosmon({"mosmon", "+0"}).ok());
  EXPECT_FALSE(parse_mosmon({"mosmon", "+abc"}).ok());
  EXPECT_FALSE(parse_mosmon({"mosmon", "-t", "--json"}).ok());
  EXPECT_FALSE(parse_mosmon({"mosmon", "extra"}).ok());
}

TEST(MosmonView, Json) {
  auto n = mosmon_nodes(three_nodes());
  MosmonState s;
  s.value = V::kMemory;
  json j = mosmon_json(n, s, 1);
  EXPECT_EQ(j["view"], "memory");
  ASSERT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][1]["used_mib"], 3072);
  EXPECT_EQ(j["nodes"][1]["free_mib"], 1024);
  EXPECT_EQ(j["axis_max"], 4096);
}

TEST(StatusSummary, TotalsAndBalancer) {
  StatusSummary s = make_status_summary(three_nodes(), json::object());
  EXPECT_EQ(s.self, 1u);
  EXPECT_EQ(s.up, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(s.down, (std::vector<uint32_t>{3}));
  EXPECT_EQ(s.load, 350u);  // the down node's 40 is not counted
  EXPECT_EQ(s.ncpus, 5u);
  EXPECT_EQ(s.mem_used, 3584 * kMiB);  // node 1 has no mem_used: total - free = 512 MiB
  EXPECT_EQ(s.mem_total, 6144 * kMiB);
  EXPECT_EQ(s.guests, 2u);
  EXPECT_EQ(s.local_procs, 6u);
  EXPECT_EQ(s.migrations_1m, 3u);  // absent on node 1: 0
  EXPECT_TRUE(s.stay);             // node 1's own record
  json j = status_json(s);
  EXPECT_EQ(j["balancer"]["blocking"], json::array({2}));
  EXPECT_EQ(j["balancer"]["staying"], json::array({1}));
  EXPECT_EQ(j["totals"]["ncpus"], 5);
  std::string text = status_text(s);
  EXPECT_NE(text.find("2 up (1 2), 1 down (3)"), std::string::npos) << text;
  EXPECT_NE(text.find("migrations in the last minute: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("nodes blocking guests: 2; staying: 1;"), std::string::npos) << text;
  // This node's settings, when given, win over its (maybe older) record.
  s = make_status_summary(three_nodes(), json{{"ok", true}, {"stay", false}, {"block", true}});
  EXPECT_FALSE(s.stay);
  EXPECT_TRUE(s.block);
}

TEST(StatusSummary, NoOmxdLine) {
  Error e;
  e.err = ECONNREFUSED;
  e.what = "connect";
  EXPECT_EQ(no_omxd("@omx/omxd", e),
            "no omxd on this node: start it with `omxd` (or `systemctl start omxd`); @omx/omxd: Connection refused");
}

}  // namespace
}  // namespace omx::cli
