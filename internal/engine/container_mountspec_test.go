package engine

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestParseVolumeFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want MountRecord
	}{
		{"/data", MountRecord{Type: "volume", Destination: "/data", RW: true, Anonymous: true}},
		{"/data:ro", MountRecord{Type: "volume", Destination: "/data", Mode: "ro", Anonymous: true}},
		{"www:/www", MountRecord{Type: "volume", Name: "www", Destination: "/www", RW: true, Mode: "z", Bind: "www:/www"}},
		{"www:/www/:ro,nocopy", MountRecord{Type: "volume", Name: "www", Destination: "/www", Mode: "ro,nocopy", NoCopy: true, Bind: "www:/www/:ro,nocopy"}},
		{"/h:/c", MountRecord{Type: "bind", Source: "/h", Destination: "/c", RW: true, Propagation: "rprivate", Bind: "/h:/c", createHostPath: true}},
		{"/h/:/c:rw,Z,rslave", MountRecord{Type: "bind", Source: "/h", Destination: "/c", RW: true, Mode: "rw,Z,rslave", Propagation: "rslave", Bind: "/h/:/c:rw,Z,rslave", createHostPath: true}},
	} {
		got, err := parseVolumeFlag(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("-v %s:\n got %+v, %v\nwant %+v", c.in, got, err, c.want)
		}
	}
	wd, _ := os.Getwd()
	if m, err := parseVolumeFlag("./sub:/c"); err != nil || m.Type != "bind" || m.Source != filepath.Join(wd, "sub") {
		t.Errorf("-v ./sub:/c: %+v, %v; want a bind of %s", m, err, filepath.Join(wd, "sub"))
	}
	for _, bad := range []string{"", "rel", "www:rel", "www:/", "a:/b:ro:x", "www:/x:ro,rw", "www:/x:bogus", "b@d:/x", "/h:/c:nocopy", "www:/x:rshared"} {
		if _, err := parseVolumeFlag(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("-v %q: %v, want invalid argument", bad, err)
		}
	}
}

func TestParseMountFlag(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		in   string
		want MountRecord
	}{
		{"type=bind,source=" + dir + ",target=/c,readonly", MountRecord{Type: "bind", Source: dir, Destination: "/c", Propagation: "rprivate"}},
		{"type=bind,src=" + dir + ",dst=/c,bind-propagation=rshared", MountRecord{Type: "bind", Source: dir, Destination: "/c", RW: true, Propagation: "rshared"}},
		{"target=/v", MountRecord{Type: "volume", Destination: "/v", RW: true, Mode: "z", Anonymous: true}},
		{"type=volume,source=v1,target=/v,ro=false,volume-nocopy", MountRecord{Type: "volume", Name: "v1", Destination: "/v", RW: true, Mode: "z", NoCopy: true}},
		{"type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", MountRecord{Type: "tmpfs", Destination: "/t", RW: true, Options: []string{"size=1048576", "mode=1770"}}},
	} {
		got, _, err := parseMountFlag(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("--mount %s:\n got %+v, %v\nwant %+v", c.in, got, err, c.want)
		}
	}
	m, _, err := parseMountFlag(`type=volume,source=vv,target=/v,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=1m,uid=5",volume-label=a=b`)
	if err != nil || m.volumeOpts["o"] != "size=1m,uid=5" || m.volumeOpts["type"] != "tmpfs" || m.volumeLabels["a"] != "b" {
		t.Errorf("volume-opt: %+v, %v", m, err)
	}
	for _, bad := range []string{
		"type=bind,source=" + dir + "/missing,target=/c", "type=bind,target=/c", "type=bind,source=rel,target=/c",
		"type=volume", "type=volume,target=rel", "type=tmpfs,source=x,target=/t", "type=tmpfs,target=/t,tmpfs-size=-1",
		"type=bind,source=" + dir + ",target=/c,volume-nocopy", "type=volume,target=/v,tmpfs-size=1m",
		"type=volume,target=/v,bind-propagation=shared", "type=volume,target=/v,volume-opt=nope=1",
		"type=nfs,target=/v", "target=/v,color=red", "target=/v,readonly=maybe", "target=/v,source", "target=/v,readonly",
	} {
		if _, _, err := parseMountFlag(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("--mount %q: %v, want invalid argument", bad, err)
		}
	}
}

func TestTmpfsMountOptions(t *testing.T) {
	got := tmpfsMountOptions("size=2m,exec,noexec,mode=1770")
	want := []string{"nosuid", "nodev", "size=2m", "exec", "noexec", "mode=1770"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
