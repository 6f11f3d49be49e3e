package initproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func pair(t *testing.T) (parent, child *Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return New(a), New(b)
}

// receiveConfig has child receive a config on its own goroutine, as the
// init does while the parent sends.
func receiveConfig(t *testing.T, child *Conn) <-chan *Config {
	got := make(chan *Config, 1)
	go func() {
		cfg, err := child.ReceiveConfig()
		if err != nil {
			t.Error(err)
		}
		got <- cfg
	}()
	return got
}

func TestConversation(t *testing.T) {
	parent, child := pair(t)
	want := &Config{ID: "c1", Bundle: "/b", Rootfs: "/b/rootfs", FifoFD: 4,
		Spec: &specs.Spec{Version: specs.Version, Process: &specs.Process{Args: []string{"sh"}}}}
	done := make(chan error, 1)
	go func() {
		cfg, err := child.ReceiveConfig()
		if err == nil && !cmp.Equal(cfg, want) {
			err = errors.New("config differs: " + cmp.Diff(want, cfg))
		}
		if err == nil {
			err = child.RequestHooks(42)
		}
		if err == nil {
			err = child.AwaitHooksDone()
		}
		if err == nil {
			err = child.Ready()
		}
		done <- err
	}()
	if err := parent.SendConfig(want); err != nil {
		t.Fatal(err)
	}
	req, err := parent.AwaitHookRequest()
	if err != nil || req.Pid != 42 {
		t.Fatalf("AwaitHookRequest = %+v, %v", req, err)
	}
	if err := parent.HooksDone(nil); err != nil {
		t.Fatal(err)
	}
	if err := parent.AwaitReady(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestChildFailureReachesParent(t *testing.T) {
	parent, child := pair(t)
	go child.Fail(errors.New("mounting proc on /proc: permission denied"))
	err := parent.AwaitReady()
	if !errors.Is(err, ErrChild) || !strings.Contains(err.Error(), "mounting proc") {
		t.Fatalf("got %v", err)
	}
}

func TestHookFailureReachesChild(t *testing.T) {
	parent, child := pair(t)
	go parent.HooksDone(errors.New("hook prestart /x: exit status 1"))
	if err := child.AwaitHooksDone(); err == nil || !strings.Contains(err.Error(), "hook prestart") {
		t.Fatalf("got %v", err)
	}
}

func TestOversizedMessageRefused(t *testing.T) {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, typeReady)
	binary.Write(&b, binary.LittleEndian, uint32(MaxMessage+1))
	err := New(struct {
		io.Reader
		io.Writer
	}{&b, io.Discard}).AwaitReady()
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("got %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte{0x13, 0, 0, 0, 2, 0, 0, 0, '{', '}'})
	f.Add([]byte{0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{0x1f, 0, 0, 0, 14, 0, 0, 0, '{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '1', '}', '}'})
	f.Fuzz(func(t *testing.T, in []byte) {
		c := New(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(in), io.Discard})
		cfg, err := c.ReceiveConfig()
		if err == nil && cfg.Spec == nil {
			t.Fatal("accepted a config without a spec")
		}
		typ, body, err := read(bytes.NewReader(in), MaxMessage)
		if err == nil && (len(body) > MaxMessage || len(in) < 8+len(body)) {
			t.Fatalf("type %#x: %d bytes accepted from %d", typ, len(body), len(in))
		}
	})
}

// The init gets the spec without linux.resources and other platforms'
// sections, everything else intact; the sender's config is not changed.
func TestConfigLeavesOutWhatTheInitNeverReads(t *testing.T) {
	parent, child := pair(t)
	limit := int64(100)
	sent := &Config{ID: "c1", Bundle: "/b", FifoFD: 5, CgroupPaths: map[string]string{"memory": "/sys/fs/cgroup/memory/c1"},
		Spec: &specs.Spec{
			Version: specs.Version, Hostname: "h",
			Process: &specs.Process{Args: []string{"sh"}, Env: []string{"A=1"}, Cwd: "/"},
			Mounts:  []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
			Linux: &specs.Linux{
				Namespaces:  []specs.LinuxNamespace{{Type: specs.PIDNamespace}},
				Sysctl:      map[string]string{"net.ipv4.ip_forward": "1"},
				Resources:   &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}},
				Seccomp:     &specs.LinuxSeccomp{ListenerPath: "/run/agent.sock"},
				MaskedPaths: []string{"/proc/kcore"},
			},
			Windows: &specs.Windows{LayerFolders: []string{`C:\l`}},
			VM:      &specs.VM{Hypervisor: specs.VMHypervisor{Path: "/qemu"}},
		}}
	before := cmp.Diff(nil, sent)
	want := *sent
	spec := *sent.Spec
	linux := *spec.Linux
	linux.Resources = nil
	spec.Linux, spec.Windows, spec.VM = &linux, nil, nil
	want.Spec = &spec

	got := receiveConfig(t, child)
	if err := parent.SendConfig(sent); err != nil {
		t.Fatal(err)
	}
	if cfg := <-got; !cmp.Equal(cfg, &want) {
		t.Errorf("received config differs: %s", cmp.Diff(&want, cfg))
	}
	if after := cmp.Diff(nil, sent); after != before || sent.Spec.Linux.Resources == nil || sent.Spec.Windows == nil {
		t.Error("SendConfig changed the sender's config")
	}
}
