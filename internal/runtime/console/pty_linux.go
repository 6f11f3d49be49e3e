package console

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// DefaultPtmx is where NewPty opens the pty multiplexer: inside a container
// it resolves (through the /dev/ptmx -> pts/ptmx symlink or bind mount) to
// the container's own devpts instance.
const DefaultPtmx = "/dev/ptmx"

// NewPty opens a new pty pair from DefaultPtmx. See NewPtyAt.
func NewPty() (master *os.File, slave *os.File, name string, err error) {
	return NewPtyAt(DefaultPtmx)
}

// NewPtyAt opens a new pty pair from the multiplexer at ptmx (a devpts
// "ptmx" node or /dev/ptmx), unlocks it and opens the slave from the master
// without a path lookup (TIOCGPTPEER, Linux 4.13), then checks the slave is
// a devpts character device with a pts major whose number is the one the
// master reports. It returns the master (named ptmx), the slave and the
// slave's name as the devpts sees it ("/dev/pts/N"). Both files are opened
// O_NOCTTY and close-on-exec; the caller owns and closes them.
func NewPtyAt(ptmx string) (master *os.File, slave *os.File, name string, err error) {
	mfd, err := unix.Open(ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, "", &os.PathError{Op: "open", Path: ptmx, Err: err}
	}
	master = os.NewFile(uintptr(mfd), ptmx)
	defer func() {
		if err != nil {
			master.Close()
		}
	}()
	if err := verifyPtmx(master); err != nil {
		return nil, nil, "", err
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, nil, "", fmt.Errorf("unlocking pty from %s: %w", ptmx, err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return nil, nil, "", fmt.Errorf("getting pty number from %s: %w", ptmx, err)
	}
	sfd, err := openPeer(mfd)
	if err != nil {
		return nil, nil, "", fmt.Errorf("opening pty slave of %s: %w", ptmx, err)
	}
	name = "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	slave = os.NewFile(uintptr(sfd), name)
	if err := verifySlave(slave, n); err != nil {
		slave.Close()
		return nil, nil, "", err
	}
	return master, slave, name, nil
}

// openPeer opens the slave of the pty master mfd (ioctl TIOCGPTPEER).
func openPeer(mfd int) (int, error) {
	flags := unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), unix.TIOCGPTPEER, uintptr(flags))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// verifyPtmx checks f is the pty multiplexer, character device 5:2.
func verifyPtmx(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != ptmxMajor || unix.Minor(st.Rdev) != ptmxMinor {
		return fmt.Errorf("%s is not the pty multiplexer (device %d:%d, mode %#o): %w",
			f.Name(), unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Mode, errdefs.ErrInvalidArgument)
	}
	return nil
}

// verifySlave checks f is pty slave number n: a character device on a
// devpts file system whose device number is that of /dev/pts/n.
func verifySlave(f *os.File, n uint32) error {
	fd := int(f.Fd())
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return &os.PathError{Op: "fstatfs", Path: f.Name(), Err: err}
	}
	if fs.Type != unix.DEVPTS_SUPER_MAGIC {
		return fmt.Errorf("pty slave %s is not on a devpts file system (magic %#x): %w", f.Name(), fs.Type, errdefs.ErrInvalidArgument)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	wantMajor, wantMinor := ptsDevice(n)
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFCHR:
		return fmt.Errorf("pty slave %s is not a character device (mode %#o): %w", f.Name(), st.Mode, errdefs.ErrInvalidArgument)
	case !isPtsMajor(major):
		return fmt.Errorf("pty slave %s has device %d:%d, not a pts major: %w", f.Name(), major, minor, errdefs.ErrInvalidArgument)
	case major != wantMajor || minor != wantMinor:
		return fmt.Errorf("pty slave %s has device %d:%d, want %d:%d: %w", f.Name(), major, minor, wantMajor, wantMinor, errdefs.ErrInvalidArgument)
	}
	return nil
}
