// mtop's full-screen loop (ncurses), with top's keys: q quit, h/? help, P M N T sort by CPU,
// memory, pid, time, < > move the sort column, R reverse, u user filter, k kill, r renice,
// d/s delay, space refresh now, arrows/PgUp/PgDn/Home/End scroll (End keeps to the last page
// while rows come and go), and omx's o (migratable processes only, with HOME LOCK NMIGS). Redraws on resize (KEY_RESIZE). SIGINT, SIGTERM and
// SIGHUP end it cleanly (the terminal is restored).
//
// Single-threaded; owns the terminal while it runs.
#pragma once

#include <string>

#include "mtop_source.h"

namespace omx::cli::mtop {

// Runs until q (or `iterations` refreshes, if > 0). Returns the exit status.
int run_tui(const std::string& prog, ViewState view, int iterations);

}  // namespace omx::cli::mtop
