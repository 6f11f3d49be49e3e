package client_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cais-project/cais/client"
	"github.com/cais-project/cais/internal/testgate"
)

// TestTaskLifecycle drives one container through the whole API: pull,
// create with env and /etc file overrides, a task with stdin and stdout,
// start, wait, exit status, delete. The process reports what it sees.
func TestTaskLifecycle(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "runc" {
				testgate.Binary(t, "/usr/sbin/runc")
			}
			s := newState(t)
			ctx := context.Background()
			c := s.client(t)
			img, err := c.Pull(ctx, s.ref)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(img.ID(), "sha256:") || img.Name() != s.ref {
				t.Errorf("image: name %q id %q, want %q and a sha256 ID", img.Name(), img.ID(), s.ref)
			}
			dir := t.TempDir()
			hosts, resolv := filepath.Join(dir, "hosts"), filepath.Join(dir, "resolv.conf")
			os.WriteFile(hosts, []byte("10.1.2.3 from-the-caller\n"), 0o644)
			os.WriteFile(resolv, []byte("nameserver 10.9.9.9\n"), 0o644)
			ctr, err := c.NewContainer(ctx, s.name, client.WithImage(img), client.WithRuntime(rt),
				client.WithEnv([]string{"GREETING=hello"}), client.WithHostsFile(hosts), client.WithResolvConf(resolv),
				client.WithProcessArgs("sh", "-c", `read line; echo "$GREETING $line"; cat /etc/hosts /etc/resolv.conf; echo oops >&2; exit 7`))
			if err != nil {
				t.Fatal(err)
			}
			if ctr.ID() != s.name {
				t.Errorf("ID: %q, want %q", ctr.ID(), s.name)
			}
			s.track(t, s.name)
			out, errOut := tempFile(t), tempFile(t)
			task, err := ctr.NewTask(ctx, client.WithStdio(strings.NewReader("from stdin\n"), out, errOut))
			if err != nil {
				t.Fatal(err)
			}
			if st, err := task.Status(ctx); err != nil || st.Status != client.Created {
				t.Errorf("status before start: %+v, %v; want created", st, err)
			}
			// The pid is the container's init, waiting to be started.
			if _, err := os.Stat("/proc/" + strconv.Itoa(int(task.Pid()))); task.Pid() == 0 || err != nil {
				t.Errorf("pid %d: %v", task.Pid(), err)
			}
			exitC, err := task.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			exitC2, _ := task.Wait(ctx) // every waiter hears of the exit
			before := time.Now()
			if err := task.Start(ctx); err != nil {
				t.Fatal(err)
			}
			st := waitExit(t, exitC)
			if st2 := waitExit(t, exitC2); st2.ExitCode() != st.ExitCode() {
				t.Errorf("second Wait: exit %d, first %d", st2.ExitCode(), st.ExitCode())
			}
			code, at, err := st.Result()
			if err != nil || code != 7 {
				t.Errorf("exit status: %d, %v; want 7", code, err)
			}
			if at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
				t.Errorf("exit time %v, not between %v and now", at, before)
			}
			want := "hello from stdin\n10.1.2.3 from-the-caller\nnameserver 10.9.9.9\n"
			if got := readFile(t, out); got != want {
				t.Errorf("stdout: %q, want %q", got, want)
			}
			if got := readFile(t, errOut); got != "oops\n" {
				t.Errorf("stderr: %q, want %q", got, "oops\n")
			}
			if st, err := task.Status(ctx); err != nil || st.Status != client.Stopped || st.ExitStatus != 7 {
				t.Errorf("status after exit: %+v, %v; want stopped, 7", st, err)
			}
			del, err := task.Delete(ctx)
			if err != nil || del.ExitCode() != 7 {
				t.Fatalf("task delete: %v, %v; want exit 7", del, err)
			}
			if err := ctr.Delete(ctx, client.WithSnapshotCleanup); err != nil {
				t.Fatal(err)
			}
			if _, err := c.LoadContainer(ctx, s.name); !errors.Is(err, client.ErrNotFound) {
				t.Errorf("LoadContainer after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestTaskKillAndRerun: Kill ends a running task with the signal's exit
// code; a deleted task's container runs again with a new task; a running
// task's container refuses Delete; host network shares the host's netns.
func TestTaskKillAndRerun(t *testing.T) {
	s := newState(t)
	ctx := context.Background()
	c := s.client(t)
	img, err := c.Pull(ctx, s.ref)
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := c.NewContainer(ctx, s.name, client.WithImage(img), client.WithHostNetwork(),
		client.WithProcessArgs("sh", "-c", "readlink /proc/self/ns/net; echo ready; exec sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	s.track(t, s.name)
	t.Cleanup(func() {
		// Only reached with a task left when the test failed early.
		if l, err := c.LoadContainer(ctx, s.name); err == nil {
			if task, err := l.NewTask(ctx); err == nil {
				task.Kill(ctx, syscall.SIGKILL)
			}
			time.Sleep(500 * time.Millisecond)
			l.Delete(ctx)
		}
	})
	hostNet, _ := os.Readlink("/proc/self/ns/net")
	for round := 1; round <= 2; round++ {
		out := tempFile(t)
		task, err := ctr.NewTask(ctx, client.WithStdio(nil, out, nil))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		exitC, _ := task.Wait(ctx)
		if err := task.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; !strings.Contains(readFile(t, out), "ready") && i < 100; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if got := readFile(t, out); got != hostNet+"\nready\n" {
			t.Errorf("round %d: output %q, want the host's netns %s then ready", round, got, hostNet)
		}
		if err := ctr.Delete(ctx); !errors.Is(err, client.ErrConflict) {
			t.Errorf("Delete of a running container: %v, want ErrConflict", err)
		}
		if _, err := task.Delete(ctx); !errors.Is(err, client.ErrConflict) {
			t.Errorf("Delete of a running task: %v, want ErrConflict", err)
		}
		if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, exitC).ExitCode(); code != 128+9 {
			t.Errorf("round %d: exit code after SIGKILL: %d, want 137", round, code)
		}
		if _, err := task.Delete(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := ctr.Delete(ctx, client.WithSnapshotCleanup); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: each bad option fails with a class and a message naming
// what is wrong, and leaves no container behind (newState's checks).
func TestBadInput(t *testing.T) {
	s := newState(t)
	ctx := context.Background()
	c := s.client(t)
	img, err := c.Pull(ctx, s.ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(ctx, client.WithRoot("")); !errors.Is(err, client.ErrInvalidArgument) {
		t.Errorf("New with an empty root: %v, want ErrInvalidArgument", err)
	}
	if _, err := c.Pull(ctx, s.ref+"-missing"); err == nil {
		t.Error("Pull of a missing tag succeeded")
	}
	for _, tc := range []struct {
		what  string
		id    string
		opts  []client.NewContainerOpts
		class error
		says  string
	}{
		{"no image", s.name, nil, client.ErrInvalidArgument, "WithImage"},
		{"empty id", "", []client.NewContainerOpts{client.WithImage(img)}, client.ErrInvalidArgument, "id"},
		{"bad id", "no/slash", []client.NewContainerOpts{client.WithImage(img)}, client.ErrInvalidArgument, "no/slash"},
		{"missing hosts file", s.name, []client.NewContainerOpts{client.WithImage(img), client.WithHostsFile("/no/such/hosts")}, client.ErrInvalidArgument, "/no/such/hosts"},
		{"relative resolv.conf", s.name, []client.NewContainerOpts{client.WithImage(img), client.WithResolvConf("resolv.conf")}, client.ErrInvalidArgument, "resolv.conf"},
		{"unknown runtime", s.name, []client.NewContainerOpts{client.WithImage(img), client.WithRuntime("no-such-runtime")}, client.ErrNotFound, "no-such-runtime"},
		{"missing command", s.name, []client.NewContainerOpts{client.WithImage(img), client.WithProcessArgs("/no/such/cmd")}, nil, "/no/such/cmd"},
	} {
		_, err := c.NewContainer(ctx, tc.id, tc.opts...)
		if err == nil || (tc.class != nil && !errors.Is(err, tc.class)) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want an error (class %v) naming %q", tc.what, err, tc.class, tc.says)
		}
	}
	// A name in use is refused, and the first container is unharmed.
	ctr, err := c.NewContainer(ctx, s.name, client.WithImage(img), client.WithProcessArgs("true"))
	if err != nil {
		t.Fatal(err)
	}
	s.track(t, s.name)
	if _, err := c.NewContainer(ctx, s.name, client.WithImage(img)); !errors.Is(err, client.ErrConflict) {
		t.Errorf("second container named %s: %v, want ErrConflict", s.name, err)
	}
	// A container whose task never started can be deleted.
	if err := ctr.Delete(ctx, client.WithSnapshotCleanup); err != nil {
		t.Fatal(err)
	}
}
