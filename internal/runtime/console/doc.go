// Package console owns the terminal of a container whose process.terminal
// is true, the way runc does it: the container's init allocates a pty pair
// from the devpts it sees (NewPty), sends the master to whoever passed
// --console-socket (SendMaster), and makes the slave its controlling
// terminal and stdio just before exec (SetupSlaveAsControlling). The other
// end (the engine's monitor, tests) receives the master with ReceiveMaster.
//
// The slave is never looked up by path: it comes from the master with the
// TIOCGPTPEER ioctl and is checked to be a devpts pty with the expected
// number before use, so a container that replaced /dev/pts/N with something
// else cannot make the runtime use it (CVE-2025-52565).
//
// The package does not copy bytes between the master and anything; that is
// the monitor's job.
package console

// WinSize is a terminal's size in character cells (TIOCGWINSZ/TIOCSWINSZ).
type WinSize struct {
	Height, Width uint16
}

// Device numbers of ptys (linux/major.h): the ptmx multiplexer is 5:2 and
// Unix98 pty slaves use the majors 136 to 143 (UNIX98_PTY_SLAVE_MAJOR and
// the seven after it), minor = N mod 256.
const (
	ptmxMajor         = 5
	ptmxMinor         = 2
	ptsFirstMajor     = 136
	ptsMajorCount     = 8
	ptsMinorsPerMajor = 256
)

// ptsDevice returns the device numbers of /dev/pts/n.
func ptsDevice(n uint32) (major, minor uint32) {
	return ptsFirstMajor + n/ptsMinorsPerMajor, n % ptsMinorsPerMajor
}

// isPtsMajor reports whether major is one of the Unix98 pty slave majors.
func isPtsMajor(major uint32) bool {
	return major >= ptsFirstMajor && major < ptsFirstMajor+ptsMajorCount
}
