package devices

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Attach compiles rules into a device program, attaches it to the cgroup
// v2 directory dir (with BPF_F_ALLOW_MULTI) and then detaches every device
// program that was attached to dir before, so the new rules replace the old
// ones without a moment with no filter. It finds the old programs with
// BPF_PROG_QUERY, so it also replaces programs attached by another process.
//
// The kernel holds the attached program; nothing stays open here. The
// program goes away with the cgroup directory.
func Attach(dir string, rules []Rule) error {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("devices: opening %s: %w", dir, err)
	}
	defer unix.Close(fd)
	code, err := Program(rules)
	if err != nil {
		return err
	}
	prog, err := loadProgram(code)
	if err != nil {
		return fmt.Errorf("devices: loading device filter: %w", err)
	}
	defer unix.Close(prog)

	old, err := attachedIDs(fd)
	if err != nil {
		return err
	}
	if err := progAttach(fd, prog, unix.BPF_F_ALLOW_MULTI); err != nil {
		return fmt.Errorf("devices: attaching device filter to %s: %w", dir, err)
	}
	for _, id := range old {
		if err := detach(fd, id); err != nil {
			return fmt.Errorf("devices: detaching the previous device filter from %s: %w", dir, err)
		}
	}
	return nil
}

// Attached returns the IDs of the device programs attached to dir itself.
func Attached(dir string) ([]uint32, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("devices: opening %s: %w", dir, err)
	}
	defer unix.Close(fd)
	return attachedIDs(fd)
}

// The bpf(2) attribute layouts used here (a prefix of union bpf_attr each).
type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
}

type progAttachAttr struct {
	targetFd    uint32
	attachBpfFd uint32
	attachType  uint32
	attachFlags uint32
}

type progQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
}

type getFdByIDAttr struct {
	id uint32
}

func bpf(cmd uintptr, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

// loadProgram loads a BPF_PROG_TYPE_CGROUP_DEVICE program; on a verifier
// refusal the error carries the verifier's log.
func loadProgram(code []byte) (int, error) {
	license := []byte("Apache\x00")
	log := make([]byte, 64<<10)
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(code) / 8),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1,
		logSize:  uint32(len(log)),
		logBuf:   uint64(uintptr(unsafe.Pointer(&log[0]))),
	}
	copy(attr.progName[:], "cais_devices")
	// The verifier gives up with EAGAIN when a signal is pending, and the Go
	// runtime signals its threads (preemption): try again, a bounded number
	// of times.
	var fd uintptr
	var err error
	for range 20 {
		fd, err = bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		if !errors.Is(err, unix.EAGAIN) {
			break
		}
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	if err != nil {
		if n := indexZero(log); n > 0 {
			return -1, fmt.Errorf("%w: verifier: %s", err, log[:n])
		}
		return -1, err
	}
	unix.CloseOnExec(int(fd))
	return int(fd), nil
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

func progAttach(target, prog int, flags uint32) error {
	attr := progAttachAttr{targetFd: uint32(target), attachBpfFd: uint32(prog), attachType: unix.BPF_CGROUP_DEVICE, attachFlags: flags}
	_, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

func attachedIDs(fd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	for {
		attr := progQueryAttr{targetFd: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE,
			progIDs: uint64(uintptr(unsafe.Pointer(&ids[0]))), progCnt: uint32(len(ids))}
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if err == unix.ENOSPC {
			ids = make([]uint32, 2*len(ids))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("devices: listing device filters: %w", err)
		}
		return ids[:attr.progCnt], nil
	}
}

func detach(target int, id uint32) error {
	get := getFdByIDAttr{id: id}
	prog, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
	if err != nil {
		return err
	}
	defer unix.Close(int(prog))
	attr := progAttachAttr{targetFd: uint32(target), attachBpfFd: uint32(prog), attachType: unix.BPF_CGROUP_DEVICE}
	_, err = bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}
