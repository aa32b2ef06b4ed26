#include "base/log.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace omx::log {
namespace {

std::mutex g_mu;
std::string g_default = "warn";
std::string g_tag;

spdlog::level::level_enum level_for(std::string_view component) {
  std::string level = g_default;
  if (const char* env = std::getenv("OMX_LOG")) {
    std::string_view spec(env);
    while (!spec.empty()) {
      auto comma = spec.find(',');
      std::string_view item = spec.substr(0, comma);
      auto colon = item.find(':');
      if (colon == std::string_view::npos) {
        level = std::string(item);
      } else if (item.substr(0, colon) == component) {
        level = std::string(item.substr(colon + 1));
        break;
      }
      if (comma == std::string_view::npos) break;
      spec.remove_prefix(comma + 1);
    }
  }
  return spdlog::level::from_str(level);
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  std::lock_guard<std::mutex> lock(g_mu);
  std::string name(component);
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_color_mt(name);
  l->set_level(level_for(component));
  std::string pattern = "[%H:%M:%S.%e] ";
  if (!g_tag.empty()) pattern += g_tag + " ";
  pattern += "%n %^%l%$: %v";
  l->set_pattern(pattern);
  return l;
}

void set_default_level(std::string_view level) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_default = std::string(level);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) {
    l->set_level(level_for(l->name()));
  });
}

void set_process_tag(std::string_view tag) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_tag = std::string(tag);
  std::string pattern = "[%H:%M:%S.%e] " + g_tag + " %n %^%l%$: %v";
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_pattern(pattern); });
}

}  // namespace omx::log
