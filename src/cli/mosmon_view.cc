// mosmon's screen as pure functions (mosmon_view.h).
#include "mosmon_view.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace omx::cli {
namespace {

using nlohmann::json;
using Grid = std::vector<std::string>;

constexpr uint64_t kMiB = 1024 * 1024;

void put(Grid& g, int row, int col, const std::string& text) {
  if (row < 0 || row >= static_cast<int>(g.size()) || col < 0) return;
  std::string& line = g[row];
  for (size_t i = 0; i < text.size() && col + i < line.size(); ++i) line[col + i] = text[i];
}

uint64_t round_up(uint64_t v, uint64_t step) { return (v + step - 1) / step * step; }

bool is_memory(MosmonValue v) { return v == MosmonValue::kMemory || v == MosmonValue::kRawMemory; }

uint64_t free_of(const MosmonNode& n, MosmonValue v) {
  return std::min(n.mem_total_mib, v == MosmonValue::kRawMemory ? n.mem_raw_free_mib : n.mem_free_mib);
}

// The bar's value (memory views: used memory).
uint64_t value_of(const MosmonNode& n, MosmonValue v) {
  switch (v) {
    case MosmonValue::kLoad:
    case MosmonValue::kLogLoad: return n.load;
    case MosmonValue::kSpeed: return n.speed;
    case MosmonValue::kMemory:
    case MosmonValue::kRawMemory: return n.mem_total_mib - free_of(n, v);
    case MosmonValue::kUtil: return n.util;
  }
  return 0;
}

const char* title_of(MosmonValue v) {
  switch (v) {
    case MosmonValue::kLoad: return "load (100 = one busy standard CPU)";
    case MosmonValue::kLogLoad: return "load, log scale (100 = one busy standard CPU)";
    case MosmonValue::kSpeed: return "speed (10000 = standard) and CPUs";
    case MosmonValue::kMemory: return "memory MiB: used #, free + up to total";
    case MosmonValue::kRawMemory: return "raw memory MiB (as Linux sees it): used #, free +";
    case MosmonValue::kUtil: return "utilizability %";
  }
  return "";
}

// "123", "12k", "3M": at most 6 characters for the axis.
std::string short_num(uint64_t v) {
  if (v < 100000) return std::to_string(v);
  if (v < 100000000) return std::to_string(v / 1000) + "k";
  return std::to_string(v / 1000000) + "M";
}

// The value at the top of chart row `row` (0 = top) of `height` rows.
uint64_t axis_value(uint64_t max, int row, int height, bool log_scale) {
  double frac = static_cast<double>(height - row) / height;
  if (!log_scale) return static_cast<uint64_t>(std::llround(max * frac));
  return static_cast<uint64_t>(std::llround(std::pow(1.0 + max, frac) - 1.0));
}

}  // namespace

