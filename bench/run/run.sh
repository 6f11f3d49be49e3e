#!/usr/bin/env bash
# bench/run/run.sh: time `cais run --rm IMAGE /bin/true` and `cais exec`
# against Podman and Docker, and measure each engine's per-container process
# (cais-monitor, conmon, containerd-shim-runc-v2). Prints markdown
# (docs/performance.md, section "Engine: run and exec", says how to read it).
#
#   sudo bench/run/run.sh              # N=21 rounds
#   N=41 sudo bench/run/run.sh         # more rounds
#   CAIS_BIN_DIR=$PWD/bin sudo bench/run/run.sh   # use built binaries
#
# Everything lives under one temp dir: cais's --root/--runroot, Podman's
# --root/--runroot/--tmpdir (runc, cgroupfs, overlay, file events), and a
# containerd and a dockerd started here with their own roots, states and
# sockets (dockerd: --bridge=none --iptables=false, overlay2). The image is a
# busybox rootfs built from /bin/busybox, imported by cais and handed to the
# others with `cais save` | `docker load` / `podman load`: no network.
#
# Rows, each wall clock around the client command, rounds interleaved with
# the order rotating every round, median of N (a failed run is reported on
# stderr and counted under "Machine", and left out of the median):
#   run --rm   `run --rm --network none IMAGE /bin/true` to completion
#   exec       `exec CONTAINER /bin/true` into a running `sleep` container
#   private    Private_Clean + Private_Dirty (KiB, /proc/PID/smaps_rollup) of
#              the parent of each running container's init: cais-monitor,
#              conmon, containerd-shim-runc-v2; three containers per engine
#              so that the binary's text is shared, median of the three
# Podman runs with `--ulimit nofile=1024:1024 --ulimit nproc=4096:4096`: its
# defaults exceed this host's hard limits (nofile 20000), which runc refuses.
set -euo pipefail

N=${N:-21}
RUNC=${RUNC:-/usr/sbin/runc}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"
for b in /usr/bin/docker /usr/sbin/dockerd /usr/bin/containerd /usr/bin/podman /usr/bin/conmon "$RUNC" /bin/busybox jq; do
	command -v "$b" >/dev/null || die "missing $b"
done

# A short dir: unix socket paths are limited to 108 bytes, Podman's runroot
# to 50 characters.
work=$(mktemp -d /tmp/cais-brun.XXXXXX)
ctd_pid='' dockerd_pid=''

# Host paths the daemons write whatever their roots: removed at the end if
# this script made them.
host_paths=(/etc/docker/key.json /run/docker/plugins /run/docker /run/containerd/fifo /run/containerd/s
	/run/containerd /var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache
	/var/lib/containers /etc/cni/net.d/cni.lock)
fresh=()
for p in "${host_paths[@]}"; do [[ -e $p ]] || fresh+=("$p"); done

# The three engines, each on its own state under the work dir.
cais() { "$work/bin/cais" --root "$work/cais/root" --runroot "$work/cais/run" "$@"; }
podman() {
	/usr/bin/podman --root "$work/pm/root" --runroot "$work/pm/run" --tmpdir "$work/pm/tmp" \
		--runtime "$RUNC" --cgroup-manager cgroupfs --events-backend file --storage-driver overlay \
		--network-config-dir "$work/pm/cni" "$@"
}
docker() { DOCKER_CONFIG=$work/docker-client /usr/bin/docker -H "unix://$work/d/docker.sock" "$@"; }

