package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Program is a compiled filter as data: the BPF instructions libseccomp
// generated and the seccomp(2) flags its attributes mean. Unlike a Filter
// it holds no C memory, so it can be cached in a file and sent to the
// container's init, which loads it without compiling anything.
type Program struct {
	// BPF is the program, struct sock_filter (8 bytes) after another, in
	// the machine's byte order.
	BPF []byte `json:"bpf"`
	// Flags are the SECCOMP_FILTER_FLAG_* bits Load passes to seccomp(2).
	Flags uint `json:"flags"`
	// Notify is true when the filter uses SCMP_ACT_NOTIFY: Load then
	// returns a listener fd.
	Notify bool `json:"notify,omitempty"`
}

// bpfInsnSize is sizeof(struct sock_filter).
const bpfInsnSize = 8

// NeedsListener reports whether the program uses SCMP_ACT_NOTIFY, so Load
// returns a listener fd to hand to the agent at listenerPath.
func (p *Program) NeedsListener() bool { return p.Notify }

// Program exports the compiled filter as data, with the flags that loading
// it through libseccomp would have used.
func (f *Filter) Program() (*Program, error) {
	bpf, err := f.exportBPF()
	if err != nil {
		return nil, fmt.Errorf("exporting seccomp filter: %w", err)
	}
	if len(bpf) == 0 || len(bpf)%bpfInsnSize != 0 {
		return nil, fmt.Errorf("exporting seccomp filter: libseccomp produced %d bytes, not a BPF program", len(bpf))
	}
	return &Program{BPF: bpf, Flags: programFlags(f.flags, f.notify), Notify: f.notify}, nil
}

// programFlags turns linux.seccomp.flags into seccomp(2) flags, as
// libseccomp sets them on load: TSYNC always (a Go process is
// multithreaded), NEW_LISTENER with TSYNC_ESRCH when the filter notifies
// (the kernel refuses a listener with plain TSYNC), and one bit for each of
// LOG, SPEC_ALLOW and WAIT_KILLABLE_RECV.
func programFlags(flags []specs.LinuxSeccompFlag, notify bool) uint {
	out := uint(unix.SECCOMP_FILTER_FLAG_TSYNC)
	if notify {
		out |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	for _, fl := range flags {
		switch fl {
		case specs.LinuxSeccompFlagLog:
			out |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			out |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case specs.LinuxSeccompFlagWaitKillableRecv:
			out |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		}
	}
	return out
}
