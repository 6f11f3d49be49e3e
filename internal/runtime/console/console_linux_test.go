package console

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/testgate"
)

// childEnv makes the re-executed test binary play the container's init:
// take fd 3 as its terminal and exec busybox.
const childEnv = "CAIS_CONSOLE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	os.Exit(m.Run())
}

func runChild() {
	slave := os.NewFile(3, "slave")
	if err := SetupSlaveAsControlling(slave); err != nil {
		slave.WriteString("child: " + err.Error() + "\n") // the test reads it from the master
		os.Exit(3)
	}
	slave.Close()
	err := unix.Exec("/bin/busybox", []string{"sh", "-c", "tty; exec cat /proc/self/stat"}, []string{})
	os.Stdout.WriteString("child: exec: " + err.Error() + "\n")
	os.Exit(4)
}

// ioBound is how long a test waits for bytes that should already be
// there before calling the pty broken; it bounds a hang, it times nothing.
const ioBound = 10 * time.Second

// pollable returns a non-blocking duplicate of f that supports deadlines.
func pollable(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	d := os.NewFile(uintptr(fd), f.Name())
	t.Cleanup(func() { d.Close() })
	if err := d.SetDeadline(time.Now().Add(ioBound)); err != nil {
		t.Fatal(err)
	}
	return d
}

// readUntil reads r until it has seen want, failing at the deadline.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	for !bytes.Contains(got, []byte(want)) {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read %q so far, want %q: %v", got, want, err)
		}
	}
	return string(got)
}