# stop_pid PID: SIGTERM, then SIGKILL after 30 s; only our own children.
stop_pid() {
	[[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	set +e
	if [[ -x $work/bin/cais ]]; then
		for id in $(cais ps -aq 2>/dev/null); do cais rm -f "$id" >/dev/null 2>&1; done
	fi
	[[ -d $work/pm ]] && podman rm -a -f -t 0 >/dev/null 2>&1
	if [[ -n $dockerd_pid ]]; then
		for id in $(docker ps -aq 2>/dev/null); do docker rm -f "$id" >/dev/null 2>&1; done
	fi
	stop_pid "$dockerd_pid"
	stop_pid "$ctd_pid"
	# Shims (and anything else) still running from our directory.
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$work/" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	# Mounts under the work dir, deepest first.
	awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	for d in $(find /sys/fs/cgroup/*/cais-bench /sys/fs/cgroup/cais-bench -depth -type d 2>/dev/null); do rmdir "$d"; done
	for ((i = 0; i < ${#fresh[@]}; i++)); do # children come first
		if [[ -d ${fresh[i]} ]]; then rmdir "${fresh[i]}" 2>/dev/null; else rm -f "${fresh[i]}"; fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- binaries ------------------------------------------------------------
if [[ -n ${CAIS_BIN_DIR:-} ]]; then
	mkdir -p "$work/bin"
	cp "$CAIS_BIN_DIR"/{cais,cais-runtime,cais-monitor} "$work/bin/"
else
	echo "building cais into $work/bin" >&2
	make -s -C "$repo" BIN="$work/bin" "$work/bin/cais" "$work/bin/cais-runtime" "$work/bin/cais-monitor" >&2
fi


# --- image ---------------------------------------------------------------
img=bench/busybox:latest
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
echo "root:x:0:" >"$rootfs/etc/group"
cais import -c 'CMD ["/bin/sh"]' "$rootfs" "$img" >/dev/null
cais save -o "$work/image.tar" "$img"

# --- daemons -------------------------------------------------------------
mkdir -p "$work/ctd" "$work/d"
cat >"$work/ctd/config.toml" <<EOF
version = 2
root = "$work/ctd/root"
state = "$work/ctd/state"
plugin_dir = "$work/ctd/plugins"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$work/ctd/containerd.sock"
[ttrpc]
  address = "$work/ctd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/ctd/opt"
EOF
/usr/bin/containerd --config "$work/ctd/config.toml" >"$work/ctd/log" 2>&1 &
ctd_pid=$!
for _ in $(seq 300); do [[ -S $work/ctd/containerd.sock ]] && break; sleep 0.1; done
[[ -S $work/ctd/containerd.sock ]] || die "containerd did not start: $(tail -5 "$work/ctd/log")"
echo '{}' >"$work/d/daemon.json"
/usr/sbin/dockerd --config-file "$work/d/daemon.json" --data-root "$work/d/root" --exec-root "$work/d/exec" \
	--pidfile "$work/d/docker.pid" -H "unix://$work/d/docker.sock" --containerd "$work/ctd/containerd.sock" \
	--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
	--storage-driver overlay2 --cgroup-parent /cais-bench/docker >"$work/d/log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 600); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
docker version >/dev/null 2>&1 || die "dockerd did not start: $(tail -5 "$work/d/log")"
docker load -i "$work/image.tar" >/dev/null
podman load -i "$work/image.tar" >/dev/null

# --- the engines' commands -------------------------------------------------
pm_run=(run --cgroup-parent /cais-bench/podman --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --network none)
run_cais() { cais run --rm --network none "$img" /bin/true; }
run_podman() { podman "${pm_run[@]}" --rm "$img" /bin/true; }
run_docker() { docker run --rm --network none "$img" /bin/true; }
exec_cais() { cais exec bench-exec /bin/true; }
exec_podman() { podman exec bench-exec /bin/true; }
exec_docker() { docker exec bench-exec /bin/true; }
engines=(cais podman docker)

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
# timed FILE CMD...: append CMD's wall time in µs to FILE; a failure is
# recorded as such and reported.
timed() {
	local out=$1 t0 t1
	shift
	t0=$(now_us)
	if ! "$@" </dev/null >/dev/null 2>"$work/err"; then
		echo "FAILED: $* : $(head -c 300 "$work/err")" >&2
		echo fail >>"$out"
		return 0
	fi
	t1=$(now_us)
	echo $((t1 - t0)) >>"$out"
}
median() { # FILE -> median in ms with 1 decimal of the runs that succeeded
	if ! grep -qv fail "$1" 2>/dev/null; then echo fail; return; fi
	grep -v fail "$1" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}
failures() { grep -c fail "$1" 2>/dev/null || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.2f", a / b }'; }

k=${#engines[@]}
order() { local i; for ((i = 0; i < k; i++)); do echo $(((i + $1) % k)); done; }

mkdir -p "$work/t"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for e in "${engines[@]}"; do run_"$e" </dev/null >"$work/err" 2>&1 || die "$e run failed: $(tail -3 "$work/err")"; done # warm-up
for ((r = 0; r < N; r++)); do
	for i in $(order "$r"); do timed "$work/t/${engines[i]}.run" run_"${engines[i]}"; done
done

cais run -d --name bench-exec --network none "$img" sleep 3600 >/dev/null
podman "${pm_run[@]}" -d --name bench-exec "$img" sleep 3600 >/dev/null
docker run -d --name bench-exec --network none "$img" sleep 3600 >/dev/null
for e in "${engines[@]}"; do exec_"$e" </dev/null >"$work/err" 2>&1 || die "$e exec failed: $(tail -3 "$work/err")"; done # warm-up
for ((r = 0; r < N; r++)); do
	for i in $(order "$r"); do timed "$work/t/${engines[i]}.exec" exec_"${engines[i]}"; done
done

# Memory: three running containers per engine (the exec one and two more),
# so the binaries' text is shared between them as it is on a busy host and
# what is private is each container's own cost. private_of INIT prints the
# private KiB of the init's parent and that process's name.
for j in 1 2; do
	cais run -d --name "bench-mem-$j" --network none "$img" sleep 3600 >/dev/null
	podman "${pm_run[@]}" -d --name "bench-mem-$j" "$img" sleep 3600 >/dev/null
	docker run -d --name "bench-mem-$j" --network none "$img" sleep 3600 >/dev/null
done
private_of() {
	local ppid
	ppid=$(awk '/^PPid:/ {print $2}' "/proc/$1/status")
	printf '%s %s\n' "$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$ppid/smaps_rollup")" "$(cat "/proc/$ppid/comm")"
}
declare -A mem comm
for e in "${engines[@]}"; do
	vals=()
	for ctr in bench-exec bench-mem-1 bench-mem-2; do
		read -r kib name < <(private_of "$("$e" inspect -f '{{.State.Pid}}' "$ctr")")
		vals+=("$kib")
		comm[$e]=$name
	done
	mem[$e]="$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 2p) (${vals[*]})"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

declare -A med
for e in "${engines[@]}"; do
	med[$e.run]=$(median "$work/t/$e.run")
	med[$e.exec]=$(median "$work/t/$e.exec")
done

echo "## Machine"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
echo "- cais at commit $(git -C "$repo" rev-parse --short HEAD); podman $(/usr/bin/podman --version | awk '{print $3}') with runc" \
	"$("$RUNC" --version | awk 'NR==1 {print $3}'); docker $(/usr/bin/docker --version | awk '{print $3}' | tr -d ,)" \
	"with containerd $(/usr/bin/containerd --version | awk '{print $3}')"
echo "- $N rounds, interleaved; times in ms (median of the runs that succeeded)"
for e in "${engines[@]}"; do
	for op in run exec; do
		f=$(failures "$work/t/$e.$op")
		[[ $f == 0 ]] || echo "- **$e $op failed $f of $N times** (the errors are on stderr)"
	done
done
echo
echo "| operation | cais | podman | docker | cais/podman | cais/docker |"
echo "|---|---:|---:|---:|---:|---:|"
for op in run exec; do
	label=$op
	[[ $op == run ]] && label="run --rm /bin/true"
	[[ $op == exec ]] && label="exec /bin/true"
	echo "| $label | ${med[cais.$op]} | ${med[podman.$op]} | ${med[docker.$op]} |" \
		"$(ratio "${med[cais.$op]}" "${med[podman.$op]}") | $(ratio "${med[cais.$op]}" "${med[docker.$op]}") |"
done
echo
echo "| per running container | process | private KiB, median (each of 3) |"
echo "|---|---|---:|"
for e in "${engines[@]}"; do echo "| $e | ${comm[$e]} | ${mem[$e]} |"; done
