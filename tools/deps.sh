#!/usr/bin/env bash
# Installs the Debian packages omx needs to build, test and demo. Idempotent: does nothing
# (and needs no network) when everything is already installed.
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build pkg-config g++
  libasio-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libseccomp-dev libsodium-dev libssl-dev libfuse3-dev libsqlite3-dev libzstd-dev liblz4-dev
  libncurses-dev libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 util-linux procps python3 tmux
  bc xz-utils gzip bzip2 coreutils gawk sqlite3
  dpkg-dev groff-base man-db bash-completion  # ./run package, tests/dist (man pages, completion)
  libcpp-httplib-dev chromium  # the web dashboard (omx dashboard) and its browser test
)
missing=()
# Node.js for the dashboard's front-end build: Debian's nodejs and npm unless a node is there
# already (a NodeSource nodejs bundles npm, and Debian's npm package conflicts with it).
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "omx: installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
