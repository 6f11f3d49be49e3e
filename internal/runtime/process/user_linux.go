package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SetUser switches to process.user: supplementary groups (unless the user
// namespace forbids setgroups), gid, uid. The caller keeps capabilities
// across it with caps.ApplyAroundUserChange. The umask is set here too.
//
// Each of these calls is broadcast to every thread of the process, so the
// ones that would change nothing (the common root:root case) are skipped.
// setgroupsAllowed is asked only when setgroups fails with EPERM: whether
// the user namespace denies it (then the groups stay, which is an error
// only if the config lists some) or the process lacks the capability.
func SetUser(u specs.User, setgroupsAllowed func() bool) error {
	if !sameGroups(u.AdditionalGids) {
		gids := make([]int, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gids[i] = int(g)
		}
		err := unix.Setgroups(gids)
		if errors.Is(err, unix.EPERM) && !setgroupsAllowed() {
			if len(gids) > 0 {
				return fmt.Errorf("process.user.additionalGids: setgroups is denied in this user namespace")
			}
		} else if err != nil {
			return fmt.Errorf("setgroups(%v): %w", gids, err)
		}
	}
	if r, e, s := unix.Getresgid(); r != int(u.GID) || e != int(u.GID) || s != int(u.GID) {
		if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
			return fmt.Errorf("setting gid %d: %w", u.GID, err)
		}
	}
	if r, e, s := unix.Getresuid(); r != int(u.UID) || e != int(u.UID) || s != int(u.UID) {
		if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
			return fmt.Errorf("setting uid %d: %w", u.UID, err)
		}
	}
	if u.Umask != nil {
		unix.Umask(int(*u.Umask))
	}
	return nil
}

// LookPath finds the program the way execvp would, in the PATH of the
// container's environment (not the runtime's). The messages carry the
// phrases callers such as Podman match on: "executable file not found",
// "no such file or directory", "permission denied".
func LookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", fmt.Errorf("exec: %q: %w", name, denied)
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("stat %s: no such file or directory", p)
		}
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory: %w", p, unix.EACCES)
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return fmt.Errorf("%s: %w", p, unix.EACCES)
	}
	return nil
}

// sameGroups reports whether the supplementary groups are already want.
func sameGroups(want []uint32) bool {
	have, err := unix.Getgroups()
	if err != nil || len(have) != len(want) {
		return false
	}
	for i := range want {
		if have[i] != int(want[i]) {
			return false
		}
	}
	return true
}
