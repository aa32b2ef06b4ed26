// mosrun's command line (cli/mosrun_options.h): placement, lock defaults, hints, bad input.
#include <gtest/gtest.h>

#include "mosrun_options.h"

namespace omx::cli {
namespace {

using W = MosrunOptions::Where;

MosrunOptions ok(std::vector<std::string> a) {
  a.insert(a.begin(), "mosrun");
  auto r = parse_mosrun(a);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().what);
  return r.ok() ? *r : MosrunOptions{};
}

std::string bad(std::vector<std::string> a) {
  a.insert(a.begin(), "mosrun");
  auto r = parse_mosrun(a);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().what;
}

TEST(MosrunOptions, PlainRunIsBalancedAndUnlocked) {
  MosrunOptions o = ok({"prog", "-h", "x"});  // options after the program are its own
  EXPECT_EQ(o.where, W::kAnywhere);
  EXPECT_FALSE(o.locked);
  EXPECT_EQ(o.argv, (std::vector<std::string>{"prog", "-h", "x"}));
  EXPECT_EQ(ok({"--", "-weird-name"}).argv, (std::vector<std::string>{"-weird-name"}));
}

TEST(MosrunOptions, PlacementLocksUnlessUnlocked) {
  MosrunOptions h = ok({"-h", "prog"});
  EXPECT_EQ(h.where, W::kHome);
  EXPECT_TRUE(h.locked);
  MosrunOptions n = ok({"-3", "prog"});
  EXPECT_EQ(n.where, W::kNode);
  EXPECT_EQ(n.node, 3u);
  EXPECT_TRUE(n.locked);
  EXPECT_FALSE(ok({"-3", "-l", "prog"}).locked);
  EXPECT_FALSE(ok({"-h", "-l", "prog"}).locked);
  MosrunOptions j = ok({"-j1-3,7,2", "-F", "prog"});
  EXPECT_EQ(j.where, W::kList);
  EXPECT_EQ(j.list, (std::vector<uint32_t>{1, 2, 3, 7}));
  EXPECT_TRUE(j.fallback_anywhere);
  EXPECT_TRUE(j.locked);
  MosrunOptions b = ok({"-b", "prog"});
  EXPECT_EQ(b.where, W::kBest);
  EXPECT_FALSE(b.locked);
  EXPECT_TRUE(ok({"-L", "prog"}).locked);
  EXPECT_TRUE(ok({"-b", "-L", "prog"}).locked);
}

TEST(MosrunOptions, HintsAndDecayOptions) {
  EXPECT_EQ(ok({"-c", "prog"}).hint, 1);
  EXPECT_EQ(ok({"-i", "prog"}).hint, 2);
  MosrunOptions d = ok({"-s", "-t", "5", "-d900", "-n", "-f", "prog", "a"});
  EXPECT_EQ(d.argv, (std::vector<std::string>{"prog", "a"}));
  EXPECT_TRUE(ok({"--help"}).help);
  EXPECT_EQ(ok({"-b", "--stats-json", "s.json", "prog"}).stats_json, "s.json");
  EXPECT_NE(bad({"--stats-json"}).find("needs a file"), std::string::npos);
}

TEST(MosrunOptions, BadInputIsOneClearError) {
  EXPECT_NE(bad({}).find("no program"), std::string::npos);
  EXPECT_NE(bad({"-L"}).find("no program"), std::string::npos);
  EXPECT_NE(bad({"-x", "prog"}).find("unknown option '-x'"), std::string::npos);
  EXPECT_NE(bad({"-h", "-2", "prog"}).find("only one of"), std::string::npos);
  EXPECT_NE(bad({"-0", "prog"}).find("not a node id"), std::string::npos);
  EXPECT_NE(bad({"-2x", "prog"}).find("not a node id"), std::string::npos);
  EXPECT_NE(bad({"-99999999999", "prog"}).find("not a node id"), std::string::npos);
  EXPECT_NE(bad({"-j", "prog"}).find("empty node list"), std::string::npos);
  EXPECT_NE(bad({"-j3-1", "prog"}).find("backwards"), std::string::npos);
  EXPECT_NE(bad({"-j1,,2", "prog"}).find("not a node id"), std::string::npos);
  EXPECT_NE(bad({"-j1-4000000000", "prog"}).find("too long"), std::string::npos);
  EXPECT_NE(bad({"-F", "prog"}).find("-F goes with"), std::string::npos);
  EXPECT_NE(bad({"-t"}).find("needs a value"), std::string::npos);
}

}  // namespace
}  // namespace omx::cli
