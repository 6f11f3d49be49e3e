#!/usr/bin/env bash
# cgroup2-vm.sh: the cgroup v2 test lane (make test-cgroup2).
#
# The development and CI machines are cgroup v1 (hybrid), and their cgroup
# mounts must not be rearranged. This lane boots Debian's cloud kernel under
# qemu (software emulation, no /dev/kvm needed) with cgroup_no_v1=all and runs
# the project's own test binaries in it, on a pure cgroup v2 hierarchy.
#
#   1. kernel: the package linux-image-cloud-amd64 depends on is resolved with
#      apt-cache at run time (its ABI name changes with security updates),
#      fetched with apt-get download, unpacked with dpkg -x and kept in
#      $CACHE; later runs skip the download.
#   2. initramfs (cached in $CACHE too): busybox, the guest init scripts in
#      scripts/cgroup2-vm/ and the modules virtio_pci, virtio_blk, overlay,
#      veth, dummy with their dependencies.
#   3. payload: every package given as argument that has tests is built into
#      a static test binary; with bin/cais-runtime, static builds of cais and
#      cais-monitor (for the engine-level tests) and each package's
#      testdata/ it goes into a tar laid out like the repository under /cais,
#      with the host files in $VM_HOST_FILES (peer runtimes...) at their own
#      paths, attached as a raw virtio disk (the guest runs tar -xf /dev/vda).
#   4. guest (scripts/cgroup2-vm/init2): mounts, cgroup2 with nsdelegate and
#      the controllers enabled in the root's subtree_control, overlay and
#      veth loaded, hostname, loopback; then each binary runs from
#      /cais/<package dir> with -test.v, env CI=true CAIS_BIN_DIR=/cais/bin
#      CAIS_CGROUP2_VM=1. Logs come back on a second raw disk (a tar).
#   5. host: prints the test output, the skipped tests with their reasons
#      and "N passed, N failed, N skipped"; exits non-zero if a test or a
#      binary failed, or the guest's closing "RESULT rc=N" line is missing.
#
# Three guards against hangs: a per-binary timeout in the guest (-test.timeout
# and a SIGKILL 30 s later), a guest watchdog that powers off, and a host
# timeout on qemu. A VM that timed out is retried once; failed tests are not.
#
# Usage: scripts/cgroup2-vm.sh [package pattern...]   (as root; default:
#        ./internal/runtime/... ./internal/fixture; packages without tests and
#        directories that do not exist yet are left out). A single package
#        given as PKG:REGEX runs only the tests matching REGEX (-test.run),
#        e.g. './internal/cli:TestRunForeground|TestAcceptanceWebServer'.
#
# Knobs (environment):
#   CGROUP2_PKGS        package patterns, when none are given as arguments
#   CGROUP2_TESTFLAGS   more flags for every test binary, e.g.
#                       CGROUP2_TESTFLAGS='-test.run=TestMemory'
#   CAIS_BIN_DIR        where cais-runtime is (default: bin/; make builds it)
#   TEST_TIMEOUT        per-binary -test.timeout in seconds (default 600)
#   VM_TIMEOUT          host limit on one VM run in seconds (default 900)
#   VM_MEM, VM_CPUS     guest memory in MiB and CPUs (default 2048, 2)
#   VM_HOST_FILES       host files copied into the guest at the same paths,
#                       with their shared libraries (default: runc, crun,
#                       docker-registry, iproute2's ip, script, curl,
#                       Podman's seccomp.json, the CNI plugins, iptables)
#   CACHE               kernel and initramfs cache (/var/cache/cais/cgroup2-vm)
#   WORK                work dir (default: a new dir under /tmp)
#   KEEP=1              keep the work dir: console.log, results/ (one log per
#                       binary, dmesg.txt), payload/, qemu.cmd
#
# Debugging:
#   CGROUP2_PKGS=./internal/runtime/cgroups make test-cgroup2
#   KEEP=1 CGROUP2_TESTFLAGS='-test.run=TestFreeze' make test-cgroup2
#   then look at the kept work dir; rerun the VM by hand with $WORK/qemu.cmd.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin
export DEBIAN_FRONTEND=noninteractive

