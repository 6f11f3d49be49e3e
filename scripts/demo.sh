#!/usr/bin/env bash
# make demo: run one container with cais-runtime from a busybox bundle built
# here (no network), and print what the process inside sees: its own
# hostname, its shell as PID 1, only its own processes, and its memory limit.
set -euo pipefail
cd "$(dirname "$0")/.."
runtime=$PWD/bin/cais-runtime
[ -x "$runtime" ] || { echo "demo: build first (make build)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "demo: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d /tmp/cais-demo.XXXXXX)
root=$work/state
id=cais-demo-$$
cleanup() {
  "$runtime" --root "$root" delete --force "$id" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A busybox root filesystem: one static binary and a link per applet.
mkdir -p "$work/bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$work/bundle/rootfs/bin/$applet"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$work/bundle/rootfs/etc/passwd"

cat > "$work/bundle/config.json" <<JSON
{
  "ociVersion": "1.2.0",
  "process": {
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/sh", "-c", "echo \"hostname:     \$(hostname)\"; echo \"my PID:       \$\$\"; echo \"PIDs visible: \$(ps -o pid= | tr -s ' \\\\n' ' ')(the whole container)\"; if [ -f /sys/fs/cgroup/memory.max ]; then m=\$(cat /sys/fs/cgroup/memory.max); else m=\$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); fi; echo \"memory limit: \$m bytes (\$((m / 1048576)) MiB)\"; echo \"root fs:      \$(ls / | tr '\\\\n' ' ')\""],
    "env": ["PATH=/bin"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
      "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
      "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
    },
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "cais-demo",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "cgroupsPath": "/cais-demo/$id",
    "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 32}},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON

echo "host:         hostname $(hostname), $(ls /proc | grep -c '^[0-9]') processes"
echo "\$ cais-runtime run $id   (bundle: busybox, 64 MiB memory limit)"
"$runtime" --root "$root" run --bundle "$work/bundle" "$id"
rmdir /sys/fs/cgroup/*/cais-demo /sys/fs/cgroup/cais-demo 2>/dev/null || true
