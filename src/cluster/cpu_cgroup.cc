#include "cluster/cpu_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/scoped_fd.h"

namespace omx::cluster {
namespace {

Status write_file(const std::string& path, const std::string& text) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return sys_error(fmt::format("write '{}' to {}", text, path));
  return ok_status();
}

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return sys_error("mkdir " + path);
  return ok_status();
}

}  // namespace

Result<std::vector<double>> parse_cpu_list(const std::string& text, int nodes) {
  std::vector<double> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used != item.size() || !(v > 0) || v > 64)
      return make_error(ErrorCode::kInvalid,
                        fmt::format("--cpu: '{}' is not a CPU count in (0, 64] (e.g. 0.5)", item));
    out.push_back(v);
  }
  if (out.size() == 1) out.assign(static_cast<size_t>(nodes), out[0]);
  if (out.size() != static_cast<size_t>(nodes))
    return make_error(ErrorCode::kInvalid,
                      fmt::format("--cpu gives {} values for {} nodes (give one, or one per node)",
                                  out.size(), nodes));
  return out;
}

Result<CpuController> find_cpu_controller() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::optional<CpuController> v2;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, devno, root, mount, fstype, source, super;
    pre >> id >> parent >> devno >> root >> mount;
    post >> fstype >> source >> super;
    if (fstype == "cgroup") {
      std::stringstream opts(super);
      for (std::string o; std::getline(opts, o, ',');)
        if (o == "cpu") return CpuController{mount, false};
    } else if (fstype == "cgroup2" && !v2) {
      std::ifstream ctl(mount + "/cgroup.controllers");
      std::string c;
      while (ctl >> c)
        if (c == "cpu") v2 = CpuController{mount, true};
    }
  }
  if (v2) return *v2;
  return make_error(ErrorCode::kInvalid, "no cgroup CPU controller is mounted (needed for --cpu)");
}

Result<std::string> make_node_cgroup(const CpuController& c, int cluster_index, uint32_t node,
                                     double cpus) {
  std::string top = c.root + "/omx", cl = fmt::format("{}/c{}", top, cluster_index);
  std::string path = fmt::format("{}/n{}", cl, node);
  if (c.v2) {  // the controller must be enabled for the children at each level
    (void)write_file(c.root + "/cgroup.subtree_control", "+cpu");
    OMX_TRY(make_dir(top));
    OMX_TRY(write_file(top + "/cgroup.subtree_control", "+cpu"));
    OMX_TRY(make_dir(cl));
    OMX_TRY(write_file(cl + "/cgroup.subtree_control", "+cpu"));
  } else {
    OMX_TRY(make_dir(top));
    OMX_TRY(make_dir(cl));
  }
  OMX_TRY(make_dir(path));
  long quota = std::lround(cpus * kCpuPeriodUs);
  if (c.v2) {
    OMX_TRY(write_file(path + "/cpu.max", fmt::format("{} {}", quota, kCpuPeriodUs)));
  } else {
    OMX_TRY(write_file(path + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
    OMX_TRY(write_file(path + "/cpu.cfs_quota_us", std::to_string(quota)));
  }
  return path;
}

Status join_cgroup(const std::string& path, pid_t pid) {
  return write_file(path + "/cgroup.procs", std::to_string(pid ? pid : ::getpid()));
}

Status remove_node_cgroup(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return sys_error("rmdir " + path);
  std::string cl = path.substr(0, path.rfind('/'));
  ::rmdir(cl.c_str());  // the cluster's level, once its last node is gone (EBUSY/ENOTEMPTY: not yet)
  return ok_status();
}

}  // namespace omx::cluster