CACHE=${CACHE:-/var/cache/cais/cgroup2-vm}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
VM_TIMEOUT=${VM_TIMEOUT:-900}
VM_MEM=${VM_MEM:-2048}
VM_CPUS=${VM_CPUS:-2}
BIN_DIR=${CAIS_BIN_DIR:-$REPO/bin}
# Containers join a CNI bridge by default, whose plugins set NAT rules
# through iptables (nf_tables): the bridge and netfilter modules go in too.
MODULES=(virtio_pci virtio_blk overlay veth dummy bridge nf_tables nft_compat nft_chain_nat nft_masq
	nft_ct xt_MASQUERADE xt_comment xt_addrtype xt_conntrack xt_mark)
# Host files the tests look for (peer runtimes, the registry, Podman's
# seccomp profile, the CNI plugins and iptables), copied to the same paths
# in the guest with the shared libraries they need; missing ones are left
# out.
HOST_FILES=${VM_HOST_FILES-/usr/bin/runc /usr/sbin/runc /usr/bin/crun /usr/bin/docker-registry /usr/sbin/ip /usr/bin/script /usr/bin/curl /usr/share/containers/seccomp.json
	/usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback /usr/lib/cni/portmap /usr/lib/cni/firewall /usr/lib/cni/tuning
	/usr/sbin/iptables /usr/sbin/iptables-save /usr/sbin/iptables-restore /usr/sbin/ip6tables /usr/lib/x86_64-linux-gnu/xtables}

log() { printf 'test-cgroup2: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
for tool in qemu-system-x86_64 busybox cpio depmod modprobe dpkg apt-get flock readelf go; do
	command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
[ -x /bin/busybox ] || die "/bin/busybox not found (busybox-static)"

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2086 # a list of patterns
	set -- ${CGROUP2_PKGS:-./internal/runtime/... ./internal/fixture}
fi

if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d /tmp/cais-cgroup2-vm.XXXXXX)
else
	# Reuse a work dir only if this script made it.
	mkdir -p "$WORK"
	if [ -n "$(ls -A "$WORK")" ] && [ ! -e "$WORK/.cgroup2-vm" ]; then
		die "WORK=$WORK is not empty and not a work dir of this script"
	fi
	find "$WORK" -mindepth 1 -delete
