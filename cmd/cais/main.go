//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command cais is the Docker-compatible command line over the cais engine,
// which it runs in-process (daemonless).
//
// The //go:debug lines keep the Go runtime from reading cgroup CPU limits
// at start-up (GOMAXPROCS is the machine's CPU count, as before Go 1.25):
// every command pays its start, and `run` pays it twice.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cais-project/cais/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
