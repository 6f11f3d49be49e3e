package devices

import (
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
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

	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "cais_devices",
		Type:         ebpf.CGroupDevice,
		License:      "Apache",
		Instructions: Program(rules),
	})
	if err != nil {
		return fmt.Errorf("devices: loading device filter: %w", err)
	}
	defer prog.Close()

	old, err := attachedIDs(fd)
	if err != nil {
		return err
	}
	err = link.RawAttachProgram(link.RawAttachProgramOptions{
		Target:  fd,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	})
	if err != nil {
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
func Attached(dir string) ([]ebpf.ProgramID, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("devices: opening %s: %w", dir, err)
	}
	defer unix.Close(fd)
	return attachedIDs(fd)
}

func attachedIDs(fd int) ([]ebpf.ProgramID, error) {
	res, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, fmt.Errorf("devices: listing device filters: %w", err)
	}
	ids := make([]ebpf.ProgramID, 0, len(res.Programs))
	for _, p := range res.Programs {
		ids = append(ids, p.ID)
	}
	return ids, nil
}

func detach(fd int, id ebpf.ProgramID) error {
	p, err := ebpf.NewProgramFromID(id)
	if err != nil {
		return err
	}
	defer p.Close()
	return link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
}