fi
touch "$WORK/.cgroup2-vm"
VM_PID=
cleanup() {
	if [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; then
		kill "$VM_PID" 2>/dev/null || true # timeout(1) passes it on to qemu
		wait "$VM_PID" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		log "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- packages
# The directories of the packages that have tests. Directories outside the
# repository work too (a throwaway test, say); they run as /cais/ext/<name>.
listpkgs() { # directory to run go list in, patterns...
	local d=$1
	shift
	# Packages go list cannot load stay in: their build says why.
	go -C "$d" list -e -f '{{if or .TestGoFiles .XTestGoFiles .Error}}{{.Dir}}{{end}}' "$@"
}
relpath() {
	case $1/ in
	"$REPO"/*/) echo "${1#"$REPO"/}" ;;
	*) echo "ext/${1##*/}" ;;
	esac
}
found=()
inrepo=()
declare -A runpat # package dir -> -test.run pattern given as PKG:PATTERN
for p in "$@"; do
	case $p in
	*:*)
		pat=${p#*:}
		p=${p%%:*}
		[ -d "$p" ] || { log "leaving out $p: no such directory (yet)"; continue; }
		d=$(go list -e -f '{{.Dir}}' "$p")
		runpat[$d]=$pat
		;;
	esac
	d=${p%/...}
	if [ ! -d "$d" ]; then
		log "leaving out $p: no such directory (yet)"
		continue
	fi
	d=$(realpath "$d")
	case $d/ in
	"$REPO"/*) inrepo+=("$d${p#"${p%/...}"}") ;;
	*) mapfile -t -O "${#found[@]}" found < <(listpkgs "$d" ".${p#"${p%/...}"}") ;;
	esac
done
if [ ${#inrepo[@]} -gt 0 ]; then
	mapfile -t -O "${#found[@]}" found < <(listpkgs "$REPO" "${inrepo[@]}")
fi
# archtest needs the go tool, which the guest does not have.
mapfile -t pkgs < <(printf '%s\n' "${found[@]}" | grep -vx -e '' -e "$REPO/internal/archtest" | awk '!seen[$0]++')
if [ ${#pkgs[@]} -eq 0 ]; then
	log "no packages with tests in: $*; nothing to run"
	exit 0
fi

# ---------------------------------------------------------------- kernel
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one run at a time fills the cache

resolve_kernel() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
kpkg=$(resolve_kernel)
if [ -z "$kpkg" ]; then
	log "apt-get update (linux-image-cloud-amd64 unknown to apt)"
	apt-get -o DPkg::Lock::Timeout=600 update -qq || true
	kpkg=$(resolve_kernel)
fi
if [ -z "$kpkg" ]; then
	kpkg=$(find "$CACHE" -maxdepth 2 -name .done -printf '%h\n' 2>/dev/null | xargs -rn1 basename | sort -V | tail -1)
	[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64 and nothing is cached"
	log "apt cannot resolve the kernel; using the cached $kpkg"
fi
KROOT=$CACHE/$kpkg
if [ ! -e "$KROOT/.done" ]; then
	log "fetching $kpkg"
	rm -rf "$KROOT" "$CACHE/deb"
	mkdir -p "$CACHE/deb"
	# apt-get download as root warns that _apt cannot write here; harmless.
	(cd "$CACHE/deb" && apt-get -o DPkg::Lock::Timeout=600 download -qq "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
	deb=$(find "$CACHE/deb" -name "${kpkg}_*.deb" | head -1)
	[ -n "$deb" ] || die "apt-get download $kpkg failed"
	dpkg -x "$deb" "$KROOT"
	rm -rf "$CACHE/deb"
	depmod -b "$KROOT" "$(ls "$KROOT/lib/modules")"
	touch "$KROOT/.done"
	# Older kernels are of no further use.
	find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-*' ! -name "$kpkg" -exec rm -rf {} +
fi
KVER=$(ls "$KROOT/lib/modules")
VMLINUZ=$KROOT/boot/vmlinuz-$KVER

# ---------------------------------------------------------------- initramfs
# Cached under a hash of everything that goes in (this script included).
guest=$REPO/scripts/cgroup2-vm
ihash=$(cat "$0" "$guest/init" "$guest/init2" /bin/busybox <(echo "$kpkg ${MODULES[*]}") | sha256sum | cut -c1-16)
INITRD=$CACHE/initrd-$ihash.cpio.gz
if [ ! -e "$INITRD" ]; then
	log "building the initramfs"
	ir=$WORK/initramfs
	mkdir -p "$ir"/{bin,sbin,etc/cais-vm,proc,sys,dev,tmp,run,root}
	cp /bin/busybox "$ir/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$ir/bin/$a"
	done
	install -m 755 "$guest/init" "$ir/init"
	install -m 755 "$guest/init2" "$ir/init2"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ir/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$ir/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$ir/etc/hosts"
	: >"$ir/etc/cais-vm/modules"
	while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		rel=${path#"$KROOT"}
		grep -qxF "$rel" "$ir/etc/cais-vm/modules" && continue
		mkdir -p "$ir$(dirname "$rel")"
		cp "$path" "$ir$rel"
		echo "$rel" >>"$ir/etc/cais-vm/modules"
	done < <(for m in "${MODULES[@]}"; do modprobe -d "$KROOT" -S "$KVER" --show-depends "$m"; done)
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	find "$CACHE" -maxdepth 1 -name 'initrd-*.cpio.gz' ! -name "${INITRD##*/}" -delete
fi
flock -u 9

# ---------------------------------------------------------------- payload
runtime=$BIN_DIR/cais-runtime
[ -x "$runtime" ] || die "$runtime not found (make build)"
static() {
	local h
	h=$(readelf -lW "$1") || return 1
	! grep -q 'program interpreter' <<<"$h"
}
static "$runtime" || die "$runtime is dynamically linked; the guest has no loader (build it with make build)"

P=$WORK/payload/cais
mkdir -p "$P/bin" "$P/.vm"
cp "$runtime" "$P/bin/"
# The engine-level tests run cais and cais-monitor too; the guest has no
# dynamic loader, and neither needs cgo, so both are built static here.
log "building static cais and cais-monitor"
for b in cais cais-monitor; do
	CGO_ENABLED=0 go build -trimpath -o "$P/bin/$b" "./cmd/$b" || die "building $b failed"
