//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command cais-monitor is the per-container monitor: the engine starts one
// per container (see internal/engine/monitor). Wiring only. The
// //go:debug lines skip the Go runtime's cgroup CPU probe at start-up.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/cais-project/cais/internal/engine/monitor"
)

func main() {
	// One monitor runs per container: trade a little CPU for memory. (A
	// soft memory limit near the runtime's own baseline heap made the GC
	// run ~150 times during start-up alone, costing ~70 ms per container.)
	debug.SetGCPercent(20)
	args := os.Args[1:]
	fd, prespawned := monitor.ConfigFD(args)
	if prespawned {
		// Started before the container's bundle existed: the command line
		// comes on fd, or nothing does and there is nothing to do.
		go monitor.WarmUp() // runs while the read below blocks
		var err error
		if args, err = monitor.ReadConfigArgs(fd); err != nil || args == nil {
			if err != nil {
				fmt.Fprintln(os.Stderr, "cais-monitor:", err)
				os.Exit(2)
			}
			return
		}
	}
	cfg, err := monitor.ParseArgs(args, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cais-monitor:", err)
		os.Exit(2)
	}
	if prespawned {
		if err := monitor.RedirectLog(cfg.Dir); err != nil {
			fmt.Fprintln(os.Stderr, "cais-monitor:", err)
			os.Exit(1)
		}
	}
	if !monitor.IsDaemon() {
		if err := monitor.Daemonize(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "cais-monitor:", err)
			os.Exit(1)
		}
		return
	}
	if err := monitor.Run(context.Background(), cfg, monitor.ReadyPipe()); err != nil {
		fmt.Fprintf(os.Stderr, "cais-monitor %s: %v\n", cfg.ID, err)
		os.Exit(1)
	}
}
