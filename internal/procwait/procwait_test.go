package procwait_test

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/procwait"
)

func TestRunExitStatus(t *testing.T) {
	if err := procwait.Run(exec.Command("true")); err != nil {
		t.Fatalf("true: %v", err)
	}
	err := procwait.Run(exec.Command("sh", "-c", "exit 7"))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("exit 7: got %v", err)
	}
}

// TestWaitBlocksUntilExit: Wait returns only after the process ended.
func TestWaitBlocksUntilExit(t *testing.T) {
	cmd := exec.Command("sleep", "0.2")
	start := time.Now()
	if err := procwait.Run(cmd); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("Run returned after %v, before the 0.2 s sleep ended", d)
	}
	if !cmd.ProcessState.Exited() {
		t.Fatal("process not reaped")
	}
}

func TestOutput(t *testing.T) {
	out, err := procwait.Output(exec.Command("sh", "-c", "echo out; echo err >&2"))
	if err != nil || string(out) != "out\n" {
		t.Fatalf("got %q, %v", out, err)
	}
	_, err = procwait.Output(exec.Command("sh", "-c", "echo bad >&2; exit 3"))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(ee.Stderr), "bad") {
		t.Fatalf("got %v (stderr %q)", err, ee)
	}
}

// TestExitedReapedAlready: a pid that no longer exists returns at once.
func TestExitedReapedAlready(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { procwait.Exited(cmd.Process.Pid); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Exited blocked on a reaped process")
	}
}

// TestExitedZombieNeverHangs calls Exited many times on a process that has
// already exited (a zombie, not reaped). The pidfd is readable before the
// poller waits: an Exited that relied on the poller's notification alone
// lost it when the notification came between registering the pidfd and
// waiting, and hung (seen as a `cais run` stuck on iptables).
func TestExitedZombieNeverHangs(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Keep other Ps busy polling the network poller meanwhile.
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 4; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					time.Sleep(time.Microsecond)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3000; i++ {
			procwait.Exited(cmd.Process.Pid)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Exited hung on a process that had exited")
	}
}
