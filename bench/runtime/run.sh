#!/usr/bin/env bash
# bench/runtime/run.sh: time cais-runtime against Debian's runc and crun on
# one busybox bundle and print markdown tables (docs/performance.md says how
# to read them).
#
#   sudo bench/runtime/run.sh            # build cais-runtime, run both pairings
#   N=41 bench/runtime/run.sh            # more runs per operation (default 21)
#   CAIS_RUNTIME=/path bench/runtime/run.sh   # use a built binary
#
# Pairing 1 runs on the host's cgroups: cais-runtime vs runc. Pairing 2 runs
# cais-runtime, runc and crun inside a private mount namespace with a tmpfs
# over /sys/fs/cgroup/unified, because crun 1.8 refuses this host's hybrid
# cgroup layout; the bundle says ociVersion 1.0.2, which crun 1.8 accepts.
#
# Operations, each timed as wall clock around the runtime command(s), runs
# interleaved across runtimes (the order rotates every round), median of N:
#   run      `run` of /bin/true to completion (stdio on /dev/null)
#   create   `create` alone; start: `start`; delete: `delete` after exit
#   c+s+d    the sum of the three, per round
#   exec     `exec` of /bin/true into a running container
#   rss      peak RSS in KiB of `run` (GNU time %M: the largest of the
#            runtime process and the children it waited for)
set -euo pipefail

N=${N:-21}
RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"

if [[ ${1:-} != --inner ]]; then
	work=$(mktemp -d /tmp/cais-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	if [[ -z ${CAIS_RUNTIME:-} ]]; then
		echo "building cais-runtime into $work/bin" >&2
		make -s -C "$repo" BIN="$work/bin" "$work/bin/cais-runtime" >&2
		CAIS_RUNTIME=$work/bin/cais-runtime
	fi
	export CAIS_RUNTIME N RUNC CRUN
	echo "## Machine"
	echo
	echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)"
	echo "- cais-runtime $("$CAIS_RUNTIME" --version | sed -n '1s/.*version //p;2s/commit: /commit /p' | paste -sd' ')"
	echo "- runc $("$RUNC" --version | sed -n '1s/.*version //p'), crun $("$CRUN" --version | sed -n '1s/.*version //p')"
	echo "- $N runs per runtime and operation, interleaved; times in ms (median)"
	echo
	echo "## Pairing 1: host cgroups (v1 hybrid)"
	echo
	"$0" --inner "$work/p1" cais="$CAIS_RUNTIME" runc="$RUNC"
	echo
	echo "## Pairing 2: private mount namespace, tmpfs over /sys/fs/cgroup/unified (for crun)"
	echo
	# unshare(1) makes the new mount namespace's propagation private, so the
	# tmpfs never reaches the host.
	unshare -m "$BASH" -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"' \
		"$0" --inner "$work/p2" cais="$CAIS_RUNTIME" runc="$RUNC" crun="$CRUN"
	exit 0
fi

# --- inner: one pairing -------------------------------------------------------
shift
dir=$1
shift
names=() bins=()
for kv in "$@"; do names+=("${kv%%=*}"); bins+=("${kv#*=}"); done
mkdir -p "$dir"

# bundle DIR ARGS-JSON: a busybox rootfs shared by the bundles, and the
# default spec of `runc spec` with the process non-terminal.
rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh true sleep; do ln -sf busybox "$rootfs/bin/$a"; done
bundle() {
	mkdir -p "$1"
	(cd "$1" && "$RUNC" spec)
	jq --arg root "$rootfs" --argjson args "$2" \
		'.ociVersion = "1.0.2" | .root.path = $root | .process.terminal = false | .process.args = $args' \
		"$1/config.json" >"$1/config.json.new"
	mv "$1/config.json.new" "$1/config.json"
}
bundle "$dir/true" '["/bin/true"]'
bundle "$dir/sleep" '["/bin/sleep", "100000"]'

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

# timed FILE CMD...: append CMD's wall time in µs to FILE; fail loudly once.
timed() {
	local out=$1
	shift
	local t0 t1
	t0=$(now_us)
	if ! "$@" </dev/null >/dev/null 2>"$dir/err"; then
		echo "FAILED: $* : $(head -c 300 "$dir/err")" >&2
		echo fail >>"$out"
		return 0
	fi
	t1=$(now_us)
	echo $((t1 - t0)) >>"$out"
}

