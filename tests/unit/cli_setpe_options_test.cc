// setpe's command line (the reference's flags, -off, exclusive modes, one-line errors) and
// its messages.
#include <gtest/gtest.h>

#include "setpe_options.h"

namespace omx::cli {
namespace {

using nlohmann::json;

Result<SetpeCommandLine> parse(std::vector<std::string> words) {
  words.insert(words.begin(), "setpe");
  return parse_setpe_args(words);
}

SetpeOptions ok(std::vector<std::string> words) {
  auto r = parse(words);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  EXPECT_TRUE(r.ok() && r->options);
  return r.ok() && r->options ? *r->options : SetpeOptions{};
}

std::string error_of(std::vector<std::string> words) {
  auto r = parse(words);
  return r.ok() ? "" : r.error().message();
}

TEST(SetpeOptions, ReferenceForms) {
  SetpeOptions o = ok({"-w", "-f", "/etc/openmosix.map"});
  EXPECT_EQ(o.action, SetpeAction::kWrite);
  EXPECT_EQ(o.file, "/etc/openmosix.map");
  EXPECT_EQ(o.source_name(), "/etc/openmosix.map");
  o = ok({"-w"});  // the map from stdin
  EXPECT_EQ(o.action, SetpeAction::kWrite);
  EXPECT_TRUE(o.from_stdin());
  EXPECT_EQ(o.source_name(), "stdin");
  o = ok({"-W", "-f", "-"});
  EXPECT_EQ(o.action, SetpeAction::kWrite);
  EXPECT_TRUE(o.from_stdin());
  o = ok({"-w", "-c", "-p", "7", "-f", "m"});
  EXPECT_EQ(o.action, SetpeAction::kCheck);
  EXPECT_EQ(o.node, 7u);
  EXPECT_EQ(ok({"-c", "-f", "m"}).action, SetpeAction::kCheck);
  o = ok({"-r"});
  EXPECT_EQ(o.action, SetpeAction::kRead);
  EXPECT_TRUE(o.from_stdin());
  EXPECT_EQ(ok({"-r", "-f", "out.map"}).file, "out.map");
  EXPECT_EQ(ok({"-off"}).action, SetpeAction::kOff);
  o = ok({"-p", "3"});
  EXPECT_EQ(o.action, SetpeAction::kSetId);
  EXPECT_EQ(o.node, 3u);
  o = ok({"-w", "-g", "2", "-f", "m", "--control", "@x"});
  EXPECT_EQ(*o.gateways, 2);
  EXPECT_EQ(o.control, "@x");
}

TEST(SetpeOptions, HelpIsNotAnError) {
  auto r = parse({"--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->options);
  EXPECT_NE(r->help.find("setpe -off"), std::string::npos);
  EXPECT_NE(r->help.find("-p ID"), std::string::npos);
}

TEST(SetpeOptions, BadCombinationsAreOneLineErrors) {
  const std::string more = " (setpe --help for usage)";
  EXPECT_EQ(error_of({}), "say what to do: -w, -c, -r, -off or -p ID" + more);
  EXPECT_EQ(error_of({"-w", "-r"}), "give only one of -w, -r and -off" + more);
  EXPECT_EQ(error_of({"-off", "-w"}), "give only one of -w, -r and -off" + more);
  EXPECT_EQ(error_of({"-off", "-p", "2"}), "-off takes no other option" + more);
  EXPECT_EQ(error_of({"-r", "-c"}), "-r takes only -f FILE" + more);
  EXPECT_EQ(error_of({"-f", "m"}), "say what to do: -w, -c, -r, -off or -p ID" + more);
  EXPECT_EQ(error_of({"-p", "2", "-f", "m"}), "-f and -g need -w or -c" + more);
  for (auto words : std::vector<std::vector<std::string>>{
           {"-p", "0"}, {"-p", "65536"}, {"-p", "x"}, {"-w", "-g", "3"}, {"-w", "-f"},
           {"-x"}, {"-w", "extra"}, {"-of"}}) {
    std::string e = error_of(words);
    EXPECT_FALSE(e.empty()) << words[0];
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_NE(e.find("(setpe --help for usage)"), std::string::npos) << e;
  }
}

TEST(SetpeOptions, FormatsTheDaemonsReply) {
  json changed = json::parse(R"({"ok":true,"node":1,"previous_node":1,"count":3,
                                 "added":[3,4],"removed":[2],"modified":[]})");
  EXPECT_EQ(format_setmap_reply(changed),
            "omx configuration changed: This is omx #1 (of 3 configured)\n"
            "nodes added: 3-4; removed: 2; changed: -\n");
  json same = json::parse(R"({"ok":true,"node":2,"previous_node":2,"count":2,
                              "added":[],"removed":[],"modified":[]})");
  EXPECT_EQ(format_setmap_reply(same),
            "omx configuration unchanged: This is omx #2 (of 2 configured)\n");
  json moved = json::parse(R"({"ok":true,"node":3,"previous_node":2,"count":4,
                               "added":[],"removed":[],"modified":[]})");
  EXPECT_EQ(format_setmap_reply(moved),
            "omx configuration changed: This is omx #3 (of 4 configured)\n");
}

TEST(SetpeOptions, FormatsACheckedMap) {
  auto m = cluster::parse_node_map("1 10.0.0.1 4\n9 10.0.0.9 1\n", "m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(format_check_ok("/etc/openmosix.map", *m, 0),
            "/etc/openmosix.map: ok: 5 nodes (1-4,9)\n");
  EXPECT_EQ(format_check_ok("stdin", *m, 9), "stdin: ok: 5 nodes (1-4,9), this node #9\n");
}

}  // namespace
}  // namespace omx::cli
