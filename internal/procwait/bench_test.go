package procwait_test

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/procwait"
)

// selfCPU is this process's own user+system CPU time in µs (children not
// counted): what the waiting costs the waiter.
func selfCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}

// BenchmarkWait compares the waiter's own CPU time while a child sleeps
// 50 ms: exec.Cmd.Wait (a blocking waitid) against procwait.Wait.
//
//	go test -bench Wait -benchtime 20x ./internal/procwait/
func BenchmarkWait(b *testing.B) {
	for _, bc := range []struct {
		name string
		wait func(*exec.Cmd) error
	}{
		{"exec", (*exec.Cmd).Wait},
		{"procwait", procwait.Wait},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var cpu int64
			for i := 0; i < b.N; i++ {
				cmd := exec.Command("sleep", "0.05")
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				before := selfCPU(b)
				if err := bc.wait(cmd); err != nil {
					b.Fatal(err)
				}
				cpu += selfCPU(b) - before
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "waiter-cpu-µs/op")
		})
	}
}
