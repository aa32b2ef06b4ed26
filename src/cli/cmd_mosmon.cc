// `mosmon` (also `omx mosmon`): openMosix's full-screen monitor (reference §1.5), one bar per
// node refreshed every second from the local omxd's `nodes` op. What is drawn comes from the
// pure functions of mosmon_view.h; this file only asks omxd, runs ncurses and reads keys.
//
//   mosmon [-l|-L|-s|-m|-r|-u] [-w|-v|-V|-a] [-d] [+NODE]     interactive (keys: same letters)
//   mosmon ... -t | --json                                    one snapshot on stdout, no curses
//
// Without an answering omxd: -t/--json print one line on stderr and exit 4; the interactive
// monitor says so on screen and retries each second. Single-threaded; blocking.
#include <curses.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "commands.h"
#include "daemon/control_client.h"
#include "mosmon_view.h"
#include "status_summary.h"

namespace omx::cli {
namespace {

using nlohmann::json;

constexpr auto kAskTimeout = std::chrono::milliseconds(900);

struct Snapshot {
  std::vector<MosmonNode> nodes;
  uint32_t self = 0;
  std::string error;  // nonempty: no omxd answered
};

Snapshot ask(const std::string& address) {
  Snapshot s;
  auto reply = daemon::control_request({{"op", "nodes"}}, address, kAskTimeout);
  if (!reply.ok()) {
    s.error = no_omxd(address, reply.error());
  } else if (!reply->value("ok", false)) {
    s.error = "omxd refused: " + reply->value("error", std::string("?"));
  } else {
    s.nodes = mosmon_nodes(*reply);
    s.self = reply->value("node", 0u);
  }
  return s;
}

int env_size(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int n = v ? std::atoi(v) : 0;
  return n >= 10 && n <= 1000 ? n : fallback;
}

int snapshot(const std::string& prog, MosmonOptions& o) {
  Snapshot s = ask(o.address);
  if (!s.error.empty()) {
    print_error(prog, s.error);
    return kExitUnavailable;
  }
  if (o.json) {
    std::puts(mosmon_json(s.nodes, o.state, s.self).dump(2).c_str());
    return kExitOk;
  }
  int width = env_size("COLUMNS", 80), height = env_size("LINES", 24);
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 10 && ws.ws_row >= 5)
    width = ws.ws_col, height = ws.ws_row - 1;  // leave the shell's prompt line
  for (std::string line : mosmon_render(s.nodes, o.state, width, height, s.self)) {
    line.erase(line.find_last_not_of(' ') + 1);
    std::puts(line.c_str());
  }
  return kExitOk;
}

void draw(const Snapshot& snap, MosmonState& state) {
  int h, w;
  getmaxyx(stdscr, h, w);
  erase();
  auto lines = mosmon_render(snap.nodes, state, w, h, snap.self, snap.error);
  for (int r = 0; r < static_cast<int>(lines.size()) && r < h; ++r)
    mvaddnstr(r, 0, lines[r].c_str(), r == h - 1 ? w - 1 : w);  // not the last cell: no scroll
  refresh();
}

// Scroll keys: by one node, or by a page (what fits across the window).
bool scroll_key(int key, const Snapshot& snap, MosmonState& state) {
  long step;
  switch (key) {
    case KEY_LEFT: case KEY_UP: step = -1; break;
    case KEY_RIGHT: case KEY_DOWN: step = 1; break;
    case KEY_PPAGE: case KEY_NPAGE: case KEY_HOME: case KEY_END: step = 0; break;
    default: return false;
  }
  auto shown = mosmon_visible(snap.nodes, state);
  uint32_t max_id = shown.empty() ? 1 : shown.back().id;
  int w = getmaxx(stdscr);
  size_t page = std::max<size_t>(1, mosmon_fit(mosmon_resolve_layout(state.layout, shown.size(), max_id, w), max_id, w));
  if (key == KEY_PPAGE) step = -static_cast<long>(page);
  if (key == KEY_NPAGE) step = static_cast<long>(page);
  if (key == KEY_HOME) step = -static_cast<long>(shown.size());
  if (key == KEY_END) step = static_cast<long>(shown.size());
  mosmon_scroll(state, step, shown.size(), page);
  return true;
}

int interactive(MosmonOptions& o) {
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  timeout(100);
  Snapshot snap = ask(o.address);
  auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  draw(snap, o.state);
  for (;;) {
    int key = getch();
    if (key == 'q' || key == 'Q') break;
    bool redraw = key == KEY_RESIZE || scroll_key(key, snap, o.state) ||
                  (key != ERR && mosmon_apply_key(o.state, key));
    if (std::chrono::steady_clock::now() >= next) {
      snap = ask(o.address);
      next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      redraw = true;
    }
    if (redraw) draw(snap, o.state);
  }
  endwin();
  return kExitOk;
}

}  // namespace

int cmd_mosmon(const Args& args) {
  auto parsed = parse_mosmon(args);
  if (!parsed.ok()) {
    print_error(args[0], parsed.error().what + " (--help for usage)");
    return kExitUsage;
  }
  MosmonOptions o = *parsed;
  if (o.help) {
    std::fputs(kMosmonUsage, stdout);
    return kExitOk;
  }
  if (o.address.empty()) o.address = daemon::default_control_address();
  if (o.text || o.json) return snapshot(args[0], o);
  if (!::isatty(STDOUT_FILENO) || !::isatty(STDIN_FILENO)) {
    print_error(args[0], "needs a terminal (use -t or --json for a snapshot)");
    return kExitUsage;
  }
  return interactive(o);
}

}  // namespace omx::cli
