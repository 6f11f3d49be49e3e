package caps

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ApplyBounding drops from the calling thread's bounding set every
// capability the Set's bounding set does not hold (PR_CAPBSET_DROP). It
// needs CAP_SETPCAP in the thread's effective set, so it must run before the
// uid change; it fails rather than skip the drop when it cannot make it.
func (s *Set) ApplyBounding() error {
	for n := 0; n <= s.lastCap; n++ {
		if s.bounding&(1<<uint(n)) != 0 {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if err != nil {
			return fmt.Errorf("reading bounding capability %s: %w", name(n), err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping bounding capability %s: %w", name(n), err)
		}
	}
	return nil
}

// Apply sets the calling thread's effective, permitted and inheritable sets
// to exactly the Set's (capset), then clears its ambient set and raises the
// Set's ambient capabilities (PR_CAP_AMBIENT). Inheritable and ambient end
// up empty unless the config lists capabilities in them, whatever the
// thread held before (CVE-2022-29162).
//
// The kernel only lets a thread lower its permitted set, and raise an
// ambient capability that is both permitted and inheritable. Ambient
// capabilities missing from either set are left out, as runc does (its own
// `runc spec` lists ambient capabilities without inheritable ones); any
// other refusal is returned as an error naming what it tried.
func (s *Set) Apply() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		data[i] = unix.CapUserData{
			Effective:   uint32(s.effective >> (32 * i)),
			Permitted:   uint32(s.permitted >> (32 * i)),
			Inheritable: uint32(s.inheritable >> (32 * i)),
		}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities (effective %#x, permitted %#x, inheritable %#x): %w",
			s.effective, s.permitted, s.inheritable, err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	for n := 0; n <= s.lastCap; n++ {
		bit := uint64(1) << uint(n)
		if s.ambient&bit == 0 || s.permitted&s.inheritable&bit == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("raising ambient capability %s: %w", name(n), err)
		}
	}
	return nil
}

// ApplyAroundUserChange applies the whole Set around change, the caller's
// switch to the container user (setgroups, setresgid, setresuid), in the
// only order that works:
//
//  1. drop the bounding set (needs CAP_SETPCAP, still held as root);
//  2. set PR_SET_KEEPCAPS, so leaving uid 0 keeps the permitted set;
//  3. change();
//  4. Apply: capset and ambient (the uid change cleared effective);
//  5. clear PR_SET_KEEPCAPS.
//
// Everything runs on the calling thread, which must be locked to its OS
// thread; change must switch the ids of that thread (syscall.Setresuid does
// it for every thread of the process, which includes this one). On error the
// thread's credentials are in between and the caller must not exec.
func (s *Set) ApplyAroundUserChange(change func() error) error {
	if err := s.ApplyBounding(); err != nil {
		return err
	}
	if err := KeepCapsForUserChange(); err != nil {
		return err
	}
	if err := change(); err != nil {
		return errors.Join(fmt.Errorf("changing user: %w", err), ClearKeepCaps())
	}
	if err := s.Apply(); err != nil {
		return errors.Join(err, ClearKeepCaps())
	}
	return ClearKeepCaps()
}

// KeepCapsForUserChange sets PR_SET_KEEPCAPS on the calling thread, so a
// change from uid 0 to another uid keeps the permitted set (the kernel
// still clears the effective and ambient sets). Prefer ApplyAroundUserChange.
func KeepCapsForUserChange() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting keep-capabilities: %w", err)
	}
	return nil
}

// ClearKeepCaps undoes KeepCapsForUserChange. exec(2) clears the flag too;
// clearing it explicitly keeps it from leaking into a later uid change.
func ClearKeepCaps() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing keep-capabilities: %w", err)
	}
	return nil
}

// name returns the OCI name of capability n, or its number if it has none.
func name(n int) string {
	for k, v := range byName {
		if v == n {
			return k
		}
	}
	return fmt.Sprintf("capability %d", n)
}

// kernelLastCap returns the highest capability number the running kernel
// knows (CAP_LAST_CAP), by bisecting with PR_CAPBSET_READ, which fails
// with EINVAL above it. It is the number /proc/sys/kernel/cap_last_cap
// shows, without the procfs lookup, which cost a fresh container init
// about half a millisecond; six prctl calls cost microseconds.
func kernelLastCap() (int, error) {
	read := func(n int) (bool, error) {
		_, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			return false, nil
		}
		return err == nil, err
	}
	lo, hi := 0, 63 // capabilities are bits of a 64-bit mask
	if ok, err := read(lo); !ok {
		return 0, fmt.Errorf("reading the kernel's last capability: PR_CAPBSET_READ 0: %v", err)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		ok, err := read(mid)
		if err != nil {
			return 0, fmt.Errorf("reading the kernel's last capability: PR_CAPBSET_READ %d: %w", mid, err)
		}
		if ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}
