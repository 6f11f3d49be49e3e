#!/usr/bin/env bash
# Installs what building and testing cais needs on a fresh Debian 12 machine,
# as root: Debian packages (the peers the tests compare with, busybox for test
# images, qemu for the cgroup v2 lane) and Go tools from the module proxy.
# Quick when everything is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/go/bin:$PATH

packages=(
  build-essential pkg-config libseccomp-dev   # cgo: the namespace joiner and seccomp
  busybox-static                              # test images and the demo
  tini                                        # --init: /usr/bin/tini-static
  iproute2 iptables curl strace procps psmisc util-linux kmod cpio
  runc crun containerd docker.io podman skopeo umoci docker-registry
  containernetworking-plugins
  qemu-system-x86                             # the cgroup v2 VM lane
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

staticcheck_version=v0.8.2
if ! command -v staticcheck >/dev/null || ! staticcheck -version 2>/dev/null | grep -q "${staticcheck_version#v}"; then
  echo "install-deps: staticcheck $staticcheck_version"
  GOBIN=/usr/local/bin go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
go mod download
