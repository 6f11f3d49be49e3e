// Package cli is the `cais` command line: Docker's command names, flags,
// output shapes and exit codes, over the in-process engine. One file per
// command. It parses arguments and formats what the engine returns; the
// decisions (what a name means, what to delete, what is garbage) are the
// engine's.
package cli
