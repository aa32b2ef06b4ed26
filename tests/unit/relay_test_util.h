// Test helper for the relay tests: a world-readable scratch directory holding a stand-in `omx`
// shell script (its `case "$1"` arms given by the test), made relay::run_as's omx binary for the
// helper's lifetime (inherited by processes forked meanwhile).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "relay/run_as.h"

namespace omx::relay {

class FakeOmxBinary {
 public:
  // `arms`: the body of a `case "$1" in ... esac`, e.g. "  ps) id -u ;;\n".
  explicit FakeOmxBinary(const std::string& arms) {
    char tmpl[] = "/tmp/omx-relay-test-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);  // the script runs as other users too
    std::ofstream(dir_ + "/omx") << "#!/bin/sh\ncase \"$1\" in\n" << arms << "esac\n";
    ::chmod((dir_ + "/omx").c_str(), 0755);
    set_omx_binary(dir_ + "/omx");
  }
  ~FakeOmxBinary() {
    set_omx_binary("");
    std::filesystem::remove_all(dir_);
  }
  FakeOmxBinary(const FakeOmxBinary&) = delete;
  FakeOmxBinary& operator=(const FakeOmxBinary&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace omx::relay
