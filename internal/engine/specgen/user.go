package specgen

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// passwdEntry and groupEntry are the fields of /etc/passwd and /etc/group
// lines that user resolution needs.
type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// resolveUser resolves Docker's --user value ("", "name", "uid",
// "name:group", "uid:gid", ...) against the rootfs' /etc/passwd and
// /etc/group. The empty value means root. A name must exist in the files; a
// number need not. Supplementary groups are the groups listing the user by
// name as a member. It also returns the user's home directory ("/" when
// unknown), for HOME.
func resolveUser(root *os.Root, spec string) (specs.User, string, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	users, err := readPasswd(root, "etc/passwd")
	if err != nil {
		return specs.User{}, "", err
	}
	var (
		u     specs.User
		pw    *passwdEntry
		found bool
	)
	if n, numErr := parseID(userPart); numErr == nil {
		u.UID, u.GID = n, 0
		for i := range users {
			if users[i].uid == n {
				pw, found = &users[i], true
				break
			}
		}
	} else {
		for i := range users {
			if users[i].name == userPart {
				pw, found = &users[i], true
				break
			}
		}
		if !found {
			return specs.User{}, "", fmt.Errorf("unable to find user %s: no matching entries in passwd file: %w", userPart, errdefs.ErrInvalidArgument)
		}
		u.UID = pw.uid
	}
	home := "/"
	if found {
		u.GID = pw.gid
		if pw.home != "" {
			home = pw.home
		}
	}

	groups, err := readGroup(root, "etc/group")
	if err != nil {
		return specs.User{}, "", err
	}
	if hasGroup {
		if n, numErr := parseID(groupPart); numErr == nil {
			u.GID = n
		} else {
			gFound := false
			for _, g := range groups {
				if g.name == groupPart {
					u.GID, gFound = g.gid, true
					break
				}
			}
			if !gFound {
				return specs.User{}, "", fmt.Errorf("unable to find group %s: no matching entries in group file: %w", groupPart, errdefs.ErrInvalidArgument)
			}
		}
	}
	if found {
		for _, g := range groups {
			for _, m := range g.members {
				if m == pw.name && g.gid != u.GID {
					u.AdditionalGids = append(u.AdditionalGids, g.gid)
					break
				}
			}
		}
	}
	return u, home, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

// readPasswd parses an /etc/passwd file; a missing file has no entries.
func readPasswd(root *os.Root, path string) ([]passwdEntry, error) {
	var out []passwdEntry
	err := readColonFile(root, path, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid}
		if len(f) > 5 {
			e.home = f[5]
		}
		out = append(out, e)
	})
	return out, err
}

// readGroup parses an /etc/group file; a missing file has no entries.
func readGroup(root *os.Root, path string) ([]groupEntry, error) {
	var out []groupEntry
	err := readColonFile(root, path, func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := parseID(f[2])
		if err != nil {
			return
		}
		e := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			e.members = strings.Split(f[3], ",")
		}
		out = append(out, e)
	})
	return out, err
}

// readColonFile reads path inside root (symlinks cannot leave the rootfs)
// and calls line with each non-comment line's colon-separated fields.
func readColonFile(root *os.Root, path string, line func([]string)) error {
	f, err := root.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		line(strings.Split(t, ":"))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	return nil
}
