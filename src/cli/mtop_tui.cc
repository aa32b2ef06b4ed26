#include "mtop_tui.h"

#include <curses.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace omx::cli::mtop {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

const char* const kHelp[] = {
    "Help for mtop (top with a NODE column: where each process runs now)",
    "",
    "  P  sort by %CPU (default)      M  sort by %MEM",
    "  N  sort by PID                 T  sort by TIME+",
    "  <  >  move the sort column     R  reverse the order",
    "  u  show one user's processes (blank: all)",
    "  k  send a signal to a process  r  renice a process",
    "  d  s  change the delay         space  refresh now",
    "  o  omx view: only migratable processes, with HOME LOCK NMIGS",
    "  arrows, PgUp, PgDn, Home, End  scroll",
    "  h  ?  this help                q  quit",
    "",
    "NODE is the node a process runs on now; a migrated process is listed at",
    "home (its deputy's pid) with the node its body runs on.",
    "",
    "Press any key to continue",
};

// A signal number from "15", "TERM", "sigterm", ...; 0 if none.
int parse_signal(std::string s) {
  if (s.empty()) return SIGTERM;
  char* end = nullptr;
  long n = std::strtol(s.c_str(), &end, 10);
  if (*end == '\0') return n > 0 && n < NSIG ? static_cast<int>(n) : 0;
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.rfind("SIG", 0) == 0) s.erase(0, 3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && s == abbrev) return sig;
  }
  return 0;
}

class Tui {
 public:
  Tui(ViewState v, int iterations) : view_(std::move(v)), iterations_(iterations) {}
  int run();

 private:
  void refresh_data();
  void draw();
  bool handle_key(int ch);  // false: quit
  std::optional<std::string> prompt(const std::string& question);
  void show_help();
  void ask_kill();
  void ask_renice();
  void ask_user();
  void ask_delay();
  std::optional<pid_t> ask_pid(const std::string& what);
  void scroll_by(int n);
  int page() const { return std::max(1, visible_rows(LINES, static_cast<int>(frame_.summary.size()))); }

  ViewState view_;
  int iterations_;
  int refreshes_ = 0;
  Snapshot prev_, now_;
  Frame frame_;
  std::vector<Row> shown_;
  std::string message_;
  double next_refresh_ = 0;
  bool at_end_ = false;  // End: keep showing the last page while rows come and go
};

void Tui::refresh_data() {
  prev_ = std::move(now_);
  now_ = take_snapshot();
  frame_ = make_frame(prev_, now_);
  shown_ = view_rows(frame_.rows, view_);
  next_refresh_ = now_s() + std::max(view_.delay_s, 0.1);
  ++refreshes_;
}

void Tui::draw() {
  shown_ = view_rows(frame_.rows, view_);
  if (at_end_) view_.scroll = static_cast<int>(shown_.size());  // clamped by layout
  Screen s{frame_.summary, message_, view_columns(view_), shown_, COLS, LINES, view_.scroll};
  Layout l = layout(s);
  view_.scroll = l.first_row;
  erase();
  for (int i = 0; i < static_cast<int>(l.lines.size()); ++i) {
    if (i == l.header) {
      attron(A_REVERSE);
      mvaddstr(i, 0, fmt::format("{:<{}}", l.lines[i], COLS).substr(0, COLS).c_str());
      auto [start, len] = column_span(s.cols, view_.sort);
      if (len > 0 && start < COLS) {
        attron(A_BOLD);
        mvaddnstr(i, start, l.lines[i].c_str() + std::min<size_t>(start, l.lines[i].size()),
                  std::min(len, COLS - start));
        attroff(A_BOLD);
      }
      attroff(A_REVERSE);
    } else {
      mvaddnstr(i, 0, l.lines[i].c_str(), COLS);
    }
  }
  refresh();
}

std::optional<std::string> Tui::prompt(const std::string& question) {
  std::string answer;
  int row = std::min(static_cast<int>(frame_.summary.size()), LINES - 1);
  timeout(-1);
  curs_set(1);
  for (;;) {
    move(row, 0);
    clrtoeol();
    attron(A_BOLD);
    addnstr((question + answer).c_str(), COLS - 1);
    attroff(A_BOLD);
    refresh();
    int ch = getch();
    if (g_stop) break;
    if (ch == '\n' || ch == KEY_ENTER || ch == '\r') { curs_set(0); return answer; }
    if (ch == 27) break;  // Esc
    if (ch == KEY_RESIZE) { draw(); continue; }
    if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && !answer.empty()) answer.pop_back();
    else if (ch >= 32 && ch < 127 && answer.size() < 64) answer += static_cast<char>(ch);
  }
  curs_set(0);
  return std::nullopt;
}

void Tui::show_help() {
  timeout(-1);
  for (;;) {
    erase();
    int row = 0;
    for (const char* l : kHelp) {
      if (row >= LINES) break;
      mvaddnstr(row++, 0, l, COLS);
    }
    refresh();
    int ch = getch();
    if (ch != KEY_RESIZE || g_stop) return;
  }
}

