#!/usr/bin/env bash
# bench/pull/run.sh: time a cold pull (download, verify, unpack) of one
# multi-layer image from a local registry by cais and by its peers, and
# print a markdown table (docs/performance.md, "Image pull", says how to
# read it).
#
#   sudo bench/pull/run.sh             # N=5 runs per tool
#   N=9 sudo bench/pull/run.sh
#   PROFILE=1 sudo bench/pull/run.sh   # also record a perf profile of one cais pull
#   FS=shared sudo bench/pull/run.sh  # stores in one directory of the root fs
#   CAIS_BASE=/path/to/old/cais TOOLS="cais cais_base ctr" sudo bench/pull/run.sh
#                                      # compare a change against an older build
#
# The image (bench/pull/mkimage): five layers of about 40 MB (random and
# text files, 4 KiB to 4 MiB) and one layer of 20,000 small text files;
# pushed once with skopeo to Debian's docker-registry on 127.0.0.1, storage
# in a temp dir. Each run starts from an empty store and ends with the image
# unpacked where the tool runs containers from:
#   cais          cais pull (registry.Pull, then unpack into overlay snapshots)
#   skopeo+umoci  skopeo copy docker:// -> oci: layout, then umoci unpack
#   podman        podman pull, overlay storage driver, own --root
#   ctr           ctr images pull --plain-http (fetch + unpack into the
#                 overlayfs snapshotter) on a private containerd 1.6
# Runs are interleaved (tool order rotates every round); `sync` runs before
# each timed command so one tool's dirty pages are not charged to the next.
# Times are wall clock, medians; MB/s is the compressed image size over the
# median time.
set -euo pipefail

N=${N:-5}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"
# TOOLS selects the tools (default all four peers); cais_base is a second
# cais binary named by CAIS_BASE, timed the same way, to compare two builds.
read -r -a tools <<<"${TOOLS:-cais skopeo_umoci podman ctr}"
[[ " ${tools[*]} " == *" cais "* ]] || die "TOOLS must include cais"
for b in docker-registry skopeo; do
	command -v "$b" >/dev/null || die "$b is not installed"
done
for t in "${tools[@]}"; do
	case $t in
	skopeo_umoci) command -v umoci >/dev/null || die "umoci is not installed" ;;
	podman) command -v podman >/dev/null || die "podman is not installed" ;;
	ctr) command -v containerd >/dev/null && command -v ctr >/dev/null || die "containerd is not installed" ;;
	cais_base) [[ -x ${CAIS_BASE:-} ]] || die "cais_base needs CAIS_BASE=/path/to/cais" ;;
	cais) ;;
	*) die "unknown tool $t" ;;
	esac
done

work=$(mktemp -d /tmp/cais-pullbench.XXXXXX)
# Podman keeps a blob-info cache under /var/lib/containers whatever its
# --root: remove it afterwards if this run made it.
had_containers=$([[ -e /var/lib/containers ]] && echo 1 || true)
registry_pid= containerd_pid=
cleanup() {
	set +e
	[[ -n $containerd_pid ]] && kill "$containerd_pid" && wait "$containerd_pid"
	[[ -n $registry_pid ]] && kill "$registry_pid" && wait "$registry_pid"
	unmount_under "$work"
	rm -rf "$work"
	[[ -n $had_containers ]] || rm -rf /var/lib/containers
}
unmount_under() {
	awk -v p="$1/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount "$m" || umount -l "$m"; done
}
trap cleanup EXIT

echo "building cais and the image into $work" >&2
(cd "$repo" && go build -o "$work/cais" ./cmd/cais && go run ./bench/pull/mkimage "$work/layout")
size=$(find "$work/layout/blobs" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOC
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: "$work/registry"}}
http: {addr: "127.0.0.1:$port"}
EOC
env -u REGISTRY_HTTP_ADDR docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
ref=127.0.0.1:$port/bench/pull:1
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:bench" "docker://$ref" >&2

containerd_start() {
	mkdir -p "$work/ctd"
	cat >"$work/ctd/config.toml" <<EOC
version = 2
root = "$st/ctd-root"
state = "$work/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/ctd/sock"
EOC
	containerd --config "$work/ctd/config.toml" >"$work/ctd/log" 2>&1 &
	containerd_pid=$!
	for _ in $(seq 100); do ctr -a "$work/ctd/sock" version >/dev/null 2>&1 && return; sleep 0.1; done
	die "containerd did not start: $(tail "$work/ctd/log")"
}
containerd_stop() {
	kill "$containerd_pid"
	wait "$containerd_pid" || true
	containerd_pid=
	unmount_under "$work/ctd"
	unmount_under "$st/ctd-root"
	rm -rf "$work/ctd" "$st/ctd-root"
}

