package cinit

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/nsenter"
)

func execConfig(edit func(*specs.Spec)) *initproto.Config {
	s := &specs.Spec{Process: &specs.Process{Args: []string{"/bin/true"}, Cwd: "/", Env: []string{"PATH=/bin"}}, Linux: &specs.Linux{}}
	if edit != nil {
		edit(s)
	}
	return &initproto.Config{ID: "x", Spec: s, Exec: true}
}

// TestUsable lists what keeps the Go init, one reason each.
func TestUsable(t *testing.T) {
	prio := specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE}
	cases := []struct {
		edit func(*specs.Spec)
		why  string
	}{
		{func(s *specs.Spec) { s.Process.Terminal = true }, "terminal"},
		{func(s *specs.Spec) { s.Process.IOPriority = &prio }, "I/O priority"},
		{func(s *specs.Spec) { s.Process.ApparmorProfile = "p" }, "LSM"},
		{func(s *specs.Spec) {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.UserNamespace}}
		}, "user namespace"},
		{func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
		}, "seccomp notify"},
	}
	for _, c := range cases {
		ok, why := Usable(execConfig(c.edit))
		if ok || !strings.Contains(why, c.why) {
			t.Errorf("want refusal for %s, got %v %q", c.why, ok, why)
		}
		if _, err := Program(execConfig(c.edit), nil); err == nil {
			t.Errorf("Program compiled a config with %s", c.why)
		}
	}
	if ok, why := Usable(execConfig(nil)); !ok {
		t.Errorf("a plain exec is refused: %s", why)
	}
	t.Setenv(ForceGoEnv, "1")
	if ok, _ := Usable(execConfig(nil)); ok {
		t.Errorf("%s=1 does not keep the Go init", ForceGoEnv)
	}
}

// TestProgramRefusesNUL: a string with a NUL would be cut short in C.
func TestProgramRefusesNUL(t *testing.T) {
	_, err := Program(execConfig(func(s *specs.Spec) { s.Process.Args = []string{"/bin/true", "a\x00b"} }), nil)
	if err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("got %v", err)
	}
}

// TestProgramFraming walks a compiled program: every op's length covers
// exactly its fields and the last op is the exec.
func TestProgramFraming(t *testing.T) {
	b, err := Program(execConfig(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	var last uint32
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			t.Fatalf("truncated op header at %d", off)
		}
		last = le32(b[off:])
		n := int(le32(b[off+4:]))
		off += 8 + n
		if off > len(b) {
			t.Fatalf("op %d overruns the program", last)
		}
	}
	if last != nsenter.OpExec {
		t.Fatalf("last op %d, want exec", last)
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