median() { # FILE -> median in ms with 1 decimal, or "fail"
	if grep -q fail "$1" 2>/dev/null || [[ ! -s $1 ]]; then echo fail; return; fi
	sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}
median_raw() { # FILE -> median of plain numbers
	if grep -q fail "$1" 2>/dev/null || [[ ! -s $1 ]]; then echo fail; return; fi
	sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d", m}'
}

k=${#names[@]}
# order ROUND: the runtime indexes, rotated by ROUND.
order() { local i; for ((i = 0; i < k; i++)); do echo $(((i + $1) % k)); done; }

for ((r = 0; r < N; r++)); do
	for i in $(order "$r"); do
		n=${names[i]} b=${bins[i]} root=$dir/root-${names[i]} id=b-${names[i]}-$r
		timed "$dir/$n.run" "$b" --root "$root" run -b "$dir/true" "$id-r"
		timed "$dir/$n.create" "$b" --root "$root" create -b "$dir/true" "$id-c"
		timed "$dir/$n.start" "$b" --root "$root" start "$id-c"
		# start returns once /bin/true is exec'd; wait for it to exit.
		for _ in $(seq 200); do
			"$b" --root "$root" state "$id-c" 2>/dev/null | grep -q '"stopped"' && break
			sleep 0.01
		done
		timed "$dir/$n.delete" "$b" --root "$root" delete "$id-c"
		"$b" --root "$root" delete -f "$id-c" >/dev/null 2>&1 || true
		"$b" --root "$root" delete -f "$id-r" >/dev/null 2>&1 || true
		/usr/bin/time -f %M -o "$dir/rss" "$b" --root "$root" run -b "$dir/true" "$id-m" </dev/null >/dev/null 2>&1 || echo fail >"$dir/rss"
		cat "$dir/rss" >>"$dir/$n.rss"
		"$b" --root "$root" delete -f "$id-m" >/dev/null 2>&1 || true
	done
done

# exec: one running container per runtime.
for i in "${!names[@]}"; do
	n=${names[i]} b=${bins[i]}
	"${bins[i]}" --root "$dir/root-$n" run -d -b "$dir/sleep" "x-$n" </dev/null >/dev/null 2>"$dir/err" ||
		echo "FAILED: $n run -d: $(head -c 300 "$dir/err")" >&2
done
for ((r = 0; r < N; r++)); do
	for i in $(order "$r"); do
		n=${names[i]}
		timed "$dir/$n.exec" "${bins[i]}" --root "$dir/root-$n" exec "x-$n" /bin/true
	done
done
for i in "${!names[@]}"; do
	"${bins[i]}" --root "$dir/root-${names[i]}" delete -f "x-${names[i]}" >/dev/null 2>&1 || true
done

for n in "${names[@]}"; do
	paste -d+ "$dir/$n.create" "$dir/$n.start" "$dir/$n.delete" |
		awk '/fail/ {print "fail"; next} {print}' | while read -r l; do
		[[ $l == fail ]] && echo fail || echo $((l))
	done >"$dir/$n.csd"
done

header="| operation |"
sep="|---|"
for n in "${names[@]}"; do header+=" $n |"; sep+="---:|"; done
for n in "${names[@]:1}"; do header+=" cais/$n |"; sep+="---:|"; done
echo "$header"
echo "$sep"
for op in run create start delete csd exec rss; do
	label=$op
	[[ $op == csd ]] && label="create+start+delete"
	[[ $op == rss ]] && label="peak RSS of run (KiB)"
	line="| $label |"
	vals=()
	for n in "${names[@]}"; do
		if [[ $op == rss ]]; then v=$(median_raw "$dir/$n.$op"); else v=$(median "$dir/$n.$op"); fi
		vals+=("$v")
		line+=" $v |"
	done
	for v in "${vals[@]:1}"; do
		if [[ ${vals[0]} == fail || $v == fail ]]; then line+=" - |"; else
			line+=" $(awk -v a="${vals[0]}" -v b="$v" 'BEGIN {printf "%.2f", a/b}') |"
		fi
	done
	echo "$line"
done
