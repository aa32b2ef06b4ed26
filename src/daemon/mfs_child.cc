#include "daemon/mfs_child.h"

#include <sys/mount.h>

#include <fmt/format.h>

#include "daemon/control_protocol.h"

namespace omx::daemon {

MfsChild::MfsChild(asio::io_context& io, std::string omx, std::string control, std::string log)
    : omx_(std::move(omx)), control_(std::move(control)), child_(io, "omx mfs serve", std::move(log)) {
  // In case it died before unmounting.
  child_.on_stopped([this] { ::umount2(mount_.c_str(), MNT_DETACH); });
}

void MfsChild::add_ops(ControlServer& server) {
  server.add_op("mfs", [this](const ControlRequest& r) {
    std::string action = r.body.value("action", "status");
    if (action == "status") return ok_reply(status());
    if (r.caller.uid != 0) return error_reply("only root may mount or unmount /mfs");
    if (action == "umount") {
      stop();
      return ok_reply();
    }
    if (action != "mount") return error_reply("mfs: action must be mount, umount or status");
    if (child_.wanted()) return error_reply(fmt::format("/mfs is already served at {}", mount_));
    auto st = start(r.body.value("mount", std::string("/mfs")));
    return st.ok() ? ok_reply() : error_reply(st.error().message());
  });
}

Status MfsChild::start(const std::string& mount) {
  if (mount.empty() || mount[0] != '/') return make_error(ErrorCode::kInvalid, "mfs mount point must be absolute");
  mount_ = mount;
  return child_.start({omx_, "mfs", "serve", "--mount", mount_, "--control", control_});
}

void MfsChild::stop() { child_.stop(); }

nlohmann::json MfsChild::status() const {
  nlohmann::json j = child_.status();
  j["mount"] = mount_;
  return j;
}

}  // namespace omx::daemon