# pull_<tool> runs one cold pull; prep_<tool> and clean_<tool> (untimed)
# set up and empty its store.
prep_cais() { :; }
pull_cais() { "$work/cais" --root "$st/cais-root" --runroot "$st/cais-run" pull -q "$ref" >/dev/null; }
clean_cais() { rm -rf "$st/cais-root" "$st/cais-run"; }
prep_cais_base() { :; }
pull_cais_base() { "$CAIS_BASE" --root "$st/cais-root" --runroot "$st/cais-run" pull -q "$ref" >/dev/null; }
clean_cais_base() { clean_cais; }
prep_skopeo_umoci() { :; }
pull_skopeo_umoci() {
	skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$st/oci:b" &&
		umoci unpack --image "$st/oci:b" "$st/bundle" >/dev/null
}
clean_skopeo_umoci() { rm -rf "$st/oci" "$st/bundle"; }
pm() { podman --root "$st/pm/root" --runroot "$st/pm/run" --tmpdir "$st/pm/tmp" --storage-driver overlay \
	--cgroup-manager cgroupfs --events-backend file "$@"; }
prep_podman() { :; }
pull_podman() { pm pull -q --tls-verify=false "$ref" >/dev/null; }
clean_podman() { pm rmi -a -f >/dev/null 2>&1 || true; unmount_under "$st/pm"; rm -rf "$st/pm"; }
prep_ctr() { containerd_start; }
pull_ctr() { ctr -a "$work/ctd/sock" -n bench images pull --plain-http "$ref" >/dev/null; }
clean_ctr() { containerd_stop; }

# Where every tool keeps what it pulls. With FS=fresh (the default) each
# run gets a new journaled ext4 (a sparse file on a loop device), mounted
# here before the run and removed after it: on a file system that just
# deleted the previous run's tens of thousands of files, ext4 without a
# journal (this machine's root) skips recently freed inodes one by one,
# and that cost, paid by whichever tool runs next, swamped the pulls
# themselves. FS=shared keeps the old way: one directory on $work's disk.
st=$work/store
mkdir -p "$st"
fs_up() {
	[[ ${FS:-fresh} == fresh ]] || return 0
	truncate -s 4G "$work/fs.img"
	mkfs.ext4 -q -F "$work/fs.img"
	mount -o loop "$work/fs.img" "$st"
}
fs_down() {
	[[ ${FS:-fresh} == fresh ]] || return 0
	umount "$st"
	rm -f "$work/fs.img"
}

declare -A times
for ((round = 0; round < N; round++)); do
	for ((k = 0; k < ${#tools[@]}; k++)); do
		t=${tools[(round + k) % ${#tools[@]}]}
		fs_up
		"prep_$t"
		sync
		start=$(date +%s%N)
		"pull_$t" || die "$t pull failed"
		end=$(date +%s%N)
		"clean_$t"
		fs_down
		times[$t]+="$(((end - start) / 1000000)) "
		echo "round $round $t $(((end - start) / 1000000)) ms" >&2
	done
done

label() { [[ $1 == skopeo_umoci ]] && echo skopeo+umoci || echo "$1"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
best=
for t in "${tools[@]}"; do
	m=$(echo "${times[$t]}" | median)
	eval "med_$t=$m"
	[[ $t != cais && $t != cais_base ]] && { [[ -z $best || $m -lt $best ]] && best=$m && bestname=$t; }
done
echo "## Machine"
echo
echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- cais at commit $(git -C "$repo" rev-parse --short HEAD)${CAIS_BASE:+; cais_base is $CAIS_BASE}; $(skopeo --version)$(command -v umoci >/dev/null && echo "; umoci $(umoci --version | awk '{print $3}')")$(command -v podman >/dev/null && echo "; $(podman --version)")$(command -v containerd >/dev/null && echo "; containerd $(containerd --version | awk '{print $3}')")"
echo "- image: $((size / 1000000)) MB compressed in 6 layers; $N runs per tool, interleaved; stores on $([[ ${FS:-fresh} == fresh ]] && echo "a fresh journaled ext4 per run (FS=fresh)" || echo "one directory of the root file system (FS=shared)")"
echo
echo "| tool | median s | runs (ms) | MB/s | cais speed-up |"
echo "|---|---|---|---|---|"
for t in "${tools[@]}"; do
	m=$(eval echo "\$med_$t")
	printf '| %s | %.2f | %s | %.0f | %.2fx |\n' "$(label "$t")" "$(echo "$m/1000" | bc -l)" "$(echo ${times[$t]})" \
		"$(echo "$size/1000000/($m/1000)" | bc -l)" "$(echo "$m/$med_cais" | bc -l)"
done
echo
[[ -z $best ]] || printf 'cais vs the fastest peer (%s): %.2fx\n' "$(label "$bestname")" "$(echo "$best/$med_cais" | bc -l)"

if [[ -n ${PROFILE:-} ]]; then
	fs_up
	sync
	perf record -F 999 -g -o "$work/perf.data" -- "$work/cais" --root "$st/cais-root" --runroot "$st/cais-run" pull -q "$ref" >/dev/null 2>&1
	echo
	echo "## perf profile of one cais pull (children, top symbols)"
	echo
	echo '```'
	perf report -i "$work/perf.data" --children --no-demangle --stdio --percent-limit 4 -g none 2>/dev/null | grep -v '^#' | grep . | head -40
	echo '```'
	clean_cais
	fs_down
fi
