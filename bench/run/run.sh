#!/usr/bin/env bash
# bench/run/run.sh: time `cais run --rm IMAGE /bin/true` (on `--network none`
# and on each engine's default network) and `cais exec` against Podman and
# Docker, and measure each engine's per-container process (cais-monitor,
# conmon, containerd-shim-runc-v2). Prints markdown (docs/performance.md,
# section "Engine: run and exec", says how to read it).
#
#   sudo bench/run/run.sh              # N=21 rounds
#   N=41 sudo bench/run/run.sh         # more rounds
#   CAIS_BIN_DIR=$PWD/bin sudo bench/run/run.sh   # use built binaries
#   NET=0 sudo bench/run/run.sh        # skip the default-network rows
#
# Everything lives under one temp dir: cais's --root/--runroot, Podman's
# --root/--runroot/--tmpdir/--network-config-dir (runc, cgroupfs, overlay,
# file events, CNI), and a containerd and a dockerd started here with their
# own roots, states and sockets (overlay2, default bridge docker0 with
# iptables and masquerading on). The image is a busybox rootfs built from
# /bin/busybox, imported by cais and handed to the others with `cais save` |
# `docker load` / `podman load`: no network.
#
# Nothing lands on the host's network: the script makes a network namespace
# of its own (bound to WORK/netns) and runs the daemons and every client
# command inside it, for all rows, so the engines are compared under the
# same conditions; docker0, Docker's iptables rules, Podman's cni-podman0
# and cais's bridge live and die there. The inner part also gets a private
# mount namespace with the new network namespace's sysfs bound over
# /sys/class/net and /sys/devices/virtual/net: sysfs shows the devices of
# the namespace it was mounted in, and cais looks up its bridge there (the
# cgroup mounts under /sys stay the host's). The script removes the
# namespace on every exit path and, at the end, compares the host's links
# and iptables rules (filter and nat) with what they were before (stderr).
# Podman's CNI plugins, Docker and cais share that namespace's iptables as
# they would share a host's: Docker's FORWARD rules (policy ACCEPT, no DROP
# rule in FORWARD itself) leave cais without its firewall plugin.
#
# Rows, each wall clock around the client command, rounds interleaved with
# the order rotating every round, median of N (a failed run is reported on
# stderr and counted under "Machine", and left out of the median):
#   run --rm, --network none
#              `run --rm --network none IMAGE /bin/true` to completion
#   run --rm, default network
#              `run --rm IMAGE /bin/true`: cais on `bridge`, Podman on its
#              default network `podman` (CNI, plugins in /usr/lib/cni),
#              Docker on `bridge` (docker0); timed in the same rounds as the
#              row above (six commands per round, order rotating)
#   network's cost
#              default network minus --network none, of the medians
#   exec       `exec CONTAINER /bin/true` into a running `sleep` container
#   private    Private_Clean + Private_Dirty (KiB, /proc/PID/smaps_rollup) of
#              the parent of each running container's init: cais-monitor,
#              conmon, containerd-shim-runc-v2; three containers per engine
#              so that the binary's text is shared, median of the three
# Podman runs with `--ulimit nofile=1024:1024 --ulimit nproc=4096:4096`: its
# defaults exceed this host's hard limits (nofile 20000), which runc refuses.
set -euo pipefail

N=${N:-21}
NET=${NET:-1}
RUNC=${RUNC:-/usr/sbin/runc}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "run.sh: $*" >&2; exit 1; }

