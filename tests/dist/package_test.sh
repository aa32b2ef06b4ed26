# The Debian package: cpack builds it from this build tree; dpkg -c must list the binaries, the
# classic-name symlinks, the man pages, the completion, the unit, /etc/default/omxd and the
# example map, and nothing from tests/ or bench/. Then it is installed with dpkg -i into a
# scratch root: a private mount namespace where an overlay has / as its lower layer and a tmpfs
# as its upper one, so the host's files and dpkg database stay untouched. Inside: omx
# --version, mosrun --help, man -w mosrun, bash-completion loading `mosrun`, dpkg -s Depends.
# Needs root (mount namespace, overlayfs), cpack and dpkg-shlibdeps; skipped without them.
source "$(dirname "$0")/../cluster/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (mount namespace and overlayfs for the scratch root)"
for t in cpack dpkg-deb dpkg-shlibdeps unshare chroot; do
  command -v $t >/dev/null || skip "$t is not installed (./run deps)"
done
unshare --mount true 2>/dev/null || skip "unshare --mount is not permitted here"
[ -f "$OMX_BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $OMX_BUILD"
new_dir D

log "cpack -G DEB"
(cd "$OMX_BUILD" && cpack -G DEB -B "$D/out" --config CPackConfig.cmake) > "$D/cpack.log" 2>&1 ||
  fail "cpack failed: $(tail -20 "$D/cpack.log")"
deb=$(ls "$D"/out/omx_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "cpack made no .deb: $(tail -20 "$D/cpack.log")"
log "made $(basename "$deb")"

log "dpkg -c"
dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); print p ($7 == "->" ? " -> " $8 : "") }' > "$D/list"
want=(/usr/bin/omx /usr/sbin/omxd /lib/systemd/system/omxd.service /etc/default/omxd
      /usr/share/doc/omx/examples/openmosix.map.example /usr/share/doc/omx/README.md
      /usr/share/bash-completion/completions/omx /usr/share/man/man1/omx.1.gz
      /usr/share/man/man8/omxd.8.gz
      /usr/share/omx/web/index.html /usr/share/omx/web/api/docs/index.html /usr/share/omx/web/openapi.yaml)
for n in mosrun migrate mosctl mosmon mps mtop setpe showmap omdiscd; do
  want+=("/usr/bin/$n -> omx" "/usr/share/bash-completion/completions/$n -> omx")
done
for page in "$OMX_SRC"/dist/man/man1/*.1 "$OMX_SRC"/dist/man/man8/*.8; do
  sec=$(basename "$(dirname "$page")")
  if [ -L "$page" ]; then
    want+=("/usr/share/man/$sec/$(basename "$page").gz -> $(readlink "$page").gz")
  else
    want+=("/usr/share/man/$sec/$(basename "$page").gz")
  fi
done
for w in "${want[@]}"; do grep -qxF -- "$w" "$D/list" || fail "the package lacks '$w'"; done
# Executables: only omx and omxd; nothing built for tests or benchmarks.
extra=$(grep -E '^/usr/(s?bin|lib|libexec)/' "$D/list" | grep -vE '/$| -> omx$' |
        grep -vxE '/usr/bin/omx|/usr/sbin/omxd' || true)
[ -z "$extra" ] || fail "unexpected executables in the package: $extra"
leaked=$(grep -E '(^|/)(tests?|bench)(/|$)|_test$|_bench$|zdtm|never_ready|demo_primes' "$D/list" || true)
[ -z "$leaked" ] || fail "test or benchmark files in the package: $leaked"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "no Depends computed: $(dpkg-deb -f "$deb" Depends)"
[ "$(dpkg-deb -f "$deb" Section)" = admin ] || fail "Section is not admin"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/default/omxd ||
  fail "/etc/default/omxd is not a conffile"

log "dpkg -i into a scratch root (overlay on /)"
root=$D/root
cat > "$D/inside.sh" <<INSIDE
set -euo pipefail
mount -t tmpfs tmpfs "$root"
mkdir "$root/upper" "$root/work" "$root/merged"
mount -t overlay overlay -o "lowerdir=/,upperdir=$root/upper,workdir=$root/work" "$root/merged" ||
  exit 77
m=$root/merged
mount -t proc proc "\$m/proc"
mount --rbind /dev "\$m/dev"
mount -t tmpfs tmpfs "\$m/tmp"
cp "$deb" "\$m/tmp/omx.deb"
chroot "\$m" /bin/sh -ec '
  if dpkg-query -W -f="\\\${Status}" omx 2>/dev/null | grep -q "install ok installed"; then
    dpkg -r omx >/dev/null  # the host has it: start from without it in the scratch root
  fi
  dpkg -i /tmp/omx.deb
  echo "--- omx --version"; omx --version
  echo "--- mosrun --help"; mosrun --help | head -1
  [ "\$(readlink /usr/bin/mosrun)" = omx ]
  [ -x /usr/sbin/omxd ] && omxd --help | head -1
  if command -v man >/dev/null; then echo "--- man -w mosrun"; man -w mosrun; man -w omxd; fi
  if [ -r /usr/share/bash-completion/bash_completion ]; then
    echo "--- bash-completion loads mosrun"
    bash --norc -c ". /usr/share/bash-completion/bash_completion; __load_completion mosrun; complete -p mosrun"
  fi
  echo "--- dpkg -s omx"; dpkg -s omx | grep -E "^(Status|Depends):"
'
INSIDE
# What the scratch install must not change on the host.
host_state() {
  echo "$(dpkg-query -W -f='${Status}' omx 2>/dev/null || echo none);" \
       "$(ls -l /usr/bin/omx /usr/share/man/man1/mosrun.1.gz 2>&1 | md5sum)"
}
before=$(host_state)
mkdir -p "$root"
rc=0
unshare --mount --propagation private bash "$D/inside.sh" > "$D/inside.log" 2>&1 || rc=$?
cat "$D/inside.log"
[ $rc -ne 77 ] || skip "overlayfs with / as the lower layer is not available here"
[ $rc -eq 0 ] || fail "installing or running the package in the scratch root failed ($rc)"
grep -qx "omx [0-9.]*" "$D/inside.log" || fail "omx --version"
grep -q "^usage: mosrun" "$D/inside.log" || fail "mosrun --help"
grep -q "^Depends: .*libc6" "$D/inside.log" || fail "dpkg -s shows no Depends"
grep -q "^Status: install ok installed" "$D/inside.log" || fail "not installed"
if command -v man >/dev/null; then
  grep -qx "/usr/share/man/man1/mosrun.1.gz" "$D/inside.log" || fail "man -w mosrun"
fi
if [ -r /usr/share/bash-completion/bash_completion ]; then
  grep -q "complete -F _omx mosrun" "$D/inside.log" || fail "no completion for mosrun"
fi
[ "$(host_state)" = "$before" ] || fail "the host changed: before '$before', after '$(host_state)'"
echo PASS
