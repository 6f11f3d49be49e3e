//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command cais-runtime is the OCI runtime with runc's command line.
// It only wires the command line to standard streams; when started as a
// container's init (by itself, through the nsenter constructor) it hands
// over to the bootstrap, which never returns.
//
// The //go:debug lines turn off the Go runtime's reading of cgroup CPU
// limits at start-up: every container start runs this binary twice (the
// runtime, then the container's init), and neither needs GOMAXPROCS tuned.
package main

import (
	"os"

	"github.com/cais-project/cais/internal/runtime/bootstrap"
	"github.com/cais-project/cais/internal/runtime/cli"
)

func main() {
	bootstrap.Main()
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