func newPty(t *testing.T) (master, slave *os.File, name string) {
	t.Helper()
	testgate.Root(t)
	master, slave, name, err := NewPty()
	if err != nil {
		t.Fatalf("NewPty() error = %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave, name
}

func TestNewPty(t *testing.T) {
	master, slave, name := newPty(t)
	if master.Name() != DefaultPtmx {
		t.Errorf("master name = %q, want %q", master.Name(), DefaultPtmx)
	}
	// The name is where this very slave lives in the host's devpts.
	var byName, byFd unix.Stat_t
	if err := unix.Stat(name, &byName); err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	if err := unix.Fstat(int(slave.Fd()), &byFd); err != nil {
		t.Fatal(err)
	}
	if byName.Rdev != byFd.Rdev || byName.Ino != byFd.Ino {
		t.Errorf("%s is device %d inode %d, the slave is device %d inode %d", name, byName.Rdev, byName.Ino, byFd.Rdev, byFd.Ino)
	}

	m, s := pollable(t, master), pollable(t, slave)
	if _, err := s.WriteString("from slave\n"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, m, "from slave\r\n") // the line discipline adds \r
	if _, err := m.WriteString("from master\n"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, s, "from master\n")
}

func TestNewPtyAtRejectsNonPtmx(t *testing.T) {
	testgate.Root(t)
	_, _, _, err := NewPtyAt("/dev/null")
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("NewPtyAt(/dev/null) error = %v, want ErrInvalidArgument", err)
	}
}

// TestVerifySlave feeds verifySlave things that are not pty N.
func TestVerifySlave(t *testing.T) {
	_, slave, name := newPty(t)
	n64, err := strconv.ParseUint(strings.TrimPrefix(name, "/dev/pts/"), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	n := uint32(n64)

	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A node with pty N's device number, outside devpts: what a container
	// could leave at /dev/pts/N.
	fake := filepath.Join(dir, "fake-pts")
	major, minor := ptsDevice(n)
	if err := unix.Mknod(fake, unix.S_IFCHR|0o600, int(unix.Mkdev(major, minor))); err != nil {
		t.Fatalf("mknod: %v", err)
	}

	tests := []struct {
		name    string
		path    string // opened O_PATH; empty means the real slave
		n       uint32
		wantErr string
	}{
		{name: "the real slave", n: n},
		{name: "the real slave with another number", n: n + 1, wantErr: "want"},
		{name: "/dev/null", path: "/dev/null", n: n, wantErr: "not on a devpts"},
		{name: "regular file", path: regular, n: n, wantErr: "not on a devpts"},
		{name: "pts device node outside devpts", path: fake, n: n, wantErr: "not on a devpts"},
		{name: "devpts ptmx node", path: "/dev/pts/ptmx", n: n, wantErr: "not a pts major"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := slave
			if tt.path != "" {
				fd, err := unix.Open(tt.path, unix.O_PATH|unix.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				f = os.NewFile(uintptr(fd), tt.path)
				defer f.Close()
			}
			err := verifySlave(f, tt.n)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("verifySlave() error = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("verifySlave() error = %v, want ErrInvalidArgument containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSize(t *testing.T) {
	master, slave, _ := newPty(t)
	want := WinSize{Height: 43, Width: 132}
	if err := SetSize(master, want); err != nil {
		t.Fatalf("SetSize() error = %v", err)
	}
	got, err := Size(slave)
	if err != nil {
		t.Fatalf("Size() error = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("slave size (-want +got):\n%s", diff)
	}
}

// listen returns a listener on a fresh socket path and a function dialling
// it that returns the client end as a file, as --console-socket users do.
func listen(t *testing.T) (*net.UnixListener, func() *os.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dial := func() *os.File {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Error(err)
			return nil
		}
		defer c.Close()
		f, err := c.File()
		if err != nil {
			t.Error(err)
			return nil
		}
		return f
	}
	return l, dial
}

func TestSendReceiveMaster(t *testing.T) {
	master, slave, _ := newPty(t)
	l, dial := listen(t)
	sent := make(chan error, 1)
	go func() {
		sock := dial()
		if sock == nil {
			sent <- errors.New("dial failed")
			return
		}
		defer sock.Close()
		sent <- SendMaster(sock, master)
	}()
	got, err := ReceiveMaster(l)
	if err != nil {
		t.Fatalf("ReceiveMaster() error = %v", err)
	}
	defer got.Close()
	if err := <-sent; err != nil {
		t.Fatalf("SendMaster() error = %v", err)
	}
	if got.Name() != master.Name() {
		t.Errorf("received name %q, want %q", got.Name(), master.Name())
	}
	// The received fd drives the same terminal.
	master.Close()
	if _, err := got.WriteString("through the socket\n"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, pollable(t, slave), "through the socket\n")
}

func TestReceiveMasterRejects(t *testing.T) {
	testgate.Root(t)
	tests := []struct {
		name string
		send func(sock *os.File) error
	}{
		{
			name: "not a pty",
			send: func(sock *os.File) error {
				null, err := os.Open("/dev/null")
				if err != nil {
					return err
				}
				defer null.Close()
				return SendMaster(sock, null)
			},
		},
		{
			name: "no fd",
			send: func(sock *os.File) error {
				_, err := sock.WriteString("/dev/ptmx")
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, dial := listen(t)
			sent := make(chan error, 1)
			go func() {
				sock := dial()
				if sock == nil {
					sent <- errors.New("dial failed")
					return
				}
				defer sock.Close()
				sent <- tt.send(sock)
			}()
			f, err := ReceiveMaster(l)
			if err == nil {
				f.Close()
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("ReceiveMaster() error = %v, want ErrInvalidArgument", err)
			}
			if err := <-sent; err != nil {
				t.Fatalf("sending: %v", err)
			}
		})
	}
}

// TestSetupSlaveAsControlling runs a child that takes the slave as its
// terminal and execs a shell; the shell's tty and its session, read from
// the master, show the slave is its stdio and controlling terminal.
func TestSetupSlaveAsControlling(t *testing.T) {
	testgate.Binary(t, "/bin/busybox")
	master, slave, name := newPty(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.ExtraFiles = []*os.File{slave}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the child holds the only slave now: EIO after it exits
	out, readErr := io.ReadAll(master)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v (output %q)", err, out)
	}
	if readErr != nil && !errors.Is(readErr, unix.EIO) {
		t.Fatalf("reading master: %v", readErr)
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(out), "\r", "")), "\n")
	if len(lines) != 2 {
		t.Fatalf("child output = %q, want tty and stat lines", out)
	}
	if lines[0] != name {
		t.Errorf("tty = %q, want %q", lines[0], name)
	}
	// /proc/<pid>/stat: pid (comm) state ppid pgrp session tty_nr ...
	pid, rest, _ := strings.Cut(lines[1], " ")
	_, rest, _ = strings.Cut(rest, ") ")
	f := strings.Fields(rest)
	if f[3] != pid {
		t.Errorf("session = %s, want the shell's own pid %s (a new session)", f[3], pid)
	}
	n, _ := strconv.ParseUint(strings.TrimPrefix(name, "/dev/pts/"), 10, 32)
	major, minor := ptsDevice(uint32(n))
	wantTTY := minor&0xff | major<<8 | (minor&^0xff)<<12
	if f[4] != strconv.FormatUint(uint64(wantTTY), 10) {
		t.Errorf("tty_nr = %s, want %d (%s)", f[4], wantTTY, name)
	}
}

// TestListenReceiveMaster: the runtime's own listener (no package net)
// receives the master through the poller, and Listen refuses a path in use.
func TestListenReceiveMaster(t *testing.T) {
	master, _, _ := newPty(t)
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Listen(path); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("second Listen(%s) error = %v, want EADDRINUSE", path, err)
	}
	sent := make(chan error, 1)
	go func() {
		// Connect only after ReceiveMaster waits, so the poller path runs.
		time.Sleep(50 * time.Millisecond)
		c, err := net.Dial("unix", path)
		if err != nil {
			sent <- err
			return
		}
		defer c.Close()
		f, err := c.(*net.UnixConn).File()
		if err != nil {
			sent <- err
			return
		}
		defer f.Close()
		sent <- SendMaster(f, master)
	}()
	got, err := ReceiveMaster(l)
	if err != nil {
		t.Fatalf("ReceiveMaster() error = %v", err)
	}
	defer got.Close()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got.Name() != master.Name() {
		t.Errorf("received name %q, want %q", got.Name(), master.Name())
	}
	if _, err := unix.IoctlGetUint32(int(got.Fd()), unix.TIOCGPTN); err != nil {
		t.Errorf("received fd is not a pty master: %v", err)
	}
}
