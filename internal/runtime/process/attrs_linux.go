package process

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var personalities = map[specs.LinuxPersonalityDomain]uintptr{
	specs.PerLinux:   0x0000,
	specs.PerLinux32: 0x0008,
}

// SetPersonality applies linux.personality.
func SetPersonality(p *specs.LinuxPersonality) error {
	if p == nil {
		return nil
	}
	dom, ok := personalities[p.Domain]
	if !ok {
		return fmt.Errorf("linux.personality.domain %q: unknown", p.Domain)
	}
	if _, _, errno := unix.Syscall(unix.SYS_PERSONALITY, dom, 0, 0); errno != 0 {
		return fmt.Errorf("personality(%s): %w", p.Domain, errno)
	}
	return nil
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10, specs.SchedFlagUtilClampMin: 0x20,
	specs.SchedFlagUtilClampMax: 0x40,
}

// CheckScheduler validates process.scheduler.
func CheckScheduler(s *specs.Scheduler) error {
	if s == nil {
		return nil
	}
	if _, ok := schedPolicies[s.Policy]; !ok {
		return fmt.Errorf("process.scheduler.policy %q: unknown", s.Policy)
	}
	for _, f := range s.Flags {
		if _, ok := schedFlags[f]; !ok {
			return fmt.Errorf("process.scheduler.flags: unknown flag %q", f)
		}
	}
	return nil
}

// SetScheduler applies process.scheduler with sched_setattr.
func SetScheduler(s *specs.Scheduler) error {
	if s == nil {
		return nil
	}
	attr := unix.SchedAttr{
		Size:     unix.SizeofSchedAttr,
		Policy:   schedPolicies[s.Policy],
		Nice:     s.Nice,
		Priority: uint32(s.Priority),
		Runtime:  s.Runtime,
		Deadline: s.Deadline,
		Period:   s.Period,
	}
	for _, f := range s.Flags {
		attr.Flags |= schedFlags[f]
	}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return fmt.Errorf("sched_setattr(policy %s): %w", s.Policy, err)
	}
	return nil
}

var ioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

// SetIOPriority applies process.ioPriority with ioprio_set.
func SetIOPriority(p *specs.LinuxIOPriority) error {
	if p == nil {
		return nil
	}
	class, ok := ioClasses[p.Class]
	if !ok {
		return fmt.Errorf("process.ioPriority.class %q: unknown", p.Class)
	}
	const whoProcess = 1
	prio := class<<13 | p.Priority
	if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); errno != 0 {
		return fmt.Errorf("ioprio_set(%s, %d): %w", p.Class, p.Priority, errno)
	}
	return nil
}
