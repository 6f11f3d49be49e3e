// Command cais-runtime is the OCI runtime with runc's command line.
// It only wires the command line to standard streams.
package main

import (
	"os"

	"github.com/cais-project/cais/internal/runtime/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
