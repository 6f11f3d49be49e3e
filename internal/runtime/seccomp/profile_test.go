package seccomp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// podmanProfile is the default seccomp profile Podman ships (Debian package
// golang-github-containers-common), of Docker's default profile lineage.
const podmanProfile = "/usr/share/containers/seccomp.json"

// podmanCaps is Podman's default capability set (default_capabilities in
// /usr/share/containers/containers.conf), which decides the profile's
// capability-dependent rules.
var podmanCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
	"CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
}

// dockerProfile is the JSON shape of Docker's and containers/common's
// seccomp profiles, as far as these tests need it.
type dockerProfile struct {
	DefaultAction   specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet *uint                    `json:"defaultErrnoRet"`
	Architectures   []specs.Arch             `json:"architectures"`
	ArchMap         []struct {
		Arch    specs.Arch   `json:"architecture"`
		SubArch []specs.Arch `json:"subArchitectures"`
	} `json:"archMap"`
	Flags    []specs.LinuxSeccompFlag `json:"flags"`
	Syscalls []dockerSyscall          `json:"syscalls"`
}

type dockerSyscall struct {
	Name     string                   `json:"name"`
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet"`
	Args     []specs.LinuxSeccompArg  `json:"args"`
	Includes dockerFilter             `json:"includes"`
	Excludes dockerFilter             `json:"excludes"`
}

type dockerFilter struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

// toOCI converts a Docker-style profile into the OCI form for one
// architecture (goarch, Go's name, as "includes.arches" uses) and one
// capability set. What differs from OCI:
//   - "archMap" lists, per native architecture, the sub-architectures to
//     allow too; the entry for nativeArch becomes "architectures" (the old
//     flat "architectures" list is used when there is no archMap).
//   - a rule may have "name" instead of "names".
//   - "includes" keeps a rule only if every listed capability is in caps
//     and goarch is among the listed arches; "excludes" drops a rule if any
//     listed capability is in caps or goarch is listed. "minKernel" is not
//     honoured: the test fails if a profile uses it, rather than guess.
//   - the informational "comment", "errno" and "defaultErrno" are dropped
//     ("errnoRet" carries the value).
func (p dockerProfile) toOCI(nativeArch specs.Arch, goarch string, caps []string) (specs.LinuxSeccomp, error) {
	out := specs.LinuxSeccomp{
		DefaultAction:   p.DefaultAction,
		DefaultErrnoRet: p.DefaultErrnoRet,
		Architectures:   p.Architectures,
		Flags:           p.Flags,
	}
	for _, m := range p.ArchMap {
		if m.Arch == nativeArch {
			out.Architectures = append([]specs.Arch{m.Arch}, m.SubArch...)
		}
	}
	for i, sc := range p.Syscalls {
		if sc.Includes.MinKernel != "" || sc.Excludes.MinKernel != "" {
			return out, fmt.Errorf("syscalls[%d]: minKernel is not supported by this converter", i)
		}
		if !sc.applies(goarch, caps) {
			continue
		}
		names := sc.Names
		if sc.Name != "" {
			names = append([]string{sc.Name}, names...)
		}
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{
			Names: names, Action: sc.Action, ErrnoRet: sc.ErrnoRet, Args: sc.Args,
		})
	}
	return out, nil
}

func (sc dockerSyscall) applies(goarch string, caps []string) bool {
	if len(sc.Includes.Arches) > 0 && !slices.Contains(sc.Includes.Arches, goarch) {
		return false
	}
	if slices.Contains(sc.Excludes.Arches, goarch) {
		return false
	}
	for _, c := range sc.Includes.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	for _, c := range sc.Excludes.Caps {
		if slices.Contains(caps, c) {
			return false
		}
	}
	return true
}

// TestPodmanDefaultProfile loads Podman's default profile in a child and
// checks ordinary calls work while the ones the profile refuses fail with
// the errno it names (EPERM for explicit denials, ENOSYS, its default, for
// calls it does not list).
func TestPodmanDefaultProfile(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, podmanProfile)
	if runtime.GOARCH != "amd64" {
		t.Skip("the raw syscall numbers below are x86_64's")
	}
	b, err := os.ReadFile(podmanProfile)
	if err != nil {
		t.Fatal(err)
	}
	var dp dockerProfile
	if err := json.Unmarshal(b, &dp); err != nil {
		t.Fatalf("parsing %s: %v", podmanProfile, err)
	}
	profile, err := dp.toOCI(specs.ArchX86_64, runtime.GOARCH, podmanCaps)
	if err != nil {
		t.Fatalf("converting %s: %v", podmanProfile, err)
	}
	dir := t.TempDir()
	const (
		eperm  = "1 (operation not permitted)"
		enosys = "38 (function not implemented)"
		enoent = "2 (no such file or directory)"
		einval = "22 (invalid argument)"
	)
	calls := []struct {
		name string
		call call
		want string
	}{
		{"mkdir", mkdirCall(filepath.Join(dir, "made")), "ok"},
		{"getpid", getpidCall(), "ok"},
		{"personality query", personalityCall(perQuery), "ok"},
		{"personality READ_IMPLIES_EXEC", personalityCall(0x0400000), enosys},
		{"kexec_load", call{Nr: unix.SYS_KEXEC_LOAD}, eperm},
		{"open_by_handle_at without CAP_DAC_READ_SEARCH", call{Nr: unix.SYS_OPEN_BY_HANDLE_AT}, eperm},
		{"bpf without CAP_SYS_ADMIN", call{Nr: unix.SYS_BPF}, eperm},
		{"chroot with CAP_SYS_CHROOT", call{Nr: unix.SYS_CHROOT, Path: "/nonexistent-root"}, enoent},
		{"add_key is not listed", call{Nr: unix.SYS_ADD_KEY}, enosys},
		{"netlink audit socket without CAP_AUDIT_WRITE", socketCall(afNetlink, unix.SOCK_RAW, netlinkAudit), einval},
		{"netlink route socket", socketCall(afNetlink, unix.SOCK_RAW, unix.NETLINK_ROUTE), "ok"},
	}
	req := childRequest{Profile: profile}
	want := outcome{}
	for _, c := range calls {
		req.Calls = append(req.Calls, c.call)
		want.Results = append(want.Results, c.name+": "+c.want)
	}
	got, stderr := runInChild(t, req)
	for i := range got.Results {
		if i < len(calls) {
			got.Results[i] = calls[i].name + ": " + got.Results[i]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child outcome mismatch (-want +got):\n%s\nstderr:\n%s", diff, stderr)
	}
}
