#!/usr/bin/env bash
# bench/network/run.sh: time `cais run --rm` on its default bridge network
# against `podman run --rm` and `docker run --rm` on theirs, interleaved
# (the order rotates every round), and print a markdown table of medians.
#
#   sudo bench/network/run.sh              # build cais, 21 rounds
#   N=41 bench/network/run.sh              # more rounds
#   CAIS_BIN=/dir bench/network/run.sh     # use built cais, cais-monitor, cais-runtime
#   ENGINES="cais podman" bench/network/run.sh
#
# Each engine runs busybox `true` on its default network (cais: bridge,
# with its own --root/--runroot in a temp dir; podman: its default network;
# docker: bridge) and the same with --network none, so the table shows what
# networking costs each. An engine that is missing or whose daemon is down
# is left out with a note. Goal (issue 6): cais at most a quarter of the
# others' time.
set -euo pipefail

N=${N:-21}
ENGINES=${ENGINES:-cais podman docker}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"

work=$(mktemp -d /tmp/cais-netbench.XXXXXX)
cais() { "$CAIS_BIN/cais" --root "$work/root" --runroot "$work/run" "$@"; }
cleanup() {
	cais rm -f $(cais ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -z ${CAIS_BIN:-} ]]; then
	echo "building cais into $work/bin" >&2
	(cd "$repo" && go build -o "$work/bin/" ./cmd/cais ./cmd/cais-monitor ./cmd/cais-runtime) >&2
	CAIS_BIN=$work/bin
fi
export PATH=$CAIS_BIN:$PATH

# The same busybox for everyone: Debian's static busybox as a one-layer image.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh true; do ln -sf busybox "$rootfs/bin/$a"; done
tar -C "$rootfs" -cf "$work/rootfs.tar" .
cais import -c 'CMD ["/bin/sh"]' "$rootfs" bench/busybox:net >/dev/null

engines=()
for e in $ENGINES; do
	case $e in
	cais) engines+=(cais) ;;
	podman | docker)
		if ! command -v "$e" >/dev/null || ! "$e" info >/dev/null 2>&1; then
			echo "note: $e not available, left out" >&2
			continue
		fi
		"$e" import "$work/rootfs.tar" bench/busybox:net >/dev/null
		engines+=("$e")
		;;
	*) die "unknown engine $e" ;;
	esac
done

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
runone() { # ENGINE NETWORK
	case $1 in
	cais) cais run --rm --network "$2" bench/busybox:net /bin/true ;;
	*) "$1" run --rm --network "$2" bench/busybox:net /bin/true ;;
	esac
}
netname() { [[ $1 == podman ]] && echo podman || echo bridge; }

k=${#engines[@]}
for ((r = 0; r < N; r++)); do
	for ((i = 0; i < k; i++)); do
		e=${engines[(i + r) % k]}
		for net in "$(netname "$e")" none; do
			t0=$(now_us)
			if runone "$e" "$net" </dev/null >/dev/null 2>"$work/err"; then
				echo $(($(now_us) - t0)) >>"$work/$e-$net"
			else
				echo "FAILED: $e --network $net: $(head -c 300 "$work/err")" >&2
				echo fail >>"$work/$e-$net"
			fi
		done
	done
done

median() {
	if grep -q fail "$1" 2>/dev/null || [[ ! -s $1 ]]; then echo fail; return; fi
	sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $N rounds, engines interleaved; wall time of \`run --rm ... true\` in ms (median)"
echo
echo "| engine | default network | --network none | network's cost |"
echo "|---|---|---|---|"
for e in "${engines[@]}"; do
	d=$(median "$work/$e-$(netname "$e")") n=$(median "$work/$e-none")
	cost=$(awk -v d="$d" -v n="$n" 'BEGIN { if (d == "fail" || n == "fail") print "-"; else printf "%.1f", d - n }')
	echo "| $e | $d | $n | $cost |"
done
