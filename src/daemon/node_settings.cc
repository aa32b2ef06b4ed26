#include "daemon/node_settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "base/scoped_fd.h"
#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

constexpr const char* kFile = "settings.json";
constexpr const char* kTemp = "settings.json.tmp";
constexpr uint32_t kMaxSpeed = 1000000000;

bool* flag(NodeSettings& s, const std::string& key) {
  if (key == "stay") return &s.stay;
  if (key == "lstay") return &s.lstay;
  if (key == "block") return &s.block;
  if (key == "quiet") return &s.quiet;
  if (key == "nomfs") return &s.nomfs;
  return nullptr;
}

}  // namespace

nlohmann::json settings_json(const NodeSettings& s) {
  return {{"stay", s.stay},   {"lstay", s.lstay}, {"block", s.block}, {"quiet", s.quiet},
          {"nomfs", s.nomfs}, {"speed", s.speed ? nlohmann::json(*s.speed) : nlohmann::json()}};
}

Status apply_settings(NodeSettings& s, const nlohmann::json& changes) {
  if (!changes.is_object()) return make_error(ErrorCode::kInvalid, "settings must be a JSON object");
  NodeSettings next = s;
  for (const auto& [key, value] : changes.items()) {
    if (key == "op") continue;
    if (bool* f = flag(next, key)) {
      if (!value.is_boolean()) return make_error(ErrorCode::kInvalid, fmt::format("{} must be true or false", key));
      *f = value.get<bool>();
    } else if (key == "speed") {
      if (value.is_null()) {
        next.speed.reset();
      } else if (value.is_number_integer() && value.get<int64_t>() >= 1 && value.get<int64_t>() <= kMaxSpeed) {
        next.speed = value.get<uint32_t>();
      } else {
        return make_error(ErrorCode::kInvalid, fmt::format("speed must be 1..{} (or null to measure)", kMaxSpeed));
      }
    } else {
      return make_error(ErrorCode::kInvalid, fmt::format("unknown setting '{}'", key));
    }
  }
  s = next;
  return ok_status();
}

Status SettingsStore::load(int dir_fd) {
  dir_fd_ = dir_fd;
  if (dir_fd < 0) return ok_status();
  ScopedFd fd(::openat(dir_fd, kFile, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return ok_status();
    return sys_error(fmt::format("open {}", kFile));
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  auto j = nlohmann::json::parse(text, nullptr, false);
  NodeSettings s;
  if (j.is_discarded()) return make_error(ErrorCode::kInvalid, fmt::format("{}: not JSON", kFile));
  if (auto st = apply_settings(s, j); !st.ok())
    return make_error(ErrorCode::kInvalid, fmt::format("{}: {}", kFile, st.error().message()));
  settings_ = s;
  return ok_status();
}

Status SettingsStore::save() const {
  if (dir_fd_ < 0) return ok_status();
  std::string text = settings_json(settings_).dump() + "\n";
  ScopedFd fd(::openat(dir_fd_, kTemp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return sys_error(fmt::format("create {}", kTemp));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0)
    return sys_error(fmt::format("write {}", kTemp));
  if (::renameat(dir_fd_, kTemp, dir_fd_, kFile) != 0) return sys_error(fmt::format("rename to {}", kFile));
  return ok_status();
}

Status SettingsStore::update(const nlohmann::json& changes) {
  NodeSettings next = settings_;
  OMX_TRY(apply_settings(next, changes));
  if (next == settings_) return ok_status();
  NodeSettings old = settings_;
  settings_ = next;
  if (auto st = save(); !st.ok()) {
    settings_ = old;
    return st;
  }
  log::get("omxd")->info("settings now {}", settings_json(settings_).dump());
  for (auto& f : listeners_) f(settings_);
  return ok_status();
}

void SettingsStore::add_ops(ControlServer& server) {
  server.add_op("settings", [this](const ControlRequest&) { return ok_reply(settings_json(settings_)); });
  server.add_op("set", [this](const ControlRequest& r) {
    if (r.caller.uid != 0) return error_reply("only root may change node settings");
    if (auto st = update(r.body); !st.ok()) return error_reply(st.error().message());
    return ok_reply(settings_json(settings_));
  });
}

}  // namespace omx::daemon
