package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestInnerPath(t *testing.T) {
	tests := []struct {
		name, path, id, want string
		wantErr              error
	}{
		{name: "absolute", path: "/foo/bar", id: "c1", want: "/foo/bar"},
		{name: "absolute cleaned", path: "/foo/../../bar/./", id: "c1", want: "/bar"},
		{name: "relative", path: "foo/bar", id: "c1", want: "foo/bar"},
		{name: "relative cannot climb", path: "../../etc", id: "c1", want: "etc"},
		{name: "empty uses id, relative", path: "", id: "c1", want: "c1"},
		{name: "empty and bad id", path: "", id: "a/b", wantErr: errdefs.ErrInvalidArgument},
		{name: "empty and no id", path: "", id: "", wantErr: errdefs.ErrInvalidArgument},
		{name: "root refused", path: "/", id: "c1", wantErr: errdefs.ErrInvalidArgument},
		{name: "dotdot to root refused", path: "/a/..", id: "c1", wantErr: errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := innerPath(tt.path, tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("innerPath(%q, %q) error = %v, want %v", tt.path, tt.id, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("innerPath(%q, %q) = %q, want %q", tt.path, tt.id, got, tt.want)
			}
		})
	}
}

func TestNewRefusesSystemdPaths(t *testing.T) {
	for _, p := range []string{"system.slice:docker:1234", "machine.slice:cais:abc", ":cais:abc"} {
		_, err := New(t.TempDir(), p, "abc")
		if !errors.Is(err, errdefs.ErrNotImplemented) || !strings.Contains(err.Error(), "systemd cgroup driver: not supported") {
			t.Errorf("New(%q) error = %v, want systemd not supported (NotImplemented)", p, err)
		}
	}
}

func TestIsV2(t *testing.T) {
	dir := t.TempDir()
	if IsV2(dir) {
		t.Errorf("IsV2(empty dir) = true")
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !IsV2(dir) {
		t.Errorf("IsV2(dir with cgroup.controllers) = false")
	}
}

func TestV2Dir(t *testing.T) {
	tests := []struct{ name, inner, own, want string }{
		{"absolute", "/cais/c1", "/user.slice/session-1.scope", "/sys/fs/cgroup/cais/c1"},
		{"relative goes below the parent of own", "c1", "/user.slice/session-1.scope", "/sys/fs/cgroup/user.slice/c1"},
		{"relative from the root cgroup", "c1", "/", "/sys/fs/cgroup/c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v2Dir("/sys/fs/cgroup", tt.inner, tt.own); got != tt.want {
				t.Errorf("v2Dir(%q, %q) = %q, want %q", tt.inner, tt.own, got, tt.want)
			}
		})
	}
}

func TestParseOwnCgroups(t *testing.T) {
	const self = "9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/a\n0::/init.scope\n"
	wantV1 := map[string]string{"name=systemd": "/", "memory": "/process_api/x", "cpu": "/a", "cpuacct": "/a"}
	if diff := cmp.Diff(wantV1, parseOwnCgroupsV1(self)); diff != "" {
		t.Errorf("parseOwnCgroupsV1 (-want +got):\n%s", diff)
	}
	got, err := parseOwnCgroupV2(self)
	if err != nil || got != "/init.scope" {
		t.Errorf("parseOwnCgroupV2 = %q, %v; want /init.scope", got, err)
	}
	if _, err := parseOwnCgroupV2("4:memory:/x\n"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("parseOwnCgroupV2 without 0:: error = %v, want NotFound", err)
	}
}

// mountinfoV1 is this project's CI host (hybrid) plus a combined cpu,cpuacct
// mount elsewhere and a mount whose root is not "/".
const mountinfoV1 = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 22 0:40 / /other/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
`

func TestV1Mounts(t *testing.T) {
	got, err := v1Mounts(strings.NewReader(mountinfoV1), "/sys/fs/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	want := []v1Mount{
		{Mountpoint: "/sys/fs/cgroup/cpu", Root: "/", Controllers: []string{"cpu"}},
		{Mountpoint: "/sys/fs/cgroup/cpuacct", Root: "/", Controllers: []string{"cpuacct"}},
		{Mountpoint: "/sys/fs/cgroup/memory", Root: "/docker/abc", Controllers: []string{"memory"}},
		{Mountpoint: "/sys/fs/cgroup/systemd", Root: "/", Controllers: []string{"name=systemd"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("v1Mounts (-want +got):\n%s", diff)
	}
	combined, err := v1Mounts(strings.NewReader(mountinfoV1), "/other")
	if err != nil {
		t.Fatal(err)
	}
	wantCombined := []v1Mount{{Mountpoint: "/other/cpu,cpuacct", Root: "/", Controllers: []string{"cpu", "cpuacct"}}}
	if diff := cmp.Diff(wantCombined, combined); diff != "" {
		t.Errorf("v1Mounts combined (-want +got):\n%s", diff)
	}
}

func TestV1Paths(t *testing.T) {
	mounts := []v1Mount{
		{Mountpoint: "/cg/cpu,cpuacct", Root: "/", Controllers: []string{"cpu", "cpuacct"}},
		{Mountpoint: "/cg/memory", Root: "/docker/abc", Controllers: []string{"memory"}},
	}
	own := map[string]string{"cpu": "/user/1", "cpuacct": "/user/1", "memory": "/docker/abc/sub"}
	tests := []struct {
		name, inner string
		want        map[string]string
	}{
		{"absolute is below each mount", "/cais/c1", map[string]string{
			"cpu": "/cg/cpu,cpuacct/cais/c1", "cpuacct": "/cg/cpu,cpuacct/cais/c1", "memory": "/cg/memory/cais/c1"}},
		{"relative is below own cgroup seen through the mount root", "c1", map[string]string{
			"cpu": "/cg/cpu,cpuacct/user/1/c1", "cpuacct": "/cg/cpu,cpuacct/user/1/c1", "memory": "/cg/memory/sub/c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v1Paths(mounts, own, tt.inner)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("v1Paths (-want +got):\n%s", diff)
			}
		})
	}
}