# stop_pid PID: SIGTERM, then SIGKILL after 30 s; only our own children.
stop_pid() {
	[[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# kill_work_procs: SIGKILL whatever still runs from the work dir (shims...).
kill_work_procs() {
	local p
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} == "$$" ]] && continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$work/" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}
# umount_work: the mounts under the work dir, deepest first.
umount_work() {
	awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
rm_cgroups() {
	local d
	for d in $(find /sys/fs/cgroup/*/cais-bench /sys/fs/cgroup/cais-bench -depth -type d 2>/dev/null); do rmdir "$d"; done
	return 0
}
host_net_state() { ip -o link | awk '{print $2}'; iptables -S; iptables -t nat -S; }

# --- outer part: on the host ------------------------------------------------
# Builds cais (the module proxy may be needed), makes the network namespace,
# runs this script again inside it and its own mount namespace (the inner
# part, below), then removes the namespace, the work dir and the host paths
# the daemons made.
if [[ -z ${_CAIS_BENCH_WORK:-} ]]; then
	[[ $(id -u) == 0 ]] || die "needs root"
	for b in /usr/bin/docker /usr/sbin/dockerd /usr/bin/containerd /usr/bin/podman /usr/bin/conmon "$RUNC" /bin/busybox \
		jq nsenter unshare ip iptables; do
		command -v "$b" >/dev/null || die "missing $b"
	done
	# A short dir: unix socket paths are limited to 108 bytes, Podman's
	# runroot to 50 characters.
	work=$(mktemp -d /tmp/cais-brun.XXXXXX)
	inner=''

	# Host paths the daemons and Podman's CNI write whatever their roots:
	# removed at the end if this script made them (children first).
	host_paths=(/etc/docker/key.json /run/docker/plugins /run/docker /run/containerd/fifo /run/containerd/s
		/run/containerd /var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache
		/var/lib/containers /etc/cni/net.d/cni.lock /var/lib/cni/networks/podman/lock
		/var/lib/cni/networks/podman/last_reserved_ip.0 /var/lib/cni/networks/podman /var/lib/cni/networks
		/var/lib/cni/results /var/lib/cni)
	fresh=()
	for p in "${host_paths[@]}"; do [[ -e $p ]] || fresh+=("$p"); done
	host_net_state >"$work/host.before"

	outer_cleanup() {
		set +e
		if [[ -n $inner ]]; then # its own cleanup may take a while (daemons stop)
			for _ in $(seq 1800); do kill -0 "$inner" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$inner" 2>/dev/null
			wait "$inner" 2>/dev/null
		fi
		kill_work_procs
		# Anything still in the bench's network namespace is ours too.
		if [[ -e $work/netns ]]; then
			ns="net:[$(stat -L -c %i "$work/netns")]"
			for p in /proc/[0-9]*; do
				[[ $(readlink "$p/ns/net" 2>/dev/null) == "$ns" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
			done
		fi
		umount_work
		rm_cgroups
		for ((i = 0; i < ${#fresh[@]}; i++)); do
			if [[ -d ${fresh[i]} ]]; then rmdir "${fresh[i]}" 2>/dev/null; else rm -f "${fresh[i]}"; fi
		done
		host_net_state >"$work/host.after"
		# Other users may change the host meanwhile: what is new is listed,
		# what is gone only counted.
		added=$(comm -13 <(sort "$work/host.before") <(sort "$work/host.after"))
		gone=$(comm -23 <(sort "$work/host.before") <(sort "$work/host.after") | grep -c . || true)
		if [[ -z $added && $gone == 0 ]]; then
			echo "host check: links and iptables rules (filter, nat) as before" >&2
		else
			echo "host check: $gone link or rule lines gone from the host during the run; new:${added:+$'\n'}${added:- none}" >&2
		fi
		left=$(awk -v w="$work/" 'index($5, w) == 1' /proc/self/mountinfo)
		[[ -z $left ]] || echo "host check: mounts left under $work: $left" >&2
		rm -rf "$work"
	}
	trap outer_cleanup EXIT
	trap 'exit 130' INT TERM

	if [[ -n ${CAIS_BIN_DIR:-} ]]; then
		mkdir -p "$work/bin"
		cp "$CAIS_BIN_DIR"/{cais,cais-runtime,cais-monitor} "$work/bin/"
	else
		echo "building cais into $work/bin" >&2
		make -s -C "$repo" BIN="$work/bin" "$work/bin/cais" "$work/bin/cais-runtime" "$work/bin/cais-monitor" >&2
	fi

	touch "$work/netns"
	unshare --net="$work/netns" true
	# In the background so that a signal here reaches it as SIGTERM (its
	# own traps clean up); `wait` returns early when a trap ran.
	trap 'kill -TERM "$inner" 2>/dev/null; exit 130' INT TERM
	_CAIS_BENCH_WORK=$work nsenter --net="$work/netns" -- unshare --mount --propagation private -- bash "$0" &
	inner=$!
	rc=0
	wait "$inner" || rc=$?
	inner=''
	exit "$rc"
fi

# --- inner part: in the bench's network and mount namespaces ----------------
work=$_CAIS_BENCH_WORK
ctd_pid='' dockerd_pid=''

ip link set lo up
mkdir "$work/sys"
mount -t sysfs sysfs "$work/sys"
mount --bind "$work/sys/class/net" /sys/class/net
mount --bind "$work/sys/devices/virtual/net" /sys/devices/virtual/net

# The three engines, each on its own state under the work dir.
cais() { "$work/bin/cais" --root "$work/cais/root" --runroot "$work/cais/run" "$@"; }
podman() {
	/usr/bin/podman --root "$work/pm/root" --runroot "$work/pm/run" --tmpdir "$work/pm/tmp" \
		--runtime "$RUNC" --cgroup-manager cgroupfs --events-backend file --storage-driver overlay \
		--network-config-dir "$work/pm/cni" "$@"
}
docker() { DOCKER_CONFIG=$work/docker-client /usr/bin/docker -H "unix://$work/d/docker.sock" "$@"; }

cleanup() {
	set +e
	trap '' INT TERM
	if [[ -x $work/bin/cais ]]; then
		for id in $(cais ps -aq 2>/dev/null); do cais rm -f "$id" >/dev/null 2>&1; done
	fi
	[[ -d $work/pm ]] && podman rm -a -f -t 0 >/dev/null 2>&1
	if [[ -n $dockerd_pid ]]; then
		for id in $(docker ps -aq 2>/dev/null); do docker rm -f "$id" >/dev/null 2>&1; done
	fi
	stop_pid "$dockerd_pid"
	stop_pid "$ctd_pid"
	kill_work_procs
	umount_work
	rm_cgroups
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
	--storage-driver overlay2 --cgroup-parent /cais-bench/docker >"$work/d/log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 600); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
docker version >/dev/null 2>&1 || die "dockerd did not start: $(tail -5 "$work/d/log")"
docker load -i "$work/image.tar" >/dev/null
podman load -i "$work/image.tar" >/dev/null

# --- the engines' commands -------------------------------------------------
# Default network: no --network flag at all.
pm_run=(run --cgroup-parent /cais-bench/podman --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
run_cais() { cais run --rm --network none "$img" /bin/true; }
run_podman() { podman "${pm_run[@]}" --network none --rm "$img" /bin/true; }
run_docker() { docker run --rm --network none "$img" /bin/true; }
netrun_cais() { cais run --rm "$img" /bin/true; }
netrun_podman() { podman "${pm_run[@]}" --rm "$img" /bin/true; }
netrun_docker() { docker run --rm "$img" /bin/true; }
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

# order K ROUND: 0..K-1 rotated by ROUND.
order() { local i; for ((i = 0; i < $1; i++)); do echo $(((i + $2) % $1)); done; }
# The timed `run` commands of a round: ENGINE.OP, OP run (--network none)
# or netrun (default network).
ops=(run)
[[ $NET == 0 ]] || ops+=(netrun)
cmds=()
for op in "${ops[@]}"; do for e in "${engines[@]}"; do cmds+=("$e.$op"); done; done

mkdir -p "$work/t"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# Warm-up, twice: the default networks' bridges are made on first use, and
# Podman's default subnet is cais's first choice too (10.88.0.0/16), so
# cais's bridge network moves to the next free subnet once cni-podman0 holds
# that route.
for _ in 1 2; do
	for j in "${cmds[@]}"; do
		"${j#*.}_${j%.*}" </dev/null >"$work/err" 2>&1 || die "$j failed: $(tail -3 "$work/err")"
	done
done
for ((r = 0; r < N; r++)); do
	for i in $(order "${#cmds[@]}" "$r"); do timed "$work/t/${cmds[i]}" "${cmds[i]#*.}_${cmds[i]%.*}"; done
done

cais run -d --name bench-exec --network none "$img" sleep 3600 >/dev/null
podman "${pm_run[@]}" --network none -d --name bench-exec "$img" sleep 3600 >/dev/null
docker run -d --name bench-exec --network none "$img" sleep 3600 >/dev/null
for e in "${engines[@]}"; do exec_"$e" </dev/null >"$work/err" 2>&1 || die "$e exec failed: $(tail -3 "$work/err")"; done # warm-up
for ((r = 0; r < N; r++)); do
	for i in $(order "${#engines[@]}" "$r"); do timed "$work/t/${engines[i]}.exec" exec_"${engines[i]}"; done
done

# Memory: three running containers per engine (the exec one and two more),
# so the binaries' text is shared between them as it is on a busy host and
# what is private is each container's own cost. private_of INIT prints the
# private KiB of the init's parent and that process's name.
for j in 1 2; do
	cais run -d --name "bench-mem-$j" --network none "$img" sleep 3600 >/dev/null
	podman "${pm_run[@]}" --network none -d --name "bench-mem-$j" "$img" sleep 3600 >/dev/null
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
	for op in "${ops[@]}" exec; do med[$e.$op]=$(median "$work/t/$e.$op"); done
	[[ $NET == 0 ]] || med[$e.cost]=$(awk -v d="${med[$e.netrun]}" -v n="${med[$e.run]}" \
		'BEGIN { if (d == "fail" || n == "fail") print "fail"; else printf "%.1f", d - n }')
done

echo "## Machine"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
echo "- cais at commit $(git -C "$repo" rev-parse --short HEAD); podman $(/usr/bin/podman --version | awk '{print $3}') with runc" \
	"$("$RUNC" --version | awk 'NR==1 {print $3}'); docker $(/usr/bin/docker --version | awk '{print $3}' | tr -d ,)" \
	"with containerd $(/usr/bin/containerd --version | awk '{print $3}')"
echo "- $N rounds, interleaved; times in ms (median of the runs that succeeded);" \
	"every command run in the bench's own network namespace"
for e in "${engines[@]}"; do
	for op in "${ops[@]}" exec; do
		f=$(failures "$work/t/$e.$op")
		[[ $f == 0 ]] || echo "- **$e ${op/netrun/run (default network)} failed $f of $N times** (the errors are on stderr)"
	done
done
echo
echo "| operation | cais | podman | docker | cais/podman | cais/docker |"
echo "|---|---:|---:|---:|---:|---:|"
rows=(run)
[[ $NET == 0 ]] || rows+=(netrun cost)
rows+=(exec)
for op in "${rows[@]}"; do
	case $op in
	run) label="run --rm /bin/true, --network none" ;;
	netrun) label="run --rm /bin/true, default network" ;;
	cost) label="network's cost (default − none)" ;;
	exec) label="exec /bin/true" ;;
	esac
	echo "| $label | ${med[cais.$op]} | ${med[podman.$op]} | ${med[docker.$op]} |" \
		"$(ratio "${med[cais.$op]}" "${med[podman.$op]}") | $(ratio "${med[cais.$op]}" "${med[docker.$op]}") |"
done
echo
echo "| per running container | process | private KiB, median (each of 3) |"
echo "|---|---|---:|"
for e in "${engines[@]}"; do echo "| $e | ${comm[$e]} | ${mem[$e]} |"; done