done
log "building ${#pkgs[@]} static test binaries"
: >"$P/.vm/tests"
build() { # package dir, dir relative to /cais in the guest
	local dir=$1 rel=$2 out=$P/$2/${2##*/}.test err=$WORK/build-${2//\//_}
	mkdir -p "$P/$rel"
	CGO_ENABLED=1 go -C "$dir" test -c -tags "netgo osusergo" -ldflags '-extldflags "-static"' \
		-o "$out" . >"$err.log" 2>&1 || return 1
	static "$out" || { echo "$dir: the test binary is not statically linked" >>"$err.log"; return 1; }
	if [ -d "$dir/testdata" ]; then cp -a "$dir/testdata" "$P/$rel/"; fi
	if [ -n "${runpat[$dir]:-}" ]; then printf '%s\n' "${runpat[$dir]}" >"$P/$rel/.vm-run"; fi
	touch "$err.ok"
}
for dir in "${pkgs[@]}"; do
	rel=$(relpath "$dir")
	echo "$rel" >>"$P/.vm/tests"
	build "$dir" "$rel" &
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
done
wait
bad=0
for dir in "${pkgs[@]}"; do
	rel=$(relpath "$dir")
	if [ ! -e "$WORK/build-${rel//\//_}.ok" ]; then
		log "building the tests of $dir failed:"
		cat "$WORK/build-${rel//\//_}.log" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || die "test binaries did not build"

if [ $((TEST_TIMEOUT % 60)) = 0 ]; then tt=$((TEST_TIMEOUT / 60))m; else tt=${TEST_TIMEOUT}s; fi
{
	printf '%s\n' -test.v -test.count=1 "-test.timeout=$tt"
	# shellcheck disable=SC2086 # a list of flags
	[ -z "${CGROUP2_TESTFLAGS:-}" ] || printf '%s\n' ${CGROUP2_TESTFLAGS}
} >"$P/.vm/flags"
echo $((TEST_TIMEOUT + 30)) >"$P/.vm/guard"

# copy_host PATH: PATH into the payload at the same place, links followed
# (the guest's /bin is busybox, a host link into /bin would point there); a
# dynamic executable with the libraries ldd names, at the paths it names.
copy_host() {
	local f=$1 lib
	mkdir -p "$WORK/payload${f%/*}"
	# A directory (iptables' extensions) goes whole; its libraries' own
	# dependencies come with the executable that loads them.
	if [ -d "$f" ]; then cp -rL "$f" "$WORK/payload$f"; return 0; fi
	cp -L "$f" "$WORK/payload$f"
	if [ ! -x "$f" ] || static "$f"; then return 0; fi
	{ ldd "$f" || true; } | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
		while read -r lib; do
			[ -e "$WORK/payload$lib" ] && continue
			mkdir -p "$WORK/payload${lib%/*}"
			cp -L "$lib" "$WORK/payload$lib"
		done
}
missing=()
for f in $HOST_FILES; do
	if [ -e "$f" ]; then copy_host "$f"; else missing+=("$f"); fi
done
[ ${#missing[@]} -eq 0 ] || log "not on this host, so not in the guest: ${missing[*]}"
mapfile -t top < <(ls -A "$WORK/payload")
tar -cf "$WORK/payload.tar" -C "$WORK/payload" "${top[@]}"
log "payload $(du -h "$WORK/payload.tar" | cut -f1), kernel $KVER"

# ---------------------------------------------------------------- the VM
accel=(-accel tcg -cpu max)
if [ -w /dev/kvm ]; then accel=(-accel kvm -cpu host); fi

# The guest's watchdog fires first, so that its logs reach the host.
guest_deadline=$((VM_TIMEOUT > 120 ? VM_TIMEOUT - 60 : VM_TIMEOUT * 3 / 4))

# run_vm N: one boot; console in $WORK/console-N.log, results in
# $WORK/results-N/. Sets VM_OUTCOME to done, timeout or broken.
run_vm() {
	local n=$1 con=$WORK/console-$1.log res=$WORK/results-$1 qrc=0
	rm -f "$WORK/results.img" && truncate -s 256M "$WORK/results.img"
	local args=("${accel[@]}" -machine pc -m "$VM_MEM" -smp "$VM_CPUS"
		-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
		-kernel "$VMLINUZ" -initrd "$INITRD"
		-append "console=ttyS0 rdinit=/init panic=-1 oops=panic cgroup_no_v1=all quiet loglevel=4 cais.timeout=$guest_deadline"
		-drive "file=$WORK/payload.tar,if=virtio,format=raw,readonly=on"
		-drive "file=$WORK/results.img,if=virtio,format=raw")
	printf '%q ' timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 "${args[@]}" >"$WORK/qemu.cmd"
	log "booting the VM (attempt $n)"
	: >"$con.raw"
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 "${args[@]}" </dev/null >>"$con.raw" 2>&1 &
	VM_PID=$!
	# Live console, without the === RUN noise; tail stops when qemu is gone.
	# In the background, so that a signal to this script is handled at once
	# (bash runs traps only between foreground commands; wait is one).
	tail -n +1 -f --pid="$VM_PID" "$con.raw" | sed -u 's/\r$//' |
		grep --line-buffered -vE '^=== (RUN|PAUSE|CONT|NAME)' &
	wait "$VM_PID" || qrc=$?
	wait $! || true
	VM_PID=
	sed 's/\r$//' "$con.raw" >"$con" && rm -f "$con.raw"
	mkdir -p "$res" && tar -xf "$WORK/results.img" -C "$res" 2>/dev/null || true
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		log "qemu killed after ${VM_TIMEOUT}s"
		VM_OUTCOME=timeout
	elif grep -q '^cais-vm: GUEST WATCHDOG' "$con"; then
		VM_OUTCOME=timeout
	elif ! grep -qE '^RESULT rc=[0-9]+' "$con"; then
		log "the guest ended without its RESULT line (qemu exit status $qrc)"
		VM_OUTCOME=broken
	else
		VM_OUTCOME=done
	fi
}

attempt=1
run_vm $attempt
if [ "$VM_OUTCOME" = timeout ]; then
	log "the VM timed out; retrying once"
	attempt=2
	run_vm $attempt
fi
CON=$WORK/console-$attempt.log
RES=$WORK/results-$attempt

# ---------------------------------------------------------------- verdict
# The logs from the results disk are exact; the console is the fallback.
shopt -s nullglob
logs=("$RES"/*.log)
if [ ${#logs[@]} -gt 0 ]; then out=$(cat "${logs[@]}"); else out=$(cat "$CON"); fi
count() { grep -cE -- "^ *--- $1" <<<"$out" || true; }
pass=$(count PASS)
fail=$(count FAIL)
skip=$(count SKIP)
# go test -v prints a skip's reason just before its "--- SKIP" line.
skips=$(awk '/^ *--- SKIP/ { print; if (why != "") print why }
	/^ *--- / { why = ""; next } !/^=== / { why = $0 }' <<<"$out")
if [ -n "$skips" ]; then
	echo
	echo "Skipped tests in the cgroup v2 VM (and why):"
	echo "$skips"
fi

status=0
failed_bins=$(grep -E '^cais-vm: binary .* rc=[1-9][0-9]*$' "$CON" | sed 's/^cais-vm: binary //' || true)
ran=$(grep -cE '^cais-vm: binary .* rc=[0-9]+$' "$CON" || true)
if [ -n "$failed_bins" ]; then
	echo
	echo "Test binaries that failed in the cgroup v2 VM:"
	echo "$failed_bins"
	status=1
fi
if [ "$VM_OUTCOME" != done ]; then
	log "the VM did not finish ($VM_OUTCOME)"
	status=1
elif [ "$ran" -ne "${#pkgs[@]}" ]; then
	log "only $ran of ${#pkgs[@]} test binaries reported"
	status=1
fi
result=$(sed -n 's/^RESULT rc=\([0-9]*\).*/\1/p' "$CON" | tail -1)
[ "${result:-x}" = 0 ] || status=1
[ "$fail" = 0 ] || status=1
echo
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"
