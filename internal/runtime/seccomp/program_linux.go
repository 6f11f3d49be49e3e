package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the program on every thread of the calling process with
// seccomp(2), SECCOMP_SET_MODE_FILTER and p.Flags. It has the
// preconditions and results of Filter.Load: no_new_privs or CAP_SYS_ADMIN
// first; the listener fd (owned by the caller) when the program notifies,
// otherwise -1; the kernel's errno, unwrapped, in the error.
func (p *Program) Load() (listenerFd int, err error) {
	if len(p.BPF) == 0 || len(p.BPF)%bpfInsnSize != 0 || len(p.BPF)/bpfInsnSize > 0xffff {
		return -1, fmt.Errorf("loading seccomp filter: %w", unix.EINVAL)
	}
	prog := unix.SockFprog{
		Len:    uint16(len(p.BPF) / bpfInsnSize),
		Filter: (*unix.SockFilter)(unsafe.Pointer(&p.BPF[0])),
	}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.Flags), uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return -1, fmt.Errorf("loading seccomp filter: %w", errno)
	}
	if p.Notify {
		return int(r), nil
	}
	if r != 0 {
		// With TSYNC and without TSYNC_ESRCH the kernel answers with
		// the id of a thread it could not synchronise: libseccomp
		// reports ESRCH then, and so does this.
		return -1, fmt.Errorf("loading seccomp filter: %w", unix.ESRCH)
	}
	return -1, nil
}

// exportBPF asks libseccomp for the program in memory (libseccomp >= 2.6)
// or, failing that, through a memfd.
func (f *Filter) exportBPF() ([]byte, error) {
	if b, err := f.ctx.ExportBPFMem(); err == nil {
		return b, nil
	} else if !errors.Is(err, syscall.EOPNOTSUPP) {
		return nil, err
	}
	fd, err := unix.MemfdCreate("cais-seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mf := os.NewFile(uintptr(fd), "cais-seccomp-bpf")
	defer mf.Close()
	if err := f.ctx.ExportBPF(mf); err != nil {
		return nil, err
	}
	if _, err := mf.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(mf)
}
