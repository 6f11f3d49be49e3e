package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// flagAPILevel is the libseccomp API level each seccomp(2) flag needs.
var flagAPILevel = map[specs.LinuxSeccompFlag]uint{
	specs.LinuxSeccompFlagLog:              3,
	specs.LinuxSeccompFlagSpecAllow:        4,
	specs.LinuxSeccompFlagWaitKillableRecv: 7,
}

// Validate refuses what Compile would refuse, without building a filter.
// Its errors are the ones the runtime reports for a bad profile; Cache
// calls it before compiling on a miss, so they stay the same whether or not
// the profile is cached.
func Validate(cfg *specs.LinuxSeccomp) error {
	p, err := makePlan(cfg)
	if err != nil {
		return err
	}
	var api uint
	for i, flag := range p.flags {
		need, ok := flagAPILevel[flag]
		if !ok {
			continue
		}
		if api == 0 {
			if api, err = libseccomp.GetAPI(); err != nil {
				return fmt.Errorf("linux.seccomp.flags: asking libseccomp for its API level: %w", err)
			}
		}
		if api < need {
			major, minor, micro := libseccomp.GetLibraryVersion()
			return unsupported(fmt.Sprintf("linux.seccomp.flags[%d]", i),
				"%s is not supported by libseccomp %d.%d.%d on this kernel (API level %d, needs %d)",
				flag, major, minor, micro, api, need)
		}
	}
	return nil
}
