// Command cais is the Docker-compatible command line over the cais engine,
// which it runs in-process (daemonless).
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
