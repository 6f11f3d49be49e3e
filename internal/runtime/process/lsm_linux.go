package process

import (
	"fmt"
	"os"
	"strings"

	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"
)

// AppArmorEnabled reports whether the host enforces AppArmor.
func AppArmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

// SELinuxEnabled reports whether the host runs SELinux.
func SELinuxEnabled() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/selinux", &st) == nil && st.Type == unix.SELINUX_MAGIC
}

// CheckLabels refuses security labels the host cannot apply, as runc does:
// silently running a container without the confinement it asked for would
// be worse than not running it.
func CheckLabels(apparmorProfile, selinuxLabel string) error {
	if apparmorProfile != "" && !AppArmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", apparmorProfile)
	}
	if selinuxLabel != "" && !SELinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", selinuxLabel)
	}
	return nil
}

// SetLabels arranges for the next execve to enter the AppArmor profile and
// SELinux label, writing through a procfs handle the runtime verified.
func SetLabels(apparmorProfile, selinuxLabel string) error {
	if apparmorProfile == "" && selinuxLabel == "" {
		return nil
	}
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return err
	}
	defer proc.Close()
	write := func(rel, value string) error {
		h, closer, err := proc.OpenThreadSelf(rel)
		if err != nil {
			return err
		}
		defer closer()
		defer h.Close()
		f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(value)
		return err
	}
	if apparmorProfile != "" {
		err := write("attr/apparmor/exec", "exec "+apparmorProfile)
		if err != nil {
			err = write("attr/exec", "exec "+apparmorProfile)
		}
		if err != nil {
			return fmt.Errorf("applying AppArmor profile %q: %w", apparmorProfile, err)
		}
	}
	if selinuxLabel != "" {
		if err := write("attr/exec", selinuxLabel); err != nil {
			return fmt.Errorf("applying SELinux label %q: %w", selinuxLabel, err)
		}
	}
	return nil
}
