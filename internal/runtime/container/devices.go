package container

import "github.com/opencontainers/runtime-spec/specs-go"

func devRule(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
	if major >= 0 {
		r.Major = &major
	}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// defaultDeviceRules are allowed after the config's own device rules, as
// runc does: every container may create device nodes (whether it may open
// them is the rules' business) and use the default devices that the
// runtime itself creates in /dev and the pty devices. -1 means any.
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	devRule("c", -1, -1, "m"),
	devRule("b", -1, -1, "m"),
	devRule("c", 1, 3, "rwm"),    // /dev/null
	devRule("c", 1, 5, "rwm"),    // /dev/zero
	devRule("c", 1, 7, "rwm"),    // /dev/full
	devRule("c", 1, 8, "rwm"),    // /dev/random
	devRule("c", 1, 9, "rwm"),    // /dev/urandom
	devRule("c", 5, 0, "rwm"),    // /dev/tty
	devRule("c", 5, 1, "rwm"),    // /dev/console
	devRule("c", 5, 2, "rwm"),    // /dev/ptmx
	devRule("c", 136, -1, "rwm"), // /dev/pts/*
}

// withDefaultDevices returns r with the default device rules appended, or r
// unchanged when it has no device rules (then no device policy is set).
func withDefaultDevices(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || len(r.Devices) == 0 {
		return r
	}
	c := *r
	c.Devices = append(append([]specs.LinuxDeviceCgroup(nil), r.Devices...), defaultDeviceRules...)
	return &c
}
