// MosmonView: what `mosmon` draws, as pure functions with no ncurses and no I/O, so the
// geometry can be unit-tested and the same screen printed by `mosmon -t` (reference §1.5).
//
// The screen is a list of text lines (width x height): a title naming the view, a bar chart
// with a value axis on the left, one vertical bar per node (solid '#'; in the memory views
// used memory is '#' and free memory '+' on top of it up to the total), the node numbers under
// the bars, and a footer saying which nodes are shown. Node numbering, as in openMosix:
//   wide (w)            numbers written across under each bar (slot = digits + 1 columns)
//   vertical (v)        digits written downwards, a 2-column bar and a gap (slot = 3)
//   tight vertical (V)  digits written downwards, a 1-column bar, no gap (slot = 1)
//   automatic (a)       the widest of these under which all shown nodes fit (else tight)
// When the nodes still do not fit, the chart shows the page starting at `first` and the
// footer says "nodes A-B of N"; the arrow keys scroll.
//
// Units: load as in the gossip records (normalised: 100 = one process on a standard CPU of
// speed 10000; faster or SMP nodes show less), speed (10000 = standard), memory in MiB,
// utilizability in %.
//
// Threading: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace omx::cli {

enum class MosmonValue { kLoad, kLogLoad, kSpeed, kMemory, kRawMemory, kUtil };
enum class MosmonLayout { kAuto, kWide, kVertical, kTight };

// One node as read from omxd's `nodes` op. Absent fields read as 0.
struct MosmonNode {
  uint32_t id = 0;
  bool up = false;
  bool self = false;
  uint64_t load = 0;
  uint32_t speed = 0;
  uint32_t ncpus = 0;
  uint64_t mem_total_mib = 0;
  uint64_t mem_free_mib = 0;      // as omx sees it (available memory)
  uint64_t mem_raw_free_mib = 0;  // as Linux sees it (MemFree) when the record has it, else mem_free
  uint32_t util = 0;
};

struct MosmonState {
  MosmonValue value = MosmonValue::kLoad;
  MosmonLayout layout = MosmonLayout::kAuto;
  bool show_dead = false;
  bool help = false;
  size_t first = 0;                     // index of the first shown node in the visible list
  std::optional<uint32_t> start_node;   // +NODE: scroll there once a node >= it is shown
};

// The `nodes` reply's list, sorted by id.
std::vector<MosmonNode> mosmon_nodes(const nlohmann::json& reply);

// What a key (a letter of reference §1.5) does to the state; false if it is not one of them.
// Scrolling keys are separate (mosmon_scroll).
bool mosmon_apply_key(MosmonState& s, int key);
// Moves `first` by `delta` nodes, kept within [0, count - per_page] (at least 0).
void mosmon_scroll(MosmonState& s, long delta, size_t count, size_t per_page);

const char* mosmon_value_name(MosmonValue v);    // "load", "log-load", "speed", ...
const char* mosmon_layout_name(MosmonLayout l);  // "auto", "wide", "vertical", "tight"

// The nodes the state shows: the up ones, and the dead ones too with show_dead.
std::vector<MosmonNode> mosmon_visible(const std::vector<MosmonNode>& all, const MosmonState& s);

// Geometry.
inline constexpr int kMosmonAxisWidth = 7;  // value labels left of the chart, "  1000|"
int mosmon_digits(uint32_t id);
int mosmon_slot_width(MosmonLayout resolved, uint32_t max_id);  // columns per node
int mosmon_bar_width(MosmonLayout resolved, uint32_t max_id);    // columns of its bar
// How many nodes fit across `width` columns with this numbering.
size_t mosmon_fit(MosmonLayout resolved, uint32_t max_id, int width);
// kAuto resolved for `count` nodes whose largest id is max_id in `width` columns.
MosmonLayout mosmon_resolve_layout(MosmonLayout l, size_t count, uint32_t max_id, int width);

// The top of the value axis: loads round up to a multiple of 100 (at least 100); log-load to a
// power of 10 (at least 1000); speed to a multiple of 5000 (at least 10000); memory to the
// largest total rounded up to 1024 MiB (at least 1024); util is always 100.
uint64_t mosmon_axis_max(MosmonValue v, const std::vector<MosmonNode>& nodes);
// Cells of a bar of `value` on an axis of `max` over `height` cells: rounded to nearest,
// clamped to [0, height]; a nonzero value gets at least one cell. Log scale: log10(1 + v)
// against log10(1 + max).
int mosmon_bar_cells(uint64_t value, uint64_t max, int height, bool log_scale = false);

// The whole screen, exactly width x height (lines padded with spaces). `error` nonempty: a
// screen that says so instead of the chart (no omxd). self_id names this node in the title.
std::vector<std::string> mosmon_render(const std::vector<MosmonNode>& all, MosmonState& s, int width,
                                       int height, uint32_t self_id, const std::string& error = {});
std::vector<std::string> mosmon_help_screen(int width, int height);

// mosmon's command line: the view letters as flags (alone or together, "-m -d", "-md"),
// +NODE, -t, --json, --address ADDR, -h/-H/--help.
struct MosmonOptions {
  MosmonState state;
  bool text = false;  // -t: one plain-text snapshot
  bool json = false;  // --json: one snapshot as JSON
  bool help = false;
  std::string address;  // empty: the default control socket
};
Result<MosmonOptions> parse_mosmon(const std::vector<std::string>& args);  // args[0] = program
extern const char* const kMosmonUsage;

// One snapshot of the current view as JSON (mosmon --json).
nlohmann::json mosmon_json(const std::vector<MosmonNode>& all, const MosmonState& s, uint32_t self_id);

}  // namespace omx::cli
