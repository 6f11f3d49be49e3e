#!/usr/bin/env bash
# make demo: import a busybox image built here from Debian's busybox-static
# (no network), run a container from it with `cais run`, and print what the
# process inside sees: its own hostname, its shell as PID 1, only its own
# processes, and its memory limit. State lives in a temp dir, removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
for b in cais cais-runtime cais-monitor; do
  [ -x "$bin/$b" ] || { echo "demo: build first (make build)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "demo: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d /tmp/cais-demo.XXXXXX)
cais() { "$bin/cais" --root "$work/root" --runroot "$work/run" "$@"; }
cleanup() {
  for id in $(cais ps -a -q 2>/dev/null); do cais rm -f "$id" >/dev/null 2>&1 || true; done
  # The default network's bridge and masquerade rule outlive the container
  # (docker0's semantics; `network rm bridge` is refused): remove them.
  for rec in "$work"/root/networks/*.json; do
    [ -f "$rec" ] || continue
    br=$(sed -n 's/^ *"Bridge": "\(.*\)",*$/\1/p' "$rec")
    id=$(sed -n 's/^ *"Id": "\(.*\)",*$/\1/p' "$rec")
    [ -n "$br" ] && ip link delete "$br" 2>/dev/null
    [ -n "$id" ] && iptables -w -t nat -S POSTROUTING | grep -F -- "--comment cais-${id:0:12} " | sed 's/^-A //' |
      while read -r rule; do iptables -w -t nat -D $rule; done
  done
  rm -rf "$work"
  rmdir /sys/fs/cgroup/*/cais /sys/fs/cgroup/cais 2>/dev/null || true
}
trap cleanup EXIT

# A busybox root filesystem: one static binary and a link per applet.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
echo "root:x:0:" > "$rootfs/etc/group"

echo "\$ cais import $rootfs demo/busybox"
cais import -c 'CMD ["/bin/sh"]' "$rootfs" demo/busybox >/dev/null
cais images
echo
echo "host:         hostname $(hostname), $(ls /proc | grep -c '^[0-9]') processes"
echo "\$ cais run --rm -h cais-demo -m 64m --pids-limit 32 demo/busybox sh -c ..."
PATH=$bin:$PATH cais run --rm -h cais-demo -m 64m --pids-limit 32 demo/busybox sh -c '
  echo "hostname:     $(hostname)"
  echo "my PID:       $$"
  echo "PIDs visible: $(ps -o pid= | tr -s " \n" " ")(the whole container)"
  if [ -f /sys/fs/cgroup/memory.max ]; then m=$(cat /sys/fs/cgroup/memory.max); else m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); fi
  echo "memory limit: $m bytes ($((m / 1048576)) MiB)"
  echo "root fs:      $(ls / | tr "\n" " ")"'
