#!/usr/bin/env bash
# bench/network/run.sh: the quick check of what the default network costs
# cais alone: `cais run --rm IMAGE /bin/true` on its default bridge network
# and with --network none, alternated, and a markdown table of medians.
# The comparison with Podman and Docker on their default networks (issue 6)
# is bench/run/run.sh, which runs every engine in a network namespace of its
# own; this script needs no daemons and takes seconds.
#
#   sudo bench/network/run.sh              # build cais, 21 rounds
#   N=41 bench/network/run.sh              # more rounds
#   CAIS_BIN=/dir bench/network/run.sh     # use built cais, cais-monitor, cais-runtime
#
# cais runs with its own --root/--runroot in a temp dir, on the host's
# network namespace as the tests do. Its default network's bridge and
# masquerade rule are made by the first attach and kept, as docker0 is
# (`network rm bridge` is refused), so the cleanup removes them itself,
# from the network records, on every exit path. The firewall
# plugin is included only if the host's FORWARD chain filters, so the cost
# differs from bench/run's, where Docker's FORWARD policy DROP is in force.
set -euo pipefail

N=${N:-21}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"

work=$(mktemp -d /tmp/cais-netbench.XXXXXX)
cais() { "$CAIS_BIN/cais" --root "$work/root" --runroot "$work/run" "$@"; }
# remove_networks: every network of the temp root, the default one
# included: its bridge and its masquerade rule (the comment names the ID).
remove_networks() {
	local rec br id rule
	for rec in "$work"/root/networks/*.json; do
		[[ -f $rec ]] || continue
		br=$(sed -n 's/^ *"Bridge": "\(.*\)",*$/\1/p' "$rec")
		id=$(sed -n 's/^ *"Id": "\(.*\)",*$/\1/p' "$rec")
		[[ -n $br ]] && ip link delete "$br" 2>/dev/null
		[[ -n $id ]] || continue
		iptables -w -t nat -S POSTROUTING | grep -F -- "--comment cais-${id:0:12} " | sed 's/^-A //' |
			while read -r rule; do
				# shellcheck disable=SC2086 # the rule's words, no quoting in -S output
				iptables -w -t nat -D $rule
			done
	done
	return 0
}
cleanup() {
	cais rm -f $(cais ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	remove_networks
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -z ${CAIS_BIN:-} ]]; then
	echo "building cais into $work/bin" >&2
	(cd "$repo" && go build -o "$work/bin/" ./cmd/cais ./cmd/cais-monitor ./cmd/cais-runtime) >&2
	CAIS_BIN=$work/bin
fi
export PATH=$CAIS_BIN:$PATH

# Debian's static busybox as a one-layer image.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh true; do ln -sf busybox "$rootfs/bin/$a"; done
cais import -c 'CMD ["/bin/sh"]' "$rootfs" bench/busybox:net >/dev/null

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
runone() { cais run --rm --network "$1" bench/busybox:net /bin/true; } # NETWORK

cais run --rm bench/busybox:net /bin/true >/dev/null # warm-up: the network's record
for ((r = 0; r < N; r++)); do
	nets=(bridge none)
	((r % 2 == 0)) || nets=(none bridge)
	for net in "${nets[@]}"; do
		t0=$(now_us)
		if runone "$net" </dev/null >/dev/null 2>"$work/err"; then
			echo $(($(now_us) - t0)) >>"$work/$net"
		else
			echo "FAILED: --network $net: $(head -c 300 "$work/err")" >&2
			echo fail >>"$work/$net"
		fi
	done
done

median() {
	if grep -q fail "$1" 2>/dev/null || [[ ! -s $1 ]]; then echo fail; return; fi
	sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $N rounds, alternated; wall time of \`cais run --rm ... /bin/true\` in ms (median)"
echo
echo "| default network | --network none | network's cost |"
echo "|---|---|---|"
d=$(median "$work/bridge") n=$(median "$work/none")
cost=$(awk -v d="$d" -v n="$n" 'BEGIN { if (d == "fail" || n == "fail") print "-"; else printf "%.1f", d - n }')
echo "| $d | $n | $cost |"