std::vector<MosmonNode> mosmon_nodes(const json& reply) {
  std::vector<MosmonNode> out;
  const json list = reply.value("nodes", json::array());
  auto num = [](const json& j, const char* k) -> uint64_t {
    auto it = j.find(k);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>()
           : it != j.end() && it->is_number() ? static_cast<uint64_t>(std::max(0.0, it->get<double>()))
                                                : 0;
  };
  for (const auto& j : list) {
    MosmonNode n;
    n.id = static_cast<uint32_t>(num(j, "id"));
    n.up = j.value("state", std::string()) == "up";
    n.self = j.value("self", false);
    n.load = num(j, "load");
    n.speed = static_cast<uint32_t>(num(j, "speed"));
    n.ncpus = static_cast<uint32_t>(num(j, "ncpus"));
    n.mem_total_mib = num(j, "mem_total") / kMiB;
    n.mem_free_mib = num(j, "mem_free") / kMiB;
    n.mem_raw_free_mib = j.contains("mem_raw_free") ? num(j, "mem_raw_free") / kMiB : n.mem_free_mib;
    n.util = static_cast<uint32_t>(num(j, "util"));
    out.push_back(n);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

bool mosmon_apply_key(MosmonState& s, int key) {
  switch (key) {
    case 'l': s.value = MosmonValue::kLoad; break;
    case 'L': s.value = MosmonValue::kLogLoad; break;
    case 's': s.value = MosmonValue::kSpeed; break;
    case 'm': s.value = MosmonValue::kMemory; break;
    case 'r': s.value = MosmonValue::kRawMemory; break;
    case 'u': s.value = MosmonValue::kUtil; break;
    case 'w': s.layout = MosmonLayout::kWide; break;
    case 'v': s.layout = MosmonLayout::kVertical; break;
    case 'V': s.layout = MosmonLayout::kTight; break;
    case 'a': s.layout = MosmonLayout::kAuto; break;
    case 'd': s.show_dead = !s.show_dead; break;
    case 'h':
    case '?': s.help = !s.help; return true;
    default: return false;
  }
  s.help = false;
  return true;
}

void mosmon_scroll(MosmonState& s, long delta, size_t count, size_t per_page) {
  long last = count > per_page ? static_cast<long>(count - per_page) : 0;
  s.first = static_cast<size_t>(std::clamp(static_cast<long>(s.first) + delta, 0L, last));
}

const char* mosmon_value_name(MosmonValue v) {
  static const char* const kNames[] = {"load", "log-load", "speed", "memory", "raw-memory", "util"};
  return kNames[static_cast<int>(v)];
}

const char* mosmon_layout_name(MosmonLayout l) {
  static const char* const kNames[] = {"auto", "wide", "vertical", "tight"};
  return kNames[static_cast<int>(l)];
}

std::vector<MosmonNode> mosmon_visible(const std::vector<MosmonNode>& all, const MosmonState& s) {
  std::vector<MosmonNode> out;
  for (const auto& n : all)
    if (n.up || s.show_dead) out.push_back(n);
  return out;
}

int mosmon_digits(uint32_t id) { return static_cast<int>(std::to_string(id).size()); }

int mosmon_slot_width(MosmonLayout resolved, uint32_t max_id) {
  switch (resolved) {
    case MosmonLayout::kWide: return std::max(2, mosmon_digits(max_id)) + 1;
    case MosmonLayout::kTight: return 1;
    default: return 3;
  }
}

int mosmon_bar_width(MosmonLayout resolved, uint32_t max_id) {
  return resolved == MosmonLayout::kTight ? 1 : mosmon_slot_width(resolved, max_id) - 1;
}

size_t mosmon_fit(MosmonLayout resolved, uint32_t max_id, int width) {
  int room = width - kMosmonAxisWidth;
  return room <= 0 ? 0 : static_cast<size_t>(room / mosmon_slot_width(resolved, max_id));
}

MosmonLayout mosmon_resolve_layout(MosmonLayout l, size_t count, uint32_t max_id, int width) {
  if (l != MosmonLayout::kAuto) return l;
  for (MosmonLayout c : {MosmonLayout::kWide, MosmonLayout::kVertical})
    if (mosmon_fit(c, max_id, width) >= count) return c;
  return MosmonLayout::kTight;
}

uint64_t mosmon_axis_max(MosmonValue v, const std::vector<MosmonNode>& nodes) {
  uint64_t top = 0;
  for (const auto& n : nodes) top = std::max(top, is_memory(v) ? n.mem_total_mib : value_of(n, v));
  switch (v) {
    case MosmonValue::kLoad: return std::max<uint64_t>(100, round_up(top, 100));
    case MosmonValue::kLogLoad: {
      uint64_t p = 1000;
      while (p < top) p *= 10;
      return p;
    }
    case MosmonValue::kSpeed: return std::max<uint64_t>(10000, round_up(top, 5000));
    case MosmonValue::kMemory:
    case MosmonValue::kRawMemory: return std::max<uint64_t>(1024, round_up(top, 1024));
    case MosmonValue::kUtil: return 100;
  }
  return 1;
}

int mosmon_bar_cells(uint64_t value, uint64_t max, int height, bool log_scale) {
  if (value == 0 || max == 0 || height <= 0) return 0;
  double frac = log_scale ? std::log10(1.0 + value) / std::log10(1.0 + max)
                          : static_cast<double>(value) / static_cast<double>(max);
  int cells = static_cast<int>(std::lround(frac * height));
  return std::clamp(cells, 1, height);
}

namespace {

struct Geometry {
  MosmonLayout layout;
  int slot, bar;
  int chart_top, chart_height;  // rows of the bars
  int number_rows;              // rows of node numbers under the axis line
  size_t per_page;
};

Geometry geometry(const std::vector<MosmonNode>& shown, const MosmonState& s, int width, int height) {
  uint32_t max_id = shown.empty() ? 1 : shown.back().id;
  Geometry g{};
  g.layout = mosmon_resolve_layout(s.layout, shown.size(), max_id, width);
  g.slot = mosmon_slot_width(g.layout, max_id);
  g.bar = mosmon_bar_width(g.layout, max_id);
  g.number_rows = g.layout == MosmonLayout::kWide ? 1 : mosmon_digits(max_id);
  g.chart_top = 1;
  g.chart_height = height - 3 - g.number_rows;  // title, axis line, footer
  g.per_page = mosmon_fit(g.layout, max_id, width);
  return g;
}

// One node's bar (or "dead" written down its first column) with its number under the axis.
void draw_node(Grid& grid, const Geometry& g, const MosmonNode& n, const MosmonState& s, uint64_t max, int x) {
  int bottom = g.chart_top + g.chart_height - 1;
  if (!n.up) {
    static const char kDead[] = "dead";
    int rows = std::min(4, g.chart_height);
    for (int i = 0; i < rows; ++i) put(grid, bottom - rows + 1 + i, x, std::string(1, kDead[i]));
  } else {
    bool log_scale = s.value == MosmonValue::kLogLoad;
    int solid = mosmon_bar_cells(value_of(n, s.value), max, g.chart_height, log_scale);
    int total = is_memory(s.value) ? mosmon_bar_cells(n.mem_total_mib, max, g.chart_height) : solid;
    for (int c = 0; c < std::max(solid, total); ++c)
      put(grid, bottom - c, x, std::string(g.bar, c < solid ? '#' : '+'));
    if (s.value == MosmonValue::kSpeed && n.ncpus > 1 && solid < g.chart_height)
      put(grid, bottom - solid, x, n.ncpus < 10 ? std::to_string(n.ncpus) : std::string("*"));
  }
  std::string id = std::to_string(n.id);
  int row = bottom + 2;
  if (g.layout == MosmonLayout::kWide) {
    put(grid, row, x, id);
  } else {
    int pad = g.number_rows - static_cast<int>(id.size());  // right-aligned: units on one row
    for (size_t i = 0; i < id.size(); ++i) put(grid, row + pad + static_cast<int>(i), x, id.substr(i, 1));
  }
}

void draw_axis(Grid& grid, const Geometry& g, const MosmonState& s, uint64_t max, int width) {
  bool log_scale = s.value == MosmonValue::kLogLoad;
  int bottom = g.chart_top + g.chart_height - 1;
  for (int r = 0; r < g.chart_height; ++r) put(grid, g.chart_top + r, kMosmonAxisWidth - 1, "|");
  for (int r : {0, g.chart_height / 2}) {
    std::string label = short_num(axis_value(max, r, g.chart_height, log_scale));
    put(grid, g.chart_top + r, kMosmonAxisWidth - 1 - static_cast<int>(label.size()), label);
  }
  put(grid, bottom + 1, 0, fmt::format("{:>{}}+{}", 0, kMosmonAxisWidth - 1,
                                      std::string(std::max(0, width - kMosmonAxisWidth), '-')));
}

std::string footer(const std::vector<MosmonNode>& all, const std::vector<MosmonNode>& shown,
                   const MosmonState& s, const Geometry& g, size_t count) {
  std::string text;
  if (shown.empty()) {
    text = "no node to show";
  } else {
    size_t last = std::min(shown.size(), s.first + g.per_page) - 1;
    text = fmt::format("nodes {}-{} of {}", shown[s.first].id, shown[last].id, shown.size());
    if (count < shown.size()) text += " <- ->";
  }
  std::string dead;
  for (const auto& n : all)
    if (!n.up) dead += (dead.empty() ? "" : ",") + std::to_string(n.id);
  text += fmt::format("  dead: {} ({})", dead.empty() ? "none" : dead, s.show_dead ? "shown" : "hidden, d shows");
  text += fmt::format("  numbering {}", mosmon_layout_name(g.layout));
  return text;
}

Grid blank(int width, int height) { return Grid(std::max(0, height), std::string(std::max(0, width), ' ')); }

}  // namespace

std::vector<std::string> mosmon_render(const std::vector<MosmonNode>& all, MosmonState& s, int width,
                                       int height, uint32_t self_id, const std::string& error) {
  if (s.help) return mosmon_help_screen(width, height);
  Grid grid = blank(width, height);
  std::string where = self_id ? fmt::format("node {}; ", self_id) : std::string();
  put(grid, 0, 0, fmt::format("mosmon: {}  [{}h help, q quit]", error.empty() ? title_of(s.value) : "no data", where));
  if (!error.empty()) {
    put(grid, 2, 0, error);
    put(grid, 3, 0, "(retrying each second; q quits)");
    return grid;
  }
  std::vector<MosmonNode> shown = mosmon_visible(all, s);
  Geometry g = geometry(shown, s, width, height);
  if (g.chart_height < 2 || g.per_page == 0) {
    put(grid, std::min(1, height - 1), 0, fmt::format("window too small ({}x{})", width, height));
    return grid;
  }
  if (s.start_node) {  // +NODE: once a node from there on is known (omxd may have just started)
    auto it = std::find_if(shown.begin(), shown.end(), [&](const auto& n) { return n.id >= *s.start_node; });
    if (it != shown.end()) {
      s.first = static_cast<size_t>(it - shown.begin());
      s.start_node.reset();
    }
  }
  mosmon_scroll(s, 0, shown.size(), g.per_page);
  uint64_t max = mosmon_axis_max(s.value, shown);
  draw_axis(grid, g, s, max, width);
  size_t count = std::min(g.per_page, shown.size() - std::min(shown.size(), s.first));
  for (size_t i = 0; i < count; ++i)
    draw_node(grid, g, shown[s.first + i], s, max, kMosmonAxisWidth + static_cast<int>(i) * g.slot);
  put(grid, height - 1, 0, footer(all, shown, s, g, count));
  return grid;
}

std::vector<std::string> mosmon_help_screen(int width, int height) {
  static const char* const kLines[] = {
      "mosmon help: one bar per node, refreshed every second (any listed key leaves help)",
      "",
      "  l  load (default): 100 = one busy standard CPU (speed 10000)",
      "  L  load on a log scale",
      "  s  speed (10000 = standard); the digit atop a bar is its CPUs",
      "  m  memory MiB: used # and free + up to total",
      "  r  raw memory MiB (as Linux sees it), same drawing",
      "  u  utilizability %",
      "  w  wide numbering    v  vertical    V  tight vertical    a  automatic",
      "  d  show or hide dead nodes",
      "  <- -> PgUp PgDn  scroll when not all nodes fit",
      "  h  this help         q  quit",
  };
  Grid grid = blank(width, height);
  int row = 0;
  for (const char* l : kLines) put(grid, row++, 0, l);
  return grid;
}

const char* const kMosmonUsage =
    "usage: mosmon [-l|-L|-s|-m|-r|-u] [-w|-v|-V|-a] [-d] [+NODE] [-t|--json] [--address ADDR]\n"
    "  full-screen monitor of the cluster, one bar per node, refreshed every second\n"
    "  -l load (default)  -L log-scale load  -s speed and CPUs  -m memory  -r raw memory\n"
    "  -u utilizability %  -w wide numbering  -v vertical  -V tight vertical  -a automatic\n"
    "  -d show dead nodes  +NODE start at node NODE\n"
    "  -t print one plain-text snapshot of the view and exit  --json one snapshot as JSON\n"
    "  -h, --help this text. The same letters are keys while it runs (h help, q quit).\n"
    "Exit: 0 ok, 2 usage, 4 no omxd answering (-t, --json).\n";

Result<MosmonOptions> parse_mosmon(const std::vector<std::string>& args) {
  MosmonOptions o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h" || a == "-H") {
      o.help = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--address" && i + 1 < args.size()) {
      o.address = args[++i];
    } else if (a.size() > 1 && a[0] == '+') {
      bool digits = a.size() <= 6 && a.find_first_not_of("0123456789", 1) == std::string::npos;
      if (!digits || std::stoul(a.substr(1)) == 0)
        return make_error(ErrorCode::kInvalid, fmt::format("'{}' is not +NODE (a node id 1..65535)", a));
      o.state.start_node = static_cast<uint32_t>(std::stoul(a.substr(1)));
    } else if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
      for (char c : a.substr(1)) {
        if (c == 't') o.text = true;
        else if (c == 'h' || !mosmon_apply_key(o.state, c))
          return make_error(ErrorCode::kInvalid, fmt::format("unknown flag '-{}' in '{}'", c, a));
      }
    } else {
      return make_error(ErrorCode::kInvalid, fmt::format("unexpected argument '{}'", a));
    }
  }
  if (o.text && o.json) return make_error(ErrorCode::kInvalid, "-t and --json do not go together");
  return o;
}

json mosmon_json(const std::vector<MosmonNode>& all, const MosmonState& s, uint32_t self_id) {
  std::vector<MosmonNode> shown = mosmon_visible(all, s);
  json nodes = json::array();
  for (const auto& n : shown) {
    json j{{"id", n.id}, {"state", n.up ? "up" : "down"}, {"value", n.up ? value_of(n, s.value) : 0}};
    if (is_memory(s.value)) {
      j["used_mib"] = value_of(n, s.value);
      j["free_mib"] = free_of(n, s.value);
      j["total_mib"] = n.mem_total_mib;
    }
    if (s.value == MosmonValue::kSpeed) j["ncpus"] = n.ncpus;
    nodes.push_back(std::move(j));
  }
  return {{"node", self_id},
          {"view", mosmon_value_name(s.value)},
          {"title", title_of(s.value)},
          {"axis_max", mosmon_axis_max(s.value, shown)},
          {"show_dead", s.show_dead},
          {"nodes", std::move(nodes)}};
}

}  // namespace omx::cli
