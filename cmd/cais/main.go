// Command cais is the Docker-compatible command line over the cais engine.
// It runs the engine in-process (daemonless). For now it only reports its
// version; the commands arrive with the engine.
package main

import (
	"fmt"
	"os"

	"github.com/cais-project/cais/internal/version"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Printf("cais version %s, commit %s\n", version.Version, version.Commit)
		return
	}
	fmt.Fprintf(os.Stderr, "Usage: cais version\n\nThe container commands (run, ps, images, ...) are not built yet; see README.md.\n")
	os.Exit(2)
}