std::optional<pid_t> Tui::ask_pid(const std::string& what) {
  pid_t def = shown_.empty() ? 0 : shown_[view_.scroll < static_cast<int>(shown_.size()) ? view_.scroll : 0].p.pid;
  auto a = prompt(fmt::format("PID to {} [default pid = {}] ", what, def));
  if (!a) return std::nullopt;
  if (a->empty()) return def ? std::optional<pid_t>(def) : std::nullopt;
  char* end = nullptr;
  long v = std::strtol(a->c_str(), &end, 10);
  if (*end != '\0' || v <= 0) {
    message_ = fmt::format(" Unacceptable integer '{}'", *a);
    return std::nullopt;
  }
  return static_cast<pid_t>(v);
}

void Tui::ask_kill() {
  auto pid = ask_pid("signal/kill");
  if (!pid) return;
  auto s = prompt(fmt::format("Send pid {} signal [15/sigterm] ", *pid));
  if (!s) return;
  int sig = parse_signal(*s);
  if (!sig) message_ = fmt::format(" Unknown signal '{}'", *s);
  else if (kill(*pid, sig) != 0)
    message_ = fmt::format(" Failed signal pid '{}' with '{}': {}", *pid, sig, std::strerror(errno));
  else message_.clear();
}

void Tui::ask_renice() {
  auto pid = ask_pid("renice");
  if (!pid) return;
  auto s = prompt(fmt::format("Renice PID {} to value ", *pid));
  if (!s || s->empty()) return;
  char* end = nullptr;
  long v = std::strtol(s->c_str(), &end, 10);
  if (*end != '\0' || v < -20 || v > 19) message_ = fmt::format(" Unacceptable nice value '{}'", *s);
  else if (setpriority(PRIO_PROCESS, static_cast<id_t>(*pid), static_cast<int>(v)) != 0)
    message_ = fmt::format(" Failed renice of PID {} to {}: {}", *pid, v, std::strerror(errno));
  else message_.clear();
}

void Tui::ask_user() {
  auto u = prompt("Which user (blank for all) ");
  if (!u) return;
  view_.filter.user = *u;
  scroll_by(-view_.scroll);
  message_.clear();
}

void Tui::ask_delay() {
  auto d = prompt(fmt::format("Change delay from {:.1f} to ", view_.delay_s));
  if (!d || d->empty()) return;
  char* end = nullptr;
  double v = std::strtod(d->c_str(), &end);
  if (*end != '\0' || !std::isfinite(v) || v < 0) {
    message_ = fmt::format(" Unacceptable floating point '{}'", *d);
    return;
  }
  view_.delay_s = v;
  next_refresh_ = now_s() + std::max(v, 0.1);
  message_.clear();
}

void Tui::scroll_by(int n) {
  at_end_ = false;
  view_.scroll = std::max(0, view_.scroll + n);
}

bool Tui::handle_key(int ch) {
  auto cols = view_columns(view_);
  switch (ch) {
    case 'q': return false;
    case 'h': case '?': show_help(); break;
    case 'P': view_.sort = Field::kCpu; break;
    case 'M': view_.sort = Field::kMem; break;
    case 'N': view_.sort = Field::kPid; break;
    case 'T': view_.sort = Field::kTime; break;
    case '<': view_.sort = move_sort(view_.sort, -1, cols); break;
    case '>': view_.sort = move_sort(view_.sort, +1, cols); break;
    case 'R': view_.reverse = !view_.reverse; break;
    case 'u': ask_user(); break;
    case 'k': ask_kill(); break;
    case 'r': ask_renice(); break;
    case 'd': case 's': ask_delay(); break;
    case ' ': refresh_data(); break;
    case 'o':
      view_.omx_view = !view_.omx_view;
      scroll_by(-view_.scroll);
      message_ = view_.omx_view ? " omx view: migratable processes only (o: all)" : "";
      break;
    case KEY_UP: scroll_by(-1); break;
    case KEY_DOWN: scroll_by(1); break;
    case KEY_PPAGE: scroll_by(-page()); break;
    case KEY_NPAGE: scroll_by(page()); break;
    case KEY_HOME: scroll_by(-view_.scroll); break;
    case KEY_END: at_end_ = true; break;
    case KEY_RESIZE: break;  // redrawn below at the new size
    default: break;
  }
  return true;
}

int Tui::run() {
  now_ = take_snapshot();
  napms(static_cast<int>(std::clamp(view_.delay_s, 0.1, 0.5) * 1000));
  refresh_data();
  draw();
  while (!g_stop) {
    if (iterations_ > 0 && refreshes_ >= iterations_) break;
    int wait_ms = static_cast<int>(std::max(0.0, (next_refresh_ - now_s()) * 1000));
    timeout(wait_ms);
    int ch = getch();
    if (g_stop) break;
    if (ch != ERR && !handle_key(ch)) break;
    if (now_s() >= next_refresh_) refresh_data();  // also while keys keep coming
    draw();
  }
  return 0;
}

}  // namespace

int run_tui(const std::string& prog, ViewState view, int iterations) {
  SCREEN* screen = newterm(nullptr, stdout, stdin);
  if (!screen) {
    std::fprintf(stderr, "%s: cannot use this terminal (TERM=%s); use -b for batch mode\n", prog.c_str(),
                 std::getenv("TERM") ? std::getenv("TERM") : "");
    return 1;
  }
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: getch returns so the loop sees g_stop
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  int rc = Tui(std::move(view), iterations).run();
  endwin();
  delscreen(screen);
  return rc;
}

}  // namespace omx::cli::mtop
